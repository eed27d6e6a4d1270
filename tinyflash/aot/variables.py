"""Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) and the CALL_ONCE subgraphs that initialise them,
resolved for the whole model at generation time as TFLM resolves them when it prepares the graph.

TFLM (``micro_resource_variable.cc``) prepares every subgraph's operators in order, subgraph 0 first. Each
VAR_HANDLE takes the id of the first variable with its ``shared_name`` (and its ``container``, unless it has none)
or a new one; the first ASSIGN_VARIABLE prepared for a variable fixes its size and fills it with its value tensor's
zero point (0 for a tensor without quantization). ``MicroInterpreter::Reset()`` fills every variable so again, and
CALL_ONCE keeps having run: after a reset the variables hold zeros (zero points), not the values the initialisation
subgraph assigned. The generated code does the same.

Here a VAR_HANDLE is known at generation time: its resource tensor becomes a constant holding the variable's id
(constant folding, fold.py), so the device runs nothing for it. A model may have more than one subgraph only when
every other subgraph is the initialisation subgraph of a CALL_ONCE in the main one and only assigns constants to
variables: those values are then computed here, and CALL_ONCE copies them on its first invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..model import ModelInfo, Operator, Subgraph, Tensor
from .context import AotUnsupported, Problem
from .fold import fold_constants

#: Ops an initialisation subgraph may keep after folding.
INIT_OPS = frozenset({"ASSIGN_VARIABLE"})


@dataclass(frozen=True)
class Variable:
    """One resource variable: ``nbytes`` of state kept across invocations, filled with ``fill`` by Setup and Reset."""

    id: int
    name: str  # its shared_name
    nbytes: int = 0  # 0: never assigned (TFLM then has no storage for it)
    fill: int = 0  # the byte TFLM's memset uses: the first assigned value's zero point as int8, else 0


@dataclass(frozen=True)
class Resources:
    """The model's variables, each VAR_HANDLE's id (per subgraph: operator index -> variable id) and, per
    initialisation subgraph, the constant values it assigns (variable id, value tensor) in order."""

    variables: tuple[Variable, ...] = ()
    handles: Mapping[int, Mapping[int, int]] = field(default_factory=dict)
    inits: Mapping[int, tuple[tuple[int, Tensor], ...]] = field(default_factory=dict)


def resource_id(t: Tensor) -> int | None:
    """The variable id a folded VAR_HANDLE stored in its resource tensor, or None for any other tensor."""
    if t.dtype != "resource" or t.data is None or len(t.data) != 4:
        return None
    return int(np.frombuffer(t.data, dtype=np.int32)[0])


def resolve(model: ModelInfo) -> Resources:
    """Number the variables and compute the initialisation subgraphs, or raise :class:`AotUnsupported` naming what
    the AOT runtime cannot take: a subgraph that is not a CALL_ONCE's, or one that computes more than constants."""
    ids: list[tuple[str | None, str]] = []
    handles: dict[int, dict[int, int]] = {}
    for k, sg in enumerate(model.subgraphs):
        for j, op in enumerate(sg.operators):
            if op.opcode == "VAR_HANDLE" and not op.custom:
                handles.setdefault(k, {})[j] = _find_or_create(ids, op)
    sizes: dict[int, Tensor] = {}  # variable id -> the value tensor of its first ASSIGN_VARIABLE, in prepare order
    inits: dict[int, tuple[tuple[int, Tensor], ...]] = {}
    calls = {
        int(op.options.get("init_subgraph_index", -1)): step
        for step, op in enumerate(model.main.operators)
        if op.opcode == "CALL_ONCE"
    }
    problems = []
    for k, sg in enumerate(model.subgraphs):
        if k > 0 and k not in calls:
            problems.append(Problem(-1, "", f"the model has {len(model.subgraphs)} subgraphs; the AOT runtime runs "
                                            "one, and the initialisation subgraphs of CALL_ONCE"))  # fmt: skip
            break
        named = {sg.operators[j].outputs[0]: i for j, i in handles.get(k, {}).items() if sg.operators[j].outputs}
        for op in sg.operators:
            assigns = op.opcode == "ASSIGN_VARIABLE" and len(op.inputs) == 2 and op.inputs[0] in named
            if assigns and 0 <= op.inputs[1] < len(sg.tensors):
                sizes.setdefault(named[op.inputs[0]], sg.tensors[op.inputs[1]])
        if k > 0:
            assigned = _init_assignments(fold_constants(sg, handles.get(k, {})).subgraph)
            if isinstance(assigned, str):
                problems.append(Problem(calls[k], "CALL_ONCE", f"its initialisation subgraph {k} {assigned}"))
            else:
                inits[k] = assigned
    if problems:
        raise AotUnsupported(problems)
    variables = tuple(_variable(i, name, sizes.get(i)) for i, (_, name) in enumerate(ids))
    return Resources(
        variables,
        MappingProxyType({k: MappingProxyType(v) for k, v in handles.items()}),
        MappingProxyType(inits),
    )


def _find_or_create(ids: list[tuple[str | None, str]], op: Operator) -> int:
    """TFLM's ``CreateIdIfNoneFound``: a handle without a container matches any variable of its name."""
    container, name = op.options.get("container"), str(op.options.get("shared_name", ""))
    for i, (c, n) in enumerate(ids):
        if (container is None or container == c) and name == n:
            return i
    ids.append((container, name))
    return len(ids) - 1


def _init_assignments(sg: Subgraph) -> tuple[tuple[int, Tensor], ...] | str:
    """The (variable, constant value) pairs an initialisation subgraph assigns, or why it is more than that."""
    if sg.inputs or sg.outputs:
        return "has inputs or outputs"
    assigned = []
    for j, op in enumerate(sg.operators):
        if op.custom or op.opcode not in INIT_OPS:
            return f"runs {op.opcode} (its operator {j}); only constant values assigned to variables are supported"
        if len(op.inputs) != 2 or not all(0 <= i < len(sg.tensors) for i in op.inputs):
            return f"has an ASSIGN_VARIABLE without a resource and a value (its operator {j})"
        variable, value = resource_id(sg.tensors[op.inputs[0]]), sg.tensors[op.inputs[1]]
        if variable is None:
            return f"assigns to a resource that is not a VAR_HANDLE's (its operator {j})"
        if not value.is_constant:
            return f"assigns a value computed at run time (its operator {j}); only constant values are supported"
        assigned.append((variable, value))
    return tuple(assigned)


def _variable(i: int, name: str, first: Tensor | None) -> Variable:
    if first is None:
        return Variable(i, name)
    zero_points = first.quant.zero_points if first.quant is not None else ()
    fill = (int(zero_points[0]) + 128) % 256 - 128 if zero_points else 0  # TFLM keeps it as int8_t
    return Variable(i, name, first.nbytes, fill)

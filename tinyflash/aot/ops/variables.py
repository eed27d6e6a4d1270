"""READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE: copies between the arena and a resource variable's storage, as
TFLM's kernels do (VAR_HANDLE folds away; aot/variables.py numbers the variables and computes what each CALL_ONCE's
initialisation subgraph assigns).

A variable's storage is its own arena bytes, live over the whole graph (the planner shares them with nothing), so it
keeps its value from one invocation to the next. TFLM's Read and Assign copy the whole variable and only check (in
debug builds) that the tensor has the variable's size; the generator refuses a size that differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import emit
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from ..variables import Variable, resource_id
from . import base


@dataclass(frozen=True)
class VariableSpec(OpSpec):
    variable: Variable
    value: int  #: READ_VARIABLE's output or ASSIGN_VARIABLE's value tensor


@dataclass(frozen=True)
class CallOnceSpec(OpSpec):
    assignments: tuple[tuple[Variable, Tensor], ...]  #: what the initialisation subgraph assigns, in order


def _access(ctx: Context, step: int, op: Operator, n_in: int, n_out: int, verb: str) -> VariableSpec:
    if len(op.inputs) != n_in or len(op.outputs) != n_out or min(op.inputs) < 0:
        raise fail(step, op, f"expected {n_in} inputs and {n_out} outputs")
    handle = ctx.tensor(op.inputs[0])
    index = resource_id(handle)
    if index is None or ctx.resources is None or not 0 <= index < len(ctx.resources.variables):
        raise fail(step, op, f"its resource '{handle.name}' does not come from a VAR_HANDLE")
    variable = ctx.resources.variables[index]
    value = op.outputs[0] if n_out else op.inputs[1]
    t = ctx.tensor(value)
    base.dtype(step, op, t, *emit.CTYPES)
    if not variable.nbytes:
        raise fail(step, op, f"variable '{variable.name}' is never assigned (TFLM allocates it when it is assigned)")
    if t.nbytes != variable.nbytes:
        raise fail(step, op, f"it {verb} {t.nbytes} bytes of variable '{variable.name}', which holds {variable.nbytes}")
    return VariableSpec(step, op, variable, value)


@analyzer("READ_VARIABLE")
def analyze_read(ctx: Context, step: int, op: Operator) -> VariableSpec:
    return _access(ctx, step, op, 1, 1, "reads")


@analyzer("ASSIGN_VARIABLE")
def analyze_assign(ctx: Context, step: int, op: Operator) -> VariableSpec:
    return _access(ctx, step, op, 2, 0, "assigns")


@analyzer("CALL_ONCE")
def analyze_call_once(ctx: Context, step: int, op: Operator) -> CallOnceSpec:
    index = int(op.options.get("init_subgraph_index", -1))
    if op.inputs or op.outputs or ctx.resources is None or index not in ctx.resources.inits:
        raise fail(step, op, "expected no inputs or outputs and an initialisation subgraph")
    assignments = []
    for variable_id, value in ctx.resources.inits[index]:
        if not 0 <= variable_id < len(ctx.resources.variables):
            raise fail(step, op, f"its initialisation subgraph {index} assigns to a resource no VAR_HANDLE made")
        variable = ctx.resources.variables[variable_id]
        base.dtype(step, op, value, *emit.CTYPES)
        if value.nbytes != variable.nbytes:
            raise fail(step, op, f"it assigns {value.nbytes} bytes to variable '{variable.name}', which holds "
                                 f"{variable.nbytes}")  # fmt: skip
        assignments.append((variable, value))
    return CallOnceSpec(step, op, tuple(assignments))


@implementation("READ_VARIABLE", name="reference", summary="one memcpy from the variable's bytes")
def read(ctx: Context, s: VariableSpec) -> list[str]:
    return [f"memcpy({ctx.pointer(s.value)}, g_arena + {ctx.variable_name(s.variable.id)}, {s.variable.nbytes});"]


@implementation("ASSIGN_VARIABLE", name="reference", summary="one memcpy into the variable's bytes")
def assign(ctx: Context, s: VariableSpec) -> list[str]:
    source = ctx.pointer(s.value, True)
    return [f"memcpy(g_arena + {ctx.variable_name(s.variable.id)}, {source}, {s.variable.nbytes});"]


@implementation("CALL_ONCE", name="reference", summary="the initial values copied on the first invocation")
def call_once(ctx: Context, s: CallOnceSpec) -> list[str]:
    """TFLM's CALL_ONCE runs its subgraph on its first invocation after Setup() (not after Reset()): a flag that
    Setup() clears, and the constant values the subgraph assigns, computed at generation time."""
    flag = ctx.flag(f"g_op{s.step}_called")
    lines = [f"if (!{flag}) {{"]
    for n, (variable, value) in enumerate(s.assignments):
        name = f"{base.op_name(s.step)}Value{n}"
        values = np.frombuffer(value.data or b"", dtype=emit.NUMPY[value.dtype])
        ctx.array(emit.CTYPES[value.dtype], name, values, 8 if value.dtype == "float32" else 16, align=True)
        lines.append(f"  memcpy(g_arena + {ctx.variable_name(variable.id)}, {name}, {variable.nbytes});")
    return [*lines, f"  {flag} = true;", "}"]

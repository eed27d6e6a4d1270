"""Constant folding at generation time: an operator whose result is known before the model runs is computed
by the generator and becomes a constant tensor, so the device never runs it.

That is every operator whose inputs are all constant, SHAPE of any tensor (shapes are static in a
TFLM model), and VAR_HANDLE (the variable it names is known: see variables.py). A Keras model exported
with a dynamic batch dimension flattens through SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE(shape tensor):
the first three fold away and RESHAPE's shape becomes a constant. Each op's folder (registered with
``registry.folder``) computes exactly what the TFLM kernel computes; an op without a folder, or in a form
its folder declines, stays in the graph and runs on the device. A graph output is never folded: the
runtime hands outputs to the app from the arena.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ModelError
from ..model import Operator, Subgraph, Tensor
from . import emit
from .context import Context
from .registry import FOLDERS

#: Ops whose result depends only on their input's static shape, not on its values.
SHAPE_OPS = frozenset({"SHAPE"})
#: numpy types of the tensors folding can produce or read (int64: SHAPE with out_type int64, indices).
NUMPY = {**emit.NUMPY, "int64": np.int64, "bool": np.bool_}


@dataclass(frozen=True)
class Folded:
    """The subgraph left to run, and for each of its operators its index in the model's graph."""

    subgraph: Subgraph
    steps: tuple[int, ...]
    folded: tuple[tuple[int, str], ...]  # (index in the model's graph, opcode) of each folded operator


def fold_constants(sg: Subgraph, handles: Mapping[int, int] | None = None) -> Folded:
    """Fold every operator whose result is known at generation time, in graph order (so chains fold).

    ``handles`` gives each VAR_HANDLE (operator index -> variable id, numbered by variables.py as TFLM numbers them):
    its resource tensor becomes a constant holding the id, as TFLM's VAR_HANDLE writes it."""
    tensors = list(sg.tensors)
    kept, steps, folded = [], [], []
    outputs = set(sg.outputs)
    for step, op in enumerate(sg.operators):
        values = None
        if handles and step in handles and len(op.outputs) == 1 and 0 <= op.outputs[0] < len(tensors):
            handle = tensors[op.outputs[0]]
            tensors[op.outputs[0]] = replace(handle, data=np.int32(handles[step]).tobytes())
            folded.append((step, op.opcode))
            continue
        if _foldable(tensors, op, outputs):
            values = _fold(replace(sg, tensors=tuple(tensors)), step, op)
        if values is None:
            kept.append(op)
            steps.append(step)
            continue
        for index, array in values.items():
            t = tensors[index]
            tensors[index] = replace(t, data=np.ascontiguousarray(array, dtype=NUMPY[t.dtype]).tobytes())
        folded.append((step, op.opcode))
    return Folded(replace(sg, tensors=tuple(tensors), operators=tuple(kept)), tuple(steps), tuple(folded))


def _foldable(tensors: list[Tensor], op: Operator, outputs: set[int]) -> bool:
    if op.custom or op.opcode not in FOLDERS or not op.outputs:
        return False
    if any(o < 0 or o >= len(tensors) or o in outputs or tensors[o].dtype not in NUMPY for o in op.outputs):
        return False
    if any(i >= len(tensors) for i in op.inputs):
        return False
    present = [tensors[i] for i in op.inputs if i >= 0]
    if op.opcode in SHAPE_OPS:
        return len(present) == 1
    return bool(present) and all(t.is_constant and t.dtype in NUMPY for t in present)


def _fold(sg: Subgraph, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    """The folder's result, checked against the output tensors; None (the op stays) if the folder declines or
    finds the operator inconsistent: its analyzer, if it has one, then names the problem."""
    try:
        values = FOLDERS[op.opcode](Context(sg), step, op)
    except (ModelError, IndexError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if values is None or set(values) != set(op.outputs):
        return None
    if any(np.size(a) != sg.tensors[i].elements for i, a in values.items()):
        return None
    return values


def constant(ctx: Context, index: int) -> np.ndarray:
    """A constant tensor's values, in its shape."""
    t = ctx.tensor(index)
    return np.frombuffer(t.data or b"", dtype=NUMPY[t.dtype]).reshape(t.shape)

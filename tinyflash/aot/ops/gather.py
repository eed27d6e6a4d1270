"""GATHER (constant or runtime int32 indices) and CAST: analyzers, kernels, and generation-time folders that
compute what the kernels compute."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator
from ..context import Context, fail
from ..fold import NUMPY, constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base

#: GATHER's data types (TFLM: float32 and int8, int32 positions only; it ignores int64 positions silently).
GATHER_TYPES = ("float32", "int8")
#: CAST's types: the pairs of these TFLM converts with static_cast.
CAST_TYPES = ("float32", "int8", "int16", "int32")


@dataclass(frozen=True)
class GatherSpec(OpSpec):
    kind: str
    fields: dict  # GatherParams


@analyzer("GATHER")
def analyze_gather(ctx: Context, step: int, op: Operator) -> GatherSpec:
    ins, out = base.io(ctx, step, op, 2)
    assert ins[0] is not None
    kind = base.dtype(step, op, ins[0], *GATHER_TYPES)
    base.dtype(step, op, out, kind)
    return GatherSpec(step, op, kind, _gather_fields(ctx, step, op))


def _gather_fields(ctx: Context, step: int, op: Operator) -> dict:
    """GatherParams from the shapes, axis and batch_dims; constant indices must lie inside the axis."""
    ins, out = base.io(ctx, step, op, 2)
    inp, coords = ins[0], ins[1]
    assert inp is not None and coords is not None
    if coords.dtype != "int32":
        raise fail(step, op, f"indices of type {coords.dtype} are not supported (int32 are)")
    rank, coords_rank = len(inp.shape), len(coords.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    batch = int(op.options.get("batch_dims", 0))
    batch = batch + coords_rank if batch < 0 else batch
    if not 0 <= batch <= axis < rank or batch > coords_rank or inp.shape[:batch] != coords.shape[:batch]:
        raise fail(step, op, f"axis {axis} and batch_dims {batch} do not fit the input and index shapes")
    expected = inp.shape[:axis] + coords.shape[batch:] + inp.shape[axis + 1 :]
    if out.shape != expected:
        raise fail(step, op, f"the output has shape {list(out.shape)}, gathering gives {list(expected)}")
    if coords.is_constant:
        bad = [int(i) for i in constant(ctx, op.inputs[1]).ravel() if not 0 <= i < inp.shape[axis]]
        if bad:
            raise fail(step, op, f"index {bad[0]} is outside the axis of size {inp.shape[axis]}")
    return {
        "batches": int(np.prod(inp.shape[:batch], dtype=np.int64)),
        "outer": int(np.prod(inp.shape[batch:axis], dtype=np.int64)),
        "axis_size": inp.shape[axis],
        "coords": int(np.prod(coords.shape[batch:], dtype=np.int64)),
        "inner": int(np.prod(inp.shape[axis + 1 :], dtype=np.int64)),
    }


@implementation("GATHER", name="reference", summary="one memcpy per gathered run")
def gather(ctx: Context, s: GatherSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/gather.h")
    ctx.params("GatherParams", name, s.fields)
    inp, coords = (ctx.pointer(i, True) for i in s.op.inputs[:2])
    return [f"Gather({name}, {inp}, {coords}, {ctx.pointer(s.op.outputs[0])});"]


@folder("GATHER")
def fold_gather(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray]:
    """The kernel's loops, in numpy (constant data of any type, constant indices inside the axis)."""
    f = _gather_fields(ctx, step, op)
    data = constant(ctx, op.inputs[0]).reshape(f["batches"], f["outer"], f["axis_size"], f["inner"])
    coords = constant(ctx, op.inputs[1]).reshape(f["batches"], f["coords"])
    out = np.stack([data[b][:, coords[b]] for b in range(f["batches"])])
    return {op.outputs[0]: out.reshape(-1)}


@dataclass(frozen=True)
class CastSpec(OpSpec):
    source: str
    target: str


@analyzer("CAST")
def analyze_cast(ctx: Context, step: int, op: Operator) -> CastSpec:
    ins, out = base.io(ctx, step, op, 1)
    inp = ins[0]
    assert inp is not None
    for t in (inp, out):
        if t.dtype not in CAST_TYPES:
            raise fail(step, op, f"tensor '{t.name}' has type {t.dtype} (supported: {', '.join(CAST_TYPES)})")
    if inp.elements != out.elements:
        raise fail(step, op, "input and output sizes differ")
    return CastSpec(step, op, inp.dtype, out.dtype)


@implementation("CAST", name="reference", summary="static_cast per element")
def cast(ctx: Context, s: CastSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/cast.h")
    ctx.params("CastParams", name, {"count": ctx.tensor(s.op.outputs[0]).elements})
    return [f"Cast({name}, {ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])});"]


@folder("CAST")
def fold_cast(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    """static_cast in numpy: float to integer truncates toward zero, integers wrap. A float outside the target's
    range is undefined behaviour in C++ (and in TFLM): not folded, so the device computes what TFLM would."""
    s = analyze_cast(ctx, step, op)
    values = constant(ctx, op.inputs[0])
    target = NUMPY[s.target]
    if s.source == "float32" and s.target != "float32":
        info = np.iinfo(target)
        if not np.all(np.isfinite(values)) or values.min() <= info.min - 1 or values.max() >= info.max + 1:
            return None
        return {op.outputs[0]: np.trunc(values).astype(target)}
    return {op.outputs[0]: values.astype(target)}

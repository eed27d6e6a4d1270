"""AVERAGE_POOL_2D and MAX_POOL_2D, float32, int8 and int16 (reference implementations)."""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Operator
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base
from .conv import Geometry, window


@dataclass(frozen=True)
class PoolSpec(OpSpec):
    kind: str
    window: Geometry
    act: int


@analyzer("AVERAGE_POOL_2D", "MAX_POOL_2D")
def analyze(ctx: Context, step: int, op: Operator) -> PoolSpec:
    ins, out = base.io(ctx, step, op, 1)
    inp = ins[0]
    assert inp is not None
    act = base.activation(step, op)
    kind = base.dtype(step, op, inp, "float32", "int8", "int16")
    base.dtype(step, op, out, kind)
    base.zero_point_zero(step, op, inp, out)
    if inp.shape[-1:] != out.shape[-1:]:
        raise fail(step, op, "pooling keeps the depth")
    fh, fw = int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    geometry = window(step, op, inp, out, fh, fw)
    if kind != "float32" and (
        abs(inp.quant.scale - out.quant.scale) > 1e-6 or inp.quant.zero_point != out.quant.zero_point
    ):
        raise fail(step, op, f"{kind} pooling needs the same input and output quantization (as TFLM)")
    return PoolSpec(step, op, kind, geometry, act)


@implementation("AVERAGE_POOL_2D", "MAX_POOL_2D", name="reference", summary="TFLM's reference loops")
def reference(ctx: Context, s: PoolSpec) -> list[str]:
    name = base.op_name(s.step)
    kernel = "AveragePool" if s.op.opcode == "AVERAGE_POOL_2D" else "MaxPool"
    header = "average_pool" if kernel == "AveragePool" else "max_pool"
    out = ctx.tensor(s.op.outputs[0])
    tensors = f"{ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])}"
    if s.kind == "float32":
        ctx.use(f"reference/{header}_float.h")
        ctx.params("PoolFloatParams", name, {"window": s.window.as_dict()} | base.float_range(s.act))
        return [f"{kernel}Float({name}, {tensors});"]
    ctx.use(f"reference/{header}_int8.h")
    ctx.params("PoolInt8Params", name, {"window": s.window.as_dict()} | base.activation_bounds(s.act, out))
    return [f"{kernel}Quantized({name}, {tensors});"]

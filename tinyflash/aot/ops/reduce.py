"""Reductions: MEAN, SUM, REDUCE_MAX over constant axes (keep_dims or not), ARG_MAX along one, L2_NORMALIZATION
and LOG_SOFTMAX along the last (reference).

MEAN, SUM and REDUCE_MAX share one loop nest (common/reduce.h) that visits the reduced elements in the input's
row-major order, the order TFLM's reference accumulates them in, so float sums round the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..fold import constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base
from .base import FieldsSpec


@dataclass(frozen=True)
class ReduceSpec(OpSpec):
    kind: str
    input: Tensor
    output: Tensor
    reduction: dict  #: the Reduction struct's fields
    count: int  #: elements reduced into each output
    axes: tuple[int, ...]  #: the reduced dimensions, ascending


#: The types each reduction takes (TFLM's int16 MEAN and SUM are the int8 kernels over int16).
REDUCE_TYPES = {"MEAN": ("float32", "int8", "int16"), "SUM": ("float32", "int8", "int16")}
REDUCE_TYPES["REDUCE_MAX"] = ("float32", "int8")


@analyzer("MEAN", "SUM", "REDUCE_MAX")
def analyze_reduce(ctx: Context, step: int, op: Operator) -> ReduceSpec:
    inp, out, kind = base.same_type(ctx, step, op, 2, *REDUCE_TYPES[op.opcode])
    base.zero_point_zero(step, op, inp, out)
    rank = len(inp.shape)
    axes = sorted({a + rank if a < 0 else a for a in base.const_ints(ctx, step, op, op.inputs[1], "axis")})
    if rank > 4 or any(not 0 <= a < rank for a in axes):
        raise fail(step, op, "only reductions over tensors of up to 4 dimensions are supported")
    strides = [int(np.prod(inp.shape[i + 1 :], dtype=np.int64)) for i in range(rank)]
    kept = [i for i in range(rank) if i not in axes]
    count = int(np.prod([inp.shape[a] for a in axes], dtype=np.int64))

    def slots(dims: list[int]) -> tuple[list[int], list[int]]:
        pad_n = 4 - len(dims)
        return [1] * pad_n + [inp.shape[d] for d in dims], [0] * pad_n + [strides[d] for d in dims]

    outer, outer_stride = slots(kept)
    inner, inner_stride = slots(axes)
    if int(np.prod(outer)) != out.elements or count < 1:
        raise fail(step, op, "output size does not match the reduction")
    same_quant = kind == "float32" or (
        quant.f32(inp.quant.scale) == quant.f32(out.quant.scale) and inp.quant.zero_point == out.quant.zero_point
    )
    if op.opcode == "REDUCE_MAX" and not same_quant:
        raise fail(step, op, "int8 output must have the input's scale and zero point (as TFLM requires)")
    reduction = {"outer": outer, "outer_stride": outer_stride, "inner": inner, "inner_stride": inner_stride}
    return ReduceSpec(step, op, kind, inp, out, reduction, count, tuple(axes))


@implementation("MEAN", "SUM", "REDUCE_MAX", name="reference", summary="TFLM's reference reduction order")
def reduce(ctx: Context, s: ReduceSpec) -> list[str]:
    name = base.op_name(s.step)
    tensors = f"{ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])}"
    fields = {"reduction": s.reduction}
    if s.op.opcode == "REDUCE_MAX":
        ctx.use("reference/reduce_max.h")
        ctx.params("ReduceMaxParams", name, fields)
        return [f"ReduceMax{'Float' if s.kind == 'float32' else 'Int8'}({name}, {tensors});"]
    mean = s.op.opcode == "MEAN"
    if s.kind == "float32":
        ctx.use("reference/mean_float.h")
        if mean:
            ctx.params("MeanFloatParams", name, fields | {"count": s.count})
            return [f"MeanFloat({name}, {tensors});"]
        ctx.params("SumFloatParams", name, fields)
        return [f"SumFloat({name}, {tensors});"]
    # SUM: the same requantization without the 1/count factor (a count of 1 folds nothing).
    m = quant.mean_multiplier(s.input.quant.scale, s.output.quant.scale, s.count if mean else 1)
    ctx.use("reference/mean_int8.h")
    fields |= {
        "count": s.count,
        "input_zero_point": s.input.quant.zero_point,
        "output_zero_point": s.output.quant.zero_point,
        "multiplier": m.value,
        "shift": m.shift,
    }
    ctx.params("MeanOrSumInt8Params", name, fields)
    return [f"MeanOrSumQuantized({name}, {tensors});"]


@folder("MEAN", "SUM", "REDUCE_MAX")
def fold_reduce(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    """float32 only, in the kernel's order: the reduced elements of each output, row-major, accumulated one at a
    time (np.cumsum; np.sum would add pairwise), the maximum from the lowest float with NaN never winning."""
    s = analyze_reduce(ctx, step, op)
    if s.kind != "float32":
        return None
    x = constant(ctx, op.inputs[0])
    moved = list(range(x.ndim - len(s.axes), x.ndim))
    rows = np.moveaxis(x, list(s.axes), moved).reshape(-1, s.count)
    if op.opcode == "REDUCE_MAX":
        values = np.where(np.isnan(rows), np.float32(quant.FLOAT_LOWEST), rows).max(axis=1, initial=quant.FLOAT_LOWEST)
    else:
        values = np.cumsum(rows, axis=1, dtype=np.float32)[:, -1]
        if op.opcode == "MEAN":
            values = values / np.float32(s.count)
    return {op.outputs[0]: values.astype(np.float32).reshape(s.output.shape)}


@analyzer("ARG_MAX")
def analyze_arg_max(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    inp, out, kind = base.first_input(ctx, step, op, 2, "float32", "int8")
    base.dtype(step, op, out, "int32")
    if ctx.tensor(op.inputs[1]).dtype != "int32":
        raise fail(step, op, "the axis must be an int32 tensor (TFLM's kernel takes no other)")
    axes = base.const_ints(ctx, step, op, op.inputs[1], "axis")
    rank = len(inp.shape)
    if len(axes) != 1 or not -rank <= axes[0] < rank:
        raise fail(step, op, f"the axis must be one value in [-{rank}, {rank})")
    axis = axes[0] % rank
    outer = int(np.prod(inp.shape[:axis], dtype=np.int64))
    inner = int(np.prod(inp.shape[axis + 1 :], dtype=np.int64))
    if out.elements != outer * inner:
        raise fail(step, op, "output size does not match the input without its axis")
    return FieldsSpec(step, op, kind, {"outer": outer, "axis_size": inp.shape[axis], "inner": inner})


@folder("ARG_MAX")
def fold_arg_max(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    """np.argmax takes the first maximum, as the kernel; a NaN (where the two comparisons differ) is not folded."""
    s = analyze_arg_max(ctx, step, op)
    f = s.fields
    x = constant(ctx, op.inputs[0]).reshape(f["outer"], f["axis_size"], f["inner"])
    if s.kind == "float32" and np.isnan(x).any():
        return None
    return {op.outputs[0]: np.argmax(x, axis=1).astype(np.int32).reshape(ctx.tensor(op.outputs[0]).shape)}


@implementation("ARG_MAX", name="reference", summary="the first index of the largest value (TFLM's comparison)")
def arg_max(ctx: Context, s: FieldsSpec) -> list[str]:
    return base.unary_call(ctx, s.step, s.op, "reference/arg_max.h", "ArgMaxParams", "ArgMax", s.fields)


#: The longest int8 row whose sum of squares, (255)^2 per value at most, stays below 2^31.
MAX_L2_DEPTH = (2**31 - 1) // 255**2


@analyzer("L2_NORMALIZATION")
def analyze_l2_normalization(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    """TFLM normalizes along the last dimension of up to 4, with no fused activation; its int8 output is on scale
    1/128, zero point 0 whatever the output tensor says (followed, as for LOGISTIC)."""
    inp, out, kind = base.same_type(ctx, step, op, 1, "float32", "int8")
    if not 1 <= len(inp.shape) <= 4 or inp.elements != out.elements:
        raise fail(step, op, "input and output must have the same size and 1 to 4 dimensions (as TFLM requires)")
    if base.activation(step, op) != 0:
        raise fail(step, op, "a fused activation is not supported (TFLM requires NONE)")
    depth = inp.shape[-1]
    if kind == "int8" and depth > MAX_L2_DEPTH:
        raise fail(step, op, f"int8 rows longer than {MAX_L2_DEPTH} values can overflow TFLM's int32 sum of squares")
    zero_point = inp.quant.zero_point if kind == "int8" else 0
    fields = {"rows": inp.elements // max(depth, 1), "depth": depth, "input_zero_point": zero_point}
    return FieldsSpec(step, op, kind, fields)


@implementation("L2_NORMALIZATION", name="reference", summary="TFLM's reference (int8: fixed-point 1/sqrt)")
def l2_normalization(ctx: Context, s: FieldsSpec) -> list[str]:
    function = "L2NormalizationFloat" if s.kind == "float32" else "L2NormalizationInt8"
    return base.unary_call(
        ctx, s.step, s.op, "reference/l2_normalization.h", "L2NormalizationParams", function, s.fields
    )


@analyzer("LOG_SOFTMAX")
def analyze_log_softmax(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    """Along the last dimension. int8 as TFLM's Prepare: the output must be on scale 16/256, zero point 127; the
    input rescaling is SOFTMAX's with beta 1, plus its inverse (the reverse scaling divisor)."""
    inp, out, kind = base.same_type(ctx, step, op, 1, "float32", "int8")
    if not inp.shape or inp.shape != out.shape:
        raise fail(step, op, "input and output must have the same shape of at least one dimension")
    depth = inp.shape[-1]
    fields = {"rows": inp.elements // max(depth, 1), "depth": depth}
    if kind == "float32":
        return FieldsSpec(step, op, kind, fields)
    if quant.f32(out.quant.scale) != quant.f32(16 / 256) or out.quant.zero_point != 127:
        raise fail(step, op, "int8 output must have scale 16/256 and zero point 127 (as TFLM requires)")
    p = quant.softmax_params(1.0, inp.quant.scale)
    reverse = quant.quantize_multiplier((1 << (31 - p.left_shift)) / p.multiplier)
    softmax = fields | {"input_multiplier": p.multiplier, "input_left_shift": p.left_shift, "diff_min": p.diff_min}
    return FieldsSpec(
        step,
        op,
        kind,
        {"softmax": softmax, "reverse_scaling_divisor": reverse.value, "reverse_scaling_right_shift": -reverse.shift},
    )


@implementation("LOG_SOFTMAX", name="reference", summary="TFLM's reference (int8: gemmlowp fixed point)")
def log_softmax(ctx: Context, s: FieldsSpec) -> list[str]:
    if s.kind == "int8":
        header, struct, function = "reference/softmax_int8.h", "LogSoftmaxInt8Params", "LogSoftmaxInt8"
    else:
        header, struct, function = "reference/softmax_float.h", "LogSoftmaxFloatParams", "LogSoftmaxFloat"
    return base.unary_call(ctx, s.step, s.op, header, struct, function, s.fields)

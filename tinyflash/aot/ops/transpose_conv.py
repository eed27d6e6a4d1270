"""TRANSPOSE_CONV (float32, int8 with per-channel filters): an analyzer and TFLM's reference arithmetic.

Its operands are (output shape, filter, input, optional bias). The padding is TFLite's for the convolution this
op transposes (from the op's output to its input), so the window arithmetic is conv.py's with the roles swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Operator
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base
from .conv import Geometry, padding


@dataclass(frozen=True)
class TransposeConvSpec(OpSpec):
    kind: str
    window: Geometry
    bias: int  # -1 without
    act: int


@analyzer("TRANSPOSE_CONV")
def analyze(ctx: Context, step: int, op: Operator) -> TransposeConvSpec:
    ins, out = base.io(ctx, step, op, 3)
    weights, inp = ins[1], ins[2]
    assert weights is not None and inp is not None
    bias = op.inputs[3] if len(op.inputs) > 3 else -1
    act = base.activation(step, op)
    kind = base.dtype(step, op, inp, "float32", "int8")
    for t in (weights, out):
        base.dtype(step, op, t, kind)
    if bias >= 0:
        base.dtype(step, op, ctx.tensor(bias), "float32" if kind == "float32" else "int32")
    if not weights.is_constant or (bias >= 0 and not ctx.tensor(bias).is_constant):
        raise fail(step, op, "the filter and bias must be constant tensors")
    for t in (inp, weights, out):
        base.rank(step, op, t, 4)
    if list(out.shape) != base.const_ints(ctx, step, op, op.inputs[0], "the output shape"):
        raise fail(step, op, f"the output shape tensor does not say {list(out.shape)}, the output's shape")
    (n, h, w, c), (oc, fh, fw, fc) = inp.shape, weights.shape
    if fc != c or oc != out.shape[3] or out.shape[0] != n or min(fh, fw, c, oc) < 1:
        raise fail(step, op, "the filter [output depth, height, width, input depth] does not match the tensors")
    o = op.options
    sh, sw, pad = int(o.get("stride_h", 1)), int(o.get("stride_w", 1)), int(o.get("padding", 0))
    if min(sh, sw) < 1 or pad not in (0, 1):
        raise fail(step, op, "strides must be positive and the padding SAME or VALID")
    (ih, ph), (iw, pw) = padding(pad, out.shape[1], fh, sh, 1), padding(pad, out.shape[2], fw, sw, 1)
    if (ih, iw) != (h, w):
        raise fail(step, op, f"an output of {list(out.shape[1:3])} takes a {ih}x{iw} input with these strides")
    if bias >= 0 and ctx.tensor(bias).elements != oc:
        raise fail(step, op, "the bias needs one value per output channel")
    if kind == "int8":
        if len(weights.quant.scales) not in (1, oc):
            raise fail(step, op, "per-channel filter scales do not match the output depth")
        if any(weights.quant.zero_points):
            raise fail(step, op, "a filter zero point other than 0 is not supported (TFLM ignores it)")
    window = Geometry(n, h, w, c, out.shape[1], out.shape[2], oc, fh, fw, sh, sw, 1, 1, ph, pw)
    return TransposeConvSpec(step, op, kind, window, bias, act)


def _scratch(s: TransposeConvSpec) -> int:
    """int8 sums: one int32 per output element."""
    g = s.window
    return 4 * g.batches * g.output_height * g.output_width * g.output_depth if s.kind == "int8" else 0


@implementation("TRANSPOSE_CONV", name="reference", scratch=_scratch, summary="TFLM's reference scatter loops")
def reference(ctx: Context, s: TransposeConvSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/transpose_conv.h")
    out = ctx.tensor(s.op.outputs[0])
    filt, inp, bias = (ctx.pointer(i, True) for i in (s.op.inputs[1], s.op.inputs[2], s.bias))
    if s.kind == "float32":
        ctx.params("TransposeConvFloatParams", name, {"window": s.window.as_dict()} | base.float_range(s.act))
        return [f"TransposeConvFloat({name}, {inp}, {filt}, {bias}, {ctx.pointer(s.op.outputs[0])});"]
    i, f = ctx.tensor(s.op.inputs[2]).quant, ctx.tensor(s.op.inputs[1]).quant
    ms = quant.conv_multipliers(i.scale, f.scales, out.quant.scale, out.shape[3])
    fields = {"window": s.window.as_dict(), "input_offset": -i.zero_point, "output_offset": out.quant.zero_point}
    ctx.params(
        "TransposeConvInt8Params",
        name,
        fields | base.activation_bounds(s.act, out) | base.multiplier_arrays(ctx, s.step, ms),
    )
    scratch = f"ArenaAt<int32_t>({ctx.scratch_name(s.step)})"
    return [f"TransposeConvInt8({name}, {inp}, {filt}, {bias}, {scratch}, {ctx.pointer(s.op.outputs[0])});"]

"""CONV_2D and DEPTHWISE_CONV_2D: analysis (window arithmetic as TFLite computes it) and the reference
implementations. The optimized ones are in ``conv_dsp.py``."""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base


@dataclass(frozen=True)
class Geometry:
    """A sliding window over NHWC tensors; field names are those of the C ``Window`` struct."""

    batches: int
    input_height: int
    input_width: int
    input_depth: int
    output_height: int
    output_width: int
    output_depth: int
    filter_height: int
    filter_width: int
    stride_height: int
    stride_width: int
    dilation_height: int
    dilation_width: int
    pad_height: int
    pad_width: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ConvSpec(OpSpec):
    kind: str
    depthwise: bool
    input: int
    weights: int
    bias: int
    output: int
    window: Geometry
    #: CONV_2D: input channels per group (the filter's depth); DEPTHWISE_CONV_2D: the depth multiplier.
    extra: int
    act: int
    #: int8 weights with every zero point 0 (what TFLite's converter produces); the optimized kernels need it.
    symmetric: bool = False
    accumulator: str = "int32_t"  #: the bias type: int64_t for most 16x8 models


def padding(mode: int, in_size: int, filter_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, leading padding) as TFLite computes them: SAME = 0, VALID = 1."""
    effective = (filter_size - 1) * dilation + 1
    out = (in_size + stride - 1) // stride if mode == 0 else (in_size - effective + stride) // stride
    total = (out - 1) * stride + effective - in_size
    return out, max(total // 2, 0)


def window(step: int, op: Operator, inp: Tensor, out: Tensor, fh: int, fw: int) -> Geometry:
    base.rank(step, op, inp, 4)
    base.rank(step, op, out, 4)
    o = op.options
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    dh, dw = int(o.get("dilation_hfactor", 1) or 1), int(o.get("dilation_wfactor", 1) or 1)
    pad = int(o.get("padding", 0))
    if min(sh, sw, dh, dw, fh, fw) < 1 or pad not in (0, 1) or min(*inp.shape, *out.shape) < 1:
        raise fail(step, op, "strides, dilations, filter and tensor sizes must be positive")
    oh, ph = padding(pad, inp.shape[1], fh, sh, dh)
    ow, pw = padding(pad, inp.shape[2], fw, sw, dw)
    if (oh, ow) != tuple(out.shape[1:3]) or inp.shape[0] != out.shape[0]:
        raise fail(step, op, f"output shape {out.shape} does not match the window arithmetic ({oh}x{ow})")
    n, h, w, c = inp.shape
    return Geometry(n, h, w, c, oh, ow, out.shape[3], fh, fw, sh, sw, dh, dw, ph, pw)


@analyzer("CONV_2D", "DEPTHWISE_CONV_2D")
def analyze(ctx: Context, step: int, op: Operator) -> ConvSpec:
    w = base.weighted(ctx, step, op)
    inp, weights, bias, out, kind, act = w.input, w.weights, w.bias, w.output, w.kind, w.activation
    base.rank(step, op, weights, 4)
    if min(weights.shape) < 1:
        raise fail(step, op, "the filter has an empty dimension")
    geometry = window(step, op, inp, out, weights.shape[1], weights.shape[2])
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    if depthwise:
        if weights.shape[0] != 1 or weights.shape[3] != out.shape[3] or out.shape[3] % inp.shape[3]:
            raise fail(step, op, "filter depth must equal output depth, a multiple of input depth")
        extra = out.shape[3] // inp.shape[3]
    else:
        if (
            inp.shape[3] % weights.shape[3]
            or weights.shape[0] != out.shape[3]
            or out.shape[3] % (inp.shape[3] // weights.shape[3])
        ):
            raise fail(step, op, "filter shape does not match input/output depth")
        extra = weights.shape[3]
    if bias >= 0 and ctx.tensor(bias).elements != out.shape[3]:
        raise fail(step, op, "the bias needs one value per output channel")
    if depthwise and kind == "int16" and w.accumulator != "int64_t":
        raise fail(step, op, "a 16x8 DEPTHWISE_CONV_2D needs an int64 bias (as TFLM's kernel reads it)")
    if kind != "float32" and len(weights.quant.scales) not in (1, out.shape[3]):
        raise fail(step, op, "per-channel filter scales do not match the output depth")
    symmetric = kind == "int8" and all(z == 0 for z in weights.quant.zero_points)
    return ConvSpec(
        step, op, kind, depthwise, op.inputs[0], op.inputs[1], bias, op.outputs[0], geometry, extra, act, symmetric,
        w.accumulator,
    )  # fmt: skip


def requantization(ctx: Context, s: ConvSpec) -> list[quant.Multiplier]:
    inp, weights, out = ctx.tensor(s.input), ctx.tensor(s.weights), ctx.tensor(s.output)
    return quant.conv_multipliers(inp.quant.scale, weights.quant.scales, out.quant.scale, out.shape[3])


def tensors(ctx: Context, s: ConvSpec) -> str:
    return (
        f"{ctx.pointer(s.input, True)}, {ctx.pointer(s.weights, True)}, {ctx.pointer(s.bias, True)}, "
        f"{ctx.pointer(s.output)}"
    )


@implementation("CONV_2D", "DEPTHWISE_CONV_2D", name="reference", summary="TFLM's reference loops")
def reference(ctx: Context, s: ConvSpec) -> list[str]:
    name = base.op_name(s.step)
    kernel = "DepthwiseConv" if s.depthwise else "Conv"
    header = "depthwise_conv" if s.depthwise else "conv"
    extra = {"depth_multiplier" if s.depthwise else "filter_depth": s.extra}
    fields: dict[str, object] = {"window": s.window.as_dict(), **extra}
    if s.kind == "float32":
        ctx.use(f"reference/{header}_float.h")
        ctx.params(f"{kernel}FloatParams", name, fields | base.float_range(s.act))
        return [f"{kernel}Float({name}, {tensors(ctx, s)});"]
    inp, out = ctx.tensor(s.input), ctx.tensor(s.output)
    ctx.use(f"reference/{header}_int8.h")
    fields |= {"input_offset": -inp.quant.zero_point, "output_offset": out.quant.zero_point}
    ms = requantization(ctx, s)
    base.accumulator_multipliers(s.step, s.op, s.accumulator, ms)
    fields |= base.activation_bounds(s.act, out) | base.multiplier_arrays(ctx, s.step, ms)
    ctx.params(f"{kernel}Int8Params", name, fields)
    if s.kind == "int16":
        return [f"{kernel}Quantized<int16_t, {s.accumulator}, int16_t>({name}, {tensors(ctx, s)});"]
    return [f"{kernel}Int8({name}, {tensors(ctx, s)});"]

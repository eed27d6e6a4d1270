"""Optimized int8 implementations of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED for cores with the
Armv7E-M DSP extension (kernels in ``aot/kernels/dsp/``).

What they know at build time and the reference kernels compute at run time: the input offset times
each channel's weight sum, folded into the bias; weights re-laid out (and, for small filters, widened
to int16) in the order the inner loop reads them; every shape as a template constant; and whether the
requantization may take the short path (``dsp/requantize.h``), decided per op from bounds on the
accumulator that hold for every possible int8 input.
"""

from __future__ import annotations

import numpy as np

from ..context import Context
from ..library import Ref
from ..registry import implementation
from . import base
from .conv import ConvSpec, requantization
from .fully_connected import FullyConnectedSpec

#: Code of one instantiation of an optimized kernel template (measured 250-450 B at -O2 on the M4).
TEMPLATE_CODE_BYTES = 500
QUANT_WORDS = 4  # bias, multiplier, shift, nudge: kChannelQuantWords in dsp/requantize.h
#: Largest int16 weight array (elements) the im2col kernel widens at build time: 32 KB of flash.
MAX_WIDENED_WEIGHTS = 16 * 1024
#: Largest filter the depthwise kernel keeps in registers.
MAX_DEPTHWISE_TAPS = 25


def wrap32(v):
    """int32 wrap-around (an int or a numpy array), as the reference kernels' int32 sums."""
    return (v + 2**31) % 2**32 - 2**31


def round_to_words(n: int) -> int:
    """n rounded up to whole words of 4 int8 values."""
    return -(-n // 4) * 4


def constant_values(ctx: Context, index: int, dtype: type) -> np.ndarray:
    """A constant tensor's values as int64, in its shape (build-time arithmetic cannot overflow)."""
    t = ctx.tensor(index)
    return np.frombuffer(t.data or b"", dtype=dtype).reshape(t.shape).astype(np.int64)


def accumulator_bounds(weights: np.ndarray, bias: np.ndarray, input_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel of ``weights`` [channels][taps]: the bias with the input offset folded in (``bias +
    input_offset * sum(weights)``, int64), and the largest |accumulator| (it plus sum(w * x)) over int8 inputs."""
    w = weights.astype(np.int64)
    folded = bias.astype(np.int64) + input_offset * w.sum(axis=1)
    return folded, np.abs(folded) + np.maximum(127 * w, -128 * w).sum(axis=1)


def channel_quant(
    weights: np.ndarray, bias: np.ndarray, input_offset: int, ms: list, output_offset: int
) -> tuple[list[int], bool]:
    """Per channel {bias', multiplier, shift, nudge} for ``weights`` [channels][taps], and whether every
    channel may take the fast requantization path (see dsp/requantize.h for what it needs)."""
    folded, bounds = accumulator_bounds(weights, bias, input_offset)
    words: list[int] = []
    fast = True
    for c, m in enumerate(ms):
        b = int(folded[c])
        bound = int(bounds[c])
        e = -m.shift
        ok = b == wrap32(b) and bound < 2**30 and e >= 1
        if ok:
            nudge = (1 << (e - 1)) + output_offset * (1 << e)
            largest = (bound * m.value >> 31) + 1
            ok = abs(nudge) < 2**31 and largest + abs(nudge) + 1 < 2**31
        fast = fast and ok
        words.append(wrap32(b))
    out = []
    for c, m in enumerate(ms):
        e = -m.shift
        if fast:
            out += [words[c], m.value, e, (1 << (e - 1)) + output_offset * (1 << e)]
        else:
            out += [words[c], m.value, m.shift, 0]
    return out, fast


def _bias(ctx: Context, index: int, channels: int) -> np.ndarray:
    if index < 0:
        return np.zeros(channels, dtype=np.int64)
    return np.frombuffer(ctx.tensor(index).data or b"", dtype=np.int32).astype(np.int64)


def _weights(ctx: Context, index: int) -> np.ndarray:
    t = ctx.tensor(index)
    return np.frombuffer(t.data or b"", dtype=np.int8).reshape(t.shape)


def _output_quant(ctx: Context, act: int, output: int, fast: bool) -> dict[str, object]:
    out = ctx.tensor(output)
    return {"fast": fast, "output_offset": out.quant.zero_point} | base.activation_bounds(act, out)


def _quant_array(ctx: Context, step: int, values: list[int]) -> Ref:
    return ctx.array("int32_t", f"{base.op_name(step)}Quant", values, QUANT_WORDS * 2, align=True)


# ---------------------------------------------------------------------------------------------------
# 1x1 convolution and fully connected: one matrix product


def matmul_layout(w: np.ndarray) -> np.ndarray:
    """[channels][depth] -> channel pairs interleaved per 4 depth values; an odd last channel alone."""
    channels = w.shape[0]
    parts = []
    for c in range(0, channels - 1, 2):
        parts.append(np.stack([w[c].reshape(-1, 4), w[c + 1].reshape(-1, 4)], axis=1).reshape(-1))
    if channels % 2:
        parts.append(w[-1])
    return np.concatenate(parts)


def _matmul(ctx: Context, step: int, rows: int, w: np.ndarray, bias: int, inp: int, out: int, act: int, ms) -> list:
    name = base.op_name(step)
    channels, depth = w.shape
    zp_in = ctx.tensor(inp).quant.zero_point
    values, fast = channel_quant(w, _bias(ctx, bias, channels), -zp_in, ms, ctx.tensor(out).quant.zero_point)
    ctx.use("dsp/matmul_int8.h")
    fields = {
        "rows": rows,
        "depth": depth,
        "channels": channels,
        "output": _output_quant(ctx, act, out, fast),
        "weights": ctx.array("int8_t", f"{name}Weights", matmul_layout(w), 16, align=True),
        "quant": _quant_array(ctx, step, values),
    }
    ctx.params("MatMulInt8Params", name, fields)
    scratch = f"ArenaAt<uint32_t>({ctx.scratch_name(step)})" if rows > 1 else "nullptr"
    return [f"MatMulInt8Dsp<{name}>({ctx.pointer(inp, True)}, {scratch}, {ctx.pointer(out)});"]


def _is_1x1(s: ConvSpec) -> bool:
    g = s.window
    return (
        s.kind == "int8"
        and s.symmetric
        and not s.depthwise
        and (g.filter_height, g.filter_width, g.stride_height, g.stride_width) == (1, 1, 1, 1)
        and s.extra == g.input_depth
        and g.input_depth % 4 == 0
    )


@implementation(
    "CONV_2D",
    name="conv_1x1_dsp",
    priority=30,
    requires=("dsp",),
    code_bytes=TEMPLATE_CODE_BYTES,
    applies=_is_1x1,
    scratch=lambda s: (
        4 * s.window.input_depth if s.window.batches * s.window.output_height * s.window.output_width > 1 else 0
    ),
    summary="1x1 convolution as a matrix product: 2 pixels x 2 channels per pass, SMLAD",
)
def conv_1x1(ctx: Context, s: ConvSpec) -> list[str]:
    g = s.window
    w = _weights(ctx, s.weights).reshape(g.output_depth, g.input_depth)
    rows = g.batches * g.output_height * g.output_width
    return _matmul(ctx, s.step, rows, w, s.bias, s.input, s.output, s.act, requantization(ctx, s))


def _fc_applies(s: FullyConnectedSpec) -> bool:
    return s.kind == "int8" and s.symmetric and s.depth % 4 == 0


@implementation(
    "FULLY_CONNECTED",
    name="fully_connected_dsp",
    priority=20,
    requires=("dsp",),
    code_bytes=TEMPLATE_CODE_BYTES,
    applies=_fc_applies,
    scratch=lambda s: 4 * s.depth if s.batches > 1 else 0,
    summary="a matrix product: 2 batches x 2 units per pass, SMLAD",
)
def fully_connected(ctx: Context, s: FullyConnectedSpec) -> list[str]:
    from .. import quant

    inp, weights, out = ctx.tensor(s.input), ctx.tensor(s.weights), ctx.tensor(s.output)
    ms = quant.fully_connected_multipliers(inp.quant.scale, weights.quant.scales, out.quant.scale)
    ms = ms * s.units if len(ms) == 1 else ms
    w = _weights(ctx, s.weights)
    return _matmul(ctx, s.step, s.batches, w, s.bias, s.input, s.output, s.act, ms)


# ---------------------------------------------------------------------------------------------------
# small convolutions (and depthwise of one input channel): im2col


def _im2col_matrix(ctx: Context, s: ConvSpec) -> np.ndarray:
    """The filter as [output channels][window values in column order (row, column, input channel)]."""
    w = _weights(ctx, s.weights)
    if s.depthwise:  # [1][h][w][out] with one input channel: out channel m reads the single input channel
        return w.reshape(-1, w.shape[3]).T.copy()
    return w.reshape(w.shape[0], -1)


def _column(s: ConvSpec) -> int:
    g = s.window
    return round_to_words(g.filter_height * g.filter_width * g.input_depth)


def _im2col_applies(s: ConvSpec) -> bool:
    g = s.window
    if s.kind != "int8" or not s.symmetric:
        return False
    if s.depthwise and g.input_depth != 1:
        return False
    if not s.depthwise and s.extra != g.input_depth:
        return False
    return _column(s) * round_to_words(g.output_depth) <= MAX_WIDENED_WEIGHTS


def _im2col_layout(w: np.ndarray, column: int) -> np.ndarray:
    """[channels][taps] -> uint32 [channels/4][column/4][4 channels][(w0, w2), (w1, w3)]: SMLAD operands,
    int16 pairs (low halfword first) in the order SXTB16 splits a column word into."""
    channels = w.shape[0]
    padded = np.zeros((round_to_words(channels), column), dtype=np.int16)
    padded[:channels, : w.shape[1]] = w
    chunks = padded.reshape(-1, 4, column // 4, 4)[..., [0, 2, 1, 3]]  # [group][channel][chunk][4]
    halves = chunks.transpose(0, 2, 1, 3).reshape(-1, 2).astype(np.int64) & 0xFFFF
    return halves[:, 0] | (halves[:, 1] << 16)


@implementation(
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    name="conv_im2col_dsp",
    priority=20,
    requires=("dsp",),
    code_bytes=TEMPLATE_CODE_BYTES,
    applies=_im2col_applies,
    scratch=_column,
    summary="im2col column per pixel, int16 weights widened at build time, 4 channels per pass, SMLAD",
)
def conv_im2col(ctx: Context, s: ConvSpec) -> list[str]:
    name = base.op_name(s.step)
    g = s.window
    w = _im2col_matrix(ctx, s)
    column = _column(s)
    zp_in = ctx.tensor(s.input).quant.zero_point
    ms = requantization(ctx, s)
    values, fast = channel_quant(
        w, _bias(ctx, s.bias, g.output_depth), -zp_in, ms, ctx.tensor(s.output).quant.zero_point
    )
    values += [0, 0, 0, 0] * (round_to_words(g.output_depth) - g.output_depth)
    ctx.use("dsp/conv_int8.h")
    fields = {
        "window": g.as_dict(),
        "column": column,
        "input_zero_point": zp_in,
        "output": _output_quant(ctx, s.act, s.output, fast),
        "weights": ctx.array("uint32_t", f"{name}Weights", _im2col_layout(w, column), 8, align=True),
        "quant": _quant_array(ctx, s.step, values),
    }
    ctx.params("ConvInt8DspParams", name, fields)
    scratch = f"ArenaAt<int8_t>({ctx.scratch_name(s.step)})"
    return [f"ConvInt8Dsp<{name}>({ctx.pointer(s.input, True)}, {scratch}, {ctx.pointer(s.output)});"]


# ---------------------------------------------------------------------------------------------------
# depthwise, depth multiplier 1


def _depthwise_applies(s: ConvSpec) -> bool:
    g = s.window
    taps = g.filter_height * g.filter_width
    return s.kind == "int8" and s.symmetric and s.depthwise and s.extra == 1 and taps <= MAX_DEPTHWISE_TAPS


def _band_width(s: ConvSpec) -> int:
    g = s.window
    return (g.output_width - 1) * g.stride_width + (g.filter_width - 1) * g.dilation_width + 1


def _band_bytes(s: ConvSpec) -> int:
    return s.window.filter_height * _band_width(s) * s.window.input_depth


@implementation(
    "DEPTHWISE_CONV_2D",
    name="depthwise_dsp",
    priority=10,
    requires=("dsp",),
    code_bytes=TEMPLATE_CODE_BYTES,
    applies=_depthwise_applies,
    scratch=_band_bytes,
    summary="a padded band of input rows per output row; taps in registers, constant offsets, unrolled",
)
def depthwise(ctx: Context, s: ConvSpec) -> list[str]:
    name = base.op_name(s.step)
    g = s.window
    w = _weights(ctx, s.weights).reshape(-1, g.output_depth).T.copy()  # [channel][taps]
    zp_in = ctx.tensor(s.input).quant.zero_point
    ms = requantization(ctx, s)
    values, fast = channel_quant(
        w, _bias(ctx, s.bias, g.output_depth), -zp_in, ms, ctx.tensor(s.output).quant.zero_point
    )
    ctx.use("dsp/depthwise_conv_int8.h")
    fields = {
        "window": g.as_dict(),
        "band_width": _band_width(s),
        "input_zero_point": zp_in,
        "output": _output_quant(ctx, s.act, s.output, fast),
        "weights": ctx.array("int8_t", f"{name}Weights", w.reshape(-1), 16, align=True),
        "quant": _quant_array(ctx, s.step, values),
    }
    ctx.params("DepthwiseConvInt8DspParams", name, fields)
    scratch = f"ArenaAt<int8_t>({ctx.scratch_name(s.step)})"
    return [f"DepthwiseConvInt8Dsp<{name}>({ctx.pointer(s.input, True)}, {scratch}, {ctx.pointer(s.output)});"]

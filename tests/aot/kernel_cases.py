"""Randomized single-op models aimed at each optimized (DSP) implementation: random shapes, strides,
dilations and padding; random input/output zero points over the whole int8 range; scales that give
tiny, ordinary and >1 multipliers (left shifts); biases up to what keeps int32 accumulators from
overflowing (so some ops must take the exact requantization path); every fused activation.

Each case names the implementation the DSP target must choose for it, so a test can never end up
comparing the reference kernel with itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cases import lstm_model
from modelbuilder import NONE, RELU, RELU6, RELU_N1_TO_1, SAME, VALID, GraphBuilder, options

from tinyflash.model import ModelInfo

ACTIVATIONS = (NONE, RELU, RELU6, RELU_N1_TO_1)


@dataclass(frozen=True)
class KernelCase:
    name: str
    implementation: str
    model: ModelInfo


def _scales(rng: np.random.Generator, channels: int) -> np.ndarray | float:
    if rng.random() < 0.3:
        return float(10 ** rng.uniform(-3.5, -1))
    return 10 ** rng.uniform(-3.5, -1, channels)


def _quantized_weights(g: GraphBuilder, shape: tuple, scales, axis: int) -> int:
    rng = g.rng
    data = rng.integers(-127, 128, size=shape).astype(np.int8)
    if rng.random() < 0.15:  # saturation edge: every weight at an extreme
        data = np.where(rng.random(shape) < 0.5, -127, 127).astype(np.int8)
    return g.tensor(shape, "int8", scales, 0, data, axis)


def _bias(g: GraphBuilder, channels: int, scales, in_scale: float, taps: int) -> int:
    """int32 biases: ordinary ones, or (sometimes) as large as int32 accumulation allows."""
    rng = g.rng
    room = 2**31 - 1 - 128 * 128 * taps
    if rng.random() < 0.25:
        data = rng.integers(-room, room, size=channels)
    else:
        data = rng.integers(-(2 ** int(rng.integers(4, 20))), 2 ** int(rng.integers(4, 20)), size=channels)
    return g.tensor((channels,), "int32", in_scale * np.asarray(scales), 0, data.astype(np.int32))


def _quant(rng: np.random.Generator) -> tuple[float, int, float, int]:
    in_scale = float(10 ** rng.uniform(-2.5, -0.5))
    out_scale = float(10 ** rng.uniform(-4, 0.5)) if rng.random() < 0.3 else float(10 ** rng.uniform(-2.5, -0.5))
    return in_scale, int(rng.integers(-128, 128)), out_scale, int(rng.integers(-128, 128))


def _output_size(padding: int, size: int, k: int, stride: int, dilation: int) -> int:
    if padding == SAME:
        return -(-size // stride)
    return (size - ((k - 1) * dilation + 1) + stride) // stride


def _conv(seed: int, *, depthwise: bool, in_shape, out_c: int, k, stride, dilation) -> ModelInfo:
    g = GraphBuilder(np.random.default_rng(seed))
    rng = g.rng
    n, h, w, c = in_shape
    in_scale, in_zp, out_scale, out_zp = _quant(rng)
    padding = SAME if rng.random() < 0.6 else VALID
    if (
        min(_output_size(VALID, h, k[0], stride[0], dilation[0]), _output_size(VALID, w, k[1], stride[1], dilation[1]))
        < 1
    ):
        padding = SAME
    oh = _output_size(padding, h, k[0], stride[0], dilation[0])
    ow = _output_size(padding, w, k[1], stride[1], dilation[1])
    x = g.input(in_shape, "int8", in_scale, in_zp)
    scales = _scales(rng, out_c)
    fshape = (1, k[0], k[1], out_c) if depthwise else (out_c, k[0], k[1], c)
    wt = _quantized_weights(g, fshape, scales, 3 if depthwise else 0)
    taps = k[0] * k[1] * (1 if depthwise else c)
    # TFLM's depthwise kernel needs its bias (the runtime crashes without one).
    b = _bias(g, out_c, scales, in_scale, taps) if depthwise or rng.random() < 0.9 else -1
    y = g.tensor((n, oh, ow, out_c), "int8", out_scale, out_zp)
    fields = dict(
        padding=padding,
        stride_w=stride[1],
        stride_h=stride[0],
        dilation_w_factor=dilation[1],
        dilation_h_factor=dilation[0],
        fused_activation_function=int(rng.choice(ACTIVATIONS)),
    )
    if depthwise:
        opts = options("DepthwiseConv2DOptions", depth_multiplier=out_c // c, **fields)
        g.op("DEPTHWISE_CONV_2D", [x, wt, b], [y], opts)
    else:
        g.op("CONV_2D", [x, wt, b], [y], options("Conv2DOptions", **fields))
    return g.model([y])


def _fc(seed: int, batches: int, depth: int, units: int) -> ModelInfo:
    g = GraphBuilder(np.random.default_rng(seed))
    rng = g.rng
    in_scale, in_zp, out_scale, out_zp = _quant(rng)
    x = g.input((batches, depth), "int8", in_scale, in_zp)
    scales = _scales(rng, units)
    w = _quantized_weights(g, (units, depth), scales, 0)
    b = _bias(g, units, scales, in_scale, depth) if rng.random() < 0.9 else -1
    y = g.tensor((batches, units), "int8", out_scale, out_zp)
    act = int(rng.choice(ACTIVATIONS))
    g.op("FULLY_CONNECTED", [x, w, b], [y], options("FullyConnectedOptions", fused_activation_function=act))
    return g.model([y])


def _svdf(
    seed: int, batches: int, input_size: int, units: int, rank: int, memory: int, large_output_multiplier: bool
) -> ModelInfo:
    """int8 SVDF with an int16 state: any input size (the kernel pads it to words), odd and even memory; feature and
    output multipliers tiny, ordinary or above 1; time weights over the whole int16 range or all at its extremes;
    the state zero point sometimes not 0 (the kernel folds it into the bias)."""
    g = GraphBuilder(np.random.default_rng(seed))
    rng = g.rng
    filters = units * rank
    in_scale, in_zp, _, out_zp = _quant(rng)
    # Scales from the typical size of each sum: state values ~10^1.5..10^5 (sometimes saturating int16; or
    # 10^8..10^10, a feature multiplier so large that only TFLM's general requantization is exact), outputs
    # ~10^0.5..10^2.5 (sometimes saturating int8).
    feature_scale = float(10 ** rng.uniform(-3, -1))
    typical_feature = np.sqrt(input_size) * 80 * 100
    typical_state = float(10 ** rng.uniform(1.5, 5) if rng.random() < 0.75 else 10 ** rng.uniform(8, 10))
    state_scale = in_scale * feature_scale * typical_feature / typical_state
    time_scale = float(10 ** rng.uniform(-6, -3))
    typical_total = np.sqrt(memory * rank) * 18000 * min(typical_state, 20000)
    out_scale = state_scale * time_scale * typical_total / float(10 ** rng.uniform(0.5, 2.5))
    if large_output_multiplier:  # 1 or more: a left shift, which only TFLM's general requantization takes
        out_scale = state_scale * time_scale * float(10 ** rng.uniform(-1, 0))
    x = g.input((batches, input_size), "int8", in_scale, in_zp)
    wf = _quantized_weights(g, (filters, input_size), feature_scale, 0)
    time = rng.integers(-32768, 32768, (filters, memory))
    if rng.random() < 0.2:
        time = np.where(rng.random((filters, memory)) < 0.5, -32768, 32767)
    wt = g.tensor((filters, memory), "int16", time_scale, 0, time.astype(np.int16))
    span = int(typical_total) // 100 if rng.random() < 0.8 else 2**31 - 1
    bias = g.tensor((units,), "int32", state_scale * time_scale, 0, rng.integers(-span, span, units).astype(np.int32))
    state_zp = 0 if rng.random() < 0.6 else int(rng.integers(-300, 300))
    state = g.state((batches, memory * filters), "int16", state_scale, state_zp)
    y = g.tensor((batches, units), "int8", out_scale, out_zp)
    g.op("SVDF", [x, wf, wt, bias, state], [y], options("SVDFOptions", rank=rank, fused_activation_function=NONE))
    return g.model([y])


def _lstm(seed: int) -> ModelInfo:
    """int8 LSTM: 1-3 batches, 1-5 steps, input sizes and units odd and even (the kernel pads both to words and units
    to pairs), time or batch major, a cell clip that bites or none, cell scales not always a power of two; the hidden
    state's zero point is not 0 (the kernel folds it into a bias); every third case has biases over the whole int32
    range, which saturate the gates and take TFLM's general requantization."""
    rng = np.random.default_rng(seed)
    batches, steps, input_size, units = (int(rng.integers(1, n)) for n in (4, 6, 14, 12))
    return lstm_model(GraphBuilder(rng), batches, steps, input_size, units, "int8", time_major=bool(rng.integers(2)),
                      cell_clip=float(rng.choice([0.0, 0.4, 1.5])),
                      cell_scale=float(2.0 ** rng.integers(-13, -9) * rng.choice([1.0, 1.3])),
                      bias_range=2**31 - 1 if seed % 3 == 1 else 0)  # fmt: skip


def kernel_cases(count: int = 8) -> list[KernelCase]:
    """``count`` random cases per optimized implementation (seeded: the same cases on every run)."""
    cases = []
    for i in range(count):
        rng = np.random.default_rng(1000 + i)
        # 1x1 convolution: odd and even pixel and channel counts, batches.
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6)), 4 * int(rng.integers(1, 9)))
        m = _conv(i, depthwise=False, in_shape=shape, out_c=int(rng.integers(1, 12)), k=(1, 1), stride=(1, 1),
                  dilation=(1, 1))  # fmt: skip
        cases.append(KernelCase(f"conv_1x1_{i}", "conv_1x1_dsp", m))
        # Small convolutions through im2col: any filter, stride, dilation, a few input channels.
        k = (int(rng.integers(1, 6)), int(rng.integers(1, 9)))
        shape = (1, int(rng.integers(k[0], 12)), int(rng.integers(k[1], 14)), int(rng.integers(1, 4)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        dilation = (1, 1) if rng.random() < 0.7 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        if k == (1, 1):
            k = (3, 1)
        m = _conv(100 + i, depthwise=False, in_shape=shape, out_c=int(rng.integers(1, 10)), k=k, stride=stride,
                  dilation=dilation)  # fmt: skip
        cases.append(KernelCase(f"conv_im2col_{i}", "conv_im2col_dsp", m))
        # Depthwise of one input channel (a depth multiplier): the im2col kernel too.
        m = _conv(200 + i, depthwise=True, in_shape=(1, int(rng.integers(3, 12)), int(rng.integers(3, 12)), 1),
                  out_c=int(rng.integers(2, 9)), k=(3, 3), stride=stride, dilation=(1, 1))  # fmt: skip
        cases.append(KernelCase(f"depthwise_multiplier_{i}", "conv_im2col_dsp", m))
        # Depthwise, multiplier 1: 3x3 mostly, other sizes, strides, dilations.
        k = (3, 3) if rng.random() < 0.6 else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        c = int(rng.integers(1, 20))
        shape = (int(rng.integers(1, 3)), int(rng.integers(k[0] + 1, 12)), int(rng.integers(k[1] + 1, 12)), c)
        m = _conv(300 + i, depthwise=True, in_shape=shape, out_c=c, k=k, stride=stride, dilation=dilation)
        cases.append(KernelCase(f"depthwise_{i}", "depthwise_dsp", m))
        # Fully connected: 1-3 batches (one row needs no scratch), odd and even units.
        m = _fc(400 + i, int(rng.integers(1, 4)), 4 * int(rng.integers(1, 40)), int(rng.integers(1, 12)))
        cases.append(KernelCase(f"fully_connected_{i}", "fully_connected_dsp", m))
        # SVDF, int16 state: 1-3 batches, ranks 1-3, memory 1-12, input sizes not only multiples of 4.
        m = _svdf(500 + i, int(rng.integers(1, 4)), int(rng.integers(1, 50)), int(rng.integers(1, 9)),
                  int(rng.integers(1, 4)), int(rng.integers(1, 13)), i % 3 == 1)  # fmt: skip
        cases.append(KernelCase(f"svdf_{i}", "svdf_dsp", m))
        cases.append(KernelCase(f"lstm_{i}", "lstm_dsp", _lstm(600 + i)))
    return cases


def extreme_inputs(model: ModelInfo, rng: np.random.Generator, later: int = 0) -> list[list[np.ndarray]]:
    """Random inputs plus the saturation edges: every input at -128, every input at 127; then ``later`` more random
    runs, which a stateful op's saturated state values move through."""
    runs = []
    for fill in (None, -128, 127) + (None,) * later:
        run = []
        for t in model.inputs:
            if fill is None:
                run.append(rng.integers(-128, 128, size=t.shape).astype(np.int8))
            else:
                run.append(np.full(t.shape, fill, dtype=np.int8))
        runs.append(run)
    return runs

"""Single-op models covering each supported op's variants (shapes, strides, padding, dilation,
activations, per-tensor/per-channel quantization, broadcasting). Each case is seeded."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from modelbuilder import NONE, RELU, RELU6, RELU_N1_TO_1, SAME, VALID, GraphBuilder, options

from tinyflash.model import ModelInfo

CASES: dict[str, Callable[[GraphBuilder], ModelInfo]] = {}


def case(name: str):
    def register(fn):
        CASES[name] = fn
        return fn

    return register


def _conv_like(
    g: GraphBuilder,
    *,
    depthwise: bool,
    dtype: str,
    in_shape,
    out_c: int,
    k: tuple[int, int],
    stride=(1, 1),
    dilation=(1, 1),
    padding=SAME,
    act=NONE,
    per_channel=True,
    bias: bool | str = True,
) -> ModelInfo:
    n, h, w, c = in_shape
    in_scale, in_zp, out_scale, out_zp = (0.0005, 0, 0.002, 0) if dtype == "int16" else (0.05, -3, 0.08, 5)
    x = g.input(in_shape) if dtype == "float32" else g.input(in_shape, dtype, in_scale, in_zp)
    eff = [(k[i] - 1) * dilation[i] + 1 for i in range(2)]
    if padding == SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh, ow = (h - eff[0] + stride[0]) // stride[0], (w - eff[1] + stride[1]) // stride[1]
    fshape = (1, k[0], k[1], out_c) if depthwise else (out_c, k[0], k[1], c)
    axis = 3 if depthwise else 0
    if dtype == "float32":
        wt = g.weights(fshape)
        b = g.weights((out_c,)) if bias else -1
        y = g.tensor((n, oh, ow, out_c))
    else:
        ws = g.rng.uniform(0.002, 0.02, out_c) if per_channel else 0.01
        wt = g.weights(fshape, "int8", ws, axis)
        if dtype == "int16":
            b = bias16(g, out_c, in_scale * np.asarray(ws), bias) if bias else -1
        else:
            b = g.weights((out_c,), "int32", in_scale * np.asarray(ws)) if bias else -1
        y = g.tensor((n, oh, ow, out_c), dtype, out_scale, out_zp)
    fields = dict(
        padding=padding,
        stride_w=stride[1],
        stride_h=stride[0],
        dilation_w_factor=dilation[1],
        dilation_h_factor=dilation[0],
        fused_activation_function=act,
    )
    if depthwise:
        g.op(
            "DEPTHWISE_CONV_2D",
            [x, wt, b],
            [y],
            options("DepthwiseConv2DOptions", depth_multiplier=out_c // c, **fields),
        )
    else:
        g.op("CONV_2D", [x, wt, b], [y], options("Conv2DOptions", **fields))
    return g.model([y])


_CONV = {
    "conv_f32_same": dict(depthwise=False, dtype="float32", in_shape=(1, 7, 6, 3), out_c=4, k=(3, 3), act=RELU),
    "conv_f32_valid_s2_d2": dict(
        depthwise=False,
        dtype="float32",
        in_shape=(2, 9, 8, 2),
        out_c=3,
        k=(3, 2),
        stride=(2, 1),
        dilation=(2, 2),
        padding=VALID,
    ),
    "conv_i8_pc_same_s2_relu6": dict(
        depthwise=False, dtype="int8", in_shape=(1, 9, 7, 5), out_c=6, k=(3, 3), stride=(2, 2), act=RELU6
    ),
    "conv_i8_pt_valid_d2_relu": dict(
        depthwise=False,
        dtype="int8",
        in_shape=(1, 8, 8, 4),
        out_c=3,
        k=(2, 3),
        dilation=(2, 1),
        padding=VALID,
        act=RELU,
        per_channel=False,
    ),
    "conv_i8_1x1_nobias_n1to1": dict(
        depthwise=False, dtype="int8", in_shape=(1, 4, 4, 8), out_c=5, k=(1, 1), act=RELU_N1_TO_1, bias=False
    ),
    "dw_i8_pc_same_s1": dict(depthwise=True, dtype="int8", in_shape=(1, 6, 5, 4), out_c=4, k=(3, 3), act=RELU6),
    "dw_i8_dm8_valid_s2": dict(
        depthwise=True, dtype="int8", in_shape=(1, 11, 10, 1), out_c=8, k=(4, 3), stride=(2, 2), padding=VALID, act=RELU
    ),
    "dw_i8_pt_dm2_d2": dict(
        depthwise=True, dtype="int8", in_shape=(1, 9, 9, 3), out_c=6, k=(3, 3), dilation=(2, 2), per_channel=False
    ),
    # 16x8: int16 activations, int8 weights, an int64 bias (or int32, which TFLM's CONV_2D takes too).
    "conv_i16_pc_same_s2_relu": dict(
        depthwise=False, dtype="int16", in_shape=(1, 7, 6, 3), out_c=4, k=(3, 3), stride=(2, 2), act=RELU, bias="int64"
    ),
    "conv_i16_pt_valid_bias32": dict(
        depthwise=False, dtype="int16", in_shape=(1, 6, 6, 2), out_c=3, k=(2, 2), per_channel=False, bias="int32"
    ),
    "dw_i16_dm2_same_relu6": dict(
        depthwise=True, dtype="int16", in_shape=(1, 6, 5, 2), out_c=4, k=(3, 3), act=RELU6, bias="int64"
    ),
    "dw_i16_d2": dict(
        depthwise=True, dtype="int16", in_shape=(1, 7, 7, 3), out_c=3, k=(3, 3), dilation=(2, 2), bias="int64"
    ),
    "conv_i16_1x1_nobias": dict(depthwise=False, dtype="int16", in_shape=(1, 4, 4, 5), out_c=3, k=(1, 1), bias=""),
    "dw_f32_dm2_same_s2": dict(
        depthwise=True, dtype="float32", in_shape=(1, 7, 7, 2), out_c=4, k=(3, 3), stride=(2, 2)
    ),
}
for _name, _kw in _CONV.items():
    CASES[_name] = lambda g, kw=_kw: _conv_like(g, **kw)


def _fc(g: GraphBuilder, dtype: str, batches: int, depth: int, units: int, act: int, per_channel: bool, bias=True):
    if dtype == "float32":
        x = g.input((batches, depth))
        w = g.weights((units, depth))
        b = g.weights((units,)) if bias else -1
        y = g.tensor((batches, units))
    else:
        x = g.input((batches, depth), "int8", 0.04, 7)
        ws = g.rng.uniform(0.002, 0.02, units) if per_channel else 0.012
        w = g.weights((units, depth), "int8", ws, 0)
        b = g.weights((units,), "int32", 0.04 * np.asarray(ws)) if bias else -1
        y = g.tensor((batches, units), "int8", 0.1, -10)
    g.op("FULLY_CONNECTED", [x, w, b], [y], options("FullyConnectedOptions", fused_activation_function=act))
    return g.model([y])


CASES["fc_f32_relu"] = lambda g: _fc(g, "float32", 1, 10, 6, RELU, False)
CASES["fc_f32_batch_nobias"] = lambda g: _fc(g, "float32", 3, 5, 4, NONE, False, bias=False)
CASES["fc_i8_pt_relu6"] = lambda g: _fc(g, "int8", 2, 12, 5, RELU6, False)
CASES["fc_i8_pc"] = lambda g: _fc(g, "int8", 1, 16, 7, NONE, True)
CASES["fc_i8_pt_n1to1_nobias"] = lambda g: _fc(g, "int8", 1, 9, 3, RELU_N1_TO_1, False, bias=False)


def bias16(g: GraphBuilder, n: int, scales, dtype: str = "int64") -> int:
    """A 16x8 op's bias (int64, or int32 where TFLM takes it) spanning about +-4 in real terms."""
    scales = np.broadcast_to(np.asarray(scales, dtype=np.float64), (n,))
    values = (g.rng.uniform(-4, 4, n) / scales).astype(np.int64)
    return g.tensor((n,), dtype, scales, 0, values.astype(np.int64 if dtype == "int64" else np.int32))


def fc16(g: GraphBuilder, batches: int, depth: int, units: int, act: int, per_channel: bool, bias: str = "int64"):
    """FULLY_CONNECTED 16x8: int16 input and output (zero point 0), int8 weights, an int64 or int32 bias or none
    (``bias`` "": the accumulator then follows the option quantized_bias_type, here int32)."""
    x = g.input((batches, depth), "int16", 0.0005, 0)
    ws = g.rng.uniform(0.002, 0.02, units) if per_channel else 0.012
    w = g.weights((units, depth), "int8", ws, 0)
    b = bias16(g, units, 0.0005 * np.asarray(ws), bias) if bias else -1
    y = g.tensor((batches, units), "int16", 0.003, 0)
    opts = dict(fused_activation_function=act) | ({} if bias else dict(quantized_bias_type=2))
    g.op("FULLY_CONNECTED", [x, w, b], [y], options("FullyConnectedOptions", **opts))
    return g.model([y])


CASES["fc_i16_pt_relu"] = lambda g: fc16(g, 2, 12, 5, RELU, False)
CASES["fc_i16_pc_bias32"] = lambda g: fc16(g, 1, 16, 7, NONE, True, "int32")
CASES["fc_i16_pt_nobias_n1to1"] = lambda g: fc16(g, 3, 9, 4, RELU_N1_TO_1, False, "")


def _pool(g: GraphBuilder, opcode: str, dtype: str, in_shape, k, stride, padding, act=NONE):
    n, h, w, c = in_shape
    if padding == SAME:
        oh, ow = -(-h // stride[0]), -(-w // stride[1])
    else:
        oh, ow = (h - k[0] + stride[0]) // stride[0], (w - k[1] + stride[1]) // stride[1]
    quant = {"int8": ("int8", 0.07, -4), "int16": ("int16", 0.0003, 0)}.get(dtype, ("float32", None, 0))
    x = g.input(in_shape, *quant)
    y = g.tensor((n, oh, ow, c), *quant)
    opts = options(
        "Pool2DOptions",
        padding=padding,
        stride_w=stride[1],
        stride_h=stride[0],
        filter_width=k[1],
        filter_height=k[0],
        fused_activation_function=act,
    )
    g.op(opcode, [x], [y], opts)
    return g.model([y])


CASES["avgpool_i8_same_3x3_s2"] = lambda g: _pool(g, "AVERAGE_POOL_2D", "int8", (1, 7, 6, 5), (3, 3), (2, 2), SAME)
CASES["avgpool_i8_valid_2x2_relu"] = lambda g: _pool(
    g, "AVERAGE_POOL_2D", "int8", (2, 6, 6, 3), (2, 2), (2, 2), VALID, RELU
)
CASES["avgpool_f32_same"] = lambda g: _pool(g, "AVERAGE_POOL_2D", "float32", (1, 5, 5, 2), (3, 2), (1, 2), SAME, RELU6)
CASES["maxpool_i8_same_relu"] = lambda g: _pool(g, "MAX_POOL_2D", "int8", (1, 7, 7, 4), (3, 3), (2, 2), SAME, RELU)
CASES["maxpool_f32_valid"] = lambda g: _pool(g, "MAX_POOL_2D", "float32", (1, 6, 5, 3), (2, 2), (2, 1), VALID)
CASES["avgpool_i16_same_relu6"] = lambda g: _pool(
    g, "AVERAGE_POOL_2D", "int16", (1, 7, 6, 3), (3, 3), (2, 2), SAME, RELU6
)
CASES["maxpool_i16_valid_relu"] = lambda g: _pool(g, "MAX_POOL_2D", "int16", (2, 6, 5, 2), (2, 2), (2, 1), VALID, RELU)


def _unary(g: GraphBuilder, opcode: str, shape, in_q, out_q, opts=None):
    x = g.input(shape, *in_q)
    y = g.tensor(shape, *out_q)
    g.op(opcode, [x], [y], opts)
    return g.model([y])


F32 = ("float32", None, 0)
I32 = ("int32", None, 0)
CASES["softmax_i8"] = lambda g: _unary(
    g, "SOFTMAX", (3, 10), ("int8", 0.1, 3), ("int8", 1 / 256, -128), options("SoftmaxOptions", beta=1.0)
)
CASES["softmax_i8_small_scale_beta"] = lambda g: _unary(
    g, "SOFTMAX", (2, 1, 7), ("int8", 0.02, -20), ("int8", 1 / 256, -128), options("SoftmaxOptions", beta=0.7)
)
CASES["softmax_i8_large_scale"] = lambda g: _unary(
    g, "SOFTMAX", (1, 5), ("int8", 0.5, 0), ("int8", 1 / 256, -128), options("SoftmaxOptions", beta=1.0)
)
CASES["softmax_f32"] = lambda g: _unary(g, "SOFTMAX", (2, 6), F32, F32, options("SoftmaxOptions", beta=1.5))
CASES["relu_f32"] = lambda g: _unary(g, "RELU", (2, 3, 4), F32, F32)
CASES["relu6_f32"] = lambda g: _unary(g, "RELU6", (4, 5), F32, F32)
CASES["relu_i8_requant"] = lambda g: _unary(g, "RELU", (3, 7), ("int8", 0.05, 10), ("int8", 0.03, -20))
CASES["relu6_i8"] = lambda g: _unary(g, "RELU6", (3, 7), ("int8", 0.05, -30), ("int8", 0.05, -30))
CASES["logistic_i8"] = lambda g: _unary(g, "LOGISTIC", (4, 32), ("int8", 0.08, 4), ("int8", 1 / 256, -128))
CASES["logistic_i8_fine"] = lambda g: _unary(g, "LOGISTIC", (64,), ("int8", 0.01, -50), ("int8", 1 / 256, -128))
CASES["logistic_f32"] = lambda g: _unary(g, "LOGISTIC", (5, 8), F32, F32)
CASES["tanh_i8"] = lambda g: _unary(g, "TANH", (4, 32), ("int8", 0.05, 0), ("int8", 1 / 128, 0))
CASES["tanh_i8_coarse"] = lambda g: _unary(g, "TANH", (64,), ("int8", 0.3, 17), ("int8", 1 / 128, 0))
CASES["tanh_f32"] = lambda g: _unary(g, "TANH", (5, 8), F32, F32)
# int16: TFLM's power-of-two scales (2^-12; TANH also 2^-11) and a general one; output scale 1/32768 as TFLM requires.
CASES["logistic_i16_pot"] = lambda g: _unary(g, "LOGISTIC", (4, 32), ("int16", 2.0**-12, 0), ("int16", 2.0**-15, 0))
CASES["logistic_i16"] = lambda g: _unary(g, "LOGISTIC", (64,), ("int16", 0.00031, 0), ("int16", 2.0**-15, 0))
CASES["tanh_i16_pot"] = lambda g: _unary(g, "TANH", (4, 32), ("int16", 2.0**-11, 0), ("int16", 2.0**-15, 0))
CASES["tanh_i16"] = lambda g: _unary(g, "TANH", (64,), ("int16", 0.00017, 0), ("int16", 2.0**-15, 0))
CASES["quantize_f32_i8"] = lambda g: _unary(g, "QUANTIZE", (3, 9), F32, ("int8", 0.02, 6))
CASES["requantize_i8_i8"] = lambda g: _unary(g, "QUANTIZE", (3, 9), ("int8", 0.05, 3), ("int8", 0.02, -7))
CASES["dequantize_i8_f32"] = lambda g: _unary(g, "DEQUANTIZE", (2, 2, 8), ("int8", 0.037, -5), F32)
# int16 ("16x8" models, keyword_scrambled): QUANTIZE between every pair of types TFLM takes, DEQUANTIZE, SOFTMAX's
# int8 -> int16 form (keyword_scrambled's last two ops).
CASES["quantize_f32_i16"] = lambda g: _unary(g, "QUANTIZE", (3, 9), F32, ("int16", 0.0001, 0))
CASES["quantize_i16_i8"] = lambda g: _unary(g, "QUANTIZE", (2, 48), ("int16", 0.000625, 0), ("int8", 0.0592, -128))
CASES["quantize_i8_i16"] = lambda g: _unary(g, "QUANTIZE", (3, 9), ("int8", 0.05, 3), ("int16", 0.0004, 0))
CASES["requantize_i16_i16"] = lambda g: _unary(g, "QUANTIZE", (4, 9), ("int16", 0.001, 0), ("int16", 0.0007, 12))
CASES["quantize_i16_i32"] = lambda g: _unary(
    g, "QUANTIZE", (2, 5), ("int16", 1 / 65536, -32768), ("int32", 1 / 32768, 0)
)
CASES["quantize_i8_i32"] = lambda g: _unary(g, "QUANTIZE", (3, 7), ("int8", 0.05, 3), ("int32", 0.001, -5))
CASES["quantize_i32_i8"] = lambda g: _unary(g, "QUANTIZE", (3, 7), ("int32", 1e-9, 0), ("int8", 0.02, 4))
CASES["quantize_i32_i16"] = lambda g: _unary(g, "QUANTIZE", (3, 7), ("int32", 1e-9, 7), ("int16", 1e-4, 0))
CASES["dequantize_i16_f32"] = lambda g: _unary(g, "DEQUANTIZE", (2, 2, 8), ("int16", 0.00037, -5), F32)
CASES["softmax_i8_i16"] = lambda g: _unary(
    g, "SOFTMAX", (3, 10), ("int8", 0.1, 3), ("int16", 1 / 65536, -32768), options("SoftmaxOptions", beta=1.0)
)
CASES["softmax_i16"] = lambda g: _unary(
    g, "SOFTMAX", (3, 10), ("int16", 0.0005, 0), ("int16", 1 / 32768, 0), options("SoftmaxOptions", beta=1.0)
)
CASES["softmax_i16_beta_fine"] = lambda g: _unary(
    g, "SOFTMAX", (2, 1, 7), ("int16", 0.0001, 0), ("int16", 1 / 32768, 0), options("SoftmaxOptions", beta=0.7)
)
CASES["softmax_i16_coarse"] = lambda g: _unary(
    g, "SOFTMAX", (4, 5), ("int16", 0.01, 0), ("int16", 1 / 32768, 0), options("SoftmaxOptions", beta=1.0)
)
CASES["softmax_i8_i16_two_classes"] = lambda g: _unary(
    g, "SOFTMAX", (4, 2), ("int8", 0.07, 2), ("int16", 1 / 65536, -32768), options("SoftmaxOptions", beta=1.0)
)


def _softmax_i16_twice(g: GraphBuilder) -> ModelInfo:
    """Two int16 SOFTMAX ops: they share one copy of the exp and 1/(1+x) tables."""
    x = g.input((2, 6), "int16", 0.0005, 0)
    y, z = g.tensor((2, 6), "int16", 1 / 32768, 0), g.tensor((2, 6), "int16", 1 / 32768, 0)
    g.op("SOFTMAX", [x], [y], options("SoftmaxOptions", beta=1.0))
    g.op("SOFTMAX", [y], [z], options("SoftmaxOptions", beta=2.0))
    return g.model([z])


CASES["softmax_i16_twice"] = _softmax_i16_twice


for _op in ("ABS", "NEG", "SQRT", "RSQRT", "EXP", "LOG", "HARD_SWISH"):
    CASES[f"{_op.lower()}_f32"] = lambda g, op=_op: _unary(g, op, (3, 11), F32, F32)
CASES["leaky_relu_f32"] = lambda g: _unary(g, "LEAKY_RELU", (4, 9), F32, F32, options("LeakyReluOptions", alpha=0.2))
CASES["leaky_relu_f32_negative_alpha"] = lambda g: _unary(
    g, "LEAKY_RELU", (2, 3, 5), F32, F32, options("LeakyReluOptions", alpha=-1.5)
)
CASES["abs_i8_rescale"] = lambda g: _unary(g, "ABS", (4, 16), ("int8", 0.05, -7), ("int8", 0.03, -100))
CASES["abs_i8_same_scale"] = lambda g: _unary(g, "ABS", (64,), ("int8", 0.05, 20), ("int8", 0.05, -128))
CASES["leaky_relu_i8"] = lambda g: _unary(
    g, "LEAKY_RELU", (4, 16), ("int8", 0.05, 3), ("int8", 0.04, -20), options("LeakyReluOptions", alpha=0.1)
)
CASES["rsqrt_i8"] = lambda g: _unary(g, "RSQRT", (4, 16), ("int8", 0.01, -128), ("int8", 0.05, -100))
CASES["hard_swish_i8"] = lambda g: _unary(g, "HARD_SWISH", (4, 16), ("int8", 0.05, -10), ("int8", 0.03, -90))


def binary_model(g: GraphBuilder, opcode: str, a_shape, b_shape, out_shape, qa, qb, qo, act=NONE):
    a = g.input(a_shape, *qa)
    b = g.input(b_shape, *qb)
    y = g.tensor(out_shape, *qo)
    kind = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}.get(opcode)
    g.op(opcode, [a, b], [y], options(kind, fused_activation_function=act) if kind else None)
    return g.model([y])


CASES["add_f32_relu"] = lambda g: binary_model(g, "ADD", (2, 5), (2, 5), (2, 5), F32, F32, F32, RELU)
CASES["add_f32_broadcast"] = lambda g: binary_model(g, "ADD", (1, 4, 4, 3), (1, 1, 1, 3), (1, 4, 4, 3), F32, F32, F32)
CASES["add_i8"] = lambda g: binary_model(
    g, "ADD", (3, 8), (3, 8), (3, 8), ("int8", 0.05, 3), ("int8", 0.11, -9), ("int8", 0.12, 2)
)
CASES["add_i8_broadcast_relu6"] = lambda g: binary_model(
    g, "ADD", (2, 1, 3), (1, 4, 3), (2, 4, 3), ("int8", 0.05, 3), ("int8", 0.02, -9), ("int8", 0.06, -1), RELU6
)
CASES["mul_f32_broadcast"] = lambda g: binary_model(g, "MUL", (2, 3, 1), (3, 4), (2, 3, 4), F32, F32, F32, RELU_N1_TO_1)
CASES["mul_i8"] = lambda g: binary_model(
    g, "MUL", (4, 6), (4, 6), (4, 6), ("int8", 0.05, 3), ("int8", 0.04, -9), ("int8", 0.07, 1)
)
CASES["mul_i8_broadcast_relu"] = lambda g: binary_model(
    g, "MUL", (1, 3, 3, 2), (2,), (1, 3, 3, 2), ("int8", 0.05, 3), ("int8", 0.04, 0), ("int8", 0.03, -5), RELU
)


CASES["sub_f32_broadcast_relu"] = lambda g: binary_model(g, "SUB", (2, 3, 4), (3, 1), (2, 3, 4), F32, F32, F32, RELU)
CASES["sub_i8_relu6"] = lambda g: binary_model(
    g, "SUB", (3, 8), (3, 8), (3, 8), ("int8", 0.05, 3), ("int8", 0.11, -9), ("int8", 0.12, 2), RELU6
)
CASES["sub_i8_broadcast"] = lambda g: binary_model(
    g, "SUB", (1, 4, 3), (2, 1, 3), (2, 4, 3), ("int8", 0.07, -5), ("int8", 0.03, 8), ("int8", 0.09, 1)
)
# int16 (zero points 0): ADD and SUB shift by 15 bits; MUL as int8.
CASES["add_i16_broadcast_relu"] = lambda g: binary_model(
    g, "ADD", (2, 3, 4), (3, 1), (2, 3, 4), ("int16", 0.0003, 0), ("int16", 0.0007, 0), ("int16", 0.0009, 0), RELU
)
CASES["sub_i16"] = lambda g: binary_model(
    g, "SUB", (3, 8), (3, 8), (3, 8), ("int16", 0.0005, 0), ("int16", 0.0002, 0), ("int16", 0.0006, 0)
)
CASES["mul_i16_broadcast_relu6"] = lambda g: binary_model(
    g, "MUL", (1, 4, 4, 3), (1, 1, 1, 3), (1, 4, 4, 3), ("int16", 0.0004, 0), ("int16", 0.0002, 0),
    ("int16", 0.0002, 0), RELU6,
)  # fmt: skip
CASES["div_f32_broadcast_relu6"] = lambda g: binary_model(g, "DIV", (2, 3, 4), (3, 1), (2, 3, 4), F32, F32, F32, RELU6)
CASES["div_f32"] = lambda g: binary_model(g, "DIV", (4, 5), (4, 5), (4, 5), F32, F32, F32)
CASES["div_i32_broadcast"] = lambda g: binary_model(g, "DIV", (3, 4), (4,), (3, 4), I32, I32, I32)
CASES["add_i32_broadcast_relu_ignored"] = lambda g: binary_model(g, "ADD", (2, 3), (3,), (2, 3), I32, I32, I32, RELU)
CASES["sub_i32_relu6"] = lambda g: binary_model(g, "SUB", (4, 5), (4, 5), (4, 5), I32, I32, I32, RELU6)
CASES["mul_i32_broadcast"] = lambda g: binary_model(g, "MUL", (3, 1, 4), (2, 4), (3, 2, 4), I32, I32, I32)
CASES["maximum_f32_broadcast"] = lambda g: binary_model(g, "MAXIMUM", (2, 1, 5), (3, 1), (2, 3, 5), F32, F32, F32)
CASES["minimum_f32"] = lambda g: binary_model(g, "MINIMUM", (4, 6), (4, 6), (4, 6), F32, F32, F32)
CASES["maximum_i8"] = lambda g: binary_model(
    g, "MAXIMUM", (4, 6), (4, 6), (4, 6), ("int8", 0.05, 3), ("int8", 0.05, 3), ("int8", 0.05, 3)
)
CASES["minimum_i8_broadcast"] = lambda g: binary_model(
    g, "MINIMUM", (1, 3, 3, 2), (2,), (1, 3, 3, 2), ("int8", 0.1, -2), ("int8", 0.1, -2), ("int8", 0.1, -2)
)
CASES["maximum_i16_broadcast"] = lambda g: binary_model(
    g, "MAXIMUM", (3, 1, 4), (2, 4), (3, 2, 4), ("int16", 0.01, 0), ("int16", 0.01, 0), ("int16", 0.01, 0)
)
CASES["minimum_i32"] = lambda g: binary_model(g, "MINIMUM", (5, 3), (5, 3), (5, 3), I32, I32, I32)
CASES["squared_difference_f32_broadcast"] = lambda g: binary_model(
    g, "SQUARED_DIFFERENCE", (2, 3, 1), (3, 4), (2, 3, 4), F32, F32, F32
)
CASES["squared_difference_i8"] = lambda g: binary_model(
    g, "SQUARED_DIFFERENCE", (3, 8), (3, 8), (3, 8), ("int8", 0.05, 3), ("int8", 0.08, -9), ("int8", 0.3, -128)
)
CASES["squared_difference_i8_broadcast"] = lambda g: binary_model(
    g, "SQUARED_DIFFERENCE", (2, 1, 4), (3, 4), (2, 3, 4), ("int8", 0.02, 0), ("int8", 0.03, 5), ("int8", 0.05, -100)
)


def _prelu(g: GraphBuilder, shape, alpha_shape, q, alpha_q, out_q, constant_alpha: bool):
    """PRELU as Keras exports it (a constant alpha per channel) or with alpha given at run time."""
    x = g.input(shape, *q)
    if constant_alpha:
        dtype, scale = alpha_q[0], alpha_q[1]
        alpha = g.weights(alpha_shape, dtype, scale)
    else:
        alpha = g.input(alpha_shape, *alpha_q)
    y = g.tensor(shape, *out_q)
    g.op("PRELU", [x, alpha], [y])
    return g.model([y])


CASES["prelu_f32_channel_alpha"] = lambda g: _prelu(g, (1, 4, 4, 3), (1, 1, 3), F32, F32, F32, True)
CASES["prelu_f32_same_shape"] = lambda g: _prelu(g, (3, 5), (3, 5), F32, F32, F32, False)
CASES["prelu_i8_channel_alpha"] = lambda g: _prelu(
    g, (1, 3, 4, 5), (1, 1, 5), ("int8", 0.05, 4), ("int8", 0.004, 0), ("int8", 0.03, -9), True
)
CASES["prelu_i8_broadcast_runtime_alpha"] = lambda g: _prelu(
    g, (2, 3, 4), (3, 1), ("int8", 0.07, -20), ("int8", 0.01, 10), ("int8", 0.06, 30), False
)


def _divide_by_constant(g: GraphBuilder):
    """int8 DIV by a per-channel constant whose zero point -128 keeps every divisor (weights -127..127) nonzero."""
    x = g.input((2, 3, 6), "int8", 0.05, 3)
    d = g.tensor((6,), "int8", 0.02, -128, data=g.rng.integers(-127, 128, 6).astype(np.int8))
    y = g.tensor((2, 3, 6), "int8", 0.04, -5)
    g.op("DIV", [x, d], [y], options("DivOptions", fused_activation_function=RELU))
    return g.model([y])


CASES["div_i8_constant_divisor"] = _divide_by_constant


def _mean(g: GraphBuilder, dtype: str, shape, axes, keep: bool, in_q=None, out_q=None, opcode="MEAN"):
    x = g.input(shape, *(in_q or F32))
    axis = g.const(axes)
    rank = len(shape)
    resolved = {a % rank for a in axes}
    out_shape = tuple(1 if i in resolved else d for i, d in enumerate(shape) if keep or i not in resolved)
    y = g.tensor(out_shape, *(out_q or F32))
    g.op(opcode, [x, axis], [y], options("ReducerOptions", keep_dims=keep))
    return g.model([y])


CASES["mean_f32_hw_keep"] = lambda g: _mean(g, "float32", (1, 5, 6, 3), [1, 2], True)
CASES["mean_f32_last"] = lambda g: _mean(g, "float32", (3, 4, 7), [-1], False)
CASES["mean_i8_hw"] = lambda g: _mean(g, "int8", (1, 4, 5, 6), [1, 2], True, ("int8", 0.05, -3), ("int8", 0.02, 4))
CASES["mean_i8_axes02"] = lambda g: _mean(g, "int8", (3, 4, 5), [0, 2], False, ("int8", 0.05, 7), ("int8", 0.05, 7))
CASES["sum_f32_axes02_keep"] = lambda g: _mean(g, "float32", (3, 4, 5), [0, -1], True, opcode="SUM")
CASES["sum_i8_hw"] = lambda g: _mean(
    g, "int8", (1, 4, 5, 6), [1, 2], False, ("int8", 0.05, -3), ("int8", 0.4, 4), opcode="SUM"
)
CASES["sum_i8_last_keep"] = lambda g: _mean(
    g, "int8", (6, 7), [1], True, ("int8", 0.02, 10), ("int8", 0.03, -6), opcode="SUM"
)
CASES["mean_i16_hw_keep"] = lambda g: _mean(
    g, "int16", (1, 4, 5, 6), [1, 2], True, ("int16", 0.001, 0), ("int16", 0.0002, 0)
)
CASES["sum_i16_last"] = lambda g: _mean(
    g, "int16", (6, 7), [1], False, ("int16", 0.0005, 0), ("int16", 0.002, 0), opcode="SUM"
)
CASES["reduce_max_f32_axis1"] = lambda g: _mean(g, "float32", (2, 6, 3), [1], False, opcode="REDUCE_MAX")
CASES["reduce_max_i8_axes01_keep"] = lambda g: _mean(
    g, "int8", (3, 4, 2, 5), [0, 1], True, ("int8", 0.05, 7), ("int8", 0.05, 7), opcode="REDUCE_MAX"
)


def _arg_max(g: GraphBuilder, shape, axis: int, q):
    x = g.input(shape, *q)
    out_shape = tuple(d for i, d in enumerate(shape) if i != axis % len(shape))
    y = g.tensor(out_shape, "int32")
    g.op("ARG_MAX", [x, g.const([axis])], [y], options("ArgMaxOptions", output_type=2))
    return g.model([y])


CASES["l2_normalization_f32"] = lambda g: _unary(
    g, "L2_NORMALIZATION", (2, 3, 8), F32, F32, options("L2NormOptions", fused_activation_function=NONE)
)
CASES["l2_normalization_i8"] = lambda g: _unary(
    g, "L2_NORMALIZATION", (5, 12), ("int8", 0.05, -4), ("int8", 1 / 128, 0), options("L2NormOptions")
)
CASES["log_softmax_f32"] = lambda g: _unary(g, "LOG_SOFTMAX", (3, 10), F32, F32, options("LogSoftmaxOptions"))
CASES["log_softmax_f32_4d"] = lambda g: _unary(g, "LOG_SOFTMAX", (1, 2, 3, 5), F32, F32, options("LogSoftmaxOptions"))
CASES["log_softmax_i8"] = lambda g: _unary(
    g, "LOG_SOFTMAX", (4, 10), ("int8", 0.1, 3), ("int8", 16 / 256, 127), options("LogSoftmaxOptions")
)
CASES["log_softmax_i8_fine"] = lambda g: _unary(
    g, "LOG_SOFTMAX", (2, 1, 33), ("int8", 0.02, -20), ("int8", 16 / 256, 127), options("LogSoftmaxOptions")
)
CASES["arg_max_f32_last"] = lambda g: _arg_max(g, (4, 3, 7), -1, F32)
CASES["arg_max_i8_axis1"] = lambda g: _arg_max(g, (2, 9, 4), 1, ("int8", 0.1, 3))


def _pad(g: GraphBuilder, shape, pads, q):
    x = g.input(shape, *q)
    p = g.const(pads)
    out = tuple(d + a + b for d, (a, b) in zip(shape, pads, strict=True))
    y = g.tensor(out, *q)
    g.op("PAD", [x, p], [y], options("PadOptions"))
    return g.model([y])


CASES["pad_f32_4d"] = lambda g: _pad(g, (1, 3, 4, 2), [[0, 0], [1, 2], [2, 0], [0, 1]], F32)
CASES["pad_i8_3d"] = lambda g: _pad(g, (2, 3, 4), [[1, 0], [0, 2], [1, 1]], ("int8", 0.1, -7))
CASES["pad_i16_2d"] = lambda g: _pad(g, (3, 5), [[1, 2], [0, 3]], ("int16", 0.001, 0))


def concat_model(g: GraphBuilder, shapes, axis, q):
    xs = [g.input(s, *q) for s in shapes]
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    y = g.tensor(tuple(out), *q)
    g.op("CONCATENATION", xs, [y], options("ConcatenationOptions", axis=axis))
    return g.model([y])


CASES["concat_f32_last"] = lambda g: concat_model(g, [(2, 3, 2), (2, 3, 1), (2, 3, 4)], -1, F32)
CASES["concat_i8_axis1"] = lambda g: concat_model(g, [(1, 2, 3, 2), (1, 3, 3, 2)], 1, ("int8", 0.1, 3))
CASES["concat_i16_axis0"] = lambda g: concat_model(g, [(2, 3), (1, 3)], 0, ("int16", 0.01, 0))
CASES["concat_i32_last"] = lambda g: concat_model(g, [(2, 2), (2, 3)], -1, I32)


def _reshape_chain(g: GraphBuilder):
    """RESHAPE between two ops, so the plan aliases it, then a graph-output RESHAPE."""
    x = g.input((1, 24), "int8", 0.1, 2)
    shape = g.const([1, 2, 3, 4])
    r = g.tensor((1, 2, 3, 4), "int8", 0.1, 2)
    g.op("RESHAPE", [x, shape], [r], options("ReshapeOptions"))
    y = g.tensor((1, 2, 3, 4), "int8", 0.1, 2)
    g.op("RELU6", [r], [y])
    shape2 = g.const([6, 4])
    z = g.tensor((6, 4), "int8", 0.1, 2)
    g.op("RESHAPE", [y, shape2], [z], options("ReshapeOptions"))
    return g.model([z])


CASES["reshape_i8_chain"] = _reshape_chain


def build_case(name: str, seed: int = 0) -> ModelInfo:
    return CASES[name](GraphBuilder(np.random.default_rng(seed)))


def svdf_model(
    g: GraphBuilder,
    batches: int,
    input_size: int,
    units: int,
    rank: int,
    memory: int,
    state: str,
    act: int = NONE,
    *,
    bias_scale: float = 1.0,
    variable: bool = True,
    option_rank: int | None = None,
) -> ModelInfo:
    """SVDF (float32, or int8 with an int16 or int8 state and time weights, per ``state``), scales as a converter
    chooses them: the bias scale is the state scale times the time weights scale, as TFLM requires. The keywords
    break a model for the refusal tests: the bias scale multiplied, the state not a variable, another rank."""
    filters = units * rank
    if state == "float32":
        x, out_q, st_q = g.input((batches, input_size)), F32, F32
        wf, wt = g.weights((filters, input_size)), g.weights((filters, memory))
        bias = g.weights((units,))
    else:
        st_scale, wt_scale, out_scale = (0.001, 1e-5, 0.04) if state == "int16" else (0.03, 0.01, 0.15)
        x, out_q = g.input((batches, input_size), "int8", 0.02, -3), ("int8", out_scale, 6)
        st_q = (state, st_scale, 0 if state == "int16" else 4)
        wf = g.weights((filters, input_size), "int8", 0.01)
        limit = 2**15 - 1 if state == "int16" else 127
        time = g.rng.integers(-limit, limit + 1, (filters, memory)).astype(np.int16 if state == "int16" else np.int8)
        wt = g.tensor((filters, memory), state, wt_scale, 0, time)
        span = int(20 * out_scale / (st_scale * wt_scale))
        values = g.rng.integers(-span, span, units).astype(np.int32)
        bias = g.tensor((units,), "int32", st_scale * wt_scale * bias_scale, 0, values)
    s = (g.state if variable else g.tensor)((batches, memory * filters), *st_q)
    y = g.tensor((batches, units), *out_q)
    opts = options("SVDFOptions", rank=option_rank or rank, fused_activation_function=act)
    g.op("SVDF", [x, wf, wt, bias, s], [y], opts)
    return g.model([y])


CASES["svdf_f32_rank2_relu"] = lambda g: svdf_model(g, 2, 5, 3, 2, 4, "float32", RELU)
CASES["svdf_f32_rank1"] = lambda g: svdf_model(g, 1, 7, 4, 1, 3, "float32")
CASES["svdf_i8_state16"] = lambda g: svdf_model(g, 2, 8, 3, 2, 4, "int16")
CASES["svdf_i8_state8"] = lambda g: svdf_model(g, 1, 6, 5, 1, 3, "int8")


def _svdf_layer(g: GraphBuilder, x: int, input_size: int, units: int, memory: int, out_q) -> int:
    """An int8 SVDF (rank 1) with an int16 state and time weights, as keyword_scrambled's, scales as a converter
    sets them (bias scale = state scale x time weights scale)."""
    wf = g.weights((units, input_size), "int8", 0.02)
    wt = g.tensor((units, memory), "int16", 1e-4, 0, g.rng.integers(-32767, 32768, (units, memory)).astype(np.int16))
    bias = g.tensor((units,), "int32", 0.004 * 1e-4, 0, g.rng.integers(-20000, 20000, units).astype(np.int32))
    state = g.state((1, memory * units), "int16", 0.004, 0)
    y = g.tensor((1, units), *out_q)
    g.op("SVDF", [x, wf, wt, bias, state], [y], options("SVDFOptions", rank=1, fused_activation_function=RELU))
    return y


def _fc_layer(g: GraphBuilder, x: int, depth: int, units: int, in_scale: float, out_q) -> int:
    w, b = g.weights((units, depth), "int8", 0.02), g.weights((units,), "int32", in_scale * 0.02)
    y = g.tensor((1, units), *out_q)
    g.op("FULLY_CONNECTED", [x, w, b], [y], options("FullyConnectedOptions"))
    return y


def keyword_like(g: GraphBuilder) -> ModelInfo:
    """keyword_scrambled in small: int16 features -> QUANTIZE int8 -> SVDF -> FC -> SVDF -> FC (3 classes) ->
    SOFTMAX int16 (scale 1/65536, zero point -32768) -> QUANTIZE int32."""
    features = g.input((1, 12), "int16", 0.000625, 0)
    x = g.tensor((1, 12), "int8", 0.08, 0)
    g.op("QUANTIZE", [features], [x])
    h = _svdf_layer(g, x, 12, 8, 4, ("int8", 0.05, -128))
    h = _fc_layer(g, h, 8, 6, 0.05, ("int8", 0.1, -3))
    h = _svdf_layer(g, h, 6, 5, 3, ("int8", 0.05, -128))
    logits = _fc_layer(g, h, 5, 3, 0.05, ("int8", 0.2, 2))
    probs = g.tensor((1, 3), "int16", 1 / 65536, -32768)
    g.op("SOFTMAX", [logits], [probs], options("SoftmaxOptions", beta=1.0))
    out = g.tensor((1, 3), "int32", 1 / 32768, 0)
    g.op("QUANTIZE", [probs], [out])
    return g.model([out])


def chain16(g: GraphBuilder) -> ModelInfo:
    """A 16x8 chain: float32 -> QUANTIZE int16 -> CONV_2D -> DEPTHWISE_CONV_2D -> RESHAPE -> FULLY_CONNECTED ->
    DEQUANTIZE, int64 biases."""
    x = g.input((1, 5, 5, 2))
    q = g.tensor((1, 5, 5, 2), "int16", 0.0002, 0)
    g.op("QUANTIZE", [x], [q])
    ws = g.rng.uniform(0.004, 0.01, 3)
    c = g.tensor((1, 5, 5, 3), "int16", 0.0008, 0)
    conv = options("Conv2DOptions", padding=0, stride_w=1, stride_h=1, fused_activation_function=RELU)
    g.op("CONV_2D", [q, g.weights((3, 3, 3, 2), "int8", ws), bias16(g, 3, 0.0002 * ws)], [c], conv)
    d = g.tensor((1, 3, 3, 3), "int16", 0.002, 0)
    dws = g.rng.uniform(0.004, 0.01, 3)
    dw = options("DepthwiseConv2DOptions", padding=0, stride_w=2, stride_h=2, depth_multiplier=1)
    g.op("DEPTHWISE_CONV_2D", [c, g.weights((1, 3, 3, 3), "int8", dws, 3), bias16(g, 3, 0.0008 * dws)], [d], dw)
    flat = g.tensor((1, 27), "int16", 0.002, 0)
    g.op("RESHAPE", [d, g.const([1, 27])], [flat])
    y = g.tensor((1, 4), "int16", 0.004, 0)
    fc = options("FullyConnectedOptions")
    g.op("FULLY_CONNECTED", [flat, g.weights((4, 27), "int8", 0.01), bias16(g, 4, 0.002 * 0.01)], [y], fc)
    out = g.tensor((1, 4))
    g.op("DEQUANTIZE", [y], [out])
    return g.model([out])


CASES["chain_16x8_conv_dw_fc"] = chain16


#: TFLite's fused activation code for TANH, the one LSTM cell gate activation TFLM applies.
TANH = 4


def lstm_model(
    g: GraphBuilder, batches: int, steps: int, input_size: int, units: int, kind: str, *, time_major: bool = False, **kw
) -> ModelInfo:
    """One UNIDIRECTIONAL_SEQUENCE_LSTM (see :func:`lstm_layer`) on the model's input."""
    in_shape = (steps, batches, input_size) if time_major else (batches, steps, input_size)
    if kind == "float32":
        in_q = F32
    elif kind == "int8":
        in_q = ("int8", float(g.rng.uniform(0.01, 0.05)), int(g.rng.integers(-20, 20)))
    else:
        in_q = ("int16", float(g.rng.uniform(1e-4, 4e-4)), 0)
    x = g.input(in_shape, *in_q)
    return g.model([lstm_layer(g, x, in_q, in_shape, units, kind, time_major=time_major, **kw)])


def lstm_layer(
    g: GraphBuilder,
    x: int,
    in_q: tuple,
    in_shape: tuple[int, int, int],
    units: int,
    kind: str,
    *,
    time_major: bool = False,
    act: int = TANH,
    cell_clip: float = 0.0,
    cell_scale: float = 2.0**-11,
    drop: tuple[int, ...] = (),
    extra: dict[int, int] | None = None,
    variable: bool = True,
    bias_range: int = 0,
) -> int:
    """UNIDIRECTIONAL_SEQUENCE_LSTM on ``x`` (quantized as ``in_q``) as TFLM runs it, its output's index: float32,
    int8 activations with int8 weights and an int16 cell state ("int8"), or int16 activations with int8 weights and
    int64 biases ("int16"). Scales as a converter picks them: weights such that the gate sums stay within TFLM's
    Q3.12, biases at input scale x weights scale. The keywords break it for the refusal tests: ``drop`` leaves
    operands out, ``extra`` gives optional ones (peephole, projection, layer norm) a tensor, ``variable`` False makes
    the states plain tensors. ``bias_range`` (int8) draws the biases from +-bias_range instead: large ones saturate
    the gates and keep an optimized kernel off its short requantization path."""
    batches, input_size = in_shape[1 if time_major else 0], in_shape[2]
    out_shape = (*in_shape[:2], units)
    if kind == "float32":
        weights = [g.weights((units, n)) for n in [input_size] * 4 + [units] * 4]
        biases = [g.weights((units,)) for _ in range(4)]
        hidden_q, cell_q = F32, F32
    else:
        if kind == "int8":
            hidden_q = ("int8", float(g.rng.uniform(0.004, 0.01)), int(g.rng.integers(-10, 10)))
        else:
            hidden_q = ("int16", float(g.rng.uniform(2e-5, 4e-5)), 0)
        in_range = in_q[1] * (128 if kind == "int8" else 32768)
        weights, biases = [], []
        for gate in range(4):
            w_in = float(g.rng.uniform(0.5, 1.5)) * 2 / (input_size**0.5 * in_range * 127)
            w_rec = float(g.rng.uniform(0.5, 1.5)) * 2 / (units**0.5 * 127)
            weights.insert(gate, g.weights((units, input_size), "int8", w_in))
            weights.append(g.weights((units, units), "int8", w_rec))
            bias_type = "int32" if kind == "int8" else "int64"
            values = (g.rng.standard_normal(units) / (in_q[1] * w_in)).astype(bias_type)
            if bias_range:
                values = g.rng.integers(-bias_range, bias_range, units).astype(bias_type)
            biases.append(g.tensor((units,), bias_type, in_q[1] * w_in, 0, values))
        cell_q = ("int16", cell_scale, 0)
    hidden = (g.state if variable else g.tensor)((batches, units), *hidden_q)
    cell = (g.state if variable else g.tensor)((batches, units), *cell_q)
    y = g.tensor(out_shape, *hidden_q)
    operands = [x, *weights, -1, -1, -1, *biases, -1, -1, hidden, cell, -1, -1, -1, -1]
    for i, t in (extra or {}).items():
        operands[i] = t
    for i in drop:
        operands[i] = -1
    opts = options(
        "UnidirectionalSequenceLSTMOptions", fused_activation_function=act, cell_clip=cell_clip, time_major=time_major
    )
    g.op("UNIDIRECTIONAL_SEQUENCE_LSTM", operands, [y], opts)
    return y


CASES["lstm_f32"] = lambda g: lstm_model(g, 2, 3, 4, 5, "float32")
CASES["lstm_f32_time_major_clip"] = lambda g: lstm_model(g, 3, 2, 3, 4, "float32", time_major=True, cell_clip=0.6)
CASES["lstm_i8"] = lambda g: lstm_model(g, 2, 4, 5, 3, "int8")
CASES["lstm_i8_time_major_clip"] = lambda g: lstm_model(g, 2, 3, 6, 4, "int8", time_major=True, cell_clip=0.5)
CASES["lstm_i16"] = lambda g: lstm_model(g, 1, 4, 3, 6, "int16")
CASES["lstm_i16_time_major"] = lambda g: lstm_model(g, 3, 2, 4, 2, "int16", time_major=True, cell_scale=2.0**-12)

"""int16 activations: the cases TFLM refuses or the generator does not take are refused by name. What runs is checked
elsewhere against TFLM on the host and virtual-m4: the single-op int16 cases and a 16x8 chain (cases.py, in
test_aot_ops.py), keyword_scrambled's form over 12 invocations (test_aot_svdf.py), 16x8 random graphs
(test_aot_fuzz.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from cases import bias16
from modelbuilder import GraphBuilder, options, refusal

from tinyflash.model import ModelInfo


def _fc_zero_point(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 4), "int16", 0.001, 3)
    y = g.tensor((1, 2), "int16", 0.01, 0)
    g.op("FULLY_CONNECTED", [x, g.weights((2, 4), "int8", 0.01), -1], [y], options("FullyConnectedOptions"))
    return g.model([y])


def _fc_int16_weights(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 4), "int16", 0.001, 0)
    w = g.tensor((2, 4), "int16", 0.001, 0, np.ones((2, 4), np.int16))
    y = g.tensor((1, 2), "int16", 0.01, 0)
    g.op("FULLY_CONNECTED", [x, w, -1], [y], options("FullyConnectedOptions"))
    return g.model([y])


def _fc_int16_bias(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 4), "int16", 0.001, 0)
    b = g.tensor((2,), "int16", 1e-5, 0, np.ones(2, np.int16))
    y = g.tensor((1, 2), "int16", 0.01, 0)
    g.op("FULLY_CONNECTED", [x, g.weights((2, 4), "int8", 0.01), b], [y], options("FullyConnectedOptions"))
    return g.model([y])


def _fc_large_multiplier(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 4), "int16", 1.0, 0)
    y = g.tensor((1, 2), "int16", 0.001, 0)
    g.op(
        "FULLY_CONNECTED", [x, g.weights((2, 4), "int8", 0.5), bias16(g, 2, 0.5)], [y], options("FullyConnectedOptions")
    )
    return g.model([y])


def _depthwise_bias32(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 3, 3, 2), "int16", 0.001, 0)
    w = g.weights((1, 3, 3, 2), "int8", 0.01, 3)
    y = g.tensor((1, 3, 3, 2), "int16", 0.01, 0)
    dw = options("DepthwiseConv2DOptions", padding=0, stride_w=1, stride_h=1, depth_multiplier=1)
    g.op("DEPTHWISE_CONV_2D", [x, w, bias16(g, 2, 1e-5, "int32")], [y], dw)
    return g.model([y])


def _unary(opcode: str, in_q, out_q, opts=None) -> Callable[[GraphBuilder], ModelInfo]:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input((1, 4), *in_q)
        y = g.tensor((1, 4), *out_q)
        g.op(opcode, [x], [y], opts)
        return g.model([y])

    return build


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_fc_zero_point, "int16 tensor 't0/é int16' has zero point 3 (TFLM requires 0)"),
        (_fc_int16_weights, "has type int16 (supported: int8)"),
        (_depthwise_bias32, "a 16x8 DEPTHWISE_CONV_2D needs an int64 bias"),
        (_fc_large_multiplier, "is 128 or more (TFLM's int64 rescaling cannot)"),
        (_fc_int16_bias, "has type int16 (supported: int64, int32)"),
        (
            _unary("SOFTMAX", ("int8", 0.1, 0), ("int16", 1 / 32768, 0), options("SoftmaxOptions", beta=1.0)),
            "int16 output must have scale 1/65536 and zero point -32768",
        ),
        (
            _unary("SOFTMAX", ("int16", 0.001, 0), ("int16", 1 / 65536, 0), options("SoftmaxOptions", beta=1.0)),
            "int16 output must have scale 1/32768",
        ),
        (_unary("LOGISTIC", ("int16", 2.0**-12, 0), ("int16", 2.0**-14, 0)), "int16 output must have scale 1/32768"),
        (_unary("TANH", ("int16", 2.0**-12, 0), ("int16", 1 / 32700, 0)), "int16 output must have scale 1/32768"),
        (_unary("TANH", ("int16", 2.0**-12, 0), ("int16", 2.0**-15, 5)), "has zero point 5 (TFLM requires 0)"),
        (_unary("LOGISTIC", ("int16", 2.0**-12, -2), ("int16", 2.0**-15, 0)), "has zero point -2 (TFLM requires 0)"),
        (_unary("LOGISTIC", ("int16", 2.7, 0), ("int16", 2.0**-15, 0)), "int16 input scale 2.7 is above 32767/12288"),
        (_unary("QUANTIZE", ("float32", None, 0), ("int32", 0.01, 0)), "has type int32 (supported: int8, int16)"),
        (_unary("QUANTIZE", ("int32", None, 0), ("int8", 0.01, 0)), "is int32 without quantization parameters"),
    ],
)
def test_refused_int16_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)


def test_int16_softmax_tables_are_declared_once_per_model() -> None:
    from cases import CASES

    from tinyflash.aot import generate

    code = generate(CASES["softmax_i16_twice"](GraphBuilder(np.random.default_rng(0)))).files["model_aot.cc"]
    assert code.count("kSoftmaxInt16Exp[") == 1 and code.count("kSoftmaxInt16OneOverOnePlusX[") == 1
    assert code.count(".exp_table = kSoftmaxInt16Exp") == 2

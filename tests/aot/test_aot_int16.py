"""int16 activations: keyword_scrambled's form (an int16 input quantized to int8, SVDF + FULLY_CONNECTED layers, SOFTMAX
to int16, QUANTIZE to int32) and a 16x8 chain (int16 activations, int8 weights, int64 biases) over several
invocations on the host and on virtual-m4, bit for bit with the tflite-micro runtime; the int16 cases TFLM refuses or
the generator does not take are refused by name. The single-op int16 cases are in cases.py (test_aot_ops.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle, random_inputs
from cases import bias16
from modelbuilder import RELU, GraphBuilder, options, refusal
from qemu_support import run_models
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.model import ModelInfo

#: More invocations than the SVDFs' memory, so values enter, move through and leave the states.
RUNS = 10


def _svdf(g: GraphBuilder, x: int, input_size: int, units: int, memory: int, out_q) -> int:
    """An int8 SVDF (rank 1) with an int16 state and time weights, as keyword_scrambled's, scales as a converter
    sets them (bias scale = state scale x time weights scale)."""
    wf = g.weights((units, input_size), "int8", 0.02)
    wt = g.tensor((units, memory), "int16", 1e-4, 0, g.rng.integers(-32767, 32768, (units, memory)).astype(np.int16))
    bias = g.tensor((units,), "int32", 0.004 * 1e-4, 0, g.rng.integers(-20000, 20000, units).astype(np.int32))
    state = g.state((1, memory * units), "int16", 0.004, 0)
    y = g.tensor((1, units), *out_q)
    g.op("SVDF", [x, wf, wt, bias, state], [y], options("SVDFOptions", rank=1, fused_activation_function=RELU))
    return y


def _fc(g: GraphBuilder, x: int, depth: int, units: int, in_scale: float, out_q) -> int:
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
    h = _svdf(g, x, 12, 8, 4, ("int8", 0.05, -128))
    h = _fc(g, h, 8, 6, 0.05, ("int8", 0.1, -3))
    h = _svdf(g, h, 6, 5, 3, ("int8", 0.05, -128))
    logits = _fc(g, h, 5, 3, 0.05, ("int8", 0.06, 2))
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


BUILDS: dict[str, Callable[[GraphBuilder], ModelInfo]] = {"keyword_like": keyword_like, "chain16": chain16}
NAMES = sorted(BUILDS)


def _models() -> list[ModelInfo]:
    return [BUILDS[name](GraphBuilder(np.random.default_rng(case))) for case, name in enumerate(NAMES)]


def _inputs(models: list[ModelInfo]) -> list[list[list[np.ndarray]]]:
    return [random_inputs(m, RUNS, np.random.default_rng(200 + case), scale=0.5) for case, m in enumerate(models)]


def _assert_varied_same(ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> None:
    """``assert_same``, and the reference must change from run to run: a constant output would prove little."""
    assert_same(ours, reference)
    assert len({run[0].tobytes() for run in reference}) > RUNS // 2


@pytest.mark.integration
def test_int16_models_match_tflm_over_invocations(tmp_path: Path) -> None:
    require_tool("g++")
    models = _models()
    inputs = _inputs(models)
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        _assert_varied_same(program.run(case, inputs[case]), oracle(model, inputs[case]))


@pytest.mark.integration
def test_int16_models_match_tflm_on_virtual_m4(tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    models = _models()
    inputs = _inputs(models)
    outputs = run_models("virtual-m4", models, inputs, tmp_path)
    for model, ins, outs in zip(models, inputs, outputs, strict=True):
        assert len(outs) == RUNS
        _assert_varied_same(outs, oracle(model, ins))


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
        (_fc_int16_bias, "has type int16 (supported: int64, int32)"),
        (
            _unary("SOFTMAX", ("int8", 0.1, 0), ("int16", 1 / 32768, 0), options("SoftmaxOptions", beta=1.0)),
            "int16 output must have scale 1/65536 and zero point -32768",
        ),
        (_unary("QUANTIZE", ("float32", None, 0), ("int32", 0.01, 0)), "has type int32 (supported: int8, int16)"),
        (_unary("QUANTIZE", ("int32", None, 0), ("int8", 0.01, 0)), "is int32 without quantization parameters"),
    ],
)
def test_refused_int16_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

"""The generator never crashes on a bad model: every problem is a ModelError naming what is wrong (zero or
negative dimensions, rank-0 tensors where an op needs a shape, scales that are zero, negative, inf or NaN,
absurd sizes), never an IndexError, ZeroDivisionError or OverflowError. Mutated real models too."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelbuilder import GraphBuilder, options

from conftest import MODELS
from tinyflash.aot import GENERIC, Target, generate
from tinyflash.errors import ModelError
from tinyflash.model import parse_model

DSP = Target("dsp-test", frozenset({"dsp"}))


def _generate_or_model_error(model) -> None:
    for target in (GENERIC, DSP):
        try:
            generate(model, target=target)
        except ModelError as err:
            assert err.message and err.hint


def _fc(depth: int = 8, units: int = 3, out_shape=None, in_scale=0.1, w_scale=0.02, out_scale=0.05):
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((1, max(depth, 1)), "int8", in_scale, 0)
    w = g.tensor((units, depth), "int8", w_scale, 0, np.ones((units, max(depth, 0)), np.int8))
    y = g.tensor(out_shape if out_shape is not None else (1, units), "int8", out_scale, 0)
    g.op("FULLY_CONNECTED", [x, w, -1], [y], options("FullyConnectedOptions"))
    return g.model([y])


def _conv(in_shape=(1, 4, 4, 4), out_shape=(1, 4, 4, 4), scale=0.1):
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input(in_shape, "int8", scale, 0)
    w = g.weights((4, 1, 1, 4), "int8", 0.02, 0)
    y = g.tensor(out_shape, "int8", 0.05, 0)
    g.op("CONV_2D", [x, w, -1], [y], options("Conv2DOptions", padding=0, stride_w=1, stride_h=1))
    return g.model([y])


def _softmax(shape=(), scale=0.1):
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input(shape, "int8", scale, 0)
    y = g.tensor(shape, "int8", 1 / 256, -128)
    g.op("SOFTMAX", [x], [y], options("SoftmaxOptions", beta=1.0))
    return g.model([y])


BAD_MODELS = {
    "fully_connected_zero_depth": lambda: _fc(depth=0),
    "fully_connected_rank0_output": lambda: _fc(out_shape=()),
    "fully_connected_infinite_input_scale": lambda: _fc(in_scale=math.inf),
    "fully_connected_nan_weight_scale": lambda: _fc(w_scale=math.nan),
    "fully_connected_zero_output_scale": lambda: _fc(out_scale=0.0),
    "fully_connected_negative_output_scale": lambda: _fc(out_scale=-0.5),
    "fully_connected_huge_scale": lambda: _fc(in_scale=1e38, w_scale=1e38, out_scale=1e-38),
    "conv_absurd_shape": lambda: _conv((1, 1 << 20, 1 << 20, 4), (1, 1 << 20, 1 << 20, 4)),
    "conv_negative_dimension": lambda: _conv((1, -1, 4, 4), (1, -1, 4, 4)),
    "conv_rank0_input": lambda: _conv((), (1, 4, 4, 4)),
    "conv_tiny_scale": lambda: _conv(scale=1e-45),
    "softmax_rank0": lambda: _softmax(()),
    "softmax_zero_scale": lambda: _softmax((1, 4), 0.0),
}


@pytest.mark.parametrize("name", sorted(BAD_MODELS))
def test_bad_models_are_model_errors(name: str) -> None:
    try:
        model = BAD_MODELS[name]()
    except ModelError:  # refused as soon as it is read (tinyflash.model)
        return
    _generate_or_model_error(model)


def test_bad_models_that_cannot_work_are_refused() -> None:
    for name in ("fully_connected_zero_depth", "fully_connected_rank0_output", "fully_connected_zero_output_scale",
                 "conv_absurd_shape", "conv_negative_dimension", "softmax_zero_scale"):  # fmt: skip
        with pytest.raises(ModelError):
            generate(BAD_MODELS[name](), target=DSP)


SEEDS = [
    (MODELS / name).read_bytes()
    for name in ("hello_world_int8.tflite", "micro_speech_quantized.tflite", "hello_world_float.tflite")
    if (MODELS / name).is_file()
] or [_fc().data]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data) - 4))
        if draw(st.booleans()):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        else:
            data[pos : pos + 4] = draw(st.binary(min_size=4, max_size=4))
    return bytes(data)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(mutated())
def test_mutated_models_generate_or_fail_cleanly(data: bytes) -> None:
    try:
        model = parse_model(data)
    except ModelError:
        return
    _generate_or_model_error(model)

"""ABS, NEG, SQRT, RSQRT, EXP, LOG, LEAKY_RELU, HARD_SWISH, PRELU and DIV beyond the single-op cases of
test_aot_ops.py (which run them on the host and on virtual-m4, and PRELU and DIV over every int8 input pair): every
int8 input of the one-input ops against TFLM for random quantizations, the refused cases by name, the folding of
constant float inputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle
from cases import F32, binary_model
from modelbuilder import GraphBuilder, options, refusal
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import generate
from tinyflash.model import ModelInfo

EVERY_INT8 = [[np.arange(-128, 128, dtype=np.int8)]]


def _unary(opcode: str, in_q, out_q, shape=(256,), **opts: float) -> Callable[[GraphBuilder], ModelInfo]:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(shape, *in_q)
        y = g.tensor(shape, *out_q)
        g.op(opcode, [x], [y], options("LeakyReluOptions", **opts) if opcode == "LEAKY_RELU" else None)
        return g.model([y])

    return build


def _binary(opcode: str, shape, shape2, q, q_out=None) -> Callable[[GraphBuilder], ModelInfo]:
    return lambda g: binary_model(g, opcode, shape, shape2, shape, q, q, q_out or q)


def _quantizations(rng: np.random.Generator, n: int) -> list[tuple[tuple, tuple]]:
    """Random int8 input/output quantizations, scales from 1/1000 to 1, output coarser and finer than input."""
    result = []
    for _ in range(n):
        scales = 10 ** rng.uniform(-3, 0, 2)
        zps = rng.integers(-128, 128, 2)
        result.append((("int8", float(scales[0]), int(zps[0])), ("int8", float(scales[1]), int(zps[1]))))
    return result


@pytest.mark.integration
def test_int8_ops_match_tflm_for_every_input(tmp_path: Path) -> None:
    """ABS (same scale and rescaled), LEAKY_RELU (alpha below 1, above 1, negative) and HARD_SWISH (left and right
    shifted multipliers) over all 256 int8 inputs: the whole table the generator computes."""
    require_tool("g++")
    rng = np.random.default_rng(12)
    builds = [_unary("ABS", ("int8", 0.02, 5), ("int8", 0.02, -100))]
    for (qi, qo), alpha in zip(_quantizations(rng, 6), (0.01, 0.2, 0.3, 1.7, -0.5, -3.0), strict=True):
        builds.append(_unary("ABS", qi, qo))
        builds.append(_unary("LEAKY_RELU", qi, qo, alpha=alpha))
        if qo[1] > qi[1] / 128:
            builds.append(_unary("HARD_SWISH", qi, qo))
    builds.append(_unary("HARD_SWISH", ("int8", 0.2, -3), ("int8", 0.002, 0)))  # reluish multiplier shifts left
    builds.append(_unary("HARD_SWISH", ("int8", 0.001, 7), ("int8", 0.5, 0)))  # and right
    models = [b(GraphBuilder(rng)) for b in builds]
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, EVERY_INT8), oracle(model, EVERY_INT8))


@pytest.mark.integration
def test_int8_rsqrt_matches_tflm_for_every_valid_input(tmp_path: Path) -> None:
    """RSQRT over every int8 input at or above the zero point (below it, a negative real, TFLM fails the invoke),
    for random quantizations and a zero point of -128 (all 256 inputs)."""
    require_tool("g++")
    rng = np.random.default_rng(14)
    quantizations = [*_quantizations(rng, 6), (("int8", 0.003, -128), ("int8", 0.2, -128))]
    models, inputs = [], []
    for qi, qo in quantizations:
        valid = np.arange(qi[2], 128, dtype=np.int8)
        models.append(_unary("RSQRT", qi, qo, shape=valid.shape)(GraphBuilder(rng)))
        inputs.append([[valid]])
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, inputs[case]), oracle(model, inputs[case]))


@pytest.mark.integration
def test_constant_float_inputs_fold_and_match_tflm(tmp_path: Path) -> None:
    """EXP(NEG(ABS(c))) on a constant folds away; the sum with the input, which runs, matches TFLM."""
    require_tool("g++")
    g = GraphBuilder(np.random.default_rng(3))
    c = g.const(np.linspace(-2, 2, 6).reshape(2, 3), "float32")
    a, n, e = (g.tensor((2, 3)) for _ in range(3))
    g.op("ABS", [c], [a])
    g.op("NEG", [a], [n])
    g.op("EXP", [n], [e])
    x = g.input((2, 3))
    y = g.tensor((2, 3))
    g.op("ADD", [x, e], [y], options("AddOptions"))
    model = g.model([y])
    assert [op for _, op in generate(model).folded] == ["ABS", "NEG", "EXP"]
    inputs = [[np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)]]
    assert_same(build_host_program([model], tmp_path).run(0, inputs), oracle(model, inputs))


@pytest.mark.integration
def test_constant_divisions_fold_and_match_tflm(tmp_path: Path) -> None:
    """int32 DIV truncates toward zero (negative operands, the largest value) and float32 DIV with RELU folds; the
    sums with the inputs, which run, match TFLM."""
    require_tool("g++")
    g = GraphBuilder(np.random.default_rng(4))
    q = g.tensor((4,), "int32")
    g.op("DIV", [g.const([-7, 7, -8, 2**31 - 1]), g.const([2, -2, 3, 5])], [q], options("DivOptions"))
    f = g.tensor((4,))
    numerator, denominator = g.const([1.0, -3.0, 2.5, 7.0], "float32"), g.const([3.0, 2.0, -0.5, 0.1], "float32")
    g.op("DIV", [numerator, denominator], [f], options("DivOptions", fused_activation_function=1))
    xi, xf = g.input((4,), "int32"), g.input((4,))
    yi, yf = g.tensor((4,), "int32"), g.tensor((4,))
    g.op("ADD", [xi, q], [yi], options("AddOptions"))
    g.op("ADD", [xf, f], [yf], options("AddOptions"))
    model = g.model([yi, yf])
    assert [op for _, op in generate(model).folded] == ["DIV", "DIV"]
    inputs = [[np.zeros(4, np.int32), np.zeros(4, np.float32)]]
    reference = oracle(model, inputs)
    np.testing.assert_array_equal(reference[0][0], [-3, -3, -2, 429496729])
    assert_same(build_host_program([model], tmp_path).run(0, inputs), reference)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_unary("NEG", ("int8", 0.1, 0), ("int8", 0.1, 0)), "has type int8 (supported: float32)"),
        (_unary("EXP", ("int8", 0.1, 0), ("int8", 0.1, 0)), "has type int8 (supported: float32)"),
        (_unary("ABS", ("int16", 0.1, 0), ("int16", 0.1, 0)), "has type int16 (supported: float32, int8)"),
        (_unary("HARD_SWISH", ("int8", 0.5, 0), ("int8", 0.001, 0)), "int8 output scale must exceed input scale"),
        (_unary("LEAKY_RELU", F32, ("int8", 0.1, 0), alpha=0.2), "has type int8 (supported: float32)"),
        (_binary("PRELU", (2, 3), (3,), ("int16", 0.1, 0)), "has type int16 (supported: float32, int8)"),
        (
            _binary("PRELU", (1, 2, 1, 2, 3), (2, 1, 3), F32),
            "broadcasting over more than 4 dimensions is not supported",
        ),
        (_binary("PRELU", (2, 3), (2,), F32), "shapes (2, 3) and (2,) do not broadcast"),
        (_binary("DIV", (2, 3), (3,), ("int16", 0.1, 0)), "has type int16 (supported: float32, int8, int32)"),
        (
            _binary("DIV", (4,), (4,), ("int8", 0.5, 0), ("int8", 1e-8, 0)),
            "exceeds 2^23 (TFLM's DIV cannot rescale it)",
        ),
        (_binary("DIV", (4,), (4,), ("int32", 0.5, 0)), "is quantized (TFLM divides unquantized int32 only)"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

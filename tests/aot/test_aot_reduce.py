"""SUM, REDUCE_MAX, ARG_MAX, L2_NORMALIZATION and LOG_SOFTMAX beyond the single-op cases of test_aot_ops.py (which
run them, keep_dims or not, over one and several axes, on the host and on virtual-m4): saturating int8 sums, ties,
the edges of the fixed-point inverse square root and int8 LOG_SOFTMAX over every difference against TFLM, the
folding of constant reductions, and the refused cases by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle
from cases import F32, _arg_max, _mean
from modelbuilder import RELU, GraphBuilder, options, refusal
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import generate
from tinyflash.model import ModelInfo


@pytest.mark.integration
def test_saturating_sums_and_ties_match_tflm(tmp_path: Path) -> None:
    """int8 SUM of all -128 and all 127 (the sum saturates the output both ways, and the multiplier exceeds 1),
    REDUCE_MAX and ARG_MAX of equal values (ARG_MAX takes the first index)."""
    require_tool("g++")
    g = lambda: GraphBuilder(np.random.default_rng(0))  # noqa: E731
    models = [
        _mean(g(), "int8", (2, 40), [1], False, ("int8", 0.1, 5), ("int8", 0.05, -3), opcode="SUM"),
        _mean(g(), "int8", (2, 3, 4), [0, 2], True, ("int8", 0.1, 5), ("int8", 0.1, 5), opcode="REDUCE_MAX"),
        _arg_max(g(), (3, 5), 1, ("int8", 0.1, 0)),
        _arg_max(g(), (3, 5), 0, F32),
    ]
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        shape, dtype = model.inputs[0].shape, np.int8 if model.inputs[0].dtype == "int8" else np.float32
        runs = [[np.full(shape, v, dtype)] for v in (-128, 127, 0)]
        assert_same(program.run(case, runs), oracle(model, runs))


def _l2_norm(shape, q, act: int = 0) -> Callable[[GraphBuilder], ModelInfo]:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(shape, *q)
        y = g.tensor(shape, *(q if q[0] != "int8" else ("int8", 1 / 128, 0)))
        g.op("L2_NORMALIZATION", [x], [y], options("L2NormOptions", fused_activation_function=act))
        return g.model([y])

    return build


@pytest.mark.integration
def test_int8_l2_normalization_edges_match_tflm(tmp_path: Path) -> None:
    """Rows at the zero point (a zero sum of squares), of one value, of extremes long enough that the sum passes
    2^29 (the inverse square root's normalizing loop), and random rows with 1 to 300 values."""
    require_tool("g++")
    rng = np.random.default_rng(15)
    cases = [((3, 1), 7), ((2, 9000), -128), ((4, 300), 0), ((6, 5), 100)]
    models, runs = [], []
    for shape, zero_point in cases:
        models.append(_l2_norm(shape, ("int8", 0.02, zero_point))(GraphBuilder(rng)))
        extremes = np.where(rng.random(shape) < 0.5, -128, 127).astype(np.int8)
        random = rng.integers(-128, 128, shape).astype(np.int8)
        runs.append([[np.full(shape, zero_point, np.int8)], [extremes], [random]])
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, runs[case]), oracle(model, runs[case]))


@pytest.mark.integration
def test_constant_reductions_fold_and_match_tflm(tmp_path: Path) -> None:
    """SUM (several axes), MEAN, REDUCE_MAX (keep_dims) and ARG_MAX of a constant fold; the sums with the inputs,
    which run, match TFLM (float SUM in TFLM's order of additions: values far apart in magnitude)."""
    require_tool("g++")
    g = GraphBuilder(np.random.default_rng(5))
    data = (g.rng.standard_normal((3, 4, 50)) * 10.0 ** g.rng.integers(-4, 5, (3, 4, 50))).astype(np.float32)
    c = g.tensor((3, 4, 50), data=data)
    outs = []
    for opcode, axes, keep, shape in (("SUM", [0, 2], False, (4,)), ("MEAN", [1], False, (3, 50)),
                                      ("REDUCE_MAX", [-1], True, (3, 4, 1))):  # fmt: skip
        r = g.tensor(shape)
        g.op(opcode, [c, g.const(axes)], [r], options("ReducerOptions", keep_dims=keep))
        x, y = g.input(shape), g.tensor(shape)
        g.op("ADD", [x, r], [y], options("AddOptions"))
        outs.append(y)
    a = g.tensor((3, 50), "int32")
    g.op("ARG_MAX", [c, g.const([1])], [a], options("ArgMaxOptions", output_type=2))
    xa, ya = g.input((3, 50), "int32"), g.tensor((3, 50), "int32")
    g.op("ADD", [xa, a], [ya], options("AddOptions"))
    model = g.model([*outs, ya])
    assert [op for _, op in generate(model).folded] == ["SUM", "MEAN", "REDUCE_MAX", "ARG_MAX"]
    inputs = [[np.zeros(t.shape, np.int32 if t.dtype == "int32" else np.float32) for t in model.inputs]]
    ours_all, theirs_all = build_host_program([model], tmp_path).run(0, inputs)[0], oracle(model, inputs)[0]
    for ours, theirs in zip(ours_all, theirs_all, strict=True):
        np.testing.assert_array_equal(ours, theirs)  # + 0: the folded values themselves, to the bit


def _log_softmax(q, q_out, shape=(2, 5)) -> Callable[[GraphBuilder], ModelInfo]:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(shape, *q)
        y = g.tensor(shape, *q_out)
        g.op("LOG_SOFTMAX", [x], [y])
        return g.model([y])

    return build


@pytest.mark.integration
def test_int8_log_softmax_matches_tflm_for_every_difference(tmp_path: Path) -> None:
    """Rows holding every int8 value (every difference from the maximum, those below diff_min included), random
    rows, constant rows and one-value rows, for input scales from 1/200 to 2."""
    require_tool("g++")
    rng = np.random.default_rng(16)
    models, runs = [], []
    for scale in (0.005, 0.03, 0.1, 0.4, 2.0):
        q = ("int8", scale, int(rng.integers(-20, 20)))
        models.append(_log_softmax(q, ("int8", 16 / 256, 127), (4, 256))(GraphBuilder(rng)))
        every = rng.permutation(np.arange(-128, 128)).astype(np.int8)
        rows = np.stack([every, rng.integers(-128, 128, 256), np.full(256, 5), rng.integers(-3, 3, 256)])
        runs.append([[rows.astype(np.int8)]])
    models.append(_log_softmax(("int8", 0.1, 0), ("int8", 16 / 256, 127), (7, 1))(GraphBuilder(rng)))
    runs.append([[rng.integers(-128, 128, (7, 1)).astype(np.int8)]])
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, runs[case]), oracle(model, runs[case]))


def _reduce(opcode: str, shape, axes, q, q_out=None, keep=False) -> Callable[[GraphBuilder], ModelInfo]:
    return lambda g: _mean(g, q[0], shape, axes, keep, q, q_out or q, opcode=opcode)


def _arg_max_to(out_dtype: str) -> Callable[[GraphBuilder], ModelInfo]:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input((3, 4))
        y = g.tensor((3,), out_dtype)
        g.op("ARG_MAX", [x, g.const([1])], [y])
        return g.model([y])

    return build


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            _reduce("REDUCE_MAX", (2, 3), [1], ("int8", 0.1, 0), ("int8", 0.2, 0)),
            "int8 output must have the input's scale and zero point (as TFLM requires)",
        ),
        (_reduce("REDUCE_MAX", (2, 3), [1], ("int16", 0.1, 0)), "has type int16 (supported: float32, int8)"),
        (_reduce("SUM", (1, 2, 3, 4, 5), [1], F32), "only reductions over tensors of up to 4 dimensions"),
        (_arg_max_to("float32"), "has type float32 (supported: int32)"),
        (lambda g: _arg_max(g, (2, 3), 1, ("int16", 0.1, 0)), "has type int16 (supported: float32, int8)"),
        (_l2_norm((2, 3), F32, RELU), "a fused activation is not supported (TFLM requires NONE)"),
        (_l2_norm((1, 1, 2, 2, 3), F32), "1 to 4 dimensions (as TFLM requires)"),
        (_l2_norm((2, 3), ("int16", 0.1, 0)), "has type int16 (supported: float32, int8)"),
        (_l2_norm((1, 33026), ("int8", 0.1, 0)), "int8 rows longer than 33025 values can overflow"),
        (
            _log_softmax(("int8", 0.1, 0), ("int8", 1 / 256, -128)),
            "int8 output must have scale 16/256 and zero point 127",
        ),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

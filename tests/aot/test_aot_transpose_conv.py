"""TRANSPOSE_CONV on the device, bit for bit against the TFLM runtime on the host and on the virtual Cortex-M4:
randomized shapes, strides, SAME and VALID padding, filters, fused activations, float32 and int8 (per-tensor and
per-channel filter scales, random input and output quantizations), with and without a bias; the refused cases by
name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import oracle, run_cases
from modelbuilder import NONE, RELU, RELU6, SAME, VALID, GraphBuilder, options, refusal
from test_aot_ops import assert_same

from tinyflash.aot.context import Context
from tinyflash.aot.ops.conv import padding
from tinyflash.aot.ops.transpose_conv import analyze
from tinyflash.model import ModelInfo

RUNS = 3
RANDOM_CASES = 24


def _transpose_conv(in_shape, filter_shape, out_shape, q, strides=(1, 1), pad=SAME, act=NONE, bias=True, **extra):
    """``q``: (input, output) quantizations, None for float32; ``extra`` overrides a built operand (tests of refusals):
    ``shape_values``, ``filter_scales``, ``filter_zero_point``."""

    def build(g: GraphBuilder) -> ModelInfo:
        kind = "float32" if q is None else "int8"
        x = g.input(in_shape, *(("float32", None, 0) if q is None else q[0]))
        oc = filter_shape[0]
        if kind == "int8":
            scales = extra.get("filter_scales", list(10 ** g.rng.uniform(-3, -1, oc)))
            data = g.rng.integers(-127, 128, filter_shape).astype(np.int8)
            w = g.tensor(filter_shape, "int8", scales, extra.get("filter_zero_point", 0), data)
            b = g.weights((oc,), "int32") if bias else -1
        else:
            w = g.weights(filter_shape)
            b = g.weights((oc,)) if bias else -1
        y = g.tensor(out_shape, *(("float32", None, 0) if q is None else q[1]))
        shape = g.const(extra.get("shape_values", list(out_shape)))
        opts = options("TransposeConvOptions", padding=pad, stride_h=strides[0], stride_w=strides[1],
                       fused_activation_function=act)  # fmt: skip
        g.op("TRANSPOSE_CONV", [shape, w, x, *([b] if bias else [])], [y], opts)
        return g.model([y])

    return build


def _random_case(rng: np.random.Generator, k: int) -> Callable:
    """A random output size, stride, filter (the stride to 2 more) and padding; the input size is what the window
    arithmetic gives."""
    while True:
        oh, ow = (int(v) for v in rng.integers(1, 10, 2))
        sh, sw = (int(v) for v in rng.integers(1, 4, 2))
        fh, fw = (int(s + v) for s, v in zip((sh, sw), rng.integers(0, 3, 2), strict=True))  # as models do: >= stride
        pad = (SAME, VALID)[k % 2]
        (h, _), (w, _) = padding(pad, oh, fh, sh, 1), padding(pad, ow, fw, sw, 1)
        if min(h, w) >= 1:
            break
    n, c, oc = int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    act = (NONE, RELU, RELU6)[k % 3]
    q = None
    if k % 4 >= 2:
        s1, z1, z3 = float(10 ** rng.uniform(-2, 0)), int(rng.integers(-128, 128)), int(rng.integers(-60, 60))
        taps = max(fh * fw * c // (sh * sw), 1)
        spread = s1 * 0.01 * float(np.sqrt((74**2 + z1**2) * 73**2 * taps))
        q = (("int8", s1, z1), ("int8", spread / 60 * float(rng.uniform(0.5, 2)), z3))
    return _transpose_conv((n, h, w, c), (oc, fh, fw, c), (n, oh, ow, oc), q, (sh, sw), pad, act, bias=k % 5 != 4)


@pytest.fixture(scope="module")
def models() -> list[ModelInfo]:
    rng = np.random.default_rng(30)
    builds = [_random_case(rng, k) for k in range(RANDOM_CASES)]
    return [build(GraphBuilder(np.random.default_rng(case))) for case, build in enumerate(builds)]


def test_the_cases_cover_padding_strides_bias_and_types(models: list[ModelInfo]) -> None:
    windows = [analyze(Context(m.main), 0, m.main.operators[0]).window for m in models]
    ops = [(m, m.main.operators[0]) for m in models]
    assert {int(op.options.get("padding", 0)) for _, op in ops} == {SAME, VALID}
    assert any(w.pad_height > 0 for w in windows) and any(w.pad_width > 0 for w in windows)
    assert any(int(op.options.get("stride_h", 1)) > 1 for _, op in ops)
    assert {len(op.inputs) for _, op in ops} == {3, 4}
    assert {m.inputs[0].dtype for m in models} == {"int8", "float32"}


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_transpose_conv_matches_tflm(board: str, models: list[ModelInfo], tmp_path: Path) -> None:
    inputs, outputs = run_cases(board, models, tmp_path, RUNS, scale=2.0)
    references = [oracle(model, runs) for model, runs in zip(models, inputs, strict=True)]
    for outs, reference in zip(outputs, references, strict=True):
        assert_same(outs, reference)
    assert sum(len(np.unique(r[0][0])) > 2 for r in references) >= RANDOM_CASES - 2


Q = (("int8", 0.05, 3), ("int8", 0.1, -2))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_transpose_conv((1, 2, 2, 1), (1, 3, 3, 1), (1, 4, 4, 1), None, (2, 2), shape_values=[1, 4, 5, 1]),
         "the output shape tensor does not say [1, 4, 4, 1]"),
        (_transpose_conv((1, 3, 3, 1), (1, 3, 3, 1), (1, 4, 4, 1), None, (2, 2)), "takes a 2x2 input"),
        (_transpose_conv((1, 2, 2, 2), (1, 3, 3, 1), (1, 4, 4, 1), None, (2, 2)), "the filter [output depth"),
        (_transpose_conv((1, 2, 2, 1), (2, 3, 3, 1), (1, 4, 4, 2), Q, (2, 2), filter_zero_point=5),
         "a filter zero point other than 0"),
        (_transpose_conv((1, 2, 2, 1), (2, 3, 3, 1), (1, 4, 4, 2), Q, (2, 2), filter_scales=[0.1, 0.2, 0.3]),
         "per-channel filter scales do not match"),
        (_transpose_conv((1, 2, 2, 1), (1, 3, 3, 1), (1, 4, 4, 1), ((("int16", 0.1, 0),) * 2), (2, 2)),
         "has type int16"),
    ],
)  # fmt: skip
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

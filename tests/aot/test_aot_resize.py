"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR on the device, bit for bit against the TFLM runtime on the host and on
the virtual Cortex-M4: randomized shapes (up- and down-sampling, each dimension on its own), types and quantizations,
every combination of align_corners and half_pixel_centers TFLM takes; a constant input folded; the refused cases by
name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import oracle, run_cases
from modelbuilder import NONE, GraphBuilder, options, refusal
from test_aot_ops import assert_same

from tinyflash.aot import generate
from tinyflash.aot.ops.resize import bilinear_int8, nearest
from tinyflash.model import ModelInfo

RUNS = 3
RANDOM_CASES = 16
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def _resize(opcode: str, in_shape, size, q, flags, out_shape=None) -> Callable[[GraphBuilder], ModelInfo]:
    align, half = flags
    kind = "ResizeNearestNeighborOptions" if opcode == "RESIZE_NEAREST_NEIGHBOR" else "ResizeBilinearOptions"

    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(in_shape, *q)
        y = g.tensor(out_shape or (in_shape[0], *size, in_shape[3]), *q)
        g.op(opcode, [x, g.const(size)], [y], options(kind, align_corners=align, half_pixel_centers=half))
        return g.model([y])

    return build


def _random_quantization(rng: np.random.Generator, types: tuple[str, ...]) -> tuple:
    kind = types[int(rng.integers(0, len(types)))]
    if kind == "float32":
        return ("float32", None, 0)
    scale = float(10 ** rng.uniform(-3, 0))
    return (kind, scale, int(rng.integers(-128, 128)) if kind == "int8" else 0)


def _random_cases(opcode: str, seed: int, types: tuple[str, ...], flags: list) -> list[Callable]:
    """Random batches (1-2), input sizes (1-7), sizes (1-11: down, same, up), depths (1-5), each flag combination."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(RANDOM_CASES):
        shape = (int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 8, 2)), int(rng.integers(1, 6)))
        size = [int(v) for v in rng.integers(1, 12, 2)]
        cases.append(_resize(opcode, shape, size, _random_quantization(rng, types), flags[k % len(flags)]))
    return cases


def _folded_nearest(g: GraphBuilder) -> ModelInfo:
    """A constant float image resized at generation time, added to the model's input on the device."""
    image = g.tensor((1, 3, 2, 2), "float32", data=g.rng.standard_normal((1, 3, 2, 2)).astype(np.float32))
    resized = g.tensor((1, 5, 4, 2))
    g.op("RESIZE_NEAREST_NEIGHBOR", [image, g.const([5, 4])], [resized],
         options("ResizeNearestNeighborOptions", half_pixel_centers=True))  # fmt: skip
    x = g.input((1, 5, 4, 2))
    y = g.tensor((1, 5, 4, 2))
    g.op("ADD", [x, resized], [y], options("AddOptions", fused_activation_function=NONE))
    return g.model([y])


NN, BILINEAR = "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"
BUILDS = [
    *_random_cases(NN, 0, ("int8", "float32", "int16"), FLAGS),
    *_random_cases(BILINEAR, 1, ("int8", "float32"), FLAGS[:3]),  # TFLM refuses both flags together
    _folded_nearest,
]


@pytest.fixture(scope="module")
def models() -> list[ModelInfo]:
    return [build(GraphBuilder(np.random.default_rng(case))) for case, build in enumerate(BUILDS)]


def test_the_cases_cover_every_flag_and_type_and_the_constant_folds(models: list[ModelInfo]) -> None:
    for opcode, flags, types in ((NN, FLAGS, {"int8", "float32", "int16"}), (BILINEAR, FLAGS[:3], {"int8", "float32"})):
        cases = [m for m in models[:-1] if m.main.operators[0].opcode == opcode]
        ops = [m.main.operators[0] for m in cases]
        seen = {(bool(op.options.get("align_corners")), bool(op.options.get("half_pixel_centers"))) for op in ops}
        assert seen == set(flags) and {m.inputs[0].dtype for m in cases} == types
    assert [c.opcode for c in generate(models[-1]).choices] == ["ADD"]


def test_nearest_indices_follow_tflm() -> None:
    """Hand-worked values of TFLM's GetNearestNeighbor: 3 -> 5 rows in each mode, and 4 -> 2 (down)."""
    assert nearest(5, 3, False, False).lower == (0, 0, 1, 1, 2)
    assert nearest(5, 3, True, False).lower == (0, 1, 1, 2, 2)  # round(0.5 * y), half away from zero
    assert nearest(5, 3, False, True).lower == (0, 0, 1, 2, 2)
    assert nearest(2, 4, False, False).lower == (0, 2)
    assert nearest(1, 4, True, False).lower == (0,)


def test_int8_bilinear_positions_follow_tflm() -> None:
    """ComputeInterpolationValuesInteger by hand, 2 -> 4 with half-pixel centers: scale 512, positions -256, 256,
    768, 1280 (C division truncates -256 / 1024 to 0: the first row, weighted 1280 and -256)."""
    axis = bilinear_int8(4, 2, False, True)
    assert (axis.lower, axis.upper, axis.weights) == ((0, 0, 0, 1), (0, 1, 1, 1), (-256, 256, 768, 256))


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_resize_matches_tflm(board: str, models: list[ModelInfo], tmp_path: Path) -> None:
    inputs, outputs = run_cases(board, models, tmp_path, RUNS, scale=3.0)
    for model, runs, outs in zip(models, inputs, outputs, strict=True):
        assert_same(outs, oracle(model, runs))


def _runtime_size(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 2, 2, 1))
    size = g.input((2,), "int32")
    y = g.tensor((1, 4, 4, 1))
    g.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y], options("ResizeNearestNeighborOptions"))
    return g.model([y])


F32 = ("float32", None, 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_runtime_size, "the size must be a constant tensor"),
        (_resize(NN, (1, 2, 2, 1), [4, 4], ("uint8", 0.1, 0), FLAGS[0]), "has type uint8"),
        (_resize(NN, (1, 2, 2, 1), [3, 4], F32, FLAGS[0], out_shape=(1, 4, 4, 1)), "resizing gives [1, 3, 4, 1]"),
        (_resize(NN, (1, 2, 2, 1), [0, 4], F32, FLAGS[0], out_shape=(1, 4, 4, 1)), "two positive values"),
        (lambda g: _rank3(g), "has rank 3"),
        (_resize(BILINEAR, (1, 2, 2, 1), [4, 4], F32, (True, True)), "align_corners and half_pixel_centers together"),
        (_resize(BILINEAR, (1, 2, 2, 1), [4, 4], ("int16", 0.1, 0), FLAGS[0]), "has type int16"),
        (_resize(BILINEAR, (1, 1, 1, 1), [2048, 1], ("int8", 0.1, 0), FLAGS[0]), "maps past the input's 1 rows"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)


def _rank3(g: GraphBuilder) -> ModelInfo:
    x = g.input((2, 2, 1))
    y = g.tensor((4, 4, 1))
    g.op(NN, [x, g.const([4, 4])], [y], options("ResizeNearestNeighborOptions"))
    return g.model([y])

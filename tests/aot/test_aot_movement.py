"""Data-movement ops on the device — STRIDED_SLICE, SLICE, TRANSPOSE, PACK, UNPACK, SPLIT, SPLIT_V, SQUEEZE,
EXPAND_DIMS, GATHER, CAST — in int8, float32 and int16 where TFLM takes them, bit for bit against the TFLM
runtime on the host and on the virtual Cortex-M4; and the cases the generator refuses, by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle, random_inputs
from cases import concat_model
from modelbuilder import GraphBuilder, options, refusal
from qemu_support import run_models
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import generate
from tinyflash.model import ModelInfo

I8, I16, F32 = ("int8", 0.1, -3), ("int16", 0.01, 0), ("float32", None, 0)
RUNS = 3


def _one(opcode: str, in_shape, out_shapes, q, consts=(), opts=None, extra_inputs=()) -> Callable:
    """A model of one op: a runtime input, constant operands after it (or runtime ``extra_inputs``), outputs."""

    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(in_shape, *q)
        ins = [x, *(g.const(c) for c in consts), *(g.input(s, "int32") for s in extra_inputs)]
        outs = [g.tensor(s, *q) for s in out_shapes]
        g.op(opcode, ins, outs, opts)
        return g.model(outs)

    return build


def _strided(in_shape, out_shape, q, begin, end, strides, **masks) -> Callable:
    return _one(
        "STRIDED_SLICE", in_shape, [out_shape], q, (begin, end, strides), options("StridedSliceOptions", **masks)
    )


def _split(in_shape, parts, axis, q) -> Callable:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(in_shape, *q)
        shape = list(in_shape)
        shape[axis] //= parts
        outs = [g.tensor(tuple(shape), *q) for _ in range(parts)]
        g.op("SPLIT", [g.const(axis), x], outs, options("SplitOptions", num_splits=parts))
        return g.model(outs)

    return build


def _pack(shapes, axis, q) -> Callable:
    def build(g: GraphBuilder) -> ModelInfo:
        xs = [g.input(s, *q) for s in shapes]
        out = list(shapes[0])
        out.insert(axis, len(shapes))
        y = g.tensor(tuple(out), *q)
        g.op("PACK", xs, [y], options("PackOptions", values_count=len(shapes), axis=axis))
        return g.model([y])

    return build


def _squeeze_relu_expand(g: GraphBuilder) -> ModelInfo:
    """SQUEEZE and EXPAND_DIMS around an op that runs: both aliased by the planner."""
    x = g.input((1, 4, 1, 3), *I8)
    s = g.tensor((4, 3), *I8)
    g.op("SQUEEZE", [x], [s], options("SqueezeOptions"))
    r = g.tensor((4, 3), *I8)
    g.op("RELU", [s], [r])
    e = g.tensor((4, 3, 1), *I8)
    g.op("EXPAND_DIMS", [r, g.const([-1])], [e])
    return g.model([e])


def _cast(src, dst) -> Callable:
    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input((3, 5), *src)
        y = g.tensor((3, 5), *dst)
        g.op("CAST", [x], [y])
        return g.model([y])

    return build


I32 = ("int32", None, 0)
CASES: dict[str, Callable[[GraphBuilder], ModelInfo]] = {
    "strided_slice_i8_negative_masks": _strided(
        (3, 4, 5), (2, 2, 3), I8, [2, -1, 0], [0, 0, 5], [-1, -2, 2], begin_mask=1, end_mask=2
    ),
    "strided_slice_f32_shrink": _strided((2, 3, 4), (3,), F32, [1, 0, -1], [2, 3, 0], [1, 1, 1], shrink_axis_mask=5),
    "strided_slice_i16_steps": _strided((4, 6), (2, 2), I16, [1, 0], [4, 6], [2, 3]),
    "strided_slice_i8_4d_rows": _strided((2, 3, 4, 6), (2, 2, 4, 6), I8, [0, 1, 0, 0], [2, 3, 4, 6], [1, 1, 1, 1]),
    "slice_i8": _one("SLICE", (2, 5, 3), [(1, 4, 2)], I8, ([1, 1, 0], [1, -1, 2]), options("SliceOptions")),
    "slice_f32": _one("SLICE", (4, 4), [(3, 2)], F32, ([0, 2], [3, 2]), options("SliceOptions")),
    "transpose_i8_4d": _one(
        "TRANSPOSE", (2, 3, 4, 5), [(2, 5, 3, 4)], I8, ([0, 3, 1, 2],), options("TransposeOptions")
    ),
    "transpose_f32": _one("TRANSPOSE", (3, 4), [(4, 3)], F32, ([1, 0],), options("TransposeOptions")),
    "transpose_i16": _one("TRANSPOSE", (2, 3, 4), [(4, 3, 2)], I16, ([2, 1, 0],), options("TransposeOptions")),
    "pack_i8_axis1": _pack([(2, 3), (2, 3)], 1, I8),
    "pack_f32_axis0": _pack([(4,), (4,), (4,)], 0, F32),
    "unpack_f32_axis1": _one("UNPACK", (2, 3, 4), [(2, 4)] * 3, F32, opts=options("UnpackOptions", num=3, axis=1)),
    "unpack_i8_axis0": _one("UNPACK", (2, 5), [(5,)] * 2, I8, opts=options("UnpackOptions", num=2, axis=0)),
    "split_i8_axis1": _split((2, 6, 3), 3, 1, I8),
    "split_f32_axis0": _split((4, 3), 2, 0, F32),
    "split_v_i8": lambda g: _split_v(g),
    "squeeze_expand_dims_i8": _squeeze_relu_expand,
    "gather_f32_constant_indices": _one("GATHER", (5, 3), [(4, 3)], F32, ([4, 0, 2, 2],), options("GatherOptions")),
    "gather_i8_runtime_indices_axis1": lambda g: _gather_runtime(g),
    "cast_i8_f32": _cast(I8, F32),
    "cast_f32_i32": _cast(F32, I32),
    "cast_i32_i8": _cast(I32, ("int8", 0.1, 0)),
    "cast_i16_f32": _cast(I16, F32),
    "cast_f32_i16": _cast(F32, I16),
    "cast_i8_i16": _cast(I8, I16),
}


def _split_v(g: GraphBuilder) -> ModelInfo:
    x = g.input((3, 7), *I8)
    outs = [g.tensor((3, n), *I8) for n in (2, 4, 1)]
    g.op("SPLIT_V", [x, g.const([2, -1, 1]), g.const(1)], outs, options("SplitVOptions", num_splits=3))
    return g.model(outs)


def _gather_runtime(g: GraphBuilder) -> ModelInfo:
    """Indices given at run time (the tests keep them inside the axis: outside, TFLM reads out of bounds)."""
    x = g.input((2, 6, 3), *I8)
    i = g.input((2, 2), "int32")
    y = g.tensor((2, 2, 2, 3), *I8)
    g.op("GATHER", [x, i], [y], options("GatherOptions", axis=1))
    return g.model([y])


NAMES = sorted(CASES)


def _model(name: str) -> ModelInfo:
    return CASES[name](GraphBuilder(np.random.default_rng(NAMES.index(name))))


def _inputs(model: ModelInfo, case: int) -> list[list[np.ndarray]]:
    """Random inputs; int32 indices drawn inside the gathered axis (6 in the runtime-index case)."""
    runs = random_inputs(model, RUNS, np.random.default_rng(case), scale=3.0)
    for run in runs:
        for i, t in enumerate(model.inputs):
            if t.dtype == "int32" and model.main.operators[0].opcode == "GATHER":
                run[i] = np.random.default_rng(case).integers(0, 6, t.shape).astype(np.int32)
    return runs


@pytest.fixture(scope="module")
def models() -> list[ModelInfo]:
    return [_model(n) for n in NAMES]


def test_each_case_runs_its_op_and_the_reshapes_are_aliased(models: list[ModelInfo]) -> None:
    for name, model in zip(NAMES, models, strict=True):
        choices = generate(model).choices
        assert [c.opcode for c in choices] == [op.opcode for op in model.main.operators], name
    squeeze = generate(_model("squeeze_expand_dims_i8"))
    assert [c.implementation for c in squeeze.choices] == ["alias", "reference", "alias"]
    assert "StridedCopy" not in squeeze.files["model_aot.cc"] and "memcpy" not in squeeze.files["model_aot.cc"]


@pytest.mark.integration
def test_movement_ops_match_tflm_on_the_host(models: list[ModelInfo], tmp_path: Path) -> None:
    require_tool("g++")
    program = build_host_program(models, tmp_path)
    for case, (name, model) in enumerate(zip(NAMES, models, strict=True)):
        inputs = _inputs(model, case)
        reference = oracle(model, inputs)
        assert_same(program.run(case, inputs), reference)
        assert len(np.unique(np.concatenate([r[0].ravel() for r in reference]))) > 1, name


@pytest.mark.integration
def test_movement_ops_match_tflm_on_virtual_m4(models: list[ModelInfo], tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    inputs = [_inputs(m, case) for case, m in enumerate(models)]
    outputs = run_models("virtual-m4", models, inputs, tmp_path)
    for name, model, ins, outs in zip(NAMES, models, inputs, outputs, strict=True):
        assert len(outs) == RUNS, name
        assert_same(outs, oracle(model, ins))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_strided((2, 3), (2, 3), F32, [0, 0], [2, 3], [1, 1], ellipsis_mask=1), "ellipsis_mask is not supported"),
        (_strided((2, 3), (2, 1, 3), F32, [0, 0], [2, 3], [1, 1], new_axis_mask=2), "new_axis_mask is not supported"),
        (_strided((2, 3), (2, 3), F32, [0, 0], [2, 3], [1, 0]), "a stride is zero"),
        (_strided((2, 3), (2, 2), F32, [0, 0], [2, 3], [1, 1]), "the slice has shape [2, 3], the output [2, 2]"),
        (_one("TRANSPOSE", (2, 3), [(3, 2)], I8, ([0, 0],), options("TransposeOptions")), "does not permute"),
        (_split((2, 5), 2, 1, I8), "does not split into 2 equal parts"),
        (_one("GATHER", (5, 3), [(1, 3)], F32, ([5],), options("GatherOptions")), "index 5 is outside the axis"),
        (_one("GATHER", (5, 3), [(1, 3)], I16, ([1],), options("GatherOptions")), "has type int16"),
        (_cast(("uint8", 0.1, 0), F32), "has type uint8"),
        (_one("SLICE", (4,), [(3,)], F32, ([2], [3]), options("SliceOptions")), "reach outside the input"),
        (lambda g: concat_model(g, [(2, 3), (1, 3)], 0, ("int16", 0.01, 3)), "has zero point 3 (TFLM requires 0)"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

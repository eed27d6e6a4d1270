"""Constant folding at generation time: ops whose result is known before the model runs (all inputs constant, or
SHAPE of a static shape) are computed by the generator and cost nothing on the device.

Each model here feeds folded results into an op that runs (an ADD with the model's input, a RESHAPE, a fully
connected layer), so the outputs show whether the generator computed what TFLM's kernels compute; they are
compared bit for bit with the TFLM runtime on the host and on the virtual Cortex-M4 under QEMU. A Keras model
exported with a dynamic batch dimension (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE) runs the same way.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, load_bytes, oracle, random_inputs
from modelbuilder import NONE, RELU, RELU_N1_TO_1, GraphBuilder, options
from qemu_support import run_models
from test_aot_ops import assert_same
from test_aot_unit import _chain

from conftest import require_tool, unavailable
from tinyflash.aot import generate, unsupported_ops
from tinyflash.aot.fold import fold_constants
from tinyflash.errors import ModelError
from tinyflash.model import ModelInfo

RUNS = 3


def _add_input(g: GraphBuilder, folded: int, shape, q=("float32", None, 0)) -> ModelInfo:
    """The model's output: its input plus the folded tensor (an op that runs on the device)."""
    x = g.input(shape, *q)
    y = g.tensor(shape, *q)
    g.op("ADD", [x, folded], [y], options("AddOptions", fused_activation_function=NONE))
    return g.model([y])


def _dynamic_batch(g: GraphBuilder) -> ModelInfo:
    """What Keras' Flatten exports with a dynamic batch: reshape to [shape(x)[0], -1]."""
    x = g.input((1, 4, 6), "int8", 0.1, 3)
    shape = g.tensor((3,), "int32")
    g.op("SHAPE", [x], [shape], options("ShapeOptions", out_type=2))
    batch = g.tensor((), "int32")
    ones = g.const([1])
    g.op("STRIDED_SLICE", [shape, g.const([0]), ones, ones], [batch],
         options("StridedSliceOptions", shrink_axis_mask=1))  # fmt: skip
    new_shape = g.tensor((2,), "int32")
    g.op("PACK", [batch, g.const(-1)], [new_shape], options("PackOptions", values_count=2, axis=0))
    flat = g.tensor((1, 24), "int8", 0.1, 3)
    g.op("RESHAPE", [x, new_shape], [flat], options("ReshapeOptions"))
    y = g.tensor((1, 5), "int8", 0.2, -4)
    w = g.weights((5, 24), "int8", 0.01)
    g.op("FULLY_CONNECTED", [flat, w, -1], [y], options("FullyConnectedOptions"))
    return g.model([y])


def _strided_slice(g: GraphBuilder) -> ModelInfo:
    """Negative strides, a negative begin, begin, end and shrink masks."""
    c = g.weights((3, 4, 5))
    out = g.tensor((2, 2))
    g.op("STRIDED_SLICE", [c, g.const([1, -1, 2]), g.const([0, 0, 4]), g.const([-1, -2, 2])], [out],
         options("StridedSliceOptions", begin_mask=1, end_mask=2, shrink_axis_mask=4))  # fmt: skip
    return _add_input(g, out, (2, 2))


def _slice_transpose(g: GraphBuilder) -> ModelInfo:
    c = g.weights((2, 3, 4))
    s = g.tensor((2, 2, 3))
    g.op("SLICE", [c, g.const([0, 1, 1]), g.const([-1, 2, 3])], [s], options("SliceOptions"))
    t = g.tensor((3, 2, 2))
    g.op("TRANSPOSE", [s, g.const([2, 0, 1])], [t], options("TransposeOptions"))
    return _add_input(g, t, (3, 2, 2))


def _stack_and_split(g: GraphBuilder) -> ModelInfo:
    """PACK, UNPACK, SPLIT_V, SPLIT, CONCATENATION, EXPAND_DIMS, SQUEEZE, RESHAPE: one chain of constants."""
    a, b = g.weights((2, 3)), g.weights((2, 3))
    packed = g.tensor((2, 2, 3))
    g.op("PACK", [a, b], [packed], options("PackOptions", values_count=2, axis=1))
    u0, u1 = g.tensor((2, 3)), g.tensor((2, 3))
    g.op("UNPACK", [packed], [u0, u1], options("UnpackOptions", num=2, axis=0))
    v0, v1 = g.tensor((2, 1)), g.tensor((2, 2))
    g.op("SPLIT_V", [u1, g.const([1, -1]), g.const(1)], [v0, v1], options("SplitVOptions", num_splits=2))
    s0, s1 = g.tensor((2, 2)), g.tensor((2, 2))
    g.op("SPLIT", [g.const(1), g.weights((2, 4))], [s0, s1], options("SplitOptions", num_splits=2))
    cat = g.tensor((2, 8))
    g.op("CONCATENATION", [u0, v1, v0, s1], [cat], options("ConcatenationOptions", axis=1))
    e = g.tensor((1, 2, 8))
    g.op("EXPAND_DIMS", [cat, g.const([0])], [e])
    q = g.tensor((2, 8))
    g.op("SQUEEZE", [e], [q], options("SqueezeOptions"))
    r = g.tensor((4, 4))
    g.op("RESHAPE", [q, g.const([4, -1])], [r], options("ReshapeOptions"))
    return _add_input(g, r, (4, 4))


def _int8_slice(g: GraphBuilder) -> ModelInfo:
    """int8 constants: a reversed strided slice, then MAXIMUM (raw values compared)."""
    c = g.tensor((4, 6), "int8", 0.05, 2, g.rng.integers(-128, 128, (4, 6)).astype(np.int8))
    out = g.tensor((2, 3), "int8", 0.05, 2)
    g.op("STRIDED_SLICE", [c, g.const([3, 0]), g.const([0, 6]), g.const([-2, 2])], [out],
         options("StridedSliceOptions"))  # fmt: skip
    m = g.tensor((2, 3), "int8", 0.05, 2)
    g.op("MAXIMUM", [out, g.tensor((3,), "int8", 0.05, 2, np.array([-5, 0, 7], np.int8))], [m])
    return _add_input(g, m, (2, 3), ("int8", 0.05, 2))


def _float_arithmetic(g: GraphBuilder) -> ModelInfo:
    m = g.tensor((2, 3))
    act = options("MulOptions", fused_activation_function=RELU_N1_TO_1)
    g.op("MUL", [g.weights((2, 3)), g.weights((3,))], [m], act)
    d = g.tensor((2, 3))
    g.op("SUB", [m, g.weights((2, 1))], [d], options("SubOptions"))
    a = g.tensor((2, 3))
    g.op("ADD", [d, g.weights((1, 3))], [a], options("AddOptions"))
    m = g.tensor((2, 3))
    g.op("MAXIMUM", [a, g.weights((2, 3))], [m])
    q = g.tensor((2, 3))
    g.op("SQUARED_DIFFERENCE", [m, g.weights((3,))], [q])
    n = g.tensor((2, 3))
    g.op("MINIMUM", [q, g.weights((2, 1))], [n])
    return _add_input(g, n, (2, 3))


def _int32_shape_arithmetic(g: GraphBuilder) -> ModelInfo:
    """SHAPE of the input, int32 arithmetic, a reversing slice and CASTs on it, all folded; the result meets the model's
    int32 input in a MINIMUM that runs, so the folded values themselves are compared with TFLM's."""
    x = g.input((3,), "int32")
    s = g.tensor((1,), "int32")
    g.op("SHAPE", [x], [s], options("ShapeOptions", out_type=2))
    m = g.tensor((3,), "int32")
    g.op("MUL", [s, g.const([1 << 20, -(1 << 21), 7])], [m], options("MulOptions"))
    d = g.tensor((3,), "int32")
    g.op("SUB", [m, g.const([5, -9, 1 << 30])], [d], options("SubOptions"))
    a = g.tensor((3,), "int32")
    g.op("ADD", [d, g.const(-3)], [a], options("AddOptions"))
    reversed_ = g.tensor((3,), "int32")
    g.op("STRIDED_SLICE", [a, g.const([-1]), g.const([-4]), g.const([-1])], [reversed_],
         options("StridedSliceOptions"))  # fmt: skip
    f = g.tensor((3,))
    g.op("CAST", [reversed_], [f])
    back = g.tensor((3,), "int32")
    g.op("CAST", [f], [back])
    y = g.tensor((3,), "int32")
    g.op("MINIMUM", [x, back], [y])
    return g.model([y])


CASES: dict[str, Callable[[GraphBuilder], ModelInfo]] = {
    "dynamic_batch": _dynamic_batch,
    "strided_slice": _strided_slice,
    "slice_transpose": _slice_transpose,
    "stack_and_split": _stack_and_split,
    "int8_slice": _int8_slice,
    "float_arithmetic": _float_arithmetic,
    "int32_shape_arithmetic": _int32_shape_arithmetic,
}
#: The ops each case keeps (everything else folds away).
RUNNING = {"dynamic_batch": ["RESHAPE", "FULLY_CONNECTED"], "int32_shape_arithmetic": ["MINIMUM"]}
NAMES = sorted(CASES)


def _model(name: str) -> ModelInfo:
    return CASES[name](GraphBuilder(np.random.default_rng(NAMES.index(name))))


def _keras_dynamic_batch(workdir: Path) -> ModelInfo:
    """Conv2D -> Flatten -> Dense, exported with batch None and converted to int8 (TensorFlow in the venv)."""
    if importlib.util.find_spec("tensorflow") is None:
        unavailable("TensorFlow is not installed (pip install 'tinyflash[tensorflow]')")
    from tinyflash.convert import import_tensorflow

    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(0)
    x = tf.keras.Input((8, 8, 2))
    y = tf.keras.layers.Conv2D(4, 3, activation="relu")(x)
    y = tf.keras.layers.Dense(5)(tf.keras.layers.Flatten()(y))
    saved = workdir / "saved"
    tf.keras.Model(x, y).export(str(saved), input_signature=[tf.TensorSpec([None, 8, 8, 2], tf.float32)], verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    samples = [rng.standard_normal((1, 8, 8, 2)).astype(np.float32) for _ in range(20)]
    converter.representative_dataset = lambda: ([s] for s in samples)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return load_bytes(converter.convert(), "keras_dynamic_batch.tflite")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModelInfo]:
    built = {name: _model(name) for name in NAMES}
    built["keras_dynamic_batch"] = _keras_dynamic_batch(Path(tmp_path_factory.mktemp("keras")))
    return built


def _inputs(model: ModelInfo, case: int) -> list[list[np.ndarray]]:
    return random_inputs(model, RUNS, np.random.default_rng(case), scale=2.0)


@pytest.mark.parametrize("name", NAMES)
def test_folded_ops_cost_nothing_on_the_device(name: str) -> None:
    model = _model(name)
    result = generate(model)
    running = [c.opcode for c in result.choices]
    assert running == RUNNING.get(name, ["ADD"])
    assert "Computed at generation time (constant folding)" in result.files["model_aot.cc"]
    assert unsupported_ops(model) == []


def test_the_keras_dynamic_batch_chain_folds(models: dict[str, ModelInfo]) -> None:
    model = models["keras_dynamic_batch"]
    opcodes = [op.opcode for op in model.main.operators]
    assert {"SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"} <= set(opcodes)
    result = generate(model)
    assert [c.opcode for c in result.choices] == ["CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    assert [c.implementation for c in result.choices][1] == "alias"  # the reshape costs nothing either


def test_folded_values() -> None:
    """The dynamic-batch chain's values, and its op numbering kept for messages and choices."""
    model = _model("dynamic_batch")
    folded = fold_constants(model.main)
    assert [opcode for _, opcode in folded.folded] == ["SHAPE", "STRIDED_SLICE", "PACK"]
    assert folded.steps == (3, 4)
    reshape = folded.subgraph.operators[0]
    shape = folded.subgraph.tensors[reshape.inputs[1]]
    assert np.frombuffer(shape.data, np.int32).tolist() == [1, -1]
    result = generate(model)
    assert [c.step for c in result.choices] == [3, 4]
    # The arena comments name operators as the model does, like kOp3/kOp4, not by their place after folding.
    assert "[1x5], ops 4..end" in result.files["model_aot.cc"]


def test_graph_outputs_and_quantized_arithmetic_are_not_folded() -> None:
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((2, 3))
    s = g.tensor((2,), "int32")
    g.op("SHAPE", [x], [s], options("ShapeOptions", out_type=2))
    assert unsupported_ops(g.model([s])) == ["SHAPE"]  # a graph output stays an op: the app reads the arena

    g = GraphBuilder(np.random.default_rng(0))
    a = g.tensor((4,), "int8", 0.1, 0, np.arange(4, dtype=np.int8))
    b = g.tensor((4,), "int8", 0.2, 1, np.arange(4, dtype=np.int8))
    c = g.tensor((4,), "int8", 0.3, 0)
    g.op("ADD", [a, b], [c], options("AddOptions"))
    model = _add_input(g, c, (4,), ("int8", 0.3, 0))
    assert [choice.opcode for choice in generate(model).choices] == ["ADD", "ADD"]  # int8 constants run


def test_an_inconsistent_shape_tensor_is_refused() -> None:
    with pytest.raises(ModelError, match=r"shape tensor says \[4, 2\], the output has shape \[2, 4\]"):
        generate(_chain((4, 2)))
    generate(_chain((-1, 4)))  # -1: the rest


def _constant_concatenation(scales: tuple[float, float], activation: int) -> ModelInfo:
    g = GraphBuilder(np.random.default_rng(0))
    a = g.tensor((2,), "int8", scales[0], 0, np.array([1, 2], dtype=np.int8))
    b = g.tensor((2,), "int8", scales[1], 0, np.array([3, 4], dtype=np.int8))
    c = g.tensor((4,), "int8", 0.1, 0)
    g.op("CONCATENATION", [a, b], [c], options("ConcatenationOptions", axis=0, fused_activation_function=activation))
    return _add_input(g, c, (4,), ("int8", 0.1, 0))


def test_a_folded_concatenation_keeps_tflms_rules() -> None:
    """Folding is a raw copy too: only right where TFLM's own kernel would accept the op."""
    assert [c.opcode for c in generate(_constant_concatenation((0.1, 0.1), NONE)).choices] == ["ADD"]
    with pytest.raises(ModelError, match="int8 inputs must share the output's quantization"):
        generate(_constant_concatenation((0.1, 0.2), NONE))
    with pytest.raises(ModelError, match="a fused activation is not supported"):
        generate(_constant_concatenation((0.1, 0.1), RELU))


@pytest.mark.integration
def test_folded_models_match_tflm_on_the_host(models: dict[str, ModelInfo], tmp_path: Path) -> None:
    require_tool("g++")
    names = sorted(models)
    program = build_host_program([models[n] for n in names], tmp_path)
    for case, name in enumerate(names):
        inputs = _inputs(models[name], case)
        assert_same(program.run(case, inputs), oracle(models[name], inputs))


@pytest.mark.integration
def test_folded_models_match_tflm_on_virtual_m4(models: dict[str, ModelInfo], tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    names = sorted(models)
    inputs = [_inputs(models[n], case) for case, n in enumerate(names)]
    outputs = run_models("virtual-m4", [models[n] for n in names], inputs, tmp_path)
    for name, ins, outs in zip(names, inputs, outputs, strict=True):
        assert len(outs) == RUNS, name
        assert_same(outs, oracle(models[name], ins))

"""RELU_N1_TO_1: TFLM has no kernel for it (its resolver has no method; `inspect` says so and `--runtime tflm`
refuses the model), so the AOT kernel is checked against TensorFlow Lite's reference kernels (tf.lite.Interpreter with
the BUILTIN_REF resolver): float32 and every int8 input for random quantizations, on the host and on virtual-m4.
TensorFlow is required (skipped locally without it, failing in CI)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from aot_support import outputs_on
from modelbuilder import GraphBuilder
from test_aot_ops import assert_same

from conftest import unavailable
from tinyflash.boards import get_board
from tinyflash.errors import ModelError
from tinyflash.model import ModelInfo
from tinyflash.project import check_tflm
from tinyflash.runtimes import aot_support
from tinyflash.tflm_ops import unsupported_ops


@pytest.fixture(scope="module")
def tf():
    if importlib.util.find_spec("tensorflow") is None:
        unavailable("TensorFlow is not installed (pip install 'tinyflash[tensorflow]')")
    from tinyflash.convert import import_tensorflow

    return import_tensorflow()


def _relu1(seed: int, dtype: str, in_q=(), out_q=()) -> ModelInfo:
    g = GraphBuilder(np.random.default_rng(seed))
    x = g.input((256,), dtype, *in_q)
    y = g.tensor((256,), dtype, *out_q)
    g.op("RELU_N1_TO_1", [x], [y])
    return g.model([y])


def _cases() -> tuple[list[ModelInfo], list[list[list[np.ndarray]]]]:
    """Two float32 models (inputs spread over -3..3, so both bounds clip) and int8 models over all 256 inputs with
    random scales (the bounds inside and outside int8's range) and zero points."""
    rng = np.random.default_rng(5)
    models = [_relu1(0, "float32"), _relu1(1, "float32")]
    inputs = [[[rng.uniform(-3, 3, 256).astype(np.float32)] for _ in range(3)] for _ in models]
    for case in range(8):
        in_scale, out_scale = 10 ** rng.uniform(-2.5, -1), 10 ** rng.uniform(-2.3, -1.7)
        in_zp, out_zp = rng.integers(-128, 128), rng.integers(-100, 101)
        models.append(_relu1(2 + case, "int8", (float(in_scale), int(in_zp)), (float(out_scale), int(out_zp))))
        inputs.append([[np.arange(-128, 128, dtype=np.int8)]])
    return models, inputs


def _tflite_reference(tf, model: ModelInfo, runs: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    interp = tf.lite.Interpreter(
        model_content=model.data, experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF
    )
    interp.allocate_tensors()
    outs = []
    for run in runs:
        for detail, a in zip(interp.get_input_details(), run, strict=True):
            interp.set_tensor(detail["index"], a)
        interp.invoke()
        outs.append([interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()])
    return outs


def test_tflm_cannot_run_it_and_the_aot_runtime_can() -> None:
    model = _relu1(0, "int8", (0.01, 3), (0.02, -5))
    assert unsupported_ops(model) == ["RELU_N1_TO_1"]
    assert aot_support(model).supported
    int16 = aot_support(_relu1(0, "int16", (0.001, 0), (0.001, 0)))  # TensorFlow Lite has no int16 kernel either
    assert not int16.supported and "(RELU_N1_TO_1): tensor 't0/é int16' has type int16" in int16.reason


def test_runtime_tflm_points_to_the_aot_runtime() -> None:
    with pytest.raises(ModelError) as e:
        model = _relu1(0, "int8", (0.01, 3), (0.02, -5))
        check_tflm(model, get_board("virtual-m4"), None, aot_support(model))
    assert e.value.message == "TFLM has no kernel for RELU_N1_TO_1"
    assert e.value.hint.startswith("build with --runtime aot")


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_matches_tensorflow_lite_reference(tf, board: str, tmp_path: Path) -> None:
    models, inputs = _cases()
    outputs = outputs_on(board, models, inputs, tmp_path)
    for model, runs, ours in zip(models, inputs, outputs, strict=True):
        reference = _tflite_reference(tf, model, runs)
        assert_same(ours, reference)
        values = np.concatenate([r[0].ravel() for r in reference])
        assert len(np.unique(values)) > 2  # not everything clipped

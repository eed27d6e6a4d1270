"""The validate app: inputs go to the board, outputs come back, compared with the model on the host."""

from pathlib import Path

import numpy as np
import pytest

from tinyflash.model import load_model
from tinyflash.reference import Interpreter

MODEL = Path(__file__).resolve().parents[1] / "sine_model.tflite"


@pytest.mark.tinyflash(model=MODEL, app="validate")
def test_one_inference(dut) -> None:
    model = load_model(MODEL)
    x = np.array([[1.5]], dtype=np.float32)
    x = x if model.inputs[0].dtype == "float32" else np.array([[10]], dtype=model.inputs[0].dtype)
    (y,) = dut.infer([x])
    (expected,) = Interpreter(model).run([x])
    assert np.array_equal(y, expected)


@pytest.mark.tinyflash(model=MODEL, app="validate")
def test_random_vectors_are_bit_exact(dut) -> None:
    report = dut.run_vectors(random=50, seed=1)
    assert report.status == "passed", report.message
    assert report.summary["vectors"] == 50

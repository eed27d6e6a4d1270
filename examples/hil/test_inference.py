"""An app of your own (here tinyflash's inference app): its serial output, line by line."""

from pathlib import Path

import pytest

from tinyflash.model import load_model
from tinyflash.reference import inference_lines

MODEL = Path(__file__).resolve().parents[1] / "sine_model.tflite"


@pytest.mark.tinyflash(model=MODEL, app="inference")
def test_outputs_match_the_host(dut) -> None:
    dut.expect(r"^tinyflash: ")
    expected = inference_lines(load_model(MODEL))
    assert dut.read_lines(len(expected)) == expected
    assert int(dut.expect(r"^run: 0 inference_us: (\d+)$").group(1)) >= 0

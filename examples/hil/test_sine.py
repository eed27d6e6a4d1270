"""The book's sine app on the board: it boots, then prints the wave the model computes."""

import re
from pathlib import Path

import pytest

from tinyflash.model import load_model
from tinyflash.reference import sine_steps

MODEL = Path(__file__).resolve().parents[1] / "sine_model.tflite"


@pytest.mark.tinyflash(model=MODEL, app="sine")
def test_boots_and_prints_the_wave(dut, tinyflash_board) -> None:
    dut.expect(r"^tinyflash: sine_model\.tflite on \S+ \((aot|tflm)\), arena \d+ bytes$")
    lines = dut.read_lines(20)
    assert all(re.fullmatch(r"x_value: -?\d+\.\d{6} y_value: -?\d+\.\d{6}", line) for line in lines), lines
    expected = [step.line for step in sine_steps(load_model(MODEL), tinyflash_board.inferences_per_cycle, 20)]
    assert lines == expected  # every printed value is what the model computes on the host

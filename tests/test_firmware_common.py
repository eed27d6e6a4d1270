"""The board-independent firmware pieces, compiled with the host g++ and run: serial number formatting and
tensor quantization must agree exactly with what tinyflash.reference predicts, or expected lines would not match."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import REPO, require_tool
from tinyflash.model import Quantization, Tensor
from tinyflash.reference import dequantize, format_fixed, quantize

COMMON = REPO / "firmware_templates" / "common"

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "serial_line.h"
#include "tensor_io.h"
#include "tinyflash_board.h"

extern "C" void board_write(const char* data, size_t length) { fwrite(data, 1, length, stdout); }

int main(int argc, char** argv) {
  // argv: scale zero_point then values; prints per value: formatted float, int8 quantized, dequantized back.
  float scale = strtof(argv[1], nullptr);
  int zero_point = atoi(argv[2]);
  int8_t q[1];
  model::TensorView t{q, model::Type::kInt8, 1, scale, zero_point};
  for (int i = 3; i < argc; ++i) {
    float v = strtof(argv[i], nullptr);
    WriteReal(t, 0, v);
    SerialLine().Float(v).Text(" ").Int(q[0]).Text(" ").Float(ReadReal(t, 0)).Send();
  }
  return 0;
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    gxx = require_tool("g++")
    d = tmp_path_factory.mktemp("common")
    (d / "main.cc").write_text(HARNESS)
    for name in ("serial_line.h", "serial_line.cc", "tensor_io.h", "model_runtime.h", "tinyflash_board.h"):
        (d / name).write_text((COMMON / name).read_text())
    exe = d / "harness"
    subprocess.run([gxx, "-std=c++14", "-Wall", "-Wextra", "-Werror", "-O2", "-I", str(d), str(d / "main.cc"),
                    str(d / "serial_line.cc"), "-o", str(exe)], check=True)  # fmt: skip
    return exe


def test_formatting_and_quantization_match_reference(harness):
    rng = np.random.default_rng(7)
    values = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, -4e-7, 6.2831855, 123456.789, -0.0000005, 0.9999996]
    values += rng.uniform(-8, 8, 200).astype(np.float32).tolist()
    scale, zero_point = 0.02461863, -128
    t = Tensor(0, "in", (1, 1), "int8", Quantization((scale,), (zero_point,)))
    args = [f"{scale!r}", str(zero_point)] + [repr(float(np.float32(v))) for v in values]
    lines = subprocess.run([str(harness), *args], capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) == len(values)
    for v, line in zip(values, lines, strict=True):
        q = quantize(v, t)
        expected = f"{format_fixed(v)} {int(q.item())} {format_fixed(dequantize(q, t).item())}"
        assert line == expected, (v, line, expected)

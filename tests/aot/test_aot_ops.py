"""Each supported op, in its variants, against TFLM's reference kernels (the tflite-micro runtime).

All cases are compiled into one host program (one g++ run per case, two at a time), then each case
runs four seeded random inputs through both; and all of them again in one firmware on the virtual
Cortex-M4 under QEMU. int8 must match bit for bit; float32 within 1e-5.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from aot_support import ARM_FLAGS, HostProgram, build_host_program, oracle, random_inputs
from cases import CASES, binary_model, build_case
from modelbuilder import GraphBuilder
from qemu_support import run_models

from conftest import require_tool

NAMES = sorted(CASES)
RUNS = 4


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> HostProgram:
    require_tool("g++")
    return build_host_program([build_case(n) for n in NAMES], Path(tmp_path_factory.mktemp("aot_ops")))


def assert_same(ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> None:
    for run_ours, run_ref in zip(ours, reference, strict=True):
        for a, b in zip(run_ours, run_ref, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            if a.dtype == np.float32:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
            else:
                np.testing.assert_array_equal(a, b)


@pytest.mark.integration
@pytest.mark.parametrize("name", NAMES)
def test_op_matches_tflm(program: HostProgram, name: str) -> None:
    case = NAMES.index(name)
    model = program.models[case]
    inputs = _inputs(model, case)
    reference = oracle(model, inputs)
    assert_same(program.run(case, inputs), reference)
    # A case whose reference output is constant would prove little.
    assert len(np.unique(np.concatenate([r[0].ravel() for r in reference]))) > 1


def _inputs(model, case: int) -> list[list[np.ndarray]]:
    return random_inputs(model, RUNS, np.random.default_rng(case), scale=2.0)


@pytest.mark.integration
def test_every_case_matches_tflm_on_virtual_m4(program: HostProgram, tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    inputs = [_inputs(model, case) for case, model in enumerate(program.models)]
    outputs = run_models("virtual-m4", list(program.models), inputs, tmp_path)
    for name, model, ins, outs in zip(NAMES, program.models, inputs, outputs, strict=True):
        assert len(outs) == RUNS, name
        assert_same(outs, oracle(model, ins))


@pytest.mark.integration
def test_int8_arithmetic_matches_tflm_for_every_pair_of_inputs(tmp_path: Path) -> None:
    """ADD, SUB, SQUARED_DIFFERENCE, MUL, MAXIMUM and PRELU over all 65,536 int8 input pairs, for random scales and zero
    points: every requantization path, not only what random inputs happen to reach."""
    require_tool("g++")
    values = np.arange(-128, 128, dtype=np.int8)
    inputs = [[np.repeat(values, 256), np.tile(values, 256)]]
    rng = np.random.default_rng(11)
    models = []
    for _ in range(3):
        qa, qb, qo = (("int8", float(rng.uniform(0.005, 0.2)), int(rng.integers(-20, 20))) for _ in range(3))
        for opcode in ("ADD", "SUB", "SQUARED_DIFFERENCE", "MUL", "MAXIMUM", "PRELU"):
            models.append(binary_model(GraphBuilder(rng), opcode, (65536,), (65536,), (65536,), qa, qb, qo))
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, inputs), oracle(model, inputs))


#: Every int16 value, in 16 runs of 4096 (small enough for the virtual board's flash and serial line).
INT16_VALUES = [[v] for v in np.arange(-32768, 32768, dtype=np.int16).reshape(16, 4096)]


def _sigmoid16_models(scales: list[float]) -> list:
    rng = np.random.default_rng(17)
    return [_sigmoid16(GraphBuilder(rng), opcode, scale) for scale in scales for opcode in ("LOGISTIC", "TANH")]


def _sigmoid16(g: GraphBuilder, opcode: str, scale: float):
    x = g.input((4096,), "int16", scale, 0)
    y = g.tensor((4096,), "int16", 2.0**-15, 0)
    g.op(opcode, [x], [y])
    return g.model([y])


@pytest.mark.integration
def test_int16_logistic_and_tanh_match_tflm_for_every_input(tmp_path: Path) -> None:
    """int16 LOGISTIC and TANH over all 65,536 inputs: the power-of-two scales TFLM special-cases (2^-12, TANH's
    2^-11, one CheckedLog2 reads as 2^-12), powers of two it does not, the smallest shift's range, random scales
    up to the largest TFLM takes and a random power of two."""
    require_tool("g++")
    rng = np.random.default_rng(19)
    fixed = [2.0**-12, 2.0**-11, 2.0**-12 * 1.0005, 2.0**-10, 2.0**-13, 1e-9, 2.6]
    scales = fixed + [float(10 ** rng.uniform(-5, 0.4)) for _ in range(3)] + [2.0 ** int(rng.integers(-16, 2))]
    models = _sigmoid16_models(scales)
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, INT16_VALUES), oracle(model, INT16_VALUES))


@pytest.mark.integration
def test_int16_logistic_and_tanh_match_tflm_for_every_input_on_virtual_m4(tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    models = _sigmoid16_models([float(np.random.default_rng(23).uniform(1e-4, 1e-3))])
    outputs = run_models("virtual-m4", models, [INT16_VALUES] * len(models), tmp_path)
    for model, outs in zip(models, outputs, strict=True):
        assert_same(outs, oracle(model, INT16_VALUES))


@pytest.mark.integration
def test_int8_div_matches_tflm_for_every_pair_with_a_nonzero_divisor(tmp_path: Path) -> None:
    """DIV over every int8 dividend and every divisor but the zero point (a zero divisor is undefined in TFLM), for
    random scales and zero points, fine and coarse output scales."""
    require_tool("g++")
    rng = np.random.default_rng(13)
    models, inputs = [], []
    for scale_out in (0.002, 0.05, 1.5):
        qa, qb = (("int8", float(rng.uniform(0.005, 0.2)), int(rng.integers(-20, 20))) for _ in range(2))
        values = np.arange(-128, 128, dtype=np.int8)
        divisors = values[values != qb[2]]
        a, b = np.repeat(values, divisors.size), np.tile(divisors, 256)
        qo = ("int8", scale_out, int(rng.integers(-20, 20)))
        models.append(binary_model(GraphBuilder(rng), "DIV", a.shape, b.shape, a.shape, qa, qb, qo))
        inputs.append([[a, b]])
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        assert_same(program.run(case, inputs[case]), oracle(model, inputs[case]))


@pytest.mark.integration
def test_every_kernel_builds_warning_free_for_cortex_m4(program: HostProgram) -> None:
    """All cases' sources (each in its own namespace) as one translation unit for the M4."""
    compiler = require_tool("arm-none-eabi-g++")
    workdir = program.binary.parent
    unit = workdir / "all_cases_m4.cc"
    unit.write_text("".join(f'#include "case{i}.cc"\n' for i in range(len(program.models))))
    proc = subprocess.run(
        [compiler, *ARM_FLAGS, "-I", str(workdir), "-c", str(unit), "-o", str(workdir / "all_cases_m4.o")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr

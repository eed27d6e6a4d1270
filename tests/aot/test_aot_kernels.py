"""Every optimized (DSP) kernel against the reference kernel and TFLM, over randomized shapes, zero
points, multipliers, biases and activations (kernel_cases.py), with random and saturating inputs:
on the host (the DSP instructions in portable C) and on QEMU's Cortex-M4 (the real instructions)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from aot_support import HOST_FLAGS, HostProgram, build_host_program, oracle
from kernel_cases import extreme_inputs, kernel_cases
from qemu_support import run_models
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import GENERIC, Target, generate, library

DSP = Target("dsp-test", frozenset({"dsp"}))
CASES = kernel_cases(6)
NAMES = [c.name for c in CASES]


#: More invocations than an SVDF case's memory, so the state fills, and the saturated runs move through it.
STATEFUL_RUNS = 13
#: The implementations that keep a state across invocations.
STATEFUL = {"svdf_dsp", "lstm_dsp"}


def _inputs(case: int) -> list[list[np.ndarray]]:
    later = STATEFUL_RUNS if CASES[case].implementation in STATEFUL else 0
    return extreme_inputs(CASES[case].model, np.random.default_rng(case), later)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> HostProgram:
    require_tool("g++")
    models = [c.model for c in CASES]
    targets = [GENERIC] * len(models) + [DSP] * len(models)
    return build_host_program(models * 2, Path(tmp_path_factory.mktemp("aot_kernels")), targets=targets)


def test_cases_reach_every_optimized_implementation_and_both_requantization_paths() -> None:
    seen, svdf_paths, svdf_output_paths = set(), set(), set()
    for c in CASES:
        result = generate(c.model, target=DSP)
        source = result.files["model_aot.cc"]
        assert [ch.implementation for ch in result.choices] == [c.implementation], c.name
        seen.add((c.implementation, "fast = true" in source))  # SVDF: .feature_fast
        if c.implementation == "svdf_dsp":  # TFLM's general code, the right shift's short path, the left shift's
            svdf_paths.add("general" if ".feature_fast = false" in source else ".feature_left_shift = 1," in source)
            svdf_output_paths.add(".output_fast = true" in source)
    implementations = {c.implementation for c in CASES}
    assert seen == {(impl, fast) for impl in implementations for fast in (True, False)}
    assert svdf_paths == {"general", True, False} and svdf_output_paths == {True, False}


@pytest.mark.integration
@pytest.mark.parametrize("name", NAMES)
def test_optimized_kernel_matches_reference_on_host(host: HostProgram, name: str) -> None:
    case = NAMES.index(name)
    inputs = _inputs(case)
    reference = host.run(case, inputs)
    assert_same(host.run(len(CASES) + case, inputs), reference)
    assert_same(reference, oracle(CASES[case].model, inputs))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("board", "defines"),
    [("virtual-m4", ()), ("virtual-m7", ("TINYFLASH_DSP_ASM",))],
    ids=["virtual-m4-acle", "virtual-m7-asm"],
)
def test_optimized_kernels_match_reference_on_qemu(board: str, defines: tuple[str, ...], tmp_path: Path) -> None:
    """All cases in one firmware: reference and DSP kernels on the same inputs, both printed as hex. The M7 build
    uses the inline-assembly forms of the DSP instructions (what compilers older than GCC 10 get)."""
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    models = [c.model for c in CASES]
    inputs = [_inputs(i) for i in range(len(CASES))]
    targets = [GENERIC] * len(CASES) + [DSP] * len(CASES)
    outputs = run_models(board, models * 2, inputs * 2, tmp_path, targets, defines)
    for i, c in enumerate(CASES):
        reference, optimized = outputs[i], outputs[len(CASES) + i]
        for run, expected in enumerate(oracle(c.model, inputs[i])):
            ref, dsp = reference[run][0], optimized[run][0]
            assert dsp.tobytes() == ref.tobytes(), (
                f"{c.name} run {run}: the DSP kernel differs from the reference on {board}"
            )
            assert ref.tobytes() == expected[0].astype(np.int8).tobytes(), (
                f"{c.name} run {run}: the reference kernel differs from TFLM on {board}"
            )


def _run_check(name: str, tmp_path: Path) -> None:
    """Builds tests/aot/<name>.cc against the kernel library for the host and runs it: it prints "ok" when every
    value it tries matches TFLM."""
    compiler = require_tool("g++")
    program = tmp_path / name
    source = Path(__file__).with_name(f"{name}.cc")
    args = [compiler, *HOST_FLAGS, "-I", str(library.KERNELS_DIR), str(source), "-o", str(program)]
    subprocess.run(args, check=True, timeout=300)
    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stdout


@pytest.mark.integration
def test_svdf_short_requantization_paths_equal_tflm_at_every_tie(tmp_path: Path) -> None:
    """Rounding ties are too rare in random sums to trust the cases above with them: svdf_requantize_check.cc puts the
    output path at every tie of both of TFLM's roundings around the int8 range, runs of consecutive sums and the int32
    limits, and the feature path's left shifts over their whole range, against MultiplyByQuantizedMultiplier."""
    _run_check("svdf_requantize_check", tmp_path)


@pytest.mark.integration
def test_lstm_short_requantization_equals_tflm_at_every_tie(tmp_path: Path) -> None:
    """The LSTM kernel's Q3.12 short path: a rounding tie moves a gate sum by one, which the gates' sigmoid and the
    int8 hidden state usually absorb, so the cases above cannot be trusted with it; lstm_requantize_check.cc tries
    left and right shifts over every sum the generator lets take the path, and the ties of the right shift."""
    _run_check("lstm_requantize_check", tmp_path)

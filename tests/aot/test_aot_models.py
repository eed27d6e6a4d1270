"""The shared example models: exact int8 (and float) agreement with TFLM, arena size, and a
warning-free Cortex-M4 build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from aot_support import RUNTIME_HEADER, HostProgram, build_host_program, oracle, random_inputs
from test_aot_ops import assert_same

from conftest import require_tool, shared_model
from tinyflash.aot import generate, target_of
from tinyflash.arena import estimate_arena
from tinyflash.boards import get_board
from tinyflash.model import load_model

MODELS = [
    "hello_world_float.tflite",
    "hello_world_int8.tflite",
    "micro_speech_quantized.tflite",
    "person_detect.tflite",
]


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> HostProgram:
    require_tool("g++")
    models = [load_model(shared_model(name)) for name in MODELS]
    return build_host_program(models, Path(tmp_path_factory.mktemp("aot_models")))


@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tflm(program: HostProgram, name: str) -> None:
    case = MODELS.index(name)
    model = program.models[case]
    inputs = random_inputs(model, 5, np.random.default_rng(case))
    assert_same(program.run(case, inputs), oracle(model, inputs))


@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_arena_is_near_lower_bound_and_below_tflm(name: str) -> None:
    model = load_model(shared_model(name))
    result = generate(model)
    assert result.lower_bound_bytes <= result.arena_bytes <= 1.05 * result.lower_bound_bytes
    tflm = estimate_arena(model).minimum_bytes
    assert result.arena_bytes <= tflm
    # The optimized kernels' scratch buffers share the arena and keep it below TFLM's too.
    optimized = generate(model, target=target_of(get_board("virtual-m4")))
    assert optimized.lower_bound_bytes <= optimized.arena_bytes <= max(1.05 * optimized.lower_bound_bytes, 64)
    assert optimized.arena_bytes <= tflm


#: Compiler and flags per board: what its build uses for the generated file (esp32's Xtensa compiler does not exist
#: here; it gets the portable reference kernels, compiled with the host's g++ as the closest check).
BOARD_BUILDS = {
    "nano33ble": ["arm-none-eabi-g++", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-std=gnu++14"],
    "sparkfun_edge": ["arm-none-eabi-g++", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "disco_f746ng": ["arm-none-eabi-g++", "-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
    "esp32": ["g++"],
}


@pytest.mark.integration
@pytest.mark.parametrize("board_id", sorted(BOARD_BUILDS))
def test_shared_models_build_warning_free_for_each_board(board_id: str, tmp_path: Path) -> None:
    """The kernels each real board's profile selects compile without a warning for its core (the virtual boards
    build and run the same code under QEMU in test_e2e_virtual.py)."""
    compiler, *flags = BOARD_BUILDS[board_id]
    require_tool(compiler)
    target = target_of(get_board(board_id))
    (tmp_path / "model_runtime.h").write_text(RUNTIME_HEADER.read_text())
    units = []
    for i, name in enumerate(("person_detect.tflite", "micro_speech_quantized.tflite")):
        result = generate(load_model(shared_model(name)), namespace=f"m{i}", target=target)
        (tmp_path / f"m{i}.inc").write_text(result.files["model_aot.cc"])
        units.append(f'#include "m{i}.inc"\n')
        uses_dsp = any(c.implementation.endswith("_dsp") for c in result.choices)
        assert uses_dsp == ("dsp" in target.features), (board_id, result.choices)
    (tmp_path / "models.cc").write_text("".join(units))
    std = [] if any(f.startswith("-std=") for f in flags) else ["-std=c++17"]
    proc = subprocess.run(
        [compiler, *flags, *std, "-O2", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra", "-Werror",
         "-I", str(tmp_path), "-c", str(tmp_path / "models.cc"), "-o", str(tmp_path / "models.o")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0 and not proc.stderr, proc.stderr[:4000]


@pytest.mark.integration
def test_debug_hook_sees_every_operator_output(tmp_path: Path) -> None:
    """Built with -DTINYFLASH_AOT_DEBUG, Invoke reports each op's output (for a per-layer comparison)."""
    require_tool("g++")
    model = load_model(shared_model("micro_speech_quantized.tflite"))
    program = build_host_program([model], tmp_path, defines=("TINYFLASH_AOT_DEBUG",))
    inputs = random_inputs(model, 1, np.random.default_rng(7))
    lines: list[str] = []
    outputs = program.run(0, inputs, stderr=lines)
    ops = model.main.operators
    assert [line.split()[:2] for line in lines] == [[str(i), op.opcode] for i, op in enumerate(ops)]
    for line, op in zip(lines, ops, strict=True):
        assert int(line.split()[2]) == model.main.tensors[op.outputs[0]].elements
    assert lines[-1].split()[3] == outputs[0][0].tobytes().hex()


def test_generated_code_compiles_the_hook_out_by_default() -> None:
    source = generate(load_model(shared_model("hello_world_int8.tflite"))).files["model_aot.cc"]
    hook = source.index("#if defined(TINYFLASH_AOT_DEBUG)")
    assert "inline void AfterOperator(size_t) {}" in source[hook:]
    assert source.count("DebugOperatorOutput(") == 1  # the one call, inside the #if


def test_inspect_reports_each_ops_implementation_and_the_scratch(tmp_path: Path) -> None:
    from tinyflash.runtimes import aot_support

    model = load_model(shared_model("person_detect.tflite"))
    m4 = aot_support(model, get_board("virtual-m4"))
    used = {impl for _, _, impl in m4.implementations}
    assert {"conv_1x1_dsp", "depthwise_dsp", "conv_im2col_dsp"} <= used
    assert m4.scratch_bytes > 0 and m4.arena_bytes >= m4.lower_bound_bytes and "dsp" in m4.target
    native = aot_support(model, get_board("native"))
    assert {impl for _, _, impl in native.implementations} <= {"reference", "alias"}
    assert native.scratch_bytes == 0

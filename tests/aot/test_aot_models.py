"""The shared example models: exact int8 (and float) agreement with TFLM, arena size, and a
warning-free Cortex-M4 build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from aot_support import ARM_FLAGS, RUNTIME_HEADER, HostProgram, build_host_program, oracle, random_inputs
from test_aot_ops import assert_same

from conftest import require_tool, shared_model
from tinyflash.aot import generate
from tinyflash.arena import estimate_arena
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
    assert result.arena_bytes <= estimate_arena(model).minimum_bytes


@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_cortex_m4_build_is_warning_free(name: str, tmp_path: Path) -> None:
    compiler = require_tool("arm-none-eabi-g++")
    source = tmp_path / "model_aot.cc"
    source.write_text(generate(load_model(shared_model(name))).files["model_aot.cc"])
    (tmp_path / "model_runtime.h").write_text(RUNTIME_HEADER.read_text())
    proc = subprocess.run(
        [compiler, *ARM_FLAGS, "-I", str(tmp_path), "-c", str(source), "-o", str(tmp_path / "model_aot.o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr

"""Random small graphs of supported ops (seeded, bounded count) against TFLM's reference kernels, on the host and
all in one firmware on the virtual Cortex-M4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aot_support import HostProgram, build_host_program, oracle, random_inputs
from fuzz_graphs import random_graph
from qemu_support import run_models
from test_aot_ops import assert_same

from conftest import require_tool

SEEDS = range(28)
#: A quarter float32, a half int8, a quarter 16x8 (int16 activations, int8 weights).
TYPES = ("float32", "int8", "int16", "int8")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> HostProgram:
    require_tool("g++")
    models = [random_graph(seed, TYPES[seed % 4]) for seed in SEEDS]
    return build_host_program(models, Path(tmp_path_factory.mktemp("aot_fuzz")))


@pytest.mark.integration
@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_matches_tflm(program: HostProgram, seed: int) -> None:
    model = program.models[seed]
    inputs = _inputs(model, seed)
    assert_same(program.run(seed, inputs), oracle(model, inputs))


def _inputs(model, seed: int) -> list[list[np.ndarray]]:
    return random_inputs(model, 3, np.random.default_rng(1000 + seed), scale=2.0)


@pytest.mark.integration
def test_random_graphs_match_tflm_on_virtual_m4(program: HostProgram, tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    inputs = [_inputs(model, seed) for seed, model in zip(SEEDS, program.models, strict=True)]
    outputs = run_models("virtual-m4", list(program.models), inputs, tmp_path)
    for model, ins, outs in zip(program.models, inputs, outputs, strict=True):
        assert_same(outs, oracle(model, ins))

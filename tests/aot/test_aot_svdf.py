"""SVDF, a stateful op: its state (a variable tensor) carries from one invocation to the next exactly as in TFLM,
over sequences longer than its memory, on the host and on virtual-m4; Reset() returns it to TFLM's initial state;
the plan never lets another tensor use the state's bytes; the cases TFLM refuses or the kernel does not take are
refused by name. test_aot_ops.py runs the single-op cases (cases.py) four invocations in a row as well. The int8 cases
with an int16 state run the DSP kernel (svdf_dsp) on virtual-m4 and, with its portable instructions, on the host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle, random_inputs
from cases import keyword_like, svdf_model
from modelbuilder import RELU, RELU6, RELU_N1_TO_1, GraphBuilder, options, refusal
from qemu_support import run_models
from test_aot_kernels import DSP
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import GENERIC, generate, target_of
from tinyflash.aot.planner import plan_memory
from tinyflash.boards import get_board
from tinyflash.model import ModelInfo

#: More invocations than any case's memory, so values enter, move through and leave the state.
RUNS = 12


def _stacked(g: GraphBuilder) -> ModelInfo:
    """Two int8 SVDFs (int16 states) with a FULLY_CONNECTED between them, as keyword-spotting models chain them: two
    states in the plan beside activations that do share bytes."""
    x = g.input((1, 10), "int8", 0.02, -3)
    layers = []
    for input_size, units, out_q in ((10, 4, ("int8", 0.04, 6)), (6, 3, ("int8", 0.04, -2))):
        filters, memory = units * 2, 5
        wf = g.weights((filters, input_size), "int8", 0.01)
        time = g.rng.integers(-32767, 32768, (filters, memory)).astype(np.int16)
        wt = g.tensor((filters, memory), "int16", 1e-5, 0, time)
        bias = g.tensor((units,), "int32", 1e-8, 0, g.rng.integers(-40000, 40000, units).astype(np.int32))
        state = g.state((1, memory * filters), "int16", 0.001, 0)
        y = g.tensor((1, units), *out_q)
        g.op("SVDF", [x, wf, wt, bias, state], [y], options("SVDFOptions", rank=2, fused_activation_function=RELU))
        layers.append(y)
        if len(layers) == 1:
            x = g.tensor((1, 6), "int8", 0.05, 1)
            w, b = g.weights((6, 4), "int8", 0.02), g.weights((6,), "int32", 0.04 * 0.02)
            g.op("FULLY_CONNECTED", [y, w, b], [x], options("FullyConnectedOptions"))
    return g.model(layers)


BUILDS: dict[str, Callable[[GraphBuilder], ModelInfo]] = {
    "f32_batches3_rank3_relu6": lambda g: svdf_model(g, 3, 4, 2, 3, 5, "float32", RELU6),
    "f32_relu_n1_to_1": lambda g: svdf_model(g, 1, 6, 4, 1, 2, "float32", RELU_N1_TO_1),
    "i8_state16_batches2": lambda g: svdf_model(g, 2, 9, 3, 2, 6, "int16"),
    "i8_state16_memory1": lambda g: svdf_model(g, 1, 5, 4, 1, 1, "int16", RELU),
    "i8_state8_batches3": lambda g: svdf_model(g, 3, 7, 2, 2, 4, "int8"),
    "i8_stacked_with_fc": _stacked,
    "keyword_like_int16_ends": keyword_like,  # keyword_scrambled's form: int16 input, SOFTMAX int16, QUANTIZE int32
}
NAMES = sorted(BUILDS)


def _models() -> list[ModelInfo]:
    return [BUILDS[name](GraphBuilder(np.random.default_rng(case))) for case, name in enumerate(NAMES)]


def _inputs(models: list[ModelInfo]) -> list[list[list[np.ndarray]]]:
    return [random_inputs(m, RUNS, np.random.default_rng(100 + case), scale=2.0) for case, m in enumerate(models)]


def _assert_stateful_same(ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> None:
    """``assert_same``, and the reference must change from run to run: a case whose state never shows proves little."""
    assert_same(ours, reference)
    assert len({run[0].tobytes() for run in reference}) > RUNS // 2


@pytest.mark.integration
def test_state_carries_across_invocations_as_in_tflm(tmp_path: Path) -> None:
    """Each case invoked RUNS times in a row by the host program (reference and DSP kernels) and by the tflite-micro
    runtime: every run's output equal (int8 bit for bit), so the state moved and was kept exactly as TFLM keeps it."""
    require_tool("g++")
    models = _models()
    inputs = _inputs(models)
    program = build_host_program(models * 2, tmp_path, targets=[GENERIC] * len(models) + [DSP] * len(models))
    for case, model in enumerate(models):
        expected = oracle(model, inputs[case])
        _assert_stateful_same(program.run(case, inputs[case]), expected)
        _assert_stateful_same(program.run(len(models) + case, inputs[case]), expected)


def test_int16_state_cases_take_the_dsp_kernel_on_virtual_m4() -> None:
    target = target_of(get_board("virtual-m4"))
    for name, model in zip(NAMES, _models(), strict=True):
        chosen = {c.implementation for c in generate(model, target=target).choices if c.opcode == "SVDF"}
        assert chosen == ({"reference"} if name.startswith("f32") or "state8" in name else {"svdf_dsp"}), name


@pytest.mark.integration
def test_state_carries_across_invocations_on_virtual_m4(tmp_path: Path) -> None:
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    models = _models()
    inputs = _inputs(models)
    outputs = run_models("virtual-m4", models, inputs, tmp_path)
    for model, ins, outs in zip(models, inputs, outputs, strict=True):
        assert len(outs) == RUNS
        _assert_stateful_same(outs, oracle(model, ins))


@pytest.mark.integration
def test_reset_returns_to_the_initial_state(tmp_path: Path) -> None:
    """Runs, Reset(), runs: what follows the reset equals a fresh tflite-micro interpreter's outputs for those runs,
    and differs from what the carried state would have given. The int8 state has zero point 4: Reset() (and Setup())
    fill it with 4, as TFLM does, not with 0."""
    require_tool("g++")
    models = [svdf_model(GraphBuilder(np.random.default_rng(7)), 1, 6, 3, 1, 4, state) for state in ("int8", "int16")]
    models.append(svdf_model(GraphBuilder(np.random.default_rng(8)), 2, 5, 3, 2, 3, "float32", RELU))
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        first, second = (random_inputs(model, 5, np.random.default_rng(seed), 2.0) for seed in (1, 2))
        ours = program.run(case, first + second, reset_before=len(first))
        assert_same(ours, oracle(model, first) + oracle(model, second))
        carried = oracle(model, first + second)[len(first) :]
        assert any(a[0].tobytes() != b[0].tobytes() for a, b in zip(carried, ours[len(first) :], strict=True))


def test_states_get_bytes_no_other_tensor_uses() -> None:
    """Variable tensors are live over the whole graph in the plan: no other tensor, and no scratch, overlaps them."""
    model = _stacked(GraphBuilder(np.random.default_rng(0)))
    sg = model.main
    states = [i for i, t in enumerate(sg.tensors) if t.is_variable]
    plan = plan_memory(sg, {0: 64, 2: 64})
    assert len(states) == 2
    regions = [(plan.offsets[t], plan.offsets[t] + sg.tensors[t].nbytes, t) for t in plan.offsets]
    regions += [(o, o + 64, -1) for o in plan.scratch_offsets.values()]
    for t in states:
        start, end = plan.offsets[t], plan.offsets[t] + sg.tensors[t].nbytes
        others = [r for r in regions if r[2] != t and r[0] < end and start < r[1]]
        assert not others, (t, others)
    source = generate(model).files["model_aot.cc"]
    assert source.count("  memset(g_arena + kOffsetT") == 2 and "bool Setup() { return Reset(); }" in source


def _no_bias(g: GraphBuilder) -> ModelInfo:
    x = g.input((1, 4))
    state = g.state((1, 6))
    y = g.tensor((1, 3))
    g.op("SVDF", [x, g.weights((3, 4)), g.weights((3, 2)), -1, state], [y], options("SVDFOptions", rank=1))
    return g.model([y])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_no_bias, "an SVDF without a bias is not supported"),
        (lambda g: svdf_model(g, 1, 4, 2, 1, 3, "float32", variable=False), "must be a variable tensor"),
        (lambda g: svdf_model(g, 1, 4, 2, 2, 3, "int16", option_rank=3), "rank 3 does not divide its 4 filters"),
        (lambda g: svdf_model(g, 1, 4, 2, 1, 3, "int8", bias_scale=1.1), "bias scale is not the state scale"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    message_seen = refusal(build)
    assert "SVDF" in message_seen and message in message_seen

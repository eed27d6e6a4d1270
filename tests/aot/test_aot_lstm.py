"""UNIDIRECTIONAL_SEQUENCE_LSTM, a stateful op: randomized shapes, quantization, time or batch major and cell clip,
each case invoked several times in a row so the hidden and cell state carry over exactly as in TFLM, on the host and
on virtual-m4; Reset() returns both states to TFLM's initial ones; the plan never lets another tensor use their
bytes; what TFLM's kernel refuses, or this one does not take, is refused by name; a Keras LSTM classifier converted
by tinyflash runs on virtual-m4 as in TFLM. test_aot_ops.py runs the fixed single-op cases (cases.py) as well."""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, oracle, random_inputs, run_cases
from cases import lstm_model
from keras_models import lstm_classifier
from modelbuilder import GraphBuilder, refusal
from test_aot_ops import assert_same

from conftest import require_tool, unavailable
from tinyflash import aot
from tinyflash.aot import generate
from tinyflash.aot.planner import plan_memory
from tinyflash.model import ModelInfo, load_model

RUNS = 5
KINDS = ("float32", "int8", "int16")
CASES = 12


def _random_case(seed: int) -> ModelInfo:
    """Case ``seed``: its kind in turn, the rest drawn: sizes, time major or not, a cell clip (tight enough to bite)
    or none, and for the integer kinds a cell state scale, not always a power of two (TFLM's tanh then reads the state
    at the nearest one)."""
    rng = np.random.default_rng(1000 + seed)
    kind = KINDS[seed % len(KINDS)]
    batches, steps, input_size, units = (int(rng.integers(1, n)) for n in (4, 6, 9, 9))
    clip = float(rng.choice([0.0, 0.0, 0.4, 1.5]))
    cell_scale = float(2.0 ** rng.integers(-13, -9) * rng.choice([1.0, 1.0, 1.3]))
    return lstm_model(
        GraphBuilder(rng),
        batches,
        steps,
        input_size,
        units,
        kind,
        time_major=bool(rng.integers(2)),
        cell_clip=clip,
        cell_scale=cell_scale,
    )


def _models() -> list[ModelInfo]:
    return [_random_case(seed) for seed in range(CASES)]


def _assert_stateful_same(ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> None:
    """``assert_same`` (int8 and int16 bit for bit), and the reference must change from run to run."""
    assert_same(ours, reference)
    assert len({run[0].tobytes() for run in reference}) == len(reference)


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_state_carries_across_invocations_as_in_tflm(board: str, tmp_path: Path) -> None:
    """Each case invoked RUNS times in a row by the generated code and by the tflite-micro runtime: every run's output
    equal, so both states moved and were kept exactly as TFLM keeps them."""
    models = _models()
    inputs, outputs = run_cases(board, models, tmp_path, RUNS, 1.0)
    for model, ins, outs in zip(models, inputs, outputs, strict=True):
        _assert_stateful_same(outs, oracle(model, ins))


@pytest.mark.integration
def test_reset_returns_to_the_initial_state(tmp_path: Path) -> None:
    """Runs, Reset(), runs: what follows the reset equals a fresh tflite-micro interpreter's outputs for those runs,
    and differs from what the carried states would have given. The int8 hidden state has a non-zero zero point:
    Reset() fills it with that, as TFLM does."""
    require_tool("g++")
    models = [lstm_model(GraphBuilder(np.random.default_rng(9)), 2, 3, 4, 3, kind) for kind in KINDS]
    hidden = models[1].main.tensors[models[1].main.operators[0].inputs[18]]
    assert hidden.quant.zero_point != 0
    program = build_host_program(models, tmp_path)
    for case, model in enumerate(models):
        first, second = (random_inputs(model, 3, np.random.default_rng(seed)) for seed in (1, 2))
        ours = program.run(case, first + second, reset_before=len(first))
        assert_same(ours, oracle(model, first) + oracle(model, second))
        carried = oracle(model, first + second)[len(first) :]
        assert any(a[0].tobytes() != b[0].tobytes() for a, b in zip(carried, ours[len(first) :], strict=True))


def test_sigmoid_table_follows_its_stated_rule() -> None:
    """The int16 gates' table is ours, computed by the rule its header states; TFLite's entries are what the rule gives
    (44 of them are one above a plain rounding of the sigmoid), so the integer LSTM cases above pin it too."""
    header = (Path(aot.__file__).parent / "kernels/common/sigmoid_int16.h").read_text()
    body = header[header.index("kSigmoidTable[256] = {") : header.index("};")]
    table = [int(v) for v in re.findall(r"\b\d+\b", body.split("{", 1)[1])]

    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    def entry(i: int) -> int:
        x, h = i / 24, 1 / 24
        left = sigmoid(x - h / 2) - (sigmoid(x - h) + sigmoid(x)) / 2
        right = sigmoid(x + h / 2) - (sigmoid(x) + sigmoid(x + h)) / 2
        return round(65536 * (sigmoid(x) + (left + right) / 4))

    assert table == [*(entry(i) for i in range(255)), 65535]


def test_states_get_bytes_no_other_tensor_uses() -> None:
    """Both states are live over the whole graph in the plan: no other tensor, and not the scratch, overlaps them;
    Reset() clears each."""
    model = lstm_model(GraphBuilder(np.random.default_rng(0)), 2, 3, 4, 5, "int8")
    sg = model.main
    states = [i for i, t in enumerate(sg.tensors) if t.is_variable]
    plan = plan_memory(sg, {0: 80})
    assert len(states) == 2
    regions = [(plan.offsets[t], plan.offsets[t] + sg.tensors[t].nbytes, t) for t in plan.offsets]
    regions += [(o, o + 80, -1) for o in plan.scratch_offsets.values()]
    for t in states:
        start, end = plan.offsets[t], plan.offsets[t] + sg.tensors[t].nbytes
        assert not [r for r in regions if r[2] != t and r[0] < end and start < r[1]]
    assert generate(model).files["model_aot.cc"].count("  memset(g_arena + kOffsetT") == 2


def _with(kind: str, **changes: object) -> Callable[[GraphBuilder], ModelInfo]:
    return lambda g: lstm_model(g, 1, 2, 3, 4, kind, **changes)  # type: ignore[arg-type]


def _extra(index: int, kind: str = "float32") -> Callable[[GraphBuilder], ModelInfo]:
    """An optional operand (peephole, projection, layer norm) given a tensor of the float32 weights' kind."""
    return lambda g: lstm_model(g, 1, 2, 3, 4, kind, extra={index: g.weights((4,))})


def _per_channel_weights(g: GraphBuilder) -> ModelInfo:
    model = lstm_model(g, 1, 2, 3, 4, "int8")
    return _replace_weights(g, model, scale=[0.01, 0.02, 0.01, 0.03], zero_point=0)


def _asymmetric_weights(g: GraphBuilder) -> ModelInfo:
    model = lstm_model(g, 1, 2, 3, 4, "int8")
    return _replace_weights(g, model, scale=0.01, zero_point=3)


def _replace_weights(g: GraphBuilder, model: ModelInfo, scale, zero_point: int) -> ModelInfo:
    """The same builder's graph with the cell gate's input weights swapped for ones quantized as given."""
    data = g.rng.integers(-127, 128, (4, 3)).astype(np.int8)
    weights = g.tensor((4, 3), "int8", scale, zero_point, data)
    op = g.ops[-1]
    g.ops[-1] = replace(op, inputs=(*op.inputs[:3], weights, *op.inputs[4:]))
    return g.model([op.outputs[0]])


def _hybrid(g: GraphBuilder) -> ModelInfo:
    """float32 activations with int8 weights: TFLite's hybrid LSTM, which TFLM's kernel does not run."""
    x = g.input((1, 2, 3))
    weights = [g.weights((4, n), "int8", 0.01) for n in (3, 3, 3, 3, 4, 4, 4, 4)]
    biases = [g.weights((4,)) for _ in range(4)]
    hidden, cell, y = g.state((1, 4)), g.state((1, 4)), g.tensor((1, 2, 4))
    operands = [x, *weights, -1, -1, -1, *biases, -1, -1, hidden, cell, -1, -1, -1, -1]
    g.op("UNIDIRECTIONAL_SEQUENCE_LSTM", operands, [y], None)
    return g.model([y])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_extra(9), "an LSTM with peephole is not supported"),
        (_extra(17), "an LSTM with projection is not supported"),
        (_extra(21), "an LSTM with layer normalization is not supported"),
        (_with("float32", drop=(1, 5, 12)), "an LSTM without an input gate (CIFG) is not supported"),
        (_with("int8", drop=(13,)), "operand 13 is missing"),
        (_with("int8", variable=False), "must be a variable tensor"),
        (_with("float32", act=6), "cell gate activation 6 is not supported (TFLM's kernel applies TANH only)"),
        (_with("int8", cell_scale=8.0), "cell state scale is outside 2^-43..4"),
        (_per_channel_weights, "the cell gate's weights are quantized per channel"),
        (_asymmetric_weights, "the cell gate's weights have a zero point"),
        (_hybrid, "has type int8 (supported: float32)"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    seen = refusal(build)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in seen and message in seen


@pytest.mark.integration
def test_keras_lstm_classifier_int8_and_float_on_virtual_m4(tmp_path: Path) -> None:
    """The converted classifiers hold one UNIDIRECTIONAL_SEQUENCE_LSTM; convert's check agrees with Keras sample by
    sample (it resets the state between samples, as Keras starts each from zero); on virtual-m4, invoked in a row, the
    int8 model equals TFLM bit for bit and the float one within the float tolerance."""
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    for package in ("tensorflow", "tf_keras"):
        if importlib.util.find_spec(package) is None:
            unavailable(f"{package} is not installed (scripts/setup.sh installs it)")
    results = lstm_classifier(tmp_path)
    models = [load_model(r.out) for r in results]
    for model, result in zip(models, results, strict=True):
        assert model.main.operators[0].opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM"
        assert not result.check.warnings and result.check.outputs[0].top1_agreement == 1.0
    inputs, outputs = run_cases("virtual-m4", models, tmp_path / "m4", RUNS, 1.0)
    for model, ins, outs in zip(models, inputs, outputs, strict=True):
        assert_same(outs, oracle(model, ins))

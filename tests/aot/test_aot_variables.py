"""Resource variables: tf.Variable-using tf.Modules converted here by TensorFlow (VAR_HANDLE, READ_VARIABLE,
ASSIGN_VARIABLE, and CALL_ONCE with an initialisation subgraph) keep their values across invocations exactly as
TFLM does, on the host and on virtual-m4; Reset() gives what TFLM's Reset() gives (the variables zeroed, the
initialisation not run again); the variables' bytes are shared with nothing; what the AOT runtime cannot take is
refused by name. TensorFlow is required (skipped locally without it, failing in CI)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from aot_support import build_host_program, load_bytes, oracle, outputs_on, random_inputs
from modelbuilder import GraphBuilder, options
from test_aot_ops import assert_same

from conftest import require_tool, unavailable
from tinyflash.aot import AotUnsupported, generate, unsupported_ops
from tinyflash.model import ModelInfo

RUNS = 8


@pytest.fixture(scope="module")
def tf():
    if importlib.util.find_spec("tensorflow") is None:
        unavailable("TensorFlow is not installed (pip install 'tinyflash[tensorflow]')")
    from tinyflash.convert import import_tensorflow

    return import_tensorflow()


def _convert(tf, module, shape: tuple[int, ...], int8: bool = False) -> ModelInfo:
    fn = module.__call__.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], module)
    if int8:
        rng = np.random.default_rng(0)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([rng.uniform(-1, 1, shape).astype(np.float32)] for _ in range(32))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = converter.inference_output_type = tf.int8
    return load_bytes(converter.convert(), f"{type(module).__name__}.tflite")


def _modules(tf) -> dict[str, ModelInfo]:
    class Accumulator(tf.Module):
        """Adds each input to a variable that starts at 0.5 (CALL_ONCE assigns it), returns twice the sum."""

        def __init__(self):
            self.total = tf.Variable(tf.fill([1, 4], 0.5))

        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            self.total.assign_add(x)
            return self.total.read_value() * 2.0

    class CountedAverage(tf.Module):
        """Two variables: an int32 counter from 3 and a running average; returns the average times the count."""

        def __init__(self):
            self.count = tf.Variable(3, dtype=tf.int32)
            self.average = tf.Variable(tf.fill([1, 3], -1.0))

        @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32)])
        def __call__(self, x):
            self.count.assign_add(1)
            self.average.assign(self.average * 0.75 + x * 0.25)
            return self.average.read_value() * tf.cast(self.count.read_value(), tf.float32)

    return {
        **built_models(),
        "accumulator_float": _convert(tf, Accumulator(), (1, 4)),
        "accumulator_int8": _convert(tf, Accumulator(), (1, 4), int8=True),
        "counted_average": _convert(tf, CountedAverage(), (1, 3)),
    }


def _int8_accumulator(g: GraphBuilder) -> ModelInfo:
    """One subgraph, no CALL_ONCE: an int8 variable (zero point 5) read, added to, assigned. It starts, and restarts
    after Reset(), at its zero point, as TFLM fills it."""
    x = g.input((1, 4), "int8", 0.05, 5)
    handle = g.tensor((), "resource")
    g.op("VAR_HANDLE", [], [handle], options("VarHandleOptions", shared_name="total"))
    total, y = g.tensor((1, 4), "int8", 0.05, 5), g.tensor((1, 4), "int8", 0.05, 5)
    g.op("READ_VARIABLE", [handle], [total])
    g.op("ADD", [total, x], [y], options("AddOptions"))
    g.op("ASSIGN_VARIABLE", [handle, y], [])
    return g.model([y])


def _shared_handles(g: GraphBuilder) -> ModelInfo:
    """Two VAR_HANDLEs naming one variable (TFLM gives both its id) and a second variable: the previous input is
    assigned through one handle and read through the other, so the output is the last two inputs' difference."""
    x = g.input((2, 3))
    handles = [g.tensor((), "resource") for _ in range(3)]
    for handle, name in zip(handles, ("previous", "previous", "unused"), strict=True):
        g.op("VAR_HANDLE", [], [handle], options("VarHandleOptions", container="c", shared_name=name))
    previous, y = g.tensor((2, 3)), g.tensor((2, 3))
    g.op("READ_VARIABLE", [handles[0]], [previous])
    g.op("SUB", [x, previous], [y], options("SubOptions"))
    g.op("ASSIGN_VARIABLE", [handles[1], x], [])
    g.op("ASSIGN_VARIABLE", [handles[2], g.const(np.ones((1, 2)), "float32")], [])
    return g.model([y])


def built_models() -> dict[str, ModelInfo]:
    """Models made without TensorFlow (tests/aot/modelbuilder.py), for what the converter does not produce."""
    return {
        "built_int8_zero_point": _int8_accumulator(GraphBuilder(np.random.default_rng(0))),
        "built_shared_handles": _shared_handles(GraphBuilder(np.random.default_rng(1))),
    }


@pytest.fixture(scope="module")
def models(tf) -> dict[str, ModelInfo]:
    return _modules(tf)


def _tflm(model: ModelInfo, runs: list[list[np.ndarray]], reset_before: int = -1) -> list[list[np.ndarray]]:
    """The tflite-micro runtime's outputs, calling its Reset() before run ``reset_before``."""
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(model.data)
    outs = []
    for n, run in enumerate(runs):
        if n == reset_before:
            interp.reset()
        for i, a in enumerate(run):
            interp.set_input(a, i)
        interp.invoke()
        outs.append([np.array(interp.get_output(i)) for i in range(len(model.outputs))])
    return outs


def test_the_converted_models_use_variables_and_compile(models: dict[str, ModelInfo]) -> None:
    for name, model in models.items():
        ops = {o.name for o in model.ops}
        if not name.startswith("built"):
            assert {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"} <= ops and len(model.subgraphs) == 2
        assert unsupported_ops(model) == []
        result = generate(model)
        assert all(step >= 0 for step, op in result.folded if op == "VAR_HANDLE")
        assert "VAR_HANDLE" not in {c.opcode for c in result.choices}


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_variables_carry_across_invocations_as_in_tflm(models: dict[str, ModelInfo], board: str, tmp_path: Path):
    """Each model invoked RUNS times in a row by the generated code and by the tflite-micro runtime: the same outputs
    every run (int8 bit for bit), and they change from run to run."""
    cases = list(models.values())
    inputs = [random_inputs(m, RUNS, np.random.default_rng(10 + case)) for case, m in enumerate(cases)]
    for model, runs, ours in zip(cases, inputs, outputs_on(board, cases, inputs, tmp_path), strict=True):
        reference = oracle(model, runs)
        assert_same(ours, reference)
        assert len({run[0].tobytes() for run in reference}) == RUNS


@pytest.mark.integration
def test_reset_does_what_tflm_reset_does(models: dict[str, ModelInfo], tmp_path: Path) -> None:
    """Runs, Reset(), runs: the same outputs as the tflite-micro runtime reset at the same point. TFLM's Reset()
    zeroes the variables (an int8 one to its zero point) and CALL_ONCE stays done, so the initial values are not
    assigned again: with a CALL_ONCE the runs after the reset differ from a fresh interpreter's, without one they
    are the same."""
    require_tool("g++")
    cases = list(models.values())
    program = build_host_program(cases, tmp_path)
    for case, model in enumerate(cases):
        runs = random_inputs(model, 6, np.random.default_rng(case))
        reference = _tflm(model, runs, reset_before=3)
        assert_same(program.run(case, runs, reset_before=3), reference)
        fresh = oracle(model, runs[3:])
        differs = any(a[0].tobytes() != b[0].tobytes() for a, b in zip(fresh, reference[3:], strict=True))
        assert differs == ("CALL_ONCE" in {o.name for o in model.ops})


@pytest.mark.integration
def test_debug_hook_shows_ops_without_outputs_as_empty(models: dict[str, ModelInfo], tmp_path: Path) -> None:
    """With -DTINYFLASH_AOT_DEBUG every operator Invoke runs is reported; CALL_ONCE and ASSIGN_VARIABLE write no
    tensor, so their view has no elements. VAR_HANDLE is folded and never runs."""
    model = models["accumulator_float"]
    program = build_host_program([model], tmp_path, defines=("TINYFLASH_AOT_DEBUG",))
    lines: list[str] = []
    program.run(0, random_inputs(model, 1, np.random.default_rng(0)), stderr=lines)
    ran = [op.opcode for op in model.main.operators if op.opcode != "VAR_HANDLE"]
    assert [line.split()[1] for line in lines] == ran
    assert [line.split()[2] for line in lines if line.split()[1] in ("CALL_ONCE", "ASSIGN_VARIABLE")] == ["0", "0"]


def test_variables_get_bytes_nothing_else_uses(models: dict[str, ModelInfo]) -> None:
    source = generate(models["counted_average"]).files["model_aot.cc"]
    offsets = dict(
        (line.split()[2], int(line.split()[4].rstrip(";")))
        for line in source.splitlines()
        if line.startswith("constexpr size_t kOffset")
    )
    variables = [name for name in offsets if name.startswith("kOffsetVariable")]
    assert len(variables) == 2
    assert "  g_op0_called = false;\n  return Reset();" in source and "memset(g_arena + kOffsetVariable" in source
    from tinyflash.aot.variables import resolve

    sizes = {f"kOffsetVariable{v.id}": v.nbytes for v in resolve(models["counted_average"]).variables}
    sg = models["counted_average"].main
    for name in variables:
        start, end = offsets[name], offsets[name] + sizes[name]
        for other, offset in offsets.items():
            if other != name and other.startswith("kOffsetT"):
                nbytes = sg.tensors[int(other.removeprefix("kOffsetT"))].nbytes
                assert offset + nbytes <= start or end <= offset, (name, other)


def _with_subgraph(model: ModelInfo, k: int, **changes) -> ModelInfo:
    subgraphs = list(model.subgraphs)
    subgraphs[k] = replace(subgraphs[k], **changes)
    return replace(model, subgraphs=tuple(subgraphs))


def _retyped(model: ModelInfo, k: int, tensor: int, **changes) -> ModelInfo:
    tensors = list(model.subgraphs[k].tensors)
    tensors[tensor] = replace(tensors[tensor], **changes)
    return _with_subgraph(model, k, tensors=tuple(tensors))


def _refusal(model: ModelInfo) -> str:
    with pytest.raises(AotUnsupported) as err:
        generate(model)
    return err.value.message


def test_refused_cases_are_named(models: dict[str, ModelInfo]) -> None:
    model = models["accumulator_float"]
    main, init = model.subgraphs
    read = next(op for op in main.operators if op.opcode == "READ_VARIABLE")
    assert "READ_VARIABLE): it reads 32 bytes of variable 'Variable', which holds 16" in _refusal(
        _retyped(model, 0, read.outputs[0], shape=(1, 8))
    )
    assign = init.operators[-1]
    computed = _retyped(model, 1, assign.inputs[1], data=None)
    assert "CALL_ONCE): its initialisation subgraph 1 assigns a value computed at run time" in _refusal(computed)
    uncalled = _with_subgraph(model, 0, operators=tuple(op for op in main.operators if op.opcode != "CALL_ONCE"))
    assert "the model has 2 subgraphs; the AOT runtime runs one, and the initialisation subgraphs" in _refusal(uncalled)
    unassigned = _with_subgraph(
        _with_subgraph(model, 1, operators=init.operators[:-1]),
        0,
        operators=tuple(op for op in main.operators if op.opcode != "ASSIGN_VARIABLE"),
    )
    assert "variable 'Variable' is never assigned" in _refusal(unassigned)
    # a damaged file: a constant resource tensor (no VAR_HANDLE makes it) holding an id no variable has
    stray = np.int32(7).tobytes()
    no_handle = tuple(op for op in init.operators if op.opcode != "VAR_HANDLE")
    damaged_init = _retyped(_with_subgraph(model, 1, operators=no_handle), 1, assign.inputs[0], data=stray)
    assert "its initialisation subgraph 1 assigns to a resource no VAR_HANDLE made" in _refusal(damaged_init)
    no_handle = tuple(op for op in main.operators if op.opcode != "VAR_HANDLE" or read.inputs[0] not in op.outputs)
    damaged_read = _retyped(_with_subgraph(model, 0, operators=no_handle), 0, read.inputs[0], data=stray)
    assert "READ_VARIABLE): its resource" in _refusal(damaged_read)

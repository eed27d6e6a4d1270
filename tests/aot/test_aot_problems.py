"""A model the AOT runtime cannot take: every missing op and every refused case is reported (not the first one),
by the generator, by runtimes.aot_support (the one place that decides) and by `inspect`'s table and --json."""

from __future__ import annotations

import json

import numpy as np
import pytest
from modelbuilder import GraphBuilder, options

from tinyflash.aot import AotUnsupported, generate
from tinyflash.model import ModelInfo
from tinyflash.runtimes import aot_support


def _many_problems() -> ModelInfo:
    """Five independent ops: COS and SIN have no AOT kernel, int16 RELU and a SOFTMAX with the wrong output
    quantization are refused cases, a float RELU is fine."""
    g = GraphBuilder(np.random.default_rng(0))
    outs = []
    for opcode, q_in, q_out, opts in (
        ("COS", ("float32",), ("float32",), None),
        ("RELU", ("int16", 0.1, 0), ("int16", 0.1, 0), None),
        ("SOFTMAX", ("int8", 0.1, 0), ("int8", 0.1, 0), options("SoftmaxOptions", beta=1.0)),
        ("SIN", ("float32",), ("float32",), None),
        ("RELU", ("float32",), ("float32",), None),
    ):
        x = g.input((2, 4), *q_in)
        y = g.tensor((2, 4), *q_out)
        g.op(opcode, [x], [y], opts)
        outs.append(y)
    return g.model(outs)


EXPECTED = [
    (0, "COS", "no AOT kernel"),
    (1, "RELU", "tensor 't2/é int16' has type int16 (supported: float32, int8)"),
    (2, "SOFTMAX", "int8 output must have scale 1/256 and zero point -128 (as TFLM requires)"),
    (3, "SIN", "no AOT kernel"),
]


def test_the_generator_reports_every_problem() -> None:
    with pytest.raises(AotUnsupported) as err:
        generate(_many_problems())
    assert [(p.step, p.opcode, p.reason) for p in err.value.problems] == EXPECTED
    assert err.value.message.startswith(
        "the AOT runtime has no kernel for COS, SIN; it cannot compile operator 1 (RELU)"
    )
    assert "operator 2 (SOFTMAX)" in err.value.message and "--runtime tflm" in err.value.hint


def test_aot_support_lists_them() -> None:
    support = aot_support(_many_problems())
    assert not support.supported
    assert support.unsupported_ops == ("COS", "SIN")
    assert list(support.problems) == EXPECTED


def test_inspect_lists_them_in_the_table_and_json(run_cli, tmp_path) -> None:
    path = tmp_path / "many_problems.tflite"
    path.write_bytes(_many_problems().data)
    code, out, _ = run_cli("inspect", str(path), "--json")
    assert code == 0
    aot = json.loads(out)["aot"]
    assert not aot["supported"] and aot["unsupported_ops"] == ["COS", "SIN"]
    assert [(p["step"], p["op"], p["reason"]) for p in aot["problems"]] == EXPECTED
    code, out, _ = run_cli("inspect", str(path))
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["COS"], ["RELU"])}
    assert rows["COS"][-2:] == ["no", "kernel"] and rows["RELU"][-2:] == ["1", "refused"]
    for step, op, reason in EXPECTED:
        assert f"AOT: operator {step} ({op}): {reason}" in out


def test_folded_ops_show_as_folded(run_cli, tmp_path) -> None:
    from test_aot_fold import _model

    path = tmp_path / "dynamic_batch.tflite"
    path.write_bytes(_model("dynamic_batch").data)
    code, out, _ = run_cli("inspect", str(path), "--json")
    assert code == 0
    assert [f["op"] for f in json.loads(out)["aot"]["folded"]] == ["SHAPE", "STRIDED_SLICE", "PACK"]
    code, out, _ = run_cli("inspect", str(path))
    status = {
        line.split()[0]: line.split()[-1]
        for line in out.splitlines()
        if line.split()[:1] in (["SHAPE"], ["PACK"], ["RESHAPE"])
    }
    assert status == {"SHAPE": "folded", "PACK": "folded", "RESHAPE": "ok"}


@pytest.mark.parametrize("board", ["virtual-m4", "edgebadge"])
def test_runtime_tflm_refusal_suggests_only_what_works(board: str) -> None:
    """A board with no TFLM sources refuses --runtime tflm; for a model the AOT runtime cannot take either (FLOOR has
    no AOT kernel) the hint must not send the user to --runtime aot, which would only send them back."""
    from tinyflash.boards import get_board
    from tinyflash.errors import TinyflashError
    from tinyflash.project import check_tflm

    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((4,), "float32")
    y = g.tensor((4,), "float32")
    g.op("FLOOR", [x], [y])
    model = g.model([y])
    with pytest.raises(TinyflashError, match=f"--runtime tflm on {board}") as err:
        check_tflm(model, get_board(board), None, aot_support(model, get_board(board)))
    assert "--runtime aot" not in err.value.hint and "--tflm-dir" in err.value.hint
    assert "FLOOR" in err.value.hint

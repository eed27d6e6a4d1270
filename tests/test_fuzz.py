"""Mutated and random models: the parser gives a consistent ModelInfo or a ModelError, and the commands users run
on them (`inspect --json`, `build --no-compile`) succeed or fail with one clean error — never an internal error.

FUZZ_EXAMPLES sets the number of examples per test (CI runs a few hundred; run 2,000+ locally, e.g.
`FUZZ_EXAMPLES=2500 pytest tests/test_fuzz.py`).
"""

from __future__ import annotations

import json
import math
import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MODELS
from tflite_builder import tiny_dense
from tinyflash.errors import ModelError
from tinyflash.model import FILE_IDENTIFIER, ModelInfo, parse_model

# Real models when ../shared is present (their absence is reported by the model tests), plus a generated one.
SEED_MODELS = [tiny_dense()] + [
    (MODELS / name).read_bytes()
    for name in ("hello_world_int8.tflite", "hello_world_float.tflite", "micro_speech_quantized.tflite")
    if (MODELS / name).is_file()
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_MODELS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "word", "cut", "splice", "float"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "word" and pos + 4 <= len(data):
            data[pos : pos + 4] = draw(st.binary(min_size=4, max_size=4))
        elif kind == "float" and pos + 4 <= len(data):  # NaN, inf, zero, negative: quantization scales and weights
            value = draw(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e-45, 3e38]))
            data[pos : pos + 4] = struct.pack("<f", value)
        elif kind == "cut":
            data = data[: max(pos, 1)]
        elif kind == "splice":
            data[pos:pos] = draw(st.binary(max_size=16))
    return bytes(data)


def check_consistent(m: ModelInfo) -> None:
    """What later stages rely on, for any model the parser accepts."""
    for sg in m.subgraphs:
        n = len(sg.tensors)
        assert all(0 <= i < n for i in (*sg.inputs, *sg.outputs))
        for op in sg.operators:
            assert all(-1 <= i < n for i in (*op.inputs, *op.outputs))
        for t in sg.tensors:
            assert all(d >= 0 for d in t.shape) and t.nbytes >= 0
            if t.quant is not None:
                assert len(t.quant.scales) == len(t.quant.zero_points)
    assert m.parameter_bytes >= 0 and sum(o.count for o in m.ops) == sum(len(sg.operators) for sg in m.subgraphs)
    assert isinstance(m.is_scalar_regressor, bool) and len(m.sha256) == 64


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_models_parse_consistently_or_fail_cleanly(data):
    try:
        m = parse_model(data)
    except ModelError:
        return
    check_consistent(m)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(min_size=0, max_size=600), st.integers(8, 600))
def test_random_bodies_behind_a_valid_header(body, root):
    """Random bytes that pass the identifier and root-offset checks, so the decoder itself is exercised."""
    data = struct.pack("<I", min(root, 8 + len(body) - 4 if len(body) >= 4 else 8)) + FILE_IDENTIFIER + body
    try:
        m = parse_model(data)
    except ModelError:
        return
    check_consistent(m)


# --- The commands, in-process (a subprocess per example would take minutes) -------------------------------------


def _clean(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    if code:
        assert err.startswith("error: "), err


@settings(
    max_examples=max(EXAMPLES // 3, 50), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutated())
def test_commands_on_mutated_models_never_fail_internally(run_cli, tmp_path, data):
    model = tmp_path / "fuzzed.tflite"
    model.write_bytes(data)
    code, out, err = run_cli("inspect", str(model), "--json", "--board", "nano33ble")
    _clean(code, err)
    if code == 0:
        json.loads(out)  # valid JSON (no NaN or Infinity tokens)
        assert "NaN" not in out and "Infinity" not in out
    for board in ("virtual-m4", "nano33ble"):
        code, _, err = run_cli("build", str(model), "-b", board, "--no-compile", "--out", str(tmp_path / board))
        _clean(code, err)

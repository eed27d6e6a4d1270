"""Mutated real models must produce a ModelInfo or a ModelError, never anything else."""

from __future__ import annotations

import contextlib
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MODELS
from tflite_builder import tiny_dense
from tinyflash.errors import ModelError
from tinyflash.model import parse_model

# Real models when ../shared is present (their absence is reported by the model tests), plus a generated one.
SEED_MODELS = [tiny_dense()] + [
    (MODELS / name).read_bytes()
    for name in ("hello_world_int8.tflite", "micro_speech_quantized.tflite")
    if (MODELS / name).is_file()
]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "400"))


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_MODELS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "word", "cut", "splice"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "word" and pos + 4 <= len(data):
            data[pos : pos + 4] = draw(st.binary(min_size=4, max_size=4))
        elif kind == "cut":
            data = data[: max(pos, 1)]
        elif kind == "splice":
            data[pos:pos] = draw(st.binary(max_size=16))
    return bytes(data)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_mutated_models_never_crash(data):
    try:
        m = parse_model(data)
    except ModelError:
        return
    # A model that decodes must be usable by later stages without surprises.
    _ = (m.ops, m.inputs, m.outputs, m.parameter_bytes, m.is_scalar_regressor)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_never_crash(data):
    with contextlib.suppress(ModelError):
        parse_model(data)

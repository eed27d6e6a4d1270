"""arena.py: the probed minimum is real (one byte less fails), margins are applied, fallback is honest."""

from __future__ import annotations

import pytest

from tflite_builder import tiny_dense
from tinyflash import arena
from tinyflash.model import load_model, parse_model


def test_person_detect_bisection_is_reproducible(person_detect):
    m = load_model(person_detect)
    minimum, probes = arena.probe_minimum_arena(m.data, start=arena.static_estimate(m))
    # The minimum works and one byte less does not: the bisection found the true edge.
    assert arena._probe_model(m.data, minimum)[0]
    assert not arena._probe_model(m.data, minimum - 1)[0]
    assert minimum == 85_264  # the 64-bit host figure in shared/docs/platform-facts.md
    assert probes < 40


def test_estimate_adds_margin_and_caches(hello_float, monkeypatch):
    m = load_model(hello_float)
    first = arena.estimate_arena(m)
    assert first.method == arena.METHOD_PROBED
    assert first.minimum_bytes == 1936
    assert first.bytes >= first.minimum_bytes + arena.MARGIN_MIN_BYTES
    assert first.bytes % 16 == 0

    def no_more_probes(*args, **kwargs):
        raise AssertionError("the cache was not used: the runtime was probed again")

    monkeypatch.setattr(arena, "_probe", no_more_probes)
    assert arena.estimate_arena(m) == first  # served from the cache, identical
    with pytest.raises(AssertionError, match="cache was not used"):  # and without the cache, it would have been
        arena.estimate_arena(m, cache=False)


@pytest.mark.parametrize("name", ["hello_world_float", "hello_world_int8", "micro_speech_quantized", "person_detect"])
def test_static_estimate_never_below_probed(name):
    from conftest import shared_model

    m = load_model(shared_model(f"{name}.tflite"))
    probed, _ = arena.probe_minimum_arena(m.data, start=arena.static_estimate(m))
    assert arena.static_estimate(m) >= probed


def test_fallback_without_runtime_says_so(monkeypatch):
    monkeypatch.setattr(arena, "runtime_available", lambda: False)
    est = arena.estimate_arena(parse_model(tiny_dense()))
    assert est.method == arena.METHOD_STATIC
    assert "not installed" in est.detail


def test_model_the_runtime_cannot_run_falls_back():
    from tflite_builder import Graph, Op, T, build

    g = Graph(tensors=[T("a", (1, 4)), T("b", (1, 4))], ops=[Op("my_custom", (0,), (1,), custom=True)],
              inputs=(0,), outputs=(1,))  # fmt: skip
    est = arena.estimate_arena(parse_model(build(g)))
    assert est.method == arena.METHOD_STATIC
    assert "could not run" in est.detail


def test_greedy_plan_reuses_memory():
    # Three equal tensors in a chain: a->b->c. a and c never live together, so two slots suffice.
    from tflite_builder import Graph, Op, T, build

    g = Graph(
        tensors=[T("a", (1, 64)), T("b", (1, 64)), T("c", (1, 64))],
        ops=[Op("RELU", (0,), (1,)), Op("RELU", (1,), (2,))],
        inputs=(0,),
        outputs=(2,),
    )
    assert arena.plan_activations(parse_model(build(g)).main) == 2 * 256

"""Generator-level checks that need no compiler: multiplier encoding, the memory plan, errors,
identifier safety and the absence of dead code."""

from __future__ import annotations

import re

import numpy as np
import pytest
from modelbuilder import GraphBuilder, options

from tinyflash.aot import SUPPORTED_OPS, Target, generate, unsupported_ops
from tinyflash.aot.emit import float_literal, sanitize
from tinyflash.aot.planner import plan_memory
from tinyflash.aot.quant import Multiplier, mean_multiplier, quantize_multiplier
from tinyflash.errors import ModelError


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (0.0, Multiplier(0, 0)),
        (0.5, Multiplier(1 << 30, 0)),
        (1.0, Multiplier(1 << 30, 1)),
        (0.75, Multiplier(1610612736, 0)),
        (1e-12, Multiplier(0, 0)),  # below 2^-31: flushed to zero
        (0.99999999999, Multiplier(1 << 30, 1)),  # rounds up to 2^31: halved, shift + 1
    ],
)
def test_quantize_multiplier(real: float, expected: Multiplier) -> None:
    assert quantize_multiplier(real) == expected


def test_mean_multiplier_folds_the_count() -> None:
    m = mean_multiplier(0.05, 0.05, 20)
    assert m.value * 2.0**m.shift / 2**31 == pytest.approx(1 / 20, rel=1e-6)


def test_float_literals_round_trip() -> None:
    for x in np.random.default_rng(0).standard_normal(200).astype(np.float32):
        assert np.float32(float(float_literal(x).rstrip("f"))) == x


def test_sanitize_makes_ascii_identifiers() -> None:
    assert sanitize("dense/MatMul;é*/\n") == "dense_MatMul"
    assert re.fullmatch(r"[A-Za-z0-9_]*", sanitize("∑ weird ✓ name 名字"))


def _chain(shape: tuple[int, ...] = (2, 4)):
    """RESHAPE to [2, 4] (by a shape tensor holding ``shape``), then RELU."""
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((1, 8), "int8", 0.1, 0)
    r = g.tensor((2, 4), "int8", 0.1, 0)
    g.op("RESHAPE", [x, g.const(list(shape))], [r], options("ReshapeOptions"))
    y = g.tensor((2, 4), "int8", 0.1, 0)
    g.op("RELU", [r], [y])
    return g.model([y])


def test_plan_never_overlaps_live_buffers_and_aliases_reshape() -> None:
    model = _chain()
    plan = plan_memory(model.main)
    assert plan.offsets[0] == plan.offsets[1]  # RESHAPE output shares its input's bytes
    for a in plan.buffers:
        for b in plan.buffers:
            if a is b or a.last < b.first or b.last < a.first:
                continue
            oa, ob = plan.offsets[a.tensors[0]], plan.offsets[b.tensors[0]]
            assert oa + a.nbytes <= ob or ob + b.nbytes <= oa


def test_unsupported_ops_are_named_with_a_hint() -> None:
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((1, 4))
    y = g.tensor((1, 4))
    g.op("SIN", [x], [y])
    model = g.model([y])
    assert unsupported_ops(model) == ["SIN"]
    with pytest.raises(ModelError) as err:
        generate(model)
    assert "SIN" in err.value.message and "--runtime tflm" in err.value.hint


def test_unsupported_type_combination_is_a_model_error() -> None:
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((1, 4), "int16", 0.1, 0)
    y = g.tensor((1, 4), "int16", 0.1, 0)
    g.op("RELU", [x], [y])
    with pytest.raises(ModelError, match="int16"):
        generate(g.model([y]))


def test_source_is_ascii_includes_only_libc_headers_and_has_no_dead_kernels() -> None:
    source = generate(_chain()).files["model_aot.cc"]
    assert source.isascii()
    includes = set(re.findall(r"#include [<\"]([^>\"]+)[>\"]", source))
    assert includes <= {"math.h", "stddef.h", "stdint.h", "string.h", "limits.h", "model_runtime.h"}
    assert "ReluInt8" in source
    for unused in ("ConvInt8", "SoftmaxInt8", "FullyConnected", "ExpOnNegativeValues", "Pad("):
        assert unused not in source


def test_dsp_kernels_hoist_their_system_include_out_of_the_namespace() -> None:
    g = GraphBuilder(np.random.default_rng(0))
    x = g.input((2, 8), "int8", 0.1, 0)
    y = g.tensor((2, 3), "int8", 0.1, 0)
    g.op("FULLY_CONNECTED", [x, g.weights((3, 8), "int8", 0.02), -1], [y], options("FullyConnectedOptions"))
    source = generate(g.model([y]), target=Target("m4", frozenset({"dsp"}))).files["model_aot.cc"]
    assert "MatMulInt8Dsp<kOp0>" in source and "implementation: fully_connected_dsp" in source
    assert source.count("#include <arm_acle.h>") == 1
    assert source.index("#include <arm_acle.h>") < source.index("namespace model {")


def test_supported_ops_are_the_documented_set() -> None:
    """docs/aot.md's list of bit-exact ops is what users read: it must name exactly the registry's ops."""
    import tflite

    from conftest import REPO

    docs = (REPO / "docs" / "aot.md").read_text()
    match = re.search(r"All (\d+) ops are \*\*bit-exact\*\*[^:]*:\n(.*?)\.\s", docs, re.S)
    assert match, "docs/aot.md no longer lists the supported ops where this test expects them"
    names = set(vars(tflite.BuiltinOperator))
    listed = {w for w in re.findall(r"\b[A-Z][A-Z0-9_]+\b", match.group(2)) if w in names}
    assert listed == set(SUPPORTED_OPS) and int(match.group(1)) == len(SUPPORTED_OPS)

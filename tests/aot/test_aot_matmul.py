"""BATCH_MATMUL on the device, bit for bit against the TFLM runtime on the host and on the virtual Cortex-M4:
randomized shapes (ranks 2 to 5, batch dimensions broadcast either way), adj_x and adj_y, float32 and int8 with
random quantizations (saturating ones included), constant and run-time right-hand sides; the refused cases by
name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from aot_support import oracle, run_cases
from modelbuilder import GraphBuilder, options, refusal
from test_aot_ops import assert_same

from tinyflash.model import ModelInfo

RUNS = 3
RANDOM_CASES = 24
SATURATING = 8  #: every 8th case's output scale is 300 times finer than its sums' spread


def _matmul(lhs_shape, rhs_shape, out_shape, qs, adj=(False, False), constant_rhs=False) -> Callable:
    """A BATCH_MATMUL of a run-time left operand and a run-time or constant right one; ``qs``: lhs, rhs, output."""

    def build(g: GraphBuilder) -> ModelInfo:
        x = g.input(lhs_shape, *qs[0])
        if constant_rhs:
            data = g.rng.integers(-128, 128, rhs_shape).astype(np.int8) if qs[1][0] == "int8" else None
            if data is None:
                data = g.rng.standard_normal(rhs_shape).astype(np.float32)
            w = g.tensor(rhs_shape, *qs[1], data=data)
        else:
            w = g.input(rhs_shape, *qs[1])
        y = g.tensor(out_shape, *qs[2])
        g.op("BATCH_MATMUL", [x, w], [y], options("BatchMatMulOptions", adj_x=adj[0], adj_y=adj[1]))
        return g.model([y])

    return build


def _batch_dims(rng: np.random.Generator, batches: tuple[int, ...]) -> tuple[int, ...]:
    """``batches`` with some leading dimensions dropped and some set to 1 (broadcast)."""
    kept = batches[int(rng.integers(0, len(batches) + 1)) :]
    return tuple(1 if rng.random() < 0.3 else d for d in kept)


def _random_case(rng: np.random.Generator, k: int) -> Callable:
    adj = (bool(k & 2), bool(k & 4))
    rows, depth, columns = (int(v) for v in rng.integers(1, 8, 3))
    batches = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(0, 4))))
    lhs_b, rhs_b = _batch_dims(rng, batches), _batch_dims(rng, batches)
    out_b = np.broadcast_shapes(lhs_b, rhs_b)
    lhs = (*lhs_b, *((depth, rows) if adj[0] else (rows, depth)))
    rhs = (*rhs_b, *((columns, depth) if adj[1] else (depth, columns)))
    if k % 2:
        qs = [("float32", None, 0)] * 3
    else:
        s1, s2 = (float(v) for v in 10 ** rng.uniform(-3, -1, 2))
        z1, z2, z3 = (int(v) for v in rng.integers(-128, 128, 3))
        # The sums' spread: each operand's offset values have about 74^2 + zero point^2 as mean square.
        typical = s1 * s2 * float(np.sqrt(depth * (74**2 + z1**2) * (74**2 + z2**2))) / 60
        s3 = typical * float(rng.uniform(0.5, 2)) if k % SATURATING else typical / 300
        qs = [("int8", s1, z1), ("int8", s2, z2), ("int8", s3, z3)]
    return _matmul(lhs, rhs, (*out_b, rows, columns), qs, adj, constant_rhs=k % 3 == 0)


RNG = np.random.default_rng(20)
BUILDS = [_random_case(RNG, k) for k in range(RANDOM_CASES)]


@pytest.fixture(scope="module")
def models() -> list[ModelInfo]:
    return [build(GraphBuilder(np.random.default_rng(case))) for case, build in enumerate(BUILDS)]


def test_the_cases_cover_flags_broadcasts_ranks_and_types(models: list[ModelInfo]) -> None:
    ops = [(m, m.main.operators[0]) for m in models]
    flags = {(bool(op.options.get("adj_x")), bool(op.options.get("adj_y"))) for _, op in ops}
    assert len(flags) == 4
    lhs_ranks = {len(m.main.tensors[op.inputs[0]].shape) for m, op in ops}
    assert lhs_ranks == {2, 3, 4, 5}
    broadcast = [
        m for m, op in ops if m.main.tensors[op.inputs[0]].shape[:-2] != m.main.tensors[op.inputs[1]].shape[:-2]
    ]
    assert len(broadcast) >= 6
    assert {m.inputs[0].dtype for m in models} == {"int8", "float32"} and any(len(m.inputs) == 1 for m in models)


@pytest.mark.integration
@pytest.mark.parametrize("board", ["host", "virtual-m4"])
def test_batch_matmul_matches_tflm(board: str, models: list[ModelInfo], tmp_path: Path) -> None:
    inputs, outputs = run_cases(board, models, tmp_path, RUNS, scale=2.0)
    references = [oracle(model, runs) for model, runs in zip(models, inputs, strict=True)]
    for case, (outs, reference) in enumerate(zip(outputs, references, strict=True)):
        assert_same(outs, reference)
        assert case % SATURATING == 0 or len(np.unique(reference[0][0])) > 1 or reference[0][0].size == 1, case


Q8 = ("int8", 0.05, 3)
F32 = ("float32", None, 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_matmul((2, 3), (4, 5), (2, 5), [F32] * 3), "depth 3 differs from the right one's 4"),
        (_matmul((2, 2, 3), (3, 3, 4), (3, 2, 4), [F32] * 3), "batch dimensions [2] and [3] do not broadcast"),
        (_matmul((2, 3), (3, 4), (2, 5), [F32] * 3), "the output has shape [2, 5], the product [2, 4]"),
        (_matmul((3,), (3, 4), (4,), [F32] * 3), "has rank 1"),
        (_matmul((2, 3), (3, 4), (2, 4), [("int16", 0.01, 0)] * 3), "has type int16"),
        (_matmul((2, 3), (3, 4), (2, 4), [Q8, ("int8", [0.1, 0.2], [0, 0]), Q8]), "quantized per channel"),
    ],
)
def test_refused_cases_are_named(build: Callable[[GraphBuilder], ModelInfo], message: str) -> None:
    assert message in refusal(build)

"""Static memory plan: every activation tensor gets a fixed arena offset, decided at generation time.

Tensors whose lifetimes (first write .. last read, in operator steps) overlap must not share bytes.
A RESHAPE (SQUEEZE, EXPAND_DIMS) output is the same bytes as its input, so the two form one buffer
with the union of their lifetimes. Buffers are placed first-fit into the lowest gap that fits, trying
a few orderings and keeping the smallest arena; the lower bound (the most bytes live at any one step) shows how close
that gets. An op implementation's scratch buffer is one more buffer, live during that op's step only. A variable
tensor (an op's state, e.g. SVDF's) keeps its value from one invocation to the next: it is live over the whole
graph, so no other tensor ever shares its bytes; so is each resource variable's storage (variables.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..model import Subgraph

ALIGN = 16
#: Ops whose output can share its input's bytes because they never change them.
ALIAS_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})


def align(n: int, to: int = ALIGN) -> int:
    return (n + to - 1) // to * to


@dataclass(frozen=True)
class Buffer:
    """One region of the arena, shared by ``tensors`` (a tensor and its reshaped views)."""

    tensors: tuple[int, ...]
    nbytes: int
    first: int
    last: int
    scratch_for: int = -1  # the op step a scratch buffer serves (no tensors), else -1
    variable: int = -1  # the resource variable whose storage this is (no tensors), else -1


@dataclass(frozen=True)
class Plan:
    offsets: Mapping[int, int]  # tensor index -> byte offset in the arena
    arena_bytes: int
    lower_bound_bytes: int
    buffers: tuple[Buffer, ...]
    scratch_offsets: Mapping[int, int] = field(default_factory=dict)  # op step -> byte offset of its scratch
    variable_offsets: Mapping[int, int] = field(default_factory=dict)  # resource variable id -> byte offset

    @property
    def scratch_bytes(self) -> int:
        """Scratch bytes of all ops together (each lives during its op only, placed with the activations)."""
        return sum(b.nbytes for b in self.buffers if b.scratch_for >= 0)

    @property
    def scratch_peak_bytes(self) -> int:
        """The largest one op needs: what scratch adds to the arena at most."""
        return max((b.nbytes for b in self.buffers if b.scratch_for >= 0), default=0)


def plan_memory(
    sg: Subgraph,
    scratch: Mapping[int, int] | None = None,
    steps: tuple[int, ...] | None = None,
    variables: Mapping[int, int] | None = None,
) -> Plan:
    """Place every activation tensor, ``scratch`` (op step -> bytes) for the ops that need it, and ``variables``
    (resource variable id -> bytes) over the whole graph. ``steps`` names each operator of ``sg`` as the model's
    graph does (the ops left after constant folding), default 0, 1, 2..."""
    position = {step: p for p, step in enumerate(steps if steps is not None else range(len(sg.operators)))}
    buffers = _buffers(sg) + [
        Buffer((), n, position[step], position[step], step) for step, n in sorted((scratch or {}).items()) if n > 0
    ]
    buffers += [Buffer((), n, 0, len(sg.operators), variable=v) for v, n in sorted((variables or {}).items()) if n > 0]
    best: tuple[int, dict[int, int]] | None = None
    orders = (
        lambda b: (-align(b.nbytes), b.first),
        lambda b: (b.first, -b.nbytes),
        lambda b: (-(align(b.nbytes) * (b.last - b.first + 1)), b.first),
        lambda b: (-(b.last - b.first), -b.nbytes),
    )
    for key in orders:
        placed = _place(sorted(buffers, key=key))
        size = max((placed[id(b)] + align(b.nbytes) for b in buffers), default=0)
        if best is None or size < best[0]:
            best = (size, {id(b): placed[id(b)] for b in buffers})
    assert best is not None
    size, where = best
    offsets = {t: where[id(b)] for b in buffers for t in b.tensors}
    scratch_offsets = {b.scratch_for: where[id(b)] for b in buffers if b.scratch_for >= 0}
    variable_offsets = {b.variable: where[id(b)] for b in buffers if b.variable >= 0}
    return Plan(
        MappingProxyType(offsets),
        size,
        _lower_bound(buffers, len(sg.operators)),
        tuple(buffers),
        MappingProxyType(scratch_offsets),
        MappingProxyType(variable_offsets),
    )


def _buffers(sg: Subgraph) -> list[Buffer]:
    n_ops = len(sg.operators)
    root: dict[int, int] = {}

    def find(t: int) -> int:
        while root.get(t, t) != t:
            t = root[t]
        return t

    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def touch(t: int, step: int) -> None:
        if t < 0 or sg.tensors[t].is_constant:
            return
        first[t] = min(first.get(t, step), step)
        last[t] = max(last.get(t, step), step)

    for t in sg.inputs:
        touch(t, 0)
    for t, tensor in enumerate(sg.tensors):
        if tensor.is_variable and not tensor.is_constant:
            touch(t, 0)
            touch(t, n_ops)
    for step, op in enumerate(sg.operators):
        for t in (*op.inputs, *op.outputs):
            touch(t, step)
        if op.opcode in ALIAS_OPS and op.inputs and op.inputs[0] in first and op.outputs[0] not in sg.inputs:
            root[op.outputs[0]] = find(op.inputs[0])
    for t in sg.outputs:
        touch(t, n_ops)

    groups: dict[int, list[int]] = {}
    for t in first:
        groups.setdefault(find(t), []).append(t)
    return [
        Buffer(
            tensors=tuple(sorted(ts)),
            nbytes=max(sg.tensors[t].nbytes for t in ts),
            first=min(first[t] for t in ts),
            last=max(last[t] for t in ts),
        )
        for ts in groups.values()
    ]


def _place(order: list[Buffer]) -> dict[int, int]:
    placed: list[tuple[int, int, Buffer]] = []  # offset, aligned size, buffer
    result: dict[int, int] = {}
    for b in order:
        size = align(b.nbytes)
        busy = sorted((o, s) for o, s, p in placed if not (p.last < b.first or b.last < p.first))
        offset = 0
        for o, s in busy:
            if offset + size <= o:
                break
            offset = max(offset, o + s)
        placed.append((offset, size, b))
        result[id(b)] = offset
    return result


def _lower_bound(buffers: list[Buffer], n_ops: int) -> int:
    """No plan can use fewer bytes than are live at the busiest step."""
    return max((sum(b.nbytes for b in buffers if b.first <= s <= b.last) for s in range(n_ops + 1)), default=0)

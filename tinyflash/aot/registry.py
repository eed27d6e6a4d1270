"""Op implementations, chosen per op by applicability and priority (the TVM "op strategy" idea).

Each op has one analyzer, which validates the operator and returns a spec (shapes, quantization,
fused activation), and one or more implementations. An implementation names the target features it
needs, a predicate over the spec and a priority; the generator picks the highest-priority one that
applies to the spec on the target. Every op has a reference implementation that needs no feature,
so every model the analyzers accept builds on every board.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..model import Operator
from .context import Context
from .target import Target


@dataclass(frozen=True)
class OpSpec:
    """What every analyzer returns at least: the operator and its step in the graph."""

    step: int
    op: Operator


Analyzer = Callable[[Context, int, Operator], Any]
Emitter = Callable[[Context, Any], list[str]]
#: Computes an operator at generation time: its output tensors' values (index -> array), or None when it cannot.
Folder = Callable[[Context, int, Operator], dict[int, np.ndarray] | None]


@dataclass(frozen=True)
class Implementation:
    op: str
    name: str
    emit: Emitter
    priority: int = 0
    requires: frozenset[str] = frozenset()
    applies: Callable[[Any], bool] = lambda spec: True
    #: Bytes of per-op scratch memory the implementation needs for a spec (placed by the planner).
    scratch: Callable[[Any], int] = lambda spec: 0
    summary: str = ""
    #: Code each use adds beyond its kernel header's (a template instantiated per op: shapes as constants).
    code_bytes: int = 0


F = TypeVar("F")
ANALYZERS: dict[str, Analyzer] = {}
IMPLEMENTATIONS: dict[str, list[Implementation]] = {}
FOLDERS: dict[str, Folder] = {}


def analyzer(*ops: str) -> Callable[[Analyzer], Analyzer]:
    return _register(ANALYZERS, ops)


def folder(*ops: str) -> Callable[[Folder], Folder]:
    """Register the decorated function as the generation-time computation of ``ops`` (see aot/fold.py)."""
    return _register(FOLDERS, ops)


def _register(table: dict[str, F], ops: tuple[str, ...]) -> Callable[[F], F]:
    def register(fn: F) -> F:
        for op in ops:
            table[op] = fn
        return fn

    return register


def _always(spec: Any) -> bool:
    return True


def _no_scratch(spec: Any) -> int:
    return 0


def implementation(
    *ops: str,
    name: str,
    priority: int = 0,
    requires: tuple[str, ...] = (),
    applies: Callable[[Any], bool] = _always,
    scratch: Callable[[Any], int] = _no_scratch,
    summary: str = "",
    code_bytes: int = 0,
) -> Callable[[Emitter], Emitter]:
    """Register the decorated emitter as implementation ``name`` of ``ops``."""

    def register(fn: Emitter) -> Emitter:
        for op in ops:
            impls = IMPLEMENTATIONS.setdefault(op, [])
            impls.append(
                Implementation(op, name, fn, priority, frozenset(requires), applies, scratch, summary, code_bytes)
            )
            impls.sort(key=lambda i: -i.priority)
        return fn

    return register


def choose(opcode: str, spec: Any, target: Target) -> Implementation:
    """The highest-priority implementation of ``opcode`` that applies to ``spec`` on ``target``."""
    for impl in IMPLEMENTATIONS[opcode]:
        if target.has(impl.requires) and impl.applies(spec):
            return impl
    raise AssertionError(f"no implementation of {opcode} applies (every op needs an unconditional reference)")

"""What the generated code may assume about the CPU it runs on: the target features a board profile
declares (``[target] features = [...]`` in ``boards/*.toml``, validated against
:data:`tinyflash.boards.TARGET_FEATURES`).

Implementations of an op name the features they need; the generator picks the highest-priority
implementation whose features the target has, so a board without a feature gets the portable
reference kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..boards import Board


@dataclass(frozen=True)
class Target:
    """A named set of target features (``generic``: none, so reference kernels everywhere)."""

    name: str = "generic"
    features: frozenset[str] = frozenset()

    def has(self, features: frozenset[str]) -> bool:
        return features <= self.features

    def describe(self) -> str:
        return f"{self.name} ({', '.join(sorted(self.features)) or 'no optional features'})"


GENERIC = Target()


def target_of(board: Board) -> Target:
    """The target a board profile declares."""
    return Target(board.id, frozenset(board.target_features))

"""Does a model fit a board? Flash and RAM, each as model + runtime + framework, against the limits.

The runtime terms are estimates (documented in the README): the TFLM library measured at -Os is
about 14 KB plus about 3 KB per distinct op kind (17 KB for hello_world's one op, 28 KB for
person_detect's five), and the interpreter object, resolver and allocator bookkeeping outside the
arena take about 2 KB of RAM. The framework terms come from each board profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from .boards import Board
from .model import ModelInfo

TFLM_CORE_FLASH = 14 * 1024
TFLM_PER_OP_FLASH = 3 * 1024
TFLM_RAM_OVERHEAD = 2 * 1024


@dataclass(frozen=True)
class Fit:
    flash_bytes: int
    flash_limit: int
    ram_bytes: int
    ram_limit: int

    @property
    def flash_ok(self) -> bool:
        return self.flash_bytes <= self.flash_limit

    @property
    def ram_ok(self) -> bool:
        return self.ram_bytes <= self.ram_limit

    @property
    def fits(self) -> bool:
        return self.flash_ok and self.ram_ok


def runtime_flash_estimate(model: ModelInfo) -> int:
    return TFLM_CORE_FLASH + TFLM_PER_OP_FLASH * len(model.ops)


def check_fit(model: ModelInfo, arena_bytes: int, board: Board) -> Fit:
    return Fit(
        flash_bytes=model.size_bytes + runtime_flash_estimate(model) + board.framework_flash_bytes,
        flash_limit=board.flash_limit,
        ram_bytes=arena_bytes + TFLM_RAM_OVERHEAD + board.framework_ram_bytes,
        ram_limit=board.ram_bytes,
    )

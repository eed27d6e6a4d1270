"""Does a model fit a board? Flash and RAM, each as model + runtime + framework, against the limits.

The runtime terms are estimates (documented in the README): the TFLM library measured at -Os is
about 14 KB plus about 3 KB per distinct op kind (17 KB for hello_world's one op, 28 KB for
person_detect's five), and the interpreter object, resolver and allocator bookkeeping outside the
arena take about 2 KB of RAM. The framework terms come from each board profile.

With the AOT runtime the model's bytes are not stored at all: flash holds the weights, the per-channel
requantization tables (8 bytes per output channel) and about 3 KB of kernel code per op kind (generous) (measured
1.1 KB for hello_world, 27 KB for person_detect's five kinds); RAM is the planned arena alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arena import output_channels
from .boards import Board
from .model import ModelInfo

TFLM_CORE_FLASH = 14 * 1024
TFLM_PER_OP_FLASH = 3 * 1024
TFLM_RAM_OVERHEAD = 2 * 1024
AOT_PER_OP_FLASH = 3 * 1024
AOT_PER_CHANNEL_FLASH = 8
_PER_CHANNEL_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class Fit:
    runtime: str
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
        runtime="tflm",
        flash_bytes=model.size_bytes + runtime_flash_estimate(model) + board.framework_flash_bytes,
        flash_limit=board.flash_limit,
        ram_bytes=arena_bytes + TFLM_RAM_OVERHEAD + board.framework_ram_bytes,
        ram_limit=board.ram_bytes,
    )


def check_fit_aot(model: ModelInfo, arena_bytes: int, board: Board, flash_bytes: int | None = None) -> Fit:
    """``flash_bytes``: the generator's own figure for the file it generates for the board (AotResult.flash_bytes),
    which knows the re-laid-out weights and per-channel constants; else the estimate from the model alone."""
    sg = model.main
    channels = sum(output_channels(sg, op) for op in sg.operators if op.opcode in _PER_CHANNEL_OPS)
    flash = flash_bytes
    if flash is None:
        flash = model.parameter_bytes + AOT_PER_CHANNEL_FLASH * channels + AOT_PER_OP_FLASH * len(model.ops)
    return Fit(
        runtime="aot",
        flash_bytes=flash + board.framework_flash_bytes,
        flash_limit=board.flash_limit,
        ram_bytes=arena_bytes + board.framework_ram_bytes,
        ram_limit=board.ram_bytes,
    )

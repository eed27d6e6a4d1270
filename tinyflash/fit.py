"""Does a model fit a board? Flash and RAM, each as model + runtime + framework, against the limits.

The runtime terms are estimates (documented in the README): the TFLM library is counted as 14 KB plus 6 KB per
distinct op kind. TFLM at 90b983c measured 17 KB for hello_world's one op and 28 KB for person_detect's five at -Os;
Chirale_TensorFlowLite 2.0.0 on the disco linked about 18 KB and 42 KB (docs/boards-lab.md), so 6 KB per op keeps
the larger build covered. The interpreter object, resolver and allocator bookkeeping outside the arena take about
2 KB of RAM. The framework terms come from each board profile.

Both add what the app needs besides the model (:func:`app_memory`): the sine app's output handler (its own code
and buffers; what it calls in the core is part of the framework figure), the inference app's sample inputs.

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
TFLM_PER_OP_FLASH = 6 * 1024
TFLM_RAM_OVERHEAD = 2 * 1024
AOT_PER_OP_FLASH = 3 * 1024
AOT_PER_CHANNEL_FLASH = 8
_PER_CHANNEL_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class AppMemory:
    """Flash and RAM an app adds to the build besides the runtime, the model and the framework."""

    flash_bytes: int = 0
    ram_bytes: int = 0


#: The sine app's output handlers (firmware_templates/output_handlers/NAME.cc.j2): their object sizes measured in
#: the board lab (docs/boards-lab.md), rounded up. disco_lcd's RAM is its 441-byte dot layer plus the worst-case
#: padding of its 512-byte alignment; a full-screen framebuffer would be 130,560 bytes here.
#: The handlers of issue 15 also bring a library the core does not link otherwise, counted here with them: the
#: board lab's linked sine app minus its inference app (hello_world_int8, AOT), rounded up: wio_terminal_lcd
#: Seeed_Arduino_LCD (TFT_eSPI) with the fonts its User_Setup.h loads, 38,576 / 1,360 bytes; edgebadge_tft its own
#: ST7735R commands and Adafruit_NeoPixel (5 pixels), 10,200 / 960 (its 320-byte line buffer is on the stack);
#: cpb_neopixels Adafruit_NeoPixel, 1,464 / 288, plus the PWM pattern of 2 bytes per bit (480 bytes for 10 pixels)
#: its nRF52 show() allocates while it runs. esp_eye_led (IDF's LEDC driver) is an estimate: no Xtensa build here.
OUTPUT_HANDLERS: dict[str, AppMemory] = {
    "serial": AppMemory(flash_bytes=256, ram_bytes=16),
    "arduino_led_pwm": AppMemory(flash_bytes=256, ram_bytes=16),
    "sparkfun_edge_leds": AppMemory(flash_bytes=256, ram_bytes=16),
    "disco_lcd": AppMemory(flash_bytes=1_280, ram_bytes=960),
    "wio_terminal_lcd": AppMemory(flash_bytes=40_000, ram_bytes=1_536),
    "edgebadge_tft": AppMemory(flash_bytes=11_000, ram_bytes=1_024),
    "cpb_neopixels": AppMemory(flash_bytes=2_048, ram_bytes=768),
    "esp_eye_led": AppMemory(flash_bytes=8_000, ram_bytes=128),
}


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


def app_memory(model: ModelInfo, board: Board, app: str) -> AppMemory:
    """The one place that says what each app costs: the sine app its board's output handler, the inference app its
    sample inputs (constant arrays in flash), the validate app nothing beyond the shared serial code."""
    if app == "sine":
        return OUTPUT_HANDLERS[board.output_handler]
    if app == "inference":
        return AppMemory(flash_bytes=sum(t.nbytes for t in model.inputs))
    return AppMemory()


def runtime_flash_estimate(model: ModelInfo) -> int:
    return TFLM_CORE_FLASH + TFLM_PER_OP_FLASH * len(model.ops)


def check_fit(model: ModelInfo, arena_bytes: int, board: Board, app: str) -> Fit:
    extra = app_memory(model, board, app)
    return Fit(
        runtime="tflm",
        flash_bytes=model.size_bytes + runtime_flash_estimate(model) + board.framework_flash_bytes + extra.flash_bytes,
        flash_limit=board.flash_limit,
        ram_bytes=arena_bytes + TFLM_RAM_OVERHEAD + board.framework_ram_bytes + extra.ram_bytes,
        ram_limit=board.ram_bytes,
    )


def check_fit_aot(model: ModelInfo, arena_bytes: int, board: Board, app: str, flash_bytes: int | None = None) -> Fit:
    """``flash_bytes``: the generator's own figure for the file it generates for the board (AotResult.flash_bytes),
    which knows the re-laid-out weights and per-channel constants; else the estimate from the model alone."""
    sg = model.main
    channels = sum(output_channels(sg, op) for op in sg.operators if op.opcode in _PER_CHANNEL_OPS)
    flash = flash_bytes
    if flash is None:
        flash = model.parameter_bytes + AOT_PER_CHANNEL_FLASH * channels + AOT_PER_OP_FLASH * len(model.ops)
    extra = app_memory(model, board, app)
    return Fit(
        runtime="aot",
        flash_bytes=flash + board.framework_flash_bytes + extra.flash_bytes,
        flash_limit=board.flash_limit,
        ram_bytes=arena_bytes + board.framework_ram_bytes + extra.ram_bytes,
        ram_limit=board.ram_bytes,
    )

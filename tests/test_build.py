"""build.py's judgement of PlatformIO output, on recorded outputs (a real offline failure takes a minute)."""

from __future__ import annotations

from pathlib import Path

from tinyflash.boards import get_board
from tinyflash.build import _build_failure
from tinyflash.errors import ToolError
from tinyflash.platformio import first_errors, parse_size

OFFLINE = """Processing nano33ble (platform: nordicnrf52@10.11.0; board: nano33ble; framework: arduino)
Platform Manager: Installing nordicnrf52 @ 10.11.0
HTTPClientError:
"""
COMPILE_ERROR = """Compiling .pio/build/virtual-m4/src/main_functions.o
src/main_functions.cc:12:3: error: 'foo' was not declared in this scope
*** [.pio/build/virtual-m4/src/main_functions.o] Error 1
"""
SIZES = """Checking size .pio/build/virtual-m4/firmware.elf
RAM:   [=         ]  12.3% (used 32276 bytes from 262144 bytes)
Flash: [===       ]  27.1% (used 284216 bytes from 1048576 bytes)
"""


def test_unreachable_registry_is_explained():
    err = _build_failure(get_board("nano33ble"), OFFLINE, Path("build.log"))
    assert isinstance(err, ToolError) and err.exit_code == 2
    assert "could not download" in err.message and "virtual board" in err.hint


def test_compile_error_shows_the_first_error_lines():
    err = _build_failure(get_board("virtual-m4"), COMPILE_ERROR, Path("build.log"))
    assert err.exit_code == 3
    assert "'foo' was not declared" in err.message and "build.log" in err.hint
    assert first_errors(COMPILE_ERROR)[0].startswith("src/main_functions.cc:12:3: error:")


def test_parse_size():
    assert parse_size(SIZES) == (284216, 1048576, 32276, 262144)
    assert parse_size("no size here") is None

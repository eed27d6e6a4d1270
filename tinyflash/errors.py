"""One exception family, so the CLI can turn any failure into one clean line and a documented exit code.

Every error carries *what* went wrong and a *hint* saying what to do about it. Exit codes, the same for
every command (README, "Exit codes"):

- 0 success
- 1 a check ran and said no (does not fit, wrong output, a monitor condition not met)
- 2 bad input or environment (unknown board, corrupt model, missing tool, no permission, busy project)
- 3 the build or the flash failed
- 4 the device or its transport failed (no output, stream ended, port vanished, protocol error)
- 70 an internal error (a bug in tinyflash: rerun with --debug and report it)
- 128 + N ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; 141 when the reader of our output left)
"""

from __future__ import annotations

import signal


class TinyflashError(Exception):
    """Base class: a message and a hint for the user, and the process exit code."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ModelError(TinyflashError):
    """The .tflite file is missing, unreadable or not a valid model."""


class BoardError(TinyflashError):
    """An unknown board, or a board profile that does not validate."""


class ToolError(TinyflashError):
    """An external program (pio, qemu, a compiler) is missing or could not be run."""


class StateError(TinyflashError):
    """A project's state (``.tinyflash/``, ``latest.json``) is unusable, or the project is busy."""


class Interrupted(TinyflashError):
    """Ctrl-C, SIGTERM or SIGHUP. Raised by the CLI's signal handlers instead of KeyboardInterrupt, so cleanup
    code sees one exception family and the process exits 128 + signal with one line."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        super().__init__("interrupted" if signum == signal.SIGINT else f"stopped by {name}")
        self.signum = signum
        self.exit_code = 128 + signum


class CheckFailed(TinyflashError):
    """A check ran to completion and said no (does not fit, wrong output, condition not met)."""

    exit_code = 1


class BuildFailed(TinyflashError):
    """The compiler or linker rejected the project: the input was fine, the build ran and failed."""

    exit_code = 3


class FlashFailed(TinyflashError):
    """The upload ran and failed (or the emulator would not start the firmware)."""

    exit_code = 3


class OutputClosed(TinyflashError):
    """Whoever reads our output went away (`tinyflash monitor | head`): stop quietly, as a Unix filter does."""

    exit_code = 128 + signal.SIGPIPE

    def __init__(self) -> None:
        super().__init__("output closed")


class DeviceError(TinyflashError):
    """The board or its link failed while in use: silence, a stream that ended, a port that vanished."""

    exit_code = 4

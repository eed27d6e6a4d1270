"""One exception family, so the CLI can turn any failure into one clean line.

Every error carries *what* went wrong and a *hint* saying what to do about it. ``exit_code`` is 2 for
user errors (bad input, missing tools, bad environment) and 1 for a check that ran and failed
(model does not fit, output mismatch).
"""

from __future__ import annotations


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
    """An external program (pio, qemu, a compiler) is missing or failed."""


class Interrupted(TinyflashError):
    """Ctrl-C. Raised by the CLI's SIGINT handler instead of KeyboardInterrupt, so that cleanup code sees one
    exception family and the process exits 130 with one line instead of a framework's "Aborted!"."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")


class BuildFailed(TinyflashError):
    """The compiler or linker rejected the project: the input was fine, the build ran and failed."""

    exit_code = 1


class CheckFailed(TinyflashError):
    """A check ran to completion and said no (does not fit, wrong output)."""

    exit_code = 1

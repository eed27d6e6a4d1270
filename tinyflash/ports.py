"""Serial ports of real boards: find the board's port by USB VID:PID, open it, explain failures.

Ports are unreliable (boards re-enumerate after an upload, permissions differ per distro), so every
failure becomes an error that says what to do, in the spirit of esptool.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from serial.tools import list_ports

from .boards import Board
from .errors import TinyflashError

DIALOUT_HINT = (
    "add yourself to the dialout group (sudo usermod -aG dialout $USER, then log out and in) "
    "or install the board's udev rules"
)


class PortError(TinyflashError):
    """A serial port is missing, busy, or not accessible."""


@dataclass(frozen=True)
class Port:
    device: str
    vid: int | None
    pid: int | None
    description: str

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}" if self.vid is not None and self.pid is not None else "no USB id"

    def describe(self) -> str:
        return f"{self.device} ({self.usb_id}, {self.description})"


def connected_ports() -> list[Port]:
    """Every serial port the OS reports. The one place that touches list_ports (tests fake it here)."""
    return [Port(p.device, p.vid, p.pid, p.description or "") for p in list_ports.comports()]


def board_ports(board: Board, ports: list[Port] | None = None) -> list[Port]:
    ids = set(board.usb_ids)
    return [p for p in (connected_ports() if ports is None else ports) if (p.vid, p.pid) in ids]


def choose_port(board: Board, explicit: str | None = None) -> str:
    """The port to use for ``board``: the one given, or the single connected port with its USB id."""
    if explicit:
        check_access(explicit)
        return explicit
    ports = connected_ports()
    matches = board_ports(board, ports)
    if len(matches) == 1:
        check_access(matches[0].device)
        return matches[0].device
    if not matches:
        seen = "; ".join(p.describe() for p in ports) or "no serial ports at all"
        raise PortError(
            f"no {board.name} found (looking for USB ids {', '.join(board.usb_ids_text)}); connected: {seen}",
            "plug the board in with a data-capable USB cable, or pass --port",
        )
    listing = ", ".join(p.describe() for p in matches)
    raise PortError(f"several ports look like a {board.name}: {listing}", "choose one with --port")


def check_access(device: str) -> None:
    """Fail early, and helpfully, when the port is missing or not readable and writable by us."""
    if device.startswith(("socket://", "rfc2217://", "loop://")):
        return
    if not os.path.exists(device):
        known = ", ".join(p.device for p in connected_ports()) or "none"
        raise PortError(
            f"serial port {device} does not exist (ports now: {known})", "check the cable, or pass the right --port"
        )
    if sys.platform != "win32" and not os.access(device, os.R_OK | os.W_OK):
        raise PortError(f"no permission to open {device}", DIALOUT_HINT)

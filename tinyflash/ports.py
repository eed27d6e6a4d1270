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
    serial_number: str = ""
    location: str = ""  # the USB path (bus-port.port...), stable for a given socket on a given hub

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}" if self.vid is not None and self.pid is not None else "no USB id"

    def describe(self) -> str:
        serial = f", serial {self.serial_number}" if self.serial_number else ""
        return f"{self.device} ({self.usb_id}{serial}, {self.description})"


def connected_ports() -> list[Port]:
    """Every serial port the OS reports. The one place that touches list_ports (tests fake it here)."""
    return [
        Port(p.device, p.vid, p.pid, p.description or "", p.serial_number or "", p.location or "")
        for p in list_ports.comports()
    ]


def board_ports(board: Board, ports: list[Port] | None = None) -> list[Port]:
    ids = set(board.usb_ids)
    return [p for p in (connected_ports() if ports is None else ports) if (p.vid, p.pid) in ids]


def choose_port(board: Board, explicit: str | None = None) -> str:
    """The port to use for ``board``: the one given, or the single connected port with its USB id.

    ``explicit`` may pin the board rather than a device path: ``serial:NUMBER`` (its USB serial number) or
    ``name:RACK_NAME`` (an entry of the rack file). Those are resolved afresh on every call, so a board that
    comes back as another /dev/tty after a reset or its 1200-bps touch is found again — and a second board
    of the same kind never is.
    """
    ports = connected_ports()
    refuse_remote_upload(explicit)
    if explicit:
        serial = serial_of(explicit, board)
        if serial is None:
            check_access(explicit)
            return explicit
        return _by_serial(board, serial, ports, explicit)
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
    raise PortError(
        f"several ports look like a {board.name}: {listing}",
        "choose one with --port, best by serial number (--port serial:NUMBER) or rack name (--port name:NAME)",
    )


def refuse_remote_upload(port: str | None) -> None:
    """Uploads run here, through PlatformIO: a board behind a labgrid place is flashed on its exporter's host."""
    if port and port.startswith("labgrid:"):
        raise PortError(
            f"{port} is a board on another host: tinyflash cannot upload through a labgrid place",
            "flash it on the exporter's host (tinyflash flash there); monitor and test work through the place",
        )


def serial_of(spec: str, board: Board) -> str | None:
    """The USB serial number a ``serial:`` or ``name:`` port spec pins, or None for a plain device path."""
    if spec.startswith("serial:"):
        number = spec.removeprefix("serial:").strip()
        if not number:
            raise PortError("--port serial: needs the board's USB serial number", "see `tinyflash boards scan`")
        return number
    if spec.startswith("name:"):
        from .rack import find_entry

        entry = find_entry(spec.removeprefix("name:"))
        if entry.board != board.id:
            raise PortError(f"rack entry {entry.name!r} is a {entry.board}, not a {board.id}", "pick another --port")
        if not entry.serial:
            raise PortError(f"rack entry {entry.name!r} has no serial number", "add `serial = ...` to the rack file")
        return entry.serial
    return None


def _by_serial(board: Board, serial: str, ports: list[Port], spec: str) -> str:
    found = [p for p in ports if p.serial_number == serial]
    if not found:
        seen = "; ".join(p.describe() for p in ports) or "no serial ports at all"
        raise PortError(f"no port has USB serial number {serial} ({spec}); connected: {seen}",
                        "check that the board is plugged in (and not stuck in another mode)")  # fmt: skip
    mine = [p for p in found if (p.vid, p.pid) in set(board.usb_ids)]
    if not mine:
        raise PortError(f"USB serial {serial} is {found[0].describe()}, not a {board.name}",
                        f"check the rack file or the serial number (a {board.name} has USB ids "
                        f"{', '.join(board.usb_ids_text)})")  # fmt: skip
    check_access(mine[0].device)
    return mine[0].device


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


def udev_rules(boards: tuple[Board, ...]) -> str:
    """Rules giving the dialout group each board's serial port, with a link /dev/tinyflash/BOARD-SERIAL that does
    not change when the board re-enumerates or another board is plugged in; and, for boards flashed through a
    debug probe (ST-LINK), the probe's USB device itself."""
    lines = [
        "# tinyflash: udev rules for the supported boards (generated by `tinyflash udev-rules`).",
        "# Install: tinyflash udev-rules | sudo tee /etc/udev/rules.d/60-tinyflash.rules",
        "#          sudo udevadm control --reload-rules && sudo udevadm trigger",
        "# Then add yourself to dialout (sudo usermod -aG dialout $USER) and log in again.",
    ]
    seen: set[tuple[int, int]] = set()
    for board in boards:
        for vid, pid in board.usb_ids:
            ids = f'ATTRS{{idVendor}}=="{vid:04x}", ATTRS{{idProduct}}=="{pid:04x}"'
            lines.append(f"# {board.name} ({board.id})")
            lines.append(f'SUBSYSTEM=="tty", {ids}, MODE="0660", GROUP="dialout", '
                         f'SYMLINK+="tinyflash/{board.id}-$env{{ID_SERIAL_SHORT}}"')  # fmt: skip
            if board.platformio.upload_protocol == "stlink" and (vid, pid) not in seen:
                lines.append(f'SUBSYSTEM=="usb", ATTR{{idVendor}}=="{vid:04x}", ATTR{{idProduct}}=="{pid:04x}", '
                             'MODE="0660", GROUP="dialout"')  # fmt: skip
            seen.add((vid, pid))
    return "\n".join(lines) + "\n"

"""The boards attached to this machine, pinned by USB serial number, and locks so several users can share them.

A rack file (``tinyflash-rack.toml``, or the file ``$TINYFLASH_RACK`` names) lists boards by name:

    [[board]]
    name = "nano-1"            # what `--port name:nano-1` and the pytest plugin use
    board = "nano33ble"        # a board id (`tinyflash boards`)
    serial = "6B1D8D2E4B3C1F0A"  # the USB serial number of its port (`tinyflash boards scan` finds it)
    probe_serial = ""          # the debug probe's serial, for a board flashed through one
    place = ""                 # a labgrid place, for a board on another host
    tags = ["desk"]

Board locks are OS file locks in ``$TINYFLASH_LOCK_DIR`` (default: ``~/.cache/tinyflash/locks``), one per board
(by serial number, rack name, or labgrid place), holding a record of who has it: pytest-xdist workers, two CI
jobs and a person at a desk wait for each other instead of flashing one board at once. The kernel releases a
lock when its holder ends, however it ends. Point ``TINYFLASH_LOCK_DIR`` at one folder for every user of a rack.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import files
from .boards import Board, all_boards, get_board
from .errors import StateError, TinyflashError
from .ports import Port, board_ports, connected_ports

RACK_ENV = "TINYFLASH_RACK"
DEFAULT_RACK = Path("tinyflash-rack.toml")
LOCK_ENV = "TINYFLASH_LOCK_DIR"
_KEYS = {"name": str, "board": str, "serial": str, "probe_serial": str, "place": str, "tags": list}


@dataclass(frozen=True)
class RackEntry:
    name: str
    board: str
    serial: str = ""
    probe_serial: str = ""
    place: str = ""
    tags: tuple[str, ...] = ()

    @property
    def lock_key(self) -> str:
        """One lock per physical board, whatever name or spec reaches it."""
        if self.serial:
            return f"serial-{self.serial}"
        if self.place:
            return f"place-{self.place}"
        return f"name-{self.name}"

    @property
    def port_spec(self) -> str | None:
        if self.place:
            return f"labgrid:{self.place}"
        return f"serial:{self.serial}" if self.serial else None


def rack_path(path: Path | None = None) -> Path:
    return path or Path(os.environ.get(RACK_ENV) or DEFAULT_RACK)


def load_rack(path: Path | None = None, *, required: bool = False) -> tuple[RackEntry, ...]:
    """The rack's entries, validated (a typo is an error naming the file and the key, not a surprise later)."""
    where = rack_path(path)
    try:
        raw = tomllib.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise StateError(
                f"no rack file at {where}", f"write one with `tinyflash boards scan --write {where}`"
            ) from None
        return ()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StateError(f"{where} is not a readable TOML rack file ({exc})", f"fix {where}") from None
    tables = raw.get("board", [])
    if not isinstance(tables, list) or any(not isinstance(t, dict) for t in tables) or set(raw) - {"board"}:
        raise StateError(f"{where}: a rack file holds [[board]] tables only", f"fix {where}")
    entries = [_entry(t, where) for t in tables]
    names = [e.name for e in entries]
    for name in names:
        if names.count(name) > 1:
            raise StateError(f"{where}: the name {name!r} is used twice", "give every board its own name")
    serials = [e.serial for e in entries if e.serial]
    for serial in serials:
        if serials.count(serial) > 1:
            raise StateError(f"{where}: USB serial {serial} is listed twice", "one entry per physical board")
    return tuple(entries)


def _entry(table: dict[str, Any], where: Path) -> RackEntry:
    for key, value in table.items():
        if key not in _KEYS:
            raise StateError(f"{where}: unknown key {key!r} in a [[board]]", f"allowed: {', '.join(_KEYS)}")
        if not isinstance(value, _KEYS[key]) or (key == "tags" and not all(isinstance(t, str) for t in value)):
            raise StateError(f"{where}: {key!r} must be a {_KEYS[key].__name__}", f"fix {where}")
    if not table.get("name") or not table.get("board"):
        raise StateError(f"{where}: every [[board]] needs a name and a board id", f"fix {where}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", table["name"]):
        raise StateError(f"{where}: rack name {table['name']!r} may hold letters, digits, '.', '_' and '-' only",
                         f"fix {where}")  # fmt: skip
    board = get_board(table["board"])  # unknown ids fail here, with close matches
    return RackEntry(table["name"], board.id, table.get("serial", ""), table.get("probe_serial", ""),
                     table.get("place", ""), tuple(table.get("tags", [])))  # fmt: skip


def find_entry(name: str, path: Path | None = None) -> RackEntry:
    entries = load_rack(path, required=True)
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in entries) or "none"
    raise StateError(f"no board named {name!r} in {rack_path(path)} (it has: {known})", "check the name")


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_rack(entries: list[RackEntry] | tuple[RackEntry, ...]) -> str:
    out = ["# tinyflash rack: the boards on this machine, pinned by USB serial number (see `tinyflash boards scan`)."]
    for e in entries:
        out += ["", "[[board]]", f"name = {_toml_string(e.name)}", f"board = {_toml_string(e.board)}"]
        for key in ("serial", "probe_serial", "place"):
            if getattr(e, key):
                out.append(f"{key} = {_toml_string(getattr(e, key))}")
        out.append(f"tags = [{', '.join(_toml_string(t) for t in e.tags)}]")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Found:
    """A connected port whose USB id belongs to a board profile."""

    port: Port
    board: Board
    entry: RackEntry | None  # its rack entry, when the rack lists its serial number


def scan(entries: tuple[RackEntry, ...] = ()) -> list[Found]:
    ports = connected_ports()
    by_serial = {e.serial: e for e in entries if e.serial}
    found = []
    for board in all_boards():
        for port in board_ports(board, ports):
            found.append(Found(port, board, by_serial.get(port.serial_number)))
    return sorted(found, key=lambda f: (f.board.id, f.port.location, f.port.device))


def merge(entries: tuple[RackEntry, ...], found: list[Found]) -> list[RackEntry]:
    """The rack with newly found boards added (named BOARD-N); known ones keep their names and tags."""
    merged = list(entries)
    names = {e.name for e in merged}
    for f in found:
        if f.entry is not None or not f.port.serial_number:
            continue
        n = 1
        while f"{f.board.id}-{n}" in names:
            n += 1
        name = f"{f.board.id}-{n}"
        names.add(name)
        merged.append(RackEntry(name, f.board.id, f.port.serial_number))
    return merged


# --- Board locks ---


def lock_dir() -> Path:
    configured = os.environ.get(LOCK_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinyflash" / "locks"


@contextmanager
def board_lock(key: str, command: str, wait_s: float = 60.0) -> Iterator[None]:
    """Hold one board while a command uses it (waiting up to ``wait_s`` for its holder); re-entrant per process."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    held = f"board:{safe}"
    if files.is_held(held):
        yield
        return
    folder = lock_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{safe}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise TinyflashError(f"cannot use the board lock folder {folder}: {exc.strerror}",
                             f"set {LOCK_ENV} to a writable folder") from None  # fmt: skip
    with files.hold(fd, held, command, wait_s, f"the board {key}"):
        yield


def key_for(board: Board, port_spec: str | None) -> str:
    """Which lock a command on ``board`` through ``port_spec`` takes: the board's own, however it is named."""
    if port_spec and port_spec.startswith("name:"):
        return find_entry(port_spec.removeprefix("name:")).lock_key
    if port_spec and port_spec.startswith("serial:"):
        return f"serial-{port_spec.removeprefix('serial:')}"
    if port_spec and port_spec.startswith("labgrid:"):
        return f"place-{port_spec.removeprefix('labgrid:')}"
    if port_spec:
        serial = next((p.serial_number for p in connected_ports() if p.device == port_spec and p.serial_number), "")
        return f"serial-{serial}" if serial else f"port-{port_spec}"
    matches = board_ports(board)
    if len(matches) == 1 and matches[0].serial_number:
        return f"serial-{matches[0].serial_number}"
    return f"board-{board.id}"

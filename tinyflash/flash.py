"""Flash runners: put a built firmware on its board and say where its serial output comes from.

As in west, a board names its runner in its profile and each runner is one small class: PlatformIO's
upload for real boards, QEMU for the emulated Cortex-M boards, a host process for ``native``. The CLI
only ever talks to :func:`runner_for`.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import files, procs
from .boards import Board
from .build import find_firmware
from .errors import FlashFailed, StateError, TinyflashError
from .monitor import Stream, open_url
from .ports import DIALOUT_HINT, PortError, board_ports, choose_port, refuse_remote_upload
from .virtual import Running

RUN_STATE = ".tinyflash/run.json"
UPLOAD_ATTEMPTS = 2
UPLOAD_TIMEOUT_S = 300
PORT_WAIT_S = 5.0
#: How long a command waits for a board another process holds (a test run, a monitor) before failing.
BOARD_WAIT_S = float(os.environ.get("TINYFLASH_BOARD_WAIT", "60"))


@dataclass(frozen=True)
class FlashResult:
    board: Board
    target: str  # the port, or where the virtual board's serial listens
    firmware: Path
    detail: str
    attempts: int = 1


@dataclass(frozen=True)
class Target:
    """Where to read a board's serial output, and how to find it again if it vanishes."""

    url: str
    reopen: Callable[[float], Stream | None] | None = None


@dataclass(frozen=True)
class Stopped:
    """What `stop` did: how many processes it ended, and anything about the record worth telling."""

    ended: int
    note: str = ""


class Runner(ABC):
    def __init__(self, project: Path, board: Board) -> None:
        self.project = project
        self.board = board

    def firmware(self) -> Path:
        fw = find_firmware(self.project, self.board)
        if fw is None:
            raise TinyflashError(f"no firmware in {self.project}", "run `tinyflash build` (without --no-compile) first")
        return fw

    @abstractmethod
    def flash(self, port: str | None) -> FlashResult: ...

    @abstractmethod
    def target(self, port: str | None) -> Target: ...

    def stop(self) -> Stopped:
        """End whatever flash started."""
        return Stopped(0)


class PlatformIORunner(Runner):
    """Real boards: `pio run -t upload`, with the port found by USB id and one retry after re-enumeration."""

    def flash(self, port: str | None) -> FlashResult:
        from .rack import board_lock, key_for

        with (
            files.project_lock(self.project, "tinyflash flash"),
            board_lock(key_for(self.board, port), "tinyflash flash", BOARD_WAIT_S),
        ):
            return self._upload(port)

    def _upload(self, port: str | None) -> FlashResult:
        from . import platformio

        firmware = self.firmware()
        log = self.project / ".tinyflash" / "upload.log"
        device = choose_port(self.board, port)
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            result = platformio.run_pio(
                ["run", "-t", "nobuild", "-t", "upload", "--upload-port", device],
                project_dir=self.project,
                log_path=log,
                timeout=UPLOAD_TIMEOUT_S,
            )
            if result.returncode == 0:
                return FlashResult(self.board, device, firmware, f"uploaded over {device}", attempt)
            if "Permission denied" in result.output or "Errno 13" in result.output:
                raise PortError(f"no permission to use {device}", DIALOUT_HINT)
            if attempt < UPLOAD_ATTEMPTS and (port is None or _pinned(port)):
                # Boards with a 1200-bps touch come back on another port; look again (by serial number when
                # pinned, so it is this board and no other) before retrying.
                time.sleep(2)
                device = choose_port(self.board, port)
        errors = "; ".join(platformio.failure_lines(result.output, 3)) or "see the log"
        what_to_do = (
            "double-tap the board's reset button to start its bootloader, then retry"
            if self.board.use_1200bps_touch
            else "check the cable and that no other program (a serial monitor?) holds the port, then retry"
        )
        raise FlashFailed(f"upload to {self.board.id} on {device} failed: {errors}", f"{what_to_do} (log: {log})")

    def target(self, port: str | None) -> Target:
        device = self._wait_for_port(port)

        def reopen(wait_s: float) -> Stream | None:
            """Wait for the board to come back: found again by its serial number when pinned, else the same
            device or the one port with its USB id."""
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                if port is not None and _pinned(port):
                    try:
                        candidates = [choose_port(self.board, port)]
                    except PortError:
                        candidates = []
                elif os.path.exists(device):
                    candidates = [device]
                else:
                    candidates = [p.device for p in board_ports(self.board)]
                if len(candidates) == 1:
                    try:
                        return open_url(candidates[0], self.board.baud)
                    except PortError:
                        pass
                time.sleep(0.25)
            return None

        return Target(device, reopen)

    def console_before_upload(self, port: str | None) -> Stream | None:
        """Boards whose console survives the upload (a probe flashes, the UART is separate) get it opened first,
        so the first line the board prints after its reset is already being read."""
        if self.board.console != "open-before-upload":
            return None
        return open_url(choose_port(self.board, port), self.board.baud)

    def open_console(self, target: Target, reset: bool) -> Stream:
        """Open the console; with ``reset`` on a board whose console can reset it (RTS on EN), do so once attached,
        so nothing it prints from boot on is missed."""
        stream = open_url(target.url, self.board.baud)
        if reset and self.board.console == "reset-after-open":
            stream.dtr = False  # type: ignore[attr-defined]  # IO0 high: boot the application, not the ROM loader
            stream.rts = True  # type: ignore[attr-defined]  # EN low: in reset
            time.sleep(0.1)
            stream.rts = False  # type: ignore[attr-defined]  # EN high: boot
        return stream

    def _wait_for_port(self, port: str | None) -> str:
        """Right after an upload the board is still rebooting into the sketch: give its port a moment."""
        deadline = time.monotonic() + PORT_WAIT_S
        while True:
            try:
                return choose_port(self.board, port)
            except PortError:
                if (port is not None and not _pinned(port)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.25)


def _pinned(port: str) -> bool:
    """A port given as the board itself (serial number, rack name) rather than a device path."""
    return port.startswith(("serial:", "name:"))


class VirtualRunner(Runner):
    """QEMU or a host process, started in the background with its serial on a loopback TCP port."""

    def _record(self) -> Running | None:
        """The run record, validated; None when there is none. A damaged record is a StateError."""
        data = files.read_json(self.project, RUN_STATE)
        return None if data is None else Running.from_json(data, str(self.project / RUN_STATE))

    def flash(self, port: str | None) -> FlashResult:
        from . import virtual

        refuse_remote_upload(port)
        if port:
            raise TinyflashError(f"{self.board.id} is virtual and has no port to choose", "drop --port")
        with files.project_lock(self.project, "tinyflash flash"):
            firmware = self.firmware()
            self.stop()  # re-flash replaces the running instance (and ends any orphan of this project)
            project = self.project.resolve()
            if self.board.runner == "qemu":
                running = virtual.start_qemu(self.board.qemu_machine, firmware, project=project)
                what = f"QEMU {self.board.qemu_machine}"
            else:
                running = virtual.start_host(firmware, project=project)
                what = "host process"
            try:
                files.write_json(self.project, RUN_STATE, running.to_json())
            except BaseException:
                virtual.stop(running)
                raise
        url = f"socket://127.0.0.1:{running.port}"
        return FlashResult(self.board, url, firmware, f"{what} running (pid {running.pid}), serial on {url}")

    def target(self, port: str | None) -> Target:
        from . import virtual

        running = self._record()
        ours = running is not None and running.project == str(self.project.resolve()) and virtual.is_alive(running)
        if not ours:
            raise TinyflashError(f"the virtual board {self.board.id} is not running", "run `tinyflash flash` first")
        assert running is not None
        return Target(f"socket://127.0.0.1:{running.port}")

    def stop(self) -> Stopped:
        """End every process tagged with this project — also orphans whose record was lost or damaged."""
        with files.project_lock(self.project, "tinyflash stop"):
            note = ""
            try:
                record = self._record()
            except StateError as exc:
                record, note = None, f"ignored a damaged record: {exc.message}"
            found = procs.find(project=self.project.resolve())
            if record is not None and record.pid not in {p.pid for p in found} and _alive(record.pid):
                note = f"{RUN_STATE} names pid {record.pid}, which is not a board tinyflash started: left it alone"
            ended = procs.terminate(found)
            if record is not None or files.is_link(self.project, RUN_STATE):
                files.remove_file(self.project, RUN_STATE)
            return Stopped(ended, note)


def _alive(pid: int) -> bool:
    return pid > 0 and os.path.exists(f"/proc/{pid}")


def stop_all() -> list[procs.Proc]:
    """End every virtual board this user started, in any project (`tinyflash stop --all`)."""
    found = procs.find()
    procs.terminate(found)
    return found


def runner_for(project: Path, board: Board) -> Runner:
    return (PlatformIORunner if board.runner == "platformio" else VirtualRunner)(project, board)

"""Virtual boards as background processes: QEMU for the Cortex-M boards, the program itself for ``native``.

Each runs in its own process group with its serial port on a loopback TCP port and does not start
until a reader connects (QEMU's ``wait=on``; for native, a small relay that starts the program on
connect), so no output is ever lost. A :class:`Running` record (JSON in the project) lets a later CLI
call find the instance again and stop it; stopping kills the whole group, and only after checking that
the pid still belongs to what we started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ToolError
from .platformio import APT_INSTALL

START_TIMEOUT_S = 10.0
QEMU = "qemu-system-arm"


@dataclass(frozen=True)
class Running:
    pid: int
    port: int
    command: tuple[str, ...]
    log: str
    started: float

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Running:
        return cls(
            int(data["pid"]), int(data["port"]), tuple(data["command"]), str(data["log"]), float(data["started"])
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_command(machine: str, elf: Path, port: int) -> list[str]:
    return [
        QEMU,
        "-M", machine,
        "-nographic",
        "-monitor", "none",
        "-kernel", str(elf),
        "-semihosting-config", "enable=on,target=native",
        # Deterministic: identical output and tick counts on every run, faster than real time.
        "-icount", "shift=0,align=off,sleep=off",
        "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on",
    ]  # fmt: skip


def start_qemu(machine: str, elf: Path, log: Path | None = None) -> Running:
    if not _which(QEMU):
        raise ToolError(f"{QEMU} is not installed", f"install it: {APT_INSTALL}")
    port = free_port()
    return _start(qemu_command(machine, elf, port), port, log or elf.with_name("qemu.log"))


def start_host(exe: Path, log: Path | None = None) -> Running:
    port = free_port()
    cmd = [sys.executable, "-m", "tinyflash._serial_relay", str(port), str(exe)]
    return _start(cmd, port, log or exe.with_name("native.log"))


def _start(cmd: list[str], port: int, log: Path) -> Running:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    running = Running(proc.pid, port, tuple(cmd), str(log), time.time())
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _listening(port):
        if proc.poll() is not None:
            detail = log.read_text(errors="replace").strip().splitlines()
            raise ToolError(f"{Path(cmd[0]).name} exited at once: {detail[-1] if detail else proc.returncode}",
                            f"see {log}")  # fmt: skip
        if time.monotonic() > deadline:
            stop(running)
            raise ToolError(f"{Path(cmd[0]).name} did not open its serial port in {START_TIMEOUT_S:.0f} s",
                            f"see {log}")  # fmt: skip
        time.sleep(0.01)
    return running


def _listening(port: int) -> bool:
    """Is something listening on 127.0.0.1:port? Read from /proc, since connecting would take the one client slot."""
    want = f":{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            return any(line.split()[1].endswith(want) and line.split()[3] == "0A" for line in f.readlines()[1:])
    except OSError:  # not Linux: give the emulator a moment; the monitor retries refused connections
        time.sleep(0.3)
        return True


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def is_alive(running: Running) -> bool:
    """True if the recorded process still runs and is still the one we started (pids get reused)."""
    try:
        with open(f"/proc/{running.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except OSError:
        return False
    return running.command[0] in _cmdline(running.pid) and str(running.port) in _cmdline(running.pid)


def stop(running: Running, grace_s: float = 2.0) -> None:
    """End the instance and everything it started; idempotent."""
    if not is_alive(running):
        _reap(running.pid)
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(running.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and is_alive(running):
            _reap(running.pid)
            time.sleep(0.02)
        if not is_alive(running):
            break
    _reap(running.pid)


def _reap(pid: int) -> None:
    """Collect our own child's exit status, so it does not linger as a zombie in a long-lived process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _which(name: str) -> bool:
    from shutil import which

    return which(name) is not None

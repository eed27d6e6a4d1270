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
    """What a later CLI call needs to find a started instance again and stop it (stored as JSON)."""

    pid: int
    port: int
    command: tuple[str, ...]
    log: str
    started: float
    pgid: int = 0  # the process group stop() kills; the pid itself, since each instance leads its own session

    @property
    def group(self) -> int:
        return self.pgid or self.pid

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Running:
        return cls(
            int(data["pid"]),
            int(data["port"]),
            tuple(data["command"]),
            str(data["log"]),
            float(data["started"]),
            int(data.get("pgid") or data["pid"]),
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


def start_qemu(machine: str, elf: Path, log: Path | None = None, *, port: int | None = None) -> Running:
    """Start QEMU paused on its serial port: the firmware runs once a reader connects to 127.0.0.1:port."""
    if not _which(QEMU):
        raise ToolError(f"{QEMU} is not installed", f"install it: {APT_INSTALL}")
    if not Path(elf).is_file():
        raise ToolError(f"no firmware at {elf}", "build it first (tinyflash build)")
    port = port or free_port()
    return _start(qemu_command(machine, elf, port), port, log or elf.with_name("qemu.log"))


def start_host(exe: Path, log: Path | None = None, *, port: int | None = None) -> Running:
    """Start the native board: a relay on 127.0.0.1:port runs the program when a reader connects."""
    if not Path(exe).is_file():
        raise ToolError(f"no program at {exe}", "build it first (tinyflash build)")
    port = port or free_port()
    cmd = [sys.executable, "-m", "tinyflash._serial_relay", str(port), str(exe)]
    return _start(cmd, port, log or exe.with_name("native.log"))


def _start(cmd: list[str], port: int, log: Path) -> Running:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    running = Running(proc.pid, port, tuple(cmd), str(log), time.time(), pgid=proc.pid)
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


def is_alive(target: Running | int) -> bool:
    """True if the process runs (not a zombie); for a Running record, also that it is still the one we
    started (pids get reused, so a stale record must never make us signal a stranger)."""
    pid = target if isinstance(target, int) else target.pid
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except OSError:
        return False
    if isinstance(target, int):
        return True
    return _started_as(target, _cmdline(pid))


def group_alive(pgid: int) -> bool:
    """Does any live (non-zombie) process remain in this process group? Used to prove nothing was orphaned."""
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: nothing we can see
        return False
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == pgid:
            return True
    return False


def stop(running: Running, grace_s: float = 2.0) -> None:
    """End the instance and everything it started (the whole process group, so a native program outlives
    neither its relay nor a killed relay); idempotent, and safe on a stale record."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _ours_remaining(running):
            break
        try:
            os.killpg(running.group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and _ours_remaining(running):
            _reap(running.pid)
            time.sleep(0.02)
    _reap(running.pid)


def _ours_remaining(running: Running) -> bool:
    """Is anything we started still running? A group whose leader has exited can only hold our processes
    (Linux does not hand out a pid still in use as a group id); a leader pid now running another program
    means the record is stale and the group is someone else's."""
    if is_alive(running):
        return True
    cmdline = _cmdline(running.pid)
    # An exiting process has already dropped its command line: still ours, and still to be waited for.
    stranger = bool(cmdline) and is_alive(running.pid) and not _started_as(running, cmdline)
    return not stranger and group_alive(running.group)


def _started_as(running: Running, cmdline: str) -> bool:
    return running.command[0] in cmdline and str(running.port) in cmdline


def wait_exit(running: Running, timeout: float) -> int | None:
    """The firmware's exit code once it ends (QEMU returns the semihosting exit code; the native relay returns
    the program's), or None if still running after ``timeout`` s or not a child of this process."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status = os.waitpid(running.pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def _reap(pid: int) -> None:
    """Collect our own child's exit status, so it does not linger as a zombie in a long-lived process."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _which(name: str) -> bool:
    from shutil import which

    return which(name) is not None

"""Virtual boards as background processes: QEMU for the Cortex-M boards, the program itself for ``native``.

Each runs in its own process group with its serial port on a loopback TCP port and does not start
until a reader connects (QEMU's ``wait=on``; for native, a small relay that starts the program on
connect), so no output is ever lost. Every process is tagged as ours (:mod:`tinyflash.procs`): stopping
ends exactly the tagged processes of an instance, whatever a record on disk says.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import procs
from .errors import FlashFailed, StateError, ToolError
from .platformio import APT_INSTALL

START_TIMEOUT_S = 10.0
QEMU = "qemu-system-arm"


@dataclass(frozen=True)
class Running:
    """A started instance, as recorded in the project so a later CLI call can find it (``.tinyflash/run.json``).

    The record is only a pointer: which processes are ours is proven by their tags (:mod:`tinyflash.procs`),
    never by the pid written here.
    """

    pid: int
    port: int
    command: tuple[str, ...]
    log: str
    started: float
    instance: str
    project: str

    @property
    def group(self) -> int:
        return self.pid  # each instance leads its own session and process group

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object, where: str) -> Running:
        """Validate an untrusted record field by field (StateError when anything is off)."""
        from .files import expect

        port = expect(data, "port", int, where)
        if not 0 < port < 65536:
            raise StateError(f"{where} is damaged: port {port} is out of range", f"delete it: {where}")
        command = expect(data, "command", list, where)
        return cls(
            expect(data, "pid", int, where),
            port,
            tuple(str(c) for c in command),
            expect(data, "log", str, where),
            float(expect(data, "started", (int, float), where)),
            expect(data, "instance", str, where),
            expect(data, "project", str, where),
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
        "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on",
    ]  # fmt: skip


def start_qemu(machine: str, elf: Path, log: Path | None = None, *, port: int | None = None,
               project: Path | None = None) -> Running:  # fmt: skip
    """Start QEMU paused on its serial port: the firmware runs once a reader connects to 127.0.0.1:port."""
    if not _which(QEMU):
        raise ToolError(f"{QEMU} is not installed", f"install it: {APT_INSTALL}")
    if not Path(elf).is_file():
        raise ToolError(f"no firmware at {elf}", "build it first (tinyflash build)")
    port = port or free_port()
    return _start(qemu_command(machine, elf, port), port, log or elf.with_name("qemu.log"), project or elf.parent)


def start_host(exe: Path, log: Path | None = None, *, port: int | None = None, project: Path | None = None) -> Running:
    """Start the native board: a relay on 127.0.0.1:port runs the program when a reader connects."""
    if not Path(exe).is_file():
        raise ToolError(f"no program at {exe}", "build it first (tinyflash build)")
    port = port or free_port()
    cmd = [sys.executable, "-m", "tinyflash._serial_relay", str(port), str(exe)]
    return _start(cmd, port, log or exe.with_name("native.log"), project or exe.parent)


def _start(cmd: list[str], port: int, log: Path, project: Path) -> Running:
    """Start ``cmd`` tagged as ours (see :mod:`tinyflash.procs`) in its own session, and wait for its port."""
    log.parent.mkdir(parents=True, exist_ok=True)
    instance = secrets.token_hex(8)
    project = project.resolve()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=procs.tagged_environment(project, instance))  # fmt: skip
    running = Running(proc.pid, port, tuple(cmd), str(log), time.time(), instance, str(project))
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _listening(port):
        if proc.poll() is not None:
            stop(running)  # a child it started may still run
            detail = log.read_text(errors="replace").strip().splitlines()
            raise FlashFailed(f"{Path(cmd[0]).name} exited at once: {detail[-1] if detail else proc.returncode}",
                              f"see {log}")  # fmt: skip
        if time.monotonic() > deadline:
            stop(running)
            raise FlashFailed(f"{Path(cmd[0]).name} did not open its serial port in {START_TIMEOUT_S:.0f} s",
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


def is_alive(running: Running) -> bool:
    """Does any process of this instance still run (proven by its tags, not by the recorded pid)?"""
    return bool(procs.find(instance=running.instance))


def group_alive(pgid: int) -> bool:
    return procs.group_alive(pgid)


def stop(running: Running, grace_s: float = 2.0) -> int:
    """End every process of this instance (an emulator, or the relay and the program it runs); idempotent.

    Returns how many were running. A record that matches no tagged process ends nothing.
    """
    ended = procs.terminate(procs.find(instance=running.instance), grace_s)
    _reap(running.pid)
    return ended


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

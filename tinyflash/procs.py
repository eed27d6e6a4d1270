"""Processes tinyflash started, found again and ended — and no others, ever.

Every background process tinyflash starts (an emulator, the native board's relay and the program it
runs) carries two environment variables: the project it belongs to and a random instance id. The
kernel keeps a process's initial environment readable in ``/proc/PID/environ`` (for its own user only),
so ownership is proven by the process itself, not by a record a user (or a crash) could have changed:
a pid from a state file is never signalled on its word. Finding our processes this way also finds
orphans whose record was lost, and ``tinyflash stop --all`` ends every one of them.

Signals go through a pidfd opened *before* the proof is checked, so a pid reused in between cannot
receive them; pid 1, our own process and our own process group are refused outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENV_PROJECT = "TINYFLASH_PROJECT"
ENV_INSTANCE = "TINYFLASH_INSTANCE"
PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    """A live process that carries tinyflash's tags."""

    pid: int
    project: str
    instance: str
    start_ticks: int  # /proc/PID/stat field 22: with the pid, identifies one process for its lifetime
    command: str


def tagged_environment(project: Path, instance: str, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env[ENV_PROJECT] = str(project)
    env[ENV_INSTANCE] = instance
    return env


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, process group, start time) of a pid, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[2]), int(fields[19])


def _tags(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:  # gone, or not ours to read
        return {}
    tags = {}
    for entry in raw.split(b"\0"):
        key, _, value = entry.partition(b"=")
        if key in (ENV_PROJECT.encode(), ENV_INSTANCE.encode()):
            tags[key.decode()] = value.decode(errors="replace")
    return tags


def _inspect(pid: int) -> Proc | None:
    """The process as a :class:`Proc` if it is alive, ours to signal, and tagged by tinyflash."""
    if pid <= 1 or pid == os.getpid():
        return None
    try:
        if (PROC / str(pid)).stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    stat = _stat(pid)
    if stat is None or stat[0] in "ZX" or stat[1] == os.getpgrp():
        return None
    tags = _tags(pid)
    if ENV_INSTANCE not in tags or ENV_PROJECT not in tags:
        return None
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        command = "?"
    return Proc(pid, tags[ENV_PROJECT], tags[ENV_INSTANCE], stat[2], command)


def find(project: Path | None = None, instance: str | None = None) -> list[Proc]:
    """Our live processes: all of them, or those of one project and/or one instance."""
    if not PROC.is_dir():
        return []
    found = []
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        proc = _inspect(int(entry))
        if proc is None:
            continue
        if project is not None and proc.project != str(project):
            continue
        if instance is not None and proc.instance != instance:
            continue
        found.append(proc)
    return found


def _still(proc: Proc) -> bool:
    """Is this very process (proven ours when found) still running? A pid and its start time identify one
    process for its whole life; its tags alone would not do, since an exiting process's environment becomes
    unreadable before it is gone."""
    stat = _stat(proc.pid)
    return stat is not None and stat[0] not in "ZX" and stat[2] == proc.start_ticks


def _signal(proc: Proc, signum: int) -> None:
    """Send ``signum`` to exactly the process that was proven ours (not to a pid reused since)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        fd = None  # no pidfd (old kernel, not Linux): the proof below is re-checked right before kill
    try:
        if not _still(proc):
            return
        if fd is not None:
            signal.pidfd_send_signal(fd, signum)
        else:
            os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass
    finally:
        if fd is not None:
            os.close(fd)


def terminate(procs: Iterable[Proc], grace_s: float = 2.0) -> int:
    """SIGTERM, a grace period, then SIGKILL; returns how many were running. Safe to call twice."""
    targets = [p for p in procs if _still(p)]
    running = len(targets)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for p in targets:
            _signal(p, signum)
        deadline = time.monotonic() + grace_s
        while True:
            _reap(targets)
            targets = [p for p in targets if _still(p)]
            if not targets or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if not targets:
            break
    return running


def _reap(procs: Iterable[Proc]) -> None:
    """Collect those of them that are our own children, so they do not linger as zombies."""
    for p in procs:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(p.pid, os.WNOHANG)


def group_alive(pgid: int) -> bool:
    """Does any live (non-zombie) process remain in this process group?"""
    if not PROC.is_dir():
        return False
    for entry in os.listdir(PROC):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[0] not in "ZX" and stat[1] == pgid:
                return True
    return False

"""Every file tinyflash writes, moves or deletes in a project goes through here.

A project folder is the user's: it may hold symlinks, and its state files (``.tinyflash/*.json``,
``latest.json``) may have been edited, corrupted or crafted. So paths taken from anywhere are checked to
stay inside the project (relative, no ``..``), every folder is walked with ``O_NOFOLLOW`` from the project
root down (a symlinked ``src/`` or ``.tinyflash/`` is refused, not written through), and files are replaced
atomically (a temporary file in the same folder, then ``rename``), which replaces a symlink rather than
writing to its target. State is read as untrusted JSON: parsed, then checked field by field.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import StateError

#: What :func:`read_file` returns for a path that is a symlink: never followed, never ours.
LINK = object()
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: State files are small; anything bigger is not ours.
MAX_STATE_BYTES = 1 << 20


def clean_relative(rel: object) -> str | None:
    """``rel`` as a normalised relative POSIX path inside a project, or None if it could point elsewhere."""
    if not isinstance(rel, str) or not rel or "\0" in rel or "\\" in rel:
        return None
    path = PurePosixPath(rel)
    if path.is_absolute() or any(part in ("..", ".", "") for part in rel.split("/")):
        return None
    return str(path)


def _parts(rel: str) -> list[str]:
    clean = clean_relative(rel)
    if clean is None:
        raise StateError(f"refusing the path {rel!r}: it is not inside the project", "this is a bug; report it")
    return clean.split("/")


def _open_dirs(root: Path, parts: list[str], create: bool) -> int:
    """A descriptor for ``root/parts...``, walked without following symlinks; the caller closes it."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                # It may appear meanwhile (a concurrent run), or be a dangling symlink: the open below tells.
                with suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=fd)
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = root.joinpath(*parts[: i + 1])
                    raise StateError(
                        f"{where} is a symlink or not a folder; tinyflash only writes real folders inside the project",
                        "replace it with a folder (move the link away), or build into another --out",
                    ) from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def _folder(root: Path, rel: str, create: bool) -> Iterator[tuple[int, str]]:
    *dirs, name = _parts(rel)
    fd = _open_dirs(root, dirs, create)
    try:
        yield fd, name
    finally:
        os.close(fd)


def read_file(root: Path, rel: str, limit: int | None = None) -> bytes | object | None:
    """The file's bytes; None if it (or a folder above it) does not exist; :data:`LINK` for a symlink."""
    try:
        with _folder(root, rel, create=False) as (dfd, name):
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LINK
        if exc.errno in (errno.ENOTDIR, errno.EISDIR):
            return None
        raise
    with os.fdopen(fd, "rb") as f:
        return f.read() if limit is None else f.read(limit + 1)


def is_link(root: Path, rel: str) -> bool:
    try:
        with _folder(root, rel, create=False) as (dfd, name):
            return os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode & 0o170000 == 0o120000
    except OSError:
        return False


def write_file(root: Path, rel: str, data: str | bytes) -> None:
    """Atomically replace ``root/rel`` (folders created as needed, none followed if a symlink)."""
    payload = data.encode() if isinstance(data, str) else data
    with _folder(root, rel, create=True) as (dfd, name):
        tmp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=dfd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise


def remove_file(root: Path, rel: str) -> None:
    """Delete ``root/rel`` itself (a symlink is removed, its target untouched)."""
    with _folder(root, rel, create=False) as (dfd, name):
        os.unlink(name, dir_fd=dfd)


def move_file(root: Path, rel: str, dest_rel: str) -> str:
    """Move ``root/rel`` to ``root/dest_rel`` without overwriting anything there; returns where it went."""
    with _folder(root, rel, create=False) as (sfd, name):
        *dirs, dest_name = _parts(dest_rel)
        dfd = _open_dirs(root, dirs, create=True)
        try:
            chosen, n = dest_name, 0
            while True:
                try:
                    os.stat(chosen, dir_fd=dfd, follow_symlinks=False)
                except FileNotFoundError:
                    break
                n += 1
                chosen = f"{dest_name}.{n}"
            os.rename(name, chosen, src_dir_fd=sfd, dst_dir_fd=dfd)
        finally:
            os.close(dfd)
    return "/".join([*dirs, chosen])


# --- Untrusted JSON state ---


def read_json(root: Path, rel: str) -> Any:
    """Parsed JSON, or None when the file is absent. A symlink, an oversized or non-JSON file is a StateError."""
    raw = read_file(root, rel, MAX_STATE_BYTES)
    if raw is None:
        return None
    where = root / rel
    if raw is LINK:
        raise StateError(f"{where} is a symlink; tinyflash does not follow links in its state", f"delete {where}")
    assert isinstance(raw, bytes)
    if len(raw) > MAX_STATE_BYTES:
        raise StateError(f"{where} is too large to be tinyflash's state", f"delete {where}")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise StateError(f"{where} is not valid JSON", f"delete it and rebuild: {where}") from None


def write_json(root: Path, rel: str, data: Any) -> None:
    write_file(root, rel, json.dumps(data, indent=1, sort_keys=True) + "\n")


def expect(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``data[key]`` if ``data`` is an object holding that key with that type, else a StateError."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise StateError(f"{where} is damaged: '{key}' is missing or not a {name}", f"delete it and rebuild: {where}")
    return value


# --- One command at a time per project ---


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: float

    def describe(self) -> str:
        started = time.strftime("%H:%M:%S", time.localtime(self.since))
        return f"`{self.command}` (pid {self.pid}, since {started})"


_held: dict[str, tuple[int, int]] = {}  # lock key -> (descriptor, depth), for nested use in one process
LOCK = ".tinyflash/lock"


@contextmanager
def project_lock(root: Path, command: str, wait_s: float = 2.0) -> Iterator[None]:
    """Hold the project for one command: the one that builds it or owns its running board.

    An OS file lock (released by the kernel when the process dies, however it dies) with a holder record,
    so a second command waits ``wait_s`` and then fails naming the holder. Re-entrant within a process
    (``run`` builds, flashes and stops under one lock).
    """
    key = f"project:{root.resolve()}"
    if key in _held:
        with _nested(key):
            yield
        return
    with _folder(root, LOCK, create=True) as (dfd, name):
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=dfd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StateError(f"{root / LOCK} is a symlink", f"delete it: {root / LOCK}") from None
            raise
    with hold(fd, key, command, wait_s, str(root)):
        yield


@contextmanager
def hold(fd: int, key: str, command: str, wait_s: float, what: str) -> Iterator[None]:
    """Take the exclusive lock on ``fd`` (waiting up to ``wait_s``) and record the holder in it; closes ``fd``.

    A second holder in the same process is a bug; another process waits, then gets a StateError naming the
    holder's command, pid and start time.
    """
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    who = holder.describe() if holder else "another tinyflash command"
                    raise StateError(
                        f"{what} is in use by {who}",
                        "wait for it to finish, or stop it (Ctrl-C in its terminal, or `kill` that pid)",
                    ) from None
                time.sleep(0.05)
        record = json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        _held[key] = (fd, 1)
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def is_held(key: str) -> bool:
    return key in _held


@contextmanager
def _nested(key: str) -> Iterator[None]:
    fd, depth = _held[key]
    _held[key] = (fd, depth + 1)
    try:
        yield
    finally:
        _held[key] = (fd, _held[key][1] - 1)


def _holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return Holder(int(data["pid"]), str(data["command"])[:200], float(data["since"]))
    except (ValueError, KeyError, TypeError, OSError):
        return None


def check_writable(option: str, path: Path) -> None:
    """Fail before a long run, not after it: a log, plot or report that cannot be written would be lost at the end.

    Tried for real (create, then remove): permission bits say nothing to root, and /proc or a read-only
    mount refuse whatever they say. Folders that do not exist yet are made, as writing would make them.
    """
    if path.is_dir():
        raise StateError(f"{option} {path} is a folder", f"pass a file name for {option}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            path.unlink()
    except OSError as exc:
        raise StateError(f"{option} {path} cannot be written: {exc.strerror}", "choose another path") from None

"""Run PlatformIO: one wrapper for every `pio` call, output parsing, and the offline bootstrap.

tinyflash runs PlatformIO with its own core directory (``~/.tinyflash/platformio``, or
``$TINYFLASH_PIO_CORE_DIR``) so that what it installs for the virtual boards — the ``tool-scons`` core
package built from PyPI's ``scons``, a toolchain package wrapping Debian's ``arm-none-eabi`` tools — never
touches the user's own ``~/.platformio``. Real-board builds use the same core dir; PlatformIO downloads
their platforms into it on first use. Telemetry and update checks are off, so no command waits on DNS.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import procs
from .errors import ToolError
from .resources import data_dir
from .signals import shielded

SCONS_VERSION = "4.41101.0"  # PlatformIO's encoding of SCons 4.11.1, the version its core pins
TOOLCHAIN_PACKAGE = "toolchain-tinyflash-arm"
ARM_TOOLS = ("gcc", "g++", "as", "ar", "ranlib", "ld", "nm", "objcopy", "objdump", "size", "strip", "readelf")
APT_INSTALL = (
    "sudo apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi "
    "libstdc++-arm-none-eabi-newlib qemu-system-arm"
)


@dataclass(frozen=True)
class PioResult:
    returncode: int
    output: str
    log: Path | None
    duration: float


def core_dir() -> Path:
    return Path(os.environ.get("TINYFLASH_PIO_CORE_DIR") or Path.home() / ".tinyflash" / "platformio")


def pio_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PLATFORMIO_CORE_DIR=str(core_dir()),
        PLATFORMIO_SETTING_ENABLE_TELEMETRY="no",
        PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="36500",
        PLATFORMIO_DISABLE_UPGRADE_CHECK="true",
        PLATFORMIO_NO_ANSI="true",
    )
    return env


def pio_command() -> list[str]:
    """`pio` from the same environment as tinyflash, so a venv install needs nothing on PATH."""
    exe = Path(sys.executable).with_name("pio")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pio") or shutil.which("platformio")
    if found:
        return [found]
    raise ToolError("PlatformIO is not installed", "pip install platformio (it is a tinyflash dependency)")


def run_tool(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, timeout: float = 600,
             log_path: Path | None = None) -> PioResult:  # fmt: skip
    """Run an external program, capture its output (and log it), apply a timeout, report failures uniformly.

    The program gets its own process group, and anything that ends the wait early (timeout, Ctrl-C,
    SIGTERM, an error of ours) ends the whole group — `pio run` leaves no `scons` or compiler behind.
    """
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    except FileNotFoundError:
        raise ToolError(f"{cmd[0]} was not found", f"install it ({APT_INSTALL})") from None
    try:
        raw, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with shielded():
            partial = _end_group(proc)
            _write_log(log_path, cmd, partial)
        raise ToolError(f"{Path(cmd[0]).name} did not finish within {timeout:.0f} s",
                        f"see {log_path}" if log_path else "try again, or raise the timeout") from None  # fmt: skip
    except BaseException:
        with shielded():
            _write_log(log_path, cmd, _end_group(proc))
        raise
    output = raw.decode(errors="replace")
    _write_log(log_path, cmd, output)
    return PioResult(proc.returncode, output, log_path, time.monotonic() - start)


def _end_group(proc: subprocess.Popen, grace_s: float = 3.0) -> str:
    """SIGTERM, then SIGKILL, to our child's process group; returns what it had printed.

    The child is not reaped until its whole group is gone, so its pid (the group id) cannot be reused
    by a stranger while we still signal it.
    """
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        deadline = time.monotonic() + grace_s
        while procs.group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not procs.group_alive(proc.pid):
            break
    try:
        raw, _ = proc.communicate(timeout=grace_s)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        raw = b""
    return (raw or b"").decode(errors="replace")


def _write_log(path: Path | None, cmd: list[str], output: str) -> None:
    if path is None:
        return
    # Never through a symlink: as root, a planted link would otherwise overwrite any file on the machine.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    with contextlib.suppress(OSError):  # the output is still in the error we raise
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, flags, 0o666), "w", errors="replace") as f:
            f.write("$ " + " ".join(cmd) + "\n" + output)


def run_pio(args: list[str], *, project_dir: Path, log_path: Path | None = None, timeout: float = 1800) -> PioResult:
    return run_tool([*pio_command(), *args, "-d", str(project_dir)], env=pio_environment(), timeout=timeout,
                    log_path=log_path)  # fmt: skip


_SIZE = re.compile(r"^(RAM|Flash):\s+\[[= ]*\]\s+[\d.]+%\s+\(used (\d+) bytes from (\d+) bytes\)", re.M)


def parse_size(output: str) -> tuple[int, int, int, int] | None:
    """(flash used, flash limit, RAM used, RAM limit) from PlatformIO's size summary, or None."""
    found = {kind: (int(used), int(limit)) for kind, used, limit in _SIZE.findall(output)}
    if "Flash" not in found:
        return None
    ram = found.get("RAM", (0, 0))
    return (*found["Flash"], *ram)


_ERROR = re.compile(r"(error:|Error:|undefined reference|\*\*\* \[|fatal error|cannot find -l|region .* overflowed)")


def first_errors(output: str, n: int = 5) -> list[str]:
    return [ln.strip() for ln in output.splitlines() if _ERROR.search(ln)][:n]


def failure_lines(output: str, n: int = 5) -> list[str]:
    """What to show for a failed run: the first compiler/linker errors or, when there are none, the last line of
    output (PlatformIO's own errors, e.g. ``UnknownPlatform``, match no compiler pattern but must reach the user)."""
    errors = first_errors(output, n)
    if errors:
        return errors
    rest = [ln.strip() for ln in output.splitlines() if ln.strip() and not set(ln.strip()) <= set("=-*")]
    return rest[-1:]


# --- Offline bootstrap for the virtual boards ---


def virtual_platform_dir() -> Path:
    """The platform as shipped in this installation."""
    return data_dir("pio_platform") / "tinyflash-virtual"


def virtual_platform_spec() -> str:
    """``platform =`` for a virtual board: this installation's platform, registered under its own name."""
    return f"symlink://{_keyed_platform()}"


@contextlib.contextmanager
def core_lock() -> Iterator[None]:
    """Serialise changes to the shared core dir between processes (two checkouts, parallel CI jobs)."""
    root = core_dir()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".tinyflash.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _keyed_platform() -> Path:
    """PlatformIO knows a platform by its name, so two installations (checkouts, venvs) sharing one core dir
    would re-register "tinyflash-virtual" on every build, each pointing at itself, and break each other's
    concurrent builds. Each installation gets its own name instead: a folder in the core dir whose
    ``platform.json`` carries it and whose other entries link to the shipped platform (edits stay live).
    """
    source = virtual_platform_dir().resolve()
    key = hashlib.sha256(str(source).encode()).hexdigest()[:12]
    manifest = json.loads((source / "platform.json").read_text())
    manifest["name"] = f"tinyflash-virtual-{key}"
    text = json.dumps(manifest, indent=2) + "\n"
    folder = core_dir() / "tinyflash-platforms" / manifest["name"]
    entries = sorted(p.name for p in source.iterdir() if p.name != "platform.json")
    if _platform_ready(folder, text, source, entries):
        return folder
    with core_lock():
        if not _platform_ready(folder, text, source, entries):
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name in entries:
                (folder / name).symlink_to(source / name)
            (folder / "platform.json").write_text(text)
    return folder


def _platform_ready(folder: Path, text: str, source: Path, entries: list[str]) -> bool:
    try:
        return (folder / "platform.json").read_text() == text and all(
            os.readlink(folder / name) == str(source / name) for name in entries
        )
    except OSError:
        return False


def require_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise ToolError(f"{', '.join(missing)} not found", f"install the virtual boards' tools: {APT_INSTALL}")


def ensure_offline_packages(arm: bool = True) -> Path:
    """Install what PlatformIO needs offline into tinyflash's core dir; fast no-op when already done.

    Each package records what it was made from; one that is current is never touched again, so builds from
    other installations sharing the core dir are never pulled out from under.
    """
    if arm:
        require_tools("arm-none-eabi-gcc", "arm-none-eabi-g++")
    root = core_dir()
    packages = root / "packages"
    wanted = {"tool-scons": f"scons {SCONS_VERSION}"}
    if arm:
        wanted[TOOLCHAIN_PACKAGE] = "arm " + " ".join(str(shutil.which(f"arm-none-eabi-{t}")) for t in ARM_TOOLS)
    if all(_stamp(packages / name) == made for name, made in wanted.items()):
        return root
    with core_lock():
        for name, made in wanted.items():
            folder = packages / name
            if _stamp(folder) == made:
                continue
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            if name == "tool-scons":
                _install_scons(folder)
            else:
                _install_arm_toolchain(folder)
            (folder / _STAMP).write_text(made)
    return root


_STAMP = ".tinyflash-made-from"


def _stamp(folder: Path) -> str | None:
    try:
        return (folder / _STAMP).read_text()
    except OSError:
        return None


def _piopm(folder: Path, kind: str, name: str, version: str, owner: str) -> None:
    meta = {"type": kind, "name": name, "version": version,
            "spec": {"owner": owner, "id": None, "name": name, "requirements": None, "uri": None}}  # fmt: skip
    (folder / ".piopm").write_text(json.dumps(meta))


def _install_scons(folder: Path) -> None:
    """PlatformIO's tool-scons, rebuilt from the PyPI scons package (its registry copy is unreachable offline)."""
    try:
        import SCons
    except ImportError:
        raise ToolError("the scons package is missing", "pip install scons==4.11.1") from None
    source = Path(SCons.__file__).resolve().parent
    shutil.copytree(source, folder / "SCons", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "scons.py").write_text(
        "# Launcher PlatformIO runs as tool-scons/scons.py.\n"
        "import os\nimport sys\n\n"
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
        "import SCons.Script  # noqa: E402\n\n"
        "SCons.Script.main()\n"
    )
    (folder / "package.json").write_text(json.dumps({"name": "tool-scons", "version": SCONS_VERSION, "system": "*"}))
    _piopm(folder, "tool", "tool-scons", SCONS_VERSION, "platformio")


def _install_arm_toolchain(folder: Path) -> None:
    """A toolchain package whose bin/ points at Debian's arm-none-eabi tools."""
    (folder / "bin").mkdir()
    for tool in ARM_TOOLS:
        target = shutil.which(f"arm-none-eabi-{tool}")
        if target:
            (folder / "bin" / f"arm-none-eabi-{tool}").symlink_to(target)
    version = _gcc_version("arm-none-eabi-gcc")
    manifest = {"name": TOOLCHAIN_PACKAGE, "version": version, "system": "*",
                "description": "Debian's arm-none-eabi GCC, exposed to PlatformIO by tinyflash"}  # fmt: skip
    (folder / "package.json").write_text(json.dumps(manifest))
    _piopm(folder, "tool", TOOLCHAIN_PACKAGE, version, "tinyflash")


def _gcc_version(gcc: str) -> str:
    try:
        out = subprocess.run([gcc, "-dumpversion"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    parts = [*out.split("."), "0", "0", "0"][:3]
    return ".".join(p if p.isdigit() else "0" for p in parts)

"""Run PlatformIO: one wrapper for every `pio` call, output parsing, and the offline bootstrap.

tinyflash runs PlatformIO with its own core directory (``~/.tinyflash/platformio``, or
``$TINYFLASH_PIO_CORE_DIR``) so that what it installs for the virtual boards — the ``tool-scons`` core
package built from PyPI's ``scons``, a toolchain package wrapping Debian's ``arm-none-eabi`` tools — never
touches the user's own ``~/.platformio``. Real-board builds use the same core dir; PlatformIO downloads
their platforms into it on first use. Telemetry and update checks are off, so no command waits on DNS.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolError
from .resources import data_dir

SCONS_VERSION = "4.41101.0"  # PlatformIO's encoding of SCons 4.11.1, the version its core pins
TOOLCHAIN_PACKAGE = "toolchain-tinyflash-arm"
ARM_TOOLS = ("gcc", "g++", "as", "ar", "ranlib", "ld", "nm", "objcopy", "objdump", "size", "strip", "readelf")
APT_INSTALL = (
    "sudo apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi "
    "libstdc++-arm-none-eabi-newlib qemu-system-arm"
)
_BOOTSTRAP_STAMP = ".tinyflash-bootstrap"


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
    """Run an external program, capture its output (and log it), apply a timeout, report failures uniformly."""
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace",
                              timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip
    except FileNotFoundError:
        raise ToolError(f"{cmd[0]} was not found", f"install it ({APT_INSTALL})") from None
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        _write_log(log_path, cmd, partial)
        raise ToolError(f"{Path(cmd[0]).name} did not finish within {timeout:.0f} s",
                        f"see {log_path}" if log_path else "try again, or raise the timeout") from None  # fmt: skip
    output = proc.stdout + proc.stderr
    _write_log(log_path, cmd, output)
    return PioResult(proc.returncode, output, log_path, time.monotonic() - start)


def _write_log(path: Path | None, cmd: list[str], output: str) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("$ " + " ".join(cmd) + "\n" + output)


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
    lines = [ln.strip() for ln in output.splitlines() if _ERROR.search(ln)]
    return lines[:n]


# --- Offline bootstrap for the virtual boards ---


def virtual_platform_dir() -> Path:
    return data_dir("pio_platform") / "tinyflash-virtual"


def virtual_platform_spec() -> str:
    return f"symlink://{virtual_platform_dir()}"


def require_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise ToolError(f"{', '.join(missing)} not found", f"install the virtual boards' tools: {APT_INSTALL}")


def ensure_offline_packages(arm: bool = True) -> Path:
    """Install what PlatformIO needs offline into tinyflash's core dir; fast no-op when already done."""
    if arm:
        require_tools("arm-none-eabi-gcc", "arm-none-eabi-g++")
    root = core_dir()
    packages = root / "packages"
    stamp = packages / _BOOTSTRAP_STAMP
    wanted = f"scons {SCONS_VERSION}; arm {arm}; python {sys.executable}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return root
    packages.mkdir(parents=True, exist_ok=True)
    _install_scons(packages / "tool-scons")
    if arm:
        _install_arm_toolchain(packages / TOOLCHAIN_PACKAGE)
    stamp.write_text(wanted)
    return root


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
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
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
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "bin").mkdir(parents=True)
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

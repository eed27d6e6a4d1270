"""PlatformIO offline: the wrapper's parsing and environment, the bootstrap of tinyflash's own core dir, and real
`pio run` builds of a tiny app on the tinyflash-virtual platform for every virtual board."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import IN_CI, REPO, require_tool
from tinyflash import platformio
from tinyflash.boards import get_board
from tinyflash.errors import ToolError
from tinyflash.platformio import PioResult, failure_lines, first_errors, parse_size, run_pio

PLATFORM = REPO / "pio_platform" / "tinyflash-virtual"
ENVS = {"virtual_m4": "virtual-m4", "virtual_m7": "virtual-m7", "native": "native"}  # pio board -> profile
LINES = 5
EXIT_CODE = 7

# Exercises what the startup code promises before setup(): .data copied, .bss zeroed, constructors run, FPU on.
TINY_APP = r"""
#include <stdio.h>
#include <string.h>

#include "tinyflash_board.h"

extern "C" void setup(void);
extern "C" void loop(void);

namespace {
struct Constructed {
  Constructed() : value(1) {}
  int value;
};
Constructed constructed;
int initialised = 123;
int zeroed[64];
volatile float fpu_in = 2.5f;
int count = 0;

void print(const char* text) { board_write(text, strlen(text)); }
}  // namespace

void setup(void) {
  board_init();
  print("boot\n");
  int bss = 0;
  for (int z : zeroed) bss |= z;
  char line[96];
  int n = snprintf(line, sizeof line, "ctor=%d data=%d bss=%d fpu=%d\n", constructed.value, initialised, bss,
                   static_cast<int>(fpu_in * fpu_in * 100.0f));
  board_write(line, static_cast<size_t>(n));
  printf("printf %d\n", 42);
}

void loop(void) {
  char line[48];
  int n = snprintf(line, sizeof line, "line %d us=%lu\n", count, static_cast<unsigned long>(board_micros()));
  board_write(line, static_cast<size_t>(n));
  if (++count == APP_LINES) board_exit(APP_EXIT);
}
"""

BROKEN_APP = r"""
#include "tinyflash_board.h"
extern "C" void setup(void) {}
#ifdef SYNTAX_ERROR
extern "C" void loop(void) { this is not C++ }
#else
static char big[300 * 1024];
extern "C" void loop(void) { board_write(big, sizeof big); }
#endif
"""


def expected_lines() -> list[str]:
    """What TINY_APP prints before its per-line micros (checked separately)."""
    return ["boot", "ctor=1 data=123 bss=0 fpu=625", "printf 42"]


def write_project(root: Path, source: str, envs: dict[str, list[str]]) -> Path:
    """A PlatformIO project on the local platform: one [env:NAME] per entry, given as [board, *build_flags]."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "main.cc").write_text(source)
    sections = []
    for name, (board, *build_flags) in envs.items():
        lines = [f"[env:{name}]", f"platform = {platformio.virtual_platform_spec()}", f"board = {board}"]
        if build_flags:
            lines.append(f"build_flags = {' '.join(build_flags)}")
        sections.append("\n".join(lines) + "\n")
    (root / "platformio.ini").write_text("\n".join(sections))
    return root


def require_virtual_tools() -> None:
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-g++", "qemu-system-arm", "g++"):
        require_tool(tool)


@pytest.fixture(scope="module")
def pio_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh tinyflash core dir for this module, so the offline bootstrap runs for real."""
    require_virtual_tools()
    core = tmp_path_factory.mktemp("pio-core")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYFLASH_PIO_CORE_DIR", str(core))
        yield core


class TinyBuilds:
    """TINY_APP in one project with an env per board; each board is built once, on first use."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self._done: dict[str, PioResult] = {}

    def __call__(self, board: str) -> PioResult:
        if board not in self._done:
            result = run_pio(["run", "-e", board], project_dir=self.project,
                             log_path=self.project / f"{board}.log", timeout=300)  # fmt: skip
            assert result.returncode == 0, result.output[-3000:]
            self._done[board] = result
        return self._done[board]

    def firmware(self, board: str) -> Path:
        return self.project / ".pio" / "build" / board / ("firmware" if board == "native" else "firmware.elf")


@pytest.fixture(scope="module")
def build_tiny(pio_core: Path, tmp_path_factory: pytest.TempPathFactory) -> TinyBuilds:
    platformio.ensure_offline_packages()
    flags = {b: [b, f"-DAPP_LINES={LINES}", f"-DAPP_EXIT={EXIT_CODE}"] for b in ENVS}
    return TinyBuilds(write_project(tmp_path_factory.mktemp("tiny"), TINY_APP, flags))


# --- Parsing and environment (no tools) ---

SIZE_OUTPUT = """\
Linking .pio/build/virtual_m4/firmware.elf
Checking size .pio/build/virtual_m4/firmware.elf
Advanced Memory Usage is available via "PlatformIO Home > Project Inspect"
RAM:   [=         ]   6.5% (used 17136 bytes from 262144 bytes)
Flash: [          ]   0.4% (used 4444 bytes from 1048576 bytes)
========================= [SUCCESS] Took 0.79 seconds =========================
"""


def test_parse_size_reads_platformio_summary() -> None:
    assert parse_size(SIZE_OUTPUT) == (4444, 1048576, 17136, 262144)
    assert parse_size(SIZE_OUTPUT.replace("RAM:", "Ram?")) == (4444, 1048576, 0, 0)
    assert parse_size("Compiling src/main.o\n[SUCCESS]\n") is None
    full = SIZE_OUTPUT.replace("[=         ]   6.5%", "[==========] 100.0%")
    assert parse_size(full) == (4444, 1048576, 17136, 262144)


def test_first_errors_picks_compiler_and_linker_lines() -> None:
    output = """\
Compiling .pio/build/x/src/main.o
src/main.cc:3:40: error: 'is' was not declared in this scope
src/main.cc:3:30: warning: unused variable 'y'
ld: firmware.elf section `.bss' will not fit in region `RAM'
ld: region `RAM' overflowed by 4096 bytes
src/a.cc:(.text+0x8): undefined reference to `foo'
*** [.pio/build/x/firmware.elf] Error 1
src/b.cc:1:10: fatal error: missing.h: No such file or directory
"""
    errors = first_errors(output)
    assert errors[0].startswith("src/main.cc:3:40: error:")
    assert not any("warning" in e for e in errors)
    assert "ld: region `RAM' overflowed by 4096 bytes" in errors
    assert len(errors) == 5 and len(first_errors(output, n=2)) == 2
    assert first_errors("all good\n") == []


def test_a_failure_without_compiler_errors_still_shows_its_cause() -> None:
    """PlatformIO's own errors match no compiler pattern; the user must still see them, not "see the log"."""
    output = (
        "Processing virtual-m4 (platform: symlink:///x)\n"
        + "-" * 40
        + "\nUnknownPlatform: Unknown development platform 'x'\n========\n"
    )
    assert failure_lines(output) == ["UnknownPlatform: Unknown development platform 'x'"]
    assert failure_lines("a.cc:1:1: error: boom\nlast line\n") == ["a.cc:1:1: error: boom"]


def test_environment_is_offline_and_uses_our_own_core_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TINYFLASH_PIO_CORE_DIR", raising=False)
    env = platformio.pio_environment()
    assert env["PLATFORMIO_CORE_DIR"] == str(Path.home() / ".tinyflash" / "platformio")
    assert env["PLATFORMIO_SETTING_ENABLE_TELEMETRY"] == "no"
    assert env["PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL"] == "36500"
    assert env["PLATFORMIO_DISABLE_UPGRADE_CHECK"] == "true"
    monkeypatch.setenv("TINYFLASH_PIO_CORE_DIR", str(tmp_path))
    assert platformio.pio_environment()["PLATFORMIO_CORE_DIR"] == str(tmp_path)


def test_platform_spec_points_at_the_shipped_platform(pio_core: Path) -> None:
    spec = platformio.virtual_platform_spec()
    assert spec.startswith("symlink:///")
    folder = Path(spec.removeprefix("symlink://"))
    assert folder.is_relative_to(pio_core)
    manifest = json.loads((folder / "platform.json").read_text())
    assert manifest["name"] == folder.name and folder.name.startswith("tinyflash-virtual-")
    assert manifest["packages"][platformio.TOOLCHAIN_PACKAGE]["type"] == "toolchain"
    assert (folder / "builder").resolve() == (PLATFORM / "builder").resolve()
    assert {p.stem for p in (folder / "boards").glob("*.json")} == set(ENVS)


def test_each_installation_registers_its_own_platform(pio_core: Path, tmp_path: Path, monkeypatch) -> None:
    """Two checkouts sharing one core dir must not re-register one platform name back and forth (their
    concurrent builds failed with UnknownPlatform): each installation's platform has its own name."""
    other = tmp_path / "other-checkout" / "tinyflash-virtual"
    shutil.copytree(PLATFORM, other)
    mine = platformio.virtual_platform_spec()
    monkeypatch.setattr(platformio, "virtual_platform_dir", lambda: other)
    theirs = platformio.virtual_platform_spec()
    assert mine != theirs
    assert (Path(theirs.removeprefix("symlink://")) / "builder").resolve() == (other / "builder").resolve()
    monkeypatch.undo()
    assert platformio.virtual_platform_spec() == mine  # registering the other left this one alone


def test_platform_header_is_the_apps_header() -> None:
    """The platform ships tinyflash_board.h so a plain project builds; it must say what the templates say."""
    shipped = (PLATFORM / "include" / "tinyflash_board.h").read_text()
    assert shipped == (REPO / "firmware_templates" / "common" / "tinyflash_board.h").read_text()


@pytest.mark.parametrize("pio_board", ["virtual_m4", "virtual_m7", "native"])
def test_board_limits_match_profiles_and_linker_scripts(pio_board: str) -> None:
    profile = get_board(ENVS[pio_board])
    data = json.loads((PLATFORM / "boards" / f"{pio_board}.json").read_text())
    assert profile.platformio.platform == "tinyflash-virtual" and profile.platformio.board == pio_board
    assert data["upload"]["maximum_size"] == profile.flash_bytes
    assert data["upload"]["maximum_ram_size"] == profile.ram_bytes
    if pio_board != "native":
        assert data["build"]["qemu_machine"] == profile.qemu_machine
        script = (PLATFORM / "ldscripts" / data["build"]["ldscript"]).read_text()
        lengths = {m[0]: int(m[1]) * 1024 for m in re.findall(r"(FLASH|RAM) \(\w+\)\s*:.*LENGTH = (\d+)K", script)}
        assert lengths == {"FLASH": profile.flash_bytes, "RAM": profile.ram_bytes}


def test_missing_toolchain_names_the_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("TINYFLASH_PIO_CORE_DIR", str(tmp_path / "core"))
    with pytest.raises(ToolError) as info:
        platformio.ensure_offline_packages()
    assert "arm-none-eabi-gcc" in info.value.message
    assert platformio.APT_INSTALL in info.value.hint
    # The hint installs real Debian packages, the ones setup.sh installs for the virtual boards (so it is right).
    hinted = set(platformio.APT_INSTALL.split()) - {"sudo", "apt-get", "install", "-y", "--no-install-recommends"}
    setup = (REPO / "scripts" / "setup.sh").read_text()
    listed = set(re.search(r"APT_PACKAGES=\(([^)]*)\)", setup).group(1).split())
    assert hinted and hinted <= listed, hinted - listed
    if IN_CI:  # CI ran setup.sh: each hinted package must exist and be installed
        for package in hinted:
            status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True,
                                    env={"PATH": "/usr/bin:/bin"})  # fmt: skip
            assert "install ok installed" in status.stdout, package


def test_missing_pio_says_pip_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(platformio.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(ToolError) as info:
        run_pio(["run"], project_dir=tmp_path)
    assert "pip install platformio" in info.value.hint


def test_run_tool_timeout_is_a_tool_error(tmp_path: Path) -> None:
    log = tmp_path / "sleep.log"
    with pytest.raises(ToolError) as info:
        platformio.run_tool(["sleep", "5"], timeout=0.2, log_path=log)
    assert "did not finish" in info.value.message and log.is_file()


# --- Real PlatformIO ---


@pytest.mark.integration
def test_bootstrap_installs_scons_and_toolchain_then_is_a_no_op(pio_core: Path) -> None:
    start = time.monotonic()
    platformio.ensure_offline_packages()
    cold = time.monotonic() - start
    packages = pio_core / "packages"
    scons = packages / "tool-scons"
    assert json.loads((scons / "package.json").read_text()) == {
        "name": "tool-scons", "version": "4.41101.0", "system": "*"}  # fmt: skip
    assert json.loads((scons / ".piopm").read_text())["spec"]["owner"] == "platformio"
    assert (scons / "SCons" / "Script" / "Main.py").is_file() and (scons / "scons.py").is_file()
    gcc = packages / platformio.TOOLCHAIN_PACKAGE / "bin" / "arm-none-eabi-gcc"
    assert gcc.is_symlink() and os.access(gcc, os.X_OK)
    stamps = {p: p.stat().st_mtime_ns for p in packages.glob("*/.tinyflash-made-from")}
    assert len(stamps) == 2
    start = time.monotonic()
    platformio.ensure_offline_packages()
    platformio.ensure_offline_packages(arm=False)  # the native board's needs: a subset, nothing reinstalled
    warm = time.monotonic() - start
    assert {p: p.stat().st_mtime_ns for p in packages.glob("*/.tinyflash-made-from")} == stamps
    assert warm < 0.5, f"bootstrap no-op took {warm:.2f} s (cold {cold:.2f} s)"


@pytest.mark.integration
@pytest.mark.parametrize("board", list(ENVS))
def test_pio_run_builds_and_reports_size(build_tiny: TinyBuilds, board: str) -> None:
    result = build_tiny(board)
    profile = get_board(ENVS[board])
    size = parse_size(result.output)
    assert size is not None, result.output[-2000:]
    flash_used, flash_limit, ram_used, ram_limit = size
    assert (flash_limit, ram_limit) == (profile.flash_bytes, profile.ram_bytes)
    assert 0 < flash_used < 64 * 1024 and 0 < ram_used < 16 * 1024
    assert build_tiny.firmware(board).is_file()
    assert result.duration < 120
    if board != "native":
        build_dir = build_tiny.firmware(board).parent
        assert "Reset_Handler" in (build_dir / "firmware.map").read_text()
        header = subprocess.run(["arm-none-eabi-readelf", "-h", "-A", str(build_dir / "firmware.elf")],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert "ARM" in header and "Tag_ABI_VFP_args: VFP registers" in header  # hard-float ABI


@pytest.mark.integration
def test_rebuild_without_changes_compiles_nothing(build_tiny: TinyBuilds) -> None:
    build_tiny("virtual_m4")
    again = run_pio(["run", "-e", "virtual_m4"], project_dir=build_tiny.project, timeout=120)
    assert again.returncode == 0
    assert "Compiling" not in again.output and "Linking" not in again.output
    assert parse_size(again.output) == parse_size(build_tiny("virtual_m4").output)


@pytest.mark.integration
def test_build_failures_surface_first_errors(pio_core: Path, tmp_path: Path) -> None:
    platformio.ensure_offline_packages()
    project = write_project(tmp_path, BROKEN_APP,
                            {"syntax": ["virtual_m4", "-DSYNTAX_ERROR"], "toobig": ["virtual_m4"]})  # fmt: skip
    syntax = run_pio(["run", "-e", "syntax"], project_dir=project, timeout=120)
    assert syntax.returncode != 0
    assert any("main.cc" in e and "error:" in e for e in first_errors(syntax.output)), syntax.output[-2000:]
    toobig = run_pio(["run", "-e", "toobig"], project_dir=project, timeout=120)
    assert toobig.returncode != 0
    assert any("RAM" in e for e in first_errors(toobig.output)), toobig.output[-2000:]

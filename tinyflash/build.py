"""`tinyflash build`: model + board → rendered project → `pio run` → firmware and its size.

Also remembers the most recent build of the current directory, so `flash` and `monitor` with no
arguments know what to use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .arena import estimate_arena
from .boards import Board, get_board
from .errors import TinyflashError, ToolError
from .model import load_model
from .project import BuildOptions, ProjectPlan, WriteResult, read_project_info, render_project, write_project

BUILD_ROOT = Path("tinyflash-build")
LATEST = BUILD_ROOT / "latest.json"
PIO_TIMEOUT_S = 1800


@dataclass(frozen=True)
class Size:
    flash_used: int
    flash_limit: int
    ram_used: int
    ram_limit: int


@dataclass(frozen=True)
class BuildResult:
    project: Path
    board: Board
    plan: ProjectPlan
    written: WriteResult
    compiled: bool
    firmware: Path | None = None
    size: Size | None = None
    log: Path | None = None
    seconds: float = 0.0


def default_project_dir(board: Board) -> Path:
    return BUILD_ROOT / board.id


def build(
    model_path: Path,
    board_name: str,
    options: BuildOptions,
    *,
    out: Path | None = None,
    compile: bool = True,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    board = get_board(board_name)
    model = load_model(model_path)
    arena = estimate_arena(model)
    plan = render_project(model, board, options, arena)
    project = (out or default_project_dir(board)).resolve()
    info = {
        "tinyflash": __version__,
        "board": board.id,
        "model": str(Path(model_path).resolve()),
        "model_sha256": model.sha256,
        "app": plan.app,
        "runtime": plan.runtime,
        "arena_bytes": plan.arena_bytes,
    }
    written = write_project(project, plan.files, force=force, info=info)
    remember_latest(project)
    if not compile:
        return BuildResult(project, board, plan, written, compiled=False)
    if progress:
        progress(f"compiling for {board.name} with PlatformIO")
    firmware, size, log, seconds = compile_project(project, board)
    return BuildResult(project, board, plan, written, True, firmware, size, log, seconds)


def compile_project(project: Path, board: Board) -> tuple[Path | None, Size | None, Path, float]:
    """Run `pio run` on a rendered project; raise with the first compiler errors when it fails."""
    from . import platformio

    if board.is_virtual:
        platformio.ensure_offline_packages()
    log = project / ".tinyflash" / "build.log"
    result = platformio.run_pio(["run"], project_dir=project, log_path=log, timeout=PIO_TIMEOUT_S)
    if result.returncode != 0:
        raise _build_failure(board, result.output, log)
    parsed = platformio.parse_size(result.output)
    size = Size(*parsed) if parsed else None
    return find_firmware(project, board), size, log, result.duration


def _build_failure(board: Board, output: str, log: Path) -> TinyflashError:
    from . import platformio

    unreachable = (
        "HTTPClientError",
        "Could not resolve host",
        "Max retries exceeded",
        "NameResolutionError",
        "Temporary failure in name resolution",
        "InternetIsOffline",
    )
    if not board.is_virtual and any(s in output for s in unreachable):
        return ToolError(
            f"PlatformIO could not download the {board.platformio.platform} platform or its libraries for {board.id}",
            "the first real-board build needs the network once (PlatformIO caches it); offline, pass "
            f"--tflm-dir with a TFLM source tree (full log: {log})",
        )
    errors = platformio.first_errors(output, 5)
    detail = "; ".join(errors) if errors else "see the log"
    return TinyflashError(f"the build for {board.id} failed: {detail}", f"full log: {log}")


def find_firmware(project: Path, board: Board) -> Path | None:
    build_dir = project / ".pio" / "build" / board.id
    for name in ("firmware.elf", "firmware", "firmware.bin", "firmware.hex"):
        if (build_dir / name).is_file():
            return build_dir / name
    return None


def remember_latest(project: Path) -> None:
    """Best effort: a read-only working directory only costs the user an explicit --project later."""
    try:
        LATEST.parent.mkdir(parents=True, exist_ok=True)
        tmp = LATEST.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"project": str(project)}) + "\n")
        tmp.replace(LATEST)
    except OSError:
        pass


def resolve_project(project: Path | None) -> tuple[Path, dict]:
    """The project to act on: the one given, or the most recent build from this directory."""
    if project is None:
        try:
            project = Path(json.loads(LATEST.read_text())["project"])
        except (OSError, ValueError, KeyError):
            raise TinyflashError(
                "no tinyflash build in this directory", "run `tinyflash build MODEL --board ID` or pass --project DIR"
            ) from None
    return project, read_project_info(project)

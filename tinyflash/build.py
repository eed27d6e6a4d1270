"""`tinyflash build`: model + board → rendered project → `pio run` → firmware and its size.

Also remembers the most recent build of the current directory, so `flash` and `monitor` with no
arguments know what to use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__, files
from .arena import estimate_arena
from .boards import Board, get_board
from .errors import BuildFailed, StateError, TinyflashError, ToolError
from .model import load_model
from .project import (
    BuildOptions,
    ProjectPlan,
    WriteResult,
    make_project_dir,
    read_project_info,
    render_project,
    write_project,
)

BUILD_ROOT = Path("tinyflash-build")
LATEST = BUILD_ROOT / "latest.json"
#: A guard against a hung `pio run`, not a performance limit: a first compile of a whole TFLM tree on a busy
#: 2-core machine was measured at over 30 minutes, and a rerun after a timeout continues from the objects kept.
PIO_TIMEOUT_S = 3 * 3600


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
    remember: bool = True,
    timeout: float = PIO_TIMEOUT_S,
    lock_wait: float = 2.0,
) -> BuildResult:
    """Render the project for ``model_path`` on ``board_name`` and compile it (unless ``compile`` is false).

    ``remember`` records it as this directory's latest build (what `flash` and `monitor` use by default);
    `tinyflash test` builds its own project and leaves that alone. ``lock_wait`` is how long to wait for another
    process building the same project (the pytest plugin's workers share builds).
    """
    board = get_board(board_name)
    model = load_model(model_path)
    arena = estimate_arena(model, progress=progress)
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
    make_project_dir(project)
    with files.project_lock(project, "tinyflash build", wait_s=lock_wait):
        written = write_project(project, plan.files, force=force, info=info)
        if remember:
            remember_latest(project)
        if not compile:
            return BuildResult(project, board, plan, written, compiled=False)
        if progress:
            progress(f"compiling for {board.name} with PlatformIO")
        firmware, size, log, seconds = compile_project(project, board, timeout)
    return BuildResult(project, board, plan, written, True, firmware, size, log, seconds)


def compile_project(
    project: Path, board: Board, timeout: float = PIO_TIMEOUT_S
) -> tuple[Path | None, Size | None, Path, float]:
    """Run `pio run` on a rendered project; raise with the first compiler errors when it fails.

    Like make, skip the run when nothing PlatformIO reads has changed since the last successful build
    (same inputs fingerprint, firmware untouched): a no-op `pio run` still costs about half a second.
    """
    from . import platformio

    log = project / ".tinyflash" / "build.log"
    fingerprint = _inputs_fingerprint(project)
    cached = _load_stamp(project, board, fingerprint)
    if cached is not None:
        return cached[0], cached[1], log, 0.0
    if board.is_virtual:
        platformio.ensure_offline_packages(arm=board.runner == "qemu")
    result = platformio.run_pio(["run"], project_dir=project, log_path=log, timeout=timeout)
    if result.returncode != 0:
        if files.read_file(project, BUILD_STAMP) is not None:
            files.remove_file(project, BUILD_STAMP)
        raise _build_failure(board, result.output, log)
    parsed = platformio.parse_size(result.output)
    size = Size(*parsed) if parsed else None
    firmware = find_firmware(project, board)
    _save_stamp(project, fingerprint, firmware, size)
    return firmware, size, log, result.duration


BUILD_STAMP = ".tinyflash/build.json"
ENV_BUILD_FLAGS = ("PLATFORMIO_BUILD_FLAGS", "PLATFORMIO_BUILD_SRC_FLAGS", "PLATFORMIO_SRC_BUILD_FLAGS")


def _inputs_fingerprint(project: Path) -> str:
    """Paths, sizes and mtimes of everything `pio run` compiles, plus the tools' identity and the build flags
    PlatformIO takes from the environment (they change the firmware as much as a source file does)."""
    from . import platformio

    flags = "|".join(os.environ.get(name, "") for name in ENV_BUILD_FLAGS)
    h = hashlib.sha256(f"{__version__}|{platformio.core_dir()}|{flags}".encode())
    files = [project / "platformio.ini"]
    for folder in ("src", "include", "lib"):
        if (project / folder).is_dir():
            files += sorted(p for p in (project / folder).rglob("*") if p.is_file())
    for p in files:
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(project)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _load_stamp(project: Path, board: Board, fingerprint: str) -> tuple[Path, Size | None] | None:
    """The last successful build's result if its inputs are unchanged; anything odd in the stamp means "rebuild"."""
    firmware = find_firmware(project, board)  # never a path taken from the stamp
    try:
        data = files.read_json(project, BUILD_STAMP)
        if not isinstance(data, dict) or data.get("inputs") != fingerprint or firmware is None:
            return None
        if firmware.stat().st_mtime_ns != data.get("firmware_mtime_ns"):
            return None
        size = data.get("size")
        return firmware, Size(**size) if size else None
    except (OSError, StateError, TypeError):
        return None


def _save_stamp(project: Path, fingerprint: str, firmware: Path | None, size: Size | None) -> None:
    if firmware is None:
        return
    data = {"inputs": fingerprint, "firmware_mtime_ns": firmware.stat().st_mtime_ns,
            "size": asdict(size) if size else None}  # fmt: skip
    files.write_json(project, BUILD_STAMP, data)


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
            f"PlatformIO could not download the {board.platformio.platform} platform, toolchain or libraries "
            f"for {board.id}",
            "the first build for a real board needs PlatformIO's registry once (it then caches everything): "
            f"connect and retry, or build for a virtual board here (full log: {log})",
        )
    errors = platformio.failure_lines(output, 5)
    detail = "; ".join(errors) if errors else "see the log"
    return BuildFailed(f"the build for {board.id} failed: {detail}", f"full log: {log}")


def find_firmware(project: Path, board: Board) -> Path | None:
    build_dir = project / ".pio" / "build" / board.id
    for name in ("firmware.elf", "firmware", "firmware.bin", "firmware.hex"):
        if (build_dir / name).is_file():
            return build_dir / name
    return None


def remember_latest(project: Path) -> None:
    """Best effort: a read-only working directory only costs the user an explicit --project later."""
    with contextlib.suppress(OSError, StateError):
        files.write_json(Path.cwd(), str(LATEST), {"project": str(project)})


def resolve_project(project: Path | None) -> tuple[Path, dict]:
    """The project to act on: the one given, or the most recent build from this directory (checked: it must
    be an absolute path to a folder holding a tinyflash project)."""
    if project is None:
        data = files.read_json(Path.cwd(), str(LATEST))
        if data is None:
            raise StateError(
                "no tinyflash build in this directory", "run `tinyflash build MODEL --board ID` or pass --project DIR"
            )
        recorded = files.expect(data, "project", str, str(LATEST))
        project = Path(recorded)
        if not project.is_absolute():
            raise StateError(f"{LATEST} is damaged: {recorded!r} is not an absolute path", f"delete {LATEST}")
    if not project.is_dir():
        raise StateError(f"the project folder {project} does not exist", "build again, or pass --project DIR")
    return project, read_project_info(project)

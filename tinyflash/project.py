"""ModelInfo + Board + options → a PlatformIO project on disk, rendered from ``firmware_templates/``.

Python decides (which files, which runtime, which ops, how big an arena); the templates hold the C++.
Rendering is pure (:func:`render_project` returns file contents); :func:`write_project` puts them on
disk touching only files whose content changed, so PlatformIO's incremental build keeps working, and
never overwrites a generated file the user has edited (a manifest of hashes records what we wrote).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from . import __version__
from .arena import ArenaEstimate
from .boards import Board
from .errors import ModelError, TinyflashError
from .model import ModelInfo, Tensor
from .resources import data_dir
from .tflm_ops import resolver_method, unsupported_ops

APPS = ("sine", "inference", "validate")
RUNTIMES = ("tflm", "aot")
STATE_DIR = ".tinyflash"
MANIFEST = f"{STATE_DIR}/manifest.json"
KEPT_DIR = f"{STATE_DIR}/kept"
PROJECT_INFO = f"{STATE_DIR}/project.json"
SAMPLE_SEED = 20231
#: Build flags every TFLM build gets: without NDEBUG the debug checks in TFLM's shape helpers run in the
#: innermost convolution loops (person_detect: 556 M vs 96 M instructions per inference on a Cortex-M4);
#: stripped error strings save 10–14 KB of flash.
TFLM_FLAGS = ("-DNDEBUG", "-DTF_LITE_STRIP_ERROR_STRINGS")
_C_TYPES = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t"}
_APP_DTYPES = set(_C_TYPES)


@dataclass(frozen=True)
class BuildOptions:
    app: str = "auto"
    runtime: str = "auto"
    arena_bytes: int | None = None
    tflm_dir: Path | None = None


@dataclass(frozen=True)
class ProjectPlan:
    """What will be rendered, decided before any file is written."""

    app: str
    runtime: str
    arena: ArenaEstimate
    arena_bytes: int
    files: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept_edits: tuple[str, ...]
    removed: tuple[str, ...]
    #: Files we generated before, no longer generate, and the user had edited: moved under KEPT_DIR.
    moved: tuple[str, ...] = ()


def choose_app(model: ModelInfo, app: str) -> str:
    if app == "auto":
        return "sine" if model.is_scalar_regressor else "inference"
    if app not in APPS:
        raise TinyflashError(f"unknown app '{app}'", f"choose one of {', '.join(APPS)}")
    if app == "sine" and not model.is_scalar_regressor:
        raise ModelError(
            f"the sine app needs a model with one scalar input and one scalar output; {model.name} has "
            f"{len(model.inputs)} input(s) of shape {[list(t.shape) for t in model.inputs]}",
            "use --app inference",
        )
    if app == "validate":
        raise TinyflashError("the validate app is not available yet", "use --app inference")
    return app


def choose_runtime(model: ModelInfo, board: Board, runtime: str, tflm_dir: Path | None) -> str:
    """``auto`` prefers the AOT runtime (smaller, offline) when it supports every op, else TFLM."""
    if runtime not in (*RUNTIMES, "auto"):
        raise TinyflashError(f"unknown runtime '{runtime}'", "choose tflm, aot or auto")
    aot_gaps = _aot_unsupported(model)
    if runtime == "auto":
        runtime = "aot" if aot_gaps == [] else "tflm"
    if runtime == "aot" and aot_gaps:
        raise ModelError(
            f"the AOT runtime does not support {', '.join(aot_gaps)}",
            "use --runtime tflm (or --runtime auto)",
        )
    if runtime == "tflm":
        missing = unsupported_ops(model)
        if missing:
            raise ModelError(f"TFLM has no kernel for {', '.join(missing)}", "re-convert the model without these ops")
        if board.is_virtual and tflm_dir is None:
            raise TinyflashError(
                f"{board.id} builds offline, and TFLM's C++ sources are not available offline",
                "use --runtime aot, or pass --tflm-dir with a TFLM source tree",
            )
    return runtime


def _aot_unsupported(model: ModelInfo) -> list[str] | None:
    """Ops the AOT generator cannot handle, or None when the generator is not installed."""
    try:
        from .aot import unsupported_ops as aot_unsupported
    except ImportError:
        return None
    return list(aot_unsupported(model))


def render_project(model: ModelInfo, board: Board, options: BuildOptions, arena: ArenaEstimate) -> ProjectPlan:
    """Decide everything and render every file's content; nothing touches the disk."""
    app = choose_app(model, options.app)
    runtime = choose_runtime(model, board, options.runtime, options.tflm_dir)
    for t in (*model.inputs, *model.outputs):
        if t.dtype not in _APP_DTYPES:
            raise ModelError(
                f"tensor '{t.name}' is {t.dtype}; the apps handle {', '.join(sorted(_APP_DTYPES))}",
                "convert the model with float32 or int8 inputs and outputs",
            )
    arena_bytes = options.arena_bytes or arena.bytes
    if arena_bytes % 16:
        arena_bytes += 16 - arena_bytes % 16
    ctx = _context(model, board, app, runtime, arena, arena_bytes, options)
    env = _environment()
    files: dict[str, str] = {}

    def add(dest: str, template: str) -> None:
        files[dest] = env.get_template(template).render(ctx)

    add("platformio.ini", "platformio.ini.j2")
    for name in ("model_runtime.h", "tensor_io.h", "serial_line.h", "serial_line.cc", "main_functions.h"):
        add(f"src/{name}", f"common/{name}")
    add("src/main_functions.cc", f"apps/{app}.cc.j2")
    if app == "inference":
        add("src/sample_inputs.h", "apps/sample_inputs.h.j2")
        add("src/sample_inputs.cc", "apps/sample_inputs.cc.j2")
    if app == "sine":
        add("src/output_handler.h", "output_handlers/output_handler.h")
        add("src/output_handler.cc", f"output_handlers/{board.output_handler}.cc.j2")
    if runtime == "tflm":
        add("src/model_data.h", "runtime/model_data.h.j2")
        add("src/model_data.cc", "runtime/model_data.cc.j2")
        add("src/model_runtime_tflm.cc", "runtime/model_runtime_tflm.cc.j2")
    else:
        from .aot import generate

        generated = generate(model)
        arena_bytes = generated.arena_bytes
        for name, text in generated.files.items():
            files[f"src/{name}"] = text
    # The board glue: the tinyflash-virtual platform ships it (and the entry point) for the virtual boards.
    add("src/tinyflash_board.h", "common/tinyflash_board.h")
    framework = board.platformio.framework
    if framework == "arduino":
        add("src/board_arduino.cc", "platforms/arduino/board_arduino.cc.j2")
    elif framework == "espidf":
        add("src/main.cc", "platforms/espidf/main.cc.j2")
        add("CMakeLists.txt", "platforms/espidf/CMakeLists.txt.j2")
        add("src/CMakeLists.txt", "platforms/espidf/src_CMakeLists.txt.j2")
        add("sdkconfig.defaults", "platforms/espidf/sdkconfig.defaults.j2")
        if options.tflm_dir is None and runtime == "tflm":
            add("src/idf_component.yml", "platforms/espidf/idf_component.yml.j2")
    return ProjectPlan(app=app, runtime=runtime, arena=arena, arena_bytes=arena_bytes, files=files)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("firmware_templates"))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # C++, not HTML
    )


def _context(
    model: ModelInfo,
    board: Board,
    app: str,
    runtime: str,
    arena: ArenaEstimate,
    arena_bytes: int,
    options: BuildOptions,
) -> dict:
    methods = sorted({m for o in model.ops if (m := resolver_method(o.name, o.custom))})
    origin = "set with --arena" if options.arena_bytes else f"{arena.method} minimum + {arena.margin_bytes} B margin"
    return {
        "version": __version__,
        "board": board,
        "app": app,
        "runtime": runtime,
        "project_name": c_identifier(f"{model.name}_{board.id}"),
        "model_comment": comment_text(model.path.name),
        "model_size": model.size_bytes,
        "model_sha256": model.sha256,
        "model_bytes": c_byte_rows(model.data) if runtime == "tflm" else "",
        "banner": c_string_body(f"{model.path.name} on {board.id} ({runtime})"),
        "arena_bytes": arena_bytes,
        "arena_minimum": arena.minimum_bytes,
        "arena_comment": f"{arena_bytes:,} bytes: {origin} (`tinyflash inspect`).",
        "resolver_methods": methods,
        "tflm_umbrella": _tflm_umbrella(board, options),
        "tflm_undef": board.tflm.undef_macros if _tflm_umbrella(board, options) else (),
        "tflm_flags": TFLM_FLAGS if runtime == "tflm" else (),
        "lib_deps": _lib_deps(board, runtime, options),
        "samples": sample_inputs(model) if app == "inference" else [],
        "seed": SAMPLE_SEED,
        "esp_task_stack": 8 * 1024,
        "virtual_platform": _virtual_platform_spec() if board.is_virtual else "",
    }


def _tflm_umbrella(board: Board, options: BuildOptions) -> str:
    """The Arduino library's umbrella header, which must precede TFLM's own (it sets up the platform glue)."""
    return "" if options.tflm_dir is not None else board.tflm.header


def _lib_deps(board: Board, runtime: str, options: BuildOptions) -> list[str]:
    if runtime != "tflm":
        return []
    if options.tflm_dir is not None:
        return [f"symlink://{options.tflm_dir.resolve()}"]
    return list(board.tflm.lib_deps)


def _virtual_platform_spec() -> str:
    from .platformio import virtual_platform_spec

    return virtual_platform_spec()


# --- C text helpers: everything that puts model-derived text into C++ goes through these. ---

_IDENT_BAD = re.compile(r"[^0-9A-Za-z_]")


def c_identifier(text: str) -> str:
    """A valid, readable C identifier from any text (file names, tensor names, UTF-8)."""
    ident = _IDENT_BAD.sub("_", text).strip("_") or "model"
    ident = re.sub("_+", "_", ident)
    return f"m_{ident}" if ident[0].isdigit() else ident


def comment_text(text: str) -> str:
    """Text safe inside a ``//`` or ``/* */`` comment: printable ASCII, no terminators, no line splices."""
    safe = "".join(ch if " " <= ch <= "~" else "?" for ch in text).replace("\\", "/")
    # "??/" is a trigraph for backslash in strict ISO modes before C++17: it would splice the next line.
    return safe.replace("*/", "*_/").replace("??", "?_?")


def c_string_body(text: str) -> str:
    """Text safe between double quotes in C, escaped, ASCII only (no trigraphs, no newlines)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "?":
            out.append("\\?")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


_HEX = [f"0x{b:02x}," for b in range(256)]


def c_byte_rows(data: bytes, per_row: int = 16) -> str:
    """The bytes as C initializer rows; a 4 MB model renders in a fraction of a second."""
    hexes = _HEX
    rows = []
    for start in range(0, len(data), per_row):
        rows.append("    " + " ".join([hexes[b] for b in data[start : start + per_row]]))
    return "\n".join(rows)


def sample_arrays(model: ModelInfo) -> list[np.ndarray]:
    """The inference app's inputs: seeded, spread over each input's range, in the tensor's own type.

    Shared with tinyflash.reference, so what the board prints can be checked against the host.
    """
    rng = np.random.default_rng(SAMPLE_SEED)
    arrays = []
    for t in model.inputs:
        if t.dtype == "float32":
            values = rng.uniform(-1.0, 1.0, t.elements).astype(np.float32)
        else:
            info = np.iinfo(np.dtype(t.dtype))
            values = rng.integers(info.min, info.max, t.elements, endpoint=True).astype(t.dtype)
        arrays.append(values.reshape(t.shape))
    return arrays


def sample_inputs(model: ModelInfo) -> list[dict]:
    return [_sample(t, a.reshape(-1)) for t, a in zip(model.inputs, sample_arrays(model), strict=True)]


def _sample(t: Tensor, values: np.ndarray) -> dict:
    n = t.elements
    if t.dtype == "float32":
        text = [f"{v!r}f" if "." in repr(v) or "e" in repr(v) else f"{v!r}.0f" for v in values.tolist()]
    else:
        text = [str(v) for v in values.tolist()]
    rows = ["    " + ", ".join(text[i : i + 16]) + "," for i in range(0, n, 16)]
    shape = "x".join(map(str, t.shape)) or "scalar"
    return {
        "ctype": _C_TYPES[t.dtype],
        "count": n,
        "rows": "\n".join(rows),
        "comment": comment_text(f"{t.name} ({t.dtype} {shape}), uniform random"),
    }


# --- Writing to disk ---


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_project(root: Path, files: dict[str, str], *, force: bool = False, info: dict | None = None) -> WriteResult:
    """Write changed files only; keep user edits unless ``force``; retire files we no longer generate.

    A retired file the user edited is moved under ``.tinyflash/kept/`` rather than deleted (nothing is lost)
    or left in ``src/`` (where it would still be compiled, e.g. an output handler after switching apps).
    """
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / MANIFEST
    try:
        previous: dict[str, str] = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        previous = {}
    written, unchanged, kept, removed, moved = [], [], [], [], []
    recorded: dict[str, str] = {}
    for rel, text in files.items():
        path = root / rel
        new_hash = _digest(text)
        current = _read_text(path)
        if current is not None and _digest(current) == new_hash:
            unchanged.append(rel)
            recorded[rel] = new_hash
            continue
        if current is not None and not force and _edited(rel, current, previous):
            kept.append(rel)
            recorded[rel] = previous.get(rel, "")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(rel)
        recorded[rel] = new_hash
    for rel, old_hash in previous.items():
        if rel in files:
            continue
        path = root / rel
        current = _read_text(path)
        if current is None:
            continue
        if _digest(current) == old_hash:
            path.unlink()
            removed.append(rel)
        else:
            target = root / KEPT_DIR / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            moved.append(rel)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(manifest_path, json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    if info is not None:
        _write_if_changed(root / PROJECT_INFO, json.dumps(info, indent=1, sort_keys=True) + "\n")
    return WriteResult(tuple(written), tuple(unchanged), tuple(kept), tuple(removed), tuple(moved))


def _edited(rel: str, current: str, previous: dict[str, str]) -> bool:
    """A file counts as the user's when we never wrote it, or it no longer matches what we wrote."""
    return previous.get(rel) != _digest(current)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return ""


def _write_if_changed(path: Path, text: str) -> None:
    if _read_text(path) != text:
        path.write_text(text)


def read_project_info(root: Path) -> dict:
    try:
        return json.loads((root / PROJECT_INFO).read_text())
    except FileNotFoundError:
        raise TinyflashError(f"{root} is not a tinyflash project", "run `tinyflash build` first") from None
    except ValueError:
        raise TinyflashError(f"{root / PROJECT_INFO} is corrupt", "run `tinyflash build --force` again") from None

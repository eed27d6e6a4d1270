"""ModelInfo + Board + options → a PlatformIO project on disk, rendered from ``firmware_templates/``.

Python decides (which files, which runtime, which ops, how big an arena); the templates hold the C++.
Rendering is pure (:func:`render_project` returns file contents); :func:`write_project` puts them on
disk touching only files whose content changed, so PlatformIO's incremental build keeps working, and
never overwrites a generated file the user has edited (a manifest of hashes records what we wrote).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from . import __version__, files
from .arena import ArenaEstimate
from .boards import Board
from .errors import ModelError, StateError, TinyflashError
from .model import ModelInfo, Tensor
from .resources import templates
from .runtimes import AotSupport, aot_support, choose_runtime
from .tflm_ops import resolver_method, resource_variable_slots, unsupported_ops
from .tflm_tree import CXX_STD, LIBRARY_MANIFEST, LIBRARY_NAME, TflmTree, library_manifest, load_tree

APPS = ("sine", "inference", "validate")
STATE_DIR = ".tinyflash"
MANIFEST = f"{STATE_DIR}/manifest.json"
KEPT_DIR = f"{STATE_DIR}/kept"
PROJECT_INFO = f"{STATE_DIR}/project.json"
SAMPLE_SEED = 20231
#: Build flags every TFLM build gets: without NDEBUG the debug checks in TFLM's shape helpers run in the
#: innermost convolution loops (person_detect: 556 M vs 96 M instructions per inference on a Cortex-M4);
#: stripped error strings save 10–14 KB of flash.
TFLM_FLAGS = ("-DNDEBUG", "-DTF_LITE_STRIP_ERROR_STRINGS")
#: PlatformIO's (SCons') object cache for TFLM builds: switching --app changes the source file set, on which
#: PlatformIO empties .pio/build; the cache gives TFLM's objects back instead of a 12-17 minute recompile.
#: ESP-IDF builds with CMake, which does not use it.
BUILD_CACHE_DIR = ".pio/build-cache"
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
    warnings: tuple[str, ...] = ()
    #: The validate app's firmware identity (what the board reports in the handshake), else 0.
    build_id: int = 0


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept_edits: tuple[str, ...]
    removed: tuple[str, ...]
    #: (file, where it went): edits we retired or overwrote under --force, moved under KEPT_DIR.
    moved: tuple[tuple[str, str], ...] = ()
    #: State that was ignored (a damaged manifest entry), said once to the user.
    warnings: tuple[str, ...] = ()


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
    return app


def check_tflm(model: ModelInfo, board: Board, tflm_dir: Path | None, aot: AotSupport) -> TflmTree | None:
    """What a TFLM build needs beyond the runtime choice: a kernel for every op, and sources to compile (the
    --tflm-dir tree, checked, when one is given). ``aot`` is the AOT runtime's verdict on this model for this board:
    a refusal suggests --runtime aot only when that would work."""
    missing = unsupported_ops(model)
    if missing:
        hint = "re-convert the model without these ops"
        if aot.supported:
            hint = "build with --runtime aot, which runs this model, or " + hint
        raise ModelError(f"TFLM has no kernel for {', '.join(missing)}", hint)
    if tflm_dir is None:
        reason = board.tflm.unavailable or ("TFLM's C++ sources are not available offline" if board.is_virtual else "")
        if reason:
            hint = "pass --tflm-dir with a TFLM source tree (docs/tflm-tree.md)"
            if aot.supported:
                hint = "use --runtime aot (no library needed), or " + hint
            else:
                hint += f"; the AOT runtime cannot take this model ({aot.reason})"
            raise TinyflashError(f"--runtime tflm on {board.id}: {reason}", hint)
        return None
    if board.platformio.framework == "espidf":
        raise TinyflashError(
            f"--tflm-dir builds the tree as a PlatformIO library; {board.id} builds with ESP-IDF, whose TFLM is "
            "the esp-tflite-micro component",
            "drop --tflm-dir for this board",
        )
    tree = load_tree(tflm_dir)
    if tree.kernels == "cmsis_nn" and not board.core.startswith("cortex-m"):
        raise TinyflashError(
            f"--tflm-dir {tflm_dir} has CMSIS-NN kernels, which need an Arm Cortex-M; {board.id} is {board.core}",
            "make a tree with the reference kernels for this board",
        )
    return tree


def render_project(model: ModelInfo, board: Board, options: BuildOptions, arena: ArenaEstimate) -> ProjectPlan:
    """Decide everything and render every file's content; nothing touches the disk."""
    app = choose_app(model, options.app)
    aot = aot_support(model, board)
    runtime = choose_runtime(options.runtime, aot)
    _check_io(model, board)
    tree = check_tflm(model, board, options.tflm_dir, aot) if runtime == "tflm" else None
    warnings = _check_arena(options.arena_bytes, runtime, arena, aot.arena_bytes, board)
    arena_bytes = options.arena_bytes or arena.bytes
    if arena_bytes % 16:
        arena_bytes += 16 - arena_bytes % 16
    ctx = _context(model, board, app, runtime, arena, arena_bytes, options, tree)
    env = templates()
    out: dict[str, str] = {}

    def add(dest: str, template: str) -> None:
        out[dest] = env.get_template(template).render(ctx)

    add("platformio.ini", "platformio.ini.j2")
    for name in ("model_runtime.h", "tensor_io.h", "serial_line.h", "serial_line.cc", "main_functions.h"):
        add(f"src/{name}", f"common/{name}")
    if app == "validate":
        add("src/validate_link.h", "common/validate_link.h")
        add("src/validate_link.cc", "common/validate_link.cc")
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
        add("src/tflm_headers.h", "runtime/tflm_headers.h.j2")
        if tree is not None:
            out[LIBRARY_MANIFEST] = library_manifest(tree)
    else:
        assert aot.files is not None
        arena_bytes = aot.arena_bytes
        for name, text in aot.files.items():
            out[f"src/{name}"] = text
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
        if runtime == "tflm":
            add("src/idf_component.yml", "platforms/espidf/idf_component.yml.j2")
    # The app last: the validate app reports a build id derived from everything else.
    if app == "validate":
        ctx.update(_validate_context(model, runtime, out, env))
    add("src/main_functions.cc", f"apps/{app}.cc.j2")
    return ProjectPlan(app=app, runtime=runtime, arena=arena, arena_bytes=arena_bytes, files=out,
                       warnings=tuple(warnings), build_id=ctx.get("build_id_value", 0))  # fmt: skip


def _check_io(model: ModelInfo, board: Board) -> None:
    """Inputs and outputs the apps can hold: a supported type, no empty dimension, and room in the board's RAM
    (checked before anything is allocated for them, so an absurd shape in a damaged model costs nothing)."""
    for t in (*model.inputs, *model.outputs):
        if t.dtype not in _APP_DTYPES:
            raise ModelError(
                f"tensor '{t.name}' is {t.dtype}; the apps handle {', '.join(sorted(_APP_DTYPES))}",
                "convert the model with float32 or int8 inputs and outputs",
            )
        if any(d <= 0 for d in t.shape):
            raise ModelError(
                f"tensor '{t.name}' has shape {list(t.shape)}: an empty or unknown dimension",
                "convert the model with a fixed input shape (batch size 1)",
            )
        if t.nbytes > board.ram_bytes:
            raise ModelError(
                f"tensor '{t.name}' alone needs {t.nbytes:,} bytes; {board.id} has {board.ram_bytes:,} bytes of RAM",
                "use a smaller model or a bigger board",
            )


def _check_arena(requested: int | None, runtime: str, arena: ArenaEstimate, aot_arena: int, board: Board) -> list[str]:
    """``--arena`` is TFLM's: refused where it would be ignored or could never fit, warned where it looks small."""
    if requested is None:
        return []
    if runtime == "aot":
        raise TinyflashError(
            f"--arena sets TFLM's tensor arena, and this build uses the AOT runtime, which plans its own "
            f"({aot_arena:,} bytes)",
            "drop --arena, or pass --runtime tflm",
        )
    if requested > board.ram_bytes:
        raise TinyflashError(
            f"--arena {requested:,} is more than {board.id}'s {board.ram_bytes:,} bytes of RAM",
            f"pass a smaller --arena, or auto ({arena.bytes:,} bytes)",
        )
    if requested < arena.minimum_bytes:
        return [
            f"--arena {requested:,} is below the {arena.minimum_bytes:,} bytes measured on the host "
            f"({arena.method}); AllocateTensors() may fail on the board (it prints the size it needs)"
        ]
    return []


def build_id(files: dict[str, str], app_source: str) -> int:
    """A 32-bit identity of a firmware: every generated file but the app's, and the app's template. A board
    answering the handshake with the same id runs exactly what this build would flash."""
    h = hashlib.sha256(app_source.encode())
    for rel in sorted(files):
        h.update(f"{rel}\0{files[rel]}\0".encode())
    return int.from_bytes(h.digest()[:4], "little")


def _validate_context(model: ModelInfo, runtime: str, files: dict[str, str], env: jinja2.Environment) -> dict:
    source, _, _ = env.loader.get_source(env, "apps/validate.cc.j2")  # type: ignore[union-attr]
    shapes = [list(t.shape) for t in (*model.inputs, *model.outputs)]
    identity = build_id(files, source)
    return {
        "sha_prefix_bytes": ", ".join(f"0x{b:02X}" for b in bytes.fromhex(model.sha256[:16])),
        "build_id": f"0x{identity:08X}u",
        "build_id_value": identity,
        "runtime_code": 1 if runtime == "aot" else 0,
        "io_shapes": shapes,
        "max_rank": max(1, *(len(shape) for shape in shapes)),
    }


def _context(
    model: ModelInfo,
    board: Board,
    app: str,
    runtime: str,
    arena: ArenaEstimate,
    arena_bytes: int,
    options: BuildOptions,
    tree: TflmTree | None,
) -> dict:
    methods = sorted({m for o in model.ops if (m := resolver_method(o.name, o.custom))})
    origin = "set with --arena" if options.arena_bytes else f"{arena.method} minimum + {arena.margin_bytes} B margin"
    std_unflags, std_flags = _cxx_std(board, runtime)
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
        "resource_variables": resource_variable_slots(model),
        "tflm_umbrella": _tflm_umbrella(board, tree),
        "tflm_undef": board.tflm.undef_macros if _tflm_umbrella(board, tree) else (),
        "tflm_flags": _tflm_flags(board, runtime, tree) + std_flags,
        "build_unflags": board.platformio.build_unflags + std_unflags,
        "src_flags": ("-Wall", "-Wextra", *board.platformio.src_flags),
        "lib_deps": _lib_deps(board, app, runtime, tree),
        "build_cache_dir": BUILD_CACHE_DIR if runtime == "tflm" and board.platformio.framework != "espidf" else "",
        "lib_ignore": _lib_ignore(board, runtime, tree),
        "samples": sample_inputs(model) if app == "inference" else [],
        "seed": SAMPLE_SEED,
        "esp_task_stack": 8 * 1024,
        "virtual_platform": _virtual_platform_spec() if board.is_virtual else "",
    }


def _tflm_flags(board: Board, runtime: str, tree: TflmTree | None) -> tuple[str, ...]:
    """A TFLM build's flags for every file: tinyflash's own, then the tree's or the library's."""
    if runtime != "tflm":
        return ()
    return TFLM_FLAGS + (tree.build_flags if tree is not None else board.tflm.build_flags)


def _cxx_std(board: Board, runtime: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(unflags, flags) that give TFLM (a tree or a library) the C++ standard it needs on a core that forces an
    older one. The core's -std comes after build_flags, so it is taken out with build_unflags (applied after the
    framework script); SCons' flag parser, which PlatformIO uses, gives a -std=...++ flag to C++ compiles only."""
    if runtime != "tflm" or not board.platformio.cxx_std:
        return (), ()
    return (f"-std={board.platformio.cxx_std}",), (f"-std={CXX_STD}",)


def _tflm_umbrella(board: Board, tree: TflmTree | None) -> str:
    """The Arduino library's umbrella header, which must precede TFLM's own (it sets up the platform glue)."""
    return "" if tree is not None else board.tflm.header


def _lib_deps(board: Board, app: str, runtime: str, tree: TflmTree | None) -> list[str]:
    """The board's own libraries, the sine app's handler's, then the TFLM runtime's."""
    deps = [*board.platformio.lib_deps, *(board.output_lib_deps if app == "sine" else ())]
    if runtime != "tflm":
        return deps
    if tree is not None:
        return [*deps, LIBRARY_NAME]  # lib/tflm/, found by name (a library without an owner is never downloaded)
    return [*deps, *board.tflm.lib_deps]


def _lib_ignore(board: Board, runtime: str, tree: TflmTree | None) -> tuple[str, ...]:
    """The board's ignored libraries, and the TFLM library's unwanted dependencies when that library is used."""
    return board.platformio.lib_ignore + (board.tflm.lib_ignore if runtime == "tflm" and tree is None else ())


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

#: Where generated files live. A manifest entry elsewhere (``.git/config``, ``../x``) is never acted on.
_GENERATED_TOP = frozenset({"platformio.ini", "CMakeLists.txt", "sdkconfig.defaults"})
_GENERATED_DIRS = ("src/", "include/", "lib/")
_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _generated_path(rel: object) -> str | None:
    clean = files.clean_relative(rel)
    if clean is None or not (clean in _GENERATED_TOP or clean.startswith(_GENERATED_DIRS)):
        return None
    return clean


def read_manifest(root: Path) -> tuple[dict[str, str], list[str]]:
    """What we wrote last time (path -> sha256), from an untrusted file: entries that could point outside
    the generated files, or are not a path and a hash, are dropped with a warning."""
    warnings: list[str] = []
    try:
        data = files.read_json(root, MANIFEST)
    except StateError as exc:
        return {}, [f"ignored {MANIFEST}: {exc.message}"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"ignored {MANIFEST}: not a JSON object"]
    manifest: dict[str, str] = {}
    for rel, digest in data.items():
        clean = _generated_path(rel)
        if clean is None or not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            warnings.append(f"ignored {MANIFEST} entry {rel!r}: not a generated file of this project")
            continue
        manifest[clean] = digest
    return manifest, warnings


def write_project(
    root: Path, generated: dict[str, str], *, force: bool = False, info: dict | None = None
) -> WriteResult:
    """Write changed files only; keep user edits unless ``force``; retire files we no longer generate.

    Nothing the user made is lost: an edited file we retire, or overwrite under ``force``, is moved under
    ``.tinyflash/kept/`` first. Every write is atomic and never goes through a symlink (:mod:`tinyflash.files`);
    a symlink where we would write counts as the user's. Everything is decided before anything is written,
    so a refusal leaves the project as it was.
    """
    make_project_dir(root)
    previous, warnings = read_manifest(root)
    current = {rel: files.read_file(root, rel) for rel in {*generated, *previous}}
    write, unchanged, kept, backup = [], [], [], []
    recorded: dict[str, str] = {}
    for rel, text in generated.items():
        now = current[rel]
        new_hash = _digest(text)
        if isinstance(now, bytes) and _digest(now) == new_hash:
            unchanged.append(rel)
            recorded[rel] = new_hash
            continue
        edited = now is files.LINK or (now is not None and previous.get(rel) != _digest(now))
        if edited and not force:
            kept.append(rel)
            if rel in previous:
                recorded[rel] = previous[rel]
            continue
        if edited:
            backup.append(rel)
        write.append(rel)
        recorded[rel] = new_hash
    retire = [rel for rel in previous if rel not in generated and current[rel] is not None]
    remove = [rel for rel in retire if isinstance(current[rel], bytes) and _digest(current[rel]) == previous[rel]]
    move = [rel for rel in retire if rel not in remove]
    _check_kept_includes(kept, {rel for rel in retire}, current)

    moved = [(rel, files.move_file(root, rel, f"{KEPT_DIR}/{rel}")) for rel in (*move, *backup)]
    for rel in write:
        files.write_file(root, rel, generated[rel])
    for rel in remove:
        files.remove_file(root, rel)
    _write_if_changed(root, MANIFEST, json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    if info is not None:
        _write_if_changed(root, PROJECT_INFO, json.dumps(info, indent=1, sort_keys=True) + "\n")
    return WriteResult(tuple(write), tuple(unchanged), tuple(kept), tuple(remove), tuple(moved), tuple(warnings))


def make_project_dir(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StateError(f"{root} is a file, not a folder", "pass a folder with --out") from None
    except OSError as exc:
        raise StateError(f"cannot create the project folder {root}: {exc.strerror}", "pass a writable --out") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StateError(f"the project folder {root} is not writable", "pass a writable --out, or fix its permissions")


def _check_kept_includes(kept: list[str], retired: set[str], current: dict) -> None:
    """A kept edit that includes a file this build retires would break the build: refuse before writing."""
    for rel in kept:
        text = current[rel]
        if not isinstance(text, bytes):
            continue
        folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for name in _INCLUDE.findall(text.decode(errors="replace")):
            if f"{folder}{name}" in retired:
                raise StateError(
                    f"{rel} is your edit and includes {name}, which this build no longer generates "
                    "(a different --app or --runtime)",
                    "build with the options it was written for, or pass --force to regenerate it "
                    "(your edit is saved under .tinyflash/kept/)",
                )


def _write_if_changed(root: Path, rel: str, text: str) -> None:
    if files.read_file(root, rel) != text.encode():
        files.write_file(root, rel, text)


def read_project_info(root: Path) -> dict:
    """``.tinyflash/project.json``, checked: every later command trusts only what passes here."""
    where = str(root / PROJECT_INFO)
    try:
        data = files.read_json(root, PROJECT_INFO)
    except FileNotFoundError:
        data = None
    if data is None:
        raise StateError(f"{root} is not a tinyflash project", "run `tinyflash build` first, or pass --project")
    for key in ("board", "app", "runtime", "model_sha256"):
        files.expect(data, key, str, where)
    return data

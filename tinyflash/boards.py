"""Board profiles: one TOML file per board in ``boards/``, validated on load, looked up by id or alias.

Profiles are data. This module only knows their schema, so a typo in a profile is reported with the
file name and the key instead of surfacing as a KeyError in a later stage.

A profile with ``supported = false`` is a board users will ask for (TFLM's own board list names it) that tinyflash
cannot build for: it holds only the board's names, the reason and what would be needed. Looking one up is the
one place that refuses it, so `build`, `inspect`, `test` and the rack all say why instead of "unknown board".
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .errors import BoardError
from .resources import data_dir

KINDS = ("real", "virtual")
#: How a board's first lines reach a console that attaches after flashing (see README, "Boot output"):
#: the emulator waits for its reader; the USB sketch waits for the host to open its port; the console can
#: stay open during the upload (a debug probe flashes, the UART is separate); the console resets the board
#: once attached (RTS on EN); opening the port resets it (DTR through an RC to reset).
CONSOLES = ("waits-for-reader", "waits-for-host", "open-before-upload", "reset-after-open", "resets-on-open")
RUNNERS = ("platformio", "qemu", "host")
#: CPU features a profile may declare in `[target] features`; the AOT generator picks kernels by them.
TARGET_FEATURES: dict[str, str] = {
    "dsp": "Armv7E-M DSP extension (SMLAD, SXTB16, SSAT, SMMULR...): Cortex-M4, M7, M33",
    "fpu": "single-precision hardware floating point, used by the build (not soft-float)",
    "fpu_dp": "double-precision hardware floating point",
    "mve": "Armv8.1-M M-profile Vector Extension (Helium): Cortex-M55, M85",
}


@dataclass(frozen=True)
class PlatformIO:
    """How PlatformIO builds for this board (the ``[env]`` of ``platformio.ini``)."""

    platform: str
    board: str
    framework: str
    upload_protocol: str = ""
    build_flags: tuple[str, ...] = ()
    #: Appended to build_src_flags (-Wall -Wextra): only what a core forces on every source file needs this.
    src_flags: tuple[str, ...] = ()
    #: Flags taken out after the framework script has added its own (the only way to override a core's flag).
    build_unflags: tuple[str, ...] = ()
    #: The C++ standard the core's builder forces with -std=, where it is older than the C++17 TFLM needs
    #: (tinyflash.tflm_tree.CXX_STD): TFLM builds get that instead; empty where the core's own standard will do.
    cxx_std: str = ""
    options: tuple[tuple[str, str], ...] = ()  # extra `key = value` lines, in order
    #: Libraries every build of the board needs, whatever the app and runtime: a core's bundled library that
    #: PlatformIO's dependency finder would otherwise miss (it builds one only when a project file includes it).
    lib_deps: tuple[str, ...] = ()
    #: Libraries kept out of every build of the board (a bundled one that a header pulls in and that breaks the link).
    lib_ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tflm:
    """How TFLM gets into this board's build (real boards); `how` documents the choice."""

    how: str = ""
    lib_deps: tuple[str, ...] = ()
    #: Libraries kept out of the build (PlatformIO compiles every lib_deps entry, pinned dependencies included).
    lib_ignore: tuple[str, ...] = ()
    idf_components: tuple[str, ...] = ()
    #: The library's umbrella header, included before any TFLM header (Arduino libraries).
    header: str = ""
    #: Arduino core macros that break TFLM's C++ headers and must be undefined after the umbrella header.
    undef_macros: tuple[str, ...] = ()
    #: Defines the library needs in every file of the build (platformio.ini's build_flags, so the library sees them).
    build_flags: tuple[str, ...] = ()
    #: Why no TFLM library is offered on this board (`--runtime tflm` is refused with it unless --tflm-dir).
    unavailable: str = ""


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    kind: str
    mcu: str
    core: str
    clock_hz: int
    flash_bytes: int
    ram_bytes: int
    baud: int
    output_handler: str
    inferences_per_cycle: int
    runner: str
    platformio: PlatformIO
    source: Path
    aliases: tuple[str, ...] = ()
    usb_ids: tuple[tuple[int, int], ...] = ()
    use_1200bps_touch: bool = False
    wait_for_upload_port: bool = False
    #: Flash the application may use when that is less than the chip's (ESP32: the app partition).
    app_flash_bytes: int = 0
    #: Estimates for the fit check: what the framework and the TFLM runtime take besides the model.
    framework_flash_bytes: int = 0
    framework_ram_bytes: int = 0
    qemu_machine: str = ""
    console: str = "waits-for-reader"
    tflm: Tflm = field(default_factory=Tflm)
    #: CPU features the generated code may use (`[target] features`, from TARGET_FEATURES).
    target_features: tuple[str, ...] = ()
    #: Libraries the sine app's output handler includes (pinned PlatformIO lib_deps), only in that app's builds.
    output_lib_deps: tuple[str, ...] = ()
    notes: str = ""

    @property
    def is_virtual(self) -> bool:
        return self.kind == "virtual"

    @property
    def flash_limit(self) -> int:
        return self.app_flash_bytes or self.flash_bytes

    @property
    def usb_ids_text(self) -> list[str]:
        return [f"{v:04x}:{p:04x}" for v, p in self.usb_ids]


@dataclass(frozen=True)
class UnsupportedBoard:
    """A board tinyflash knows and refuses: listed by `boards --all`, an error naming the reason when asked for."""

    id: str
    name: str
    mcu: str
    core: str
    reason: str
    needs: str
    source: Path
    aliases: tuple[str, ...] = ()


# key -> (type, required). Nested tables are validated by their own schema below.
#: What every profile says, supported or not: the names users look it up by and what the chip is.
_IDENTITY_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "id": (str, True),
    "name": (str, True),
    "aliases": (list, False),
    "mcu": (str, True),
    "core": (str, True),
}
_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    **_IDENTITY_SCHEMA,
    "kind": (str, True),
    "clock_hz": (int, True),
    "flash_bytes": (int, True),
    "ram_bytes": (int, True),
    "baud": (int, True),
    "output_handler": (str, True),
    "output_lib_deps": (list, False),
    "inferences_per_cycle": (int, True),
    "runner": (str, True),
    "app_flash_bytes": (int, False),
    "framework_flash_bytes": (int, False),
    "framework_ram_bytes": (int, False),
    "notes": (str, False),
    "console": (str, False),
    "platformio": (dict, True),
    "upload": (dict, False),
    "usb": (dict, False),
    "qemu": (dict, False),
    "tflm": (dict, False),
    "target": (dict, False),
    "supported": (bool, False),
}
#: A known board tinyflash refuses (``supported = false``): why, and what building for it would take.
_UNSUPPORTED_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    **_IDENTITY_SCHEMA,
    "supported": (bool, True),
    "reason": (str, True),
    "needs": (str, True),
}
_PIO_SCHEMA: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "platform": (str, True),
    "board": (str, True),
    "framework": (str, False),
    "upload_protocol": (str, False),
    "build_flags": (list, False),
    "src_flags": (list, False),
    "build_unflags": (list, False),
    "cxx_std": (str, False),
    "options": (dict, False),
    "lib_deps": (list, False),
    "lib_ignore": (list, False),
}
_UPLOAD_SCHEMA = {"use_1200bps_touch": (bool, False), "wait_for_upload_port": (bool, False)}
_USB_SCHEMA = {"ids": (list, True)}
_QEMU_SCHEMA = {"machine": (str, True)}
_TARGET_SCHEMA = {"features": (list, True)}
_TFLM_SCHEMA = {
    "how": (str, True),
    "lib_deps": (list, False),
    "lib_ignore": (list, False),
    "idf_components": (list, False),
    "header": (str, False),
    "undef_macros": (list, False),
    "build_flags": (list, False),
    "unavailable": (str, False),
}


def _check(table: dict[str, Any], schema: dict, where: str, path: Path) -> None:
    for key, value in table.items():
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(schema)}"
            raise BoardError(f"{path.name}: unknown key '{where}{key}'", hint)
        typ, _ = schema[key]
        # bool is an int in Python; a profile saying `flash_bytes = true` is still wrong.
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            want = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
            raise BoardError(f"{path.name}: '{where}{key}' must be {want}, not {type(value).__name__}", f"fix {path}")
    for key, (_, required) in schema.items():
        if required and key not in table:
            raise BoardError(f"{path.name}: missing required key '{where}{key}'", f"add it to {path}")


def _usb_id(text: Any, path: Path) -> tuple[int, int]:
    try:
        vid, pid = str(text).split(":")
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise BoardError(f"{path.name}: USB id {text!r} is not VID:PID in hex", "write it like '2341:805a'") from None


def _read_profile(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{path.name} is not valid TOML: {exc}", f"fix {path}") from None
    except OSError as exc:
        raise BoardError(f"cannot read board profile {path}: {exc.strerror}", "check the file") from None
    if isinstance(raw.get("id"), str) and path.stem != raw["id"]:
        raise BoardError(f"{path.name}: id '{raw['id']}' does not match the file name", f"rename or fix {path}")
    return raw


def parse_profile(path: Path) -> Board | UnsupportedBoard:
    """Load and validate one profile, supported or not."""
    raw = _read_profile(path)
    if raw.get("supported", True):
        return parse_board(path, raw)
    _check(raw, _UNSUPPORTED_SCHEMA, "", path)
    texts = {key: raw[key] for key in ("id", "name", "mcu", "core", "reason", "needs")}
    return UnsupportedBoard(**texts, source=path, aliases=_aliases(raw))


def _aliases(raw: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(a) for a in raw.get("aliases", []))


def parse_board(path: Path, raw: dict[str, Any] | None = None) -> Board:
    """Load and validate one profile of a supported board."""
    raw = _read_profile(path) if raw is None else raw
    if not raw.get("supported", True):
        raise BoardError(f"{path.name} describes a board tinyflash does not support", f"fix {path}")
    _check(raw, _SCHEMA, "", path)
    for key, schema in (
        ("platformio", _PIO_SCHEMA),
        ("upload", _UPLOAD_SCHEMA),
        ("usb", _USB_SCHEMA),
        ("qemu", _QEMU_SCHEMA),
        ("tflm", _TFLM_SCHEMA),
        ("target", _TARGET_SCHEMA),
    ):
        if key in raw:
            _check(raw[key], schema, f"{key}.", path)
    if raw["kind"] not in KINDS:
        raise BoardError(f"{path.name}: kind must be one of {', '.join(KINDS)}", f"fix {path}")
    if raw["runner"] not in RUNNERS:
        raise BoardError(f"{path.name}: runner must be one of {', '.join(RUNNERS)}", f"fix {path}")
    if raw.get("console", "waits-for-reader") not in CONSOLES:
        raise BoardError(f"{path.name}: console must be one of {', '.join(CONSOLES)}", f"fix {path}")
    if raw["runner"] == "qemu" and "qemu" not in raw:
        raise BoardError(f"{path.name}: runner 'qemu' needs a [qemu] table with 'machine'", f"fix {path}")
    for key in ("clock_hz", "flash_bytes", "ram_bytes", "baud", "inferences_per_cycle"):
        if raw[key] <= 0:
            raise BoardError(f"{path.name}: '{key}' must be positive", f"fix {path}")
    features = _target_features(raw.get("target", {}).get("features", []), path)
    pio = raw["platformio"]
    upload = raw.get("upload", {})
    return Board(
        id=raw["id"],
        name=raw["name"],
        kind=raw["kind"],
        mcu=raw["mcu"],
        core=raw["core"],
        clock_hz=raw["clock_hz"],
        flash_bytes=raw["flash_bytes"],
        ram_bytes=raw["ram_bytes"],
        baud=raw["baud"],
        output_handler=raw["output_handler"],
        inferences_per_cycle=raw["inferences_per_cycle"],
        runner=raw["runner"],
        platformio=PlatformIO(
            platform=pio["platform"],
            board=pio["board"],
            framework=pio.get("framework", ""),
            upload_protocol=pio.get("upload_protocol", ""),
            build_flags=tuple(str(f) for f in pio.get("build_flags", [])),
            src_flags=tuple(str(f) for f in pio.get("src_flags", [])),
            build_unflags=tuple(str(f) for f in pio.get("build_unflags", [])),
            cxx_std=pio.get("cxx_std", ""),
            options=_options(pio.get("options", {}), path),
            lib_deps=tuple(str(d) for d in pio.get("lib_deps", [])),
            lib_ignore=tuple(str(d) for d in pio.get("lib_ignore", [])),
        ),
        source=path,
        aliases=_aliases(raw),
        usb_ids=tuple(_usb_id(u, path) for u in raw.get("usb", {}).get("ids", [])),
        use_1200bps_touch=upload.get("use_1200bps_touch", False),
        wait_for_upload_port=upload.get("wait_for_upload_port", False),
        app_flash_bytes=raw.get("app_flash_bytes", 0),
        framework_flash_bytes=raw.get("framework_flash_bytes", 0),
        framework_ram_bytes=raw.get("framework_ram_bytes", 0),
        qemu_machine=raw.get("qemu", {}).get("machine", ""),
        console=raw.get("console", "waits-for-reader"),
        tflm=_tflm(raw.get("tflm", {})),
        target_features=features,
        output_lib_deps=tuple(str(d) for d in raw.get("output_lib_deps", [])),
        notes=raw.get("notes", ""),
    )


#: platformio.ini options a profile sets through their own keys, which tinyflash merges with its own values.
_MERGED_OPTIONS = ("build_flags", "build_unflags", "build_src_flags", "lib_deps", "lib_ignore")


def _options(table: dict[str, Any], path: Path) -> tuple[tuple[str, str], ...]:
    for key in table:
        if key in _MERGED_OPTIONS:
            name = "src_flags" if key == "build_src_flags" else key
            raise BoardError(f"{path.name}: '{key}' belongs in [platformio] as '{name}' (a list)", f"fix {path}")
    return tuple((str(k), str(v)) for k, v in table.items())


def _target_features(values: list, path: Path) -> tuple[str, ...]:
    for v in values:
        if v not in TARGET_FEATURES:
            close = difflib.get_close_matches(str(v), list(TARGET_FEATURES), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known features: {', '.join(TARGET_FEATURES)}"
            raise BoardError(f"{path.name}: unknown target feature {v!r}", hint)
    if len(set(values)) != len(values):
        raise BoardError(f"{path.name}: target features are listed twice", f"fix {path}")
    return tuple(sorted(values))


def _tflm(table: dict[str, Any]) -> Tflm:
    return Tflm(
        how=table.get("how", ""),
        lib_deps=tuple(str(d) for d in table.get("lib_deps", [])),
        lib_ignore=tuple(str(d) for d in table.get("lib_ignore", [])),
        idf_components=tuple(str(d) for d in table.get("idf_components", [])),
        header=table.get("header", ""),
        undef_macros=tuple(str(m) for m in table.get("undef_macros", [])),
        build_flags=tuple(str(f) for f in table.get("build_flags", [])),
        unavailable=table.get("unavailable", ""),
    )


def boards_dir() -> Path:
    return data_dir("boards")


@cache
def _profiles(directory: Path) -> tuple[tuple[Board, ...], tuple[UnsupportedBoard, ...]]:
    profiles = [parse_profile(p) for p in sorted(directory.glob("*.toml"))]
    seen: dict[str, Path] = {}
    for b in profiles:
        for name in (b.id, *b.aliases):
            key = name.lower()
            if key in seen:
                raise BoardError(
                    f"board name '{name}' is used by both {seen[key].name} and {b.source.name}",
                    "make ids and aliases unique",
                )
            seen[key] = b.source
    boards = [b for b in profiles if isinstance(b, Board)]
    unsupported = [b for b in profiles if isinstance(b, UnsupportedBoard)]
    return tuple(sorted(boards, key=lambda b: (b.kind != "real", b.id))), tuple(unsupported)


def all_boards(directory: Path | None = None) -> tuple[Board, ...]:
    """Every supported profile, real boards first, then virtual, each group by id."""
    return _profiles(directory or boards_dir())[0]


def unsupported_boards(directory: Path | None = None) -> tuple[UnsupportedBoard, ...]:
    """The boards tinyflash knows and cannot build for, by id."""
    return _profiles(directory or boards_dir())[1]


def _named(board: Board | UnsupportedBoard, wanted: str) -> bool:
    return wanted == board.id.lower() or wanted in (a.lower() for a in board.aliases)


def get_board(name: str, directory: Path | None = None) -> Board:
    """Look a board up by id or alias (case-insensitive); a known but unsupported board is refused with its
    reason, unknown names list the close matches."""
    boards = all_boards(directory)
    wanted = name.strip().lower()
    for b in boards:
        if _named(b, wanted):
            return b
    for u in unsupported_boards(directory):
        if _named(u, wanted):
            raise BoardError(
                f"{u.name} ({u.id}) is not supported: {u.reason}",
                f"pick a supported board (`tinyflash boards`); building for it would need {u.needs}",
            )
    names = [n for b in boards for n in (b.id, *b.aliases)]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "run `tinyflash boards` to list them"
    raise BoardError(f"unknown board '{name}'", f"{hint} (boards: {', '.join(b.id for b in boards)})")

"""boards.py: profiles validate, agree with PlatformIO's real manifests, and lookups help the user."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import SHARED, unavailable
from tinyflash.boards import all_boards, get_board, parse_board, parse_profile, unsupported_boards
from tinyflash.errors import BoardError

REAL = {
    "nano33ble", "sparkfun_edge", "esp32", "disco_f746ng", "wio_terminal", "esp_eye", "edgebadge", "cpb",
}  # fmt: skip
VIRTUAL = {"virtual-m4", "virtual-m7", "native"}
UNSUPPORTED = {"himax_we1", "arc_emsdp"}
#: PlatformIO board manifests: the first four from ../shared/reference, issue 15's from tests/data (copied from
#: platform-atmelsam v8.3.0 and platform-nordicnrf52 v10.11.0; esp_eye builds as esp32dev).
DATA = Path(__file__).parent / "data"
MANIFESTS = {
    "nano33ble": "nordicnrf52-nano33ble.json",
    "sparkfun_edge": "apollo3blue-SparkFun_Edge_Development_Board.json",
    "esp32": "espressif32-esp32dev.json",
    "disco_f746ng": "ststm32-disco_f746ng.json",
    "wio_terminal": "atmelsam-seeed_wio_terminal.json",
    "edgebadge": "atmelsam-adafruit_pybadge_m4.json",
    "cpb": "nordicnrf52-adafruit_cplaynrf52840.json",
    "esp_eye": "espressif32-esp32dev.json",
}
#: The Arduino cores' boards.txt entries for the board (the lines of that board only, from the core version the
#: pinned platform installs: Seeed ArduinoCore-samd v1.8.5, Adafruit ArduinoCore-samd 1.7.16, Adafruit_nRF52_Arduino
#: 1.7.0). Where they and the manifest differ, the core is right: it is what the bootloader and the board really do.
CORE_BOARDS = {
    "wio_terminal": "seeed-samd-v1.8.5.txt",
    "edgebadge": "adafruit-samd-1.7.16.txt",
    "cpb": "adafruit-nrf52-1.7.0.txt",
}


def test_all_boards_present():
    boards = {b.id: b for b in all_boards()}
    assert set(boards) == REAL | VIRTUAL
    assert {b.id for b in boards.values() if b.kind == "real"} == REAL
    assert {u.id for u in unsupported_boards()} == UNSUPPORTED


def _manifest(name: str) -> dict:
    for path in (DATA / "platformio-boards" / name, SHARED / "reference" / "platformio-boards" / name):
        if path.is_file():
            return json.loads(path.read_text())
    unavailable(f"{name} is neither in tests/data nor in ../shared/reference")
    raise AssertionError  # unavailable() does not return


@pytest.mark.parametrize("board_id", sorted(MANIFESTS))
def test_profile_agrees_with_platformio_manifest(board_id):
    manifest = _manifest(MANIFESTS[board_id])
    b = get_board(board_id)
    platform, pio_board = MANIFESTS[board_id].removesuffix(".json").split("-", 1)
    assert b.platformio.board == pio_board
    # A registry platform pinned with @version, or a git-only platform named platform-<name>.
    assert b.platformio.platform.split("@")[0] == platform or f"platform-{platform}.git#" in b.platformio.platform
    assert b.platformio.framework in manifest["frameworks"]
    if board_id in CORE_BOARDS:
        assert b.flash_bytes <= manifest["upload"]["maximum_size"]
    else:
        assert b.flash_bytes == manifest["upload"]["maximum_size"]
    if b.ram_bytes != manifest["upload"]["maximum_ram_size"]:
        # A documented override (cpb: the linker script's RAM, boards.txt's maximum_data_size), never more than the
        # manifest's, and PlatformIO's own size check held to it.
        assert b.ram_bytes < manifest["upload"]["maximum_ram_size"]
        assert ("board_upload.maximum_ram_size", str(b.ram_bytes)) in b.platformio.options
    assert b.clock_hz == int(manifest["build"]["f_cpu"].rstrip("L"))
    assert b.mcu == manifest["build"]["mcu"].lower()
    if "cpu" in manifest["build"]:
        assert b.core.startswith(manifest["build"]["cpu"])
    upload = manifest["upload"]
    if b.platformio.upload_protocol:
        assert b.platformio.upload_protocol in upload.get("protocols", [upload.get("protocol")])
    assert b.use_1200bps_touch == upload.get("use_1200bps_touch", False)
    assert b.wait_for_upload_port == upload.get("wait_for_upload_port", False)
    for vid, pid in manifest["build"].get("hwids", []):
        assert (int(vid, 16), int(pid, 16)) in b.usb_ids


def _core_entry(board_id: str) -> dict[str, str]:
    lines = (DATA / "arduino-boards" / CORE_BOARDS[board_id]).read_text().splitlines()
    return dict(line.split(".", 1)[1].split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize("board_id", sorted(CORE_BOARDS))
def test_profile_agrees_with_the_cores_boards_txt(board_id):
    """USB ids (sketch and bootloader) and the flash the bootloader leaves come from the core; the manifest may
    miss a bootloader id (Wio Terminal lists 802D twice) or count the bootloader's flash (PyBadge: 524,288)."""
    entry = _core_entry(board_id)
    b = get_board(board_id)
    ids = {(int(entry[f"vid.{n}"], 16), int(entry[f"pid.{n}"], 16)) for n in range(8) if f"vid.{n}" in entry}
    assert set(b.usb_ids) == ids
    assert b.usb_ids[0] == (int(entry["build.vid"], 16), int(entry["build.pid"], 16))  # the sketch's own id first
    assert b.flash_bytes == int(entry["upload.maximum_size"])
    if "upload.maximum_data_size" in entry:
        assert b.ram_bytes == int(entry["upload.maximum_data_size"])
    assert b.platformio.upload_protocol == {"sam-ba": "sam-ba", "nrfutil": "nrfutil"}[entry["upload.protocol"]]
    assert b.use_1200bps_touch == (entry["upload.use_1200bps_touch"] == "true")
    assert b.wait_for_upload_port == (entry["upload.wait_for_upload_port"] == "true")
    if "-mfloat-abi=hard" in entry.get("build.extra_flags", ""):
        assert "fpu" in b.target_features
    manifest = _manifest(MANIFESTS[board_id])
    if b.flash_bytes != manifest["upload"]["maximum_size"]:
        # PlatformIO's own size check must hold the build to the smaller, real limit.
        assert ("board_upload.maximum_size", str(b.flash_bytes)) in b.platformio.options


def test_known_but_unsupported_boards_are_refused_by_name_with_the_reason():
    for name in ("himax_we1", "HIMAX", "we-i", "arc_emsdp", "emsdp"):
        with pytest.raises(BoardError, match="is not supported: ") as err:
            get_board(name)
        assert err.value.hint.startswith("pick a supported board (`tinyflash boards`); building for it would need ")
        assert "unknown board" not in str(err.value)
    himax = next(u for u in unsupported_boards() if u.id == "himax_we1")
    assert "2021" in himax.reason and "MetaWare" in himax.needs


def test_an_unsupported_profile_is_validated_too(tmp_path):
    src = next(u.source for u in unsupported_boards() if u.id == "himax_we1")
    path = tmp_path / src.name
    path.write_text(src.read_text().replace("needs = ", "neds = "))
    with pytest.raises(BoardError, match="unknown key 'neds'"):
        parse_profile(path)
    path.write_text(src.read_text().replace("supported = false\n", ""))
    with pytest.raises(BoardError, match="unknown key"):
        parse_profile(path)


def test_lookup_by_alias_is_case_insensitive():
    assert get_board("ESP32DEV").id == "esp32"
    assert get_board("qemu-m4").id == "virtual-m4"


def test_unknown_board_lists_close_matches():
    with pytest.raises(BoardError, match="unknown board 'nano33'") as err:
        get_board("nano33")
    assert "nano33ble" in err.value.hint


def _copy_profile(tmp_path, board_id: str, edit) -> object:
    src = next(b.source for b in all_boards() if b.id == board_id)
    dst = tmp_path / src.name
    dst.write_text(edit(src.read_text()))
    return dst


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: "flash_kb = 3\n" + s, "unknown key 'flash_kb'"),
        (lambda s: s.replace("ram_bytes = 262_144", 'ram_bytes = "256K"'), "'ram_bytes' must be int"),
        (lambda s: s.replace("baud = 115200", ""), "missing required key 'baud'"),
        (lambda s: s.replace('kind = "real"', 'kind = "imaginary"'), "kind must be one of"),
        (lambda s: s.replace('"2341:805a"', '"2341-805a"'), "not VID:PID"),
        (lambda s: s.replace('board = "nano33ble"', 'bord = "nano33ble"'), "did you mean 'board'"),
        (lambda s: s + "\n[[oops", "not valid TOML"),
        (lambda s: s.replace('features = ["dsp", "fpu"]', 'features = ["dps", "fpu"]'), "unknown target feature 'dps'"),
        (lambda s: s.replace('features = ["dsp", "fpu"]', 'features = "dsp"'), "'target.features' must be list"),
        (lambda s: s.replace('features = ["dsp", "fpu"]', 'features = ["dsp", "dsp"]'), "listed twice"),
        (lambda s: s + '\n[platformio.options]\nbuild_unflags = "-O2"\n', r"'build_unflags' belongs in \[platformio\]"),
    ],
)
def test_invalid_profiles_name_the_file(tmp_path, edit, message):
    path = _copy_profile(tmp_path, "nano33ble", edit)
    with pytest.raises(BoardError, match=message) as err:
        parse_board(path)
    assert "nano33ble.toml" in str(err.value)


def test_target_features_are_declared_per_core():
    """The AOT generator picks kernels by these: the DSP extension on every Armv7E-M board, none elsewhere."""
    features = {b.id: set(b.target_features) for b in all_boards()}
    for board_id in ("nano33ble", "sparkfun_edge", "disco_f746ng", "virtual-m4", "virtual-m7"):
        assert "dsp" in features[board_id]
    for board_id in ("wio_terminal", "edgebadge", "cpb"):  # Cortex-M4F, built with -mfloat-abi=hard
        assert features[board_id] == {"dsp", "fpu"}
    assert features["esp32"] == features["esp_eye"] == {"fpu"} and features["native"] == set()
    # nano33ble: the platform's -mfloat-abi=soft is removed by build_unflags (see test_project), so the FPU is used
    assert {"dsp", "fpu"} <= features["nano33ble"] and "fpu_dp" not in features["disco_f746ng"]


def test_duplicate_alias_is_rejected(tmp_path):
    for b in all_boards():
        shutil.copy(b.source, tmp_path / b.source.name)
    dup = tmp_path / "esp32.toml"
    dup.write_text(dup.read_text().replace('"devkitc"', '"nano33blesense"'))
    with pytest.raises(BoardError, match="used by both"):
        all_boards(tmp_path)

"""boards.py: profiles validate, agree with PlatformIO's real manifests, and lookups help the user."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SHARED, unavailable
from tinyflash.boards import all_boards, get_board, parse_board
from tinyflash.errors import BoardError

REAL = {"nano33ble", "sparkfun_edge", "esp32", "disco_f746ng"}
VIRTUAL = {"virtual-m4", "virtual-m7", "native"}
MANIFESTS = {
    "nano33ble": "nordicnrf52-nano33ble.json",
    "sparkfun_edge": "apollo3blue-SparkFun_Edge_Development_Board.json",
    "esp32": "espressif32-esp32dev.json",
    "disco_f746ng": "ststm32-disco_f746ng.json",
}


def test_all_boards_present():
    boards = {b.id: b for b in all_boards()}
    assert set(boards) == REAL | VIRTUAL
    assert {b.id for b in boards.values() if b.kind == "real"} == REAL


@pytest.mark.parametrize("board_id", sorted(MANIFESTS))
def test_profile_agrees_with_platformio_manifest(board_id):
    path = SHARED / "reference" / "platformio-boards" / MANIFESTS[board_id]
    if not path.is_file():
        unavailable(f"{path} is not present")
    manifest = json.loads(path.read_text())
    b = get_board(board_id)
    platform, pio_board = path.stem.split("-", 1)
    assert b.platformio.board == pio_board
    # A registry platform pinned with @version, or a git-only platform named platform-<name>.
    assert b.platformio.platform.split("@")[0] == platform or f"platform-{platform}.git#" in b.platformio.platform
    assert b.platformio.framework in manifest["frameworks"]
    assert b.flash_bytes == manifest["upload"]["maximum_size"]
    assert b.ram_bytes == manifest["upload"]["maximum_ram_size"]
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
    assert features["esp32"] == {"fpu"} and features["native"] == set()
    # nano33ble: the platform's -mfloat-abi=soft is removed by build_unflags (see test_project), so the FPU is used
    assert {"dsp", "fpu"} <= features["nano33ble"] and "fpu_dp" not in features["disco_f746ng"]


def test_duplicate_alias_is_rejected(tmp_path):
    for b in all_boards():
        shutil.copy(b.source, tmp_path / b.source.name)
    dup = tmp_path / "esp32.toml"
    dup.write_text(dup.read_text().replace('"devkitc"', '"nano33blesense"'))
    with pytest.raises(BoardError, match="used by both"):
        all_boards(tmp_path)

"""The installed `tinyflash` command, run as a user runs it: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tflite_builder import tiny_dense


def tinyflash(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinyflash", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)  # fmt: skip


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert " — " in lines[0], "every error says what to do"
    for n in needles:
        assert n in lines[0]


def test_version_and_help():
    assert tinyflash("--version").stdout.startswith("tinyflash ")
    for cmd in ("inspect", "boards", "build", "flash", "monitor", "run", "stop"):
        proc = tinyflash(cmd, "--help")
        assert proc.returncode == 0 and "Usage" in proc.stdout


def test_inspect_json_hello_world_int8(hello_int8):
    proc = tinyflash("inspect", str(hello_int8), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["size_bytes"] == hello_int8.stat().st_size
    assert doc["ops"] == [{"name": "FULLY_CONNECTED", "count": 3, "custom": False}]
    (inp,) = doc["inputs"]
    assert inp["dtype"] == "int8" and inp["shape"] == [1, 1]
    assert round(inp["scale"], 7) == 0.0244801 and inp["zero_point"] == -128
    assert doc["arena_method"] == "probed" and doc["arena_bytes"] >= doc["arena_minimum_bytes"] == 1936
    assert doc["unsupported_ops"] == []


def test_person_detect_fits_nano33ble(person_detect):
    proc = tinyflash("inspect", str(person_detect), "--board", "nano33ble", "--json")
    assert proc.returncode == 0, proc.stderr
    fit = json.loads(proc.stdout)["fit"]
    assert fit["fits"] is True
    assert fit["ram_bytes"] < fit["ram_limit"] == 262_144
    assert fit["flash_bytes"] > person_detect.stat().st_size


def test_human_report_shows_bars(person_detect):
    proc = tinyflash("inspect", str(person_detect), "-b", "nano33ble")
    assert proc.returncode == 0
    assert "█" in proc.stdout and "fits" in proc.stdout


def test_too_big_model_exits_1(tmp_path):
    big = tmp_path / "big.tflite"
    big.write_bytes(tiny_dense(out_features=1200, in_features=300))  # 1.4 MB of float weights
    proc = tinyflash("inspect", str(big), "--board", "nano33ble", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["fit"]["fits"] is False
    assert proc.stderr.startswith("error: big.tflite cannot run on nano33ble: flash")


def test_boards_json_lists_all():
    ids = {b["id"] for b in json.loads(tinyflash("boards", "--json").stdout)}
    assert {"nano33ble", "sparkfun_edge", "esp32", "disco_f746ng", "virtual-m4", "virtual-m7", "native"} <= ids


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: d / "missing.tflite", "does not exist"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "empty.tflite", (d / "empty.tflite").write_bytes(b""))[0], "is empty"),
        (lambda d: (d / "r.tflite", (d / "r.tflite").write_bytes(bytes(range(256)) * 8))[0], "not a TFLite"),
    ],
)
def test_bad_model_paths(tmp_path, make, needle):
    assert_one_line_error(tinyflash("inspect", str(make(tmp_path))), 2, needle)


def test_boards_all_lists_the_known_unsupported_boards():
    plain = {b["id"] for b in json.loads(tinyflash("boards", "--json").stdout)}
    rows = json.loads(tinyflash("boards", "--all", "--json").stdout)
    refused = {r["id"]: r for r in rows if not r["supported"]}
    assert set(refused) == {"himax_we1", "arc_emsdp"} and not set(refused) & plain
    assert all(r["reason"] and r["needs"] for r in refused.values())
    assert {"wio_terminal", "esp_eye", "edgebadge", "cpb"} <= plain
    listing = tinyflash("boards", "--all").stdout
    assert "himax_we1" in listing and "arc_emsdp" in listing
    assert "himax_we1" not in tinyflash("boards").stdout


@pytest.mark.parametrize("name", ["himax_we1", "himax", "arc_emsdp"])
def test_an_unsupported_board_is_a_clear_error_not_unknown(name, hello_int8, tmp_path):
    proc = tinyflash("build", str(hello_int8), "--board", name, "--out", str(tmp_path / "p"), "--no-compile")
    assert_one_line_error(
        proc, 2, "is not supported: ", "pick a supported board (`tinyflash boards`); building for it would need "
    )
    assert "unknown board" not in proc.stderr and not (tmp_path / "p").exists()


def test_unknown_board(hello_int8):
    assert_one_line_error(tinyflash("inspect", str(hello_int8), "--board", "esp33"), 2, "unknown board", "esp32")


def test_debug_shows_traceback(tmp_path):
    proc = tinyflash("--debug", "inspect", str(tmp_path / "missing.tflite"))
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_fit_follows_the_runtime(person_detect):
    aot = json.loads(tinyflash("inspect", str(person_detect), "-b", "nano33ble", "--json").stdout)
    tflm = json.loads(tinyflash("inspect", str(person_detect), "-b", "nano33ble", "--runtime", "tflm", "--json").stdout)
    assert aot["fit"]["runtime"] == "aot" and tflm["fit"]["runtime"] == "tflm"
    assert aot["aot"]["supported"] and aot["aot"]["arena_bytes"] < aot["arena_bytes"]
    assert aot["fit"]["ram_bytes"] < tflm["fit"]["ram_bytes"]

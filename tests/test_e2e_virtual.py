"""End to end on the virtual boards: real PlatformIO (offline), the real ARM toolchain, real QEMU, real pyserial
over TCP — build → flash → monitor, with the board's output checked line by line against the TFLM reference."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from tinyflash.boards import get_board
from tinyflash.build import build
from tinyflash.flash import runner_for
from tinyflash.model import load_model
from tinyflash.monitor import MonitorOptions, open_url, read_lines
from tinyflash.ports import PortError
from tinyflash.project import BuildOptions
from tinyflash.reference import sine_steps
from tinyflash.report import inspect_model

pytestmark = pytest.mark.integration
SINE = REPO / "examples" / "sine_model.tflite"


@pytest.fixture(scope="session", autouse=True)
def pio_core(tmp_path_factory):
    """A fresh tinyflash PlatformIO core dir for the session: the offline bootstrap runs for real."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "g++"):
        require_tool(tool)
    core = tmp_path_factory.mktemp("pio-core")
    old = os.environ.get("TINYFLASH_PIO_CORE_DIR")
    os.environ["TINYFLASH_PIO_CORE_DIR"] = str(core)
    yield core
    if old is None:
        del os.environ["TINYFLASH_PIO_CORE_DIR"]
    else:
        os.environ["TINYFLASH_PIO_CORE_DIR"] = old


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("work")
    cwd = os.getcwd()
    os.chdir(d)
    yield d
    os.chdir(cwd)


@pytest.mark.parametrize("board_id", ["virtual-m4", "virtual-m7", "native"])
def test_sine_matches_reference(board_id, workdir):
    result = build(SINE, board_id, BuildOptions())
    assert result.plan.runtime == "aot" and result.plan.app == "sine"
    assert result.firmware is not None and result.firmware.is_file()
    board = get_board(board_id)
    if board.runner == "qemu":
        assert result.size is not None and result.size.flash_limit == board.flash_bytes
        assert result.size.ram_limit == board.ram_bytes
    runner = runner_for(result.project, board)
    flashed = runner.flash(None)
    try:
        n = 2 * board.inferences_per_cycle + 1
        got = []
        outcome = read_lines(lambda: open_url(flashed.target, board.baud), MonitorOptions(lines=n + 1, timeout=60),
                             got.append)  # fmt: skip
        assert outcome.exit_code == 0, outcome
    finally:
        assert runner.stop().ended >= 1
    assert not (result.project / ".tinyflash" / "run.json").exists()
    assert got[0].text.startswith(f"tinyflash: sine_model.tflite on {board_id} (aot), arena ")
    expected = [s.line for s in sine_steps(load_model(SINE), board.inferences_per_cycle, n)]
    assert [line.text for line in got[1:]] == expected


def test_flash_again_replaces_the_running_instance(workdir):
    result = build(SINE, "virtual-m4", BuildOptions())
    runner = runner_for(result.project, result.board)
    first = runner.flash(None)
    second = runner.flash(None)
    try:
        assert first.target != second.target
        with pytest.raises(PortError, match="nothing is listening"):  # the first instance is gone
            open_url(first.target, 115200)
    finally:
        runner.stop()


def test_exit_code_through_semihosting(tmp_path):
    """A firmware that prints and calls board_exit(3): the emulator ends with that code, output complete."""
    from tinyflash import platformio, virtual

    project = tmp_path / "exit"
    (project / "src").mkdir(parents=True)
    (project / "platformio.ini").write_text(
        f"[env:m4]\nplatform = {platformio.virtual_platform_spec()}\nboard = virtual_m4\n"
    )
    (project / "src" / "main.cc").write_text(
        '#include <string.h>\n#include "tinyflash_board.h"\n'
        'extern "C" void setup(void) {\n  board_init();\n'
        '  for (int i = 0; i < 3; ++i) board_write("line\\n", 5);\n  board_exit(3);\n}\n'
        'extern "C" void loop(void) {}\n'
    )
    (project / "src" / "tinyflash_board.h").write_text(
        (REPO / "firmware_templates/common/tinyflash_board.h").read_text()
    )
    platformio.ensure_offline_packages()
    built = platformio.run_pio(["run"], project_dir=project)
    assert built.returncode == 0, built.output[-2000:]
    running = virtual.start_qemu("mps2-an386", project / ".pio/build/m4/firmware.elf")
    got = []
    outcome = read_lines(lambda: open_url(f"socket://127.0.0.1:{running.port}", 115200),
                         MonitorOptions(timeout=30), got.append)  # fmt: skip
    assert [line.text for line in got] == ["line"] * 3 and outcome.reason == "closed"
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline and status is None:
        pid, raw = os.waitpid(running.pid, os.WNOHANG)
        status = os.waitstatus_to_exitcode(raw) if pid else None
        time.sleep(0.02)
    assert status == 3


def _cli(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tinyflash", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)  # fmt: skip


def _our_emulators(cwd: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "qemu-system-arm" in line and str(cwd) in line]


def test_cli_run_json_until_and_no_orphans(tmp_path):
    proc = _cli("run", "-b", "virtual-m4", str(SINE), "--json", "--until", r"x_value: 1\.5", "--timeout", "60",
                cwd=tmp_path)  # fmt: skip
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert docs[-1]["line"].startswith("x_value: 1.5") and docs[-1]["values"]["x_value"] > 1.5
    assert all("t" in d for d in docs)
    assert _our_emulators(tmp_path) == []


def test_cli_ctrl_c_during_monitor_leaves_nothing_running(tmp_path):
    build_proc = _cli("build", "-b", "virtual-m4", str(SINE), cwd=tmp_path)
    assert build_proc.wait(timeout=180) == 0
    log = tmp_path / "serial.log"
    proc = _cli("run", "-b", "virtual-m4", str(SINE), "--log", str(log), cwd=tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and log.read_text().count("\n") >= 5):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    # Lines in = lines logged, even when interrupted.
    assert len(out.splitlines()) == len(log.read_text().splitlines())
    assert _our_emulators(tmp_path) == []


def test_monitor_without_a_build_says_what_to_do(tmp_path):
    proc = _cli("monitor", cwd=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.startswith("error: no tinyflash build in this directory")


def test_monitor_when_the_virtual_board_is_not_running(tmp_path):
    assert _cli("build", "-b", "virtual-m4", str(SINE), cwd=tmp_path).wait(timeout=180) == 0
    proc = _cli("monitor", "--lines", "3", cwd=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "not running" in err and "tinyflash flash" in err


def test_rebuild_is_skipped_only_when_nothing_changed(workdir):
    first = build(SINE, "virtual-m4", BuildOptions())
    again = build(SINE, "virtual-m4", BuildOptions())
    assert again.seconds == 0.0 and again.size == first.size and again.firmware == first.firmware
    handler = first.project / "src" / "output_handler.cc"
    handler.write_text(handler.read_text().replace("x_value: ", "x: "))  # the user's edit
    edited = build(SINE, "virtual-m4", BuildOptions())
    assert edited.seconds > 0 and edited.written.kept_edits == ("src/output_handler.cc",)


@pytest.mark.parametrize(
    ("name", "board_id"),
    [
        ("person_detect.tflite", "virtual-m4"),
        ("micro_speech_quantized.tflite", "virtual-m4"),
        ("person_detect.tflite", "virtual-m7"),
        ("micro_speech_quantized.tflite", "virtual-m7"),
        ("micro_speech_quantized.tflite", "native"),
    ],
)
def test_inference_app_matches_reference(name, board_id, workdir):
    """A real model on an emulated Cortex-M4/M7 (DSP kernels) or the host (reference kernels): every printed output
    (raw int8) equals the TFLM reference's, and the time is printed to the tick."""
    from conftest import shared_model
    from tinyflash.reference import inference_lines

    path = shared_model(name)
    result = build(path, board_id, BuildOptions())
    assert result.plan.app == "inference" and result.plan.runtime == "aot"
    # `inspect --board` estimates the same build conservatively: never below what the linker reports.
    fit = inspect_model(load_model(path), result.board).fit
    assert fit.runtime == "aot"
    if result.board.runner == "qemu":
        assert result.size is not None
        assert result.size.flash_used <= fit.flash_bytes <= 1.5 * result.size.flash_used
        assert result.size.ram_used <= fit.ram_bytes
    runner = runner_for(result.project, result.board)
    flashed = runner.flash(None)
    try:
        got = []
        first_run = MonitorOptions(until=re.compile(r"^run: 0 inference_us: \d+"), timeout=120)
        outcome = read_lines(lambda: open_url(flashed.target, 115200), first_run, got.append)
    finally:
        runner.stop()
    assert outcome.exit_code == 0, [line.text for line in got]
    expected = inference_lines(load_model(path))
    assert [line.text for line in got[1:-1]] == expected
    if result.board.runner == "qemu":  # SysTick at 25 MHz: hundredths of a microsecond (40 instructions)
        assert re.fullmatch(r"run: 0 inference_us: \d+\.\d\d", got[-1].text), got[-1].text


def test_missing_toolchain_and_qemu_give_the_install_command(tmp_path):
    """With only the venv on PATH (no Debian toolchain, no QEMU) the user gets the apt-get line, not a traceback."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    build_proc = _cli("build", "-b", "virtual-m4", str(SINE), cwd=tmp_path, env=env)
    _, err = build_proc.communicate(timeout=120)
    assert build_proc.returncode == 2 and "Traceback" not in err
    assert "arm-none-eabi-gcc" in err and "apt-get install" in err and "qemu-system-arm" in err
    assert _cli("build", "-b", "virtual-m4", str(SINE), cwd=tmp_path).wait(timeout=180) == 0
    flash_proc = _cli("flash", cwd=tmp_path, env=env)
    _, err = flash_proc.communicate(timeout=60)
    assert flash_proc.returncode == 2 and "qemu-system-arm is not installed" in err and "apt-get install" in err

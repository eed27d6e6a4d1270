"""Virtual boards at run time: the tiny app built by real PlatformIO runs under real QEMU (and as a host program),
its serial output read with pyserial over loopback TCP, its exit code passed on — and nothing left running."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from test_platformio import (
    ENVS,
    EXIT_CODE,
    LINES,
    TINY_APP,
    TinyBuilds,
    expected_lines,
    require_virtual_tools,
    write_project,
)

from conftest import REPO
from tinyflash import platformio, virtual
from tinyflash.errors import StateError, ToolError
from tinyflash.monitor import open_url
from tinyflash.virtual import Running

pytestmark = pytest.mark.integration
MACHINES = {"virtual_m4": "mps2-an386", "virtual_m7": "mps2-an500"}


@pytest.fixture(scope="module")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyBuilds]:
    """The tiny app built once per board for the whole module, in a fresh tinyflash core dir."""
    require_virtual_tools()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYFLASH_PIO_CORE_DIR", str(tmp_path_factory.mktemp("pio-core")))
        platformio.ensure_offline_packages()
        flags = {b: [b, f"-DAPP_LINES={LINES}", f"-DAPP_EXIT={EXIT_CODE}"] for b in ENVS}
        builds = TinyBuilds(write_project(tmp_path_factory.mktemp("tiny"), TINY_APP, flags))
        for board in ENVS:
            builds(board)
        yield builds


@pytest.fixture
def instances() -> Iterator[list[Running]]:
    """Every instance a test starts goes here; teardown stops them and proves their process groups are gone,
    also when the test failed half-way."""
    started: list[Running] = []
    yield started
    for running in started:
        virtual.stop(running)
    leftovers = [r.command for r in started if virtual.group_alive(r.group)]
    assert not leftovers, f"processes left running: {leftovers}"


def start(firmware: TinyBuilds, board: str, instances: list[Running], **kwargs) -> Running:
    exe = firmware.firmware(board)
    running = (
        virtual.start_host(exe, **kwargs) if board == "native" else virtual.start_qemu(MACHINES[board], exe, **kwargs)
    )
    instances.append(running)
    return running


def read_all(port: int, timeout: float = 20.0) -> tuple[list[str], float]:
    """All lines until the board closes its serial port, and the seconds until the first line arrived."""
    stream = open_url(f"socket://127.0.0.1:{port}", 115200)
    opened, first, data = time.monotonic(), None, b""
    deadline = opened + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = stream.read(4096)
            except serial.SerialException:  # the board closed the port: end of output
                break
            data += chunk
            if first is None and b"\n" in data:
                first = time.monotonic() - opened
    finally:
        stream.close()
    return data.decode().splitlines(), first if first is not None else float("inf")


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == pgid:
            members.append(int(entry))
    return members


@pytest.mark.parametrize("board", list(ENVS))
def test_runs_prints_and_exits_with_its_code(firmware: TinyBuilds, board: str, instances: list[Running]) -> None:
    t0 = time.monotonic()
    running = start(firmware, board, instances)
    lines, first_line_s = read_all(running.port)
    assert virtual.wait_exit(running, timeout=10) == EXIT_CODE
    assert lines[:3] == expected_lines()
    steps = [re.fullmatch(r"line (\d+) us=(\d+)", line) for line in lines[3:]]
    assert all(steps) and [int(m[1]) for m in steps] == list(range(LINES)), lines
    micros = [int(m[2]) for m in steps]
    assert micros == sorted(micros)
    assert time.monotonic() - t0 < 10 and first_line_s < 5
    assert not virtual.is_alive(running)
    virtual.stop(running)  # idempotent on an instance that already ended
    virtual.stop(running)


def test_qemu_runs_are_identical(firmware: TinyBuilds, instances: list[Running]) -> None:
    """-icount makes virtual time a function of the instructions run, so even the timestamps repeat."""
    outputs = []
    for _ in range(2):
        running = start(firmware, "virtual_m4", instances)
        outputs.append(read_all(running.port)[0])
        assert virtual.wait_exit(running, timeout=10) == EXIT_CODE
    assert outputs[0] == outputs[1]


def test_waits_for_its_reader_and_stops_on_request(firmware: TinyBuilds, instances: list[Running]) -> None:
    port = virtual.free_port()
    running = start(firmware, "virtual_m7", instances, port=port)
    assert running.port == port and running.group == running.pid
    time.sleep(0.3)  # with no reader the firmware has not started, so it cannot have exited
    assert virtual.is_alive(running) and virtual.group_alive(running.group)
    assert virtual.stop(running) == 1
    assert not virtual.is_alive(running) and not virtual.group_alive(running.group)


def test_a_later_process_finds_and_stops_an_instance_from_its_record(
    firmware: TinyBuilds, instances: list[Running], tmp_path: Path
) -> None:
    """The CLI's flash and stop are separate processes: the first crashes here right after starting QEMU."""
    record = tmp_path / "run.json"
    script = textwrap.dedent(f"""
        import json, os
        from pathlib import Path
        from tinyflash import virtual
        running = virtual.start_qemu({MACHINES["virtual_m4"]!r}, Path({str(firmware.firmware("virtual_m4"))!r}))
        Path({str(record)!r}).write_text(json.dumps(running.to_json()))
        os._exit(1)
    """)
    subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=30, check=False)
    running = Running.from_json(json.loads(record.read_text()), str(record))
    instances.append(running)
    assert virtual.is_alive(running), "QEMU must outlive the process that started it"
    virtual.stop(running)
    assert not virtual.is_alive(running) and not virtual.group_alive(running.group)


def test_native_program_does_not_outlive_a_killed_relay(tmp_path: Path, instances: list[Running]) -> None:
    program = tmp_path / "forever.sh"
    program.write_text("#!/bin/sh\necho started\nexec sleep 60\n")
    program.chmod(0o755)
    running = virtual.start_host(program)
    instances.append(running)
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as reader:
        assert reader.recv(100) == b"started\n"
        os.kill(running.pid, signal.SIGKILL)  # the relay only, not its group
        assert virtual.wait_exit(running, timeout=5) == -signal.SIGKILL
        assert group_members(running.group), "the program should still run, orphaned"
        virtual.stop(running)
    assert not group_members(running.group)


def test_record_naming_a_stranger_never_signals_it(tmp_path: Path) -> None:
    """A record is only a pointer: a stranger's pid in it (with any instance id) is never signalled, because the
    stranger does not carry tinyflash's tags."""
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        record = Running(stranger.pid, 1, ("sleep", "30"), "", 0.0, "0123456789abcdef", str(tmp_path))
        assert not virtual.is_alive(record)
        assert virtual.stop(record) == 0
        time.sleep(0.1)
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_record_round_trips_and_damage_is_a_state_error() -> None:
    running = Running(1234, 5678, ("qemu-system-arm", "-M", "mps2-an386"), "/tmp/q.log", 1.5, "ab12", "/p")
    assert Running.from_json(json.loads(json.dumps(running.to_json())), "run.json") == running
    for damage in ({"pid": "1"}, {"port": 0}, {"port": 70000}, {"command": "qemu"}, {"instance": None}):
        with pytest.raises(StateError, match=r"run\.json is damaged"):
            Running.from_json({**running.to_json(), **damage}, "run.json")
    with pytest.raises(StateError):
        Running.from_json(["not", "an", "object"], "run.json")


def test_missing_qemu_or_firmware_is_a_tool_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="no program"):
        virtual.start_host(tmp_path / "missing")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError) as info:
        virtual.start_qemu("mps2-an386", tmp_path / "fw.elf")
    assert platformio.APT_INSTALL in info.value.hint

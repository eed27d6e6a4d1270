"""`--port labgrid:PLACE` against a real labgrid: a coordinator and an exporter started here on loopback, exporting
a virtual board's QEMU serial port as a NetworkSerialPort. The place's power switch and reset line are labgrid's own
drivers (``rest`` PDU, HttpDigitalOutput) talking HTTP to a stand-in for a network PDU — the one part that cannot
exist here — which switches the QEMU board off and on."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_platformio import LINES, TINY_APP, TinyBuilds, expected_lines, require_virtual_tools, write_project

from tinyflash import labgrid, platformio, virtual
from tinyflash.errors import DeviceError, ToolError
from tinyflash.labgrid import LabgridError, Resource
from tinyflash.monitor import MonitorOptions, open_url, read_lines

MACHINE = "mps2-an386"
PLACE = "tinyflash-m4"
EXPORTER = "tinyflash-test"

# --- the rules, without a coordinator ---


def test_port_spec_names_a_place_or_is_not_ours() -> None:
    assert labgrid.parse_port_spec("labgrid:rack-m4") == "rack-m4"
    assert labgrid.parse_port_spec("/dev/ttyACM0") is None
    assert labgrid.parse_port_spec("socket://127.0.0.1:4000") is None
    assert labgrid.parse_port_spec(None) is None
    for bad in ("labgrid:", "labgrid: rack", "labgrid:a/b", "labgrid:rack\x1b[2J"):
        with pytest.raises(LabgridError, match="names no labgrid place — write --port labgrid:PLACE"):
            labgrid.parse_port_spec(bad)


def test_coordinator_address_follows_labgrid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LG_COORDINATOR", raising=False)
    assert labgrid.coordinator_address() == "127.0.0.1:20408"
    monkeypatch.setenv("LG_COORDINATOR", "lab.example:4000")
    assert labgrid.coordinator_address() == "lab.example:4000"
    assert labgrid.coordinator_address("lab") == "lab:20408"
    assert labgrid.coordinator_address("[::1]:5000") == "[::1]:5000"
    assert labgrid.coordinator_address("::1") == "[::1]:20408"


def serial(name: str = "NetworkSerialPort", **params: object) -> Resource:
    return Resource(name, "NetworkSerialPort", {"host": "10.0.0.7", "port": 5000, "protocol": "raw", **params})


def test_serial_url_from_the_exporters_description() -> None:
    assert labgrid.serial_url("p", [serial()]) == "socket://10.0.0.7:5000"
    assert labgrid.serial_url("p", [serial(protocol="rfc2217")]) == "rfc2217://10.0.0.7:5000"
    assert labgrid.serial_url("p", [serial(host="fd00::7")]) == "socket://[fd00::7]:5000"
    assert labgrid.serial_url("p", [serial("debug", port=1), serial("default", port=2)]) == "socket://10.0.0.7:2"
    cases = {
        "has no serial port (NetworkSerialPort) — export one and match it": [],
        "has several serial ports (a, b) — name the board's console `default`": [serial("a"), serial("b")],
        "is not available — check its exporter": [Resource("s", "NetworkSerialPort", {}, avail=False)],
        "reachable only through its exporter's host lab-pi": [
            Resource("s", "NetworkSerialPort", serial().params, {"proxy": "lab-pi", "proxy_required": True})
        ],
        "is not usable": [serial(protocol="telnet")],
    }
    for message, resources in cases.items():
        with pytest.raises(LabgridError, match=message.replace("(", r"\(").replace(")", r"\)")):
            labgrid.serial_url("p", resources)


def test_recovery_resources_follow_labgrid_naming() -> None:
    pdu = Resource("NetworkPowerPort", "NetworkPowerPort", {"model": "rest", "host": "http://pdu/{index}", "index": 1})
    other = Resource("aux", "NetworkPowerPort", pdu.params)
    reset = Resource("reset", "HttpDigitalOutput", {"url": "http://io/reset"})
    boot = Resource("boot", "HttpDigitalOutput", {"url": "http://io/boot"})
    assert labgrid.power_switch([pdu, reset]) == pdu
    assert labgrid.power_switch([pdu, other]) is None  # which one? only a `default` would say
    assert labgrid.power_switch([pdu, Resource("default", "NetworkPowerPort", pdu.params)]).name == "default"
    assert labgrid.reset_line([boot, reset]) == reset
    assert labgrid.reset_line([boot]) is None
    gpio_reset = Resource("reset", "NetworkSysfsGPIO", {"index": 17})  # labgrid drives a GPIO as either
    assert labgrid.reset_line([gpio_reset]) == gpio_reset
    assert labgrid.power_switch([gpio_reset]) is None
    assert labgrid.power_switch([gpio_reset, pdu]) == pdu


def test_holders_are_named_for_people() -> None:
    ours = labgrid.Identity("ci-7", "runner+tinyflash-test-4242")
    assert labgrid.describe_holder(ours.name) == "`tinyflash test` (pid 4242) of runner on ci-7"
    assert labgrid.describe_holder("desk/alice") == "alice on desk"
    assert "since" in labgrid.describe_holder("desk/alice", time.time())


def test_each_process_has_its_own_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LG_HOSTNAME", "ci-7")
    monkeypatch.setenv("LG_USERNAME", "runner")
    assert labgrid.Identity.of_user().name == "ci-7/runner"
    assert labgrid.Identity.of_process("tinyflash test").name == f"ci-7/runner+tinyflash-test-{os.getpid()}"


def test_without_labgrid_the_error_is_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "labgrid", None)  # `import labgrid` now fails as if it were not installed
    with pytest.raises(ToolError) as caught, labgrid.acquire("rack", wait_s=0, command="tinyflash test"):
        pass
    assert str(caught.value) == (
        "labgrid is not installed (--port labgrid:PLACE needs it) — install it: pip install 'tinyflash[labgrid]'"
    )


def test_an_ssh_proxy_is_refused_before_anything_is_acquired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LG_PROXY", "gateway")
    with pytest.raises(LabgridError, match="LG_PROXY is set"), labgrid.acquire("p", wait_s=0, command="t"):
        pass


# --- a real coordinator and exporter ---


def require_labgrid() -> None:
    try:
        import labgrid.remote.client  # noqa: F401
    except ImportError:
        from conftest import unavailable

        unavailable("labgrid is not installed (pip install 'tinyflash[labgrid]')")


def tool(name: str) -> str:
    """A labgrid console script of this interpreter's environment (it need not be on PATH)."""
    return str(Path(sys.executable).with_name(name))


@dataclass
class Lab:
    """What the tests run against; everything here was started by the `lab` fixture and is ended by it."""

    coordinator: str
    coordinator_process: subprocess.Popen | None
    serial_port: int
    elf: Path
    log: Path
    board: virtual.Running | None = None
    #: (what, value, monotonic time) for every request the stand-in PDU received.
    switched: list[tuple[str, str, float]] = field(default_factory=list)

    def power(self, on: bool) -> None:
        """The board's supply: off ends QEMU, on starts it again on the same serial port."""
        if self.board is not None:
            virtual.stop(self.board)
            self.board = None
        if on:
            self.board = virtual.start_qemu(MACHINE, self.elf, self.log, port=self.serial_port)

    def client(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """labgrid-client as a person runs it (their plain identity)."""
        cmd = [tool("labgrid-client"), "-x", self.coordinator, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=check)

    def state(self, place: str = PLACE) -> tuple[str | None, list[str]]:
        """(who has the place acquired, the owners of reservations still open), asked afresh."""
        with labgrid._Coordinator(self.coordinator, labgrid.Identity("tests", "observer")) as coord:
            coord._sync()
            acquired = coord._session.places[place].acquired
            reply = coord._run(coord._session.stub.GetReservations(coord._pb.GetReservationsRequest()), "list")
            return acquired, [r.owner for r in reply.reservations]


def accepts(port: int) -> bool:
    """Does something accept connections on 127.0.0.1:port? (gRPC listens on a dual-stack IPv6 socket.)"""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not within {timeout} s"
        time.sleep(0.05)


class StandInPDU(http.server.BaseHTTPRequestHandler):
    """The HTTP side of a network PDU and a relay board, as labgrid's ``rest`` power model and HttpDigitalOutput
    speak to them: PUT /power/0 with 0 or 1; PUT /reset with 1 (assert: board held off) or 0 (release: it boots)."""

    lab: Lab

    def do_PUT(self) -> None:
        value = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.lab.switched.append((self.path, value, time.monotonic()))
        if self.path == "/power/0":
            self.lab.power(value == "1")
        elif self.path == "/reset":
            self.lab.power(value == "0")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """TINY_APP for virtual-m4 (prints its lines, then exits), built once in a fresh tinyflash core dir."""
    require_virtual_tools()
    require_labgrid()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYFLASH_PIO_CORE_DIR", str(tmp_path_factory.mktemp("pio-core")))
        platformio.ensure_offline_packages()
        flags = {"virtual_m4": ["virtual_m4", f"-DAPP_LINES={LINES}", "-DAPP_EXIT=0"]}
        builds = TinyBuilds(write_project(tmp_path_factory.mktemp("tiny"), TINY_APP, flags))
        builds("virtual_m4")
        yield builds.firmware("virtual_m4")


@pytest.fixture(scope="module")
def lab(firmware: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A coordinator and an exporter on loopback (ephemeral ports, a temp dir), the place, the board and its PDU."""
    root = tmp_path_factory.mktemp("labgrid")
    coordinator_port, serial_port = virtual.free_port(), virtual.free_port()
    pdu = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandInPDU)
    pdu_url = f"http://127.0.0.1:{pdu.server_address[1]}"
    (root / "exporter.yaml").write_text(
        f"""\
board:
  NetworkSerialPort:
    host: 127.0.0.1
    port: {serial_port}
    protocol: raw
  NetworkPowerPort:
    model: rest
    host: '{pdu_url}/power/{{index}}'
    index: 0
  reset:
    cls: HttpDigitalOutput
    url: {pdu_url}/reset
    body_asserted: '1'
    body_deasserted: '0'
"""
    )
    lab = Lab(f"127.0.0.1:{coordinator_port}", None, serial_port, firmware, root / "qemu.log")
    StandInPDU.lab = lab
    threading.Thread(target=pdu.serve_forever, daemon=True).start()
    started: list[subprocess.Popen] = []

    def start(cmd: list[str], log: str) -> None:
        with (root / log).open("w") as out:
            started.append(subprocess.Popen(cmd, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True))  # fmt: skip

    try:
        start([tool("labgrid-coordinator"), "-l", lab.coordinator], "coordinator.log")
        lab.coordinator_process = started[0]
        wait_until(lambda: accepts(coordinator_port), 20, "the coordinator")
        start([tool("labgrid-exporter"), "-c", lab.coordinator, "-n", EXPORTER, "exporter.yaml"], "exporter.log")
        lab.client("-p", PLACE, "create")
        lab.client("-p", PLACE, "add-match", f"{EXPORTER}/board/*/*")
        lab.client("-p", PLACE, "add-alias", "m4-alias")

        def exported() -> bool:
            with labgrid._Coordinator(lab.coordinator, labgrid.Identity("tests", "observer")) as coord:
                coord._sync()
                return len(coord._session.resources.get(EXPORTER, {}).get("board", {})) == 3

        wait_until(exported, 20, "the exporter's resources")
        lab.power(True)
        yield lab
    finally:
        lab.power(False)
        pdu.shutdown()
        for proc in started:  # only what this fixture started, by its own process group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def read_board(url: str) -> list[str]:
    """Everything the board prints until it exits, read through the place's URL as `tinyflash monitor` reads."""
    lines: list[str] = []
    result = read_lines(lambda: open_url(url, 115200), MonitorOptions(timeout=20), lambda line: lines.append(line.text))
    assert result.reason == "closed", (result, lines)
    assert lines[:3] == expected_lines() and len(lines) == 3 + LINES, lines
    return lines


HOLDER = r"""
import sys, time
from tinyflash import labgrid, signals
from tinyflash.errors import Interrupted

signals.install()
place, coordinator, hold_s, wait_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
try:
    with labgrid.acquire(place, wait_s=wait_s, command="tinyflash holder", coordinator=coordinator) as target:
        print("acquired", target.url, flush=True)
        time.sleep(hold_s)
except Interrupted as exc:
    sys.exit(exc.exit_code)
"""


def start_holder(lab: Lab, hold_s: float, wait_s: float = 10, acquired: bool = True) -> subprocess.Popen:
    """Another tinyflash process (same user, same host) that acquires the place, holds it, and says so."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, PLACE, lab.coordinator, str(hold_s), str(wait_s)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    if acquired:
        line = proc.stdout.readline()
        assert line.startswith("acquired socket://"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


@pytest.mark.integration
def test_acquire_reads_the_board_through_the_place_then_releases(lab: Lab) -> None:
    lab.power(True)
    with labgrid.acquire(PLACE, wait_s=5, command="tinyflash monitor", coordinator=lab.coordinator) as target:
        assert target.place == PLACE and not target.borrowed
        assert target.url == f"socket://127.0.0.1:{lab.serial_port}"
        assert target.power_cycle is not None and target.reset is not None
        holder, reservations = lab.state()
        assert holder == labgrid.Identity.of_process("tinyflash monitor").name
        assert reservations == [holder]  # ours, now acquired: it keeps others queued behind us
        read_board(target.url)
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_an_alias_names_the_place_too(lab: Lab) -> None:
    with labgrid.acquire("m4-alias", wait_s=5, command="tinyflash test", coordinator=lab.coordinator) as target:
        assert target.place == PLACE
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_power_cycle_and_reset_restart_the_board_through_labgrid_drivers(lab: Lab) -> None:
    lab.power(True)
    with labgrid.acquire(PLACE, wait_s=5, command="tinyflash test", coordinator=lab.coordinator) as target:
        first = read_board(target.url)  # the firmware prints its lines and exits: the board is now silent
        lab.switched.clear()
        target.power_cycle()
        assert [(what, value) for what, value, _ in lab.switched] == [("/power/0", "0"), ("/power/0", "1")]
        assert lab.switched[1][2] - lab.switched[0][2] >= 1.9  # labgrid's power driver waits 2 s with power off
        assert read_board(target.url)[:3] == first[:3]  # booted again
        lab.switched.clear()
        target.reset()
        assert [(what, value) for what, value, _ in lab.switched] == [("/reset", "1"), ("/reset", "0")]
        assert labgrid.RESET_PULSE_S <= lab.switched[1][2] - lab.switched[0][2] < 1.0
        assert read_board(target.url)[:3] == first[:3]


@pytest.mark.integration
def test_a_busy_place_waits_then_names_its_holder_and_is_taken_once_freed(lab: Lab) -> None:
    holder = start_holder(lab, hold_s=3.0)
    t0 = time.monotonic()
    try:
        with (
            pytest.raises(LabgridError) as busy,
            labgrid.acquire(PLACE, wait_s=0.5, command="tinyflash flash", coordinator=lab.coordinator),
        ):
            pass
        assert 0.5 <= time.monotonic() - t0 < 3
        assert f"labgrid place {PLACE} is in use by `tinyflash holder` (pid {holder.pid}, since " in busy.value.message
        assert busy.value.message.endswith(f"on {labgrid.Identity.of_user().host} (waited 0.5 s)")
        assert busy.value.exit_code == 2
        # Waiting long enough, we get the place as the holder gives it back — not at the coordinator's next
        # scheduling round, 15 s later, which is what releasing before cancelling the reservation would cost.
        with labgrid.acquire(PLACE, wait_s=20, command="tinyflash flash", coordinator=lab.coordinator):
            assert time.monotonic() - t0 < 10
            assert holder.wait(timeout=10) == 0  # it released the place by itself, and ended
            assert lab.state()[0] == labgrid.Identity.of_process("tinyflash flash").name
    finally:
        holder.kill()
        holder.wait()
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_sigterm_releases_the_place_and_drops_a_waiters_reservation(lab: Lab) -> None:
    holder = start_holder(lab, hold_s=60)
    waiter = start_holder(lab, hold_s=0, wait_s=60, acquired=False)
    try:
        first = lab.state()
        assert first[0] is not None and first[1] == [first[0]]
        wait_until(lambda: len(lab.state()[1]) == 2, 20, "the waiter's reservation")
        waiter.send_signal(signal.SIGTERM)  # while it waits in the queue
        assert waiter.wait(timeout=15) == 128 + signal.SIGTERM, waiter.stderr.read()
        assert lab.state() == first  # its reservation is gone; the holder's acquisition untouched
        holder.send_signal(signal.SIGTERM)  # while it holds the place
        assert holder.wait(timeout=15) == 128 + signal.SIGTERM, holder.stderr.read()
        assert holder.stderr.read() == waiter.stderr.read() == ""  # nothing but the exit code
    finally:
        for proc in (holder, waiter):
            proc.kill()
            proc.wait()
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_an_error_in_the_body_still_releases(lab: Lab) -> None:
    with pytest.raises(RuntimeError, match="boom"):  # noqa: SIM117 - the error must come from inside the body
        with labgrid.acquire(PLACE, wait_s=5, command="tinyflash test", coordinator=lab.coordinator):
            raise RuntimeError("boom")
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_nested_acquisitions_share_one(lab: Lab) -> None:
    with labgrid.acquire(PLACE, wait_s=5, command="tinyflash run", coordinator=lab.coordinator) as outer:
        with labgrid.acquire(PLACE, wait_s=0, command="tinyflash run", coordinator=lab.coordinator) as inner:
            assert inner is outer
        assert lab.state()[0] is not None  # the inner one ending does not release the outer one's place
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_a_place_you_acquired_yourself_is_used_and_left_to_you(lab: Lab) -> None:
    lab.client("-p", PLACE, "acquire")  # as labgrid users work: acquire by hand, then run tools
    try:
        with labgrid.acquire(PLACE, wait_s=0, command="tinyflash monitor", coordinator=lab.coordinator) as target:
            assert target.borrowed and target.url == f"socket://127.0.0.1:{lab.serial_port}"
        assert lab.state() == (labgrid.Identity.of_user().name, [])
    finally:
        lab.client("-p", PLACE, "release")
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_unknown_places_and_missing_coordinators_are_one_line_errors(lab: Lab) -> None:
    with (
        pytest.raises(LabgridError) as unknown,
        labgrid.acquire("nope", wait_s=0, command="t", coordinator=lab.coordinator),
    ):
        pass
    assert str(unknown.value) == (
        f"the labgrid coordinator at {lab.coordinator} has no place nope (places: {PLACE}) — "
        "create it: labgrid-client -p nope create, then add-match its resources"
    )
    nobody = f"127.0.0.1:{virtual.free_port()}"
    with pytest.raises(LabgridError) as missing, labgrid.acquire(PLACE, wait_s=0, command="t", coordinator=nobody):
        pass
    assert str(missing.value) == (
        f"cannot reach the labgrid coordinator at {nobody} — "
        "start it (labgrid-coordinator), or set LG_COORDINATOR to its HOST:PORT"
    )


@pytest.mark.integration
def test_a_release_that_fails_keeps_the_commands_own_error_and_says_how_to_release(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordinator stops answering while the place is held (frozen with SIGSTOP): the error that ended the
    command is still the one raised, its hint tells of the failed release, and the commands it gives free the place."""
    monkeypatch.setattr(labgrid, "CALL_TIMEOUT_S", 1.0)
    assert lab.coordinator_process is not None
    pid = lab.coordinator_process.pid
    with pytest.raises(DeviceError) as caught:  # noqa: SIM117 - the error comes from inside the body
        with labgrid.acquire(PLACE, wait_s=5, command="tinyflash test", coordinator=lab.coordinator):
            os.kill(pid, signal.SIGSTOP)
            raise DeviceError("no answer from the board before --timeout", "check it")
    os.kill(pid, signal.SIGCONT)
    me = labgrid.Identity.of_process("tinyflash test").name
    assert caught.value.message == "no answer from the board before --timeout"
    assert caught.value.exit_code == 4
    assert caught.value.hint.startswith(
        f"check it; also, could not release labgrid place {PLACE}: the labgrid coordinator at {lab.coordinator} "
        f"did not answer (connect) in 1 s — do it by hand: labgrid-client -x {lab.coordinator} cancel-reservation "
    )
    assert caught.value.hint.endswith(f" && labgrid-client -x {lab.coordinator} -p {PLACE} release-from {me}")
    assert "\n" not in str(caught.value)
    assert lab.state() == (me, [me])
    for command in caught.value.hint.split(" — do it by hand: ")[1].split(" && "):
        subprocess.run([tool("labgrid-client"), *command.split()[1:]], check=True, capture_output=True, timeout=60)
    assert lab.state() == (None, [])


def _cli(lab: Lab, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, LG_COORDINATOR=lab.coordinator)
    return subprocess.run([sys.executable, "-m", "tinyflash", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=lab.log.parent)  # fmt: skip


@pytest.mark.integration
def test_monitor_through_a_place_and_the_place_is_free_afterwards(lab: Lab) -> None:
    lab.power(True)
    proc = _cli(lab, "monitor", "--port", f"labgrid:{PLACE}", "--lines", "3", "--timeout", "30")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == expected_lines()
    assert lab.state() == (None, [])


@pytest.mark.integration
def test_tinyflash_test_through_a_place_proves_the_board_it_cannot_flash(lab: Lab) -> None:
    """The place's board runs the validate firmware (flashed on its host, here: started by the lab); the test run
    goes through the place — no upload — and is bit-exact; `flash` through a place is a clear error."""
    from conftest import shared_model

    model = shared_model("hello_world_int8.tflite")
    work = lab.log.parent / "validate"
    built = _cli(lab, "build", "-b", "virtual-m4", str(model), "--app", "validate", "--out", str(work))
    assert built.returncode == 0, built.stderr
    tiny = lab.elf
    lab.elf = work / ".pio/build/virtual-m4/firmware.elf"
    try:
        lab.power(True)
        report = lab.log.parent / "report.json"
        proc = _cli(lab, "test", str(model), "-b", "virtual-m4", "--port", f"labgrid:{PLACE}", "--random", "20",
                    "--out", str(work), "--json", str(report))  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        data = __import__("json").loads(report.read_text())
        assert data["status"] == "passed" and data["summary"]["vectors"] == 20
        assert [c["status"] for c in data["cases"] if c["name"] == "flash"] == ["skipped"]
        assert lab.state() == (None, [])
        flash = _cli(lab, "flash", "--project", str(work), "--port", f"labgrid:{PLACE}")
        assert flash.returncode == 2 and "cannot upload through a labgrid place" in flash.stderr
    finally:
        lab.elf = tiny
        lab.power(True)


pytest_plugins = ["pytester"]


@pytest.mark.integration
def test_a_rack_entry_naming_a_place_is_a_dut(lab: Lab, pytester: pytest.Pytester, monkeypatch) -> None:
    """The pytest plugin with a rack whose board is a labgrid place: the test reads it through the place. (The
    place's board runs the sine app, flashed "on its host" — started by the lab — and runs forever.)"""
    sine = Path(__file__).resolve().parents[1] / "examples" / "sine_model.tflite"
    work = lab.log.parent / "sine"
    built = _cli(lab, "build", "-b", "virtual-m4", str(sine), "--out", str(work))
    assert built.returncode == 0, built.stderr
    monkeypatch.setenv("LG_COORDINATOR", lab.coordinator)
    tiny = lab.elf
    lab.elf = work / ".pio/build/virtual-m4/firmware.elf"
    try:
        lab.power(True)
        rack = pytester.path / "rack.toml"
        rack.write_text(f'[[board]]\nname = "remote-m4"\nboard = "virtual-m4"\nplace = "{PLACE}"\n')
        pytester.makepyfile(f"""
import pytest

@pytest.mark.tinyflash(model={str(sine)!r}, app="sine")
def test_remote(dut):
    dut.expect(r"^x_value: \\d+\\.\\d{{6}} y_value: ")
""")
        result = pytester.runpytest_subprocess("--tinyflash-rack", str(rack), "--tinyflash-board", "virtual-m4",
                                               "-p", "no:cacheprovider", "-p", "no:labgrid", timeout=300)  # fmt: skip
        result.assert_outcomes(passed=1)
        assert lab.state() == (None, [])
    finally:
        lab.elf = tiny
        lab.power(True)

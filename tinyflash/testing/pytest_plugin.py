"""The tinyflash pytest plugin: a board is a fixture, real or virtual is a detail.

    pytest --tinyflash-board virtual-m4 --tinyflash-model model.tflite
    pytest --tinyflash-rack tinyflash-rack.toml -n 4          # several boards, pytest-xdist workers sharing them

Fixtures: ``tinyflash_board`` (the profile), ``firmware`` (built once per session per model/board/app/runtime,
shared between xdist workers) and ``dut`` (the running board: ``expect``, ``expect_exact``, ``read_lines``,
``write``, and over the validate app ``infer`` and ``run_vectors``). Per test:
``@pytest.mark.tinyflash(board=..., model=..., app=..., runtime=...)``.

Why not pytest-embedded's Dut: it reads the port in a background process into a pexpect buffer, which would
swallow the validate protocol's binary frames on the same port, and its services are discovered as separate
``pytest_embedded_<name>`` packages around ESP-IDF/Arduino build layouts. tinyflash already owns a lossless,
frame-aware reader (the one `tinyflash test` uses); ``dut.expect`` is a regular expression over its text lines.

Real boards come from the rack (``--tinyflash-rack``, pinned by USB serial number) or ``--tinyflash-port``; each
test holds its board's lock for its whole duration, so workers and other users wait for each other. A board is
flashed again only when another build ran on it since. Infrastructure failures (the upload failed, the port
vanished) are retried once and reported as flaky; a board that fails again is marked broken and the tests that
need it skip, instead of failing one after another. Wrong numbers are never retried.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..errors import DeviceError, FlashFailed, TinyflashError
from ..ports import PortError

EXPECT_TIMEOUT_S = 30.0
BOARD_WAIT_S = 300.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinyflash", "tinyflash: models on real or virtual boards")
    group.addoption("--tinyflash-board", help="Board id for tests that do not name one (e.g. virtual-m4).")
    group.addoption("--tinyflash-port", help="Port of that board: a device, serial:NUMBER or name:RACK_NAME.")
    group.addoption("--tinyflash-rack", type=Path, help="Rack file: the boards tests may use (tinyflash-rack.toml).")
    group.addoption("--tinyflash-model", type=Path, help="Model for tests that do not name one.")
    group.addoption("--tinyflash-strict", action="store_true",
                    help="Fail, rather than skip, a test whose board is not in the rack.")  # fmt: skip
    group.addoption("--tinyflash-build-dir", type=Path, default=Path("tinyflash-build/pytest"),
                    help="Where the firmware projects go (shared by xdist workers).")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tinyflash(board=None, model=None, app=None, runtime=None): what this test runs on the board"
    )
    config.stash[_STATE] = _State(config)


@dataclass
class _State:
    """Per pytest process (each xdist worker has its own): builds done, boards found broken."""

    config: pytest.Config
    builds: dict[tuple, Any] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # rack name or port -> why

    def option(self, name: str) -> Any:
        return self.config.getoption(f"tinyflash_{name}")


_STATE = pytest.StashKey[_State]()


@dataclass(frozen=True)
class Wants:
    """What a test asked for: its marker, else the command-line defaults."""

    board: str
    model: Path
    app: str
    runtime: str


def _wants(request: pytest.FixtureRequest) -> Wants:
    state = request.config.stash[_STATE]
    marker = request.node.get_closest_marker("tinyflash")
    kw = dict(marker.kwargs) if marker else {}
    board = kw.get("board") or state.option("board")
    model = kw.get("model") or state.option("model")
    if not board:
        pytest.fail("no board: pass --tinyflash-board ID or mark the test @pytest.mark.tinyflash(board=...)")
    if not model:
        pytest.fail("no model: pass --tinyflash-model FILE or mark the test @pytest.mark.tinyflash(model=...)")
    model = Path(model)
    if not model.is_absolute():
        model = Path(request.config.rootpath) / model
    return Wants(str(board), model, kw.get("app", "auto"), kw.get("runtime", "auto"))


@pytest.fixture
def tinyflash_board(request: pytest.FixtureRequest):
    """The board profile this test runs on. A real board that is neither in the rack nor given by --tinyflash-port
    skips the test (fails it with --tinyflash-strict) before anything is built for it."""
    from ..boards import get_board

    state = request.config.stash[_STATE]
    board = get_board(_wants(request).board)
    if not board.is_virtual and not _rack_entries(state, board) and not state.option("port"):
        why = f"no {board.id} in the rack (--tinyflash-rack) and no --tinyflash-port"
        pytest.fail(why) if state.option("strict") else pytest.skip(why)
    return board


@dataclass(frozen=True)
class Firmware:
    wants: Wants
    project: Path
    firmware: Path
    app: str
    runtime: str
    build_id: int
    model_sha256: str


@pytest.fixture
def firmware(request: pytest.FixtureRequest, tinyflash_board) -> Firmware:
    """The test's firmware, built once per session (and shared with other xdist workers through the build folder's
    lock and its up-to-date check)."""
    from ..build import build
    from ..project import BuildOptions

    state = request.config.stash[_STATE]
    wants = _wants(request)
    key = (str(wants.model), tinyflash_board.id, wants.app, wants.runtime)
    if key not in state.builds:
        root = state.option("build_dir")
        if not root.is_absolute():
            root = Path(request.config.rootpath) / root
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{wants.model.stem}-{tinyflash_board.id}-{wants.app}-{wants.runtime}")
        result = build(wants.model, tinyflash_board.id, BuildOptions(app=wants.app, runtime=wants.runtime),
                       out=root / name, remember=False, lock_wait=BOARD_WAIT_S)  # fmt: skip
        if result.firmware is None:
            pytest.fail(f"the build for {tinyflash_board.id} produced no firmware (log: {result.log})")
        state.builds[key] = Firmware(wants, result.project, result.firmware, result.plan.app, result.plan.runtime,
                                     result.plan.build_id, _sha(wants.model))  # fmt: skip
    return state.builds[key]


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


class DutError(AssertionError):
    """An expectation the board did not meet: shown by pytest as a failure, with the board's last lines."""


class Dut:
    """The board running the test's firmware, as a test sees it."""

    def __init__(self, name: str, board, fw: Firmware, stream, log_path: Path) -> None:
        from .link import ExchangeLog, Link

        self.name, self.board, self.firmware, self.log_path = name, board, fw, log_path
        self.log = ExchangeLog(log_path)
        self.link = Link(stream, self.log)
        self.lines: list[str] = []  # every line received so far
        self._seen = 0  # lines already consumed by expect/read_lines
        self.link.on_line = self.lines.append
        self._info = None
        self._vector = 0

    # --- text ---

    def _fail(self, what: str) -> DutError:
        tail = "\n".join(f"  | {line}" for line in self.lines[-15:]) or "  (nothing received)"
        return DutError(f"{self.name}: {what}\nlast lines from the board:\n{tail}\nfull log: {self.log_path}")

    def _pump_until(self, done, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            found = done()
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.link.pump(min(left, 0.05))

    def expect(self, pattern: str | re.Pattern[str], timeout: float = EXPECT_TIMEOUT_S) -> re.Match[str]:
        """The first line from here on that matches ``pattern`` (a regular expression)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern

        def find():
            while self._seen < len(self.lines):
                m = regex.search(self.lines[self._seen])
                self._seen += 1
                if m:
                    return m
            return None

        match = self._pump_until(find, timeout)
        if match is None:
            raise self._fail(f"no line matched {regex.pattern!r} within {timeout:g} s")
        return match

    def expect_exact(self, text: str, timeout: float = EXPECT_TIMEOUT_S) -> str:
        """The first line from here on that contains ``text`` literally."""
        return self.expect(re.escape(text), timeout).string

    def read_lines(self, count: int, timeout: float = EXPECT_TIMEOUT_S) -> list[str]:
        """The next ``count`` lines."""

        def enough():
            return True if len(self.lines) - self._seen >= count else None

        if self._pump_until(enough, timeout) is None:
            raise self._fail(f"{count} lines expected within {timeout:g} s, {len(self.lines) - self._seen} arrived")
        got = self.lines[self._seen : self._seen + count]
        self._seen += count
        return got

    def write(self, data: bytes | str) -> None:
        self.link.stream.write(data.encode() if isinstance(data, str) else data)

    # --- the validate app ---

    def _model(self):
        from ..model import load_model

        return load_model(self.firmware.wants.model)

    def _handshake(self):
        if self.firmware.app != "validate":
            raise self._fail(f"infer() and run_vectors() need app='validate' (this firmware runs {self.firmware.app})")
        if self._info is None:
            from .run import check_device

            self._info = self.link.hello(15)
            check_device(self._info, self._model())
        return self._info

    def infer(self, inputs: list[np.ndarray] | np.ndarray) -> list[np.ndarray]:
        """Run one input vector on the board (the model's own types and shapes) and return its outputs."""
        from .run import run_vector

        info = self._handshake()
        model = self._model()
        values = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        arrays = [np.asarray(v, dtype=t.dtype).reshape(t.shape) for v, t in zip(values, model.inputs, strict=True)]
        _, outputs = run_vector(self.link, info, model, self._vector, arrays)
        self._vector += 1
        return outputs

    def run_vectors(self, vectors: Path | None = None, random: int = 100, seed: int = 0,
                    tolerance: str | None = None, metrics: tuple[str, ...] = ()):  # fmt: skip
        """What `tinyflash test` does, on this board: returns the report (``.status == "passed"`` to assert)."""
        from .. import __version__
        from .compare import parse_gates, parse_tolerance
        from .report import TestReport
        from .run import judge, reference_outputs, session
        from .vectors import load_vectors, random_vectors

        if self.firmware.app != "validate":
            raise self._fail(f"run_vectors() needs app='validate' (this firmware runs {self.firmware.app})")
        model = self._model()
        chosen = load_vectors(vectors, model) if vectors else random_vectors(model, random, seed)
        report = TestReport(board=self.board.id, model=str(self.firmware.wants.model), tinyflash=__version__)
        reference = reference_outputs(model, chosen, report)
        self._info = None  # the session starts with its own handshake
        session(report, self.link, model, chosen, reference, parse_tolerance(tolerance))
        judge(report, parse_gates(list(metrics)))
        return report

    def close(self) -> None:
        self.link.stream.close()
        self.log.close()


def _log_path(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.rootpath) / "tinyflash-build" / "pytest-logs"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    return folder / f"{safe}.log"


@pytest.fixture
def dut(request: pytest.FixtureRequest, tinyflash_board, firmware: Firmware) -> Iterator[Dut]:
    """The board, running ``firmware``, from its first line of output: a fresh emulator for a virtual board; a
    board from the rack (held for the whole test, flashed if another build ran on it since) for a real one."""
    log_path = _log_path(request)
    request.node.user_properties.append(("board", tinyflash_board.id))
    request.node.user_properties.append(("model_sha256", firmware.model_sha256))
    request.node.user_properties.append(("log", str(log_path)))
    if tinyflash_board.is_virtual:
        with _virtual(request, tinyflash_board, firmware, log_path) as device:
            yield device
    else:
        with _real(request, tinyflash_board, firmware, log_path) as device:
            yield device


def _virtual(request, board, fw: Firmware, log_path: Path):
    from contextlib import ExitStack, contextmanager

    from .. import virtual
    from ..monitor import open_url

    state = request.config.stash[_STATE]

    @contextmanager
    def started() -> Iterator[Dut]:
        with ExitStack() as stack:
            entries = _rack_entries(state, board)
            if entries:  # a "virtual rack": these instances are shared like real boards
                entry = stack.enter_context(_pick(state, entries, request))
                request.node.user_properties.append(("rack_name", entry.name))
                if entry.place:
                    yield _through_place(stack, entry, board, fw, log_path)
                    return
            instance_dir = log_path.with_suffix("")  # tags the emulator: nothing else can stop it
            instance_dir.mkdir(parents=True, exist_ok=True)
            if board.runner == "qemu":
                running = virtual.start_qemu(board.qemu_machine, fw.firmware, instance_dir / "qemu.log",
                                             project=instance_dir)  # fmt: skip
            else:
                running = virtual.start_host(fw.firmware, instance_dir / "native.log", project=instance_dir)
            stack.callback(virtual.stop, running)
            stream = open_url(f"socket://127.0.0.1:{running.port}", board.baud)
            device = Dut(board.id, board, fw, stream, log_path)
            stack.callback(device.close)
            yield device

    return started()


def _rack_entries(state: _State, board) -> list:
    from ..rack import load_rack

    path = state.option("rack")
    return [e for e in load_rack(path) if e.board == board.id] if path else []


def _pick(state: _State, entries: list, request):
    """Hold one free entry of the rack (waiting for one when all are busy); broken ones are skipped."""
    from contextlib import ExitStack, contextmanager

    from ..errors import StateError
    from ..rack import board_lock

    @contextmanager
    def held():
        usable = [e for e in entries if e.name not in state.broken]
        if not usable:
            why = "; ".join(f"{n}: {w}" for n, w in state.broken.items())
            pytest.skip(f"every {entries[0].board} in the rack is marked broken ({why})")
        deadline = time.monotonic() + BOARD_WAIT_S
        while True:
            for entry in usable:
                stack = ExitStack()
                try:
                    stack.enter_context(board_lock(entry.lock_key, f"pytest {request.node.nodeid}", wait_s=0))
                except StateError as exc:
                    if "is in use by" not in exc.message:
                        raise
                    continue
                with stack:
                    yield entry
                return
            if time.monotonic() > deadline:
                pytest.fail(f"no {entries[0].board} of the rack became free within {BOARD_WAIT_S:g} s")
            time.sleep(0.2)

    return held()


def _real(request, board, fw: Firmware, log_path: Path):
    from contextlib import ExitStack, contextmanager

    from ..flash import runner_for
    from ..monitor import open_url
    from ..rack import RackEntry, board_lock, key_for

    state = request.config.stash[_STATE]

    @contextmanager
    def attached() -> Iterator[Dut]:
        with ExitStack() as stack:
            entries = _rack_entries(state, board)
            port = state.option("port")
            if entries:
                entry = stack.enter_context(_pick(state, entries, request))
                port = entry.port_spec
                request.node.user_properties.append(("rack_name", entry.name))
                request.node.user_properties.append(("serial_number", entry.serial))
            else:  # --tinyflash-port (tinyflash_board skipped the test when neither is given)
                entry = RackEntry(port, board.id)
                stack.enter_context(board_lock(key_for(board, port), f"pytest {request.node.nodeid}", BOARD_WAIT_S))
            if entry.name in state.broken:
                pytest.skip(f"{entry.name} is marked broken: {state.broken[entry.name]}")
            if entry.place:
                yield _through_place(stack, entry, board, fw, log_path)
                return
            runner = runner_for(fw.project, board)
            try:
                if _last_build(entry) != (str(fw.firmware), fw.build_id, fw.firmware.stat().st_mtime_ns):
                    runner.flash(port)
                    _remember_build(entry, fw)
                target = runner.target(port)
                stream = open_url(target.url, board.baud)
            except (FlashFailed, PortError) as exc:
                raise InfrastructureError(entry.name, exc) from exc
            device = Dut(entry.name, board, fw, stream, log_path)
            stack.callback(device.close)
            yield device

    return attached()


def _through_place(stack, entry, board, fw: Firmware, log_path: Path) -> Dut:
    """A rack entry that names a labgrid place: the place is held for the test and its network serial port is the
    board's. tinyflash does not upload through a place: its board runs what its exporter's host flashed (the
    validate app's handshake checks the model)."""
    from .. import labgrid
    from ..monitor import open_url

    try:
        remote = stack.enter_context(labgrid.acquire(entry.place, wait_s=BOARD_WAIT_S, command="pytest"))
        stream = open_url(remote.url, board.baud)
    except PortError as exc:
        raise InfrastructureError(entry.name, exc) from exc
    device = Dut(entry.name, board, fw, stream, log_path)
    stack.callback(device.close)
    return device


def _state_file(entry) -> Path:
    from ..rack import lock_dir

    return lock_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', entry.lock_key)}.flashed.json"


def _last_build(entry) -> tuple | None:
    """What was last flashed to this board (recorded under its lock), so a shared board is flashed only when
    another build ran on it since."""
    try:
        data = json.loads(_state_file(entry).read_text())
        return (data["firmware"], data["build_id"], data["mtime_ns"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember_build(entry, fw: Firmware) -> None:
    path = _state_file(entry)
    data = {"firmware": str(fw.firmware), "build_id": fw.build_id, "mtime_ns": fw.firmware.stat().st_mtime_ns}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


class InfrastructureError(TinyflashError):
    """The board could not be flashed or reached: not the model's fault. Retried once, reported as flaky."""

    def __init__(self, board: str, cause: TinyflashError) -> None:
        super().__init__(f"{board}: {cause.message}", cause.hint)
        self.board = board


_INFRA = pytest.StashKey[str]()


def _infrastructure(exc: BaseException) -> str | None:
    """Why ``exc`` is the infrastructure's fault (not the model's), or None."""
    if isinstance(exc, InfrastructureError):
        return exc.message
    if isinstance(exc, DeviceError) and "went away" in exc.message:
        return exc.message  # the port vanished mid-test
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Run a test that uses a board; run it once more if (and only if) the infrastructure failed it."""
    if "dut" not in getattr(item, "fixturenames", ()):
        return None
    from _pytest.runner import runtestprotocol

    state = item.config.stash[_STATE]
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    item.stash[_INFRA] = ""
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    if item.stash[_INFRA]:
        item.user_properties.append(("flaky", f"infrastructure failure, retried once: {item.stash[_INFRA]}"))
        item.stash[_INFRA] = ""
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if item.stash[_INFRA]:
            board = dict(item.user_properties).get("rack_name") or item.config.getoption("tinyflash_port") or ""
            if board:
                state.broken[board] = item.stash[_INFRA]
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Note an infrastructure failure (in setup or the test itself), for the retry decision above."""
    report = yield
    if call.excinfo is not None and _INFRA in item.stash:
        why = _infrastructure(call.excinfo.value)
        if why:
            item.stash[_INFRA] = why
    return report

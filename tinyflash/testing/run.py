"""`tinyflash test` as a whole: build and flash the validate app, stream every vector, compare, report.

Every stage is recorded in the report as it finishes, and whatever ends the run early (bad input, a failed
build or upload, a board that stops answering, the overall timeout, a signal) is turned into the report's
status — the reports are written in every case. A pass needs the device's final summary, with the right
vector count and a checksum that matches the outputs received; nothing else can produce one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__, files, labgrid
from ..errors import BuildFailed, DeviceError, FlashFailed, Interrupted, TinyflashError
from ..signals import shielded
from . import protocol as p
from .compare import Tolerance, compare, output_metrics, parse_gates, parse_tolerance
from .link import DeviceInfo, ExchangeLog, Link, TimedOut, TransportError
from .report import TestReport, VectorResult, write_reports
from .vectors import VectorSet, load_vectors, random_vectors

HANDSHAKE_WAIT_S = 15.0
#: On a real board already running this build, the handshake is tried briefly before deciding to flash.
PROBE_WAIT_S = 2.0
DEFAULT_RANDOM = 100


@dataclass(frozen=True)
class TestRequest:
    model: Path
    board: str
    port: str | None = None
    runtime: str = "auto"
    vectors: Path | None = None
    random: int | None = None
    seed: int = 0
    tolerance: str | None = None
    metrics: tuple[str, ...] = ()
    timeout: float | None = None
    junit: Path | None = None
    json: Path | None = None
    log: Path | None = None
    out: Path | None = None
    tflm_dir: Path | None = None
    extra: dict = field(default_factory=dict)


def default_project(board_id: str) -> Path:
    """The test firmware gets its own folder, so testing never rewrites the app you build and flash."""
    from ..build import BUILD_ROOT

    return BUILD_ROOT / f"{board_id}-test"


class _Stage:
    """Times one stage into the report, and records it as a JUnit case (failed if it raises)."""

    def __init__(self, report: TestReport, name: str, case: bool = True) -> None:
        self.report, self.name = report, name
        self.case = report.case(name) if case else None

    def __enter__(self) -> _Stage:
        self.start = time.monotonic()
        return self

    def __exit__(self, kind, exc, tb) -> None:
        elapsed = time.monotonic() - self.start
        self.report.timings[self.name] = self.report.timings.get(self.name, 0.0) + elapsed
        if self.case is not None:
            self.case.seconds = elapsed
            if exc is not None:
                self.case.status = "failed" if isinstance(exc, TinyflashError) else "error"
                self.case.message = getattr(exc, "message", str(exc))
                self.case.detail = f"{self.case.message}\n{getattr(exc, 'hint', '')}".strip()


def run_test(req: TestRequest, progress: Callable[[str], None] | None = None) -> TestReport:
    """Run the whole check; never raises for what the run finds (it is in the returned report)."""
    from ..flash import runner_for
    from ..project import make_project_dir

    say = progress or (lambda text: None)
    report = TestReport(board=req.board, model=str(req.model), tinyflash=__version__)
    deadline = time.monotonic() + req.timeout if req.timeout else None
    log = runner = None
    try:
        tolerance, vectors, model, board = _inputs(req, report)
        project = (req.out or default_project(board.id)).resolve()
        log = ExchangeLog(req.log or project / ".tinyflash" / "test-exchange.log")
        report.log = str(log.path)
        make_project_dir(project)
        with files.project_lock(project, "tinyflash test"):
            built = _build(req, report, board, project, deadline, say)
            reference = reference_outputs(model, vectors, report, say)
            runner = runner_for(built.project, board)
            with ExitStack() as held:
                if labgrid.parse_port_spec(req.port) is not None:
                    stream, recover = _through_place(req, report, board, deadline, held, say)
                else:
                    held.enter_context(_board_held(board, req.port))
                    stream = _flash_and_open(req, report, runner, built.plan.build_id, deadline, log, say)
                    recover = None
                held.callback(stream.close)
                link = Link(stream, log, deadline)
                session(report, link, model, vectors, reference, tolerance, say, recover, built.plan.build_id)
        judge(report, parse_gates(list(req.metrics)))
    except TinyflashError as exc:
        report.status = _status(exc, report)
        report.message, report.hint = exc.message, exc.hint
        if isinstance(exc, Interrupted):
            report.signum = exc.signum
        elif isinstance(exc, TimedOut):
            report.message = f"--timeout {req.timeout:g} s ran out: {exc.message}"
    finally:
        with shielded():
            if runner is not None and runner.board.is_virtual:
                runner.stop()
            if log is not None:
                log.close()
            for case in report.cases:
                if case.status in ("failed", "error") and report.last_lines:
                    case.detail += "\n\nlast lines from the board:\n" + "\n".join(report.last_lines[-10:])
            report.problems = write_reports(report, req.junit, req.json)
    return report


def _board_held(board, port: str | None):
    """A real board is held from its upload to the summary: no other run flashes it halfway through ours."""
    if board.is_virtual:
        return nullcontext()
    from ..flash import BOARD_WAIT_S
    from ..rack import board_lock, key_for

    return board_lock(key_for(board, port), "tinyflash test", BOARD_WAIT_S)


def _status(exc: TinyflashError, report: TestReport) -> str:
    """The report's status for what ended the run (exit codes: tinyflash/errors.py)."""
    if isinstance(exc, BuildFailed) or (isinstance(exc, TimedOut) and "flash" not in report.timings):
        return "build-failed"
    if isinstance(exc, FlashFailed) or (isinstance(exc, TimedOut) and "handshake" not in report.timings):
        return "flash-failed"
    if isinstance(exc, DeviceError | Interrupted):
        return "device-failed"
    return "bad-input"  # exit 2: the input or the environment (a missing tool, no port, no permission)


def _inputs(req: TestRequest, report: TestReport):
    """Everything the user gave, checked before anything is built (bad input: exit 2, reports still written)."""
    from ..boards import get_board
    from ..model import load_model

    tolerance = parse_tolerance(req.tolerance)
    parse_gates(list(req.metrics))
    if req.timeout is not None and not (req.timeout > 0 and req.timeout < float("inf")):
        raise TinyflashError(f"--timeout {req.timeout} is not a positive number of seconds", "pass e.g. --timeout 600")
    for option, path in (("--junit", req.junit), ("--json", req.json), ("--log", req.log)):
        if path is not None:
            files.check_writable(option, path)
    board = get_board(req.board)
    report.board = board.id
    model = load_model(req.model)
    report.model_sha256 = model.sha256
    if req.vectors is not None and req.random is not None:
        raise TinyflashError("--vectors and --random exclude each other", "pass one of them")
    if req.vectors is not None:
        vectors = load_vectors(req.vectors, model)
    else:
        vectors = random_vectors(model, DEFAULT_RANDOM if req.random is None else req.random, req.seed)
    report.vector_source = vectors.source
    has_float = any(t.dtype == "float32" for t in model.outputs)
    report.tolerance = tolerance.describe(has_float, any(t.dtype != "float32" for t in model.outputs))
    report.gates = [g.describe() for g in parse_gates(list(req.metrics))]
    return tolerance, vectors, model, board


def _remaining(deadline: float | None, default: float) -> float:
    if deadline is None:
        return default
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimedOut("nothing was left of it", "raise --timeout")
    return min(left, default)


def _build(req: TestRequest, report: TestReport, board, project: Path, deadline, say):
    from ..build import PIO_TIMEOUT_S, build
    from ..errors import ToolError
    from ..project import BuildOptions

    with _Stage(report, "build"):
        say(f"building the validate app for {board.name}")
        options = BuildOptions(app="validate", runtime=req.runtime, tflm_dir=req.tflm_dir)
        try:
            built = build(req.model, board.id, options, out=project, remember=False,
                          timeout=_remaining(deadline, PIO_TIMEOUT_S), progress=say)  # fmt: skip
        except ToolError as exc:
            if "did not finish within" in exc.message and deadline is not None:
                raise TimedOut(f"the build was still running ({exc.message})", exc.hint) from None
            raise
        report.runtime = built.plan.runtime
        if built.size is not None:
            report.firmware_flash, report.firmware_ram = built.size.flash_used, built.size.ram_used
        if built.firmware is not None:
            import hashlib

            report.firmware_sha256 = hashlib.sha256(built.firmware.read_bytes()).hexdigest()
    return built


def reference_outputs(model, vectors: VectorSet, report: TestReport, say=None) -> list[list[np.ndarray]]:
    from ..reference import Interpreter

    with _Stage(report, "reference", case=False):
        (say or (lambda text: None))(f"computing the reference outputs of {len(vectors)} vectors")
        interpreter = Interpreter(model)
        report.reference = interpreter.name
        if interpreter.name != "tflite-micro":
            report.reference_note = (
                "the TFLM Python runtime is not installed here: the reference is LiteRT, whose kernels may differ "
                "from TFLM's by a rounding step — use --tolerance lsb:1 (int8) or rel:1e-5 (float)"
            )
        return [interpreter.run(list(inputs)) for inputs in vectors.inputs]


def _flash_and_open(req: TestRequest, report: TestReport, runner, build_id: int, deadline, log: ExchangeLog, say):
    from ..monitor import open_url

    board = runner.board
    with _Stage(report, "flash") as stage:
        if not board.is_virtual and _already_running(runner, req.port, build_id, log):
            report.flash_skipped = True
            assert stage.case is not None
            stage.case.status, stage.case.message = "skipped", "the board already runs this build"
        else:
            say(f"flashing {board.name}")
            report.port = runner.flash(req.port).target
    _remaining(deadline, 0)
    target = runner.target(req.port)
    report.port = report.port or target.url
    if not board.is_virtual:
        from ..ports import connected_ports

        report.serial_number = next((p.serial_number for p in connected_ports() if p.device == target.url), "")
    return open_url(target.url, board.baud)


def _through_place(req: TestRequest, report: TestReport, board, deadline, held: ExitStack, say):
    """A board on another host, through its labgrid place (held until the run ends). tinyflash does not upload
    through a place: the board must already run this model's validate firmware, which the handshake checks."""
    from ..flash import BOARD_WAIT_S
    from ..monitor import open_url

    place = labgrid.parse_port_spec(req.port)
    assert place is not None
    with _Stage(report, "flash") as stage:
        say(f"acquiring labgrid place {place}")
        remote = held.enter_context(labgrid.acquire(place, wait_s=_remaining(deadline, BOARD_WAIT_S),
                                                    command="tinyflash test"))  # fmt: skip
        report.port = f"{req.port} ({remote.url})"
        assert stage.case is not None
        stage.case.status = "skipped"
        stage.case.message = "a labgrid place's board is flashed on its exporter's host, not through the place"
    recover = remote.reset or remote.power_cycle
    return open_url(remote.url, board.baud), recover


def _already_running(runner, port: str | None, build_id: int, log: ExchangeLog) -> bool:
    """Does the board answer the handshake with this very build? Then flashing it again would change nothing."""
    from ..monitor import open_url

    try:
        target = runner.target(port)
        stream = open_url(target.url, runner.board.baud)
    except TinyflashError:
        return False
    try:
        info = Link(stream, log).hello(PROBE_WAIT_S)
        return info.build_id == build_id
    except TinyflashError:
        return False
    finally:
        stream.close()


def session(report, link: Link, model, vectors: VectorSet, reference, tolerance: Tolerance, say=None,
            recover: Callable[[], None] | None = None, build_id: int = 0) -> None:  # fmt: skip
    """Handshake, every vector, then the summary that makes a pass provable (`tinyflash test`, and the pytest
    plugin's ``dut.run_vectors``). ``recover`` resets or power-cycles a board that does not answer the handshake
    (a labgrid place's reset or power switch), once."""
    say = say or (lambda text: None)
    try:
        with _Stage(report, "handshake"):
            say("handshake")
            try:
                info = link.hello(_remaining(link.deadline, HANDSHAKE_WAIT_S))
            except TransportError:
                if recover is None:
                    raise
                say("the board does not answer: resetting it")
                recover()
                info = link.hello(_remaining(link.deadline, HANDSHAKE_WAIT_S))
            report.device = info
            check_device(info, model)
            if build_id and info.build_id != build_id:
                report.reference_note = (report.reference_note + " " if report.reference_note else "") + (
                    f"the board runs validate build {info.build_id:08x}, this tinyflash built {build_id:08x} "
                    "(same model and tensors)"
                )
        received: list[list[np.ndarray]] = []
        checksum = 0
        with _Stage(report, "vectors", case=False):
            for v, inputs in enumerate(vectors.inputs):
                say(f"vector {v + 1} of {len(vectors)}")
                case = report.case(f"vector {v}")
                start = time.monotonic()
                latency, outputs = run_vector(link, info, model, v, inputs)
                report.vectors_sent = v + 1
                for raw in outputs:
                    checksum = p.crc32(raw.tobytes(), checksum)
                received.append(outputs)
                _record_vector(report, case, v, latency, outputs, reference[v], vectors, model, tolerance)
                case.seconds = time.monotonic() - start
        with _Stage(report, "summary"):
            try:
                count, device_checksum = link.end()
            except TransportError as exc:
                raise TransportError(
                    f"the run is incomplete: the board never sent its final summary ({exc.message})",
                    "without it nothing proves the board computed every vector; see the log",
                ) from None
            report.summary = {"vectors": count, "checksum": f"{device_checksum:08x}", "expected_vectors": len(vectors),
                              "expected_checksum": f"{checksum:08x}"}  # fmt: skip
            if count != len(vectors) or device_checksum != checksum:
                raise TransportError(
                    f"the board's summary says {count} vectors (checksum {device_checksum:08x}); the host sent "
                    f"{len(vectors)} and received outputs with checksum {checksum:08x}",
                    "the board reset or lost vectors during the run; see the log",
                )
        report.metrics = [output_metrics(t, [d[o] for d in received], [r[o] for r in reference])
                          for o, t in enumerate(model.outputs)]  # fmt: skip
    finally:
        report.retries = link.retries
        report.bad_frames = link.reader.bad_frames
        report.last_lines = list(link.lines)


def run_vector(link: Link, info: DeviceInfo, model, v: int, inputs) -> tuple[int, list[np.ndarray]]:
    """Load one vector, run it, read its outputs back; their CRC must be the one the board computed."""
    chunk = info.max_payload - 5  # LOAD and OUTPUT carry an index and an offset before the bytes
    data = [np.ascontiguousarray(value).tobytes() for value in inputs]
    if sum(map(len, data)) <= info.max_payload - 4:  # RUN carries the vector number, then the inputs
        result = link.run(v, b"".join(data))
    else:
        for i, raw in enumerate(data):
            link.load(i, raw, chunk)
        result = link.run(v)
    if not result.ok:
        raise TransportError(f"the model's Invoke() failed on the board for vector {v}", "see the log")
    sizes = [d.nbytes for d in info.outputs]
    if result.inline:
        if len(result.inline) != sum(sizes):
            raise TransportError(f"vector {v}: the board sent {len(result.inline)} output bytes, not {sum(sizes)}",
                                 "see the log")  # fmt: skip
        offsets = np.cumsum([0, *sizes])
        raws = [result.inline[offsets[o] : offsets[o + 1]] for o in range(len(sizes))]
    else:
        raws = [link.read(o, size, chunk) for o, size in enumerate(sizes)]
    outputs = [np.frombuffer(raw, dtype=t.dtype).reshape(t.shape) for raw, t in zip(raws, model.outputs, strict=True)]
    crc = 0
    for raw in outputs:
        crc = p.crc32(raw.tobytes(), crc)
    if crc != result.crc:
        raise TransportError(f"vector {v}: the outputs received do not match the CRC the board computed",
                             "bytes were lost in a way the frames' own CRCs missed; see the log")  # fmt: skip
    return result.latency_us, outputs


def check_device(info: DeviceInfo, model) -> None:
    want = model.sha256[:16]
    if info.version != p.VERSION:
        raise TransportError(f"the board speaks validate protocol {info.version}; this tinyflash speaks {p.VERSION}",
                             "rebuild and flash it with this tinyflash (tinyflash test does)")  # fmt: skip
    if info.model_sha_prefix != want:
        raise TransportError(
            f"the board runs model {info.model_sha_prefix}…, not {model.name} ({want}…)",
            "flash this model's validate firmware (tinyflash test does), or test the model the board runs",
        )
    tensors = (*model.inputs, *model.outputs)
    for t, d in zip(tensors, (*info.inputs, *info.outputs), strict=False):
        if (d.dtype, d.shape, d.elements) != (t.dtype, tuple(t.shape), t.elements):
            raise TransportError(f"the board's tensor {t.name!r} is {d.dtype} {list(d.shape)}, the model's is "
                                 f"{t.dtype} {list(t.shape)}", "rebuild and flash the validate app")  # fmt: skip
    if len(tensors) != len(info.inputs) + len(info.outputs):
        raise TransportError("the board's model has other inputs or outputs than this one", "rebuild and flash it")


def _record_vector(report, case, v, latency, outputs, reference, vectors: VectorSet, model, tolerance) -> None:
    diffs = [compare(d, r, t, tolerance) for d, r, t in zip(outputs, reference, model.outputs, strict=True)]
    expected = None
    if vectors.expected is not None:
        expected = [compare(d, e, t, tolerance) for d, e, t in zip(outputs, vectors.expected[v], model.outputs,
                                                                     strict=True)]  # fmt: skip
    ok = all(d.ok for d in diffs) and all(d.ok for d in expected or [])
    report.vectors.append(VectorResult(v, ok, latency, diffs, expected))
    if not ok:
        case.status = "failed"
        worst = []
        for t, d in zip(model.outputs, diffs, strict=True):
            if not d.ok:
                unit = "LSB" if t.dtype != "float32" else "abs"
                worst.append(f"{t.name}[{d.index}]: device {d.device:g}, reference {d.reference:g} "
                             f"({d.max_diff:g} {unit})")  # fmt: skip
        for t, d in zip(model.outputs, expected or [], strict=False):
            if not d.ok:
                worst.append(f"{t.name}[{d.index}]: device {d.device:g}, expected (file) {d.reference:g}")
        case.message = f"vector {v} differs: " + "; ".join(worst)
        case.detail = case.message


def judge(report: TestReport, gates) -> None:
    failed = [r.index for r in report.vectors if not r.ok]
    gate_failures = [f"{m.name}: {g.describe()} (got {m.value(g.metric):g})" for m in report.metrics for g in gates
                     if not g.holds(m.value(g.metric))]  # fmt: skip
    if failed or gate_failures:
        report.status = "mismatch"
        parts = []
        if failed:
            parts.append(f"{len(failed)} of {len(report.vectors)} vectors differ (first: vector {failed[0]})")
        parts += gate_failures
        report.message = "; ".join(parts)
        report.hint = "see the report: worst elements per vector"
    else:
        report.status = "passed"
        report.message = f"all {len(report.vectors)} vectors match"

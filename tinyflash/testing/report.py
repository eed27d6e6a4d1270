"""What a `tinyflash test` run found, and the forms CI reads it in: JSON and JUnit XML.

The report is filled in as the run goes, so whatever stops it (a build error, a vanished port, the timeout,
Ctrl-C) still leaves a report of everything that ran. A run is ``passed`` only when every vector matched and the
device's final summary arrived with the right count and checksum.
"""

from __future__ import annotations

import json
import math
import re
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .compare import Diff, OutputMetrics
from .link import DeviceInfo

#: status -> exit code (the table in tinyflash/errors.py and the README).
EXIT_CODES = {"passed": 0, "mismatch": 1, "bad-input": 2, "build-failed": 3, "flash-failed": 3, "device-failed": 4}


@dataclass
class Case:
    """One JUnit test case: build, flash, handshake, each vector, the summary."""

    name: str
    status: str = "passed"  # passed | failed | error | skipped
    seconds: float = 0.0
    message: str = ""
    detail: str = ""


@dataclass
class VectorResult:
    index: int
    ok: bool
    latency_us: int
    diffs: list[Diff]  # per output, against the reference
    expected_diffs: list[Diff] | None = None  # per output, against the file's expected values


@dataclass
class TestReport:
    board: str
    model: str
    tinyflash: str
    started: float = field(default_factory=time.time)
    status: str = "device-failed"  # until proven otherwise
    message: str = ""
    hint: str = ""
    model_sha256: str = ""
    runtime: str = ""
    port: str = ""
    serial_number: str = ""
    firmware_sha256: str = ""
    firmware_flash: int | None = None
    firmware_ram: int | None = None
    reference: str = ""
    reference_note: str = ""
    tolerance: str = ""
    gates: list[str] = field(default_factory=list)
    vector_source: str = ""
    vectors_sent: int = 0
    device: DeviceInfo | None = None
    flash_skipped: bool = False
    retries: int = 0
    bad_frames: int = 0
    cases: list[Case] = field(default_factory=list)
    vectors: list[VectorResult] = field(default_factory=list)
    metrics: list[OutputMetrics] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    last_lines: list[str] = field(default_factory=list)
    log: str = ""
    signum: int = 0
    problems: list[str] = field(default_factory=list)  # reports that could not be written

    @property
    def exit_code(self) -> int:
        return 128 + self.signum if self.signum else EXIT_CODES[self.status]

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def case(self, name: str) -> Case:
        found = Case(name)
        self.cases.append(found)
        return found


def _clean(value: Any) -> Any:
    """JSON has no NaN or Infinity: they become null (and the schema says so)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_json(r: TestReport) -> dict[str, Any]:
    data = asdict(r)
    data["exit_code"] = r.exit_code
    data["seconds"] = round(r.seconds, 3)
    data["started"] = datetime.fromtimestamp(r.started, UTC).isoformat()
    return _clean(data)


# XML 1.0 cannot hold most control characters, which a device's output may contain.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: Any) -> str:
    return _XML_BAD.sub("\ufffd", str(text))


def to_junit(r: TestReport) -> ET.ElementTree:
    """JUnit XML as Jenkins, GitLab and GitHub's test reporters read it: one suite per board, one case per
    build, flash, handshake, vector and the summary."""
    failures = sum(c.status == "failed" for c in r.cases)
    errors = sum(c.status == "error" for c in r.cases)
    skipped = sum(c.status == "skipped" for c in r.cases)
    root = ET.Element("testsuites", name="tinyflash test", tests=str(len(r.cases)), failures=str(failures),
                      errors=str(errors), time=f"{r.seconds:.3f}")  # fmt: skip
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_x(f"tinyflash test {r.board}"),
        tests=str(len(r.cases)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{r.seconds:.3f}",
        timestamp=datetime.fromtimestamp(r.started, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=_x(socket.gethostname()),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("board", r.board),
        ("port", r.port),
        ("serial_number", r.serial_number),
        ("model", r.model),
        ("model_sha256", r.model_sha256),
        ("firmware_sha256", r.firmware_sha256),
        ("runtime", r.runtime),
        ("reference", r.reference),
        ("tolerance", r.tolerance),
        ("tinyflash", r.tinyflash),
        ("status", r.status),
    ):
        ET.SubElement(properties, "property", name=name, value=_x(value))
    classname = _x(f"tinyflash.{r.board}.{Path(r.model).stem}")
    for case in r.cases:
        element = ET.SubElement(suite, "testcase", classname=classname, name=_x(case.name), time=f"{case.seconds:.3f}")
        if case.status in ("failed", "error"):
            kind = "failure" if case.status == "failed" else "error"
            ET.SubElement(element, kind, message=_x(case.message), type=kind).text = _x(case.detail)
        elif case.status == "skipped":
            ET.SubElement(element, "skipped", message=_x(case.message))
    if r.last_lines:
        ET.SubElement(suite, "system-out").text = _x("\n".join(r.last_lines))
    ET.indent(root)
    return ET.ElementTree(root)


def write_reports(r: TestReport, junit: Path | None, json_path: Path | None) -> list[str]:
    """Write what was asked for; returns the problems (a report that cannot be written must not hide the run's
    own result, so this never raises)."""
    problems = []
    for path, write in ((junit, lambda p: to_junit(r).write(p, encoding="utf-8", xml_declaration=True)),
                        (json_path, lambda p: p.write_text(json.dumps(to_json(r), indent=2) + "\n"))):  # fmt: skip
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path)
        except OSError as exc:
            problems.append(f"could not write {path}: {exc.strerror}")
    return problems

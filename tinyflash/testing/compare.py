"""Comparing what the device computed with what the model computes: tolerances, per-vector diffs, run metrics.

The default is exact for integer outputs — the AOT runtime and TFLM's reference kernels are bit-exact, so a
single LSB is a real difference. Float32 outputs computed on a Cortex-M differ from the x86 reference in the
last digits (GCC fuses multiply-adds into `vfma`), so by default they may differ by a relative 1e-5; the
report says so. ``--tolerance`` relaxes the check (for optimized kernels) and the report shows it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import TinyflashError
from ..model import Tensor
from ..reference import dequantize

#: What float32 outputs may differ by, relative to max(1, |reference|), unless --tolerance says otherwise.
FLOAT_DEFAULT_REL = 1e-5
METRICS = {"cosine": "min", "top1": "min", "rmse": "max", "mae": "max", "max_abs": "max"}


@dataclass(frozen=True)
class Tolerance:
    kind: str  # exact | lsb | abs | rel
    value: float = 0.0
    explicit: bool = False  # given on the command line (an explicit "exact" holds float outputs to it too)

    def describe(self, has_float: bool, has_int: bool) -> str:
        if self.kind == "exact":
            parts = []
            if has_int:
                parts.append("exact (integer outputs)")
            if has_float:
                parts.append("exact" if self.explicit else f"float32 within {FLOAT_DEFAULT_REL:g} relative (the "
                             "device fuses multiply-adds; x86 does not)")  # fmt: skip
            return "; ".join(parts)
        return {"lsb": f"within {self.value:g} LSB", "abs": f"within {self.value:g} absolute",
                "rel": f"within {self.value:g} relative"}[self.kind] + " (relaxed with --tolerance)"  # fmt: skip


def parse_tolerance(text: str | None) -> Tolerance:
    if text is None:
        return Tolerance("exact")
    if text == "exact":
        return Tolerance("exact", explicit=True)
    kind, _, number = text.partition(":")
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if kind not in ("lsb", "abs", "rel") or not (math.isfinite(value) and value >= 0):
        raise TinyflashError(f"--tolerance {text!r} is not understood", "use exact, lsb:K, abs:X or rel:X")
    return Tolerance(kind, value, explicit=True)


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float

    def holds(self, value: float | None) -> bool:
        if value is None:
            return True  # e.g. top-1 of a single-value output
        return value >= self.threshold if METRICS[self.metric] == "min" else value <= self.threshold

    def describe(self) -> str:
        return f"{self.metric} {'≥' if METRICS[self.metric] == 'min' else '≤'} {self.threshold:g}"


def parse_gates(texts: list[str]) -> tuple[Gate, ...]:
    gates = []
    for text in texts:
        m = re.fullmatch(r"(\w+):([-+0-9.eE]+)", text)
        if not m or m.group(1) not in METRICS or not math.isfinite(float(m.group(2))):
            names = ", ".join(METRICS)
            raise TinyflashError(f"--metric {text!r} is not understood",
                                 f"use NAME:THRESHOLD with NAME one of {names}, e.g. cosine:0.999")  # fmt: skip
        gates.append(Gate(m.group(1), float(m.group(2))))
    return tuple(gates)


@dataclass(frozen=True)
class Diff:
    """One output of one vector: the largest difference (LSB for integer outputs, absolute for float) and
    where it is, and whether it is within tolerance."""

    max_diff: float
    index: int
    device: float
    reference: float
    ok: bool


def compare(device: np.ndarray, reference: np.ndarray, t: Tensor, tol: Tolerance) -> Diff:
    d = device.reshape(-1)
    r = reference.reshape(-1).astype(d.dtype)
    integer = t.dtype != "float32"
    if integer:
        diff = np.abs(d.astype(np.int64) - r.astype(np.int64)).astype(np.float64)
    else:
        diff = np.abs(d.astype(np.float64) - r.astype(np.float64))
        diff[np.isnan(d) & np.isnan(r)] = 0.0
        diff[np.isnan(diff)] = np.inf
    worst = int(np.argmax(diff)) if diff.size else 0
    max_diff = float(diff[worst]) if diff.size else 0.0
    ok = bool(np.all(_within(d, r, diff, t, tol, integer)))
    return Diff(max_diff, worst, float(d[worst]) if d.size else 0.0, float(r[worst]) if r.size else 0.0, ok)


def _within(d: np.ndarray, r: np.ndarray, diff: np.ndarray, t: Tensor, tol: Tolerance, integer: bool) -> np.ndarray:
    if tol.kind == "exact":
        if integer or tol.explicit:
            return diff == 0
        return diff <= FLOAT_DEFAULT_REL * np.maximum(1.0, np.abs(r.astype(np.float64)))
    if tol.kind == "lsb":
        if integer:
            return diff <= tol.value
        return diff <= FLOAT_DEFAULT_REL * np.maximum(1.0, np.abs(r.astype(np.float64)))
    real_d = dequantize(d, t).astype(np.float64)
    real_r = dequantize(r, t).astype(np.float64)
    real = np.abs(real_d - real_r)
    if tol.kind == "abs":
        return real <= tol.value
    return real <= tol.value * np.maximum(np.abs(real_r), np.finfo(np.float32).tiny)


@dataclass(frozen=True)
class OutputMetrics:
    name: str
    exact: int  # vectors whose output equals the reference bit for bit
    max_abs_error: float  # real units (dequantized)
    mean_abs_error: float
    rmse: float
    cosine: float
    top1: float | None  # share of vectors whose argmax agrees (outputs with more than one value)
    max_lsb: int | None  # largest difference in LSB (integer outputs)

    def value(self, metric: str) -> float | None:
        return {"cosine": self.cosine, "top1": self.top1, "rmse": self.rmse, "mae": self.mean_abs_error,
                "max_abs": self.max_abs_error}[metric]  # fmt: skip


def output_metrics(t: Tensor, device: list[np.ndarray], reference: list[np.ndarray]) -> OutputMetrics:
    d_raw = np.stack([x.reshape(-1) for x in device]) if device else np.zeros((0, t.elements))
    r_raw = np.stack([x.reshape(-1) for x in reference]) if reference else np.zeros((0, t.elements))
    exact = int(sum(np.array_equal(a, b) for a, b in zip(d_raw, r_raw, strict=True)))
    d = dequantize(d_raw, t).astype(np.float64)
    r = dequantize(r_raw, t).astype(np.float64)
    err = np.abs(d - r)
    finite = np.isfinite(err)
    rmse = float(np.sqrt(np.mean(np.square(err[finite])))) if finite.any() else math.nan
    norms = float(np.linalg.norm(d) * np.linalg.norm(r))
    cosine = float(np.sum(d * r) / norms) if norms > 0 else (1.0 if np.array_equal(d, r) else 0.0)
    top1 = float(np.mean(np.argmax(d, axis=1) == np.argmax(r, axis=1))) if d.shape[1] > 1 and len(d) else None
    max_lsb = (
        int(np.max(np.abs(d_raw.astype(np.int64) - r_raw.astype(np.int64))))
        if t.dtype != "float32" and len(d)
        else None
    )
    return OutputMetrics(
        t.name,
        exact,
        float(np.max(err)) if err.size else 0.0,
        float(np.mean(err)) if err.size else 0.0,
        rmse,
        cosine,
        top1,
        max_lsb,
    )

"""Plots of the numeric fields a board prints: live in the terminal, or as a PNG file.

Both are drawn here without plotting libraries: the terminal plot is a character grid, the PNG a
numpy canvas written with zlib. The sine wave needs nothing more.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections import deque
from pathlib import Path

import numpy as np

from .errors import TinyflashError

MARKS = "•ox+*#"
STYLES = ("cyan", "magenta", "yellow", "green", "red", "blue")
COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207))


class Series:
    """The last ``capacity`` values of each numeric field, in arrival order."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.data: dict[str, deque[float]] = {}

    def add(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            if math.isfinite(value):
                self.data.setdefault(key, deque(maxlen=self.capacity)).append(value)


def render_text(series: Series, width: int = 72, height: int = 20) -> str:
    """One character panel per field (each with its own range) over its last ``width`` samples.

    Separate panels, because fields rarely share a scale: the sine app's x sweeps 0..6.28 while y stays in ±1.
    """
    fields = list(series.data.items())[: len(MARKS)]
    if not fields:
        return "(no numeric fields yet)"
    rows = max(4, height // len(fields))
    labels = {}
    for key, values in fields:
        lo, hi = min(values), max(values)
        labels[key] = (f"{hi:.3g}", f"{lo:.3g}")
    label_w = max(len(t) for pair in labels.values() for t in pair)
    lines = []
    for (key, values), mark in zip(fields, MARKS, strict=False):
        shown = list(values)[-width:]
        lo, hi = min(shown), max(shown)
        if hi - lo < 1e-12:
            lo, hi = lo - 1, hi + 1
        grid = [[" "] * width for _ in range(rows)]
        for col, v in enumerate(shown):
            grid[rows - 1 - round((v - lo) / (hi - lo) * (rows - 1))][col] = mark
        top, bottom = f"{max(shown):.3g}", f"{min(shown):.3g}"
        for i, row in enumerate(grid):
            label = top if i == 0 else bottom if i == rows - 1 else ""
            lines.append(f"{label:>{label_w}} │{''.join(row)}")
        lines.append(f"{'':>{label_w}} └{'─' * (width - len(key) - 2)} {key}")
    return "\n".join(lines)


def write_png(path: Path, series: Series, width: int = 800, panel_height: int = 200) -> None:
    """A line chart per field, stacked (white background, one colour per field), as an RGB PNG."""
    fields = [(k, np.array(v, dtype=np.float64)) for k, v in series.data.items()] or [("", np.zeros(0))]
    height = panel_height * len(fields)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    margin = 16
    plot_w, plot_h = width - 2 * margin - 1, panel_height - 2 * margin - 1
    for index, ((_, values), colour) in enumerate(zip(fields, COLOURS * 4, strict=False)):
        top = index * panel_height
        canvas[top + panel_height - margin, margin : width - margin] = (160, 160, 160)
        canvas[top + margin : top + panel_height - margin, margin] = (160, 160, 160)
        n = len(values)
        if n == 0:
            continue
        lo, hi = values.min(), values.max()
        if hi - lo < 1e-12:
            lo, hi = lo - 1, hi + 1
        xs = margin + 1 + np.arange(n) * plot_w / max(n - 1, 1)
        ys = top + panel_height - margin - 1 - (values - lo) / (hi - lo) * plot_h
        # Dense interpolation between samples draws a continuous line without a raster library.
        t = np.linspace(0, n - 1, max(2, 4 * plot_w)) if n > 1 else np.zeros(1)
        px = np.interp(t, np.arange(n), xs).round().astype(int)
        py = np.interp(t, np.arange(n), ys).round().astype(int)
        for dy in (0, 1):
            canvas[np.clip(py + dy, 0, height - 1), np.clip(px, 0, width - 1)] = colour
    _save_png(path, canvas)


def _save_png(path: Path, rgb: np.ndarray) -> None:
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    except OSError as exc:
        raise TinyflashError(f"cannot write the plot {path}: {exc.strerror}", "choose another --plot-png") from None

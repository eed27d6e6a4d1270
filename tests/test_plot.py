"""plot.py: the terminal plot shows each field in its own panel; the PNG is a valid image of the right size."""

from __future__ import annotations

import math
import struct
import zlib

from tinyflash.plot import Series, render_text, write_png


def _sine() -> Series:
    s = Series()
    for i in range(64):
        x = (i % 32) * 2 * math.pi / 32
        s.add({"x_value": x, "y_value": math.sin(x), "bad": float("nan")})
    return s


def test_text_plot_has_a_panel_per_field_with_its_range():
    text = render_text(_sine(), width=40, height=16)
    assert "x_value" in text and "y_value" in text and "bad" not in text  # NaN-only fields are dropped
    lines = text.splitlines()
    assert any(line.strip().startswith("1 │") for line in lines) and any(
        line.strip().startswith("-1 │") for line in lines
    )
    assert render_text(Series()) == "(no numeric fields yet)"


def test_png_is_valid_and_draws_the_wave(tmp_path):
    path = tmp_path / "plot.png"
    write_png(path, _sine(), width=320, panel_height=100)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (320, 200)
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width)
    assert raw.count(b"\xd6\x27\x28") > 100  # the second panel's colour (the sine) is drawn

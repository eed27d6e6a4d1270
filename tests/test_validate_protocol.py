"""The validate protocol's framing: the host side fuzzed with garbage, split and interleaved frames; the device side
(validate_link.cc) compiled for the host and fed the same streams, so both ends agree byte for byte."""

from __future__ import annotations

import struct
import subprocess
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, require_tool
from tinyflash.testing import protocol as p
from tinyflash.testing.link import parse_info

frames_st = st.builds(
    p.Frame,
    st.sampled_from([p.HELLO, p.LOAD, p.RUN, p.READ, p.END, p.INFO, p.ACK, p.RESULT, p.OUTPUT, p.SUMMARY, p.NAK]),
    st.integers(0, 255),
    st.binary(max_size=600),
)
# Text a device may print between frames (never the marker's first byte: that is not ASCII), and line noise.
text_st = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80).map(lambda s: (s + "\n").encode())


def test_frame_layout_and_crc() -> None:
    frame = p.Frame(p.RUN, 7, struct.pack("<I", 3))
    data = frame.encode()
    assert data[:2] == b"\xa5\x5a" and data[2] == p.RUN and data[3] == 7
    assert struct.unpack_from("<H", data, 4)[0] == 4
    assert struct.unpack_from("<I", data, len(data) - 4)[0] == zlib.crc32(data[2:-4])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(text_st, frames_st), min_size=1, max_size=6), st.data())
def test_frames_survive_interleaved_text_and_any_split(parts, data) -> None:
    stream = b"".join(text + frame.encode() for text, frame in parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    reader = p.FrameReader()
    got, text = [], b""
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        frames, chunk_text = reader.feed(stream[start:end])
        got += frames
        text += chunk_text
    assert got == [frame for _, frame in parts]
    assert text == b"".join(t for t, _ in parts)
    assert reader.bad_frames == 0


@settings(max_examples=300, deadline=None)
@given(frames_st, st.binary(min_size=1, max_size=40), st.integers(0, 10_000), st.integers(0, 7))
def test_noise_never_yields_a_wrong_frame(frame, noise, position, bit) -> None:
    """Garbage before a frame, or one flipped bit inside it: the reader returns the frame intact, or nothing."""
    data = bytearray(frame.encode())
    flipped = position % len(data)
    data[flipped] ^= 1 << bit
    reader = p.FrameReader()
    frames, _ = reader.feed(noise + bytes(data) + frame.encode())
    while reader.pending and not frames:  # a damaged length waits for bytes that never come: the link's timeout
        reader.abandon_partial()
        frames, _ = reader.feed(b"")
    assert frames and frames[-1] == frame  # the clean copy after the damaged one always comes through
    assert all(f == frame for f in frames)  # and nothing else can: a damaged copy has a wrong CRC


def test_a_header_claiming_too_much_is_noise() -> None:
    reader = p.FrameReader()
    bogus = b"\xa5\x5a\x01\x00" + struct.pack("<H", p.MAX_PAYLOAD + 1)
    frames, _ = reader.feed(bogus + p.Frame(p.HELLO, 1).encode())
    assert frames == [p.Frame(p.HELLO, 1)] and reader.bad_frames == 1


def test_a_frame_that_never_completes_is_abandoned() -> None:
    reader = p.FrameReader()
    # A marker in noise whose "length" promises 200 bytes that never come; then a real frame.
    frames, _ = reader.feed(b"\xa5\x5a\x83\x00\xc8\x00" + p.Frame(p.ACK, 2).encode())
    assert frames == [] and reader.pending > 0
    reader.abandon_partial()
    frames, _ = reader.feed(b"")
    assert frames == [p.Frame(p.ACK, 2)]


def test_truncated_handshake_is_a_protocol_error() -> None:
    from tinyflash.testing.link import TransportError

    with pytest.raises(TransportError, match="handshake is truncated"):
        parse_info(b"\x01" + b"\x00" * 10)


# --- The device's framing, compiled for the host -----------------------------------------------------------------

HARNESS = r"""
// Feeds stdin to the device's FrameReader; prints one line per event; replies go through board_write (stdout).
#include <stdio.h>
#include "validate_link.h"
#include "tinyflash_board.h"

extern "C" void board_write(const char* data, size_t length) { fwrite(data, 1, length, stdout); }

int main() {
  validate::FrameReader reader;
  int c;
  while ((c = getchar()) != EOF) {
    switch (reader.Push(static_cast<uint8_t>(c))) {
      case validate::FrameReader::Event::kFrame: {
        const validate::Frame& f = reader.frame();
        // Echo it back as a reply built by Reply, so the host parses the device's encoding too.
        validate::Reply(f.type, f.seq).Bytes(f.payload, f.length).Send();
        break;
      }
      case validate::FrameReader::Event::kBadCrc:
        validate::Reply(validate::kNak, reader.frame().seq).U8(validate::kBadCrc).Send();
        break;
      case validate::FrameReader::Event::kNone:
        break;
    }
  }
  printf("%08x\n", validate::Crc32("123456789", 9));
  return 0;
}
"""


@pytest.fixture(scope="module")
def device_reader(tmp_path_factory):
    gxx = require_tool("g++")
    folder = tmp_path_factory.mktemp("device-link")
    (folder / "harness.cc").write_text(HARNESS)
    common = REPO / "firmware_templates" / "common"
    exe = folder / "harness"
    subprocess.run([gxx, "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{common}", "harness.cc",
                    str(common / "validate_link.cc"), "-o", str(exe)], cwd=folder, check=True)  # fmt: skip
    return exe


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(text_st, frames_st.filter(lambda f: len(f.payload) <= 512)), min_size=1, max_size=5),
       st.lists(st.binary(min_size=1, max_size=8).filter(lambda b: 0xA5 not in b), max_size=3))  # fmt: skip
def test_device_reader_agrees_with_the_host(device_reader, parts, noise) -> None:
    """What the host encodes the device decodes; what the device encodes the host decodes. Noise between frames
    and a corrupted copy of the first frame cost a NAK, never a wrong frame. (Noise holding a marker can make
    the device swallow the next frame as a bad one; the host then resends it: tested on QEMU with the link.)"""
    first = bytearray(parts[0][1].encode())
    first[-1] ^= 0x40  # damaged CRC
    stream = bytes(first) + b"".join(n for n in noise) + b"".join(t + f.encode() for t, f in parts)
    out = subprocess.run([str(device_reader)], input=stream, capture_output=True, check=True).stdout
    frames, text = p.FrameReader().feed(out)
    assert frames[0].type == p.NAK and frames[0].payload == bytes([p.NAK_BAD_CRC])
    assert frames[1:] == [f for _, f in parts]
    assert text.strip() == b"cbf43926"  # the CRC-32 check value: the device's nibble table is zlib's CRC

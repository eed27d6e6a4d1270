"""Racks of real boards: pinning by USB serial number across re-enumeration, the rack file, scanning, udev rules,
and board locks between real processes. No USB board exists here: `connected_ports` is replaced by a FAKE bus
(the one mock in the suite); everything else — files, locks, processes — is real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tinyflash import ports, rack
from tinyflash.boards import all_boards, get_board
from tinyflash.errors import StateError
from tinyflash.ports import Port, PortError, choose_port

NANO = get_board("nano33ble")


def nano(device: str, serial: str, pid: int = 0x805A, location: str = "1-1") -> Port:
    return Port(device, 0x2341, pid, "Nano 33 BLE", serial, location)


def test_serial_pins_one_of_two_identical_boards_across_re_enumeration(fake_usb) -> None:
    _first, second = fake_usb(nano("/dev/ttyACM0", "AAA111"), nano("/dev/ttyACM1", "BBB222", location="1-2"))
    with pytest.raises(PortError, match="several ports look like"):
        choose_port(NANO)
    assert choose_port(NANO, "serial:BBB222") == second.device
    # The 1200-bps touch: the same board comes back in its bootloader, on another device node.
    moved, _ = fake_usb(nano("/dev/ttyACM2", "BBB222", pid=0x005A, location="1-2"), nano("/dev/ttyACM0", "AAA111"))
    assert choose_port(NANO, "serial:BBB222") == moved.device
    fake_usb(nano("/dev/ttyACM0", "AAA111"))  # unplugged: never the other board instead
    with pytest.raises(PortError, match="no port has USB serial number BBB222"):
        choose_port(NANO, "serial:BBB222")


@pytest.mark.parametrize(
    ("board_id", "vid", "sketch", "bootloader"),
    [("wio_terminal", 0x2886, 0x802D, 0x002D), ("edgebadge", 0x239A, 0x8033, 0x0033), ("cpb", 0x239A, 0x8045, 0x0045)],
)
def test_the_new_usb_boards_are_found_again_in_their_bootloader(fake_usb, board_id, vid, sketch, bootloader) -> None:
    """Issue 15's boards upload after a 1200-bps touch, which brings the board back with its bootloader's id (from
    the cores' boards.txt): the same board, pinned by serial number, must be found under either id, and scanned."""
    board = get_board(board_id)
    (sketch_port,) = fake_usb(Port("/dev/ttyACM0", vid, sketch, board.name, "S1", "1-1"))
    assert choose_port(board) == sketch_port.device
    assert [f.board.id for f in rack.scan()] == [board_id]
    (moved,) = fake_usb(Port("/dev/ttyACM3", vid, bootloader, f"{board.name} bootloader", "S1", "1-1"))
    assert choose_port(board, "serial:S1") == moved.device
    assert f'ATTRS{{idProduct}}=="{bootloader:04x}"' in ports.udev_rules((board,))


def test_serial_of_another_kind_of_board_is_refused(fake_usb) -> None:
    fake_usb(Port("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102", "CP01", "1-3"))
    with pytest.raises(PortError, match="not a Arduino Nano 33 BLE Sense"):
        choose_port(NANO, "serial:CP01")


def test_rack_names_resolve_and_scan_merges_new_boards(fake_usb, tmp_path, monkeypatch) -> None:
    path = tmp_path / "tinyflash-rack.toml"
    path.write_text('[[board]]\nname = "desk-nano"\nboard = "nano33ble"\nserial = "AAA111"\ntags = ["desk"]\n')
    monkeypatch.setenv(rack.RACK_ENV, str(path))
    a, _b = fake_usb(nano("/dev/ttyACM0", "AAA111"), nano("/dev/ttyACM1", "BBB222"))
    assert choose_port(NANO, "name:desk-nano") == a.device
    with pytest.raises(StateError, match="no board named 'nope'"):
        choose_port(NANO, "name:nope")
    with pytest.raises(PortError, match="is a nano33ble, not a esp32"):
        choose_port(get_board("esp32"), "name:desk-nano")
    entries = rack.load_rack(path)
    found = rack.scan(entries)
    assert [(f.port.serial_number, f.entry.name if f.entry else None) for f in found] == [
        ("AAA111", "desk-nano"),
        ("BBB222", None),
    ]
    merged = rack.merge(entries, found)
    path.write_text(rack.render_rack(merged))
    again = rack.load_rack(path)
    assert again == (entries[0], rack.RackEntry("nano33ble-1", "nano33ble", "BBB222"))
    assert again[0].tags == ("desk",)  # what the user wrote is kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[board]]\nname = "x"\n', "needs a name and a board id"),
        ('[[board]]\nname = "x"\nboard = "nano33ble"\nserail = "1"\n', "unknown key 'serail'"),
        ('[[board]]\nname = "x"\nboard = "nano33ble"\n[[board]]\nname = "x"\nboard = "esp32"\n', "used twice"),
        ('[[board]]\nname = "a b"\nboard = "nano33ble"\n', "may hold letters"),
        ("board = 3\n", "holds [[board]] tables only"),
        ("[[board\n", "not a readable TOML"),
    ],
)
def test_a_damaged_rack_file_is_a_clear_error(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "rack.toml"
    path.write_text(text)
    with pytest.raises(StateError, match=message.replace("[", r"\[").replace("]", r"\]")):
        rack.load_rack(path)


def test_udev_rules_cover_every_board_and_link_by_serial() -> None:
    rules = ports.udev_rules(all_boards())
    for board in all_boards():
        for vid, pid in board.usb_ids:
            assert f'ATTRS{{idVendor}}=="{vid:04x}", ATTRS{{idProduct}}=="{pid:04x}"' in rules
    assert 'GROUP="dialout"' in rules and "$env{ID_SERIAL_SHORT}" in rules
    assert 'SUBSYSTEM=="usb", ATTR{idVendor}=="0483"' in rules  # the Disco's ST-LINK, for uploads
    assert all(line.startswith(("#", "SUBSYSTEM")) for line in rules.splitlines())


HOLDER = """
import sys, time
from tinyflash import rack
with rack.board_lock(sys.argv[1], "tinyflash test (holder)", wait_s=0):
    print("held", flush=True)
    time.sleep(60)
"""


def test_board_lock_between_real_processes_names_the_holder_and_dies_with_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(rack.LOCK_ENV, str(tmp_path / "locks"))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), "serial-AAA111"],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ))  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(StateError) as info, rack.board_lock("serial-AAA111", "pytest", wait_s=0.5):
            pass
        waited = time.monotonic() - t0
        assert 0.4 < waited < 5
        assert f"in use by `tinyflash test (holder)` (pid {holder.pid}" in info.value.message
        with rack.board_lock("serial-OTHER", "pytest", wait_s=0):  # another board is free
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with rack.board_lock("serial-AAA111", "pytest", wait_s=2):  # the kernel released it with its holder
        pass


def test_lock_keys_name_the_physical_board(fake_usb, tmp_path, monkeypatch) -> None:
    path = tmp_path / "tinyflash-rack.toml"
    path.write_text('[[board]]\nname = "n1"\nboard = "nano33ble"\nserial = "AAA111"\n')
    monkeypatch.setenv(rack.RACK_ENV, str(path))
    (a,) = fake_usb(nano("/dev/ttyACM0", "AAA111"))
    keys = {rack.key_for(NANO, spec) for spec in ("name:n1", "serial:AAA111", a.device, None)}
    assert keys == {"serial-AAA111"}  # however it is named, one board is one lock
    assert Path(rack.lock_dir()).name == "locks"

"""Port detection for real boards. USB boards cannot exist here, so `connected_ports` is replaced by a FAKE
list of ports — the one mock in the suite, named as such; everything else (access checks) is real."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tinyflash import ports
from tinyflash.boards import get_board
from tinyflash.ports import Port, PortError, choose_port

NANO_SKETCH = Port("/dev/ttyACM0", 0x2341, 0x805A, "Nano 33 BLE")
NANO_BOOTLOADER = Port("/dev/ttyACM1", 0x2341, 0x005A, "Nano 33 BLE bootloader")
OTHER = Port("/dev/ttyUSB0", 0x0403, 0x6001, "FT232R USB UART")


def test_single_matching_port_is_chosen(fake_usb):
    (nano, _) = fake_usb(NANO_SKETCH, OTHER)
    assert choose_port(get_board("nano33ble")) == nano.device


def test_bootloader_pid_also_matches(fake_usb):
    (boot,) = fake_usb(NANO_BOOTLOADER)
    assert choose_port(get_board("nano33ble")) == boot.device


def test_no_board_lists_what_is_connected(fake_usb):
    fake_usb(OTHER)
    with pytest.raises(PortError, match="no Arduino Nano 33 BLE Sense found") as err:
        choose_port(get_board("nano33ble"))
    assert "0403:6001" in err.value.message and "--port" in err.value.hint


def test_several_boards_ask_for_port(fake_usb):
    fake_usb(NANO_SKETCH, Port("/dev/ttyACM2", 0x2341, 0x805A, "second Nano"))
    with pytest.raises(PortError, match="several ports") as err:
        choose_port(get_board("nano33ble"))
    assert "--port" in err.value.hint


def test_explicit_port_that_does_not_exist(fake_usb):
    fake_usb()
    with pytest.raises(PortError, match="does not exist"):
        choose_port(get_board("esp32"), "/dev/ttyUSB9")


def _as_unprivileged(check) -> str:
    """Run ``check(device)`` on a real file the caller may not open: in a forked child that drops to `nobody`
    when we are root (root opens anything), or on a file with no permissions at all when we are not."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # parents traversable by everyone, like /dev
    folder.chmod(0o755)
    device = folder / "ttyACM0"
    device.write_text("")
    device.chmod(0o600 if os.geteuid() == 0 else 0o000)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges, check, report through the pipe, exit without cleanup
        message = "no error"
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            check(str(device))
        except PortError as exc:
            message = f"{exc.message} | {exc.hint}"
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    message = os.read(read_end, 4096).decode()
    os.close(read_end)
    shutil.rmtree(folder)
    return message


def test_permission_denied_says_dialout():
    message = _as_unprivileged(ports.check_access)
    assert "no permission" in message and "dialout" in message and "udev" in message, message


def test_opening_a_port_without_permission_says_dialout():
    """The same advice when the open itself is refused (the monitor opens ports it did not check first)."""
    from tinyflash.monitor import open_url

    message = _as_unprivileged(lambda device: open_url(device, 115200))
    assert "no permission to open" in message and "dialout" in message, message


def test_monitor_waits_for_a_board_that_is_still_rebooting(fake_usb, monkeypatch, tmp_path):
    """After an upload the sketch's port appears a moment later (FAKE bus: it is plugged in after 0.5 s)."""
    import threading
    import time as _time

    from tinyflash.flash import PlatformIORunner

    fake_usb()
    plugged = []
    threading.Timer(0.5, lambda: plugged.append(fake_usb(NANO_SKETCH))).start()
    t0 = _time.monotonic()
    target = PlatformIORunner(tmp_path, get_board("nano33ble")).target(None)
    assert target.url.endswith("ttyACM0") and 0.4 < _time.monotonic() - t0 < 5

"""A labgrid place wherever a port is: acquire it, use its network serial port and its power or reset, release it.

Teams with boards on several hosts already run labgrid (a coordinator, exporters next to the boards, places that
people and CI jobs acquire and reserve), so tinyflash runs no board server of its own: ``--port labgrid:PLACE``
uses theirs. What this module relies on (labgrid 25 and later, whose coordinator speaks gRPC):

- An acquisition belongs to a labgrid identity, ``HOST/USER``, not to a process, and outlives the client that made
  it. So each tinyflash process acquires under an identity of its own (``USER+COMMAND-PID``): a second tinyflash
  of the same user on the same host waits instead of sharing the board, the holder it waits on is named with its
  command and pid, and release is asked "only if it is still ours" (``fromuser``), never releasing anyone else's.
- Waiting is labgrid's own reservation queue (a reservation filtered on ``name=PLACE``): waiters are served in
  turn, and people who reserve with ``labgrid-client reserve`` queue alongside tinyflash instead of racing it.
- A place you acquired yourself (``labgrid-client -p PLACE acquire``, your plain identity) is used as it is and
  left acquired: that is how labgrid users work, and it is yours to release.
- Every step of the coordinator's client runs inside :func:`tinyflash.signals.shielded` with a timeout, so Ctrl-C
  or SIGTERM never lands inside its event loop; between steps they are delivered at once, and release always runs.
- Recovery drives the place's power switch or ``reset`` output with labgrid's own drivers, chosen the way
  ``labgrid-client power``/``io`` choose them, so every PDU and relay labgrid supports works.

The coordinator's Python client (``ClientSession``) is not documented as a stable API: everything that touches it
stays in :class:`_Coordinator`, and the tests run it against a real coordinator and exporter.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from .errors import TinyflashError, ToolError
from .ports import PortError
from .signals import shielded

PREFIX = "labgrid:"
INSTALL = "pip install 'tinyflash[labgrid]'"
#: labgrid's defaults when neither an address nor LG_COORDINATOR is given.
DEFAULT_COORDINATOR = "127.0.0.1:20408"
DEFAULT_PORT = 20408
CALL_TIMEOUT_S = 10.0
#: How often a waiter asks whether its reservation came through (labgrid-client asks once a second).
POLL_S = 0.25
#: An exporter serving a USB serial port starts ser2net only once the place is acquired: give it this long.
RESOURCE_WAIT_S = 10.0
#: How long the reset line is held asserted.
RESET_PULSE_S = 0.1
RESET_NAME = "reset"

#: The power resources ``labgrid-client power`` drives (labgrid 26), with the drivers it stacks on each.
POWER_DRIVERS: dict[str, tuple[str, ...]] = {
    "NetworkPowerPort": ("NetworkPowerDriver",),
    "PDUDaemonPort": ("PDUDaemonDriver",),
    "TasmotaPowerPort": ("TasmotaPowerDriver",),
    "NetworkUSBPowerPort": ("USBPowerDriver",),
    "NetworkSiSPMPowerPort": ("SiSPMPowerDriver",),
    "NetworkYKUSHPowerPort": ("YKUSHPowerDriver",),
    "NetworkSysfsGPIO": ("GpioDigitalOutputDriver", "DigitalOutputPowerDriver"),
}
#: The digital outputs ``labgrid-client io`` drives, with their driver.
OUTPUT_DRIVERS: dict[str, str] = {
    "ModbusTCPCoil": "ModbusCoilDriver",
    "WaveshareModbusTCPCoil": "WaveShareModbusCoilDriver",
    "OneWirePIO": "OneWirePIODriver",
    "HttpDigitalOutput": "HttpDigitalOutputDriver",
    "Eth008DigitalOutput": "Eth008DigitalOutputDriver",
    "NetworkDeditecRelais8": "DeditecRelaisDriver",
    "NetworkSysfsGPIO": "GpioDigitalOutputDriver",
    "NetworkLXAIOBusPIO": "LXAIOBusPIODriver",
    "NetworkHIDRelay": "HIDRelayDriver",
}
_SERIAL_SCHEMES = {"raw": "socket", "rfc2217": "rfc2217"}
_PROCESS_IDENTITY = re.compile(r"^(?P<user>.+)\+(?P<command>[\w-]+)-(?P<pid>\d+)$")


class LabgridError(PortError):
    """A labgrid place cannot be used: no coordinator, no such place, in use by someone else, no serial port."""


@dataclass(frozen=True)
class LabgridTarget:
    """An acquired place, as tinyflash uses it."""

    place: str
    #: What :func:`tinyflash.monitor.open_url` opens: ``socket://HOST:PORT`` (raw TCP) or ``rfc2217://HOST:PORT``.
    url: str
    #: Power off, wait (labgrid's driver delay), power on — when the place has a power switch.
    power_cycle: Callable[[], None] | None
    #: Assert the place's ``reset`` output for RESET_PULSE_S, then release it — when it has one.
    reset: Callable[[], None] | None
    #: You had acquired the place yourself: tinyflash used it and leaves it acquired.
    borrowed: bool = False


@dataclass(frozen=True)
class Resource:
    """One resource of an acquired place, as the coordinator describes it."""

    name: str
    cls: str
    params: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    avail: bool = True


@dataclass(frozen=True)
class Identity:
    """Whom labgrid sees: ``HOST/USER`` (``LG_HOSTNAME`` and ``LG_USERNAME`` override them, as for labgrid-client)."""

    host: str
    user: str

    @property
    def name(self) -> str:
        return f"{self.host}/{self.user}"

    @classmethod
    def of_user(cls) -> Identity:
        """Your plain identity: the one ``labgrid-client acquire`` uses."""
        return cls(os.environ.get("LG_HOSTNAME") or socket.gethostname(), os.environ.get("LG_USERNAME") or _user())

    @classmethod
    def of_process(cls, command: str) -> Identity:
        """This process's own identity: yours, tagged with the command and the pid."""
        plain = cls.of_user()
        slug = re.sub(r"\W+", "-", command).strip("-")[:48] or "tinyflash"
        return cls(plain.host, f"{plain.user}+{slug}-{os.getpid()}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container running under an arbitrary uid)
        return str(os.getuid())


def parse_port_spec(spec: str | None) -> str | None:
    """The place named by ``labgrid:PLACE``; None for any other port. An empty or malformed name is an error."""
    if spec is None or not spec.startswith(PREFIX):
        return None
    place = spec[len(PREFIX) :]
    if not place or not place.isprintable() or place != place.strip() or "/" in place:
        raise LabgridError(f"{spec!r} names no labgrid place", "write --port labgrid:PLACE, e.g. labgrid:rack-m4")
    return place


def coordinator_address(explicit: str | None = None) -> str:
    """The coordinator's ``HOST:PORT``: the one given, else ``LG_COORDINATOR``, else labgrid's default; a host
    without a port gets labgrid's port."""
    address = explicit or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR
    if re.fullmatch(r"(\[[^\]]+\]|[^:\[\]]+):\d+", address):
        return address
    host = address if address.startswith("[") or ":" not in address else f"[{address}]"  # a bare IPv6 address
    return f"{host}:{DEFAULT_PORT}"


def describe_holder(acquired: str, since: float | None = None) -> str:
    """``HOST/USER`` as a person reads it; a tinyflash process shows its command and pid."""
    host, _, user = acquired.partition("/")
    started = time.strftime("%H:%M:%S", time.localtime(since)) if since else ""
    if m := _PROCESS_IDENTITY.match(user):
        when = f", since {started}" if started else ""
        return f"`{m['command'].replace('-', ' ')}` (pid {m['pid']}{when}) of {m['user']} on {host}"
    return f"{user} on {host}" + (f" (since {started})" if started else "")


def serial_url(place: str, resources: list[Resource]) -> str:
    """The URL of the place's network serial port: its only one, or the one named ``default`` (labgrid's rule)."""
    ports = [r for r in resources if r.cls == "NetworkSerialPort"]
    if len(ports) > 1:
        ports = [r for r in ports if r.name == "default"] or ports
    if not ports:
        raise LabgridError(
            f"labgrid place {place} has no serial port (NetworkSerialPort)",
            f"export one and match it: labgrid-client -p {place} add-match EXPORTER/GROUP/NetworkSerialPort/*",
        )
    if len(ports) > 1:
        raise LabgridError(
            f"labgrid place {place} has several serial ports ({', '.join(r.name for r in ports)})",
            f"name the board's console `default`: labgrid-client -p {place} add-named-match "
            "EXPORTER/GROUP/NetworkSerialPort/NAME default",
        )
    port = ports[0]
    if not port.avail:
        raise LabgridError(
            f"the serial port of labgrid place {place} is not available", "check its exporter: labgrid-client resources"
        )
    if port.extra.get("proxy_required"):
        raise LabgridError(
            f"the serial port of labgrid place {place} is reachable only through its exporter's host "
            f"{port.extra.get('proxy') or ''} (an isolated exporter), and tinyflash does not tunnel",
            "run tinyflash where the exporter's ports are reachable, or start the exporter without --isolated",
        )
    scheme = _SERIAL_SCHEMES.get(str(port.params.get("protocol", "rfc2217")))
    host, number = port.params.get("host"), port.params.get("port")
    if scheme is None or not host or not isinstance(number, int):
        raise LabgridError(
            f"the serial port of labgrid place {place} is not usable: {port.params}",
            "check the exporter's NetworkSerialPort: host, port, and protocol raw or rfc2217",
        )
    return f"{scheme}://{f'[{host}]' if ':' in str(host) else host}:{number}"


def power_switch(resources: list[Resource]) -> Resource | None:
    """The place's power switch: its only one, or the one named ``default`` (a GPIO named ``reset`` is not one)."""
    found = [r for r in resources if r.cls in POWER_DRIVERS and r.name != RESET_NAME]
    return found[0] if len(found) == 1 else next((r for r in found if r.name == "default"), None)


def reset_line(resources: list[Resource]) -> Resource | None:
    """The digital output named ``reset``: asserted (high) holds the board in reset."""
    return next((r for r in resources if r.cls in OUTPUT_DRIVERS and r.name == RESET_NAME), None)


# --- acquiring and releasing ---

#: Places this process holds: (coordinator, place) -> (target, depth). A nested acquisition shares the outer one.
_held: dict[tuple[str, str], tuple[LabgridTarget, int]] = {}


@contextmanager
def acquire(place: str, *, wait_s: float, command: str, coordinator: str | None = None) -> Iterator[LabgridTarget]:
    """Acquire PLACE (waiting up to ``wait_s`` on someone else's reservation or acquisition, then a
    :class:`LabgridError` naming the holder), yield its network serial port and recovery actions, and release it
    on exit — also on errors, Ctrl-C and SIGTERM. ``coordinator`` defaults to ``LG_COORDINATOR``."""
    if os.environ.get("LG_PROXY"):
        raise LabgridError(
            "LG_PROXY is set, and tinyflash does not tunnel to labgrid places through SSH",
            "run tinyflash where the coordinator and the exporters' ports are reachable, without LG_PROXY",
        )
    address = coordinator_address(coordinator)
    key = (address, place)
    if key in _held:
        target, depth = _held[key]
        _held[key] = (target, depth + 1)
        try:
            yield target
        finally:
            _held[key] = (target, _held[key][1] - 1)
        return
    me = Identity.of_process(command)
    token: str | None = None
    asked = False  # AcquirePlace was sent: from then on the place may be ours, even if no answer came
    try:
        with _Coordinator(address, me) as coord:
            found = coord.place(place)
            place = found.name
            borrowed = found.acquired == Identity.of_user().name
            if not borrowed:
                with shielded():  # a signal is raised after the assignment: the token is never lost
                    token = coord.reserve(place)
                _wait_for_turn(coord, place, token, wait_s)
                asked = True
                coord.acquire(place)
            resources = coord.resources_when_ready(place)
        target = LabgridTarget(
            place,
            serial_url(place, resources),
            _recovery(place, power_switch(resources), "power"),
            _recovery(place, reset_line(resources), "reset"),
            borrowed,
        )
        _held[key] = (target, 1)
        try:
            yield target
        finally:
            del _held[key]
    except BaseException as exc:
        if asked or token:
            try:
                _release(address, me, place, token, asked)
            except LabgridError as failed:  # the error that ended the command stays the one reported, and says it
                if isinstance(exc, TinyflashError):
                    exc.hint = f"{exc.hint}; also, {failed}" if exc.hint else str(failed)
                else:
                    exc.add_note(str(failed))
        raise
    if asked or token:
        _release(address, me, place, token, asked)


def _wait_for_turn(coord: _Coordinator, place: str, token: str, wait_s: float) -> None:
    """Poll our reservation until the coordinator allocates the place to it; past ``wait_s``, name the holder."""
    deadline = time.monotonic() + wait_s
    while True:
        state = coord.poll(token)
        if state in ("allocated", "acquired"):
            return
        if state != "waiting":
            raise LabgridError(f"the reservation for labgrid place {place} became {state}", "retry")
        if time.monotonic() >= deadline:
            raise LabgridError(
                f"labgrid place {place} is in use by {coord.holder(place)} (waited {wait_s:g} s)",
                "wait for it to finish, or give tinyflash longer to wait",
            )
        time.sleep(POLL_S)


def _release(address: str, me: Identity, place: str, token: str | None, asked: bool) -> None:
    """Drop our reservation, then give the place back if it is still ours. Signals wait until this is done.

    In this order the coordinator hands the place to the next waiter as it is released; the other way round, the
    reservation's allocation is cleared only after that scheduling round, and the next one comes 15 s later."""
    with shielded():
        try:
            with _Coordinator(address, me) as coord:
                if token:
                    coord.cancel(token)
                if asked:
                    coord.release(place)
        except LabgridError as exc:
            by_hand = [f"labgrid-client -x {address} -p {place} release-from {me.name}"] if asked else []
            if token:
                by_hand.insert(0, f"labgrid-client -x {address} cancel-reservation {token}")
            raise LabgridError(
                f"could not release labgrid place {place}: {exc.message}", f"do it by hand: {' && '.join(by_hand)}"
            ) from None


def _recovery(place: str, resource: Resource | None, kind: str) -> Callable[[], None] | None:
    """Power-cycle or reset the place with labgrid's drivers for its resource, in this process (no labgrid-client
    start-up, and a reset pulse exactly as long as intended)."""
    if resource is None:
        return None
    if kind == "power":
        drivers = [{cls: {}} for cls in POWER_DRIVERS[resource.cls]]
        protocol, action = "PowerProtocol", "cycle"
    else:
        drivers = [{OUTPUT_DRIVERS[resource.cls]: {}}, {"DigitalOutputResetDriver": {"delay": RESET_PULSE_S}}]
        protocol, action = "ResetProtocol", "reset"
    # A labgrid device config, as in an environment file: the resource, and the drivers stacked on it.
    config = {"resources": [{resource.cls: {"name": resource.name, **resource.params}}], "drivers": drivers}
    by_hand = f"labgrid-client -p {place} " + ("power cycle" if kind == "power" else f"io high/low {resource.name}")

    def run() -> None:
        factory = _import_labgrid().target_factory
        target = None
        try:
            target = factory.make_target(f"tinyflash-{place}", config)
            getattr(target.get_driver(protocol), action)()
        except Exception as exc:
            if isinstance(exc, TinyflashError):
                raise
            raise LabgridError(
                f"the {kind} of labgrid place {place} through {resource.cls} {resource.name} failed: {exc}",
                f"check the device behind it ({by_hand} does the same)",
            ) from None
        finally:
            if target is not None:
                with suppress(Exception):
                    target.cleanup()

    return run


# --- the coordinator's client, in one place ---


class _Coordinator:
    """One short session with the coordinator: a gRPC channel and a private event loop.

    Short, because the client makes progress only while its event loop runs: a session left open during a long
    run would pile up the coordinator's updates. An acquisition outlives its session, as with labgrid-client.
    """

    def __init__(self, address: str, me: Identity) -> None:
        self.address, self.me = address, me

    def __enter__(self) -> _Coordinator:
        lg = _import_labgrid()
        self._pb, self._reservation, self._session = lg.pb, lg.Reservation, None
        me = self.me

        class Session(lg.ClientSession):
            # labgrid-client takes LG_HOSTNAME/LG_USERNAME here; this session acts as this process instead.
            def gethostname(_self) -> str:
                return me.host

            def getuser(_self) -> str:
                return me.user

        async def connect() -> None:
            # Made inside the running loop: the channel binds to it, and no global event loop is set or replaced.
            self._session = Session(self.address, self._loop)
            await self._session.start()

        self._quiet = _QuietLabgridLogs()
        self._quiet.__enter__()
        self._loop = asyncio.new_event_loop()
        try:
            self._run(connect(), "connect")
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        with shielded():
            if self._session is not None:
                with suppress(Exception):
                    self._run(self._session.stop(), "disconnect")
                with suppress(Exception):
                    self._run(self._session.close(), "disconnect")
            self._loop.close()
            self._quiet.__exit__()

    def _run(self, coro: Any, what: str) -> Any:
        """One step of the client, to completion: shielded from signals, and never longer than CALL_TIMEOUT_S."""
        try:
            with shielded():
                return self._loop.run_until_complete(asyncio.wait_for(coro, CALL_TIMEOUT_S))
        except TimeoutError:
            raise LabgridError(
                f"the labgrid coordinator at {self.address} did not answer ({what}) in {CALL_TIMEOUT_S:g} s",
                "check that it runs and is reachable (LG_COORDINATOR)",
            ) from None
        except Exception as exc:
            if isinstance(exc, TinyflashError):  # Interrupted, raised as the shielded step ends
                raise
            if what == "connect":
                raise LabgridError(
                    f"cannot reach the labgrid coordinator at {self.address}",
                    "start it (labgrid-coordinator), or set LG_COORDINATOR to its HOST:PORT",
                ) from None
            detail = exc.details() if hasattr(exc, "details") else str(exc)
            raise LabgridError(
                f"the labgrid coordinator would not {what}: {detail}", "see labgrid-client who"
            ) from None

    def _sync(self) -> None:
        """Wait until every update the coordinator sent so far has been applied to the session's view."""
        self._run(self._session.sync_with_coordinator(), "sync")

    def place(self, name: str) -> Any:
        """The place called ``name``, or the one place with that alias (exactly: labgrid-client matches parts)."""
        places = self._session.places
        if name in places:
            return places[name]
        found = [p for p in places.values() if name in {a.split(":", 1)[-1] for a in p.aliases}]
        if len(found) == 1:
            return found[0]
        known = ", ".join(sorted(places)[:20]) or "none"
        raise LabgridError(
            f"the labgrid coordinator at {self.address} has no place {name} (places: {known})",
            f"create it: labgrid-client -p {name} create, then add-match its resources",
        )

    def reserve(self, place: str) -> str:
        pb = self._pb
        request = pb.CreateReservationRequest(filters={"main": pb.Reservation.Filter(filter={"name": place})})
        return self._run(self._session.stub.CreateReservation(request), "reserve the place").reservation.token

    def poll(self, token: str) -> str:
        """The reservation's state: waiting, allocated, acquired, expired or invalid. Polling keeps it alive."""
        reply = self._run(self._session.stub.PollReservation(self._pb.PollReservationRequest(token=token)), "poll")
        return self._reservation.from_pb2(reply.reservation).state.name

    def holder(self, place: str) -> str:
        """Who has the place: whoever acquired it, or the owner of the reservation it is allocated to."""
        self._sync()
        found = self._session.places[place]
        if found.acquired:
            return describe_holder(found.acquired, found.changed)
        reply = self._run(self._session.stub.GetReservations(self._pb.GetReservationsRequest()), "list reservations")
        owner = next((r.owner for r in reply.reservations if r.token == found.reservation), None)
        return f"a reservation of {describe_holder(owner)}" if owner else "another reservation"

    def acquire(self, place: str) -> None:
        self._run(self._session.stub.AcquirePlace(self._pb.AcquirePlaceRequest(placename=place)), "acquire it")

    def release(self, place: str) -> None:
        request = self._pb.ReleasePlaceRequest(placename=place, fromuser=self.me.name)
        self._run(self._session.stub.ReleasePlace(request), "release it")

    def cancel(self, token: str) -> None:
        with suppress(LabgridError):  # already gone: expired, or cancelled by hand
            self._run(self._session.stub.CancelReservation(self._pb.CancelReservationRequest(token=token)), "cancel")

    def resources(self, place: str) -> list[Resource]:
        """The resources the place acquired, under the names its matches give them."""
        found = self._session.places[place]
        out = []
        for path in found.acquired_resources:
            exporter, group, _, name = path
            entry = self._session.resources.get(exporter, {}).get(group, {}).get(name)
            if entry is None or not entry.cls:
                continue  # its exporter went away
            match = found.getmatch(path)
            out.append(
                Resource(
                    (match.rename if match else None) or name,
                    entry.cls,
                    dict(entry.args),
                    dict(entry.extra or {}),
                    bool(entry.avail),
                )
            )
        return out

    def resources_when_ready(self, place: str) -> list[Resource]:
        """The place's resources once its serial ports have a TCP port (or RESOURCE_WAIT_S has passed)."""
        deadline = time.monotonic() + RESOURCE_WAIT_S
        while True:
            self._sync()
            resources = self.resources(place)
            serial = [r for r in resources if r.cls == "NetworkSerialPort"]
            if all(r.avail and r.params.get("port") for r in serial) or time.monotonic() > deadline:
                return resources  # serial_url() says what is wrong with what is there
            time.sleep(POLL_S)


class _QuietLabgridLogs:
    """labgrid's client reports trouble with ``logging.error``, which would also give the root logger a handler for
    good; tinyflash says it in one line instead. Meanwhile, a null handler keeps both away."""

    def __enter__(self) -> None:
        self._handler = logging.NullHandler() if not logging.root.handlers else None
        if self._handler:
            logging.root.addHandler(self._handler)
        self._disabled = logging.root.manager.disable
        logging.disable(logging.CRITICAL)

    def __exit__(self, *exc: object) -> None:
        logging.disable(self._disabled)
        if self._handler:
            logging.root.removeHandler(self._handler)


@dataclass(frozen=True)
class _Labgrid:
    ClientSession: Any
    Reservation: Any
    pb: Any
    target_factory: Any


def _import_labgrid() -> _Labgrid:
    """labgrid is an optional extra; without it, or with one from before the gRPC coordinator, say what to install."""
    try:
        import labgrid  # noqa: F401
    except ImportError:
        raise ToolError("labgrid is not installed (--port labgrid:PLACE needs it)", f"install it: {INSTALL}") from None
    try:
        from labgrid.factory import target_factory
        from labgrid.remote.client import ClientSession
        from labgrid.remote.common import Reservation
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb
    except ImportError as exc:
        from importlib.metadata import version

        raise ToolError(
            f"labgrid {version('labgrid')} is older than the gRPC coordinator tinyflash talks to ({exc})",
            f"upgrade it, and the coordinator and exporters, to labgrid 25 or later: {INSTALL}",
        ) from None
    return _Labgrid(ClientSession, Reservation, pb, target_factory)

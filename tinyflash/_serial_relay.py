"""The native board's serial port: ``python -m tinyflash._serial_relay PORT PROGRAM``.

Listens on 127.0.0.1:PORT and starts PROGRAM only when a reader connects (as QEMU's ``wait=on`` does), then
relays both ways, byte for byte: the program's stdout to the reader, what the reader sends to the program's
stdin. If the reader goes away, the next one to connect takes over from there. Exits with the program's exit
code when the program ends.
"""

import os
import selectors
import socket
import subprocess
import sys


def main() -> int:
    port, program = int(sys.argv[1]), sys.argv[2]
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    client, _ = server.accept()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small replies go out at once
    proc = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    out_fd, in_fd = proc.stdout.fileno(), proc.stdin.fileno()
    os.set_blocking(out_fd, False)
    os.set_blocking(in_fd, False)
    selector = selectors.DefaultSelector()
    selector.register(out_fd, selectors.EVENT_READ)
    selector.register(client, selectors.EVENT_READ)
    to_program = bytearray()

    def next_reader() -> socket.socket:
        """The reader left: wait for the next one (the program's output waits in its pipe meanwhile)."""
        selector.unregister(client)
        client.close()
        new, _ = server.accept()
        new.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        selector.register(new, selectors.EVENT_READ)
        return new

    writing = False  # is the program's stdin registered (only while there is something to write)?
    while True:
        if bool(to_program) != writing:
            if writing:
                selector.unregister(in_fd)
            else:
                selector.register(in_fd, selectors.EVENT_WRITE)
            writing = not writing
        for key, _ in selector.select():
            if key.fileobj == out_fd:
                chunk = os.read(out_fd, 65536)
                if not chunk:  # the program ended
                    client.close()
                    return proc.wait()
                while True:
                    try:
                        client.sendall(chunk)
                        break
                    except OSError:
                        client = next_reader()
            elif key.fileobj is client:
                try:
                    data = client.recv(65536)
                except OSError:
                    data = b""
                if data:
                    to_program += data
                else:
                    client = next_reader()
            elif key.fileobj == in_fd:
                try:
                    del to_program[: os.write(in_fd, to_program)]
                except BlockingIOError:
                    pass
                except BrokenPipeError:  # the program closed its stdin: what it will not read is dropped
                    to_program.clear()


if __name__ == "__main__":
    sys.exit(main())

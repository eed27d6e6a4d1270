"""The native board's serial port: ``python -m tinyflash._serial_relay PORT PROGRAM``.

Listens on 127.0.0.1:PORT and starts PROGRAM only when a reader connects (as QEMU's ``wait=on`` does),
then relays its stdout to the reader byte for byte. If the reader goes away, the next one to connect
gets the stream from there on. Exits with the program's exit code when the program ends.
"""

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
    proc = subprocess.Popen([program], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    while chunk := proc.stdout.read1(65536):
        while True:
            try:
                client.sendall(chunk)
                break
            except OSError:  # the reader left: wait for the next one
                client.close()
                client, _ = server.accept()
    client.close()
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())

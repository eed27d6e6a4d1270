"""One arena probe, run as ``python -m tinyflash._arena_probe MODEL BYTES`` in a throwaway process.

Exit 0 when the TFLM runtime allocates and invokes the model with that arena, 3 when it refuses.
A crash (signal) is also read as a refusal by the parent; that is why this runs out of process.
"""

import sys


def main() -> int:
    from tflite_micro.python.tflite_micro import runtime

    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        interpreter = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
        interpreter.invoke()
    except (RuntimeError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

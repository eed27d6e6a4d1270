"""The worked example: train the TinyML book's sine model in Keras, convert it with `tinyflash convert`, run it.

    python examples/train_sine.py                                   # train, then tinyflash convert … --strict
    tinyflash run --board virtual-m4 examples/sine_model.tflite --lines 96 --plot

Why train our own: the copies of the book's hello_world model in circulation are trained for few epochs and fit
sin(x) loosely. This script builds the same layers (Dense 16 relu -> Dense 16 relu -> Dense 1) from a fixed seed,
trains long enough for a close fit and refuses to save a float model whose mean absolute error against sin(x) is
above 0.05. It then runs `tinyflash convert`, which quantizes the model to full int8 calibrated on x from 0 to
2π, and — with --strict — fails if the int8 model, run on the TFLM reference runtime, departs from the float one
on 1,000 held-out x. The committed examples/sine_model.tflite is its output.

Needs TensorFlow (`pip install 'tinyflash[tensorflow]'`); `./scripts/setup.sh` installs it.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MAE_LIMIT = 0.05
EVAL_POINTS = 1000
#: Calibrate on the whole input range the app sweeps, 0..2π (rounded up).
CALIBRATION_RANGE = "0:6.2832"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples/sine_model.tflite"), help="output .tflite path")
    parser.add_argument("--epochs", type=int, default=800, help="training epochs")
    parser.add_argument("--seed", type=int, default=1234, help="seed for data, weights and shuffling")
    parser.add_argument("--samples", type=int, default=2000, help="number of training samples")
    parser.add_argument("--noise", type=float, default=0.05, help="std of the gaussian noise added to sin(x)")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size")
    return parser.parse_args(argv)


def make_data(samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 2π], y = sin(x) plus gaussian noise, as in the book."""
    x = rng.uniform(0.0, 2.0 * math.pi, size=(samples, 1)).astype(np.float32)
    y = (np.sin(x) + noise * rng.standard_normal(size=x.shape)).astype(np.float32)
    return x, y


def build_and_train(x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int):
    """Same layers as the book; Adam with a cosine-decayed learning rate settles much closer to sin(x)."""
    import tensorflow as tf

    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(1,), name="x"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )
    steps = epochs * math.ceil(len(x) / batch_size)
    schedule = tf.keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.01, decay_steps=steps, alpha=0.01)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=schedule), loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return model


def eval_grid() -> np.ndarray:
    return np.linspace(0.0, 2.0 * math.pi, EVAL_POINTS, dtype=np.float32).reshape(-1, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log chatter out of the report
    import tensorflow as tf

    tf.keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = make_data(args.samples, args.noise, rng)

    start = time.perf_counter()
    model = build_and_train(x, y, args.epochs, args.batch_size)
    print(f"trained {args.epochs} epochs on {args.samples} samples in {time.perf_counter() - start:.1f} s")

    xs = eval_grid()
    float_mae = float(np.mean(np.abs(model.predict(xs, verbose=0)[:, 0] - np.sin(xs[:, 0]))))
    print(f"float MAE vs sin(x) over {EVAL_POINTS} x in [0, 2π]: {float_mae:.4f}")
    if float_mae > MAE_LIMIT:
        print(f"error: float MAE {float_mae:.4f} is above {MAE_LIMIT}; train longer (--epochs)", file=sys.stderr)
        return 1

    # The trained model and the held-out inputs the check runs both models on, next to the .tflite.
    keras_path, check_path = args.out.with_suffix(".keras"), args.out.with_name(args.out.stem + "_check.npz")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(keras_path)
    np.savez(check_path, x=xs)

    command = ["tinyflash", "convert", str(keras_path), "--out", str(args.out),
               "--calibration-range", CALIBRATION_RANGE, "--check", str(check_path), "--strict"]  # fmt: skip
    print("\n$ " + " ".join(command), flush=True)
    converted = subprocess.run([sys.executable, "-m", "tinyflash", *command[1:]], check=False)
    if converted.returncode == 0:
        print(f"\nnow run it with no hardware: tinyflash run --board virtual-m4 {args.out} --lines 96 --plot")
    return converted.returncode


if __name__ == "__main__":
    sys.exit(main())

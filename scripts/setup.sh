#!/usr/bin/env bash
# Installs everything tinyflash needs on Debian/Ubuntu, idempotently: the ARM toolchain and QEMU (for the
# virtual boards), a virtual environment in .venv, and tinyflash itself with its test dependencies and the
# tensorflow extra (`tinyflash convert` and its tests need it; ≈1.6 GB, the rest of tinyflash never imports it) and
# the labgrid extra (`--port labgrid:PLACE`; its tests start a real coordinator and exporter).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
              g++ python3-venv valgrind)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,tensorflow,labgrid]'
# Keras 2 beside TensorFlow's Keras 3: the TFLite converter fuses its LSTM layer into UNIDIRECTIONAL_SEQUENCE_LSTM (Keras
# 3's LSTM becomes a WHILE loop), so the AOT tests build their Keras LSTM with it. --no-deps: it requires the
# `tensorflow` distribution, which tensorflow-cpu provides under another name.
.venv/bin/python -m pip install -q --no-deps 'tf-keras==2.21.*'
echo "setup: ready ($(.venv/bin/tinyflash --version))"

#!/usr/bin/env bash
# One-time setup of the cross toolchain, from registries only (Debian, PyPI, rustup):
# zig + cargo-zigbuild (PyPI) as linker/C compiler for every target, nightly rust-src for
# -Z build-std (armv7 and MIPS), stable musl std for x86_64/aarch64, qemu-user for tests.
set -euo pipefail
VENV="${CWMPD_CROSS_VENV:-/opt/cwmpd-cross-venv}"
if [[ ! -x "$VENV/bin/cargo-zigbuild" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q ziglang cargo-zigbuild
fi
rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
rustup component add rust-src --toolchain nightly
rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
if ! command -v qemu-mipsel-static >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
fi
echo "cross toolchain ready: $("$VENV/bin/python" -m ziglang version), $("$VENV/bin/cargo-zigbuild" --version)"

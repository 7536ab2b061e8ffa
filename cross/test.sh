#!/usr/bin/env bash
# Runs the library unit tests of one cross target under qemu-user (the runner comes from
# .cargo/config.toml). Default: mipsel-unknown-linux-musl, the 32-bit little-endian MIPS
# most OpenWrt routers use. qemu-user loops in musl's netlink code on big-endian MIPS
# guests, so tests that touch netlink must be skippable there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CWMPD_CROSS_VENV:-/opt/cwmpd-cross-venv}/bin:$PATH"
t="${1:-mipsel-unknown-linux-musl}"
shift || true
arch="${t%%-*}"
case "$arch" in armv7) arch=arm ;; esac
runner_var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUNNER"
export "$runner_var=${!runner_var:-qemu-$arch-static}"
case "$t" in
  aarch64-unknown-linux-musl|x86_64-unknown-linux-musl)
    cargo-zigbuild test --locked --target "$t" --lib "$@" ;;
  mips*)
    RUSTUP_TOOLCHAIN=nightly \
    RUSTFLAGS="-C link-self-contained=no -C target-feature=+crt-static -C relocation-model=static" \
      cargo-zigbuild test --locked -Z build-std=std,panic_abort --target "$t" --lib "$@" ;;
  *)
    RUSTUP_TOOLCHAIN=nightly RUSTFLAGS="-C link-self-contained=no" \
      cargo-zigbuild test --locked -Z build-std=std,panic_abort --target "$t" --lib "$@" ;;
esac

#!/usr/bin/env bash
# Cross-builds the cwmpd release binary for router targets with zig as linker and C compiler
# (ring's C and assembly), all from registry packages (see ../shared/docs/rust-feasibility.md).
#
#   cross/build.sh [TARGET...]      default: aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl
#   cross/setup.sh                  installs the toolchain pieces once
#
# aarch64/x86_64 musl use stable with a prebuilt std; armv7 and MIPS use nightly -Z build-std
# (no rust-std for them here; MIPS is tier 3 everywhere). MIPS links static non-PIE: the
# static-pie default crashes at the first thread spawn.
# Env: CWMPD_FEATURES (default "tls"), CWMPD_CROSS_VENV (default /opt/cwmpd-cross-venv),
#      CWMPD_FLOOR=1 for the smallest build (panic=immediate-abort, optimize_for_size std).
# Appends one line per binary to target/cross-sizes.txt: TARGET<TAB>BYTES<TAB>KIND, KIND being
# "floor" or "default"; cross/size-check.sh compares it with cross/budgets.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CWMPD_CROSS_VENV:-/opt/cwmpd-cross-venv}"
export PATH="$VENV/bin:$PATH"
FEATURES="${CWMPD_FEATURES:-tls}"
targets=("$@")
((${#targets[@]})) || targets=(aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl)

build_std_flags=(-Z build-std=std,panic_abort)
# Builds whose std is rebuilt (armv7, MIPS, every floor build) drop unwind tables: with
# panic=abort nothing unwinds, and .eh_frame was 8% of the mipsel binary (133 KB -> 13 KB).
no_unwind="-C force-unwind-tables=no"
floor_rustflags=""
kind=default
if [[ "${CWMPD_FLOOR:-0}" == 1 ]]; then
  build_std_flags+=(-Z build-std-features=optimize_for_size)
  floor_rustflags="-C panic=immediate-abort -Z unstable-options -Z location-detail=none"
  kind=floor
fi

for t in "${targets[@]}"; do
  echo "== $t"
  case "$t" in
    x86_64-unknown-linux-musl|aarch64-unknown-linux-musl)
      if [[ "${CWMPD_FLOOR:-0}" == 1 ]]; then
        RUSTFLAGS="-C link-self-contained=no $no_unwind $floor_rustflags" cargo +nightly zigbuild --locked --release \
          "${build_std_flags[@]}" --target "$t" --no-default-features --features "$FEATURES" --bin cwmpd
      else
        cargo zigbuild --locked --release --target "$t" --no-default-features --features "$FEATURES" --bin cwmpd
      fi ;;
    armv7-*|arm-*|armv5te-*)
      RUSTFLAGS="-C link-self-contained=no $no_unwind $floor_rustflags" cargo +nightly zigbuild --locked --release \
        "${build_std_flags[@]}" --target "$t" --no-default-features --features "$FEATURES" --bin cwmpd ;;
    mips*-unknown-linux-musl*)
      RUSTFLAGS="-C link-self-contained=no -C target-feature=+crt-static -C relocation-model=static $no_unwind $floor_rustflags" \
        cargo +nightly zigbuild --locked --release "${build_std_flags[@]}" --target "$t" \
        --no-default-features --features "$FEATURES" --bin cwmpd ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  f="target/$t/release/cwmpd"
  printf '%s\t%s\t%s\n' "$t" "$(stat -c %s "$f")" "$kind" | tee -a target/cross-sizes.txt
done

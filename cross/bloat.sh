#!/usr/bin/env bash
# Where the bytes go: the crates with the most .text in the x86_64 release build of cwmpd
# (same profile as the router builds: opt-level z, LTO, one codegen unit, panic=abort), from
# `cargo bloat --crates`. The release profile strips symbols, and cargo-bloat needs them, so
# this builds unstripped into its own target directory (target/bloat) to leave the normal
# release build alone. Figures are .text of the unstripped x86_64 host binary; router
# binaries are smaller (build-std, floor) but rank the crates the same way.
#
#   cross/bloat.sh [N] [EXTRA CARGO-BLOAT ARGS...]   N: how many crates (default 12)
# Needs cargo-bloat (`cargo install --locked cargo-bloat`).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-12}"
shift || true
command -v cargo-bloat >/dev/null || { echo "bloat.sh: cargo install --locked cargo-bloat first" >&2; exit 2; }
CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/bloat}" \
  cargo bloat --locked --release --bin cwmpd --crates -n "$n" "$@"

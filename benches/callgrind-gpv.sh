#!/usr/bin/env bash
# Instruction counts (callgrind Ir) of one GetParameterValues answer on the XX230v dump, in
# process (benches/gpv.rs --callgrind): the request envelope decoded, the names resolved,
# the snapshot taken and the response envelope streamed. Each figure is a run that answers
# minus a run that stops just before answering (same tree, same request built), so loading
# the dump is not counted.
#
#   bash benches/callgrind-gpv.sh      builds the gpv bench (release profile) if needed
# Env: GPV_BIN (the bench executable).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "callgrind-gpv.sh: valgrind not installed" >&2; exit 2; }
if [[ -z "${GPV_BIN:-}" ]]; then
  GPV_BIN=$(cargo bench --locked --features replay --bench gpv --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "gpv" and m.get("executable"):
        print(m["executable"])')
fi
work=$(mktemp -d /tmp/cwmpd-callgrind-gpv.XXXXXX)
trap 'rm -rf "$work"' EXIT
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$GPV_BIN" "$@" >"$work/stdout" 2>/dev/null
  awk '/^(summary|totals):/ { print $2; exit }' "$work/out"
}
printf '| request | Ir per answer | response |\n|---|---|---|\n'
for mode in full leaves one; do
  total=$(ir --callgrind "$mode")
  response=$(cat "$work/stdout")
  base=$(ir --callgrind "$mode" --build-only)
  printf '| %s | %s | %s |\n' "$mode" "$((total - base))" "$response"
done

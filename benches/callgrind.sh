#!/usr/bin/env bash
# Instruction count of one connection-request session: runs the release `cwmpd` under
# `valgrind --tool=callgrind` against `cwmpd-testacs serve` on loopback, waits for the
# BOOTSTRAP session, sends one connection request (`cwmpd-testacs cr`), waits for that session
# to end, stops cwmpd with SIGTERM and prints the instruction counts (Ir) of the cwmpd process:
# the whole run (start, BOOTSTRAP session, CR session, shutdown) and, when callgrind_control
# answers, the connection-request session alone (a dump after BOOTSTRAP and one after the CR
# session; each dump zeroes the counters, the whole run is the sum of every part).
#
#   bash benches/callgrind.sh            builds target/release/{cwmpd,cwmpd-testacs} if missing
# Env: CWMPD_BIN, TESTACS_BIN (binaries), CALLGRIND_KEEP=1 keeps the work directory.
# Loopback only, every wait is bounded, everything it starts is stopped on exit.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
CWMPD_BIN="${CWMPD_BIN:-target/release/cwmpd}"
TESTACS_BIN="${TESTACS_BIN:-target/release/cwmpd-testacs}"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed (apt-get install valgrind)" >&2; exit 2; }
if [[ ! -x "$CWMPD_BIN" || ! -x "$TESTACS_BIN" ]]; then
  cargo build --locked --release --features testacs --bin cwmpd --bin cwmpd-testacs
fi

work=$(mktemp -d /tmp/cwmpd-callgrind.XXXXXX)
acs_pid="" cpe_pid=""
cleanup() {
  [[ -n "$cpe_pid" ]] && kill -KILL "$cpe_pid" 2>/dev/null || true
  [[ -n "$acs_pid" ]] && kill -TERM "$acs_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [[ "${CALLGRIND_KEEP:-0}" == 1 ]] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for PATTERN COUNT FILE SECONDS: until FILE has COUNT lines matching PATTERN.
wait_for() {
  local deadline=$((SECONDS + $4)) seen
  # grep -c prints nothing for a file not written yet: count that as 0, not as done.
  while seen=$(grep -c -- "$1" "$3" 2>/dev/null) || true; ((${seen:-0} < $2)); do
    if ((SECONDS >= deadline)); then
      echo "callgrind.sh: timed out after $4 s waiting for '$1' x$2 in $3" >&2
      tail -n 20 "$work"/*.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

acs_port=$(free_port)
cr_port=$(free_port)
"$TESTACS_BIN" serve --bind "127.0.0.1:$acs_port" --path /acs --auth digest --user cpe --pass pw \
  >"$work/acs.log" 2>&1 &
acs_pid=$!
wait_for "test ACS listening" 1 "$work/acs.log" 10

cat >"$work/cwmpd.conf" <<EOF
config acs 'acs'
	option url 'http://127.0.0.1:$acs_port/acs'
	option username 'cpe'
	option password 'pw'
	option periodic_enable '0'
config cpe 'cpe'
	option manufacturer_oui '00D09E'
	option serial_number 'CALLGRIND1'
config connection_request 'cr'
	option address '127.0.0.1'
	option port '$cr_port'
	option path '/cr'
	option username 'cr'
	option password 'crpw'
config agent 'agent'
	option state_file '$work/state'
	option boot_marker '$work/boot'
	option log_level 'warn'
EOF

out="$work/callgrind.out"
valgrind --tool=callgrind --callgrind-out-file="$out" "$CWMPD_BIN" -c "$work/cwmpd.conf" \
  >"$work/cwmpd.log" 2>&1 &
cpe_pid=$!
done_line="(session done)"
wait_for "$done_line" 1 "$work/acs.log" 120
# dump PART: callgrind_control writes the counts so far to a numbered part and zeroes them.
dump() { command -v callgrind_control >/dev/null && timeout 30 callgrind_control -d "$1" "$cpe_pid" >/dev/null 2>&1; }
split=0
dump bootstrap && split=1

"$TESTACS_BIN" cr "http://127.0.0.1:$cr_port/cr" cr crpw
wait_for "$done_line" 2 "$work/acs.log" 60
if ((split)); then
  before=("$out".*)
  dump cr-session || split=0
fi

kill -TERM "$cpe_pid"
deadline=$((SECONDS + 60))
while kill -0 "$cpe_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "callgrind.sh: cwmpd did not exit after SIGTERM" >&2; exit 1; }
  sleep 0.2
done
status=0
wait "$cpe_pid" || status=$?
cpe_pid=""
((status == 0)) || echo "callgrind.sh: cwmpd exited with status $status" >&2

# summary:/totals: lines hold the event counts; Ir is the first (and only) event here.
ir_of() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
sum_ir() { local t=0 f v; for f in "$@"; do v=$(ir_of "$f"); t=$((t + ${v:-0})); done; echo "$t"; }
files=("$out" "$out".*)
total=$(sum_ir "${files[@]}")
echo "sessions seen by the ACS: $(grep -c -- "$done_line" "$work/acs.log")"
printf 'cwmpd Ir, whole run (start, BOOTSTRAP, connection-request session, SIGTERM): %s\n' "$total"
if ((split)); then
  cr_part=""
  for f in "$out".*; do [[ " ${before[*]} " == *" $f "* ]] || cr_part="$f"; done
  cr_ir=$(ir_of "$cr_part")
  printf 'cwmpd Ir, connection-request session alone (CR received -> 204, all threads): %s\n' "$cr_ir"
fi

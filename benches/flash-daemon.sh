#!/usr/bin/env bash
# Flash writes of the real daemon: runs the release `cwmpd` under `strace -f` against
# `cwmpd-testacs serve` on loopback, waits for the BOOTSTRAP session, then sends N
# connection requests one after the other (each a session: Inform, empty POST, 204) and
# counts the fsync/fdatasync and rename system calls the daemon made during those N
# sessions (goal: 0; a state-file write is 2 fsyncs and a rename).
#
#   bash benches/flash-daemon.sh [N]     N defaults to 100; builds the binaries if missing
# Env: CWMPD_BIN, TESTACS_BIN. Loopback only, bounded waits, everything started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100}"
CWMPD_BIN="${CWMPD_BIN:-target/release/cwmpd}"
TESTACS_BIN="${TESTACS_BIN:-target/release/cwmpd-testacs}"
command -v strace >/dev/null || { echo "flash-daemon.sh: strace not installed" >&2; exit 2; }
if [[ ! -x "$CWMPD_BIN" || ! -x "$TESTACS_BIN" ]]; then
  cargo build --locked --release --features testacs --bin cwmpd --bin cwmpd-testacs
fi
work=$(mktemp -d /tmp/cwmpd-flash.XXXXXX)
acs_pid="" cpe_pid=""
cleanup() {
  [[ -n "$cpe_pid" ]] && kill -KILL "$cpe_pid" 2>/dev/null || true
  [[ -n "$acs_pid" ]] && kill -TERM "$acs_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() {
  local deadline=$((SECONDS + $4))
  local seen
  while seen=$(grep -c -- "$1" "$3" 2>/dev/null) || true; ((${seen:-0} < $2)); do
    ((SECONDS < deadline)) || { echo "flash-daemon.sh: timed out waiting for '$1' x$2" >&2; exit 1; }
    sleep 0.05
  done
}
acs_port=$(free_port)
cr_port=$(free_port)
"$TESTACS_BIN" serve --bind "127.0.0.1:$acs_port" --path /acs >"$work/acs.log" 2>&1 &
acs_pid=$!
wait_for "test ACS listening" 1 "$work/acs.log" 10
cat >"$work/cwmpd.conf" <<CONF
config acs 'acs'
	option url 'http://127.0.0.1:$acs_port/acs'
	option periodic_enable '0'
config cpe 'cpe'
	option manufacturer_oui '00D09E'
	option serial_number 'FLASH1'
config connection_request 'cr'
	option address '127.0.0.1'
	option port '$cr_port'
	option path '/cr'
	option username 'cr'
	option password 'crpw'
	option max_per_minute '6000'
config agent 'agent'
	option state_file '$work/state'
	option boot_marker '$work/boot'
	option log_level 'warn'
CONF
strace -f -qq -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$work/trace" \
  "$CWMPD_BIN" -c "$work/cwmpd.conf" >"$work/cwmpd.log" 2>&1 &
cpe_pid=$!
wait_for "(session done)" 1 "$work/acs.log" 60
sleep 0.5
count() { grep -cE "$1" "$work/trace" 2>/dev/null || true; }
fsyncs0=$(count 'fsync\(|fdatasync\(') renames0=$(count 'rename')
for ((i = 1; i <= n; i++)); do
  "$TESTACS_BIN" cr "http://127.0.0.1:$cr_port/cr" cr crpw >/dev/null
  wait_for "(session done)" $((i + 1)) "$work/acs.log" 30
done
sleep 0.5
fsyncs=$(($(count 'fsync\(|fdatasync\(') - fsyncs0)) renames=$(($(count 'rename') - renames0))
echo "BOOTSTRAP session and start: $fsyncs0 fsyncs, $renames0 renames"
echo "$n connection-request sessions after it: $fsyncs fsyncs, $renames renames"

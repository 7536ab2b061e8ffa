#!/usr/bin/env bash
# Checks the cross-built binary sizes against the budgets: reads cross/budgets.txt
# (TARGET MAX_BYTES KIND) and target/cross-sizes.txt (TARGET BYTES KIND, written by
# cross/build.sh; the last line of a target and kind wins) and fails when a binary is over its
# budget or a budgeted binary was not built.
#
#   cross/size-check.sh [TARGET...]   default: every target in budgets.txt
# Env: CWMPD_SIZES (default target/cross-sizes.txt), CWMPD_BUDGETS (default cross/budgets.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${CWMPD_SIZES:-target/cross-sizes.txt}"
budgets="${CWMPD_BUDGETS:-cross/budgets.txt}"
[[ -r "$budgets" ]] || { echo "size-check: no budget file $budgets" >&2; exit 2; }
[[ -r "$sizes" ]] || { echo "size-check: no $sizes: run cross/build.sh first" >&2; exit 2; }
only=" $* "
fail=0 checked=0
while read -r target max kind _; do
  [[ -z "$target" || "$target" == \#* ]] && continue
  [[ "$only" == "  " || "$only" == *" $target "* ]] || continue
  if ! [[ "$max" =~ ^[0-9]+$ && ( "$kind" == floor || "$kind" == default ) ]]; then
    echo "size-check: bad budget line in $budgets: $target $max $kind" >&2; exit 2
  fi
  checked=$((checked + 1))
  bytes=$(awk -F'\t' -v t="$target" -v k="$kind" '$1 == t && $3 == k { b = $2 } END { print b }' "$sizes")
  if [[ -z "$bytes" ]]; then
    prefix=""
    [[ "$kind" == floor ]] && prefix="CWMPD_FLOOR=1 "
    echo "FAIL $target ($kind): not in $sizes; build it with ${prefix}bash cross/build.sh $target"
    fail=1
  elif ((bytes > max)); then
    echo "FAIL $target ($kind): $bytes bytes is $((bytes - max)) bytes over the budget of $max (cross/budgets.txt)"
    fail=1
  else
    echo "ok   $target ($kind): $bytes bytes, budget $max, $((max - bytes)) bytes left"
  fi
done < "$budgets"
if ((checked == 0)); then
  echo "size-check: no budget in $budgets for:$only" >&2; exit 2
fi
if ((fail)); then
  echo "size-check: over budget or missing; see cross/README.md (\"Where the bytes go\") before raising a budget" >&2
  exit 1
fi

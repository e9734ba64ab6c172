#!/usr/bin/env bash
# Kill-during-save loop: starts the host, waits until it is saving, kills it with SIGKILL after a
# random 0-400 ms, and lets the next run check that the folder loads as one of the two saves.
# usage: tests/KillDuringSave/run.sh [kills=40] [backbone=data/models/bert-small]
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-40}
backbone=${2:-data/models/bert-small}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build tests/KillDuringSave -c Release -o "$work/bin" >/dev/null
RANDOM=17
for i in $(seq 1 $((kills + 1))); do
  log="$work/run-$i.log"
  dotnet "$work/bin/KillDuringSave.dll" "$work/prompt" "$backbone" >"$log" 2>&1 &
  pid=$!
  until grep -q '^saving' "$log" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.05
  done
  grep '^check:' "$log"
  if [ "$i" -le "$kills" ]; then
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -9 $pid
  else
    kill $pid
  fi
  wait $pid 2>/dev/null || true
done | tee "$work/checks.txt"
echo "kills: $kills; checks: $(grep -c '^check:' "$work/checks.txt")"
for s in none A B MIXED FAIL; do echo "  $s: $(grep -c "^check: $s" "$work/checks.txt" || true)"; done
echo "  runs that found leftovers: $(grep -vc 'leftovers before the next save: 0 ' "$work/checks.txt" || true)"

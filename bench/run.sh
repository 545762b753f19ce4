#!/usr/bin/env bash
# Benchmark harvest against the CSV parse floor (issue 6). Not part of .ci/run.
#
#   bench/run.sh            10k, 100k and 1M rows
#   bench/run.sh 10000000   also 10M rows
#
# Generates ledgers with ../shared/tools/gen_ledger.py (never committed), times
# `harvest report --year 2025` for fifo, lifo and hifo, `harvest import` of a
# large Coinbase-format export, and the parse floor (a minimal csv-crate reader,
# examples/parse_floor.rs) on the same files, and writes wall time, peak RSS and
# rows per second to bench/RESULTS.md. Needs hyperfine (apt-get install hyperfine)
# and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=../shared/tools/gen_ledger.py
OUT=bench/out
mkdir -p "$OUT"
SIZES=(10000 100000 1000000)
if [ $# -gt 0 ]; then SIZES+=("$@"); fi

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
cargo build --release --quiet --example parse_floor
BIN=target/release/harvest
FLOOR=target/release/examples/parse_floor

# A Coinbase-format export of n buys and sells, newest first, with the preamble.
coinbase_export() {
  python3 - "$1" <<'PY'
import random, sys
from datetime import datetime, timedelta
n = int(sys.argv[1]); rnd = random.Random(7)
t = datetime(2019, 1, 1); rows = []; held = 0.0
for i in range(n):
    t += timedelta(seconds=rnd.randint(60, 3000))
    price = 20000 + 10000 * rnd.random()
    if held > 0.01 and rnd.random() < 0.4:
        q = round(held * rnd.uniform(0.1, 0.9), 8); held -= q
        kind, qty, sub = "Sell", -q, q * price
    else:
        q = round(rnd.uniform(0.001, 0.05), 8); held += q
        kind, qty, sub = "Buy", q, q * price
    fee = round(sub * 0.01, 2)
    tot = sub + fee if kind == "Buy" else sub - fee
    rows.append(f'bench{i:09d},{t:%Y-%m-%d %H:%M:%S} UTC,{kind},BTC,{qty:.8f},USD,"${price:,.2f}","${sub:,.2f}","${tot:,.2f}",${fee:,.2f},{kind} BTC')
print("\nTransactions\nUser,Bench User,0000")
print("ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes")
print("\n".join(reversed(rows)))
PY
}

# mean and fastest wall seconds of a command (hyperfine, 5 runs after a warmup):
# on a shared machine the fastest run is the one least disturbed.
wall() {
  hyperfine --warmup 1 --runs 5 --export-json "$OUT/h.json" "$1" >/dev/null 2>&1 || { echo "FAILED: $1" >&2; echo "nan nan"; return; }
  python3 -c 'import json;r=json.load(open("'"$OUT/h.json"'"))["results"][0];print("%.3f %.3f"%(r["mean"],r["min"]))'
}

# peak RSS in MiB (GNU time)
rss() {
  /usr/bin/time -f "%M" -o "$OUT/rss" bash -c "$1" >/dev/null 2>&1 || true
  python3 -c 'print("%.0f"%(int(open("'"$OUT/rss"'").read().split()[-1])/1024))'
}

rows_per_s() { python3 -c "print(f'{$1/$2:,.0f}' if '$2'!='nan' else 'n/a')"; }
ratio() { python3 -c "print('%.1fx'%($1/$2) if '$1'!='nan' else 'n/a')"; }

RES="$OUT/results.md"
{
  echo "| rows | command | wall (s) | fastest (s) | peak RSS (MiB) | rows/s | x parse floor |"
  echo "|---:|---|---:|---:|---:|---:|---:|"
} > "$RES"

for n in "${SIZES[@]}"; do
  L="$OUT/ledger-$n.csv"
  [ -f "$L" ] || python3 "$GEN" --rows "$n" --seed 1 > "$L"
  read -r f fmin <<< "$(wall "$FLOOR $L")"
  echo "| $n | parse floor (csv crate, every field) | $f | $fmin | $(rss "$FLOOR $L") | $(rows_per_s "$n" "$f") | 1.0x |" >> "$RES"
  for m in fifo lifo hifo; do
    # --missing-basis zero: past ~500k rows gen_ledger's clock runs out and it
    # stamps deposits after sales that spend them; harvest then delivers transfers
    # early with warnings, and this keeps the rare leftover from stopping the run.
    cmd="$BIN report $L --year 2025 --method $m --format csv -q --missing-basis zero -o $OUT/report.csv"
    read -r t tmin <<< "$(wall "$cmd")"
    echo "| $n | report --year 2025 --method $m | $t | $tmin | $(rss "$cmd") | $(rows_per_s "$n" "$t") | $(ratio "$t" "$f") |" >> "$RES"
  done
done

n=200000
C="$OUT/coinbase-$n.csv"
[ -f "$C" ] || coinbase_export "$n" > "$C"
read -r f fmin <<< "$(wall "$FLOOR $C")"
cmd="$BIN import $C -o $OUT/imported.csv"
read -r t tmin <<< "$(wall "$cmd")"
echo "| $n | parse floor (Coinbase export) | $f | $fmin | $(rss "$FLOOR $C") | $(rows_per_s "$n" "$f") | 1.0x |" >> "$RES"
echo "| $n | import (Coinbase export) | $t | $tmin | $(rss "$cmd") | $(rows_per_s "$n" "$t") | $(ratio "$t" "$f") |" >> "$RES"

{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD))."
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Wall time is hyperfine's mean (and fastest) of 5 runs after a warmup; peak RSS from GNU time."
  echo
  cat "$RES"
} > bench/RESULTS.md
cat bench/RESULTS.md

#!/usr/bin/env bash
# The requests `harvest prices --granularity day` makes for a generated ledger
# of 100,000 rows (/work/shared/tools/gen_ledger.py --rows 100000 --seed 1), against
# bench/prices-mock.py on 127.0.0.1 (no request leaves the machine), with an
# empty cache; then the same run again into another file, which the cache
# answers without a request.
#
#   bench/prices-requests.sh [path/to/harvest] [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/harvest}
rows=${2:-100000}
gen=${GEN_LEDGER:-/work/shared/tools/gen_ledger.py}
work=$(mktemp -d)
trap 'kill "$mock" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 "$gen" --rows "$rows" --seed 1 > "$work/ledger.csv"
port=$((20000 + RANDOM % 20000))
python3 bench/prices-mock.py "$port" > "$work/requests.log" &
mock=$!
sleep 1
export HARVEST_COINBASE_URL="http://127.0.0.1:$port/cb"
export HARVEST_BINANCE_URL="http://127.0.0.1:$port/bn"
export HARVEST_FX_URL="http://127.0.0.1:$port/fx"
export HARVEST_COINGECKO_URL="http://127.0.0.1:$port/cg"
python3 - "$work/ledger.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assets = {r[c] for r in rows for c in ("sent_asset", "received_asset", "fee_asset")} - {"", "USD"}
print(f"ledger: {len(rows)} rows, {len(assets)} assets, {rows[0]['time'][:10]} to {rows[-1]['time'][:10]}")
PY
for run in first second; do
  before=$(wc -l < "$work/requests.log")
  /usr/bin/time -f "  $run run: %e s" "$bin" prices "$work/ledger.csv" --granularity day \
    --as-of 2025-12-31 --cache "$work/cache" -o "$work/prices-$run.csv" 2>&1 | tail -2
  after=$(wc -l < "$work/requests.log")
  echo "  $run run: $((after - before)) requests seen by the server, $(($(wc -l < "$work/prices-$run.csv") - 1)) prices written"
done
cmp "$work/prices-first.csv" "$work/prices-second.csv" && echo "  the two files are the same"

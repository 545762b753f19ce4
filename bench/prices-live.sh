#!/usr/bin/env bash
# The live check of `harvest prices`, for a person with internet (CI never
# runs it, and no test reaches the internet): fetch a few known daily prices
# from each real provider, through harvest, and compare them with the closes
# the providers publish, fetched here with curl from the same public
# endpoints. Only symbols and dates leave the machine.
#
#   bench/prices-live.sh [path/to/harvest]
#
# What it checks, for each of a few dates:
#   Coinbase   BTC and ETH: harvest's day price = (open + close) / 2 of the
#              day candle of /products/{BASE}-USD/candles;
#   Binance    DOGE (through --source binance): (open + close) / 2 of the 1d
#              kline of DOGEUSDT on data-api.binance.vision, in USDT;
#   Frankfurter EUR and GBP: the ECB rate of that day (base=EUR&symbols=USD);
#   CoinGecko  only when HARVEST_COINGECKO_API_KEY is set: BTC mapped to
#              "coingecko:bitcoin", against the published daily point.
# A difference is printed and the script exits 1; it allows none.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/harvest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dates=(2023-03-15 2024-06-03 2025-01-10)
fail=0

ledger="$work/ledger.csv"
echo "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note" > "$ledger"
n=0
for d in "${dates[@]}"; do
  for a in BTC ETH DOGE; do
    n=$((n + 1))
    echo "r$n,${d}T12:00:00Z,w,income,,,1,$a,,,,,," >> "$ledger"
  done
  n=$((n + 1)); echo "r$n,${d}T12:00:00Z,w,buy,100,EUR,0.001,BTC,,,,,," >> "$ledger"
  n=$((n + 1)); echo "r$n,${d}T12:00:00Z,w,buy,100,GBP,0.001,BTC,,,,,," >> "$ledger"
done

price() { # file asset time -> price
  awk -F, -v a="$2" -v t="$3" '$2 == a && $1 == t { print $3 }' "$1"
}
same() { # what harvest published
  if python3 -c "import sys; from decimal import Decimal as D; sys.exit(0 if D('$2') == D('$3') else 1)"; then
    echo "  ok    $1: $2"
  else
    echo "  DIFF  $1: harvest $2, published $3"; fail=1
  fi
}

echo "Coinbase and Frankfurter (default sources), day candles:"
"$bin" prices "$ledger" --granularity day --cache "$work/cache" -o "$work/p.csv" -q --as-of 2025-01-10
for d in "${dates[@]}"; do
  t="${d}T12:00:00Z"
  s=$(date -u -d "$d" +%Y-%m-%dT00:00:00Z)
  for a in BTC ETH; do
    want=$(curl -sf "https://api.exchange.coinbase.com/products/$a-USD/candles?granularity=86400&start=$s&end=$s" \
      | python3 -c "import json,sys; from decimal import Decimal as D; c=json.load(sys.stdin, parse_float=D)[0]; print((D(c[3])+D(c[4]))/2)")
    same "coinbase $a $d" "$(price "$work/p.csv" "$a" "$t")" "$want"
  done
  for c in EUR GBP; do
    want=$(curl -sf "https://api.frankfurter.dev/v1/$d?base=$c&symbols=USD" \
      | python3 -c "import json,sys; from decimal import Decimal as D; print(json.load(sys.stdin, parse_float=D)['rates']['USD'])")
    same "frankfurter $c $d" "$(price "$work/p.csv" "$c" "$t")" "$want"
  done
done

echo "Binance (--source binance), 1d klines in USDT:"
"$bin" prices "$ledger" --granularity day --source binance --cache "$work/cache" -o "$work/b.csv" -q --as-of 2025-01-10
for d in "${dates[@]}"; do
  t="${d}T12:00:00Z"
  ms=$(( $(date -u -d "$d" +%s) * 1000 ))
  want=$(curl -sf "https://data-api.binance.vision/api/v3/klines?symbol=DOGEUSDT&interval=1d&startTime=$ms&limit=1" \
    | python3 -c "import json,sys; from decimal import Decimal as D; k=json.load(sys.stdin)[0]; print((D(k[1])+D(k[4]))/2)")
  same "binance DOGE $d" "$(price "$work/b.csv" DOGE "$t")" "$want"
done

if [ -n "${HARVEST_COINGECKO_API_KEY:-}" ]; then
  echo "CoinGecko (BTC as coingecko:bitcoin):"
  printf 'price_sources = ["coingecko"]\n[price_symbols]\nBTC = "coingecko:bitcoin"\n' > "$work/harvest.toml"
  "$bin" prices "$ledger" --granularity day --config "$work/harvest.toml" --cache "$work/cache" -o "$work/g.csv" -q --as-of 2025-01-10
  for d in "${dates[@]}"; do
    day=$(date -u -d "$d" +%s)
    # a range over 90 days, as harvest asks: daily points at 00:00 UTC
    want=$(curl -sf -H "x-cg-demo-api-key: $HARVEST_COINGECKO_API_KEY" \
      "https://api.coingecko.com/api/v3/coins/bitcoin/market_chart/range?vs_currency=usd&from=$((day - 100 * 86400))&to=$((day + 100 * 86400))" \
      | python3 -c "import json,sys; from decimal import Decimal as D; p={int(t)//1000: v for t, v in json.load(sys.stdin, parse_float=D)['prices']}; print((D(p[$day]) + D(p[$day + 86400])) / 2)")
    same "coingecko BTC $d" "$(price "$work/g.csv" BTC "${d}T12:00:00Z")" "$want"
  done
fi

[ "$fail" = 0 ] && echo "all prices match the published ones"
exit "$fail"

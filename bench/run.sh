#!/usr/bin/env bash
# Benchmark harvest against the CSV parse floor (issue 6). Not part of .ci/run.
#
#   bench/run.sh            10k, 100k and 1M rows
#   bench/run.sh 10000000   also 10M rows
#
# Generates ledgers with ../shared/tools/gen_ledger.py (never committed), times
# `harvest report --year 2025` for fifo, lifo and hifo, at 1M rows also report,
# gains, lots and scan in each output format and the large year 2026,
# `harvest import` of the ledger and of a large Coinbase-format export, and the parse floor (a minimal csv-crate reader,
# examples/parse_floor.rs) on the same files, and writes wall time, peak RSS and
# rows per second to bench/RESULTS.md. Needs python3 and GNU time (/usr/bin/time,
# apt-get install time). ROUNDS=n sets the rounds per size (default 7).
# ONE_CORE=1 pins every process, the floor's too, to one core (taskset -c 0),
# as when the second core is busy: wall time is then CPU time, threads and all.
# It writes bench/RESULTS-one-core.md instead of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=../shared/tools/gen_ledger.py
OUT=bench/out
mkdir -p "$OUT"
SIZES=(10000 100000 1000000)
if [ $# -gt 0 ]; then SIZES+=("$@"); fi

[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
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

for n in "${SIZES[@]}"; do
  L="$OUT/ledger-$n.csv"
  [ -f "$L" ] || python3 "$GEN" --rows "$n" --seed 1 > "$L"
done
C="$OUT/coinbase-1000000.csv"
[ -f "$C" ] || coinbase_export 1000000 > "$C"
# Prices of gen_ledger's assets, for `scan` (no network: a fixed table).
printf 'asset,price\nADA,0.31\nAVAX,12.5\nBTC,61000\nDOGE,0.09\nDOT,3.2\nETH,1900\nLINK,9.5\nMATIC,0.35\nSOL,95\nUNI,6\nUSDC,1\n' > "$OUT/prices.csv"

# Timing. The machine is shared and its speed drifts by 2x within minutes, so
# the commands of one size are run in rounds: each round runs the parse floor and
# then every report once, back to back. Each is a whole process; wall time is
# taken around it and peak RSS by GNU time (/usr/bin/time) in the same run. The
# ratio to the floor is the median over rounds of (command / floor of that round):
# both ran within seconds of each other, on the same machine state.
ROUNDS=${ROUNDS:-7}
ONE_CORE=${ONE_CORE:-0}
DEST=bench/RESULTS.md
if [ "$ONE_CORE" = 1 ]; then
  command -v taskset > /dev/null || { echo "ONE_CORE=1 needs taskset (util-linux)" >&2; exit 1; }
  DEST=bench/RESULTS-one-core.md
fi
export ONE_CORE
# CPU time the hypervisor gave to other guests (steal), over the whole run: on a
# shared machine it is the main cause of slow runs.
cpu_counters() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $9}' /proc/stat; }
read -r TOTAL0 STEAL0 < <(cpu_counters)
RES="$OUT/results.md"
python3 - "$ROUNDS" "$RES" "$BIN" "$FLOOR" "$OUT" "${SIZES[@]}" <<'PY'
import collections, os, statistics, subprocess, sys, time
rounds, res, binary, floor, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sizes = [int(n) for n in sys.argv[6:]]

def run(cmd):
    rss_file = f"{out}/rss"
    pin = ["taskset", "-c", "0"] if os.environ.get("ONE_CORE") == "1" else []
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + pin + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"FAILED ({p.returncode}): {' '.join(cmd)}")
    m, user, system = open(rss_file).read().split()[-3:]
    return wall, int(m) / 1024, float(user) + float(system)

def measure(cmds):
    """cmds: [(label, argv)], the first the floor. Returns per label (walls, rss)."""
    for _, c in cmds:  # warm the page cache and the binary
        run(c)
    walls = {l: [] for l, _ in cmds}
    rss = {l: 0.0 for l, _ in cmds}
    for _ in range(rounds):
        for l, c in cmds:
            w, r, t = run(c)
            walls[l].append(w)
            cpu[l].append(t)
            rss[l] = max(rss[l], r)
    return walls, rss

cpu = collections.defaultdict(list)  # label -> CPU seconds (user + system)
lines = ["| rows | command | wall mean (s) | fastest (s) | CPU median (s) | peak RSS (MiB) | rows/s | x parse floor (median of rounds) | x floor (fastest / fastest) |",
         "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]

def table(n, cmds, walls, rss):
    base = cmds[0][0]
    for l, _ in cmds:
        w = walls[l]
        ratio = statistics.median(a / b for a, b in zip(w, walls[base]))
        fast = min(w) / min(walls[base])
        lines.append(f"| {n} | {l} | {statistics.mean(w):.3f} | {min(w):.3f} | "
                     f"{statistics.median(cpu[l][-len(w):]):.2f} | {rss[l]:.0f} | "
                     f"{n / statistics.mean(w):,.0f} | {ratio:.1f}x | {fast:.1f}x |")

fastest = {}  # (rows, command) -> fastest wall
rounds_of = {}  # (rows, command) -> the wall of each round

for n in sizes:
    L = f"{out}/ledger-{n}.csv"
    cmds = [("parse floor (csv crate, every field)", [floor, L])]
    for m in ["fifo", "lifo", "hifo"]:
        # --missing-basis zero: past ~500k rows gen_ledger's clock runs out and it
        # stamps deposits after sales that spend them; harvest then delivers
        # transfers early with warnings, and this keeps the rare leftover from
        # stopping the run.
        # --late-identification: from 2025 the law's default is FIFO where
        # nothing identified the lots in time; the what-if keeps measuring LIFO
        # and HIFO themselves.
        late = [] if m == "fifo" else ["--late-identification"]
        cmds.append((f"report --year 2025 --method {m}",
                     [binary, "report", L, "--year", "2025", "--method", m, "--format", "csv",
                      "-q", "--missing-basis", "zero", "-o", f"{out}/report.csv"] + late))
    if n == 1000000:
        # Every command the issue names (report, gains, lots, scan), in each
        # output format, fifo, and each in CSV under hifo: the targets are 4x
        # the floor (fifo), 5x (hifo), and scan at most 1.5x report. scan's
        # --as-of is fixed so that the run does not depend on today's date;
        # its year, 2026, is the large one (below).
        prices = f"{out}/prices.csv"
        views = [("report", ["--year", "2025"]), ("gains", ["--year", "2025"]), ("lots", []),
                 ("scan", ["--as-of", "2026-11-30"])]
        for name, extra in views:
            for fmt, m in [("table", "fifo"), ("csv", "fifo"), ("json", "fifo"), ("csv", "hifo")]:
                if name == "report" and fmt == "csv":
                    continue  # measured above, under each method
                late = [] if m == "fifo" else ["--late-identification"]
                more = ["--prices", prices] if name == "scan" else []
                cmds.append((" ".join([name] + extra + ["--method", m, "--format", fmt]),
                             [binary, name, L] + extra + more + ["--method", m, "--format", fmt,
                              "-q", "--missing-basis", "zero", "-o", f"{out}/view.{fmt}"] + late))
        # The year with the most rows: from ~500k rows gen_ledger's clock runs
        # out and stamps the rest in its last second, 2026-10-31T23:59:59Z
        # (43% of the 1M ledger's rows; 82% at 10M). 2026 then holds 527k Form
        # 8949 rows at 1M: what a year costs, in each format, when the output
        # is as large as the input.
        for fmt in ["csv", "json", "table"]:
            cmds.append((f"report --year 2026 --format {fmt} (527k rows out)",
                         [binary, "report", L, "--year", "2026", "--format", fmt,
                          "-q", "--missing-basis", "zero", "-o", f"{out}/report-2026.{fmt}"]))
    # Import of the ledger itself (issue 18: at most 5x the floor, 256 MiB at 1M rows).
    cmds.append(("import (ledger)", [binary, "import", L, "-o", f"{out}/imported-ledger.csv"]))
    walls, rss = measure(cmds)
    table(n, cmds, walls, rss)
    for l, _ in cmds:
        fastest[(n, l)] = (min(walls[l]), statistics.median(walls[l]))
        rounds_of[(n, l)] = walls[l]
    sys.stderr.write(f"{n} rows done\n")

n = 1000000
C = f"{out}/coinbase-{n}.csv"
cmds = [("parse floor (Coinbase export)", [floor, C]),
        ("import (Coinbase export)", [binary, "import", C, "-o", f"{out}/imported.csv"])]
walls, rss = measure(cmds)
table(n, cmds, walls, rss)
# Scaling: each size against the one 10x smaller, fastest against fastest and
# median against median (target: at most 11x the time for 10x the rows).
lines += ["", "Scaling (10x the rows):", "",
          "| rows | command | time x (fastest) | time x (median) |", "|---|---|---:|---:|"]
for n in sizes:
    if n // 10 not in sizes:
        continue
    for (m, l), (f, med) in fastest.items():
        if m == n and (n // 10, l) in fastest:
            f0, med0 = fastest[(n // 10, l)]
            lines.append(f"| {n // 10} -> {n} | {l} | {f / f0:.1f}x | {med / med0:.1f}x |")
# scan against report (target: at most 1.5x), each format, the median over
# rounds of (scan / report of the same round): report of 2025, the year the
# other rows measure, and of 2026, the year scan itself computes.
n = 1000000
if (n, "scan --as-of 2026-11-30 --method fifo --format csv") in rounds_of:
    lines += ["", "scan against report (1M rows, fifo; the median over rounds of scan / report):", "",
              "| format | x report --year 2025 | x report --year 2026 |", "|---|---:|---:|"]
    for fmt in ["table", "csv", "json"]:
        scan = rounds_of[(n, f"scan --as-of 2026-11-30 --method fifo --format {fmt}")]
        r25 = rounds_of[(n, "report --year 2025 --method fifo" if fmt == "csv"
                         else f"report --year 2025 --method fifo --format {fmt}")]
        r26 = rounds_of[(n, f"report --year 2026 --format {fmt} (527k rows out)")]
        x = lambda r: statistics.median(a / b for a, b in zip(scan, r))
        lines.append(f"| {fmt} | {x(r25):.2f}x | {x(r26):.2f}x |")
open(res, "w").write("\n".join(lines) + "\n")
PY

read -r TOTAL1 STEAL1 < <(cpu_counters)
STEAL=$(( 100 * (STEAL1 - STEAL0) / (TOTAL1 - TOTAL0 + 1) ))
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD))."
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
  echo "Each size runs in $ROUNDS rounds of (parse floor, fifo, lifo, hifo, and at 1M every command and format), one whole process each, after a warmup;"
  echo "wall time around each process, peak RSS from GNU time. The ratio is the median over rounds of"
  echo "(command / the floor of the same round). CPU is user + system time, the median over rounds."
  echo "CPU time stolen by other guests of the host during the run: ${STEAL}%."
  if [ "$ONE_CORE" = 1 ]; then
    echo "Every process, the floor's too, was pinned to one core (\`taskset -c 0\`), as when the second core is busy."
  fi
  echo
  cat "$RES"
  echo
  echo "Reproduce: \`bench/run.sh\` (add \`10000000\` for 10M rows; \`ROUNDS=n\` for more rounds; \`ONE_CORE=1\` on one core)."
  # The reading of the figures is written by hand, beside the script.
  if [ "$ONE_CORE" != 1 ] && [ -f bench/reading.md ]; then echo; cat bench/reading.md; fi
  if [ "$ONE_CORE" = 1 ]; then echo; echo "The reading of these figures is in bench/RESULTS.md."; fi
} > "$DEST"
cat "$DEST"

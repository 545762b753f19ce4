#!/usr/bin/env python3
"""Scaling checks for histories the generated ledger does not have (issue 18).

Each shape is generated at a size and at four times it, the command timed
(the fastest of three runs), and the ratio printed: about 4x is linear in
the history, about 16x quadratic. Not part of .ci/run.

    bench/shapes.py [--binary target/release/harvest] [--scale 1.0] [--only NAME] [--runs 3]

The files go to bench/out/shapes/ (not committed). Every command runs
offline; none needs --prices from the network.
"""

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time

HEADER = ("id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,"
          "fee_qty,fee_asset,usd_value,fee_usd,txid,note,category,basis_usd,acquired\n")


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def payouts(d, n):
    """A wallet paying out and receiving thousands of sums a day, each with
    a txid of its own: deposits that pair with nothing (pairing by time)."""
    days, per = 30, n // 60
    t0 = dt.datetime(2024, 1, 1)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write("seed,2023-12-31T00:00:00Z,hot,buy,1000000,USD,1000,BTC,,,,,,,,,\n")
        for day in range(days):
            for i in range(per):
                t = stamp(t0 + dt.timedelta(days=day, seconds=i * 86400 // per))
                k = day * per + i
                f.write(f"d{k},{t},cold,deposit,,,0.001,BTC,,,,,in-{k},,,,\n")
                f.write(f"w{k},{t},hot,withdrawal,0.001,BTC,,,,,,,out-{k},,,,\n")
    return ["lots", f"{d}/ledger.csv", "--format", "csv", "--missing-basis", "zero"]


def cold_wallet(d, n):
    """An exchange account paying out small sums between moves to its own
    cold wallet, no txids: pairing by time past thousands of payouts."""
    days, per = 30, n // 90
    t0 = dt.datetime(2024, 1, 1)
    rows = []
    for day in range(days):
        for i in range(per):
            t = t0 + dt.timedelta(days=day, seconds=i * 86400 // per)
            k = day * per + i
            rows.append((t, f"p{k},{stamp(t)},ex,withdrawal,0.001,BTC,,,,,,,,,,,"))
            rows.append((t, f"w{k},{stamp(t)},ex,withdrawal,1,BTC,,,,,,,,,,,"))
            t2 = t + dt.timedelta(minutes=10)
            rows.append((t2, f"d{k},{stamp(t2)},cold,deposit,,,0.999,BTC,,,,,,,,,"))
    rows.sort(key=lambda r: r[0])
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write(f"seed,2023-12-31T00:00:00Z,ex,buy,1000000,USD,{n},BTC,,,,,,,,,\n")
        f.writelines(r + "\n" for _, r in rows)
    return ["lots", f"{d}/ledger.csv", "--format", "csv"]


def tokens(d, n):
    """Thousands of tokens, each bought in one of 500 wallets in 2024, moved to
    one of 300 others and sold in 2025: the 2025 allocation of each."""
    t0 = dt.datetime(2024, 6, 1)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        for k in range(n // 4):
            t = t0 + dt.timedelta(seconds=k * 10)
            a, acct, to = f"TK{k}", f"w{k % 500}", f"v{k % 300}"
            f.write(f"b{k},{stamp(t)},{acct},buy,10,USD,100,{a},,,,,,,,,\n")
            f.write(f"x{k},{stamp(t + dt.timedelta(hours=1))},{acct},withdrawal,100,{a},,,,,,,,,,,\n")
            f.write(f"y{k},{stamp(t + dt.timedelta(hours=2))},{to},deposit,,,100,{a},,,,,,,,,\n")
            f.write(f"s{k},{stamp(t + dt.timedelta(days=300))},{to},sell,100,{a},5,USD,,,,,,,,,\n")
    return ["allocation", f"{d}/ledger.csv", "--format", "json"]


def kraken(d, n):
    """Kraken's trades.csv and ledgers.csv of the same trades in EUR (which
    need a price): every trade of one gives way to the other's copy."""
    t0 = dt.datetime(2024, 1, 1)
    with open(f"{d}/trades.csv", "w") as tr, open(f"{d}/ledgers.csv", "w") as lg:
        tr.write('"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers"\n')
        lg.write('"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"\n')
        for k in range(n // 3):
            s = (t0 + dt.timedelta(seconds=k * 60)).strftime("%Y-%m-%d %H:%M:%S")
            tx, l1, l2 = f"T{k:07d}-AAAAA-AAAAAA", f"L{k:07d}-AAAAA-AAAA01", f"L{k:07d}-AAAAA-AAAA02"
            tr.write(f'"{tx}","O{k}","XBT/EUR","{s}.0000","buy","limit",40000.0,40.0,0.064,0.001,0.0,"","{l1},{l2}"\n')
            lg.write(f'"{l1}","{tx}","{s}","trade","","currency","ZEUR",-40.0000,0.0640,100.0000\n')
            lg.write(f'"{l2}","{tx}","{s}","trade","","currency","XXBT",0.0010000000,0.0000000000,0.0010000000\n')
    return ["import", f"{d}/trades.csv", f"{d}/ledgers.csv", "-o", f"{d}/imported.csv"]


def many_files(d, n):
    """An export of 50 rows for each of hundreds of accounts, given at once."""
    names = []
    for a in range(n // 50):
        name = f"{d}/a{a}.csv"
        with open(name, "w") as f:
            f.write(HEADER)
            for k in range(50):
                f.write(f"a{a}-{k},2024-{1 + k % 12:02d}-{1 + k % 28:02d}T{k % 24:02d}:00:00Z,acct{a},buy,100,USD,0.001,BTC,,,,,,,,,\n")
        names.append(name)
    return ["lots", *names, "--format", "csv"]


def form_1099da(d, n):
    """A bot's thousands of sales a day, each of its own quantity, and the
    broker's 1099-DA listing them newest first."""
    rnd = random.Random(5)
    days, per = 30, n // 60
    t0 = dt.datetime(2025, 1, 1)
    rows = []
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write(f"b0,2024-01-01T00:00:00Z,coinbase,buy,1000000,USD,{days * per},BTC,,,,,,,,,\n")
        for day in range(days):
            for i in range(per):
                t = t0 + dt.timedelta(days=day, seconds=i * 86400 // per)
                q = round(rnd.uniform(0.001, 0.01), 8)
                f.write(f"s{day}-{i},{stamp(t)},coinbase,sell,{q},BTC,{q * 60000:.2f},USD,,,,,,,,,\n")
                rows.append(f"coinbase,BTC,{q},{t:%Y-%m-%d},{q * 60000:.2f}\n")
    with open(f"{d}/1099da.csv", "w") as f:
        f.write("account,asset,units,date_sold,proceeds\n")
        f.writelines(reversed(rows))
    return ["reconcile", f"{d}/ledger.csv", "--1099da", f"{d}/1099da.csv", "--year", "2025", "--format", "csv"]


def moved_lot(d, n):
    """One early lot moved to a wallet in thousands of parts and sold there
    in as many: each Form 8949 row's audit trail."""
    t0 = dt.datetime(2025, 1, 1)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write("b0,2017-01-01T00:00:00Z,ex,buy,10000,USD,100000,BTC,,,,,,,,,\n")
        for k in range(n // 3):
            t = t0 + dt.timedelta(minutes=k * 20)
            at = lambda m: stamp(t + dt.timedelta(minutes=m))
            f.write(f"w{k},{at(0)},ex,withdrawal,0.01,BTC,,,,,,,tx{k},,,,\n")
            f.write(f"d{k},{at(1)},cold,deposit,,,0.01,BTC,,,,,tx{k},,,,\n")
            f.write(f"s{k},{at(2)},cold,sell,0.005,BTC,300,USD,,,,,,,,,\n")
    return ["audit", f"{d}/ledger.csv", "--year", "2025", "--format", "csv"]


def sent_outside(d, n):
    """A lot sent out in thousands of small sums, half of each coming back:
    audit's gaps, what went outside and stayed there."""
    t0 = dt.datetime(2025, 1, 1)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write("b0,2017-01-01T00:00:00Z,ex,buy,10000,USD,100000,BTC,,,,,,,,,\n")
        f.write("b1,2017-01-01T00:00:00Z,ex2,buy,10000,USD,100000,BTC,,,,,,,,,\n")
        for k in range(n // 2):
            t = t0 + dt.timedelta(minutes=k * 5)
            at = lambda m: stamp(t + dt.timedelta(minutes=m))
            f.write(f"w{k},{at(0)},ex,withdrawal,0.01,BTC,,,,,,,out{k},,,,\n")
            f.write(f"d{k},{at(1)},ex,deposit,,,0.005,BTC,,,,,in{k},,,,\n")
            if k % 100 == 0:
                f.write(f"s{k},{at(2)},ex2,sell,0.002,BTC,100,USD,,,,,,,,,\n")
    return ["audit", f"{d}/ledger.csv", "--year", "2025", "--format", "csv"]


def dca_scan(d, n):
    """A DCA history of losing lots in many assets and accounts, and a large
    gain this year: scan's plan and its notes."""
    t0 = dt.datetime(2022, 1, 1)
    assets = max(1, n // 60)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write("g0,2021-01-01T00:00:00Z,cb,buy,1000,USD,10,GAIN,,,,,,,,,\n")
        f.write("g1,2026-02-01T00:00:00Z,cb,sell,10,GAIN,5000000,USD,,,,,,,,,\n")
        for k in range(n):
            t = t0 + dt.timedelta(minutes=k * 10)
            f.write(f"b{k},{stamp(t)},w{k % 50},buy,{100 + k % 37},USD,1,A{k % assets},,,,,,,,,\n")
    with open(f"{d}/prices.csv", "w") as f:
        f.write("asset,price\n")
        f.writelines(f"A{k},50\n" for k in range(assets))
        f.write("GAIN,1\n")
    return ["scan", f"{d}/ledger.csv", "--prices", f"{d}/prices.csv", "--as-of", "2026-11-30", "--format", "csv"]


def wash_tokens(d, n):
    """Thousands of tokens, each bought twice and sold at a loss within 30
    days of the second buy: the simulated wash-sale rule's replacements."""
    t0 = dt.datetime(2025, 1, 1)
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        for k in range(n // 3):
            t = t0 + dt.timedelta(seconds=k * 60)
            at = lambda days: stamp(t + dt.timedelta(days=days))
            a, acct = f"TK{k}", f"w{k % 50}"
            f.write(f"b{k},{at(0)},{acct},buy,10,USD,100,{a},,,,,,,,,\n")
            f.write(f"c{k},{at(5)},{acct},buy,6,USD,50,{a},,,,,,,,,\n")
            f.write(f"s{k},{at(10)},{acct},sell,50,{a},3,USD,,,,,,,,,\n")
    return ["report", f"{d}/ledger.csv", "--year", "2025", "--format", "csv", "--wash-window", "30"]


def own_sends(d, n):
    """A cold wallet taking thousands of deposits a day between sends to it
    from an exchange whose deposits never show (its export is missing): the
    own-address pass looks for each send's deposit among a week of them."""
    days = 30
    t0 = dt.datetime(2025, 1, 1)
    cold = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    with open(f"{d}/harvest.toml", "w") as f:
        f.write(f'[accounts.cold]\naddresses = ["{cold}"]\n')
    with open(f"{d}/ledger.csv", "w") as f:
        f.write(HEADER)
        f.write("s0,2024-06-01T00:00:00Z,kr,buy,100000,USD,100000,BTC,,,,,,,,,\n")
        f.write("s1,2024-06-01T00:00:00Z,cb,buy,100000,USD,100000,BTC,,,,,,,,,\n")
        for k in range(n // 2):
            t = t0 + dt.timedelta(seconds=k * days * 86400 // (n // 2))
            if k % 10 == 0:
                f.write(f"o{k},{stamp(t)},cb,withdrawal,0.37,BTC,,,,,,,,to {cold},,,\n")
            else:
                f.write(f"w{k},{stamp(t)},kr,withdrawal,0.01,BTC,,,,,,,,,,,\n")
                t = t + dt.timedelta(seconds=1)
                f.write(f"d{k},{stamp(t)},cold,deposit,,,0.01,BTC,,,,,,,,,\n")
    return ["lots", f"{d}/ledger.csv", "--config", f"{d}/harvest.toml", "--format", "csv"]


SHAPES = [
    ("payouts", payouts, 120_000),
    ("cold-wallet", cold_wallet, 120_000),
    ("tokens", tokens, 100_000),
    ("kraken", kraken, 60_000),
    ("many-files", many_files, 10_000),
    ("1099da", form_1099da, 30_000),
    ("moved-lot", moved_lot, 30_000),
    ("sent-outside", sent_outside, 40_000),
    ("dca-scan", dca_scan, 60_000),
    ("wash-tokens", wash_tokens, 30_000),
    ("own-sends", own_sends, 40_000),
]


def fastest(argv, runs=3):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took = time.perf_counter() - t
        if r.returncode not in (0, 1):
            sys.exit(f"{' '.join(argv)}: exit status {r.returncode}")
        best = took if best is None else min(best, took)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", default="target/release/harvest")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--only")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "shapes")
    print("| shape | command | rows | time | rows x4 | time | x |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, make, n in SHAPES:
        if a.only and a.only != name:
            continue
        n = int(n * a.scale)
        times = []
        for size in (n, 4 * n):
            d = os.path.join(out, f"{name}-{size}")
            os.makedirs(d, exist_ok=True)
            argv = make(d, size)
            times.append(fastest([a.binary, *argv], a.runs))
        print(f"| {name} | `{argv[0]}` | {n:,} | {times[0]:.2f} s | {4 * n:,} | {times[1]:.2f} s "
              f"| {times[1] / times[0]:.1f}x |", flush=True)


if __name__ == "__main__":
    main()

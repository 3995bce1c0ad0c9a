#!/usr/bin/env python3
"""The Markdown report of bench/soak.sh, from the files it left in TMP.

peak-{lists,downloads,cycles}.json   one closed-loop peak per class
run.jsonl                            one line per 10 s interval of the soak
samples.txt                          epoch, VmRSS KiB, fds, database connections, threads, database bytes, sockets
machine-{before,after}.txt           load average and busiest processes
log-summary.txt                      the server's WARN and ERROR lines, counted

Settings come from the environment the script exports. Exit status 0 when
every target is met, 1 when one is missed.

usage: soak_report.py TMP
"""

import json
import os
import sys
from statistics import mean

tmp = sys.argv[1]
env = os.environ
secs = int(env["SOAK_SECS"])
start, end = float(env["SOAK_START"]), float(env["SOAK_END"])
classes = {"lists": ("session-list", "attempt-list"), "downloads": ("download",), "cycles": ("cycle",)}
asked = {"lists": float(env["LISTS_RATE"]), "downloads": float(env["DOWNLOADS_RATE"]), "cycles": float(env["CYCLES_RATE"])}
peak = {c: json.load(open(f"{tmp}/peak-{c}.json")) for c in classes}
lines, unreadable = [], 0
for line in open(f"{tmp}/run.jsonl"):
    try:
        lines.append(json.loads(line))
    except ValueError:  # a line cut short (a full disk, a killed run): said, not hidden
        unreadable += 1

samples = []
for line in open(f"{tmp}/samples.txt"):
    if len(line.split()) != 7 or not all(f.replace(".", "").isdigit() for f in line.split()):
        unreadable += 1
        continue
    epoch, rss, fds, conns, threads, dbbytes, sockets = line.split()
    t = float(epoch) - start
    if -1 <= t <= secs + 1:
        samples.append({"t": t, "rss": int(rss), "fds": int(fds), "conns": int(conns),
                        "threads": int(threads), "db": int(dbbytes), "sockets": int(sockets),
                        "files": int(fds) - int(sockets)})
first = [s for s in samples if s["t"] < 60]
last = [s for s in samples if s["t"] >= secs - 60]

totals, errors = {}, {}
for line in lines:
    for kind, k in line["kinds"].items():
        totals[kind] = totals.get(kind, 0) + k["ok"]
        for status, n in k["errors"].items():
            errors[(kind, status)] = errors.get((kind, status), 0) + n
dropped = {c: sum(line["dropped"][c] for line in lines) for c in classes}
failed = sum(errors.values())
requests = sum(n for kind, n in totals.items() if kind != "cycle") + sum(
    n for (kind, _), n in errors.items() if kind != "cycle")


def p99(kinds, window):
    values = [line["kinds"][k]["p99_ms"] for line in lines if window(line["t"]) for k in kinds if k in line["kinds"]]
    return mean(values) if values else 0.0


in_first = lambda t: t <= 60
in_last = lambda t: t > secs - 60 + 1 and t <= secs + 1
rss_first, rss_last = mean(s["rss"] for s in first), mean(s["rss"] for s in last)
rss_growth = (rss_last / rss_first - 1) * 100
# Descriptors other than sockets (files, the database, pipes, eventfds): the
# fewest open at any sample must not grow. A count at one instant also holds
# whatever was open for a moment (seen: in 3 of 137 one-second samples),
# while a leaked one stays and raises the floor. Sockets follow the clients'
# connections, which open and close with the load: the last minute's mean
# may not exceed the first minute's highest (a leak grows past it and keeps
# growing).
files_first, files_last = min(s["files"] for s in first), min(s["files"] for s in last)
sockets_first, sockets_last = max(s["sockets"] for s in first), mean(s["sockets"] for s in last)
conns_first, conns_last = max(s["conns"] for s in first), max(s["conns"] for s in last)
achieved = {c: sum(totals.get(k, 0) for k in kinds) / secs for c, kinds in classes.items()}
held = {c: achieved[c] / asked[c] if asked[c] else 1.0 for c in classes}
mib = lambda kib: f"{kib / 1024:.1f} MiB"
ok = lambda b: "**pass**" if b else "**FAIL**"
conns_name = "PostgreSQL connections (`pg_stat_activity`, application `kycmedia`)" if env["BACKEND"] == "postgres" \
    else "descriptors open on the SQLite file (one per pooled connection)"

print(f"### Soak, {env['BACKEND_NAME']}: {secs} s of mixed load at {float(env['SOAK_LOAD']):.0%} of the peak")
print()
print(f"Command: `{env['COMMAND']}`. Read set: {env['SESSIONS']} submitted sessions of 5 fixture images. "
      f"Peaks: each class alone, {env['PEAK_SECS']} s closed loop. Server: `kycmedia serve`, RUST_LOG=warn, "
      "media sealed under a master key" + (f", PostgreSQL {env['PG_VERSION']} defaults" if env["PG_VERSION"] else "") + ".")
print()
print("| class | peak alone | share of the load | asked | achieved | held | dropped (generator behind) |")
print("|---|---:|---:|---:|---:|---:|---:|")
share = {"lists": 0.4, "downloads": 0.3, "cycles": 0.3}
unit = {"lists": "req/s", "downloads": "req/s", "cycles": "cycles/s"}
for c in classes:
    print(f"| {c} | {peak[c]['rate']:,.1f} {unit[c]} | {share[c]:.0%} | {asked[c]:,.1f} | {achieved[c]:,.1f} | "
          f"{held[c]:.3f} | {dropped[c]} |")
print()
print(f"A cycle is 6 requests: create, 3 uploads (face.jpg, document-front.jpg, document-back.jpg), "
      f"list (must show 3 images), delete. Requests answered in all: {requests:,} "
      f"({requests / secs:,.0f}/s); server CPU {int(env['CPU_TICKS']) / int(env['HZ']) / secs * 100:.0f} % of one core on average.")
print()
print("| kind | answered right | per second | p99, first minute | p99, last minute | failed |")
print("|---|---:|---:|---:|---:|---:|")
for kind in ("session-list", "attempt-list", "download", "create", "upload", "cycle-list", "delete", "cycle"):
    bad = sum(n for (k, _), n in errors.items() if k == kind)
    print(f"| {kind} | {totals.get(kind, 0):,} | {totals.get(kind, 0) / secs:,.1f} | "
          f"{p99([kind], in_first):.2f} ms | {p99([kind], in_last):.2f} ms | {bad} |")
if errors:
    print()
    print("Failures by kind and answer: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(errors.items())) + ".")
print()
print("| minute | RSS | open fds (of which sockets) | database connections | threads | database on disk |")
print("|---:|---:|---:|---:|---:|---:|")
for minute in range(0, (secs + 59) // 60):
    window = [s for s in samples if minute * 60 <= s["t"] < (minute + 1) * 60]
    if window:
        w = window[-1]
        print(f"| {minute + 1} | {mib(w['rss'])} | {w['fds']} ({w['sockets']}) | {w['conns']} | {w['threads']} | "
              f"{w['db'] / 1048576:.1f} MiB |")
print()
print(f"Sampled every 10 s: {len(samples)} samples, {len(first)} in the first minute and {len(last)} in the last; "
      f"the table shows each minute's last. Database connections: {conns_name}.")
print()
print("| target | first minute | last minute | result |")
print("|---|---:|---:|---|")
print(f"| failed requests = 0 | | {failed} | {ok(failed == 0)} |")
print(f"| RSS growth < 10 % (mean of samples) | {mib(rss_first)} | {mib(rss_last)} ({rss_growth:+.1f} %) | "
      f"{ok(rss_growth < 10)} |")
print(f"| open descriptors other than sockets do not grow (fewest in a sample) | {files_first} | {files_last} | "
      f"{ok(files_last <= files_first)} |")
print(f"| sockets do not grow (first minute's max, last minute's mean) | {sockets_first} | {sockets_last:.1f} | "
      f"{ok(sockets_last <= sockets_first)} |")
print(f"| database connections do not grow (max) | {conns_first} | {conns_last} | {ok(conns_last <= conns_first)} |")
print(f"| every class held ≥ 99 % of its asked rate | | {min(held.values()):.3f} | {ok(min(held.values()) >= 0.99)} |")
print()
before, after = open(f"{tmp}/machine-before.txt").read().split("\n"), open(f"{tmp}/machine-after.txt").read().split("\n")
print(f"Machine: {os.cpu_count()} cores shared with other work; before the soak {before[0]}, after it {after[0]}. "
      "Busiest processes at the start: " + ", ".join(" ".join(l.split()[::-1]) + " %" for l in before[1:] if l.strip()) + ".")
if unreadable:
    print()
    print(f"**{unreadable} report or sample lines were unreadable** (cut short) and are left out of the figures above.")
log = open(f"{tmp}/log-summary.txt").read().strip()
print()
print("Server log, WARN and ERROR lines: " + ("none." if not log else "\n\n```\n" + log + "\n```"))
passed = (unreadable == 0 and failed == 0 and rss_growth < 10 and files_last <= files_first
          and sockets_last <= sockets_first and conns_last <= conns_first and min(held.values()) >= 0.99)
sys.exit(0 if passed else 1)

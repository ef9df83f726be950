"""Times report downloads from a running b2h server: each URL asked ROUNDS times one after the
other (no If-None-Match, so each is laid out anew; the first ask is timed on its own), then CONCURRENT at once. Prints one JSON
line per URL: its name, bytes, and p50/p95/max milliseconds, alone and under concurrency.

  python3 timing.py BASE KEY ROUNDS CONCURRENT NAME=PATH...
  python3 timing.py --table FILE     (those lines as the Markdown table rows)
"""
import json
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def fetch(base, key, path):
    request = urllib.request.Request(base + path, headers={"authorization": f"Bearer {key}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}")
    return elapsed, len(body)


def summary(times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"p50": round(statistics.median(times), 1), "p95": round(p95, 1), "max": round(times[-1], 1)}


def table(path):
    for line in open(path):
        r = json.loads(line)
        a, c = r["alone"], r["concurrent"]
        print(f"| {r['name']} | {r['bytes']:,} | {r['first']} | {a['p50']} / {a['p95']} / {a['max']} "
              f"| {c['p50']} / {c['p95']} / {c['max']} |")


def main():
    if sys.argv[1] == "--table":
        return table(sys.argv[2])
    base, key, rounds, concurrent = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for pair in sys.argv[5:]:
        name, path = pair.split("=", 1)
        # The first ask: no memo of this document yet (typst reuses the layout of unchanged
        # parts, so asking again for the same bytes is quicker).
        first = fetch(base, key, path)[0]
        alone = [fetch(base, key, path) for _ in range(rounds)]
        with ThreadPoolExecutor(concurrent) as pool:
            together = list(pool.map(lambda _: fetch(base, key, path), range(rounds * concurrent)))
        print(json.dumps({
            "name": name,
            "bytes": alone[0][1],
            "first": round(first, 1),
            "alone": summary([t for t, _ in alone]),
            "concurrent": summary([t for t, _ in together]),
        }))


main()

#!/usr/bin/env python3
"""Keeps writes flowing through b2h while bench/impact.sh measures reads.

    writer.py URL KEY RATE OUT

At RATE writes a second (a write: `recordOutcomes` changing a submitted record's value, which
sends it back to draft, then `submitOutcomes`, which makes it count again; each in its own
transaction, each updating both rollups), cycling over 200 submitted records, each time by +1 or
back by -1. Runs until SIGTERM, then writes a JSON summary to OUT: writes done, failures, the
achieved rate, and the 50th and 95th percentile of a write's two requests together in ms.
"""
import json
import signal
import sys
import time
import urllib.request

url, key, rate, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}


def call(query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=60) as r:
        answer = json.load(r)
    if answer.get("errors"):
        raise RuntimeError(answer["errors"][0].get("message"))
    return answer["data"]


records = call("""{ outcomeRecords(first: 200, filter: {status: {eq: SUBMITTED}}) { nodes {
  id version value sampleSize baseline target dataSource evidenceStrength periodStart periodEnd
  project { reference } measure { code } } } }""")["outcomeRecords"]["nodes"]
if not records:
    sys.exit("no submitted records to change")
RECORD = """mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id version } } }"""
SUBMIT = """mutation($ids: [ID!]!, $v: [Int!]) { submitOutcomes(ids: $ids, versions: $v) { id version } }"""

latencies, failures, started = [], 0, time.monotonic()
stop = False


def finish(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, finish)
signal.signal(signal.SIGINT, finish)
step, i = 1.0 / rate, 0
next_at = time.monotonic()
while not stop:
    r = records[i % len(records)]
    # Down first where the value allows (percentages stay within 0-100), then back.
    first = -1 if r.get("first", r["value"]) >= 1 else 1
    r.setdefault("first", r["value"])
    delta = first if (i // len(records)) % 2 == 0 else -first
    t = time.monotonic()
    try:
        made = call(RECORD, {"r": [{
            "project": r["project"]["reference"], "measure": r["measure"]["code"],
            "periodStart": r["periodStart"], "periodEnd": r["periodEnd"], "value": r["value"] + delta,
            "sampleSize": r["sampleSize"], "baseline": r["baseline"], "target": r["target"],
            "dataSource": r["dataSource"], "evidenceStrength": r["evidenceStrength"],
            "version": r["version"]}]})["recordOutcomes"]["records"][0]
        done = call(SUBMIT, {"ids": [made["id"]], "v": [made["version"]]})["submitOutcomes"][0]
        r["version"], r["value"] = done["version"], r["value"] + delta
        latencies.append((time.monotonic() - t) * 1000)
    except Exception as e:  # counted and reported; the record is read again next time round
        failures += 1
        print(f"write failed: {e}", file=sys.stderr)
        fresh = call("query($id: ID!) { outcomeRecords(filter: {id: {eq: $id}}) { nodes { version value } } }",
                     {"id": r["id"]})["outcomeRecords"]["nodes"]
        if fresh:
            r["version"], r["value"] = fresh[0]["version"], fresh[0]["value"]
    i += 1
    next_at += step
    time.sleep(max(0.0, next_at - time.monotonic()))

elapsed = time.monotonic() - started
latencies.sort()
pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0
json.dump({"writes": len(latencies), "failures": failures, "seconds": round(elapsed, 1),
           "rate": round(len(latencies) / elapsed, 2) if elapsed else 0,
           "p50_ms": round(pct(50), 1), "p95_ms": round(pct(95), 1)}, open(out, "w"))

#!/usr/bin/env python3
"""How long a write through one `b2h serve` takes to show in another's figures (same database).

    feed_delay.py FIRST_URL SECOND_URL KEY N

N times: a submitted record's value changed and submitted again through the first server (the
answer says its change sequence), then the second polled until its answers reflect that
sequence. Prints the delays' p50, p95 and max in ms, from the first's answer to the second's.
"""
import json
import sys
import time
import urllib.request

first, second, key, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}


def call(url, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=60) as r:
        answer = json.load(r)
    if answer.get("errors"):
        raise RuntimeError(answer["errors"][0].get("message"))
    return answer


records = call(first, """{ outcomeRecords(first: 50, filter: {status: {eq: SUBMITTED}}) { nodes {
  id version value sampleSize baseline target dataSource evidenceStrength periodStart periodEnd
  project { reference } measure { code } } } }""")["data"]["outcomeRecords"]["nodes"]
RECORD = "mutation($r: [OutcomeRecordInput!]!) { recordOutcomes(records: $r) { records { id version } } }"
SUBMIT = "mutation($ids: [ID!]!) { submitOutcomes(ids: $ids) { id version } }"
delays = []
for i in range(n):
    r = records[i % len(records)]
    row = {"project": r["project"]["reference"], "measure": r["measure"]["code"],
           "periodStart": r["periodStart"], "periodEnd": r["periodEnd"],
           "value": r["value"] + 1, "sampleSize": r["sampleSize"],
           "baseline": r["baseline"], "target": r["target"], "dataSource": r["dataSource"],
           "evidenceStrength": r["evidenceStrength"], "version": r["version"]}
    made = call(first, RECORD, {"r": [row]})["data"]["recordOutcomes"]["records"][0]
    done = call(first, SUBMIT, {"ids": [made["id"]]})
    r["version"] = done["data"]["submitOutcomes"][0]["version"]
    r["value"] = row["value"]
    wanted = done["extensions"]["changeSequence"]
    started = time.perf_counter()
    while call(second, "{ __typename }")["extensions"]["changeSequence"] < wanted:
        if time.perf_counter() - started > 30:
            sys.exit(f"the second server did not reach sequence {wanted} in 30 s")
    delays.append((time.perf_counter() - started) * 1000)
    time.sleep(0.2)
delays.sort()
pct = lambda p: delays[min(len(delays) - 1, int(p / 100 * len(delays)))]
print(f"{pct(50):.1f} {pct(95):.1f} {delays[-1]:.1f}")

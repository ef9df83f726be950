#!/usr/bin/env python3
"""Checks that b2h and PostGraphile with pg-aggregates agree where both can answer.

    same.py QUERY B2H_ANSWER PEER_ANSWER

p (campaign progress): the total and every breakdown equal. i (impact by region and month): per
area, month and measure, the number of records and of projects, the sum of a SUM measure and the
sample-weighted mean of a WEIGHTED_MEAN one (the peer's Σ value × sample / Σ sample); LATEST
measures the peer cannot compute (it only sums and averages), so only their counts are compared.
Exits non-zero, naming the first difference.
"""
import json
import sys

query, ours, peer = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for name, answer in (("b2h", ours), ("PostGraphile", peer)):
    if answer.get("errors"):
        sys.exit(f"{name} answered with errors: {answer['errors']}")


def close(a, b):
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))


checked = 0
if query == "p":
    ours, peer = ours["data"]["campaignProgress"], peer["data"]["allCountedRecords"]
    assert close(ours["supported"], peer["aggregates"]["sum"]["value"]), (ours["supported"], peer["aggregates"])
    for mine, theirs, key in (("byBeneficiary", "byBeneficiary", "beneficiary"),
                              ("byPathwayStage", "byStage", "stage"),
                              ("byRegion", "byRegion", "region"),
                              ("byMonth", "byMonth", "month")):
        got = {}
        for e in ours[mine]:
            k = e[key]["code"] if key == "region" else e[key]
            got[str(k).lower()] = e["supported"]
        want = {g["keys"][0].lower(): g["sum"]["value"] for g in peer[theirs]}
        want = {k: v for k, v in want.items() if v}
        got = {k: v for k, v in got.items() if v}
        if set(got) != set(want) or not all(close(got[k], want[k]) for k in got):
            sys.exit(f"campaign progress {mine} differs:\nb2h {got}\npeer {want}")
        checked += len(got)
else:
    peer_groups = {tuple(g["keys"]): g for g in peer["data"]["allCountedRecords"]["groupedAggregates"]}
    seen = 0
    for group in ours["data"]["impact"]:
        area, month = group["key"]["region"]["code"], group["key"]["month"]
        for f in group["figures"]:
            seen += 1
            g = peer_groups.get((area, month, f["measure"]["id"]))
            if g is None:
                sys.exit(f"the peer has no group {area} {month} {f['measure']['code']}")
            where = f"{area} {month} {f['measure']['code']}"
            assert int(g["distinctCount"]["rowId"]) == f["records"], (where, g, f)
            assert int(g["distinctCount"]["projectId"]) == f["projects"], (where, g, f)
            if f["aggregation"] == "SUM":
                assert close(g["sum"]["value"], f["value"]), (where, g, f)
            elif f["aggregation"] == "WEIGHTED_MEAN" and int(g["sum"]["sampleSize"]) > 0:
                mean = g["sum"]["weightedValue"] / int(g["sum"]["sampleSize"])
                assert close(mean, f["value"]), (where, g, f)
            checked += 1
    if seen != len(peer_groups):
        sys.exit(f"b2h has {seen} figures, the peer {len(peer_groups)} groups")
print(f"query {query}: b2h and PostGraphile agree on {checked} figures")

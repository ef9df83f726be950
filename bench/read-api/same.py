"""Checks that b2h and PostGraphile gave the same rows, in the same order, for one query.

    python3 same.py QUERY B2H_RESPONSE POSTGRAPHILE_RESPONSE

Prints how many rows matched; exits 1 (naming the difference) when the answers differ.
"""
import json
import sys


def rows(query, system, body):
    if body.get("errors"):
        sys.exit(f"{system} answered query {query} with errors: {body['errors']}")
    data = body["data"]
    if query == "a":
        nodes = data["projects" if system == "b2h" else "allProjects"]["nodes"]
        if system == "b2h":
            return [(p["id"], len(p["stages"]), len(p["grantAllocations"])) for p in nodes]
        return [
            (p["rowId"], len(p["projectStagesByProjectId"]["nodes"]), len(p["grantAllocationsByProjectId"]["nodes"]))
            for p in nodes
        ]
    if query == "b":
        if system == "b2h":
            project = data["project"]
            return [project["id"]] + [(r["periodEnd"], r["measure"]["code"]) for r in project["outcomeRecords"]["nodes"]]
        project = data["projectByRowId"]
        measure = "outcomeMeasureByMeasureIdAndMeasureUnitAndMeasureAggregation"
        return [project["rowId"]] + [
            (r["periodEnd"], r[measure]["code"]) for r in project["outcomeRecordsByProjectId"]["nodes"]
        ]
    nodes = data["organisations" if system == "b2h" else "allOrganisations"]["nodes"]
    return [o["id" if system == "b2h" else "rowId"] for o in nodes]


query, ours, theirs = sys.argv[1:4]
a = rows(query, "b2h", json.load(open(ours)))
b = rows(query, "postgraphile", json.load(open(theirs)))
if a != b:
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    sys.exit(f"query {query}: the answers differ at row {first}: b2h {a[first:first + 1]}, PostGraphile {b[first:first + 1]}")
if len(a) < 2:
    sys.exit(f"query {query}: too few rows to compare ({len(a)})")
print(f"query {query}: same {len(a)} rows in the same order")

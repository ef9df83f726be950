"""Checks that b2h and PostGraphile gave the same rows, in the same order, for one query.

    python3 same.py QUERY B2H_RESPONSE POSTGRAPHILE_RESPONSE

Each query's rows are the top-level rows' ids with the number of items of each nested list
(and, for (g), the total count). Prints how many rows matched and the answer sizes; exits 1
(naming the difference) when the answers differ.
"""
import json
import sys


def items(value):
    """A nested list's items: b2h lists are arrays, PostGraphile's connections hold nodes."""
    if isinstance(value, dict) and "nodes" in value:
        return value["nodes"]
    return value or []


def nested(row):
    """The sizes of a row's nested lists, by position, and of lists one level below."""
    sizes = []
    for key in sorted(row):
        value = row[key]
        if isinstance(value, list) or (isinstance(value, dict) and "nodes" in value):
            inner = items(value)
            sizes.append(len(inner))
    return sizes


def rows(query, system, body):
    if body.get("errors"):
        sys.exit(f"{system} answered query {query} with errors: {body['errors']}")
    data = body["data"]
    ident = "id" if system == "b2h" else "rowId"
    if query == "b":
        if system == "b2h":
            project = data["project"]
            return [project["id"]] + [(r["periodEnd"], r["measure"]["code"]) for r in project["outcomeRecords"]["nodes"]]
        project = data["projectByRowId"]
        measure = "outcomeMeasureByMeasureIdAndMeasureUnitAndMeasureAggregation"
        return [project["rowId"]] + [
            (r["periodEnd"], r[measure]["code"]) for r in project["outcomeRecordsByProjectId"]["nodes"]
        ]
    if query == "d":
        project = data["project" if system == "b2h" else "projectByReference"]
        lists = [items(v) for k, v in project.items() if isinstance(v, (list, dict)) and k not in (
            "leadOrganisation", "organisationByLeadOrganisationId")]
        return [project[ident]] + sorted(len(v) for v in lists) + [project["title"]]
    (field,) = data.keys()
    connection = data[field]
    out = [("total", connection["totalCount"])] if "totalCount" in connection else []
    for node in connection["nodes"]:
        lists = [items(v) for v in node.values() if isinstance(v, list) or (isinstance(v, dict) and "nodes" in v)]
        deeper = sum(
            len(items(inner))
            for lst in lists
            for item in lst
            for inner in item.values()
            if isinstance(inner, list) or (isinstance(inner, dict) and "nodes" in inner)
        )
        out.append((node[ident], tuple(sorted(len(v) for v in lists)), deeper))
    return out


query, ours, theirs = sys.argv[1:4]
ours_body, theirs_body = open(ours).read(), open(theirs).read()
a = rows(query, "b2h", json.loads(ours_body))
b = rows(query, "postgraphile", json.loads(theirs_body))
if a != b:
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    sys.exit(f"query {query}: the answers differ at row {first} ({len(a)} against {len(b)} rows): "
             f"b2h {a[first:first + 1]}, PostGraphile {b[first:first + 1]}")
if len(a) < 2:
    sys.exit(f"query {query}: too few rows to compare ({len(a)})")
print(f"query {query}: same {len(a)} rows in the same order "
      f"(b2h {len(ours_body) // 1024} KB, PostGraphile {len(theirs_body) // 1024} KB)")

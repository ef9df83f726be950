"""Reads a b2h snapshot the way evaluators do and checks it against the database and the API.

    python check_snapshot.py OUT EXPECTED.json

OUT is the export folder (its `latest` names the snapshot). EXPECTED.json, written by the
end-to-end test, holds each table's row count in the database, the exact sums of the money
columns, and the API's campaignProgress and impact(groupBy: [MEASURE, YEAR]) answers.

Every file is read by pyarrow, pandas, polars and DuckDB; row counts must equal the database's
and the manifest's, checksums must match, types must be the documented ones, and fact_outcomes
added up by each measure's aggregation must reproduce the API's figures. Prints what it checked;
exits 1 with the reasons on the first table or figure that differs.
"""

import collections
import datetime
import decimal
import hashlib
import json
import os
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_files(snap, manifest):
    """Every file listed exists with its size and checksum; nothing unlisted lies around."""
    listed = {"manifest.json", "README.md"}
    for table in manifest["tables"]:
        check(table["rows"] == sum(f["rows"] for f in table["files"]), f"{table['name']}: file rows do not add up")
        for f in table["files"]:
            listed.add(f["path"])
            path = os.path.join(snap, f["path"])
            if not check(os.path.isfile(path), f"{f['path']} is missing"):
                continue
            check(os.path.getsize(path) == f["bytes"], f"{f['path']}: size differs from the manifest")
            check(sha256(path) == f["sha256"], f"{f['path']}: sha256 differs from the manifest")
    found = set()
    for root, _, files in os.walk(snap):
        for name in files:
            found.add(os.path.relpath(os.path.join(root, name), snap).replace(os.sep, "/"))
    check(found == listed, f"files on disk and in the manifest differ: {sorted(found ^ listed)}")


def check_parquet(snap, table):
    """Types, descriptions and the writer properties analysts rely on, file by file."""
    columns = {c["name"]: c for c in table["columns"]}
    for f in table["files"]:
        pf = pq.ParquetFile(os.path.join(snap, f["path"]))
        schema = pf.schema_arrow
        where = f["path"]
        check(pf.metadata.num_rows == f["rows"], f"{where}: {pf.metadata.num_rows} rows, manifest {f['rows']}")
        check(schema.names == list(columns), f"{where}: columns {schema.names}")
        for field in schema:
            c = columns.get(field.name)
            if c is None:
                continue
            check(str(field.type) == c["type"], f"{where}.{field.name}: {field.type}, manifest {c['type']}")
            check(field.nullable == c["nullable"], f"{where}.{field.name}: nullable {field.nullable}")
            described = (field.metadata or {}).get(b"description", b"").decode()
            check(described == c["description"], f"{where}.{field.name}: description missing from field metadata")
        meta = pf.metadata
        sorted_by = [c["name"] for c in table["columns"]].index
        expected_sort = tuple(sorted_by(n) for n in table["sortedBy"])
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            check(rg.num_rows <= 1_048_576, f"{where}: row group {g} has {rg.num_rows} rows")
            if g < meta.num_row_groups - 1:
                check(rg.num_rows >= 100_000, f"{where}: row group {g} has only {rg.num_rows} rows")
            got_sort = tuple(s.column_index for s in (rg.sorting_columns or ()))
            check(got_sort == expected_sort, f"{where}: sorting_columns {got_sort}, expected {expected_sort}")
            for i in range(rg.num_columns):
                col = rg.column(i)
                name = col.path_in_schema
                check(col.compression == "ZSTD", f"{where}.{name}: {col.compression}")
                check(col.is_stats_set, f"{where}.{name}: no statistics")
                check(col.has_column_index and col.has_offset_index, f"{where}.{name}: no page index")
                top = name.split(".")[0]
                if columns.get(top, {}).get("type", "").startswith("dictionary"):
                    check(col.has_dictionary_page, f"{where}.{name}: categorical column not dictionary-encoded")


def table_path(snap, table):
    if table["partitionedBy"]:
        return os.path.join(snap, table["name"])
    return os.path.join(snap, table["files"][0]["path"])


def check_readers(snap, table, expected_rows, money):
    name = table["name"]
    path = table_path(snap, table)
    rows = table["rows"]
    check(rows == expected_rows, f"{name}: manifest {rows} rows, database {expected_rows}")
    # pyarrow (whole table, hive partitions included)
    arrow = pq.read_table(path)
    check(arrow.num_rows == expected_rows, f"pyarrow {name}: {arrow.num_rows} rows")
    # pandas
    df = pd.read_parquet(path)
    check(len(df) == expected_rows, f"pandas {name}: {len(df)} rows")
    for c in table["columns"]:
        if c["type"].startswith("dictionary"):
            check(isinstance(df[c["name"]].dtype, pd.CategoricalDtype), f"pandas {name}.{c['name']}: {df[c['name']].dtype}")
        if c["type"] == "timestamp[us, tz=UTC]":
            check(str(df[c["name"]].dtype) == "datetime64[us, UTC]", f"pandas {name}.{c['name']}: {df[c['name']].dtype}")
    # polars
    if table["partitionedBy"]:
        pldf = pl.read_parquet(os.path.join(path, "**", "*.parquet"), hive_partitioning=True)
    else:
        pldf = pl.read_parquet(path)
    check(pldf.height == expected_rows, f"polars {name}: {pldf.height} rows")
    for c in table["columns"]:
        dtype = pldf.schema[c["name"]]
        want = {
            "date32[day]": pl.Date,
            "timestamp[us, tz=UTC]": pl.Datetime("us", "UTC"),
            "decimal128(18, 2)": pl.Decimal(18, 2),
            "int32": pl.Int32,
            "int64": pl.Int64,
            "double": pl.Float64,
            "bool": pl.Boolean,
            "string": pl.String,
        }.get(c["type"])
        if c["type"].startswith("dictionary"):
            check(dtype in (pl.Categorical, pl.Enum) or isinstance(dtype, (pl.Categorical, pl.Enum)), f"polars {name}.{c['name']}: {dtype}")
        elif want is not None:
            check(dtype == want, f"polars {name}.{c['name']}: {dtype}, expected {want}")
    # DuckDB
    glob = os.path.join(path, "*", "*.parquet") if table["partitionedBy"] else path
    hive = "true" if table["partitionedBy"] else "false"
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning={hive})").fetchone()[0]
    check(count == expected_rows, f"duckdb {name}: {count} rows")
    # Money: exact to the penny in every reader.
    for column, total in money.items():
        table_name, col = column.split(".")
        if table_name != name:
            continue
        want = decimal.Decimal(total)
        got_arrow = sum((v for v in arrow.column(col).to_pylist() if v is not None), decimal.Decimal(0))
        check(got_arrow == want, f"pyarrow {column}: {got_arrow} != {want}")
        got_pandas = sum(df[col].dropna(), decimal.Decimal(0))
        check(got_pandas == want, f"pandas {column}: {got_pandas} != {want}")
        got_polars = pldf[col].sum()
        check(decimal.Decimal(str(got_polars)) == want, f"polars {column}: {got_polars} != {want}")
        got_duck = duckdb.sql(f"SELECT sum({col}) FROM read_parquet('{glob}')").fetchone()[0]
        check(decimal.Decimal(got_duck) == want, f"duckdb {column}: {got_duck} != {want}")


def figures_by_kind(facts):
    """Each (measure, year) figure added up by its measure's aggregation, as the API defines it."""
    groups = collections.defaultdict(list)
    for r in facts:
        groups[(r["measure_code"], r["period_end"].year)].append(r)
    out = {}
    for key, records in groups.items():
        kind = records[0]["aggregation"]
        projects = {r["project_id"] for r in records}
        if kind == "sum":
            value = sum(r["value"] for r in records)
        elif kind == "latest":
            latest = {}
            for r in records:
                best = latest.get(r["project_id"])
                if best is None or r["period_end"] > best["period_end"]:
                    latest[r["project_id"]] = r
            value = sum(r["value"] for r in latest.values())
        elif kind == "weighted_mean":
            weighted = [(r["value"], r["sample_size"]) for r in records if r["sample_size"]]
            n = sum(w for _, w in weighted)
            value = sum(v * w for v, w in weighted) / n if n else None
        else:
            raise ValueError(f"unknown aggregation {kind}")
        sample = sum(r["sample_size"] or 0 for r in records)
        out[key] = {"aggregation": kind, "value": value, "records": len(records), "projects": len(projects), "sample": sample}
    return out


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check_figures(snap, expected):
    facts_table = pq.read_table(os.path.join(snap, "fact_outcomes"))
    facts = [r for r in facts_table.to_pylist() if r["counted"]]
    # campaignProgress: the counts-toward-target measures (all flows), by the API's breakdowns.
    progress = expected["progress"]
    target = [r for r in facts if r["counts_toward_target"]]
    check(all(r["aggregation"] == "sum" for r in target), "a target measure is not a flow")
    total = sum(r["value"] for r in target)
    check(total == progress["supported"], f"supported {total}, API {progress['supported']}")
    def by(key):
        sums = collections.defaultdict(float)
        for r in target:
            sums[key(r)] += r["value"]
        return dict(sums)
    api_beneficiary = {e["beneficiary"].lower(): e["supported"] for e in progress["byBeneficiary"]}
    check(by(lambda r: r["beneficiary"]) == api_beneficiary, f"by beneficiary {by(lambda r: r['beneficiary'])} != {api_beneficiary}")
    api_stage = {e["stage"].lower(): e["supported"] for e in progress["byPathwayStage"]}
    check(by(lambda r: r["primary_stage"]) == api_stage, f"by stage differs: {by(lambda r: r['primary_stage'])} != {api_stage}")
    api_region = {e["region"]["code"]: e["supported"] for e in progress["byRegion"]}
    check(by(lambda r: r["region_code"] or r["nation_code"]) == api_region, "by region differs")
    api_month = {e["month"]: e["supported"] for e in progress["byMonth"]}
    ours_month = by(lambda r: r["period_end"].replace(day=1).isoformat())
    check({k: v for k, v in ours_month.items()} == api_month, "by month differs")
    # impact(groupBy: [MEASURE, YEAR]): every measure by its aggregation kind.
    ours = figures_by_kind(facts)
    api = {}
    for group in expected["impact"]:
        year = int(group["key"]["year"])
        for f in group["figures"]:
            api[(f["measure"]["code"], year)] = f
    check(set(ours) == set(api), f"impact groups differ: {sorted(set(ours) ^ set(api))}")
    for key in sorted(set(ours) & set(api)):
        o, a = ours[key], api[key]
        check(o["aggregation"] == a["aggregation"].lower(), f"{key}: aggregation {o['aggregation']} != {a['aggregation']}")
        check(close(o["value"], a["value"]), f"{key}: value {o['value']} != API {a['value']}")
        check(o["records"] == a["records"] and o["projects"] == a["projects"], f"{key}: records/projects differ")
    return len(target), len(ours)


def main():
    out, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path) as f:
        expected = json.load(f)
    with open(os.path.join(out, "latest")) as f:
        snapshot_id = f.read().strip()
    snap = os.path.join(out, "snapshots", snapshot_id)
    with open(os.path.join(snap, "manifest.json")) as f:
        manifest = json.load(f)
    check(manifest["snapshotId"] == snapshot_id, "manifest id differs from latest")
    check(manifest["recordLevel"] is True and manifest["disclosureControlled"] is False, "manifest must say record-level, not disclosure-controlled")
    names = [t["name"] for t in manifest["tables"]]
    check(sorted(names) == sorted(expected["tables"]), f"tables {names}")
    check_files(snap, manifest)
    for table in manifest["tables"]:
        if not table["files"]:
            continue
        check_parquet(snap, table)
        check_readers(snap, table, expected["tables"].get(table["name"]), expected["money"])
    target_records, groups = check_figures(snap, expected)
    with open(os.path.join(snap, "README.md")) as f:
        readme = f.read()
    for table in manifest["tables"]:
        check(f"### {table['name']}" in readme, f"README lacks table {table['name']}")
        for c in table["columns"]:
            check(f"| `{c['name']}` |" in readme, f"README lacks {table['name']}.{c['name']}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(
        f"snapshot {snapshot_id}: {len(names)} tables, {sum(t['rows'] for t in manifest['tables'])} rows, "
        f"{sum(len(t['files']) for t in manifest['tables'])} files read by pyarrow {pa.__version__}, pandas {pd.__version__}, "
        f"polars {pl.__version__}, duckdb {duckdb.__version__}; {target_records} target records reproduce campaignProgress; "
        f"{groups} measure-year figures reproduce impact"
    )


if __name__ == "__main__":
    main()

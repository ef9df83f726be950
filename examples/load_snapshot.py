"""Load the latest b2h snapshot in pandas, polars and DuckDB, as an evaluator would.

    pip install pandas pyarrow polars duckdb
    python examples/load_snapshot.py OUT      # OUT: the folder `b2h export --out OUT` wrote

Each reader prints people supported toward the campaign target by pathway stage and year: the
same figures the API's campaignProgress gives. The snapshot is record-level and NOT
disclosure-controlled: apply the campaign's rules before publishing any figure from it.
"""

import json
import os
import sys

import duckdb
import pandas as pd
import polars as pl


def latest_snapshot(out):
    """The folder of the newest complete snapshot, and its manifest."""
    with open(os.path.join(out, "latest")) as f:
        snapshot_id = f.read().strip()
    folder = os.path.join(out, "snapshots", snapshot_id)
    with open(os.path.join(folder, "manifest.json")) as f:
        return folder, json.load(f)


def with_pandas(snap):
    facts = pd.read_parquet(os.path.join(snap, "fact_outcomes"))  # year=YYYY folders become a column
    people = facts[facts["counted"] & facts["counts_toward_target"]]
    return people.groupby(["primary_stage", "year"], observed=True)["value"].sum()


def with_polars(snap):
    facts = pl.scan_parquet(os.path.join(snap, "fact_outcomes", "**", "*.parquet"), hive_partitioning=True)
    return (
        facts.filter(pl.col("counted") & pl.col("counts_toward_target"))
        .group_by("primary_stage", "year")
        .agg(pl.col("value").sum())
        .sort("primary_stage", "year")
        .collect()
    )


def with_duckdb(snap):
    facts = os.path.join(snap, "fact_outcomes", "*", "*.parquet")
    return duckdb.sql(
        f"""
        SELECT primary_stage, year, sum(value) AS people
        FROM read_parquet('{facts}', hive_partitioning = true)
        WHERE counted AND counts_toward_target
        GROUP BY ALL ORDER BY ALL
        """
    )


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out"
    snap, manifest = latest_snapshot(out)
    print(f"snapshot {manifest['snapshotId']} taken {manifest['createdAt']} from {manifest['source']}")
    print(manifest["notice"], "\n")
    print("pandas\n", with_pandas(snap), "\n")
    print("polars\n", with_polars(snap), "\n")
    print("DuckDB")
    with_duckdb(snap).show()
    # Dimension tables join on their ids, e.g. projects with their lead organisation:
    projects = pd.read_parquet(os.path.join(snap, "projects.parquet"))
    organisations = pd.read_parquet(os.path.join(snap, "organisations.parquet"))
    joined = projects.merge(organisations, left_on="lead_organisation_id", right_on="id", suffixes=("", "_lead"))
    print(f"{len(joined)} projects with their lead organisation")


if __name__ == "__main__":
    main()

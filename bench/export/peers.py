"""The peers of bench/export.sh: the same SELECTs b2h runs, written as Parquet (zstd level 3,
row groups of 131,072 rows, year=YYYY partitions for the fact tables) by another exporter.

    peers.py duckdb|connectorx|adbc QUERIES.jsonl POSTGRES_URL OUT

QUERIES.jsonl is `b2h export --print-queries` (one {"table", "sql", "partitionByYear"} per line).
Prints `ROWS n` at the end.
"""

import glob
import json
import os
import shutil
import sys
import tempfile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ZSTD_LEVEL = 3
ROW_GROUP = 131_072


def load_duckdb():
    """DuckDB with its PostgreSQL extension loaded offline from the PyPI package."""
    import duckdb
    import duckdb_extension_postgres

    package = os.path.dirname(duckdb_extension_postgres.__file__)
    found = glob.glob(os.path.join(package, "**", "*.duckdb_extension"), recursive=True)
    if not found:
        raise SystemExit(f"no .duckdb_extension file under {package}")
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "postgres_scanner.duckdb_extension")
    shutil.copy(found[0], path)
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD '{path}'")
    return con


def libpq(url):
    """postgres://user@host:port/db as a libpq keyword string."""
    rest = url.split("://", 1)[1]
    user_host, db = rest.rsplit("/", 1)
    user, host = user_host.split("@", 1)
    host, port = host.split(":") if ":" in host else (host, "5432")
    return f"host={host} port={port} user={user} dbname={db}"


def with_duckdb(queries, url, out):
    con = load_duckdb()
    con.execute(f"ATTACH '{libpq(url)}' AS pg (TYPE postgres, READ_ONLY)")
    options = f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL}, ROW_GROUP_SIZE {ROW_GROUP}"
    rows = 0
    for q in queries:
        sql = q["sql"].replace("'", "''")
        source = f"postgres_query('pg', '{sql}')"
        if q["partitionByYear"]:
            target = os.path.join(out, q["table"])
            con.execute(
                f"COPY (SELECT *, year({q['partitionByYear']}) AS year FROM {source}) "
                f"TO '{target}' ({options}, PARTITION_BY (year))"
            )
        else:
            target = os.path.join(out, q["table"] + ".parquet")
            con.execute(f"COPY (SELECT * FROM {source}) TO '{target}' ({options})")
        rows += con.execute(f"SELECT count(*) FROM read_parquet('{target if not q['partitionByYear'] else target + '/*/*.parquet'}')").fetchone()[0]
    return rows


class YearWriter:
    """Writes batches into year=YYYY/part-00000.parquet files, one open file per year."""

    def __init__(self, root, column, schema):
        self.root, self.column, self.schema, self.writers = root, column, schema, {}

    def write(self, batch):
        years = pc.year(batch.column(self.column))
        for year in pc.unique(years).to_pylist():
            part = batch.filter(pc.equal(years, year))
            writer = self.writers.get(year)
            if writer is None:
                folder = os.path.join(self.root, f"year={year}")
                os.makedirs(folder, exist_ok=True)
                writer = pq.ParquetWriter(os.path.join(folder, "part-00000.parquet"), self.schema, compression="zstd", compression_level=ZSTD_LEVEL)
                self.writers[year] = writer
            writer.write_batch(part, row_group_size=ROW_GROUP)

    def close(self):
        for w in self.writers.values():
            w.close()


def write_table(q, out, table):
    """Writes a whole Arrow table (connectorx returns one)."""
    if q["partitionByYear"]:
        w = YearWriter(os.path.join(out, q["table"]), q["partitionByYear"], table.schema)
        for batch in table.to_batches(max_chunksize=ROW_GROUP):
            w.write(batch)
        w.close()
    else:
        pq.write_table(table, os.path.join(out, q["table"] + ".parquet"), compression="zstd", compression_level=ZSTD_LEVEL, row_group_size=ROW_GROUP)
    return table.num_rows


def with_connectorx(queries, url, out):
    import connectorx as cx

    rows = 0
    for q in queries:
        table = cx.read_sql(url.replace("postgres://", "postgresql://"), q["sql"], return_type="arrow")
        rows += write_table(q, out, table)
    return rows


def with_adbc(queries, url, out):
    import adbc_driver_postgresql.dbapi as adbc

    rows = 0
    with adbc.connect(url.replace("postgres://", "postgresql://")) as conn:
        for q in queries:
            with conn.cursor() as cur:
                cur.execute(q["sql"])
                reader = cur.fetch_record_batch()  # streams: memory stays flat
                if q["partitionByYear"]:
                    w = YearWriter(os.path.join(out, q["table"]), q["partitionByYear"], reader.schema)
                    for batch in reader:
                        w.write(batch)
                        rows += batch.num_rows
                    w.close()
                else:
                    with pq.ParquetWriter(os.path.join(out, q["table"] + ".parquet"), reader.schema, compression="zstd", compression_level=ZSTD_LEVEL) as w:
                        for batch in reader:
                            w.write_batch(batch, row_group_size=ROW_GROUP)
                            rows += batch.num_rows
    return rows


def main():
    peer, queries_path, url, out = sys.argv[1:5]
    with open(queries_path) as f:
        queries = [json.loads(line) for line in f if line.strip()]
    os.makedirs(out, exist_ok=True)
    rows = {"duckdb": with_duckdb, "connectorx": with_connectorx, "adbc": with_adbc}[peer](queries, url, out)
    print(f"ROWS {rows}")


if __name__ == "__main__":
    main()

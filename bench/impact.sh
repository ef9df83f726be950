#!/usr/bin/env bash
# Impact-analytics benchmark: every question bench/impact/questions.py lists (every dimension and
# filter kind: FUNDER × YEAR, ORGANISATION × QUARTER, PROJECT × QUARTER for one funder's projects
# in one financial year, a data-source filter, a window cutting months, a status and evidence
# filter, missingReturns, funderImpactSummary, campaignProgress…) asked of b2h over HTTP at 1 and
# 4 connections while writes flow through b2h, of DuckDB 1.5.5 over the same database's Parquet
# snapshot (warm, in-process, two threads: its median), and of PostgreSQL as plain SQL (pgbench,
# no HTTP); on the national-scale seed. Prints the Markdown tables recorded in
# docs/benchmarks.md.
#
#   bench/impact.sh
#
# b2h is asked with an evaluator's key (exact, live figures: what DuckDB over the snapshot
# answers); before timing, b2h's impact answers are checked against DuckDB's (same cells, records
# and values). bench/impact/writer.py keeps WRITES writes a second flowing through b2h (each a
# recordOutcomes and a submitOutcomes) for the whole run; the writes' latency is reported with
# the reads running and, first, alone.
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE), DURATION (10s), ROUNDS (2), CONNECTIONS ("1 4"), WRITES (10),
# PYTHON (tests/interop/.venv/bin/python, which ./scripts/test fills; needs duckdb). Shares the
# database b2h_bench_read with bench/read-api.sh (created and seeded with --scale national when
# missing, kept for the next run); the writes change 200 submitted records' values by one and back.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-10s}"
rounds="${ROUNDS:-2}"
connection_counts="${CONNECTIONS:-1 4}"
writes="${WRITES:-10}"
python="${PYTHON:-tests/interop/.venv/bin/python}"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db=b2h_bench_read
url="${admin%/*}/$db?sslmode=disable"
port=5687
work="$(mktemp -d)"
pids=()
keys=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for key in "${keys[@]}"; do
    "$b2h" --database-url "$url" apikey revoke "$(echo "$key" | cut -d_ -f2)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

for tool in wrk pgbench; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is missing: install Debian's package (apt-get install wrk postgresql-contrib)" >&2
    exit 1
  fi
done
"$python" -c 'import duckdb; assert duckdb.__version__ == "1.5.5", duckdb.__version__' || {
  echo "DuckDB 1.5.5 is missing from $python: run ./scripts/test (it fills the venv) or set PYTHON" >&2
  exit 1
}
cargo build --release --quiet -p b2h-api
b2h=target/release/b2h

if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$admin" -qc "CREATE DATABASE $db"
fi
"$b2h" --database-url "$url" migrate >/dev/null
"$b2h" --database-url "$url" seed --scale national --if-empty --no-progress >/dev/null
psql "$url" -qc "VACUUM ANALYZE"
records=$(psql "$url" -Atc "SELECT count(*) FROM outcome_record")
funder=$(psql "$url" -Atc "SELECT g.funder_id FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
  WHERE a.archived_at IS NULL GROUP BY 1 ORDER BY count(DISTINCT a.project_id) DESC, 1 LIMIT 1")
writer_key=$("$b2h" --database-url "$url" apikey create --name "impact benchmark writer" --role admin | sed -n 1p)
reader_key=$("$b2h" --database-url "$url" apikey create --name "impact benchmark reader" --role evaluator | sed -n 1p)
keys+=("$writer_key" "$reader_key")

# The snapshot DuckDB reads: the same records.
"$b2h" --database-url "$url" export --out "$work/export" --no-progress >/dev/null
snapshot="$work/export/snapshots/$(tr -d "[:space:]" <"$work/export/latest")"
"$python" bench/impact/questions.py emit "$funder" "$work/q"
"$python" bench/impact/questions.py duckdb "$funder" "$snapshot" "$work/q" >"$work/duckdb.json"

started=$(date +%s.%N)
"$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$port" >"$work/b2h.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.1
done
ready=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
loaded=$(grep -o 'figures loaded.*' "$work/b2h.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g')

for file in "$work"/q/*.graphql.json; do
  name=$(basename "$file" .graphql.json)
  curl -fs -H 'content-type: application/json' -H "authorization: Bearer $reader_key" \
    -d @"$file" "http://127.0.0.1:$port/graphql" >"$work/q/$name.out"
  if grep -q '"errors"' "$work/q/$name.out"; then
    echo "b2h answered $name with an error: $(head -c 400 "$work/q/$name.out")" >&2
    exit 1
  fi
done
"$python" bench/impact/questions.py same "$work/q" "$work/q" >&2

# A second server on the same database: how long a write through the first takes to show in it.
"$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$((port + 1))" >"$work/second.log" 2>&1 &
second=$!
pids+=($second)
for _ in $(seq 600); do
  curl -fs -o /dev/null "http://127.0.0.1:$((port + 1))/readyz" && break
  sleep 0.1
done
read -r d50 d95 dmax <<<"$(python3 bench/impact/feed_delay.py "http://127.0.0.1:$port/graphql" \
  "http://127.0.0.1:$((port + 1))/graphql" "$writer_key" 40)"
kill -TERM "$second"; wait "$second" 2>/dev/null || true

writer_run() { # seconds -> JSON summary of writes alone
  python3 bench/impact/writer.py "http://127.0.0.1:$port/graphql" "$writer_key" "$writes" "$1" \
    >/dev/null 2>"$work/writer.log" &
  echo $!
}
alone=$(writer_run "$work/writes-alone.json")
sleep 10
kill -TERM "$alone"; wait "$alone" || true
writer=$(writer_run "$work/writer.json")
pids+=($writer)

seconds() { echo "${1%s}"; }

b2h_run() { # question connections -> "p50 p95 requests/s failures"
  local out="$work/run.$1.$2"
  WRK_BODY_FILE="$work/q/$1.graphql.json" WRK_AUTHORIZATION="Bearer $reader_key" \
    wrk -t1 -c"$2" -d"$duration" --timeout 60s -s bench/read-api/post.lua \
    "http://127.0.0.1:$port/graphql" >"$out"
  awk '$1 == "RESULT" { printf "%.1f %.1f %.2f %d\n", $4, $5, $2 / $7, $3 }' "$out"
}

sql_run() { # question connections -> "p50 p95"
  rm -f "$work"/pgb.*
  (cd "$work" && pgbench -n -f "q/$1.pg.sql" -c "$2" -j "$2" -T "$(seconds "$duration")" \
    -l --log-prefix=pgb "${admin%/*}/$db" >"$work/pgbench.out" 2>&1)
  cat "$work"/pgb.* | python3 -c '
import sys
lat = sorted(int(l.split()[2]) / 1000 for l in sys.stdin if l.strip())
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"{pct(50):.0f} {pct(95):.0f}")'
}

echo "National seed: $records outcome records; figures ready ${ready} s after start ($loaded)."
echo "A write through one server showed in a second server's figures after p50 $d50 ms, p95 $d95 ms, at most $dmax ms (40 writes)."
echo "$writes writes/s through b2h throughout; b2h: wrk, $rounds rounds of $duration per question and connection count (the worst round's percentiles); DuckDB 1.5.5: median of 15 warm runs, 2 threads; plain SQL: pgbench over the same time."
echo
header="| question | answer | b2h p50 @1 | b2h p95 @1 | b2h p95 @4 | b2h req/s @4 | DuckDB median | DuckDB / b2h p50 | plain SQL p50 @1 | SQL / b2h p50 |"
echo "$header"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for file in "$work"/q/*.graphql.json; do
  name=$(basename "$file" .graphql.json)
  size=$(stat -c %s "$work/q/$name.out")
  declare -A p50=() p95=() rps=()
  for c in $connection_counts; do
    p50[$c]=0; p95[$c]=0; rps[$c]=0
    for round in $(seq "$rounds"); do
      read -r m n r failed <<<"$(b2h_run "$name" "$c")"
      if [ "${failed:-1}" != 0 ]; then
        echo "b2h failed $failed requests of $name:" >&2
        cat "$work/run.$name.$c" >&2
        exit 1
      fi
      p50[$c]=$(awk -v a="${p50[$c]}" -v b="$m" 'BEGIN {print (b > a) ? b : a}')
      p95[$c]=$(awk -v a="${p95[$c]}" -v b="$n" 'BEGIN {print (b > a) ? b : a}')
      rps[$c]=$(awk -v a="${rps[$c]}" -v b="$r" -v k="$rounds" 'BEGIN {print a + b / k}')
    done
  done
  read -r s50 _ <<<"$(sql_run "$name" 1)"
  duck=$("$python" -c 'import json, sys; print("%.1f" % json.load(open(sys.argv[1]))[sys.argv[2]]["median_ms"])' "$work/duckdb.json" "$name")
  awk -v q="$name" -v size="$size" -v m1="${p50[1]}" -v n1="${p95[1]}" -v n4="${p95[4]}" -v r4="${rps[4]}" \
    -v d="$duck" -v s="$s50" 'BEGIN {
    printf "| %s | %.0f KB | %.1f ms | %.1f ms | %.1f ms | %.0f | %.1f ms | %.1fx | %.0f ms | %.0fx |\n",
      q, size / 1024, m1, n1, n4, r4, d, d / m1, s, s / m1 }'
  unset p50 p95 rps
done

kill -TERM "$writer"
wait "$writer" || true
echo
python3 -c '
import json, sys
for label, path in (("alone", sys.argv[1]), ("while the reads ran", sys.argv[2])):
    w = json.load(open(path))
    print("Writes {label}: {writes} in {seconds} s ({rate}/s), {failures} failed; a write "
          "(recordOutcomes + submitOutcomes, the engine caught up before each answers) took "
          "p50 {p50_ms} ms, p95 {p95_ms} ms.".format(label=label, **w))' "$work/writes-alone.json" "$work/writer.json"

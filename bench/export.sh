#!/usr/bin/env bash
# Export benchmark: the national-scale seed (5,000 projects, ~3.2 million outcome records) in
# PostgreSQL written as a Parquet snapshot by `b2h export` and, in the same run, with the same
# SELECTs (`b2h export --print-queries`) and the same codec (zstd level 3, 131,072-row row
# groups, year partitions), by DuckDB 1.5.5 with its postgres extension (loaded offline from the
# PyPI package), by connectorx + pyarrow and by ADBC + pyarrow; plus the floor, PostgreSQL's own
# `COPY (…) TO STDOUT (FORMAT binary)` of the same SELECTs into /dev/null. Peak RSS of the tenth
# scale (500 projects) is measured too, for b2h's flat-memory promise. Prints Markdown tables
# recorded in docs/benchmarks.md.
#
#   bench/export.sh              # ROUNDS=3 by default: each exporter runs three times, best kept
#
# B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) must allow CREATE
# DATABASE. The databases b2h_bench_export and b2h_bench_export_tenth are seeded when missing and
# kept for later runs (drop them by hand). Python peers go into bench/export/.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGOPTIONS="-c client_min_messages=warning"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
rounds="${ROUNDS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p b2h-api
b2h=target/release/b2h

venv=bench/export/.venv
if ! "$venv/bin/python" -c 'import duckdb, duckdb_extension_postgres, connectorx, adbc_driver_postgresql, pyarrow' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/export/requirements.txt
fi

seeded() { # name projects
  local url="${admin%/*}/$1"
  if ! psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; then
    psql "$admin" -qc "CREATE DATABASE $1" >/dev/null
    "$b2h" --database-url "$url" seed --scale national --projects "$2" --no-progress >/dev/null
  fi
  echo "$url"
}
national=$(seeded b2h_bench_export 5000)
tenth=$(seeded b2h_bench_export_tenth 500)
psql "$national" -qc "VACUUM ANALYZE" >/dev/null

"$b2h" --database-url "$national" export --out "$work/x" --print-queries >"$work/queries.jsonl"
# The floor: PostgreSQL sending the same rows, in the same order, in its binary COPY format.
python3 - "$work/queries.jsonl" >"$work/floor.sql" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    print("COPY (%s) TO STDOUT (FORMAT binary);" % json.loads(line)["sql"])
EOF
sed 's/ ORDER BY [^)]*) TO STDOUT/) TO STDOUT/' "$work/floor.sql" >"$work/floor-unsorted.sql"

measure() { # label command… ; prints "seconds rss_kib"
  local label=$1; shift
  rm -rf "$work/out"
  /usr/bin/time -f 'TIME %e %M' -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || {
    echo "$label failed:" >&2; tail -5 "$work/stderr" >&2; exit 1; }
  read -r _ seconds rss <"$work/time"
  echo "$seconds $rss"
}

best() { # label command… ; the fastest of $rounds runs and the highest peak RSS of them
  local label=$1; shift
  local best_s="" max_rss=0
  for _ in $(seq 1 "$rounds"); do
    read -r s rss < <(measure "$label" "$@")
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN {exit !(a < b)}'; then
      best_s=$s
    fi
    [ "$rss" -gt "$max_rss" ] && max_rss=$rss
  done
  echo "$best_s $max_rss"
}

rows=$("$b2h" --database-url "$national" export --out "$work/count" --no-progress 2>/dev/null | grep -o '[0-9,]* rows' | tr -dc '0-9')
rm -rf "$work/count"

declare -A seconds rss
read -r seconds[b2h] rss[b2h] < <(best b2h "$b2h" --database-url "$national" export --out "$work/out" --no-progress)
for peer in duckdb connectorx adbc; do
  read -r seconds[$peer] rss[$peer] < <(best "$peer" "$venv/bin/python" bench/export/peers.py "$peer" "$work/queries.jsonl" "$national" "$work/out")
done
read -r seconds[floor] rss[floor] < <(best floor psql "$national" -Atq -f "$work/floor.sql" -o /dev/null)
read -r seconds[floor_unsorted] rss[floor_unsorted] < <(best floor psql "$national" -Atq -f "$work/floor-unsorted.sql" -o /dev/null)
read -r seconds[b2h_tenth] rss[b2h_tenth] < <(best b2h "$b2h" --database-url "$tenth" export --out "$work/out" --no-progress)

per_s() { awk -v r="$rows" -v s="$1" 'BEGIN {printf "%d", r / s}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "Rows exported: $rows (13 tables; national seed). Wall time: best of $rounds runs; peak RSS: highest of them."
echo
echo "| exporter | wall time | rows/s | peak RSS | time vs b2h |"
echo "| --- | --- | --- | --- | --- |"
for who in b2h duckdb connectorx adbc floor floor_unsorted; do
  name=$who
  case $who in
    duckdb) name="DuckDB 1.5.5 + postgres extension";;
    connectorx) name="connectorx + pyarrow";;
    adbc) name="ADBC (PostgreSQL driver) + pyarrow";;
    floor) name="floor: COPY BINARY of the same SELECTs to /dev/null";;
    floor_unsorted) name="floor without the fact tables' ORDER BY";;
  esac
  printf '| %s | %s s | %s | %s MiB | %sx |\n' "$name" "${seconds[$who]}" "$(per_s "${seconds[$who]}")" \
    "$(mib "${rss[$who]}")" "$(ratio "${seconds[$who]}" "${seconds[b2h]}")"
done
echo
echo "b2h vs DuckDB: $(ratio "${seconds[duckdb]}" "${seconds[b2h]}")x its time; b2h vs the floor: $(ratio "${seconds[b2h]}" "${seconds[floor]}")x the floor's time."
echo
echo "| b2h peak RSS | tenth scale (500 projects) | national (5,000 projects) | difference |"
echo "| --- | --- | --- | --- |"
printf '| b2h export | %s MiB | %s MiB | %s MiB |\n' "$(mib "${rss[b2h_tenth]}")" "$(mib "${rss[b2h]}")" \
  "$(awk -v a="${rss[b2h]}" -v b="${rss[b2h_tenth]}" 'BEGIN {printf "%+.0f", (a - b) / 1024}')"

#!/usr/bin/env bash
# Times `b2h seed --scale national` (5,000 projects, ~3.2 million outcome records) on PostgreSQL
# and on SQLite, each into a new database, and prints one Markdown table row per backend.
#
#   bench/seed.sh
#
# B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) must allow
# CREATE DATABASE. The databases it makes are dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGOPTIONS="-c client_min_messages=warning"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db=b2h_bench_seed
work="$(mktemp -d)"
trap 'rm -rf "$work"; psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

cargo build --release --quiet -p b2h-api
b2h=target/release/b2h

psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
pg_url="${admin%/*}/$db"

run() { # backend url
  /usr/bin/time -f 'TIME %e %M' -a -o "$work/err" "$b2h" --database-url "$2" seed --scale national --no-progress >"$work/out" 2>"$work/err"
  grep -v -e INFO -e '^TIME' "$work/err" >&2 || true
  local seconds rss records
  seconds=$(grep -o 'TIME [0-9.]*' "$work/err" | awk '{print $2}')
  rss=$(grep -o 'TIME [0-9.]* [0-9]*' "$work/err" | awk '{printf "%.0f", $3/1024}')
  records=$(grep -o 'records *[0-9,]*' "$work/out" | tr -dc '0-9')
  printf '| %s | %s | %s s | %s | %s MiB |\n' "$1" "$records" "$seconds" \
    "$(awk -v r="$records" -v s="$seconds" 'BEGIN {printf "%d", r / s}')" "$rss"
}

echo "| backend | records | wall time | records/s | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
run PostgreSQL "$pg_url"
run SQLite "sqlite://$work/b2h.db?mode=rwc"

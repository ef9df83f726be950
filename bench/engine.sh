#!/usr/bin/env bash
# Figure engine: start-up and memory. For the tenth of the national scale (500 projects) and the
# national scale (5,000 projects, 96 months), on PostgreSQL and on SQLite: seconds from
# `b2h serve` starting to /readyz answering (the figures loaded and published), the engine's own
# load time from its log, and the server's steady resident memory (VmRSS after the load and a
# round of questions). The slope between the two scales is the memory per record; the script
# prints it with the estimate for 10× the national scale.
#
#   bench/engine.sh
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE). Databases: b2h_bench_read (national, shared with the other benchmarks)
# and b2h_bench_tenth on PostgreSQL; SQLite files under target/bench/ (kept for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=5691
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
cargo build --release --quiet -p b2h-api
b2h=target/release/b2h
mkdir -p target/bench

seed() { # url scale-args...
  local url=$1; shift
  "$b2h" --database-url "$url" migrate >/dev/null
  "$b2h" --database-url "$url" seed "$@" --if-empty --no-progress >/dev/null
}

measure() { # label url -> one Markdown row
  local label=$1 url=$2 records started ready rss loaded
  if [[ "$url" == postgres* ]]; then
    records=$(psql "${url%%\?*}" -Atc "SELECT count(*) FROM outcome_record WHERE status <> 'draft' AND archived_at IS NULL")
  else
    local file=${url#sqlite://}
    records=$(sqlite3 "${file%%\?*}" "SELECT count(*) FROM outcome_record WHERE status <> 'draft' AND archived_at IS NULL" 2>/dev/null || echo "?")
  fi
  started=$(date +%s.%N)
  "$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.05
  done
  ready=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  # A round of public questions, then the steady memory.
  for q in '{ campaignProgress { supported } }' '{ impact(groupBy: [REGION, MONTH]) { figures { value } } }'; do
    curl -fs -o /dev/null -H 'content-type: application/json' \
      -d "$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$q")" \
      "http://127.0.0.1:$port/graphql"
  done
  sleep 3
  rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  loaded=$(grep -o 'elapsed_ms[^ ]*[0-9]*' "$work/serve.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g; s/[^0-9]//g')
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "$label $records $ready $loaded $rss"
}

results=()
for backend in postgresql sqlite; do
  for scale in tenth national; do
    case "$scale" in
      tenth) args=(--projects 500 --months 96); pgdb=b2h_bench_tenth ;;
      national) args=(--scale national); pgdb=b2h_bench_read ;;
    esac
    if [ "$backend" = postgresql ]; then
      if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$pgdb'" | grep -q 1; then
        psql "$admin" -qc "CREATE DATABASE $pgdb"
      fi
      url="${admin%/*}/$pgdb?sslmode=disable"
    else
      url="sqlite://$PWD/target/bench/engine-$scale.db?mode=rwc"
    fi
    seed "$url" "${args[@]}"
    results+=("$(measure "$backend/$scale" "$url")")
  done
done

echo "| backend / scale | counted records | ready after start | engine load | steady RSS |"
echo "| --- | --- | --- | --- | --- |"
for r in "${results[@]}"; do
  read -r label records ready loaded rss <<<"$r"
  printf "| %s | %s | %s s | %s ms | %.0f MiB |\n" "$label" "$records" "$ready" "$loaded" "$(echo "$rss / 1024" | bc -l)"
done
echo
printf '%s\n' "${results[@]}" | python3 -c '
import sys
rows = {}
for line in sys.stdin:
    label, records, ready, loaded, rss = line.split()
    rows[label] = (int(records), int(rss) * 1024)
for backend in ("postgresql", "sqlite"):
    (r1, m1), (r2, m2) = rows[backend + "/tenth"], rows[backend + "/national"]
    slope = (m2 - m1) / (r2 - r1)
    base = m1 - slope * r1
    print(f"{backend}: {slope:.1f} bytes of resident memory per counted record between the two scales; "
          f"at 10x the national scale ({10 * r2:,} records) about {(base + slope * 10 * r2) / 2**30:.2f} GiB.")'

#!/usr/bin/env bash
# Read-API benchmark: b2h against PostGraphile 5 on the same national-scale PostgreSQL database,
# driven by wrk, and prints the Markdown table recorded in docs/benchmarks.md.
#
#   bench/read-api.sh
#
# Queries (bench/read-api/*.graphql, one file per system): (a) a page of 50 projects with lead
# organisation, stages and grants with funders, (b) one project's detail with its first 100
# outcome records, (c) NHS trusts of one region by name. Before timing, the two answers of each
# query are compared row by row (bench/read-api/same.py). Each system then gets a warm-up of
# WARMUP, then ROUNDS measured runs of DURATION each, the two systems taking turns so that a
# machine that slows down or speeds up meanwhile affects both alike; all at CONNECTIONS
# connections. Reported: requests/s over all rounds, and the worst p99 of the rounds.
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE), DURATION (30s), WARMUP (10s), ROUNDS (2), CONNECTIONS (32), THREADS (2).
# The database b2h_bench_read is created and seeded (--scale national) when missing and kept for
# the next run; drop it with `dropdb b2h_bench_read` when done.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-30s}"
warmup="${WARMUP:-10s}"
rounds="${ROUNDS:-2}"
connections="${CONNECTIONS:-32}"
threads="${THREADS:-2}"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db=b2h_bench_read
# Both systems talk to PostgreSQL without TLS, as node-postgres does by default.
url="${admin%/*}/$db?sslmode=disable"
b2h_port=5677
peer_port=5678
work="$(mktemp -d)"
pids=()
key=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$key" ]; then
    "$b2h" --database-url "$url" apikey revoke "$(echo "$key" | cut -d_ -f2)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
  else
    echo "wrk is missing: install Debian's package (apt-get install wrk)" >&2
    exit 1
  fi
fi
cargo build --release --quiet -p b2h-api
b2h=target/release/b2h
if [ ! -x bench/postgraphile/node_modules/.bin/postgraphile ]; then
  (cd bench/postgraphile && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$admin" -qc "CREATE DATABASE $db"
fi
"$b2h" --database-url "$url" migrate >/dev/null
"$b2h" --database-url "$url" seed --scale national --if-empty --no-progress >/dev/null
psql "$url" -qc "VACUUM ANALYZE"
# b2h leaves out archived rows; PostGraphile has no such rule, so there must be none.
archived=$(psql "$url" -Atc "SELECT (SELECT count(*) FROM project WHERE archived_at IS NOT NULL)
  + (SELECT count(*) FROM organisation WHERE archived_at IS NOT NULL)
  + (SELECT count(*) FROM outcome_record WHERE archived_at IS NOT NULL)")
[ "$archived" = 0 ] || { echo "the benchmark database has archived rows" >&2; exit 1; }
records=$(psql "$url" -Atc "SELECT count(*) FROM outcome_record")
project=$(psql "$url" -Atc "SELECT id FROM project ORDER BY reference LIMIT 1")
# (b) reads record-level data, which b2h serves only to a key (an evaluator's here); (a) and (c)
# read public data and go without one, as public dashboards do.
key=$("$b2h" --database-url "$url" apikey create --name "read benchmark" --role evaluator | sed -n 1p)

# Throughput is measured without the per-key rate limit (a policy, not a cost).
"$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$b2h_port" >"$work/b2h.log" 2>&1 &
pids+=($!)
(cd bench/postgraphile && DATABASE_URL="$url" PORT=$peer_port NODE_ENV=production \
  exec node_modules/.bin/node node_modules/.bin/postgraphile -C graphile.config.mjs) >"$work/peer.log" 2>&1 &
pids+=($!)
for port in $b2h_port $peer_port; do
  for _ in $(seq 100); do
    curl -fs -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
      "http://127.0.0.1:$port/graphql" && break
    sleep 0.2
  done
done

latency_ms() { # wrk latency ("1.23ms", "456.00us", "1.02s") in milliseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v * 60000 } }'
}

authorization() { # system query -> the Authorization header b2h needs for it, if any
  if [ "$1" = b2h ] && [ "$2" = b ]; then echo "Bearer $key"; fi
}

warm() { # system port query
  WRK_AUTHORIZATION="$(authorization "$1" "$3")" WRK_BODY_FILE="$work/$3.$1.json" wrk -t"$threads" -c"$connections" -d"$warmup" \
    -s bench/read-api/post.lua "http://127.0.0.1:$2/graphql" >/dev/null
}

measure() { # system port query round -> "requests/s p99-ms"
  local out="$work/wrk.$3.$1.$4"
  WRK_AUTHORIZATION="$(authorization "$1" "$3")" WRK_BODY_FILE="$work/$3.$1.json" \
    wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s bench/read-api/post.lua "http://127.0.0.1:$2/graphql" >"$out"
  if grep -q "Non-2xx" "$out"; then
    echo "$1 answered query $3 with errors:" >&2
    cat "$out" >&2
    exit 1
  fi
  echo "$(awk '/Requests\/sec/ {print $2}' "$out") $(latency_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
}

echo "National seed: $records outcome records; wrk $threads threads, $connections connections, $warmup warm-up, $rounds rounds of $duration measured per system, taking turns."
echo
echo "| query | b2h req/s | PostGraphile req/s | req/s ratio | b2h p99 | PostGraphile p99 | p99 ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for q in a b c; do
  for system in b2h postgraphile; do
    python3 -c 'import json, sys; print(json.dumps({"query": open(sys.argv[1]).read().replace("PROJECT_ID", sys.argv[2])}))' \
      "bench/read-api/$q.$system.graphql" "$project" >"$work/$q.$system.json"
    port=$b2h_port; [ "$system" = postgraphile ] && port=$peer_port
    auth="$(authorization "$system" "$q")"
    curl -fs -H 'content-type: application/json' ${auth:+-H "authorization: $auth"} \
      -d @"$work/$q.$system.json" "http://127.0.0.1:$port/graphql" >"$work/$q.$system.out"
  done
  python3 bench/read-api/same.py "$q" "$work/$q.b2h.out" "$work/$q.postgraphile.out" >&2
  warm b2h $b2h_port "$q"
  warm postgraphile $peer_port "$q"
  ours_rps=0; ours_p99=0; peer_rps=0; peer_p99=0
  for round in $(seq "$rounds"); do
    read -r rps p99 <<<"$(measure b2h $b2h_port "$q" "$round")"
    ours_rps=$(awk -v a="$ours_rps" -v b="$rps" -v n="$rounds" 'BEGIN {print a + b / n}')
    ours_p99=$(awk -v a="$ours_p99" -v b="$p99" 'BEGIN {print (b > a) ? b : a}')
    read -r rps p99 <<<"$(measure postgraphile $peer_port "$q" "$round")"
    peer_rps=$(awk -v a="$peer_rps" -v b="$rps" -v n="$rounds" 'BEGIN {print a + b / n}')
    peer_p99=$(awk -v a="$peer_p99" -v b="$p99" 'BEGIN {print (b > a) ? b : a}')
  done
  awk -v q="$q" -v a="$ours_rps" -v b="$peer_rps" -v c="$ours_p99" -v d="$peer_p99" 'BEGIN {
    printf "| (%s) | %.0f | %.0f | %.2fx | %.1f ms | %.1f ms | %.2fx lower |\n", q, a, b, a / b, c, d, d / c }'
done

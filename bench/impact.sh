#!/usr/bin/env bash
# Impact-analytics benchmark: b2h's campaignProgress and impact(groupBy: [REGION, MONTH]) against
# PostGraphile 5 with @graphile/pg-aggregates (groupedAggregates over a view of the counted
# records) and against the plain SQL GROUP BY over the records (pgbench, no HTTP: the naive floor),
# on the national-scale seed in PostgreSQL, while writes keep flowing through b2h; prints the
# Markdown tables recorded in docs/benchmarks.md.
#
#   bench/impact.sh
#
# Queries: (p) campaign progress (b2h: bench/impact/p.b2h.graphql; peer: total and four grouped
# sums, p.postgraphile.graphql; SQL: p.sql), (i) impact by region and month over all measures
# (i.b2h.graphql; peer: counts, sums and averages per area, month and measure,
# i.postgraphile.graphql; SQL: i.sql). Before timing, b2h's answers are checked against the peer's
# where both can answer (bench/impact/same.py). Then bench/impact/writer.py keeps WRITES writes a
# second flowing through b2h (each a recordOutcomes and a submitOutcomes, both rollups updated)
# for the whole run, and each system in turn gets a warm-up of WARMUP, then ROUNDS measured runs
# of DURATION, taking turns, at each number of connections in CONNECTIONS. Reported per system:
# requests/s and the 50th and 95th latency percentiles (the worst round's).
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE), DURATION (20s), WARMUP (5s), ROUNDS (2), CONNECTIONS ("1 4"),
# WRITES (10). Shares the database b2h_bench_read with bench/read-api.sh (created and seeded with
# --scale national when missing, kept for the next run); the writes change 200 submitted records'
# values by one and back.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-20s}"
warmup="${WARMUP:-5s}"
rounds="${ROUNDS:-2}"
connection_counts="${CONNECTIONS:-1 4}"
writes="${WRITES:-10}"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db=b2h_bench_read
url="${admin%/*}/$db?sslmode=disable"
b2h_port=5687
peer_port=5689
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
cargo build --release --quiet -p b2h-api
b2h=target/release/b2h
if [ ! -d bench/postgraphile/node_modules/@graphile/pg-aggregates ]; then
  (cd bench/postgraphile && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$admin" -qc "CREATE DATABASE $db"
fi
"$b2h" --database-url "$url" migrate >/dev/null
"$b2h" --database-url "$url" seed --scale national --if-empty --no-progress >/dev/null
psql "$url" -q -f bench/impact/view.sql
psql "$url" -qc "VACUUM ANALYZE"
records=$(psql "$url" -Atc "SELECT count(*) FROM outcome_record")
writer_key=$("$b2h" --database-url "$url" apikey create --name "impact benchmark writer" --role admin | head -1)
check_key=$("$b2h" --database-url "$url" apikey create --name "impact benchmark check" --role evaluator | head -1)
keys+=("$writer_key" "$check_key")

"$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$b2h_port" >"$work/b2h.log" 2>&1 &
pids+=($!)
(cd bench/postgraphile && DATABASE_URL="$url" PORT=$peer_port NODE_ENV=production \
  exec node_modules/.bin/node node_modules/.bin/postgraphile -C aggregates.config.mjs) >"$work/peer.log" 2>&1 &
pids+=($!)
for port in $b2h_port $peer_port; do
  for _ in $(seq 150); do
    curl -fs -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
      "http://127.0.0.1:$port/graphql" && break
    sleep 0.2
  done
done

# The same answers where both can give one (b2h with an evaluator's key: exact regional figures).
for q in p i; do
  for system in b2h postgraphile; do
    python3 -c 'import json, sys; print(json.dumps({"query": open(sys.argv[1]).read()}))' \
      "bench/impact/$q.$system.graphql" >"$work/$q.$system.json"
  done
  curl -fs -H 'content-type: application/json' -H "authorization: Bearer $check_key" \
    -d @"$work/$q.b2h.json" "http://127.0.0.1:$b2h_port/graphql" >"$work/$q.b2h.out"
  curl -fs -H 'content-type: application/json' -d @"$work/$q.postgraphile.json" \
    "http://127.0.0.1:$peer_port/graphql" >"$work/$q.postgraphile.out"
  python3 bench/impact/same.py "$q" "$work/$q.b2h.out" "$work/$q.postgraphile.out" >&2
  # The timed requests go without a key (as public dashboards do); wrk counts only non-2xx
  # answers as failures, and GraphQL errors come with 200, so check that answer too.
  curl -fs -H 'content-type: application/json' -d @"$work/$q.b2h.json" \
    "http://127.0.0.1:$b2h_port/graphql" | python3 -c '
import json, sys
answer = json.load(sys.stdin)
data = next(iter((answer.get("data") or {}).values()), None)
if answer.get("errors") or not data:
    sys.exit("b2h answered the public query %s with %s" % (sys.argv[1], answer.get("errors") or "nothing"))' "$q"
done

python3 bench/impact/writer.py "http://127.0.0.1:$b2h_port/graphql" "$writer_key" "$writes" \
  "$work/writer.json" 2>"$work/writer.log" &
writer=$!
pids+=($writer)

seconds() { echo "${1%s}"; }

run() { # system query connections duration -> "requests/s p50 p95 failures"
  local system=$1 q=$2 c=$3 d=$4 out="$work/run.$1.$2.$3"
  case "$system" in
    sql)
      rm -f "$work"/pgb.*
      (cd "$work" && pgbench -n -f "$OLDPWD/bench/impact/$q.sql" -c "$c" -j "$c" -T "$(seconds "$d")" \
        -l --log-prefix=pgb "${admin%/*}/$db" >"$out" 2>&1)
      cat "$work"/pgb.* | python3 -c '
import sys
lat = sorted(int(l.split()[2]) / 1000 for l in sys.stdin if l.strip())
dur = float(sys.argv[1])
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"{len(lat) / dur:.2f} {pct(50):.1f} {pct(95):.1f} 0")' "$(seconds "$d")"
      ;;
    *)
      local port=$b2h_port; [ "$system" = postgraphile ] && port=$peer_port
      WRK_BODY_FILE="$work/$q.$system.json" wrk -t1 -c"$c" -d"$d" --timeout 120s \
        -s bench/read-api/post.lua "http://127.0.0.1:$port/graphql" >"$out"
      awk '$1 == "RESULT" { printf "%.2f %.1f %.1f %d\n", $2 / $7, $4, $5, $3 }' "$out"
      ;;
  esac
}

echo "National seed: $records outcome records; $writes writes/s through b2h throughout; per system $warmup warm-up, $rounds rounds of $duration, taking turns."
for c in $connection_counts; do
  echo
  echo "$c connection(s):"
  echo
  echo "| query | b2h req/s | b2h p50 | b2h p95 | PostGraphile + pg-aggregates req/s | p50 | p95 | plain SQL req/s | p50 | p95 | p95 vs PostGraphile | p95 vs SQL |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for q in p i; do
    declare -A rps=() p50=() p95=()
    for system in b2h postgraphile sql; do
      run "$system" "$q" "$c" "$warmup" >/dev/null
      rps[$system]=0; p50[$system]=0; p95[$system]=0
    done
    for round in $(seq "$rounds"); do
      for system in b2h postgraphile sql; do
        read -r r m n failed <<<"$(run "$system" "$q" "$c" "$duration")"
        if awk -v r="${r:-0}" 'BEGIN { exit !(r == 0) }'; then
          echo "$system finished no request of query $q within $duration: raise DURATION" >&2
          exit 1
        fi
        if [ "${failed:-1}" != 0 ]; then
          echo "$system failed $failed requests of query $q:" >&2
          cat "$work/run.$system.$q.$c" >&2
          exit 1
        fi
        rps[$system]=$(awk -v a="${rps[$system]}" -v b="$r" -v n="$rounds" 'BEGIN {print a + b / n}')
        p50[$system]=$(awk -v a="${p50[$system]}" -v b="$m" 'BEGIN {print (b > a) ? b : a}')
        p95[$system]=$(awk -v a="${p95[$system]}" -v b="$n" 'BEGIN {print (b > a) ? b : a}')
      done
    done
    awk -v q="$q" -v br="${rps[b2h]}" -v bm="${p50[b2h]}" -v bn="${p95[b2h]}" \
      -v pr="${rps[postgraphile]}" -v pm="${p50[postgraphile]}" -v pn="${p95[postgraphile]}" \
      -v sr="${rps[sql]}" -v sm="${p50[sql]}" -v sn="${p95[sql]}" 'BEGIN {
      printf "| (%s) | %.1f | %.1f ms | %.1f ms | %.2f | %.0f ms | %.0f ms | %.2f | %.0f ms | %.0f ms | %.0fx lower | %.0fx lower |\n",
        q, br, bm, bn, pr, pm, pn, sr, sm, sn, pn / bn, sn / bn }'
    unset rps p50 p95
  done
done

kill -TERM "$writer"
wait "$writer" || true
echo
python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))
print("Writes during the run: {writes} in {seconds} s ({rate}/s), {failures} failed; a write "
      "(recordOutcomes + submitOutcomes) took p50 {p50_ms} ms, p95 {p95_ms} ms.".format(**w))' "$work/writer.json"

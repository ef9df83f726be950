#!/usr/bin/env bash
# Read-API benchmark: b2h against PostGraphile 5 (with connection filter) on the same
# national-scale PostgreSQL database, driven by wrk; prints the Markdown tables recorded in
# docs/benchmarks.md.
#
#   bench/read-api.sh
#
# Queries (bench/read-api/<q>.<system>.graphql): (a) a page of 50 projects with lead
# organisation, stages and grants with funders; (b) one project's detail with its first 100
# outcome records; (c) NHS trusts of one region by name; (d) one project by its reference (a
# unique key) with partners and stages; (e) a deep to-many chain, every funder's grants with
# their recipients and regions; (f) a wide page of 500 projects with seven relations; (g) a
# filter through two relations (a funder's projects in one stage); (h) a cursor page 5,000 rows
# into the organisations; (i) a large answer, 500 grants with every field, their funders and
# recipients. (a) to (c) are the shapes b2h was first tuned on; the others came after.
# Before timing, the two answers of each query are compared row by row (bench/read-api/same.py).
# Each system then gets a warm-up of WARMUP, then ROUNDS measured runs of DURATION each, the two
# systems taking turns; all at CONNECTIONS connections. Reported per query, the worst ratio
# first: requests/s over all rounds, the worst p99 of the rounds, and the CPU time per request of
# b2h and of PostgreSQL (from /proc, over b2h's measured runs). Then GET with a held ETag (304s;
# b2h only, PostGraphile has no HTTP caching), and every query mixed at MIXED_CONNECTIONS for
# MIXED_DURATION, where b2h must give no error.
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE), DURATION (30s), WARMUP (10s), ROUNDS (2), CONNECTIONS (32), THREADS (2),
# QUERIES ("a b c d e f g h i"), MIXED_CONNECTIONS (200), MIXED_DURATION (60s).
# The database b2h_bench_read is created and seeded (--scale national) when missing and kept for
# the next run; drop it with `dropdb b2h_bench_read` when done.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-30s}"
warmup="${WARMUP:-10s}"
rounds="${ROUNDS:-2}"
connections="${CONNECTIONS:-32}"
threads="${THREADS:-2}"
queries="${QUERIES:-a b c d e f g h i}"
mixed_connections="${MIXED_CONNECTIONS:-200}"
mixed_duration="${MIXED_DURATION:-60s}"
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
reference=$(psql "$url" -Atc "SELECT reference FROM project ORDER BY reference OFFSET 7 LIMIT 1")
# The funder paying for the most projects in the getting-well stage.
funder=$(psql "$url" -Atc "SELECT g.funder_id FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
  JOIN project_stage s ON s.project_id = a.project_id AND s.stage = 'getting_well'
  GROUP BY g.funder_id ORDER BY count(DISTINCT a.project_id) DESC, g.funder_id LIMIT 1")
organisations=$(psql "$url" -Atc "SELECT count(*) FROM organisation")
deep=$(( organisations > 5100 ? 5000 : (organisations - 100) / 500 * 500 ))
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

cpu_ticks() { # pids... -> their user + system CPU time in clock ticks
  local total=0 pid
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      total=$(( total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat") ))
    fi
  done
  echo "$total"
}
postgres_pids() { pgrep -x postgres | tr '\n' ' '; }
b2h_pid=${pids[0]}

warm() { # system port query
  WRK_AUTHORIZATION="$(authorization "$1" "$3")" WRK_BODY_FILE="$work/$3.$1.json" wrk -t"$threads" -c"$connections" -d"$warmup" \
    -s bench/read-api/post.lua "http://127.0.0.1:$2/graphql" >/dev/null
}

measure() { # system port query round -> "requests/s p99-ms requests"
  local out="$work/wrk.$3.$1.$4"
  WRK_AUTHORIZATION="$(authorization "$1" "$3")" WRK_BODY_FILE="$work/$3.$1.json" \
    wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s bench/read-api/post.lua "http://127.0.0.1:$2/graphql" >"$out"
  if grep -q "Non-2xx" "$out"; then
    echo "$1 answered query $3 with errors:" >&2
    cat "$out" >&2
    exit 1
  fi
  echo "$(awk '/Requests\/sec/ {print $2}' "$out") $(latency_ms "$(awk '$1 == "99%" {print $2}' "$out")") $(awk '$1 == "RESULT" {print $2}' "$out")"
}

post() { # system query -> its answer, into $work/q.system.out
  local port=$b2h_port auth
  [ "$1" = postgraphile ] && port=$peer_port
  auth="$(authorization "$1" "$2")"
  curl -fs -H 'content-type: application/json' ${auth:+-H "authorization: $auth"} \
    -d @"$work/$2.$1.json" "http://127.0.0.1:$port/graphql" >"$work/$2.$1.out"
}

body() { # file placeholder=value... -> the JSON request of the query in file
  python3 -c 'import json, sys
text = open(sys.argv[1]).read()
for pair in sys.argv[2:]:
    name, value = pair.split("=", 1)
    text = text.replace(name, value)
print(json.dumps({"query": text}))' "$@"
}

# (h)'s cursors: each system's own, of its row number $deep in the organisations by name.
cursor_b2h=""
for _ in $(seq $(( deep / 500 ))); do
  after=""; [ -n "$cursor_b2h" ] && after=", after: \\\"$cursor_b2h\\\""
  cursor_b2h=$(curl -fs -H 'content-type: application/json' \
    -d "{\"query\": \"{ organisations(first: 500$after) { pageInfo { endCursor } } }\"}" \
    "http://127.0.0.1:$b2h_port/graphql" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["organisations"]["pageInfo"]["endCursor"])')
done
cursor_peer=$(curl -fs -H 'content-type: application/json' \
  -d "{\"query\": \"{ allOrganisations(first: 1, offset: $(( deep - 1 )), orderBy: [NAME_ASC, ROW_ID_ASC]) { edges { cursor } } }\"}" \
  "http://127.0.0.1:$peer_port/graphql" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["allOrganisations"]["edges"][0]["cursor"])')

echo "National seed: $records outcome records, $organisations organisations; wrk $threads threads, $connections connections, $warmup warm-up, $rounds rounds of $duration measured per system, taking turns."
echo
results="$work/results"
: >"$results"
for q in $queries; do
  for system in b2h postgraphile; do
    body "bench/read-api/$q.$system.graphql" PROJECT_ID="$project" PROJECT_REFERENCE="$reference" \
      FUNDER_ID="$funder" B2H_CURSOR="$cursor_b2h" PEER_CURSOR="$cursor_peer" >"$work/$q.$system.json"
    post "$system" "$q"
  done
  python3 bench/read-api/same.py "$q" "$work/$q.b2h.out" "$work/$q.postgraphile.out" >&2
  warm b2h $b2h_port "$q"
  warm postgraphile $peer_port "$q"
  ours_rps=0; ours_p99=0; peer_rps=0; peer_p99=0; requests=0; ours_cpu=0; pg_cpu=0
  for round in $(seq "$rounds"); do
    pg="$(postgres_pids)"
    before_ours=$(cpu_ticks "$b2h_pid"); before_pg=$(cpu_ticks $pg)
    read -r rps p99 n <<<"$(measure b2h $b2h_port "$q" "$round")"
    ours_cpu=$(( ours_cpu + $(cpu_ticks "$b2h_pid") - before_ours )); pg_cpu=$(( pg_cpu + $(cpu_ticks $pg) - before_pg ))
    requests=$(( requests + n ))
    ours_rps=$(awk -v a="$ours_rps" -v b="$rps" -v n="$rounds" 'BEGIN {print a + b / n}')
    ours_p99=$(awk -v a="$ours_p99" -v b="$p99" 'BEGIN {print (b > a) ? b : a}')
    read -r rps p99 n <<<"$(measure postgraphile $peer_port "$q" "$round")"
    peer_rps=$(awk -v a="$peer_rps" -v b="$rps" -v n="$rounds" 'BEGIN {print a + b / n}')
    peer_p99=$(awk -v a="$peer_p99" -v b="$p99" 'BEGIN {print (b > a) ? b : a}')
  done
  ticks=$(getconf CLK_TCK)
  echo "$q $ours_rps $peer_rps $ours_p99 $peer_p99 $(awk -v c="$ours_cpu" -v t="$ticks" -v n="$requests" 'BEGIN {printf "%.3f", c / t / n * 1000}') $(awk -v c="$pg_cpu" -v t="$ticks" -v n="$requests" 'BEGIN {printf "%.3f", c / t / n * 1000}')" >>"$results"
done

echo "Every ratio, the worst first:"
echo
echo "| query | b2h req/s | PostGraphile req/s | req/s ratio | b2h p99 | PostGraphile p99 | p99 ratio | b2h CPU per request | PostgreSQL CPU per request (b2h's runs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
awk '{ printf "%s %s %s %s %s %s %s %.4f\n", $1, $2, $3, $4, $5, $6, $7, $2 / $3 }' "$results" | sort -k8 -g |
  awk '{ printf "| (%s) | %.0f | %.0f | %.2fx | %.1f ms | %.1f ms | %.2fx lower | %.2f ms | %.2f ms |\n", $1, $2, $3, $2 / $3, $4, $5, $5 / $4, $6, $7 }'
echo

# GET with the tag held: 304s without the query, for a public page (a) and a keyed detail (b).
echo "| GET with a held tag (b2h; PostGraphile has no HTTP caching) | 304/s | p99 |"
echo "| --- | --- | --- |"
for q in a b; do
  # Only queries of this run (QUERIES may leave them out).
  [ -f "$work/$q.b2h.json" ] || continue
  query_string=$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlencode({"query": json.load(open(sys.argv[1]))["query"]}))' "$work/$q.b2h.json")
  auth="$(authorization b2h "$q")"
  tag=$(curl -fs -o /dev/null -D - -H 'accept: application/graphql-response+json' ${auth:+-H "authorization: $auth"} \
    "http://127.0.0.1:$b2h_port/graphql?$query_string" | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r')
  out="$work/wrk.get.$q"
  WRK_IF_NONE_MATCH="$tag" WRK_AUTHORIZATION="$auth" wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s bench/read-api/get.lua "http://127.0.0.1:$b2h_port/graphql?$query_string" >"$out"
  if grep -q "Non-2xx" "$out"; then echo "GET $q: errors" >&2; cat "$out" >&2; exit 1; fi
  printf '| (%s) | %.0f | %.1f ms |\n' "$q" "$(awk '/Requests\/sec/ {print $2}' "$out")" "$(latency_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
done
echo

# All queries mixed, many connections.
echo "| all queries mixed, $mixed_connections connections, $mixed_duration | requests | errors | req/s | p50 | p99 |"
echo "| --- | --- | --- | --- | --- | --- |"
ulimit -n 65536 2>/dev/null || true
for system in b2h postgraphile; do
  port=$b2h_port; auth="Bearer $key"
  [ "$system" = postgraphile ] && { port=$peer_port; auth=""; }
  files=$(for q in $queries; do printf '%s,' "$work/$q.$system.json"; done)
  out="$work/wrk.mixed.$system"
  WRK_BODIES="$files" WRK_AUTHORIZATION="$auth" wrk -t"$threads" -c"$mixed_connections" -d"$mixed_duration" --latency \
    -s bench/read-api/mixed.lua "http://127.0.0.1:$port/graphql" >"$out"
  read -r _ n errors p50 _ p99 seconds <<<"$(awk '$1 == "RESULT"' "$out")"
  printf '| %s | %d | %d | %.0f | %.1f ms | %.1f ms |\n' "$system" "$n" "$errors" "$(awk -v n="$n" -v s="$seconds" 'BEGIN {print n / s}')" "$p50" "$p99"
  if [ "$system" = b2h ] && [ "$errors" != 0 ]; then echo "b2h gave $errors errors in the mixed run" >&2; cat "$out" >&2; exit 1; fi
done

#!/usr/bin/env bash
# Report benchmark: on the national-scale seed, a warm server lays out funder reports (PDF, HTML,
# CSV, XLSX) and the campaign's report (PDF, HTML), each asked ROUNDS times alone and then
# CONCURRENT at a time; the shapes include ones nothing was tuned for: the funder with the most
# projects, a median funder, and the longest window a report takes (20 years: 240 months of
# charts and tables). Beside them, the CLI's time for the same documents, start-up and loading
# the figures included. Prints the Markdown recorded in docs/benchmarks.md.
#
#   bench/report.sh
#
# Environment: B2H_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres, must
# allow CREATE DATABASE), ROUNDS (10), CONCURRENT (4). Shares the database b2h_bench_read with
# bench/read-api.sh and bench/impact.sh (seeded with --scale national when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-10}"
concurrent="${CONCURRENT:-4}"
admin="${B2H_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db=b2h_bench_read
url="${admin%/*}/$db?sslmode=disable"
port=5689
work="$(mktemp -d)"
pids=()
key=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$key" ] && "$b2h" --database-url "$url" apikey revoke "$(echo "$key" | cut -d_ -f2)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

cargo build --release --quiet -p b2h-api
b2h=target/release/b2h
if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$admin" -qc "CREATE DATABASE $db"
fi
"$b2h" --database-url "$url" migrate >/dev/null
"$b2h" --database-url "$url" seed --scale national --if-empty --no-progress >/dev/null
records=$(psql "$url" -Atc "SELECT count(*) FROM outcome_record")
by_projects="SELECT g.funder_id FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id
  WHERE a.archived_at IS NULL GROUP BY 1 ORDER BY count(DISTINCT a.project_id) DESC, 1"
top=$(psql "$url" -Atc "$by_projects LIMIT 1")
funders=$(psql "$url" -Atc "SELECT count(DISTINCT g.funder_id) FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id WHERE a.archived_at IS NULL")
median=$(psql "$url" -Atc "$by_projects OFFSET $((funders / 2)) LIMIT 1")
projects() { psql "$url" -Atc "SELECT count(DISTINCT a.project_id) FROM grant_allocation a JOIN grant_award g ON g.id = a.grant_id WHERE a.archived_at IS NULL AND g.funder_id = '$1'"; }
key=$("$b2h" --database-url "$url" apikey create --name "report benchmark" --role evaluator | sed -n 1p)

"$b2h" --database-url "$url" serve --no-migrate --rate-limit 0 --listen "127.0.0.1:$port" >"$work/b2h.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 900); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.1
done
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$server/status"; }
rss_idle=$(rss)

fy="from=2023-04-01&to=2024-03-31"
long="from=2010-04-01&to=2030-03-31"
python3 bench/report/timing.py "http://127.0.0.1:$port" "$key" "$rounds" "$concurrent" \
  "top funder, FY 2023/24, pdf=/reports/funders/$top.pdf?$fy" \
  "top funder, FY 2023/24, html=/reports/funders/$top.html?$fy" \
  "top funder, FY 2023/24, csv=/reports/funders/$top.csv?$fy" \
  "top funder, FY 2023/24, xlsx=/reports/funders/$top.xlsx?$fy" \
  "median funder, FY 2023/24, pdf=/reports/funders/$median.pdf?$fy" \
  "top funder, 20 years (240 months), pdf=/reports/funders/$top.pdf?$long" \
  "campaign, pdf=/reports/campaign.pdf" \
  "campaign, html=/reports/campaign.html" >"$work/server.jsonl"
rss_after=$(rss)

cli() { # args... -> seconds, start-up and figure loading included
  local started ended
  started=$(date +%s.%N)
  "$b2h" --database-url "$url" report "$@" >/dev/null 2>&1
  ended=$(date +%s.%N)
  awk -v s="$started" -v e="$ended" 'BEGIN { printf "%.2f", e - s }'
}
cli_funder=$(cli funder --funder "$top" --from 2023-04-01 --to 2024-03-31 --format pdf --out "$work/f.pdf")
cli_campaign=$(cli campaign --format pdf --out "$work/c.pdf")
pages() { pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ { print $2 }'; }
curl -fs -H "authorization: Bearer $key" -o "$work/long.pdf" "http://127.0.0.1:$port/reports/funders/$top.pdf?$long"

echo "National seed: $records outcome records; top funder $top ($(projects "$top") projects), median funder $median ($(projects "$median") projects)."
echo "Server RSS: ${rss_idle} MiB idle and loaded, ${rss_after} MiB after $(( 8 * (rounds * (concurrent + 1) + 1) )) reports."
echo
echo "| report | bytes | first ask (ms) | again, alone p50 / p95 / max (ms) | again, $concurrent at once p50 / p95 / max (ms) |"
echo "|---|---:|---:|---:|---:|"
python3 bench/report/timing.py --table "$work/server.jsonl"
echo
echo "CLI, start-up and loading the figures included: top funder's PDF ${cli_funder} s ($(pages "$work/f.pdf") pages), campaign's PDF ${cli_campaign} s ($(pages "$work/c.pdf") pages); the 20-year PDF has $(pages "$work/long.pdf") pages."

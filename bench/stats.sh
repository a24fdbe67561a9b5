#!/usr/bin/env bash
# Benchmark: the 24-month city-wide monthly series, from the rollup (the API)
# against the same figures by GROUP BY over `reports`, on PostgreSQL.
#
#   bench/stats.sh                 # seeds 1,000,000 reports into cf_bench first
#   SKIP_SEED=1 bench/stats.sh     # reuses cf_bench
#
# Needs: a release build (cargo build --release), psql, curl, and PostgreSQL
# at $PGURL (default postgres://postgres@127.0.0.1:5432). Prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_DB:-cf_bench}"
REPORTS="${REPORTS:-1000000}"
RUNS="${RUNS:-5}"
BIN=target/release/citizen-feedback
[ -x "$BIN" ] || cargo build --release --bin citizen-feedback
export DATABASE_URL="$PGURL/$DB" MEDIA_DIR="$(mktemp -d)" JWT_SECRET=bench-secret-bench-secret-bench-secret

if [ -z "${SKIP_SEED:-}" ]; then
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  /usr/bin/time -f "seed: %e s, %M KiB max RSS" "$BIN" seed-demo --reports "$REPORTS" --months 24
fi
"$BIN" migrate >/dev/null
psql "$DATABASE_URL" -qc "ANALYZE"
read -r TO FROM <<<"$(psql "$DATABASE_URL" -Atc "SELECT to_char(now() AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYYMM'), to_char((now() AT TIME ZONE 'Asia/Ho_Chi_Minh') - interval '23 months', 'YYYYMM')" | tr '|' ' ')"
ROWS=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM reports")

# The API (rollup): serve on a free port and time GET /stats/monthly.
PORT=18089
LISTEN_ADDR=127.0.0.1:$PORT "$BIN" serve --no-migrate >/tmp/bench-serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"login":"admin@demo.hanoi.gov.vn","password":"Hà Nội demo 2025"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
F="${FROM:0:4}-${FROM:4:2}"; T="${TO:0:4}-${TO:4:2}"
api_ms() {
  curl -s -o /dev/null -w '%{time_total}\n' -H "authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/stats/monthly?from=$F&to=$T&group_by=$1" | awk '{printf "%.1f", $1*1000}'
}
sql_ms() {
  psql "$DATABASE_URL" -v from="$FROM" -v to="$TO" -v tz=Asia/Ho_Chi_Minh -qAt \
    -c '\timing on' -f bench/stats_groupby.sql 2>&1 | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -n1
}
best() { sort -n | head -n1; }

api_none=$(for _ in $(seq "$RUNS"); do api_ms none; echo; done | grep . | best)
api_unit=$(for _ in $(seq "$RUNS"); do api_ms unit; echo; done | grep . | best)
sql_none=$(for _ in $(seq "$RUNS"); do sql_ms; done | grep . | best)
rollup_rows=$(psql "$DATABASE_URL" -Atc "SELECT (SELECT count(*) FROM report_stats_monthly) || ' + ' || (SELECT count(*) FROM report_stats_resolution)")

printf '\n| what (best of %s) | time |\n|---|---|\n' "$RUNS"
printf '| reports | %s |\n' "$ROWS"
printf '| rollup rows (monthly + resolution) | %s |\n' "$rollup_rows"
printf '| GET /stats/monthly, 24 months, city-wide (rollup, over HTTP) | %s ms |\n' "$api_none"
printf '| GET /stats/monthly, 24 months, group_by=unit (rollup, over HTTP) | %s ms |\n' "$api_unit"
printf '| the same series by GROUP BY over reports (psql) | %s ms |\n' "$sql_none"

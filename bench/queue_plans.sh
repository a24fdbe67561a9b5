#!/usr/bin/env bash
# Query plans of the triage queue at N reports (default 1,000,000), on
# PostgreSQL: migrates a scratch database, seeds the demo city's units,
# categories and staff, then inserts N synthetic reports straight in SQL
# (generate_series: fast, no rollup, not for statistics) spread over 24
# months and every unit, ~6 % open, and prints EXPLAIN (ANALYZE, BUFFERS)
# of each queue page the API runs (the same SQL shapes as
# src/reports/queue.rs). Used for docs/query-plans.md.
#
#   bench/queue_plans.sh                # 1M reports into cf_plans
#   REPORTS=10000000 bench/queue_plans.sh
#   SKIP_SEED=1 bench/queue_plans.sh    # plans again on what is there
set -euo pipefail
cd "$(dirname "$0")/.."
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
DB="${PLANS_DB:-cf_plans}"
REPORTS="${REPORTS:-1000000}"
BIN="${BIN:-target/debug/citizen-feedback}"
[ -x "$BIN" ] || cargo build --bin citizen-feedback
export DATABASE_URL="$PGURL/$DB" MEDIA_DIR="$(mktemp -d)"
psql_() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ -z "${SKIP_SEED:-}" ]; then
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BIN" seed-demo --reports 0 --months 1 >/dev/null
  echo "inserting $REPORTS reports"
  time psql_ <<SQL
CREATE TEMP TABLE u AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM units;
CREATE TEMP TABLE c AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM categories;
INSERT INTO reports (id, code, reporter_id, category_id, priority, title, description, lat, lng,
  public_lat, public_lng, address, area_code, is_anonymous, is_public, status, unit_id, assignee_id,
  ack_due_at, due_at, received_month, handled_at, handled_month, resolved_at, closed_at, rating,
  rating_comment, rated_at, duplicate_of, follower_count, search_text, created_at, updated_at,
  version, client_request_id, client_request_hash)
SELECT gen_random_uuid(), 'PB-' || g, NULL, c.id, 'normal',
  w.t, w.t || ' gần số ' || (g % 300), 21.0 + (g % 1000) / 10000.0, 105.8 + (g % 997) / 10000.0,
  21.0, 105.8, NULL, NULL, false, true,
  s.status, u.id, NULL,
  t.at + interval '8 hours', CASE WHEN s.status = 'submitted' THEN NULL ELSE t.at + interval '5 days' END,
  to_char(t.at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYYMM')::int,
  CASE WHEN s.status IN ('resolved', 'closed', 'rejected') THEN t.at + interval '3 days' END, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, 0, w.f || ' gan so ' || (g % 300), t.at, t.at, 0, NULL, NULL
FROM generate_series(1, $REPORTS) g
-- (each LATERAL names g, so PostgreSQL draws its random() per row)
CROSS JOIN LATERAL (SELECT now() - ((random() + g * 0) * interval '730 days') AS at) t
JOIN u ON u.n = 1 + (g::bigint * 7919) % (SELECT count(*) FROM u)
JOIN c ON c.n = 1 + (g::bigint * 104729) % (SELECT count(*) FROM c)
CROSS JOIN LATERAL (SELECT CASE WHEN g < 0 THEN NULL
    WHEN random() < 0.02 THEN 'submitted' WHEN random() < 0.02 THEN 'assigned'
    WHEN random() < 0.02 THEN 'in_progress' WHEN random() < 0.05 THEN 'rejected'
    WHEN random() < 0.5 THEN 'resolved' ELSE 'closed' END AS status) s
CROSS JOIN LATERAL (SELECT (ARRAY['Đèn đường không sáng', 'Ngập nước sau mưa', 'Rác thải ùn ứ',
    'Cây đổ chắn đường', 'Lấn chiếm vỉa hè', 'Xây dựng trái phép', 'Ổ gà trên đường Láng'])[1 + g % 7] AS t,
    (ARRAY['den duong khong sang', 'ngap nuoc sau mua', 'rac thai un u', 'cay do chan duong',
    'lan chiem via he', 'xay dung trai phep', 'o ga tren duong lang'])[1 + g % 7] AS f) w;
ANALYZE reports;
SQL
fi

ROWS=$(psql_ -c "SELECT count(*) FROM reports")
WARD=$(psql_ -c "SELECT unit_id FROM reports GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1")
OPEN="'submitted','assigned','in_progress'"
COLS="id, code, status, unit_id, created_at, due_at"
plan() {
  printf '\n--- %s\n' "$1"
  psql_ -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) $2" | grep -v '^ *Buffers: shared hit=[0-9]*$' || true
}
# A cursor 1,000 pages (20,000 rows) deep in the city's open queue.
IFS='|' read -r DEEP_T DEEP_ID <<<"$(psql_ -c "SELECT created_at, id FROM reports WHERE status IN ($OPEN) ORDER BY created_at DESC, id DESC OFFSET 20000 LIMIT 1")"
IFS='|' read -r WDEEP_T WDEEP_ID <<<"$(psql_ -c "SELECT created_at, id FROM reports WHERE unit_id = '$WARD' ORDER BY created_at DESC, id DESC OFFSET 20000 LIMIT 1")"
echo "reports: $ROWS; busiest unit: $WARD"
plan "city coordinator, every status, first page" \
  "SELECT $COLS FROM reports ORDER BY created_at DESC, id DESC LIMIT 21"
plan "city coordinator, open, first page" \
  "SELECT $COLS FROM reports WHERE status IN ($OPEN) ORDER BY created_at DESC, id DESC LIMIT 21"
plan "city coordinator, open, page 1,000 (keyset)" \
  "SELECT $COLS FROM reports WHERE status IN ($OPEN) AND (created_at, id) < ('$DEEP_T', '$DEEP_ID') ORDER BY created_at DESC, id DESC LIMIT 21"
plan "ward coordinator, every status, first page" \
  "SELECT $COLS FROM reports WHERE unit_id IN ('$WARD') ORDER BY created_at DESC, id DESC LIMIT 21"
plan "ward coordinator, every status, page 1,000 (keyset)" \
  "SELECT $COLS FROM reports WHERE unit_id IN ('$WARD') AND (created_at, id) < ('$WDEEP_T', '$WDEEP_ID') ORDER BY created_at DESC, id DESC LIMIT 21"
plan "ward coordinator, open, first page" \
  "SELECT $COLS FROM reports WHERE unit_id IN ('$WARD') AND status IN ($OPEN) ORDER BY created_at DESC, id DESC LIMIT 21"
plan "ward coordinator, overdue=true" \
  "SELECT $COLS FROM reports WHERE unit_id IN ('$WARD') AND status IN ($OPEN) AND due_at < now() ORDER BY created_at DESC, id DESC LIMIT 21"
plan "city coordinator, overdue=true" \
  "SELECT $COLS FROM reports WHERE status IN ($OPEN) AND due_at < now() ORDER BY created_at DESC, id DESC LIMIT 21"
plan "q=duong lang, city-wide: the search window (a common phrase fills the page there)" \
  "SELECT * FROM (SELECT $COLS, search_text FROM reports ORDER BY created_at DESC, id DESC LIMIT 2000) w WHERE w.search_text LIKE '%duong lang%' ORDER BY w.created_at DESC, w.id DESC LIMIT 21"
plan "q=gan so 123 (rare), city-wide: the second search window (ten times wider) misses too" \
  "SELECT * FROM (SELECT $COLS, search_text FROM reports ORDER BY created_at DESC, id DESC LIMIT 20000) w WHERE w.search_text LIKE '%gan so 123%' ORDER BY w.created_at DESC, w.id DESC LIMIT 21"
plan "q=gan so 123 (rare), city-wide: the trigram index after the windows" \
  "SELECT $COLS FROM reports WHERE search_text LIKE '%gan so 123%' ORDER BY created_at DESC, id DESC LIMIT 21"
plan "q=gan so 123, one ward" \
  "SELECT $COLS FROM reports WHERE unit_id IN ('$WARD') AND search_text LIKE '%gan so 123%' ORDER BY created_at DESC, id DESC LIMIT 21"
plan "marking a duplicate re-points the reports merged into it (idx_reports_duplicate_of)" \
  "SELECT id FROM reports WHERE duplicate_of = (SELECT id FROM reports WHERE status <> 'duplicate' LIMIT 1)"

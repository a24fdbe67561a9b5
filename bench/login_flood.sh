#!/usr/bin/env bash
# Benchmark: a login flood against reads, and the memory it leaves behind.
#
#   bench/login_flood.sh                       # SQLite in a fresh temporary folder
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cf_login_flood bench/login_flood.sh
#                                              # PostgreSQL (the database is recreated)
#
# Any APP_* setting passes through to the server, e.g. to compare with the
# behaviour before the hashing pool (an allocation per hash, no priority):
#   APP_AUTH__HASH_REUSE_MEMORY=false APP_AUTH__HASH_NICE=0 bench/login_flood.sh
# and glibc's allocator settings too (MALLOC_ARENA_MAX=2 ...).
#
# Needs: a release build (cargo build --release), curl, wrk and the argon2
# CLI (both Debian packages: installed with apt-get when missing and allowed).
# Prints one table; the numbers are for bench/README.md ("Login flood").
# bench/run measures its own server with it: ATTACH_PID and ATTACH_BASE name
# a server already running (with the login limits lifted), and the last line
# printed (RESULT ...) is for it to read.
#
# The flood logs in to one existing account with its right password (every
# answer a full sign-in: hash, session row, tokens) from FLOOD_CONNS
# connections for FLOOD_SECS seconds. The login limits per address and per
# account are lifted for the run: an attack from many addresses against many
# accounts gets past them, so the hashing pool is what is measured. Reads are
# GET /api/v1/categories (a small database read). wrk runs on the same
# machine and takes some of its CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

FLOOD_SECS="${FLOOD_SECS:-10}"
FLOOD_CONNS="${FLOOD_CONNS:-64}"
READ_CONNS="${READ_CONNS:-16}"
READ_SECS="${READ_SECS:-10}"
WIDE_CONNS="${WIDE_CONNS:-256}"
PORT="${PORT:-18091}"
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release/citizen-feedback}"

need() {
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package)" >&2
  apt-get install -y "$2" >/dev/null
}
need wrk wrk
need argon2 argon2
WORK=$(mktemp -d)
if [ -n "${ATTACH_PID:-}" ]; then
  # bench/run's server (started with the login limits lifted): measure it.
  SERVER=$ATTACH_PID BASE=$ATTACH_BASE ENGINE=${ATTACH_ENGINE:-attached}
  trap 'rm -rf "$WORK"' EXIT
else
  [ -x "$BIN" ] || cargo build --release --bin citizen-feedback
  export MEDIA_DIR="$WORK/media" JWT_SECRET=bench-secret-bench-secret-bench-secret
  export DATABASE_URL="${DATABASE_URL:-sqlite://$WORK/bench.db}"
  case "$DATABASE_URL" in
    postgres*)
      DB_NAME="${DATABASE_URL##*/}"
      psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME"
      ENGINE="PostgreSQL $(psql "$DATABASE_URL" -Atc 'SHOW server_version' | cut -d' ' -f1)" ;;
    *) ENGINE="SQLite" ;;
  esac
  export RUST_LOG="${RUST_LOG:-warn}"
  # Lift the per-address and per-account login limits (see above).
  for k in LOGIN_IP_BURST LOGIN_IP_PER_MINUTE LOGIN_ACCOUNT_BURST LOGIN_ACCOUNT_PER_MINUTE AUTH_IP_BURST AUTH_IP_PER_MINUTE; do
    export "APP_AUTH__$k=${!k:-1000000}"
  done

  "$BIN" seed-demo --reports 2000 --months 6 >/dev/null
  LISTEN_ADDR=127.0.0.1:$PORT "$BIN" serve --no-migrate >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  BASE="http://127.0.0.1:$PORT"
fi
LOGIN='{"login":"0912345678","password":"mây trôi qua hồ gươm"}'
# (Registered already when the same database is measured again.)
curl -s -o /dev/null -X POST "$BASE/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"phone":"0912345678","password":"mây trôi qua hồ gươm","full_name":"Nguyễn Văn An"}'

rss_mb() { awk '{printf "%.0f", $1/1024}' <<<"$(ps -o rss= -p "$SERVER")"; }

cat >"$WORK/login.lua" <<EOF
wrk.method = "POST"
wrk.body = '$LOGIN'
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; busy = 0; other = 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  local secs = summary.duration / 1e6
  io.write(string.format("LOGINS %d %.1f %d %d %.1f\n", o, o / secs, b, x, latency:percentile(99) / 1000))
end
EOF

flood() { wrk -t2 -c"$FLOOD_CONNS" -d"${FLOOD_SECS}s" --timeout 30s -s "$WORK/login.lua" "$BASE/api/v1/auth/login"; }
reads() { wrk -t2 -c"$1" -d"${2}s" --timeout 30s --latency "$BASE/api/v1/categories"; }
p99() { awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.1f", v}'; }
rps() { awk '$1 == "Requests/sec:" {printf "%.0f", $2}'; }

# The reference: argon2id hashes a second by the argon2 CLI, same parameters.
start=$(date +%s.%N)
for _ in $(seq 1 50); do echo -n "mây trôi qua hồ gươm" | argon2 somesaltsomesalt -id -t 2 -k 19456 -p 1 -r >/dev/null; done
cli_rate=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", 50/(e-s)}')

rss_idle=$(rss_mb)
reads "$WIDE_CONNS" 10 >/dev/null
sleep 1
rss_wide=$(rss_mb)

quiet=$(reads "$READ_CONNS" "$READ_SECS")
p99_quiet=$(p99 <<<"$quiet"); rps_quiet=$(rps <<<"$quiet")

read -r _ ok rate busy other login_p99 <<<"$(flood | grep '^LOGINS')"
sleep 1
rss_flood=$(rss_mb)

# Reads while the flood runs (the reads start a second later, end with it).
flood >"$WORK/flood2.txt" &
FLOOD=$!
sleep 1
loaded=$(reads "$READ_CONNS" $((FLOOD_SECS - 2)))
wait $FLOOD
read -r _ ok2 rate2 busy2 other2 _ <<<"$(grep '^LOGINS' "$WORK/flood2.txt")"
p99_loaded=$(p99 <<<"$loaded"); rps_loaded=$(rps <<<"$loaded")
sleep 1
rss_after=$(rss_mb)
sleep 10
rss_later=$(rss_mb)

threads=$(ls /proc/$SERVER/task | while read -r t; do cat /proc/$SERVER/task/$t/comm; done | grep -c '^argon2-' || true)
cat <<EOF

$ENGINE, $(nproc) CPUs, $threads hashing threads; flood: $FLOOD_CONNS connections, ${FLOOD_SECS} s; reads: $READ_CONNS connections
settings: $(env | grep -E '^APP_AUTH__HASH|^MALLOC_' | sort | tr '\n' ' ')

| what | value |
|---|---|
| argon2 CLI, same parameters (reference) | $cli_rate hashes/s |
| login flood alone: signed in | $ok ($rate/s = $(awk -v a="$rate" -v b="$cli_rate" 'BEGIN {printf "%.2f", a/b}') × the CLI), $busy refused with 503, $other other; p99 $login_p99 ms |
| login flood with reads: signed in | $ok2 ($rate2/s), $busy2 refused with 503, $other2 other |
| GET /categories p99 without / during the flood | $p99_quiet / $p99_loaded ms (× $(awk -v a="$p99_loaded" -v b="$p99_quiet" 'BEGIN {printf "%.1f", a/b}')) |
| GET /categories requests/s without / during the flood | $rps_quiet / $rps_loaded |
| RSS idle | $rss_idle MB |
| RSS after $WIDE_CONNS connections of reads | $rss_wide MB |
| RSS after the flood alone | $rss_flood MB |
| RSS after the flood with reads / 10 s later | $rss_after / $rss_later MB |
EOF
# One line for bench/run to read.
echo "RESULT cli_rate=$cli_rate rate=$rate busy=$busy p99_quiet=$p99_quiet p99_loaded=$p99_loaded rss_idle=$rss_idle rss_wide=$rss_wide rss_flood=$rss_flood rss_after=$rss_after rss_later=$rss_later"

#!/usr/bin/env bash
# Property-based API run: starts the server on a fresh SQLite database (the
# outbox worker and push off, throttles raised), makes an admin and a
# citizen, and runs schemathesis against openapi/openapi.json as each of
# them, with all its checks and a bounded number of examples. Exits non-zero
# on any failure. Usage: tests/api_fuzz/run.sh [BINARY] (default
# target/debug/citizen-feedback, which must be built).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/api_fuzz"
bin="${1:-$root/target/debug/citizen-feedback}"
examples="${API_FUZZ_EXAMPLES:-20}"
work="$(mktemp -d)"
venv="${API_FUZZ_VENV:-$root/target/api-fuzz-venv}"

# The tester, pinned, in its own virtual environment (made once).
# (Made again when the requirements change, or when it no longer runs, e.g.
# after the target directory moved: a venv's scripts name their own path.)
if ! cmp -s "$here/requirements.txt" "$venv/.installed" 2>/dev/null ||
   ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/.installed"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export APP_ENVIRONMENT=development
export DATABASE_URL="sqlite://$work/fuzz.db?mode=rwc"
export MEDIA_DIR="$work/media"
export LISTEN_ADDR="127.0.0.1:$port"
export APP_HTTP__PUBLIC_BASE_URL="$base"
export APP_DELIVERY__WORKER_ENABLED=false
export APP_PUSH__FCM_CREDENTIALS=""
export APP_HOUSEKEEPING__INTERVAL_SECS=0
export APP_REPORTS__AUTO_CLOSE_INTERVAL_SECS=0
export APP_NOTIFICATIONS__REMINDER_INTERVAL_SECS=0
export APP_REPORTS__PER_USER_BURST=100000
export APP_REPORTS__PER_USER_PER_HOUR=100000
export APP_OPEN311__PER_KEY_BURST=100000
export APP_OPEN311__PER_KEY_PER_MINUTE=100000
for k in LOGIN_IP LOGIN_ACCOUNT AUTH_IP; do
  export "APP_AUTH__${k}_BURST=100000" "APP_AUTH__${k}_PER_MINUTE=100000"
done
export RUST_LOG=warn

"$bin" migrate >/dev/null
"$bin" create-admin --email fuzz-admin@example.com --password 'fuzz admin password 1' >/dev/null
"$bin" serve --no-migrate >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
# POST a JSON body; prints the answer (python3 only: no curl needed).
post() {
  python3 - "$base$1" "$2" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"content-type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PY
}
for _ in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('$base/healthz', timeout=1)" 2>/dev/null && break
  sleep 0.2
done

login() {
  post /api/v1/auth/login "{\"login\":\"$1\",\"password\":\"$2\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
post /api/v1/auth/register '{"phone":"0912345678","password":"fuzz citizen password 1","full_name":"Nguyễn Văn An"}' >/dev/null
admin=$(login fuzz-admin@example.com 'fuzz admin password 1')
citizen=$(login 0912345678 'fuzz citizen password 1')

# What the run leaves out: the stream (never ends), and what would end the
# tester's own session or account.
exclude=(
  --exclude-path '/api/v1/staff/stream'
  --exclude-path-regex '/auth/logout'
  --exclude-path-regex '/me/password'
  --exclude-path-regex '/revoke-sessions'
  --exclude-by 'method == "DELETE" and path == "/api/v1/me"'
  --exclude-by 'method == "PATCH" and path == "/api/v1/admin/users/{id}"'
)

status=0
for who in citizen admin; do
  token="${!who}"
  echo "== schemathesis as $who ($examples examples per operation)"
  out="$work/$who.log"
  # In the scratch directory: the tester keeps a cache where it runs.
  (cd "$work" && "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$root/openapi/openapi.json" \
      --url "$base" --checks all --max-examples "$examples" --seed "${API_FUZZ_SEED:-1}" \
      --workers 2 --no-color --suppress-health-check all \
      --header "Authorization: Bearer $token" "${exclude[@]}") >"$out" 2>&1 || true
  cut -c1-400 "$out"  # (a crash inside the tester prints its whole source)
  # The last line sums up: "N failures, …" fails the run. A crash inside the
  # tester itself ("1 error") is reported but is not a finding about us.
  summary="$(grep -E '^=+ .* in [0-9.]+s =+$' "$out" | tail -n 1)"
  if [ -z "$summary" ]; then
    echo "FAIL: schemathesis did not finish" >&2
    status=1
  elif echo "$summary" | grep -qE '[0-9]+ failures?'; then
    echo "FAIL ($who): $summary" >&2
    status=1
  elif echo "$summary" | grep -qE '[0-9]+ errors?'; then
    echo "note ($who): the tester itself raised an error (see above); not counted as a failure" >&2
  fi
done
if [ $status -ne 0 ]; then
  echo "--- server log (last 40 lines)"; tail -n 40 "$work/server.log"
fi
exit $status

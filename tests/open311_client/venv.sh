#!/usr/bin/env bash
# Makes (once) a Python virtual environment with the pinned Open311 client
# library: venv.sh DIR. Safe to run concurrently (a lock), quick when done.
set -euo pipefail
dir="$1"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
stamp="$dir/.installed"
# Made again when the requirements change or it no longer runs (a venv's
# scripts name their own path, so a moved target directory breaks it).
if [ -f "$stamp" ] && cmp -s "$here/requirements.txt" "$stamp" &&
   "$dir/bin/python" -c 'import georeport' 2>/dev/null; then
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "python3 is needed for the Open311 client test (apt-get install python3)" >&2
  exit 1
fi
rm -rf "$dir"
if ! python3 -m venv "$dir" 2>/dev/null; then
  # Debian splits venv out of python3.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q "python3-venv" >/dev/null || apt-get install -y -q "python$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv" >/dev/null
    rm -rf "$dir"
    python3 -m venv "$dir"
  else
    echo "python3 -m venv failed: install python3-venv" >&2
    exit 1
  fi
fi
"$dir/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"

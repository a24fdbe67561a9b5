#!/usr/bin/env bash
# The browser the console tests drive: Debian's chromium and chromium-driver,
# installed when missing (tests/console_browser.rs runs this on first use;
# .ci/run runs it before the suite). Never a browser download.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
echo "installing chromium and chromium-driver (Debian packages)" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y chromium chromium-driver >/dev/null 2>&1 ||
  { $SUDO apt-get update -qq && $SUDO apt-get install -y chromium chromium-driver >/dev/null; }
command -v chromedriver >/dev/null

#!/usr/bin/env bash
# browser.sh: install Debian's Chromium for the browser tests when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
echo "[browser] installing chromium with apt (first run only)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq chromium >/dev/null

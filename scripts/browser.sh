#!/usr/bin/env bash
# browser.sh: what the browser tests need. Debian's Chromium when missing,
# and axe-core (the accessibility checker the browser test injects into
# every page) from the npm registry into a cache outside the repository:
# ${QAMQOR_CACHE:-~/.cache/qamqor}/node_modules/axe-core.
set -euo pipefail
AXE_VERSION=4.14.1
cache=${QAMQOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qamqor}
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
if ! command -v chromium >/dev/null 2>&1; then
	echo "[browser] installing chromium with apt (first run only)" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo_cmd apt-get update -qq
	$sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
if [ ! -f "$cache/node_modules/axe-core/axe.min.js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$cache/node_modules/axe-core/package.json"; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "[browser] installing npm with apt (first run only)" >&2
		export DEBIAN_FRONTEND=noninteractive
		$sudo_cmd apt-get update -qq
		$sudo_cmd apt-get install -y -qq npm >/dev/null
	fi
	echo "[browser] installing axe-core $AXE_VERSION into $cache" >&2
	mkdir -p "$cache"
	npm install --silent --no-audit --no-fund --prefix "$cache" "axe-core@$AXE_VERSION" >/dev/null
fi

#!/bin/sh
# Install the Debian packages Vigil needs to build and test, if any are missing.
# Idempotent and quiet when nothing is missing. Run as root (CI and `make` do).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libsodium-dev libsqlite3-dev libjansson-dev libexpat1-dev libgeos-dev \
libproj-dev proj-data libmicrohttpd-dev libnats-dev libpq-dev libcmocka-dev \
sqlite3 gdal-bin golang-go golang-golang-x-mod-dev curl wrk jq python3 chromium"
# node and npm (the web map's packages, its browser test): Debian's if absent
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

# npm packages from package-lock.json: web/ (the map's runtime files, served
# by vigil serve), tests/browser/ (playwright-core) and tests/tak/ (@tak-ps/node-cot,
# the CoT checker of tests/e2e/tak_cot.sh); node_modules is git-ignored.
npm_deps() {
	top=$(cd "$(dirname "$0")/.." && pwd)
	for d in web tests/browser tests/tak; do
		if [ ! -d "$top/$d/node_modules" ] ||
		   [ "$top/$d/package-lock.json" -nt "$top/$d/node_modules/.package-lock.json" ]; then
			(cd "$top/$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
				{ echo "deps.sh: npm ci in $d failed" >&2; exit 1; }
		fi
	done
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && { npm_deps; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
npm_deps

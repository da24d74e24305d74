#!/bin/sh
# Install the Debian packages Vigil needs to build and test, if any are missing.
# Idempotent and quiet when nothing is missing. Run as root (CI and `make` do).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libsodium-dev libsqlite3-dev libjansson-dev libexpat1-dev libgeos-dev \
libproj-dev proj-data libmicrohttpd-dev libnats-dev libpq-dev libcmocka-dev \
sqlite3 gdal-bin golang-go golang-golang-x-mod-dev curl wrk jq python3"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

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

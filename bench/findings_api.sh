#!/bin/sh
# bench/findings_api.sh - GET /v1/findings over a million stored findings.
#
#   sh bench/findings_api.sh [BUILD_DIR] [N_FINDINGS] [DB]
#   (defaults: build 1000000; DB: a new store in a temporary directory)
#
# Fills a store with bench_findings (synthetic findings over 30 days in the
# box 46-50 N, 34-40 E), starts `vigil serve`, and drives the watch floor's
# query with wrk (Debian `wrk`): each request a random box of 0.5 x 0.5
# degrees, a random 6-hour window and a page of 100 (member token). Three
# runs of 10 s: 1 connection (unloaded latency), 8 and 32 connections
# (saturation; the requests/s reached is the capacity, and the latency
# there bounds the latency at any lower rate, e.g. the issue's 500/s).
# Prints wrk's latency distribution; asserts nothing.
set -eu
B=${1:-build}
N=${2:-1000000}
DB=${3:-}
command -v wrk >/dev/null || { echo "findings_api.sh: needs wrk (Debian wrk)" >&2; exit 1; }
D=$(mktemp -d /tmp/vigil-bench-findings-XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$D"' EXIT
if [ -z "$DB" ]; then
	DB=$D/f.db
	"$B/bench_findings" --db "$DB" --n "$N" --queries 20000
fi
TOK=$("$B/vigil" token create --db "$DB" --member A --role member 2>/dev/null)
"$B/vigil" serve --db "$DB" --listen 127.0.0.1:0 --rate -1 >"$D/out" 2>"$D/err" &
PID=$!
for i in $(seq 100); do grep -q listening "$D/out" 2>/dev/null && break; sleep 0.1; done
U=$(sed -n 's/^listening on //p' "$D/out")
cat >"$D/q.lua" <<LUA
math.randomseed(42)
wrk.headers["Authorization"] = "Bearer $TOK"
local t0 = 1772323200 -- 2026-03-01T00:00:00Z
local function ts(s) return os.date("!%Y-%m-%dT%H:%M:%SZ", s) end
request = function()
	local la = 46 + 3.5 * math.random()
	local lo = 34 + 5.5 * math.random()
	local t = t0 + math.floor(math.random() * (30 * 86400 - 6 * 3600))
	local path = string.format("/v1/findings?bbox=%.4f,%.4f,%.4f,%.4f&from=%s&until=%s&limit=100",
		lo, la, lo + 0.5, la + 0.5, ts(t), ts(t + 6 * 3600))
	return wrk.format("GET", path)
end
done = function(summary, latency, requests)
	io.write(string.format("  errors: connect %d, read %d, write %d, status %d, timeout %d\n",
		summary.errors.connect, summary.errors.read, summary.errors.write,
		summary.errors.status, summary.errors.timeout))
	io.write(string.format("  latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
echo "GET /v1/findings (random 0.5 x 0.5 deg box, 6 h window, page of 100) on $(sqlite3 "$DB" 'SELECT count(*) FROM findings') findings"
for c in 1 8 32; do
	echo "wrk, $c connection(s), 10 s:"
	th=2; [ "$c" -lt 2 ] && th=1
	wrk -t "$th" -c "$c" -d 10s -s "$D/q.lua" "$U" | grep -E "Requests/sec|errors|latency p50|Non-2xx"
done

#!/bin/sh
# bench/serve.sh - throughput and latency of `vigil serve` on loopback.
#
#   sh bench/serve.sh [BUILD_DIR] [N_OBSERVATIONS] [BATCH_LINES] [CLIENTS]
#   (defaults: build 200000 2000 4)
#
# 1. POST throughput: N signed observations (bench_ingest --generate: 300
#    sensors) posted as NDJSON batches of BATCH_LINES lines by CLIENTS
#    concurrent curl clients; each request returns only once its lines are
#    durable (store committed, log checkpoint published). Reports durable
#    observations/s over the wall time of the whole run.
# 2. Alert latency: a POST until its "batch" event arrives on /v1/alerts.
# 3. GET latency with wrk (Debian `wrk`; 2 threads, 16 connections, 10 s
#    each; the first also with 1 connection: unloaded latency): /v1/observations (bbox, 100 per page; member token: releasability
#    filtered, and auditor), /v1/observations/ID, /v1/log/checkpoint, a hash
#    tile, /v1/log/proof/inclusion, /v1/sensors; wrk's latency distribution.
# Prints figures; asserts nothing.
set -eu
B=${1:-build}
N=${2:-200000}
BATCH=${3:-2000}
CLIENTS=${4:-4}
VIGIL=$B/vigil
command -v curl >/dev/null || { echo "serve.sh: needs curl" >&2; exit 1; }
D=$(mktemp -d /tmp/vigil-bench-serve-XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$D"' EXIT
"$B/bench_ingest" --generate "$N" --dir "$D" >/dev/null
DB=$D/b.db
"$VIGIL" sensor import --db "$DB" "$D/registry.ndjson" >/dev/null
MEMBER=$(sed -n '1s/.*"owner":"\([^"]*\)".*/\1/p' "$D/registry.ndjson")
TOK=$("$VIGIL" token create --db "$DB" --member "$MEMBER" --role member 2>/dev/null)
AUD=$("$VIGIL" token create --db "$DB" --member UN --role auditor 2>/dev/null)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate -1 --max-body 67108864 >"$D/out" 2>"$D/err" &
PID=$!
for i in $(seq 100); do grep -q listening "$D/out" 2>/dev/null && break; sleep 0.1; done
U=$(sed -n 's/^listening on //p' "$D/out")
# seq is strictly increasing per sensor, so each client posts a disjoint set
# of sensors, in order: CLIENTS streams in parallel, each batch after the last.
mkdir "$D/parts"
awk -v c="$CLIENTS" -v d="$D/parts" '{ match($0, /"keyid":"[^"]*"/); k = substr($0, RSTART + 9, RLENGTH - 10);
	if (!(k in m)) m[k] = n++ % c; print > (d "/s" m[k]) }' "$D/obs.ndjson"
for f in "$D/parts"/s*; do split -l "$BATCH" -a 5 "$f" "$f.b"; done
echo "vigil serve: $N signed observations, batches of $BATCH lines, $CLIENTS concurrent clients"
post_all() { for b in "$1".b*; do
	curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOK" --data-binary @"$b" "$U/v1/observations"
done; }
t0=$(date +%s.%N)
pids=
for f in "$D/parts"/s?; do post_all "$f" >"$f.codes" & pids="$pids $!"; done
for p in $pids; do wait "$p"; done
cat "$D/parts"/*.codes >"$D/codes"
t1=$(date +%s.%N)
ok=$(grep -c '^200$' "$D/codes" || true)
acc=$(curl -s -H "Authorization: Bearer $TOK" "$U/metrics" | sed -n 's/^vigil_ingest_accepted_total //p')
curl -s -H "Authorization: Bearer $TOK" "$U/metrics" >"$D/metrics"
batches=$(sed -n 's/^vigil_ingest_batches_total //p' "$D/metrics")
bsec=$(sed -n 's/^vigil_ingest_batch_seconds_total //p' "$D/metrics")
echo "  requests 200: $ok of $(wc -l <"$D/codes"); accepted $acc; writer calls $batches, busy $bsec s"
awk -v a="$acc" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "  POST: %.2f s, %.0f durable observations/s\n", t1 - t0, a / (t1 - t0) }'
# Alert latency: one observation posted (a duplicate by now: the batch
# event is sent all the same) until its "batch" event reaches an open stream.
head -1 "$D/obs.ndjson" >"$D/one"
for k in 1 2 3 4 5; do
	curl -s -N --max-time 5 -H "Authorization: Bearer $TOK" "$U/v1/alerts" |
		while IFS= read -r l; do case $l in "event: batch"*) date +%s.%N; break ;; esac; done >"$D/sse_t" &
	sp=$!
	sleep 0.5
	a0=$(date +%s.%N)
	curl -s -o /dev/null -H "Authorization: Bearer $TOK" --data-binary @"$D/one" "$U/v1/observations"
	a1=$(date +%s.%N)
	wait "$sp" 2>/dev/null || true
	awk -v a0="$a0" -v a1="$a1" -v t="$(cat "$D/sse_t")" 'BEGIN {
		printf "  alert: POST answered in %.1f ms; event on the stream %.1f ms after the POST was sent\n",
		(a1 - a0) * 1e3, (t - a0) * 1e3 }'
done
[ "${NO_GET:-}" ] && exit 0
if ! command -v wrk >/dev/null; then echo "  (wrk not installed: no GET latency)"; exit 0; fi
cat >"$D/member.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOK"
LUA
cat >"$D/auditor.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $AUD"
LUA
BBOX=$(awk -F'"lat":|,"lon":|,"alt' 'NR==1 { printf "%.3f,%.3f,%.3f,%.3f", $3-0.2, $2-0.2, $3+0.2, $2+0.2 }' "$D/registry.ndjson")
get() { # get ROLE PATH [CONNECTIONS]
	c=${3:-16}
	echo "GET $2 ($1 token, $c connections)"
	wrk -t$([ "$c" -ge 2 ] && echo 2 || echo 1) -c"$c" -d10s --latency -s "$D/$1.lua" "$U$2" |
		grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx' | sed 's/^/  /'
}
get member "/v1/observations?bbox=$BBOX&limit=100" 1
get member "/v1/observations?bbox=$BBOX&limit=100"
get auditor "/v1/observations?bbox=$BBOX&limit=100"
get auditor "/v1/observations/$((N / 2))"
get member /v1/log/checkpoint
get member /v1/log/tile/0/000
get member "/v1/log/proof/inclusion?index=$((N / 3))"
get member /v1/sensors

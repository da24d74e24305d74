#!/bin/sh
# bench/live_alerts.sh - how soon an alert follows the observation that
# decided it, with `vigil serve --live`, while GET /v1/findings is under load.
#
#   sh bench/live_alerts.sh [BUILD_DIR] [SCENARIO] [HOURS] [BATCH_LINES]
#   (defaults: build scenarios/test-small.json 2 200)
#
# Simulates the scenario, enrols its sensors, starts `vigil serve --live
# --agreement` (no --live-flush: events are emitted by the stream clock,
# i.e. by the observations themselves), loads GET /v1/findings with wrk
# (1 connection, back to back for 12 s: ~800 requests/s here, above the
# issue's 500)
# and, from one Python client, reads GET /v1/alerts and POSTs the
# observations in batches of BATCH_LINES in receipt order. For every "event"
# alert, the latency is measured from the answer to the POST whose batch
# decided it (the last POST answered before the alert: its observations
# moved the stream clock past the event's association window) to the alert's
# arrival. Prints the distribution; asserts nothing.
set -eu
B=${1:-build}
SC=${2:-scenarios/test-small.json}
HOURS=${3:-2}
BATCH=${4:-200}
command -v wrk >/dev/null || { echo "live_alerts.sh: needs wrk" >&2; exit 1; }
D=$(mktemp -d /tmp/vigil-bench-live-XXXXXX)
PID=; WPID=
trap '[ -n "$WPID" ] && kill "$WPID" 2>/dev/null; [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$D"' EXIT
"$B/vigil" sim "$SC" --hours "$HOURS" --seed 1 --out "$D/s" >/dev/null 2>&1
DB=$D/v.db
"$B/vigil" -q sensor import --db "$DB" "$D/s/sensors.ndjson" >/dev/null
TOK=$("$B/vigil" token create --db "$DB" --member A --role member 2>/dev/null)
# the Minsk II rules of the tests, so that there are no_fire findings
jq --slurpfile r "$(dirname "$0")/../tests/e2e/rules_minsk2.json" \
	'.agreement.weapon_classes = $r[0].weapon_classes | .agreement.rules = $r[0].rules' \
	"$D/s/agreement.geojson" >"$D/ag.geojson"
"$B/vigil" serve --db "$DB" --listen 127.0.0.1:0 --rate -1 --live --agreement "$D/ag.geojson" \
	>"$D/out" 2>"$D/err" &
PID=$!
for i in $(seq 100); do grep -q listening "$D/out" 2>/dev/null && break; sleep 0.1; done
U=$(sed -n 's/^listening on //p' "$D/out")
cat >"$D/q.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOK"
request = function()
	return wrk.format("GET", "/v1/findings?bbox=36,47,39,49&from=2026-03-01T00:00:00Z&until=2026-03-02T00:00:00Z&limit=100")
end
LUA
wrk -t 1 -c 1 -d 12s -s "$D/q.lua" "$U" >"$D/wrk.out" 2>&1 &
WPID=$!
python3 - "$U" "$TOK" "$D/s/observations.ndjson" "$BATCH" <<'PY'
import http.client, sys, threading, time, json, urllib.parse
url, tok, path, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
alerts = []
stop = False
def reader():
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request("GET", "/v1/alerts", headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    ev = None
    while not stop:
        line = r.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            ev = line[7:]
        elif line.startswith("data: ") and ev in ("event", "finding"):
            alerts.append((time.monotonic(), ev))
threading.Thread(target=reader, daemon=True).start()
time.sleep(0.5)
lines = open(path, "rb").read().splitlines(keepends=True)
posts = []
c = http.client.HTTPConnection(u.hostname, u.port)
t_start = time.monotonic()
for i in range(0, len(lines), batch):
    body = b"".join(lines[i:i + batch])
    c.request("POST", "/v1/observations", body=body, headers={"Authorization": "Bearer " + tok})
    r = c.getresponse(); r.read()
    posts.append(time.monotonic())
time.sleep(3)
stop = True
t_end = posts[-1]
lat = []
for t, kind in alerts:
    if kind != "event":
        continue
    before = [p for p in posts if p <= t]
    if before:
        lat.append(t - before[-1])
lat.sort()
def pct(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print("vigil serve --live: %d observations in %d POSTs of %d lines (%.1f s), %d event alerts, %d finding alerts"
      % (len(lines), len(posts), batch, t_end - t_start, sum(1 for a in alerts if a[1] == "event"),
         sum(1 for a in alerts if a[1] == "finding")))
print("  alert after the deciding POST's answer: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (pct(0.5), pct(0.9), pct(0.99), lat[-1] * 1000 if lat else float("nan")))
print("  (events still pending at the end wait for the stream clock: %d emitted after the last POST)"
      % sum(1 for t, k in alerts if k == "event" and t > t_end))
PY
wait "$WPID" 2>/dev/null || true; WPID=
echo "GET /v1/findings load during the run (wrk, 1 connection):"
grep -E "Requests/sec|Latency" "$D/wrk.out" | sed 's/^/  /'

#!/bin/sh
# `vigil serve --live`: observations POSTed are fused as they become
# durable; each event (and each no_fire finding over the recent events) is
# published in the log and pushed to GET /v1/alerts. The live events are
# byte for byte those `vigil fuse --db` makes from the same store afterwards
# (it finds nothing new to publish).
. "$(dirname "$0")/lib/common.sh"

SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
SRV_PID=
CURL_PID=
cleanup() {
	[ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null
	[ -n "$CURL_PID" ] && kill "$CURL_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

sim_agreement "$T"
DB=$T/v.db
expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$DB" "$T/s/sensors.ndjson"
A=$("$VIGIL" token create --db "$DB" --member A --role member 2>/dev/null)

expect_exit 2 "--live-flush 0 refused" "$VIGIL" serve --db "$DB" --live --live-flush 0
check "the message names the option" grep -q -- "--live-flush" "$T/err"
expect_exit 2 "--live-flush abc refused" "$VIGIL" serve --db "$DB" --live --live-flush abc

# A TAK receiver (node-cot parses every message) for --tak.
TAK=$VG_SRC/tests/tak
LPID=
node "$TAK/listen.mjs" --out "$T/got_tak" --tcp 127.0.0.1:0 --timeout 60 >"$T/lt.out" 2>&1 &
LPID=$!
for i in $(seq 100); do grep -q listening "$T/lt.out" 2>/dev/null && break; sleep 0.1; done
TP=$(awk '/listening/{print $3}' "$T/lt.out")
check "TAK listener up (tcp $TP)" [ -n "$TP" ]
expect_exit 2 "--tak with a bad URL refused" "$VIGIL" serve --db "$DB" --tak "http://127.0.0.1:1"
check "the message names --tak" grep -q -- "--tak" "$T/err"

"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate -1 --live --live-flush 1 \
	--agreement "$T/ag.geojson" --tak "tcp://127.0.0.1:$TP" >"$T/serve.out" 2>"$T/serve.err" &
SRV_PID=$!
for i in $(seq 50); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
ok "server listening on port $PORT (live)"
U=http://127.0.0.1:$PORT
curl -sN -H "Authorization: Bearer $A" "$U/v1/alerts" >"$T/sse" &
CURL_PID=$!
for i in $(seq 50); do grep -q connected "$T/sse" 2>/dev/null && break; sleep 0.1; done
check "alert stream open" grep -q connected "$T/sse"

"$VIGIL" fuse --obs "$T/s/observations.ndjson" --sensors "$T/s/sensors.ndjson" --out "$T/files.ndjson" 2>/dev/null
NE_FILES=$(wc -l <"$T/files.ndjson")
split -l 200 "$T/s/observations.ndjson" "$T/part."
codes=
for p in "$T"/part.*; do
	codes="$codes$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" \
		--data-binary @"$p" "$U/v1/observations") "
done
T0=$(date +%s%N)
check "every batch durable (200)" [ "$(echo $codes | tr ' ' '\n' | grep -vc '^200$' || true)" = 0 ]
# As many events as fusion makes of the files (waited for, up to 10 s).
for i in $(seq 200); do
	[ "$(grep -c '^event: event' "$T/sse" || true)" -ge "$NE_FILES" ] && break
	sleep 0.05
done
T1=$(date +%s%N)
NE=$(grep -c '^event: event' "$T/sse" || true)
NF=$(grep -c '^event: finding' "$T/sse" || true)
check "events reached the alert stream ($NE)" [ "$NE" -gt 10 ]
check "findings reached the alert stream ($NF)" [ "$NF" -gt 0 ]
echo "# last event alert within $(( (T1 - T0) / 1000000 )) ms of the last POST's answer (--live-flush 1)"
sleep 0.5 # the findings of the last step
check "each alert is a logged publication" \
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM publications WHERE log_index IS NOT NULL')" = $((NE + NF)) ]
grep '^data: {"id":"f-' "$T/sse" | sed 's/^data: //' >"$T/live_f"
check "live findings are named after their first event" \
	sh -c "jq -e -s 'all(.[]; .id == \"f-\" + .events[0])' '$T/live_f' >/dev/null"
curl -s -H "Authorization: Bearer $A" "$U/metrics" >"$T/metrics"
check "metrics count every publication sent to TAK" \
	grep -qx "vigil_tak_sent_total $((NE + NF))" "$T/metrics"
for i in $(seq 50); do
	[ "$(sort -u "$T/got_tak" 2>/dev/null | wc -l)" -ge $((NE + NF)) ] && break
	sleep 0.1
done
check "the TAK receiver parsed a message per publication" \
	[ "$(jq -r 'select(.error == null) | .uid' "$T/got_tak" | sort -u | wc -l)" = $((NE + NF)) ]
check "no message node-cot could not parse" sh -c "! grep -q '\"error\"' '$T/got_tak'"
kill "$LPID" 2>/dev/null; LPID=
kill "$CURL_PID"; CURL_PID=
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=

expect_exit 0 "batch fuse of the same store" "$VIGIL" fuse --db "$DB" --out "$T/batch.ndjson"
check "the batch makes as many events as went live" [ "$(wc -l <"$T/batch.ndjson")" = "$NE" ]
check "and nothing new to publish: live events were byte-identical" grep -q " 0 new events published" "$T/err"
grep '^data: {"id":"e-' "$T/sse" | sed 's/^data: //' >"$T/live_e"
check "the alert data are the batch's lines, in order" cmp -s "$T/live_e" "$T/batch.ndjson"
expect_exit 0 "batch adjudicate" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" --out "$T/f.ndjson"
check "batch no_fire findings: as many as the live missions" \
	[ "$(jq -c 'select(.rule == "no_fire")' "$T/f.ndjson" | wc -l)" = "$(jq -s 'map(.id) | unique | length' "$T/live_f")" ]
expect_exit 0 "log verify" "$VIGIL" log verify --db "$DB"
check "every statement verified" grep -q "statements signed by the log key, each resting" "$T/out"
finish

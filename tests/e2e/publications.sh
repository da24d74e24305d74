#!/bin/sh
# Events and findings as statements of the transparency log, and on the
# alert stream: `vigil fuse --db` and `vigil adjudicate --db` publish what
# is new (once per distinct record), `vigil log verify` checks every
# statement (signed by the log key, record hash, evidence = earlier
# observation entries); while `vigil serve` holds the log, the server logs
# what they stored and pushes it to GET /v1/alerts within a second.
. "$(dirname "$0")/lib/common.sh"

SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
SRV_PID=
CURL_PID=
cleanup() {
	[ -n "$CURL_PID" ] && kill "$CURL_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

sim_agreement "$T"
DB=$T/v.db
store_ingest "$T"
N_LOG0=$(sqlite3 "$DB" 'SELECT count(*) FROM log_entries')

expect_exit 0 "fuse --db" "$VIGIL" fuse --db "$DB" --out "$T/ev1.ndjson"
NE=$(wc -l <"$T/ev1.ndjson")
check "there are events ($NE)" [ "$NE" -gt 10 ]
check "fuse says how many it published" grep -q "$NE new events published" "$T/err"
check "each event is one publication" [ "$(sqlite3 "$DB" "SELECT count(*) FROM publications WHERE kind='event'")" = "$NE" ]
check "and one log entry more each" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM log_entries')" = $((N_LOG0 + NE)) ]
check "the published records are the events' lines, in order" \
	sh -c "sqlite3 '$DB' \"SELECT record FROM publications WHERE kind='event' ORDER BY id\" | cmp -s - '$T/ev1.ndjson'"
expect_exit 0 "fuse again" "$VIGIL" fuse --db "$DB" --out "$T/ev2.ndjson"
check "the same events again (deterministic)" cmp -s "$T/ev1.ndjson" "$T/ev2.ndjson"
check "nothing published twice" grep -q " 0 new events published" "$T/err"
check "the log did not grow" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM log_entries')" = $((N_LOG0 + NE)) ]

expect_exit 0 "adjudicate --db (uses the stored events)" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --out "$T/f1.ndjson"
NF=$(wc -l <"$T/f1.ndjson")
check "there are findings ($NF)" [ "$NF" -gt 0 ]
check "each finding is one publication" [ "$(sqlite3 "$DB" "SELECT count(*) FROM publications WHERE kind='finding'")" = "$NF" ]
expect_exit 0 "log verify" "$VIGIL" log verify --db "$DB"
check "log verify checked every statement" grep -q "ok: $((NE + NF)) event and finding statements" "$T/out"
# The evidence of the statements: the first finding's and event's log
# indices are observation entries (checked by verify; shown here for one).
IDX=$(sqlite3 "$DB" "SELECT log_index FROM publications WHERE kind='event' ORDER BY id LIMIT 1")
check "a statement sits at its log index" [ -n "$IDX" ]
expect_exit 0 "log entry of the first event" "$VIGIL" log entry --dir "$DB.log" "$IDX"
check "the entry is the log key's publication" grep -q 'application/vnd.vigil.publication+json' "$T/out"
jq -r .payload "$T/out" | base64 -d >"$T/pl"
check "its payload carries the record and its evidence" jq -e '.op == "event" and (((.record.arrivals // []) + (.record.radar // [])) | length) >= 1' "$T/pl"

# Events from elsewhere (a stale file, another store) whose arrivals are not
# this log's observations: the findings resting on them are not published
# (an append-only log could never pass an audit again), and the log is intact.
jq -c '.arrivals += [1, 999999]' "$T/ev1.ndjson" >"$T/foreign.ndjson"
sqlite3 "$DB" 'SELECT record FROM findings ORDER BY seq' >"$T/findings_before"
expect_exit 1 "adjudicate with foreign evidence refuses" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --events "$T/foreign.ndjson" --out "$T/fx.ndjson"
check "the message names the finding, the member and the index" \
	grep -q 'finding f-[0-9a-f]\{16\}: "evidence"\[[0-9]*\] = 1 is not an observation of this store.s log' "$T/err"
check "nothing of it was published" \
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM publications WHERE kind='finding'")" = "$NF" ]
check "nor stored: the findings are the previous run's" \
	sh -c "sqlite3 '$DB' 'SELECT record FROM findings ORDER BY seq' | cmp -s - '$T/findings_before'"
expect_exit 0 "log verify still passes" "$VIGIL" log verify --db "$DB"
expect_exit 0 "adjudicate again (the stored events)" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --out "$T/f1b.ndjson"

# While the server holds the log.
tok() { "$VIGIL" token create --db "$DB" --member "$1" --role "$2" 2>/dev/null; }
A=$(tok A member)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SRV_PID=$!
for i in $(seq 50); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
ok "server listening on port $PORT"
curl -sN -H "Authorization: Bearer $A" "http://127.0.0.1:$PORT/v1/alerts" >"$T/sse" &
CURL_PID=$!
for i in $(seq 50); do grep -q connected "$T/sse" 2>/dev/null && break; sleep 0.1; done
check "alert stream open" grep -q connected "$T/sse"
# New findings: the truth's launches and impacts as extra events.
jq -c '.events[] | select((.type == "launch" or .type == "impact") and .decided_at != null and (.dud | not))
       | {id, type, time, lat, lon, class, cov_m2: [[900,0],[0,900]]}' "$T/s/truth.json" >"$T/ev3.ndjson"
cat "$T/ev1.ndjson" >>"$T/ev3.ndjson"
T0=$(date +%s%N)
expect_exit 0 "adjudicate while the server holds the log" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --events "$T/ev3.ndjson" --with-radar --out "$T/f2.ndjson"
check "adjudicate leaves the statements to the server" grep -q "process holding the log" "$T/err"
NEW=$(sqlite3 "$DB" "SELECT count(*) FROM publications WHERE kind='finding'")
NEW=$((NEW - NF))
check "new findings were published ($NEW)" [ "$NEW" -gt 0 ]
for i in $(seq 30); do
	[ "$(grep -c '^event: finding' "$T/sse")" -ge "$NEW" ] && break
	sleep 0.1
done
T1=$(date +%s%N)
check "every new finding reached the alert stream" [ "$(grep -c '^event: finding' "$T/sse")" = "$NEW" ]
echo "# alert delay after adjudicate returned: $(( (T1 - T0) / 1000000 )) ms (incl. adjudicate)"
grep '^data: {"id":"f-' "$T/sse" | sed 's/^data: //' >"$T/sse_f"
check "alert data are finding records of the new run" \
	sh -c "while read -r l; do grep -qxF \"\$l\" '$T/f2.ndjson' || exit 1; done <'$T/sse_f'"
for i in $(seq 30); do
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM publications WHERE log_index IS NULL')" = 0 ] && break
	sleep 0.1
done
check "the server logged them" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM publications WHERE log_index IS NULL')" = 0 ]
kill "$CURL_PID"; CURL_PID=
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=
expect_exit 0 "log verify after the server" "$VIGIL" log verify --db "$DB"
check "every statement verified" grep -q "ok: $((NE + NF + NEW)) event and finding statements" "$T/out"

finish

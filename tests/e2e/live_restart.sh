#!/bin/sh
# `vigil serve --live` through a locked store and a restart: a step that
# finds the store locked by another process waits for the next tick (live
# fusion goes on); observations stored while the server was down (`vigil
# ingest`) are fused and published when it starts again, from the row the
# last run committed (the store's state table). In the end the published
# events are exactly those `vigil fuse --db` makes of the store.
. "$(dirname "$0")/lib/common.sh"

SC=$VG_SRC/scenarios/test-small.json
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

expect_exit 0 "sim test-small" "$VIGIL" sim "$SC" --seed 7 --out "$T/s" --threads 1
DB=$T/v.db
expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$DB" "$T/s/sensors.ndjson"
A=$("$VIGIL" token create --db "$DB" --member A --role member 2>/dev/null)
"$VIGIL" fuse --obs "$T/s/observations.ndjson" --sensors "$T/s/sensors.ndjson" --out "$T/files.ndjson" 2>/dev/null
NE_FILES=$(wc -l <"$T/files.ndjson")
split -n l/9 "$T/s/observations.ndjson" "$T/part."
set -- "$T"/part.*

start() {
	"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate -1 --live \
		>"$T/serve.out" 2>>"$T/serve.err" &
	SRV_PID=$!
	for i in $(seq 100); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
	PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
	[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
	U=http://127.0.0.1:$PORT
}
post() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $A" --data-binary @"$1" \
		"$U/v1/observations")
	[ "$code" = 200 ]
}
events() { sqlite3 "$DB" "SELECT count(*) FROM publications WHERE kind = 'event' AND log_index IS NOT NULL"; }

start
ok "server listening (live)"
check "part 1 durable" post "$1"
check "part 2 durable" post "$2"
check "part 3 durable" post "$3"
sleep 1.5
N1=$(events)
echo "# events published from the first parts: $N1 (the stream clock moves with the data)"

# Another process holds the write lock longer than the busy timeout (10 s).
python3 -c "
import sqlite3, time
c = sqlite3.connect('$DB', timeout=30, isolation_level=None)
c.execute('BEGIN IMMEDIATE'); time.sleep(11.5); c.execute('ROLLBACK')
"
check "the server said live fusion waits" grep -q "live fusion waits" "$T/serve.err"
check "and did not stop it" sh -c "! grep -q 'live fusion stopped' '$T/serve.err'"
check "part 4 durable after the lock" post "$4"
check "part 5 durable" post "$5"
# (the first events, 00:38, go out once the clock passes their association
# window and smoothing lag: part 6 brings it to 00:50)
check "part 6 durable" post "$6"
sleep 2
N2=$(events)
check "live fusion went on after the lock ($N1 -> $N2 events)" [ "$N2" -gt "$N1" ]
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=

# While the server is down, the rest arrives by `vigil ingest`.
shift 6
cat "$@" >"$T/rest.ndjson"
expect_exit 0 "ingest the rest without the server" "$VIGIL" -q ingest "$T/rest.ndjson" --db "$DB"
check "nothing published for it yet" [ "$(events)" = "$N2" ]
start
ok "server restarted"
sleep 2
N3=$(events)
check "the restart published the events of what was ingested meanwhile ($N2 -> $N3)" [ "$N3" -gt "$N2" ]
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=
sqlite3 "$DB" "SELECT record FROM publications WHERE kind = 'event' ORDER BY id" >"$T/live.ndjson"
check "no live error in the server's log" sh -c "! grep -q 'live fusion stopped' '$T/serve.err'"
expect_exit 0 "batch fuse of the store" "$VIGIL" fuse --db "$DB" --out "$T/batch.ndjson"
NB=$(wc -l <"$T/batch.ndjson")
# Live fusion emits an event once the data moved the stream clock past its
# window; the batch run also flushes the tail at the end of the store.
check "the batch run's first $N3 events are the live ones, byte for byte" \
	sh -c "head -n '$N3' '$T/batch.ndjson' | cmp -s - '$T/live.ndjson'"
check "the batch run published only its tail ($((NB - N3)) events)" \
	grep -q " $((NB - N3)) new events published" "$T/err"
expect_exit 0 "log verify" "$VIGIL" log verify --db "$DB"
finish

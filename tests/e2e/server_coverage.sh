#!/bin/sh
# GET /v1/coverage: "was this area watched between t1 and t2?" over HTTP,
# the same answer as `vigil coverage --json` (sides and zones of the
# server's --agreement, or a box); bad parameters refused by name.
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
AG=$T/s/agreement.geojson
store_ingest "$T"
FROM=2026-03-01T00:00:00Z
UNTIL=2026-03-01T02:00:00Z
BOX=37.5,47.8,38.0,48.1
expect_exit 0 "vigil coverage (agreement)" "$VIGIL" coverage --db "$DB" --agreement "$AG" --from "$FROM" --until "$UNTIL" --json
cp "$T/out" "$T/cli_ag.ndjson"
expect_exit 0 "vigil coverage (box)" "$VIGIL" coverage --db "$DB" --agreement "$AG" --from "$FROM" --until "$UNTIL" --area "$BOX" --json
cp "$T/out" "$T/cli_box.ndjson"
check "some area was partly observed" sh -c "jq -e 'select(.observed_share > 0)' '$T/cli_ag.ndjson' >/dev/null"

A=$("$VIGIL" token create --db "$DB" --member A --role member 2>/dev/null)
AUD=$("$VIGIL" token create --db "$DB" --member UN --role auditor 2>/dev/null)
SEN=$("$VIGIL" token create --db "$DB" --member A --role sensor 2>/dev/null)
start() {
	"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
	SRV_PID=$!
	for i in $(seq 50); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
	PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
	[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
	U=http://127.0.0.1:$PORT
}
stop() { kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=; }
want() { # want STATUS "desc" TOKEN PATH
	if [ -n "$3" ]; then
		got=$(curl -s -g -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $3" "$U$4")
	else
		got=$(curl -s -g -o "$T/body" -w '%{http_code}' "$U$4")
	fi
	if [ "$got" = "$1" ]; then ok "$2 ($got)"; else bad "$2: got $got, want $1"; head -c 300 "$T/body"; echo; fi
}

start --agreement "$AG"
Q="/v1/coverage?from=$FROM&until=$UNTIL"
want 200 "coverage of the agreement's areas" "$A" "$Q"
jq -c '.areas[] | {area, kind, party, area_km2, observed_share, unobserved_share, watched}' "$T/body" >"$T/api_ag"
jq -c '{area, kind, party, area_km2, observed_share, unobserved_share, watched}' "$T/cli_ag.ndjson" >"$T/cli_ag"
check "the same areas and shares as vigil coverage --json" cmp -s "$T/api_ag" "$T/cli_ag"
check "footprints counted" jq -e '.footprints > 0' "$T/body"
want 200 "a box" "$AUD" "$Q&bbox=$BOX"
check "the box's share as vigil coverage --area" \
	[ "$(jq -c '.areas[0].observed_share' "$T/body")" = "$(jq -c '.observed_share' "$T/cli_box.ndjson")" ]
want 200 "watched threshold 0" "$A" "$Q&watched=0"
check "every area counts as watched at threshold 0" jq -e 'all(.areas[]; .watched)' "$T/body"
want 401 "no token" "" "$Q"
want 403 "a sensor token" "$SEN" "$Q"
want 400 "no from" "$A" "/v1/coverage?until=$UNTIL"
check "the message names from" grep -q "from" "$T/body"
want 400 "until before from" "$A" "/v1/coverage?from=$UNTIL&until=$FROM"
want 400 "more than 31 days" "$A" "/v1/coverage?from=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z"
want 400 "a bad box" "$A" "$Q&bbox=1,2,3"
check "the message names bbox" grep -q "bbox" "$T/body"
want 400 "watched 2" "$A" "$Q&watched=2"
want 400 "SQL-looking parameter" "$A" "$Q&bbox=1;DROP%20TABLE%20observations"
want 400 "unknown parameter" "$A" "$Q&zone=x"
stop
start
want 400 "without --agreement a box is required" "$A" "$Q"
check "the message says so" grep -q "agreement" "$T/body"
want 200 "a box without an agreement" "$A" "$Q&bbox=$BOX"
stop
check "the store still has every observation" \
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM observations')" = "$(wc -l <"$T/s/observations.ndjson")" ]
finish

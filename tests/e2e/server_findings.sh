# End-to-end: findings from `vigil adjudicate` are stored and served at
# GET /v1/findings. test-small with the rules of rules_minsk2.json is
# simulated, ingested, fused and adjudicated (events: fusion's, plus the
# truth's locatable launches and impacts so that there are findings); the
# API returns exactly the printed NDJSON lines (count, ids, bytes), its
# filters (rule, party, grade, from/until, bbox) and pagination agree with
# jq over the NDJSON, GeoJSON works, every member and auditors may read,
# no token is 401; a second run replaces the first; --no-store stores
# nothing and leaves the output byte-identical.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/deps.sh)"; exit 1; }
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

sim_agreement "$T"
DB=$T/v.db
store_ingest "$T"
fused_events "$T"

expect_exit 3 "adjudicate refuses a missing store (none created)" "$VIGIL" adjudicate \
	--db "$T/none.db" --agreement "$T/ag.geojson"
check "no store created" test ! -e "$T/none.db"
expect_exit 0 "adjudicate --no-store" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --no-store --out "$T/f0.ndjson"
check "--no-store stores nothing" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM findings')" = 0 ]
expect_exit 0 "adjudicate (stores)" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f.ndjson"
check "output byte-identical with and without storing" cmp -s "$T/f0.ndjson" "$T/f.ndjson"
N=$(wc -l <"$T/f.ndjson")
check "there are findings ($N)" [ "$N" -gt 2 ]
check "the store holds them all" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM findings')" = "$N" ]
expect_exit 0 "adjudicate again (replaces)" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f2.ndjson"
check "a second run replaces, not appends" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM findings')" = "$N" ]
expect_exit 0 "stdout form" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar
check "stdout is the same bytes" cmp -s "$T/out" "$T/f.ndjson"

tok() { "$VIGIL" token create --db "$DB" --member "$1" --role "$2" 2>/dev/null; }
A=$(tok A member); B=$(tok B member); AUD=$(tok UN auditor); SEN=$(tok A sensor)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --rate 1000 --burst 1000 >"$T/serve.out" 2>"$T/serve.err" &
SRV_PID=$!
for i in $(seq 50); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
ok "server listening on port $PORT"
U=http://127.0.0.1:$PORT
code() { # code TOKEN PATH: print the HTTP status, body in $T/body
	if [ -n "$1" ]; then
		curl -s -g -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" "$U$2"
	else
		curl -s -g -o "$T/body" -w '%{http_code}' "$U$2"
	fi
}
want() { # want STATUS "desc" TOKEN PATH
	got=$(code "$3" "$4")
	if [ "$got" = "$1" ]; then ok "$2 ($got)"; else bad "$2: got $got, want $1"; head -c 300 "$T/body"; echo; fi
}
# same "desc" QUERY JQ-FILTER: the API's findings for QUERY are the NDJSON's selected by the filter
same() {
	want 200 "$1" "$A" "/v1/findings?limit=1000$2"
	jq -c '.findings[]' "$T/body" >"$T/got"
	jq -c "select($3)" "$T/f.ndjson" >"$T/want"
	check "$1: the same $(wc -l <"$T/want") findings as the NDJSON" cmp -s "$T/got" "$T/want"
}

want 401 "no token" "" /v1/findings
want 401 "a wrong token" "vgt_0000000000000000000000000000000000000000000000000000000000000000" /v1/findings
want 403 "a sensor token may not read findings" "$SEN" /v1/findings
want 200 "member A" "$A" "/v1/findings?limit=1000"
check "the stored lines are the printed lines, byte for byte" sh -c \
	"sed -n '2,\$p' '$T/body' | sed '\$d' | sed 's/,\$//' | cmp -s - '$T/f.ndjson'"
check "next is null on the last page" grep -q '^],"next":null}$' "$T/body"
cp "$T/body" "$T/a.json"
want 200 "member B sees the same findings" "$B" "/v1/findings?limit=1000"
check "B's findings = A's" cmp -s "$T/body" "$T/a.json"
want 200 "the auditor" "$AUD" "/v1/findings?limit=1000"
check "the auditor's = A's" cmp -s "$T/body" "$T/a.json"
jq -r '.findings[].id' "$T/a.json" >"$T/ids.http"
jq -r '.id' "$T/f.ndjson" >"$T/ids.nd"
check "ids are the NDJSON's ($N)" cmp -s "$T/ids.http" "$T/ids.nd"

RULE=$(jq -r .rule "$T/f.ndjson" | sort | uniq -c | sort -rn | awk 'NR==1{print $2}')
same "rule=$RULE" "&rule=$RULE" ".rule == \"$RULE\""
same "party=B" "&party=B" '.party == "B"'
same "party=A" "&party=A" '.party == "A"'
GRADE=$(jq -r .grade "$T/f.ndjson" | head -1)
same "grade=$GRADE" "&grade=$GRADE" ".grade == \"$GRADE\""
same "grade=possible" "&grade=possible" '.grade == "possible"'
# a time window: the middle finding's start to its end (interval overlap)
F=$(jq -r .from "$T/f.ndjson" | sort | sed -n "$(( (N + 1) / 2 ))p")
UN=$(jq -r .until "$T/f.ndjson" | sort | sed -n "$(( (N + 1) / 2 ))p")
[ "$UN" \< "$F" ] && UN=$F
same "from=$F until=$UN" "&from=$F&until=$UN" ".from <= \"$UN\" and .until >= \"$F\""
# a box around the first finding
BOX=$(head -1 "$T/f.ndjson" | jq -r '"\(.lon - 0.0001),\(.lat - 0.0001),\(.lon + 0.0001),\(.lat + 0.0001)"')
jq -c --arg b "$BOX" '($b | split(",") | map(tonumber)) as $x | select(.lon >= $x[0] and .lat >= $x[1] and .lon <= $x[2] and .lat <= $x[3])' \
	"$T/f.ndjson" >"$T/want"
want 200 "bbox=$BOX" "$A" "/v1/findings?limit=1000&bbox=$BOX"
jq -c '.findings[]' "$T/body" >"$T/got"
check "bbox: the same $(wc -l <"$T/want") findings as the NDJSON (>= 1)" sh -c \
	"cmp -s '$T/got' '$T/want' && [ -s '$T/want' ]"

# pagination: pages of 2 concatenate to the whole
AFTER=
: >"$T/pages"
for i in $(seq 1000); do
	want 200 "page $i" "$A" "/v1/findings?limit=2${AFTER:+&after=$AFTER}" >/dev/null
	jq -r '.findings[].id' "$T/body" >>"$T/pages"
	AFTER=$(jq -r '.next // empty' "$T/body")
	[ -n "$AFTER" ] || break
done
check "pages of 2 give every finding once, in order" cmp -s "$T/pages" "$T/ids.nd"

# Another adjudication run while a client pages: its cursor is refused (409
# re_adjudicated), a fresh listing is the new run's; the same inputs give
# the same ids (they name what a finding rests on).
want 200 "first page of 2" "$A" "/v1/findings?limit=2" >/dev/null
OLD=$(jq -r '.next' "$T/body")
want 200 "the second page with that cursor" "$A" "/v1/findings?limit=2&after=$OLD" >/dev/null
expect_exit 0 "adjudicate again while the server runs" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --events "$T/events.ndjson" --with-radar --out "$T/f3.ndjson"
want 409 "the old cursor, after another run" "$A" "/v1/findings?limit=2&after=$OLD"
check "... says re_adjudicated" [ "$(jq -r .error "$T/body")" = re_adjudicated ]
want 200 "a fresh listing" "$A" "/v1/findings?limit=1000"
check "... the same ids as the first run" sh -c "jq -r '.findings[].id' '$T/body' | cmp -s - '$T/ids.nd'"
check "... all on one page" [ "$(jq -r .next "$T/body")" = null ]
want 200 "its pages of 2 go on" "$A" "/v1/findings?limit=2" >/dev/null
NEW=$(jq -r '.next' "$T/body")
check "a new run, a new cursor ($OLD, $NEW)" [ "$OLD" != "$NEW" ]
want 200 "... and the new cursor works" "$A" "/v1/findings?limit=2&after=$NEW" >/dev/null
# A store whose findings were written before runs were counted (no
# counter): its cursors are refused after the first counted run too.
sqlite3 "$DB" "DELETE FROM state WHERE key = 'findings_run'"
want 200 "a page of a store without the run counter" "$A" "/v1/findings?limit=2" >/dev/null
C0=$(jq -r '.next' "$T/body")
expect_exit 0 "adjudicate again (the first counted run)" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$T/ag.geojson" --events "$T/events.ndjson" --with-radar --out "$T/f4.ndjson"
want 409 "... its cursor after that run" "$A" "/v1/findings?limit=2&after=$C0"

want 200 "GeoJSON" "$A" "/v1/findings?format=geojson&limit=1000"
check "a FeatureCollection of $N Points" sh -c \
	"[ \"\$(jq -r '.type' '$T/body')\" = FeatureCollection ] && [ \"\$(jq '[.features[] | select(.geometry.type == \"Point\")] | length' '$T/body')\" = $N ]"
check "feature ids and properties are the findings" sh -c \
	"jq -c '.features[].properties' '$T/body' | cmp -s - '$T/f.ndjson'"

want 400 "unknown rule" "$A" "/v1/findings?rule=nope"
want 400 "unknown grade" "$A" "/v1/findings?grade=certain"
want 400 "bad party" "$A" "/v1/findings?party=%27%20OR%201=1"
want 400 "unknown parameter" "$A" "/v1/findings?type=launch"
want 400 "limit 0" "$A" "/v1/findings?limit=0"
want 400 "bad bbox" "$A" "/v1/findings?bbox=1,2,3"
want 200 "still serving" "$AUD" /v1/findings?limit=1
finish

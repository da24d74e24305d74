# End-to-end: the watch-floor map at / of `vigil serve`, in Debian's
# chromium driven by playwright-core (tests/browser/map.test.mjs).
# A store with findings is built as in server_findings.sh (test-small
# simulated, ingested, fused, adjudicated); the server runs with --agreement.
# First the static files with curl: / and /static/ without a token, the
# path rules (no "..", no dot segment, no symlink, extensions only), 304 on
# the ETag, GET /v1/agreement (token), GET /v1/observations?log_index=N
# (releasability kept), a server whose --web directory is missing (404
# saying so, the API unaffected). Then the browser: no console errors, no
# failed request, nothing leaves 127.0.0.1; basemap, agreement, events and
# findings drawn (as many as the API has); the time window filters; a click
# on a finding shows its evidence with every inclusion proof verified in
# the page, and a tampered proof or entry fails; a member sees others'
# evidence as withheld; a finding adjudicated while the page is open
# appears on the map and in the alert list. The screenshots stay in
# $VG_BUILD/map_browser.work/ (printed). Chromium, node or the npm
# packages missing is a failure, never a skip.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/deps.sh)"; exit 1; }
WORK=$VG_BUILD/map_browser.work
rm -rf "$WORK"
mkdir -p "$WORK"
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
SRV_PID=
SRV2_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	[ -n "$SRV2_PID" ] && kill "$SRV2_PID" 2>/dev/null && wait "$SRV2_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ---- what the browser test needs: fail (not skip) when it is missing
NODE_OK=1
command -v node >/dev/null || { bad "node missing: scripts/deps.sh installs Debian's nodejs"; NODE_OK=; }
[ -x /usr/bin/chromium ] || { bad "chromium missing at /usr/bin/chromium: scripts/deps.sh installs Debian's chromium"; NODE_OK=; }
[ -d "$VG_SRC/tests/browser/node_modules/playwright-core" ] ||
	{ bad "tests/browser/node_modules missing: run scripts/deps.sh (npm ci in tests/browser)"; NODE_OK=; }
for f in leaflet/dist/leaflet.js topojson-client/dist/topojson-client.min.js world-atlas/countries-50m.json; do
	[ -f "$VG_SRC/web/node_modules/$f" ] || { bad "web/node_modules/$f missing: run scripts/deps.sh (npm ci in web)"; NODE_OK=; }
done

# ---- a store with findings (as tests/e2e/server_findings.sh)
sim_agreement "$WORK"
DB=$WORK/v.db
store_ingest "$WORK"
fused_events "$WORK"
expect_exit 0 "adjudicate" "$VIGIL" adjudicate --db "$DB" --agreement "$WORK/ag.geojson" \
	--events "$WORK/events.ndjson" --with-radar --out "$WORK/f.ndjson"
N=$(wc -l <"$WORK/f.ndjson")
check "there are findings ($N)" [ "$N" -gt 2 ]
# The finding injected while the page is open: a three-round mission on
# side A at 00:20, before every other finding. Its id, and that the
# earlier findings keep theirs (ids name what a finding rests on, not its
# place in the list: positional ids would all move), from a dry run that
# stores nothing.
cp "$WORK/events.ndjson" "$WORK/events2.ndjson"
for k in 0 1 2; do
	printf '{"id":"ev-live-%d","type":"launch","time":"2026-03-01T00:20:%d0Z","lat":48.006%d,"lon":37.755%d,"class":"mortar","cov_m2":[[900,0],[0,900]]}\n' \
		"$k" "$((k + 1))" "$k" "$k" >>"$WORK/events2.ndjson"
done
expect_exit 0 "adjudicate with the new mission, --no-store" "$VIGIL" adjudicate --db "$DB" \
	--agreement "$WORK/ag.geojson" --events "$WORK/events2.ndjson" --with-radar --no-store \
	--out "$WORK/f2-dry.ndjson"
jq -r .id "$WORK/f.ndjson" | sort >"$T/ids1"
jq -r .id "$WORK/f2-dry.ndjson" | sort >"$T/ids2"
NEW_ID=$(comm -13 "$T/ids1" "$T/ids2")
check "one new finding id ($NEW_ID), of the form f-<16 hex digits>" sh -c \
	"[ \"\$(printf '%s\n' '$NEW_ID' | grep -c '^f-[0-9a-f]\{16\}\$')\" = 1 ]"
check "every earlier finding keeps its id" sh -c "[ -z \"\$(comm -23 '$T/ids1' '$T/ids2')\" ]"

tok() { "$VIGIL" token create --db "$DB" --member "$1" --role "$2" 2>/dev/null; }
AUD=$(tok UN auditor); NOR=$(tok NOR member)
LOGKEY=$("$VIGIL" log key --key "$DB.logkey")

# ---- a server whose web directory is missing: / says so, the API works
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --web "$T/no-such-dir" >"$T/serve2.out" 2>"$T/serve2.err" &
SRV2_PID=$!
for i in $(seq 100); do grep -q listening "$T/serve2.out" 2>/dev/null && break; sleep 0.1; done
PORT2=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve2.out")
if [ -n "$PORT2" ]; then
	got=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT2/")
	check "no web directory: / is 404 ($got)" [ "$got" = 404 ]
	check "... saying the map is not installed" grep -q 'not installed' "$T/body"
	check "... without the server's paths" sh -c "! grep -q '$T' '$T/body'"
	check "... which the server's log names" grep -q 'no-such-dir' "$T/serve2.err"
	got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AUD" "http://127.0.0.1:$PORT2/v1/findings")
	check "... the API keeps working ($got)" [ "$got" = 200 ]
	got=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $AUD" "http://127.0.0.1:$PORT2/v1/agreement")
	check "... no --agreement: /v1/agreement is 404 ($got)" [ "$got" = 404 ]
	kill "$SRV2_PID" && wait "$SRV2_PID" 2>/dev/null
	SRV2_PID=
else
	bad "second server started"; cat "$T/serve2.err"
fi
# ... and one whose web directory has no node_modules (npm ci not run)
mkdir -p "$T/bare"
cp "$VG_SRC/web/index.html" "$VG_SRC/web/app.js" "$T/bare/"
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --web "$T/bare" >"$T/serve3.out" 2>"$T/serve3.err" &
SRV2_PID=$!
for i in $(seq 100); do grep -q listening "$T/serve3.out" 2>/dev/null && break; sleep 0.1; done
PORT2=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve3.out")
if [ -n "$PORT2" ]; then
	got=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT2/")
	check "no node_modules: / is 404 ($got)" [ "$got" = 404 ]
	check "... naming the missing package file" grep -q 'node_modules/leaflet/dist/leaflet.js is missing' "$T/body"
	check "... the server's log says so at start" grep -q 'npm ci' "$T/serve3.err"
	got=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/static/app.js")
	check "... its own files are still served ($got)" [ "$got" = 200 ]
	kill "$SRV2_PID" && wait "$SRV2_PID" 2>/dev/null
	SRV2_PID=
else
	bad "third server started"; cat "$T/serve3.err"
fi
expect_exit 2 "serve refuses a broken agreement" "$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 \
	--agreement "$RULES"
check "... naming it" grep -q 'agreement' "$T/err"

# ---- the server the browser uses; its web root has a symlink planted
# (a copy of web/ with links to files outside it, removed at the end)
WEB=$WORK/web
mkdir -p "$WEB"
cp "$VG_SRC/web/index.html" "$VG_SRC/web/app.js" "$VG_SRC/web/style.css" "$WEB/"
ln -s "$VG_SRC/web/node_modules" "$WEB/node_modules.link"
mkdir -p "$WEB/node_modules"
for p in leaflet topojson-client world-atlas; do cp -R "$VG_SRC/web/node_modules/$p" "$WEB/node_modules/"; done
ln -s "$DB.logkey" "$WEB/secret.txt"
ln -s /etc "$WEB/etc"
echo "hidden" >"$WEB/.hidden.txt"
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --agreement "$WORK/ag.geojson" --web "$WEB" \
	--rate 1000 --burst 2000 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SRV_PID=$!
for i in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$WORK/serve.err"; finish; }
ok "server listening on port $PORT"
U=http://127.0.0.1:$PORT
code() { # code TOKEN PATH [curl args]: the HTTP status, body in $T/body, headers in $T/hdr
	t=$1; p=$2; shift 2
	if [ -n "$t" ]; then
		curl -s --path-as-is -D "$T/hdr" -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$@" "$U$p"
	else
		curl -s --path-as-is -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$U$p"
	fi
}
want() { # want STATUS "desc" TOKEN PATH [curl args]
	w=$1; d=$2; shift 2
	got=$(code "$@")
	if [ "$got" = "$w" ]; then ok "$d ($got)"; else bad "$d: got $got, want $w"; head -c 300 "$T/body"; echo; fi
}

want 200 "/ without a token" "" /
check "... is index.html, byte for byte" cmp -s "$T/body" "$WEB/index.html"
check "... text/html with a same-origin Content-Security-Policy" sh -c \
	"grep -qi '^content-type: text/html' '$T/hdr' && grep -qi \"^content-security-policy: default-src 'self'\" '$T/hdr'"
want 200 "/static/app.js" "" /static/app.js
check "... text/javascript" grep -qi '^content-type: text/javascript' "$T/hdr"
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$T/hdr" | tr -d '\r')
check "... with an ETag" [ -n "$ETAG" ]
want 304 "If-None-Match with that ETag" "" /static/app.js -H "If-None-Match: $ETAG"
want 200 "a Leaflet file" "" /static/node_modules/leaflet/dist/leaflet.css
want 200 "the basemap" "" /static/node_modules/world-atlas/countries-50m.json
check "... application/json" grep -qi '^content-type: application/json' "$T/hdr"
want 200 "HEAD /" "" / -I
for p in /static/../index.html /static/node_modules/../app.js /static/%2e%2e/app.js /static/./app.js \
	/static/.hidden.txt /static//app.js /static/app.js/ /static/ /static/secret.txt \
	/static/etc/passwd /static/node_modules.link/leaflet/dist/leaflet.js /static/nope.js \
	/static/app.js%00.css /static/app.sh /static/node_modules/.package-lock.json; do
	want 404 "refused: $p" "" "$p"
done
want 401 "anything else still needs a token: /index.html" "" /index.html
want 401 "... /static" "" /static
want 405 "POST / is not allowed" "" / -X POST -d x
want 401 "/v1/agreement needs a token" "" /v1/agreement
want 200 "/v1/agreement with a token" "$AUD" /v1/agreement
check "... the agreement file, byte for byte" cmp -s "$T/body" "$WORK/ag.geojson"
check "... application/geo+json" grep -qi '^content-type: application/geo+json' "$T/hdr"
want 400 "/v1/agreement takes no parameters" "$AUD" "/v1/agreement?x=1"

# ?log_index=N: the observation at that log index, the same bytes as by id
IDX=$(head -1 "$WORK/f.ndjson" | jq -r '.evidence[0]')
want 200 "observation at log index $IDX (auditor)" "$AUD" "/v1/observations?log_index=$IDX"
cp "$T/body" "$T/by_index"
ROW=$(jq -r .id "$T/by_index")
check "... is log index $IDX" [ "$(jq -r .log_index "$T/by_index")" = "$IDX" ]
want 200 "the same observation by id $ROW" "$AUD" "/v1/observations/$ROW"
check "... byte-identical" cmp -s "$T/body" "$T/by_index"
"$VIGIL" log entry --dir "$DB.log" "$IDX" >"$T/entry"
jq -c .envelope "$T/by_index" >"$T/env"
check "... its envelope is the log entry's bytes" sh -c "printf '\\n' >>'$T/entry'; cmp -s '$T/entry' '$T/env'"
OWNER=$(jq -r --arg s "$(jq -r .sensor "$T/by_index")" 'select(.id == $s) | .owner' "$WORK/s/sensors.ndjson")
if [ "$OWNER" = NOR ]; then
	want 200 "... and NOR, its owner, may read it" "$NOR" "/v1/observations?log_index=$IDX"
else
	want 403 "... and NOR may not (owner $OWNER)" "$NOR" "/v1/observations?log_index=$IDX"
fi
want 404 "log index 0 is the log key statement, not an observation" "$AUD" "/v1/observations?log_index=0"
want 404 "a log index past the log" "$AUD" "/v1/observations?log_index=99999999"
want 400 "a log index with a leading zero" "$AUD" "/v1/observations?log_index=01"
want 400 "a negative log index" "$AUD" "/v1/observations?log_index=-1"
want 400 "log_index with another parameter" "$AUD" "/v1/observations?log_index=1&limit=2"

# ---- the browser
if [ -n "$NODE_OK" ]; then
	set +e
	VG_URL=$U VG_TOKEN=$AUD VG_MEMBER_TOKEN=$NOR VG_LOGKEY=$LOGKEY VG_WORK=$WORK VG_NEW_FINDING=$NEW_ID \
	VG_INJECT="'$VIGIL' adjudicate --db '$DB' --agreement '$WORK/ag.geojson' --events '$WORK/events2.ndjson' --with-radar --out '$WORK/f2.ndjson'" \
		node "$VG_SRC/tests/browser/map.test.mjs" >"$WORK/browser.out" 2>&1
	rc=$?
	set -e
	cat "$WORK/browser.out"
	P=$(grep -c '^ok - ' "$WORK/browser.out" || true)
	F=$(grep -c '^not ok - ' "$WORK/browser.out" || true)
	PASS=$((PASS + P))
	FAIL=$((FAIL + F))
	[ "$rc" -eq 0 ] || [ "$F" -gt 0 ] || bad "the browser test exited $rc"
	check "the browser test ran its checks ($P)" [ "$P" -ge 10 ]
fi
want 200 "the server still serves" "$AUD" /v1/findings?limit=1
kill "$SRV_PID"
SRV_RC=0
wait "$SRV_PID" || SRV_RC=$?
SRV_PID=
check "the server stopped cleanly on SIGTERM (exit $SRV_RC), no sanitizer report" sh -c \
	"[ $SRV_RC = 0 ] && ! grep -q Sanitizer '$WORK/serve.err'"
echo "screenshots and logs: $WORK"
finish

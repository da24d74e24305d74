# End-to-end: `vigil serve` on loopback, driven with curl and raw sockets.
# Durable POST with per-line results (accepted, duplicate, rejected), 413,
# 429, 401/403, releasability (a member reading data releasable only to
# another), SQL-looking and invalid parameters, path traversal in tile
# paths, malformed HTTP, slow clients, 10,000 idle connections, the alert
# stream, proofs checked against the CLI, a witness cosignature, and a
# mirror of the log fetched over HTTP that `vigil log verify` accepts.
# The server must keep serving after each abuse.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/deps.sh)"; exit 1; }
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	[ -n "${IDLE_PID:-}" ] && kill "$IDLE_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

"$VG_BUILD/fixture" --dir "$T/fx" >/dev/null || { bad "fixture"; finish; }
DB=$T/s.db
# ac-0003 (owner POL) is releasable to POL only.
sed '/"ac-0003"/s/"releasability":\[[^]]*\]/"releasability":["POL"]/' "$T/fx/registry.ndjson" >"$T/reg.ndjson"
"$VIGIL" sensor import --db "$DB" "$T/reg.ndjson" >/dev/null
tok() { "$VIGIL" token create --db "$DB" --member "$1" --role "$2" 2>/dev/null; }
NOR=$(tok NOR member); POL=$(tok POL member); AUD=$(tok UN auditor); SEN=$(tok NOR sensor)
RATE=$(tok EST member); GONE=$(tok FIN member)
check "tokens have the documented shape" sh -c "echo '$NOR' | grep -Eq '^vgt_[0-9a-f]{64}$'"
check "tokens are stored hashed, never in clear" sh -c "! sqlite3 '$DB' .dump | grep -q '${NOR#vgt_}'"
"$VIGIL" token revoke --db "$DB" 6 >/dev/null
"$VIGIL" log key --key "$DB.logkey" >"$T/log.vkey"
"$VIGIL" witness key --key "$T/w.key" --name witness.pol.example/w1 >"$T/w.vkey" 2>/dev/null

"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --max-body 200000 --rate 20 --burst 40 \
	--timeout 4 --max-connections 10100 --witness "$T/w.vkey" >"$T/serve.out" 2>"$T/serve.err" &
SRV_PID=$!
for i in $(seq 50); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
ok "server listening on port $PORT"
U=http://127.0.0.1:$PORT
# code TOKEN PATH [curl args...]: print the HTTP status, body in $T/body
code() {
	t=$1; p=$2; shift 2
	if [ -n "$t" ]; then
		curl -s --path-as-is -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$@" "$U$p"
	else
		curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$@" "$U$p"
	fi
}
want() { # want STATUS "desc" TOKEN PATH [curl args]
	w=$1; d=$2; shift 2
	got=$(code "$@")
	if [ "$got" = "$w" ]; then ok "$d ($got)"; else bad "$d: got $got, want $w"; head -c 300 "$T/body"; echo; fi
}
alive() { want 200 "server still serving ($1)" "$AUD" /v1/log/checkpoint; }

# ---- the alert stream, opened before the first POST
curl -s -N --max-time 8 -H "Authorization: Bearer $NOR" "$U/v1/alerts" >"$T/sse" 2>/dev/null &
SSE_PID=$!
sleep 0.5

# ---- POST: durable results per line
want 200 "POST the fixture (411 good, 10 bad, 1 duplicate)" "$SEN" /v1/observations \
	--data-binary @"$T/fx/observations.ndjson"
cp "$T/body" "$T/post1.json"
check "411 accepted" grep -q '"accepted":411,' "$T/post1.json"
check "1 duplicate" grep -q '"duplicates":1,' "$T/post1.json"
check "10 rejected" grep -q '"rejected":10,' "$T/post1.json"
check "line 1 accepted with its log index" grep -q '{"line":1,"status":"accepted","log_index":9,' "$T/post1.json"
check "a bad signature is rejected with its reason" grep -q '"status":"rejected","reason":"bad_signature"' "$T/post1.json"
check "the duplicate is reported" grep -q '"status":"duplicate"' "$T/post1.json"
N=$(sed -n 2p "$DB.log/checkpoint")
check "acknowledged = durable: the log checkpoint holds all 420 entries" [ "$N" = 420 ]
check "the response states the log size" grep -q '"log_size":420' "$T/post1.json"
want 200 "POST the same lines again" "$NOR" /v1/observations --data-binary @"$T/fx/observations.ndjson"
check "all good lines come back as duplicates" grep -q '"accepted":0,"duplicates":412,' "$T/body"
printf 'not json\n\n{"payloadType":1}' >"$T/junk.nd"
want 200 "POST junk lines (no final newline)" "$NOR" /v1/observations --data-binary @"$T/junk.nd"
check "each junk line rejected, numbered" grep -q '"rejected":3,' "$T/body"
check "line 3 rejected with a reason" grep -q '{"line":3,"status":"rejected","reason":' "$T/body"
want 200 "an empty POST" "$NOR" /v1/observations --data-binary ''
sleep 1
kill "$SSE_PID" 2>/dev/null; wait "$SSE_PID" 2>/dev/null || true
check "the alert stream got the batch" grep -q '^event: batch' "$T/sse"
check "the alert carries counts, no raw data" grep -q '"accepted":411' "$T/sse"

# ---- size and rate limits
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big"
want 413 "a body over --max-body" "$NOR" /v1/observations --data-binary @"$T/big"
want 413 "chunked body over --max-body" "$NOR" /v1/observations -H 'Transfer-Encoding: chunked' --data-binary @"$T/big"
# 120 requests on one connection, far faster than 20/s: the bucket (40) runs dry
urls=$(for i in $(seq 120); do printf '%s ' "$U/v1/log/checkpoint"; done)
# shellcheck disable=SC2086
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $RATE" $urls >"$T/codes"
n429=$(grep -c '^429$' "$T/codes" || true)
check "a burst over the token's rate gets 429 ($n429 of 120)" [ "$n429" -gt 0 ]
want 200 "another token is not limited by it" "$POL" /v1/log/checkpoint
alive "after the limits"

# ---- access: 401, 403
want 401 "no token" "" /v1/sensors
want 401 "an unknown token" "vgt_$(printf '0%.0s' $(seq 64))" /v1/sensors
want 401 "a malformed token" "'; DROP TABLE api_tokens; --" /v1/sensors
want 401 "a revoked token" "$GONE" /v1/sensors
want 401 "Basic auth is not a bearer token" "" /v1/sensors -u user:pass
check "401 says nothing about the data" sh -c "! grep -q ac-0 '$T/body'"
want 401 "unknown paths need a token too" "" /v1/nothing
want 404 "unknown path with a token" "$NOR" /v1/nothing
want 403 "a sensor token cannot read observations" "$SEN" /v1/observations
want 403 "an auditor cannot post" "$AUD" /v1/observations --data-binary @"$T/fx/observations.ndjson"
want 405 "DELETE is not a method here" "$NOR" /v1/observations -X DELETE

# ---- releasability: ac-0003 is POL's only
want 200 "NOR lists observations" "$NOR" '/v1/observations?limit=1000'
check "NOR sees none of ac-0003's" sh -c "! grep -q '\"sensor\":\"ac-0003\"' '$T/body'"
check "NOR sees ac-0001's" grep -q '"sensor":"ac-0001"' "$T/body"
want 403 "NOR asking for ac-0003 by sensor" "$NOR" '/v1/observations?sensor=ac-0003'
check "the 403 body holds no observation" sh -c "! grep -q envelope '$T/body'"
want 200 "POL (owner) reads ac-0003" "$POL" '/v1/observations?sensor=ac-0003&limit=5'
check "POL gets ac-0003's envelopes" grep -q '"sensor":"ac-0003"' "$T/body"
ID3=$(sed -n 's/.*{"id":\([0-9]*\),[^}]*"sensor":"ac-0003".*/\1/p' "$T/body" | head -1)
want 403 "NOR reading one ac-0003 observation by id" "$NOR" "/v1/observations/$ID3"
want 200 "POL reading it" "$POL" "/v1/observations/$ID3"
want 200 "the auditor reads it" "$AUD" "/v1/observations/$ID3"
want 404 "a missing observation" "$AUD" /v1/observations/999999
want 200 "NOR as GeoJSON" "$NOR" '/v1/observations?kind=detection&format=geojson'
check "a FeatureCollection of points" grep -q '"type":"FeatureCollection","features":\[' "$T/body"
want 200 "time + bbox filter" "$AUD" '/v1/observations?from=2026-03-01T04:00:00Z&until=2026-03-01T04:10:00Z&bbox=37.5,47.8,38.1,48.3&limit=3'
check "pagination: next cursor given" grep -q '"next":"[0-9]*"' "$T/body"
NEXT=$(sed -n 's/.*"next":"\([0-9]*\)".*/\1/p' "$T/body")
want 200 "the next page" "$AUD" "/v1/observations?after=$NEXT&limit=1000"
check "the last page ends with next null" grep -q '"next":null' "$T/body"
for box in 37.70,47.95,37.80,48.05 37.85,48.04,38.0,48.2 37.5,47.8,38.1,48.3; do
	want 200 "bbox $box as the auditor" "$AUD" "/v1/observations?bbox=$box&limit=1000"
	sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$T/body" >"$T/ids.http"
	"$VIGIL" obs --db "$DB" --bbox "$box" --format csv | sed 1d | cut -d, -f1 >"$T/ids.cli"
	check "the same $(wc -l <"$T/ids.cli") observations as 'vigil obs --bbox'" cmp -s "$T/ids.http" "$T/ids.cli"
	sed -n '/"sensor":"ac-0003"/!s/^{"id":\([0-9]*\),.*/\1/p' "$T/body" >"$T/ids.nor.want"
	want 200 "bbox $box as NOR" "$NOR" "/v1/observations?bbox=$box&limit=1000"
	sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$T/body" >"$T/ids.nor"
	check "NOR gets exactly those minus ac-0003's" cmp -s "$T/ids.nor" "$T/ids.nor.want"
done
want 200 "sensors for a member" "$NOR" /v1/sensors
check "8 sensors" [ "$(grep -c '"registry"' "$T/body")" = 8 ]
want 200 "events (fusion's table, empty)" "$NOR" '/v1/events?type=launch'
want 200 "findings (adjudication's table, empty)" "$NOR" /v1/findings
check "no findings yet" grep -q '^{"findings":\[$' "$T/body"

# ---- SQL-looking and invalid parameters: 400, nothing changed
C0=$(sqlite3 "$DB" 'SELECT count(*) FROM observations')
want 400 "sensor=' OR '1'='1" "$AUD" "/v1/observations?sensor=ac-0001'%20OR%20'1'='1"
want 400 "kind=impulse;DROP TABLE" "$AUD" '/v1/observations?kind=impulse;DROP%20TABLE%20observations'
want 400 "from=' OR 1=1 --" "$AUD" "/v1/observations?from='%20OR%201=1%20--"
want 400 "bbox with SQL" "$AUD" '/v1/observations?bbox=1,2,3,4)%20OR%20(1=1'
want 400 "limit=0" "$AUD" '/v1/observations?limit=0'
want 400 "limit=-1" "$AUD" '/v1/observations?limit=-1'
want 400 "limit=1001" "$AUD" '/v1/observations?limit=1001'
want 400 "limit=1e3" "$AUD" '/v1/observations?limit=1e3'
want 400 "after=-5" "$AUD" '/v1/observations?after=-5'
want 400 "after=99999999999999999999" "$AUD" '/v1/observations?after=99999999999999999999'
want 400 "after=01" "$AUD" '/v1/observations?after=01'
want 400 "bbox west > east" "$AUD" '/v1/observations?bbox=38,47,37,48'
want 400 "bbox nan" "$AUD" '/v1/observations?bbox=nan,47,37,48'
want 400 "an unknown parameter" "$AUD" '/v1/observations?limt=5'
want 400 "a repeated parameter" "$AUD" '/v1/observations?limit=5&limit=6'
want 400 "from after until" "$AUD" '/v1/observations?from=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z'
check "no observation changed" [ "$(sqlite3 "$DB" 'SELECT count(*) FROM observations')" = "$C0" ]
alive "after bad parameters"

# ---- the log over HTTP: checkpoint, tiles, path traversal
want 200 "checkpoint" "$SEN" /v1/log/checkpoint
check "byte-identical to DB.log/checkpoint" cmp -s "$T/body" "$DB.log/checkpoint"
want 200 "a full hash tile" "$NOR" /v1/log/tile/0/000
check "8,192 bytes" [ "$(wc -c <"$T/body")" = 8192 ]
want 403 "entry bundles: not for members" "$NOR" /v1/log/tile/entries/000
want 200 "entry bundles: for auditors" "$AUD" /v1/log/tile/entries/000
for p in 'tile/../../s.db' 'tile/0/../../../s.db' 'tile/0/%2e%2e/%2e%2e/s.db' 'tile/entries/../../s.db.logkey' \
	'tile/../checkpoint' 'tile/../.vigil/lock' 'tile//etc/passwd' 'tile/0/0000' 'tile/00/000' \
	'tile/0/x000/000' 'tile/0/001.p/0' 'tile/0/001.p/256' 'tile/0/001.p/07' 'tile/64/000' \
	'tile/0/000%00' 'tile/0/abc' 'tile/-1/000' 'tile/entries/000/'; do
	want 404 "tile path /v1/log/$p refused" "$AUD" "/v1/log/$p"
	if grep -q 'SQLite format\|PRIVATE+KEY' "$T/body"; then bad "leaked a file for $p"; fi
done
alive "after traversal attempts"

# ---- proofs, checked against the CLI
want 200 "inclusion proof" "$SEN" '/v1/log/proof/inclusion?index=9&size=420'
"$VIGIL" log prove-inclusion --dir "$DB.log" 9 --size 420 --json >"$T/incl.cli"
check "same proof as 'vigil log prove-inclusion --json'" sh -c \
	"tr -d ' \n' <'$T/incl.cli' >'$T/a'; tr -d ' \n' <'$T/body' >'$T/b'; cmp -s '$T/a' '$T/b'"
want 200 "consistency proof" "$SEN" '/v1/log/proof/consistency?from=9&to=420'
"$VIGIL" log prove-consistency --dir "$DB.log" 9 420 --json >"$T/cons.cli"
check "same proof as 'vigil log prove-consistency --json'" sh -c \
	"tr -d ' \n' <'$T/cons.cli' >'$T/a'; tr -d ' \n' <'$T/body' >'$T/b'; cmp -s '$T/a' '$T/b'"
want 400 "inclusion beyond the checkpoint" "$SEN" '/v1/log/proof/inclusion?index=420&size=420'
want 400 "size beyond the checkpoint" "$SEN" '/v1/log/proof/inclusion?index=1&size=100000'
want 400 "consistency from 0" "$SEN" '/v1/log/proof/consistency?from=0&to=5'
want 400 "consistency backwards" "$SEN" '/v1/log/proof/consistency?from=10&to=5'
want 400 "index missing" "$SEN" '/v1/log/proof/inclusion'

# ---- a witness cosignature
code "$AUD" /v1/log/checkpoint >/dev/null; cp "$T/body" "$T/cp"
"$VIGIL" witness --state "$T/w.state" --key "$T/w.key" --log-key "$T/log.vkey" --checkpoint "$T/cp" >"$T/cosig" 2>"$T/werr"
cat "$T/cp" "$T/cosig" >"$T/cp.cosigned"
want 200 "POST a cosigned checkpoint" "$NOR" /v1/log/cosignature --data-binary @"$T/cp.cosigned"
check "stored for the witness" grep -q '"witness":"witness.pol.example/w1"' "$T/body"
want 200 "GET the cosigned checkpoint" "$NOR" /v1/log/cosigned
check "it verifies as final with the witness (quorum 1)" sh -c \
	"'$VIGIL' witness final --log-key '$T/log.vkey' --witness '$T/w.vkey' --quorum 1 '$T/body' >/dev/null"
want 422 "a checkpoint without cosignature" "$NOR" /v1/log/cosignature --data-binary @"$T/cp"
sed 's/^420$/421/' "$T/cp.cosigned" >"$T/cp.bad"
want 422 "a tampered checkpoint" "$NOR" /v1/log/cosignature --data-binary @"$T/cp.bad"
want 403 "an auditor cannot submit" "$AUD" /v1/log/cosignature --data-binary @"$T/cp.cosigned"

# ---- a mirror fetched over HTTP, verified by `vigil log verify`
M=$T/mirror
mkdir -p "$M/tile"
code "$AUD" /v1/log/checkpoint >/dev/null; cp "$T/body" "$M/checkpoint"
S=$(sed -n 2p "$M/checkpoint")
fetch() { mkdir -p "$(dirname "$M/$1")"; c=$(code "$AUD" "/v1/log/$1"); [ "$c" = 200 ] && cp "$T/body" "$M/$1"; }
nfail=0
L=0; W=1
while [ $((S / W)) -gt 0 ]; do
	n=$((S / W)); full=$((n / 256)); part=$((n % 256)); k=0
	while [ $k -lt $full ]; do
		fetch "tile/$L/$(printf %03d $k)" || nfail=$((nfail + 1))
		[ $L = 0 ] && { fetch "tile/entries/$(printf %03d $k)" || nfail=$((nfail + 1)); }
		k=$((k + 1))
	done
	if [ $part -gt 0 ]; then
		fetch "tile/$L/$(printf %03d $full).p/$part" || nfail=$((nfail + 1))
		[ $L = 0 ] && { fetch "tile/entries/$(printf %03d $full).p/$part" || nfail=$((nfail + 1)); }
	fi
	L=$((L + 1)); W=$((W * 256))
done
check "every tile of size $S fetched over HTTP" [ "$nfail" = 0 ]
expect_exit 0 "vigil log verify accepts the HTTP mirror" "$VIGIL" log verify --dir "$M" --key "$T/log.vkey"

# ---- malformed HTTP, raw bytes
# (send only up to where the server must answer: unread bytes at its close
# would reset the connection and lose the answer)
raw() { # raw "bytes" -> first line of the answer
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '$1' >&3; timeout 5 head -1 <&3" 2>/dev/null | tr -d '\r'
}
r=$(raw 'GARBAGE\r\n');                          check "garbage request line: 400 or closed ($r)" sh -c "[ -z '$r' ] || echo '$r' | grep -q ' 400 '"
r=$(raw 'GET /healthz HTTP/9.9\r\n');           check "HTTP/9.9: 505 ($r)" sh -c "echo '$r' | grep -q ' 505 '"
r=$(raw 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'); check "header without colon: 400 ($r)" sh -c "echo '$r' | grep -q ' 400 '"
r=$(raw 'GET /healthz HTTP/1.1\r\n\r\n');          check "HTTP/1.1 without Host: 400 ($r)" sh -c "echo '$r' | grep -q ' 400 '"
r=$(raw 'POST /v1/observations HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'); check "negative Content-Length refused ($r)" sh -c "echo '$r' | grep -Eq ' (400|401|413) '"
r=$(raw 'POST /v1/observations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'); check "bad chunk refused ($r)" sh -c "echo '$r' | grep -Eq ' 4[0-9][0-9] '"
long=$(head -c 70000 /dev/zero | tr '\0' 'a')
r=$(raw "GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Long: $long\\r\\n\\r\\n"); check "a 70 kB header refused: 4xx or closed ($r)" sh -c "[ -z '$r' ] || echo '$r' | grep -Eq ' 4[0-9][0-9] '"
head -c 4096 /dev/urandom >"$T/noise"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat '$T/noise' >&3; timeout 3 cat <&3 >/dev/null" 2>/dev/null || true
alive "after malformed requests"

# ---- slow clients
r=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET /healthz HTTP/1.1\r\n' >&3; sleep 2; printf 'Host: x\r\n\r\n' >&3; timeout 5 head -1 <&3" | tr -d '\r')
check "a slow but live client is served ($r)" sh -c "echo '$r' | grep -q ' 200 '"
start=$(date +%s)
r=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'GET /healthz HTTP/1.1\r\nHo' >&3; timeout 15 cat <&3; echo EOF" | tr -d '\r' | tail -1)
el=$(( $(date +%s) - start ))
check "a stalled client is dropped after the timeout (${el}s)" [ "$r" = EOF ] && [ "$el" -le 12 ]
alive "after slow clients"

# ---- 10,000 idle connections (bounded by --max-connections 10100; fewer if
# this shell may not open that many descriptors)
IDLE=10000
lim=$(ulimit -n)
[ "$lim" != unlimited ] && [ "$lim" -lt 10100 ] && IDLE=$((lim - 100))
bash -c "for i in \$(seq $IDLE); do exec {fd}<>/dev/tcp/127.0.0.1/$PORT || exit 1; done; echo open; sleep 30" >"$T/idle" 2>&1 &
IDLE_PID=$!
for i in $(seq 300); do grep -q open "$T/idle" && break; sleep 0.1; done
check "$IDLE idle connections opened" grep -q open "$T/idle"
want 200 "served while $IDLE connections idle" "$AUD" /metrics
conns=$(sed -n 's/^vigil_http_connections \([0-9]*\)$/\1/p' "$T/body")
check "metrics count them ($conns)" [ "${conns:-0}" -ge $((IDLE * 9 / 10)) ]
check "metrics: accepted counter" grep -q '^vigil_ingest_accepted_total 411$' "$T/body"
check "metrics: rejections by reason" grep -q '^vigil_ingest_rejected_total{reason="bad_signature"} ' "$T/body"
check "metrics: queue depth" grep -q '^vigil_ingest_queue_requests 0$' "$T/body"
kill "$IDLE_PID" 2>/dev/null; IDLE_PID=
sleep 6
want 200 "idle connections timed out" "$AUD" /metrics
conns=$(sed -n 's/^vigil_http_connections \([0-9]*\)$/\1/p' "$T/body")
check "open connections back to a few ($conns)" [ "${conns:-9999}" -lt 10 ]

# ---- graceful stop
kill -TERM "$SRV_PID"
st=0; wait "$SRV_PID" || st=$?
SRV_PID=
check "SIGTERM: clean exit ($st)" [ "$st" = 0 ]
check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$T/serve.err'"
finish

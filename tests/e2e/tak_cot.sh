# End-to-end: Cursor-on-Target (docs/tak.md). A store with fused events and
# findings (test-small, first hour: simulated, ingested, fused,
# adjudicated) is printed as CoT by `vigil tak xml` (deterministic), and
# every message is parsed by an independent TAK library (@tak-ps/node-cot,
# tests/tak/check.mjs): zero failures, uid/type/lat/lon/times equal to what
# vigil wrote and to the records, types in MITRE's CoT catalogue. `vigil
# tak send` delivers them over real UDP and TCP on loopback to a node
# listener, including a TCP connection reset on accept (reconnect, the
# recent messages written again), a listener that starts late (connect
# retries) and a multicast group. `vigil tak listen` stores a TAK user's
# report and one written by node-cot, and rejects, naming the field and
# storing nothing, a DOCTYPE with entities, a missing point, lat 91,
# truncated XML (datagram and stream), a 1 MB message, a friendly position
# and vigil's own messages (over multicast).
. "$(dirname "$0")/lib/common.sh"
TAK=$VG_SRC/tests/tak
command -v node >/dev/null || { echo "node missing (scripts/deps.sh)"; exit 1; }
[ -d "$TAK/node_modules/@tak-ps/node-cot" ] || { echo "tests/tak/node_modules missing: run scripts/deps.sh (npm ci)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing (scripts/deps.sh)"; exit 1; }
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
free_port() { # free_port tcp|udp: a port nothing is bound to now
	node -e "const t='$1';const s=t==='tcp'?require('net').createServer():require('dgram').createSocket('udp4');
		const f=()=>{console.log(s.address().port);s.close()};t==='tcp'?s.listen(0,'127.0.0.1',f):s.bind(0,'127.0.0.1',f)"
}
wait_line() { # wait_line FILE PATTERN: up to 10 s
	for i in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

expect_exit 0 "tak --help" "$VIGIL" tak --help
check "help has examples" grep -q 'vigil tak send --db' "$T/out"
expect_exit 2 "tak without a subcommand" "$VIGIL" tak
expect_exit 2 "tak send without --to" "$VIGIL" tak send --db "$T/v.db"
expect_exit 2 "tak send to a bad endpoint" "$VIGIL" tak send --db "$T/v.db" --to http://x:1
check "the endpoint error names the form" grep -q 'udp://HOST:PORT or tcp://HOST:PORT' "$T/err"
expect_exit 2 "tak listen without addresses" "$VIGIL" tak listen --db "$T/l.db"
expect_exit 2 "tak xml --affiliation f" "$VIGIL" tak xml --db "$T/v.db" --affiliation f

# ---- a store with events and findings -----------------------------------------
expect_exit 0 "sim test-small (1 h)" "$VIGIL" sim "$SC" --seed 7 --out "$T/s" --threads 1 --hours 1
DB=$T/v.db
expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$DB" "$T/s/sensors.ndjson"
expect_exit 0 "ingest" "$VIGIL" -q ingest "$T/s/observations.ndjson" --db "$DB" --no-progress
expect_exit 0 "fuse" "$VIGIL" -q fuse --db "$DB" --out "$T/fused.ndjson"
jq --slurpfile r "$RULES" '.agreement.weapon_classes = $r[0].weapon_classes | .agreement.rules = $r[0].rules' \
	"$T/s/agreement.geojson" > "$T/ag.geojson"
jq -c '.events[] | select((.type == "launch" or .type == "impact") and .decided_at != null and (.dud | not))
       | {id, type, time, lat, lon, class, cov_m2: [[900,0],[0,900]]}' "$T/s/truth.json" > "$T/events.ndjson"
cat "$T/fused.ndjson" >> "$T/events.ndjson"
expect_exit 0 "adjudicate" "$VIGIL" -q adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f.ndjson"
expect_exit 0 "events" "$VIGIL" events --db "$DB"
cp "$T/out" "$T/ev.ndjson"
NE=$(wc -l <"$T/ev.ndjson"); NF=$(wc -l <"$T/f.ndjson"); N=$((NE + NF))
check "events ($NE) and findings ($NF) stored" sh -c "[ $NE -gt 20 ] && [ $NF -ge 2 ]"

# ---- CoT out ----------------------------------------------------------------
expect_exit 0 "tak xml" "$VIGIL" tak xml --db "$DB"
cp "$T/out" "$T/cot.xml"
check "one message per record ($N)" [ "$(wc -l <"$T/cot.xml")" -eq "$N" ]
expect_exit 0 "tak xml again" "$VIGIL" tak xml --db "$DB"
check "byte-identical the second time" cmp -s "$T/out" "$T/cot.xml"
expect_exit 0 "node-cot parses every message, fields equal vigil's" node "$TAK/check.mjs" "$T/cot.xml" "$T/ev.ndjson" "$T/f.ndjson"
sed 's/^/    /' "$T/out"
check "node-cot reported zero failures for all $N" grep -q "\"messages\":$N,\"parsed\":$N,\"failures\":0" "$T/out"
check "a weapon class became a hostile atom" grep -q '"a-h-G-U-C-F' "$T/out"
check "launches and impacts are there" sh -c "grep -q '\"b-d-l\"' '$T/out' && grep -q '\"b-d-i\"' '$T/out'"
# the checker itself fails on a wrong message
sed '2s/ lat="[0-9.]*"/ lat="12.5"/' "$T/cot.xml" > "$T/bad.xml"
expect_exit 1 "the checker catches a moved point" node "$TAK/check.mjs" "$T/bad.xml" "$T/ev.ndjson" "$T/f.ndjson"
expect_exit 0 "tak xml --findings" "$VIGIL" tak xml --db "$DB" --findings
check "--findings: $NF messages, all findings" sh -c "[ \$(wc -l <'$T/out') -eq $NF ] && [ \$(grep -c '<event version=\"2.0\" uid=\"vigil-finding-' '$T/out') -eq $NF ]"
SINCE=$(jq -r .time "$T/ev.ndjson" | sort | sed -n "$(( NE / 2 ))p")
WANT=$(jq -r --arg s "$SINCE" 'select(.time >= $s) | .id' "$T/ev.ndjson" | wc -l)
expect_exit 0 "tak xml --events --since" "$VIGIL" tak xml --db "$DB" --events --since "$SINCE"
check "--since $SINCE: $WANT events" [ "$(wc -l <"$T/out")" -eq "$WANT" ]
expect_exit 0 "tak xml with options" "$VIGIL" tak xml --db "$DB" --events --uid-prefix sector-3 --event-ttl 60
check "uid prefix and TTL applied" sh -c "head -1 '$T/out' | grep -q 'uid=\"sector-3-event-e-000001\"'"

# ---- send: UDP and TCP to a node listener ------------------------------------------
node "$TAK/listen.mjs" --out "$T/got_udp" --udp 127.0.0.1:0 --count "$N" --timeout 60 >"$T/lu.out" 2>&1 &
LU=$!; PIDS="$PIDS $LU"
node "$TAK/listen.mjs" --out "$T/got_tcp" --tcp 127.0.0.1:0 --reset-first --count "$N" --timeout 60 >"$T/lt.out" 2>&1 &
LT=$!; PIDS="$PIDS $LT"
wait_line "$T/lu.out" listening && wait_line "$T/lt.out" listening || bad "node listeners started"
UP=$(awk '/listening/{print $3}' "$T/lu.out"); TP=$(awk '/listening/{print $3}' "$T/lt.out")
expect_exit 0 "tak send to udp and tcp" "$VIGIL" tak send --db "$DB" --to "udp://127.0.0.1:$UP" --to "tcp://127.0.0.1:$TP"
sed 's/^/    /' "$T/err"
check "the tcp connection was reset once and reopened" grep -q "tcp://127.0.0.1:$TP: $N sent, 0 failed, 1 reconnects" "$T/err"
set +e; wait "$LU"; RU=$?; wait "$LT"; RT=$?; set -e
check "UDP: the node listener got all $N uids" [ "$RU" -eq 0 ]
check "TCP: the node listener got all $N uids despite the reset" [ "$RT" -eq 0 ]
check "no message node-cot could not parse" sh -c "! grep -q '\"error\"' '$T/got_udp' '$T/got_tcp'"
jq -r .uid "$T/got_udp" | sort -u >"$T/u1"
sed -n 's/^[^>]*><event version="2.0" uid="\([^"]*\)".*/\1/p' "$T/cot.xml" | sort -u >"$T/u0"
check "$N distinct uids written" [ "$(wc -l <"$T/u0")" -eq "$N" ]
check "UDP uids are the written ones" cmp -s "$T/u0" "$T/u1"
jq -r .uid "$T/got_tcp" | sort -u >"$T/u2"
check "TCP uids are the written ones" cmp -s "$T/u0" "$T/u2"

# a listener that comes up late: connect retries with backoff
P=$(free_port tcp)
"$VIGIL" tak send --db "$DB" --findings --to "tcp://127.0.0.1:$P" --retries 8 >"$T/late.out" 2>"$T/late.err" &
SP=$!; PIDS="$PIDS $SP"
sleep 0.5
node "$TAK/listen.mjs" --out "$T/got_late" --tcp "127.0.0.1:$P" --count "$NF" --timeout 30 >"$T/ll.out" 2>&1 &
LL=$!; PIDS="$PIDS $LL"
set +e; wait "$SP"; RS=$?; wait "$LL"; RL=$?; set -e
check "send waited for the late listener (exit $RS)" [ "$RS" -eq 0 ]
check "the late listener got all $NF findings" [ "$RL" -eq 0 ]
expect_exit 3 "nothing listening: exit 3 naming the endpoint" "$VIGIL" tak send --db "$DB" --findings \
	--to "tcp://127.0.0.1:$P" --retries 1
check "the failure names the endpoint" grep -q "tcp://127.0.0.1:$P" "$T/err"

# multicast (the TAK mesh group) on loopback, where the host can
mcast_ok() {
	python3 - <<'PY'
import socket, struct, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('', 0)); port = r.getsockname()[1]
try:
    r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton('239.2.3.1'), socket.inet_aton('127.0.0.1')))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('127.0.0.1'))
    s.sendto(b'probe', ('239.2.3.1', port)); r.settimeout(2); r.recvfrom(16)
except OSError:
    sys.exit(1)
PY
}
MCAST=1
mcast_ok || { MCAST=0; echo "# multicast on loopback unavailable here: multicast checks skipped"; }
[ "$MCAST" = 1 ] && {
MP=$(free_port udp)
node "$TAK/listen.mjs" --out "$T/got_mc" --udp "127.0.0.1:$MP" --mcast 239.2.3.1 --iface 127.0.0.1 \
	--count "$NF" --timeout 30 >"$T/lm.out" 2>&1 &
LM=$!; PIDS="$PIDS $LM"
wait_line "$T/lm.out" listening || bad "multicast listener started"
expect_exit 0 "tak send to a multicast group" "$VIGIL" tak send --db "$DB" --findings \
	--to "udp://239.2.3.1:$MP" --iface 127.0.0.1 --mcast-ttl 1
set +e; wait "$LM"; RM=$?; set -e
check "the group member got all $NF findings" [ "$RM" -eq 0 ]
}

# ---- listen: CoT from TAK users into the store ----------------------------------------
M=$T/m; mkdir -p "$M"
GOOD='<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="ANDROID-0a1b2c3d" type="a-h-G-U-C-F" how="h-e" time="2026-03-01T00:45:10.250Z" start="2026-03-01T00:45:10.250Z" stale="2026-03-01T01:45:10.250Z"><point lat="47.9612" lon="37.8841" hae="9999999.0" ce="35.0" le="9999999.0"/><detail><contact callsign="OSCE-7"/><remarks>battery of 4 guns, firing</remarks><link uid="ANDROID-0a1b2c3d" type="a-f-G-U-C" relation="p-p"/></detail></event>'
echo "$GOOD" >"$M/good.xml"
echo '<?xml version="1.0"?><!DOCTYPE event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><event version="2.0" uid="lol" type="a-h-G" how="h-e" time="2026-03-01T00:45:10Z" start="2026-03-01T00:45:10Z" stale="2026-03-01T01:45:10Z"><point lat="1" lon="2" hae="0" ce="1" le="1"/><detail><remarks>&b;</remarks></detail></event>' >"$M/doctype.xml"
echo '<event version="2.0" uid="np" type="a-h-G" how="h-e" time="2026-03-01T00:45:10Z" start="2026-03-01T00:45:10Z" stale="2026-03-01T01:45:10Z"><detail/></event>' >"$M/nopoint.xml"
echo "$GOOD" | sed 's/lat="47.9612"/lat="91"/; s/0a1b2c3d/lat91/g' >"$M/lat91.xml"
printf '%s' "$GOOD" | head -c 300 >"$M/trunc.xml"
echo "$GOOD" | sed 's/a-h-G-U-C-F/a-f-G-U-C/; s/0a1b2c3d/friend/g' >"$M/friendly.xml"
python3 -c "import sys; g=open(sys.argv[1]).read(); open(sys.argv[2],'w').write(g.replace('battery of 4 guns', 'X' * (1 << 20)).replace('0a1b2c3d', 'big'))" \
	"$M/good.xml" "$M/big.xml"
echo '<event version="2.0" uid="L-1" type="b-d-l" how="h-e" time="2026-03-01T00:46:00Z" start="2026-03-01T00:46:00Z" stale="2026-03-01T00:56:00Z"><point lat="47.95" lon="37.9" hae="9999999.0" ce="9999999.0" le="9999999.0"/></event>' >"$M/launch.xml"
node "$TAK/gen.mjs" "$M/nodecot.xml"
check "a 1 MB message ($(wc -c <"$M/big.xml") bytes)" [ "$(wc -c <"$M/big.xml")" -gt 1048576 ]
LDB=$T/l.db
"$VIGIL" tak listen --db "$LDB" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --count 12 --timeout 60 \
	>"$T/vl.out" 2>"$T/vl.err" &
VL=$!; PIDS="$PIDS $VL"
wait_line "$T/vl.out" listening || bad "vigil tak listen started"
VU=$(sed -n 's/^listening on udp 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/vl.out")
VT=$(sed -n 's/.* tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$T/vl.out")
node "$TAK/send.mjs" --udp "127.0.0.1:$VU" "$M/doctype.xml" "$M/nopoint.xml" "$M/lat91.xml" "$M/trunc.xml" \
	"$M/friendly.xml" "$M/good.xml" "$M/launch.xml" "$M/nodecot.xml"
node "$TAK/send.mjs" --tcp "127.0.0.1:$VT" "$M/big.xml" "$M/good.xml" "$M/launch.xml"
node "$TAK/send.mjs" --tcp "127.0.0.1:$VT" "$M/trunc.xml"
set +e; wait "$VL"; RV=$?; set -e
sed 's/^/    /' "$T/vl.err"
check "listen exits 1: some messages rejected" [ "$RV" -eq 1 ]
rej() { # rej "desc" PATTERN: exactly one rejection line matching
	check "$1" [ "$(grep -c "rejected.*$2" "$T/vl.err")" -eq 1 ]
}
rej "DOCTYPE with entities rejected" 'DOCTYPE event \[...\]: not allowed'
rej "missing point rejected, named" 'event.point: missing'
rej "lat 91 rejected, named" 'point.lat = "91": must be in \[-90, 90\]'
rej "truncated datagram rejected, naming the open element" 'truncated message: <event> not closed'
rej "truncated stream rejected" 'truncated message: the stream ended'
rej "1 MB message rejected at the cap" 'message: over the 65536-byte cap'
rej "a friendly position is not an observation" 'event.type = "a-f-G-U-C": a friendly'
check "7 rejections in all" [ "$(grep -c ' rejected (' "$T/vl.err")" -eq 7 ]
check "the TAK user's report stored" grep -q 'stored: a-h-G-U-C-F uid "ANDROID-0a1b2c3d", detection artillery' "$T/vl.err"
check "the launch report stored" grep -q 'stored: b-d-l uid "L-1", impulse launch' "$T/vl.err"
check "node-cot's marker stored" grep -q 'stored: a-h-G-E-V-A-T uid "cloudtak-tank-1", detection tank' "$T/vl.err"
check "the same reports over TCP are already stored" [ "$(grep -c 'message [0-9]* already stored' "$T/vl.err")" -eq 2 ]
check "summary line" grep -q '12 messages: 3 stored, 2 already stored, 7 rejected' "$T/vl.err"
check "exactly 3 external observations, all feed cot" \
	[ "$(sqlite3 "$LDB" "SELECT count(*) FROM external_observations WHERE feed = 'cot'")" = 3 ]
check "nothing stored from a rejected message" \
	[ "$(sqlite3 "$LDB" "SELECT count(*) FROM external_observations WHERE row LIKE '%lat91%' OR row LIKE '%friend%' OR row LIKE '%DOCTYPE%' OR row LIKE '%XXXX%' OR row LIKE '%\"np\"%'")" = 0 ]
check "stored columns: detection (2) of artillery (1), position, sigma = ce, trust 0.2" \
	[ "$(sqlite3 "$LDB" "SELECT kind, type, lat, lon, sigma_m, trust FROM external_observations WHERE row LIKE '%ANDROID-0a1b2c3d%'")" = "2|1|47.9612|37.8841|35.0|0.2" ]
check "the raw message is kept byte for byte" \
	[ "$(sqlite3 "$LDB" "SELECT row = CAST(readfile('$M/good.xml') AS TEXT) FROM external_observations WHERE row LIKE '%ANDROID-0a1b2c3d%'")" = 1 ]
check "unknown ce: sigma 1000 m; an impulse of class launch" \
	[ "$(sqlite3 "$LDB" "SELECT kind, type, sigma_m FROM external_observations WHERE row LIKE '%L-1%'")" = "1|1|1000.0" ]

# vigil's own messages over a multicast group: received, and refused as vigil's
[ "$MCAST" = 1 ] && {
MP=$(free_port udp)
"$VIGIL" tak listen --db "$LDB" --udp "239.2.3.1:$MP" --iface 127.0.0.1 --count "$NF" --timeout 30 \
	>"$T/vm.out" 2>"$T/vm.err" &
VM=$!; PIDS="$PIDS $VM"
wait_line "$T/vm.out" listening || bad "vigil listens on the group"
check "listening on the group" grep -q "listening on udp 239.2.3.1:$MP" "$T/vm.out"
expect_exit 0 "send the findings to the group" "$VIGIL" tak send --db "$DB" --findings --to "udp://239.2.3.1:$MP" --iface 127.0.0.1
set +e; wait "$VM"; RVM=$?; set -e
check "all $NF received over multicast and refused as vigil's own" \
	[ "$(grep -c 'rejected (unknown_class): detail.vigil: a message vigil wrote' "$T/vm.err")" -eq "$NF" ]
check "exit 1 (rejected)" [ "$RVM" -eq 1 ]
check "still 3 stored" [ "$(sqlite3 "$LDB" "SELECT count(*) FROM external_observations")" = 3 ]
}

expect_exit 3 "--timeout before --count: exit 3" "$VIGIL" tak listen --db "$LDB" --udp 127.0.0.1:0 --count 5 --timeout 0.5
check "the timeout says how many came" grep -q 'timed out after 0.5 s with 0 of 5 messages' "$T/err"
finish

# End-to-end: SIGKILL `vigil ingest` at varying points while it appends to
# the transparency log; after each kill the next open brings the log level
# with the store, a witness accepts the recovered checkpoint only with a
# valid consistency proof from the one it cosigned before, the auditor's
# `vigil log verify` passes, and the log holds exactly the store's entries.
# Runs: $VG_CRASH_RUNS (default 30).
. "$(dirname "$0")/lib/common.sh"
RUNS=${VG_CRASH_RUNS:-30}
GEN=$VG_BUILD/bench_ingest
"$GEN" --generate 30000 --sensors 50 --dir "$T/gen" || { bad "generate input"; finish; }
TOTAL=$(wc -l <"$T/gen/obs.ndjson")
DB=$T/c.db
VIGIL_LOG_ORIGIN=crash.test/log "$VIGIL" sensor import --db "$DB" "$T/gen/registry.ndjson" >/dev/null
"$VIGIL" log key --key "$DB.logkey" >"$T/log.vkey"
"$VIGIL" witness key --key "$T/w.key" --name witness.test/w1 >"$T/w.vkey"
"$VIGIL" witness --state "$T/w.state" --key "$T/w.key" --log-key "$T/log.vkey" \
	--log-dir "$DB.log" >/dev/null 2>"$T/werr" || { bad "witness: first checkpoint"; cat "$T/werr"; }
i=0
prev=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	"$VIGIL" ingest "$T/gen/obs.ndjson" --db "$DB" --batch 300 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(((i * 37) % 10))$(((i * 13) % 10))"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	# reopening recovers the log (appends what the store committed beyond it)
	"$VIGIL" ingest /dev/null --db "$DB" >/dev/null 2>"$T/err" || { bad "kill $i: reopen"; cat "$T/err"; }
	size=$(sed -n 2p "$DB.log/checkpoint")
	logged=$(sqlite3 "$DB" 'SELECT count(*) FROM log_entries')
	[ "$size" -eq "$logged" ] || bad "kill $i: checkpoint size $size != store entries $logged"
	[ "$size" -ge "$prev" ] || bad "kill $i: size went back from $prev to $size"
	prev=$size
	if ! "$VIGIL" witness --state "$T/w.state" --key "$T/w.key" --log-key "$T/log.vkey" \
		--log-dir "$DB.log" >/dev/null 2>"$T/werr"; then
		bad "kill $i: witness refused the recovered checkpoint"; cat "$T/werr"
	fi
	"$VIGIL" log verify --dir "$DB.log" --key "$T/log.vkey" >/dev/null 2>"$T/err" ||
		{ bad "kill $i: log verify"; cat "$T/err"; }
done
ok "$RUNS kills: checkpoint = store entries, sizes never went back, witness and auditor accepted each"
"$VIGIL" ingest "$T/gen/obs.ndjson" --db "$DB" --json >"$T/final.json"
acc=$(sed 's/.*"accepted":\([0-9]*\).*/\1/' "$T/final.json")
check "the kills interrupted the runs (final run still accepted $acc)" test "$acc" -gt 0
n=$(sqlite3 "$DB" 'SELECT count(*) FROM observations')
check "every line stored once ($n of $TOTAL)" test "$n" -eq "$TOTAL"
size=$(sed -n 2p "$DB.log/checkpoint")
check "log = log key + 50 enrolments + $TOTAL observations ($size)" test "$size" -eq $((TOTAL + 51))
check "witness cosigns the final checkpoint" "$VIGIL" witness --state "$T/w.state" --key "$T/w.key" \
	--log-key "$T/log.vkey" --log-dir "$DB.log"
check "auditor verifies the final log" "$VIGIL" log verify --dir "$DB.log" --key "$T/log.vkey"
d=$(sqlite3 "$DB" 'SELECT count(*) - count(DISTINCT log_index) FROM observations')
check "no log index used twice" test "$d" -eq 0
finish

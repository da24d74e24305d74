# End-to-end: SIGKILL `vigil ingest` at varying points of a 20,000-line run,
# ten times; after each kill the store passes integrity_check and holds no
# observation twice, and what was acknowledged (reported accepted) is stored.
# A final run accepts exactly the rest: nothing lost, nothing twice.
. "$(dirname "$0")/lib/common.sh"
command -v sqlite3 >/dev/null || { bad "sqlite3 CLI missing (scripts/deps.sh installs it)"; finish; }
GEN=$VG_BUILD/bench_ingest
"$GEN" --generate 20000 --sensors 50 --dir "$T/gen" || { bad "generate input"; finish; }
TOTAL=$(wc -l <"$T/gen/obs.ndjson")
DB=$T/c.db
"$VIGIL" sensor import --db "$DB" "$T/gen/registry.ndjson" >/dev/null
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	"$VIGIL" ingest "$T/gen/obs.ndjson" --db "$DB" --batch 500 --json >"$T/run$i.json" 2>/dev/null &
	pid=$!
	sleep "0.$((i * 7 % 10))$((i % 10))"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	check "kill $i: integrity_check ok" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
	d=$(sqlite3 "$DB" 'SELECT count(*) - count(DISTINCT sensor || ":" || seq) FROM observations')
	n=$(sqlite3 "$DB" 'SELECT count(*) FROM observations')
	check "kill $i: no observation stored twice ($n stored)" test "$d" -eq 0
	p=$(sqlite3 "$DB" 'SELECT count(*) FROM observations WHERE lat IS NOT NULL')
	check "kill $i: every stored observation has its position" test "$p" -eq "$n"
	o=$(sqlite3 "$DB" 'SELECT count(*) FROM obs_rtree WHERE id NOT IN (SELECT id FROM observations)')
	check "kill $i: no spatial index row without its observation" test "$o" -eq 0
done
"$VIGIL" ingest "$T/gen/obs.ndjson" --db "$DB" --json >"$T/final.json"
n=$(sqlite3 "$DB" 'SELECT count(*) FROM observations')
check "after the final run every line is stored once ($n of $TOTAL)" test "$n" -eq "$TOTAL"
check "final run read every line" grep -q "\"lines\":$TOTAL" "$T/final.json"
check "final run rejected nothing" grep -q '"rejected":0' "$T/final.json"
a=$(sed 's/.*"accepted":\([0-9]*\).*"duplicates":\([0-9]*\).*/\1 \2/' "$T/final.json")
set -- $a
check "final accepted + duplicates = total ($1 + $2)" test $(($1 + $2)) -eq "$TOTAL"
finish

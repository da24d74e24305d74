# End-to-end: revoking a sensor while `vigil ingest` holds the store's log.
# The revoke succeeds (in the store), the running ingest refuses the sensor
# from its next batch on and logs the revocation statement before those
# observations, and the auditor's check of the log passes.
. "$(dirname "$0")/lib/common.sh"
"$VG_BUILD/fixture" --dir "$T/fx" >/dev/null || { bad "fixture"; finish; }
DB=$T/v.db
"$VIGIL" sensor import --db "$DB" "$T/fx/registry.ndjson" >/dev/null
head -n 411 "$T/fx/observations.ndjson" >"$T/good.ndjson"
mkfifo "$T/pipe"
"$VIGIL" ingest --db "$DB" --json - <"$T/pipe" >"$T/ingest.json" 2>"$T/ingest.err" &
pid=$!
exec 3>"$T/pipe"
head -n 100 "$T/good.ndjson" >&3
# wait (bounded) until the first 100 are stored
i=0
while [ "$(sqlite3 "$DB" 'SELECT count(*) FROM observations')" -lt 100 ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1))
done
check "the first 100 lines were acknowledged while the pipe stays open" \
	test "$(sqlite3 "$DB" 'SELECT count(*) FROM observations')" -eq 100
expect_exit 0 "revoke while ingest holds the log" "$VIGIL" sensor revoke --db "$DB" ac-0001
check "the revoke says the running process logs it" grep -q 'process holding the log' "$T/out"
sed -n '101,411p' "$T/good.ndjson" >&3
exec 3>&-
wait $pid || true
n1=$(grep -c '"keyid":"ac-0001"' "$T/good.ndjson")
early=$(head -n 100 "$T/good.ndjson" | grep -c '"keyid":"ac-0001"')
stored=$(sqlite3 "$DB" "SELECT count(*) FROM observations WHERE sensor = 'ac-0001'")
check "ac-0001: the $early observations before the revocation stored, none after ($stored of $n1)" \
	test "$stored" -eq "$early"
rej=$(sqlite3 "$DB" "SELECT count(*) FROM rejections WHERE reason = 'revoked_sensor'")
check "the later ones were refused as revoked ($rej)" test "$rej" -eq $((n1 - early))
others=$(sqlite3 "$DB" "SELECT count(*) FROM observations WHERE sensor <> 'ac-0001'")
check "the other sensors' observations all stored" \
	test "$others" -eq $((411 - n1))
check "the revocation is in the store's log" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM registry_log WHERE op = 'revoke' AND sensor = 'ac-0001'")" -eq 1
expect_exit 0 "the auditor's check of the log passes" "$VIGIL" log verify --db "$DB"
finish

# End-to-end: the key history in the log. A store's log starts with the log
# key, records every enrolment and revocation, and `vigil log verify` judges
# each observation against the registry as the log stated it at that point:
# logs re-assembled from the same entries in a wrong order, or holding an
# observation after its sensor's revocation, are refused.
. "$(dirname "$0")/lib/common.sh"
"$VG_BUILD/fixture" --dir "$T/fx" >/dev/null || { bad "fixture"; finish; }
DB=$T/fx.db
"$VIGIL" sensor import --db "$DB" "$T/fx/registry.ndjson" >/dev/null
"$VIGIL" ingest "$T/fx/observations.ndjson" --db "$DB" >/dev/null 2>&1 || true  # 10 bad lines: exit 1
expect_exit 0 "verify the store's log (--db)" "$VIGIL" log verify --db "$DB"
check "8 sensors and 411 observations checked" grep -q '9 registry statements (8 sensors).*411 observations' "$T/out"
"$VIGIL" log key --key "$DB.logkey" >"$T/log.vkey"
expect_exit 0 "verify as an auditor (--dir, --key)" "$VIGIL" log verify --dir "$DB.log" --key "$T/log.vkey"
ORIGIN=$(sed -n 1p "$DB.log/checkpoint")
entry() { "$VIGIL" log entry --dir "$DB.log" "$1"; echo; }

# Rebuild a log with the same key from chosen entries of the real one.
rebuild() { # rebuild NAME IDX...
	name=$1; shift
	: >"$T/$name.in"
	for i in "$@"; do entry "$i" >>"$T/$name.in"; done
	"$VIGIL" log init --dir "$T/$name" --origin "$ORIGIN" --key "$DB.logkey" >/dev/null 2>&1
	"$VIGIL" log append --dir "$T/$name" --key "$DB.logkey" "$T/$name.in" >/dev/null 2>&1
}
# entries 1..8 enrol the sensors; 9.. are observations (the first by ac-0001)
rebuild good 0 1 2 3 4 5 6 7 8 9
expect_exit 0 "a faithful prefix verifies" "$VIGIL" log verify --dir "$T/good" --key "$T/log.vkey"
rebuild early 0 9 1 2 3 4 5 6 7 8
expect_exit 1 "an observation before its sensor's enrolment is refused" \
	"$VIGIL" log verify --dir "$T/early" --key "$T/log.vkey"
check "the message names the entry and the sensor" grep -q 'entry 1.*not enrolled earlier' "$T/err"
rebuild nokey 1 2 3 4 5 6 7 8 9
expect_exit 1 "a log that does not open with the log-key statement is refused" \
	"$VIGIL" log verify --dir "$T/nokey" --key "$T/log.vkey"
rebuild twice 0 1 1
expect_exit 1 "a sensor enrolled twice is refused" "$VIGIL" log verify --dir "$T/twice" --key "$T/log.vkey"

# the same observation logged twice (a replay inside the log) is refused
rebuild replay 0 1 2 3 4 5 6 7 8 9 9
expect_exit 1 "an observation logged twice is refused" "$VIGIL" log verify --dir "$T/replay" --key "$T/log.vkey"
check "the message names the replayed seq" grep -q 'not above its previous' "$T/err"

# a revocation dated in the future is refused (the log orders by position)
expect_exit 1 "a future revocation is refused" "$VIGIL" sensor revoke --db "$DB" ac-0002 --at 2099-01-01T00:00:00Z
check "the message says why" grep -q 'in the future' "$T/err"

# a store whose log and key went missing is not given a fresh log
cp "$DB" "$T/copy.db"
expect_exit 3 "a logged store without its log is refused" "$VIGIL" ingest /dev/null --db "$T/copy.db"
check "the message asks for the backup" grep -q 'restore' "$T/err"

# Revocation: the real CLI records it; a log holding a later observation of
# the revoked sensor is refused.
"$VIGIL" sensor revoke --db "$DB" ac-0001 >/dev/null
N=$(sed -n 2p "$DB.log/checkpoint")
expect_exit 0 "the store's log with the revocation verifies" "$VIGIL" log verify --db "$DB"
check "revocation is a statement" sh -c "'$VIGIL' log entry --dir '$DB.log' $((N - 1)) | grep -q registry"
rebuild late 0 1 2 3 4 5 6 7 8 $((N - 1)) 9
expect_exit 1 "an observation logged after its sensor's revocation is refused" \
	"$VIGIL" log verify --dir "$T/late" --key "$T/log.vkey"
check "the message says revoked" grep -q 'after its revocation' "$T/err"
# A statement signed by another key
"$VIGIL" log init --dir "$T/other" --origin "$ORIGIN" --key "$T/other.key" >/dev/null 2>&1
"$VIGIL" log key --key "$T/other.key" >"$T/other.vkey"
entry 0 >"$T/o.in"
"$VIGIL" log append --dir "$T/other" --key "$T/other.key" "$T/o.in" >/dev/null 2>&1
expect_exit 1 "registry statements signed by another log key are refused" \
	"$VIGIL" log verify --dir "$T/other" --key "$T/other.vkey"
finish

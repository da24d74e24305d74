# common.sh - helpers for end-to-end tests (sourced, not a test itself).
# Environment from CTest: VIGIL (the binary), VG_SRC, VG_BUILD, VG_SHARED_DATA.
set -eu
: "${VIGIL:?VIGIL must point to the vigil binary}"
T=$(mktemp -d /tmp/vigil-e2e-XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok - $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
# expect_exit CODE "description" command...
expect_exit() {
	want=$1; d=$2; shift 2
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else
		bad "$d: exit $got, want $want"; sed 's/^/    /' "$T/err" | head -20; fi
}
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# The test-small store most service tests start from (SC, RULES and DB set
# by the caller; DIR is where the files go):
# sim_agreement DIR: `vigil sim SC --seed 7` into DIR/s, and its agreement
# with the rules and weapon classes of RULES in DIR/ag.geojson.
sim_agreement() {
	expect_exit 0 "sim test-small" "$VIGIL" sim "$SC" --seed 7 --out "$1/s" --threads 1
	jq --slurpfile r "$RULES" '.agreement.weapon_classes = $r[0].weapon_classes | .agreement.rules = $r[0].rules' \
		"$1/s/agreement.geojson" >"$1/ag.geojson"
}
# store_ingest DIR: enrol DIR/s's sensors and ingest its observations into DB.
store_ingest() {
	expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$DB" "$1/s/sensors.ndjson"
	expect_exit 0 "ingest" "$VIGIL" -q ingest "$1/s/observations.ndjson" --db "$DB"
}
# fused_events DIR: fuse DB into DIR/fused.ndjson; DIR/events.ndjson is the
# truth's decidable launches and impacts (30 m sigma) followed by them.
fused_events() {
	expect_exit 0 "fuse the store" "$VIGIL" fuse --db "$DB" --out "$1/fused.ndjson"
	jq -c '.events[] | select((.type == "launch" or .type == "impact") and .decided_at != null and (.dud | not))
	       | {id, type, time, lat, lon, class, cov_m2: [[900,0],[0,900]]}' "$1/s/truth.json" >"$1/events.ndjson"
	cat "$1/fused.ndjson" >>"$1/events.ndjson"
}

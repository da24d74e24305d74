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

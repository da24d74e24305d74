# End-to-end: `vigil sim` and `vigil score` through the real binary:
# usage errors, invalid scenarios named, byte-identical runs (sha256),
# no overwriting, the registry imports, and the scorer on the truth itself.
. "$(dirname "$0")/lib/common.sh"
SC=$VG_SRC/scenarios/test-small.json

expect_exit 0 "sim --help" "$VIGIL" sim --help
check "help has an example" grep -q 'vigil sim scenarios/quiet.json' "$T/out"
expect_exit 2 "sim without --seed is a usage error" "$VIGIL" sim "$SC" --out "$T/x"
expect_exit 2 "sim with a bad seed is a usage error" "$VIGIL" sim "$SC" --seed -4 --out "$T/x"

# Invalid scenarios: exit 2, the member named
printf '{"name":"bad","start":"2026-03-01T00:00:00Z","forces":[{"party":"A","units":[]},{"party":"B","units":[{"class":"mortar","placement":{"distance_km":3},"fire":{"missions_per_h":-3}}]}]}' >"$T/bad.json"
expect_exit 2 "invalid scenario refused" "$VIGIL" sim "$T/bad.json" --seed 1 --out "$T/bad"
check "message names the member" grep -q 'scenario.forces\[1\].units\[0\].fire.missions_per_h = -3: must be >= 0' "$T/err"
check "message names the file" grep -q "$T/bad.json" "$T/err"
printf '{"name":"bad","start":"2026-03-01T00:00:00Z","sensors":{"acoustic":[{"count":3,"colour":"red"}]}}' >"$T/bad2.json"
expect_exit 2 "unknown member refused" "$VIGIL" sim "$T/bad2.json" --seed 1 --out "$T/bad2"
check "unknown member named" grep -q 'scenario.sensors.acoustic\[0\]: unknown member "colour"' "$T/err"
expect_exit 3 "missing scenario file is fatal" "$VIGIL" sim "$T/none.json" --seed 1 --out "$T/none"

# Two runs, same seed: identical bytes; another seed differs
expect_exit 0 "sim run 1" "$VIGIL" sim "$SC" --seed 42 --out "$T/r1" --threads 1
check "summary printed" grep -q 'observations (impulse' "$T/err"
expect_exit 0 "sim run 2" "$VIGIL" sim "$SC" --seed 42 --out "$T/r2" --threads 2
expect_exit 0 "sim run 3 (other seed)" "$VIGIL" sim "$SC" --seed 43 --out "$T/r3"
for f in agreement.geojson sensors.ndjson observations.ndjson truth.json; do
	a=$(sha256sum <"$T/r1/$f"); b=$(sha256sum <"$T/r2/$f"); c=$(sha256sum <"$T/r3/$f")
	check "$f identical for the same seed" test "$a" = "$b"
	check "$f differs for another seed" test "$a" != "$c"
done
check "secret keys are mode 0600" test "$(stat -c %a "$(ls -d "$T"/r1/keys/*.key | head -1)")" = 600
check "keys directory is mode 0700" test "$(stat -c %a "$T/r1/keys")" = 700
expect_exit 3 "sim refuses a non-empty directory" "$VIGIL" sim "$SC" --seed 42 --out "$T/r1"
check "refusal says why" grep -q 'not empty' "$T/err"
expect_exit 0 "sim --hours shortens the run" "$VIGIL" sim "$SC" --seed 42 --out "$T/short" --hours 0.5
check "shorter run has fewer observations" test "$(wc -l <"$T/short/observations.ndjson")" -lt "$(wc -l <"$T/r1/observations.ndjson")"

# The registry the simulator writes is what `vigil sensor import` reads.
if "$VIGIL" sensor --help 2>&1 | grep -q import; then
	expect_exit 0 "sensor import of sensors.ndjson" "$VIGIL" sensor import --db "$T/v.db" "$T/r1/sensors.ndjson"
fi

# Score the truth against itself: every event found, nothing false.
sed -n 's/^{"id":"\(ev-[0-9]*\)","type":"\([a-z]*\)","time":"\([^"]*\)",\(.*\)"lat":\([-0-9.]*\),"lon":\([-0-9.]*\).*/{"id":"\1","type":"\2","time":"\3","lat":\5,"lon":\6}/p' \
	"$T/r1/truth.json" >"$T/ev.ndjson"
check "events extracted from the truth" test -s "$T/ev.ndjson"
expect_exit 0 "score --json" "$VIGIL" score --truth "$T/r1/truth.json" --events "$T/ev.ndjson" --json
check "perfect events: no FP, no FN" grep -q '"all":{"tp":[1-9][0-9]*,"fp":0,"fn":0,"precision":1,"recall":1,"f1":1}' "$T/out"
check "zero location error" grep -q '"location_error_m":{"n":[1-9][0-9]*,"median":0,' "$T/out"
expect_exit 0 "score table" "$VIGIL" score --truth "$T/r1/truth.json" --events "$T/ev.ndjson"
check "table has the header" grep -q 'TP      FP      FN' "$T/out"
printf '{"type":"launch","time":"2026-03-01T00:00:00Z","lat":48}\n' >"$T/bad.ndjson"
expect_exit 2 "score with a bad event line" "$VIGIL" score --truth "$T/r1/truth.json" --events "$T/bad.ndjson"
check "bad event named by line and member" grep -q 'bad.ndjson line 1: lon: missing' "$T/err"
expect_exit 2 "score without inputs is a usage error" "$VIGIL" score --truth "$T/r1/truth.json"
finish

# End-to-end: the zone_cap rule through the real binary (docs/rules.md).
# test-small (seed 7) has one drone pass that sees two tanks at 01:28:30 and
# the same two again at 01:46:30 (four sightings). With a cap of 1 tank per
# UTC day within 60 km of the line, the party whose side they are on gets
# one finding that counts 2 tanks (repeated sightings once), cap 1, over
# the day, resting on exactly the four tank detections of the store; with a
# cap of 2 there is none. Bad zone_cap rules are refused with the member
# named; findings are deterministic and read back by `vigil findings`.
. "$(dirname "$0")/lib/common.sh"
SC=$VG_SRC/scenarios/test-small.json

expect_exit 0 "sim test-small" "$VIGIL" sim "$SC" --seed 7 --out "$T/s" --threads 1
expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$T/v.db" "$T/s/sensors.ndjson"
expect_exit 0 "ingest" "$VIGIL" -q ingest "$T/s/observations.ndjson" --db "$T/v.db"

# The store's tank detections (log indices), independently of the rules.
expect_exit 0 "detections from the store" "$VIGIL" obs --db "$T/v.db" --kind detection --format geojson
jq -c '[.features[].properties | select(.observation.detection.class == "tank") | .log_index] | sort' \
	"$T/out" > "$T/tanks.json"
check "the scenario has four tank sightings" sh -c "jq -e 'length == 4' '$T/tanks.json' >/dev/null"

rules() { # rules CAP: one zone_cap rule per party, tanks within 60 km of the line
	jq --argjson cap "$1" '.agreement.rules = [
	  {"id": "cap-A", "type": "zone_cap", "party": "A", "distance_km": 60, "window_h": 24,
	   "caps": {"tank": $cap, "troops": 6000}},
	  {"id": "cap-B", "type": "zone_cap", "party": "B", "distance_km": 60, "window_h": 24,
	   "caps": {"tank": $cap, "troops": 6000}}]' "$T/s/agreement.geojson"
}
rules 1 > "$T/cap1.geojson"
rules 2 > "$T/cap2.geojson"
expect_exit 0 "agreement check (zone_cap)" "$VIGIL" agreement check "$T/cap1.geojson"

# Refused with the member named; nothing adjudicated.
jq '.agreement.rules[0].caps = {"cannon": 3}' "$T/cap1.geojson" > "$T/bad1.geojson"
expect_exit 2 "unknown class refused" "$VIGIL" agreement check "$T/bad1.geojson"
check "the class is named" grep -q 'agreement.rules\[0\].caps.cannon: unknown weapon class' "$T/err"
jq '.agreement.rules[1].caps.tank = -1' "$T/cap1.geojson" > "$T/bad2.geojson"
expect_exit 2 "negative cap refused" "$VIGIL" agreement check "$T/bad2.geojson"
check "the cap is named" grep -q 'agreement.rules\[1\].caps.tank = -1' "$T/err"
jq 'del(.agreement.rules[0].window_h)' "$T/cap1.geojson" > "$T/bad3.geojson"
expect_exit 2 "missing window refused" "$VIGIL" agreement check "$T/bad3.geojson"
check "the window is named" grep -q 'agreement.rules\[0\].window_h: missing' "$T/err"
expect_exit 2 "nothing adjudicated under it" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/bad3.geojson" \
	--no-store --out "$T/never.ndjson"
check "no output file" test ! -e "$T/never.ndjson"

expect_exit 0 "adjudicate, cap 1" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/cap1.geojson" \
	--no-store --out "$T/f1.ndjson"
check "one zone_cap finding" sh -c "[ \$(grep -c '\"rule\":\"zone_cap\"' '$T/f1.ndjson') -eq 1 ]"
grep '"rule":"zone_cap"' "$T/f1.ndjson" > "$T/zc.ndjson" || true
check "two tanks counted, not four sightings" \
	sh -c "jq -e '.class == \"tank\" and .count == 2 and .cap == 1' '$T/zc.ndjson' >/dev/null"
check "over the UTC day" \
	sh -c "jq -e '.from == \"2026-03-01T00:00:00Z\" and .until == \"2026-03-02T00:00:00Z\"' '$T/zc.ndjson' >/dev/null"
check "the evidence is the store's four tank detections" \
	sh -c "jq -c '.evidence' '$T/zc.ndjson' | cmp -s - '$T/tanks.json'"
check "the party is a party, from the rule" \
	sh -c "jq -e '(.party == \"A\" and .rule_id == \"cap-A\") or (.party == \"B\" and .rule_id == \"cap-B\")' '$T/zc.ndjson' >/dev/null"
check "one drone: possible" sh -c "jq -e '.grade == \"possible\" and .sensors == 1' '$T/zc.ndjson' >/dev/null"
expect_exit 0 "adjudicate again" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/cap1.geojson" \
	--no-store --out "$T/f2.ndjson"
check "findings are deterministic" cmp -s "$T/f1.ndjson" "$T/f2.ndjson"
expect_exit 0 "findings read back" "$VIGIL" findings "$T/f1.ndjson" --rule zone_cap
check "the filter keeps it" cmp -s "$T/out" "$T/zc.ndjson"
expect_exit 0 "findings as CSV" "$VIGIL" findings "$T/f1.ndjson" --rule zone_cap --format csv
check "CSV notes give the cap" grep -q '2 tank (cap 1)' "$T/out"

expect_exit 0 "adjudicate, cap 2" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/cap2.geojson" \
	--no-store --out "$T/f3.ndjson"
check "at the cap: no finding" sh -c "! grep -q '\"rule\":\"zone_cap\"' '$T/f3.ndjson'"

finish

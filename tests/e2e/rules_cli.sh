# End-to-end: the agreement as code through the real binary. A broken
# agreement is refused with the feature or member named and nothing is
# adjudicated; test-small is simulated, ingested and adjudicated (events
# derived from its truth, radar reports from the store); findings are
# deterministic, convert to CSV and GeoJSON, score against the truth;
# coverage answers "was this area watched".
. "$(dirname "$0")/lib/common.sh"
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json

expect_exit 0 "agreement --help" "$VIGIL" agreement --help
expect_exit 0 "adjudicate --help" "$VIGIL" adjudicate --help
check "adjudicate help has an example" grep -q 'vigil adjudicate --db' "$T/out"
expect_exit 2 "adjudicate without --agreement" "$VIGIL" adjudicate --db "$T/x.db"

sim_agreement "$T"
expect_exit 0 "agreement check (rules)" "$VIGIL" agreement check "$T/ag.geojson"
check "check lists the rules" grep -q 'wd-artillery (withdrawal) heavy_artillery' "$T/out"

# Broken agreements: exit 2, named, nothing adjudicated.
jq '.features[2].geometry.coordinates[0] |= (.[1] as $b | .[2] as $c | .[1] = $c | .[2] = $b)' \
	"$T/ag.geojson" > "$T/bad-geom.geojson"
expect_exit 2 "self-intersecting side refused" "$VIGIL" agreement check "$T/bad-geom.geojson"
check "the feature is named" grep -q 'features\[2\] (id "side-B").geometry: invalid polygon' "$T/err"
jq '.agreement.rules[1].classes = "howitzer"' "$T/ag.geojson" > "$T/bad-class.geojson"
expect_exit 2 "unknown weapon class refused" "$VIGIL" agreement check "$T/bad-class.geojson"
check "the member is named" grep -q 'agreement.rules\[1\].classes = "howitzer": unknown weapon class' "$T/err"
jq 'del(.agreement.rules[1].distance_km)' "$T/ag.geojson" > "$T/bad-param.geojson"
expect_exit 2 "missing parameter refused" "$VIGIL" agreement check "$T/bad-param.geojson"
check "missing member named" grep -q 'agreement.rules\[1\].distance_km: missing' "$T/err"
jq '.agreement.amendments = [{"version":2,"effective":"2020-01-01T00:00:00Z","rules":[]}]' "$T/ag.geojson" > "$T/bad-am.geojson"
expect_exit 2 "amendment before the agreement refused" "$VIGIL" agreement check "$T/bad-am.geojson"
check "amendment named" grep -q 'agreement.amendments\[0\].effective = 2020-01-01T00:00:00Z: predates' "$T/err"
jq '.agreement.effective = "1 March 2026"' "$T/ag.geojson" > "$T/bad-time.geojson"
expect_exit 2 "bad effective time refused" "$VIGIL" agreement check "$T/bad-time.geojson"
jq '.features[1].geometry = .features[2].geometry' "$T/ag.geojson" > "$T/bad-overlap.geojson"
expect_exit 2 "overlapping sides refused" "$VIGIL" agreement check "$T/bad-overlap.geojson"
check "overlap named" grep -q 'sides overlap' "$T/err"

expect_exit 0 "sensor import" "$VIGIL" -q sensor import --db "$T/v.db" "$T/s/sensors.ndjson"
expect_exit 0 "ingest" "$VIGIL" -q ingest "$T/s/observations.ndjson" --db "$T/v.db"
expect_exit 2 "nothing adjudicated under a broken agreement" \
	"$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/bad-geom.geojson" --out "$T/never.ndjson"
check "no output file" test ! -e "$T/never.ndjson"

# Events: the truth's locatable launches and impacts (fusion's stand-in).
jq -c '.events[] | select((.type == "launch" or .type == "impact") and .decided_at != null and (.dud | not))
       | {id, type, time, lat, lon, class, cov_m2: [[900,0],[0,900]]}' "$T/s/truth.json" > "$T/events.ndjson"
expect_exit 0 "adjudicate" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f1.ndjson" --stats
check "stats printed" grep -q 'findings (no_fire' "$T/err"
check "stats state each withdrawal belt's unobserved share" \
	grep -Eq 'withdrawal belts, unobserved by sensors that identify weapons: wd-artillery/A [0-9.]+% .*wd-light/B [0-9.]+%' "$T/err"
check "unobserved shares stated" grep -q 'unobserved share: side-A [0-9.]*% side-B' "$T/err"
expect_exit 0 "adjudicate again" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f2.ndjson"
check "findings are deterministic" cmp -s "$T/f1.ndjson" "$T/f2.ndjson"
check "a no_fire finding of B" grep -q '"rule":"no_fire","rule_id":"no-fire","party":"B"' "$T/f1.ndjson"
check "findings cite the agreement version" grep -q '"agreement_version":1' "$T/f1.ndjson"
check "findings carry log indices" grep -q '"evidence":\[[0-9]' "$T/f1.ndjson"
expect_exit 0 "score the findings" "$VIGIL" score --truth "$T/s/truth.json" --findings "$T/f1.ndjson" --json
check "no_fire found" sh -c "jq -e '.rules.no_fire.tp >= 1' '$T/out' >/dev/null"

# Fusion's own events (log indices in arrivals and radar): grades from the
# registry's sensors, evidence that names them.
expect_exit 0 "fuse the store" "$VIGIL" fuse --db "$T/v.db" --out "$T/fused.ndjson"
expect_exit 0 "adjudicate fusion's events" "$VIGIL" adjudicate --db "$T/v.db" --agreement "$T/ag.geojson" \
	--events "$T/fused.ndjson" --out "$T/ff.ndjson"
check "no_fire findings from fusion rest on log indices" \
	sh -c "! grep '\"rule\":\"no_fire\"' '$T/ff.ndjson' | grep -q '\"evidence\":\[\]'"
check "and are graded from several sensors" \
	sh -c "! grep '\"rule\":\"no_fire\"' '$T/ff.ndjson' | grep -q '\"sensors\":[01],'"

expect_exit 0 "findings as CSV" "$VIGIL" findings "$T/f1.ndjson" --format csv
check "ACLED-like header" grep -q '^event_id_cnty,event_date,event_type,sub_event_type,actor1' "$T/out"
expect_exit 0 "findings as GeoJSON" "$VIGIL" findings "$T/f1.ndjson" --format geojson
check "GeoJSON parses" sh -c "jq -e '.features | length >= 1' '$T/out' >/dev/null"
expect_exit 0 "findings filtered" "$VIGIL" findings "$T/f1.ndjson" --rule no_fire --party B --min-grade possible
check "filter keeps only no_fire of B" sh -c "! grep -v '\"rule\":\"no_fire\",\"rule_id\":\"no-fire\",\"party\":\"B\"' '$T/out'"
expect_exit 0 "findings summary" "$VIGIL" findings "$T/f1.ndjson" --format summary
expect_exit 2 "findings: bad grade" "$VIGIL" findings "$T/f1.ndjson" --grade sure
expect_exit 0 "findings in a time window" "$VIGIL" findings "$T/f1.ndjson" \
	--from 2026-03-01T00:00:00Z --until 2026-03-01T02:00:00Z
check "window keeps the findings" test -s "$T/out"
expect_exit 0 "findings in an empty window" "$VIGIL" findings "$T/f1.ndjson" --from 2027-01-01T00:00:00Z
check "empty window is empty" test ! -s "$T/out"
expect_exit 2 "findings: bad time" "$VIGIL" findings "$T/f1.ndjson" --from yesterday

expect_exit 0 "coverage" "$VIGIL" coverage --db "$T/v.db" --agreement "$T/ag.geojson" \
	--from 2026-03-01T00:00:00Z --until 2026-03-01T02:00:00Z --json
check "coverage per side" sh -c "jq -se 'map(select(.kind == \"side\")) | length == 2' '$T/out' >/dev/null"
check "unobserved share stated" grep -q '"unobserved_share":' "$T/out"
# withdrawal belts: one per rule and party, counted by the sensors that
# identify weapons; a belt lies in its side, so it is no larger than it
check "a belt per withdrawal rule and party" sh -c "jq -se 'map(select(.kind == \"withdrawal_belt\" and .sensors == \"identifying\")) | length == 8' '$T/out' >/dev/null"
check "a 15 km belt is smaller than a 50 km one, both within the side" sh -c "jq -se '
	(map(select(.kind == \"side\" and .party == \"A\"))[0].area_km2) as \$side |
	(map(select(.area == \"wd-light\" and .party == \"A\"))[0].area_km2) as \$l |
	(map(select(.area == \"wd-artillery\" and .party == \"A\"))[0].area_km2) as \$a |
	\$l > 0 and \$l < \$a and \$a <= \$side * 1.001' '$T/out' >/dev/null"
expect_exit 0 "coverage, all sensors, the day" "$VIGIL" coverage --db "$T/v.db" --agreement "$T/ag.geojson" \
	--from 2026-03-01T00:00:00Z --until 2026-03-02T00:00:00Z --json
cp "$T/out" "$T/cov-all"
expect_exit 0 "coverage --identifying, the day" "$VIGIL" coverage --db "$T/v.db" --agreement "$T/ag.geojson" \
	--from 2026-03-01T00:00:00Z --until 2026-03-02T00:00:00Z --json --identifying
check "fewer footprints identify weapons: each side less observed" sh -c "jq -n --slurpfile a '$T/cov-all' --slurpfile i '$T/out' '
	def sides(x): [x[] | select(.kind == \"side\") | .observed_share];
	sides(\$a) as \$sa | sides(\$i) as \$si | (\$sa | length) == 2 and (\$si | length) == 2 and
	\$sa[0] > \$si[0] and \$sa[1] > \$si[1]' >/dev/null"
expect_exit 0 "coverage text names the belts" "$VIGIL" coverage --db "$T/v.db" --agreement "$T/ag.geojson" \
	--from 2026-03-01T00:00:00Z --until 2026-03-01T02:00:00Z
check "text rows for belts" grep -q '^wd-heavy-mlrs  *withdrawal_belt  *B ' "$T/out"
finish

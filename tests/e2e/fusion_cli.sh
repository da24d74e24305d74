#!/bin/sh
# fusion_cli.sh - `vigil fuse` and `vigil events` end to end: simulate
# test-small, ingest it (signatures verified, log attached), fuse the store,
# query the events in three formats, score them, and check that a second
# fusion of the same store gives byte-identical events and that the
# file-reading form agrees with the store form.
. "$(dirname "$0")/lib/common.sh"
SC="$VG_SRC/scenarios/test-small.json"

expect_exit 0 "fuse --help" "$VIGIL" fuse --help
expect_exit 0 "events --help" "$VIGIL" events --help
expect_exit 2 "fuse with a bad option" "$VIGIL" fuse --db "$T/v.db" --sound-speed -3
expect_exit 2 "fuse --obs without --sensors" "$VIGIL" fuse --obs "$T/none"
expect_exit 2 "events with a bad format" "$VIGIL" events --db "$T/v.db" --format xml

expect_exit 0 "sim test-small" "$VIGIL" sim "$SC" --seed 1 --out "$T/s"
expect_exit 0 "sensor import" "$VIGIL" sensor import --db "$T/v.db" "$T/s/sensors.ndjson"
expect_exit 0 "ingest" "$VIGIL" ingest "$T/s/observations.ndjson" --db "$T/v.db" --no-progress
expect_exit 0 "fuse the store" "$VIGIL" fuse --db "$T/v.db" --out "$T/ev1.ndjson"
check "events were found" test "$(wc -l < "$T/ev1.ndjson")" -gt 20
check "events reference log indices" sh -c "grep -q '\"arrivals\":\[[0-9]' '$T/ev1.ndjson'"
expect_exit 0 "fuse again" "$VIGIL" fuse --db "$T/v.db" --out "$T/ev2.ndjson"
check "re-fusion is byte-identical" cmp -s "$T/ev1.ndjson" "$T/ev2.ndjson"
expect_exit 0 "events ndjson" "$VIGIL" events --db "$T/v.db"
check "stored events are the fused lines" cmp -s "$T/out" "$T/ev1.ndjson"
expect_exit 0 "events csv" "$VIGIL" events --db "$T/v.db" --format csv --type launch
check "csv has a header and rows" test "$(wc -l < "$T/out")" -gt 5
expect_exit 0 "events geojson" "$VIGIL" events --db "$T/v.db" --format geojson
check "geojson parses, ellipses are closed polygons" python3 -c "
import json,sys
d=json.load(open('$T/out'))
assert d['type']=='FeatureCollection' and len(d['features'])>20
for f in d['features']:
    g=f['geometry']
    assert g['type']=='Polygon' and g['coordinates'][0][0]==g['coordinates'][0][-1]
"
expect_exit 0 "fuse the files (unverified form)" "$VIGIL" fuse --obs "$T/s/observations.ndjson" --sensors "$T/s/sensors.ndjson" --out "$T/ev3.ndjson"
check "file form finds the same events (evidence aside)" python3 -c "
import json
a=[json.loads(l) for l in open('$T/ev1.ndjson')]
b=[json.loads(l) for l in open('$T/ev3.ndjson')]
key=lambda e:(e['type'],e['time'],e['lat'],e['lon'])
assert [key(e) for e in a]==[key(e) for e in b], (len(a),len(b))
"
expect_exit 0 "score" "$VIGIL" score --truth "$T/s/truth.json" --events "$T/ev1.ndjson" --json
# Floors under today's figures for this run (seed 1: all F1 0.94, median
# error 1.5 m; other seeds whose first salvo comes before the medium is
# learnt do worse: docs/fusion.md), so a regression in association or
# location fails.
check "F1 >= 0.8 and median location error <= 5 m" python3 -c "
import json
r=json.load(open('$T/out'))
assert r['events']['all']['f1']>=0.8, r['events']['all']
assert r['location_error_m']['median']<=5, r['location_error_m']
"
finish

#!/bin/sh
# gis_exports.sh - GeoJSON (RFC 7946) and KML 2.2 exports of events,
# findings and the agreement, opened by GDAL (gdal-bin: ogrinfo, ogr2ogr)
# as a GIS user would. test-small is simulated, ingested, fused and
# adjudicated (as in server_findings.sh); then for each export: GDAL opens
# it (KML with both of its drivers, LIBKML and the expat-based KML), the
# feature count equals the NDJSON line count, coordinates read back by GDAL
# equal the NDJSON's to 1e-6 degree, GeoJSON rings are closed,
# counterclockwise outside (clockwise holes), finite, with no crs member;
# output is byte-identical on a second run; the exported agreement is
# still a valid agreement; names full of quotes, <, & and control
# characters still give KML that parses and reads back.
. "$(dirname "$0")/lib/common.sh"
for c in ogrinfo ogr2ogr jq python3; do
	command -v $c >/dev/null || { echo "$c missing (scripts/deps.sh)"; exit 1; }
done
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
DB=$T/v.db

sim_agreement "$T"
store_ingest "$T"
fused_events "$T"
expect_exit 0 "adjudicate" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f.ndjson"

# the exports (stdout to files), each twice for determinism
export_all() { # DIR
	mkdir -p "$1"
	"$VIGIL" events --db "$DB" --format ndjson > "$1/ev.ndjson" &&
	"$VIGIL" events --db "$DB" --format geojson > "$1/ev.geojson" &&
	"$VIGIL" events --db "$DB" --format kml > "$1/ev.kml" &&
	"$VIGIL" findings "$T/f.ndjson" --format ndjson > "$1/f.ndjson" &&
	"$VIGIL" findings "$T/f.ndjson" --format geojson > "$1/f.geojson" &&
	"$VIGIL" findings "$T/f.ndjson" --format kml > "$1/f.kml" &&
	"$VIGIL" agreement export "$T/ag.geojson" > "$1/ag.geojson" &&
	"$VIGIL" agreement export "$T/ag.geojson" --format kml > "$1/ag.kml"
}
check "every export exits 0" export_all "$T/a"
check "a second export is byte-identical" export_all "$T/b"
check "a second export is byte-identical" diff -r "$T/a" "$T/b"
A=$T/a
NE=$(wc -l < "$A/ev.ndjson")
NF=$(wc -l < "$A/f.ndjson")
NA=$(jq '.features | length' "$T/ag.geojson")
check "there are events ($NE) and findings ($NF)" [ "$NE" -gt 20 -a "$NF" -gt 2 ]

# count FILE [GDAL options...]: the features GDAL reads, over all layers
count() {
	f=$1; shift
	ogrinfo -ro -al -so "$@" "$f" 2>"$T/ogr.err" | awk '/^Feature Count:/ {n += $3} END {print n + 0}'
}
for x in ev:$NE f:$NF ag:$NA; do
	n=${x#*:}; b=${x%%:*}
	check "GDAL reads $n features from $b.geojson" [ "$(count "$A/$b.geojson")" = "$n" ]
	check "GDAL (LIBKML) reads $n features from $b.kml" [ "$(count "$A/$b.kml")" = "$n" ]
	check "GDAL (KML) reads $n features from $b.kml" \
		[ "$(count "$A/$b.kml" --config GDAL_SKIP LIBKML)" = "$n" ]
done
check "the KML was read by LIBKML" sh -c "ogrinfo -ro -so '$A/ev.kml' | grep -q LIBKML"

# RFC 7946: closed, finite rings, exterior counterclockwise, holes clockwise, no crs
cat > "$T/rfc7946.py" <<'EOF'
import json, math, sys
def area2(r):
    return sum(r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1] for i in range(len(r) - 1))
def polys(g):
    t = g["type"]
    if t == "Polygon":
        return [g["coordinates"]]
    if t == "MultiPolygon":
        return g["coordinates"]
    if t == "GeometryCollection":
        return [p for h in g["geometries"] for p in polys(h)]
    return []
def positions(c):
    if isinstance(c[0], (int, float)):
        yield c
    else:
        for x in c:
            yield from positions(x)
bad = 0
for path in sys.argv[1:]:
    d = json.load(open(path), parse_constant=lambda s: float("nan"))
    assert "crs" not in d, path + ": crs member"
    n = 0
    for f in d["features"]:
        g = f["geometry"]
        for p in positions(g["coordinates"]):
            assert all(math.isfinite(v) for v in p) and -180 <= p[0] <= 180 and -90 <= p[1] <= 90, (path, p)
        for poly in polys(g):
            for k, ring in enumerate(poly):
                n += 1
                if len(ring) < 4 or ring[0] != ring[-1]:
                    bad += 1; print(path, f.get("id"), "ring", k, "not closed")
                elif (area2(ring) > 0) != (k == 0):
                    bad += 1; print(path, f.get("id"), "ring", k, "wrong orientation")
    print(path, len(d["features"]), "features,", n, "rings")
sys.exit(1 if bad else 0)
EOF
check "GeoJSON outputs are RFC 7946 (rings, orientation, finite, no crs)" \
	python3 "$T/rfc7946.py" "$A/ev.geojson" "$A/f.geojson" "$A/ag.geojson"

# coordinates read back by GDAL (CSV with WKT) against the NDJSON
wkt() { # FILE [options]: GDAL's CSV with the geometry as WKT
	f=$1; shift
	ogr2ogr "$@" -f CSV /vsistdout/ "$f" -lco GEOMETRY=AS_WKT 2>"$T/ogr.err"
}
cat > "$T/coords.py" <<'EOF'
# coords.py MODE NDJSON CSV: compare GDAL's geometries with the NDJSON's lat/lon
import csv, json, re, sys
csv.field_size_limit(1 << 30)
mode, nd, gd = sys.argv[1:4]
want = [json.loads(l) for l in open(nd)]
rows = list(csv.DictReader(open(gd)))
assert len(rows) == len(want), (len(rows), len(want))
def pts(w):
    return [tuple(map(float, p.split())) for p in re.findall(r"-?\d+\.?\d*(?:e-?\d+)? -?\d+\.?\d*(?:e-?\d+)?", w)]
worst, n = 0.0, 0
for x, r in zip(want, rows):   # same order: document order
    w = r["WKT"]
    if mode == "point":        # the Point (alone or first in a collection)
        m = re.search(r"POINT \(([^)]*)\)", w)
        lon, lat = map(float, m.group(1).split())
    else:                      # ellipse ring: the mean of its vertices is the centre
        if x["ellipse"]["smaj_m"] * 2.146 > 1000:
            continue
        p = pts(w)[:-1]
        lon, lat = sum(q[0] for q in p) / len(p), sum(q[1] for q in p) / len(p)
    d = max(abs(lon - x["lon"]), abs(lat - x["lat"]))
    worst = max(worst, d); n += 1
    if d > 1e-6:
        print("differs:", x["id"], lon, lat, x["lon"], x["lat"])
print(f"{n} positions, worst difference {worst:.2e} deg")
sys.exit(0 if n >= min(10, len(want)) and worst <= 1e-6 else 1)
EOF
wkt "$A/ev.kml" > "$T/ev-kml.csv"
check "events KML: GDAL's points = the NDJSON's (1e-6 deg)" python3 "$T/coords.py" point "$A/ev.ndjson" "$T/ev-kml.csv"
wkt "$A/ev.kml" --config GDAL_SKIP LIBKML > "$T/ev-kml2.csv"
check "events KML, expat driver: the same points" python3 "$T/coords.py" point "$A/ev.ndjson" "$T/ev-kml2.csv"
wkt "$A/ev.geojson" > "$T/ev-gj.csv"
check "events GeoJSON: ellipses centred on the NDJSON's origin (1e-6 deg)" \
	python3 "$T/coords.py" ring "$A/ev.ndjson" "$T/ev-gj.csv"
wkt "$A/f.kml" > "$T/f-kml.csv"
check "findings KML: GDAL's points = the NDJSON's (1e-6 deg)" python3 "$T/coords.py" point "$A/f.ndjson" "$T/f-kml.csv"
wkt "$A/f.geojson" > "$T/f-gj.csv"
check "findings GeoJSON: GDAL's points = the NDJSON's (1e-6 deg)" python3 "$T/coords.py" point "$A/f.ndjson" "$T/f-gj.csv"
check "findings KML: an ellipse polygon with each point" sh -c \
	"[ \$(grep -c 'GEOMETRYCOLLECTION (POINT.*POLYGON' '$T/f-kml.csv') = $NF ]"
python3 -c "import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print(r['id'])" "$T/ev-kml.csv" > "$T/ids.kml"
jq -r .id "$A/ev.ndjson" > "$T/ids.nd"
check "KML ExtendedData read back by GDAL: the event ids, in order" cmp -s "$T/ids.kml" "$T/ids.nd"

# agreement: the contact line's vertices survive both exports; the export is an agreement
cat > "$T/line.py" <<'EOF'
import csv, json, re, sys
csv.field_size_limit(1 << 30)
src = json.load(open(sys.argv[1]))
line = next(f for f in src["features"] if f["properties"]["role"] == "contact_line")["geometry"]["coordinates"]
rows = list(csv.DictReader(open(sys.argv[2])))
w = next(r["WKT"] for r in rows if r["WKT"].startswith("LINESTRING"))
got = [tuple(map(float, p.split())) for p in re.search(r"\((.*)\)", w).group(1).split(",")]
assert len(got) == len(line), (len(got), len(line))
worst = max(max(abs(a[0] - b[0]), abs(a[1] - b[1])) for a, b in zip(got, line))
print(f"{len(got)} vertices, worst difference {worst:.2e} deg")
sys.exit(0 if worst <= 1e-6 else 1)
EOF
wkt "$A/ag.geojson" > "$T/ag-gj.csv"
check "agreement GeoJSON: the contact line's vertices (1e-6 deg)" python3 "$T/line.py" "$T/ag.geojson" "$T/ag-gj.csv"
wkt "$A/ag.kml" > "$T/ag-kml.csv"
check "agreement KML: the contact line's vertices (1e-6 deg)" python3 "$T/line.py" "$T/ag.geojson" "$T/ag-kml.csv"
expect_exit 0 "the exported GeoJSON is still a valid agreement" "$VIGIL" agreement check "$A/ag.geojson"

# A clockwise source agreement (every ring reversed) exports counterclockwise,
# with the same bytes as the original's export
jq '.features |= map(if .geometry.type == "Polygon" then .geometry.coordinates |= map(reverse) else . end)' \
	"$T/ag.geojson" > "$T/ag-cw.geojson"
check "the reversed source has clockwise exteriors" sh -c \
	"! python3 '$T/rfc7946.py' '$T/ag-cw.geojson' >/dev/null"
expect_exit 0 "export the clockwise agreement" "$VIGIL" agreement export "$T/ag-cw.geojson"
check "...counterclockwise again" python3 "$T/rfc7946.py" "$T/out"
jq -c '.features[].geometry.coordinates[0] | sort' "$T/out" > "$T/cw.sorted"
jq -c '.features[].geometry.coordinates[0] | sort' "$A/ag.geojson" > "$T/ccw.sorted"
check "...with the vertices of the original's export" cmp -s "$T/cw.sorted" "$T/ccw.sorted"

# A broken agreement (its last side's ring not closed): refused naming the
# place, and nothing written (the document whole or nothing)
jq '(.features[] | select(.properties.role == "side") | .geometry.coordinates[0]) |= .[:-1]' \
	"$T/ag.geojson" > "$T/ag-open.geojson"
expect_exit 2 "export refuses a ring not closed" "$VIGIL" agreement export "$T/ag-open.geojson"
check "...naming the place" grep -q 'geometry: coordinates\[0\]: a ring not closed' "$T/err"
check "...and writes nothing" [ ! -s "$T/out" ]

# Hostile names: the agreement's name and a zone's name with quotes, <, &, ]]>
# and a control character; KML must stay well-formed and give them back
EVIL='Evil "name" <b>x</b> & '"'"'apos'"'"' ]]> ok'
jq --arg n "$EVIL" '.agreement.name = $n + "\u0001" | (.features[] | select(.id == "security-zone") | .properties.name) = $n' \
	"$T/ag.geojson" > "$T/evil.geojson"
expect_exit 0 "export the hostile agreement as KML" "$VIGIL" agreement export "$T/evil.geojson" --format kml
cp "$T/out" "$T/evil.kml"
check "hostile KML: no raw <, & or ]]> in text" sh -c "! grep -q -e '<b>' -e '& ' -e ']]>' '$T/evil.kml'"
check "hostile KML: the control character became U+FFFD" grep -q "ok$(printf '\357\277\275')</name>" "$T/evil.kml"
check "hostile KML: python's XML parser reads it" python3 -c "
import xml.etree.ElementTree as E
E.parse('$T/evil.kml')"
check "hostile KML: GDAL (LIBKML) reads $NA features" [ "$(count "$T/evil.kml")" = "$NA" ]
check "hostile KML: GDAL (KML) reads $NA features" [ "$(count "$T/evil.kml" --config GDAL_SKIP LIBKML)" = "$NA" ]
wkt "$T/evil.kml" -select Name > "$T/evil.csv"
check "hostile KML: the zone's name reads back unchanged" python3 -c "
import csv, sys
names = [r['Name'] for r in csv.DictReader(open('$T/evil.csv'))]
sys.exit(0 if sys.argv[1] in names else 1)" "$EVIL"
expect_exit 0 "export the hostile agreement as GeoJSON" "$VIGIL" agreement export "$T/evil.geojson"
jq -r '.features[] | select(.id == "security-zone") | .properties.name' "$T/out" > "$T/evil.name"
check "hostile GeoJSON: the zone's name reads back unchanged" [ "$(cat "$T/evil.name")" = "$EVIL" ]

# errors name the place
echo '{"type":"FeatureCollection","agreement":{"name":"x","parties":["A","B"],"effective":"2026-01-01T00:00:00Z","rules":[]},"features":[]}' > "$T/bad.geojson"
expect_exit 2 "a broken agreement is refused" "$VIGIL" agreement export "$T/bad.geojson" --format kml
check "...naming what is wrong" grep -q "contact_line" "$T/err"
expect_exit 2 "export --format shp is refused" "$VIGIL" agreement export "$T/ag.geojson" --format shp
expect_exit 2 "events --format kmz is refused" "$VIGIL" events --db "$DB" --format kmz
expect_exit 3 "a missing agreement file" "$VIGIL" agreement export "$T/none.geojson"
finish

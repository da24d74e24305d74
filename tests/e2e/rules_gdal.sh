#!/bin/sh
# rules_gdal.sh - the real-data path checked against an independent
# computation with GDAL: an agreement from the DeepState control map of
# 11 Aug 2025 inside the Natural Earth outline of Ukraine; every VIIRS
# thermal anomaly of that day gets its side and its distance to the contact
# line from `vigil agreement place`, and GDAL/SpatiaLite computes both again
# (side: ST_Within on the same polygons; distance: planar distance in the
# point's UTM zone, 36N west of 36E, 37N east of it, scale error < 0.1 %).
# They must agree on the side of every point more than 100 m from the line
# and on every distance within 0.5 %.
set -eu
: "${VIGIL:?}" "${VG_SHARED_DATA:?}"
D=$VG_SHARED_DATA
DS=$D/deepstate/deepstatemap_data_20250811.geojson
NE=$D/boundaries/ukraine-ne10m.geojson
FIRMS=$(ls "$D"/firms/*.csv | head -1)
# The data and GDAL are part of the test: missing, it fails (not skips).
for f in "$DS" "$NE" "$FIRMS"; do
	[ -r "$f" ] || { echo "FAIL: $f missing (../shared/data beside the repository)"; exit 1; }
done
command -v ogr2ogr >/dev/null && command -v ogrinfo >/dev/null ||
	{ echo "FAIL: gdal-bin missing: run scripts/deps.sh"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$VIGIL" agreement from-control-map --controlled "$DS" --country "$NE" \
	--effective 2025-08-11T00:00:00Z --name "DeepState 2025-08-11" > "$T/ag.geojson"
"$VIGIL" agreement check "$T/ag.geojson" > /dev/null
"$VIGIL" agreement place "$T/ag.geojson" "$FIRMS" > "$T/vigil.csv"

ogr2ogr -f SQLite -dsco SPATIALITE=YES "$T/g.sqlite" "$T/ag.geojson" -nln agreement
ogr2ogr -update "$T/g.sqlite" "$FIRMS" -nln firms -a_srs EPSG:4326 \
	-oo X_POSSIBLE_NAMES=longitude -oo Y_POSSIBLE_NAMES=latitude
LINE="(SELECT GEOMETRY FROM agreement WHERE id = 'contact-line')"
ogrinfo -ro -q "$T/g.sqlite" -sql "SELECT f.ogc_fid AS fid,
  CASE WHEN f.longitude < 36
       THEN ST_Distance(ST_Transform(f.GEOMETRY, 32636), ST_Transform($LINE, 32636))
       ELSE ST_Distance(ST_Transform(f.GEOMETRY, 32637), ST_Transform($LINE, 32637)) END AS d_utm,
  ST_Distance(f.GEOMETRY, $LINE, 1) AS d_ell,
  (SELECT substr(s.id, 6) FROM agreement s WHERE s.id LIKE 'side-%'
     AND ST_Within(f.GEOMETRY, s.GEOMETRY)) AS side
  FROM firms f ORDER BY f.ogc_fid" |
	awk '/d_utm \(/{u=$4} /d_ell \(/{e=$4} /side \(/{s=$4; if (s == "(null)") s = ""; print u "," e "," s}' \
	> "$T/gdal.csv"

n_v=$(($(wc -l < "$T/vigil.csv") - 1))
n_g=$(wc -l < "$T/gdal.csv")
[ "$n_v" -eq "$n_g" ] || { echo "FAIL: $n_v points from vigil, $n_g from GDAL"; exit 1; }
[ "$n_v" -gt 100 ] || { echo "FAIL: only $n_v points"; exit 1; }

tail -n +2 "$T/vigil.csv" | paste -d, - "$T/gdal.csv" | awk -F, '
	# vigil: lat,lon,time,side,dist,sigma,p1,p2 | gdal: d_utm,d_ell,side
	{ n++; d = $5; u = $9; e = $10; gs = $11; vs = $4
	  rel = (d > 0 || u > 0) ? (d > u ? d - u : u - d) / (d > u ? d : u) : 0
	  if (rel > worst) worst = rel
	  erel = (d > 0) ? (d > e ? d - e : e - d) / d : 0
	  if (erel > eworst) eworst = erel
	  if (d > 100 && vs != gs) { bad_side++; print "side differs: " $0 }
	  if (rel > 0.005 && (d > u ? d - u : u - d) > 1) { bad_d++; print "distance differs: " $0 }
	  if (d <= 100) near++
	  if (vs != "") sides[vs]++ }
	END {
	  printf "%d points (%d within 100 m of the line); sides:", n, near
	  for (s in sides) printf " %s %d", s, sides[s]
	  printf "\nworst distance difference vs GDAL UTM: %.3f%%; vs SpatiaLite ellipsoidal mode: %.1f%%\n", 100 * worst, 100 * eworst
	  if (bad_side || bad_d) { printf "FAIL: %d sides, %d distances differ\n", bad_side, bad_d; exit 1 }
	  print "OK" }'

# The same rows imported as external, unsigned observations: idempotent, and
# adjudicated as thermal no_fire items (possible: no signed sensor).
"$VIGIL" import firms "$FIRMS" --db "$T/r.db" 2> "$T/imp1"
"$VIGIL" import firms "$FIRMS" --db "$T/r.db" 2> "$T/imp2"
grep -q "$n_v new" "$T/imp1" || { echo "FAIL: first import"; cat "$T/imp1"; exit 1; }
grep -q " 0 new, $n_v already stored" "$T/imp2" || { echo "FAIL: re-import added rows"; cat "$T/imp2"; exit 1; }
# A file of new rows (the same, years later) ending in a bad one (FRP below
# zero): refused naming the line and the field, and none of it stored.
FRPC=$(head -1 "$FIRMS" | tr -d '\r' | tr ',' '\n' | grep -n '^frp$' | cut -d: -f1)
nl=$(wc -l < "$FIRMS")
{ head -1 "$FIRMS"; sed '1d' "$FIRMS" | sed 's/,20[0-9][0-9]-[0-9][0-9]-[0-9][0-9],/,2030-01-02,/'
  sed -n '2p' "$FIRMS" | awk -F, -v OFS=, -v c="$FRPC" '{ $c = "-1" } 1'; } > "$T/bad.csv"
rows() { sqlite3 "$T/r.db" 'SELECT count(*) FROM external_observations'; }
before=$(rows)
if "$VIGIL" import firms "$T/bad.csv" --db "$T/r.db" 2> "$T/imp3"; then
	echo "FAIL: a file with a bad row was imported"; exit 1
fi
grep -q "bad.csv:$((nl + 1)): frp = -1: want a number of MW" "$T/imp3" ||
	{ echo "FAIL: the refusal does not name the line and the field"; cat "$T/imp3"; exit 1; }
[ "$(rows)" = "$before" ] || { echo "FAIL: rows of a refused file were stored"; exit 1; }
jq '.agreement.rules = [{"id": "thermal", "type": "no_fire", "types": ["fire"], "min_reports": 1}]' \
	"$T/ag.geojson" > "$T/ag-rules.geojson"
"$VIGIL" adjudicate --db "$T/r.db" --agreement "$T/ag-rules.geojson" --out "$T/f.ndjson"
nf=$(wc -l < "$T/f.ndjson")
[ "$nf" -gt 0 ] && ! grep -qv '"grade":"possible"' "$T/f.ndjson" ||
	{ echo "FAIL: thermal findings ($nf) should all be possible"; exit 1; }
grep -q '"events":\["firms-' "$T/f.ndjson" || { echo "FAIL: findings do not name the FIRMS rows"; exit 1; }
echo "FIRMS import: $n_v rows, idempotent; $nf thermal findings"

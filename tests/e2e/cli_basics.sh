# End-to-end: keygen, sensor registry, ingest exit codes and summary, obs
# output formats, crash safety of ingest (SIGKILL mid-run, re-run).
. "$(dirname "$0")/lib/common.sh"
DB=$T/v.db

# keygen: two files, secret mode 0600, never overwritten
expect_exit 0 "keygen writes a key pair" "$VIGIL" keygen --out "$T/k1"
check "secret key is mode 0600" test "$(stat -c %a "$T/k1.key")" = 600
check "public key line printed" grep -q '^vigil-ed25519-public:' "$T/out"
expect_exit 3 "keygen refuses to overwrite" "$VIGIL" keygen --out "$T/k1"
expect_exit 2 "keygen without --out is a usage error" "$VIGIL" keygen

# sensor add / list / revoke
expect_exit 0 "sensor add" "$VIGIL" sensor add --db "$DB" --id ac-1 --owner NOR \
	--modality acoustic --pubkey "$T/k1.pub" --lat 48.0 --lon 37.7 --survey-sigma 2 \
	--timing-sigma 0.001 --release NOR,POL
expect_exit 1 "sensor add twice is refused" "$VIGIL" sensor add --db "$DB" --id ac-1 \
	--owner NOR --modality acoustic --pubkey "$T/k1.pub"
expect_exit 1 "small-order public key refused" "$VIGIL" sensor add --db "$DB" --id ac-2 \
	--owner NOR --modality acoustic --pubkey AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
check "message names the key problem" grep -q 'small-order' "$T/err"
expect_exit 1 "unknown modality refused" "$VIGIL" sensor add --db "$DB" --id ac-3 \
	--owner NOR --modality sonar --pubkey "$T/k1.pub"
expect_exit 0 "sensor list" "$VIGIL" sensor list --db "$DB"
check "list shows the sensor" grep -q '^ac-1 ' "$T/out"
expect_exit 0 "sensor list --json" "$VIGIL" sensor list --db "$DB" --json
check "json list has the pubkey" grep -q '"pubkey":"vigil-ed25519-public:' "$T/out"

# the test fixture: 8 sensors, 411 good observations, 10 bad lines, 1 duplicate
"$VG_BUILD/fixture" --dir "$T/fx" >/dev/null || bad "fixture"
expect_exit 0 "import the fixture's registry" "$VIGIL" sensor import --db "$T/fx.db" "$T/fx/registry.ndjson"
expect_exit 1 "ingest the fixture" "$VIGIL" ingest "$T/fx/observations.ndjson" --db "$T/fx.db"
check "everything good accepted, each bad line rejected" grep -q '411 accepted, 1 duplicates, 10 rejected' "$T/out"
"$VIGIL" sensor list --db "$T/fx.db" --json >"$T/reg.ndjson"
printf '{"id":"bad one"}\n' >>"$T/reg.ndjson"
expect_exit 1 "import with one bad line" "$VIGIL" sensor import --db "$T/imp.db" "$T/reg.ndjson"
check "bad line named with its line number" grep -q 'reg.ndjson:9:' "$T/err"
check "import summary" grep -q '8 enrolled, 0 unchanged, 1 rejected' "$T/out"
expect_exit 1 "re-import: unchanged, not errors" "$VIGIL" sensor import --db "$T/imp.db" "$T/reg.ndjson"
check "re-import summary" grep -q '0 enrolled, 8 unchanged, 1 rejected' "$T/out"

# ingest exit codes and summary
OBS=$T/fx/observations.ndjson
head -n 411 "$OBS" >"$T/good.ndjson"
expect_exit 0 "ingest of good lines exits 0" "$VIGIL" ingest "$T/good.ndjson" --db "$T/imp.db" --json
check "json summary counts" grep -q '"accepted":411' "$T/out"
expect_exit 0 "re-ingest: duplicates only, exit 0" "$VIGIL" ingest "$T/good.ndjson" --db "$T/imp.db"
check "summary says duplicates" grep -q '411 duplicates' "$T/out"
expect_exit 1 "ingest with bad lines exits 1" "$VIGIL" ingest --db "$T/imp.db" "$OBS"
check "rejection names file and line" grep -q 'observations.ndjson:415: out_of_range: payload: detection.lat = 91.5' "$T/err"
expect_exit 1 "ingest from stdin" sh -c "tail -n 3 '$OBS' | '$VIGIL' ingest --db '$T/imp.db' -"
expect_exit 3 "missing input file is fatal" "$VIGIL" ingest /nonexistent --db "$T/imp.db"
expect_exit 3 "ingest does not create a store" "$VIGIL" ingest /dev/null --db "$T/typo.db"
check "no store was created" test ! -e "$T/typo.db"
expect_exit 2 "a NaN box is a usage error" "$VIGIL" obs --db "$T/imp.db" --bbox nan,1,2,3
expect_exit 2 "unknown option is a usage error" "$VIGIL" ingest --frobnicate

# revoke: later observations of that sensor are refused
"$VIGIL" sensor revoke --db "$T/imp.db" ac-0001 >/dev/null
grep '"keyid":"ac-0001"' "$OBS" | head -n 1 >"$T/one.ndjson"
expect_exit 1 "revoked sensor's observation rejected" "$VIGIL" ingest "$T/one.ndjson" --db "$T/imp.db"
# (it is a duplicate if already stored; check with a fresh db holding the registry)
"$VIGIL" sensor import --db "$T/rev.db" "$T/reg.ndjson" >/dev/null 2>&1 || true
"$VIGIL" sensor revoke --db "$T/rev.db" ac-0001 >/dev/null
expect_exit 1 "revoked sensor refused on a fresh store" "$VIGIL" ingest "$T/one.ndjson" --db "$T/rev.db"
check "reason is revoked_sensor" grep -q 'revoked_sensor' "$T/err"

# obs read-back in three formats
expect_exit 0 "obs ndjson" "$VIGIL" obs --db "$T/imp.db" --kind fire
check "20 fire envelopes" test "$(wc -l <"$T/out")" -eq 20
cp "$T/out" "$T/fire.ndjson"
expect_exit 0 "obs re-ingestable (duplicates)" "$VIGIL" ingest "$T/fire.ndjson" --db "$T/imp.db"
check "all 20 duplicates" grep -q '20 duplicates' "$T/out"
expect_exit 0 "obs csv" "$VIGIL" obs --db "$T/imp.db" --format csv --kind coverage
check "csv header" grep -q '^id,log_index,sensor,seq,kind,time,time_end,received,lat,lon,observation$' "$T/out"
check "csv rows" test "$(wc -l <"$T/out")" -eq 42
expect_exit 0 "obs geojson with bbox and time" "$VIGIL" obs --db "$T/imp.db" --format geojson \
	--bbox 37.5,47.9,38.0,48.1 --from 2026-03-01T04:00:00Z --until 2026-03-01T04:30:00Z
cp "$T/out" "$T/obs.geojson"
# GDAL, a parser nobody here wrote, reads the GeoJSON (scripts/deps.sh installs gdal-bin)
check "GDAL opens the GeoJSON" sh -c "ogrinfo -ro -so -al '$T/obs.geojson' >'$T/ogr' 2>&1"
check "GDAL counts features" grep -q 'Feature Count: [1-9]' "$T/ogr"
expect_exit 2 "bad bbox is a usage error" "$VIGIL" obs --db "$T/imp.db" --bbox 1,2,3
expect_exit 2 "bad time is a usage error" "$VIGIL" obs --db "$T/imp.db" --from 2026-02-30T00:00:00Z
check "time error names the day" grep -q 'day 30' "$T/err"

# a slow producer: the first line is acknowledged while the pipe stays open
printf 'not json\n' >"$T/slow.ndjson"
"$VIGIL" sensor import --db "$T/slow.db" "$T/fx/registry.ndjson" >/dev/null
(cat "$T/slow.ndjson"; sleep 4) | "$VIGIL" ingest --db "$T/slow.db" - >/dev/null 2>&1 &
sleep 2
check "a line from a still-open pipe is processed without waiting for more" \
	test "$(sqlite3 "$T/slow.db" 'SELECT count(*) FROM rejections')" -eq 1
wait

finish

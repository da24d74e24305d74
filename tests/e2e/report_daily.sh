# End-to-end: `vigil report daily` and GET /v1/reports/daily. test-small
# with the rules of rules_minsk2.json is simulated, ingested, fused and
# adjudicated (events: fusion's plus the truth's locatable launches and
# impacts, as in server_findings.sh). The day's report is checked with
# python3's HTML parser, with strict nesting on top (every element closed
# in order, void elements only as void): well-formed; no script, link,
# image, frame or object; no src/href that leaves the page; no CSS url().
# Its counts are re-derived independently: findings per rule and grade from
# `vigil findings` over the NDJSON, events per type from `vigil events`,
# areas with a ray-casting point-in-polygon over the agreement (and the
# 0.25 degree grid without one), unobserved shares from `vigil coverage`,
# the anchor from `vigil log checkpoint`. Two runs are byte-identical; the
# next day's "previous day" column is this day's; text is escaped; bad
# dates are refused naming `date`; a wrong log key or a corrupt log is
# refused; a store without a log says it is not anchored. The server
# returns the CLI's bytes (members and auditors), 401 without a token, 403
# for a sensor token, 400 for bad dates.
. "$(dirname "$0")/lib/common.sh"
command -v curl >/dev/null || { echo "curl missing (scripts/deps.sh)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing (scripts/deps.sh)"; exit 1; }
SC=$VG_SRC/scenarios/test-small.json
RULES=$VG_SRC/tests/e2e/rules_minsk2.json
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

expect_exit 0 "report --help" "$VIGIL" report daily --help
check "help has an example" grep -q 'vigil report daily --db' "$T/out"
expect_exit 2 "report without a kind" "$VIGIL" report
expect_exit 2 "an unknown report" "$VIGIL" report weekly --db "$T/none.db" --date 2026-03-01

sim_agreement "$T"
DB=$T/v.db
store_ingest "$T"
fused_events "$T"
expect_exit 0 "adjudicate" "$VIGIL" adjudicate --db "$DB" --agreement "$T/ag.geojson" \
	--events "$T/events.ndjson" --with-radar --out "$T/f.ndjson"

D=$(jq -r .start "$SC" | cut -c1-10)
D2=$(date -u -d "$D + 1 day" +%F)
FROM=${D}T00:00:00Z
UNTIL=${D}T23:59:59.999999999Z
"$VIGIL" findings "$T/f.ndjson" --from "$FROM" --until "$UNTIL" >"$T/day.ndjson"
"$VIGIL" events --db "$DB" --from "$FROM" --until "$UNTIL" >"$T/day-events.ndjson"
NF=$(wc -l <"$T/day.ndjson")
NE=$(wc -l <"$T/day-events.ndjson")
check "the day has findings ($NF) and events ($NE)" [ "$NF" -gt 2 ] && [ "$NE" -gt 2 ]
check "the day has more than one rule" [ "$(jq -r .rule "$T/day.ndjson" | sort -u | wc -l)" -gt 1 ]

expect_exit 0 "report (agreement)" "$VIGIL" report daily --db "$DB" --date "$D" --agreement "$T/ag.geojson" \
	--out "$T/r1.html"
expect_exit 0 "report again" "$VIGIL" report daily --db "$DB" --date "$D" --agreement "$T/ag.geojson" \
	--out "$T/r2.html"
check "two runs are byte-identical" cmp -s "$T/r1.html" "$T/r2.html"
expect_exit 0 "report to standard output" "$VIGIL" report daily --db "$DB" --date "$D" --agreement "$T/ag.geojson"
check "standard output is the same bytes" cmp -s "$T/out" "$T/r1.html"
expect_exit 0 "report without an agreement" "$VIGIL" report daily --db "$DB" --date "$D" --out "$T/r0.html"
expect_exit 0 "the next day's report" "$VIGIL" report daily --db "$DB" --date "$D2" --agreement "$T/ag.geojson" \
	--out "$T/rn.html"
expect_exit 0 "--generated-at" "$VIGIL" report daily --db "$DB" --date "$D" --agreement "$T/ag.geojson" \
	--generated-at 2026-03-02T06:00:00+01:00 --out "$T/rg.html"
check "--generated-at is printed (UTC) and is the only difference" sh -c \
	"grep -q 'generated 2026-03-02 05:00:00 UTC' '$T/rg.html' &&
	 [ \"\$(diff '$T/r1.html' '$T/rg.html' | grep -c '^[<>]')\" = 2 ]"

# The checker: well-formed, self-contained; prints the page's data-k cells,
# the checkpoint text and the finding rows as JSON.
cat >"$T/check.py" <<'EOF'
import json, re, sys
from html.parser import HTMLParser
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BANNED = {"script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source",
          "base", "image", "use", "foreignobject", "form", "input", "picture", "track", "portal"}
URL_ATTRS = {"src", "href", "xlink:href", "action", "formaction", "poster", "srcset", "data",
             "background", "ping", "manifest", "cite", "longdesc", "usemap", "codebase"}
class P(HTMLParser):
    def __init__(s):
        super().__init__(convert_charrefs=True)
        s.stack, s.errors, s.data, s.cur, s.text = [], [], {}, None, {}
        s.rows, s.in_pre, s.doctype, s.wd, s.wd_cur = [], False, False, {}, None
    def handle_decl(s, d):
        s.doctype = s.doctype or d.lower() == "doctype html"
    def attrs_ok(s, tag, attrs):
        if tag in BANNED:
            s.errors.append("banned element <%s>" % tag)
        for k, v in attrs:
            if k in URL_ATTRS and not (v or "").startswith("#"):
                s.errors.append("<%s %s=%r> leaves the page" % (tag, k, v))
            if k.startswith("on"):
                s.errors.append("<%s %s> event handler" % (tag, k))
            if k == "style" and re.search(r"url\(|@import|expression", v or "", re.I):
                s.errors.append("<%s style=%r>" % (tag, v))
        d = dict(attrs)
        if "data-k" in d:
            s.cur = d["data-k"]
            s.text[s.cur] = ""
        if tag == "tr" and d.get("id", "").startswith("f-"):
            s.rows.append(d["id"])
        if tag == "tr" and "data-wd" in d:
            s.wd_cur = d["data-wd"]
            s.wd[s.wd_cur] = []
        if tag == "time" and s.wd_cur:
            s.wd[s.wd_cur].append(d.get("datetime"))
        if tag == "pre" and d.get("id") == "checkpoint":
            s.in_pre = True
            s.pre = ""
        if "id" in d:
            s.data.setdefault("ids", []).append(d["id"])
    def handle_starttag(s, tag, attrs):
        s.attrs_ok(tag, attrs)
        if tag not in VOID:
            s.stack.append(tag)
    def handle_startendtag(s, tag, attrs):
        s.attrs_ok(tag, attrs)
        if tag in VOID or s.stack and "svg" in s.stack:
            return
        s.errors.append("<%s/> outside SVG" % tag)
    def handle_endtag(s, tag):
        if tag in VOID:
            s.errors.append("end tag of void <%s>" % tag)
        elif not s.stack or s.stack[-1] != tag:
            s.errors.append("</%s> closes <%s>" % (tag, s.stack[-1] if s.stack else "nothing"))
        else:
            s.stack.pop()
        s.cur = None
        if tag == "tr":
            s.wd_cur = None
        if tag == "pre":
            s.in_pre = False
    def handle_data(s, d):
        if s.cur is not None:
            s.text[s.cur] += d
        if s.in_pre:
            s.pre += d
raw = open(sys.argv[1], "rb").read()
doc = raw.decode("utf-8")  # strict: raises on invalid UTF-8
p = P()
p.feed(doc)
p.close()
if p.stack:
    p.errors.append("unclosed: %s" % p.stack)
if not p.doctype:
    p.errors.append("no <!DOCTYPE html>")
if re.search(r"https?:|url\(|@import|<script", doc, re.I):
    p.errors.append("a URL scheme, CSS url()/@import or a script in the text")
ids = p.data.get("ids", [])
if len(ids) != len(set(ids)):
    p.errors.append("duplicate ids")
for k, v in p.text.items():
    if not re.fullmatch(r"[0-9]+(\.[0-9])?", v.strip()):
        p.errors.append("data-k %s = %r is not a number" % (k, v))
print(json.dumps({"errors": p.errors, "k": {k: v.strip() for k, v in p.text.items()},
                  "checkpoint": getattr(p, "pre", None), "rows": p.rows, "wd": p.wd}))
EOF
for f in r1 r0 rn rg; do
	python3 "$T/check.py" "$T/$f.html" >"$T/$f.json" 2>"$T/$f.pyerr" || true
	check "$f.html: parses, well-formed, self-contained" sh -c \
		"[ -s '$T/$f.json' ] && [ \"\$(jq '.errors | length' '$T/$f.json')\" = 0 ]"
	jq -r '.errors[]' "$T/$f.json" 2>/dev/null | head -5
	head -5 "$T/$f.pyerr"
done
k() { jq -r --arg k "$2" '.k[$k] // "missing"' "$T/$1.json"; }

# Findings by rule and grade = `vigil findings` over the day.
for rule in no_fire withdrawal no_fly disengagement no_new_fortification; do
	for g in confirmed probable possible; do
		want=$(jq -r --arg r $rule --arg g $g 'select(.rule == $r and .grade == $g) | .id' "$T/day.ndjson" | wc -l)
		got=$(k r1 "rule/$rule/$g")
		[ "$got" = "$want" ] || bad "rule $rule grade $g: report $got, vigil findings $want"
	done
	want=$(jq -r --arg r $rule 'select(.rule == $r) | .id' "$T/day.ndjson" | wc -l)
	check "findings $rule: $want" [ "$(k r1 "rule/$rule/total")" = "$want" ]
	check "the next day's previous-day column for $rule is this day's ($want)" \
		[ "$(k rn "rule/$rule/yesterday")" = "$want" ]
done
check "all findings: $NF" [ "$(k r1 rule/all/total)" = "$NF" ]
check "no findings the day before" [ "$(k r1 rule/all/yesterday)" = 0 ]
jq -r .id "$T/day.ndjson" >"$T/ids.day"
check "one row per finding of the day, in order" sh -c "jq -r '.rows[]' '$T/r1.json' | cmp -s - '$T/ids.day'"
NEXT=$("$VIGIL" findings "$T/f.ndjson" --from "${D2}T00:00:00Z" --until "${D2}T23:59:59.999999999Z" | wc -l)
check "the next day's findings: $NEXT" [ "$(k rn rule/all/total)" = "$NEXT" ]

# Events by type = `vigil events` over the day; "cited" = named by a finding of the day.
for t in launch impact explosion; do
	want=$(jq -r --arg t $t 'select(.type == $t) | .id' "$T/day-events.ndjson" | wc -l)
	check "events $t: $want" [ "$(k r1 "event/$t/today")" = "$want" ]
	check "the next day's previous-day column for $t" [ "$(k rn "event/$t/yesterday")" = "$want" ]
done
check "all events: $NE" [ "$(k r1 event/all/today)" = "$NE" ]
jq -r '.events[]' "$T/day.ndjson" | sort -u >"$T/cited.ids"
jq -r .id "$T/day-events.ndjson" | sort >"$T/day-events.ids"
CITED=$(comm -12 "$T/cited.ids" "$T/day-events.ids" | wc -l)
check "events cited by a finding of the day: $CITED" [ "$(k r1 event/all/cited)" = "$CITED" ]

# Areas: ray casting over the agreement's sides and zones; the grid without one.
cat >"$T/areas.py" <<'EOF'
import json, math, sys
ag = json.load(open(sys.argv[1]))
pts = [json.loads(l) for l in open(sys.argv[2])]
evs = [json.loads(l) for l in open(sys.argv[3])]
with_ag = json.load(open(sys.argv[4]))["k"]
without = json.load(open(sys.argv[5]))["k"]
def inring(x, y, r):
    c = False
    for i in range(len(r) - 1):
        (x1, y1), (x2, y2) = r[i][:2], r[i + 1][:2]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            c = not c
    return c
def inpoly(x, y, g):
    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    return any(inring(x, y, p[0]) and not any(inring(x, y, h) for h in p[1:]) for p in polys)
bad, n = [], 0
for f in ag["features"]:
    if f["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
        continue
    for what, items in (("findings", pts), ("events", evs)):
        k = "area/%s/%s" % (f["id"], what)
        want = sum(inpoly(p["lon"], p["lat"], f["geometry"]) for p in items)
        n += 1
        if with_ag.get(k) != str(want):
            bad.append("%s: report %s, ray casting %d" % (k, with_ag.get(k), want))
def cell(lat, lon):
    a, o = math.floor(lat / 0.25) * 0.25, math.floor(lon / 0.25) * 0.25
    return "%.2f%s %.2f%s" % (abs(a), "S" if a < 0 else "N", abs(o), "W" if o < 0 else "E")
grid = {}
for what, items in (("findings", pts), ("events", evs)):
    for p in items:
        c = cell(p["lat"], p["lon"])
        grid.setdefault(c, {"findings": 0, "events": 0})[what] += 1
got = {k.split("/")[1] for k in without if k.startswith("area/")}
if got != set(grid):
    bad.append("grid cells: report %s, python %s" % (sorted(got), sorted(grid)))
for c, v in grid.items():
    for what in ("findings", "events"):
        n += 1
        if without.get("area/%s/%s" % (c, what)) != str(v[what]):
            bad.append("cell %s %s: report %s, python %d" % (c, what, without.get("area/%s/%s" % (c, what)), v[what]))
print("\n".join(bad) if bad else "ok %d" % n)
EOF
python3 "$T/areas.py" "$T/ag.geojson" "$T/day.ndjson" "$T/day-events.ndjson" "$T/r1.json" "$T/r0.json" \
	>"$T/areas.out" 2>&1 || true
check "areas: findings and events per side, zone and grid cell as Python counts them ($(head -1 "$T/areas.out"))" \
	grep -q '^ok [1-9]' "$T/areas.out"
grep -v '^ok' "$T/areas.out" | head -5

# Weapons in violation of withdrawal lines = the day's withdrawal findings.
WD=$(jq -r 'select(.rule == "withdrawal") | .id' "$T/day.ndjson" | wc -l)
WN=$(jq -s '[.[] | select(.rule == "withdrawal") | .count] | add // 0' "$T/day.ndjson")
check "withdrawal findings $WD, weapons $WN" sh -c \
	"[ '$(k r1 wd/all/findings)' = '$WD' ] && [ '$(k r1 wd/all/weapons)' = '$WN' ]"
for id in $(jq -r 'select(.rule == "withdrawal") | .id' "$T/day.ndjson"); do
	[ "$(k r1 "wd/$id/count")" = "$(jq -r --arg i "$id" 'select(.id == $i) | .count' "$T/day.ndjson")" ] ||
		bad "weapons of $id"
done

# Weapons seen in violation of withdrawal lines, on a day that has some:
# the withdrawal scenario (24 h: detections and satellite changes only).
W=$T/w
expect_exit 0 "sim withdrawal" "$VIGIL" sim "$VG_SRC/scenarios/withdrawal.json" --seed 7 --out "$W" --threads 2
expect_exit 0 "withdrawal: sensor import" "$VIGIL" -q sensor import --db "$W.db" "$W/sensors.ndjson"
expect_exit 0 "withdrawal: ingest" "$VIGIL" -q ingest "$W/observations.ndjson" --db "$W.db"
expect_exit 0 "withdrawal: adjudicate" "$VIGIL" adjudicate --db "$W.db" --agreement "$W/agreement.geojson" \
	--out "$W/f.ndjson"
"$VIGIL" findings "$W/f.ndjson" --from "$FROM" --until "$UNTIL" --rule withdrawal >"$W/wd.ndjson"
WD=$(wc -l <"$W/wd.ndjson")
check "withdrawal findings on the day ($WD)" [ "$WD" -gt 1 ]
expect_exit 0 "withdrawal: report" "$VIGIL" report daily --db "$W.db" --date "$D" --agreement "$W/agreement.geojson" \
	--out "$W/r.html"
python3 "$T/check.py" "$W/r.html" >"$W/r.json" || true
check "withdrawal: parses, well-formed, self-contained" sh -c "[ \"\$(jq '.errors | length' '$W/r.json')\" = 0 ]"
WN=$(jq -s '[.[].count] | add' "$W/wd.ndjson")
check "withdrawal: $WD findings, $WN weapons" sh -c \
	"[ \"\$(jq -r '.k[\"wd/all/findings\"]' '$W/r.json')\" = $WD ] && [ \"\$(jq -r '.k[\"wd/all/weapons\"]' '$W/r.json')\" = $WN ]"
# each row: its weapons, first and last seen; rows sorted by class, then first seen
jq -r '[.class, .from, .id, .count, .from, .until] | @tsv' "$W/wd.ndjson" | LC_ALL=C sort | cut -f3- >"$W/wd.want"
jq -r '.wd | to_entries[] | [.key, $k["wd/\(.key)/count"], .value[0], .value[1]] | @tsv' \
	--argjson k "$(jq .k "$W/r.json")" "$W/r.json" >"$W/wd.got"
check "withdrawal: every row's weapons, first and last seen are the finding's, by class" cmp -s "$W/wd.got" "$W/wd.want"

# Restrictions: unobserved shares = `vigil coverage` over the day.
expect_exit 0 "vigil coverage over the day" "$VIGIL" coverage --db "$DB" --agreement "$T/ag.geojson" \
	--from "$FROM" --until "$UNTIL" --json
jq -r 'if .kind == "withdrawal_belt" then "belt/\(.area)/\(.party)/unobserved \(.unobserved_share * 100 * 10 | round / 10)"
	else "cov/\(.area)/unobserved \(.unobserved_share * 100 * 10 | round / 10)" end' "$T/out" >"$T/cov.want"
check "withdrawal belts among them (one per rule and party)" [ "$(grep -c '^belt/' "$T/cov.want")" = 8 ]
: >"$T/cov.got"
while read -r key want; do
	got=$(k r1 "$key")
	# both rounded to 0.1 from the same share: they may differ by one step
	[ "$got" != missing ] && awk -v a="$got" -v b="$want" 'BEGIN { exit !(a - b <= 0.1001 && b - a <= 0.1001) }' ||
		echo "$key report $got coverage $want" >>"$T/cov.got"
done <"$T/cov.want"
check "unobserved shares of $(wc -l <"$T/cov.want") areas as vigil coverage gives them" \
	sh -c "[ ! -s '$T/cov.got' ] && [ -s '$T/cov.want' ]"
cat "$T/cov.got"

# The anchor is the log's checkpoint.
expect_exit 0 "vigil log checkpoint" "$VIGIL" log checkpoint --dir "$DB.log"
cp "$T/out" "$T/checkpoint"
jq -j .checkpoint "$T/r1.json" >"$T/checkpoint.page"
check "the page's checkpoint is the log's, byte for byte" cmp -s "$T/checkpoint.page" "$T/checkpoint"
check "and the file's" cmp -s "$T/checkpoint.page" "$DB.log/checkpoint"
check "its size is printed" [ "$(k r1 log/size/entries)" = "$(sed -n 2p "$T/checkpoint")" ]
check "its root is printed" grep -q "<code id=\"root-b64\">$(sed -n 3p "$T/checkpoint")</code>" "$T/r1.html"
check "how to verify is there" grep -q 'vigil log prove-inclusion' "$T/r1.html"

# Escaping: an agreement whose name is markup.
jq '.agreement.name = "Q <script>alert(1)</script> & \"co\" <img src=x>"' "$T/ag.geojson" >"$T/ag-x.geojson"
expect_exit 0 "report with a hostile agreement name" "$VIGIL" report daily --db "$DB" --date "$D" \
	--agreement "$T/ag-x.geojson" --out "$T/rx.html"
python3 "$T/check.py" "$T/rx.html" >"$T/rx.json" || true
check "the name is escaped, no element made of it" sh -c \
	"[ \"\$(jq '.errors | length' '$T/rx.json')\" = 0 ] && grep -q 'Q &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot; &lt;img src=x&gt;' '$T/rx.html'"

# Bad input.
for d in 2026-02-30 yesterday "" 2026-3-1 "2026-03-01T00:00:00Z" 1677-09-21; do
	expect_exit 2 "date '$d' refused" "$VIGIL" report daily --db "$DB" --date "$d"
	check "the message names date" grep -q 'date' "$T/err"
done
expect_exit 2 "--date missing" "$VIGIL" report daily --db "$DB"
expect_exit 2 "a broken agreement refused" "$VIGIL" report daily --db "$DB" --date "$D" --agreement "$T/s/sensors.ndjson"
expect_exit 3 "a missing store" "$VIGIL" report daily --db "$T/none.db" --date "$D"
check "no store created" test ! -e "$T/none.db"
# a store without its log: not anchored, said so
sqlite3 "$DB" ".backup '$T/bare.db'"
expect_exit 0 "a store without a log" "$VIGIL" report daily --db "$T/bare.db" --date "$D" --out "$T/bare.html"
check "says it is not anchored" grep -q 'not anchored' "$T/bare.html"
# another key under the store's log: the checkpoint's signature fails
sqlite3 "$DB" ".backup '$T/k.db'"
cp -r "$DB.log" "$T/k.db.log"
ORIGIN=$(head -1 "$T/checkpoint")
expect_exit 0 "another log key of the same name" "$VIGIL" log init --dir "$T/other.log" --origin "$ORIGIN" --key "$T/k.db.logkey"
expect_exit 1 "a checkpoint the log key did not sign is refused" "$VIGIL" report daily --db "$T/k.db" --date "$D"
check "the message names the checkpoint" grep -q 'checkpoint' "$T/err"
# a corrupt log: the checkpoint's root does not match the tiles
sqlite3 "$DB" ".backup '$T/c.db'"
cp -r "$DB.log" "$T/c.db.log"
cp "$DB.logkey" "$T/c.db.logkey"
awk 'NR == 3 { $0 = (substr($0, 1, 1) == "A" ? "B" : "A") substr($0, 2) } { print }' "$DB.log/checkpoint" \
	>"$T/c.db.log/checkpoint"
expect_exit 3 "a corrupt log is refused" "$VIGIL" report daily --db "$T/c.db" --date "$D"

# The server: the same bytes.
tok() { "$VIGIL" token create --db "$DB" --member "$1" --role "$2" 2>/dev/null; }
A=$(tok A member); AUD=$(tok UN auditor); SEN=$(tok A sensor)
"$VIGIL" serve --db "$DB" --listen 127.0.0.1:0 --agreement "$T/ag.geojson" --rate 1000 --burst 1000 \
	>"$T/serve.out" 2>"$T/serve.err" &
SRV_PID=$!
for i in $(seq 100); do grep -q listening "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { bad "server started"; cat "$T/serve.err"; finish; }
ok "server listening on port $PORT"
U=http://127.0.0.1:$PORT
code() { # code TOKEN PATH: print the HTTP status; body in $T/body, headers in $T/hdr
	if [ -n "$1" ]; then
		curl -s -g -D "$T/hdr" -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" "$U$2"
	else
		curl -s -g -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$U$2"
	fi
}
want() { # want STATUS "desc" TOKEN PATH
	got=$(code "$3" "$4")
	if [ "$got" = "$1" ]; then ok "$2 ($got)"; else bad "$2: got $got, want $1"; head -c 300 "$T/body"; echo; fi
}
# the log may have grown when the server started (adopted publications): render now
expect_exit 0 "the CLI's page while the server runs" "$VIGIL" report daily --db "$DB" --date "$D" \
	--agreement "$T/ag.geojson" --out "$T/cli.html"
want 200 "member" "$A" "/v1/reports/daily?date=$D"
check "the server's page is the CLI's, byte for byte" cmp -s "$T/body" "$T/cli.html"
check "Content-Type text/html; charset=utf-8" grep -qi '^content-type: text/html; charset=utf-8' "$T/hdr"
check "a Content-Security-Policy forbids loading anything" grep -qi "^content-security-policy: default-src 'none'" "$T/hdr"
want 200 "auditor" "$AUD" "/v1/reports/daily?date=$D"
check "the auditor's page is the same" cmp -s "$T/body" "$T/cli.html"
want 403 "a sensor token may not read reports" "$SEN" "/v1/reports/daily?date=$D"
want 401 "no token" "" "/v1/reports/daily?date=$D"
for d in 2026-02-30 yesterday "" 2026-03-1 "2026-03-01%00"; do
	want 400 "date '$d'" "$A" "/v1/reports/daily?date=$d"
	check "the message names date" grep -q 'parameter date' "$T/body"
done
want 400 "no date" "$A" "/v1/reports/daily"
check "the message names date" grep -q 'parameter date' "$T/body"
want 400 "an unknown parameter" "$A" "/v1/reports/daily?date=$D&format=pdf"
want 400 "a repeated date" "$A" "/v1/reports/daily?date=$D&date=$D"
want 200 "still serving" "$AUD" "/v1/reports/daily?date=$D2"
finish

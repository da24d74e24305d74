#!/bin/sh
# attribution.sh BUILD [SEEDS...]: are attribution probabilities calibrated
# where it matters, at the contact line? The shipped scenarios fire from
# kilometres behind the line, so every finding there says p = 1; this
# bench fires from metres away from it.
#
# The scenario is `quiet` (its front, sensors and forces) with its
# violations replaced by 240 single-mortar fire missions, one every 6
# minutes over the day, parties alternating, each of 3 rounds from a
# place drawn uniformly along the front (5-115 km) and 0.2-6 m from the
# contact line on the firing party's side (fusion locates a launch to
# about 1-2 m there, so p spreads over 0.5-1). The full pipeline runs:
# `vigil sim`, `sensor import`, `ingest`, `fuse --db`, `adjudicate --db
# --no-store`, `score --findings`, and the scorer's table "attribution by
# stated p_party" is printed: of the findings given p in a bin, the share
# whose party is right. Calibrated: the share lies in the bin.
#
# Prints figures; never fails on them (benchmarks do not gate CI).
# Example: sh bench/attribution.sh build 1 2 3 4 5 6 7 8 (about 5 s a seed)
set -eu
B=${1:?usage: attribution.sh BUILD [SEEDS...]}
shift
[ $# -gt 0 ] || set -- 1
. "$(dirname "$0")/lib.sh"
bench_setup attribution "attribution near the line"

python3 - "$SRC/scenarios/quiet.json" "$W/nearline.json" <<'PY'
import json, random, sys
s = json.load(open(sys.argv[1]))
r = random.Random(20261204)
s["name"] = "nearline"
s["description"] = ("quiet's sector, sensors and forces; 240 single-mortar fire missions "
                    "0.2-6 m from the contact line (bench/attribution.sh)")
v = []
for i in range(240):
    t = 300 + i * 360
    v.append({"type": "fire", "party": "AB"[i % 2], "class": "mortar",
              "at": "2026-03-01T%02d:%02d:%02dZ" % (t // 3600, t // 60 % 60, t % 60),
              "rounds": 3, "count": 1,
              "placement": {"along_km": round(r.uniform(5, 115), 3),
                            "distance_km": round(r.uniform(0.0002, 0.006), 5)}})
s["violations"] = v
json.dump(s, open(sys.argv[2], "w"), indent=1)
PY

for seed in "$@"; do
	D=$W/seed-$seed
	rm -rf "$D"
	L=$W/seed-$seed.log
	: >"$L"
	step "$L" "$V" -q sim "$W/nearline.json" --seed "$seed" --out "$D"
	step "$L" "$V" -q sensor import --db "$D/v.db" "$D/sensors.ndjson"
	step "$L" "$V" -q ingest "$D/observations.ndjson" --db "$D/v.db"
	step "$L" "$V" -q fuse --db "$D/v.db" --out "$D/events.ndjson"
	"$V" -q adjudicate --db "$D/v.db" --agreement "$D/agreement.geojson" --no-store >"$D/findings.ndjson"
	"$V" score --truth "$D/truth.json" --events "$D/events.ndjson" --findings "$D/findings.ndjson" >"$D/score.txt"
	"$V" score --truth "$D/truth.json" --findings "$D/findings.ndjson" --json >"$D/score.json"
	echo "== seed $seed"
	sed -n '/^  no_fire /p; /^  attribution /,/^    \[0.99/p' "$D/score.txt"
done

# the seeds pooled, with the binomial standard error of each bin's share
python3 - "$W" "$@" <<'PY'
import json, math, sys
w, seeds = sys.argv[1], sys.argv[2:]
bins = {}
for s in seeds:
    for b in json.load(open("%s/seed-%s/score.json" % (w, s)))["finding_attribution"]["p_party_bins"]:
        k = (b["lo"], b["hi"])
        n, r, sp = bins.get(k, (0, 0, 0.0))
        bins[k] = (n + b["n"], r + b["right"], sp + (b["mean_p"] or 0) * b["n"])
print("== seeds %s pooled: findings by stated p_party" % " ".join(seeds))
print("  %-14s %6s %6s %8s %8s %8s" % ("bin", "n", "right", "share", "+-1 se", "mean p"))
for (lo, hi), (n, r, sp) in sorted(bins.items()):
    if n:
        f = r / n
        print("  [%.2f, %.2f%s   %6d %6d %7.1f%% %7.1f%% %8.4f" % (lo, hi, "]" if hi >= 1 else ")", n, r, 100 * f,
                                                         100 * math.sqrt(f * (1 - f) / n), sp / n))
PY

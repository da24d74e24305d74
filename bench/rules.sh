#!/bin/sh
# rules.sh BUILD [SCENARIO...]: the rules' targets on the shipped scenarios
# (docs/rules.md, Measurements), through the whole pipeline a deployment
# runs, one seed after another (SEEDS, default "1"):
#
#   vigil sim SCENARIO --seed N            truth, sensors, signed observations
#   vigil sensor import, vigil ingest       a real SQLite store and log
#   vigil fuse --db                         located events, stored
#   vigil adjudicate --db --no-store --stats  findings; its wall time
#   vigil score --findings                  precision / recall per rule
#
# and prints, per run, the scorer's table per rule, attribution, the
# recall among the violations some sensor observed, the unobserved shares
# (sides, zones, withdrawal belts) and the adjudication's wall time; then
# one line per run and rule. The default scenarios are quiet and
# withdrawal (about 10 s a run); collapse takes about 6 minutes a run
# (fusion of 1.3 M observations).
#
# CLOUD=P runs each scenario with its cloud probability set to P (a copy
# of the scenario in the work directory, nothing else changed): with
# CLOUD=0 the sharp optical satellites see every place at every pass, which
# shows how much of what is missed is cloud (docs/rules.md, Measurements).
#
# Prints figures; never fails on them (benchmarks do not gate CI).
# Example: SEEDS="1 2 3 4" sh bench/rules.sh build quiet withdrawal collapse
set -eu
B=${1:?usage: rules.sh BUILD [SCENARIO...]}
shift
[ $# -gt 0 ] || set -- quiet withdrawal
. "$(dirname "$0")/lib.sh"
bench_setup rules "rules on the shipped scenarios"
now() { python3 -c 'import time; print("%.3f" % time.time())'; }
: >"$W/summary"
for sc in "$@"; do
	SC=$SRC/scenarios/$sc.json
	if [ -n "${CLOUD:-}" ]; then
		SC=$W/$sc-cloud.json
		python3 - "$SRC/scenarios/$sc.json" "$CLOUD" "$SC" <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
p = float(sys.argv[2])
if not 0 <= p <= 1:
    sys.exit("rules.sh: CLOUD must be a probability in [0, 1], not %s" % sys.argv[2])
s.setdefault("environment", {})["cloud_prob"] = p
json.dump(s, open(sys.argv[3], "w"), indent=1)
PY
		echo "== $sc with cloud_prob $CLOUD ($SC)"
	fi
	for seed in ${SEEDS:-1}; do
		D=$W/$sc-$seed
		rm -rf "$D"
		mkdir -p "$D"
		L=$W/$sc-$seed.log
		: >"$L"
		step "$L" "$V" -q sim "$SC" --seed "$seed" --out "$D"
		step "$L" "$V" -q sensor import --db "$D/v.db" "$D/sensors.ndjson"
		step "$L" "$V" -q ingest "$D/observations.ndjson" --db "$D/v.db"
		step "$L" "$V" -q fuse --db "$D/v.db" --out "$D/events.ndjson"
		t0=$(now)
		"$V" adjudicate --db "$D/v.db" --agreement "$D/agreement.geojson" --no-store --stats \
			>"$D/findings.ndjson" 2>"$D/adjudicate.err" || { cat "$D/adjudicate.err" >&2; exit 1; }
		t1=$(now)
		"$V" score --truth "$D/truth.json" --findings "$D/findings.ndjson" >"$D/score.txt"
		"$V" score --truth "$D/truth.json" --findings "$D/findings.ndjson" --json >"$D/score.json"
		echo "== $sc, seed $seed"
		sed -n '/^findings:/,/^  latency after/{/^  latency after/d;p;}' "$D/score.txt"
		sed -n 's/^\(coverage\|withdrawal belts\)/  &/p' "$D/adjudicate.err"
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  adjudicate --no-store: %.1f s wall\n", b - a }'
		python3 - "$D/score.json" "$sc" "$seed" >>"$W/summary" <<'PY'
import json, sys
s, sc, seed = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
obs = s.get("observed_violations", {})
for name, r in s["rules"].items():
    n = r["tp"] + r["fn"]
    if n == 0 and r["fp"] == 0:
        continue
    o = obs.get(name, {}) if isinstance(obs, dict) else {}
    f = lambda x: "   -" if x is None else "%.3f" % x
    print("%-10s %4s  %-21s %5d %5d %5d  %s  %s  %s" % (sc, seed, name, r["tp"], r["fp"], r["fn"],
          f(r.get("precision")), f(r.get("recall")),
          "%d of %d" % (o.get("found", 0), o.get("observed", 0)) if o else "-"))
PY
	done
done
echo "== summary: per run and rule (observed: found of the violations some sensor observed)"
printf '%-10s %4s  %-21s %5s %5s %5s  %-5s  %-5s  %s\n' scenario seed rule tp fp fn P R observed
cat "$W/summary"
# the seeds pooled, per scenario and rule
python3 - "$W/summary" <<'PY'
import sys
pool = {}
for line in open(sys.argv[1]):
    f = line.split()
    sc, rule, tp, fp, fn = f[0], f[2], int(f[3]), int(f[4]), int(f[5])
    found, observed = (int(f[8]), int(f[10])) if f[8] != "-" else (0, 0)
    p = pool.setdefault((sc, rule), [0, 0, 0, 0, 0, 0])
    for i, x in enumerate((tp, fp, fn, found, observed, 1)):
        p[i] += x
print("== the seeds pooled")
print("%-10s %-21s %5s %5s %5s %6s %6s  %-14s %s" % ("scenario", "rule", "tp", "fp", "fn", "P", "R", "observed", "runs"))
for (sc, rule), (tp, fp, fn, found, observed, runs) in pool.items():
    P = "%.3f" % (tp / (tp + fp)) if tp + fp else "    -"
    R = "%.3f" % (tp / (tp + fn)) if tp + fn else "    -"
    print("%-10s %-21s %5d %5d %5d %6s %6s  %-14s %d" % (sc, rule, tp, fp, fn, P, R, "%d of %d" % (found, observed), runs))
PY

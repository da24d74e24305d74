# bench/lib.sh - sourced by the pipeline benchmarks (attribution.sh, rules.sh).
#
# bench_setup NAME TITLE: V (the vigil binary of build $B), SRC (the source
# tree), W (the work directory: $VG_BENCH_DIR or a new one in /tmp); says
# where it works; needs python3 (scripts/deps.sh installs it).
bench_setup() {
	V=$B/vigil
	SRC=$(cd "$(dirname "$0")/.." && pwd)
	W=${VG_BENCH_DIR:-$(mktemp -d "/tmp/vigil-$1.XXXXXX")}
	mkdir -p "$W"
	echo "$2: work in $W"
	command -v python3 >/dev/null || { echo "$1: needs python3 (scripts/deps.sh)" >&2; exit 1; }
}

# step LOG CMD...: run a pipeline step, its chatter to LOG; on failure say
# which step and show the end of LOG.
step() {
	log=$1
	shift
	"$@" >>"$log" 2>&1 || { echo "failed: $*" >&2; tail -20 "$log" >&2; exit 1; }
}

#!/bin/sh
# log_go_interop.sh - an independent verifier nobody here wrote, Go's
# golang.org/x/mod/sumdb/note and sumdb/tlog (Debian golang-go +
# golang-golang-x-mod-dev), opens Vigil's signed checkpoints, reads its
# tiles, and accepts its inclusion and consistency proofs
# (tests/interop/go/vigilcheck.go). Missing Go is a FAILURE, not a skip.
set -eu
: "${VIGIL:?VIGIL must point to the vigil binary}"
: "${VG_SRC:?VG_SRC must point to the source tree}"

fail() { echo "log_go_interop: FAIL: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || fail "go is not installed (apt-get install golang-go)"
GOPATH=/usr/share/gocode
[ -d "$GOPATH/src/golang.org/x/mod/sumdb/tlog" ] ||
	fail "golang.org/x/mod is not installed (apt-get install golang-golang-x-mod-dev)"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export GOCACHE="$T/gocache" GO111MODULE=off GOPATH GOFLAGS= GOTOOLCHAIN=local
cd "$T"

go build -o vigilcheck "$VG_SRC/tests/interop/go/vigilcheck.go" || fail "cannot build vigilcheck"

"$VIGIL" log init --dir log --origin vigil.example/interop --key log.key > log.vkey
VK=$(cat log.vkey)

# Grow the log through sizes that exercise partial and full tiles at levels
# 0, 1 and 2 (70,000: the C2SP example), keeping each checkpoint.
gen() { # gen FROM TO: one entry per line, of varied lengths
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i < b; i++) {
		s = sprintf("{\"n\":%d,\"pad\":\"", i); for (k = 0; k < i % 97; k++) s = s "x";
		print s "\"}" } }'
}
prev=0
for size in 1 2 255 256 257 1000 65536 70000; do
	gen "$prev" "$size" | "$VIGIL" -q log append --dir log --key log.key --batch 5000 2>/dev/null ||
		fail "append to $size"
	cp log/checkpoint "cp.$size"
	"$VIGIL" log prove-consistency --dir log "$prev" "$size" --json > "cons.$size.json" 2>/dev/null ||
		[ "$prev" = 0 ] || fail "prove-consistency $prev $size"
	[ "$prev" = 0 ] && rm -f "cons.$size.json"
	prev=$size
done

# Go opens every kept checkpoint (older ones against the current tiles).
for size in 1 2 255 256 257 1000 65536; do
	./vigilcheck -dir log -vkey "$VK" -checkpoint "cp.$size" > "go.$size.out" ||
		fail "vigilcheck on the checkpoint of size $size: $(cat "go.$size.out")"
done

INCL=""
for spec in "0 1" "0 2" "1 2" "254 255" "255 256" "256 257" "999 1000" "0 70000" \
            "65535 70000" "65536 70000" "69999 70000" "12345 65536" "31337 70000"; do
	set -- $spec
	"$VIGIL" log prove-inclusion --dir log "$1" --size "$2" --json > "incl.$1.$2.json" ||
		fail "prove-inclusion $1 $2"
	INCL="$INCL,incl.$1.$2.json"
done
CONS=$(ls cons.*.json | tr '\n' ',')
for spec in "1 70000" "3 70000" "255 65536" "1000 65536" "70000 70000"; do
	set -- $spec
	"$VIGIL" log prove-consistency --dir log "$1" "$2" --json > "cons2.$1.$2.json" ||
		fail "prove-consistency $1 $2"
	CONS="$CONS,cons2.$1.$2.json"
done

# A witness cosigns; Go checks the cosignature/v1 line with crypto/ed25519.
"$VIGIL" witness key --key w.key --name witness.example/w1 > w.vkey
"$VIGIL" witness --state w.state --key w.key --log-key log.vkey --checkpoint log/checkpoint \
	--time 1767225600 > cosig.line || fail "witness cosign"
cat log/checkpoint cosig.line > cosigned

./vigilcheck -dir log -vkey "$VK" -incl "${INCL#,}" -cons "$CONS" \
	-witness "$(cat w.vkey)" -cosigned cosigned > go.out 2>&1 ||
	fail "vigilcheck: $(cat go.out)"
cat go.out
grep -q "all checks passed" go.out || fail "vigilcheck did not finish"
n=$(grep -c "tlog.CheckRecord: ok" go.out)
[ "$n" -eq 13 ] || fail "$n inclusion proofs checked, 13 expected"
n=$(grep -c "tlog.CheckTree: ok" go.out)
[ "$n" -eq 12 ] || fail "$n consistency proofs checked, 12 expected"

# And Go refuses a checkpoint Vigil's own verifier refuses.
sed 's/^70000$/70001/' log/checkpoint > forged
if ./vigilcheck -dir log -vkey "$VK" -checkpoint forged > /dev/null 2>&1; then
	fail "Go accepted a checkpoint with an altered size"
fi
echo "log_go_interop: ok"

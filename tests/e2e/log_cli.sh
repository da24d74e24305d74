#!/bin/sh
# log_cli.sh - `vigil log` and `vigil witness` end to end: a log is created,
# grown, proved and verified; then damaged copies (flipped bit, truncated or
# missing tile, reordered entries, forged signature, another log's key) must
# fail `vigil log verify` with exit 1 naming the file; witnesses refuse
# inconsistent checkpoints (split view, size going backwards, proofs with a
# hash too many or too few) and K-of-N finality is checked.
set -eu
: "${VIGIL:?VIGIL must point to the vigil binary}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail() { echo "log_cli: FAIL: $*" >&2; exit 1; }

# expect CODE CMD...: run CMD, which must exit with CODE; output in out/err.
expect() {
	want=$1
	shift
	set +e
	"$@" > out 2> err
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want: $(cat err)"
}
# flip FILE OFFSET: flip the low bit of one byte.
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# entries FROM TO: fixed-width lines "obs-000123" (10 bytes each).
entries() { i=$1; while [ "$i" -lt "$2" ]; do printf 'obs-%06d\n' "$i"; i=$((i + 1)); done; }

# ---- help, usage -----------------------------------------------------------
expect 0 "$VIGIL" log --help
grep -q "example" out || fail "log --help has no example"
expect 0 "$VIGIL" witness --help
grep -q "example" out || fail "witness --help has no example"
expect 2 "$VIGIL" log
expect 2 "$VIGIL" log frobnicate
expect 2 "$VIGIL" log init --dir x
expect 2 "$VIGIL" log prove-inclusion --dir x

# ---- create, grow, read ----------------------------------------------------
expect 0 "$VIGIL" log init --dir log --origin vigil.example/e2e --key log.key
cp out log.vkey
grep -q '^vigil.example/e2e+[0-9a-f]\{8\}+' log.vkey || fail "verifier key: $(cat log.vkey)"
[ "$(stat -c %a log.key)" = 600 ] || fail "log key mode $(stat -c %a log.key)"
grep -q '^PRIVATE+KEY+vigil.example/e2e+' log.key || fail "log key format"
expect 0 "$VIGIL" log key --key log.key
cmp -s out log.vkey || fail "log key prints another key"
expect 3 "$VIGIL" log init --dir log --origin vigil.example/e2e --key log.key # exists
expect 2 "$VIGIL" log init --dir log2 --origin vigil.example/other --key log.key

entries 0 700 > in1
expect 0 "$VIGIL" log append --dir log --key log.key --batch 300 in1
expect 0 "$VIGIL" log checkpoint --dir log
cp out cp.700
[ "$(sed -n 2p cp.700)" = 700 ] || fail "checkpoint size: $(cat cp.700)"
sed -n 5p cp.700 | grep -q '^— vigil.example/e2e ' || fail "signature line: $(cat cp.700)"
expect 0 "$VIGIL" log entry --dir log 123
[ "$(cat out)" = "obs-000123" ] || fail "entry 123: $(cat out)"
expect 1 "$VIGIL" log entry --dir log 700
expect 0 "$VIGIL" log prove-inclusion --dir log 123
[ "$(wc -l < out)" = 10 ] || fail "inclusion proof for 700: $(wc -l < out) hashes"
grep -qv '^[A-Za-z0-9+/]\{43\}=$' out && fail "proof lines are not base64 hashes"
expect 0 "$VIGIL" log prove-inclusion --dir log 5 --size 8
[ "$(wc -l < out)" = 3 ] || fail "inclusion proof in size 8"
expect 1 "$VIGIL" log prove-inclusion --dir log 5 --size 701
expect 0 "$VIGIL" log prove-consistency --dir log 300 700 --json
grep -q '"size1":300,"size2":700' out || fail "consistency json: $(cat out)"
expect 0 "$VIGIL" log prove-consistency --dir log 700 700
[ -s out ] && fail "equal sizes need an empty proof"
expect 1 "$VIGIL" log prove-consistency --dir log 700 300 # backwards
expect 0 "$VIGIL" log verify --raw --dir log --key log.vkey
grep -q "ok: vigil.example/e2e size 700" out || fail "verify: $(cat out)"
expect 0 "$VIGIL" log verify --raw --dir log --key "$(cat log.vkey)"
# A line over 65,535 bytes is rejected (exit 1), the others appended.
{ printf 'obs-000700\n'; head -c 70000 /dev/zero | tr '\0' x; printf '\nobs-000701\n'; } > in2
expect 1 "$VIGIL" log append --dir log --key log.key in2
grep -q "line 2: longer than 65535" err || fail "long line: $(cat err)"
expect 0 "$VIGIL" log checkpoint --dir log
[ "$(sed -n 2p out)" = 702 ] || fail "size after the long line: $(sed -n 2p out)"

# ---- damage: each must fail verify with exit 1, naming the file ------------
damaged() { # a fresh copy of the log in bad/
	rm -rf bad
	cp -a log bad
}
verify_fails() { # verify_fails PATTERN
	expect 1 "$VIGIL" log verify --raw --dir bad --key log.vkey
	grep -q "$1" err || fail "verify message lacks '$1': $(cat err)"
}
damaged; flip bad/tile/0/001 77;                   verify_fails "tile/0/001"
damaged; flip bad/tile/entries/001 30;             verify_fails "tile/entries/001"
damaged; flip bad/tile/1/000.p/2 3;                verify_fails "tile/1/000.p/2"
damaged; truncate -s 8191 bad/tile/0/000;          verify_fails "tile/0/000: truncated"
damaged; rm bad/tile/0/001;                        verify_fails "tile/0/001: missing"
damaged; rm bad/tile/entries/002.p/190;            verify_fails "tile/entries/002.p/190: missing"
# Reordered entries: swap entries 0 and 1 of bundle 0 (12 bytes each).
damaged
dd if=log/tile/entries/000 of=bad/tile/entries/000 bs=12 skip=1 seek=0 count=1 conv=notrunc 2>/dev/null
dd if=log/tile/entries/000 of=bad/tile/entries/000 bs=12 skip=0 seek=1 count=1 conv=notrunc 2>/dev/null
verify_fails "tile/entries/000: entry 0"
# Forged checkpoint signature; a checkpoint with an altered size.
# (one base64 character of the signature changed to another valid one)
damaged
awk 'NF == 3 { c = substr($3, 20, 1); $3 = substr($3, 1, 19) (c == "A" ? "B" : "A") \
	substr($3, 21) } { print }' log/checkpoint > bad/checkpoint
cmp -s log/checkpoint bad/checkpoint && fail "the forged checkpoint is unchanged"
verify_fails "does not verify"
damaged; sed -i 's/^702$/703/' bad/checkpoint;     verify_fails "does not verify"
# Another log's key.
expect 0 "$VIGIL" log init --dir other --origin vigil.example/other --key other.key
cp out other.vkey
expect 1 "$VIGIL" log verify --raw --dir log --key other.vkey
grep -q "no signature by a known key" err || fail "other key: $(cat err)"
# Opening a log whose right edge is damaged is refused too.
damaged; flip bad/tile/0/002.p/190 9
expect 1 "$VIGIL" log prove-inclusion --dir bad 3
grep -q "tile/0/002.p/190" err || fail "open with a damaged edge: $(cat err)"

# ---- witnesses --------------------------------------------------------------
for w in 1 2 3; do
	expect 0 "$VIGIL" witness key --key w$w.key --name witness.example/w$w
	cp out w$w.vkey
	grep -q "^witness.example/w$w+" w$w.vkey || fail "witness key: $(cat out)"
done
expect 2 "$VIGIL" witness key --key w9.key                  # no --name for a new key
cp log/checkpoint cp.702
for w in 1 2 3; do
	expect 0 "$VIGIL" witness --state w$w.state --key w$w.key --log-key log.vkey \
		--checkpoint cp.702 --time 1767225600
	grep -q "^— witness.example/w$w " out || fail "cosignature line: $(cat out)"
	cp out cosig.$w
done
cat cp.702 cosig.1 cosig.3 > cosigned.702
expect 0 "$VIGIL" witness final --log-key log.vkey --witness w1.vkey --witness w2.vkey \
	--witness w3.vkey --quorum 2 cosigned.702
grep -q "2 of 3" out || fail "final: $(cat out)"
expect 1 "$VIGIL" witness final --log-key log.vkey --witness w1.vkey --witness w2.vkey \
	--witness w3.vkey --quorum 3 cosigned.702

# The log grows: a consistency proof is needed, and must be exact.
entries 702 1500 | "$VIGIL" -q log append --dir log --key log.key
cp log/checkpoint cp.1500
expect 0 "$VIGIL" log prove-consistency --dir log 702 1500
cp out proof.ok
head -n -1 proof.ok > proof.short
{ cat proof.ok; head -n 1 proof.ok; } > proof.long
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey --checkpoint cp.1500
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey --checkpoint cp.1500 \
	--proof proof.short
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey --checkpoint cp.1500 \
	--proof proof.long
expect 0 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey --checkpoint cp.1500 \
	--proof proof.ok
# A size going backwards.
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey --checkpoint cp.702
grep -q "goes backwards" err || fail "backwards: $(cat err)"
# Directory form: the witness computes the proof from the log's tiles.
expect 0 "$VIGIL" witness --state w2.state --key w2.key --log-key log.vkey --log-dir log

# A split view: the same log key signs a fork with different entries.
cp -a log.key fork.key
expect 0 "$VIGIL" log init --dir forkdir --origin vigil.example/e2e --key fork.key
{ entries 0 1499; printf 'obs-FORGED\n'; } | "$VIGIL" -q log append --dir forkdir --key fork.key
cp forkdir/checkpoint fork.1500
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey \
	--checkpoint fork.1500 --evidence evidence.txt
grep -q "split view" err || fail "split view message: $(cat err)"
grep -q "^# cosigned" evidence.txt && grep -q "^# offered" evidence.txt ||
	fail "evidence file: $(cat evidence.txt)"
[ "$(grep -c '^1500$' evidence.txt)" = 2 ] || fail "evidence lacks both checkpoints"
# The fork grows past the cosigned size; its own proof does not convince.
{ printf 'obs-EXTRA1\nobs-EXTRA2\n'; } | "$VIGIL" -q log append --dir forkdir --key fork.key
expect 0 "$VIGIL" log prove-consistency --dir forkdir 1500 1502
cp out fork.proof
expect 1 "$VIGIL" witness --state w1.state --key w1.key --log-key log.vkey \
	--checkpoint forkdir/checkpoint --proof fork.proof
grep -q "split view" err || fail "fork growth: $(cat err)"
# The witness still holds the honest checkpoint.
head -n 3 w1.state > h2
head -n 3 cp.1500 > h1
cmp -s h1 h2 || fail "witness state changed after a refusal"
echo "log_cli: ok"

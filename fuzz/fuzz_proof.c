/*
 * fuzz_proof.c - libFuzzer target for Merkle proof text and verification:
 * vg_merkle_proof_parse, then vg_merkle_verify_inclusion /
 * vg_merkle_verify_consistency / vg_checkpoint_consistent against a fixed
 * tree of FUZZ_LEAVES leaves (entry i is "entry <i>").
 *
 * Input: byte 0 selects the mode, then the parameters, then the proof text.
 *   mode & 1   inclusion (a = index, b = size), else consistency (a = size1,
 *              b = size2)
 *   mode & 2   "raw": a and b are 8-byte big-endian values (any uint64; the
 *              root is the fixed tree's root of size FUZZ_LEAVES), else
 *              2-byte big-endian values taken modulo FUZZ_LEAVES + 2
 * Oracles (tree mode): a parsed proof formats back to the same text; the
 * proof vg_merkle_prove_* generates verifies; and a parsed proof verifies
 * iff it is exactly that proof (any other accepted proof would be a
 * forgery, or a SHA-256 collision). Raw mode checks that large and hostile
 * sizes are refused with the documented status, without a crash or
 * undefined behaviour.
 *
 * Build: make fuzz (clang, -fsanitize=fuzzer); the seed corpus is
 * fuzz/corpus/proof and CTest replays it (fuzz/replay_main.c).
 */
#include "ledger/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_LEAVES 600
#define FUZZ_LEVELS 10 /* 2^9 = 512 <= 600 < 2^10 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lv[l][i]: root of the perfect subtree of 2^l leaves starting at i << l. */
static uint8_t lv[FUZZ_LEVELS][FUZZ_LEAVES][VG_HASH_BYTES];
static size_t lv_n[FUZZ_LEVELS];
/* roots[s]: root of the first s leaves. */
static uint8_t roots[FUZZ_LEAVES + 1][VG_HASH_BYTES];

static vg_status node(void *ctx, unsigned level, uint64_t index, uint8_t out[VG_HASH_BYTES],
                      struct vg_err *err)
{
	(void)ctx;
	(void)err;
	vg_assert(level < FUZZ_LEVELS && index < lv_n[level]); /* only nodes inside the tree */
	memcpy(out, lv[level][index], VG_HASH_BYTES);
	return VG_OK;
}

static void build_tree(void)
{
	struct vg_err err;
	if (vg_crypto_init() != VG_OK)
		abort();
	for (unsigned i = 0; i < FUZZ_LEAVES; i++) {
		char e[32];
		int n = snprintf(e, sizeof e, "entry %u", i);
		vg_merkle_leaf_hash((const uint8_t *)e, (size_t)n, lv[0][i]);
	}
	lv_n[0] = FUZZ_LEAVES;
	for (unsigned l = 1; l < FUZZ_LEVELS; l++) {
		lv_n[l] = lv_n[l - 1] / 2;
		for (size_t i = 0; i < lv_n[l]; i++)
			vg_merkle_node_hash(lv[l - 1][2 * i], lv[l - 1][2 * i + 1], lv[l][i]);
	}
	/* Every root from the frontier, cross-checked against vg_merkle_root. */
	struct vg_merkle_frontier f;
	vg_merkle_frontier_init(&f);
	for (size_t s = 0;; s++) {
		uint8_t r[VG_HASH_BYTES];
		vg_merkle_frontier_root(&f, roots[s]);
		vg_assert(vg_merkle_root(node, NULL, s, r, &err) == VG_OK);
		vg_assert(memcmp(r, roots[s], VG_HASH_BYTES) == 0);
		if (s == FUZZ_LEAVES)
			break;
		vg_merkle_frontier_push(&f, lv[0][s]);
	}
}

static bool proof_eq(const struct vg_merkle_proof *a, const struct vg_merkle_proof *b)
{
	return a->n == b->n && memcmp(a->h, b->h, a->n * VG_HASH_BYTES) == 0;
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void check_parse(const char *text, size_t len, const struct vg_merkle_proof *p)
{
	static char out[VG_MERKLE_PROOF_TEXT_MAX];
	vg_assert(p->n <= VG_MERKLE_PROOF_MAX);
	size_t n = vg_merkle_proof_format(p, out, sizeof out);
	vg_assert(n == 45 * p->n);
	/* The text is canonical, except that its final newline may be missing. */
	vg_assert(len == n || (len + 1 == n && out[len] == '\n'));
	vg_assert(memcmp(out, text, len) == 0);
	struct vg_merkle_proof q;
	struct vg_err err;
	vg_assert(vg_merkle_proof_parse(out, n, &q, &err) == VG_OK && proof_eq(p, &q));
}

static void fuzz_inclusion(uint64_t index, uint64_t size, const struct vg_merkle_proof *p)
{
	struct vg_err err;
	if (size > FUZZ_LEAVES)
		return;
	const uint8_t *root = roots[size];
	if (index >= size) {
		const uint8_t *leaf = lv[0][index % FUZZ_LEAVES];
		vg_assert(vg_merkle_verify_inclusion(index, size, leaf, p, root, &err) == VG_ERR_RANGE);
		return;
	}
	struct vg_merkle_proof good;
	vg_assert(vg_merkle_prove_inclusion(node, NULL, index, size, &good, &err) == VG_OK);
	vg_assert(vg_merkle_verify_inclusion(index, size, lv[0][index], &good, root, &err) == VG_OK);
	vg_status st = vg_merkle_verify_inclusion(index, size, lv[0][index], p, root, &err);
	vg_assert((st == VG_OK) == proof_eq(p, &good));
	vg_assert(st == VG_OK || st == VG_ERR_INCONSISTENT);
	/* Another leaf at this index never verifies with the same proof. */
	const uint8_t *other = lv[0][(index + 1) % FUZZ_LEAVES];
	vg_assert(vg_merkle_verify_inclusion(index, size, other, p, root, &err) != VG_OK);
}

static void fuzz_consistency(uint64_t a, uint64_t b, const struct vg_merkle_proof *p)
{
	struct vg_err err;
	if (a > FUZZ_LEAVES || b > FUZZ_LEAVES)
		return;
	struct vg_checkpoint ca, cb;
	memset(&ca, 0, sizeof ca);
	memset(&cb, 0, sizeof cb);
	strcpy(ca.origin, "vigil.test/log");
	strcpy(cb.origin, "vigil.test/log");
	ca.size = a;
	cb.size = b;
	memcpy(ca.root, roots[a], VG_HASH_BYTES);
	memcpy(cb.root, roots[b], VG_HASH_BYTES);
	vg_status st = vg_merkle_verify_consistency(a, b, p, ca.root, cb.root, &err);
	vg_status cst = vg_checkpoint_consistent(&ca, &cb, p, &err);
	vg_assert(vg_checkpoint_consistent(&cb, &ca, p, &err) == cst); /* order does not matter */
	if (a == 0 || b == 0) {
		vg_assert(st == VG_ERR_RANGE);
		vg_assert((cst == VG_OK) == (p->n == 0));
		return;
	}
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
	if (a > b)
		vg_assert(st == VG_ERR_RANGE);
	struct vg_merkle_proof good;
	vg_assert(vg_merkle_prove_consistency(node, NULL, lo, hi, &good, &err) == VG_OK);
	vg_assert(lo != hi || good.n == 0);
	vg_assert(vg_merkle_verify_consistency(lo, hi, &good, roots[lo], roots[hi], &err) == VG_OK);
	vg_assert(vg_checkpoint_consistent(&ca, &cb, &good, &err) == VG_OK);
	vg_assert((cst == VG_OK) == proof_eq(p, &good));
	if (a <= b)
		vg_assert((st == VG_OK) == proof_eq(p, &good));
	/* A different old root never passes. */
	if (lo > 1)
		vg_assert(vg_merkle_verify_consistency(lo, hi, p, roots[lo - 1], roots[hi], &err) !=
		          VG_OK);
}

/* Hostile sizes: no crash, no undefined behaviour, a status that says
 * why. (No "never VG_OK" oracle: RFC 9162 verification trusts that the
 * root belongs to the size, so a genuine proof for (0, 600) also passes as
 * (0, 1024) against the same root; the signed checkpoint binds the two.) */
static void fuzz_raw(bool incl, uint64_t a, uint64_t b, const struct vg_merkle_proof *p)
{
	struct vg_err err;
	const uint8_t *root = roots[FUZZ_LEAVES];
	vg_err_clear(&err);
	vg_status st = incl ? vg_merkle_verify_inclusion(a, b, lv[0][a % FUZZ_LEAVES], p, root, &err)
	                    : vg_merkle_verify_consistency(a, b, p, root, root, &err);
	if (st != VG_OK)
		vg_assert(st == err.status && err.msg[0] &&
		          (st == VG_ERR_RANGE || st == VG_ERR_INCONSISTENT));
	if (incl && a >= b)
		vg_assert(st == VG_ERR_RANGE);
	if (!incl && (a > b || a == 0))
		vg_assert(st == VG_ERR_RANGE);
	if (!incl && a == b && a != 0) /* equal roots: only the empty proof */
		vg_assert((st == VG_OK) == (p->n == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		build_tree();
		ready = true;
	}
	if (size < 1)
		return 0;
	unsigned mode = data[0];
	bool raw = mode & 2, incl = mode & 1;
	size_t hdr = raw ? 17 : 5;
	if (size < hdr)
		return 0;
	uint64_t a, b;
	if (raw) {
		a = get_be(data + 1, 8);
		b = get_be(data + 9, 8);
	} else {
		a = get_be(data + 1, 2) % (FUZZ_LEAVES + 2);
		b = get_be(data + 3, 2) % (FUZZ_LEAVES + 2);
	}
	const char *text = (const char *)data + hdr;
	size_t len = size - hdr;

	struct vg_merkle_proof p;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_merkle_proof_parse(text, len, &p, &err);
	if (st != VG_OK) {
		vg_assert((st == VG_ERR_BASE64 || st == VG_ERR_LIMIT) && st == err.status && err.msg[0]);
		return 0;
	}
	check_parse(text, len, &p);
	if (raw)
		fuzz_raw(incl, a, b, &p);
	else if (incl)
		fuzz_inclusion(a, b, &p);
	else
		fuzz_consistency(a, b, &p);
	return 0;
}

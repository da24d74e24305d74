/*
 * merkle.c - RFC 9162 section 2.1 Merkle tree hashing, the right-edge
 * frontier, inclusion and consistency proofs (generation and verification).
 *
 * Method: RFC 9162 (B. Laurie, E. Messeri, R. Stradling, "Certificate
 * Transparency Version 2.0", 2021, DOI 10.17487/RFC9162), 2.1.1 (MTH),
 * 2.1.3.1/2.1.3.2 (inclusion), 2.1.4.1/2.1.4.2 (consistency). The
 * verification loops follow the RFC's numbered steps literally; proof
 * generation is the RFC's recursive PATH / SUBPROOF definition over a
 * source of complete-subtree hashes.
 */
#include "internal.h"

#include <sodium.h>
#include <string.h>

void vg_merkle_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[VG_HASH_BYTES])
{
	static const uint8_t prefix = 0x00;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, entry, len);
	crypto_hash_sha256_final(&st, out);
}

void vg_merkle_node_hash(const uint8_t left[VG_HASH_BYTES], const uint8_t right[VG_HASH_BYTES],
                         uint8_t out[VG_HASH_BYTES])
{
	uint8_t buf[1 + 2 * VG_HASH_BYTES];
	buf[0] = 0x01;
	memcpy(buf + 1, left, VG_HASH_BYTES);
	memcpy(buf + 1 + VG_HASH_BYTES, right, VG_HASH_BYTES);
	crypto_hash_sha256(out, buf, sizeof buf);
}

void vg_merkle_empty_root(uint8_t out[VG_HASH_BYTES])
{
	crypto_hash_sha256(out, (const uint8_t *)"", 0);
}

/* ---- Frontier ---------------------------------------------------------- */

void vg_merkle_frontier_init(struct vg_merkle_frontier *f)
{
	memset(f, 0, sizeof *f);
}

void vg_merkle_frontier_push(struct vg_merkle_frontier *f, const uint8_t leaf_hash[VG_HASH_BYTES])
{
	vg_assert(f->size < VG_LEDGER_SIZE_MAX);
	uint8_t h[VG_HASH_BYTES];
	memcpy(h, leaf_hash, VG_HASH_BYTES);
	unsigned l = 0;
	for (uint64_t s = f->size; s & 1; s >>= 1, l++)
		vg_merkle_node_hash(f->h[l], h, h);
	memcpy(f->h[l], h, VG_HASH_BYTES);
	f->size++;
}

void vg_merkle_frontier_root(const struct vg_merkle_frontier *f, uint8_t root[VG_HASH_BYTES])
{
	if (f->size == 0) {
		vg_merkle_empty_root(root);
		return;
	}
	unsigned l = (unsigned)__builtin_ctzll(f->size);
	uint8_t r[VG_HASH_BYTES];
	memcpy(r, f->h[l], VG_HASH_BYTES);
	for (l++; l < 64; l++)
		if (f->size >> l & 1)
			vg_merkle_node_hash(f->h[l], r, r);
	memcpy(root, r, VG_HASH_BYTES);
}

/* ---- Stored-hash order (Go tlog) and small helpers ---------------------- */

uint64_t vg_ledger_stored_index(unsigned level, uint64_t n)
{
	/* Level L's n'th hash is stored right after level 0's hash number
	 * ((n+1) << L) - 1; level 0's n'th hash at n + n/2 + n/4 + ... */
	uint64_t m = (n << level) | ((UINT64_C(1) << level) - 1);
	return 2 * m - (uint64_t)__builtin_popcountll(m) + level;
}

uint64_t vg_ledger_stored_count(uint64_t size)
{
	if (size == 0)
		return 0;
	uint64_t c = vg_ledger_stored_index(0, size - 1) + 1;
	for (uint64_t i = size - 1; i & 1; i >>= 1)
		c++;
	return c;
}

void vg_ledger_subtree_hash(const uint8_t (*h)[VG_HASH_BYTES], size_t count,
                            uint8_t out[VG_HASH_BYTES])
{
	vg_assert(count >= 1 && count <= VG_TILE_WIDTH && (count & (count - 1)) == 0);
	if (count == 1) {
		memcpy(out, h[0], VG_HASH_BYTES);
		return;
	}
	uint8_t tmp[VG_TILE_WIDTH / 2][VG_HASH_BYTES];
	size_t n = count / 2;
	for (size_t i = 0; i < n; i++)
		vg_merkle_node_hash(h[2 * i], h[2 * i + 1], tmp[i]);
	for (; n > 1; n /= 2)
		for (size_t i = 0; i < n / 2; i++)
			vg_merkle_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
	memcpy(out, tmp[0], VG_HASH_BYTES);
}

static bool hash_eq(const uint8_t a[VG_HASH_BYTES], const uint8_t b[VG_HASH_BYTES])
{
	return sodium_memcmp(a, b, VG_HASH_BYTES) == 0;
}

/* ---- Verification (RFC 9162 2.1.3.2 and 2.1.4.2) ------------------------ */

vg_status vg_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                     const uint8_t leaf_hash[VG_HASH_BYTES],
                                     const struct vg_merkle_proof *proof,
                                     const uint8_t root[VG_HASH_BYTES], struct vg_err *err)
{
	/* 1. */
	if (index >= size)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "inclusion proof: leaf index %llu is not below tree size %llu",
		                  (unsigned long long)index, (unsigned long long)size);
	if (proof->n > VG_MERKLE_PROOF_MAX)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "inclusion proof: %zu hashes", proof->n);
	/* 2., 3. */
	uint64_t fn = index, sn = size - 1;
	uint8_t r[VG_HASH_BYTES];
	memcpy(r, leaf_hash, VG_HASH_BYTES);
	/* 4. */
	for (size_t i = 0; i < proof->n; i++) {
		const uint8_t *p = proof->h[i];
		if (sn == 0) /* a. */
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "inclusion proof: %zu hashes where %zu are needed", proof->n, i);
		if ((fn & 1) || fn == sn) { /* b. */
			vg_merkle_node_hash(p, r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			vg_merkle_node_hash(r, p, r);
		}
		fn >>= 1; /* c. */
		sn >>= 1;
	}
	/* 5. */
	if (sn != 0)
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "inclusion proof: %zu hashes, more are needed for leaf %llu of %llu",
		                  proof->n, (unsigned long long)index, (unsigned long long)size);
	if (!hash_eq(r, root))
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "inclusion proof: leaf %llu does not lead to the root of size %llu",
		                  (unsigned long long)index, (unsigned long long)size);
	return VG_OK;
}

vg_status vg_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                       const struct vg_merkle_proof *proof,
                                       const uint8_t root1[VG_HASH_BYTES],
                                       const uint8_t root2[VG_HASH_BYTES], struct vg_err *err)
{
	if (size1 > size2)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "consistency proof: size %llu goes backwards from %llu",
		                  (unsigned long long)size2, (unsigned long long)size1);
	if (size1 == 0)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "consistency proof: from the empty tree it proves nothing");
	if (proof->n > VG_MERKLE_PROOF_MAX)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "consistency proof: %zu hashes", proof->n);
	if (size1 == size2) {
		if (proof->n != 0)
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "consistency proof: sizes are equal (%llu) but the proof "
			                  "has %zu hashes",
			                  (unsigned long long)size1, proof->n);
		if (!hash_eq(root1, root2))
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "consistency: two different roots for size %llu",
			                  (unsigned long long)size1);
		return VG_OK;
	}
	/* 1. */
	if (proof->n == 0)
		return vg_err_set(err, VG_ERR_INCONSISTENT, "consistency proof: empty");
	/* 2. The path, with first_hash prepended when size1 is a power of 2. */
	bool pow2 = (size1 & (size1 - 1)) == 0;
	size_t total = proof->n + (pow2 ? 1 : 0);
#define PATH(i) (pow2 ? ((i) == 0 ? root1 : proof->h[(i) - 1]) : proof->h[(i)])
	/* 3., 4. */
	uint64_t fn = size1 - 1, sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. */
	uint8_t fr[VG_HASH_BYTES], sr[VG_HASH_BYTES];
	memcpy(fr, PATH(0), VG_HASH_BYTES);
	memcpy(sr, PATH(0), VG_HASH_BYTES);
	/* 6. */
	for (size_t i = 1; i < total; i++) {
		const uint8_t *c = PATH(i);
		if (sn == 0) /* a. */
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "consistency proof: too many hashes (%zu)", proof->n);
		if ((fn & 1) || fn == sn) { /* b. */
			vg_merkle_node_hash(c, fr, fr);
			vg_merkle_node_hash(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			vg_merkle_node_hash(sr, c, sr);
		}
		fn >>= 1; /* c. */
		sn >>= 1;
	}
#undef PATH
	/* 7. */
	if (sn != 0)
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "consistency proof: too few hashes (%zu) for %llu -> %llu", proof->n,
		                  (unsigned long long)size1, (unsigned long long)size2);
	if (!hash_eq(fr, root1))
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "consistency proof: does not lead to the old root (size %llu)",
		                  (unsigned long long)size1);
	if (!hash_eq(sr, root2))
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "consistency proof: does not lead to the new root (size %llu)",
		                  (unsigned long long)size2);
	return VG_OK;
}

/* ---- Proof text --------------------------------------------------------- */

vg_status vg_merkle_proof_parse(const char *text, size_t len, struct vg_merkle_proof *proof,
                                struct vg_err *err)
{
	struct vg_merkle_proof p;
	p.n = 0;
	size_t pos = 0, line = 1;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (p.n == VG_MERKLE_PROOF_MAX)
			return vg_err_set(err, VG_ERR_LIMIT, "proof line %zu: more than %d hashes", line,
			                  VG_MERKLE_PROOF_MAX);
		uint8_t buf[VG_HASH_BYTES + 1];
		size_t n = 0;
		struct vg_err e2;
		if (end == pos)
			return vg_err_set(err, VG_ERR_BASE64, "proof line %zu: empty", line);
		if (vg_b64_decode(text + pos, end - pos, buf, sizeof buf, &n, &e2) != VG_OK ||
		    n != VG_HASH_BYTES) {
			char q[64];
			vg_quote(text + pos, end - pos, q, sizeof q);
			return vg_err_set(err, VG_ERR_BASE64,
			                  "proof line %zu: %s is not the base64 of a 32-byte hash",
			                  line, q);
		}
		memcpy(p.h[p.n++], buf, VG_HASH_BYTES);
		pos = end + 1;
		line++;
	}
	*proof = p;
	return VG_OK;
}

size_t vg_merkle_proof_format(const struct vg_merkle_proof *proof, char *out, size_t cap)
{
	size_t o = 0;
	vg_assert(cap >= 1);
	out[0] = '\0';
	for (size_t i = 0; i < proof->n; i++) {
		if (o + 46 > cap)
			break;
		o += vg_b64_encode(proof->h[i], VG_HASH_BYTES, out + o);
		out[o++] = '\n';
		out[o] = '\0';
	}
	return o;
}

/* ---- Generation (RFC 9162 2.1.3.1 and 2.1.4.1) -------------------------- */

struct gen {
	vg_merkle_node_fn node;
	void *ctx;
	struct vg_merkle_proof *p;
	struct vg_err *err;
};

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[lo:hi]) for a range whose start is aligned to its largest
 * power-of-two part (every range the RFC recursion produces): the perfect
 * subtrees given by the bits of hi - lo, from the largest, folded from the
 * right. */
static vg_status range_hash(struct gen *g, uint64_t lo, uint64_t hi, uint8_t out[VG_HASH_BYTES])
{
	uint64_t n = hi - lo;
	vg_assert(n > 0);
	uint8_t sub[64][VG_HASH_BYTES];
	int k = 0;
	uint64_t at = lo;
	for (int bit = 63; bit >= 0; bit--) {
		if (!(n >> bit & 1))
			continue;
		vg_assert((at & ((UINT64_C(1) << bit) - 1)) == 0);
		vg_status st = g->node(g->ctx, (unsigned)bit, at >> bit, sub[k], g->err);
		if (st != VG_OK)
			return st;
		k++;
		at += UINT64_C(1) << bit;
	}
	/* sub[i] becomes MTH of everything from its start to hi. */
	for (int i = k - 2; i >= 0; i--)
		vg_merkle_node_hash(sub[i], sub[i + 1], sub[i]);
	memcpy(out, sub[0], VG_HASH_BYTES);
	return VG_OK;
}

static vg_status push_hash(struct gen *g, uint64_t lo, uint64_t hi)
{
	if (g->p->n >= VG_MERKLE_PROOF_MAX)
		return vg_err_set(g->err, VG_ERR_INTERNAL, "proof longer than %d hashes",
		                  VG_MERKLE_PROOF_MAX);
	return range_hash(g, lo, hi, g->p->h[g->p->n++]);
}

static vg_status inclusion_path(struct gen *g, uint64_t m, uint64_t lo, uint64_t hi)
{
	if (hi - lo == 1)
		return VG_OK;
	uint64_t k = split_point(hi - lo);
	vg_status st;
	if (m < lo + k) {
		if ((st = inclusion_path(g, m, lo, lo + k)) != VG_OK)
			return st;
		return push_hash(g, lo + k, hi);
	}
	if ((st = inclusion_path(g, m, lo + k, hi)) != VG_OK)
		return st;
	return push_hash(g, lo, lo + k);
}

/* SUBPROOF(m, D[lo:hi], b) with m counted from lo. */
static vg_status subproof(struct gen *g, uint64_t m, uint64_t lo, uint64_t hi, bool b)
{
	uint64_t n = hi - lo;
	if (m == n)
		return b ? VG_OK : push_hash(g, lo, hi);
	uint64_t k = split_point(n);
	vg_status st;
	if (m <= k) {
		if ((st = subproof(g, m, lo, lo + k, b)) != VG_OK)
			return st;
		return push_hash(g, lo + k, hi);
	}
	if ((st = subproof(g, m - k, lo + k, hi, false)) != VG_OK)
		return st;
	return push_hash(g, lo, lo + k);
}

vg_status vg_merkle_prove_inclusion(vg_merkle_node_fn node, void *ctx, uint64_t index,
                                    uint64_t size, struct vg_merkle_proof *proof,
                                    struct vg_err *err)
{
	if (index >= size || size > VG_LEDGER_SIZE_MAX)
		return vg_err_set(err, VG_ERR_RANGE, "inclusion proof: leaf %llu in a tree of size %llu",
		                  (unsigned long long)index, (unsigned long long)size);
	struct vg_merkle_proof p;
	p.n = 0;
	struct gen g = {node, ctx, &p, err};
	vg_status st = inclusion_path(&g, index, 0, size);
	if (st != VG_OK)
		return st;
	proof->n = p.n;
	memcpy(proof->h, p.h, p.n * VG_HASH_BYTES);
	return VG_OK;
}

vg_status vg_merkle_prove_consistency(vg_merkle_node_fn node, void *ctx, uint64_t size1,
                                      uint64_t size2, struct vg_merkle_proof *proof,
                                      struct vg_err *err)
{
	if (size1 == 0 || size1 > size2 || size2 > VG_LEDGER_SIZE_MAX)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "consistency proof: from size %llu to size %llu (need 0 < from <= to)",
		                  (unsigned long long)size1, (unsigned long long)size2);
	struct vg_merkle_proof p;
	p.n = 0;
	struct gen g = {node, ctx, &p, err};
	vg_status st = subproof(&g, size1, 0, size2, true);
	if (st != VG_OK)
		return st;
	proof->n = p.n;
	memcpy(proof->h, p.h, p.n * VG_HASH_BYTES);
	return VG_OK;
}

vg_status vg_merkle_root(vg_merkle_node_fn node, void *ctx, uint64_t size,
                         uint8_t root[VG_HASH_BYTES], struct vg_err *err)
{
	if (size > VG_LEDGER_SIZE_MAX)
		return vg_err_set(err, VG_ERR_RANGE, "tree size %llu", (unsigned long long)size);
	if (size == 0) {
		vg_merkle_empty_root(root);
		return VG_OK;
	}
	struct gen g = {node, ctx, NULL, err};
	uint8_t r[VG_HASH_BYTES];
	vg_status st = range_hash(&g, 0, size, r);
	if (st == VG_OK)
		memcpy(root, r, VG_HASH_BYTES);
	return st;
}

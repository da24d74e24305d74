/* test_ledger.c - the transparency log: RFC 9162 known answers and the
 * transparency-dev proof vectors (read from $VG_SHARED_DATA/vectors/merkle,
 * never copied here), proof generation against an independent recursive
 * implementation, signed notes (Go's documented example as a known answer),
 * checkpoints, tiles on disk, recovery, corruption found by the audit, the
 * witness and K-of-N finality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ledger/ledger.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>

/* ---- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	return vg_crypto_init() == VG_OK ? 0 : -1;
}

static void seed_key(const char *name, uint8_t type, uint8_t fill, struct vg_note_signer *k)
{
	uint8_t seed[32];
	memset(seed, fill, sizeof seed);
	struct vg_err e;
	assert_int_equal(vg_note_signer_from_seed(name, type, seed, k, &e), VG_OK);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* In-memory tree: leaves and a node source computing MTH by recursion. */
struct memtree {
	size_t n;
	uint8_t (*leaf)[VG_HASH_BYTES];
};

static void ref_mth(const struct memtree *t, uint64_t lo, uint64_t hi, uint8_t out[32])
{
	if (hi - lo == 1) {
		memcpy(out, t->leaf[lo], 32);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	uint8_t l[32], r[32];
	ref_mth(t, lo, lo + k, l);
	ref_mth(t, lo + k, hi, r);
	vg_merkle_node_hash(l, r, out);
}

static vg_status mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32],
                          struct vg_err *err)
{
	(void)err;
	const struct memtree *t = ctx;
	uint64_t lo = index << level, hi = (index + 1) << level;
	assert_true(hi <= t->n);
	ref_mth(t, lo, hi, out);
	return VG_OK;
}

static void memtree_init(struct memtree *t, size_t n)
{
	t->n = n;
	t->leaf = malloc((n ? n : 1) * 32);
	assert_non_null(t->leaf);
	for (size_t i = 0; i < n; i++) {
		char e[32];
		int l = snprintf(e, sizeof e, "leaf %zu", i);
		vg_merkle_leaf_hash((const uint8_t *)e, (size_t)l, t->leaf[i]);
	}
}

/* Independent RFC 9162 2.1.3.1 / 2.1.4.1, straight from the text. */
static void ref_path(const struct memtree *t, uint64_t m, uint64_t lo, uint64_t hi,
                     struct vg_merkle_proof *p)
{
	if (hi - lo == 1)
		return;
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m < lo + k) {
		ref_path(t, m, lo, lo + k, p);
		ref_mth(t, lo + k, hi, p->h[p->n++]);
	} else {
		ref_path(t, m, lo + k, hi, p);
		ref_mth(t, lo, lo + k, p->h[p->n++]);
	}
}

static void ref_subproof(const struct memtree *t, uint64_t m, uint64_t lo, uint64_t hi, bool b,
                         struct vg_merkle_proof *p)
{
	uint64_t n = hi - lo;
	if (m == n) {
		if (!b)
			ref_mth(t, lo, hi, p->h[p->n++]);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	if (m <= k) {
		ref_subproof(t, m, lo, lo + k, b, p);
		ref_mth(t, lo + k, hi, p->h[p->n++]);
	} else {
		ref_subproof(t, m - k, lo + k, hi, false, p);
		ref_mth(t, lo, lo + k, p->h[p->n++]);
	}
}

static void unhex32(const char *h, uint8_t out[32])
{
	assert_int_equal(strlen(h), 64);
	assert_int_equal(vg_hex_decode(h, 64, out, 32), VG_OK);
}

/* ---- RFC 9162 known answers --------------------------------------------- */

static void kat_roots(void **state)
{
	(void)state;
	char p[1024];
	json_error_t je;
	json_t *j = json_load_file(tu_data_path("vectors/merkle/roots.json", p, sizeof p), 0, &je);
	if (!j)
		fail_msg("%s: %s (set VG_SHARED_DATA)", p, je.text);
	json_t *inputs = json_object_get(j, "leaf_inputs"), *roots = json_object_get(j, "roots");
	assert_int_equal(json_array_size(inputs), 8);
	assert_int_equal(json_array_size(roots), 9);
	struct memtree t = {0, malloc(8 * 32)};
	struct vg_merkle_frontier f;
	vg_merkle_frontier_init(&f);
	for (size_t n = 0; n <= 8; n++) {
		uint8_t want[32], got[32];
		unhex32(json_string_value(json_array_get(roots, n)), want);
		vg_merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, 32);
		struct vg_err e;
		t.n = n;
		assert_int_equal(vg_merkle_root(mem_node, &t, n, got, &e), VG_OK);
		assert_memory_equal(got, want, 32);
		if (n == 8)
			break;
		const char *hx = json_string_value(json_array_get(inputs, n));
		size_t bl = strlen(hx) / 2;
		uint8_t buf[64];
		assert_int_equal(vg_hex_decode(hx, strlen(hx), buf, bl), VG_OK);
		vg_merkle_leaf_hash(buf, bl, t.leaf[n]);
		vg_merkle_frontier_push(&f, t.leaf[n]);
	}
	free(t.leaf);
	json_decref(j);
}

/* ---- transparency-dev proof vectors -------------------------------------- */

/*
 * Field mapping. Our API types hashes as 32-byte arrays, as they are on
 * every wire Vigil reads (checkpoints, proofs, tiles), so:
 *  - proofs go through the real proof-text parser (one base64 hash per
 *    line): an element that is not 32 bytes (the "garbage" cases) is
 *    refused there;
 *  - a leaf hash that is not 32 bytes is refused the same way (it can only
 *    come from hashing);
 *  - a root of another length ("don't care 1") cannot be a SHA-256 value;
 *    it maps to a 32-byte stand-in that compares equal to the same bytes
 *    and (with overwhelming probability) to nothing computed, which is
 *    what byte comparison does in the reference implementation.
 */
static bool map_hash(json_t *v, bool is_root, uint8_t out[32])
{
	const char *s = json_string_value(v);
	if (!s)
		return false;
	uint8_t buf[256];
	size_t n = 0;
	struct vg_err e;
	if (vg_b64_decode(s, strlen(s), buf, sizeof buf, &n, &e) != VG_OK)
		return false;
	if (n == 32) {
		memcpy(out, buf, 32);
		return true;
	}
	if (!is_root)
		return false;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"vigil test stand-in", 19);
	uint8_t l = (uint8_t)n;
	crypto_hash_sha256_update(&st, &l, 1);
	crypto_hash_sha256_update(&st, buf, n);
	crypto_hash_sha256_final(&st, out);
	return true;
}

static bool map_proof(json_t *arr, struct vg_merkle_proof *p)
{
	char text[8192];
	size_t o = 0;
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		const char *s = json_string_value(x);
		assert_non_null(s);
		o += (size_t)snprintf(text + o, sizeof text - o, "%s\n", s);
	}
	struct vg_err e;
	return vg_merkle_proof_parse(text, o, p, &e) == VG_OK;
}

/* leafIdx can be 2^64-1, beyond json_int_t: read sizes from the text. */
static uint64_t raw_u64(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *p = strstr(text, pat);
	assert_non_null(p);
	p = strchr(p + strlen(pat), ':');
	assert_non_null(p);
	return strtoull(p + 1, NULL, 10);
}

static int vectors_in(const char *dir, bool inclusion, int *failures)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("%s: %s (set VG_SHARED_DATA)", dir, strerror(errno));
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat sb;
		assert_int_equal(stat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			count += vectors_in(path, inclusion, failures);
			continue;
		}
		char *text = slurp(path, NULL);
		json_error_t je;
		json_t *j = json_loads(text, JSON_DECODE_INT_AS_REAL, &je);
		if (!j)
			fail_msg("%s: %s", path, je.text);
		bool want_err = json_is_true(json_object_get(j, "wantErr"));
		struct vg_merkle_proof proof = {0};
		bool parsed = json_is_null(json_object_get(j, "proof")) ||
		              map_proof(json_object_get(j, "proof"), &proof);
		vg_status st = VG_ERR_VERSION; /* "refused at parse" */
		struct vg_err err;
		if (inclusion) {
			uint8_t root[32], leaf[32];
			uint64_t idx = raw_u64(text, "leafIdx"), size = raw_u64(text, "treeSize");
			if (parsed && map_hash(json_object_get(j, "root"), true, root) &&
			    map_hash(json_object_get(j, "leafHash"), false, leaf))
				st = vg_merkle_verify_inclusion(idx, size, leaf, &proof, root, &err);
		} else {
			uint8_t r1[32], r2[32];
			uint64_t s1 = raw_u64(text, "size1"), s2 = raw_u64(text, "size2");
			if (parsed && map_hash(json_object_get(j, "root1"), true, r1) &&
			    map_hash(json_object_get(j, "root2"), true, r2))
				st = vg_merkle_verify_consistency(s1, s2, &proof, r1, r2, &err);
		}
		if ((st != VG_OK) != want_err) {
			fprintf(stderr, "vector %s: want %s, got %s (%s)\n", path,
			        want_err ? "error" : "ok", vg_status_name(st),
			        st == VG_OK ? "" : err.msg);
			(*failures)++;
		}
		count++;
		json_decref(j);
		free(text);
	}
	closedir(d);
	return count;
}

static int count_files(const char *dir)
{
	char cmd[2200];
	snprintf(cmd, sizeof cmd, "find '%s' -type f -name '*.json' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	int n = 0;
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void vectors(void **state)
{
	(void)state;
	char dir[1024];
	int failures = 0;
	tu_data_path("vectors/merkle/testdata/inclusion", dir, sizeof dir);
	int ni = vectors_in(dir, true, &failures);
	assert_int_equal(ni, count_files(dir));
	tu_data_path("vectors/merkle/testdata/consistency", dir, sizeof dir);
	int nc = vectors_in(dir, false, &failures);
	assert_int_equal(nc, count_files(dir));
	assert_true(ni > 50 && nc > 50);
	assert_int_equal(failures, 0);
}

/* ---- proofs: generation, verification, mutations ------------------------ */

static void expect_bad_inclusion(uint64_t i, uint64_t n, const uint8_t leaf[32],
                                 const struct vg_merkle_proof *p, const uint8_t root[32])
{
	struct vg_err e;
	assert_int_not_equal(vg_merkle_verify_inclusion(i, n, leaf, p, root, &e), VG_OK);
}

static void proofs_exhaustive(void **state)
{
	(void)state;
	const size_t N = 70;
	struct memtree t;
	memtree_init(&t, N + 1);
	struct vg_err e;
	for (uint64_t n = 1; n <= N; n++) {
		t.n = n;
		uint8_t root[32];
		ref_mth(&t, 0, n, root);
		for (uint64_t i = 0; i < n; i++) {
			struct vg_merkle_proof p, r = {0};
			assert_int_equal(vg_merkle_prove_inclusion(mem_node, &t, i, n, &p, &e), VG_OK);
			ref_path(&t, i, 0, n, &r);
			assert_int_equal(p.n, r.n);
			assert_memory_equal(p.h, r.h, p.n * 32);
			assert_int_equal(vg_merkle_verify_inclusion(i, n, t.leaf[i], &p, root, &e), VG_OK);
			struct vg_merkle_proof q = p;
			memcpy(q.h[q.n++], root, 32); /* one hash too many */
			expect_bad_inclusion(i, n, t.leaf[i], &q, root);
			if (p.n) {
				q = p;
				q.n--; /* one missing */
				expect_bad_inclusion(i, n, t.leaf[i], &q, root);
				for (size_t k = 0; k < p.n; k++) {
					q = p;
					q.h[k][k % 32] ^= 0x10;
					expect_bad_inclusion(i, n, t.leaf[i], &q, root);
				}
			}
			expect_bad_inclusion(i, n, t.leaf[(i + 1) % (n + 1)], &p, root);
			if (n > 1)
				expect_bad_inclusion(i ^ 1, n, t.leaf[i], &p, root);
			expect_bad_inclusion(n, n, t.leaf[i], &p, root);
		}
		for (uint64_t m = 1; m <= n; m++) {
			uint8_t r1[32];
			ref_mth(&t, 0, m, r1);
			struct vg_merkle_proof p, r = {0};
			assert_int_equal(vg_merkle_prove_consistency(mem_node, &t, m, n, &p, &e), VG_OK);
			ref_subproof(&t, m, 0, n, true, &r);
			assert_int_equal(p.n, r.n);
			assert_memory_equal(p.h, r.h, p.n * 32);
			assert_int_equal(vg_merkle_verify_consistency(m, n, &p, r1, root, &e), VG_OK);
			if (m == n) {
				assert_int_equal(p.n, 0);
				continue;
			}
			struct vg_merkle_proof q = p;
			memcpy(q.h[q.n++], root, 32);
			assert_int_not_equal(vg_merkle_verify_consistency(m, n, &q, r1, root, &e), VG_OK);
			q = p;
			q.n--;
			assert_int_not_equal(vg_merkle_verify_consistency(m, n, &q, r1, root, &e), VG_OK);
			for (size_t k = 0; k < p.n; k++) {
				q = p;
				q.h[k][3] ^= 1;
				assert_int_not_equal(vg_merkle_verify_consistency(m, n, &q, r1, root, &e),
				                     VG_OK);
			}
			assert_int_not_equal(vg_merkle_verify_consistency(m, n, &p, root, r1, &e), VG_OK);
			/* A size going backwards. */
			assert_int_equal(vg_merkle_verify_consistency(n, m, &p, root, r1, &e), VG_ERR_RANGE);
		}
	}
	/* Proof sizes: 32 bytes per level, no more. */
	t.n = 64;
	struct vg_merkle_proof p;
	assert_int_equal(vg_merkle_prove_inclusion(mem_node, &t, 5, 64, &p, &e), VG_OK);
	assert_int_equal(p.n, 6);
	assert_int_equal(sizeof p.h[0], 32);
	assert_int_equal(vg_merkle_prove_consistency(mem_node, &t, 0, 5, &p, &e), VG_ERR_RANGE);
	assert_int_equal(vg_merkle_prove_inclusion(mem_node, &t, 64, 64, &p, &e), VG_ERR_RANGE);
	free(t.leaf);
}

static void proof_text(void **state)
{
	(void)state;
	struct memtree t;
	memtree_init(&t, 13);
	struct vg_merkle_proof p, q;
	struct vg_err e;
	assert_int_equal(vg_merkle_prove_inclusion(mem_node, &t, 6, 13, &p, &e), VG_OK);
	char text[VG_MERKLE_PROOF_TEXT_MAX];
	size_t n = vg_merkle_proof_format(&p, text, sizeof text);
	assert_int_equal(n, p.n * 45);
	assert_int_equal(vg_merkle_proof_parse(text, n, &q, &e), VG_OK);
	assert_int_equal(q.n, p.n);
	assert_memory_equal(q.h, p.h, p.n * 32);
	assert_int_equal(vg_merkle_proof_parse(text, n - 1, &q, &e), VG_OK); /* no final newline */
	assert_int_equal(vg_merkle_proof_parse("", 0, &q, &e), VG_OK);
	assert_int_equal(q.n, 0);
	const char *bad[] = {
		"\n",                                              /* empty line */
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", /* trailing empty line */
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n",   /* 31 bytes */
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA\n",   /* 33 bytes */
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",    /* no padding */
		" 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",  /* space */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(vg_merkle_proof_parse(bad[i], strlen(bad[i]), &q, &e), VG_OK);
	char many[70 * 45 + 1] = "";
	for (int i = 0; i < 65; i++)
		strcat(many, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	assert_int_equal(vg_merkle_proof_parse(many, strlen(many), &q, &e), VG_ERR_LIMIT);
	free(t.leaf);
}

static void tile_paths(void **state)
{
	(void)state;
	char p[VG_TILE_PATH_MAX];
	vg_tile_path(4, 1234067, 256, p);
	assert_string_equal(p, "tile/4/x001/x234/067");
	vg_tile_path(4, 1234067, 1, p);
	assert_string_equal(p, "tile/4/x001/x234/067.p/1");
	vg_tile_path(0, 0, 255, p);
	assert_string_equal(p, "tile/0/000.p/255");
	vg_tile_path(VG_TILE_ENTRIES, 1000, 256, p);
	assert_string_equal(p, "tile/entries/x001/000");
	vg_tile_path(VG_TILE_ENTRIES, 999, 7, p);
	assert_string_equal(p, "tile/entries/999.p/7");
	vg_tile_path(63, UINT64_MAX, 255, p);
	assert_string_equal(p, "tile/63/x018/x446/x744/x073/x709/x551/615.p/255");
}

/* ---- notes and keys ----------------------------------------------------- */

/* Go's golang.org/x/mod/sumdb/note documentation example (a known answer:
 * Ed25519 is deterministic, so our signature must be byte-identical). */
static const char GO_SKEY[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char GO_VKEY[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char GO_TEXT[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char GO_MSG[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n"
	"\n"
	"\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void note_go_example(void **state)
{
	(void)state;
	struct vg_note_signer sk;
	struct vg_note_verifier vk;
	struct vg_err e;
	assert_int_equal(vg_note_signer_parse(GO_SKEY, strlen(GO_SKEY), &sk, &e), VG_OK);
	assert_int_equal(vg_note_verifier_parse(GO_VKEY, strlen(GO_VKEY), &vk, &e), VG_OK);
	assert_int_equal(sk.pub.key_id, 0xc74f20a3);
	assert_memory_equal(sk.pub.pk, vk.pk, 32);
	char buf[VG_NOTE_VKEY_MAX];
	vg_note_verifier_format(&sk.pub, buf, sizeof buf);
	assert_string_equal(buf, GO_VKEY);
	char sbuf[VG_NOTE_SKEY_MAX];
	vg_note_signer_format(&sk, sbuf, sizeof sbuf);
	assert_string_equal(sbuf, GO_SKEY);

	char msg[1024];
	size_t ml;
	assert_int_equal(vg_note_sign(&sk, GO_TEXT, strlen(GO_TEXT), 0, msg, sizeof msg, &ml, &e),
	                 VG_OK);
	assert_int_equal(ml, strlen(GO_MSG));
	assert_memory_equal(msg, GO_MSG, ml);

	struct vg_note n;
	assert_int_equal(vg_note_open(GO_MSG, strlen(GO_MSG), &vk, 1, &n, &e), VG_OK);
	assert_int_equal(n.text_len, strlen(GO_TEXT));
	assert_int_equal(n.nverified, 1);
	assert_int_equal(n.sigs[0].verifier, 0);

	/* Tampered text, unknown key only, malformed notes. */
	char bad[1024];
	strcpy(bad, GO_MSG);
	bad[3] ^= 1;
	assert_int_equal(vg_note_open(bad, strlen(bad), &vk, 1, &n, &e), VG_ERR_SIGNATURE);
	struct vg_note_signer other;
	seed_key("PeterNeumann", VG_NOTE_ED25519, 7, &other);
	assert_int_equal(vg_note_open(GO_MSG, strlen(GO_MSG), &other.pub, 1, &n, &e),
	                 VG_ERR_SIGNATURE);
	assert_non_null(strstr(e.msg, "no signature by a known key"));
	strcpy(bad, GO_MSG);
	*strrchr(bad, '\n') = '\0'; /* no final newline */
	assert_int_not_equal(vg_note_open(bad, strlen(bad), &vk, 1, &n, &e), VG_OK);
	strcpy(bad, GO_MSG);
	memcpy(strstr(bad, "\xe2\x80\x94"), "--- ", 4);
	assert_int_not_equal(vg_note_open(bad, strlen(bad), &vk, 1, &n, &e), VG_OK);
	strcpy(bad, GO_MSG);
	bad[5] = '\t';
	assert_int_not_equal(vg_note_open(bad, strlen(bad), &vk, 1, &n, &e), VG_OK);

	/* An unknown extra signature is ignored; a known one that fails rejects. */
	char line[VG_NOTE_SIGLINE_MAX];
	size_t ll;
	assert_int_equal(vg_note_sign_line(&other, GO_TEXT, strlen(GO_TEXT), 0, line, sizeof line,
	                                   &ll, &e),
	                 VG_OK);
	char two[2048];
	snprintf(two, sizeof two, "%s%s", GO_MSG, line);
	assert_int_equal(vg_note_open(two, strlen(two), &vk, 1, &n, &e), VG_OK);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(n.nverified, 1);
	assert_int_equal(n.sigs[1].verifier, -1);
	struct vg_note_verifier both[2] = {vk, other.pub};
	assert_int_equal(vg_note_open(two, strlen(two), both, 2, &n, &e), VG_OK);
	assert_int_equal(n.nverified, 2);
	/* other's line on a different text: a known key's bad signature. */
	assert_int_equal(vg_note_sign_line(&other, "x\n", 2, 0, line, sizeof line, &ll, &e), VG_OK);
	snprintf(two, sizeof two, "%s%s", GO_MSG, line);
	assert_int_equal(vg_note_open(two, strlen(two), both, 2, &n, &e), VG_ERR_SIGNATURE);

	/* Key strings that must not parse. */
	const char *badkeys[] = {
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* id */
		"PeterNeumann+c74f20a3+AhpcD2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", /* type 2 */
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	};
	for (size_t i = 0; i < sizeof badkeys / sizeof badkeys[0]; i++)
		assert_int_equal(vg_note_verifier_parse(badkeys[i], strlen(badkeys[i]), &vk, &e),
		                 VG_ERR_KEY);
	assert_int_equal(vg_note_signer_parse(GO_VKEY, strlen(GO_VKEY), &sk, &e), VG_ERR_KEY);
	assert_false(vg_note_name_valid("a+b", 3));
	assert_false(vg_note_name_valid("a\xc2\xa0" "b", 4)); /* U+00A0 */
	assert_true(vg_note_name_valid("vigil.example/log", 17));
	vg_note_signer_wipe(&sk);
	vg_note_signer_wipe(&other);
}

static void key_files(void **state)
{
	(void)state;
	char dir[64], path[128];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/log.key", dir);
	struct vg_note_signer k, r;
	struct vg_err e;
	assert_int_equal(vg_note_signer_generate("vigil.example/log", VG_NOTE_ED25519, &k, &e),
	                 VG_OK);
	assert_int_equal(vg_note_key_write(path, &k, &e), VG_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(vg_note_key_write(path, &k, &e), VG_ERR_EXISTS);
	assert_int_equal(vg_note_key_read(path, &r, &e), VG_OK);
	assert_memory_equal(&r.pub, &k.pub, sizeof r.pub);
	assert_memory_equal(r.key.seed, k.key.seed, 32);
	/* Witness keys use the same shape with type 0x04. */
	struct vg_note_signer w;
	assert_int_equal(vg_note_signer_generate("witness.example/w1", VG_NOTE_COSIGNATURE_V1, &w,
	                                         &e),
	                 VG_OK);
	char s[VG_NOTE_SKEY_MAX];
	vg_note_signer_format(&w, s, sizeof s);
	assert_int_equal(vg_note_signer_parse(s, strlen(s), &r, &e), VG_OK);
	assert_int_equal(r.pub.type, VG_NOTE_COSIGNATURE_V1);
	assert_int_equal(r.pub.key_id, vg_note_key_id("witness.example/w1", 4, w.pub.pk));
	assert_int_not_equal(r.pub.key_id, vg_note_key_id("witness.example/w1", 1, w.pub.pk));
	tu_rmdir(dir);
}

static void checkpoints(void **state)
{
	(void)state;
	struct vg_checkpoint c, d;
	struct vg_err e;
	const char *good = "vigil.example/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	assert_int_equal(vg_checkpoint_parse(good, strlen(good), &c, &e), VG_OK);
	assert_string_equal(c.origin, "vigil.example/log");
	assert_int_equal(c.size, 20852163);
	char out[400];
	assert_int_equal(vg_checkpoint_format(&c, out, sizeof out), strlen(good));
	assert_string_equal(out, good);
	const char *ext = "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension\n";
	assert_int_equal(vg_checkpoint_parse(ext, strlen(ext), &d, &e), VG_OK);
	const char *bad[] = {
		"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
		"\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
		"o\n1\n",
		"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(vg_checkpoint_parse(bad[i], strlen(bad[i]), &d, &e), VG_ERR_VERSION);

	/* Signed: a forged signature, another origin, another key. */
	struct vg_note_signer k, k2;
	seed_key("vigil.example/log", VG_NOTE_ED25519, 1, &k);
	seed_key("vigil.example/log", VG_NOTE_ED25519, 2, &k2);
	char note[VG_NOTE_MAX];
	size_t nl;
	assert_int_equal(vg_note_sign(&k, good, strlen(good), 0, note, sizeof note, &nl, &e), VG_OK);
	assert_int_equal(vg_checkpoint_open(note, nl, &k.pub, &d, &e), VG_OK);
	assert_int_equal(d.size, 20852163);
	char forged[VG_NOTE_MAX];
	memcpy(forged, note, nl + 1);
	forged[nl - 10] = forged[nl - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(vg_checkpoint_open(forged, nl, &k.pub, &d, &e), VG_ERR_SIGNATURE);
	assert_int_equal(vg_checkpoint_open(note, nl, &k2.pub, &d, &e), VG_ERR_SIGNATURE);
	const char *other = "other.example/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	assert_int_equal(vg_note_sign(&k, other, strlen(other), 0, note, sizeof note, &nl, &e), VG_OK);
	assert_int_equal(vg_checkpoint_open(note, nl, &k.pub, &d, &e), VG_ERR_INCONSISTENT);
	assert_non_null(strstr(e.msg, "other.example/log"));
}

/* ---- the log on disk ---------------------------------------------------- */

static size_t entry_for(uint64_t i, uint8_t *buf)
{
	/* Deterministic entries of varied length (0 .. 300 bytes). */
	size_t n = (size_t)((i * 2654435761u) % 301);
	int h = snprintf((char *)buf, 64, "entry %" PRIu64 ";", i);
	if ((size_t)h > n)
		n = (size_t)h;
	for (size_t k = (size_t)h; k < n; k++)
		buf[k] = (uint8_t)(i + k);
	return i == 7 ? 0 : n; /* one empty entry */
}

static vg_ledger *make_log(const char *dir, const struct vg_note_signer *k, uint64_t n,
                           uint64_t batch)
{
	struct vg_err e;
	if (vg_ledger_create(dir, k, &e) != VG_OK)
		fail_msg("%s", e.msg);
	vg_ledger *lg;
	if (vg_ledger_open(dir, k, 0, &lg, &e) != VG_OK)
		fail_msg("%s", e.msg);
	uint8_t buf[512];
	for (uint64_t i = 0; i < n; i++) {
		uint64_t idx;
		size_t l = entry_for(i, buf);
		assert_int_equal(vg_ledger_append(lg, buf, l, &idx, &e), VG_OK);
		assert_int_equal(idx, i);
		if ((i + 1) % batch == 0 || i + 1 == n)
			if (vg_ledger_sync(lg, &e) != VG_OK)
				fail_msg("%s", e.msg);
	}
	return lg;
}

static bool exists(const char *dir, const char *rel)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

static void check_log_against_memtree(vg_ledger *lg, uint64_t n)
{
	struct memtree t;
	memtree_init(&t, 0);
	free(t.leaf);
	t.n = n;
	t.leaf = malloc(n * 32);
	uint8_t buf[512], got[VG_LEDGER_ENTRY_MAX];
	struct vg_err e;
	for (uint64_t i = 0; i < n; i++) {
		size_t l = entry_for(i, buf), gl;
		vg_merkle_leaf_hash(buf, l, t.leaf[i]);
		if (i % 97 == 0 || i + 1 == n) {
			assert_int_equal(vg_ledger_entry(lg, i, got, sizeof got, &gl, &e), VG_OK);
			assert_int_equal(gl, l);
			assert_memory_equal(got, buf, l);
		}
	}
	struct vg_merkle_frontier f;
	vg_merkle_frontier_init(&f);
	for (uint64_t i = 0; i < n; i++)
		vg_merkle_frontier_push(&f, t.leaf[i]);
	uint8_t want[32], root[32];
	vg_merkle_frontier_root(&f, want);
	assert_int_equal(vg_ledger_root(lg, n, root, &e), VG_OK);
	assert_memory_equal(root, want, 32);
	/* Proofs from the log verify against the checkpoint root. */
	for (uint64_t i = 0; i < n; i += 1 + n / 50) {
		struct vg_merkle_proof p;
		assert_int_equal(vg_ledger_prove_inclusion(lg, i, n, &p, &e), VG_OK);
		assert_int_equal(vg_merkle_verify_inclusion(i, n, t.leaf[i], &p, want, &e), VG_OK);
		uint64_t m = i + 1;
		uint8_t r1[32];
		assert_int_equal(vg_ledger_root(lg, m, r1, &e), VG_OK);
		assert_int_equal(vg_ledger_prove_consistency(lg, m, n, &p, &e), VG_OK);
		assert_int_equal(vg_merkle_verify_consistency(m, n, &p, r1, want, &e), VG_OK);
	}
	free(t.leaf);
}

static void log_lifecycle(void **state)
{
	(void)state;
	char tmp[64], dir[128];
	assert_non_null(tu_tmpdir(tmp, sizeof tmp));
	snprintf(dir, sizeof dir, "%s/log", tmp);
	struct vg_note_signer k;
	seed_key("vigil.example/test-log", VG_NOTE_ED25519, 3, &k);
	struct vg_err e;
	vg_ledger *lg = make_log(dir, &k, 1000, 77);
	assert_int_equal(vg_ledger_size(lg), 1000);
	assert_int_equal(vg_ledger_durable_size(lg), 1000);
	check_log_against_memtree(lg, 1000);
	/* The layout of C2SP tlog-tiles for size 1000. */
	assert_true(exists(dir, "checkpoint"));
	assert_true(exists(dir, "tile/0/000"));
	assert_true(exists(dir, "tile/0/002"));
	assert_true(exists(dir, "tile/0/003.p/232"));
	assert_true(exists(dir, "tile/entries/003.p/232"));
	assert_true(exists(dir, "tile/1/000.p/3"));
	assert_false(exists(dir, "tile/0/000.p")); /* partials of full tiles removed */
	/* A second writer is locked out; the checkpoint verifies. */
	vg_ledger *lg2;
	assert_int_equal(vg_ledger_open(dir, &k, 0, &lg2, &e), VG_ERR_BUSY);
	size_t cl;
	const char *cp = vg_ledger_checkpoint(lg, &cl);
	struct vg_checkpoint c;
	assert_int_equal(vg_checkpoint_open(cp, cl, &k.pub, &c, &e), VG_OK);
	assert_int_equal(c.size, 1000);
	/* Limits. */
	static uint8_t big[VG_LEDGER_ENTRY_MAX + 1];
	uint64_t idx;
	assert_int_equal(vg_ledger_append(lg, big, sizeof big, &idx, &e), VG_ERR_LIMIT);
	assert_int_equal(vg_ledger_append(lg, big, VG_LEDGER_ENTRY_MAX, &idx, &e), VG_OK);
	assert_int_equal(idx, 1000);
	/* Appended but not synced: gone after reopening. */
	vg_ledger_free(lg);
	assert_int_equal(vg_ledger_open(dir, &k, 0, &lg, &e), VG_OK);
	assert_int_equal(vg_ledger_size(lg), 1000);
	check_log_against_memtree(lg, 1000);
	/* Continue appending after a reopen: the next checkpoint is consistent. */
	uint8_t buf[512], r1000[32], rn[32];
	assert_int_equal(vg_ledger_root(lg, 1000, r1000, &e), VG_OK);
	for (uint64_t i = 1000; i < 1300; i++) {
		size_t l = entry_for(i, buf);
		assert_int_equal(vg_ledger_append(lg, buf, l, &idx, &e), VG_OK);
	}
	assert_int_equal(vg_ledger_sync(lg, &e), VG_OK);
	assert_int_equal(vg_ledger_sync(lg, &e), VG_OK); /* nothing pending: no-op */
	check_log_against_memtree(lg, 1300);
	struct vg_merkle_proof p;
	assert_int_equal(vg_ledger_root(lg, 1300, rn, &e), VG_OK);
	assert_int_equal(vg_ledger_prove_consistency(lg, 1000, 1300, &p, &e), VG_OK);
	assert_int_equal(vg_merkle_verify_consistency(1000, 1300, &p, r1000, rn, &e), VG_OK);
	vg_ledger_free(lg);

	/* Read-only, without the private index (a mirror): same answers. */
	char idxp[256];
	snprintf(idxp, sizeof idxp, "%s/.vigil/hashes", dir);
	assert_int_equal(unlink(idxp), 0);
	assert_int_equal(vg_ledger_open(dir, NULL, 0, &lg, &e), VG_OK);
	check_log_against_memtree(lg, 1300);
	assert_int_equal(vg_ledger_append(lg, buf, 1, &idx, &e), VG_ERR_INVALID_ARG);
	vg_ledger_free(lg);
	/* Writable: the index is rebuilt from the tiles. */
	assert_int_equal(vg_ledger_open(dir, &k, 0, &lg, &e), VG_OK);
	check_log_against_memtree(lg, 1300);
	vg_ledger_free(lg);
	/* A damaged index is detected and rebuilt. */
	int fd = open(idxp, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "garbage!", 8, 64 * 32), 8);
	close(fd);
	assert_int_equal(vg_ledger_open(dir, &k, 0, &lg, &e), VG_OK);
	check_log_against_memtree(lg, 1300);
	vg_ledger_free(lg);
	/* create on an existing log refuses. */
	assert_int_equal(vg_ledger_create(dir, &k, &e), VG_ERR_EXISTS);
	/* The auditor agrees. */
	struct vg_ledger_audit a;
	assert_int_equal(vg_ledger_audit(dir, &k.pub, NULL, NULL, &a, &e), VG_OK);
	assert_int_equal(a.checkpoint.size, 1300);
	assert_int_equal(a.entries, 1300);
	tu_rmdir(tmp);
}

/* The spec's own example: size 70,000. */
static void log_levels(void **state)
{
	(void)state;
	char tmp[64], dir[128];
	assert_non_null(tu_tmpdir(tmp, sizeof tmp));
	snprintf(dir, sizeof dir, "%s/log", tmp);
	struct vg_note_signer k;
	seed_key("vigil.example/levels", VG_NOTE_ED25519, 4, &k);
	vg_ledger *lg = make_log(dir, &k, 70000, 9000);
	assert_true(exists(dir, "tile/0/272"));
	assert_true(exists(dir, "tile/0/273.p/112"));
	assert_true(exists(dir, "tile/1/000"));
	assert_true(exists(dir, "tile/1/001.p/17"));
	assert_true(exists(dir, "tile/2/000.p/1"));
	assert_true(exists(dir, "tile/entries/273.p/112"));
	check_log_against_memtree(lg, 70000);
	vg_ledger_free(lg);
	struct vg_err e;
	assert_int_equal(vg_ledger_open(dir, NULL, 0, &lg, &e), VG_OK);
	check_log_against_memtree(lg, 70000);
	vg_ledger_free(lg);
	struct vg_ledger_audit a;
	assert_int_equal(vg_ledger_audit(dir, &k.pub, NULL, NULL, &a, &e), VG_OK);
	assert_int_equal(a.entries, 70000);
	tu_rmdir(tmp);
}

/* ---- corruption found by the audit (and by open) ------------------------- */

struct fixture {
	char tmp[64], good[128], bad[128];
	struct vg_note_signer k;
};

static void fixture_make(struct fixture *fx)
{
	assert_non_null(tu_tmpdir(fx->tmp, sizeof fx->tmp));
	snprintf(fx->good, sizeof fx->good, "%s/good", fx->tmp);
	snprintf(fx->bad, sizeof fx->bad, "%s/bad", fx->tmp);
	seed_key("vigil.example/audit", VG_NOTE_ED25519, 5, &fx->k);
	vg_ledger_free(make_log(fx->good, &fx->k, 1000, 300));
}

static void fixture_reset(struct fixture *fx)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", fx->bad, fx->good, fx->bad);
	assert_int_equal(system(cmd), 0);
}

static vg_status audit_bad(struct fixture *fx, struct vg_err *e)
{
	struct vg_ledger_audit a;
	vg_status st = vg_ledger_audit(fx->bad, &fx->k.pub, NULL, NULL, &a, e);
	if (st != VG_OK)
		fprintf(stderr, "  audit: %s: %s\n", vg_status_name(st), e->msg);
	return st;
}

static void flip(const char *dir, const char *rel, long off)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	size_t n;
	char *b = slurp(p, &n);
	assert_non_null(b);
	b[off < 0 ? (long)n + off : off] ^= 0x01;
	spit(p, b, n);
	free(b);
}

static void audit_corruption(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_make(&fx);
	struct vg_err e;
	char p[512];
	vg_ledger *lg;

	fixture_reset(&fx);
	assert_int_equal(audit_bad(&fx, &e), VG_OK);

	/* Flipped bit in a full level-0 tile: the entries confirm the root. */
	fixture_reset(&fx);
	flip(fx.bad, "tile/0/001", 100);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/001"));
	assert_non_null(strstr(e.msg, "the tile is damaged"));

	/* Flipped bit in the partial level-0 tile: open refuses, naming it. */
	fixture_reset(&fx);
	flip(fx.bad, "tile/0/003.p/232", 5);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/003.p/232"));
	assert_int_equal(vg_ledger_open(fx.bad, &fx.k, 0, &lg, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/003.p/232"));

	/* Flipped bit in a level-1 tile. */
	fixture_reset(&fx);
	flip(fx.bad, "tile/1/000.p/3", 40);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/1/000.p/3"));
	assert_int_equal(vg_ledger_open(fx.bad, &fx.k, 0, &lg, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/1/000.p/3"));

	/* Flipped bit inside an entry. */
	fixture_reset(&fx);
	flip(fx.bad, "tile/entries/001", 300);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/entries/001"));

	/* Truncated tile. */
	fixture_reset(&fx);
	snprintf(p, sizeof p, "%s/tile/0/000", fx.bad);
	assert_int_equal(truncate(p, 8191), 0);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/000"));
	assert_non_null(strstr(e.msg, "truncated"));

	/* Missing tile. */
	fixture_reset(&fx);
	snprintf(p, sizeof p, "%s/tile/0/002", fx.bad);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/002: missing"));

	/* Missing partial tile of the checkpoint's size: open refuses. */
	fixture_reset(&fx);
	snprintf(p, sizeof p, "%s/tile/0/003.p/232", fx.bad);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(vg_ledger_open(fx.bad, &fx.k, 0, &lg, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/0/003.p/232: missing"));

	/* Reordered entries: swap the first two entries of bundle 0. */
	fixture_reset(&fx);
	snprintf(p, sizeof p, "%s/tile/entries/000", fx.bad);
	size_t n;
	uint8_t *b = (uint8_t *)slurp(p, &n);
	size_t l0 = (size_t)b[0] << 8 | b[1], l1 = (size_t)b[2 + l0] << 8 | b[3 + l0];
	uint8_t *sw = malloc(n);
	memcpy(sw, b + 2 + l0, 2 + l1);
	memcpy(sw + 2 + l1, b, 2 + l0);
	memcpy(sw + 4 + l0 + l1, b + 4 + l0 + l1, n - 4 - l0 - l1);
	spit(p, sw, n);
	free(sw);
	free(b);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/entries/000"));
	assert_non_null(strstr(e.msg, "reordered"));

	/* Trailing bytes after the entries of a bundle. */
	fixture_reset(&fx);
	snprintf(p, sizeof p, "%s/tile/entries/002", fx.bad);
	FILE *f = fopen(p, "ab");
	fputc(0, f);
	fclose(f);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "tile/entries/002"));

	/* Forged checkpoint signature. */
	fixture_reset(&fx);
	flip(fx.bad, "checkpoint", -10);
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_SIGNATURE);
	assert_int_equal(vg_ledger_open(fx.bad, &fx.k, 0, &lg, &e), VG_ERR_SIGNATURE);

	/* A checkpoint of another origin, validly signed by the log key. */
	fixture_reset(&fx);
	{
		snprintf(p, sizeof p, "%s/checkpoint", fx.bad);
		size_t cl;
		char *cp = slurp(p, &cl);
		struct vg_checkpoint c;
		size_t tl = (size_t)(strstr(cp, "\n\n") - cp) + 1;
		assert_int_equal(vg_checkpoint_parse(cp, tl, &c, &e), VG_OK);
		snprintf(c.origin, sizeof c.origin, "vigil.example/other");
		char body[400], note[VG_NOTE_MAX];
		size_t bl = vg_checkpoint_format(&c, body, sizeof body), nl;
		assert_int_equal(vg_note_sign(&fx.k, body, bl, 0, note, sizeof note, &nl, &e), VG_OK);
		spit(p, note, nl);
		free(cp);
	}
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_INCONSISTENT);
	assert_int_equal(vg_ledger_open(fx.bad, &fx.k, 0, &lg, &e), VG_ERR_INCONSISTENT);

	/* Tiles and bundles consistently rewritten (a forged history). */
	fixture_reset(&fx);
	{
		struct vg_note_signer k2;
		char other[160];
		snprintf(other, sizeof other, "%s/other", fx.tmp);
		seed_key("vigil.example/audit", VG_NOTE_ED25519, 9, &k2);
		vg_ledger *o = make_log(other, &k2, 999, 1000);
		uint64_t idx;
		assert_int_equal(vg_ledger_append(o, (const uint8_t *)"forged", 6, &idx, &e), VG_OK);
		assert_int_equal(vg_ledger_sync(o, &e), VG_OK);
		vg_ledger_free(o);
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s/tile' && cp -a '%s/tile' '%s/tile'", fx.bad,
		         other, fx.bad);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(audit_bad(&fx, &e), VG_ERR_CORRUPT);
	assert_non_null(strstr(e.msg, "checkpoint root"));
	tu_rmdir(fx.tmp);
}

/* The audit hook sees every entry in order; its error stops the audit. */
struct hook_ctx {
	uint64_t next, fail_at;
};

static vg_status hook(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                      struct vg_err *err)
{
	struct hook_ctx *h = ctx;
	uint8_t buf[512];
	assert_int_equal(index, h->next++);
	size_t l = entry_for(index, buf);
	assert_int_equal(len, l);
	assert_memory_equal(entry, buf, l);
	if (index == h->fail_at)
		return vg_err_set(err, VG_ERR_SIGNATURE, "sensor signature invalid");
	return VG_OK;
}

static void audit_hook(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_make(&fx);
	struct vg_err e;
	struct vg_ledger_audit a;
	struct hook_ctx h = {0, UINT64_MAX};
	assert_int_equal(vg_ledger_audit(fx.good, &fx.k.pub, hook, &h, &a, &e), VG_OK);
	assert_int_equal(h.next, 1000);
	h = (struct hook_ctx){0, 500};
	assert_int_equal(vg_ledger_audit(fx.good, &fx.k.pub, hook, &h, &a, &e), VG_ERR_SIGNATURE);
	assert_non_null(strstr(e.msg, "entry 500"));
	tu_rmdir(fx.tmp);
}

/* ---- witness and finality ------------------------------------------------ */

static void witness(void **state)
{
	(void)state;
	char tmp[64], dir[128], fork_dir[128], st_path[160];
	assert_non_null(tu_tmpdir(tmp, sizeof tmp));
	snprintf(dir, sizeof dir, "%s/log", tmp);
	snprintf(fork_dir, sizeof fork_dir, "%s/fork", tmp);
	snprintf(st_path, sizeof st_path, "%s/w1.state", tmp);
	struct vg_note_signer k, w;
	seed_key("vigil.example/witnessed", VG_NOTE_ED25519, 6, &k);
	seed_key("witness.example/w1", VG_NOTE_COSIGNATURE_V1, 7, &w);
	struct vg_err e;
	char line[VG_NOTE_SIGLINE_MAX];
	size_t ll, cl;
	struct vg_witness_evidence *ev = calloc(1, sizeof *ev);

	vg_ledger *lg = make_log(dir, &k, 100, 100);
	char cp100[VG_NOTE_MAX];
	const char *cp = vg_ledger_checkpoint(lg, &cl);
	memcpy(cp100, cp, cl + 1);
	size_t cl100 = cl;
	/* First sight of the log: accepted without a proof. */
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp100, cl100, NULL, 1700000000, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_OK);
	/* The cosignature verifies as a cosignature/v1 note signature. */
	char cosigned[VG_NOTE_MAX + VG_NOTE_SIGLINE_MAX];
	snprintf(cosigned, sizeof cosigned, "%s%s", cp100, line);
	struct vg_note_verifier known[2] = {k.pub, w.pub};
	struct vg_note n;
	assert_int_equal(vg_note_open(cosigned, strlen(cosigned), known, 2, &n, &e), VG_OK);
	assert_int_equal(n.nverified, 2);
	assert_int_equal(n.sigs[1].timestamp, 1700000000);
	/* Same checkpoint again: re-cosigned. */
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp100, cl100, NULL, 1700000001, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_OK);

	/* The log grows: accepted with a valid consistency proof only. */
	uint8_t buf[512];
	uint64_t idx;
	for (uint64_t i = 100; i < 250; i++) {
		size_t l = entry_for(i, buf);
		assert_int_equal(vg_ledger_append(lg, buf, l, &idx, &e), VG_OK);
	}
	assert_int_equal(vg_ledger_sync(lg, &e), VG_OK);
	char cp250[VG_NOTE_MAX];
	cp = vg_ledger_checkpoint(lg, &cl);
	memcpy(cp250, cp, cl + 1);
	size_t cl250 = cl;
	struct vg_merkle_proof p, q;
	assert_int_equal(vg_ledger_prove_consistency(lg, 100, 250, &p, &e), VG_OK);
	q = p;
	memcpy(q.h[q.n++], q.h[0], 32); /* an extra hash */
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp250, cl250, &q, 1700000002, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_INCONSISTENT);
	q = p;
	q.n--; /* a missing hash */
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp250, cl250, &q, 1700000002, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_INCONSISTENT);
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp250, cl250, &p, 1700000002, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_OK);
	/* A size going backwards. */
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp100, cl100, NULL, 1700000003, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_RANGE);

	/* A split view: the same key signs a fork with other entries. */
	vg_ledger *fk = make_log(fork_dir, &k, 249, 1000);
	assert_int_equal(vg_ledger_append(fk, (const uint8_t *)"evil", 4, &idx, &e), VG_OK);
	assert_int_equal(vg_ledger_sync(fk, &e), VG_OK);
	char fork250[VG_NOTE_MAX];
	cp = vg_ledger_checkpoint(fk, &cl);
	memcpy(fork250, cp, cl + 1);
	size_t clf = cl;
	memset(ev, 0, sizeof *ev);
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, fork250, clf, NULL, 1700000004, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_INCONSISTENT);
	assert_non_null(strstr(e.msg, "split view"));
	assert_int_equal(ev->offered_len, clf);
	assert_memory_equal(ev->offered, fork250, clf);
	assert_true(ev->cosigned_len > cl250);
	assert_memory_equal(ev->cosigned, cp250, cl250); /* what we cosigned, plus our line */
	/* The fork grows and offers a proof from its own history: rejected. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(vg_ledger_append(fk, (const uint8_t *)"more", 4, &idx, &e), VG_OK);
	assert_int_equal(vg_ledger_sync(fk, &e), VG_OK);
	assert_int_equal(vg_ledger_prove_consistency(fk, 250, 260, &p, &e), VG_OK);
	cp = vg_ledger_checkpoint(fk, &cl);
	memset(ev, 0, sizeof *ev);
	assert_int_equal(vg_witness_cosign(st_path, &w, &k.pub, cp, cl, &p, 1700000005, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_INCONSISTENT);
	assert_true(ev->offered_len == cl && ev->cosigned_len > 0);
	/* The state still holds the honest checkpoint. */
	char sp[256];
	size_t sl;
	snprintf(sp, sizeof sp, "%s", st_path);
	char *saved = slurp(sp, &sl);
	assert_memory_equal(saved, cp250, cl250);
	free(saved);
	/* Another log's checkpoint is refused. */
	struct vg_note_signer k3;
	seed_key("vigil.example/else", VG_NOTE_ED25519, 8, &k3);
	assert_int_equal(vg_witness_cosign(st_path, &w, &k3.pub, cp250, cl250, NULL, 1700000006, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_SIGNATURE);
	/* A log key cannot be used as a witness key. */
	assert_int_equal(vg_witness_cosign(st_path, &k, &k.pub, cp250, cl250, NULL, 1700000006, line,
	                                   sizeof line, &ll, ev, &e),
	                 VG_ERR_INVALID_ARG);

	/* Split-view helper on two checkpoints. */
	struct vg_checkpoint a, b;
	assert_int_equal(vg_checkpoint_open(cp250, cl250, &k.pub, &a, &e), VG_OK);
	assert_int_equal(vg_checkpoint_open(fork250, clf, &k.pub, &b, &e), VG_OK);
	assert_int_equal(vg_checkpoint_consistent(&a, &b, NULL, &e), VG_ERR_INCONSISTENT);
	assert_int_equal(vg_checkpoint_consistent(&a, &a, NULL, &e), VG_OK);
	vg_ledger_free(fk);
	vg_ledger_free(lg);
	free(ev);
	tu_rmdir(tmp);
}

static void finality(void **state)
{
	(void)state;
	char tmp[64], dir[128];
	assert_non_null(tu_tmpdir(tmp, sizeof tmp));
	snprintf(dir, sizeof dir, "%s/log", tmp);
	struct vg_note_signer k, w[4];
	seed_key("vigil.example/final", VG_NOTE_ED25519, 10, &k);
	for (int i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof name, "witness.example/w%d", i);
		seed_key(name, VG_NOTE_COSIGNATURE_V1, (uint8_t)(20 + i), &w[i]);
	}
	vg_ledger *lg = make_log(dir, &k, 10, 10);
	size_t cl;
	const char *cp = vg_ledger_checkpoint(lg, &cl);
	char note[VG_NOTE_MAX];
	memcpy(note, cp, cl + 1);
	struct vg_err e;
	/* w0, w1 and w3 cosign; w3 is not configured. */
	int who[3] = {0, 1, 3};
	for (int i = 0; i < 3; i++) {
		char st_path[160], line[VG_NOTE_SIGLINE_MAX];
		size_t ll;
		snprintf(st_path, sizeof st_path, "%s/w%d.state", tmp, who[i]);
		assert_int_equal(vg_witness_cosign(st_path, &w[who[i]], &k.pub, cp, cl, NULL,
		                                   1700000000 + i, line, sizeof line, &ll, NULL, &e),
		                 VG_OK);
		strcat(note, line);
	}
	struct vg_note_verifier cfg[4] = {w[0].pub, w[1].pub, w[2].pub, w[0].pub};
	size_t count;
	bool fin;
	assert_int_equal(vg_checkpoint_final(note, strlen(note), &k.pub, cfg, 4, 2, &count, &fin, &e),
	                 VG_OK);
	assert_int_equal(count, 2); /* w0 once, w1; w2 did not sign; w3 unknown */
	assert_true(fin);
	assert_int_equal(vg_checkpoint_final(note, strlen(note), &k.pub, cfg, 4, 3, &count, &fin, &e),
	                 VG_OK);
	assert_false(fin);
	/* A configured witness's forged cosignature rejects the note. */
	char forged[VG_NOTE_MAX];
	strcpy(forged, note);
	char *w1 = strstr(forged, "witness.example/w1 ");
	assert_non_null(w1);
	w1[30] = w1[30] == 'A' ? 'B' : 'A';
	assert_int_equal(vg_checkpoint_final(forged, strlen(forged), &k.pub, cfg, 4, 1, &count, &fin,
	                                     &e),
	                 VG_ERR_SIGNATURE);
	/* A log key configured as a witness is refused. */
	assert_int_equal(vg_checkpoint_final(note, strlen(note), &k.pub, &k.pub, 1, 1, &count, &fin,
	                                     &e),
	                 VG_ERR_INVALID_ARG);
	vg_ledger_free(lg);
	tu_rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kat_roots),
		cmocka_unit_test(vectors),
		cmocka_unit_test(proofs_exhaustive),
		cmocka_unit_test(proof_text),
		cmocka_unit_test(tile_paths),
		cmocka_unit_test(note_go_example),
		cmocka_unit_test(key_files),
		cmocka_unit_test(checkpoints),
		cmocka_unit_test(log_lifecycle),
		cmocka_unit_test(log_levels),
		cmocka_unit_test(audit_corruption),
		cmocka_unit_test(audit_hook),
		cmocka_unit_test(witness),
		cmocka_unit_test(finality),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

/* test_crypto.c - Ed25519 known answers (RFC 8032 7.1, Wycheproof), key
 * checks, strict base64, key files. Vectors are read from
 * $VG_SHARED_DATA/vectors/ed25519, never copied into the repository. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "test_util.h"

#include <jansson.h>
#include <sys/stat.h>

static int setup(void **state)
{
	(void)state;
	return vg_crypto_init() == VG_OK ? 0 : -1;
}

static size_t unhex(const char *h, uint8_t **out)
{
	size_t n = strlen(h) / 2;
	*out = malloc(n ? n : 1);
	assert_non_null(*out);
	assert_int_equal(vg_hex_decode(h, strlen(h), *out, n), VG_OK);
	return n;
}

static json_t *load(const char *rel)
{
	char p[1024];
	json_error_t je;
	json_t *j = json_load_file(tu_data_path(rel, p, sizeof p), 0, &je);
	if (!j)
		fail_msg("%s: %s (set VG_SHARED_DATA)", p, je.text);
	return j;
}

static void rfc8032_vectors(void **state)
{
	(void)state;
	json_t *v = load("vectors/ed25519/rfc8032.json");
	size_t i;
	json_t *c;
	int n = 0;
	json_array_foreach(v, i, c) {
		uint8_t *sk, *pk, *msg, *sig;
		size_t skl = unhex(json_string_value(json_object_get(c, "secret_key")), &sk);
		size_t pkl = unhex(json_string_value(json_object_get(c, "public_key")), &pk);
		size_t ml = unhex(json_string_value(json_object_get(c, "message")), &msg);
		size_t sl = unhex(json_string_value(json_object_get(c, "signature")), &sig);
		assert_int_equal(skl, 32);
		assert_int_equal(pkl, 32);
		assert_int_equal(sl, 64);
		struct vg_secret_key k;
		vg_key_from_seed(&k, sk);
		assert_memory_equal(k.pk, pk, 32);            /* key derivation */
		uint8_t mine[64];
		vg_sign(&k, msg, ml, mine);
		assert_memory_equal(mine, sig, 64);           /* deterministic signature */
		assert_true(vg_verify(pk, msg, ml, sig));
		assert_int_equal(vg_key_check_public(pk, NULL), VG_OK);
		sig[0] ^= 1;
		assert_false(vg_verify(pk, msg, ml, sig));
		vg_secret_key_wipe(&k);
		free(sk), free(pk), free(msg), free(sig);
		n++;
	}
	assert_true(n >= 4);
	json_decref(v);
}

static void wycheproof_vectors(void **state)
{
	(void)state;
	json_t *v = load("vectors/ed25519/wycheproof_ed25519_test.json");
	int total = 0, want = (int)json_integer_value(json_object_get(v, "numberOfTests"));
	size_t gi, ti;
	json_t *g, *t;
	json_array_foreach(json_object_get(v, "testGroups"), gi, g) {
		uint8_t *pk;
		const char *pkh = json_string_value(json_object_get(json_object_get(g, "publicKey"), "pk"));
		assert_int_equal(unhex(pkh, &pk), 32);
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			uint8_t *msg, *sig;
			size_t ml = unhex(json_string_value(json_object_get(t, "msg")), &msg);
			size_t sl = unhex(json_string_value(json_object_get(t, "sig")), &sig);
			const char *res = json_string_value(json_object_get(t, "result"));
			bool ok = sl == 64 && vg_verify(pk, msg, ml, sig);
			bool expect = !strcmp(res, "valid");
			assert_true(expect || !strcmp(res, "invalid")); /* no "acceptable" cases here */
			if (ok != expect)
				fail_msg("wycheproof tcId %lld (%s): got %s, labelled %s",
				         (long long)json_integer_value(json_object_get(t, "tcId")),
				         json_string_value(json_object_get(t, "comment")), ok ? "valid" : "invalid",
				         res);
			free(msg), free(sig);
			total++;
		}
		free(pk);
	}
	assert_int_equal(total, want);
	assert_int_equal(total, 151);
	json_decref(v);
}

static void public_key_checks(void **state)
{
	(void)state;
	uint8_t pk[32] = {0};
	struct vg_err e;
	/* Identity (small order 1). */
	pk[0] = 1;
	assert_int_equal(vg_key_check_public(pk, &e), VG_ERR_KEY);
	assert_non_null(strstr(e.msg, "small-order"));
	/* All zero: (0, 1)? no - y = 0 is a point of order 4. */
	memset(pk, 0, 32);
	assert_int_equal(vg_key_check_public(pk, &e), VG_ERR_KEY);
	/* Order-8 point (a well-known encoding). */
	uint8_t o8[32];
	assert_int_equal(vg_hex_decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	                               64, o8, 32), VG_OK);
	assert_int_equal(vg_key_check_public(o8, &e), VG_ERR_KEY);
	/* Non-canonical: y = p (2^255 - 19) encodes 0 non-canonically. */
	uint8_t nc[32];
	assert_int_equal(vg_hex_decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	                               64, nc, 32), VG_OK);
	assert_int_equal(vg_key_check_public(nc, &e), VG_ERR_KEY);
	/* A real key passes. */
	struct vg_secret_key k;
	vg_key_generate(&k);
	assert_int_equal(vg_key_check_public(k.pk, &e), VG_OK);
	vg_secret_key_wipe(&k);
}

static void base64_strict(void **state)
{
	(void)state;
	uint8_t out[64];
	size_t n = 0;
	struct vg_err e;
	assert_int_equal(vg_b64_decode("aGVsbG8=", 8, out, sizeof out, &n, &e), VG_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(vg_b64_decode("", 0, out, sizeof out, &n, &e), VG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(vg_b64_decode("aGVsbG8", 7, out, sizeof out, &n, &e), VG_ERR_BASE64);   /* no padding */
	assert_int_equal(vg_b64_decode("aGVsbG9=", 8, out, sizeof out, &n, &e), VG_ERR_BASE64);  /* trailing bits */
	assert_int_equal(vg_b64_decode("aGVs bG8=", 9, out, sizeof out, &n, &e), VG_ERR_BASE64); /* space */
	assert_int_equal(vg_b64_decode("aGVsbG8_", 8, out, sizeof out, &n, &e), VG_ERR_BASE64);  /* url alphabet */
	assert_int_equal(vg_b64_decode("aG=sbG8=", 8, out, sizeof out, &n, &e), VG_ERR_BASE64);  /* inner pad */
	assert_int_equal(vg_b64_decode("aGVsbG8=", 8, out, 4, &n, &e), VG_ERR_LIMIT);
	char enc[16];
	assert_int_equal(vg_b64_encode((const uint8_t *)"hello", 5, enc), 8);
	assert_string_equal(enc, "aGVsbG8=");
}

static void key_files(void **state)
{
	(void)state;
	char dir[64], path[256], ppath[256];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/k.key", dir);
	snprintf(ppath, sizeof ppath, "%s/k.pub", dir);
	struct vg_secret_key k, k2;
	struct vg_err e;
	vg_key_generate(&k);
	assert_int_equal(vg_key_write_secret(path, &k, &e), VG_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(vg_key_write_secret(path, &k, &e), VG_ERR_EXISTS); /* never overwrite */
	assert_int_equal(vg_key_read_secret(path, &k2, &e), VG_OK);
	assert_memory_equal(k.pk, k2.pk, 32);
	assert_int_equal(vg_key_write_public(ppath, k.pk, &e), VG_OK);
	char line[128];
	FILE *f = fopen(ppath, "r");
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	uint8_t pk[32];
	assert_int_equal(vg_key_parse_public(line, strlen(line), pk, &e), VG_OK);
	assert_memory_equal(pk, k.pk, 32);
	assert_int_equal(vg_key_parse_public("AAAA", 4, pk, &e), VG_ERR_KEY);
	vg_secret_key_wipe(&k);
	vg_secret_key_wipe(&k2);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc8032_vectors), cmocka_unit_test(wycheproof_vectors),
		cmocka_unit_test(public_key_checks), cmocka_unit_test(base64_strict),
		cmocka_unit_test(key_files),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

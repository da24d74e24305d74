/* crypto.c - Ed25519, SHA-256 and strict base64 on libsodium. */
#include "crypto.h"

#include <sodium.h>
#include <string.h>

vg_status vg_crypto_init(void)
{
	return sodium_init() < 0 ? VG_ERR_INTERNAL : VG_OK;
}

void vg_key_from_seed(struct vg_secret_key *key, const uint8_t seed[VG_SEED_BYTES])
{
	memcpy(key->seed, seed, VG_SEED_BYTES);
	crypto_sign_seed_keypair(key->pk, key->sk, key->seed);
}

void vg_key_generate(struct vg_secret_key *key)
{
	uint8_t seed[VG_SEED_BYTES];
	randombytes_buf(seed, sizeof seed);
	vg_key_from_seed(key, seed);
	sodium_memzero(seed, sizeof seed);
}

void vg_secret_key_wipe(struct vg_secret_key *key)
{
	sodium_memzero(key, sizeof *key);
}

vg_status vg_key_check_public(const uint8_t pk[VG_PK_BYTES], struct vg_err *err)
{
	/* crypto_core_ed25519_is_valid_point: canonical encoding, on the curve,
	 * not of small order, in the prime-order subgroup. */
	if (!crypto_core_ed25519_is_valid_point(pk))
		return vg_err_set(err, VG_ERR_KEY,
		                  "public key is not a canonical prime-order Ed25519 point "
		                  "(malformed, small-order or non-canonical)");
	return VG_OK;
}

void vg_sign(const struct vg_secret_key *key, const uint8_t *msg, size_t len,
             uint8_t sig[VG_SIG_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, key->sk);
}

bool vg_verify(const uint8_t pk[VG_PK_BYTES], const uint8_t *msg, size_t len,
               const uint8_t sig[VG_SIG_BYTES])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

void vg_sha256(const uint8_t *msg, size_t len, uint8_t out[VG_SHA256_BYTES])
{
	crypto_hash_sha256(out, msg, len);
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(struct vg_sha256_ctx),
               "vg_sha256_ctx too small for libsodium's state");

void vg_sha256_init(struct vg_sha256_ctx *c)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)c->opaque);
}

void vg_sha256_update(struct vg_sha256_ctx *c, const uint8_t *msg, size_t len)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)c->opaque, msg, len);
}

void vg_sha256_final(struct vg_sha256_ctx *c, uint8_t out[VG_SHA256_BYTES])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)c->opaque, out);
}

size_t vg_b64_encoded_size(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

size_t vg_b64_encode(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2base64(out, vg_b64_encoded_size(n), in, n, sodium_base64_VARIANT_ORIGINAL);
	return strlen(out);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

vg_status vg_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                        struct vg_err *err)
{
	/* Check the shape first so that the message can name the offset;
	 * libsodium then does the decoding (and checks trailing bits again). */
	if (len % 4 != 0)
		return vg_err_set(err, VG_ERR_BASE64, "length %zu is not a multiple of 4", len);
	size_t pad = 0;
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (b64_value((unsigned char)s[i]) < 0)
			return vg_err_set(err, VG_ERR_BASE64, "invalid character at offset %zu", i);
	size_t n = len / 4 * 3 - pad;
	if (n > cap)
		return vg_err_set(err, VG_ERR_LIMIT, "decoded length %zu over the limit %zu", n, cap);
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, cap, s, len, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len || got != n)
		return vg_err_set(err, VG_ERR_BASE64, "non-canonical encoding (padding or trailing bits)");
	*out_len = got;
	return VG_OK;
}

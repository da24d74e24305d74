/*
 * crypto.h - Ed25519 keys, signatures, SHA-256 and strict base64, all on
 * libsodium.
 *
 * Signature validity follows libsodium's strict rule everywhere
 * (crypto_sign_verify_detached as built without ED25519_NONDETERMINISTIC /
 * compat flags): S must be canonical (< L), R and the public key must not be
 * small-order, the public key must be a canonical encoding. Enrolment applies
 * the same test to public keys up front (vg_key_check_public) so that a key
 * that could never verify, or that would let anyone forge, is refused early.
 *
 * vg_crypto_init() must be called once before any other function here
 * (cli/ does it); the rest is thread-safe and keeps no state.
 * Secret key material is wiped with sodium_memzero by the functions that
 * handle it; callers holding a struct vg_secret_key must call
 * vg_secret_key_wipe() when done.
 */
#ifndef VG_CRYPTO_H
#define VG_CRYPTO_H

#include "core/core.h"

#define VG_PK_BYTES 32
#define VG_SEED_BYTES 32
#define VG_SIG_BYTES 64
#define VG_SHA256_BYTES 32

struct vg_secret_key {
	uint8_t seed[VG_SEED_BYTES];
	uint8_t sk[64];            /* libsodium expanded form: seed || pk */
	uint8_t pk[VG_PK_BYTES];
};

vg_status vg_crypto_init(void) VG_WUR;

/* Fresh key pair from the OS RNG. */
void vg_key_generate(struct vg_secret_key *key);
/* Deterministic key pair from a 32-byte seed (simulator, tests). */
void vg_key_from_seed(struct vg_secret_key *key, const uint8_t seed[VG_SEED_BYTES]);
void vg_secret_key_wipe(struct vg_secret_key *key);

/*
 * Reject public keys that are not canonical encodings of a curve point or
 * are of small order (the identity and the 7 other torsion points, in any
 * encoding). VG_ERR_KEY with a message on failure.
 */
vg_status vg_key_check_public(const uint8_t pk[VG_PK_BYTES], struct vg_err *err) VG_WUR;

void vg_sign(const struct vg_secret_key *key, const uint8_t *msg, size_t len,
             uint8_t sig[VG_SIG_BYTES]);
/* true iff sig is a valid strict Ed25519 signature of msg under pk. */
bool vg_verify(const uint8_t pk[VG_PK_BYTES], const uint8_t *msg, size_t len,
               const uint8_t sig[VG_SIG_BYTES]);

void vg_sha256(const uint8_t *msg, size_t len, uint8_t out[VG_SHA256_BYTES]);

/* Incremental SHA-256; the state is opaque storage for libsodium's. */
struct vg_sha256_ctx {
	_Alignas(16) uint8_t opaque[128];
};
void vg_sha256_init(struct vg_sha256_ctx *c);
void vg_sha256_update(struct vg_sha256_ctx *c, const uint8_t *msg, size_t len);
void vg_sha256_final(struct vg_sha256_ctx *c, uint8_t out[VG_SHA256_BYTES]);

/*
 * Strict base64 (RFC 4648 section 4, standard alphabet, '=' padding
 * required, no whitespace, no non-zero trailing bits). Decodes into out
 * (capacity cap), *out_len gets the length. VG_ERR_BASE64 on any deviation
 * (message names the offending offset), VG_ERR_LIMIT if the output would
 * not fit.
 */
vg_status vg_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                        struct vg_err *err) VG_WUR;
/* Bytes needed to encode n bytes, including the NUL. */
size_t vg_b64_encoded_size(size_t n);
/* Encode into out (vg_b64_encoded_size(n) bytes); returns the length without NUL. */
size_t vg_b64_encode(const uint8_t *in, size_t n, char *out);

/*
 * Key files. A secret key file holds one line
 *   "vigil-ed25519-secret:" base64(seed) "\n"
 * and is created with mode 0600 (O_EXCL: never overwrites). A public key
 * file holds "vigil-ed25519-public:" base64(pk) "\n". The bare base64 of
 * a public key is also accepted by vg_key_parse_public.
 */
vg_status vg_key_write_secret(const char *path, const struct vg_secret_key *key,
                              struct vg_err *err) VG_WUR;
vg_status vg_key_read_secret(const char *path, struct vg_secret_key *key,
                             struct vg_err *err) VG_WUR;
vg_status vg_key_write_public(const char *path, const uint8_t pk[VG_PK_BYTES],
                              struct vg_err *err) VG_WUR;
/* Parse "vigil-ed25519-public:<b64>" or "<b64>" (32 bytes), then check it. */
vg_status vg_key_parse_public(const char *s, size_t len, uint8_t pk[VG_PK_BYTES],
                              struct vg_err *err) VG_WUR;
/* Format "vigil-ed25519-public:<b64>" into out (at least 80 bytes). */
void vg_key_format_public(const uint8_t pk[VG_PK_BYTES], char *out, size_t cap);

#endif

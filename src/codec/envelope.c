/*
 * envelope.c - DSSE envelopes (https://github.com/secure-systems-lab/dsse,
 * envelope.md and protocol.md, v1.0): decode one NDJSON line, the
 * pre-authentication encoding, verify, encode; and vg_observation_decode,
 * which chains envelope and payload.
 *
 * The signature covers PAE(payloadType, payload bytes), so the observation
 * bytes need no canonical form: the signed bytes are the bytes.
 */
#include "codec/codec_json.h"

#include <stdio.h>
#include <string.h>

/* PAE of VG_PAYLOAD_TYPE around a payload of at most VG_LINE_MAX bytes:
 * "DSSEv1 38 <type> 65536 " is well under 128 bytes of overhead. */
#define PAE_MAX (VG_LINE_MAX + 128)

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* Schema faults of the envelope itself all count as VG_ERR_ENVELOPE; the
 * message still names the member. Every message gets "envelope: ". */
static vg_status envelope_fail(vg_status st, struct vg_err *err)
{
	if (st == VG_ERR_MISSING || st == VG_ERR_UNKNOWN_MEMBER || st == VG_ERR_TYPE ||
	    st == VG_ERR_RANGE) {
		st = VG_ERR_ENVELOPE;
		if (err)
			err->status = st;
	}
	vg_err_prefix(err, "envelope");
	return st;
}

static vg_status decode_signature(json_t *sigs, struct vg_envelope *env, struct vg_err *err)
{
	if (!json_is_array(sigs))
		return vg_err_set(err, VG_ERR_TYPE, "signatures: must be an array, not %s",
		                  vg_cj_type_word(sigs));
	if (json_array_size(sigs) != 1)
		return vg_err_set(err, VG_ERR_ENVELOPE, "signatures: %zu elements, want exactly 1",
		                  json_array_size(sigs));
	json_t *s0 = json_array_get(sigs, 0);
	if (!json_is_object(s0))
		return vg_err_set(err, VG_ERR_TYPE, "signatures[0]: must be an object, not %s",
		                  vg_cj_type_word(s0));
	static const char *const members[] = {"keyid", "sig", NULL};
	vg_status st = vg_cj_members(s0, "signatures[0]", members, err);
	if (st)
		return st;
	st = vg_cj_id(s0, "signatures[0]", "keyid", true, env->keyid, NULL, err);
	if (st)
		return st;
	const char *b64 = NULL;
	size_t b64_len = 0;
	st = vg_cj_string(s0, "signatures[0]", "sig", true, &b64, &b64_len, NULL, err);
	if (st)
		return st;
	uint8_t sig[VG_SIG_BYTES + 3];
	size_t n = 0;
	st = vg_b64_decode(b64, b64_len, sig, sizeof sig, &n, err);
	if (st == VG_ERR_LIMIT)
		return vg_err_set(err, VG_ERR_ENVELOPE, "signatures[0].sig: more than %d bytes",
		                  VG_SIG_BYTES);
	if (st) {
		vg_err_prefix(err, "signatures[0].sig");
		return st;
	}
	if (n != VG_SIG_BYTES)
		return vg_err_set(err, VG_ERR_ENVELOPE, "signatures[0].sig: %zu bytes, want %d", n,
		                  VG_SIG_BYTES);
	memcpy(env->sig, sig, VG_SIG_BYTES);
	return VG_OK;
}

static vg_status decode_payload(json_t *root, struct vg_arena *a, struct vg_envelope *env,
                                struct vg_err *err)
{
	const char *b64 = NULL;
	size_t b64_len = 0;
	vg_status st = vg_cj_string(root, "", "payload", true, &b64, &b64_len, NULL, err);
	if (st)
		return st;
	if (b64_len == 0)
		return vg_err_set(err, VG_ERR_ENVELOPE, "payload: empty");
	size_t cap = b64_len / 4 * 3 + 3;
	if (cap > VG_LINE_MAX)
		cap = VG_LINE_MAX;
	uint8_t *buf = vg_arena_alloc(a, cap);
	if (!buf)
		return vg_err_set(err, VG_ERR_NOMEM, "payload: %zu bytes over the arena cap", cap);
	size_t n = 0;
	st = vg_b64_decode(b64, b64_len, buf, cap, &n, err);
	if (st) {
		vg_err_prefix(err, "payload");
		return st;
	}
	env->payload = buf;
	env->payload_len = n;
	return VG_OK;
}

vg_status vg_envelope_decode(const char *line, size_t len, struct vg_arena *a,
                             struct vg_envelope *out, struct vg_err *err)
{
	return vg_envelope_decode_type(line, len, VG_PAYLOAD_TYPE, a, out, err);
}

vg_status vg_envelope_decode_type(const char *line, size_t len, const char *want_type,
                                  struct vg_arena *a, struct vg_envelope *out, struct vg_err *err)
{
	if (is_blank(line, len))
		return vg_err_set(err, VG_ERR_EMPTY_LINE, "empty line");
	if (len > VG_LINE_MAX)
		return vg_err_set(err, VG_ERR_LINE_TOO_LONG, "line of %zu bytes, over the cap of %d",
		                  len, VG_LINE_MAX);
	json_t *root = NULL;
	vg_status st = vg_cj_load(line, len, "", &root, err);
	if (st)
		return st;

	struct vg_envelope env;
	memset(&env, 0, sizeof env);
	if (!json_is_object(root)) {
		st = vg_err_set(err, VG_ERR_ENVELOPE, "must be a JSON object, not %s",
		                vg_cj_type_word(root));
		goto out_fail;
	}
	static const char *const members[] = {"payloadType", "payload", "signatures", NULL};
	st = vg_cj_members(root, "", members, err);
	if (st)
		goto out_fail;

	const char *type = NULL;
	size_t type_len = 0;
	st = vg_cj_string(root, "", "payloadType", true, &type, &type_len, NULL, err);
	if (st)
		goto out_fail;
	if (type_len != strlen(want_type) || memcmp(type, want_type, type_len) != 0) {
		char q[96];
		vg_quote(type, type_len, q, sizeof q);
		st = vg_err_set(err, VG_ERR_PAYLOAD_TYPE, "payloadType = %s: want \"%s\"", q,
		                want_type);
		goto out_fail;
	}

	json_t *sigs = json_object_get(root, "signatures");
	if (!sigs) {
		st = vg_err_set(err, VG_ERR_MISSING, "missing member \"signatures\"");
		goto out_fail;
	}
	st = decode_signature(sigs, &env, err);
	if (st)
		goto out_fail;
	st = decode_payload(root, a, &env, err);
	if (st)
		goto out_fail;

	json_decref(root);
	*out = env;
	return VG_OK;

out_fail:
	st = envelope_fail(st, err);
	json_decref(root);
	return st;
}

/* Decimal digits of n (ASCII, no leading zeros) into buf; returns the count. */
static size_t put_decimal(size_t n, char buf[24])
{
	return (size_t)snprintf(buf, 24, "%zu", n);
}

size_t vg_dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t *out, size_t cap)
{
	static const char magic[] = "DSSEv1 ";
	size_t tl = strlen(type);
	char tlen[24], blen[24];
	size_t tld = put_decimal(tl, tlen), bld = put_decimal(body_len, blen);
	size_t head = sizeof magic - 1 + tld + 1 + tl + 1 + bld + 1;
	if (body_len > cap || head > cap - body_len)
		return 0;
	uint8_t *p = out;
	memcpy(p, magic, sizeof magic - 1);
	p += sizeof magic - 1;
	memcpy(p, tlen, tld);
	p += tld;
	*p++ = ' ';
	memcpy(p, type, tl);
	p += tl;
	*p++ = ' ';
	memcpy(p, blen, bld);
	p += bld;
	*p++ = ' ';
	if (body_len)
		memcpy(p, body, body_len);
	return head + body_len;
}

bool vg_envelope_verify(const struct vg_envelope *env, const uint8_t pk[VG_PK_BYTES])
{
	return vg_envelope_verify_type(env, VG_PAYLOAD_TYPE, pk);
}

bool vg_envelope_verify_type(const struct vg_envelope *env, const char *type,
                             const uint8_t pk[VG_PK_BYTES])
{
	uint8_t pae[PAE_MAX];
	if (!env->payload || env->payload_len > VG_LINE_MAX || strlen(type) > 100)
		return false;
	size_t n = vg_dsse_pae(type, env->payload, env->payload_len, pae, sizeof pae);
	if (n == 0)
		return false;
	return vg_verify(pk, pae, n, env->sig);
}

size_t vg_envelope_encode(const uint8_t *payload, size_t len, const char *keyid,
                          const struct vg_secret_key *key, char *out, size_t cap)
{
	static const char p1[] = "{\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"payload\":\"";
	static const char p2[] = "\",\"signatures\":[{\"keyid\":\"";
	static const char p3[] = "\",\"sig\":\"";
	static const char p4[] = "\"}]}";
	size_t kl = strlen(keyid);
	/* keyid goes out unescaped: only the id alphabet is allowed anyway. */
	if (!vg_id_valid(keyid, kl) || len == 0 || len > VG_LINE_MAX)
		return 0;

	uint8_t pae[PAE_MAX];
	size_t pn = vg_dsse_pae(VG_PAYLOAD_TYPE, payload, len, pae, sizeof pae);
	if (pn == 0)
		return 0;
	uint8_t sig[VG_SIG_BYTES];
	vg_sign(key, pae, pn, sig);

	size_t b64p = vg_b64_encoded_size(len) - 1;
	size_t b64s = vg_b64_encoded_size(VG_SIG_BYTES) - 1;
	size_t total = (sizeof p1 - 1) + b64p + (sizeof p2 - 1) + kl + (sizeof p3 - 1) + b64s +
	               (sizeof p4 - 1);
	/* Room for the NUL too; a line decode would refuse is not written. */
	if (total >= cap || total > VG_LINE_MAX)
		return 0;
	char *o = out;
	memcpy(o, p1, sizeof p1 - 1);
	o += sizeof p1 - 1;
	o += vg_b64_encode(payload, len, o);
	memcpy(o, p2, sizeof p2 - 1);
	o += sizeof p2 - 1;
	memcpy(o, keyid, kl);
	o += kl;
	memcpy(o, p3, sizeof p3 - 1);
	o += sizeof p3 - 1;
	o += vg_b64_encode(sig, VG_SIG_BYTES, o);
	memcpy(o, p4, sizeof p4); /* with its NUL */
	o += sizeof p4 - 1;
	vg_assert((size_t)(o - out) == total);
	return total;
}

vg_status vg_observation_decode(const char *line, size_t len, struct vg_arena *a,
                                struct vg_envelope *env, struct vg_obs *obs, struct vg_err *err)
{
	struct vg_envelope e;
	struct vg_obs o;
	vg_status st = vg_envelope_decode(line, len, a, &e, err);
	if (st)
		return st;
	st = vg_obs_parse(e.payload, e.payload_len, a, &o, err);
	if (st)
		return st;
	if (strcmp(e.keyid, o.sensor) != 0)
		return vg_err_set(err, VG_ERR_KEYID,
		                  "signatures[0].keyid = \"%s\": does not match sensor = \"%s\"", e.keyid,
		                  o.sensor);
	*env = e;
	*obs = o;
	return VG_OK;
}

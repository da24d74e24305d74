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

/* ---- The fast path ------------------------------------------------------
 *
 * Hand-written for speed. jansson, the UTF-8 check, the pre-scan and
 * libsodium's constant-time base64 cost ~8 us per envelope on this path,
 * a sixth of an Ed25519 verify, on the ingest hot path. Nearly every line
 * that reaches us was written by vg_envelope_encode (or an equivalent DSSE
 * signer) in its one compact shape, on one line:
 *
 *   {"payloadType":"<type>","payload":"<b64>","signatures":[{"keyid":"<id>","sig":"<b64>"}]}
 *
 * fast_decode accepts exactly that byte layout (no whitespace, this member
 * order, no escapes), a strict subset of what the reference path
 * (vg_envelope_decode_ref, jansson) accepts, and returns false on anything
 * else without writing an error: the caller then runs the reference path,
 * which alone decides rejections and words their messages. The fast path
 * can only turn a success into the same success, sooner.
 * tests/unit/test_codec.c and fuzz/fuzz_observation.c check that both
 * paths agree.
 *
 * Why it is a subset: every byte it accepts is printable ASCII (valid
 * UTF-8, no control characters, no numbers for the pre-scan, depth 3); the
 * id and base64 alphabets hold neither '"' nor a backslash, so each string
 * ends at its first quote and needs no unescaping; the members are the
 * three, and keyid and sig, each once; base64 is checked as strictly as
 * vg_b64_decode (length % 4, at most two '=' and only at the end, zero
 * trailing bits). The wanted type is matched byte for byte, so it is used
 * only when it is printable ASCII without '"' or a backslash (which would
 * appear escaped in JSON). */

static const char fast_p0[] = "{\"payloadType\":\"";
static const char fast_p1[] = "\",\"payload\":\"";
static const char fast_p2[] = "\",\"signatures\":[{\"keyid\":\"";
static const char fast_p3[] = "\",\"sig\":\"";
static const char fast_p4[] = "\"}]}";

/* RFC 4648 section 4 digit values, -1 for anything else. */
static const int8_t b64_value[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int b64_digit(unsigned char c)
{
	return b64_value[c];
}

/* Length of the run of base64 digits and '=' at s, up to end. */
static size_t b64_span(const char *s, const char *end)
{
	const char *p = s;
	while (p < end && (*p == '=' || b64_digit((unsigned char)*p) >= 0))
		p++;
	return (size_t)(p - s);
}

/* Strict decode of s[0..len) into out (room for len / 4 * 3 bytes); false
 * unless vg_b64_decode would accept it. *n gets the decoded length. */
static bool fast_b64(const char *s, size_t len, uint8_t *out, size_t *n)
{
	if (len == 0 || len % 4 != 0)
		return false;
	size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	const unsigned char *u = (const unsigned char *)s;
	uint8_t *o = out;
	size_t full = len / 4 - (pad != 0);
	for (size_t q = 0; q < full; q++, u += 4) {
		int a = b64_digit(u[0]), b = b64_digit(u[1]), c = b64_digit(u[2]), d = b64_digit(u[3]);
		if ((a | b | c | d) < 0)
			return false;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		*o++ = (uint8_t)(v >> 16);
		*o++ = (uint8_t)(v >> 8);
		*o++ = (uint8_t)v;
	}
	if (pad) {
		int a = b64_digit(u[0]), b = b64_digit(u[1]);
		int c = pad == 1 ? b64_digit(u[2]) : 0;
		if ((a | b | c) < 0)
			return false;
		if (pad == 2 && (b & 0x0f))
			return false; /* xx== : the second digit's low 4 bits are trailing */
		if (pad == 1 && (c & 0x03))
			return false; /* xxx= : the third digit's low 2 bits are trailing */
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		*o++ = (uint8_t)(v >> 16);
		if (pad == 1)
			*o++ = (uint8_t)(v >> 8);
	}
	*n = (size_t)(o - out);
	return true;
}

static bool fast_literal(const char **p, const char *end, const char *lit, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool fast_type_ok(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] > 0x7e || t[i] == '"' || t[i] == '\\')
			return false;
	return true;
}

static bool fast_decode(const char *line, size_t len, const char *want_type, struct vg_arena *a,
                        struct vg_envelope *out)
{
	const char *p = line, *end = line + len;
	size_t tl = strlen(want_type);
	if (!fast_literal(&p, end, fast_p0, sizeof fast_p0 - 1) ||
	    !fast_literal(&p, end, want_type, tl) || !fast_type_ok(want_type, tl) ||
	    !fast_literal(&p, end, fast_p1, sizeof fast_p1 - 1))
		return false;
	const char *pay = p;
	size_t pay_len = b64_span(p, end);
	p += pay_len;
	if (!fast_literal(&p, end, fast_p2, sizeof fast_p2 - 1))
		return false;
	const char *kid = p;
	while (p < end && *p != '"')
		p++;
	size_t kid_len = (size_t)(p - kid);
	if (!vg_id_valid(kid, kid_len) || !fast_literal(&p, end, fast_p3, sizeof fast_p3 - 1))
		return false;
	const char *sig = p;
	size_t sig_len = b64_span(p, end);
	p += sig_len;
	if (!fast_literal(&p, end, fast_p4, sizeof fast_p4 - 1) || p != end)
		return false;

	struct vg_envelope env;
	memset(&env, 0, sizeof env);
	uint8_t sigbuf[VG_SIG_BYTES + 3];
	size_t n = 0;
	if (sig_len != (VG_SIG_BYTES + 2) / 3 * 4 || !fast_b64(sig, sig_len, sigbuf, &n) ||
	    n != VG_SIG_BYTES)
		return false;
	memcpy(env.sig, sigbuf, VG_SIG_BYTES);
	memcpy(env.keyid, kid, kid_len);
	env.keyid[kid_len] = '\0';
	/* Check the payload fully before allocating, so that a line that falls
	 * back has not used arena space: the reference path then allocates
	 * exactly what it would alone, and the arena-cap verdict is the same.
	 * The digits are checked by b64_span; '=' may only end the last quad. */
	uint8_t tail[3];
	if (pay_len == 0 || pay_len % 4 != 0 || memchr(pay, '=', pay_len - 4) ||
	    !fast_b64(pay + pay_len - 4, 4, tail, &n))
		return false;
	size_t cap = pay_len / 4 * 3 + 3; /* as the reference path */
	if (cap > VG_LINE_MAX)
		cap = VG_LINE_MAX;
	uint8_t *buf = vg_arena_alloc(a, cap);
	if (!buf)
		return false; /* the reference path words the error */
	bool ok = fast_b64(pay, pay_len, buf, &n);
	vg_assert(ok);
	env.payload = buf;
	env.payload_len = n;
	*out = env;
	return true;
}

vg_status vg_envelope_decode(const char *line, size_t len, struct vg_arena *a,
                             struct vg_envelope *out, struct vg_err *err)
{
	return vg_envelope_decode_type(line, len, VG_PAYLOAD_TYPE, a, out, err);
}

vg_status vg_envelope_decode_type(const char *line, size_t len, const char *want_type,
                                  struct vg_arena *a, struct vg_envelope *out, struct vg_err *err)
{
	if (len <= VG_LINE_MAX && fast_decode(line, len, want_type, a, out))
		return VG_OK;
	return vg_envelope_decode_ref(line, len, want_type, a, out, err);
}

/* ---- The reference path (jansson) --------------------------------------- */

vg_status vg_envelope_decode_ref(const char *line, size_t len, const char *want_type,
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

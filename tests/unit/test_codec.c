/*
 * test_codec.c - envelopes, observations and registry lines (codec.h).
 *
 * One valid observation per kind goes the whole way (encode, sign, decode,
 * verify, parse) and its fields are checked. Every hostile input is checked
 * for its status AND for a message naming the member or the offset, through
 * both vg_obs_parse and the full vg_observation_decode path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CAP (1024 * 1024)
#define BUF 8192

/* ---- helpers ------------------------------------------------------------- */

#define expect_status(got, err, want)                                                      \
	do {                                                                               \
		vg_status got_ = (got);                                                    \
		if (got_ != (want))                                                        \
			fail_msg("%s:%d: got %s (\"%s\"), want %s", __FILE__, __LINE__,    \
			         vg_status_name(got_), (err).msg, vg_status_name(want));   \
	} while (0)

#define expect_msg(err, needle)                                                            \
	do {                                                                               \
		if (!strstr((err).msg, (needle)))                                          \
			fail_msg("%s:%d: message \"%s\" lacks \"%s\"", __FILE__, __LINE__, \
			         (err).msg, (needle));                                     \
	} while (0)

static int setup(void **state)
{
	struct vg_arena *a = malloc(sizeof *a);
	if (!a)
		return -1;
	vg_arena_init(a, ARENA_CAP);
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	vg_arena_release(*state);
	free(*state);
	return 0;
}

/* A sensor's key: seed = SHA-256 of its id. */
static void key_for(const char *id, struct vg_secret_key *k)
{
	uint8_t seed[VG_SEED_BYTES];
	vg_sha256((const uint8_t *)id, strlen(id), seed);
	vg_key_from_seed(k, seed);
}

static size_t sign_line(const char *payload, const char *keyid, char *out, size_t cap)
{
	struct vg_secret_key k;
	key_for(keyid, &k);
	size_t n = vg_envelope_encode((const uint8_t *)payload, strlen(payload), keyid, &k, out, cap);
	vg_secret_key_wipe(&k);
	assert_true(n > 0);
	assert_int_equal(strlen(out), n);
	return n;
}

/* An envelope line from its parts, for hand-made hostile envelopes. */
static size_t env_line(char *out, size_t cap, const char *type, const char *payload_b64,
                       const char *keyid, const char *sig_b64)
{
	int n = snprintf(out, cap,
	                 "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[{\"keyid\":\"%s\","
	                 "\"sig\":\"%s\"}]}",
	                 type, payload_b64, keyid, sig_b64);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static void b64(const char *s, size_t n, char *out)
{
	vg_b64_encode((const uint8_t *)s, n, out);
}

/* s with the first occurrence of from replaced by to, into buf. */
static const char *subst(char *buf, size_t cap, const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		fail_msg("subst: \"%s\" not in \"%s\"", from, s);
	int n = snprintf(buf, cap, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	assert_true(n > 0 && (size_t)n < cap);
	return buf;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	struct vg_err e;
	assert_int_equal(vg_time_parse(s, strlen(s), &t, &e), VG_OK);
	return t;
}

/* The payload must fail with want and needle, alone and inside a signed
 * envelope (keyid "ac-0042"). */
static void expect_payload(struct vg_arena *a, const char *payload, vg_status want,
                           const char *needle)
{
	struct vg_obs o;
	struct vg_envelope env;
	struct vg_err err;
	vg_err_clear(&err);
	expect_status(vg_obs_parse((const uint8_t *)payload, strlen(payload), a, &o, &err), err, want);
	assert_int_equal(err.status, want);
	expect_msg(err, needle);
	vg_arena_reset(a);

	static char line[4 * BUF];
	size_t n = sign_line(payload, "ac-0042", line, sizeof line);
	vg_err_clear(&err);
	expect_status(vg_observation_decode(line, n, a, &env, &o, &err), err, want);
	expect_msg(err, needle);
	vg_arena_reset(a);
}

static void expect_line(struct vg_arena *a, const char *line, size_t len, vg_status want,
                        const char *needle)
{
	struct vg_obs o;
	struct vg_envelope env;
	struct vg_err err;
	vg_err_clear(&err);
	expect_status(vg_observation_decode(line, len, a, &env, &o, &err), err, want);
	assert_int_equal(err.status, want);
	expect_msg(err, needle);
	vg_arena_reset(a);
}

/* Sign, encode, decode, verify, parse: the happy path for one payload. */
static void roundtrip(struct vg_arena *a, const char *payload, const char *sensor,
                      struct vg_obs *o)
{
	char line[BUF];
	struct vg_envelope env;
	struct vg_err err;
	vg_err_clear(&err);
	size_t n = sign_line(payload, sensor, line, sizeof line);
	expect_status(vg_observation_decode(line, n, a, &env, o, &err), err, VG_OK);
	assert_int_equal(env.payload_len, strlen(payload));
	assert_memory_equal(env.payload, payload, env.payload_len);
	assert_string_equal(env.keyid, sensor);
	struct vg_secret_key k, other;
	key_for(sensor, &k);
	key_for("somebody-else", &other);
	assert_true(vg_envelope_verify(&env, k.pk));
	assert_false(vg_envelope_verify(&env, other.pk));
	vg_secret_key_wipe(&k);
	vg_secret_key_wipe(&other);
	assert_string_equal(o->sensor, sensor);
}

/* ---- valid payloads, one per kind ------------------------------------------- */

#define SHA_HEX "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const char IMPULSE[] =
	"{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":18231,\"kind\":\"impulse\","
	"\"impulse\":{\"arrival\":\"2026-03-01T04:12:33.123456Z\",\"sigma_s\":0.008,"
	"\"bearing_deg\":123.4,\"bearing_sigma_deg\":3.0,\"snr_db\":18.5,\"class\":\"launch\"}}";

static const char DETECTION[] =
	"{\"v\":1,\"sensor\":\"dr-007\",\"seq\":5,\"kind\":\"detection\","
	"\"pos\":{\"lat\":48.0,\"lon\":37.6,\"alt_m\":350,\"sigma_m\":5},"
	"\"detection\":{\"time\":\"2026-03-01T05:00:00Z\",\"lat\":48.0312,\"lon\":37.7481,"
	"\"sigma_m\":15,\"alt_m\":120,\"class\":\"mlrs\",\"class_conf\":0.82,\"speed_mps\":4.5,"
	"\"heading_deg\":270,\"evidence\":{\"sha256\":\"" SHA_HEX "\","
	"\"uri\":\"https://evidence.example/img/5.jpg\"}}}";

static const char FIRE[] =
	"{\"v\":1,\"sensor\":\"cbr-01\",\"seq\":77,\"kind\":\"fire\","
	"\"fire\":{\"launch\":{\"time\":\"2026-03-01T04:12:33Z\",\"lat\":48.1,\"lon\":37.9,"
	"\"cep_m\":60},\"impact\":{\"time\":\"2026-03-01T04:13:05.5Z\",\"lat\":48.03,"
	"\"lon\":37.75,\"cep_m\":90},\"class\":\"artillery\"}}";

static const char CHANGE[] =
	"{\"v\":1,\"sensor\":\"s2-a\",\"seq\":3,\"kind\":\"change\","
	"\"change\":{\"acquired\":\"2026-03-01T08:35:10Z\",\"type\":\"thermal\","
	"\"resolution_m\":10,\"confidence\":0.7,\"point\":{\"lat\":48.2,\"lon\":37.5,"
	"\"sigma_m\":12},\"frp_mw\":35.5}}";

static const char CHANGE_POLY[] =
	"{\"v\":1,\"sensor\":\"s1-b\",\"seq\":4,\"kind\":\"change\","
	"\"change\":{\"acquired\":\"2026-03-02T04:00:00+02:00\",\"type\":\"fortification\","
	"\"resolution_m\":10,\"polygon\":[[37.50,48.20],[37.52,48.20],[37.52,48.21],"
	"[37.50,48.21],[37.50,48.20]]}}";

static const char COVERAGE[] =
	"{\"v\":1,\"sensor\":\"dr-007\",\"seq\":6,\"kind\":\"coverage\","
	"\"coverage\":{\"from\":\"2026-03-01T05:00:00Z\",\"until\":\"2026-03-01T06:30:00Z\","
	"\"polygon\":[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]}}";

static const char STATUS[] =
	"{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":18232,\"kind\":\"status\","
	"\"pos\":{\"lat\":48.1,\"lon\":37.7},"
	"\"status\":{\"time\":\"2026-03-01T04:15:00Z\",\"alive\":true,\"battery_pct\":87,"
	"\"clock_sigma_s\":0.000001}}";

static void test_impulse_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, IMPULSE, "ac-0042", &o);
	assert_int_equal(o.kind, VG_OBS_IMPULSE);
	assert_int_equal(o.seq, 18231);
	assert_int_equal(o.t_ns, T("2026-03-01T04:12:33.123456Z"));
	assert_int_equal(o.t_end_ns, o.t_ns);
	assert_true(o.u.impulse.sigma_s == 0.008);
	assert_true(o.u.impulse.has_bearing);
	assert_true(o.u.impulse.bearing_deg == 123.4);
	assert_true(o.u.impulse.bearing_sigma_deg == 3.0);
	assert_true(o.u.impulse.has_snr && o.u.impulse.snr_db == 18.5);
	assert_int_equal(o.u.impulse.cls, VG_IMP_LAUNCH);
	assert_false(o.has_sensor_pos);
	assert_false(o.has_bbox); /* fixed sensor: the store fills it */

	/* A mobile one: bbox from "pos"; no bearing. */
	char buf[BUF];
	const char *p = subst(buf, sizeof buf, IMPULSE, "\"kind\"",
	                      "\"pos\":{\"lat\":47.5,\"lon\":36.25,\"sigma_m\":3},\"kind\"");
	char buf2[BUF];
	p = subst(buf2, sizeof buf2, p, "\"bearing_deg\":123.4,\"bearing_sigma_deg\":3.0,", "");
	roundtrip(*state, p, "ac-0042", &o);
	assert_false(o.u.impulse.has_bearing);
	assert_true(o.has_sensor_pos && o.sensor_lat_deg == 47.5 && o.sensor_lon_deg == 36.25);
	assert_true(o.sensor_sigma_m == 3 && o.sensor_alt_m == 0);
	assert_true(o.has_bbox && o.min_lat_deg == 47.5 && o.max_lat_deg == 47.5);
	assert_true(o.min_lon_deg == 36.25 && o.max_lon_deg == 36.25);
}

static void test_detection_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, DETECTION, "dr-007", &o);
	assert_int_equal(o.kind, VG_OBS_DETECTION);
	assert_int_equal(o.t_ns, T("2026-03-01T05:00:00Z"));
	assert_true(o.u.detection.lat_deg == 48.0312 && o.u.detection.lon_deg == 37.7481);
	assert_true(o.u.detection.sigma_m == 15);
	assert_true(o.u.detection.has_alt && o.u.detection.alt_m == 120);
	assert_int_equal(o.u.detection.cls, VG_CLS_MLRS);
	assert_true(o.u.detection.class_conf == 0.82);
	assert_true(o.u.detection.has_speed && o.u.detection.speed_mps == 4.5);
	assert_true(o.u.detection.has_heading && o.u.detection.heading_deg == 270);
	assert_true(o.u.detection.has_evidence);
	char hex[65];
	vg_hex_encode(o.u.detection.evidence_sha256, 32, hex);
	assert_string_equal(hex, SHA_HEX);
	assert_string_equal(o.u.detection.evidence_uri, "https://evidence.example/img/5.jpg");
	assert_true(o.has_sensor_pos && o.sensor_alt_m == 350 && o.sensor_sigma_m == 5);
	assert_true(o.has_bbox && o.min_lat_deg == 48.0312 && o.max_lon_deg == 37.7481);
}

static void test_fire_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, FIRE, "cbr-01", &o);
	assert_int_equal(o.kind, VG_OBS_FIRE);
	assert_true(o.u.fire.has_launch && o.u.fire.has_impact);
	assert_int_equal(o.u.fire.launch.t_ns, T("2026-03-01T04:12:33Z"));
	assert_int_equal(o.u.fire.impact.t_ns, T("2026-03-01T04:13:05.5Z"));
	assert_int_equal(o.t_ns, o.u.fire.launch.t_ns);
	assert_true(o.u.fire.launch.cep_m == 60 && o.u.fire.impact.cep_m == 90);
	assert_int_equal(o.u.fire.cls, VG_CLS_ARTILLERY);
	/* bbox covers launch and impact */
	assert_true(o.has_bbox);
	assert_true(o.min_lat_deg == 48.03 && o.max_lat_deg == 48.1);
	assert_true(o.min_lon_deg == 37.75 && o.max_lon_deg == 37.9);

	/* impact only: t_ns is the impact time; class defaults to unknown */
	const char *p = "{\"v\":1,\"sensor\":\"cbr-01\",\"seq\":78,\"kind\":\"fire\",\"fire\":{"
	                "\"impact\":{\"time\":\"2026-03-01T04:20:00Z\",\"lat\":48,\"lon\":37,"
	                "\"cep_m\":50}}}";
	roundtrip(*state, p, "cbr-01", &o);
	assert_false(o.u.fire.has_launch);
	assert_int_equal(o.t_ns, T("2026-03-01T04:20:00Z"));
	assert_int_equal(o.u.fire.cls, VG_CLS_UNKNOWN);
	assert_true(o.min_lat_deg == 48 && o.max_lon_deg == 37);
}

static void test_change_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, CHANGE, "s2-a", &o);
	assert_int_equal(o.kind, VG_OBS_CHANGE);
	assert_int_equal(o.u.change.type, VG_CHG_THERMAL);
	assert_true(o.u.change.resolution_m == 10);
	assert_true(o.u.change.has_confidence && o.u.change.confidence == 0.7);
	assert_true(o.u.change.has_point && o.u.change.lat_deg == 48.2 && o.u.change.sigma_m == 12);
	assert_true(o.u.change.has_frp && o.u.change.frp_mw == 35.5);
	assert_true(o.has_bbox && o.min_lat_deg == 48.2 && o.min_lon_deg == 37.5);

	roundtrip(*state, CHANGE_POLY, "s1-b", &o);
	assert_int_equal(o.u.change.type, VG_CHG_FORTIFICATION);
	assert_false(o.u.change.has_point);
	assert_false(o.u.change.has_confidence);
	assert_int_equal(o.t_ns, T("2026-03-02T02:00:00Z"));
	assert_int_equal(o.u.change.poly.n, 5);
	assert_true(o.u.change.poly.pts[1][0] == 37.52 && o.u.change.poly.pts[1][1] == 48.20);
	assert_true(o.min_lat_deg == 48.20 && o.max_lat_deg == 48.21);
	assert_true(o.min_lon_deg == 37.50 && o.max_lon_deg == 37.52);
}

static void test_coverage_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, COVERAGE, "dr-007", &o);
	assert_int_equal(o.kind, VG_OBS_COVERAGE);
	assert_int_equal(o.t_ns, T("2026-03-01T05:00:00Z"));
	assert_int_equal(o.t_end_ns, T("2026-03-01T06:30:00Z"));
	assert_int_equal(o.u.coverage.poly.n, 5);
	assert_true(o.min_lat_deg == 48.0 && o.max_lat_deg == 48.1);
	assert_true(o.min_lon_deg == 37.6 && o.max_lon_deg == 37.8);
}

static void test_status_roundtrip(void **state)
{
	struct vg_obs o;
	roundtrip(*state, STATUS, "ac-0042", &o);
	assert_int_equal(o.kind, VG_OBS_STATUS);
	assert_true(o.u.status.alive);
	assert_true(o.u.status.has_battery && o.u.status.battery_pct == 87);
	assert_true(o.u.status.has_clock_sigma && o.u.status.clock_sigma_s == 0.000001);
	assert_true(o.has_bbox && o.min_lat_deg == 48.1 && o.max_lon_deg == 37.7);
}

/* ---- envelope ------------------------------------------------------------------ */

static void test_pae_known_answer(void **state)
{
	(void)state;
	/* DSSE protocol.md example. */
	static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	uint8_t out[128];
	size_t n = vg_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11,
	                       out, sizeof out);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	assert_int_equal(vg_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world",
	                             11, out, n - 1),
	                 0);
	n = vg_dsse_pae("t", (const uint8_t *)"", 0, out, sizeof out);
	assert_int_equal(n, strlen("DSSEv1 1 t 0 "));
	assert_memory_equal(out, "DSSEv1 1 t 0 ", n);
}

static void test_encode_format(void **state)
{
	(void)state;
	char a[BUF], b[BUF];
	size_t n = sign_line(STATUS, "ac-0042", a, sizeof a);
	size_t m = sign_line(STATUS, "ac-0042", b, sizeof b);
	assert_int_equal(n, m);
	assert_string_equal(a, b); /* deterministic: Ed25519 and fixed member order */
	static const char head[] = "{\"payloadType\":\"application/vnd.vigil.observation+json\","
	                           "\"payload\":\"";
	assert_memory_equal(a, head, sizeof head - 1);
	assert_non_null(strstr(a, "\",\"signatures\":[{\"keyid\":\"ac-0042\",\"sig\":\""));
	assert_string_equal(a + n - 4, "\"}]}");
	assert_null(strchr(a, ' '));

	struct vg_secret_key k;
	key_for("ac-0042", &k);
	const uint8_t *p = (const uint8_t *)STATUS;
	assert_int_equal(vg_envelope_encode(p, strlen(STATUS), "ac-0042", &k, a, n), 0);
	assert_int_equal(vg_envelope_encode(p, strlen(STATUS), "ac-0042", &k, a, n + 1), n);
	assert_int_equal(vg_envelope_encode(p, strlen(STATUS), "bad id", &k, a, sizeof a), 0);
	assert_int_equal(vg_envelope_encode(p, strlen(STATUS), "a\"b", &k, a, sizeof a), 0);
	assert_int_equal(vg_envelope_encode(p, 0, "ac-0042", &k, a, sizeof a), 0);
	vg_secret_key_wipe(&k);
}

static void test_payload_bitflip(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF], pb64[BUF], sig[128];
	struct vg_envelope env;
	struct vg_obs o;
	struct vg_err err;
	struct vg_secret_key k;
	key_for("ac-0042", &k);

	/* The signed line, then its parts. */
	size_t n = sign_line(STATUS, "ac-0042", line, sizeof line);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	assert_true(vg_envelope_verify(&env, k.pk));
	vg_b64_encode(env.sig, VG_SIG_BYTES, sig);

	/* Flip one bit of the payload ("alive":true -> "alive":trUe would not
	 * parse; flip a digit of seq instead so the payload still parses). */
	char flipped[BUF];
	strcpy(flipped, STATUS);
	char *d = strstr(flipped, "18232");
	d[4] ^= 0x01; /* '2' -> '3' */
	b64(flipped, strlen(flipped), pb64);
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, pb64, "ac-0042", sig);
	vg_arena_reset(a);
	expect_status(vg_observation_decode(line, n, a, &env, &o, &err), err, VG_OK);
	assert_int_equal(o.seq, 18233);
	assert_false(vg_envelope_verify(&env, k.pk));

	/* And directly on the decoded bytes: every single-bit flip fails. */
	vg_arena_reset(a);
	n = sign_line(COVERAGE, "ac-0042", line, sizeof line);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	uint8_t copy[BUF];
	memcpy(copy, env.payload, env.payload_len);
	struct vg_envelope e2 = env;
	e2.payload = copy;
	for (size_t i = 0; i < env.payload_len; i += 7) {
		copy[i] ^= 0x20;
		assert_false(vg_envelope_verify(&e2, k.pk));
		copy[i] ^= 0x20;
	}
	assert_true(vg_envelope_verify(&e2, k.pk));
	vg_secret_key_wipe(&k);
	vg_arena_reset(a);
}

static void test_sig_bitflip(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF];
	struct vg_envelope env;
	struct vg_err err;
	struct vg_secret_key k;
	key_for("ac-0042", &k);
	size_t n = sign_line(IMPULSE, "ac-0042", line, sizeof line);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	for (int byte = 0; byte < VG_SIG_BYTES; byte += 9) {
		struct vg_envelope e2 = env;
		e2.sig[byte] ^= 0x04;
		assert_false(vg_envelope_verify(&e2, k.pk));
	}
	/* Flip a bit in the base64 text of the line itself. */
	char *sig = strstr(line, "\"sig\":\"") + 7;
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	vg_arena_reset(a);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	assert_false(vg_envelope_verify(&env, k.pk));
	vg_secret_key_wipe(&k);
	vg_arena_reset(a);
}

static void test_line_level(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF];
	size_t n = sign_line(IMPULSE, "ac-0042", line, sizeof line);

	/* truncated */
	expect_line(a, line, n - 1, VG_ERR_JSON, "column");
	expect_line(a, line, n / 2, VG_ERR_JSON, "column");
	/* empty, blank */
	expect_line(a, "", 0, VG_ERR_EMPTY_LINE, "empty line");
	expect_line(a, " \t\r", 3, VG_ERR_EMPTY_LINE, "empty line");
	/* non-JSON */
	expect_line(a, "hello world", 11, VG_ERR_JSON, "column 5: '[' or '{' expected");
	expect_line(a, "[1,2]", 5, VG_ERR_ENVELOPE, "must be a JSON object");
	/* trailing garbage after the object */
	char buf[BUF];
	memcpy(buf, line, n);
	memcpy(buf + n, " x", 3);
	expect_line(a, buf, strlen(buf), VG_ERR_JSON, "end of file expected");

	/* invalid UTF-8: a lone continuation byte, an overlong NUL */
	memcpy(buf, line, n);
	buf[20] = (char)0x80;
	expect_line(a, buf, n, VG_ERR_UTF8, "offset 20");
	memcpy(buf, line, n);
	buf[30] = (char)0xc0;
	buf[31] = (char)0x80;
	expect_line(a, buf, n, VG_ERR_UTF8, "offset 30");

	/* over the cap: 65,536 bytes */
	size_t big = VG_LINE_MAX + 1;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	expect_line(a, huge, big, VG_ERR_LINE_TOO_LONG, "65536 bytes");
	/* at the cap exactly: not refused for its length */
	expect_line(a, huge, VG_LINE_MAX, VG_ERR_JSON, "column");
	huge[VG_LINE_MAX - 1] = '}';
	expect_line(a, huge, VG_LINE_MAX, VG_ERR_ENVELOPE, "missing member");
	free(huge);

	/* JSON nested 10,000 deep */
	char *deep = malloc(20001);
	assert_non_null(deep);
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = '\0';
	expect_line(a, deep, 20000, VG_ERR_JSON, "nesting deeper than 16");
	/* ... and inside the payload */
	char *p64 = malloc(vg_b64_encoded_size(20000));
	char *l2 = malloc(40000);
	assert_non_null(p64);
	assert_non_null(l2);
	b64(deep, 20000, p64);
	struct vg_secret_key k;
	key_for("ac-0042", &k);
	size_t ln = vg_envelope_encode((const uint8_t *)deep, 20000, "ac-0042", &k, l2, 40000);
	assert_true(ln > 0);
	expect_line(a, l2, ln, VG_ERR_JSON, "payload: offset 16: nesting deeper than 16");
	vg_secret_key_wipe(&k);
	free(l2);
	free(p64);
	free(deep);
}

static void test_envelope_schema(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF], pb64[BUF], sig[128], buf[BUF];
	struct vg_envelope env;
	struct vg_err err;
	size_t n = sign_line(IMPULSE, "ac-0042", line, sizeof line);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	vg_b64_encode(env.sig, VG_SIG_BYTES, sig);
	b64(IMPULSE, strlen(IMPULSE), pb64);
	vg_arena_reset(a);

	/* payloadType */
	n = env_line(buf, sizeof buf, "application/json", pb64, "ac-0042", sig);
	expect_line(a, buf, n, VG_ERR_PAYLOAD_TYPE, "payloadType = \"application/json\"");
	/* two signatures */
	const char *p = subst(buf, sizeof buf, line, "}]}", "},{\"keyid\":\"ac-0042\",\"sig\":\"\"}]}");
	expect_line(a, p, strlen(p), VG_ERR_ENVELOPE, "signatures: 2 elements, want exactly 1");
	p = subst(buf, sizeof buf, line, "[{", "[");
	p = subst(line, sizeof line, p, "}]", "]");
	expect_line(a, p, strlen(p), VG_ERR_JSON, "column");
	/* zero signatures */
	n = (size_t)snprintf(buf, sizeof buf,
	                     "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":[]}",
	                     VG_PAYLOAD_TYPE, pb64);
	expect_line(a, buf, n, VG_ERR_ENVELOPE, "signatures: 0 elements");
	/* missing, unknown, wrong type */
	n = (size_t)snprintf(buf, sizeof buf, "{\"payloadType\":\"%s\",\"payload\":\"%s\"}",
	                     VG_PAYLOAD_TYPE, pb64);
	expect_line(a, buf, n, VG_ERR_ENVELOPE, "envelope: missing member \"signatures\"");
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, pb64, "ac-0042", sig);
	p = subst(buf, sizeof buf, line, "{\"payloadType\"", "{\"extra\":1,\"payloadType\"");
	expect_line(a, p, strlen(p), VG_ERR_ENVELOPE, "envelope: extra: unknown member");
	p = subst(buf, sizeof buf, line, "\"keyid\":\"ac-0042\"", "\"keyid\":42");
	expect_line(a, p, strlen(p), VG_ERR_ENVELOPE, "signatures[0].keyid: must be a string");
	p = subst(buf, sizeof buf, line, "\"keyid\":\"ac-0042\"", "\"keyid\":\"ac 0042\"");
	expect_line(a, p, strlen(p), VG_ERR_ENVELOPE, "signatures[0].keyid = \"ac 0042\"");
	p = subst(buf, sizeof buf, line, "\"keyid\":\"ac-0042\",", "");
	expect_line(a, p, strlen(p), VG_ERR_ENVELOPE, "signatures[0]: missing member \"keyid\"");
	/* duplicate keys */
	p = subst(buf, sizeof buf, line, "{\"payloadType\"", "{\"payload\":\"e30=\",\"payloadType\"");
	expect_line(a, p, strlen(p), VG_ERR_JSON, "duplicate object key");
	/* sig of the wrong length: 63 bytes */
	char short_sig[128];
	uint8_t s63[63] = {0};
	vg_b64_encode(s63, sizeof s63, short_sig);
	n = env_line(buf, sizeof buf, VG_PAYLOAD_TYPE, pb64, "ac-0042", short_sig);
	expect_line(a, buf, n, VG_ERR_ENVELOPE, "signatures[0].sig: 63 bytes, want 64");
	/* empty payload */
	n = env_line(buf, sizeof buf, VG_PAYLOAD_TYPE, "", "ac-0042", sig);
	expect_line(a, buf, n, VG_ERR_ENVELOPE, "payload: empty");
}

static void test_base64(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF], pb64[BUF], sig[128], bad[BUF];
	struct vg_envelope env;
	struct vg_err err;
	size_t n = sign_line(IMPULSE, "ac-0042", line, sizeof line);
	expect_status(vg_envelope_decode(line, n, a, &env, &err), err, VG_OK);
	vg_b64_encode(env.sig, VG_SIG_BYTES, sig);
	vg_arena_reset(a);

	/* A payload of 3k+2 bytes (trailing blanks are JSON whitespace): its
	 * base64 ends in one '=' after a character with 2 unused bits. */
	char padded[BUF];
	strcpy(padded, IMPULSE);
	while (strlen(padded) % 3 != 2)
		strcat(padded, " ");
	b64(padded, strlen(padded), pb64);
	size_t pl = strlen(pb64);
	assert_int_equal(pb64[pl - 1], '=');
	assert_int_not_equal(pb64[pl - 2], '=');

	/* bad character: URL-safe alphabet, a space, a newline escape */
	strcpy(bad, pb64);
	bad[8] = '-';
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, bad, "ac-0042", sig);
	expect_line(a, line, n, VG_ERR_BASE64, "payload: invalid character at offset 8");
	bad[8] = ' ';
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, bad, "ac-0042", sig);
	expect_line(a, line, n, VG_ERR_BASE64, "offset 8");
	/* bad padding: missing, and in the middle */
	strcpy(bad, pb64);
	bad[pl - 1] = '\0';
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, bad, "ac-0042", sig);
	expect_line(a, line, n, VG_ERR_BASE64, "payload: length");
	strcpy(bad, pb64);
	bad[4] = '=';
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, bad, "ac-0042", sig);
	expect_line(a, line, n, VG_ERR_BASE64, "payload");
	/* non-zero trailing bits: the char before '=' carries 2 unused bits */
	strcpy(bad, pb64);
	char *c = &bad[pl - 2];
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t idx = (size_t)(strchr(alpha, *c) - alpha);
	*c = alpha[idx | 1];
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, bad, "ac-0042", sig);
	expect_line(a, line, n, VG_ERR_BASE64, "payload: non-canonical");
	/* and in the signature */
	strcpy(bad, sig);
	bad[3] = '_';
	b64(IMPULSE, strlen(IMPULSE), pb64);
	n = env_line(line, sizeof line, VG_PAYLOAD_TYPE, pb64, "ac-0042", bad);
	expect_line(a, line, n, VG_ERR_BASE64, "signatures[0].sig: invalid character at offset 3");
}

/* ---- JSON strictness ------------------------------------------------------------ */

static void test_prescan(void **state)
{
	(void)state;
	struct vg_err err;
	static const char *const ok[] = {
		"{\"a\":-0.5}", "{\"a\":0}", "{\"a\":0.0}", "{\"a\":-1e-5}", "{\"a\":\"-0\"}",
		"{\"a\":-10}", "{\"a\":\"x\\\"]]]]]]]]]]]]]]]]]]]]]]]\"}", "{\"a\":\"\\u0001\"}",
		"[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]", /* 16 deep */
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		vg_err_clear(&err);
		expect_status(vg_json_prescan(ok[i], strlen(ok[i]), &err), err, VG_OK);
	}
	static const struct {
		const char *in;
		vg_status want;
		const char *needle;
	} bad[] = {
		{"{\"a\":-0}", VG_ERR_NUMBER, "offset 5: negative zero \"-0\""},
		{"{\"a\":-0.0}", VG_ERR_NUMBER, "negative zero \"-0.0\""},
		{"{\"a\":-0e5}", VG_ERR_NUMBER, "negative zero"},
		{"{\"a\":-0.000}", VG_ERR_NUMBER, "negative zero"},
		{"{\"a\":-0E-7}", VG_ERR_NUMBER, "negative zero"},
		{"[1,-0]", VG_ERR_NUMBER, "offset 3"},
		{"{\"a\":1.00000000000000000000000000000000000000001}", VG_ERR_NUMBER,
		 "over the limit 40"},
		{"[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", VG_ERR_JSON, "offset 16: nesting deeper than 16"},
		{"{\"a\":\"x\ny\"}", VG_ERR_JSON, "offset 7: raw control character 0x0a"},
		{"{\"a\":\"x\\\ty\"}", VG_ERR_JSON, "raw control character 0x09"},
		{"{\"a\":\"\x01\"}", VG_ERR_JSON, "0x01"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		vg_err_clear(&err);
		expect_status(vg_json_prescan(bad[i].in, strlen(bad[i].in), &err), err, bad[i].want);
		expect_msg(err, bad[i].needle);
	}
	/* A 41-character number, exactly: refused; 40: let through. */
	char num[64];
	snprintf(num, sizeof num, "[1.%038d]", 1);
	assert_int_equal(strlen(num), 42);
	expect_status(vg_json_prescan(num, strlen(num), &err), err, VG_OK);
	snprintf(num, sizeof num, "[1.%039d]", 1);
	expect_status(vg_json_prescan(num, strlen(num), &err), err, VG_ERR_NUMBER);
}

static void test_numbers(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "1e999"), VG_ERR_NUMBER,
	               "real number overflow");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18.5", "-0"), VG_ERR_NUMBER,
	               "negative zero");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18.5", "-0.0"), VG_ERR_NUMBER,
	               "negative zero");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18.5", "-1e-400"), VG_ERR_NUMBER,
	               "impulse.snr_db: negative zero");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18231", "99999999999999999999"),
	               VG_ERR_NUMBER, "too big integer");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "NaN"), VG_ERR_JSON,
	               "payload: column");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "Infinity"), VG_ERR_JSON,
	               "invalid token");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "-Infinity"), VG_ERR_JSON,
	               "invalid token");
	/* \u0000 inside a string */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"launch\"", "\"la\\u0000unch\""),
	               VG_ERR_JSON, "JSON_ALLOW_NUL");
	/* raw newline in a string */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"launch\"", "\"la\nunch\""),
	               VG_ERR_JSON, "raw control character");
	/* duplicate keys in the payload */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"seq\":18231", "\"seq\":1,\"seq\":2"),
	               VG_ERR_JSON, "duplicate object key near '\"seq\"'");
	/* invalid UTF-8 in the payload */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "launch", "la\xed\xa0\x80unch"),
	               VG_ERR_UTF8, "payload: offset");
	/* not an object */
	expect_payload(a, "[1]", VG_ERR_TYPE, "payload: must be a JSON object, not an array");
}

/* ---- schema --------------------------------------------------------------------- */

static void test_schema_members(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	/* missing */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"seq\":18231,", ""), VG_ERR_MISSING,
	               "missing member \"seq\"");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"arrival\":\"2026-03-01T04:12:33.123456Z\",", ""),
	               VG_ERR_MISSING, "impulse: missing member \"arrival\"");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"bearing_sigma_deg\":3.0,", ""),
	               VG_ERR_MISSING, "\"bearing_sigma_deg\"");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, ",\"impulse\":", ",\"xmpulse\":"),
	               VG_ERR_UNKNOWN_MEMBER, "xmpulse: unknown member");
	expect_payload(a, "{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":1,\"kind\":\"impulse\"}",
	               VG_ERR_MISSING, "missing member \"impulse\"");
	expect_payload(a, "{\"v\":1,\"sensor\":\"cbr-01\",\"seq\":1,\"kind\":\"fire\",\"fire\":{}}",
	               VG_ERR_MISSING, "fire: missing member \"launch\" or \"impact\"");
	/* unknown */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"sigma_s\"", "\"sigmas\""),
	               VG_ERR_UNKNOWN_MEMBER, "impulse.sigmas: unknown member");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"seq\"", "\"extra\":true,\"seq\""),
	               VG_ERR_UNKNOWN_MEMBER, "extra: unknown member");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"seq\"", "\"e\\\"x\":true,\"seq\""),
	               VG_ERR_UNKNOWN_MEMBER, "\"e\\\"x\": unknown member");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"kind\"", "\"status\":{},\"kind\""),
	               VG_ERR_UNKNOWN_MEMBER, "status: not allowed in an observation of kind \"impulse\"");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "\"uri\"", "\"url\""),
	               VG_ERR_UNKNOWN_MEMBER, "detection.evidence.url: unknown member");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"bearing_deg\":123.4,", ""),
	               VG_ERR_UNKNOWN_MEMBER, "impulse.bearing_sigma_deg: only allowed with");
	expect_payload(a, subst(buf, sizeof buf, CHANGE, "\"thermal\"", "\"crater\""),
	               VG_ERR_UNKNOWN_MEMBER, "change.frp_mw: only allowed with");
	expect_payload(a, subst(buf, sizeof buf, CHANGE, "\"frp_mw\":35.5",
	                        "\"polygon\":[[0,0],[1,0],[1,1],[0,0]]"),
	               VG_ERR_UNKNOWN_MEMBER, "change.polygon: not allowed together with change.point");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "\"lon\":37.7", "\"lon\":37.7,\"speed\":1"),
	               VG_ERR_UNKNOWN_MEMBER, "pos.speed: unknown member");
}

static void test_schema_types(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18231", "\"18231\""), VG_ERR_TYPE,
	               "seq: must be an integer, not a string");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18231", "18231.0"), VG_ERR_TYPE,
	               "seq: must be an integer, not a real number");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "null"), VG_ERR_TYPE,
	               "impulse.sigma_s: must be a number, not null");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "\"0.008\""), VG_ERR_TYPE,
	               "impulse.sigma_s: must be a number, not a string");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"launch\"", "1"), VG_ERR_TYPE,
	               "impulse.class: must be a string");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "true", "1"), VG_ERR_TYPE,
	               "status.alive: must be true or false, not an integer");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"impulse\":{", "\"impulse\":[{"),
	               VG_ERR_JSON, "column"); /* unbalanced now: still JSON-level */
	expect_payload(a, "{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":1,\"kind\":\"impulse\",\"impulse\":[]}",
	               VG_ERR_TYPE, "impulse: must be an object, not an array");
	expect_payload(a, subst(buf, sizeof buf, COVERAGE, "[37.6,48.0],[37.8,48.0]",
	                        "[37.6,48.0],[37.8,48.0,5]"),
	               VG_ERR_TYPE, "coverage.polygon[1]: must be [lon, lat]");
	expect_payload(a, subst(buf, sizeof buf, COVERAGE, "[37.8,48.1]", "[37.8,\"48.1\"]"),
	               VG_ERR_TYPE, "coverage.polygon[2][1]: must be a number");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"v\":1", "\"v\":null"), VG_ERR_TYPE,
	               "v: must be an integer, not null");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "\"pos\":{\"lat\":48.1,\"lon\":37.7}",
	                        "\"pos\":null"),
	               VG_ERR_TYPE, "pos: must be an object, not null");
}

static void test_schema_ranges(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "-0.2"), VG_ERR_RANGE,
	               "impulse.sigma_s = -0.2: must be > 0");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "0.008", "61"), VG_ERR_RANGE,
	               "impulse.sigma_s = 61: out of range (0, 60]");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "48.0312", "91"), VG_ERR_RANGE,
	               "detection.lat = 91: out of range [-90, 90]");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "37.7481", "-180.5"), VG_ERR_RANGE,
	               "detection.lon = -180.5: out of range [-180, 180]");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "123.4", "360"), VG_ERR_RANGE,
	               "impulse.bearing_deg = 360: out of range [0, 360)");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"bearing_sigma_deg\":3.0",
	                        "\"bearing_sigma_deg\":0"),
	               VG_ERR_RANGE, "impulse.bearing_sigma_deg = 0: must be > 0");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "0.82", "1.01"), VG_ERR_RANGE,
	               "detection.class_conf = 1.01: out of range [0, 1]");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "18231", "-1"), VG_ERR_RANGE,
	               "seq = -1: must be >= 0");
	expect_payload(a, subst(buf, sizeof buf, FIRE, "\"cep_m\":60", "\"cep_m\":0"), VG_ERR_RANGE,
	               "fire.launch.cep_m = 0: must be > 0");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "87", "100.5"), VG_ERR_RANGE,
	               "status.battery_pct = 100.5");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "\"lat\":48.1", "\"lat\":-90.01"),
	               VG_ERR_RANGE, "pos.lat = -90.01");
	expect_payload(a, subst(buf, sizeof buf, COVERAGE, "[37.8,48.1]", "[37.8,91]"),
	               VG_ERR_RANGE, "coverage.polygon[2][1] = 91: out of range [-90, 90]");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "ac-0042", "ac 0042"), VG_ERR_RANGE,
	               "sensor = \"ac 0042\": not a valid id");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, SHA_HEX, "abc"), VG_ERR_RANGE,
	               "detection.evidence.sha256 = \"abc\": must be 64 hex digits");
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "img/5.jpg", "img 5.jpg"), VG_ERR_RANGE,
	               "detection.evidence.uri");
	/* version */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"v\":1", "\"v\":2"), VG_ERR_VERSION,
	               "v = 2: unsupported version");
	/* a v2 payload with members we do not know still says "version" */
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"v\":1", "\"v\":2,\"new\":{}"),
	               VG_ERR_VERSION, "v = 2");
}

static void test_schema_classes(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	expect_payload(a, subst(buf, sizeof buf, DETECTION, "\"mlrs\"", "\"howitzer\""),
	               VG_ERR_CLASS, "detection.class = \"howitzer\": not one of unknown, artillery");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"launch\"", "\"Launch\""), VG_ERR_CLASS,
	               "impulse.class = \"Launch\": not one of unknown, launch, impact, explosion");
	expect_payload(a, subst(buf, sizeof buf, FIRE, "\"artillery\"", "\"tochka\""),
	               VG_ERR_CLASS, "fire.class = \"tochka\"");
	expect_payload(a, subst(buf, sizeof buf, CHANGE, "\"thermal\"", "\"trench\""),
	               VG_ERR_CLASS, "change.type = \"trench\"");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "\"kind\":\"impulse\"", "\"kind\":\"shot\""),
	               VG_ERR_CLASS, "kind = \"shot\"");
}

static void test_times(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF], buf2[BUF];
	const char *p;
	struct vg_obs o;
	struct vg_err err;
	expect_payload(a, subst(buf, sizeof buf, STATUS, "2026-03-01T04:15:00Z", "2026-02-30T04:15:00Z"),
	               VG_ERR_TIME, "status.time = \"2026-02-30T04:15:00Z\": day 30 does not exist");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "2026-03-01T04:15:00Z", "2026-03-01T24:00:00Z"),
	               VG_ERR_TIME, "status.time = \"2026-03-01T24:00:00Z\": hour 24");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "2026-03-01T04:15:00Z", "2026-03-01T04:60:00Z"),
	               VG_ERR_TIME, "minute 60");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "2026-03-01T04:15:00Z", "2026-03-01 04:15:00Z"),
	               VG_ERR_TIME, "status.time");
	expect_payload(a, subst(buf, sizeof buf, STATUS, "2026-03-01T04:15:00Z", "2026-03-01T04:15:00"),
	               VG_ERR_TIME, "missing time zone");
	expect_payload(a, subst(buf, sizeof buf, IMPULSE, "2026-03-01T04:12:33.123456Z", "yesterday"),
	               VG_ERR_TIME, "impulse.arrival = \"yesterday\"");
	/* impact before launch */
	expect_payload(a, subst(buf, sizeof buf, FIRE, "04:13:05.5Z", "04:12:00Z"), VG_ERR_TIME,
	               "fire.impact.time = \"2026-03-01T04:12:00Z\": before fire.launch.time");
	/* coverage: until before from, span over 7 days */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE, "2026-03-01T06:30:00Z", "2026-03-01T04:30:00Z"),
	               VG_ERR_TIME, "coverage.until = \"2026-03-01T04:30:00Z\": before coverage.from");
	expect_payload(a, subst(buf, sizeof buf, COVERAGE, "2026-03-01T06:30:00Z", "2026-03-08T05:00:00.000000001Z"),
	               VG_ERR_RANGE, "more than 7 days");
	/* 1678..2262 does not fit an int64 difference: still "over 7 days" */
	p = subst(buf, sizeof buf, COVERAGE, "2026-03-01T05:00:00Z", "1891-03-02T05:00:00Z");
	expect_payload(a, subst(buf2, sizeof buf2, p, "2026-03-01T06:30:00Z", "2206-03-01T06:30:00Z"),
	               VG_ERR_RANGE, "more than 7 days");
	/* exactly 7 days is fine */
	p = subst(buf, sizeof buf, COVERAGE, "2026-03-01T06:30:00Z", "2026-03-08T05:00:00Z");
	expect_status(vg_obs_parse((const uint8_t *)p, strlen(p), a, &o, &err), err, VG_OK);
	vg_arena_reset(a);
}

static void test_geometry(void **state)
{
	struct vg_arena *a = *state;
	char buf[BUF];
	/* bowtie */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE,
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]",
	                        "[[37.6,48.0],[37.8,48.1],[37.8,48.0],[37.6,48.1],[37.6,48.0]]"),
	               VG_ERR_GEOMETRY, "coverage.polygon: invalid polygon: Self-intersection at [");
	/* unclosed */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE,
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]",
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.05]]"),
	               VG_ERR_GEOMETRY, "coverage.polygon: ring not closed");
	/* too few vertices */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE,
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]",
	                        "[[37.6,48.0],[37.8,48.0],[37.6,48.0]]"),
	               VG_ERR_GEOMETRY, "coverage.polygon: 3 vertices");
	/* zero area (all on a line) */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE,
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]",
	                        "[[37.6,48.0],[37.7,48.0],[37.8,48.0],[37.6,48.0]]"),
	               VG_ERR_GEOMETRY, "coverage.polygon");
	/* wider than the span limit */
	expect_payload(a, subst(buf, sizeof buf, COVERAGE,
	                        "[[37.6,48.0],[37.8,48.0],[37.8,48.1],[37.6,48.1],[37.6,48.0]]",
	                        "[[30,48.0],[40.5,48.0],[40.5,48.1],[30,48.1],[30,48.0]]"),
	               VG_ERR_GEOMETRY, "over the limit of 10");
	/* neither point nor polygon */
	expect_payload(a, subst(buf, sizeof buf, CHANGE,
	                        ",\"point\":{\"lat\":48.2,\"lon\":37.5,\"sigma_m\":12}", ""),
	               VG_ERR_MISSING, "change: missing member \"point\" or \"polygon\"");
	/* more vertices than the limit */
	size_t cap = 64 * 1024;
	char *big = malloc(cap);
	assert_non_null(big);
	size_t o = (size_t)snprintf(big, cap, "{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":1,\"kind\":"
	                                      "\"coverage\",\"coverage\":{\"from\":\"2026-03-01T05:00:00Z\","
	                                      "\"until\":\"2026-03-01T06:00:00Z\",\"polygon\":[");
	for (int i = 0; i <= VG_POLY_MAX_PTS; i++)
		o += (size_t)snprintf(big + o, cap - o, "%s[%d.%03d,48]", i ? "," : "", 37, i % 1000);
	snprintf(big + o, cap - o, "]}}");
	expect_payload(a, big, VG_ERR_GEOMETRY, "coverage.polygon: 1025 vertices, over the limit");
	free(big);
}

static void test_keyid_mismatch(void **state)
{
	struct vg_arena *a = *state;
	char line[BUF];
	/* Signed, validly, by "ac-0043", but the payload says "ac-0042". */
	size_t n = sign_line(IMPULSE, "ac-0043", line, sizeof line);
	expect_line(a, line, n, VG_ERR_KEYID,
	            "signatures[0].keyid = \"ac-0043\": does not match sensor = \"ac-0042\"");
}

static void test_arena_cap(void **state)
{
	(void)state;
	struct vg_arena small;
	vg_arena_init(&small, 64);
	char line[BUF];
	struct vg_envelope env;
	struct vg_obs o;
	struct vg_err err;
	size_t n = sign_line(IMPULSE, "ac-0042", line, sizeof line);
	expect_status(vg_observation_decode(line, n, &small, &env, &o, &err), err, VG_ERR_NOMEM);
	vg_arena_release(&small);
}

static void test_outputs_untouched_on_failure(void **state)
{
	struct vg_arena *a = *state;
	struct vg_obs o, before;
	struct vg_err err;
	memset(&o, 0xA5, sizeof o);
	memcpy(&before, &o, sizeof o);
	char buf[BUF];
	const char *p = subst(buf, sizeof buf, IMPULSE, "\"launch\"", "\"nope\"");
	expect_status(vg_obs_parse((const uint8_t *)p, strlen(p), a, &o, &err), err, VG_ERR_CLASS);
	assert_memory_equal(&o, &before, sizeof o);
	vg_arena_reset(a);
}

/* ---- names and ids --------------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	for (int c = 0; c < VG_CLS_COUNT_; c++) {
		const char *n = vg_object_class_name(c);
		assert_non_null(n);
		assert_int_equal(vg_object_class_parse(n), c);
	}
	assert_null(vg_object_class_name(VG_CLS_COUNT_));
	assert_null(vg_object_class_name(-1));
	assert_string_equal(vg_object_class_name(VG_CLS_AIR_DEFENCE), "air_defence");
	assert_string_equal(vg_object_class_name(VG_CLS_PERSONNEL), "personnel");
	assert_int_equal(vg_object_class_parse("Tank"), -1);
	assert_int_equal(vg_object_class_parse(""), -1);
	assert_int_equal(vg_object_class_parse(NULL), -1);

	for (int k = VG_OBS_IMPULSE; k <= VG_OBS_STATUS; k++)
		assert_int_equal(vg_obs_kind_parse(vg_obs_kind_name(k)), k);
	assert_null(vg_obs_kind_name(0));
	assert_null(vg_obs_kind_name(7));
	assert_string_equal(vg_obs_kind_name(VG_OBS_COVERAGE), "coverage");

	for (int m = VG_MOD_ACOUSTIC; m <= VG_MOD_EXTERNAL; m++)
		assert_int_equal(vg_modality_parse(vg_modality_name(m)), m);
	assert_string_equal(vg_modality_name(VG_MOD_COUNTER_BATTERY), "counter_battery_radar");
	assert_null(vg_modality_name(0));
	assert_null(vg_modality_name(11));

	assert_string_equal(vg_impulse_class_name(VG_IMP_EXPLOSION), "explosion");
	assert_string_equal(vg_impulse_class_name(VG_IMP_UNKNOWN), "unknown");
	assert_null(vg_impulse_class_name(4));
	assert_string_equal(vg_change_type_name(VG_CHG_CRATER), "crater");
	assert_string_equal(vg_change_type_name(VG_CHG_DAMAGE), "damage");
	assert_null(vg_change_type_name(0));
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(vg_id_valid("ac-0042", 7));
	assert_true(vg_id_valid("NOR", 3));
	assert_true(vg_id_valid("a.b_c:d-E9", 10));
	char id[VG_ID_MAX + 2];
	memset(id, 'x', sizeof id);
	assert_true(vg_id_valid(id, VG_ID_MAX));
	assert_false(vg_id_valid(id, VG_ID_MAX + 1));
	assert_false(vg_id_valid("", 0));
	assert_false(vg_id_valid("a b", 3));
	assert_false(vg_id_valid("a/b", 3));
	assert_false(vg_id_valid("a\"b", 3));
	assert_false(vg_id_valid("\xc3\xa9", 2));
	assert_false(vg_id_valid("a\0b", 3));
}

/* ---- registry -------------------------------------------------------------------- */

static void sensor_expect_equal(const struct vg_sensor *x, const struct vg_sensor *y)
{
	assert_string_equal(x->id, y->id);
	assert_string_equal(x->owner, y->owner);
	assert_int_equal(x->modality, y->modality);
	assert_memory_equal(x->pk, y->pk, VG_PK_BYTES);
	assert_int_equal(x->has_pos, y->has_pos);
	assert_true(x->lat_deg == y->lat_deg && x->lon_deg == y->lon_deg);
	assert_true(x->alt_m == y->alt_m && x->survey_sigma_m == y->survey_sigma_m);
	assert_int_equal(x->has_timing, y->has_timing);
	assert_true(x->timing_sigma_s == y->timing_sigma_s);
	assert_int_equal(x->n_release, y->n_release);
	for (uint32_t i = 0; i < x->n_release; i++)
		assert_string_equal(x->release[i], y->release[i]);
	assert_int_equal(x->valid_from_ns, y->valid_from_ns);
	assert_int_equal(x->valid_until_ns, y->valid_until_ns);
	assert_int_equal(x->revoked_at_ns, y->revoked_at_ns);
}

static void registry_line(char *out, size_t cap, const char *pubkey, const char *rest)
{
	snprintf(out, cap,
	         "{\"id\":\"ac-0001\",\"owner\":\"NOR\",\"modality\":\"acoustic\",\"pubkey\":\"%s\"%s}",
	         pubkey, rest);
}

static void test_registry_roundtrip(void **state)
{
	(void)state;
	struct vg_secret_key k;
	key_for("ac-0001", &k);
	char pk[96], line[BUF], out[BUF];
	vg_key_format_public(k.pk, pk, sizeof pk);
	vg_secret_key_wipe(&k);

	/* Written in the canonical member order: format(parse(line)) == line. */
	registry_line(line, sizeof line, pk,
	              ",\"pos\":{\"lat\":48.1,\"lon\":37.7,\"alt_m\":120,\"sigma_m\":2},"
	              "\"timing_sigma_s\":0.001,\"releasability\":[\"NOR\",\"POL\"],"
	              "\"valid_from\":\"2026-01-01T00:00:00Z\",\"valid_until\":\"2027-01-01T00:00:00Z\"");
	struct vg_sensor s, s2;
	struct vg_err err;
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_OK);
	assert_string_equal(s.id, "ac-0001");
	assert_string_equal(s.owner, "NOR");
	assert_int_equal(s.modality, VG_MOD_ACOUSTIC);
	assert_true(s.has_pos && s.lat_deg == 48.1 && s.lon_deg == 37.7);
	assert_true(s.alt_m == 120 && s.survey_sigma_m == 2);
	assert_true(s.has_timing && s.timing_sigma_s == 0.001);
	assert_int_equal(s.n_release, 2);
	assert_string_equal(s.release[1], "POL");
	assert_int_equal(s.valid_from_ns, T("2026-01-01T00:00:00Z"));
	assert_int_equal(s.valid_until_ns, T("2027-01-01T00:00:00Z"));
	assert_int_equal(s.revoked_at_ns, INT64_MAX);
	assert_false(s.has_last_seq);
	size_t n = vg_sensor_format(&s, out, sizeof out);
	assert_int_equal(n, strlen(line));
	assert_string_equal(out, line);
	expect_status(vg_sensor_parse(out, n, &s2, &err), err, VG_OK);
	sensor_expect_equal(&s, &s2);
	assert_int_equal(vg_sensor_format(&s, out, n), 0); /* no room for the NUL */
	assert_string_equal(out, "");

	/* Minimal line: everything optional absent, unbounded validity. */
	registry_line(line, sizeof line, pk, "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_OK);
	assert_false(s.has_pos || s.has_timing);
	assert_int_equal(s.n_release, 0);
	assert_int_equal(s.valid_from_ns, INT64_MIN);
	assert_int_equal(s.valid_until_ns, INT64_MAX);
	n = vg_sensor_format(&s, out, sizeof out);
	assert_string_equal(out, line);

	/* Awkward doubles and times survive parse(format(x)). */
	s.modality = VG_MOD_SATELLITE_SAR;
	s.has_pos = true;
	s.lat_deg = 0.1 + 0.2;
	s.lon_deg = -179.99999999999997;
	s.alt_m = -432.5;
	s.survey_sigma_m = 1e-9;
	s.has_timing = true;
	s.timing_sigma_s = 1.0 / 3;
	s.valid_from_ns = T("2026-01-01T00:00:00.000000001Z");
	s.revoked_at_ns = T("2026-06-30T23:59:59.5Z");
	s.n_release = VG_RELEASE_MAX;
	for (uint32_t i = 0; i < VG_RELEASE_MAX; i++)
		snprintf(s.release[i], sizeof s.release[i], "M%02u", i);
	n = vg_sensor_format(&s, out, sizeof out);
	assert_true(n > 0);
	expect_status(vg_sensor_parse(out, n, &s2, &err), err, VG_OK);
	sensor_expect_equal(&s, &s2);
	assert_non_null(strstr(out, "\"revoked_at\":\"2026-06-30T23:59:59.5Z\""));

	/* format refuses what parse would refuse */
	s.modality = 0;
	assert_int_equal(vg_sensor_format(&s, out, sizeof out), 0);
	s.modality = VG_MOD_RADAR;
	strcpy(s.owner, "N O R");
	assert_int_equal(vg_sensor_format(&s, out, sizeof out), 0);
}

static void test_registry_rejects(void **state)
{
	(void)state;
	struct vg_secret_key k;
	key_for("ac-0001", &k);
	char pk[96], line[BUF], b[BUF];
	vg_key_format_public(k.pk, pk, sizeof pk);
	vg_secret_key_wipe(&k);
	struct vg_sensor s;
	struct vg_err err;

	/* small-order: the identity point 01 00 .. 00 */
	uint8_t raw[VG_PK_BYTES] = {1};
	char bad[96];
	vg_key_format_public(raw, bad, sizeof bad);
	registry_line(line, sizeof line, bad, "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);
	expect_msg(err, "pubkey:");
	expect_msg(err, "small-order");
	/* all-zero: y = 0, a point of order 4 */
	memset(raw, 0, sizeof raw);
	vg_key_format_public(raw, bad, sizeof bad);
	registry_line(line, sizeof line, bad, "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);
	/* non-canonical: y = 2^255 - 1 >= p (32 bytes of 0xff) */
	memset(raw, 0xff, sizeof raw);
	vg_key_format_public(raw, bad, sizeof bad);
	registry_line(line, sizeof line, bad, "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);
	/* non-canonical: y = p (encodes 0 the long way), ed ff .. ff 7f */
	memset(raw, 0xff, sizeof raw);
	raw[0] = 0xed;
	raw[31] = 0x7f;
	vg_key_format_public(raw, bad, sizeof bad);
	registry_line(line, sizeof line, bad, "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);
	/* wrong length, not base64 */
	registry_line(line, sizeof line, "vigil-ed25519-public:AAAA", "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);
	registry_line(line, sizeof line, "not a key", "");
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_KEY);

	static const struct {
		const char *rest;
		vg_status want;
		const char *needle;
	} cases[] = {
		{",\"colour\":\"red\"", VG_ERR_UNKNOWN_MEMBER, "colour: unknown member"},
		{",\"pos\":{\"lat\":48.1}", VG_ERR_MISSING, "pos: missing member \"lon\""},
		{",\"pos\":{\"lat\":48.1,\"lon\":37.7,\"sigma_m\":0}", VG_ERR_RANGE, "pos.sigma_m = 0: must be > 0"},
		{",\"timing_sigma_s\":11", VG_ERR_RANGE, "timing_sigma_s = 11: out of range (0, 10]"},
		{",\"timing_sigma_s\":\"1\"", VG_ERR_TYPE, "timing_sigma_s: must be a number"},
		{",\"releasability\":[\"NOR\",\"NOR\"]", VG_ERR_RANGE, "releasability[1] = \"NOR\": listed twice"},
		{",\"releasability\":[\"NOR\",\"P L\"]", VG_ERR_RANGE, "releasability[1] = \"P L\""},
		{",\"releasability\":\"NOR\"", VG_ERR_TYPE, "releasability: must be an array"},
		{",\"valid_from\":\"2026-01-01T00:00:00Z\",\"valid_until\":\"2026-01-01T00:00:00Z\"",
		 VG_ERR_TIME, "valid_until = \"2026-01-01T00:00:00Z\": not after valid_from"},
		{",\"revoked_at\":\"2026-13-01T00:00:00Z\"", VG_ERR_TIME, "revoked_at = \"2026-13-01T00:00:00Z\": month 13"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		registry_line(line, sizeof line, pk, cases[i].rest);
		vg_err_clear(&err);
		expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, cases[i].want);
		expect_msg(err, cases[i].needle);
	}
	/* 33 releasability entries */
	size_t o = (size_t)snprintf(b, sizeof b, ",\"releasability\":[");
	for (int i = 0; i <= VG_RELEASE_MAX; i++)
		o += (size_t)snprintf(b + o, sizeof b - o, "%s\"M%02d\"", i ? "," : "", i);
	snprintf(b + o, sizeof b - o, "]");
	registry_line(line, sizeof line, pk, b);
	expect_status(vg_sensor_parse(line, strlen(line), &s, &err), err, VG_ERR_LIMIT);
	expect_msg(err, "releasability: 33 members");

	/* modality, id, owner, line-level */
	registry_line(line, sizeof line, pk, "");
	const char *p = subst(b, sizeof b, line, "acoustic", "sonar");
	expect_status(vg_sensor_parse(p, strlen(p), &s, &err), err, VG_ERR_CLASS);
	expect_msg(err, "modality = \"sonar\"");
	p = subst(b, sizeof b, line, "\"NOR\"", "\"\"");
	expect_status(vg_sensor_parse(p, strlen(p), &s, &err), err, VG_ERR_RANGE);
	expect_msg(err, "owner = \"\": not a valid id");
	p = subst(b, sizeof b, line, "\"id\":\"ac-0001\",", "");
	expect_status(vg_sensor_parse(p, strlen(p), &s, &err), err, VG_ERR_MISSING);
	expect_msg(err, "missing member \"id\"");
	expect_status(vg_sensor_parse("", 0, &s, &err), err, VG_ERR_EMPTY_LINE);
	expect_status(vg_sensor_parse("{\"id\":-0}", 9, &s, &err), err, VG_ERR_NUMBER);
	expect_status(vg_sensor_parse("[]", 2, &s, &err), err, VG_ERR_TYPE);
}


/* ---- docs/observation-format.md: every example in it must hold ----------------- */

static char *read_doc(size_t *len)
{
	char path[1024];
	const char *src = getenv("VG_SRC");
	if (src)
		snprintf(path, sizeof path, "%s/docs/observation-format.md", src);
	else /* __FILE__ is <src>/tests/unit/test_codec.c */
		snprintf(path, sizeof path, "%.*s/../../docs/observation-format.md",
		         (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	static char doc[128 * 1024];
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	*len = n;
	return doc;
}

static void test_doc_examples(void **state)
{
	struct vg_arena *a = *state;
	size_t len;
	char *doc = read_doc(&len);
	struct vg_err err;
	struct vg_obs o;
	struct vg_envelope env;
	int payloads = 0, lines = 0, registry = 0;
	int kinds_seen[VG_OBS_STATUS + 1] = {0};
	uint8_t pk[VG_PK_BYTES];
	static const char pk_text[] = "vigil-ed25519-public:vdrtrupB7fsxckQ7gyNK55KFs4sGhNbdPlt1HmUZ+bM=";
	assert_non_null(strstr(doc, pk_text));
	expect_status(vg_key_parse_public(pk_text, strlen(pk_text), pk, &err), err, VG_OK);

	/* Code blocks: ```json = payloads; ``` blocks that are one JSON line =
	 * an envelope line or a registry line. */
	for (char *p = doc; (p = strstr(p, "```")) != NULL;) {
		char *info = p + 3;
		char *body = strchr(info, '\n');
		assert_non_null(body);
		body++;
		char *end = strstr(body, "```");
		assert_non_null(end);
		size_t n = (size_t)(end - body);
		bool is_json = strncmp(info, "json\n", 5) == 0;
		if (is_json) {
			vg_err_clear(&err);
			expect_status(vg_obs_parse((const uint8_t *)body, n, a, &o, &err), err, VG_OK);
			kinds_seen[o.kind]++;
			payloads++;
		} else if (info[0] == '\n' && strncmp(body, "{\"payloadType\"", 14) == 0) {
			vg_err_clear(&err);
			expect_status(vg_observation_decode(body, n - 1, a, &env, &o, &err), err, VG_OK);
			assert_true(vg_envelope_verify(&env, pk));
			lines++;
		} else if (info[0] == '\n' && strncmp(body, "{\"id\"", 5) == 0) {
			struct vg_sensor sn;
			char out[BUF];
			vg_err_clear(&err);
			expect_status(vg_sensor_parse(body, n - 1, &sn, &err), err, VG_OK);
			assert_memory_equal(sn.pk, pk, VG_PK_BYTES);
			size_t m = vg_sensor_format(&sn, out, sizeof out);
			assert_int_equal(m, n - 1);
			assert_memory_equal(out, body, m);
			registry++;
		}
		vg_arena_reset(a);
		p = end + 3;
	}
	assert_int_equal(lines, 1);
	assert_int_equal(registry, 1);
	assert_true(payloads >= 6);
	for (int k = VG_OBS_IMPULSE; k <= VG_OBS_STATUS; k++)
		if (!kinds_seen[k])
			fail_msg("no example of kind %s in the doc", vg_obs_kind_name(k));
	/* The doc's envelope example is the impulse example, compact. */
	assert_non_null(strstr(doc, "DSSEv1 29 http://example.com/HelloWorld 11 hello world"));
}

/* ---- The envelope fast path agrees with the reference (jansson) path ------ */

/* Both decoders on line: same status, same message, same output. */
static void expect_same_decode(const char *line, size_t len)
{
	static struct vg_arena fa, ra;
	static bool ready;
	if (!ready) {
		vg_arena_init(&fa, ARENA_CAP);
		vg_arena_init(&ra, ARENA_CAP);
		ready = true;
	}
	struct vg_envelope fe, re;
	struct vg_err ferr, rerr;
	vg_err_clear(&ferr);
	vg_err_clear(&rerr);
	memset(&fe, 0xa5, sizeof fe);
	memset(&re, 0x5a, sizeof re);
	vg_status fs = vg_envelope_decode(line, len, &fa, &fe, &ferr);
	vg_status rs = vg_envelope_decode_ref(line, len, VG_PAYLOAD_TYPE, &ra, &re, &rerr);
	if (fs != rs || strcmp(ferr.msg, rerr.msg) != 0)
		fail_msg("decode: %s \"%s\", reference: %s \"%s\" on \"%.*s\"", vg_status_name(fs),
		         ferr.msg, vg_status_name(rs), rerr.msg, (int)(len < 300 ? len : 300), line);
	if (fs == VG_OK) {
		assert_int_equal(fe.payload_len, re.payload_len);
		assert_memory_equal(fe.payload, re.payload, fe.payload_len);
		assert_string_equal(fe.keyid, re.keyid);
		assert_memory_equal(fe.sig, re.sig, VG_SIG_BYTES);
	}
	vg_arena_reset(&fa);
	vg_arena_reset(&ra);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One to four edits, biased to the bytes that matter to the shape. */
static size_t mutate(char *buf, size_t len, size_t cap, uint64_t *rng)
{
	static const char hot[] = "=\"\\ {}[]:,A/+0\t";
	int edits = 1 + (int)(xorshift(rng) % 4);
	for (int e = 0; e < edits && len > 0; e++) {
		size_t at = (size_t)(xorshift(rng) % len);
		uint64_t r = xorshift(rng);
		char c = r & 1 ? hot[(r >> 1) % (sizeof hot - 1)] : (char)(r >> 8);
		switch ((r >> 16) % 6) {
		case 0: /* replace */
			buf[at] = c;
			break;
		case 1: /* delete */
			memmove(buf + at, buf + at + 1, len - at - 1);
			len--;
			break;
		case 2: /* insert */
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = c;
				len++;
			}
			break;
		case 3: /* truncate */
			len = at;
			break;
		case 4: /* append */
			if (len + 1 < cap)
				buf[len++] = c;
			break;
		default: /* the end of a base64 run: padding, trailing bits */
			for (size_t i = at; i < len; i++)
				if (buf[i] == '"' && i >= 3) {
					buf[i - 1 - (r >> 24) % 3] = c;
					break;
				}
			break;
		}
	}
	return len;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char data[VG_LINE_MAX * 2];
	*len = fread(data, 1, sizeof data, f);
	fclose(f);
	return data;
}

static void test_envelope_fast_path(void **state)
{
	(void)state;
	static char seeds[64][BUF];
	static size_t seed_len[64];
	size_t n = 0;
	/* Signed lines: payload lengths 0, 1 and 2 mod 3 (all three paddings),
	 * keyids at the alphabet's edges, 1 and 64 characters. */
	static const char *const payloads[] = {
		"{\"v\":1}", "{\"v\":1} ", "{\"v\":1}  ",
		"{\"v\":1,\"sensor\":\"ac-0042\",\"seq\":7,\"kind\":\"status\",\"status\":"
		"{\"time\":\"2026-03-01T00:00:00Z\",\"alive\":true}}",
	};
	static const char *const keyids[] = {
		"ac-0042", "x", "A.Z_a:z-09",
		"k123456789012345678901234567890123456789012345678901234567890123",
	};
	for (size_t p = 0; p < sizeof payloads / sizeof *payloads; p++)
		for (size_t k = 0; k < sizeof keyids / sizeof *keyids; k++)
			seed_len[n] = sign_line(payloads[p], keyids[k], seeds[n], BUF), n++;
	/* Hand-made shapes the fast path must leave to the reference. */
	static const char *const shapes[] = {
		" {\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"payload\":\"e30=\",\"signatures\":"
		"[{\"keyid\":\"a\",\"sig\":\"SIG\"}]}",
		"{\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"payload\":\"e30=\",\"signatures\":"
		"[{\"keyid\":\"a\",\"sig\":\"SIG\"}]} ",
		"{\"payloadType\":\"application\\/vnd.vigil.observation+json\",\"payload\":\"e30=\","
		"\"signatures\":[{\"keyid\":\"a\",\"sig\":\"SIG\"}]}",
		"{\"payload\":\"e30=\",\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"signatures\":"
		"[{\"keyid\":\"a\",\"sig\":\"SIG\"}]}",
		"{\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"payload\":\"e30=\",\"signatures\":"
		"[{\"sig\":\"SIG\",\"keyid\":\"a\"}]}",
		"{\"payloadType\":\"" VG_PAYLOAD_TYPE "\",\"payload\":\"e30=\",\"signatures\":"
		"[{\"keyid\":\"\\u0061\",\"sig\":\"SIG\"}]}",
	};
	char sig[128];
	uint8_t zero[VG_SIG_BYTES] = {0};
	vg_b64_encode(zero, sizeof zero, sig);
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		subst(seeds[n], BUF, shapes[i], "SIG", sig);
		seed_len[n] = strlen(seeds[n]);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		expect_same_decode(seeds[i], seed_len[i]);

	/* The fuzz corpus, as is. */
	char path[2048], dir[1024];
	const char *src = getenv("VG_SRC");
	if (src)
		snprintf(dir, sizeof dir, "%s/fuzz/corpus/observation", src);
	else
		snprintf(dir, sizeof dir, "%.*s/../../fuzz/corpus/observation",
		         (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	static const char *const corpus[] = {
		"valid-impulse", "valid-detection", "valid-fire", "valid-change-point",
		"valid-change-polygon", "valid-coverage", "valid-status", "bad-base64-char",
		"bad-base64-padding", "bad-base64-trailing-bits", "bad-payload-type",
		"bad-two-signatures", "bad-missing-member", "bad-unknown-member",
		"bad-duplicate-key-envelope", "bad-deep-envelope", "bad-over-cap", "bad-truncated",
		"bad-utf8-overlong", "bad-sig-bitflip", "bad-keyid-mismatch", "bad-blank", "bad-empty",
	};
	for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, corpus[i]);
		size_t len = 0;
		const char *d = read_file(path, &len);
		if (!d)
			fail_msg("cannot open %s", path);
		expect_same_decode(d, len);
		if (len < BUF && n < 64 && !strncmp(corpus[i], "valid-", 6)) {
			memcpy(seeds[n], d, len);
			seed_len[n++] = len;
		}
	}

	/* Random mutations of every seed, fixed seed for the generator. */
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char buf[BUF];
	for (int round = 0; round < 40000; round++) {
		size_t i = (size_t)(xorshift(&rng) % n);
		memcpy(buf, seeds[i], seed_len[i]);
		size_t len = mutate(buf, seed_len[i], sizeof buf, &rng);
		expect_same_decode(buf, len);
	}
}

int main(void)
{
	if (vg_crypto_init() != VG_OK)
		return 1;
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T_(test_impulse_roundtrip),
		T_(test_detection_roundtrip),
		T_(test_fire_roundtrip),
		T_(test_change_roundtrip),
		T_(test_coverage_roundtrip),
		T_(test_status_roundtrip),
		T_(test_pae_known_answer),
		T_(test_encode_format),
		T_(test_payload_bitflip),
		T_(test_sig_bitflip),
		T_(test_line_level),
		T_(test_envelope_schema),
		T_(test_base64),
		T_(test_envelope_fast_path),
		T_(test_prescan),
		T_(test_numbers),
		T_(test_schema_members),
		T_(test_schema_types),
		T_(test_schema_ranges),
		T_(test_schema_classes),
		T_(test_times),
		T_(test_geometry),
		T_(test_keyid_mismatch),
		T_(test_arena_cap),
		T_(test_outputs_untouched_on_failure),
		T_(test_names),
		T_(test_id_valid),
		T_(test_registry_roundtrip),
		T_(test_registry_rejects),
		T_(test_doc_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

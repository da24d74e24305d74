/* test_ingest.c - the store and the ingest pipeline: every kind of bad input
 * is rejected with its own reason and leaves the observations untouched;
 * duplicates, replays, revocation, validity windows, reopen and migration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "ingest/journal.h"
#include "test_util.h"

#include <sqlite3.h>

#define T0 "2026-03-01T04:00:00Z"

struct fx {
	char dir[64];
	char db[128];
	vg_store *st;
	struct vg_secret_key k1, k2, k3;
};

struct results {
	int n;
	vg_status st[256];
	char msg[256][256];
	int64_t line[256];
};

static void on_result(void *ctx, const struct vg_ingest_result *r)
{
	struct results *rs = ctx;
	if (rs->n >= 256)
		return;
	rs->st[rs->n] = r->status;
	rs->line[rs->n] = r->line;
	snprintf(rs->msg[rs->n], sizeof rs->msg[0], "%s", r->message ? r->message : "");
	rs->n++;
}

static void seed_key(struct vg_secret_key *k, uint8_t b)
{
	uint8_t seed[32];
	memset(seed, b, sizeof seed);
	vg_key_from_seed(k, seed);
}

static void enrol(struct fx *f, const char *id, const struct vg_secret_key *k, const char *extra)
{
	char pk[128], line[1024];
	vg_key_format_public(k->pk, pk, sizeof pk);
	int n = snprintf(line, sizeof line,
	                 "{\"id\":\"%s\",\"owner\":\"NOR\",\"modality\":\"acoustic\",\"pubkey\":\"%s\","
	                 "\"pos\":{\"lat\":48.0,\"lon\":37.7}%s}",
	                 id, pk, extra);
	struct vg_sensor s;
	struct vg_err e;
	if (vg_sensor_parse(line, (size_t)n, &s, &e) != VG_OK)
		fail_msg("registry line: %s", e.msg);
	assert_int_equal(vg_store_sensor_add(f->st, &s, 0, &e), VG_OK);
}

static int setup(void **state)
{
	if (vg_crypto_init() != VG_OK)
		return -1;
	struct fx *f = calloc(1, sizeof *f);
	if (!tu_tmpdir(f->dir, sizeof f->dir))
		return -1;
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	struct vg_err e;
	if (vg_store_open(f->db, &f->st, &e) != VG_OK)
		return -1;
	seed_key(&f->k1, 1);
	seed_key(&f->k2, 2);
	seed_key(&f->k3, 3);
	enrol(f, "ac-1", &f->k1, "");
	enrol(f, "ac-2", &f->k2, ",\"valid_from\":\"2026-01-01T00:00:00Z\",\"valid_until\":\"2026-02-01T00:00:00Z\"");
	enrol(f, "ac-3", &f->k3, "");
	assert_int_equal(vg_store_sensor_revoke(f->st, "ac-3", INT64_C(1000) * VG_NS_PER_S, &e), VG_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_store_free(f->st);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static char *impulse(char *buf, size_t cap, const char *sensor, long seq, const char *arrival,
                     const char *extra)
{
	snprintf(buf, cap,
	         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%ld,\"kind\":\"impulse\",\"impulse\":{\"arrival\":"
	         "\"%s\",\"sigma_s\":0.005,\"class\":\"launch\"%s}}",
	         sensor, seq, arrival, extra);
	return buf;
}

/* Envelope line for a payload, signed by key as keyid. */
static size_t env(char *out, size_t cap, const char *payload, const char *keyid,
                  const struct vg_secret_key *k)
{
	size_t n = vg_envelope_encode((const uint8_t *)payload, strlen(payload), keyid, k, out, cap);
	assert_true(n > 0);
	return n;
}

static void run(struct fx *f, const char *buf, size_t len, struct results *rs,
                struct vg_ingest_stats *s)
{
	struct vg_err e;
	memset(rs, 0, sizeof *rs);
	struct vg_ingest_opts o = {.threads = 2, .batch_items = 7, .on_result = on_result, .ctx = rs,
	                           .source = "test"};
	if (vg_ingest_buffer(f->st, buf, len, &o, s, &e) != VG_OK)
		fail_msg("ingest: %s", e.msg);
}

static int64_t count(struct fx *f, const char *table)
{
	int64_t n = -1;
	struct vg_err e;
	assert_int_equal(vg_store_count(f->st, table, &n, &e), VG_OK);
	return n;
}

/* A digest of the whole observations table, to show it is unchanged. */
static void obs_digest(struct fx *f, uint8_t out[32])
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT id, sensor, seq, kind, t_ns, envelope FROM observations ORDER BY id",
	                                    -1, &q, NULL), SQLITE_OK);
	struct vg_sha256_ctx c;
	vg_sha256_init(&c);
	while (sqlite3_step(q) == SQLITE_ROW)
		for (int i = 0; i < 6; i++) {
			const void *b = sqlite3_column_blob(q, i);
			int n = sqlite3_column_bytes(q, i);
			vg_sha256_update(&c, b, (size_t)n);
		}
	vg_sha256_final(&c, out);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void accepts_and_dedups(void **state)
{
	struct fx *f = *state;
	char p[1024], buf[8192];
	size_t n = 0;
	for (int i = 1; i <= 5; i++) {
		impulse(p, sizeof p, "ac-1", i, T0, "");
		n += env(buf + n, sizeof buf - n, p, "ac-1", &f->k1);
		buf[n++] = '\n';
	}
	struct results rs;
	struct vg_ingest_stats s;
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 5);
	assert_int_equal(s.rejected, 0);
	assert_int_equal(count(f, "observations"), 5);
	/* Same input again: five duplicates, nothing stored twice. */
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 0);
	assert_int_equal(s.duplicates, 5);
	assert_int_equal(count(f, "observations"), 5);
	/* Last seq is persisted. */
	struct vg_sensor sn;
	struct vg_err e;
	assert_int_equal(vg_store_sensor_get(f->st, "ac-1", &sn, &e), VG_OK);
	assert_true(sn.has_last_seq);
	assert_int_equal(sn.last_seq, 5);
}

struct bad_case {
	const char *name;
	vg_status want;
	const char *needle; /* in the message */
};

static void bad_inputs_rejected(void **state)
{
	struct fx *f = *state;
	/* Baseline: one good observation so that seq replays can be tested. */
	char p[2048], line[VG_LINE_MAX * 2];
	size_t n;
	struct results rs;
	struct vg_ingest_stats s;
	impulse(p, sizeof p, "ac-1", 100, T0, "");
	n = env(line, sizeof line, p, "ac-1", &f->k1);
	run(f, line, n, &rs, &s);
	assert_int_equal(s.accepted, 1);

	uint8_t before[32], after[32];
	obs_digest(f, before);
	int64_t nobs = count(f, "observations");

	static char big[VG_LINE_MAX + 100];
	struct case_buf {
		struct bad_case c;
		char text[VG_LINE_MAX + 200];
		size_t len;
	} *cases = calloc(40, sizeof *cases);
	int k = 0;
#define ADD(nm, st, nd) (cases[k].c = (struct bad_case){nm, st, nd}, &cases[k++])
	struct case_buf *c;

	c = ADD("bit flip in payload", VG_ERR_SIGNATURE, "does not verify");
	impulse(p, sizeof p, "ac-1", 101, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);
	c->text[strstr(c->text, "\"payload\":\"") - c->text + 30] ^= 0x02;

	c = ADD("bit flip in signature", VG_ERR_SIGNATURE, "does not verify");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);
	c->text[strstr(c->text, "\"sig\":\"") - c->text + 12] ^= 0x01;

	c = ADD("wrong key", VG_ERR_SIGNATURE, "does not verify");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k2);

	c = ADD("unknown sensor", VG_ERR_UNKNOWN_SENSOR, "ac-9");
	impulse(p, sizeof p, "ac-9", 1, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-9", &f->k1);

	c = ADD("revoked sensor", VG_ERR_REVOKED, "revoked");
	impulse(p, sizeof p, "ac-3", 1, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-3", &f->k3);

	c = ADD("outside validity window", VG_ERR_NOT_VALID, "validity");
	impulse(p, sizeof p, "ac-2", 1, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-2", &f->k2);

	c = ADD("replayed seq (different payload)", VG_ERR_REPLAY, "seq = 100");
	impulse(p, sizeof p, "ac-1", 100, "2026-03-01T04:00:01Z", "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("lower seq", VG_ERR_REPLAY, "seq = 50");
	impulse(p, sizeof p, "ac-1", 50, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("keyid names no enrolled sensor", VG_ERR_UNKNOWN_SENSOR, "ac-3x");
	impulse(p, sizeof p, "ac-1", 102, T0, "");
	c->len = env(c->text, sizeof c->text, p, "ac-3x", &f->k1);

	c = ADD("signed by another enrolled sensor", VG_ERR_KEYID, "signed by keyid");
	c->len = env(c->text, sizeof c->text, p, "ac-2", &f->k2);

	c = ADD("truncated line", VG_ERR_JSON, "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1) / 2;

	c = ADD("empty line", VG_ERR_EMPTY_LINE, "");
	c->len = 0;

	c = ADD("invalid UTF-8", VG_ERR_UTF8, "");
	c->len = (size_t)snprintf(c->text, sizeof c->text, "{\"payloadType\":\"\xc3\x28\"}");

	c = ADD("line over the cap", VG_ERR_LINE_TOO_LONG, "65535");
	memset(big, 'x', sizeof big);
	memcpy(c->text, big, VG_LINE_MAX + 10);
	c->len = VG_LINE_MAX + 10;

	c = ADD("non-JSON", VG_ERR_JSON, "");
	c->len = (size_t)snprintf(c->text, sizeof c->text, "hello, world");

	c = ADD("JSON nested 10,000 deep", VG_ERR_JSON, "");
	for (int i = 0; i < 10000; i++)
		c->text[i] = '[';
	for (int i = 0; i < 10000; i++)
		c->text[10000 + i] = ']';
	c->len = 20000;

	c = ADD("number 1e999", VG_ERR_NUMBER, "");
	impulse(p, sizeof p, "ac-1", 103, T0, ",\"snr_db\":1e999");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("number -0", VG_ERR_NUMBER, "");
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-1\",\"seq\":-0,\"kind\":\"impulse\",\"impulse\":{\"arrival\":"
	         "\"%s\",\"sigma_s\":0.005,\"class\":\"launch\"}}", T0);
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("NaN literal", VG_ERR_JSON, "");
	impulse(p, sizeof p, "ac-1", 104, T0, ",\"snr_db\":NaN");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("Infinity literal", VG_ERR_JSON, "");
	impulse(p, sizeof p, "ac-1", 105, T0, ",\"snr_db\":-Infinity");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("invalid base64", VG_ERR_BASE64, "");
	c->len = (size_t)snprintf(c->text, sizeof c->text,
	                          "{\"payloadType\":\"application/vnd.vigil.observation+json\","
	                          "\"payload\":\"e30*\",\"signatures\":[{\"keyid\":\"ac-1\",\"sig\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}]}");

	c = ADD("missing member", VG_ERR_MISSING, "sigma_s");
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-1\",\"seq\":106,\"kind\":\"impulse\",\"impulse\":{\"arrival\":"
	         "\"%s\",\"class\":\"launch\"}}", T0);
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("unknown member", VG_ERR_UNKNOWN_MEMBER, "sigma_ms");
	impulse(p, sizeof p, "ac-1", 107, T0, ",\"sigma_ms\":5");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("wrong type", VG_ERR_TYPE, "snr_db");
	impulse(p, sizeof p, "ac-1", 108, T0, ",\"snr_db\":\"loud\"");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("out-of-range latitude", VG_ERR_RANGE, "lat");
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-1\",\"seq\":109,\"kind\":\"detection\",\"detection\":{\"time\":"
	         "\"%s\",\"lat\":90.5,\"lon\":37.8,\"sigma_m\":20,\"class\":\"tank\",\"class_conf\":0.9}}", T0);
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("self-intersecting polygon", VG_ERR_GEOMETRY, "polygon");
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-1\",\"seq\":110,\"kind\":\"coverage\",\"coverage\":{\"from\":"
	         "\"%s\",\"until\":\"%s\",\"polygon\":[[37.8,48.0],[37.9,48.1],[37.9,48.0],[37.8,48.1],"
	         "[37.8,48.0]]}}", T0, T0);
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("Feb 30", VG_ERR_TIME, "day 30");
	impulse(p, sizeof p, "ac-1", 111, "2026-02-30T00:00:00Z", "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("hour 24", VG_ERR_TIME, "hour 24");
	impulse(p, sizeof p, "ac-1", 112, "2026-03-01T24:00:00Z", "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	c = ADD("minute 60", VG_ERR_TIME, "minute 60");
	impulse(p, sizeof p, "ac-1", 113, "2026-03-01T23:60:00Z", "");
	c->len = env(c->text, sizeof c->text, p, "ac-1", &f->k1);

	/* One buffer with every case on its own line. */
	size_t cap = 0;
	for (int i = 0; i < k; i++)
		cap += cases[i].len + 1;
	char *all = malloc(cap);
	size_t off = 0;
	for (int i = 0; i < k; i++) {
		memcpy(all + off, cases[i].text, cases[i].len);
		off += cases[i].len;
		all[off++] = '\n';
	}
	run(f, all, off, &rs, &s);
	assert_int_equal(rs.n, k);
	for (int i = 0; i < k; i++) {
		assert_int_equal(rs.line[i], i + 1);
		if (rs.st[i] != cases[i].c.want || !strstr(rs.msg[i], cases[i].c.needle))
			fail_msg("%s: got %s (%s), want %s containing '%s'", cases[i].c.name,
			         vg_status_name(rs.st[i]), rs.msg[i], vg_status_name(cases[i].c.want),
			         cases[i].c.needle);
	}
	assert_int_equal(s.rejected, k);
	assert_int_equal(s.accepted, 0);
	/* The observations table is unchanged, every rejection is recorded. */
	obs_digest(f, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(count(f, "observations"), nobs);
	assert_int_equal(count(f, "rejections"), k);
	free(all);
	free(cases);
}

static void reopen_keeps_state(void **state)
{
	struct fx *f = *state;
	char p[1024], buf[4096];
	impulse(p, sizeof p, "ac-1", 1, T0, "");
	size_t n = env(buf, sizeof buf, p, "ac-1", &f->k1);
	struct results rs;
	struct vg_ingest_stats s;
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 1);
	vg_store_free(f->st);
	struct vg_err e;
	assert_int_equal(vg_store_open(f->db, &f->st, &e), VG_OK);
	assert_int_equal(vg_store_schema_version(f->st), VG_STORE_SCHEMA_VERSION);
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.duplicates, 1);
	/* WAL mode and synchronous=FULL are in force. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void newer_schema_refused(void **state)
{
	struct fx *f = *state;
	vg_store_free(f->st);
	f->st = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	struct vg_err e;
	vg_store *st = NULL;
	assert_int_equal(vg_store_open(f->db, &st, &e), VG_ERR_VERSION);
	assert_null(st);
	assert_non_null(strstr(e.msg, "newer"));
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", VG_STORE_SCHEMA_VERSION);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vg_store_open(f->db, &f->st, &e), VG_OK);
}

static int qcount(void *ctx, const struct vg_obs_stored *o)
{
	(void)o;
	(*(int *)ctx)++;
	return 0;
}

struct kind_sensors {
	char (*id)[VG_ID_MAX + 1];
	int n;
};

static int kind_sensor(void *ctx, const char *sensor)
{
	struct kind_sensors *k = ctx;
	if (k->n < 4)
		snprintf(k->id[k->n], sizeof k->id[0], "%s", sensor);
	k->n++;
	return 0;
}

static void query_filters(void **state)
{
	struct fx *f = *state;
	char p[1024], buf[16384];
	size_t n = 0;
	static const char *const times[] = {"2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z",
	                                    "2026-03-01T03:00:00Z"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p,
		         "{\"v\":1,\"sensor\":\"ac-1\",\"seq\":%d,\"kind\":\"detection\",\"detection\":{\"time\":"
		         "\"%s\",\"lat\":%d.5,\"lon\":37.5,\"sigma_m\":20,\"class\":\"tank\",\"class_conf\":0.9}}",
		         i + 1, times[i], 47 + i);
		n += env(buf + n, sizeof buf - n, p, "ac-1", &f->k1);
		buf[n++] = '\n';
	}
	struct results rs;
	struct vg_ingest_stats s;
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 3);
	struct vg_err e;
	int c = 0;
	struct vg_obs_filter fl = {0};
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 3);
	c = 0;
	fl.has_time = true;
	assert_int_equal(vg_time_parse("2026-03-01T01:30:00Z", 20, &fl.t0_ns, &e), VG_OK);
	assert_int_equal(vg_time_parse("2026-03-01T03:00:00Z", 20, &fl.t1_ns, &e), VG_OK);
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 2);
	c = 0;
	fl.has_bbox = true;
	fl.min_lat_deg = 48.0, fl.max_lat_deg = 49.0, fl.min_lon_deg = 37.0, fl.max_lon_deg = 38.0;
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 1);
	c = 0;
	fl = (struct vg_obs_filter){.kind = VG_OBS_IMPULSE};
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 0);
	c = 0;
	fl = (struct vg_obs_filter){.limit = 2};
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 2);

	/* the sensors of a kind, once each, whether logged or not (this store
	 * has no journal: no log indices) */
	char who[4][VG_ID_MAX + 1];
	struct kind_sensors ks = {who, 0};
	assert_int_equal(vg_store_kind_sensors(f->st, VG_OBS_DETECTION, kind_sensor, &ks, &e), VG_OK);
	assert_int_equal(ks.n, 1);
	assert_string_equal(who[0], "ac-1");
	ks.n = 0;
	assert_int_equal(vg_store_kind_sensors(f->st, VG_OBS_COVERAGE, kind_sensor, &ks, &e), VG_OK);
	assert_int_equal(ks.n, 0);

	/* Impulses carry no position: found at the sensor's registered one
	 * (48.0 N, 37.7 E), which is not copied into the R*Tree. */
	n = 0;
	impulse(p, sizeof p, "ac-1", 10, T0, "");
	n += env(buf + n, sizeof buf - n, p, "ac-1", &f->k1);
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 1);
	c = 0;
	fl = (struct vg_obs_filter){.has_bbox = true, .min_lat_deg = 47.9, .max_lat_deg = 48.1,
	                            .min_lon_deg = 37.6, .max_lon_deg = 37.8, .kind = VG_OBS_IMPULSE};
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 1);
	c = 0;
	fl.min_lon_deg = 37.75;
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 0);
	/* The detection at 47.5 N is not picked up by its (fixed) sensor's box. */
	c = 0;
	fl = (struct vg_obs_filter){.has_bbox = true, .min_lat_deg = 47.9, .max_lat_deg = 48.1,
	                            .min_lon_deg = 37.6, .max_lon_deg = 37.8, .kind = VG_OBS_DETECTION};
	assert_int_equal(vg_store_obs_query(f->st, &fl, qcount, &c, &e), VG_OK);
	assert_int_equal(c, 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM obs_rtree", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3); /* the three detections only */
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The file reader and the buffer splitter agree on every line: same
 * status, and the same line hash in the rejection records, for a line of
 * exactly the cap followed by CRLF, one byte over with CRLF, and long lines
 * split across many reads. */
static void stream_and_buffer_agree(void **state)
{
	struct fx *f = *state;
	size_t cap = 2 * (size_t)VG_LINE_MAX + 200000 + 64;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n = 0;
	memset(buf + n, 'x', VG_LINE_MAX), n += VG_LINE_MAX; /* at the cap, CRLF */
	buf[n++] = '\r', buf[n++] = '\n';
	memset(buf + n, 'y', VG_LINE_MAX + 1), n += VG_LINE_MAX + 1; /* over, CRLF */
	buf[n++] = '\r', buf[n++] = '\n';
	memset(buf + n, 'z', 200000), n += 200000; /* far over, LF */
	buf[n++] = '\n';
	memcpy(buf + n, "{}\r\n", 4), n += 4;
	char path[256];
	snprintf(path, sizeof path, "%s/lines.ndjson", f->dir);
	FILE *w = fopen(path, "wb");
	assert_int_equal(fwrite(buf, 1, n, w), n);
	fclose(w);

	struct results a, b;
	struct vg_ingest_stats s;
	run(f, buf, n, &a, &s);
	FILE *in = fopen(path, "rb");
	struct vg_err e;
	memset(&b, 0, sizeof b);
	struct vg_ingest_opts o = {.threads = 2, .batch_items = 2, .on_result = on_result, .ctx = &b};
	assert_int_equal(vg_ingest_stream(f->st, in, &o, &s, &e), VG_OK);
	fclose(in);
	assert_int_equal(a.n, 4);
	assert_int_equal(b.n, 4);
	static const vg_status want[4] = {VG_ERR_JSON, VG_ERR_LINE_TOO_LONG, VG_ERR_LINE_TOO_LONG,
	                                   VG_ERR_ENVELOPE};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(a.st[i], want[i]);
		assert_int_equal(b.st[i], want[i]);
	}
	/* Two runs, one rejection row each per line, identical hashes pairwise. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT count(DISTINCT line_sha256), count(*) FROM rejections",
	                                    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 1), 8);
	assert_int_equal(sqlite3_column_int(q, 0), 4);
	sqlite3_finalize(q);
	/* The over-long line's hash excludes its CRLF. */
	uint8_t h[32];
	vg_sha256((const uint8_t *)buf + VG_LINE_MAX + 2, VG_LINE_MAX + 1, h);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM rejections WHERE line_sha256 = ?1",
	                                    -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, h, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 2);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(buf);
}

static vg_status count_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                             struct vg_err *err)
{
	return vg_journal_audit_entry(ctx, index, entry, len, err);
}

/* A store filled without a log (older stores), with a sensor revoked after
 * its observations, is adopted into a log that an auditor accepts: the
 * revocation is logged after the observations it followed. */
static void journal_adopts_old_store(void **state)
{
	struct fx *f = *state;
	char p[1024], buf[8192];
	size_t n = 0;
	for (int i = 1; i <= 3; i++) {
		impulse(p, sizeof p, "ac-1", i, T0, "");
		n += env(buf + n, sizeof buf - n, p, "ac-1", &f->k1);
		buf[n++] = '\n';
	}
	struct results rs;
	struct vg_ingest_stats s;
	run(f, buf, n, &rs, &s); /* no journal */
	assert_int_equal(s.accepted, 3);
	struct vg_err e;
	assert_int_equal(vg_store_sensor_revoke(f->st, "ac-1", vg_time_now_ns(), &e), VG_OK);

	struct vg_journal *j = NULL;
	if (vg_journal_open(f->st, f->db, "test.vigil.example/log", &j, &e) != VG_OK)
		fail_msg("journal open: %s", e.msg);
	/* log key + 3 enrolments + 3 observations + 2 revocations (ac-1, ac-3) */
	assert_int_equal(vg_journal_next(j), 9);
	struct vg_note_verifier vk;
	const char *vs = vg_journal_verifier(j);
	assert_int_equal(vg_note_verifier_parse(vs, strlen(vs), &vk, &e), VG_OK);
	struct vg_journal_audit *ja;
	assert_int_equal(vg_journal_audit_new(&vk, &ja, &e), VG_OK);
	struct vg_ledger_audit la;
	char dir[256];
	snprintf(dir, sizeof dir, "%s.log", f->db);
	if (vg_ledger_audit(dir, &vk, count_entry, ja, &la, &e) != VG_OK)
		fail_msg("audit: %s", e.msg);
	int64_t nst, nobs, nsen;
	vg_journal_audit_counts(ja, &nst, &nobs, &nsen);
	assert_int_equal(nst, 6);
	assert_int_equal(nobs, 3);
	assert_int_equal(nsen, 3);
	vg_journal_audit_free(ja);
	vg_journal_free(j);

	/* Reopening changes nothing; new observations of ac-2 get the next index. */
	assert_int_equal(vg_journal_open(f->st, f->db, NULL, &j, &e), VG_OK);
	assert_int_equal(vg_journal_next(j), 9);
	vg_journal_free(j);
}

static vg_status audit_log(struct fx *f, struct vg_journal *j, int64_t *pubs, struct vg_err *e)
{
	struct vg_note_verifier vk;
	const char *vs = vg_journal_verifier(j);
	assert_int_equal(vg_note_verifier_parse(vs, strlen(vs), &vk, e), VG_OK);
	struct vg_journal_audit *ja;
	assert_int_equal(vg_journal_audit_new(&vk, &ja, e), VG_OK);
	struct vg_ledger_audit la;
	char dir[256];
	snprintf(dir, sizeof dir, "%s.log", f->db);
	vg_status s = vg_ledger_audit(dir, &vk, count_entry, ja, &la, e);
	*pubs = vg_journal_audit_publications(ja);
	vg_journal_audit_free(ja);
	return s;
}

static void publish(vg_store *st, struct vg_journal *j, const char *kind, const char *rec,
                    bool want_new)
{
	struct vg_err e;
	bool added = !want_new;
	int64_t next0 = j ? vg_journal_next(j) : 0;
	assert_int_equal(vg_store_begin(st, &e), VG_OK);
	if (vg_journal_stage_publication(j, st, kind, rec, strlen(rec), vg_time_now_ns(), &added, &e) != VG_OK)
		fail_msg("publish: %s", e.msg);
	assert_int_equal(added, want_new);
	assert_int_equal(vg_store_commit(st, &e), VG_OK);
	if (j) {
		assert_int_equal(vg_journal_next(j), next0 + (want_new ? 1 : 0));
		assert_int_equal(vg_journal_catch_up(j, st, &e), VG_OK);
	}
}

/* Events and findings as log statements: once per distinct record; one
 * stored while another process held the log is logged by vg_journal_adopt;
 * the audit checks that the evidence names earlier observation entries. */
static void publications_audited(void **state)
{
	struct fx *f = *state;
	char p[1024], buf[8192];
	size_t n = 0;
	for (int i = 1; i <= 3; i++) {
		impulse(p, sizeof p, "ac-1", i, T0, "");
		n += env(buf + n, sizeof buf - n, p, "ac-1", &f->k1);
		buf[n++] = '\n';
	}
	struct results rs;
	struct vg_ingest_stats s;
	run(f, buf, n, &rs, &s);
	assert_int_equal(s.accepted, 3);
	struct vg_err e;
	struct vg_journal *j = NULL;
	if (vg_journal_open(f->st, f->db, "test.vigil.example/log", &j, &e) != VG_OK)
		fail_msg("journal open: %s", e.msg);
	/* 0 log key, 1-3 enrolments, 4-6 observations, 7 the revocation of ac-3 */
	assert_int_equal(vg_journal_next(j), 8);
	publish(f->st, j, "event", "{\"id\":\"e-000001\",\"arrivals\":[4,5,6]}", true);
	publish(f->st, j, "event", "{\"id\":\"e-000001\",\"arrivals\":[4,5,6]}", false);
	int64_t pubs;
	if (audit_log(f, j, &pubs, &e) != VG_OK)
		fail_msg("audit: %s", e.msg);
	assert_int_equal(pubs, 1);

	/* Stored without the log (another process held it), then adopted. */
	publish(f->st, NULL, "finding", "{\"id\":\"f-000001\",\"evidence\":[5]}", true);
	assert_int_equal(vg_journal_next(j), 9);
	assert_int_equal(vg_journal_adopt(j, f->st, &e), VG_OK);
	assert_int_equal(vg_journal_next(j), 10);
	assert_int_equal(audit_log(f, j, &pubs, &e), VG_OK);
	assert_int_equal(pubs, 2);

	/* Not a record line: refused, nothing stored. */
	assert_int_equal(vg_store_begin(f->st, &e), VG_OK);
	bool added;
	assert_int_equal(vg_journal_stage_publication(j, f->st, "finding", "[1]", 3, 0, &added, &e),
	                 VG_ERR_JSON);
	assert_int_equal(vg_journal_stage_publication(j, f->st, "opinion", "{}", 2, 0, &added, &e),
	                 VG_ERR_RANGE);
	vg_store_rollback(f->st);
	assert_int_equal(vg_journal_next(j), 10);

	/* Evidence naming a registry statement (index 1), or an index this log
	 * does not have, is refused before anything is signed or stored. */
	static const char *const bad[] = {"{\"id\":\"f-000002\",\"evidence\":[4,1]}",
	                                  "{\"id\":\"f-000003\",\"arrivals\":[999999]}",
	                                  "{\"id\":\"f-000004\",\"evidence\":\"4\"}",
	                                  "{\"id\":\"f-000005\",\"evidence\":[4],\"evidence\":[5]}"};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(vg_store_begin(f->st, &e), VG_OK);
		assert_int_not_equal(vg_journal_stage_publication(j, f->st, "finding", bad[k], strlen(bad[k]),
		                                                  0, &added, &e),
		                     VG_OK);
		vg_store_rollback(f->st);
		/* and the same while another process holds the log */
		assert_int_equal(vg_store_begin(f->st, &e), VG_OK);
		assert_int_not_equal(vg_journal_stage_publication(NULL, f->st, "finding", bad[k],
		                                                  strlen(bad[k]), 0, &added, &e),
		                     VG_OK);
		vg_store_rollback(f->st);
	}
	assert_int_equal(vg_journal_next(j), 10);

	/* Forged statements, signed with the real log key, fail the audit: a
	 * record that rests on a registry entry; a second "record" key hiding
	 * the hashed bytes; a payload not in the canonical form. */
	char keyp[256];
	snprintf(keyp, sizeof keyp, "%s.logkey", f->db);
	struct vg_note_signer sk;
	assert_int_equal(vg_note_key_read(keyp, &sk, &e), VG_OK);
	char kid[16];
	snprintf(kid, sizeof kid, "%08x", (unsigned)sk.pub.key_id);
	const char *h1 = "{\"id\":\"e-9\",\"arrivals\":[4,1]}";
	uint8_t sha[VG_SHA256_BYTES];
	char hex[2 * VG_SHA256_BYTES + 1];
	vg_sha256((const uint8_t *)h1, strlen(h1), sha);
	vg_hex_encode(sha, VG_SHA256_BYTES, hex);
	const char *good_ok = "{\"id\":\"e-8\",\"arrivals\":[4,5,6]}";
	uint8_t sha2[VG_SHA256_BYTES];
	char hex2[2 * VG_SHA256_BYTES + 1];
	vg_sha256((const uint8_t *)good_ok, strlen(good_ok), sha2);
	vg_hex_encode(sha2, VG_SHA256_BYTES, hex2);
	char forged[4][1024];
	snprintf(forged[0], sizeof forged[0],
	         "{\"v\":1,\"op\":\"event\",\"at\":\"2026-03-01T04:00:00Z\",\"record_sha256\":\"%s\","
	         "\"record\":%s}", hex, h1);
	snprintf(forged[1], sizeof forged[1],
	         "{\"v\":1,\"op\":\"event\",\"at\":\"2026-03-01T04:00:00Z\",\"record_sha256\":\"%s\","
	         "\"record\":{\"id\":\"e-8\",\"arrivals\":[1]},\"a\\\"record\":%s}", hex2, good_ok);
	snprintf(forged[2], sizeof forged[2],
	         "{\"op\":\"event\",\"v\":1,\"at\":\"2026-03-01T04:00:00Z\",\"record_sha256\":\"%s\","
	         "\"record\":%s}", hex2, good_ok);
	/* the control: the canonical statement of a good record passes */
	snprintf(forged[3], sizeof forged[3],
	         "{\"v\":1,\"op\":\"event\",\"at\":\"2026-03-01T04:00:00Z\",\"record_sha256\":\"%s\","
	         "\"record\":%s}", hex2, good_ok);
	struct vg_note_verifier vk;
	const char *vs = vg_journal_verifier(j);
	assert_int_equal(vg_note_verifier_parse(vs, strlen(vs), &vk, &e), VG_OK);
	for (int k = 0; k < 4; k++) {
		struct vg_journal_audit *ja;
		assert_int_equal(vg_journal_audit_new(&vk, &ja, &e), VG_OK);
		/* the observations 4-6 first, so that they count as observation entries */
		struct vg_ledger_audit la;
		char dir[256];
		snprintf(dir, sizeof dir, "%s.log", f->db);
		assert_int_equal(vg_ledger_audit(dir, &vk, count_entry, ja, &la, &e), VG_OK);
		uint8_t pae[2048], sig[VG_SIG_BYTES];
		size_t pn = vg_dsse_pae(VG_PUBLICATION_PAYLOAD_TYPE, (const uint8_t *)forged[k],
		                        strlen(forged[k]), pae, sizeof pae);
		assert_true(pn > 0);
		vg_sign(&sk.key, pae, pn, sig);
		char b64p[2048], b64s[128], env_line[4096];
		vg_b64_encode((const uint8_t *)forged[k], strlen(forged[k]), b64p);
		vg_b64_encode(sig, sizeof sig, b64s);
		int el = snprintf(env_line, sizeof env_line,
		                 "{\"payloadType\":\"%s\",\"payload\":\"%s\",\"signatures\":"
		                 "[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}",
		                 VG_PUBLICATION_PAYLOAD_TYPE, b64p, kid, b64s);
		struct vg_err ae;
		vg_err_clear(&ae);
		vg_status as = vg_journal_audit_entry(ja, 10, (const uint8_t *)env_line, (size_t)el, &ae);
		if (k < 3 && as == VG_OK)
			fail_msg("forged statement %d passed the audit", k);
		if (k == 3 && as != VG_OK)
			fail_msg("the canonical statement failed the audit: %s", ae.msg);
		vg_journal_audit_free(ja);
	}
	vg_note_signer_wipe(&sk);
	vg_journal_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(accepts_and_dedups, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_inputs_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(query_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(journal_adopts_old_store, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_and_buffer_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(publications_audited, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

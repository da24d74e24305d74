/* journal.c - the transparency log attached to a store (journal.h). */
#include "journal.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vg_journal {
	vg_ledger *lg;
	struct vg_note_signer key;
	char keyid[16];               /* 8 hex digits of the note key ID */
	char verifier[VG_NOTE_VKEY_MAX];
	int64_t next;
};

vg_ledger *vg_journal_ledger(struct vg_journal *j) { return j->lg; }
const char *vg_journal_verifier(const struct vg_journal *j) { return j->verifier; }
int64_t vg_journal_next(const struct vg_journal *j) { return j->next; }
int64_t vg_journal_reserve(struct vg_journal *j) { return j->next++; }
void vg_journal_unreserve(struct vg_journal *j, int64_t next) { j->next = next; }

void vg_journal_free(struct vg_journal *j)
{
	if (!j)
		return;
	vg_ledger_free(j->lg);
	sodium_memzero(&j->key, sizeof j->key);
	free(j);
}

vg_status vg_journal_append(struct vg_journal *j, int64_t idx, const uint8_t *entry, size_t len,
                            struct vg_err *err)
{
	if ((int64_t)vg_ledger_size(j->lg) != idx)
		return vg_err_set(err, VG_ERR_CORRUPT, "log entry %lld out of order (log size %llu)",
		                  (long long)idx, (unsigned long long)vg_ledger_size(j->lg));
	uint64_t got;
	vg_status s = vg_ledger_append(j->lg, entry, len, &got, err);
	if (s)
		return s;
	if ((int64_t)got != idx)
		return vg_err_set(err, VG_ERR_CORRUPT, "log entry %lld landed at index %llu",
		                  (long long)idx, (unsigned long long)got);
	return VG_OK;
}

vg_status vg_journal_sync(struct vg_journal *j, struct vg_err *err)
{
	return vg_ledger_sync(j->lg, err);
}

/* ---- Registry statements ---------------------------------------------- */

/* Sign payload as the log and write the DSSE envelope line into out. */
static size_t typed_envelope(const struct vg_journal *j, const char *type, const char *payload,
                             char *out, size_t cap)
{
	size_t pl = strlen(payload);
	uint8_t pae[VG_LINE_MAX + 256];
	size_t n = vg_dsse_pae(type, (const uint8_t *)payload, pl, pae, sizeof pae);
	if (!n)
		return 0;
	uint8_t sig[VG_SIG_BYTES];
	vg_sign(&j->key.key, pae, n, sig);
	size_t need = 100 + strlen(type) + vg_b64_encoded_size(pl) + 100;
	if (need > cap)
		return 0;
	char *b64p = malloc(vg_b64_encoded_size(pl));
	char b64s[128];
	if (!b64p)
		return 0;
	vg_b64_encode((const uint8_t *)payload, pl, b64p);
	vg_b64_encode(sig, sizeof sig, b64s);
	int w = snprintf(out, cap,
	                 "{\"payloadType\":\"%s\",\"payload\":\"%s\","
	                 "\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}",
	                 type, b64p, j->keyid, b64s);
	free(b64p);
	return w > 0 && (size_t)w < cap && (size_t)w <= VG_LEDGER_ENTRY_MAX ? (size_t)w : 0;
}

static size_t statement_envelope(const struct vg_journal *j, const char *payload, char *out,
                                 size_t cap)
{
	return typed_envelope(j, VG_REGISTRY_PAYLOAD_TYPE, payload, out, cap);
}

/* Store a statement at a fresh index inside the caller's transaction; the
 * envelope goes to out/out_len for appending after COMMIT. */
static vg_status store_statement(struct vg_journal *j, vg_store *st, const char *op,
                                 const char *sensor, int64_t at_ns, const char *payload,
                                 char *out, size_t cap, size_t *out_len, int64_t *idx,
                                 struct vg_err *err)
{
	size_t n = statement_envelope(j, payload, out, cap);
	if (!n)
		return vg_err_set(err, VG_ERR_LIMIT, "registry statement for %s too long", sensor);
	*idx = vg_journal_reserve(j);
	vg_status s = vg_store_registry_log_insert(st, *idx, op, sensor, at_ns, (const uint8_t *)out, n,
	                                           err);
	if (s) {
		j->next--;
		return s;
	}
	*out_len = n;
	return VG_OK;
}

static void enrol_payload(const struct vg_sensor *s, int64_t at_ns, char *out, size_t cap)
{
	char line[VG_LINE_MAX], t[VG_TIME_STR_MAX];
	size_t n = vg_sensor_format(s, line, sizeof line);
	vg_time_format(at_ns, t);
	snprintf(out, cap, "{\"v\":1,\"op\":\"enrol\",\"at\":\"%s\",\"sensor\":%.*s}", t, (int)n, line);
}

static void revoke_payload(const char *id, int64_t at_ns, char *out, size_t cap)
{
	char t[VG_TIME_STR_MAX];
	vg_time_format(at_ns, t);
	snprintf(out, cap, "{\"v\":1,\"op\":\"revoke\",\"at\":\"%s\",\"sensor\":\"%s\"}", t, id);
}

vg_status vg_journal_stage_enrol(struct vg_journal *j, vg_store *st, const struct vg_sensor *s,
                                 int64_t at_ns, struct vg_err *err)
{
	char *payload = malloc(VG_LINE_MAX), *env = malloc(VG_LINE_MAX + 1);
	vg_status r = VG_ERR_NOMEM;
	size_t n;
	int64_t idx;
	if (!payload || !env) {
		vg_err_set(err, r, "registry statement");
		goto out_free;
	}
	enrol_payload(s, at_ns, payload, VG_LINE_MAX);
	if (!(r = vg_store_sensor_add(st, s, at_ns, err)))
		r = store_statement(j, st, "enrol", s->id, at_ns, payload, env, VG_LINE_MAX + 1, &n,
		                    &idx, err);
out_free:
	free(payload);
	free(env);
	return r;
}

vg_status vg_journal_stage_revoke(struct vg_journal *j, vg_store *st, const char *id,
                                  int64_t at_ns, struct vg_err *err)
{
	char payload[512], env[2048];
	size_t n;
	int64_t idx;
	/* The log orders a revocation by its position: a revocation dated in the
	 * future would make observations received before that date look like
	 * they came after it. Revoke when the time comes. */
	if (at_ns > vg_time_now_ns() + 60 * VG_NS_PER_S)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "revocation time is in the future: revoke when it takes effect");
	revoke_payload(id, at_ns, payload, sizeof payload);
	vg_status r = vg_store_sensor_revoke(st, id, at_ns, err);
	if (!r)
		r = store_statement(j, st, "revoke", id, at_ns, payload, env, sizeof env, &n, &idx, err);
	return r;
}

/* Catching up (after a crash, or adopting a large store): sync every
 * CATCH_UP_SYNC entries so that the ledger's pending limit is never hit. */
#define CATCH_UP_SYNC 65536
static vg_status append_cb(void *ctx, int64_t idx, const uint8_t *entry, size_t len,
                           struct vg_err *err)
{
	struct vg_journal *j = ctx;
	vg_status s = vg_journal_append(j, idx, entry, len, err);
	if (!s && vg_ledger_size(j->lg) - vg_ledger_durable_size(j->lg) >= CATCH_UP_SYNC)
		s = vg_ledger_sync(j->lg, err);
	return s;
}

vg_status vg_journal_catch_up(struct vg_journal *j, vg_store *st, struct vg_err *err)
{
	int64_t lsize = (int64_t)vg_ledger_size(j->lg);
	vg_status s = vg_store_log_each(st, lsize, append_cb, j, err);
	if (s)
		return s;
	return vg_journal_sync(j, err);
}

/* One store transaction around a staged statement, then the log. */
static vg_status one_statement(struct vg_journal *j, vg_store *st, const struct vg_sensor *s,
                               const char *id, int64_t at_ns, struct vg_err *err)
{
	int64_t next0 = j->next;
	vg_status r = vg_store_begin(st, err);
	if (r)
		return r;
	r = s ? vg_journal_stage_enrol(j, st, s, at_ns, err)
	      : vg_journal_stage_revoke(j, st, id, at_ns, err);
	if (r) {
		vg_store_rollback(st);
		j->next = next0;
		return r;
	}
	if ((r = vg_store_commit(st, err))) {
		j->next = next0;
		return r;
	}
	return vg_journal_catch_up(j, st, err);
}

vg_status vg_journal_enrol(struct vg_journal *j, vg_store *st, const struct vg_sensor *s,
                           int64_t at_ns, struct vg_err *err)
{
	return one_statement(j, st, s, NULL, at_ns, err);
}

vg_status vg_journal_revoke(struct vg_journal *j, vg_store *st, const char *id, int64_t at_ns,
                            struct vg_err *err)
{
	return one_statement(j, st, NULL, id, at_ns, err);
}

struct ids {
	int64_t *v;
	size_t n, cap;
	bool oom;
};

static int collect_id(void *ctx, int64_t id)
{
	struct ids *x = ctx;
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 1024;
		int64_t *nv = realloc(x->v, nc * sizeof *nv);
		if (!nv) {
			x->oom = true;
			return 1;
		}
		x->v = nv;
		x->cap = nc;
	}
	x->v[x->n++] = id;
	return 0;
}

/* ---- Publications: fused events and findings ------------------------------ */

/* Records up to this size travel whole in their statement (base64 in a
 * 64 KiB entry); a longer one is stated by its SHA-256 and length, and the
 * record itself is served by the store (GET /v1/events, /v1/findings). */
#define PUB_RECORD_INLINE_MAX 40000

/* The canonical form of a publication statement's payload, written here
 * and rebuilt by the audit from the parsed members: the head up to the
 * record (or its size), then `tail`. */
static int pub_head(char *out, size_t cap, const char *kind, const char *at, const char *hex)
{
	return snprintf(out, cap, "{\"v\":1,\"op\":\"%s\",\"at\":\"%s\",\"record_sha256\":\"%s\",", kind,
	                at, hex);
}

static vg_status pub_payload(const char *kind, const char *record, size_t len,
                             const uint8_t sha[VG_SHA256_BYTES], int64_t at_ns, char *out,
                             size_t cap, struct vg_err *err)
{
	char t[VG_TIME_STR_MAX], hex[2 * VG_SHA256_BYTES + 1];
	vg_time_format(at_ns, t);
	vg_hex_encode(sha, VG_SHA256_BYTES, hex);
	int h = pub_head(out, cap, kind, t, hex), w = -1;
	if (h >= 0 && (size_t)h < cap)
		w = len <= PUB_RECORD_INLINE_MAX
		        ? snprintf(out + h, cap - (size_t)h, "\"record\":%.*s}", (int)len, record)
		        : snprintf(out + h, cap - (size_t)h, "\"record_bytes\":%zu}", len);
	if (w < 0 || (size_t)(h + w) >= cap)
		return vg_err_set(err, VG_ERR_LIMIT, "%s statement too long", kind);
	return VG_OK;
}

/* The log indices a record rests on: an event's "arrivals" and "radar", a
 * finding's "evidence" (docs/log-format.md). */
static const char *const pub_lists[] = {"arrivals", "radar", "evidence"};

/* A record must be one JSON object line, and every log index it rests on a
 * stored observation (below `limit` when the log is held: earlier in it).
 * An index from elsewhere (a stale --events file, another store) would put
 * a statement in the append-only log that no audit could ever pass. */
static vg_status pub_check(vg_store *st, const char *kind, const char *record, size_t len,
                           int64_t limit, struct vg_err *err)
{
	if (strcmp(kind, "event") != 0 && strcmp(kind, "finding") != 0)
		return vg_err_set(err, VG_ERR_RANGE, "publication kind \"%s\": event or finding", kind);
	if (!len || record[0] != '{' || memchr(record, '\n', len))
		return vg_err_set(err, VG_ERR_JSON, "%s record: not one JSON object line", kind);
	json_error_t je;
	json_t *r = json_loadb(record, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(r)) {
		json_decref(r);
		return vg_err_set(err, VG_ERR_JSON, "%s record: column %d: %s", kind, je.column, je.text);
	}
	const char *id = json_string_value(json_object_get(r, "id"));
	vg_status s = VG_OK;
	for (size_t l = 0; !s && l < sizeof pub_lists / sizeof pub_lists[0]; l++) {
		json_t *arr = json_object_get(r, pub_lists[l]), *v;
		size_t i;
		if (arr && !json_is_array(arr)) {
			s = vg_err_set(err, VG_ERR_TYPE, "%s %s: \"%s\" must be an array of log indices",
			               kind, id ? id : "?", pub_lists[l]);
			break;
		}
		json_array_foreach(arr, i, v) {
			json_int_t x = json_integer_value(v);
			bool is_obs = false;
			if (json_is_integer(v) && x >= 0 && (limit < 0 || x < limit) &&
			    (s = vg_store_obs_logged_at(st, (int64_t)x, &is_obs, err)))
				break;
			if (!is_obs) {
				s = vg_err_set(err, VG_ERR_INCONSISTENT,
				               "%s %s: \"%s\"[%zu] = %lld is not an observation of this store's"
				               " log: not published",
				               kind, id ? id : "?", pub_lists[l], i, (long long)x);
				break;
			}
		}
	}
	json_decref(r);
	return s;
}

vg_status vg_journal_stage_publication(struct vg_journal *j, vg_store *st, const char *kind,
                                       const char *record, size_t len, int64_t now_ns,
                                       bool *published, struct vg_err *err)
{
	uint8_t sha[VG_SHA256_BYTES];
	bool has = false;
	vg_status s;
	*published = false;
	if ((s = pub_check(st, kind, record, len, j ? j->next : -1, err)))
		return s;
	vg_sha256((const uint8_t *)record, len, sha);
	if (!j) /* not holding the log: the holder logs it later (vg_journal_adopt) */
		return vg_store_pub_insert(st, kind, sha, record, len, now_ns, -1, NULL, 0, published,
		                           err);
	if ((s = vg_store_pub_exists(st, kind, sha, &has, err)) || has)
		return s;
	char *payload = malloc(VG_LINE_MAX), *env = malloc(VG_LINE_MAX + 1);
	if (!payload || !env) {
		s = vg_err_set(err, VG_ERR_NOMEM, "%s statement", kind);
		goto out;
	}
	if ((s = pub_payload(kind, record, len, sha, now_ns, payload, VG_LINE_MAX, err)))
		goto out;
	size_t n = typed_envelope(j, VG_PUBLICATION_PAYLOAD_TYPE, payload, env, VG_LINE_MAX + 1);
	if (!n) {
		s = vg_err_set(err, VG_ERR_LIMIT, "%s statement too long", kind);
		goto out;
	}
	int64_t idx = vg_journal_reserve(j);
	if ((s = vg_store_pub_insert(st, kind, sha, record, len, now_ns, idx, (const uint8_t *)env, n,
	                             published, err)) ||
	    !*published)
		j->next--; /* failed, or another process published it meanwhile */
out:
	free(payload);
	free(env);
	return s;
}

struct pub_adopt {
	struct vg_journal *j;
	vg_store *st;
	struct ids ids;
};

static int collect_pub(void *ctx, const struct vg_pub_row *p)
{
	return collect_id(&((struct pub_adopt *)ctx)->ids, p->id);
}

struct pub_one {
	const struct vg_pub_row *row;
	char *record;
	size_t len;
	char kind[8];
	int64_t published_ns;
	bool got;
};

static int copy_pub(void *ctx, const struct vg_pub_row *p)
{
	struct pub_one *o = ctx;
	o->record = malloc(p->record_len + 1);
	if (o->record) {
		memcpy(o->record, p->record, p->record_len);
		o->len = p->record_len;
	}
	snprintf(o->kind, sizeof o->kind, "%s", p->kind);
	o->published_ns = p->published_ns;
	o->got = true;
	return 1;
}

/* Inside adopt's transaction: give each unlogged publication (id order)
 * its index and statement. */
static vg_status adopt_publications(struct vg_journal *j, vg_store *st, char *payload, char *env,
                                    struct vg_err *err)
{
	struct pub_adopt a = {.j = j, .st = st};
	vg_status s = vg_store_pub_each(st, 0, true, 0, collect_pub, &a, err);
	if (!s && a.ids.oom)
		s = vg_err_set(err, VG_ERR_NOMEM, "adopting publications");
	for (size_t i = 0; !s && i < a.ids.n; i++) {
		struct pub_one o = {0};
		uint8_t sha[VG_SHA256_BYTES];
		if ((s = vg_store_pub_each(st, a.ids.v[i] - 1, true, 1, copy_pub, &o, err)))
			break;
		if (!o.got || !o.record) {
			free(o.record);
			s = o.got ? vg_err_set(err, VG_ERR_NOMEM, "adopting publications") : VG_OK;
			continue;
		}
		if ((s = pub_check(st, o.kind, o.record, o.len, j->next, err))) {
			free(o.record);
			break;
		}
		vg_sha256((const uint8_t *)o.record, o.len, sha);
		s = pub_payload(o.kind, o.record, o.len, sha, o.published_ns, payload, VG_LINE_MAX, err);
		free(o.record);
		if (s)
			break;
		size_t n = typed_envelope(j, VG_PUBLICATION_PAYLOAD_TYPE, payload, env, VG_LINE_MAX + 1);
		if (!n) {
			s = vg_err_set(err, VG_ERR_LIMIT, "%s statement too long", o.kind);
			break;
		}
		s = vg_store_pub_set_logged(st, a.ids.v[i], vg_journal_reserve(j), (const uint8_t *)env, n,
		                            err);
	}
	free(a.ids.v);
	return s;
}

/* ---- Open, create, reconcile, adopt -------------------------------------- */

struct adopt {
	struct vg_journal *j;
	vg_store *st;
	int64_t now;
	vg_status s;
	struct vg_err *err;
	char *payload, *env;
};

static int adopt_enrol(void *ctx, const struct vg_sensor *sn)
{
	struct adopt *a = ctx;
	bool has = false;
	size_t n;
	int64_t idx;
	if ((a->s = vg_store_registry_logged(a->st, "enrol", sn->id, &has, a->err)))
		return 1;
	if (!has) {
		enrol_payload(sn, a->now, a->payload, VG_LINE_MAX);
		if ((a->s = store_statement(a->j, a->st, "enrol", sn->id, a->now, a->payload, a->env,
		                            VG_LINE_MAX + 1, &n, &idx, a->err)))
			return 1;
	}
	return 0;
}

/* Revocations go after the adopted observations: those were received
 * (and checked) before the sensor was revoked. */
static int adopt_revoke(void *ctx, const struct vg_sensor *sn)
{
	struct adopt *a = ctx;
	bool has = false;
	size_t n;
	int64_t idx;
	if (sn->revoked_at_ns != INT64_MAX) {
		if ((a->s = vg_store_registry_logged(a->st, "revoke", sn->id, &has, a->err)))
			return 1;
		if (!has) {
			revoke_payload(sn->id, sn->revoked_at_ns, a->payload, VG_LINE_MAX);
			if ((a->s = store_statement(a->j, a->st, "revoke", sn->id, sn->revoked_at_ns,
			                            a->payload, a->env, VG_LINE_MAX + 1, &n, &idx, a->err)))
				return 1;
		}
	}
	return 0;
}

/* Give every unlogged item (the log key first, then sensors, then
 * observations) an index in one transaction; the caller appends them. */
static vg_status adopt(struct vg_journal *j, vg_store *st, struct vg_err *err)
{
	struct adopt a = {.j = j, .st = st, .now = vg_time_now_ns(), .err = err};
	struct ids ids = {0};
	a.payload = malloc(VG_LINE_MAX);
	a.env = malloc(VG_LINE_MAX + 1);
	vg_status s = VG_ERR_NOMEM;
	if (!a.payload || !a.env) {
		vg_err_set(err, s, "adopting the store into the log");
		goto out_free;
	}
	int64_t next0 = j->next;
	if ((s = vg_store_begin(st, err)))
		goto out_free;
	if (j->next == 0) {
		char t[VG_TIME_STR_MAX];
		size_t n;
		int64_t idx;
		vg_time_format(a.now, t);
		snprintf(a.payload, VG_LINE_MAX, "{\"v\":1,\"op\":\"log-key\",\"at\":\"%s\",\"key\":\"%s\"}",
		         t, j->verifier);
		if ((s = store_statement(j, st, "log-key", "-", a.now, a.payload, a.env, VG_LINE_MAX + 1,
		                         &n, &idx, err)))
			goto out_rollback;
	}
	if ((s = vg_store_sensor_each(st, adopt_enrol, &a, err)) || (s = a.s))
		goto out_rollback;
	if ((s = vg_store_obs_unlogged(st, collect_id, &ids, err)))
		goto out_rollback;
	if (ids.oom) {
		s = vg_err_set(err, VG_ERR_NOMEM, "adopting observations");
		goto out_rollback;
	}
	for (size_t i = 0; i < ids.n; i++)
		if ((s = vg_store_obs_set_log_index(st, ids.v[i], vg_journal_reserve(j), err)))
			goto out_rollback;
	if ((s = vg_store_sensor_each(st, adopt_revoke, &a, err)) || (s = a.s))
		goto out_rollback;
	if ((s = adopt_publications(j, st, a.payload, a.env, err)))
		goto out_rollback;
	if ((s = vg_store_commit(st, err)))
		j->next = next0;
	goto out_free;
out_rollback:
	vg_store_rollback(st);
	j->next = next0;
out_free:
	free(ids.v);
	free(a.payload);
	free(a.env);
	return s;
}

struct leaf_ctx {
	uint8_t hash[VG_HASH_BYTES];
	bool got;
};

static vg_status leaf_cb(void *ctx, int64_t idx, const uint8_t *entry, size_t len,
                         struct vg_err *err)
{
	struct leaf_ctx *c = ctx;
	(void)idx;
	(void)err;
	if (!c->got)
		vg_merkle_leaf_hash(entry, len, c->hash);
	c->got = true;
	return VG_ERR_EXISTS; /* stop after the first */
}

/* The store's entry at idx must be the ledger's: a store restored from an
 * older backup that then took other entries would otherwise pass. */
static vg_status check_same_entry(struct vg_journal *j, vg_store *st, int64_t idx,
                                  struct vg_err *err)
{
	struct leaf_ctx c = {.got = false};
	uint8_t want[VG_HASH_BYTES];
	vg_status s = vg_store_log_each(st, idx, leaf_cb, &c, err);
	if (s && s != VG_ERR_EXISTS)
		return s;
	if ((s = vg_ledger_leaf_hash(j->lg, (uint64_t)idx, want, err)))
		return s;
	if (!c.got || memcmp(c.hash, want, sizeof want) != 0)
		return vg_err_set(err, VG_ERR_CORRUPT,
		                  "log entry %lld differs between the store and its log: the store"
		                  " does not belong to this log (restored from a backup?)",
		                  (long long)idx);
	return VG_OK;
}

vg_status vg_journal_adopt(struct vg_journal *j, vg_store *st, struct vg_err *err)
{
	int64_t before = j->next;
	vg_status s = adopt(j, st, err);
	if (s)
		return s;
	if (j->next > before && (s = vg_store_log_each(st, before, append_cb, j, err)))
		return s;
	return vg_journal_sync(j, err);
}

static bool exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

vg_status vg_journal_open(vg_store *st, const char *db_path, const char *origin,
                          struct vg_journal **out, struct vg_err *err)
{
	char dir[4096], keyp[4096], cp[4200];
	if (snprintf(dir, sizeof dir, "%s.log", db_path) >= (int)sizeof dir ||
	    snprintf(keyp, sizeof keyp, "%s.logkey", db_path) >= (int)sizeof keyp)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "%s: path too long", db_path);
	snprintf(cp, sizeof cp, "%s/checkpoint", dir);
	struct vg_journal *j = calloc(1, sizeof *j);
	if (!j)
		return vg_err_set(err, VG_ERR_NOMEM, "journal");
	vg_status s;
	bool have_key = exists(keyp), have_log = exists(cp);
	int64_t logged;
	if ((s = vg_store_log_next(st, &logged, err)))
		goto out_free;
	if (!have_log && logged > 0) {
		/* Never start a new log under a store whose entries were logged:
		 * the old statements are signed by the old key, and members hold
		 * checkpoints of the old log. */
		s = vg_err_set(err, VG_ERR_CORRUPT,
		               "%s: the store holds %lld logged entries but %s is missing:"
		               " restore %s and %s from backup",
		               db_path, (long long)logged, cp, dir, keyp);
		goto out_free;
	}
	if (have_key && !have_log) {
		/* A crash between writing the key and creating the log. */
		if ((s = vg_note_key_read(keyp, &j->key, err)) || (s = vg_ledger_create(dir, &j->key, err)))
			goto out_free;
	} else if (!have_key && !have_log) {
		char name[VG_NOTE_NAME_MAX + 1], host[128] = "localhost";
		if (!origin) {
			gethostname(host, sizeof host - 1);
			const char *base = strrchr(db_path, '/');
			base = base ? base + 1 : db_path;
			snprintf(name, sizeof name, "vigil/%s/%s", host, base);
			for (char *c = name; *c; c++)
				if (*c == ' ' || *c == '+' || (unsigned char)*c < 0x21)
					*c = '_';
			origin = name;
		}
		if ((s = vg_note_signer_generate(origin, VG_NOTE_ED25519, &j->key, err)) ||
		    (s = vg_note_key_write(keyp, &j->key, err)) ||
		    (s = vg_ledger_create(dir, &j->key, err)))
			goto out_free;
	} else if (!have_key) {
		s = vg_err_set(err, VG_ERR_CORRUPT, "%s: the log %s exists but its key %s does not",
		               db_path, dir, keyp);
		goto out_free;
	} else if ((s = vg_note_key_read(keyp, &j->key, err))) {
		goto out_free;
	}
	if ((s = vg_ledger_open(dir, &j->key, 0, &j->lg, err)))
		goto out_free;
	snprintf(j->keyid, sizeof j->keyid, "%08x", (unsigned)j->key.pub.key_id);
	vg_note_verifier_format(&j->key.pub, j->verifier, sizeof j->verifier);

	/* Level the ledger with the store: entries the store committed but the
	 * ledger did not sync (a crash between the two) are appended now. */
	int64_t lsize = (int64_t)vg_ledger_size(j->lg), snext;
	if ((s = vg_store_log_next(st, &snext, err)))
		goto out_free;
	if (snext < lsize) {
		s = vg_err_set(err, VG_ERR_CORRUPT,
		               "%s holds %lld log entries but the store only %lld: the store is older"
		               " than its log (restored from a backup?)",
		               dir, (long long)lsize, (long long)snext);
		goto out_free;
	}
	if (lsize > 0 && (s = check_same_entry(j, st, lsize - 1, err)))
		goto out_free;
	j->next = lsize;
	if (snext > lsize) {
		vg_log(VG_LOG_INFO, "log: appending %lld entries committed before a crash",
		       (long long)(snext - lsize));
		if ((s = vg_store_log_each(st, lsize, append_cb, j, err)))
			goto out_free;
		j->next = snext;
	}
	/* Adopt what was stored without a log (older stores, direct enrolment). */
	if ((s = vg_journal_adopt(j, st, err)))
		goto out_free;
	*out = j;
	return VG_OK;
out_free:
	vg_journal_free(j);
	return s;
}

/* ---- Audit of entries --------------------------------------------------- */

struct audit_sensor {
	char id[VG_ID_MAX + 1];
	uint8_t pk[VG_PK_BYTES];
	bool revoked;
	bool has_seq;
	int64_t last_seq;
};

struct vg_journal_audit {
	struct vg_note_verifier log_key;
	char keyid[16];
	struct audit_sensor *s;
	size_t n, cap;
	int64_t statements, observations, publications;
	uint8_t *is_obs;          /* bit per log index: an observation entry */
	size_t is_obs_bytes;
	struct vg_arena arena;
};

static bool audit_mark_obs(struct vg_journal_audit *a, uint64_t index)
{
	size_t byte = (size_t)(index >> 3);
	if (byte >= a->is_obs_bytes) {
		size_t nb = a->is_obs_bytes ? a->is_obs_bytes : 4096;
		while (nb <= byte)
			nb *= 2;
		uint8_t *n = realloc(a->is_obs, nb);
		if (!n)
			return false;
		memset(n + a->is_obs_bytes, 0, nb - a->is_obs_bytes);
		a->is_obs = n;
		a->is_obs_bytes = nb;
	}
	a->is_obs[byte] |= (uint8_t)(1u << (index & 7));
	return true;
}

static bool audit_is_obs(const struct vg_journal_audit *a, uint64_t index)
{
	size_t byte = (size_t)(index >> 3);
	return byte < a->is_obs_bytes && (a->is_obs[byte] >> (index & 7) & 1);
}

vg_status vg_journal_audit_new(const struct vg_note_verifier *log_key,
                               struct vg_journal_audit **out, struct vg_err *err)
{
	struct vg_journal_audit *a = calloc(1, sizeof *a);
	if (!a)
		return vg_err_set(err, VG_ERR_NOMEM, "audit");
	a->log_key = *log_key;
	snprintf(a->keyid, sizeof a->keyid, "%08x", (unsigned)log_key->key_id);
	vg_arena_init(&a->arena, 1u << 20);
	*out = a;
	return VG_OK;
}

void vg_journal_audit_free(struct vg_journal_audit *a)
{
	if (!a)
		return;
	vg_arena_release(&a->arena);
	free(a->s);
	free(a->is_obs);
	free(a);
}

void vg_journal_audit_counts(const struct vg_journal_audit *a, int64_t *statements,
                             int64_t *observations, int64_t *sensors)
{
	*statements = a->statements;
	*observations = a->observations;
	*sensors = (int64_t)a->n;
}

int64_t vg_journal_audit_publications(const struct vg_journal_audit *a)
{
	return a->publications;
}

/* A publication statement: signed by the log key; its payload is exactly
 * what pub_payload writes (the prefix rebuilt from the parsed members, so
 * the bytes hashed are the bytes whose evidence is checked); the record,
 * when inline, hashes to record_sha256; every log index it rests on is an
 * earlier observation entry. */
static vg_status audit_publication(struct vg_journal_audit *a, uint64_t index,
                                   const struct vg_envelope *env, struct vg_err *err)
{
	if (strcmp(env->keyid, a->keyid) != 0 ||
	    !vg_envelope_verify_type(env, VG_PUBLICATION_PAYLOAD_TYPE, a->log_key.pk))
		return vg_err_set(err, VG_ERR_SIGNATURE, "publication not signed by the log key %s",
		                  a->keyid);
	const char *pl = (const char *)env->payload;
	size_t pn = env->payload_len;
	json_error_t je;
	json_t *p = json_loadb(pl, pn, JSON_REJECT_DUPLICATES, &je);
	const char *op = p ? json_string_value(json_object_get(p, "op")) : NULL;
	const char *at = p ? json_string_value(json_object_get(p, "at")) : NULL;
	const char *hex = p ? json_string_value(json_object_get(p, "record_sha256")) : NULL;
	json_t *rb = p ? json_object_get(p, "record_bytes") : NULL;
	json_t *rec = NULL;
	vg_status s = VG_OK;
	int64_t at_ns;
	char prefix[256];
	int w = 0;
	if (!p || json_integer_value(json_object_get(p, "v")) != 1 || !op ||
	    (strcmp(op, "event") != 0 && strcmp(op, "finding") != 0)) {
		s = vg_err_set(err, VG_ERR_VERSION, "publication: \"v\":1 and \"op\" event|finding wanted");
		goto out;
	}
	if (!at || vg_time_parse(at, strlen(at), &at_ns, NULL) != VG_OK) {
		s = vg_err_set(err, VG_ERR_TIME, "publication: bad \"at\"");
		goto out;
	}
	if (!hex || strlen(hex) != 2 * VG_SHA256_BYTES || strspn(hex, "0123456789abcdef") != strlen(hex)) {
		s = vg_err_set(err, VG_ERR_CORRUPT, "publication: bad \"record_sha256\"");
		goto out;
	}
	w = pub_head(prefix, sizeof prefix, op, at, hex);
	if (rb) {
		/* stated by hash and length only: exactly those members */
		char want[320];
		int n = w < 0 ? -1
		              : snprintf(want, sizeof want, "%s\"record_bytes\":%lld}", prefix,
		                         (long long)json_integer_value(rb));
		if (!json_is_integer(rb) || json_integer_value(rb) <= PUB_RECORD_INLINE_MAX || n < 0 ||
		    (size_t)n != pn || memcmp(want, pl, pn) != 0)
			s = vg_err_set(err, VG_ERR_CORRUPT,
			               "publication: \"record_bytes\" statement not in the canonical form");
		goto out;
	}
	if (w >= 0 && (size_t)w + 10 < sizeof prefix)
		w += snprintf(prefix + w, sizeof prefix - (size_t)w, "\"record\":");
	if (w < 0 || (size_t)w >= sizeof prefix || pn < (size_t)w + 3 || memcmp(pl, prefix, (size_t)w) != 0 ||
	    pl[pn - 1] != '}') {
		s = vg_err_set(err, VG_ERR_CORRUPT, "publication: payload not in the canonical form");
		goto out;
	}
	const char *r0 = pl + w;
	size_t rl = pn - (size_t)w - 1;
	rec = json_loadb(r0, rl, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(rec)) {
		s = vg_err_set(err, VG_ERR_CORRUPT, "publication: \"record\" is not one JSON object");
		goto out;
	}
	uint8_t sha[VG_SHA256_BYTES];
	char got[2 * VG_SHA256_BYTES + 1];
	vg_sha256((const uint8_t *)r0, rl, sha);
	vg_hex_encode(sha, VG_SHA256_BYTES, got);
	if (strcmp(got, hex) != 0) {
		s = vg_err_set(err, VG_ERR_CORRUPT, "publication: record does not hash to record_sha256");
		goto out;
	}
	for (size_t l = 0; !s && l < sizeof pub_lists / sizeof pub_lists[0]; l++) {
		json_t *arr = json_object_get(rec, pub_lists[l]), *v;
		size_t i;
		if (arr && !json_is_array(arr)) {
			s = vg_err_set(err, VG_ERR_TYPE, "%s: \"%s\" is not an array", op, pub_lists[l]);
			break;
		}
		json_array_foreach(arr, i, v) {
			json_int_t x = json_integer_value(v);
			if (!json_is_integer(v) || x < 0 || (uint64_t)x >= index || !audit_is_obs(a, (uint64_t)x)) {
				s = vg_err_set(err, VG_ERR_INCONSISTENT,
				               "%s rests on log index %lld (\"%s\"), not an earlier"
				               " observation entry",
				               op, (long long)x, pub_lists[l]);
				break;
			}
		}
	}
out:
	json_decref(rec);
	json_decref(p);
	if (!s)
		a->publications++;
	return s;
}

static struct audit_sensor *audit_find(struct vg_journal_audit *a, const char *id)
{
	for (size_t i = 0; i < a->n; i++) /* registries are small; linear is fine */
		if (!strcmp(a->s[i].id, id))
			return &a->s[i];
	return NULL;
}

static vg_status audit_statement(struct vg_journal_audit *a, uint64_t index,
                                 const struct vg_envelope *env, struct vg_err *err)
{
	if (strcmp(env->keyid, a->keyid) != 0 ||
	    !vg_envelope_verify_type(env, VG_REGISTRY_PAYLOAD_TYPE, a->log_key.pk))
		return vg_err_set(err, VG_ERR_SIGNATURE,
		                  "registry statement not signed by the log key %s", a->keyid);
	json_error_t je;
	json_t *p = json_loadb((const char *)env->payload, env->payload_len, JSON_REJECT_DUPLICATES, &je);
	const char *op = p ? json_string_value(json_object_get(p, "op")) : NULL;
	vg_status s = VG_OK;
	if (!op) {
		s = vg_err_set(err, VG_ERR_VERSION, "registry statement without \"op\"");
	} else if (!strcmp(op, "log-key")) {
		const char *k = json_string_value(json_object_get(p, "key"));
		struct vg_note_verifier v;
		if (index != 0)
			s = vg_err_set(err, VG_ERR_INCONSISTENT, "log-key statement at index %llu, not 0",
			               (unsigned long long)index);
		else if (!k || vg_note_verifier_parse(k, strlen(k), &v, err) != VG_OK ||
		         memcmp(v.pk, a->log_key.pk, VG_PK_BYTES) != 0 ||
		         strcmp(v.name, a->log_key.name) != 0 || v.key_id != a->log_key.key_id)
			s = vg_err_set(err, VG_ERR_INCONSISTENT, "log-key statement names another key");
	} else if (index == 0) {
		s = vg_err_set(err, VG_ERR_INCONSISTENT,
		               "entry 0 is not the log-key statement a Vigil log starts with");
	} else if (!strcmp(op, "enrol")) {
		char *line = json_dumps(json_object_get(p, "sensor"), JSON_COMPACT | JSON_PRESERVE_ORDER);
		struct vg_sensor sn;
		if (!line || vg_sensor_parse(line, strlen(line), &sn, err) != VG_OK) {
			s = vg_err_set(err, VG_ERR_CORRUPT, "enrol statement: bad registry line");
		} else if (audit_find(a, sn.id)) {
			s = vg_err_set(err, VG_ERR_INCONSISTENT, "sensor %s enrolled twice", sn.id);
		} else {
			if (a->n == a->cap) {
				size_t nc = a->cap ? a->cap * 2 : 64;
				struct audit_sensor *ns = realloc(a->s, nc * sizeof *ns);
				if (!ns) {
					free(line);
					json_decref(p);
					return vg_err_set(err, VG_ERR_NOMEM, "audit registry");
				}
				a->s = ns;
				a->cap = nc;
			}
			struct audit_sensor *e = &a->s[a->n++];
			snprintf(e->id, sizeof e->id, "%s", sn.id);
			memcpy(e->pk, sn.pk, VG_PK_BYTES);
			e->revoked = false;
			e->has_seq = false;
			e->last_seq = 0;
		}
		free(line);
	} else if (!strcmp(op, "revoke")) {
		const char *id = json_string_value(json_object_get(p, "sensor"));
		struct audit_sensor *e = id ? audit_find(a, id) : NULL;
		if (!e)
			s = vg_err_set(err, VG_ERR_INCONSISTENT, "revocation of a sensor never enrolled");
		else if (e->revoked)
			s = vg_err_set(err, VG_ERR_INCONSISTENT, "sensor %s revoked twice", id);
		else
			e->revoked = true;
	} else {
		s = vg_err_set(err, VG_ERR_VERSION, "unknown registry op \"%s\"", op);
	}
	json_decref(p);
	if (!s)
		a->statements++;
	return s;
}

vg_status vg_journal_audit_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                                 struct vg_err *err)
{
	struct vg_journal_audit *a = ctx;
	struct vg_envelope env;
	struct vg_err e;
	vg_arena_reset(&a->arena);
	vg_status s = vg_envelope_decode((const char *)entry, len, &a->arena, &env, &e);
	if (index == 0 && s != VG_ERR_PAYLOAD_TYPE)
		return vg_err_set(err, VG_ERR_INCONSISTENT,
		                  "entry 0 is not the log-key statement a Vigil log starts with");
	if (s == VG_ERR_PAYLOAD_TYPE && index > 0 &&
	    vg_envelope_decode_type((const char *)entry, len, VG_PUBLICATION_PAYLOAD_TYPE, &a->arena,
	                            &env, &e) == VG_OK)
		return audit_publication(a, index, &env, err);
	if (s == VG_ERR_PAYLOAD_TYPE) {
		if ((s = vg_envelope_decode_type((const char *)entry, len, VG_REGISTRY_PAYLOAD_TYPE,
		                                 &a->arena, &env, err)))
			return s;
		return audit_statement(a, index, &env, err);
	}
	if (s)
		return vg_err_set(err, s, "%s", e.msg);
	struct audit_sensor *sn = audit_find(a, env.keyid);
	if (!sn)
		return vg_err_set(err, VG_ERR_UNKNOWN_SENSOR,
		                  "observation signed by \"%s\", not enrolled earlier in the log", env.keyid);
	if (sn->revoked)
		return vg_err_set(err, VG_ERR_REVOKED,
		                  "observation by \"%s\" logged after its revocation", env.keyid);
	if (!vg_envelope_verify(&env, sn->pk))
		return vg_err_set(err, VG_ERR_SIGNATURE, "signature by \"%s\" does not verify", env.keyid);
	/* What ingest checked on receipt, re-checked from the log alone. */
	struct vg_obs obs;
	if ((s = vg_obs_parse(env.payload, env.payload_len, &a->arena, &obs, &e)))
		return vg_err_set(err, s, "payload: %s", e.msg);
	if (strcmp(obs.sensor, env.keyid) != 0)
		return vg_err_set(err, VG_ERR_KEYID, "payload.sensor \"%s\" signed by keyid \"%s\"",
		                  obs.sensor, env.keyid);
	if (sn->has_seq && obs.seq <= sn->last_seq)
		return vg_err_set(err, VG_ERR_REPLAY,
		                  "seq %lld of \"%s\" not above its previous %lld in the log",
		                  (long long)obs.seq, env.keyid, (long long)sn->last_seq);
	sn->has_seq = true;
	sn->last_seq = obs.seq;
	if (!audit_mark_obs(a, index))
		return vg_err_set(err, VG_ERR_NOMEM, "audit");
	a->observations++;
	return VG_OK;
}

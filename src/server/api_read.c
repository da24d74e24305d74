/*
 * api_read.c - GET /v1/sensors, /v1/observations[/ID], /v1/events,
 * /v1/findings.
 *
 * Raw observations are filtered by releasability: a member sees an
 * observation iff its sensor's owner is the member or the member is on the
 * sensor's releasability list; auditors see all. Asking for one sensor or
 * one observation that is not releasable is 403 (and tells nothing more).
 * One observation is asked for by row id (/v1/observations/ID) or by its
 * log index (?log_index=N: what findings and events cite as evidence).
 * Pagination is by row id (after=ID, limit=N <= 1000); "next" is the id to
 * pass as `after` for the following page, null at the end. A page may
 * hold exactly `limit` items when "next" is not null (findings: an opaque
 * cursor of the adjudication run and the row, 409 once the run is
 * replaced; api_findings). Releasability is
 * applied in SQL (the sensors releasable to the member), so a page costs
 * the same whatever share of the data the member may see.
 */
#include "server_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000
#define OUT_MAX ((size_t)64 << 20)

/* ---- Common filters -------------------------------------------------------------- */

struct common {
	bool has_time;
	int64_t t0, t1;
	bool has_bbox;
	double w, so, e, n;
	int64_t after, limit;
	bool geojson;
};

static bool bad_param(struct vg_server *s, struct MHD_Connection *c, enum MHD_Result *ret,
                      const char *name, const char *want)
{
	char m[256];
	snprintf(m, sizeof m, "parameter %s: %s", name, want);
	*ret = srv_error(s, c, 400, "bad_parameter", m);
	return false;
}

static bool parse_bbox(const char *v, struct common *f)
{
	double x[4];
	const char *p = v;
	for (int i = 0; i < 4; i++) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if ((i < 3) != (comma != NULL) || !srv_parse_double(p, l, &x[i]))
			return false;
		p += l + 1;
	}
	if (x[0] < -180 || x[2] > 180 || x[1] < -90 || x[3] > 90 || x[0] > x[2] || x[1] > x[3])
		return false;
	f->has_bbox = true;
	f->w = x[0];
	f->so = x[1];
	f->e = x[2];
	f->n = x[3];
	return true;
}

static bool parse_common(struct vg_server *s, struct MHD_Connection *c, struct common *f,
                         enum MHD_Result *ret)
{
	memset(f, 0, sizeof *f);
	f->t0 = INT64_MIN;
	f->t1 = INT64_MAX;
	f->limit = LIMIT_DEFAULT;
	const char *v;
	if ((v = srv_param(c, "from"))) {
		if (vg_time_parse(v, strlen(v), &f->t0, NULL) != VG_OK)
			return bad_param(s, c, ret, "from", "want an RFC 3339 time");
		f->has_time = true;
	}
	if ((v = srv_param(c, "until"))) {
		if (vg_time_parse(v, strlen(v), &f->t1, NULL) != VG_OK)
			return bad_param(s, c, ret, "until", "want an RFC 3339 time");
		f->has_time = true;
	}
	if (f->t0 > f->t1)
		return bad_param(s, c, ret, "from", "is after until");
	if ((v = srv_param(c, "bbox")) && !parse_bbox(v, f))
		return bad_param(s, c, ret, "bbox", "want WEST,SOUTH,EAST,NORTH in degrees");
	if ((v = srv_param(c, "after")) && !srv_parse_i64(v, 0, INT64_MAX, &f->after))
		return bad_param(s, c, ret, "after", "want a non-negative integer (the previous page's next)");
	if ((v = srv_param(c, "limit")) && !srv_parse_i64(v, 1, LIMIT_MAX, &f->limit))
		return bad_param(s, c, ret, "limit", "want an integer 1..1000");
	if ((v = srv_param(c, "format"))) {
		if (!strcmp(v, "geojson"))
			f->geojson = true;
		else if (strcmp(v, "json"))
			return bad_param(s, c, ret, "format", "want json or geojson");
	}
	return true;
}

static void time_field(struct vg_buf *b, const char *name, int64_t t)
{
	char ts[VG_TIME_STR_MAX];
	vg_time_format(t, ts);
	vg_buf_printf(b, ",\"%s\":\"%s\"", name, ts);
}

/* ---- Sensors ------------------------------------------------------------------------ */

/* Close a page of a list (JSON {"<name>":[...],"next":...} or a GeoJSON
 * FeatureCollection with "next") and send it. */
static enum MHD_Result finish_page(struct vg_server *s, struct MHD_Connection *c, struct vg_buf *b,
                                   bool more, int64_t last, bool geojson)
{
	vg_buf_str(b, "\n],\"next\":");
	if (more)
		vg_buf_printf(b, "\"%lld\"", (long long)last);
	else
		vg_buf_str(b, "null");
	vg_buf_str(b, "}\n");
	if (geojson) {
		size_t len;
		char *txt = vg_buf_detach(b, &len);
		return srv_reply(s, c, 200, "application/geo+json", txt, len);
	}
	return srv_json(s, c, 200, b);
}

enum MHD_Result api_sensors(struct vg_server *s, struct MHD_Connection *c, const struct principal *p)
{
	(void)p; /* the registry is in the log too: every member may read it */
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	struct relsnap *rel = srv_rel_get(s);
	if (!rel)
		return srv_error(s, c, 503, "unavailable", NULL);
	char *body = malloc(rel->sensors_len + 1);
	size_t len = rel->sensors_len;
	if (body)
		memcpy(body, rel->sensors_json, len);
	srv_rel_put(rel);
	if (!body)
		return MHD_NO;
	return srv_reply(s, c, 200, "application/json", body, len);
}

/* ---- Observations --------------------------------------------------------------------- */

struct obs_ctx {
	struct vg_buf *b;
	struct relsnap *rel;
	const struct principal *p;
	bool geojson;
	int64_t want, got, last_id, scanned, chunk_rows;
	int64_t only_id;          /* single-observation request: the id, else 0 */
	int64_t page_last;        /* id of the last row on the page */
	bool more;
	bool single_forbidden, single_found;
};

static void obs_props(struct vg_buf *b, const struct vg_obs_stored *o)
{
	vg_buf_printf(b, "\"id\":%lld", (long long)o->id);
	if (o->log_index >= 0)
		vg_buf_printf(b, ",\"log_index\":%lld", (long long)o->log_index);
	else
		vg_buf_str(b, ",\"log_index\":null");
	vg_buf_str(b, ",\"sensor\":");
	sb_json_str(b, o->sensor, strlen(o->sensor));
	vg_buf_printf(b, ",\"seq\":%lld,\"kind\":\"%s\"", (long long)o->seq, vg_obs_kind_name(o->kind));
	time_field(b, "time", o->t_ns);
	time_field(b, "time_end", o->t_end_ns);
	time_field(b, "received", o->received_ns);
}

static int obs_cb(void *ctx, const struct vg_obs_stored *o)
{
	struct obs_ctx *oc = ctx;
	oc->scanned++;
	oc->chunk_rows++;
	oc->last_id = o->id;
	if (oc->only_id) {
		if (o->id != oc->only_id)
			return 1;
		oc->single_found = true;
	}
	if (!srv_releasable(oc->rel, o->sensor, oc->p)) {
		oc->single_forbidden = oc->only_id != 0;
		return oc->only_id != 0;
	}
	if (oc->got >= oc->want) {
		oc->more = true; /* one row past the page: there is a next page */
		return 1;
	}
	oc->page_last = o->id;
	struct vg_buf *b = oc->b;
	if (oc->got++)
		vg_buf_str(b, ",");
	vg_buf_str(b, "\n");
	double lat = (o->min_lat_deg + o->max_lat_deg) / 2, lon = (o->min_lon_deg + o->max_lon_deg) / 2;
	if (oc->geojson) {
		vg_buf_printf(b, "{\"type\":\"Feature\",\"id\":%lld,\"geometry\":", (long long)o->id);
		if (o->has_pos) {
			vg_buf_str(b, "{\"type\":\"Point\",\"coordinates\":[");
			sb_double(b, lon);
			vg_buf_str(b, ",");
			sb_double(b, lat);
			vg_buf_str(b, "]}");
		} else {
			vg_buf_str(b, "null");
		}
		vg_buf_str(b, ",\"properties\":{");
		obs_props(b, o);
	} else {
		vg_buf_str(b, "{");
		obs_props(b, o);
		if (o->has_pos) {
			vg_buf_str(b, ",\"lat\":");
			sb_double(b, lat);
			vg_buf_str(b, ",\"lon\":");
			sb_double(b, lon);
		}
	}
	/* The envelope is stored as received and was strictly validated JSON. */
	vg_buf_str(b, ",\"envelope\":");
	vg_buf_add(b, o->envelope, o->envelope_len);
	vg_buf_str(b, oc->geojson ? "}}" : "}");
	return vg_buf_failed(b);
}

/* ?log_index=N: the entry at N read from the store's log view, decoded for
 * its sensor and observed time, then that sensor's row of that time with
 * log index N. VG_ERR_NOT_FOUND if N is past the log or not an
 * observation (a registry statement, a publication). The caller then
 * serves the row as /v1/observations/ID, releasability included. */
struct entry_ctx {
	char *entry;
	size_t len;
	int64_t idx, id;
};

static vg_status entry_cb(void *ctx, int64_t idx, const uint8_t *entry, size_t len,
                          struct vg_err *err)
{
	(void)idx;
	struct entry_ctx *ec = ctx;
	if (!(ec->entry = malloc(len + 1)))
		return vg_err_set(err, VG_ERR_NOMEM, "log entry");
	memcpy(ec->entry, entry, len);
	ec->len = len;
	return VG_ERR_EXISTS; /* the first entry is the one: stop */
}

static int row_at_cb(void *ctx, const struct vg_obs_stored *o)
{
	struct entry_ctx *ec = ctx;
	if (o->log_index != ec->idx)
		return 0;
	ec->id = o->id;
	return 1;
}

static vg_status obs_id_at(vg_store *st, int64_t idx, int64_t *id, struct vg_err *err)
{
	struct entry_ctx ec = {.idx = idx};
	vg_status rc = vg_store_log_each(st, idx, entry_cb, &ec, err);
	if (!ec.entry)
		return rc ? rc : vg_err_set(err, VG_ERR_NOT_FOUND, "log index %lld: no entry",
		                            (long long)idx);
	struct vg_arena a;
	vg_arena_init(&a, (size_t)1 << 20);
	struct vg_envelope env;
	struct vg_obs obs;
	struct vg_err derr;
	rc = VG_ERR_NOT_FOUND;
	if (vg_observation_decode(ec.entry, ec.len, &a, &env, &obs, &derr) == VG_OK) {
		struct vg_obs_filter of = {.has_time = true, .t0_ns = obs.t_ns, .t1_ns = obs.t_ns,
		                           .sensor = obs.sensor};
		rc = vg_store_obs_query(st, &of, row_at_cb, &ec, err);
		if (!rc && !ec.id)
			rc = VG_ERR_NOT_FOUND;
	}
	vg_arena_release(&a);
	free(ec.entry);
	if (rc == VG_ERR_NOT_FOUND)
		vg_err_set(err, rc, "log index %lld: not an observation", (long long)idx);
	else if (!rc)
		*id = ec.id;
	return rc;
}

enum MHD_Result api_observations(struct vg_server *s, struct MHD_Connection *c,
                                 const struct principal *p, const char *id)
{
	enum MHD_Result ret;
	struct common f;
	struct vg_obs_filter of = {0};
	int64_t only = 0;
	const char *bad;
	const char *li = id ? NULL : srv_param(c, "log_index");
	bool one = id || li;     /* one observation, by row id or by log index */
	if (one) {
		static const char *const allowed_id[] = {NULL};
		static const char *const allowed_li[] = {"log_index", NULL};
		if (!srv_params_ok(c, id ? allowed_id : allowed_li, &bad))
			return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
		if (id && !srv_parse_i64(id, 1, INT64_MAX, &only))
			return srv_error(s, c, 404, "not_found", NULL);
		int64_t idx;
		if (li && !srv_parse_i64(li, 0, INT64_MAX, &idx))
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter log_index: want an entry index (0, 1, ...)");
		if (li) {
			vg_store *st = srv_read_handle(s);
			if (!st)
				return srv_error(s, c, 503, "unavailable", NULL);
			struct vg_err err;
			vg_status rc = obs_id_at(st, idx, &only, &err);
			srv_read_release(s, st);
			if (rc == VG_ERR_NOT_FOUND)
				return srv_error(s, c, 404, "not_found", err.msg);
			if (rc) {
				vg_log(VG_LOG_ERROR, "serve: observation at a log index: %s", err.msg);
				return srv_error(s, c, 500, "internal", NULL);
			}
		}
		memset(&f, 0, sizeof f);
		f.limit = 1;
		f.after = only - 1;
	} else {
		static const char *const allowed[] = {"from", "until", "bbox", "sensor", "kind",
		                                      "after", "limit", "format", NULL};
		if (!srv_params_ok(c, allowed, &bad))
			return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
		if (!parse_common(s, c, &f, &ret))
			return ret;
		const char *v;
		if ((v = srv_param(c, "kind")) && (of.kind = vg_obs_kind_parse(v)) <= 0)
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter kind: want impulse, detection, fire, change, coverage or status");
		if ((v = srv_param(c, "sensor"))) {
			if (!vg_id_valid(v, strlen(v)))
				return srv_error(s, c, 400, "bad_parameter", "parameter sensor: not a sensor id");
			of.sensor = v;
		}
	}
	struct relsnap *rel = srv_rel_get(s);
	if (!rel)
		return srv_error(s, c, 503, "unavailable", NULL);
	if (of.sensor && !srv_releasable(rel, of.sensor, p)) {
		srv_rel_put(rel);
		return srv_error(s, c, 403, "forbidden", "not releasable to this token's member");
	}
	vg_store *st = srv_read_handle(s);
	if (!st) {
		srv_rel_put(rel);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	of.has_time = f.has_time;
	of.t0_ns = f.t0;
	of.t1_ns = f.t1;
	of.has_bbox = f.has_bbox;
	of.min_lat_deg = f.so;
	of.max_lat_deg = f.n;
	of.min_lon_deg = f.w;
	of.max_lon_deg = f.e;
	struct vg_buf b;
	vg_buf_init(&b, OUT_MAX);
	vg_buf_str(&b, one ? "" : f.geojson ? "{\"type\":\"FeatureCollection\",\"features\":["
	                              : "{\"observations\":[");
	struct obs_ctx oc = {.b = &b, .rel = rel, .p = p, .geojson = f.geojson, .want = f.limit,
	                     .only_id = only};
	/* Members: only the sensors releasable to them, filtered in SQL. */
	struct vg_buf list;
	vg_buf_init(&list, (size_t)16 << 20);
	const char *sensors_json = NULL;
	if (p->role != VG_ROLE_AUDITOR && !of.sensor && !one) {
		vg_buf_str(&list, "[");
		size_t k = 0;
		for (size_t i = 0; i < rel->n; i++)
			if (srv_releasable(rel, rel->s[i].id, p)) {
				vg_buf_str(&list, k++ ? "," : "");
				sb_json_str(&list, rel->s[i].id, strlen(rel->s[i].id));
			}
		vg_buf_str(&list, "]");
		/* A member who may read every sensor needs no list. */
		sensors_json = vg_buf_failed(&list) ? "[]" : k == rel->n ? NULL : list.p;
	}
	of.after_id = f.after;
	of.limit = one ? 1 : f.limit + 1;
	struct vg_err err;
	vg_status rc = vg_store_obs_query_sensors(st, &of, sensors_json, obs_cb, &oc, &err);
	vg_buf_release(&list);
	bool more = oc.more;
	oc.last_id = oc.page_last;
	srv_read_release(s, st);
	srv_rel_put(rel);
	if (rc != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: observations: %s", err.msg);
		vg_buf_release(&b);
		return srv_error(s, c, 500, "internal", NULL);
	}
	if (one) {
		if (!oc.single_found) {
			vg_buf_release(&b);
			return srv_error(s, c, 404, "not_found", NULL);
		}
		if (oc.single_forbidden) {
			vg_buf_release(&b);
			return srv_error(s, c, 403, "forbidden", "not releasable to this token's member");
		}
		vg_buf_str(&b, "\n");
		/* drop the leading newline the list form uses */
		if (b.len && b.p[0] == '\n') {
			memmove(b.p, b.p + 1, b.len - 1);
			b.len--;
			b.p[b.len] = '\0';
		}
		return srv_json(s, c, 200, &b);
	}
	return finish_page(s, c, &b, more, oc.last_id, f.geojson);
}

/* ---- Events (src/fusion's table) -------------------------------------------------------- */

struct ev_ctx {
	struct vg_buf *b;
	bool geojson;
	int64_t after, want, got, last;
	bool more;
};

static int event_cb(void *ctx, const struct vg_event_row *e)
{
	struct ev_ctx *ec = ctx;
	if (e->seq <= ec->after)
		return 0;
	if (ec->got >= ec->want) {
		ec->more = true;
		return 1;
	}
	struct vg_buf *b = ec->b;
	vg_buf_str(b, ec->got++ ? ",\n" : "\n");
	ec->last = e->seq;
	if (ec->geojson) {
		vg_buf_printf(b, "{\"type\":\"Feature\",\"id\":%lld,\"geometry\":{\"type\":\"Point\","
		             "\"coordinates\":[", (long long)e->seq);
		sb_double(b, e->lon_deg);
		vg_buf_str(b, ",");
		sb_double(b, e->lat_deg);
		vg_buf_str(b, "]},\"properties\":");
		vg_buf_add(b, e->record, e->record_len);
		vg_buf_str(b, "}");
	} else {
		vg_buf_add(b, e->record, e->record_len);
	}
	return vg_buf_failed(b);
}

enum MHD_Result api_events(struct vg_server *s, struct MHD_Connection *c, const struct principal *p)
{
	(void)p; /* derived data: visible to every member */
	static const char *const allowed[] = {"from", "until", "bbox", "type", "after", "limit",
	                                      "format", NULL};
	const char *bad;
	enum MHD_Result ret;
	struct common f;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	if (!parse_common(s, c, &f, &ret))
		return ret;
	struct vg_event_filter ef = {.has_time = f.has_time, .t0_ns = f.t0, .t1_ns = f.t1,
	                             .has_bbox = f.has_bbox, .min_lat_deg = f.so, .max_lat_deg = f.n,
	                             .min_lon_deg = f.w, .max_lon_deg = f.e};
	const char *v = srv_param(c, "type");
	if (v) {
		if (strcmp(v, "launch") && strcmp(v, "impact") && strcmp(v, "explosion"))
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter type: want launch, impact or explosion");
		ef.type = v;
	}
	vg_store *st = srv_read_handle(s);
	if (!st)
		return srv_error(s, c, 503, "unavailable", NULL);
	struct vg_buf b;
	vg_buf_init(&b, OUT_MAX);
	vg_buf_str(&b, f.geojson ? "{\"type\":\"FeatureCollection\",\"features\":[" : "{\"events\":[");
	struct ev_ctx ec = {.b = &b, .geojson = f.geojson, .after = f.after, .want = f.limit};
	struct vg_err err;
	vg_status rc = vg_store_event_query(st, &ef, event_cb, &ec, &err);
	srv_read_release(s, st);
	if (rc != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: events: %s", err.msg);
		vg_buf_release(&b);
		return srv_error(s, c, 500, "internal", NULL);
	}
	return finish_page(s, c, &b, ec.more, ec.last, f.geojson);
}

/* ---- Findings (src/rules' table, written by `vigil adjudicate`) ------------------------ */

struct fd_ctx {
	struct vg_buf *b;
	bool geojson;
	int64_t want, got, last;
	bool more;
};

static int finding_cb(void *ctx, const struct vg_finding_row *r)
{
	struct fd_ctx *fc = ctx;
	if (fc->got >= fc->want) {
		fc->more = true;
		return 1;
	}
	struct vg_buf *b = fc->b;
	vg_buf_str(b, fc->got++ ? ",\n" : "\n");
	fc->last = r->seq;
	if (fc->geojson) {
		vg_buf_str(b, "{\"type\":\"Feature\",\"id\":");
		sb_json_str(b, r->id, strlen(r->id));
		vg_buf_str(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
		sb_double(b, r->lon_deg);
		vg_buf_str(b, ",");
		sb_double(b, r->lat_deg);
		vg_buf_str(b, "]},\"properties\":");
		vg_buf_add(b, r->record, r->record_len);
		vg_buf_str(b, "}");
	} else {
		vg_buf_add(b, r->record, r->record_len);
	}
	return vg_buf_failed(b);
}

enum MHD_Result api_findings(struct vg_server *s, struct MHD_Connection *c, const struct principal *p)
{
	(void)p; /* findings are visible to all members and auditors (docs/api.md) */
	static const char *const allowed[] = {"from", "until", "bbox", "rule", "party", "grade",
	                                      "after", "limit", "format", NULL};
	static const char *const rules[] = {"no_fire", "withdrawal", "no_fly", "disengagement",
	                                    "no_new_fortification", "zone_cap", NULL};
	static const char *const grades[] = {"possible", "probable", "confirmed", NULL};
	const char *bad;
	enum MHD_Result ret;
	struct common f;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	if (!parse_common(s, c, &f, &ret))
		return ret;
	struct vg_finding_filter ff = {.has_time = f.has_time, .t0_ns = f.t0, .t1_ns = f.t1,
	                               .has_bbox = f.has_bbox, .min_lat_deg = f.so, .max_lat_deg = f.n,
	                               .min_lon_deg = f.w, .max_lon_deg = f.e, .after_seq = f.after,
	                               .limit = f.limit + 1};
	const char *v;
	if ((v = srv_param(c, "rule"))) {
		size_t i = 0;
		while (rules[i] && strcmp(rules[i], v))
			i++;
		if (!rules[i])
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter rule: want no_fire, withdrawal, no_fly, disengagement, "
			                 "no_new_fortification or zone_cap");
		ff.rule = v;
	}
	if ((v = srv_param(c, "grade"))) {
		size_t i = 0;
		while (grades[i] && strcmp(grades[i], v))
			i++;
		if (!grades[i])
			return srv_error(s, c, 400, "bad_parameter",
			                 "parameter grade: want possible, probable or confirmed");
		ff.grade = v;
	}
	if ((v = srv_param(c, "party"))) {
		if (!vg_id_valid(v, strlen(v)))
			return srv_error(s, c, 400, "bad_parameter", "parameter party: not a party name");
		ff.party = v;
	}
	/* The cursor is ((run + 1) << 32) | seq: seq, a row's place, means
	 * nothing in another adjudication run's findings, so a cursor of an
	 * earlier run is refused (409) and the client starts again (run 0: a
	 * store whose findings were written before runs were counted). A bare
	 * seq (a cursor of a server before this one) is taken as it is. */
	int64_t crun = f.after >> 32;
	ff.after_seq = f.after & 0xffffffffLL;
	vg_store *st = srv_read_handle(s);
	if (!st)
		return srv_error(s, c, 503, "unavailable", NULL);
	struct vg_buf b;
	struct fd_ctx fc;
	struct vg_err err;
	vg_status rc = VG_OK;
	int64_t run = 0, run2 = 0;
	bool found;
	for (int attempt = 0;; attempt++) {
		/* the run read before and after the page: equal, the page is of
		 * that run (a replacement between the two is seen) */
		vg_buf_init(&b, OUT_MAX);
		vg_buf_str(&b, f.geojson ? "{\"type\":\"FeatureCollection\",\"features\":[" : "{\"findings\":[");
		fc = (struct fd_ctx){.b = &b, .geojson = f.geojson, .want = f.limit};
		run = run2 = 0;
		if ((rc = vg_store_state_get(st, VG_FINDINGS_RUN, &run, &found, &err)))
			break;
		if (crun && crun - 1 != run) {
			srv_read_release(s, st);
			vg_buf_release(&b);
			return srv_error(s, c, 409, "re_adjudicated",
			                 "the findings were replaced by another adjudication run since this page: "
			                 "start again without after");
		}
		if ((rc = vg_store_finding_query(st, &ff, finding_cb, &fc, &err)) ||
		    (rc = vg_store_state_get(st, VG_FINDINGS_RUN, &run2, &found, &err)) || run2 == run ||
		    attempt == 2)
			break;
		vg_buf_release(&b);
	}
	srv_read_release(s, st);
	if (rc != VG_OK || run2 != run) {
		if (rc != VG_OK)
			vg_log(VG_LOG_ERROR, "serve: findings: %s", err.msg);
		vg_buf_release(&b);
		if (rc != VG_OK)
			return srv_error(s, c, 500, "internal", NULL);
		return srv_error(s, c, 503, "unavailable", NULL); /* replaced again and again */
	}
	return finish_page(s, c, &b, fc.more, (run + 1) << 32 | fc.last, f.geojson);
}

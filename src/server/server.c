/*
 * server.c - the daemon, routing and access control of server.h.
 *
 * Request life cycle (libmicrohttpd's access handler is called several
 * times per request):
 *   1st call   headers only: route, authenticate, rate-limit, check the
 *              declared length; any refusal is answered right here, so an
 *              unauthenticated or oversized body is never read;
 *   next calls body chunks, appended to a capped buffer (413 past it);
 *   last call  dispatch. POST /v1/observations queues a job for the
 *              writer and suspends the connection; the writer resumes it
 *              once the job's lines are durable, and this handler is
 *              called once more to send the results.
 */
#include "server_int.h"
#include "tak/tak.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#define AUTH_TTL_NS (10 * VG_NS_PER_S)
#define REL_TTL_NS (5 * VG_NS_PER_S)

/* ---- Roles and tokens ------------------------------------------------------- */

static const char *const role_names[] = {NULL, "member", "auditor", "sensor"};

int vg_server_role_parse(const char *name)
{
	for (int i = 1; i < 4; i++)
		if (name && !strcmp(name, role_names[i]))
			return i;
	return -1;
}

const char *vg_server_role_name(int role)
{
	return role >= 1 && role <= 3 ? role_names[role] : NULL;
}

void vg_server_token_generate(char out[VG_SERVER_TOKEN_LEN + 1])
{
	uint8_t r[32];
	randombytes_buf(r, sizeof r);
	memcpy(out, "vgt_", 4);
	vg_hex_encode(r, sizeof r, out + 4);
	sodium_memzero(r, sizeof r);
}

bool vg_server_token_valid(const char *s, size_t len)
{
	if (len != VG_SERVER_TOKEN_LEN || memcmp(s, "vgt_", 4))
		return false;
	for (size_t i = 4; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* ---- Tile paths --------------------------------------------------------------- */

/* A decimal without leading zeros, at most maxdig digits. */
static bool dec(const char **p, const char *end, int maxdig, uint64_t *v)
{
	const char *s = *p;
	int n = 0;
	uint64_t x = 0;
	while (s < end && *s >= '0' && *s <= '9' && n < maxdig + 1) {
		x = x * 10 + (uint64_t)(*s - '0');
		s++;
		n++;
	}
	if (n == 0 || n > maxdig || (n > 1 && **p == '0'))
		return false;
	*p = s;
	*v = x;
	return true;
}

bool vg_server_tile_path_valid(const char *path, size_t len, int *level)
{
	const char *p = path, *end = path + len;
	if (len >= VG_TILE_PATH_MAX || len < 8 || memcmp(p, "tile/", 5))
		return false;
	p += 5;
	int lv;
	uint64_t v;
	if ((size_t)(end - p) >= 8 && !memcmp(p, "entries/", 8)) {
		lv = VG_TILE_ENTRIES;
		p += 8;
	} else {
		if (!dec(&p, end, 2, &v) || v > 63 || p >= end || *p != '/')
			return false;
		lv = (int)v;
		p++;
	}
	/* N: ("x" ddd "/")* ddd */
	uint64_t n = 0;
	int groups = 0;
	for (;;) {
		bool x = p < end && *p == 'x';
		if (x)
			p++;
		if (end - p < 3)
			return false;
		for (int k = 0; k < 3; k++) {
			if (p[k] < '0' || p[k] > '9')
				return false;
		}
		if (groups >= 7)
			return false;
		n = n * 1000 + (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
		p += 3;
		groups++;
		if (!x)
			break;
		if (p >= end || *p != '/')
			return false;
		p++;
	}
	unsigned w = VG_TILE_WIDTH;
	if (p < end) {
		if (end - p < 4 || memcmp(p, ".p/", 3))
			return false;
		p += 3;
		if (!dec(&p, end, 3, &v) || v < 1 || v > 255)
			return false;
		w = (unsigned)v;
	}
	if (p != end)
		return false;
	/* Canonical form only: exactly what the log writes. */
	char canon[VG_TILE_PATH_MAX];
	size_t cl = vg_tile_path(lv, n, w, canon);
	if (cl != len || memcmp(canon, path, len))
		return false;
	*level = lv;
	return true;
}

/* ---- Responses ------------------------------------------------------------------ */

static void count_status(struct vg_server *s, unsigned status)
{
	unsigned cls = status / 100;
	if (cls >= 1 && cls <= 5)
		atomic_fetch_add(&s->m.http[cls], 1);
	if (status == 401)
		atomic_fetch_add(&s->m.http_401, 1);
	else if (status == 403)
		atomic_fetch_add(&s->m.http_403, 1);
	else if (status == 413)
		atomic_fetch_add(&s->m.http_413, 1);
	else if (status == 429)
		atomic_fetch_add(&s->m.http_429, 1);
}

static enum MHD_Result queue(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *r, const char *ctype)
{
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (!MHD_get_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"vigil\"");
	if (status == 429 || status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	count_status(s, status);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result srv_reply(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                          const char *ctype, char *body, size_t len)
{
	if (!body)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	return queue(s, c, status, r, ctype);
}

enum MHD_Result srv_error(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                          const char *code, const char *msg)
{
	struct vg_buf b;
	vg_buf_init(&b, 4096);
	vg_buf_str(&b, "{\"error\":");
	sb_json_str(&b, code, strlen(code));
	if (msg) {
		vg_buf_str(&b, ",\"message\":");
		sb_json_str(&b, msg, strlen(msg));
	}
	vg_buf_str(&b, "}\n");
	return srv_json(s, c, status, &b);
}

enum MHD_Result srv_json(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                         struct vg_buf *b)
{
	if (vg_buf_failed(b)) {
		vg_buf_release(b);
		return srv_error(s, c, 500, "too_large", "the response exceeds the server's cap; "
		                 "ask for fewer items (limit)");
	}
	size_t len;
	char *p = vg_buf_detach(b, &len);
	return srv_reply(s, c, status, "application/json", p, len);
}

/* ---- Query parameters ------------------------------------------------------------- */

struct pcheck {
	const char *const *allowed;
	const char *bad;
	const char *seen[16];
	int nseen;
};

static enum MHD_Result param_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	(void)kind;
	(void)value;
	struct pcheck *pc = cls;
	bool ok = false;
	for (const char *const *a = pc->allowed; *a; a++)
		if (key && !strcmp(key, *a))
			ok = true;
	for (int i = 0; ok && i < pc->nseen; i++)
		if (!strcmp(pc->seen[i], key))
			ok = false; /* repeated */
	if (!ok || pc->nseen >= 16) {
		pc->bad = key ? key : "";
		return MHD_NO;
	}
	pc->seen[pc->nseen++] = key;
	return MHD_YES;
}

bool srv_params_ok(struct MHD_Connection *c, const char *const *allowed, const char **bad)
{
	struct pcheck pc = {.allowed = allowed};
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, param_iter, &pc);
	*bad = pc.bad;
	return pc.bad == NULL;
}

const char *srv_param(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- Read handles ------------------------------------------------------------------ */

vg_store *srv_read_handle(struct vg_server *s)
{
	pthread_mutex_lock(&s->pool_mu);
	vg_store *st = s->npool > 0 ? s->pool[--s->npool] : NULL;
	pthread_mutex_unlock(&s->pool_mu);
	if (st)
		return st;
	struct vg_err err;
	if (vg_store_open_ro(s->db_path, &st, &err) != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: read handle: %s", err.msg);
		return NULL;
	}
	return st;
}

void srv_read_release(struct vg_server *s, vg_store *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&s->pool_mu);
	if (s->npool < (int)(sizeof s->pool / sizeof s->pool[0])) {
		s->pool[s->npool++] = st;
		st = NULL;
	}
	pthread_mutex_unlock(&s->pool_mu);
	vg_store_free(st);
}

/* ---- Releasability ------------------------------------------------------------------- */

struct rel_build {
	struct rel_sensor *s;
	size_t n, cap;
	bool nomem;
	struct vg_buf json;
};

static void json_time(struct vg_buf *b, int64_t t)
{
	char ts[VG_TIME_STR_MAX];
	vg_time_format(t, ts);
	vg_buf_printf(b, "\"%s\"", ts);
}

static int rel_add(void *ctx, const struct vg_sensor *sn)
{
	struct rel_build *b = ctx;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		struct rel_sensor *ns = realloc(b->s, nc * sizeof *ns);
		if (!ns) {
			b->nomem = true;
			return 1;
		}
		b->s = ns;
		b->cap = nc;
	}
	struct rel_sensor *r = &b->s[b->n];
	memcpy(r->id, sn->id, sizeof r->id);
	memcpy(r->owner, sn->owner, sizeof r->owner);
	r->n_release = sn->n_release;
	r->release = NULL;
	if (sn->n_release) {
		r->release = malloc(sn->n_release * sizeof *r->release);
		if (!r->release) {
			b->nomem = true;
			return 1;
		}
		memcpy(r->release, sn->release, sn->n_release * sizeof *r->release);
	}
	/* The registry as GET /v1/sensors serves it. */
	char line[VG_LINE_MAX];
	size_t len = vg_sensor_format(sn, line, sizeof line);
	struct vg_buf *j = &b->json;
	vg_buf_str(j, b->n ? ",\n{\"id\":" : "\n{\"id\":");
	sb_json_str(j, sn->id, strlen(sn->id));
	vg_buf_str(j, ",\"owner\":");
	sb_json_str(j, sn->owner, strlen(sn->owner));
	vg_buf_str(j, ",\"revoked_at\":");
	if (sn->revoked_at_ns != INT64_MAX)
		json_time(j, sn->revoked_at_ns);
	else
		vg_buf_str(j, "null");
	vg_buf_str(j, ",\"registry\":");
	if (len)
		vg_buf_add(j, line, len);
	else
		vg_buf_str(j, "null");
	vg_buf_str(j, "}");
	b->n++;
	return 0;
}

static void rel_free(struct relsnap *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->s[i].release);
	free(r->s);
	free(r->sensors_json);
	free(r);
}

static int rel_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rel_sensor *)a)->id, ((const struct rel_sensor *)b)->id);
}

static struct relsnap *rel_load(struct vg_server *s)
{
	vg_store *st = srv_read_handle(s);
	if (!st)
		return NULL;
	struct rel_build b = {0};
	vg_buf_init(&b.json, (size_t)256 << 20);
	vg_buf_str(&b.json, "{\"sensors\":[");
	struct vg_err err;
	vg_status rc = vg_store_sensor_each(st, rel_add, &b, &err);
	srv_read_release(s, st);
	vg_buf_str(&b.json, "\n]}\n");
	struct relsnap *r = calloc(1, sizeof *r);
	if (rc != VG_OK || b.nomem || vg_buf_failed(&b.json) || !r) {
		if (rc != VG_OK)
			vg_log(VG_LOG_ERROR, "serve: loading the registry: %s", err.msg);
		for (size_t i = 0; i < b.n; i++)
			free(b.s[i].release);
		free(b.s);
		vg_buf_release(&b.json);
		free(r);
		return NULL;
	}
	if (b.n)
		qsort(b.s, b.n, sizeof *b.s, rel_cmp);
	r->s = b.s;
	r->n = b.n;
	r->sensors_json = vg_buf_detach(&b.json, &r->sensors_len);
	r->loaded_ns = vg_time_mono_ns();
	atomic_init(&r->refs, 1); /* the server's reference */
	return r;
}

struct relsnap *srv_rel_get(struct vg_server *s)
{
	pthread_mutex_lock(&s->rel_mu);
	bool stale = !s->rel || vg_time_mono_ns() - s->rel->loaded_ns > REL_TTL_NS;
	if (stale && (!s->rel || !s->rel_loading)) {
		/* Refresh outside the lock; meanwhile others use the old snapshot
		 * (or, if there is none yet, wait for this one). */
		s->rel_loading = true;
		bool first = !s->rel;
		if (!first)
			pthread_mutex_unlock(&s->rel_mu);
		struct relsnap *n = rel_load(s);
		if (!first)
			pthread_mutex_lock(&s->rel_mu);
		if (n) {
			srv_rel_put(s->rel);
			s->rel = n;
		}
		s->rel_loading = false;
	}
	struct relsnap *r = s->rel;
	if (r)
		atomic_fetch_add(&r->refs, 1);
	pthread_mutex_unlock(&s->rel_mu);
	return r;
}

void srv_rel_put(struct relsnap *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1)
		rel_free(r);
}

bool srv_releasable(const struct relsnap *r, const char *sensor, const struct principal *p)
{
	if (p->role == VG_ROLE_AUDITOR)
		return true;
	if (p->role != VG_ROLE_MEMBER || !r || !r->n || !sensor)
		return false;
	struct rel_sensor key;
	snprintf(key.id, sizeof key.id, "%s", sensor);
	const struct rel_sensor *e = bsearch(&key, r->s, r->n, sizeof *r->s, rel_cmp);
	if (!e)
		return false;
	if (!strcmp(e->owner, p->member))
		return true;
	for (uint32_t i = 0; i < e->n_release; i++)
		if (!strcmp(e->release[i], p->member))
			return true;
	return false;
}

/* ---- Authentication and rate limits --------------------------------------------------- */

enum auth_result { AUTH_OK, AUTH_NONE, AUTH_LIMITED, AUTH_UNAVAILABLE };

static enum auth_result authenticate(struct vg_server *s, struct MHD_Connection *c,
                                     struct principal *out)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return AUTH_NONE;
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	size_t tl = strlen(tok);
	while (tl && tok[tl - 1] == ' ')
		tl--;
	if (!vg_server_token_valid(tok, tl))
		return AUTH_NONE;
	uint8_t hash[VG_SHA256_BYTES];
	vg_sha256((const uint8_t *)tok, tl, hash);
	unsigned base = ((unsigned)hash[0] << 8 | hash[1]) % AUTH_SLOTS;
	int64_t now = vg_time_mono_ns();

	pthread_mutex_lock(&s->auth_mu);
	struct auth_ent *e = NULL, *victim = NULL;
	for (unsigned k = 0; k < 8; k++) {
		struct auth_ent *x = &s->auth[(base + k) % AUTH_SLOTS];
		if (x->used && !memcmp(x->h, hash, sizeof hash)) {
			e = x;
			break;
		}
		if (!victim || !x->used || (victim->used && x->found_ns < victim->found_ns))
			victim = x;
	}
	bool fresh = e && now - e->found_ns < AUTH_TTL_NS;
	pthread_mutex_unlock(&s->auth_mu);

	if (!fresh) {
		vg_store *st = srv_read_handle(s);
		if (!st)
			return AUTH_UNAVAILABLE;
		struct vg_token_row row;
		struct vg_err err;
		vg_status rc = vg_store_token_find(st, hash, &row, &err);
		srv_read_release(s, st);
		if (rc == VG_ERR_NOT_FOUND) {
			pthread_mutex_lock(&s->auth_mu);
			if (e && !memcmp(e->h, hash, sizeof hash))
				e->used = false; /* revoked */
			pthread_mutex_unlock(&s->auth_mu);
			return AUTH_NONE;
		}
		if (rc != VG_OK) {
			vg_log(VG_LOG_ERROR, "serve: token lookup: %s", err.msg);
			return AUTH_UNAVAILABLE;
		}
		int role = vg_server_role_parse(row.role);
		if (role < 0)
			return AUTH_NONE;
		pthread_mutex_lock(&s->auth_mu);
		if (!e || memcmp(e->h, hash, sizeof hash)) {
			e = victim;
			memset(e, 0, sizeof *e);
			e->used = true;
			memcpy(e->h, hash, sizeof hash);
			e->tokens = s->o.burst;
			e->last_ns = now;
		}
		e->found_ns = now;
		e->p.token_id = row.id;
		e->p.role = role;
		snprintf(e->p.member, sizeof e->p.member, "%s", row.member);
		pthread_mutex_unlock(&s->auth_mu);
	}

	pthread_mutex_lock(&s->auth_mu);
	/* The entry may have been evicted meanwhile: find it again. */
	e = NULL;
	for (unsigned k = 0; k < 8; k++) {
		struct auth_ent *x = &s->auth[(base + k) % AUTH_SLOTS];
		if (x->used && !memcmp(x->h, hash, sizeof hash)) {
			e = x;
			break;
		}
	}
	enum auth_result res = AUTH_UNAVAILABLE;
	if (e) {
		*out = e->p;
		res = AUTH_OK;
		if (s->o.rate_per_s > 0) {
			double dt = (double)(now - e->last_ns) / 1e9;
			e->last_ns = now;
			e->tokens += dt * s->o.rate_per_s;
			if (e->tokens > s->o.burst)
				e->tokens = s->o.burst;
			if (e->tokens < 1.0)
				res = AUTH_LIMITED;
			else
				e->tokens -= 1.0;
		}
	}
	pthread_mutex_unlock(&s->auth_mu);
	sodium_memzero(hash, sizeof hash);
	return res;
}

/* ---- Routing ------------------------------------------------------------------------------ */

enum route {
	R_NONE,
	R_HEALTH,
	R_METRICS,
	R_SENSORS,
	R_OBS,
	R_OBS_ONE,
	R_EVENTS,
	R_FINDINGS,
	R_ALERTS,
	R_CHECKPOINT,
	R_COSIGNED,
	R_TILE,
	R_PROOF_INCL,
	R_PROOF_CONS,
	R_COSIGNATURE,
	R_REPORT_DAILY,
	R_COVERAGE,
	R_STATIC,
	R_AGREEMENT,
};

/* Who may call what (bit per role). */
#define M (1u << VG_ROLE_MEMBER)
#define A (1u << VG_ROLE_AUDITOR)
#define S (1u << VG_ROLE_SENSOR)

struct req {
	enum route route;
	bool post;
	struct principal p;
	const char *rest;        /* path after the route prefix */
	struct vg_buf body;
	bool too_big;
	bool unexpected_body;
	struct post_job *job;
};

static enum route route_of(const char *url, const char *method, bool *post, const char **rest,
                           bool *method_ok)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	*post = !strcmp(method, "POST");
	*rest = NULL;
	enum route r = R_NONE;
	bool want_post = false, any = false;
	if (!strcmp(url, "/healthz"))
		r = R_HEALTH;
	else if (!strcmp(url, "/metrics"))
		r = R_METRICS;
	else if (!strcmp(url, "/v1/sensors"))
		r = R_SENSORS;
	else if (!strcmp(url, "/v1/observations"))
		r = R_OBS, any = true;
	else if (!strncmp(url, "/v1/observations/", 17))
		r = R_OBS_ONE, *rest = url + 17;
	else if (!strcmp(url, "/v1/events"))
		r = R_EVENTS;
	else if (!strcmp(url, "/v1/findings"))
		r = R_FINDINGS;
	else if (!strcmp(url, "/v1/alerts"))
		r = R_ALERTS;
	else if (!strcmp(url, "/v1/log/checkpoint"))
		r = R_CHECKPOINT;
	else if (!strcmp(url, "/v1/log/cosigned"))
		r = R_COSIGNED;
	else if (!strncmp(url, "/v1/log/tile/", 13))
		r = R_TILE, *rest = url + 8;
	else if (!strcmp(url, "/v1/log/proof/inclusion"))
		r = R_PROOF_INCL;
	else if (!strcmp(url, "/v1/log/proof/consistency"))
		r = R_PROOF_CONS;
	else if (!strcmp(url, "/v1/log/cosignature"))
		r = R_COSIGNATURE, want_post = true;
	else if (!strcmp(url, "/v1/reports/daily"))
		r = R_REPORT_DAILY;
	else if (!strcmp(url, "/v1/coverage"))
		r = R_COVERAGE;
	else if (!strcmp(url, "/") || !strncmp(url, "/static/", 8))
		r = R_STATIC, *rest = url;
	else if (!strcmp(url, "/v1/agreement"))
		r = R_AGREEMENT;
	*method_ok = any ? (get || *post) : want_post ? *post : get;
	return r;
}

static unsigned roles_for(enum route r, bool post)
{
	switch (r) {
	case R_OBS:
		return post ? (M | S) : (M | A);
	case R_CHECKPOINT:
	case R_COSIGNED:
	case R_TILE:
	case R_PROOF_INCL:
	case R_PROOF_CONS:
		return M | A | S;
	case R_COSIGNATURE:
		return M;
	default:
		return M | A;
	}
}

static enum MHD_Result post_results(struct vg_server *s, struct MHD_Connection *c,
                                    struct post_job *job)
{
	if (job->http_status != 200)
		return srv_error(s, c, (unsigned)job->http_status,
		                 job->http_status == 503 ? "unavailable" : "storage",
		                 job->error ? job->error : "not stored");
	struct vg_buf b;
	vg_buf_init(&b, job->out.len + 512);
	vg_buf_printf(&b, "{\"accepted\":%lld,\"duplicates\":%lld,\"rejected\":%lld,\"log_size\":%lld,"
	              "\"results\":[",
	          (long long)job->accepted, (long long)job->duplicates, (long long)job->rejected,
	          (long long)atomic_load(&s->m.log_size));
	if (job->out.len)
		vg_buf_add(&b, job->out.p, job->out.len);
	vg_buf_str(&b, "]}\n");
	return srv_json(s, c, 200, &b);
}

static enum MHD_Result dispatch(struct vg_server *s, struct MHD_Connection *c, struct req *r)
{
	switch (r->route) {
	case R_METRICS:
		return api_metrics(s, c);
	case R_SENSORS:
		return api_sensors(s, c, &r->p);
	case R_OBS:
	case R_OBS_ONE:
		return api_observations(s, c, &r->p, r->rest);
	case R_EVENTS:
		return api_events(s, c, &r->p);
	case R_FINDINGS:
		return api_findings(s, c, &r->p);
	case R_ALERTS:
		return api_alerts(s, c, &r->p);
	case R_CHECKPOINT:
		return api_checkpoint(s, c, false);
	case R_COSIGNED:
		return api_checkpoint(s, c, true);
	case R_TILE:
		return api_tile(s, c, &r->p, r->rest);
	case R_PROOF_INCL:
		return api_proof_inclusion(s, c);
	case R_PROOF_CONS:
		return api_proof_consistency(s, c);
	case R_COSIGNATURE:
		return api_cosignature(s, c, r->body.p ? r->body.p : "", r->body.len);
	case R_REPORT_DAILY:
		return api_report_daily(s, c);
	case R_COVERAGE:
		return api_coverage(s, c);
	case R_AGREEMENT:
		return api_agreement(s, c);
	default:
		return srv_error(s, c, 404, "not_found", NULL);
	}
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
	(void)version;
	struct vg_server *s = cls;
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		bool method_ok;
		r->route = route_of(url, method, &r->post, &r->rest, &method_ok);
		if (r->route == R_HEALTH && method_ok)
			return srv_reply(s, c, 200, "text/plain; charset=utf-8", strdup("ok\n"), 3);
		if (r->route == R_STATIC) /* the web map's files: public, no token */
			return method_ok ? api_static(s, c, r->rest)
			                 : srv_error(s, c, 405, "method_not_allowed", NULL);
		/* Everything else: authenticate first, so nothing is learnt without a token. */
		switch (authenticate(s, c, &r->p)) {
		case AUTH_NONE:
			return srv_error(s, c, 401, "unauthorized", "a valid bearer token is required");
		case AUTH_LIMITED:
			return srv_error(s, c, 429, "rate_limited", "too many requests for this token");
		case AUTH_UNAVAILABLE:
			return srv_error(s, c, 503, "unavailable", NULL);
		case AUTH_OK:
			break;
		}
		if (r->route == R_NONE || r->route == R_HEALTH)
			return srv_error(s, c, 404, "not_found", NULL);
		if (!method_ok)
			return srv_error(s, c, 405, "method_not_allowed", NULL);
		if (!(roles_for(r->route, r->post) & (1u << r->p.role)))
			return srv_error(s, c, 403, "forbidden", "this token's role may not do this");
		size_t cap = r->route == R_COSIGNATURE ? VG_NOTE_MAX : s->o.max_body;
		if (r->post) {
			const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl) {
				char *end;
				errno = 0;
				unsigned long long n = strtoull(cl, &end, 10);
				if (errno || *end || n > cap)
					return srv_error(s, c, 413, "too_large", "request body over the limit");
			}
		}
		vg_buf_init(&r->body, cap + 1);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->post)
			r->unexpected_body = true;
		else if (r->too_big || !vg_buf_add(&r->body, upload_data, *upload_size))
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->job) { /* resumed by the writer: the lines are durable */
		pthread_mutex_lock(&s->q_mu);
		bool done = r->job->done;
		pthread_mutex_unlock(&s->q_mu);
		if (!done)
			return MHD_YES;
		enum MHD_Result ret = post_results(s, c, r->job);
		srv_job_free(r->job);
		r->job = NULL;
		return ret;
	}
	if (r->unexpected_body)
		return srv_error(s, c, 400, "bad_request", "this request takes no body");
	if (r->too_big || (r->body.len > (r->route == R_COSIGNATURE ? VG_NOTE_MAX : s->o.max_body)))
		return srv_error(s, c, 413, "too_large", "request body over the limit");
	if (r->route == R_OBS && r->post) {
		struct post_job *job = calloc(1, sizeof *job);
		if (!job)
			return MHD_NO;
		if (r->body.len && r->body.p[r->body.len - 1] != '\n') {
			r->body.max++;
			vg_buf_add(&r->body, "\n", 1);
		}
		job->body = vg_buf_detach(&r->body, &job->len);
		for (size_t i = 0; i < job->len; i++)
			job->nlines += job->body[i] == '\n';
		job->conn = c;
		vg_buf_init(&job->out, (size_t)64 << 20);
		int http = 0;
		if (!srv_writer_reserve(s, job, &http)) {
			srv_job_free(job);
			return srv_error(s, c, (unsigned)http, "unavailable",
			                 "the ingest queue is full or stopped; retry later");
		}
		r->job = job;
		MHD_suspend_connection(c); /* before the writer can resume it */
		srv_writer_enqueue(s, job);
		return MHD_YES;
	}
	return dispatch(s, c, r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	if (r->job)
		srv_job_free(r->job); /* only reached once the job is done (stop drains) */
	vg_buf_release(&r->body);
	free(r);
	*con_cls = NULL;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* fmt comes from libmicrohttpd: declared a format so the compilers check
 * the forwarding instead of refusing a non-literal format. */
static void mhd_log(void *cls, const char *fmt, va_list ap) VG_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (vg_log_get_level() < VG_LOG_DEBUG)
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	vg_log(VG_LOG_DEBUG, "http: %s", msg);
}

/*
 * Percent-decoding of the path and the query (in place). As libmicrohttpd's
 * own, except that a decoded NUL becomes 0x7f: a C string cut short at a
 * "%00" would otherwise pass for a shorter, valid path or value; 0x7f
 * fails every validation (tile paths, ids, numbers, times).
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *w = s;
	for (const char *r = s; *r;) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			char ch = (char)(hi << 4 | lo);
			*w++ = ch ? ch : 0x7f;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---- Start and stop ------------------------------------------------------------------------- */

vg_status vg_server_start(const struct vg_server_opts *opts, vg_store *st, struct vg_journal *j,
                          vg_server **out, struct vg_err *err)
{
	struct vg_server *s = calloc(1, sizeof *s);
	if (!s)
		return vg_err_set(err, VG_ERR_NOMEM, "server");
	vg_status rc = VG_OK;
	s->o = *opts;
	if (!s->o.threads)
		s->o.threads = 4;
	if (!s->o.max_connections)
		s->o.max_connections = 1024;
	if (!s->o.timeout_s)
		s->o.timeout_s = 30;
	if (!s->o.max_body)
		s->o.max_body = (size_t)8 << 20;
	if (s->o.rate_per_s == 0)
		s->o.rate_per_s = 100;
	if (s->o.burst <= 0)
		s->o.burst = s->o.rate_per_s > 0 ? 2 * s->o.rate_per_s : 1;
	if (!s->o.queue_max_bytes)
		s->o.queue_max_bytes = (size_t)64 << 20;
	s->wst = st;
	s->j = j;
	s->log_dirfd = -1;
	if ((rc = static_init(s, err)) != VG_OK)
		goto out_free;
	pthread_mutex_init(&s->pool_mu, NULL);
	pthread_mutex_init(&s->auth_mu, NULL);
	pthread_mutex_init(&s->rel_mu, NULL);
	pthread_mutex_init(&s->q_mu, NULL);
	/* the writer's timed waits run on the monotonic clock: a step of the
	 * wall clock must not stall its watch of the store */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->q_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->a_mu, NULL);

	size_t dl = strlen(opts->db_path);
	s->db_path = strdup(opts->db_path);
	s->log_dir = malloc(dl + 5);
	if (!s->db_path || !s->log_dir) {
		rc = vg_err_set(err, VG_ERR_NOMEM, "server");
		goto out_free;
	}
	memcpy(s->log_dir, opts->db_path, dl);
	memcpy(s->log_dir + dl, ".log", 5);
	s->log_dirfd = open(s->log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->log_dirfd < 0) {
		rc = vg_err_set(err, VG_ERR_IO, "%s: %s", s->log_dir, strerror(errno));
		goto out_free;
	}
	s->witnesses = calloc(opts->n_witness_keys + 1, sizeof *s->witnesses);
	if (!s->witnesses) {
		rc = vg_err_set(err, VG_ERR_NOMEM, "server");
		goto out_free;
	}
	const char *lk = vg_journal_verifier(j);
	if ((rc = vg_note_verifier_parse(lk, strlen(lk), &s->witnesses[0], err)) != VG_OK)
		goto out_free;
	s->log_key = s->witnesses[0];
	s->n_known = 1;
	for (size_t i = 0; i < opts->n_witness_keys; i++) {
		const char *k = opts->witness_keys[i];
		struct vg_note_verifier *v = &s->witnesses[s->n_known];
		if ((rc = vg_note_verifier_parse(k, strlen(k), v, err)) != VG_OK) {
			vg_err_prefix(err, "witness key %zu", i + 1);
			goto out_free;
		}
		if (v->type != VG_NOTE_COSIGNATURE_V1) {
			rc = vg_err_set(err, VG_ERR_KEY, "witness key %s: not a cosignature/v1 key", v->name);
			goto out_free;
		}
		s->n_known++;
	}
	atomic_store(&s->m.log_size, (long long)vg_ledger_durable_size(vg_journal_ledger(j)));

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(opts->port)};
	if (inet_pton(AF_INET, opts->host ? opts->host : "127.0.0.1", &sa.sin_addr) != 1) {
		rc = vg_err_set(err, VG_ERR_INVALID_ARG, "listen address %s: want a numeric IPv4 address",
		                opts->host);
		goto out_free;
	}
	if (s->o.live && (rc = live_init(s, err)) != VG_OK)
		goto out_free;
	if (s->o.n_tak) {
		/* On the writer thread: never block it for long on a down endpoint. */
		struct vg_tak_send_opts to;
		vg_tak_send_opts_init(&to);
		to.connect_timeout_ms = 300;
		to.retries = 0;
		if ((rc = vg_tak_sender_new(s->o.tak, s->o.n_tak, &to, &s->tak, err)) != VG_OK)
			goto out_free;
	}
	if ((rc = srv_writer_start(s, err)) != VG_OK)
		goto out_free;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ERROR_LOG;
	s->d = MHD_start_daemon(
		flags, 0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!s->d) {
		rc = vg_err_set(err, VG_ERR_IO, "cannot listen on %s:%u (in use? no permission?)",
		                opts->host ? opts->host : "127.0.0.1", (unsigned)opts->port);
		srv_writer_stop(s);
		alerts_free(s); /* frames the writer may have published already */
		goto out_free;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : opts->port;
	*out = s;
	return VG_OK;
out_free:
	vg_tak_sender_free(s->tak);
	live_free(s);
	static_free(s);
	if (s->log_dirfd >= 0)
		close(s->log_dirfd);
	free(s->witnesses);
	free(s->log_dir);
	free(s->db_path);
	free(s);
	return rc;
}

uint16_t vg_server_port(const vg_server *srv) { return srv->port; }

void vg_server_stop(vg_server *s)
{
	if (!s)
		return;
	srv_writer_stop(s);   /* answers every queued POST, resumes their connections */
	alerts_stop(s);       /* ends the streams, resumes their connections */
	usleep(100 * 1000);   /* let resumed connections send their last bytes */
	MHD_stop_daemon(s->d);
	alerts_free(s);
	for (int i = 0; i < s->npool; i++)
		vg_store_free(s->pool[i]);
	srv_rel_put(s->rel);
	close(s->log_dirfd);
	vg_tak_sender_free(s->tak);
	live_free(s);
	static_free(s);
	free(s->witnesses);
	free(s->log_dir);
	free(s->db_path);
	pthread_mutex_destroy(&s->pool_mu);
	pthread_mutex_destroy(&s->auth_mu);
	pthread_mutex_destroy(&s->rel_mu);
	pthread_mutex_destroy(&s->q_mu);
	pthread_cond_destroy(&s->q_cv);
	pthread_mutex_destroy(&s->a_mu);
	sodium_memzero(s->auth, sizeof s->auth);
	free(s);
}

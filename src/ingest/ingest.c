/*
 * ingest.c - the ingest pipeline of ingest.h.
 *
 *   reader (caller's thread)  --batch-->  decode/verify pool  --batch-->  writer thread
 *
 * Two batch slots: while the writer commits batch k, the reader fills and
 * the pool (the reader plus threads-1 workers) decodes batch k+1. Items are
 * handed out to the pool in chunks through an atomic counter; each thread
 * decodes into its own arena of the slot, so no allocation is shared.
 */
#include "ingest.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64
#define CHUNK 32
#define ARENA_CAP (64u << 20)
#define BATCH_MAX_AGE_NS (500 * INT64_C(1000000))
/* Batch slots in flight: one being read/decoded, the rest queued for the
 * writer, so that a commit or log sync slowed by other I/O does not stall
 * the decoding threads at once. */
#define NSLOTS 3

/* ---- Sensor map: id -> registry entry (open addressing, FNV-1a) ---------- */

struct sensor_ent {
	struct vg_sensor s;   /* immutable during a run: read by the pool */
	/* Revocation can change during a run (`vigil sensor revoke` from
	 * another process): the writer updates it, the pool reads it. */
	_Atomic int64_t revoked_at_ns;
	bool has_last_seq;    /* writer thread only */
	int64_t last_seq;
	bool dirty;
};

struct sensor_map {
	struct sensor_ent *ents;
	struct sensor_ent **slots;
	size_t n, cap_ents, nslots;
	bool oom;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int map_add_cb(void *ctx, const struct vg_sensor *s)
{
	struct sensor_map *m = ctx;
	if (m->n == m->cap_ents) {
		size_t nc = m->cap_ents ? m->cap_ents * 2 : 64;
		struct sensor_ent *ne = realloc(m->ents, nc * sizeof *ne);
		if (!ne) {
			m->oom = true;
			return 1;
		}
		m->ents = ne;
		m->cap_ents = nc;
	}
	struct sensor_ent *e = &m->ents[m->n++];
	e->s = *s;
	atomic_store(&e->revoked_at_ns, s->revoked_at_ns);
	e->has_last_seq = s->has_last_seq;
	e->last_seq = s->last_seq;
	e->dirty = false;
	return 0;
}

static vg_status map_load(struct sensor_map *m, vg_store *st, struct vg_err *err)
{
	memset(m, 0, sizeof *m);
	vg_status s = vg_store_sensor_each(st, map_add_cb, m, err);
	if (s)
		return s;
	if (m->oom) /* never run with part of the registry */
		return vg_err_set(err, VG_ERR_NOMEM, "loading the sensor registry");
	m->nslots = 16;
	while (m->nslots < m->n * 2)
		m->nslots *= 2;
	m->slots = calloc(m->nslots, sizeof *m->slots);
	if (!m->slots)
		return vg_err_set(err, VG_ERR_NOMEM, "sensor map");
	for (size_t i = 0; i < m->n; i++) {
		size_t h = fnv1a(m->ents[i].s.id) & (m->nslots - 1);
		while (m->slots[h])
			h = (h + 1) & (m->nslots - 1);
		m->slots[h] = &m->ents[i];
	}
	return VG_OK;
}

static struct sensor_ent *map_get(const struct sensor_map *m, const char *id)
{
	size_t h = fnv1a(id) & (m->nslots - 1);
	for (struct sensor_ent *e; (e = m->slots[h]); h = (h + 1) & (m->nslots - 1))
		if (!strcmp(e->s.id, id))
			return e;
	return NULL;
}

static void map_release(struct sensor_map *m)
{
	free(m->ents);
	free(m->slots);
}

/* ---- Batches ------------------------------------------------------------ */

struct item {
	size_t off, len;          /* the line within the slot buffer (or caller buffer) */
	const char *line_ptr;     /* base + off, set when decoding starts */
	int64_t line;
	bool too_long;
	vg_status st;
	const char *msg;          /* arena; NULL when accepted */
	uint8_t line_sha256[VG_SHA256_BYTES]; /* computed only for rejections */
	bool has_line_hash;
	struct vg_envelope env;
	struct vg_obs obs;
	uint8_t payload_sha256[VG_SHA256_BYTES];
	struct sensor_ent *sensor;
	int64_t obs_id;
	int64_t log_index;
};

struct slot {
	const char *base;         /* lines live here: buf, or the caller's buffer */
	char *buf;
	size_t buf_len, buf_cap;
	struct item *items;
	size_t n, cap;
	int64_t received_ns;
	int64_t bytes_read;       /* cumulative input bytes when the batch was closed */
	struct vg_arena arenas[MAX_THREADS];
	bool full;                /* handed to the writer, not yet done */
};

struct ingest {
	vg_store *st;
	const struct vg_ingest_opts *o;
	struct vg_ingest_stats *stats;
	struct sensor_map map;
	int threads;
	size_t batch_items, batch_bytes;
	const char *source;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* pool */
	pthread_t workers[MAX_THREADS];
	int nworkers;             /* workers that took a thread id */
	int started;              /* workers created: workers[1..started] */
	uint64_t job_gen;         /* bumped per decode job */
	struct slot *job;
	_Atomic size_t next_item;
	int job_done;             /* workers that finished the current job */
	bool quit;
	/* writer */
	pthread_t writer;
	bool writer_started;
	struct slot slots[NSLOTS];
	int64_t data_version;     /* writer: last seen PRAGMA data_version */
	int write_next;           /* slot the writer handles next */
	bool writer_failed;
	struct vg_err werr;
	bool eof;
};

static void item_reject(struct item *it, struct vg_arena *a, vg_status st, const char *msg)
{
	/* The record of a rejection keeps the line's hash, never the line. */
	if (!it->has_line_hash && !it->too_long) {
		vg_sha256((const uint8_t *)it->line_ptr, it->len, it->line_sha256);
		it->has_line_hash = true;
	}
	it->st = st;
	it->msg = vg_arena_strndup(a, msg, strlen(msg));
	if (!it->msg)
		it->msg = vg_strerror(st);
}

static void decode_one(struct ingest *g, struct slot *sl, struct item *it, struct vg_arena *a)
{
	struct vg_err e;
	vg_err_clear(&e);
	const char *line = sl->base + it->off;
	it->line_ptr = line;
	it->sensor = NULL;
	it->obs_id = -1;
	it->log_index = -1;
	it->obs.sensor[0] = '\0';
	it->obs.seq = -1;
	if (it->too_long) {
		char m[128];
		snprintf(m, sizeof m, "line longer than %d bytes", VG_LINE_MAX);
		item_reject(it, a, VG_ERR_LINE_TOO_LONG, m);
		return;
	}
	/* DSSE practice: authenticate before parsing the payload. The envelope's
	 * keyid names the sensor whose key must have signed it. */
	vg_status s = vg_envelope_decode(line, it->len, a, &it->env, &e);
	if (s) {
		item_reject(it, a, s, e.msg);
		return;
	}
	struct sensor_ent *se = map_get(&g->map, it->env.keyid);
	char m[256];
	if (!se) {
		snprintf(m, sizeof m, "signatures[0].keyid: sensor \"%s\" is not enrolled", it->env.keyid);
		item_reject(it, a, VG_ERR_UNKNOWN_SENSOR, m);
		return;
	}
	it->sensor = se;
	int64_t revoked = atomic_load_explicit(&se->revoked_at_ns, memory_order_relaxed);
	if (revoked <= sl->received_ns) {
		char t[VG_TIME_STR_MAX];
		vg_time_format(revoked, t);
		snprintf(m, sizeof m, "sensor \"%s\" was revoked at %s", se->s.id, t);
		item_reject(it, a, VG_ERR_REVOKED, m);
		return;
	}
	if (!vg_envelope_verify(&it->env, se->s.pk)) {
		snprintf(m, sizeof m, "signatures[0].sig: Ed25519 signature by \"%s\" does not verify",
		         se->s.id);
		item_reject(it, a, VG_ERR_SIGNATURE, m);
		return;
	}
	if ((s = vg_obs_parse(it->env.payload, it->env.payload_len, a, &it->obs, &e))) {
		vg_err_prefix(&e, "payload");
		item_reject(it, a, s, e.msg);
		return;
	}
	if (strcmp(it->obs.sensor, it->env.keyid) != 0) {
		snprintf(m, sizeof m, "payload.sensor = \"%s\": signed by keyid \"%s\"", it->obs.sensor,
		         it->env.keyid);
		item_reject(it, a, VG_ERR_KEYID, m);
		return;
	}
	if (it->obs.t_ns < se->s.valid_from_ns || it->obs.t_ns >= se->s.valid_until_ns) {
		char t[VG_TIME_STR_MAX], f[VG_TIME_STR_MAX] = "-inf", u[VG_TIME_STR_MAX] = "+inf";
		vg_time_format(it->obs.t_ns, t);
		if (se->s.valid_from_ns != INT64_MIN)
			vg_time_format(se->s.valid_from_ns, f);
		if (se->s.valid_until_ns != INT64_MAX)
			vg_time_format(se->s.valid_until_ns, u);
		snprintf(m, sizeof m, "observed time %s outside sensor \"%s\" validity [%s, %s)", t,
		         se->s.id, f, u);
		item_reject(it, a, VG_ERR_NOT_VALID, m);
		return;
	}
	/* A fixed sensor's own position is not copied into the spatial index
	 * (thousands of rows on one point): the store finds those observations
	 * through the sensor's registered position (store.h). */
	vg_sha256(it->env.payload, it->env.payload_len, it->payload_sha256);
	it->st = VG_OK;
	it->msg = NULL;
}

static void decode_range(struct ingest *g, struct slot *sl, int tid)
{
	struct vg_arena *a = &sl->arenas[tid];
	for (;;) {
		size_t i = atomic_fetch_add(&g->next_item, CHUNK);
		if (i >= sl->n)
			break;
		size_t end = i + CHUNK < sl->n ? i + CHUNK : sl->n;
		for (; i < end; i++)
			decode_one(g, sl, &sl->items[i], a);
	}
}

static void *worker_main(void *arg)
{
	struct ingest *g = arg;
	pthread_mutex_lock(&g->mu);
	int tid = ++g->nworkers; /* 1..threads-1; the reader is 0 */
	uint64_t seen = 0; /* jobs are numbered from 1 */
	for (;;) {
		while (!g->quit && g->job_gen == seen)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->quit)
			break;
		seen = g->job_gen;
		struct slot *sl = g->job;
		pthread_mutex_unlock(&g->mu);
		decode_range(g, sl, tid);
		pthread_mutex_lock(&g->mu);
		g->job_done++;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* Decode a full slot on all threads; returns when every item is done. */
static void decode_slot(struct ingest *g, struct slot *sl)
{
	for (int t = 0; t < g->threads; t++)
		vg_arena_reset(&sl->arenas[t]);
	pthread_mutex_lock(&g->mu);
	g->job = sl;
	atomic_store(&g->next_item, 0);
	g->job_done = 0;
	g->job_gen++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	decode_range(g, sl, 0);
	pthread_mutex_lock(&g->mu);
	while (g->job_done < g->threads - 1)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* ---- Writer ------------------------------------------------------------- */

static vg_status write_item(struct ingest *g, struct slot *sl, struct item *it, struct vg_err *err)
{
	if (it->st == VG_OK) {
		struct sensor_ent *se = it->sensor;
		/* The writer's word is final: a revocation that arrived while this
		 * batch was being decoded still applies to it. */
		int64_t revoked = atomic_load(&se->revoked_at_ns);
		if (revoked <= sl->received_ns) {
			char m[256], t[VG_TIME_STR_MAX];
			vg_time_format(revoked, t);
			snprintf(m, sizeof m, "sensor \"%s\" was revoked at %s", se->s.id, t);
			item_reject(it, &sl->arenas[0], VG_ERR_REVOKED, m);
			goto out_reject;
		}
		if (se->has_last_seq && it->obs.seq <= se->last_seq) {
			uint8_t h[VG_SHA256_BYTES];
			vg_status s = vg_store_obs_hash(g->st, se->s.id, it->obs.seq, h, err);
			char m[256];
			if (s == VG_OK && !memcmp(h, it->payload_sha256, sizeof h)) {
				it->st = VG_ERR_DUPLICATE;
				it->msg = "observation already stored";
				return VG_OK;
			} else if (s == VG_OK) {
				snprintf(m, sizeof m, "seq = %lld: already used by a different observation of \"%s\"",
				         (long long)it->obs.seq, se->s.id);
			} else if (s == VG_ERR_NOT_FOUND) {
				snprintf(m, sizeof m, "seq = %lld: not above the last accepted %lld of \"%s\"",
				         (long long)it->obs.seq, (long long)se->last_seq, se->s.id);
			} else {
				return s;
			}
			item_reject(it, &sl->arenas[0], VG_ERR_REPLAY, m);
		} else {
			struct vg_obs_row row = {
				.log_index = g->o->journal ? vg_journal_reserve(g->o->journal) : -1,
				.envelope = sl->base + it->off,
				.envelope_len = it->len,
				.received_ns = sl->received_ns,
				.obs = &it->obs,
				.has_reg_pos = se->s.has_pos,
				.reg_lat_deg = se->s.lat_deg,
				.reg_lon_deg = se->s.lon_deg,
			};
			memcpy(row.payload_sha256, it->payload_sha256, VG_SHA256_BYTES);
			vg_status s = vg_store_obs_insert(g->st, &row, err);
			if (s)
				return s; /* (sensor, seq) exists despite last_seq: store is inconsistent */
			it->obs_id = row.id;
			it->log_index = row.log_index;
			se->has_last_seq = true;
			se->last_seq = it->obs.seq;
			se->dirty = true;
			return VG_OK;
		}
	}
out_reject:;
	struct vg_rejection r = {
		.received_ns = sl->received_ns,
		.source = g->source,
		.line = it->line,
		.code = it->st,
		.message = it->msg,
		.sensor = it->sensor ? it->sensor->s.id : NULL,
	};
	memcpy(r.line_sha256, it->line_sha256, VG_SHA256_BYTES);
	return vg_store_reject_insert(g->st, &r, err);
}

static int refresh_cb(void *ctx, const struct vg_sensor *s)
{
	struct sensor_ent *e = map_get(ctx, s->id);
	if (e)
		atomic_store(&e->revoked_at_ns, s->revoked_at_ns);
	return 0;
}

/* Another process changed the store (`vigil sensor revoke` while this run
 * holds the log): take the revocations in, and log their statements before
 * this batch's observations. Sensors enrolled meanwhile wait for the next
 * run. */
static vg_status refresh_registry(struct ingest *g, struct vg_err *err)
{
	int64_t v;
	vg_status s = vg_store_data_version(g->st, &v, err);
	if (s || v == g->data_version)
		return s;
	g->data_version = v;
	if ((s = vg_store_sensor_each(g->st, refresh_cb, &g->map, err)))
		return s;
	if (g->o->journal)
		s = vg_journal_adopt(g->o->journal, g->st, err);
	return s;
}

static vg_status write_slot(struct ingest *g, struct slot *sl, struct vg_err *err)
{
	struct vg_journal *j = g->o->journal;
	vg_status s = refresh_registry(g, err);
	if (s)
		return s;
	int64_t next0 = j ? vg_journal_next(j) : 0;
	s = vg_store_begin(g->st, err);
	if (s)
		return s;
	for (size_t i = 0; i < sl->n; i++)
		if ((s = write_item(g, sl, &sl->items[i], err)))
			goto out_rollback;
	for (size_t i = 0; i < sl->n; i++) {
		struct sensor_ent *se = sl->items[i].sensor;
		if (se && se->dirty) {
			if ((s = vg_store_sensor_set_last_seq(g->st, se->s.id, se->last_seq, err)))
				goto out_rollback;
			se->dirty = false;
		}
	}
	if ((s = vg_store_commit(g->st, err)))
		goto out_unreserve;
	/* The store has the batch; now the log: append in index order, sync
	 * (tiles, then the signed checkpoint). A failure here is fatal; the
	 * next open of the journal appends what the store has beyond the log. */
	if (j) {
		for (size_t i = 0; i < sl->n; i++) {
			struct item *it = &sl->items[i];
			if (it->st == VG_OK &&
			    (s = vg_journal_append(j, it->log_index, (const uint8_t *)sl->base + it->off,
			                           it->len, err)))
				return s;
		}
		if ((s = vg_journal_sync(j, err)))
			return s;
	}
	/* Durable: now report. */
	struct vg_ingest_stats *stt = g->stats;
	for (size_t i = 0; i < sl->n; i++) {
		struct item *it = &sl->items[i];
		stt->lines++;
		if (it->st == VG_OK)
			stt->accepted++;
		else if (it->st == VG_ERR_DUPLICATE)
			stt->duplicates++;
		else {
			stt->rejected++;
			stt->by_status[it->st]++;
		}
		if (g->o->on_result) {
			struct vg_ingest_result r = {
				.line = it->line,
				.status = it->st,
				.message = it->msg,
				.sensor = it->sensor ? it->sensor->s.id : NULL,
				.seq = it->st == VG_OK || it->st == VG_ERR_DUPLICATE || it->st == VG_ERR_REPLAY
				               ? it->obs.seq : -1,
				.obs_id = it->obs_id,
				.log_index = it->log_index,
			};
			g->o->on_result(g->o->ctx, &r);
		}
	}
	stt->batches++;
	stt->bytes = sl->bytes_read;
	/* On the writer thread, like on_result: callbacks never race, and the
	 * stats they see are the writer's own. */
	if (g->o->on_progress)
		g->o->on_progress(g->o->ctx, stt, sl->bytes_read);
	return VG_OK;
out_rollback:
	vg_store_rollback(g->st);
out_unreserve:
	if (j)
		vg_journal_unreserve(j, next0);
	return s;
}

static void *writer_main(void *arg)
{
	struct ingest *g = arg;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		struct slot *sl = &g->slots[g->write_next];
		while (!sl->full && !g->eof)
			pthread_cond_wait(&g->cv, &g->mu);
		if (!sl->full)
			break; /* eof and nothing left */
		pthread_mutex_unlock(&g->mu);
		struct vg_err e;
		vg_err_clear(&e);
		vg_status s = g->writer_failed ? VG_OK : write_slot(g, sl, &e);
		pthread_mutex_lock(&g->mu);
		if (s && !g->writer_failed) {
			g->writer_failed = true;
			g->werr = e;
			g->werr.status = s;
		}
		sl->full = false;
		g->write_next = (g->write_next + 1) % NSLOTS;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- Setup and the reading loop ---------------------------------------- */

static vg_status setup(struct ingest *g, vg_store *st, const struct vg_ingest_opts *o,
                       struct vg_ingest_stats *stats, struct vg_err *err)
{
	memset(g, 0, sizeof *g);
	g->st = st;
	g->o = o;
	g->stats = stats;
	memset(stats, 0, sizeof *stats);
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	g->threads = o->threads > 0 ? o->threads : (nc > 0 ? (int)nc : 1);
	if (g->threads > MAX_THREADS)
		g->threads = MAX_THREADS;
	g->batch_items = o->batch_items ? o->batch_items : 4096;
	g->batch_bytes = o->batch_bytes ? o->batch_bytes : (16u << 20);
	g->source = o->source ? o->source : "-";
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	vg_status s = map_load(&g->map, st, err);
	if (s)
		return s;
	if ((s = vg_store_data_version(st, &g->data_version, err)))
		return s;
	for (int k = 0; k < NSLOTS; k++)
		for (int t = 0; t < g->threads; t++)
			vg_arena_init(&g->slots[k].arenas[t], ARENA_CAP);
	for (int t = 1; t < g->threads; t++) {
		if (pthread_create(&g->workers[t], NULL, worker_main, g) != 0) {
			g->threads = t; /* run with what we have */
			break;
		}
		g->started = t;
	}
	if (pthread_create(&g->writer, NULL, writer_main, g) != 0)
		return vg_err_set(err, VG_ERR_INTERNAL, "cannot start the writer thread");
	g->writer_started = true;
	return VG_OK;
}

static vg_status teardown(struct ingest *g, vg_status st, struct vg_err *err)
{
	pthread_mutex_lock(&g->mu);
	g->eof = true;
	g->quit = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->writer_started)
		pthread_join(g->writer, NULL);
	for (int t = 1; t <= g->started; t++)
		pthread_join(g->workers[t], NULL);
	if (!st && g->writer_failed) {
		st = g->werr.status;
		if (err)
			*err = g->werr;
	}
	for (int k = 0; k < NSLOTS; k++) {
		for (int t = 0; t < MAX_THREADS; t++)
			if (g->slots[k].arenas[t].cap)
				vg_arena_release(&g->slots[k].arenas[t]);
		free(g->slots[k].buf);
		free(g->slots[k].items);
	}
	map_release(&g->map);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	return st;
}

/* Wait until slot k is free; false if the writer failed. */
static bool acquire_slot(struct ingest *g, int k)
{
	pthread_mutex_lock(&g->mu);
	while (g->slots[k].full && !g->writer_failed)
		pthread_cond_wait(&g->cv, &g->mu);
	bool ok = !g->writer_failed;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

static void submit_slot(struct ingest *g, struct slot *sl)
{
	sl->received_ns = g->o->now_ns ? g->o->now_ns : vg_time_now_ns();
	decode_slot(g, sl);
	pthread_mutex_lock(&g->mu);
	sl->full = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static bool item_push(struct slot *sl, struct item it)
{
	if (sl->n == sl->cap) {
		size_t nc = sl->cap ? sl->cap * 2 : 1024;
		struct item *ni = realloc(sl->items, nc * sizeof *ni);
		if (!ni)
			return false;
		sl->items = ni;
		sl->cap = nc;
	}
	sl->items[sl->n++] = it;
	return true;
}

static bool buf_reserve(struct slot *sl, size_t more)
{
	if (sl->buf_len + more <= sl->buf_cap)
		return true;
	size_t nc = sl->buf_cap ? sl->buf_cap : (1u << 20);
	while (nc < sl->buf_len + more)
		nc *= 2;
	char *nb = realloc(sl->buf, nc);
	if (!nb)
		return false;
	sl->buf = nb;
	sl->buf_cap = nc;
	return true;
}

/* ---- Reading lines from a file descriptor --------------------------------
 * Our own buffering over read(2) rather than stdio: it tells when no more
 * input is waiting, so that a batch is closed (and acknowledged) as soon as
 * a slow producer pauses, instead of waiting for batch_items lines. */

struct reader {
	int fd;
	char *buf;
	size_t lo, hi, cap;
	bool eof;
};

enum { RD_LINE, RD_EOF, RD_ERROR, RD_IDLE };

static int rd_fill(struct reader *r)
{
	if (r->lo == r->hi)
		r->lo = r->hi = 0;
	if (r->hi == r->cap) { /* compact */
		memmove(r->buf, r->buf + r->lo, r->hi - r->lo);
		r->hi -= r->lo;
		r->lo = 0;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->hi, r->cap - r->hi);
		if (n > 0) {
			r->hi += (size_t)n;
			return RD_LINE;
		}
		if (n == 0) {
			r->eof = true;
			return RD_EOF;
		}
		if (errno != EINTR)
			return RD_ERROR;
	}
}

/* Input is waiting (buffered or readable now)? */
static bool rd_ready(struct reader *r)
{
	/* A complete line waiting, or end of input: yes. Only part of a line
	 * (a producer that splits lines across writes): only if more can be
	 * read right now, else the batch closes and the lines before it are
	 * acknowledged while the rest of that line is on its way. */
	if (r->eof || (r->lo < r->hi && memchr(r->buf + r->lo, '\n', r->hi - r->lo)))
		return true;
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Hash a piece of an over-long line, holding back a final CR: a line's
 * hash never includes its terminator (LF or CRLF), in both input paths. */
static void hash_piece(struct vg_sha256_ctx *hc, bool *pending_cr, const char *p, size_t k)
{
	if (k == 0)
		return;
	if (*pending_cr)
		vg_sha256_update(hc, (const uint8_t *)"\r", 1);
	*pending_cr = p[k - 1] == '\r';
	vg_sha256_update(hc, (const uint8_t *)p, k - *pending_cr);
}

/*
 * Read one line into dst, which holds VG_LINE_MAX + 1 bytes (a full line
 * and the CR of CRLF). *len gets the line's length without its terminator,
 * *raw the bytes consumed (with the LF), *nl whether a LF ended it. A line
 * over VG_LINE_MAX is marked it->too_long, with the SHA-256 of its bytes
 * (terminator excluded) in it->line_sha256; only its start is kept.
 */
static int rd_line(struct reader *r, char *dst, struct item *it, size_t *len, size_t *raw,
                   bool *nl)
{
	struct vg_sha256_ctx hc;
	bool hashing = false, pending_cr = false;
	const size_t cap = (size_t)VG_LINE_MAX + 1;
	size_t n = 0;
	*nl = false;
	for (;;) {
		if (r->lo == r->hi) {
			if (r->eof)
				break;
			int f = rd_fill(r);
			if (f == RD_ERROR)
				return RD_ERROR;
			if (f == RD_EOF)
				break;
		}
		char *start = r->buf + r->lo;
		char *e = memchr(start, '\n', r->hi - r->lo);
		size_t chunk = e ? (size_t)(e - start) : r->hi - r->lo;
		if (!hashing && n + chunk <= cap) {
			memcpy(dst + n, start, chunk);
		} else {
			if (!hashing) {
				hashing = true;
				vg_sha256_init(&hc);
				hash_piece(&hc, &pending_cr, dst, n);
			}
			hash_piece(&hc, &pending_cr, start, chunk);
		}
		n += chunk;
		r->lo += chunk;
		if (e) {
			r->lo++; /* the newline */
			*nl = true;
			break;
		}
	}
	*raw = n + *nl;
	if (n == 0 && !*nl)
		return RD_EOF;
	if (hashing) {
		vg_sha256_final(&hc, it->line_sha256);
		it->too_long = true;
		n -= pending_cr;
	} else {
		if (n && dst[n - 1] == '\r')
			n--;
		if (n > VG_LINE_MAX) {
			it->too_long = true;
			vg_sha256((const uint8_t *)dst, n, it->line_sha256);
		}
	}
	*len = n;
	return RD_LINE;
}

vg_status vg_ingest_stream(vg_store *st, FILE *in, const struct vg_ingest_opts *opts,
                           struct vg_ingest_stats *stats, struct vg_err *err)
{
	struct ingest g;
	int64_t t0 = vg_time_mono_ns();
	vg_status s = setup(&g, st, opts, stats, err);
	if (s)
		return teardown(&g, s, err);
	struct reader r = {.fd = fileno(in), .cap = 1u << 20};
	r.buf = malloc(r.cap);
	if (!r.buf) {
		s = vg_err_set(err, VG_ERR_NOMEM, "ingest read buffer");
		goto out;
	}
	int k = 0;
	int64_t lineno = 0, bytes = 0;
	bool at_eof = false;
	while (!at_eof) {
		if (!acquire_slot(&g, k))
			break;
		struct slot *sl = &g.slots[k];
		sl->n = 0;
		sl->buf_len = 0;
		int64_t opened = 0;
		while (sl->n < g.batch_items && sl->buf_len < g.batch_bytes) {
			/* Close a non-empty batch as soon as no more input is waiting, or
			 * after BATCH_MAX_AGE_NS: a steady trickle still gets a durable
			 * checkpoint (and its acknowledgements) at least twice a second. */
			if (sl->n > 0 && (!rd_ready(&r) || vg_time_mono_ns() - opened > BATCH_MAX_AGE_NS))
				break;
			if (!buf_reserve(sl, VG_LINE_MAX + 1)) {
				s = vg_err_set(err, VG_ERR_NOMEM, "ingest buffer");
				goto out;
			}
			struct item it = {.off = sl->buf_len, .line = lineno + 1};
			size_t len, raw;
			bool nl;
			int rc = rd_line(&r, sl->buf + sl->buf_len, &it, &len, &raw, &nl);
			if (rc == RD_ERROR) {
				s = vg_err_set(err, VG_ERR_IO, "reading input: %s", strerror(errno));
				goto out;
			}
			if (rc == RD_EOF) {
				at_eof = true;
				break;
			}
			if (sl->n == 0)
				opened = vg_time_mono_ns();
			bytes += (int64_t)raw;
			lineno++;
			if (it.too_long) {
				it.len = 0;
			} else {
				it.len = len;
				sl->buf_len += len;
			}
			if (!item_push(sl, it)) {
				s = vg_err_set(err, VG_ERR_NOMEM, "ingest items");
				goto out;
			}
		}
		if (sl->n == 0)
			break;
		sl->base = sl->buf;
		sl->bytes_read = bytes;
		submit_slot(&g, sl);
		k = (k + 1) % NSLOTS;
	}
out:
	s = teardown(&g, s, err);
	free(r.buf);
	stats->elapsed_ns = vg_time_mono_ns() - t0;
	return s;
}

vg_status vg_ingest_buffer(vg_store *st, const char *buf, size_t len,
                           const struct vg_ingest_opts *opts, struct vg_ingest_stats *stats,
                           struct vg_err *err)
{
	struct ingest g;
	int64_t t0 = vg_time_mono_ns();
	vg_status s = setup(&g, st, opts, stats, err);
	if (s)
		return teardown(&g, s, err);
	size_t pos = 0;
	int64_t lineno = 0;
	int k = 0;
	while (pos < len) {
		if (!acquire_slot(&g, k))
			break;
		struct slot *sl = &g.slots[k];
		sl->n = 0;
		size_t bytes = 0;
		while (pos < len && sl->n < g.batch_items && bytes < g.batch_bytes) {
			const char *nl = memchr(buf + pos, '\n', len - pos);
			size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
			struct item it = {.off = pos, .len = l, .line = ++lineno};
			if (l && buf[pos + l - 1] == '\r')
				it.len--;
			if (it.len > VG_LINE_MAX) {
				it.too_long = true;
				vg_sha256((const uint8_t *)buf + pos, it.len, it.line_sha256);
			}
			pos += l + (nl != NULL);
			bytes += l + 1;
			if (!item_push(sl, it)) {
				s = vg_err_set(err, VG_ERR_NOMEM, "ingest items");
				goto out;
			}
		}
		sl->base = buf;
		sl->bytes_read = (int64_t)pos;
		submit_slot(&g, sl);
		k = (k + 1) % NSLOTS;
	}
out:
	s = teardown(&g, s, err);
	stats->elapsed_ns = vg_time_mono_ns() - t0;
	return s;
}

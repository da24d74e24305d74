/*
 * live.c - `vigil serve --live`: fusion and the event rules as observations
 * arrive, so that an alert follows the observation that decided it.
 *
 * On the writer thread (the one that holds the journal), after every durable
 * POST batch and every WATCH_MS of quiet:
 *   1. the observations stored since the last step (row id order = receipt
 *      order, whoever stored them: this server's POSTs or `vigil ingest`)
 *      are pushed into one long-lived vg_fusion stream, exactly as
 *      `vigil fuse --db` replays them. The stream clock is the latest
 *      observation time, moved by the data alone (every kind counts:
 *      sensors' status reports keep it going when nothing happens), never
 *      by the wall clock, so the live stream is a replay of the store and
 *      its events are byte for byte those of `vigil fuse --db`, across
 *      restarts too. The associator emits an event once no arrival can
 *      still join it (first arrival + max range / slowest sound speed +
 *      delivery bound: about 150 s of stream time with the defaults; then the
 *      smoothing lag, 60 s, docs/fusion.md). For
 *      sensors that deliver in bursts (or replays), --live-flush S ends the
 *      wait after S seconds of quiet input: everything pending is
 *      associated and emitted then (an arrival delivered later starts
 *      afresh, and the stream is no longer the batch run's);
 *   2. each emitted event is published (a statement in the log, once per
 *      distinct record: the same bytes `vigil fuse --db` would write, since
 *      at start the stream replays the store silently up to its last row);
 *   3. with an agreement, the rules on events (no_fire: fire missions,
 *      clusters of launches and impacts) run again over the events of the
 *      last LIVE_WINDOW_H hours of stream time whenever new ones came; a
 *      finding is named after the first event of its cluster ("f-" + event
 *      id), and published whenever its record changed (a growing mission:
 *      the latest record of an id supersedes the earlier ones);
 *   4. the publications go onto the alert stream (writer.c).
 * The tables `events` and `findings` stay those of the last batch runs
 * (`vigil fuse --db`, `vigil adjudicate --db`): deterministic over the
 * whole log, and the only source of the rules over many observations
 * (withdrawal, zone caps); live findings are the fast, per-event view:
 * fire missions only (a withdrawal finding also rests on located launches,
 * but spans hours beyond the live window; it is the batch run's).
 */
#include "fusion/fusion.h"
#include "rules/rules.h"
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_WINDOW_H 2     /* events the live rules look at */
#define LIVE_CURSOR "live_obs_id" /* state: the last row handled */

/* An event kept for the live rules: its record and the sensors of its
 * evidence (for the grades). */
struct wev {
	int64_t t_ns;
	char *line;
	size_t len;
	uint32_t n;
	int64_t *idx;
	char (*sensor)[VG_ID_MAX + 1];
};

struct live {
	vg_fusion *f;
	struct vg_agreement *ag;      /* NULL: no live rules */
	struct vg_arena arena;
	int64_t last_obs_id;          /* rows up to here were pushed */
	int64_t clock;                /* stream clock: latest observation time */
	int64_t last_input_mono;      /* when the last observation was pushed */
	bool flushed;                 /* quiet flush done since the last input */
	struct wev *win;              /* recent events, emission order */
	size_t n_win, cap_win;
	bool dirty;                   /* new events since the rules last ran */
	char **sensors;               /* ids registered with the stream, sorted */
	size_t n_sensors, cap_sensors;
	bool silent;                  /* replaying at start: do not publish */
	int64_t silent_until;         /* rows up to this id were handled before (state) */
	char (*fresh)[VG_ID_MAX + 1]; /* events emitted since the rules last ran */
	size_t n_fresh, cap_fresh;
	bool in_txn;                  /* publications staged in the open transaction */
	struct vg_server *s;
	int64_t n_events, n_findings;
	vg_status st;
	struct vg_err err;
	char *line;                   /* VG_LINE_MAX */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool known_sensor(const struct live *L, const char *id)
{
	return L->n_sensors &&
	       bsearch(&id, L->sensors, L->n_sensors, sizeof *L->sensors, cmp_str) != NULL;
}

static int add_sensor(void *ctx, const struct vg_sensor *sn)
{
	struct live *L = ctx;
	if (known_sensor(L, sn->id))
		return 0;
	if (L->n_sensors == L->cap_sensors) {
		size_t nc = L->cap_sensors ? 2 * L->cap_sensors : 64;
		char **n = realloc(L->sensors, nc * sizeof *n);
		if (!n) {
			L->st = vg_err_set(&L->err, VG_ERR_NOMEM, "live sensors");
			return 1;
		}
		L->sensors = n;
		L->cap_sensors = nc;
	}
	if ((L->st = vg_fusion_sensor_add(L->f, sn, &L->err)))
		return 1;
	if (!(L->sensors[L->n_sensors] = strdup(sn->id))) {
		L->st = vg_err_set(&L->err, VG_ERR_NOMEM, "live sensors");
		return 1;
	}
	L->n_sensors++;
	qsort(L->sensors, L->n_sensors, sizeof *L->sensors, cmp_str);
	return 0;
}

struct sen_ctx {
	vg_adjudicator *adj;
	vg_status st;
	struct vg_err *err;
};

static int adj_sensor(void *ctx, const struct vg_sensor *sn)
{
	struct sen_ctx *c = ctx;
	c->st = vg_adj_add_sensor(c->adj, sn->id, sn->owner, sn->modality, c->err);
	return c->st != VG_OK;
}

static vg_status publish(struct live *L, const char *kind, const char *rec, size_t len)
{
	bool added = false;
	vg_status st = vg_journal_stage_publication(L->s->j, L->s->wst, kind, rec, len,
	                                            vg_time_now_ns(), &added, &L->err);
	if (!st && added) {
		if (!strcmp(kind, "event"))
			L->n_events++;
		else
			L->n_findings++;
	}
	return st;
}

static void wev_free(struct wev *w)
{
	free(w->line);
	free(w->idx);
	free(w->sensor);
}

static vg_status keep_event(struct live *L, const struct vg_fusion_event *ev, const char *rec,
                            size_t len)
{
	if (L->n_win == L->cap_win) {
		size_t nc = L->cap_win ? 2 * L->cap_win : 256;
		struct wev *n = realloc(L->win, nc * sizeof *n);
		if (!n)
			return vg_err_set(&L->err, VG_ERR_NOMEM, "live events");
		L->win = n;
		L->cap_win = nc;
	}
	struct wev w = {.t_ns = ev->t_ns, .len = len, .n = ev->n_ev};
	w.line = malloc(len);
	w.idx = malloc((ev->n_ev ? ev->n_ev : 1) * sizeof *w.idx);
	w.sensor = malloc((ev->n_ev ? ev->n_ev : 1) * sizeof *w.sensor);
	if (!w.line || !w.idx || !w.sensor) {
		wev_free(&w);
		return vg_err_set(&L->err, VG_ERR_NOMEM, "live events");
	}
	memcpy(w.line, rec, len);
	for (uint32_t i = 0; i < ev->n_ev; i++) {
		w.idx[i] = ev->ev[i].used ? ev->ev[i].log_index : -1;
		memcpy(w.sensor[i], ev->ev[i].sensor, sizeof w.sensor[i]);
	}
	L->win[L->n_win++] = w;
	if (!L->silent) {
		if (L->n_fresh == L->cap_fresh) {
			size_t nc = L->cap_fresh ? 2 * L->cap_fresh : 64;
			void *n = realloc(L->fresh, nc * sizeof *L->fresh);
			if (!n)
				return vg_err_set(&L->err, VG_ERR_NOMEM, "live events");
			L->fresh = n;
			L->cap_fresh = nc;
		}
		snprintf(L->fresh[L->n_fresh++], sizeof L->fresh[0], "e-%06llu",
		         (unsigned long long)ev->seq);
	}
	/* forget what left the window (emission order is nearly time order) */
	int64_t keep_from = ev->t_ns - (int64_t)LIVE_WINDOW_H * 3600 * VG_NS_PER_S;
	size_t drop = 0;
	while (drop < L->n_win && L->win[drop].t_ns < keep_from)
		wev_free(&L->win[drop++]);
	if (drop) {
		memmove(L->win, L->win + drop, (L->n_win - drop) * sizeof *L->win);
		L->n_win -= drop;
	}
	L->dirty = !L->silent || L->dirty;
	return VG_OK;
}

/* Does the finding rest on an event emitted since the rules last ran? Only
 * those are published: a mission whose events are all old is unchanged
 * (or, once its first events left the window, a tail of itself). */
static bool has_fresh(const struct live *L, const struct vg_finding *x)
{
	for (uint32_t i = 0; i < x->n_events; i++)
		for (size_t k = 0; k < L->n_fresh; k++)
			if (!strcmp(x->events[i], L->fresh[k]))
				return true;
	return false;
}

/* The event rules over the window; publish the findings that are new or
 * changed. */
static vg_status judge(struct live *L)
{
	vg_adjudicator *adj = NULL;
	struct vg_findings fs = {0};
	vg_status st;
	L->dirty = false;
	if ((st = vg_adj_new(L->ag, &adj, &L->err)))
		return st;
	struct sen_ctx sc = {.adj = adj, .err = &L->err};
	if ((st = vg_store_sensor_each(L->s->wst, adj_sensor, &sc, &L->err)) || (st = sc.st))
		goto out;
	for (size_t k = 0; k < L->n_win; k++) {
		const struct wev *w = &L->win[k];
		for (uint32_t i = 0; i < w->n; i++)
			if (w->idx[i] >= 0 &&
			    (st = vg_adj_add_log_sensor(adj, w->idx[i], w->sensor[i], &L->err)))
				goto out;
		struct vg_rule_event re;
		if ((st = vg_rule_event_parse(w->line, w->len, &re, &L->err)))
			goto out;
		st = vg_adj_add_event(adj, &re, &L->err);
		vg_rule_event_clear(&re);
		if (st)
			goto out;
	}
	if ((st = vg_adj_run(adj, &fs, &L->err)))
		goto out;
	for (uint32_t i = 0; i < fs.n; i++) {
		struct vg_finding *x = &fs.v[i];
		if (x->rule != VG_RULE_NO_FIRE || !x->n_events || !has_fresh(L, x))
			continue; /* not a mission (withdrawal, from launches too, is the batch
			           * run's: it spans hours), or nothing new in it */
		char id[VG_ID_MAX + 8];
		int w = snprintf(id, sizeof id, "f-%s", x->events[0]);
		if (w < 0 || (size_t)w >= sizeof x->id) {
			st = vg_err_set(&L->err, VG_ERR_LIMIT, "live finding id for event %s too long",
			                x->events[0]);
			goto out;
		}
		memcpy(x->id, id, (size_t)w + 1);
		char *buf = NULL;
		size_t n = 0;
		if ((st = vg_finding_record(x, &buf, &n, &L->err)))
			goto out;
		st = publish(L, "finding", buf, n);
		free(buf);
		if (st)
			goto out;
	}
out:
	if (!st)
		L->n_fresh = 0;
	vg_findings_free(&fs);
	vg_adj_free(adj);
	return st;
}

static vg_status on_event(void *ctx, const struct vg_fusion_event *ev, struct vg_err *err)
{
	struct live *L = ctx;
	size_t len = vg_fusion_event_json(ev, L->line, VG_LINE_MAX);
	if (!len)
		return vg_err_set(err, VG_ERR_LIMIT, "live event %llu: record too long",
		                  (unsigned long long)ev->seq);
	/* replaying at start: only the window of the rules is filled */
	vg_status st = L->silent ? VG_OK : publish(L, "event", L->line, len);
	if (!st && L->ag)
		st = keep_event(L, ev, L->line, len);
	if (st)
		vg_err_set(err, st, "live event %llu: %s", (unsigned long long)ev->seq, L->err.msg);
	return st;
}

static int on_row(void *ctx, const struct vg_obs_stored *o)
{
	struct live *L = ctx;
	L->last_obs_id = o->id;
	if (L->silent && o->id > L->silent_until)
		L->silent = false; /* stored before, never handled live: publish */
	if (o->t_ns > L->clock)
		L->clock = o->t_ns;
	if (o->kind != VG_OBS_IMPULSE && o->kind != VG_OBS_FIRE)
		return 0; /* other kinds only advance the clock, as in `vigil fuse` */
	struct vg_envelope env;
	struct vg_obs obs;
	vg_arena_reset(&L->arena);
	if ((L->st = vg_observation_decode(o->envelope, o->envelope_len, &L->arena, &env, &obs,
	                                   &L->err)))
		return 1;
	L->st = vg_fusion_push(L->f, &obs, o->log_index, o->id, L->clock, &L->err);
	return L->st != VG_OK;
}

/* Push the rows after last_obs_id; true if there were any. */
static vg_status pull(struct live *L, bool *any)
{
	int64_t before = L->last_obs_id;
	struct vg_obs_filter f = {.after_id = L->last_obs_id};
	vg_status st = vg_store_obs_query(L->s->wst, &f, on_row, L, &L->err);
	if (!st)
		st = L->st;
	*any = L->last_obs_id != before;
	return st;
}

static vg_status step(struct live *L, bool quiet_ok, struct vg_err *err);

void live_free(struct vg_server *s)
{
	struct live *L = s->live;
	if (!L)
		return;
	vg_fusion_free(L->f);
	vg_agreement_free(L->ag);
	vg_arena_release(&L->arena);
	for (size_t i = 0; i < L->n_win; i++)
		wev_free(&L->win[i]);
	free(L->win);
	free(L->fresh);
	for (size_t i = 0; i < L->n_sensors; i++)
		free(L->sensors[i]);
	free(L->sensors);
	free(L->line);
	free(L);
	s->live = NULL;
}

vg_status live_init(struct vg_server *s, struct vg_err *err)
{
	struct live *L = calloc(1, sizeof *L);
	if (!L || !(L->line = malloc(VG_LINE_MAX))) {
		free(L);
		return vg_err_set(err, VG_ERR_NOMEM, "live fusion");
	}
	s->live = L;
	L->s = s;
	vg_err_clear(&L->err);
	vg_arena_init(&L->arena, 1u << 20);
	struct vg_fusion_config cfg;
	vg_fusion_config_default(&cfg);
	vg_status st;
	if ((st = vg_fusion_new(&cfg, on_event, L, &L->f, err)))
		goto fail;
	if (s->o.agreement && (st = vg_agreement_parse(s->o.agreement, s->o.agreement_len, &L->ag, err)))
		goto fail;
	if ((st = vg_store_sensor_each(s->wst, add_sensor, L, err)) || (st = L->st)) {
		if (L->st)
			vg_err_set(err, L->st, "%s", L->err.msg);
		goto fail;
	}
	/* Replay what is stored: silently up to the row the last run handled
	 * (the stream's state, medium, pending arrivals and event numbering
	 * are then the ones `vigil fuse --db` reaches at the same row);
	 * rows after it (a crash, a stop, an ingest while the server was
	 * down) are handled as live ones and their events published. A store
	 * live fusion never ran on counts as handled to its last row. */
	bool found = false;
	if ((st = vg_store_state_get(s->wst, LIVE_CURSOR, &L->silent_until, &found, err)))
		goto fail;
	if (!found)
		L->silent_until = INT64_MAX;
	L->silent = true;
	L->last_input_mono = vg_time_mono_ns();
	if ((st = step(L, false, err)) != VG_OK) {
		vg_err_prefix(err, "live fusion, replaying the store");
		goto fail;
	}
	L->silent = false;
	L->last_input_mono = vg_time_mono_ns();
	return VG_OK;
fail:
	live_free(s);
	return st;
}

/* One step in one store transaction: pull new rows (or, when quiet,
 * advance or flush), run the rules over new events, store the cursor,
 * commit, then append the statements to the log. VG_ERR_BUSY: the store
 * was locked by another process (nothing changed; try again later). */
static vg_status step(struct live *L, bool quiet_ok, struct vg_err *err)
{
	struct vg_server *s = L->s;
	vg_status st;
	int64_t next0 = vg_journal_next(s->j);
	struct vg_err be;
	vg_err_clear(&be);
	if ((st = vg_store_begin(s->wst, &be)))
		return vg_err_set(err, VG_ERR_BUSY, "%s", be.msg);
	bool any = false;
	int64_t cursor0 = L->last_obs_id;
	st = pull(L, &any);
	if (!st && any) {
		L->last_input_mono = vg_time_mono_ns();
			L->flushed = false;
	} else if (!st && quiet_ok) {
		int64_t quiet = vg_time_mono_ns() - L->last_input_mono;
		double flush_s = s->o.live_flush_s;
		if (flush_s > 0 && quiet >= (int64_t)(flush_s * 1e9)) {
			if (!L->flushed)
				st = vg_fusion_drain(L->f, L->clock, &L->err);
			L->flushed = true;
		}
	}
	if (!st && L->dirty && L->ag)
		st = judge(L);
	if (!st && L->last_obs_id != cursor0)
		st = vg_store_state_set(s->wst, LIVE_CURSOR, L->last_obs_id, &L->err);
	if (st) {
		vg_store_rollback(s->wst);
		vg_journal_unreserve(s->j, next0);
		return vg_err_set(err, st, "live fusion: %s", L->err.msg);
	}
	if ((st = vg_store_commit(s->wst, err))) {
		vg_journal_unreserve(s->j, next0);
		return st;
	}
	if (vg_journal_next(s->j) != next0 && (st = vg_journal_catch_up(s->j, s->wst, err))) {
		s->writer_broken = true; /* the journal refuses appends after a failed sync */
		return st;
	}
	return VG_OK;
}

vg_status live_step(struct vg_server *s, bool registry_changed, struct vg_err *err)
{
	struct live *L = s->live;
	if (!L)
		return VG_OK;
	vg_status st;
	if (registry_changed && ((st = vg_store_sensor_each(s->wst, add_sensor, L, err)) || (st = L->st)))
		return L->st ? vg_err_set(err, L->st, "%s", L->err.msg) : st;
	return step(L, true, err);
}

void live_counts(const struct vg_server *s, int64_t *events, int64_t *findings, int64_t *clock_ns)
{
	const struct live *L = s->live;
	*events = L ? L->n_events : 0;
	*findings = L ? L->n_findings : 0;
	*clock_ns = L ? L->clock : 0;
}

/*
 * writer.c - the one writer: POST /v1/observations bodies, queued by the
 * event-loop threads, go to vg_ingest_buffer many requests at a time (one
 * concatenated buffer, group commit across requests). Results come back
 * per line, in order, after the batch is durable in the store and the log
 * synced a checkpoint; each is mapped back to its request by line number.
 * Every 15 s without work the writer sends the alert streams a keep-alive.
 *
 * It also watches the store (every WATCH_MS, PRAGMA data_version): when
 * another process wrote (`vigil fuse --db` / `vigil adjudicate --db`
 * publishing events and findings while the server holds the log, a
 * revocation), it logs what waits for the log (vg_journal_adopt), then
 * pushes every new publication onto the alert stream as an "event" or
 * "finding" frame whose data is the record itself.
 */
#include "ingest/ingest.h"
#include "server_int.h"
#include "tak/tak.h"

#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAKE_MAX_BYTES ((size_t)32 << 20)
#define PING_EVERY_S 15
#define WATCH_MS 200
#define WATCH_PAGE 1000

struct push_ctx {
	struct vg_server *s;
	size_t n;
	bool blocked;
};

static int push_pub(void *ctx, const struct vg_pub_row *p)
{
	struct push_ctx *c = ctx;
	/* in id order, and only once in the log: an unlogged row (another
	 * process's, not adopted yet) holds back the ones after it */
	if (p->log_index < 0) {
		c->blocked = true;
		return 1;
	}
	alerts_publish(c->s, p->kind, p->record, p->record_len);
	if (c->s->tak) {
		struct vg_tak_opts to;
		struct vg_err e;
		vg_tak_opts_init(&to);
		if (vg_tak_forward(c->s->tak, &to, p->kind, p->record, p->record_len, &e) == VG_OK) {
			atomic_fetch_add(&c->s->m.tak_sent, 1);
		} else {
			atomic_fetch_add(&c->s->m.tak_failed, 1);
			vg_log(VG_LOG_WARN, "serve: TAK: %s", e.msg);
		}
	}
	c->s->pub_last = p->id;
	c->n++;
	return 0;
}

/* See the header comment. Runs on the writer thread (the journal's one). */
static void watch(struct vg_server *s)
{
	struct vg_err err;
	vg_err_clear(&err);
	int64_t dv;
	if (vg_store_data_version(s->wst, &dv, &err) != VG_OK)
		return;
	bool changed = !s->watch_init || dv != s->watch_dv;
	s->watch_dv = dv;
	if (!changed && !s->live)
		return;
	if (!s->watch_init) {
		/* alerts are for what is new from now on; history is at GET */
		if (vg_store_pub_last_id(s->wst, &s->pub_last, &err) != VG_OK) {
			vg_log(VG_LOG_ERROR, "serve: publications: %s", err.msg);
			return;
		}
		s->watch_init = true;
	}
	if (changed && !s->writer_broken && vg_journal_adopt(s->j, s->wst, &err) != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: logging what other processes stored: %s", err.msg);
		s->writer_broken = true; /* the journal refuses appends after a failed sync */
	}
	vg_status ls;
	if (s->live && !s->writer_broken && (ls = live_step(s, changed, &err)) != VG_OK) {
		if (ls == VG_ERR_BUSY) {
			/* another process holds the store's write lock (a long `vigil
			 * fuse --db`): nothing changed, try again at the next tick */
			vg_log(VG_LOG_WARN, "serve: live fusion waits: %s", err.msg);
		} else {
			/* the store is as it was before the step, but the stream moved
			 * on: live fusion stops; a restart picks up from the last row
			 * it committed (the state table), batch `vigil fuse` still works */
			vg_log(VG_LOG_ERROR, "serve: live fusion stopped: %s", err.msg);
			live_free(s);
		}
	}
	atomic_store(&s->m.log_size, (long long)vg_ledger_durable_size(vg_journal_ledger(s->j)));
	struct push_ctx c = {.s = s};
	do {
		c.n = 0;
		if (vg_store_pub_each(s->wst, s->pub_last, false, WATCH_PAGE, push_pub, &c, &err) != VG_OK) {
			vg_log(VG_LOG_ERROR, "serve: publications: %s", err.msg);
			return;
		}
	} while (c.n == WATCH_PAGE && !c.blocked);
}

void srv_job_free(struct post_job *job)
{
	if (!job)
		return;
	free(job->body);
	vg_buf_release(&job->out);
	free(job);
}

bool srv_writer_reserve(struct vg_server *s, struct post_job *job, int *http_status)
{
	bool ok = false;
	pthread_mutex_lock(&s->q_mu);
	if (s->q_stop || s->writer_broken)
		*http_status = 503;
	else if (s->q_bytes > 0 && s->q_bytes + job->len > s->o.queue_max_bytes)
		*http_status = 503;
	else {
		s->q_bytes += job->len;
		ok = true;
	}
	pthread_mutex_unlock(&s->q_mu);
	return ok;
}

void srv_writer_enqueue(struct vg_server *s, struct post_job *job)
{
	pthread_mutex_lock(&s->q_mu);
	job->next = NULL;
	if (s->q_tail)
		s->q_tail->next = job;
	else
		s->q_head = job;
	s->q_tail = job;
	atomic_fetch_add(&s->m.queue_jobs, 1);
	atomic_store(&s->m.queue_bytes, (long long)s->q_bytes);
	pthread_cond_signal(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
}

/* Map results (global line numbers, in order) back to the jobs. */
struct route_ctx {
	struct vg_server *s;
	struct post_job **jobs;
	int64_t *first;           /* first global line of each job */
	size_t n, cur;
};

static void on_result(void *ctx, const struct vg_ingest_result *r)
{
	struct route_ctx *rc = ctx;
	while (rc->cur < rc->n && r->line >= rc->first[rc->cur] + rc->jobs[rc->cur]->nlines)
		rc->cur++;
	if (rc->cur >= rc->n)
		return; /* cannot happen: every line belongs to a job */
	struct post_job *job = rc->jobs[rc->cur];
	struct metrics *m = &rc->s->m;
	struct vg_buf *b = &job->out;
	int64_t line = r->line - rc->first[rc->cur] + 1;
	vg_buf_printf(b, "%s{\"line\":%lld", job->reported ? "," : "", (long long)line);
	job->reported++;
	atomic_fetch_add(&m->ingest_lines, 1);
	if (r->status == VG_OK) {
		job->accepted++;
		atomic_fetch_add(&m->ingest_accepted, 1);
		vg_buf_printf(b, ",\"status\":\"accepted\",\"log_index\":%lld", (long long)r->log_index);
	} else if (r->status == VG_ERR_DUPLICATE) {
		job->duplicates++;
		atomic_fetch_add(&m->ingest_duplicates, 1);
		vg_buf_str(b, ",\"status\":\"duplicate\"");
	} else {
		job->rejected++;
		atomic_fetch_add(&m->ingest_rejected, 1);
		if (r->status > 0 && r->status < VG_STATUS_COUNT_)
			atomic_fetch_add(&m->rejected_by[r->status], 1);
		vg_buf_str(b, ",\"status\":\"rejected\",\"reason\":");
		const char *reason = vg_status_name(r->status);
		sb_json_str(b, reason, strlen(reason));
		vg_buf_str(b, ",\"message\":");
		const char *msg = r->message ? r->message : vg_strerror(r->status);
		sb_json_str(b, msg, strlen(msg));
	}
	if (r->sensor) {
		vg_buf_str(b, ",\"sensor\":");
		sb_json_str(b, r->sensor, strlen(r->sensor));
	}
	if (r->seq >= 0)
		vg_buf_printf(b, ",\"seq\":%lld", (long long)r->seq);
	vg_buf_str(b, "}");
}

static void finish(struct vg_server *s, struct post_job **jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&s->q_mu);
		jobs[i]->done = true;
		pthread_mutex_unlock(&s->q_mu);
		MHD_resume_connection(jobs[i]->conn);
	}
}

static void process(struct vg_server *s, struct post_job **jobs, size_t n, int64_t t0)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += jobs[i]->len;
	int64_t *first = calloc(n, sizeof *first);
	char *buf = total ? malloc(total) : NULL;
	if (!first || (total && !buf) || s->writer_broken) {
		for (size_t i = 0; i < n; i++) {
			jobs[i]->http_status = 503;
			jobs[i]->error = "the ingest pipeline is unavailable; retry later";
		}
		free(first);
		free(buf);
		finish(s, jobs, n);
		return;
	}
	size_t off = 0;
	int64_t line = 1;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i]->len)
			memcpy(buf + off, jobs[i]->body, jobs[i]->len);
		off += jobs[i]->len;
		first[i] = line;
		line += jobs[i]->nlines;
	}
	struct route_ctx rc = {.s = s, .jobs = jobs, .first = first, .n = n};
	struct vg_ingest_opts io = {
		.source = "http",
		.on_result = on_result,
		.ctx = &rc,
		.journal = s->j,
	};
	struct vg_ingest_stats stats;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = total ? vg_ingest_buffer(s->wst, buf, total, &io, &stats, &err) : VG_OK;
	free(buf);
	free(first);
	int64_t accepted = 0, dup = 0, rej = 0;
	for (size_t i = 0; i < n; i++) {
		struct post_job *j = jobs[i];
		accepted += j->accepted;
		dup += j->duplicates;
		rej += j->rejected;
		if (j->reported == j->nlines && !vg_buf_failed(&j->out)) {
			j->http_status = 200;
		} else if (vg_buf_failed(&j->out)) {
			j->http_status = 500;
			j->error = "the results exceed the response cap; the lines were processed: "
			           "resend fewer lines to see their results (stored ones are duplicates)";
		} else {
			j->http_status = 500;
			j->error = "storage failure: not every line was stored; resend (lines already "
			           "stored come back as duplicates)";
		}
	}
	if (st != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: ingest: %s", err.msg);
		s->writer_broken = true; /* the journal refuses appends after a failed sync */
	}
	long long size = (long long)vg_ledger_durable_size(vg_journal_ledger(s->j));
	atomic_store(&s->m.log_size, size);
	atomic_fetch_add(&s->m.ingest_batches, 1);
	atomic_fetch_add(&s->m.ingest_requests, (long long)n);
	atomic_fetch_add(&s->m.ingest_batch_ns_sum, vg_time_mono_ns() - t0);
	finish(s, jobs, n);
	if (accepted + dup + rej > 0) {
		char t[VG_TIME_STR_MAX], js[256];
		vg_time_format(vg_time_now_ns(), t);
		int len = snprintf(js, sizeof js,
		                   "{\"type\":\"batch\",\"time\":\"%s\",\"accepted\":%lld,\"duplicates\":%lld,"
		                   "\"rejected\":%lld,\"log_size\":%lld}",
		                   t, (long long)accepted, (long long)dup, (long long)rej, size);
		alerts_publish(s, "batch", js, (size_t)len);
	}
}

static void *writer_main(void *arg)
{
	struct vg_server *s = arg;
	watch(s);
	int64_t last_ping = vg_time_mono_ns();
	pthread_mutex_lock(&s->q_mu);
	for (;;) {
		while (!s->q_head && !s->q_stop) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts); /* the condition's clock (server.c) */
			ts.tv_nsec += WATCH_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&s->q_cv, &s->q_mu, &ts) == ETIMEDOUT && !s->q_head) {
				pthread_mutex_unlock(&s->q_mu);
				watch(s);
				if (vg_time_mono_ns() - last_ping >= PING_EVERY_S * VG_NS_PER_S) {
					alerts_ping(s);
					last_ping = vg_time_mono_ns();
				}
				pthread_mutex_lock(&s->q_mu);
			}
		}
		if (!s->q_head)
			break; /* stopping, nothing left */
		/* Take as many queued requests as fit one ingest call. */
		size_t n = 0, bytes = 0, cap = 16;
		struct post_job **jobs = malloc(cap * sizeof *jobs);
		while (jobs && s->q_head && (n == 0 || bytes + s->q_head->len <= TAKE_MAX_BYTES)) {
			if (n == cap) {
				struct post_job **nj = realloc(jobs, 2 * cap * sizeof *nj);
				if (!nj)
					break;
				jobs = nj;
				cap *= 2;
			}
			struct post_job *j = s->q_head;
			s->q_head = j->next;
			if (!s->q_head)
				s->q_tail = NULL;
			bytes += j->len;
			s->q_bytes -= j->len;
			jobs[n++] = j;
		}
		atomic_fetch_sub(&s->m.queue_jobs, (long long)n);
		atomic_store(&s->m.queue_bytes, (long long)s->q_bytes);
		pthread_mutex_unlock(&s->q_mu);
		if (!jobs) {
			pthread_mutex_lock(&s->q_mu);
			continue; /* out of memory: retry */
		}
		process(s, jobs, n, vg_time_mono_ns());
		free(jobs);
		watch(s);
		pthread_mutex_lock(&s->q_mu);
	}
	pthread_mutex_unlock(&s->q_mu);
	return NULL;
}

vg_status srv_writer_start(struct vg_server *s, struct vg_err *err)
{
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
		return vg_err_set(err, VG_ERR_INTERNAL, "cannot start the writer thread");
	s->writer_started = true;
	return VG_OK;
}

void srv_writer_stop(struct vg_server *s)
{
	if (!s->writer_started)
		return;
	pthread_mutex_lock(&s->q_mu);
	s->q_stop = true;
	pthread_cond_broadcast(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
	pthread_join(s->writer, NULL);
	s->writer_started = false;
}

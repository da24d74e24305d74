/*
 * alerts.c - GET /v1/alerts as Server-Sent Events (text/event-stream), and
 * GET /metrics (Prometheus text format 0.0.4).
 *
 * Events are kept in a ring of the last ALERT_RING frames, numbered; each
 * stream remembers the next number it owes its client (a client that
 * reconnects with Last-Event-ID resumes from there if still in the ring;
 * one that fell more than ALERT_RING behind gets an "event: lost" frame).
 * A stream with nothing to send is suspended (it costs no thread); a
 * publish resumes every suspended stream. Resumes are issued outside the
 * lock; a connection can only be freed by libmicrohttpd while it is not
 * suspended, so a stream marked "not suspended" under the lock is never
 * resumed twice nor after its free.
 *
 * Event types today: "batch" (a durable POST batch: counts and the log
 * size; no raw data, so every member may see it). Fusion events and rule
 * findings will be published here by their producers (type "event",
 * "finding") with the same call.
 */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sse_client {
	struct sse_client *next, *prev;
	struct vg_server *s;
	struct MHD_Connection *conn;
	int64_t next_seq;
	uint64_t ping_gen;
	bool suspended;
	char *pend;
	size_t pend_len, pend_off;
};

static void set_pending(struct sse_client *cl, const char *txt, size_t n)
{
	free(cl->pend);
	cl->pend = malloc(n);
	cl->pend_len = cl->pend ? n : 0;
	cl->pend_off = 0;
	if (cl->pend)
		memcpy(cl->pend, txt, n);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sse_client *cl = cls;
	struct vg_server *s = cl->s;
	pthread_mutex_lock(&s->a_mu);
	for (;;) {
		if (cl->pend_off < cl->pend_len) {
			size_t n = cl->pend_len - cl->pend_off;
			if (n > max)
				n = max;
			memcpy(buf, cl->pend + cl->pend_off, n);
			cl->pend_off += n;
			pthread_mutex_unlock(&s->a_mu);
			atomic_fetch_add(&s->m.sse_sent, (long long)n);
			return (ssize_t)n;
		}
		if (s->a_stop) {
			pthread_mutex_unlock(&s->a_mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (cl->next_seq <= s->a_seq) {
			if (s->a_seq - cl->next_seq >= ALERT_RING) {
				static const char lost[] = "event: lost\ndata: {\"type\":\"lost\"}\n\n";
				cl->next_seq = s->a_seq - ALERT_RING + 1;
				set_pending(cl, lost, sizeof lost - 1);
				continue;
			}
			const char *f = s->ring[cl->next_seq % ALERT_RING];
			cl->next_seq++;
			if (f)
				set_pending(cl, f, strlen(f));
			continue;
		}
		if (cl->ping_gen != s->ping_gen) {
			cl->ping_gen = s->ping_gen;
			set_pending(cl, ": ping\n\n", 8);
			continue;
		}
		cl->suspended = true;
		MHD_suspend_connection(cl->conn);
		pthread_mutex_unlock(&s->a_mu);
		return 0;
	}
}

static void client_free(void *cls)
{
	struct sse_client *cl = cls;
	struct vg_server *s = cl->s;
	pthread_mutex_lock(&s->a_mu);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	pthread_mutex_unlock(&s->a_mu);
	atomic_fetch_sub(&s->m.sse_clients, 1);
	free(cl->pend);
	free(cl);
}

enum MHD_Result api_alerts(struct vg_server *s, struct MHD_Connection *c, const struct principal *p)
{
	(void)p;
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	struct sse_client *cl = calloc(1, sizeof *cl);
	if (!cl)
		return MHD_NO;
	cl->s = s;
	cl->conn = c;
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	int64_t last_id = -1;
	pthread_mutex_lock(&s->a_mu);
	if (s->a_stop) {
		pthread_mutex_unlock(&s->a_mu);
		free(cl);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	cl->next_seq = s->a_seq + 1;
	if (last && srv_parse_i64(last, 0, s->a_seq, &last_id))
		cl->next_seq = last_id + 1;
	cl->ping_gen = s->ping_gen;
	set_pending(cl, "retry: 2000\n: connected\n\n", 25);
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	pthread_mutex_unlock(&s->a_mu);
	atomic_fetch_add(&s->m.sse_clients, 1);
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, cl, client_free);
	if (!r) {
		client_free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	atomic_fetch_add(&s->m.http[2], 1);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* Resume the suspended streams; called with a_mu held, resumes after. */
static void wake_all(struct vg_server *s)
{
	size_t n = 0, cap = 64;
	struct MHD_Connection **v = malloc(cap * sizeof *v);
	for (struct sse_client *cl = s->clients; cl; cl = cl->next) {
		if (!cl->suspended)
			continue;
		if (n == cap) {
			struct MHD_Connection **nv = v ? realloc(v, 2 * cap * sizeof *nv) : NULL;
			if (!nv)
				break; /* the rest wake at the next publish or ping */
			v = nv;
			cap *= 2;
		}
		if (!v)
			break;
		cl->suspended = false;
		v[n++] = cl->conn;
	}
	pthread_mutex_unlock(&s->a_mu);
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(v[i]);
	free(v);
}

void alerts_publish(struct vg_server *s, const char *type, const char *json, size_t len)
{
	char head[96];
	pthread_mutex_lock(&s->a_mu);
	int64_t seq = s->a_seq + 1;
	int hl = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)seq, type);
	char *f = malloc((size_t)hl + len + 3);
	if (!f) {
		pthread_mutex_unlock(&s->a_mu);
		return;
	}
	memcpy(f, head, (size_t)hl);
	memcpy(f + hl, json, len); /* one line: our JSON has no raw newlines */
	memcpy(f + hl + len, "\n\n", 3);
	free(s->ring[seq % ALERT_RING]);
	s->ring[seq % ALERT_RING] = f;
	s->a_seq = seq;
	wake_all(s);
}

void alerts_ping(struct vg_server *s)
{
	pthread_mutex_lock(&s->a_mu);
	s->ping_gen++;
	wake_all(s);
}

void alerts_stop(struct vg_server *s)
{
	pthread_mutex_lock(&s->a_mu);
	s->a_stop = true;
	wake_all(s);
}

void alerts_free(struct vg_server *s)
{
	for (int i = 0; i < ALERT_RING; i++) {
		free(s->ring[i]);
		s->ring[i] = NULL;
	}
}

/* ---- Metrics ------------------------------------------------------------------------- */

static void counter(struct vg_buf *b, const char *name, const char *help, long long v)
{
	vg_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name, name, v);
}

static void gauge(struct vg_buf *b, const char *name, const char *help, long long v)
{
	vg_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
}

enum MHD_Result api_metrics(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	struct metrics *m = &s->m;
	struct vg_buf b;
	vg_buf_init(&b, 1 << 20);
	vg_buf_str(&b, "# HELP vigil_http_responses_total HTTP responses by status class.\n"
	           "# TYPE vigil_http_responses_total counter\n");
	for (int i = 1; i <= 5; i++)
		vg_buf_printf(&b, "vigil_http_responses_total{class=\"%dxx\"} %lld\n", i,
		          (long long)atomic_load(&m->http[i]));
	vg_buf_str(&b, "# HELP vigil_http_refusals_total Requests refused, by status.\n"
	           "# TYPE vigil_http_refusals_total counter\n");
	vg_buf_printf(&b, "vigil_http_refusals_total{code=\"401\"} %lld\n", (long long)atomic_load(&m->http_401));
	vg_buf_printf(&b, "vigil_http_refusals_total{code=\"403\"} %lld\n", (long long)atomic_load(&m->http_403));
	vg_buf_printf(&b, "vigil_http_refusals_total{code=\"413\"} %lld\n", (long long)atomic_load(&m->http_413));
	vg_buf_printf(&b, "vigil_http_refusals_total{code=\"429\"} %lld\n", (long long)atomic_load(&m->http_429));
	counter(&b, "vigil_ingest_lines_total", "Observation lines posted and processed.",
	        atomic_load(&m->ingest_lines));
	counter(&b, "vigil_ingest_accepted_total", "Observations accepted (durable, logged).",
	        atomic_load(&m->ingest_accepted));
	counter(&b, "vigil_ingest_duplicates_total", "Observations already stored.",
	        atomic_load(&m->ingest_duplicates));
	vg_buf_str(&b, "# HELP vigil_ingest_rejected_total Observations rejected, by reason.\n"
	           "# TYPE vigil_ingest_rejected_total counter\n");
	for (int i = 1; i < VG_STATUS_COUNT_; i++) {
		long long v = atomic_load(&m->rejected_by[i]);
		if (v)
			vg_buf_printf(&b, "vigil_ingest_rejected_total{reason=\"%s\"} %lld\n",
			          vg_status_name((vg_status)i), v);
	}
	counter(&b, "vigil_ingest_batches_total", "Group commits (one store transaction and one log "
	        "checkpoint each).", atomic_load(&m->ingest_batches));
	counter(&b, "vigil_ingest_requests_total", "POST /v1/observations requests committed.",
	        atomic_load(&m->ingest_requests));
	vg_buf_printf(&b, "# HELP vigil_ingest_batch_seconds_total Time spent committing batches.\n"
	              "# TYPE vigil_ingest_batch_seconds_total counter\n"
	              "vigil_ingest_batch_seconds_total %.6f\n",
	          (double)atomic_load(&m->ingest_batch_ns_sum) / 1e9);
	gauge(&b, "vigil_ingest_queue_requests", "POST requests waiting for the writer.",
	      atomic_load(&m->queue_jobs));
	gauge(&b, "vigil_ingest_queue_bytes", "Bytes waiting for the writer.",
	      atomic_load(&m->queue_bytes));
	gauge(&b, "vigil_log_size", "Entries in the last published checkpoint.",
	      atomic_load(&m->log_size));
	counter(&b, "vigil_cosignatures_total", "Witness cosignatures accepted.",
	        atomic_load(&m->cosignatures));
	counter(&b, "vigil_tak_sent_total", "Publications sent to TAK endpoints as CoT.",
	        atomic_load(&m->tak_sent));
	counter(&b, "vigil_tak_failed_total",
	        "Publications some TAK endpoint did not take (resent on reconnect).",
	        atomic_load(&m->tak_failed));
	gauge(&b, "vigil_alert_streams", "Open /v1/alerts streams.", atomic_load(&m->sse_clients));
	counter(&b, "vigil_alert_bytes_total", "Bytes sent on alert streams.",
	        atomic_load(&m->sse_sent));
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	gauge(&b, "vigil_http_connections", "Open HTTP connections.",
	      di ? (long long)di->num_connections : -1);
	size_t len;
	char *p = vg_buf_detach(&b, &len);
	return srv_reply(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", p, len);
}

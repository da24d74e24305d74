/*
 * server_int.h - private to src/server/: the server's state and the pieces
 * shared by its files (server.c: daemon, routing, access; writer.c: the
 * POST queue and the single writer; api_read.c: sensors, observations,
 * events, findings; api_log.c: the transparency log; alerts.c: Server-Sent
 * Events; api_static.c: the web map's files and the agreement; buf.c:
 * capped output buffers).
 */
#ifndef VG_SERVER_INT_H
#define VG_SERVER_INT_H

#include "ledger/ledger.h"
#include "server/server.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

/* ---- JSON text into core's capped buffer (struct vg_buf; buf.c) ---------- */
/* A JSON string literal (quotes included), escaping as RFC 8259 requires;
 * invalid UTF-8 bytes become U+FFFD. */
bool sb_json_str(struct vg_buf *b, const char *s, size_t n);
/* Shortest round-trip decimal for a finite double. */
bool sb_double(struct vg_buf *b, double x);

/* Strict parameter values: a decimal integer without leading zeros in
 * [min, max]; a finite decimal number (no hex, inf, nan). */
bool srv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool srv_parse_double(const char *s, size_t len, double *out);

/* ---- Access ---------------------------------------------------------------- */
struct principal {
	int64_t token_id;
	char member[VG_ID_MAX + 1];
	int role;                 /* enum vg_role */
};

#define AUTH_SLOTS 1024
struct auth_ent {
	bool used;
	uint8_t h[VG_SHA256_BYTES];
	struct principal p;
	int64_t found_ns;         /* cache entry valid for AUTH_TTL_NS */
	double tokens;            /* rate-limit bucket */
	int64_t last_ns;
};

/* Releasability snapshot: sensors sorted by id (immutable once built). */
struct rel_sensor {
	char id[VG_ID_MAX + 1];
	char owner[VG_ID_MAX + 1];
	uint32_t n_release;
	char (*release)[VG_ID_MAX + 1];
};
struct relsnap {
	atomic_int refs;
	int64_t loaded_ns;
	size_t n;
	struct rel_sensor *s;
	char *sensors_json;       /* the body of GET /v1/sensors */
	size_t sensors_len;
};

/* ---- The POST queue (writer.c) ------------------------------------------------ */
struct post_job {
	struct post_job *next;
	char *body;               /* owned; ends with '\n' unless empty */
	size_t len;
	int64_t nlines;
	struct MHD_Connection *conn;
	/* results, filled by the writer */
	struct vg_buf out;          /* JSON array elements */
	int64_t accepted, duplicates, rejected, reported;
	int http_status;          /* 0 while pending */
	const char *error;        /* for a failed batch */
	bool done;
};

/* ---- Alerts (alerts.c) --------------------------------------------------------- */
#define ALERT_RING 256
struct sse_client;

/* ---- Metrics ------------------------------------------------------------------- */
struct metrics {
	atomic_llong http[6];     /* by status class 1xx..5xx (index 1..5) */
	atomic_llong http_401, http_403, http_413, http_429;
	atomic_llong ingest_lines, ingest_accepted, ingest_duplicates, ingest_rejected;
	atomic_llong rejected_by[VG_STATUS_COUNT_];
	atomic_llong ingest_batches, ingest_requests;
	atomic_llong ingest_batch_ns_sum;   /* time from first queued to durable */
	atomic_llong queue_jobs, queue_bytes;
	atomic_llong sse_clients, sse_sent;
	atomic_llong cosignatures;
	atomic_llong log_size;
	atomic_llong tak_sent, tak_failed;
};

struct vg_server {
	struct vg_server_opts o;
	struct MHD_Daemon *d;
	uint16_t port;
	char *db_path;
	char *log_dir;
	int log_dirfd;
	vg_store *wst;            /* writer's store (borrowed) */
	struct vg_journal *j;     /* borrowed */
	struct vg_note_verifier log_key;
	struct vg_note_verifier *witnesses;   /* [0] = log_key, then the witnesses */
	size_t n_known;

	/* read handles */
	pthread_mutex_t pool_mu;
	vg_store *pool[64];
	int npool;

	/* tokens + rate limits */
	pthread_mutex_t auth_mu;
	struct auth_ent auth[AUTH_SLOTS];

	/* releasability snapshot */
	pthread_mutex_t rel_mu;
	struct relsnap *rel;
	bool rel_loading;         /* one thread refreshes; the others use the old one */

	/* writer */
	pthread_mutex_t q_mu;
	pthread_cond_t q_cv;
	struct post_job *q_head, *q_tail;
	size_t q_bytes;
	bool q_stop;
	atomic_bool writer_broken;  /* set by the writer thread, read under q_mu by others */
	pthread_t writer;
	bool writer_started;
	/* the writer's watch of the store for other processes' writes
	 * (publications of `vigil fuse` / `vigil adjudicate`, registry changes) */
	bool watch_init;
	int64_t watch_dv;         /* PRAGMA data_version last seen */
	int64_t pub_last;         /* last publication id pushed to the alerts */
	struct live *live;        /* live fusion (live.c); NULL: off */
	struct vg_tak_sender *tak; /* CoT to TAK endpoints (writer thread); NULL: none */

	/* alerts */
	pthread_mutex_t a_mu;
	struct sse_client *clients;
	int64_t a_seq;            /* seq of the last event published */
	char *ring[ALERT_RING];   /* formatted SSE frames, by seq % ALERT_RING */
	uint64_t ping_gen;
	bool a_stop;

	struct metrics m;

	/* the web map and the agreement (api_static.c) */
	int web_dirfd;            /* -1: none */
	char *web_dir;
	char *agreement;
	size_t agreement_len;
};

/* server.c */
vg_store *srv_read_handle(struct vg_server *s);
void srv_read_release(struct vg_server *s, vg_store *st);
struct relsnap *srv_rel_get(struct vg_server *s);
void srv_rel_put(struct relsnap *r);
bool srv_releasable(const struct relsnap *r, const char *sensor, const struct principal *p);
enum MHD_Result srv_reply(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                          const char *ctype, char *body, size_t len);  /* takes body (free) */
enum MHD_Result srv_error(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                          const char *code, const char *msg);
enum MHD_Result srv_json(struct vg_server *s, struct MHD_Connection *c, unsigned status,
                         struct vg_buf *b);

/* Query parameters: each route names what it allows; unknown or repeated
 * ones are refused (400). */
bool srv_params_ok(struct MHD_Connection *c, const char *const *allowed, const char **bad);
const char *srv_param(struct MHD_Connection *c, const char *name);

/* live.c (writer thread only) */
vg_status live_init(struct vg_server *s, struct vg_err *err);
vg_status live_step(struct vg_server *s, bool registry_changed, struct vg_err *err);
void live_counts(const struct vg_server *s, int64_t *events, int64_t *findings, int64_t *clock_ns);
void live_free(struct vg_server *s);

/* writer.c */
vg_status srv_writer_start(struct vg_server *s, struct vg_err *err);
void srv_writer_stop(struct vg_server *s);
/* Reserve queue room for a job; false (and the status to answer) if the
 * queue is full, stopping, or the writer broke. Then suspend the
 * connection and enqueue the job: the writer resumes it when done. */
bool srv_writer_reserve(struct vg_server *s, struct post_job *job, int *http_status);
void srv_writer_enqueue(struct vg_server *s, struct post_job *job);
void srv_job_free(struct post_job *job);

/* api_read.c */
enum MHD_Result api_sensors(struct vg_server *s, struct MHD_Connection *c, const struct principal *p);
enum MHD_Result api_observations(struct vg_server *s, struct MHD_Connection *c,
                                 const struct principal *p, const char *id);
enum MHD_Result api_events(struct vg_server *s, struct MHD_Connection *c, const struct principal *p);
enum MHD_Result api_findings(struct vg_server *s, struct MHD_Connection *c, const struct principal *p);

/* api_log.c */
enum MHD_Result api_checkpoint(struct vg_server *s, struct MHD_Connection *c, bool cosigned);
enum MHD_Result api_tile(struct vg_server *s, struct MHD_Connection *c, const struct principal *p,
                         const char *rel);
enum MHD_Result api_proof_inclusion(struct vg_server *s, struct MHD_Connection *c);
enum MHD_Result api_proof_consistency(struct vg_server *s, struct MHD_Connection *c);
enum MHD_Result api_cosignature(struct vg_server *s, struct MHD_Connection *c, const char *body,
                                size_t len);

/* alerts.c */
enum MHD_Result api_alerts(struct vg_server *s, struct MHD_Connection *c, const struct principal *p);
/* Publish one event (type, JSON data) to every stream. */
void alerts_publish(struct vg_server *s, const char *type, const char *json, size_t len);
/* Keep-alive comment to every stream (detects dead clients). */
void alerts_ping(struct vg_server *s);
/* End every stream (before the daemon stops). */
void alerts_stop(struct vg_server *s);
void alerts_free(struct vg_server *s);

/* api_static.c: GET/HEAD / and /static/<path> (no token), GET /v1/agreement. */
vg_status static_init(struct vg_server *s, struct vg_err *err);  /* web_dirfd -1 first */
void static_free(struct vg_server *s);
enum MHD_Result api_static(struct vg_server *s, struct MHD_Connection *c, const char *url);
enum MHD_Result api_agreement(struct vg_server *s, struct MHD_Connection *c);

/* api_coverage.c: GET /v1/coverage?from&until[&bbox][&watched] (members, auditors) */
enum MHD_Result api_coverage(struct vg_server *s, struct MHD_Connection *c);
/* api_report.c: GET /v1/reports/daily?date=YYYY-MM-DD (members, auditors) */
enum MHD_Result api_report_daily(struct vg_server *s, struct MHD_Connection *c);

/* metrics */
enum MHD_Result api_metrics(struct vg_server *s, struct MHD_Connection *c);

#endif

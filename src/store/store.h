/*
 * store.h - Vigil's storage interface, embedded SQLite backend.
 *
 * One database file holds the sensor registry, the accepted observations
 * (the envelope bytes exactly as received plus parsed columns and the
 * receive time), and the rejections (reason code, message, input line,
 * sensor, SHA-256 of the raw line; never the raw line itself). An R*Tree
 * indexes observation positions.
 *
 * Durability: WAL journal with synchronous=FULL, so a committed transaction
 * survives power loss. Writers group many items into one transaction
 * (vg_store_begin / vg_store_commit): one fsync per batch.
 *
 * Schema: versioned migrations (schema_version table), applied in order on
 * open; a database newer than this binary is refused (VG_ERR_VERSION).
 *
 * Threads: a vg_store handle is used by one thread at a time. Several
 * processes may open the same file (SQLite locking; writers wait up to
 * 10 s for the lock).
 *
 * The PostgreSQL backend (a later issue) implements the same functions.
 */
#ifndef VG_STORE_H
#define VG_STORE_H

#include "codec/codec.h"
#include "core/core.h"

typedef struct vg_store vg_store;

enum { VG_STORE_SCHEMA_VERSION = 9 };

/* Open (creating and migrating if needed). *out untouched on failure. */
vg_status vg_store_open(const char *path, vg_store **out, struct vg_err *err) VG_WUR;
/* Open read-only (no migration; fails on a missing or outdated file). */
vg_status vg_store_open_ro(const char *path, vg_store **out, struct vg_err *err) VG_WUR;
void vg_store_free(vg_store *st);  /* NULL is a no-op; rolls back an open transaction */

/* Schema version found on disk. */
int vg_store_schema_version(vg_store *st);

/* A number that changes whenever another connection (another process)
 * committed to the database since the last call (PRAGMA data_version). */
vg_status vg_store_data_version(vg_store *st, int64_t *out, struct vg_err *err) VG_WUR;

/* ---- Transactions ------------------------------------------------------- */
vg_status vg_store_begin(vg_store *st, struct vg_err *err) VG_WUR;
vg_status vg_store_commit(vg_store *st, struct vg_err *err) VG_WUR;  /* durable on return */
void vg_store_rollback(vg_store *st);

/* ---- Sensors ------------------------------------------------------------ */

/* Enrol a new sensor. VG_ERR_EXISTS if the id is taken. Its registry line
 * (vg_sensor_format) is stored with it for audit. */
vg_status vg_store_sensor_add(vg_store *st, const struct vg_sensor *s, int64_t now_ns,
                              struct vg_err *err) VG_WUR;
vg_status vg_store_sensor_get(vg_store *st, const char *id, struct vg_sensor *out,
                              struct vg_err *err) VG_WUR;
/* Set revoked_at (must not be revoked already: VG_ERR_EXISTS). */
vg_status vg_store_sensor_revoke(vg_store *st, const char *id, int64_t at_ns,
                                 struct vg_err *err) VG_WUR;
/* Calls fn for every sensor in id order; stops early if fn returns non-zero. */
vg_status vg_store_sensor_each(vg_store *st, int (*fn)(void *ctx, const struct vg_sensor *s),
                               void *ctx, struct vg_err *err) VG_WUR;
/* Persist the highest accepted seq (inside the caller's transaction). */
vg_status vg_store_sensor_set_last_seq(vg_store *st, const char *id, int64_t seq,
                                       struct vg_err *err) VG_WUR;

/* ---- Observations ------------------------------------------------------- */

struct vg_obs_row {
	int64_t id;               /* row id, assigned on insert */
	int64_t log_index;        /* position in the transparency log, -1 if none */
	const char *envelope;     /* the line exactly as received */
	size_t envelope_len;
	uint8_t payload_sha256[VG_SHA256_BYTES];
	int64_t received_ns;
	const struct vg_obs *obs; /* parsed payload */
	/* The sensor's registered position (fixed sensors). Observations whose
	 * payload has no position of its own (obs->has_bbox false) are stored
	 * at it but not put in the R*Tree; box queries find them through the
	 * sensors table instead. */
	bool has_reg_pos;
	double reg_lat_deg, reg_lon_deg;
};

/*
 * Insert one accepted observation (inside a transaction). The caller has
 * validated and authenticated it and checked seq. Fills row->id.
 * VG_ERR_EXISTS if (sensor, seq) is already stored.
 */
vg_status vg_store_obs_insert(vg_store *st, struct vg_obs_row *row, struct vg_err *err) VG_WUR;

/*
 * Look up the payload hash stored for (sensor, seq). VG_ERR_NOT_FOUND if
 * none. Used to tell a duplicate from a replay.
 */
vg_status vg_store_obs_hash(vg_store *st, const char *sensor, int64_t seq,
                            uint8_t out[VG_SHA256_BYTES], struct vg_err *err) VG_WUR;

/* Record a rejection (inside or outside a transaction). */
struct vg_rejection {
	int64_t received_ns;
	const char *source;       /* input name ("-" for stdin, file name, "http") */
	int64_t line;             /* 1-based line number, 0 if none */
	vg_status code;
	const char *message;
	const char *sensor;       /* NULL if not known */
	uint8_t line_sha256[VG_SHA256_BYTES];
};
vg_status vg_store_reject_insert(vg_store *st, const struct vg_rejection *r,
                                 struct vg_err *err) VG_WUR;

/* Query filter; zero-initialise, then set what you need. */
struct vg_obs_filter {
	bool has_time;            /* observed time interval overlaps [t0, t1] */
	int64_t t0_ns, t1_ns;
	bool has_bbox;            /* position box overlaps */
	double min_lat_deg, max_lat_deg, min_lon_deg, max_lon_deg;
	const char *sensor;       /* NULL: any */
	int kind;                 /* 0: any */
	int64_t after_id;         /* pagination: rows with id > after_id */
	int64_t limit;            /* 0: no limit */
};

/* A stored observation as returned by queries (pointers valid during the callback). */
struct vg_obs_stored {
	int64_t id, log_index;
	const char *sensor;
	int64_t seq;
	int kind;
	int64_t t_ns, t_end_ns, received_ns;
	bool has_pos;
	double min_lat_deg, max_lat_deg, min_lon_deg, max_lon_deg;
	const char *envelope;
	size_t envelope_len;
};

/* Calls fn for each matching row in id order; fn returns non-zero to stop. */
vg_status vg_store_obs_query(vg_store *st, const struct vg_obs_filter *f,
                             int (*fn)(void *ctx, const struct vg_obs_stored *o), void *ctx,
                             struct vg_err *err) VG_WUR;

/* Counts for summaries and tests. */
vg_status vg_store_count(vg_store *st, const char *table, int64_t *out, struct vg_err *err) VG_WUR;

/* Rejection counts per code: fn(code_name, count). */
vg_status vg_store_reject_counts(vg_store *st, int (*fn)(void *ctx, const char *code, int64_t n),
                                 void *ctx, struct vg_err *err) VG_WUR;

/* ---- Transparency-log entries -------------------------------------------
 * Every entry of the transparency log (src/ledger) is stored here first,
 * with its log index: observations (observations.log_index, the envelope
 * as the entry) and registry statements (registry_log). The store commits
 * before the ledger syncs, so after a crash the ledger is rebuilt forward
 * from here (vg_store_log_each from the ledger's durable size). */

/* One past the highest log index stored (0 if none). */
vg_status vg_store_log_next(vg_store *st, int64_t *next, struct vg_err *err) VG_WUR;
/* Calls fn for entries with index >= from, in index order; VG_ERR_CORRUPT
 * if an index is missing. */
vg_status vg_store_log_each(vg_store *st, int64_t from,
                            vg_status (*fn)(void *ctx, int64_t idx, const uint8_t *entry,
                                            size_t len, struct vg_err *err),
                            void *ctx, struct vg_err *err) VG_WUR;
/* Record a registry statement (op: "enrol", "revoke", "log-key") at idx. */
vg_status vg_store_registry_log_insert(vg_store *st, int64_t idx, const char *op,
                                       const char *sensor, int64_t at_ns, const uint8_t *entry,
                                       size_t len, struct vg_err *err) VG_WUR;
/* Whether a registry statement (op, sensor) is in the log. */
vg_status vg_store_registry_logged(vg_store *st, const char *op, const char *sensor, bool *has,
                                   struct vg_err *err) VG_WUR;
/* Observations stored without a log index (before a log was attached), in
 * row order; fn returns non-zero to stop. Collect ids, then set them. */
vg_status vg_store_obs_unlogged(vg_store *st, int (*fn)(void *ctx, int64_t id), void *ctx,
                                struct vg_err *err) VG_WUR;
vg_status vg_store_obs_set_log_index(vg_store *st, int64_t id, int64_t idx,
                                     struct vg_err *err) VG_WUR;

/* ---- Fused events (src/fusion; schema 3) ----------------------------------
 * The events of the last `vigil fuse`: each its deterministic record line
 * (vg_fusion_event_json) plus columns for queries. */
struct vg_event_row {
	int64_t seq;              /* 1, 2, ... in emission order (id e-%06lld) */
	const char *type;         /* launch, impact, explosion */
	int64_t t_ns;
	double lat_deg, lon_deg;
	double cep90_m;           /* 0: none */
	int64_t emitted_ns;
	const char *record;       /* the NDJSON line, no newline */
	size_t record_len;
};
/* Remove all events (inside the caller's transaction, before a re-fusion). */
vg_status vg_store_events_clear(vg_store *st, struct vg_err *err) VG_WUR;
vg_status vg_store_event_insert(vg_store *st, const struct vg_event_row *e, struct vg_err *err) VG_WUR;
struct vg_event_filter {
	bool has_time;            /* origin time in [t0, t1] */
	int64_t t0_ns, t1_ns;
	bool has_bbox;            /* position inside the box */
	double min_lat_deg, max_lat_deg, min_lon_deg, max_lon_deg;
	const char *type;         /* NULL: any */
};
/* Calls fn for each matching event in seq order (pointers valid during the
 * call); fn returns non-zero to stop. */
vg_status vg_store_event_query(vg_store *st, const struct vg_event_filter *f,
                               int (*fn)(void *ctx, const struct vg_event_row *e), void *ctx,
                               struct vg_err *err) VG_WUR;

/* ---- API tokens and witness cosignatures (src/server; schema 4) ----------
 * Bearer tokens of the HTTP API are stored as SHA-256(token) only; the
 * token itself is shown once at creation and never stored. */
struct vg_token_row {
	int64_t id;
	char member[VG_ID_MAX + 1];   /* coalition member the token speaks for */
	char role[16];                /* member, auditor, sensor */
	int64_t created_ns;
};
vg_status vg_store_token_add(vg_store *st, const uint8_t sha256[VG_SHA256_BYTES], const char *member,
                             const char *role, int64_t now_ns, int64_t *id, struct vg_err *err) VG_WUR;
/* The active (not revoked) token with this hash; VG_ERR_NOT_FOUND if none
 * (no message set: callers answer 401 without detail). */
vg_status vg_store_token_find(vg_store *st, const uint8_t sha256[VG_SHA256_BYTES],
                              struct vg_token_row *out, struct vg_err *err) VG_WUR;
/* Every token in id order, revoked_ns 0 if active; fn returns non-zero to stop. */
vg_status vg_store_token_each(vg_store *st, int (*fn)(void *ctx, const struct vg_token_row *t,
                                                      int64_t revoked_ns),
                              void *ctx, struct vg_err *err) VG_WUR;
/* VG_ERR_NOT_FOUND if no active token has this id. */
vg_status vg_store_token_revoke(vg_store *st, int64_t id, int64_t at_ns, struct vg_err *err) VG_WUR;

/* A verified witness cosignature of the log's checkpoint of `size`. */
struct vg_cosig_row {
	int64_t size;
	uint8_t root[VG_SHA256_BYTES];
	const char *witness;          /* key name */
	int64_t key_id;
	int64_t time_s;               /* cosignature/v1 timestamp */
	const char *line;             /* the signature line, with its newline */
	const char *checkpoint;       /* the log-signed checkpoint it cosigns */
	int64_t received_ns;
};
/* One per (size, witness, key id); a later timestamp replaces an earlier one. */
vg_status vg_store_cosig_insert(vg_store *st, const struct vg_cosig_row *c, struct vg_err *err) VG_WUR;
/* The cosignatures of the checkpoint of `size` (size < 0: the largest size
 * that has any), ordered by witness name. */
vg_status vg_store_cosig_each(vg_store *st, int64_t size,
                              int (*fn)(void *ctx, const struct vg_cosig_row *c), void *ctx,
                              struct vg_err *err) VG_WUR;

/* As vg_store_obs_query, restricted to the sensors named in sensors_json, a
 * JSON array of sensor ids (e.g. those releasable to one member; the HTTP
 * API filters in SQL so a page costs the same whatever the releasability);
 * NULL: no restriction. */
vg_status vg_store_obs_query_sensors(vg_store *st, const struct vg_obs_filter *f,
                                     const char *sensors_json,
                                     int (*fn)(void *ctx, const struct vg_obs_stored *o),
                                     void *ctx, struct vg_err *err) VG_WUR;

/* ---- External observations ---------------------------------------------------
 * Unsigned rows from outside feeds (NASA FIRMS thermal anomalies), kept out
 * of `observations` (signed, logged) in their own table with their feed and
 * a trust in [0, 1]. (feed, row_sha256) is unique: re-importing a file adds
 * nothing. */
struct vg_ext_obs {
	int64_t id;                   /* assigned on insert */
	const char *feed;             /* "firms" */
	const char *source;           /* file name */
	uint8_t row_sha256[VG_SHA256_BYTES];
	int kind;                     /* enum vg_obs_kind (VG_OBS_CHANGE) */
	int type;                     /* enum vg_change_type (VG_CHG_THERMAL) */
	int64_t t_ns;
	double lat_deg, lon_deg, sigma_m;
	double frp_mw;                /* NaN if none */
	const char *satellite, *instrument, *confidence; /* may be NULL */
	double trust;
	int64_t imported_ns;
	const char *row;              /* the source row as read */
};
/* Insert (inside or outside a transaction); *inserted false for a duplicate. */
vg_status vg_store_ext_insert(vg_store *st, const struct vg_ext_obs *x, bool *inserted,
                              struct vg_err *err) VG_WUR;
/* Rows with t in [t0, t1] in time order; fn returns non-zero to stop. */
vg_status vg_store_ext_query(vg_store *st, int64_t t0_ns, int64_t t1_ns,
                             int (*fn)(void *ctx, const struct vg_ext_obs *x), void *ctx,
                             struct vg_err *err) VG_WUR;

/* Every sensor with at least one stored observation of kind, logged or
 * not, in id order; fn returns non-zero to stop. No envelope is read. */
vg_status vg_store_kind_sensors(vg_store *st, int kind, int (*fn)(void *ctx, const char *sensor),
                                void *ctx, struct vg_err *err) VG_WUR;

/* (log index, sensor) of every logged observation of kind, in log order;
 * fn returns non-zero to stop. No envelope is read. */
vg_status vg_store_log_sensors(vg_store *st, int kind,
                               int (*fn)(void *ctx, int64_t log_index, const char *sensor),
                               void *ctx, struct vg_err *err) VG_WUR;

/* ---- Rule findings (src/rules, `vigil adjudicate`; schema 6) -------------------
 * The findings of the last adjudication: each its deterministic NDJSON line
 * (vg_finding_write_ndjson, no newline) plus columns for queries. */
struct vg_finding_row {
	int64_t seq;                  /* 1, 2, ... in output order (pagination key) */
	const char *id;               /* "f-" and 16 hex digits (rules.h) */
	const char *rule;             /* rule type name: no_fire, withdrawal, ... */
	const char *rule_id;
	const char *party;            /* "" or NULL: none (queries return "") */
	const char *grade;            /* possible, probable, confirmed */
	int64_t from_ns, until_ns;
	double lat_deg, lon_deg;
	const char *record;           /* the NDJSON line, no newline */
	size_t record_len;
};
/* Replace every stored finding by these, in one transaction (its own, or
 * the caller's if one is open), and count the run: the state counter
 * VG_FINDINGS_RUN (1 after the first run) tells a reader paging through
 * the findings that they were replaced (GET /v1/findings). */
#define VG_FINDINGS_RUN "findings_run"
vg_status vg_store_findings_replace(vg_store *st, const struct vg_finding_row *rows, size_t n,
                                    struct vg_err *err) VG_WUR;
struct vg_finding_filter {
	bool has_time;                /* [from, until] overlaps [t0, t1] */
	int64_t t0_ns, t1_ns;
	bool has_bbox;                /* position inside the box */
	double min_lat_deg, max_lat_deg, min_lon_deg, max_lon_deg;
	const char *rule;             /* NULL: any */
	const char *party;            /* NULL: any */
	const char *grade;            /* NULL: any */
	int64_t after_seq;            /* pagination: rows with seq > after_seq */
	int64_t limit;                /* 0: no limit */
};
/* Calls fn for each matching finding in seq order (pointers valid during
 * the call); fn returns non-zero to stop. */
vg_status vg_store_finding_query(vg_store *st, const struct vg_finding_filter *f,
                                 int (*fn)(void *ctx, const struct vg_finding_row *r), void *ctx,
                                 struct vg_err *err) VG_WUR;

/* ---- Publications (schema 7) -------------------------------------------------
 * Every fused event and rule finding ever published, once per distinct
 * record line (kind + SHA-256 of the line), with the log statement that
 * put it in the transparency log (src/ingest/journal.h). A row made by a
 * process that did not hold the log has log_index -1 until the holder
 * adopts it. Ids only grow (AUTOINCREMENT): the alert stream follows them. */
struct vg_pub_row {
	int64_t id;
	const char *kind;             /* "event" or "finding" */
	uint8_t sha256[VG_SHA256_BYTES];
	int64_t published_ns;
	const char *record;           /* the record line, no newline */
	size_t record_len;
	int64_t log_index;            /* -1: not yet in the log */
};
/* Insert unless (kind, sha256) is there already (*inserted false). entry
 * NULL: not yet logged (log_index ignored). */
vg_status vg_store_pub_insert(vg_store *st, const char *kind, const uint8_t sha256[VG_SHA256_BYTES],
                              const char *record, size_t len, int64_t now_ns, int64_t log_index,
                              const uint8_t *entry, size_t entry_len, bool *inserted,
                              struct vg_err *err) VG_WUR;
vg_status vg_store_pub_exists(vg_store *st, const char *kind, const uint8_t sha256[VG_SHA256_BYTES],
                              bool *has, struct vg_err *err) VG_WUR;
/* Named counters kept across restarts (schema 9), e.g. "live_obs_id". */
vg_status vg_store_state_get(vg_store *st, const char *key, int64_t *value, bool *found,
                             struct vg_err *err) VG_WUR;
vg_status vg_store_state_set(vg_store *st, const char *key, int64_t value,
                             struct vg_err *err) VG_WUR;
/* Whether log_index is the index of a stored (logged) observation. */
vg_status vg_store_obs_logged_at(vg_store *st, int64_t log_index, bool *is_obs,
                                 struct vg_err *err) VG_WUR;
/* The largest publication id (0: none yet). */
vg_status vg_store_pub_last_id(vg_store *st, int64_t *out, struct vg_err *err) VG_WUR;
/* Give an unlogged publication its log index and statement. */
vg_status vg_store_pub_set_logged(vg_store *st, int64_t id, int64_t log_index, const uint8_t *entry,
                                  size_t len, struct vg_err *err) VG_WUR;
/* Publications with id > after_id in id order (only the unlogged ones if
 * asked), at most limit (0: all); fn returns non-zero to stop. */
vg_status vg_store_pub_each(vg_store *st, int64_t after_id, bool unlogged_only, int64_t limit,
                            int (*fn)(void *ctx, const struct vg_pub_row *p), void *ctx,
                            struct vg_err *err) VG_WUR;

#endif

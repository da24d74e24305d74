/*
 * server.h - Vigil's HTTP API (libmicrohttpd): docs/api.md is the user's
 * description, this header the programmer's contract.
 *
 * What it owns. A running server (vg_server_start .. vg_server_stop) owns:
 *  - an MHD daemon: a pool of `threads` event-loop threads (epoll), at most
 *    `max_connections` connections (more are refused at accept), idle
 *    connections closed after `timeout_s`;
 *  - one writer thread, the only one that writes to the store and the
 *    transparency log: POST /v1/observations bodies are queued (bounded by
 *    queue_max_bytes; 503 beyond) and handed, many requests at a time, to
 *    vg_ingest_buffer with the journal (group commit across requests). A
 *    request is answered only after the batch holding its lines is durable
 *    in the store and the log published a checkpoint covering it; until
 *    then its connection is suspended, not blocking an event-loop thread;
 *  - read-only SQLite handles (one per concurrent reader, pooled) and
 *    read-only ledger handles opened per proof request;
 *  - the alert feed (Server-Sent Events) and the metrics counters.
 * It borrows the caller's writable store and journal (opened together by
 * vg_cli_open_logged) and uses them only from the writer thread; the caller
 * frees them after vg_server_stop.
 *
 * Access. Every route but /healthz and the web map's files (/, /static/)
 * needs "Authorization: Bearer <token>";
 * tokens are made by `vigil token create` and stored as SHA-256 only. A
 * token speaks for one coalition member with one role (enum vg_role).
 * Looked-up tokens are cached for 10 s (a revocation takes effect within
 * 10 s). Each token has a token-bucket rate limit (429 beyond it).
 *
 * Thread safety: vg_server_start/stop from one thread (the CLI's main);
 * everything else is internal.
 */
#ifndef VG_SERVER_H
#define VG_SERVER_H

#include "core/core.h"
#include "ingest/journal.h"
#include "store/store.h"

#include <stdint.h>

/* Roles (stored by name in api_tokens.role). */
enum vg_role {
	VG_ROLE_MEMBER = 1,  /* reads raw data releasable to its member, all derived data; posts */
	VG_ROLE_AUDITOR = 2, /* reads everything (all raw data, entry bundles); writes nothing */
	VG_ROLE_SENSOR = 3,  /* a sensor integrator's gateway: posts observations, reads the log */
};
/* -1 for an unknown name. */
int vg_server_role_parse(const char *name);
const char *vg_server_role_name(int role);

/* Tokens: "vgt_" and 64 lowercase hex digits (256 random bits). */
#define VG_SERVER_TOKEN_LEN 68
/* Fill out (VG_SERVER_TOKEN_LEN + 1 bytes) with a fresh random token. */
void vg_server_token_generate(char out[VG_SERVER_TOKEN_LEN + 1]);
/* true iff s has the token shape (checked before any lookup). */
bool vg_server_token_valid(const char *s, size_t len);

/*
 * Tile paths under /v1/log/ (C2SP tlog-tiles): "tile/<L>/<N>[.p/<W>]" or
 * "tile/entries/<N>[.p/<W>]" in canonical form only (what vg_tile_path
 * writes: 0 <= L <= 63 without leading zeros, N in x-prefixed 3-digit
 * groups, 1 <= W <= 255). Anything else (.., //, %00, a leading zero, a
 * symlink name) is refused; the validated path never leaves the log
 * directory. *level gets VG_TILE_ENTRIES for entry bundles.
 */
bool vg_server_tile_path_valid(const char *path, size_t len, int *level);

/*
 * Web map paths under /static/ (api_static.c): 1..VG_STATIC_PATH_MAX bytes
 * of [A-Za-z0-9._/-], '/'-separated segments none empty nor starting with
 * '.', ending in a served extension (.html .js .mjs .css .json .map .png
 * .svg .ico .txt). Files are then opened segment by segment without
 * following symlinks.
 */
#define VG_STATIC_PATH_MAX 256
bool vg_server_static_path_valid(const char *path, size_t len);

struct vg_server_opts {
	const char *db_path;        /* the store; its log is DB.log/ (journal.h) */
	const char *host;           /* numeric IPv4 address to bind; NULL: 127.0.0.1 */
	uint16_t port;              /* 0: any free port (see vg_server_port) */
	unsigned threads;           /* event-loop threads; 0: 4 */
	unsigned max_connections;   /* 0: 1024 */
	unsigned timeout_s;         /* idle connection timeout; 0: 30 */
	size_t max_body;            /* request body cap (413 beyond); 0: 8 MiB */
	double rate_per_s;          /* per-token requests/s; 0: 100; < 0: unlimited */
	double burst;               /* bucket size; 0: 2 * rate */
	size_t queue_max_bytes;     /* POST bytes queued for the writer; 0: 64 MiB */
	/* Witness verifier keys ("<name>+<id>+<b64>", type 0x04) whose
	 * cosignatures POST /v1/log/cosignature accepts. */
	const char *const *witness_keys;
	size_t n_witness_keys;
	/* Serve entry bundles (raw observations of every sensor) to members
	 * too, not only auditors: for coalitions where all raw data is
	 * releasable to all. */
	bool public_entries;
	/* The web map (docs/map.md): files served at / and /static/ from this
	 * directory, without a token. NULL or missing: / answers 404 saying so.
	 * Borrowed during vg_server_start only. */
	const char *web_dir;
	/* The agreement served at GET /v1/agreement: a document's bytes,
	 * validated by the caller; copied by vg_server_start. NULL: 404. */
	const char *agreement;
	size_t agreement_len;
	/* Live fusion (live.c): fuse observations as they are stored, publish
	 * each event (and, with an agreement, its no_fire findings) and alert. */
	bool live;
	double live_flush_s;        /* > 0: after this much quiet, flush the stream */
	/* TAK endpoints (src/tak, docs/tak.md) every new publication is sent
	 * to as Cursor-on-Target, from the writer thread. */
	const struct vg_tak_endpoint *tak;
	size_t n_tak;
};

struct vg_tak_endpoint;
typedef struct vg_server vg_server;

/* Start serving. st and j are borrowed until vg_server_stop. *out untouched
 * on failure (VG_ERR_IO: cannot bind; VG_ERR_KEY: a bad witness key). */
vg_status vg_server_start(const struct vg_server_opts *opts, vg_store *st, struct vg_journal *j,
                          vg_server **out, struct vg_err *err) VG_WUR;
/* The bound TCP port. */
uint16_t vg_server_port(const vg_server *srv);
/* Stop accepting, answer every queued POST (its batch is finished), end
 * the alert streams, stop the daemon and free everything. NULL: no-op. */
void vg_server_stop(vg_server *srv);

#endif

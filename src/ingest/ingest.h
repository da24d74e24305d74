/*
 * ingest.h - from NDJSON lines of signed envelopes to durable, acknowledged
 * observations.
 *
 * Per item, in order: decode + validate (codec), authenticate (known sensor,
 * not revoked at receipt, observed time inside the sensor's validity window,
 * strict Ed25519 signature over the DSSE PAE), then - in input order -
 * replay protection (seq strictly above the last accepted for the sensor;
 * an item whose (sensor, seq) is stored with the same payload is a
 * duplicate, with a different payload a replay), then store.
 *
 * Decoding and signature verification run on `threads` threads; the
 * sequential checks and the database writes run on one writer thread, one
 * transaction per batch (group commit: one fsync per batch). A batch's
 * results are reported only after its transaction committed, so a reported
 * acceptance is durable. A crash mid-batch loses the whole uncommitted batch
 * and nothing else; re-running the same input then accepts exactly the
 * items that were not acknowledged (the rest are duplicates).
 *
 * Rejected items are recorded in the rejections table (code, message,
 * line, sensor, SHA-256 of the raw line) and never touch observations.
 *
 * Memory is bounded by 2 batches in flight: batch_items lines or
 * batch_bytes bytes, whichever comes first, plus per-thread arenas.
 */
#ifndef VG_INGEST_H
#define VG_INGEST_H

#include "ingest/journal.h"
#include "store/store.h"

#include <stdio.h>

/* Outcome of one item, as reported to the result callback. */
struct vg_ingest_result {
	int64_t line;           /* 1-based input line */
	vg_status status;       /* VG_OK accepted, VG_ERR_DUPLICATE, or the rejection */
	const char *message;    /* for rejections: names the member and the value */
	const char *sensor;     /* may be NULL */
	int64_t seq;            /* -1 if unknown */
	int64_t obs_id;         /* accepted: row id; else -1 */
	int64_t log_index;      /* accepted: transparency-log index, -1 if none */
};

struct vg_ingest_stats {
	int64_t lines;
	int64_t accepted;
	int64_t duplicates;
	int64_t rejected;
	int64_t by_status[VG_STATUS_COUNT_]; /* rejections per reason */
	int64_t bytes;
	int64_t batches;
	int64_t elapsed_ns;
};

struct vg_ingest_opts {
	int threads;             /* decode/verify threads; 0: number of online CPUs */
	size_t batch_items;      /* 0: 4096 */
	size_t batch_bytes;      /* 0: 16 MiB */
	const char *source;      /* name recorded with rejections; NULL: "-" */
	/* Called from the writer thread for every item after its batch is durable. */
	void (*on_result)(void *ctx, const struct vg_ingest_result *r);
	/* Called from the writer thread after each durable batch (progress). */
	void (*on_progress)(void *ctx, const struct vg_ingest_stats *s, int64_t bytes_read);
	void *ctx;
	int64_t now_ns;          /* receipt time to record; 0: the wall clock per batch */
	/* The store's transparency log (journal.h), or NULL for none. With a
	 * journal, each accepted observation gets the next log index in the
	 * batch's transaction, and results are reported only after the log
	 * has synced the batch and published a checkpoint covering it. */
	struct vg_journal *journal;
};

/*
 * Ingest every line of `in` into the store. The file descriptor under `in`
 * is read directly (nothing may have been read through the FILE before). A
 * batch closes at batch_items lines, batch_bytes bytes, 500 ms after its
 * first line, or as soon as no more input is waiting, so a slow producer (a
 * pipe, a socket) gets each line acknowledged within one commit of writing
 * it, and a steady stream gets a new checkpoint at least twice a second. Returns VG_OK when the input was
 * read to the end (rejections are not errors: see stats); a fatal error
 * (I/O, database) stops the run: batches already reported stay durable.
 */
vg_status vg_ingest_stream(vg_store *st, FILE *in, const struct vg_ingest_opts *opts,
                           struct vg_ingest_stats *stats, struct vg_err *err) VG_WUR;

/*
 * Ingest an in-memory buffer of NDJSON (lines separated by '\n'), same
 * semantics; used by the HTTP API and tests.
 */
vg_status vg_ingest_buffer(vg_store *st, const char *buf, size_t len,
                           const struct vg_ingest_opts *opts, struct vg_ingest_stats *stats,
                           struct vg_err *err) VG_WUR;

#endif

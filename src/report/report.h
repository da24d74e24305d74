/*
 * report.h - reports made from the store: the daily report (docs/report.md),
 * a self-contained HTML page in the manner of the OSCE Special Monitoring
 * Mission's daily reports: a map of the day, charts, tables of ceasefire
 * violations by category and by area, weapons seen in violation of
 * withdrawal lines, the unobserved share of every zone, and the log
 * checkpoint the page is anchored to, with how to verify it.
 *
 * Self-contained: inline CSS and inline SVG only; no script, no link, no
 * image, no font, no URL of any kind is referenced, and the page carries a
 * Content-Security-Policy that forbids loading anything. It opens offline
 * and tells no server that it was opened.
 *
 * Deterministic: the bytes depend only on the store's events, findings and
 * coverage observations, the day, the agreement and the checkpoint given
 * (and the optional "generated at" time). No clock is read; coordinates are
 * rounded to 0.1 px; every list has a fixed order.
 *
 * Ownership: the caller owns the store, the agreement text and the
 * checkpoint; vg_report_daily returns a malloc'd buffer the caller frees.
 * Thread safety: no global state; one store handle per call.
 */
#ifndef VG_REPORT_H
#define VG_REPORT_H

#include "core/core.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <stdio.h>

/* The largest page made (VG_ERR_LIMIT beyond), and the most items of one
 * kind (findings, events, coverage footprints) a day may hold. */
#define VG_REPORT_MAX_BYTES ((size_t)64 << 20)
#define VG_REPORT_MAX_ITEMS 1000000u

#define VG_NS_PER_DAY (INT64_C(86400) * VG_NS_PER_S)

/*
 * Parse a day "YYYY-MM-DD" (exactly ten characters, a real calendar day,
 * UTC) into the time of its first instant. The day before and the day
 * after must lie inside int64 ns too (days 1677-09-23 .. 2262-04-09).
 * VG_ERR_TIME with a message naming `date` and the value otherwise. s need
 * not be NUL-terminated.
 */
vg_status vg_report_date_parse(const char *s, size_t len, int64_t *day_ns, struct vg_err *err) VG_WUR;

struct vg_report_daily_opts {
	int64_t day_ns;               /* first instant of the day (vg_report_date_parse) */
	/* The agreement (GeoJSON text, docs/agreement-format.md), validated
	 * here with vg_agreement_parse; NULL: none (areas are a 0.25 degree
	 * grid, the map has no lines). */
	const char *agreement;
	size_t agreement_len;
	/* The store's log checkpoint (a signed note as DB.log/checkpoint holds
	 * it); NULL: the page says it is not anchored. */
	const char *checkpoint;
	size_t checkpoint_len;
	/* The log's key: if given, the checkpoint must carry its valid
	 * signature (VG_ERR_SIGNATURE / VG_ERR_INCONSISTENT otherwise). The
	 * page is the same whether or not it was checked here. */
	const struct vg_note_verifier *log_key;
	bool has_generated;           /* print "generated at" (never read from a clock) */
	int64_t generated_ns;
	size_t max_bytes;             /* 0: VG_REPORT_MAX_BYTES */
};

/*
 * Make the daily report of day o->day_ns from st. *out (malloc'd, NUL
 * terminated, *len bytes without the NUL) on success; untouched on
 * failure. Errors: VG_ERR_STORE (queries), a status of vg_agreement_parse
 * with "agreement: " and its message, VG_ERR_VERSION / VG_ERR_SIGNATURE /
 * VG_ERR_INCONSISTENT for a checkpoint that does not parse or verify
 * ("checkpoint: ..."), VG_ERR_LIMIT past max_bytes or VG_REPORT_MAX_ITEMS,
 * VG_ERR_NOMEM.
 */
vg_status vg_report_daily(vg_store *st, const struct vg_report_daily_opts *o, char **out,
                          size_t *len, struct vg_err *err) VG_WUR;

/* The same, written to f (VG_ERR_IO if the write fails). */
vg_status vg_report_daily_write(vg_store *st, const struct vg_report_daily_opts *o, FILE *f,
                                struct vg_err *err) VG_WUR;

#endif

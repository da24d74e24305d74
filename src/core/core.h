/*
 * core.h - the contract of Vigil's core: status codes, error messages,
 * time, logging and a capped arena.
 *
 * Everything else in Vigil depends on this header and on nothing above it.
 *
 * Conventions that hold for every module:
 *  - Functions that can fail return `vg_status` (VG_OK == 0) and deliver
 *    results through out-parameters, which are left untouched on failure.
 *  - Failures caused by input from outside carry a human message in a
 *    `struct vg_err` that names the place, the field and the value, e.g.
 *    "impulse.sigma_s = -0.2: must be > 0". Callers prefix the place
 *    (file and line) with vg_err_prefix().
 *  - Only broken internal invariants abort (vg_assert).
 *  - No module below cli/ and server/ keeps mutable global state, except
 *    the process-wide log level, which only cli/ sets.
 *
 * Times are int64 nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap
 * seconds), the representable range being 1677-09-21 .. 2262-04-11.
 */
#ifndef VG_CORE_H
#define VG_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_WUR __attribute__((warn_unused_result))
#define VG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/*
 * Status codes. Values are part of the on-disk format (the rejections
 * table stores them) and are never renumbered: append only.
 * vg_status_name() gives a stable snake_case code, vg_strerror() a sentence.
 */
typedef enum vg_status {
	VG_OK = 0,
	VG_ERR_NOMEM = 1,          /* allocation failed or arena cap reached */
	VG_ERR_IO = 2,             /* read/write/fsync failed */
	VG_ERR_INVALID_ARG = 3,    /* caller broke a documented precondition */
	VG_ERR_STORE = 4,          /* database error */
	VG_ERR_NOT_FOUND = 5,
	VG_ERR_EXISTS = 6,
	VG_ERR_EMPTY_LINE = 7,     /* input line is empty */
	VG_ERR_LINE_TOO_LONG = 8,  /* input line over the 64 KiB cap */
	VG_ERR_UTF8 = 9,           /* invalid UTF-8 */
	VG_ERR_JSON = 10,          /* not JSON / syntax error / too deep */
	VG_ERR_NUMBER = 11,        /* number not representable (1e999, -0, ...) */
	VG_ERR_BASE64 = 12,        /* invalid (non-strict) base64 */
	VG_ERR_ENVELOPE = 13,      /* DSSE envelope malformed */
	VG_ERR_PAYLOAD_TYPE = 14,  /* DSSE payloadType not ours */
	VG_ERR_MISSING = 15,       /* required member missing */
	VG_ERR_UNKNOWN_MEMBER = 16,/* member not in the schema */
	VG_ERR_TYPE = 17,          /* member of the wrong JSON type */
	VG_ERR_RANGE = 18,         /* value out of its range */
	VG_ERR_TIME = 19,          /* malformed or impossible timestamp */
	VG_ERR_GEOMETRY = 20,      /* polygon not closed, invalid, too large */
	VG_ERR_CLASS = 21,         /* class name not in the documented list */
	VG_ERR_KEYID = 22,         /* signature keyid does not match sensor */
	VG_ERR_UNKNOWN_SENSOR = 23,
	VG_ERR_REVOKED = 24,       /* sensor revoked */
	VG_ERR_NOT_VALID = 25,     /* observation outside sensor validity window */
	VG_ERR_SIGNATURE = 26,     /* Ed25519 signature invalid */
	VG_ERR_REPLAY = 27,        /* seq not above the last accepted */
	VG_ERR_DUPLICATE = 28,     /* the same observation was already stored */
	VG_ERR_KEY = 29,           /* malformed / small-order / non-canonical key */
	VG_ERR_VERSION = 30,       /* unsupported format or schema version */
	VG_ERR_CORRUPT = 31,       /* stored data fails an integrity check */
	VG_ERR_INCONSISTENT = 32,  /* proofs / checkpoints do not agree */
	VG_ERR_LIMIT = 33,         /* a configured size or count limit */
	VG_ERR_INTERNAL = 34,
	VG_ERR_BUSY = 35,          /* held by another process (e.g. the log's lock) */
	VG_STATUS_COUNT_ = 36
} vg_status;

const char *vg_strerror(vg_status s);
const char *vg_status_name(vg_status s);

/* Human-readable error context. Fixed size: never allocates. */
#define VG_ERR_MSG_MAX 512
struct vg_err {
	vg_status status;
	char msg[VG_ERR_MSG_MAX];
};

/* Clear an error (status VG_OK, empty message). err may be NULL. */
void vg_err_clear(struct vg_err *err);
/* Record status and a formatted message; returns status for `return vg_err_set(...)`.
 * err may be NULL (the message is dropped). */
vg_status vg_err_set(struct vg_err *err, vg_status s, const char *fmt, ...) VG_PRINTF(3, 4);
/* Prepend "<formatted>: " to the message (truncating if needed). */
void vg_err_prefix(struct vg_err *err, const char *fmt, ...) VG_PRINTF(2, 3);

#define vg_assert(cond)                                                         \
	do {                                                                    \
		if (!(cond))                                                    \
			vg_abort_invariant(__FILE__, __LINE__, #cond);          \
	} while (0)
_Noreturn void vg_abort_invariant(const char *file, int line, const char *what);

/* ---- Time ---------------------------------------------------------------- */

#define VG_NS_PER_S INT64_C(1000000000)
/* Longest output of vg_time_format, with NUL: "2026-03-01T04:12:33.123456789Z". */
#define VG_TIME_STR_MAX 32

/*
 * Parse an RFC 3339 date-time ("2026-03-01T04:12:33.123Z",
 * "2026-03-01T06:12:33+02:00"): 'T' (or 't') separator, 1..9 fraction
 * digits, 'Z'/'z' or +hh:mm/-hh:mm offset. Rejects impossible dates
 * (Feb 30, month 13), hour 24, minute 60, second 60 (leap seconds cannot
 * be represented), offsets beyond +-23:59, trailing bytes, and instants
 * outside int64 ns. `s` need not be NUL-terminated.
 */
vg_status vg_time_parse(const char *s, size_t len, int64_t *t_ns, struct vg_err *err) VG_WUR;

/* Format as UTC with 'Z', the fraction trimmed of trailing zeros (none if
 * zero): the one canonical form. buf must hold VG_TIME_STR_MAX bytes. */
void vg_time_format(int64_t t_ns, char buf[VG_TIME_STR_MAX]);

/* Wall-clock now (CLOCK_REALTIME) and a monotonic clock, both in ns. */
int64_t vg_time_now_ns(void);
int64_t vg_time_mono_ns(void);

/* Days from civil date (proleptic Gregorian), exposed for tests. */
int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d);

/* ---- Logging ------------------------------------------------------------- */

enum vg_log_level { VG_LOG_ERROR = 0, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG };

/* Process-wide level; only cli/ and server/ set it. Default: VG_LOG_WARN. */
void vg_log_set_level(enum vg_log_level lvl);
enum vg_log_level vg_log_get_level(void);
/* Write "vigil: <level>: <message>\n" to stderr if lvl <= the level. Thread-safe. */
void vg_log(enum vg_log_level lvl, const char *fmt, ...) VG_PRINTF(2, 3);

/* ---- Arena --------------------------------------------------------------- */

/*
 * A bump allocator with a hard cap on the bytes it may hold. Allocations are
 * 16-byte aligned and freed all at once by vg_arena_reset/_release. Once the
 * cap would be exceeded, vg_arena_alloc returns NULL (and keeps doing so
 * until reset). Not thread-safe: one arena per thread or per request.
 */
struct vg_arena_chunk;
struct vg_arena {
	struct vg_arena_chunk *first; /* chunks in allocation order */
	struct vg_arena_chunk *head;  /* chunk being filled; later ones are spares */
	size_t cap;                  /* hard cap on bytes reserved from malloc */
	size_t reserved;             /* bytes reserved so far */
	size_t used;                 /* bytes handed out since the last reset */
};

/* No allocation; cap_bytes > 0. */
void vg_arena_init(struct vg_arena *a, size_t cap_bytes);
void *vg_arena_alloc(struct vg_arena *a, size_t n);
/* Copy n bytes and append a NUL. */
char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n);
/* Forget all allocations, keeping the memory for reuse (bounded by the cap). */
void vg_arena_reset(struct vg_arena *a);
/* Free everything; the arena may be reused after vg_arena_init. */
void vg_arena_release(struct vg_arena *a);

/* ---- Capped text buffer (buf.c) ------------------------------------------
 * A growable NUL-terminated buffer with a size cap: an append that would
 * pass max sets overflow, an allocation failure sets nomem; either way the
 * content so far is kept and later appends are ignored (the caller checks
 * vg_buf_failed once at the end). The HTTP API's responses and the daily
 * report are built in it. */
struct vg_buf {
	char *p;
	size_t len, cap, max;
	bool overflow;
	bool nomem;
};
void vg_buf_init(struct vg_buf *b, size_t max);
void vg_buf_release(struct vg_buf *b);  /* frees; the buffer is empty and reusable */
/* Transfer the bytes to the caller (free(); never NULL but on nomem); the buffer is reset. */
char *vg_buf_detach(struct vg_buf *b, size_t *len);
bool vg_buf_add(struct vg_buf *b, const char *s, size_t n);
bool vg_buf_str(struct vg_buf *b, const char *s);
bool vg_buf_printf(struct vg_buf *b, const char *fmt, ...) VG_PRINTF(2, 3);
static inline bool vg_buf_failed(const struct vg_buf *b) { return b->overflow || b->nomem; }

/* ---- Small helpers ------------------------------------------------------- */

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF).
 * On failure *bad_off is the offset of the first bad byte. */
bool vg_utf8_valid(const char *s, size_t len, size_t *bad_off);

/* Lowercase hex of n bytes into out (2n+1 bytes with NUL). */
void vg_hex_encode(const uint8_t *in, size_t n, char *out);
/* A plain decimal number, the whole string: [+-]digits[.digits][e[+-]digits]
 * (xs:decimal/xs:double, FIRMS CSV), finite; no hex, inf, nan, spaces. */
bool vg_decimal_parse(const char *s, double *out);
/* Exactly 2n hex digits (either case) into n bytes. */
vg_status vg_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n) VG_WUR;

/* Quote s for an error message: printable ASCII kept, the rest escaped,
 * truncated with "..." past max_out-1 bytes. */
void vg_quote(const char *s, size_t len, char *out, size_t max_out);

#endif

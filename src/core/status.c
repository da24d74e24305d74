/* status.c - status codes, error context, invariant aborts. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
} status_table[VG_STATUS_COUNT_] = {
	[VG_OK] = {"ok", "success"},
	[VG_ERR_NOMEM] = {"nomem", "out of memory or over a size cap"},
	[VG_ERR_IO] = {"io", "input/output error"},
	[VG_ERR_INVALID_ARG] = {"invalid_arg", "invalid argument"},
	[VG_ERR_STORE] = {"store", "database error"},
	[VG_ERR_NOT_FOUND] = {"not_found", "not found"},
	[VG_ERR_EXISTS] = {"exists", "already exists"},
	[VG_ERR_EMPTY_LINE] = {"empty_line", "empty line"},
	[VG_ERR_LINE_TOO_LONG] = {"line_too_long", "line longer than the 64 KiB cap"},
	[VG_ERR_UTF8] = {"utf8", "invalid UTF-8"},
	[VG_ERR_JSON] = {"json", "malformed JSON"},
	[VG_ERR_NUMBER] = {"number", "number not accepted"},
	[VG_ERR_BASE64] = {"base64", "invalid base64"},
	[VG_ERR_ENVELOPE] = {"envelope", "malformed DSSE envelope"},
	[VG_ERR_PAYLOAD_TYPE] = {"payload_type", "unexpected DSSE payloadType"},
	[VG_ERR_MISSING] = {"missing_member", "required member missing"},
	[VG_ERR_UNKNOWN_MEMBER] = {"unknown_member", "unknown member"},
	[VG_ERR_TYPE] = {"wrong_type", "member of the wrong type"},
	[VG_ERR_RANGE] = {"out_of_range", "value out of range"},
	[VG_ERR_TIME] = {"bad_time", "malformed or impossible timestamp"},
	[VG_ERR_GEOMETRY] = {"bad_geometry", "invalid geometry"},
	[VG_ERR_CLASS] = {"unknown_class", "class name not in the documented list"},
	[VG_ERR_KEYID] = {"keyid_mismatch", "signature keyid does not name the sensor"},
	[VG_ERR_UNKNOWN_SENSOR] = {"unknown_sensor", "sensor not registered"},
	[VG_ERR_REVOKED] = {"revoked_sensor", "sensor revoked"},
	[VG_ERR_NOT_VALID] = {"sensor_not_valid", "outside the sensor's validity window"},
	[VG_ERR_SIGNATURE] = {"bad_signature", "signature verification failed"},
	[VG_ERR_REPLAY] = {"replayed_seq", "seq not above the last accepted for the sensor"},
	[VG_ERR_DUPLICATE] = {"duplicate", "observation already stored"},
	[VG_ERR_KEY] = {"bad_key", "malformed, small-order or non-canonical key"},
	[VG_ERR_VERSION] = {"version", "unsupported version"},
	[VG_ERR_CORRUPT] = {"corrupt", "stored data failed an integrity check"},
	[VG_ERR_INCONSISTENT] = {"inconsistent", "inconsistent proof or checkpoint"},
	[VG_ERR_LIMIT] = {"limit", "limit exceeded"},
	[VG_ERR_INTERNAL] = {"internal", "internal error"},
	[VG_ERR_BUSY] = {"busy", "held by another process"},
};

const char *vg_strerror(vg_status s)
{
	if ((unsigned)s >= VG_STATUS_COUNT_)
		return "unknown status";
	return status_table[s].text;
}

const char *vg_status_name(vg_status s)
{
	if ((unsigned)s >= VG_STATUS_COUNT_)
		return "unknown";
	return status_table[s].name;
}

void vg_err_clear(struct vg_err *err)
{
	if (!err)
		return;
	err->status = VG_OK;
	err->msg[0] = '\0';
}

vg_status vg_err_set(struct vg_err *err, vg_status s, const char *fmt, ...)
{
	if (!err)
		return s;
	err->status = s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return s;
}

void vg_err_prefix(struct vg_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char pre[VG_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Build "<pre>: <msg>" truncated to the buffer, without snprintf of
	 * two unbounded strings. */
	char tmp[VG_ERR_MSG_MAX];
	size_t pl = strnlen(pre, sizeof tmp - 1), ml = strnlen(err->msg, sizeof err->msg);
	size_t o = 0;
	memcpy(tmp, pre, pl);
	o = pl;
	if (o + 2 < sizeof tmp) {
		memcpy(tmp + o, ": ", 2);
		o += 2;
	}
	size_t room = sizeof tmp - 1 - o;
	if (ml > room)
		ml = room;
	memcpy(tmp + o, err->msg, ml);
	o += ml;
	tmp[o] = '\0';
	memcpy(err->msg, tmp, o + 1);
}

_Noreturn void vg_abort_invariant(const char *file, int line, const char *what)
{
	fprintf(stderr, "vigil: internal invariant broken at %s:%d: %s\n", file, line, what);
	abort();
}

/*
 * api_report.c - GET /v1/reports/daily?date=YYYY-MM-DD: the daily report
 * (src/report/report.h, docs/report.md) as one self-contained HTML page.
 *
 * Made from a read handle of the store, anchored to the log's published
 * checkpoint (DB.log/checkpoint, read as GET /v1/log/checkpoint serves it
 * and checked against the log's key), with the agreement given to `vigil
 * serve --agreement` if any: the same inputs `vigil report daily` takes,
 * so the two give the same bytes. Members and auditors may read it (it
 * holds derived data only: findings, events, coverage shares). The page
 * loads nothing; the response also carries a Content-Security-Policy that
 * forbids it to.
 */
#include "report/report.h"
#include "server_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The published checkpoint, as stored (NULL if unreadable). */
static char *read_checkpoint(struct vg_server *s, size_t *len)
{
	int fd = openat(s->log_dirfd, "checkpoint", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(VG_NOTE_MAX + 1);
	size_t n = 0;
	ssize_t r;
	while (buf && n < VG_NOTE_MAX + 1 && (r = read(fd, buf + n, VG_NOTE_MAX + 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (!buf || n == 0 || n > VG_NOTE_MAX) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

enum MHD_Result api_report_daily(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {"date", NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	const char *v = srv_param(c, "date");
	struct vg_report_daily_opts o = {0};
	struct vg_err err;
	if (!v || vg_report_date_parse(v, strlen(v), &o.day_ns, &err) != VG_OK)
		return srv_error(s, c, 400, "bad_parameter",
		                 "parameter date: want YYYY-MM-DD, a calendar day (UTC)");
	size_t cp_len = 0;
	char *cp = read_checkpoint(s, &cp_len);
	if (!cp)
		return srv_error(s, c, 503, "unavailable", NULL);
	o.checkpoint = cp;
	o.checkpoint_len = cp_len;
	o.log_key = &s->log_key;
	o.agreement = s->agreement;
	o.agreement_len = s->agreement_len;
	vg_store *st = srv_read_handle(s);
	if (!st) {
		free(cp);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	char *page = NULL;
	size_t len = 0;
	vg_status rc = vg_report_daily(st, &o, &page, &len, &err);
	srv_read_release(s, st);
	free(cp);
	if (rc != VG_OK) {
		vg_log(VG_LOG_ERROR, "serve: daily report: %s", err.msg);
		return srv_error(s, c, 500, "internal", NULL);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, page, free);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	atomic_fetch_add(&s->m.http[2], 1);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* cli_util.c - option parsing helpers shared by subcommands. */
#include "cli.h"
#include "ingest/journal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void vg_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool vg_cli_opt(int argc, char **argv, int *i, const char *opt, const char **val)
{
	const char *a = argv[*i];
	size_t ol = strlen(opt);
	if (strncmp(a, opt, ol) != 0)
		return false;
	if (!val)
		return a[ol] == '\0';
	if (a[ol] == '=') { /* --opt=value */
		*val = a + ol + 1;
		return true;
	}
	if (a[ol] != '\0')
		return false;
	if (*i + 1 >= argc) {
		fprintf(stderr, "vigil %s: option %s needs a value\n", argv[0], opt);
		*val = NULL;
		return true;
	}
	*val = argv[++*i];
	return true;
}

bool vg_cli_help_requested(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

bool vg_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool vg_cli_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

const char *vg_cli_default_db(void)
{
	const char *e = getenv("VIGIL_DB");
	return e && *e ? e : "vigil.db";
}

bool vg_cli_open_logged(const char *cmd, const char *db, struct vg_store **st,
                        struct vg_journal **j)
{
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_store_open(db, st, &err) != VG_OK) {
		vg_cli_error(cmd, "%s", err.msg);
		return false;
	}
	const char *origin = getenv("VIGIL_LOG_ORIGIN");
	if (vg_journal_open(*st, db, origin && *origin ? origin : NULL, j, &err) != VG_OK) {
		vg_cli_error(cmd, "transparency log: %s", err.msg);
		vg_store_free(*st);
		*st = NULL;
		return false;
	}
	return true;
}

bool vg_cli_store_exists(const char *cmd, const char *db)
{
	struct stat sb;
	if (stat(db, &sb) == 0)
		return true;
	vg_cli_error(cmd, "%s: no such store (enrol sensors first: vigil sensor add|import --db %s)",
	             db, db);
	return false;
}

struct pub_ctx {
	struct vg_journal *j;
	vg_store *st;
	const char *kind;
	int64_t now, n_new;
	vg_status s;
	struct vg_err *err;
};

static int pub_event(void *ctx, const struct vg_event_row *e)
{
	struct pub_ctx *c = ctx;
	bool added = false;
	c->s = vg_journal_stage_publication(c->j, c->st, "event", e->record, e->record_len, c->now,
	                                    &added, c->err);
	c->n_new += added;
	return c->s != VG_OK;
}

static int pub_finding(void *ctx, const struct vg_finding_row *f)
{
	struct pub_ctx *c = ctx;
	bool added = false;
	c->s = vg_journal_stage_publication(c->j, c->st, "finding", f->record, f->record_len, c->now,
	                                    &added, c->err);
	c->n_new += added;
	return c->s != VG_OK;
}

int vg_cli_publish(const char *cmd, const char *db, vg_store *st, const char *kind,
                   vg_status (*store)(void *ctx, vg_store *st, struct vg_err *err), void *store_ctx)
{
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_journal *j = NULL;
	const char *origin = getenv("VIGIL_LOG_ORIGIN");
	vg_status r = vg_journal_open(st, db, origin && *origin ? origin : NULL, &j, &err);
	bool deferred = r == VG_ERR_BUSY;
	if (r && !deferred) {
		vg_cli_error(cmd, "transparency log: %s", err.msg);
		return VG_EXIT_FATAL;
	}
	vg_err_clear(&err);
	struct pub_ctx c = {.j = j, .st = st, .kind = kind, .now = vg_time_now_ns(), .err = &err};
	int64_t next0 = j ? vg_journal_next(j) : 0;
	if ((r = vg_store_begin(st, &err)) == VG_OK) {
		if (store && (r = store(store_ctx, st, &err)))
			;
		else if (!strcmp(kind, "event")) {
			struct vg_event_filter f = {0};
			r = vg_store_event_query(st, &f, pub_event, &c, &err);
		} else {
			struct vg_finding_filter f = {0};
			r = vg_store_finding_query(st, &f, pub_finding, &c, &err);
		}
		if (!r)
			r = c.s;
		if (r)
			vg_store_rollback(st);
		else
			r = vg_store_commit(st, &err);
		if (r && j)
			vg_journal_unreserve(j, next0);
	}
	if (!r && j)
		r = vg_journal_catch_up(j, st, &err);
	if (r) {
		vg_cli_error(cmd, "%s%ss: %s", store ? "storing and publishing " : "publishing ", kind,
		             err.msg);
		vg_journal_free(j);
		/* a record resting on what is not this log's observation: refused */
		return r == VG_ERR_INCONSISTENT || r == VG_ERR_JSON || r == VG_ERR_TYPE ? VG_EXIT_REJECTED
		                                                                         : VG_EXIT_FATAL;
	}
	if (j)
		fprintf(stderr, "vigil %s: %lld new %ss published (log size %lld)\n", cmd,
		        (long long)c.n_new, kind, (long long)vg_journal_next(j));
	else
		fprintf(stderr,
		        "vigil %s: %lld new %ss published; the process holding the log (vigil serve or"
		        " an ingest) appends their statements\n",
		        cmd, (long long)c.n_new, kind);
	vg_journal_free(j);
	return VG_EXIT_OK;
}

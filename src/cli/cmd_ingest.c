/* cmd_ingest.c - `vigil ingest`: NDJSON envelopes into the store. */
#include "cli.h"
#include "ingest/ingest.h"
#include "ingest/journal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil ingest [FILE|-] [--db PATH] [--json] [--threads N] [--max-errors N]\n"
	        "                    [--batch N] [--no-progress]\n\n"
	        "Read NDJSON signed observation envelopes (docs/observation-format.md) from FILE\n"
	        "or stdin, validate, authenticate against the sensor registry and store them.\n"
	        "Each rejected line is reported on stderr as FILE:LINE: reason: message (the\n"
	        "first --max-errors, default 100; all are recorded in the rejections table).\n"
	        "A progress bar is shown when stderr is a terminal. The summary goes to stdout\n"
	        "(--json for a machine-readable one). Items are committed in batches of\n"
	        "--batch lines (default 4096; one fsync each); an item is acknowledged only\n"
	        "once its batch is durable. --threads defaults to the number of CPUs.\n\n"
	        "exit codes: 0 all accepted (or duplicates), 1 some rejected, 2 usage, 3 fatal\n\n"
	        "example:\n  vigil ingest observations.ndjson --db vigil.db\n");
}

struct ictx {
	const char *source;
	long max_errors;
	long shown;
	bool progress;
	int64_t total_bytes;     /* -1 if unknown */
	int64_t t0;
	int64_t last_draw;
	bool drew;
};

static void on_result(void *ctx, const struct vg_ingest_result *r)
{
	struct ictx *c = ctx;
	if (r->status == VG_OK || r->status == VG_ERR_DUPLICATE)
		return;
	if (c->shown < c->max_errors) {
		if (c->drew) {
			fputs("\r\033[K", stderr);
			c->drew = false;
		}
		fprintf(stderr, "%s:%lld: %s: %s\n", c->source, (long long)r->line,
		        vg_status_name(r->status), r->message ? r->message : "");
	} else if (c->shown == c->max_errors) {
		fprintf(stderr, "%s: further rejections not shown (see --max-errors; all are stored)\n",
		        c->source);
	}
	c->shown++;
}

static void on_progress(void *ctx, const struct vg_ingest_stats *s, int64_t bytes_read)
{
	struct ictx *c = ctx;
	if (!c->progress)
		return;
	int64_t now = vg_time_mono_ns();
	if (now - c->last_draw < 200000000 && c->drew)
		return;
	c->last_draw = now;
	double el = (double)(now - c->t0) / 1e9;
	double rate = el > 0 ? (double)s->lines / el : 0;
	char eta[32] = "";
	if (c->total_bytes > 0 && bytes_read > 0 && el > 0.5) {
		double left = (double)(c->total_bytes - bytes_read) / ((double)bytes_read / el);
		snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
	}
	char bar[32] = "";
	if (c->total_bytes > 0) {
		int w = 20, k = (int)((double)bytes_read / (double)c->total_bytes * w);
		bar[0] = '[';
		for (int i = 0; i < w; i++)
			bar[1 + i] = i < k ? '#' : '.';
		bar[w + 1] = ']';
		bar[w + 2] = ' ';
		bar[w + 3] = '\0';
	}
	fprintf(stderr, "\r\033[Kingest %s%lld items  %.0f/s  %lld rejected%s", bar,
	        (long long)s->lines, rate, (long long)s->rejected, eta);
	c->drew = true;
}

static void print_summary(const struct vg_ingest_stats *s, bool json, const char *source)
{
	double el = (double)s->elapsed_ns / 1e9;
	if (json) {
		json_t *by = json_object();
		for (int i = 0; i < VG_STATUS_COUNT_; i++)
			if (s->by_status[i])
				json_object_set_new(by, vg_status_name((vg_status)i),
				                    json_integer(s->by_status[i]));
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:f, s:f}", "source", source,
		                      "lines", (json_int_t)s->lines, "accepted", (json_int_t)s->accepted,
		                      "duplicates", (json_int_t)s->duplicates, "rejected",
		                      (json_int_t)s->rejected, "rejected_by_reason", by, "seconds", el,
		                      "per_second", el > 0 ? (double)s->lines / el : 0.0);
		char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (txt)
			printf("%s\n", txt);
		free(txt);
		json_decref(o);
		return;
	}
	printf("ingest %s: %lld lines: %lld accepted, %lld duplicates, %lld rejected (%.2f s, %.0f/s)\n",
	       source, (long long)s->lines, (long long)s->accepted, (long long)s->duplicates,
	       (long long)s->rejected, el, el > 0 ? (double)s->lines / el : 0);
	for (int i = 0; i < VG_STATUS_COUNT_; i++)
		if (s->by_status[i])
			printf("  rejected %-18s %lld\n", vg_status_name((vg_status)i),
			       (long long)s->by_status[i]);
}

int vg_cmd_ingest(int argc, char **argv)
{
	const char *db = vg_cli_default_db(), *path = NULL, *v;
	bool json = false, progress = true;
	int64_t threads = 0, max_errors = 100, batch = 0;
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				return VG_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--no-progress")) {
			progress = false;
		} else if (vg_cli_opt(argc, argv, &i, "--threads", &v)) {
			if (!vg_cli_parse_i64(v, 1, 64, &threads)) {
				vg_cli_error("ingest", "--threads %s: want 1..64", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--batch", &v)) {
			if (!vg_cli_parse_i64(v, 1, 1000000, &batch)) {
				vg_cli_error("ingest", "--batch %s: want 1..1000000", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--max-errors", &v)) {
			if (!vg_cli_parse_i64(v, 0, INT64_MAX, &max_errors)) {
				vg_cli_error("ingest", "--max-errors %s: want a count", v ? v : "");
				return VG_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			vg_cli_error("ingest", "unknown option '%s'", argv[i]);
			help(stderr);
			return VG_EXIT_USAGE;
		} else if (!path) {
			path = argv[i];
		} else {
			vg_cli_error("ingest", "one input file only");
			return VG_EXIT_USAGE;
		}
	}
	if (!path)
		path = "-";
	FILE *in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in) {
		vg_cli_error("ingest", "%s: %s", path, strerror(errno));
		return VG_EXIT_FATAL;
	}
	struct ictx c = {
		.source = path,
		.max_errors = max_errors,
		.progress = progress && isatty(STDERR_FILENO),
		.total_bytes = -1,
		.t0 = vg_time_mono_ns(),
	};
	struct stat sb;
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		c.total_bytes = sb.st_size;

	struct vg_err err;
	vg_err_clear(&err);
	vg_store *st;
	struct vg_journal *j;
	if (!vg_cli_store_exists("ingest", db) || !vg_cli_open_logged("ingest", db, &st, &j)) {
		if (in != stdin)
			fclose(in);
		return VG_EXIT_FATAL;
	}
	struct vg_ingest_opts o = {
		.threads = (int)threads,
		.batch_items = (size_t)batch,
		.source = path,
		.on_result = on_result,
		.on_progress = on_progress,
		.ctx = &c,
		.journal = j,
	};
	struct vg_ingest_stats s;
	vg_status r = vg_ingest_stream(st, in, &o, &s, &err);
	if (c.drew)
		fputs("\r\033[K", stderr);
	vg_journal_free(j);
	vg_store_free(st);
	if (in != stdin)
		fclose(in);
	print_summary(&s, json, path);
	if (r) {
		vg_cli_error("ingest", "%s (batches reported above are durable)", err.msg);
		return VG_EXIT_FATAL;
	}
	return s.rejected ? VG_EXIT_REJECTED : VG_EXIT_OK;
}

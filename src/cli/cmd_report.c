/* cmd_report.c - `vigil report daily`: the day's report as one
 * self-contained HTML page, anchored to the store's log checkpoint
 * (src/report/report.h, docs/report.md). */
#include "cli.h"
#include "ledger/ledger.h"
#include "report/report.h"
#include "rules/rules.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "report"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil report daily --db PATH --date YYYY-MM-DD [--agreement FILE]\n"
	        "                          [--out FILE] [--generated-at TIME]\n\n"
	        "The daily report of one UTC day, in the manner of the OSCE monitoring\n"
	        "mission's: a map, findings per hour by rule and by party, the previous day\n"
	        "for comparison, ceasefire violations by category and by area, weapons seen in\n"
	        "violation of withdrawal lines, the unobserved share of every zone, and the\n"
	        "log checkpoint it is anchored to with how to verify it (docs/report.md).\n"
	        "One HTML page with inline CSS and SVG: it loads nothing from anywhere.\n\n"
	        "  --date D          the day (UTC), e.g. 2026-03-01\n"
	        "  --agreement FILE  draw its lines and zones, count by its sides and zones\n"
	        "                    (without it: a 0.25 degree grid)\n"
	        "  --out FILE        write there instead of standard output\n"
	        "  --generated-at T  print this time (RFC 3339) as the time of making; without\n"
	        "                    it the page has none, so the same store, day, agreement\n"
	        "                    and checkpoint always give the same bytes\n\n"
	        "The checkpoint is the store's log's (PATH.log/checkpoint), checked against its\n"
	        "key PATH.logkey when that is readable. A store without a log gives a page\n"
	        "that says it is not anchored.\n\n"
	        "example:\n"
	        "  vigil report daily --db vigil.db --date 2026-03-01 \\\n"
	        "      --agreement out/quiet/agreement.geojson --out report-2026-03-01.html\n");
}

/* The whole of a file, at most cap bytes (VG_ERR_LIMIT beyond). */
static vg_status slurp(const char *path, size_t cap, char **out, size_t *len, struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", path,
		                  strerror(errno));
	size_t n = 0, c = 0;
	char *p = NULL;
	vg_status st = VG_OK;
	for (;;) {
		if (n == c) {
			if (c >= cap) {
				st = vg_err_set(err, VG_ERR_LIMIT, "%s: larger than %zu bytes", path, cap);
				break;
			}
			size_t nc = c ? (c * 2 > cap ? cap : c * 2) : 65536;
			char *np = realloc(p, nc + 1);
			if (!np) {
				st = vg_err_set(err, VG_ERR_NOMEM, "%s", path);
				break;
			}
			p = np;
			c = nc;
		}
		size_t r = fread(p + n, 1, c - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				st = vg_err_set(err, VG_ERR_IO, "%s: read error", path);
			break;
		}
	}
	fclose(f);
	if (st != VG_OK) {
		free(p);
		return st;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	return VG_OK;
}

/* The store's log checkpoint (NULL if the store has no log) and, if its
 * key file is readable, the log's public key. */
static int load_anchor(const char *db, char **cp, size_t *cp_len, struct vg_note_verifier *key,
                       bool *have_key)
{
	char dir[4096], keyp[4096];
	struct vg_err err;
	*cp = NULL;
	*have_key = false;
	if (snprintf(dir, sizeof dir, "%s.log", db) >= (int)sizeof dir ||
	    snprintf(keyp, sizeof keyp, "%s.logkey", db) >= (int)sizeof keyp) {
		vg_cli_error(CMD, "%s: path too long", db);
		return VG_EXIT_USAGE;
	}
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		vg_log(VG_LOG_WARN, "report: %s: no transparency log: the report is not anchored", dir);
		return VG_EXIT_OK;
	}
	vg_ledger *lg;
	vg_status st = vg_ledger_open(dir, NULL, 0, &lg, &err);
	if (st != VG_OK) {
		vg_cli_error(CMD, "transparency log %s: %s", dir, err.msg);
		return VG_EXIT_FATAL;
	}
	size_t n;
	const char *text = vg_ledger_checkpoint(lg, &n);
	*cp = malloc(n + 1);
	if (*cp) {
		memcpy(*cp, text, n);
		(*cp)[n] = '\0';
		*cp_len = n;
	}
	vg_ledger_free(lg);
	if (!*cp) {
		vg_cli_error(CMD, "out of memory");
		return VG_EXIT_FATAL;
	}
	struct vg_note_signer sk;
	if (vg_note_key_read(keyp, &sk, &err) == VG_OK) {
		*key = sk.pub;
		*have_key = true;
		vg_note_signer_wipe(&sk);
	} else {
		vg_log(VG_LOG_INFO, "report: %s: %s: the checkpoint's signature is not checked here", keyp,
		       err.msg);
	}
	return VG_EXIT_OK;
}

static int cmd_daily(int argc, char **argv)
{
	const char *db = NULL, *date = NULL, *agp = NULL, *outp = NULL, *gen = NULL, *val;
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			if (!(db = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--date", &val)) {
			if (!(date = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--agreement", &val)) {
			if (!(agp = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--out", &val)) {
			if (!(outp = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--generated-at", &val)) {
			if (!(gen = val))
				return VG_EXIT_USAGE;
		} else {
			vg_cli_error(CMD, "daily: unknown argument '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_report_daily_opts o = {0};
	if (!date) {
		vg_cli_error(CMD, "daily: --date YYYY-MM-DD is required");
		return VG_EXIT_USAGE;
	}
	if (vg_report_date_parse(date, strlen(date), &o.day_ns, &err) != VG_OK) {
		vg_cli_error(CMD, "--%s", err.msg);
		return VG_EXIT_USAGE;
	}
	if (gen) {
		if (vg_time_parse(gen, strlen(gen), &o.generated_ns, &err) != VG_OK) {
			vg_cli_error(CMD, "--generated-at %s: %s", gen, err.msg);
			return VG_EXIT_USAGE;
		}
		o.has_generated = true;
	}
	if (!db)
		db = vg_cli_default_db();
	int rc = VG_EXIT_OK;
	char *ag = NULL, *cp = NULL, *page = NULL;
	size_t ag_len = 0, cp_len = 0, page_len = 0;
	vg_store *st = NULL;
	struct vg_note_verifier key;
	bool have_key = false;
	if (agp) {
		struct vg_agreement *a = NULL;
		if (vg_agreement_load(agp, &a, &err) != VG_OK) {
			vg_cli_error(CMD, "agreement rejected: %s", err.msg);
			return VG_EXIT_USAGE;
		}
		vg_agreement_free(a);
		if (slurp(agp, VG_AG_FILE_MAX, &ag, &ag_len, &err) != VG_OK) {
			vg_cli_error(CMD, "%s", err.msg);
			return VG_EXIT_FATAL;
		}
		o.agreement = ag;
		o.agreement_len = ag_len;
	}
	if (vg_store_open_ro(db, &st, &err) != VG_OK) {
		vg_cli_error(CMD, "%s: %s", db, err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	if ((rc = load_anchor(db, &cp, &cp_len, &key, &have_key)) != VG_EXIT_OK)
		goto out;
	o.checkpoint = cp;
	o.checkpoint_len = cp_len;
	o.log_key = have_key ? &key : NULL;
	vg_status s = vg_report_daily(st, &o, &page, &page_len, &err);
	if (s != VG_OK) {
		vg_cli_error(CMD, "%s", err.msg);
		rc = s == VG_ERR_SIGNATURE || s == VG_ERR_INCONSISTENT || s == VG_ERR_VERSION
		             ? VG_EXIT_REJECTED
		             : VG_EXIT_FATAL;
		goto out;
	}
	if (outp) {
		FILE *f = fopen(outp, "wb");
		bool ok = f && fwrite(page, 1, page_len, f) == page_len;
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok) {
			vg_cli_error(CMD, "%s: %s", outp, strerror(errno));
			if (f)
				unlink(outp);
			rc = VG_EXIT_FATAL;
		}
	} else if (fwrite(page, 1, page_len, stdout) != page_len || fflush(stdout) != 0) {
		vg_cli_error(CMD, "standard output: %s", strerror(errno));
		rc = VG_EXIT_FATAL;
	}
out:
	free(page);
	free(cp);
	free(ag);
	vg_store_free(st);
	return rc;
}

int vg_cmd_report(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    (vg_cli_help_requested(argc, argv) && !strcmp(argv[1], "daily"))) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	if (!strcmp(argv[1], "daily"))
		return cmd_daily(argc - 1, argv + 1);
	vg_cli_error(CMD, "unknown report '%s' (want: daily)", argv[1]);
	usage(stderr);
	return VG_EXIT_USAGE;
}

/* cmd_import.c - `vigil import firms`: NASA FIRMS active-fire CSVs into the
 * store's external_observations table (unsigned, marked with their feed and
 * a lower trust; src/store/store.h, docs/rules.md). */
#include "cli.h"
#include "crypto/crypto.h"
#include "rules/rules.h"
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil import firms FILE.csv [--db PATH] [--trust T]\n\n"
	        "Read a NASA FIRMS active-fire CSV (VIIRS or MODIS columns: latitude, longitude,\n"
	        "acq_date, acq_time, scan, track, frp, satellite, instrument, confidence) and\n"
	        "store every row as an external, unsigned `change`/thermal observation with\n"
	        "its feed (\"firms\"), file, the SHA-256 of the row (re-importing adds nothing)\n"
	        "and a trust (default 0.5; signed sensors count as 1). They are kept out of\n"
	        "the signed, logged observations table. Position sigma: pixel size / sqrt(12).\n\n"
	        "example:\n"
	        "  vigil import firms J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv --db vigil.db\n");
}

struct ictx {
	vg_store *st;
	const char *source;
	double trust;
	int64_t now, n, dup;
};

static vg_status on_row(void *ctx, const struct vg_firms_row *r, struct vg_err *e)
{
	struct ictx *c = ctx;
	struct vg_ext_obs x = {
		.feed = "firms",
		.source = c->source,
		.kind = VG_OBS_CHANGE,
		.type = VG_CHG_THERMAL,
		.t_ns = r->t_ns,
		.lat_deg = r->lat_deg,
		.lon_deg = r->lon_deg,
		.sigma_m = r->sigma_m,
		.frp_mw = r->frp_mw,
		.satellite = r->satellite,
		.instrument = r->instrument,
		.confidence = r->confidence,
		.trust = c->trust,
		.imported_ns = c->now,
		.row = r->raw,
	};
	vg_sha256((const uint8_t *)r->raw, strlen(r->raw), x.row_sha256);
	bool ins = false;
	vg_status s = vg_store_ext_insert(c->st, &x, &ins, e);
	if (!s) {
		c->n++;
		c->dup += !ins;
	}
	return s;
}

int vg_cmd_import(int argc, char **argv)
{
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	if (argc < 3 || strcmp(argv[1], "firms")) {
		vg_cli_error("import", "want: import firms FILE.csv");
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	const char *path = argv[2], *db = NULL, *val;
	double trust = 0.5;
	for (int i = 3; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			if (!(db = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--trust", &val)) {
			if (!val || !vg_cli_parse_double(val, &trust) || trust < 0 || trust > 1) {
				vg_cli_error("import", "--trust: want a number in [0, 1]");
				return VG_EXIT_USAGE;
			}
		} else {
			vg_cli_error("import", "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (!db)
		db = vg_cli_default_db();
	FILE *in = fopen(path, "r");
	if (!in) {
		vg_cli_error("import", "%s: %s", path, strerror(errno));
		return VG_EXIT_FATAL;
	}
	struct vg_err err;
	vg_err_clear(&err);
	struct ictx c = {.source = path, .trust = trust, .now = vg_time_now_ns()};
	if (vg_store_open(db, &c.st, &err) != VG_OK) {
		vg_cli_error("import", "%s: %s", db, err.msg);
		fclose(in);
		return VG_EXIT_FATAL;
	}
	int rc = VG_EXIT_OK;
	if (vg_store_begin(c.st, &err) != VG_OK) {
		vg_cli_error("import", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	} else if (vg_firms_parse(in, path, on_row, &c, &err) != VG_OK) {
		vg_store_rollback(c.st);
		vg_cli_error("import", "%s (nothing imported)", err.msg);
		rc = err.status == VG_ERR_STORE || err.status == VG_ERR_NOMEM ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	} else if (vg_store_commit(c.st, &err) != VG_OK) {
		vg_cli_error("import", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	} else {
		fprintf(stderr, "import firms %s: %lld rows, %lld new, %lld already stored\n", path,
		        (long long)c.n, (long long)(c.n - c.dup), (long long)c.dup);
	}
	fclose(in);
	vg_store_free(c.st);
	return rc;
}

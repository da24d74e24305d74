/* cmd_agreement.c - `vigil agreement`: check an agreement, build one from a
 * control map, place points against it (src/rules/rules.h), export it for
 * GIS (src/interop/interop.h). */
#include "cli.h"
#include "interop/interop.h"
#include "rules/rules.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil agreement check FILE\n"
	        "       vigil agreement from-control-map --controlled AREA.geojson --country OUTLINE.geojson\n"
	        "                 [--name NAME] [--parties IN,OUT] [--effective TIME] [--tolerance-m M]\n"
	        "       vigil agreement place FILE POINTS.csv\n"
	        "       vigil agreement export FILE [--format geojson|kml]\n\n"
	        "check             validate (geometry with GEOS, rules, classes, versions) and summarise;\n"
	        "                  exit 2 with the feature or member named if it is broken\n"
	        "from-control-map  an agreement whose contact line is the boundary of the controlled\n"
	        "                  area inside the country's outline, minus the outline itself (coast,\n"
	        "                  international border; --tolerance-m, default 2000); sides: the\n"
	        "                  controlled part (first party, default OCC) and the rest (UA)\n"
	        "place             for each row of a CSV with latitude,longitude columns (FIRMS): the\n"
	        "                  side it is on and its geodesic distance to the contact line\n"
	        "export            the validated agreement's lines, sides and zones for GIS: GeoJSON\n"
	        "                  (RFC 7946: lon/lat, exterior rings counterclockwise, no crs; the\n"
	        "                  header kept, so it is still an agreement) or KML 2.2 (folders\n"
	        "                  Lines, Sides, Zones; a style per party); standard output\n\n"
	        "examples:\n"
	        "  vigil agreement check out/quiet/agreement.geojson\n"
	        "  vigil agreement from-control-map --controlled deepstate.geojson \\\n"
	        "      --country ukraine.geojson --effective 2025-08-11T00:00:00Z > front.geojson\n"
	        "  vigil agreement export front.geojson --format kml > front.kml\n");
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmd_check(const char *path)
{
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_agreement *ag = NULL;
	if (vg_agreement_load(path, &ag, &err) != VG_OK) {
		vg_cli_error("agreement", "%s", err.msg);
		return err.status == VG_ERR_IO || err.status == VG_ERR_NOMEM ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	}
	printf("%s: valid\n  name: %s\n  parties:", path, ag->name);
	for (uint32_t p = 0; p < ag->n_parties; p++)
		printf(" %s", ag->parties[p]);
	printf("\n  features: %u (contact line \"%s\", %u vertices)\n", ag->n_features,
	       ag->features[ag->contact_line].id, vg_geo_line_vertices(ag->features[ag->contact_line].line));
	for (uint32_t i = 0; i < ag->n_classes; i++)
		printf("  weapon class %s (%u aliases)\n", ag->classes[i].name, ag->classes[i].n_aliases);
	for (uint32_t v = 0; v < ag->n_versions; v++) {
		char t[VG_TIME_STR_MAX];
		vg_time_format(ag->versions[v].effective_ns, t);
		printf("  version %d effective %s: %u rules\n", ag->versions[v].version, t,
		       ag->versions[v].n_rules);
		for (uint32_t k = 0; k < ag->versions[v].n_rules; k++) {
			const struct vg_ag_rule *r = &ag->versions[v].rules[k];
			printf("    %s (%s)", r->id, vg_rule_type_name(r->type));
			if (r->type == VG_RULE_WITHDRAWAL || r->type == VG_RULE_NO_FLY) {
				printf(" %s:", r->class_name);
				for (uint32_t p = 0; p < ag->n_parties; p++)
					printf(" %s %g km from \"%s\"", ag->parties[p], r->distance_m[p] / 1000,
					       ag->features[r->ref_line[p]].id);
			}
			for (uint32_t z = 0; z < r->n_zones; z++)
				printf(" zone \"%s\"", ag->features[r->zone[z]].id);
			printf("\n");
		}
	}
	vg_agreement_free(ag);
	return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_FATAL;
}

static int cmd_from_map(int argc, char **argv)
{
	const char *ctl = NULL, *cty = NULL, *name = "Control-map agreement", *parties = "OCC,UA",
	           *eff = "2025-01-01T00:00:00Z", *val;
	double tol = 2000;
	for (int i = 2; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--controlled", &val)) {
			if (!(ctl = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--country", &val)) {
			if (!(cty = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--name", &val)) {
			if (!(name = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--parties", &val)) {
			if (!(parties = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--effective", &val)) {
			if (!(eff = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--tolerance-m", &val)) {
			if (!val || !vg_cli_parse_double(val, &tol) || !(tol >= 0 && tol <= 100000)) {
				vg_cli_error("agreement", "--tolerance-m: want metres in [0, 100000]");
				return VG_EXIT_USAGE;
			}
		} else {
			vg_cli_error("agreement", "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (!ctl || !cty) {
		vg_cli_error("agreement", "from-control-map needs --controlled and --country");
		return VG_EXIT_USAGE;
	}
	char pin[VG_ID_MAX + 1], pout[VG_ID_MAX + 1];
	const char *comma = strchr(parties, ',');
	if (!comma || comma - parties > VG_ID_MAX || strlen(comma + 1) > VG_ID_MAX) {
		vg_cli_error("agreement", "--parties %s: want IN,OUT", parties);
		return VG_EXIT_USAGE;
	}
	snprintf(pin, sizeof pin, "%.*s", (int)(comma - parties), parties);
	snprintf(pout, sizeof pout, "%s", comma + 1);
	struct vg_err err;
	vg_err_clear(&err);
	int64_t t;
	if (vg_time_parse(eff, strlen(eff), &t, &err) != VG_OK) {
		vg_cli_error("agreement", "--effective %s: %s", eff, err.msg);
		return VG_EXIT_USAGE;
	}
	size_t l1, l2;
	char *a = slurp(ctl, &l1), *b = slurp(cty, &l2);
	if (!a || !b) {
		vg_cli_error("agreement", "%s: %s", !a ? ctl : cty, strerror(errno));
		free(a);
		free(b);
		return VG_EXIT_FATAL;
	}
	vg_status st = vg_agreement_from_control_map(a, b, name, pin, pout, t, tol, stdout, &err);
	free(a);
	free(b);
	if (st) {
		vg_cli_error("agreement", "%s", err.msg);
		return st == VG_ERR_IO || st == VG_ERR_NOMEM ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_FATAL;
}

struct pctx {
	struct vg_agreement *ag;
	long n;
};

static vg_status place_row(void *ctx, const struct vg_firms_row *r, struct vg_err *e)
{
	struct pctx *c = ctx;
	(void)e;
	struct vg_place pl;
	vg_agreement_place(c->ag, r->lat_deg, r->lon_deg, &pl);
	double cov[2][2] = {{r->sigma_m * r->sigma_m, 0}, {0, r->sigma_m * r->sigma_m}};
	double p[VG_AG_MAX_PARTIES];
	vg_agreement_attribute(c->ag, r->lat_deg, r->lon_deg, cov, p);
	char t[VG_TIME_STR_MAX];
	vg_time_format(r->t_ns, t);
	printf("%.5f,%.5f,%s,%s,%.1f,%.1f", r->lat_deg, r->lon_deg, t,
	       pl.side >= 0 ? c->ag->parties[pl.side] : "", pl.line_dist_m, r->sigma_m);
	for (uint32_t k = 0; k < c->ag->n_parties; k++)
		printf(",%.4f", p[k]);
	printf("\n");
	c->n++;
	return VG_OK;
}

static int cmd_place(const char *agp, const char *csv)
{
	struct vg_err err;
	vg_err_clear(&err);
	struct pctx c = {0};
	if (vg_agreement_load(agp, &c.ag, &err) != VG_OK) {
		vg_cli_error("agreement", "%s", err.msg);
		return VG_EXIT_USAGE;
	}
	FILE *f = fopen(csv, "r");
	if (!f) {
		vg_cli_error("agreement", "%s: %s", csv, strerror(errno));
		vg_agreement_free(c.ag);
		return VG_EXIT_FATAL;
	}
	printf("latitude,longitude,time,side,line_dist_m,sigma_m");
	for (uint32_t k = 0; k < c.ag->n_parties; k++)
		printf(",p_%s", c.ag->parties[k]);
	printf("\n");
	vg_status st = vg_firms_parse(f, csv, place_row, &c, &err);
	fclose(f);
	vg_agreement_free(c.ag);
	if (st) {
		vg_cli_error("agreement", "%s", err.msg);
		return VG_EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_FATAL;
}

static int cmd_export(int argc, char **argv)
{
	const char *path = NULL, *fmt = "geojson", *val;
	for (int i = 2; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--format", &val)) {
			if (!(fmt = val))
				return VG_EXIT_USAGE;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			vg_cli_error("agreement", "export: unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	bool kml = !strcmp(fmt, "kml");
	if (!kml && strcmp(fmt, "geojson")) {
		vg_cli_error("agreement", "export --format %s: want geojson or kml", fmt);
		return VG_EXIT_USAGE;
	}
	if (!path) {
		vg_cli_error("agreement", "export needs FILE");
		return VG_EXIT_USAGE;
	}
	size_t len = 0;
	errno = 0;
	char *text = slurp(path, &len);
	if (!text) {
		vg_cli_error("agreement", "%s: %s", path, errno ? strerror(errno) : "cannot read");
		return VG_EXIT_FATAL;
	}
	if (len > VG_AG_FILE_MAX) {
		free(text);
		vg_cli_error("agreement", "%s: larger than %u bytes", path, VG_AG_FILE_MAX);
		return VG_EXIT_USAGE;
	}
	struct vg_err err;
	vg_err_clear(&err);
	/* the document whole or nothing: built in memory, written when done */
	char *doc = NULL;
	size_t dlen = 0;
	FILE *m = open_memstream(&doc, &dlen);
	vg_status st = !m ? vg_err_set(&err, VG_ERR_NOMEM, "export")
	               : kml ? vg_interop_agreement_kml(text, len, m, &err)
	                     : vg_interop_agreement_geojson(text, len, m, &err);
	if (m && fclose(m) != 0 && !st)
		st = vg_err_set(&err, VG_ERR_NOMEM, "export");
	free(text);
	if (!st && (fwrite(doc, 1, dlen, stdout) != dlen || fflush(stdout) != 0))
		st = vg_err_set(&err, VG_ERR_IO, "writing: %s", strerror(errno));
	free(doc);
	if (st) {
		vg_cli_error("agreement", "%s: %s", path, err.msg);
		return st == VG_ERR_IO || st == VG_ERR_NOMEM ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	}
	return VG_EXIT_OK;
}

int vg_cmd_agreement(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	if (!strcmp(argv[1], "check") && argc == 3)
		return cmd_check(argv[2]);
	if (!strcmp(argv[1], "from-control-map"))
		return cmd_from_map(argc, argv);
	if (!strcmp(argv[1], "place") && argc == 4)
		return cmd_place(argv[2], argv[3]);
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc, argv);
	vg_cli_error("agreement", "unknown or incomplete subcommand");
	usage(stderr);
	return VG_EXIT_USAGE;
}

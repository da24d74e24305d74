/* cmd_coverage.c - `vigil coverage`: which parts of each zone of an
 * agreement were observed when (from `coverage` observations), so that "no
 * violation seen" is never confused with "no violation" (docs/rules.md). */
#include "cli.h"
#include "rules/rules.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil coverage --db PATH --agreement FILE --from TIME --until TIME\n"
	        "                      [--area W,S,E,N] [--step-h H] [--watched SHARE]\n"
	        "                      [--identifying] [--json]\n\n"
	        "For each side and zone of the agreement (or only the box --area), the share\n"
	        "of its area inside at least one `coverage` footprint (drone frames,\n"
	        "satellite scenes) whose time overlaps [--from, --until], and the unobserved\n"
	        "share. With --step-h, one row per zone and time step. \"Was this area watched\n"
	        "between t1 and t2?\" is answered yes when the observed share is at least\n"
	        "--watched (default 0.95). Areas are measured equal-area (sinusoidal).\n\n"
	        "Each withdrawal rule adds its belts (kind withdrawal_belt): the party's side\n"
	        "within the rule's distance of its reference line, holding areas out, counting\n"
	        "only the footprints of sensors that identify weapons (drones, and any sensor\n"
	        "that has reported a detection): a SAR pass or a change scene sees that something\n"
	        "is there, not what. --identifying counts only those for every area.\n\n"
	        "example:\n"
	        "  vigil coverage --db vigil.db --agreement agreement.geojson \\\n"
	        "      --from 2026-03-01T00:00:00Z --until 2026-03-02T00:00:00Z --step-h 6\n");
}

static bool share_of(const vg_geo_area *a, const struct vg_coverage *c, int64_t t0, int64_t t1,
                     bool identifying, double *share, double *km2)
{
	struct vg_err e;
	vg_err_clear(&e);
	if (vg_coverage_share_by(c, a, t0, t1, identifying, share, km2, &e) == VG_OK)
		return true;
	vg_cli_error("coverage", "%s", e.msg);
	return false;
}

int vg_cmd_coverage(int argc, char **argv)
{
	const char *db = NULL, *agp = NULL, *from = NULL, *until = NULL, *area = NULL, *val;
	double step_h = 0, watched = 0.95;
	bool json = false, ident_all = false;
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			if (!(db = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--agreement", &val)) {
			if (!(agp = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--from", &val)) {
			if (!(from = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--until", &val)) {
			if (!(until = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--area", &val)) {
			if (!(area = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--step-h", &val)) {
			if (!val || !vg_cli_parse_double(val, &step_h) || !(step_h > 0)) {
				vg_cli_error("coverage", "--step-h: want hours > 0");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--watched", &val)) {
			if (!val || !vg_cli_parse_double(val, &watched) || watched < 0 || watched > 1) {
				vg_cli_error("coverage", "--watched: want a share in [0, 1]");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--json", NULL)) {
			json = true;
		} else if (vg_cli_opt(argc, argv, &i, "--identifying", NULL)) {
			ident_all = true;
		} else {
			vg_cli_error("coverage", "unknown argument '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	if (!agp || !from || !until) {
		vg_cli_error("coverage", "--agreement, --from and --until are required");
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	struct vg_err err;
	vg_err_clear(&err);
	int64_t t0, t1;
	if (vg_time_parse(from, strlen(from), &t0, &err) || vg_time_parse(until, strlen(until), &t1, &err) ||
	    t1 < t0) {
		vg_cli_error("coverage", "--from/--until: %s", err.msg[0] ? err.msg : "until before from");
		return VG_EXIT_USAGE;
	}
	struct vg_agreement *ag = NULL;
	if (vg_agreement_load(agp, &ag, &err) != VG_OK) {
		vg_cli_error("coverage", "%s", err.msg);
		return VG_EXIT_USAGE;
	}
	vg_geo_area *box = NULL;
	if (area) {
		double w, s, e, n;
		char gj[256];
		if (sscanf(area, "%lf,%lf,%lf,%lf", &w, &s, &e, &n) != 4 || !(w < e && s < n)) {
			vg_cli_error("coverage", "--area: want WEST,SOUTH,EAST,NORTH");
			vg_agreement_free(ag);
			return VG_EXIT_USAGE;
		}
		snprintf(gj, sizeof gj,
		         "{\"type\":\"Polygon\",\"coordinates\":[[[%.9g,%.9g],[%.9g,%.9g],[%.9g,%.9g],[%.9g,%.9g],[%.9g,%.9g]]]}",
		         w, s, e, s, e, n, w, n, w, s);
		if (vg_geo_area_from_geojson(gj, &box, &err) != VG_OK) {
			vg_cli_error("coverage", "--area: %s", err.msg);
			vg_agreement_free(ag);
			return VG_EXIT_USAGE;
		}
	}
	if (!db)
		db = vg_cli_default_db();
	vg_store *st = NULL;
	if (vg_store_open_ro(db, &st, &err) != VG_OK) {
		vg_cli_error("coverage", "%s: %s", db, err.msg);
		vg_agreement_free(ag);
		vg_geo_area_free(box);
		return VG_EXIT_FATAL;
	}
	struct vg_coverage *c = NULL;
	struct vg_belt *belts = NULL;
	uint32_t n_belts = 0;
	int rc = VG_EXIT_OK;
	if (vg_coverage_load(st, t0, t1, &c, &err) != VG_OK) {
		vg_cli_error("coverage", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	int64_t step = step_h > 0 ? (int64_t)(step_h * 3600e9) : t1 - t0 + 1;
	if (!json && ident_all)
		printf("(--identifying: only the footprints of sensors that identify weapons)\n");
	if (!json)
		printf("%u footprints\n%-22s %-16s %-6s %-20s %10s %9s %11s %s\n", vg_coverage_count(c), "area", "kind", "party",
		       "from", "km2", "observed", "unobserved", "watched");
	if (!box && vg_agreement_belts(ag, t0, t1, &belts, &n_belts, &err) != VG_OK) {
		vg_cli_error("coverage", "withdrawal belts: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	/* the zones and sides (or the box), then the withdrawal belts: a belt
	 * counts only the footprints of sensors that identify weapons */
	uint32_t n_areas = box ? 1 : ag->n_features + n_belts;
	for (uint32_t k = 0; k < n_areas; k++) {
		const struct vg_ag_feature *F = box || k >= ag->n_features ? NULL : &ag->features[k];
		const struct vg_belt *B = !box && k >= ag->n_features ? &belts[k - ag->n_features] : NULL;
		if (F && !F->area)
			continue;
		const vg_geo_area *A = box ? box : F ? F->area : B->area;
		const char *name = box ? "area" : F ? F->id : B->rule_id;
		const char *kind = box ? "box" : B ? "withdrawal_belt" : F->role == VG_ROLE_SIDE ? "side" : F->zone;
		int pi = F ? F->party : B ? B->party : -1;
		const char *party = pi >= 0 ? ag->parties[pi] : "";
		for (int64_t a = t0; a <= t1; a += step) {
			int64_t b = a + step > t1 ? t1 : a + step;
			double sh = 0, km2 = 0;
			bool ident = ident_all || B != NULL;
			if (!share_of(A, c, a, b, ident, &sh, &km2)) {
				rc = VG_EXIT_FATAL;
				goto out;
			}
			char ta[VG_TIME_STR_MAX], tb[VG_TIME_STR_MAX];
			vg_time_format(a, ta);
			vg_time_format(b, tb);
			if (json)
				printf("{\"area\":\"%s\",\"kind\":\"%s\",\"party\":\"%s\",\"from\":\"%s\",\"until\":\"%s\","
				       "\"area_km2\":%.1f,\"sensors\":\"%s\",\"observed_share\":%.4f,\"unobserved_share\":%.4f,"
				       "\"watched\":%s}\n",
				       name, kind, party, ta, tb, km2, ident ? "identifying" : "all", sh, 1 - sh,
				       sh >= watched ? "true" : "false");
			else
				printf("%-22s %-16s %-6s %-20s %10.1f %8.1f%% %10.1f%% %s\n", name, kind, party, ta, km2,
				       100 * sh, 100 * (1 - sh), sh >= watched ? "yes" : "no");
			if (b == t1)
				break;
		}
	}
	if (!json && n_belts)
		printf("(withdrawal_belt: the rule's party's side within its distance of its reference line, holding\n"
		       " areas out; observed by sensors that identify weapons: drones, and sensors that have reported a\n"
		       " detection)\n");
out:
	vg_belts_free(belts, n_belts);
	vg_coverage_free(c);
	vg_store_free(st);
	vg_agreement_free(ag);
	vg_geo_area_free(box);
	if (fflush(stdout) != 0)
		rc = VG_EXIT_FATAL;
	return rc;
}

/* cmd_findings.c - `vigil findings`: query and convert findings written by
 * `vigil adjudicate` (NDJSON; src/rules/rules.h, docs/rules.md). */
#include "cli.h"
#include "interop/interop.h"
#include "rules/rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil findings [FILE] [--from TIME] [--until TIME] [--rule RULE] [--party P]\n"
	        "                      [--grade G] [--min-grade G] [--bbox W,S,E,N]\n"
	        "                      [--format ndjson|csv|geojson|kml|summary]\n\n"
	        "Read findings (NDJSON from `vigil adjudicate`; standard input without FILE),\n"
	        "keep those whose window overlaps [--from, --until], of the rule, party and\n"
	        "grade asked, inside the box, and print them as NDJSON, CSV with ACLED-like\n"
	        "columns, a GeoJSON FeatureCollection (RFC 7946, a Point per finding), KML 2.2\n"
	        "(a Placemark per finding: place, 90 %% ellipse, time span, members as\n"
	        "ExtendedData, a style per grade), or a summary per rule and grade.\n\n"
	        "example:\n"
	        "  vigil findings findings.ndjson --rule withdrawal --min-grade probable --format csv\n");
}

int vg_cmd_findings(int argc, char **argv)
{
	const char *path = NULL, *fmt = "ndjson", *party = NULL, *val;
	int rule = 0, grade = 0, min_grade = 0;
	int64_t from = INT64_MIN, until = INT64_MAX;
	double bbox[4];
	bool has_bbox = false;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--from", &val)) {
			if (!val || vg_time_parse(val, strlen(val), &from, &err) != VG_OK) {
				vg_cli_error("findings", "--from: %s", val ? err.msg : "missing");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--until", &val)) {
			if (!val || vg_time_parse(val, strlen(val), &until, &err) != VG_OK) {
				vg_cli_error("findings", "--until: %s", val ? err.msg : "missing");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--rule", &val)) {
			if (!val || (rule = vg_rule_type_parse(val)) < 0) {
				vg_cli_error("findings", "--rule: unknown rule");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--party", &val)) {
			if (!(party = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--grade", &val)) {
			if (!val || (grade = vg_grade_parse(val)) < 0) {
				vg_cli_error("findings", "--grade: want possible, probable or confirmed");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--min-grade", &val)) {
			if (!val || (min_grade = vg_grade_parse(val)) < 0) {
				vg_cli_error("findings", "--min-grade: want possible, probable or confirmed");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--bbox", &val)) {
			if (!val || sscanf(val, "%lf,%lf,%lf,%lf", &bbox[0], &bbox[1], &bbox[2], &bbox[3]) != 4) {
				vg_cli_error("findings", "--bbox: want WEST,SOUTH,EAST,NORTH");
				return VG_EXIT_USAGE;
			}
			has_bbox = true;
		} else if (vg_cli_opt(argc, argv, &i, "--format", &val)) {
			if (!(fmt = val))
				return VG_EXIT_USAGE;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			vg_cli_error("findings", "unknown argument '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	enum { NDJSON, CSV, GEOJSON, KML, SUMMARY } f = !strcmp(fmt, "ndjson") ? NDJSON : !strcmp(fmt, "csv") ? CSV
	                                         : !strcmp(fmt, "geojson") ? GEOJSON : !strcmp(fmt, "kml") ? KML
	                                         : !strcmp(fmt, "summary") ? SUMMARY : -1;
	if ((int)f < 0) {
		vg_cli_error("findings", "--format %s: want ndjson, csv, geojson, kml or summary", fmt);
		return VG_EXIT_USAGE;
	}
	FILE *in = path ? fopen(path, "r") : stdin;
	if (!in) {
		vg_cli_error("findings", "%s: %s", path, strerror(errno));
		return VG_EXIT_FATAL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, n_out = 0;
	int rc = VG_EXIT_OK;
	uint32_t counts[VG_RULE_TYPE_COUNT_][4] = {{0}};
	struct vg_kml kml;
	if (f == KML)
		vg_interop_kml_findings_begin(&kml, stdout);
	else if (f == CSV)
		vg_finding_csv_header(stdout);
	else if (f == GEOJSON)
		fputs("{\"type\":\"FeatureCollection\",\"features\":[", stdout);
	while ((len = getline(&line, &cap, in)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		struct vg_finding x;
		if (vg_finding_parse(line, (size_t)len, &x, &err) != VG_OK) {
			vg_cli_error("findings", "%s:%ld: %s", path ? path : "-", lineno, err.msg);
			rc = VG_EXIT_USAGE;
			break;
		}
		bool keep = x.until_ns >= from && x.from_ns <= until && (!rule || x.rule == rule) &&
		            (!party || !strcmp(party, x.party)) && (!grade || x.grade == grade) &&
		            x.grade >= min_grade &&
		            (!has_bbox || (x.lon_deg >= bbox[0] && x.lat_deg >= bbox[1] &&
		                           x.lon_deg <= bbox[2] && x.lat_deg <= bbox[3]));
		if (keep) {
			if (f == NDJSON)
				vg_finding_write_ndjson(stdout, &x);
			else if (f == CSV)
				vg_finding_write_csv(stdout, &x);
			else if (f == GEOJSON) {
				fputs(n_out ? ",\n" : "\n", stdout);
				vg_finding_write_geojson_feature(stdout, &x);
			} else if (f == KML) {
				if (vg_interop_kml_finding(&kml, &x, &err) != VG_OK) {
					vg_cli_error("findings", "%s:%ld: %s", path ? path : "-", lineno, err.msg);
					rc = VG_EXIT_USAGE;
					vg_finding_clear(&x);
					break;
				}
			} else
				counts[x.rule][x.grade]++;
			n_out++;
		}
		vg_finding_clear(&x);
	}
	free(line);
	if (path)
		fclose(in);
	if (f == GEOJSON)
		fputs("\n]}\n", stdout);
	if (f == KML && vg_interop_kml_findings_end(&kml, &err) != VG_OK) {
		vg_cli_error("findings", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	}
	if (f == SUMMARY) {
		printf("%-22s %9s %9s %9s %9s\n", "rule", "confirmed", "probable", "possible", "total");
		for (int r = 1; r < VG_RULE_TYPE_COUNT_; r++)
			printf("%-22s %9u %9u %9u %9u\n", vg_rule_type_name(r), counts[r][3], counts[r][2],
			       counts[r][1], counts[r][1] + counts[r][2] + counts[r][3]);
		printf("%-22s %9s %9s %9s %9ld\n", "all", "", "", "", n_out);
	}
	if (fflush(stdout) != 0)
		rc = VG_EXIT_FATAL;
	return rc;
}

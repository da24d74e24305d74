/* test_rules_zonecap.c - the zone_cap rule (docs/rules.md): validation of
 * its members with the member named, and counting with known answers
 * (under and over the cap, repeated sightings of one weapon counted once,
 * windows counted apart, groups, bands and zones, versions, determinism). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rules/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A north-south contact line at 37.8 E from 47 N to 49 N; A holds the
 * west, B the east. B's limitation line ("bravo-line") runs 0.02 deg
 * (1.5 km) east of it; "limit-B" is a zone from the contact line to
 * 37.934 E (10 km at 48 N) on B's side. 1 deg of longitude at 48 N is
 * 74.6 km. %RULES% is the "rules" array. */
static const char *TEMPLATE =
	"{\"type\":\"FeatureCollection\",\"agreement\":{\"name\":\"Caps\",\"version\":1,"
	"\"parties\":[\"A\",\"B\"],\"effective\":\"2026-02-15T00:00:00Z\","
	"\"weapon_classes\":{\"artillery_short\":{\"classes\":[\"artillery_light\",\"mortar\",\"mlrs\"],"
	"\"aliases\":[\"short-range artillery\"]}},"
	"\"rules\":%RULES%},\"features\":["
	"{\"type\":\"Feature\",\"id\":\"contact-line\",\"properties\":{\"role\":\"contact_line\"},"
	"\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.8,47],[37.8,49]]}},"
	"{\"type\":\"Feature\",\"id\":\"bravo-line\",\"properties\":{\"role\":\"reference_line\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.82,47],[37.82,49]]}},"
	"{\"type\":\"Feature\",\"id\":\"side-A\",\"properties\":{\"role\":\"side\",\"party\":\"A\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[36,47],[37.8,47],[37.8,49],[36,49],[36,47]]]}},"
	"{\"type\":\"Feature\",\"id\":\"side-B\",\"properties\":{\"role\":\"side\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.8,47],[39.6,47],[39.6,49],[37.8,49],[37.8,47]]]}},"
	"{\"type\":\"Feature\",\"id\":\"limit-B\",\"properties\":{\"role\":\"zone\",\"zone\":\"limitation_zone\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.8,47],[37.934,47],[37.934,49],[37.8,49],[37.8,47]]]}}"
	"]}";

static char *doc(const char *rules)
{
	const char *r = strstr(TEMPLATE, "%RULES%");
	size_t cap = strlen(TEMPLATE) + strlen(rules) + 1;
	char *out = malloc(cap);
	snprintf(out, cap, "%.*s%s%s", (int)(r - TEMPLATE), TEMPLATE, rules, r + 7);
	return out;
}

static struct vg_agreement *parse_ok(const char *rules)
{
	char *d = doc(rules);
	struct vg_agreement *ag = NULL;
	struct vg_err e;
	vg_err_clear(&e);
	if (vg_agreement_parse(d, strlen(d), &ag, &e) != VG_OK)
		fail_msg("parse: %s", e.msg);
	free(d);
	return ag;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_int_equal(vg_time_parse(s, strlen(s), &t, NULL), VG_OK);
	return t;
}

/* ---- Validation ----------------------------------------------------------------- */

static void parse_valid(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(
		"[{\"id\":\"cap-10\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,"
		"\"reference_line\":\"bravo-line\",\"caps\":{\"troops\":6000,\"tank\":75,\"artillery_short\":36},"
		"\"window_h\":24},"
		"{\"id\":\"cap-20\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":20,\"min_distance_km\":10,"
		"\"caps\":{\"tank\":450,\"Short-Range Artillery\":162},\"window_h\":6,"
		"\"window_origin\":\"2026-03-01T00:00:00+03:00\",\"cluster_km\":1,\"frame_s\":30,\"speed_mps\":5},"
		"{\"id\":\"cap-z\",\"type\":\"zone_cap\",\"party\":\"B\",\"zones\":\"limitation_zone\","
		"\"caps\":{\"air_defence\":0},\"window_h\":1}]");
	assert_int_equal(ag->versions[0].n_rules, 3);
	const struct vg_ag_rule *r = &ag->versions[0].rules[0];
	assert_int_equal(r->type, VG_RULE_ZONE_CAP);
	assert_string_equal(vg_rule_type_name(r->type), "zone_cap");
	assert_int_equal(r->party, 1);
	assert_true(r->distance_m[1] == 10000 && r->min_distance_m == 0);
	assert_string_equal(ag->features[r->ref_line[1]].id, "bravo-line");
	assert_int_equal(r->n_caps, 3);
	assert_string_equal(r->caps[0].name, "troops");
	assert_int_equal(r->caps[0].classes, VG_CLASS_BIT(VG_CLS_PERSONNEL));
	assert_int_equal(r->caps[0].max, 6000);
	assert_int_equal(r->caps[1].classes, VG_CLASS_BIT(VG_CLS_TANK));
	assert_int_equal(r->caps[2].classes, VG_CLASS_BIT(VG_CLS_ARTILLERY_LIGHT) |
	                                         VG_CLASS_BIT(VG_CLS_MORTAR) | VG_CLASS_BIT(VG_CLS_MLRS));
	assert_int_equal(r->caps[2].max, 36);
	assert_int_equal(r->window_ns, 24 * 3600 * VG_NS_PER_S);
	assert_int_equal(r->window_origin_ns, 0);
	assert_true(r->cluster_m == 2000 && r->frame_s == 60 && r->speed_mps == 15);
	r = &ag->versions[0].rules[1];
	assert_true(r->min_distance_m == 10000 && r->distance_m[1] == 20000);
	assert_int_equal(r->ref_line[1], ag->contact_line);
	assert_int_equal(r->caps[1].max, 162); /* by alias, case-insensitive */
	assert_int_equal(r->window_origin_ns, T("2026-02-28T21:00:00Z"));
	r = &ag->versions[0].rules[2];
	assert_int_equal(r->n_zones, 1);
	assert_int_equal(r->caps[0].max, 0); /* "none at all" is a cap of 0 */
	vg_agreement_free(ag);
}

static void parse_bad(void **state)
{
	(void)state;
	static const char *const base = "{\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,";
	struct {
		const char *rule; /* appended to base unless it starts with '{' */
		vg_status status;
		const char *needle;
	} cases[] = {
		{"\"caps\":{\"cannon\":3},\"window_h\":24}", VG_ERR_CLASS,
		 "agreement.rules[0].caps.cannon: unknown weapon class"},
		{"\"caps\":{\"tank\":-1},\"window_h\":24}", VG_ERR_RANGE, "agreement.rules[0].caps.tank = -1"},
		{"\"caps\":{\"tank\":1.5},\"window_h\":24}", VG_ERR_RANGE,
		 "agreement.rules[0].caps.tank = 1.5: want an integer"},
		{"\"caps\":{\"tank\":null},\"window_h\":24}", VG_ERR_TYPE,
		 "agreement.rules[0].caps.tank: want a count"},
		{"\"caps\":{\"tank\":\"75\"},\"window_h\":24}", VG_ERR_TYPE, "agreement.rules[0].caps.tank"},
		{"\"caps\":{},\"window_h\":24}", VG_ERR_MISSING, "agreement.rules[0].caps: empty"},
		{"\"caps\":[75],\"window_h\":24}", VG_ERR_TYPE, "agreement.rules[0].caps: want {class: count}"},
		{"\"window_h\":24}", VG_ERR_MISSING, "agreement.rules[0].caps: missing"},
		{"\"caps\":{\"tank\":75}}", VG_ERR_MISSING, "agreement.rules[0].window_h: missing"},
		{"\"caps\":{\"tank\":75},\"window_h\":0}", VG_ERR_RANGE, "agreement.rules[0].window_h = 0"},
		{"\"caps\":{\"tank\":75},\"window_h\":24,\"window_origin\":\"midnight\"}", VG_ERR_TIME,
		 "agreement.rules[0].window_origin"},
		{"\"caps\":{\"tank\":75,\"artillery_short\":3,\"Short-range artillery\":4},\"window_h\":24}",
		 VG_ERR_EXISTS, "agreement.rules[0].caps.Short-range artillery: the same classes as"},
		{"\"caps\":{\"tank\":75},\"window_h\":24,\"gap_h\":2}", VG_ERR_UNKNOWN_MEMBER,
		 "agreement.rules[0].gap_h: unknown member"},
		{"\"caps\":{\"tank\":75},\"window_h\":24,\"min_distance_km\":10}", VG_ERR_INCONSISTENT,
		 "agreement.rules[0].min_distance_km = 10: must be below distance_km"},
		{"\"caps\":{\"tank\":75},\"window_h\":24,\"reference_line\":\"side-A\"}", VG_ERR_RANGE,
		 "agreement.rules[0].reference_line = \"side-A\""},
		{"\"caps\":{\"tank\":75},\"window_h\":24,\"zones\":\"limit-B\"}", VG_ERR_INCONSISTENT,
		 "agreement.rules[0]: want either zones or distance_km"},
		{"{\"type\":\"zone_cap\",\"party\":\"B\",\"caps\":{\"tank\":75},\"window_h\":24}", VG_ERR_MISSING,
		 "agreement.rules[0]: want either zones or distance_km"},
		{"{\"type\":\"zone_cap\",\"distance_km\":10,\"caps\":{\"tank\":75},\"window_h\":24}", VG_ERR_MISSING,
		 "agreement.rules[0].party: missing"},
		{"{\"type\":\"zone_cap\",\"party\":\"C\",\"distance_km\":10,\"caps\":{\"tank\":75},\"window_h\":24}",
		 VG_ERR_RANGE, "agreement.rules[0].party = \"C\": not one of the parties"},
		{"{\"type\":\"zone_cap\",\"party\":\"B\",\"zones\":\"dmz\",\"caps\":{\"tank\":75},\"window_h\":24}",
		 VG_ERR_RANGE, "agreement.rules[0].zones[0] = \"dmz\""},
		{"{\"type\":\"zone_cap\",\"party\":\"B\",\"zones\":\"limit-B\",\"reference_line\":\"bravo-line\","
		 "\"caps\":{\"tank\":75},\"window_h\":24}",
		 VG_ERR_INCONSISTENT, "agreement.rules[0].reference_line: only with distance_km"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char rules[512];
		if (cases[i].rule[0] == '{')
			snprintf(rules, sizeof rules, "[%s]", cases[i].rule);
		else
			snprintf(rules, sizeof rules, "[%s%s]", base, cases[i].rule);
		char *d = doc(rules);
		struct vg_agreement *ag = NULL;
		struct vg_err e;
		vg_err_clear(&e);
		vg_status st = vg_agreement_parse(d, strlen(d), &ag, &e);
		free(d);
		if (st != cases[i].status || !strstr(e.msg, cases[i].needle))
			fail_msg("case %zu: status %s, message '%s'; want %s with '%s'", i, vg_status_name(st), e.msg,
			         vg_status_name(cases[i].status), cases[i].needle);
		assert_null(ag);
	}
}

/* ---- Counting ------------------------------------------------------------------- */

struct det {
	int64_t idx;
	const char *sensor;
	const char *when;
	double lat, lon, sigma_m;
	int cls;
};

/* Run the rules over the detections (added in the given order, or
 * reversed); returns the findings, and their NDJSON in *text. */
static struct vg_findings run(struct vg_agreement *ag, const struct det *d, size_t n, bool reverse,
                              char **text)
{
	vg_adjudicator *adj = NULL;
	assert_int_equal(vg_adj_new(ag, &adj, NULL), VG_OK);
	assert_int_equal(vg_adj_add_sensor(adj, "uav-1", "UNDOF", VG_MOD_DRONE, NULL), VG_OK);
	assert_int_equal(vg_adj_add_sensor(adj, "uav-2", "UNDOF", VG_MOD_DRONE, NULL), VG_OK);
	assert_int_equal(vg_adj_add_sensor(adj, "sat-1", "EU", VG_MOD_SATELLITE_OPTICAL, NULL), VG_OK);
	for (size_t k = 0; k < n; k++) {
		const struct det *x = &d[reverse ? n - 1 - k : k];
		struct vg_obs o;
		memset(&o, 0, sizeof o);
		o.kind = VG_OBS_DETECTION;
		snprintf(o.sensor, sizeof o.sensor, "%s", x->sensor);
		o.t_ns = o.t_end_ns = T(x->when);
		o.u.detection.lat_deg = x->lat;
		o.u.detection.lon_deg = x->lon;
		o.u.detection.sigma_m = x->sigma_m > 0 ? x->sigma_m : 15;
		o.u.detection.cls = x->cls;
		assert_int_equal(vg_adj_add_obs(adj, x->idx, &o, NULL), VG_OK);
	}
	struct vg_findings fs;
	struct vg_err e;
	vg_err_clear(&e);
	if (vg_adj_run(adj, &fs, &e) != VG_OK)
		fail_msg("run: %s", e.msg);
	size_t len = 0;
	FILE *m = open_memstream(text, &len);
	for (uint32_t i = 0; i < fs.n; i++)
		vg_finding_write_ndjson(m, &fs.v[i]);
	fclose(m);
	fputs(*text, stdout);
	vg_adj_free(adj);
	return fs;
}

/* Tanks of a company in one place 10 km from nowhere in particular: 5 km
 * east of the contact line (inside B's 10 km band), 150 m apart. */
#define LAT0 48.0
#define LON0 37.867
#define ROW(i) (LAT0 + (i) * 0.00135) /* 150 m north per tank */

static const char *DAY_RULE =
	"[{\"id\":\"cap-10\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,"
	"\"caps\":{\"tank\":3,\"troops\":100},\"window_h\":24}]";

static void under_and_over_cap(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(DAY_RULE);
	/* Three tanks, seen by the drone at 08:00 and by the satellite at
	 * 10:00: 3, not 6, and not above the cap of 3. */
	struct det three[6];
	for (int i = 0; i < 3; i++) {
		three[i] = (struct det){10 + i, "uav-1", "2026-03-01T08:00:00Z", ROW(i), LON0, 15, VG_CLS_TANK};
		three[3 + i] = (struct det){20 + i, "sat-1", "2026-03-01T10:00:00Z", ROW(i) + 0.0001, LON0, 5,
		                            VG_CLS_TANK};
	}
	char *txt = NULL;
	struct vg_findings fs = run(ag, three, 6, false, &txt);
	assert_int_equal(fs.n, 0);
	vg_findings_free(&fs);
	free(txt);

	/* A fourth tank in the satellite's scene: 4 > 3, one finding. */
	struct det four[7];
	memcpy(four, three, sizeof three);
	four[6] = (struct det){23, "sat-1", "2026-03-01T10:00:00Z", ROW(3), LON0, 5, VG_CLS_TANK};
	fs = run(ag, four, 7, false, &txt);
	assert_int_equal(fs.n, 1);
	const struct vg_finding *f = &fs.v[0];
	assert_int_equal(f->rule, VG_RULE_ZONE_CAP);
	assert_string_equal(f->rule_id, "cap-10");
	assert_string_equal(f->party, "B");
	assert_true(f->p_party > 0.999);
	assert_string_equal(f->class_name, "tank");
	assert_int_equal(f->count, 4);
	assert_true(f->has_cap);
	assert_int_equal(f->cap, 3);
	/* the window: the UTC day */
	assert_int_equal(f->from_ns, T("2026-03-01T00:00:00Z"));
	assert_int_equal(f->until_ns, T("2026-03-02T00:00:00Z"));
	/* every sighting counted is evidence */
	assert_int_equal(f->n_evidence, 7);
	static const int64_t want[] = {10, 11, 12, 20, 21, 22, 23};
	for (int i = 0; i < 7; i++)
		assert_int_equal(f->evidence[i], want[i]);
	/* two owners: confirmed; the place is the sightings' centroid */
	assert_int_equal(f->grade, VG_GRADE_CONFIRMED);
	assert_int_equal(f->n_sensors, 2);
	assert_true(fabs(f->lon_deg - LON0) < 1e-9);
	assert_true(f->lat_deg > ROW(0) && f->lat_deg < ROW(3));
	assert_true(fabs(f->line_dist_m - 0.067 * 74600) < 300);
	assert_non_null(strstr(txt, "\"count\":4,\"cap\":3,"));
	/* NDJSON round trip keeps the cap */
	struct vg_finding back;
	struct vg_err e;
	assert_int_equal(vg_finding_parse(txt, strlen(txt) - 1, &back, &e), VG_OK);
	assert_int_equal(back.rule, VG_RULE_ZONE_CAP);
	assert_true(back.has_cap);
	assert_int_equal(back.cap, 3);
	assert_int_equal(back.count, 4);
	vg_finding_clear(&back);
	/* and the CSV notes say it */
	char *csv = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&csv, &len);
	vg_finding_write_csv(m, f);
	fclose(m);
	assert_non_null(strstr(csv, "4 tank (cap 3)"));
	free(csv);
	vg_findings_free(&fs);
	free(txt);
	vg_agreement_free(ag);
}

static void same_tank_counts_once(void **state)
{
	(void)state;
	/* cap 0: any tank at all is a finding, and its count says how many */
	struct vg_agreement *ag = parse_ok(
		"[{\"id\":\"no-tanks\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,"
		"\"caps\":{\"tank\":0},\"window_h\":24}]");
	/* The same tank seen 10 times over the day by two drones and a
	 * satellite (each a few metres off), and 10 times within 45 s by one
	 * drone's video (5 s apart, drifting 20 m). */
	struct det d[20];
	static const char *const sensors[] = {"uav-1", "uav-2", "sat-1"};
	for (int i = 0; i < 10; i++) {
		char *when = malloc(32);
		snprintf(when, 32, "2026-03-01T%02d:00:00Z", 6 + i);
		d[i] = (struct det){100 + i, sensors[i % 3], when, LAT0 + (i % 3) * 0.00005, LON0, 15, VG_CLS_TANK};
	}
	for (int i = 0; i < 10; i++) {
		char *when = malloc(32);
		snprintf(when, 32, "2026-03-01T18:00:%02dZ", 5 * i);
		d[10 + i] = (struct det){200 + i, "uav-1", when, LAT0, LON0 + i * 0.00027, 15, VG_CLS_TANK};
	}
	char *txt = NULL;
	struct vg_findings fs = run(ag, d, 20, false, &txt);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.v[0].count, 1);
	assert_int_equal(fs.v[0].cap, 0);
	assert_int_equal(fs.v[0].n_evidence, 20);
	assert_int_equal(fs.v[0].grade, VG_GRADE_CONFIRMED);
	vg_findings_free(&fs);
	free(txt);
	/* ... and with a cap of 1 it is no finding at all */
	vg_agreement_free(ag);
	ag = parse_ok("[{\"id\":\"one-tank\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,"
	              "\"caps\":{\"tank\":1},\"window_h\":24}]");
	fs = run(ag, d, 20, false, &txt);
	assert_int_equal(fs.n, 0);
	vg_findings_free(&fs);
	free(txt);
	for (int i = 0; i < 20; i++)
		free((char *)d[i].when);
	vg_agreement_free(ag);
}

/* Append a detection with the next log index. */
#define PUT(...)                                                 \
	do {                                                     \
		d[n] = (struct det){n + 1, __VA_ARGS__};         \
		n++;                                             \
	} while (0)

static void groups_and_frames(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(DAY_RULE);
	struct det d[16];
	int n = 0;
	/* Company 1 (2 tanks) seen by uav-1 at 08:00 and by uav-2 at the same
	 * time (two sensors, one group: 2, not 4). */
	for (int i = 0; i < 2; i++) {
		PUT("uav-1", "2026-03-01T08:00:00Z", ROW(i), LON0, 15, VG_CLS_TANK);
		PUT("uav-2", "2026-03-01T08:00:10Z", ROW(i), LON0 + 0.0001, 15, VG_CLS_TANK);
	}
	/* Company 2 (2 tanks) 20 km north, in the band too: another group. */
	for (int i = 0; i < 2; i++)
		PUT("uav-1", "2026-03-01T09:00:00Z", ROW(i) + 0.18, LON0, 15, VG_CLS_TANK);
	/* Tanks outside the place: 12 km east (beyond 10 km), and on A's side
	 * 2 km west of the line (the band is B's). */
	for (int i = 0; i < 3; i++) {
		PUT("uav-1", "2026-03-01T10:00:00Z", ROW(i), 37.8 + 12 / 74.6, 15, VG_CLS_TANK);
		PUT("uav-1", "2026-03-01T10:30:00Z", ROW(i), 37.8 - 2 / 74.6, 15, VG_CLS_TANK);
	}
	/* Other classes do not count against the tank cap. */
	PUT("uav-1", "2026-03-01T08:00:00Z", ROW(5), LON0, 15, VG_CLS_APC);
	char *txt = NULL;
	struct vg_findings fs = run(ag, d, (size_t)n, false, &txt);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.v[0].count, 4); /* 2 + 2 */
	assert_int_equal(fs.v[0].n_evidence, 6);
	assert_int_equal(fs.v[0].grade, VG_GRADE_PROBABLE); /* two drones of one owner */
	/* the same inputs in another order: byte-identical output */
	char *txt2 = NULL;
	struct vg_findings fs2 = run(ag, d, (size_t)n, true, &txt2);
	assert_string_equal(txt, txt2);
	vg_findings_free(&fs);
	vg_findings_free(&fs2);
	free(txt);
	free(txt2);
	vg_agreement_free(ag);
}

static void windows_counted_apart(void **state)
{
	(void)state;
	/* Three tanks on 1 March and three others (elsewhere) on 2 March:
	 * 3 per day, within a cap of 3 per day; over a 48 h window (from
	 * 1 March) they are 6. */
	struct det d[6];
	for (int i = 0; i < 3; i++) {
		d[i] = (struct det){i, "uav-1", "2026-03-01T23:00:00Z", ROW(i), LON0, 15, VG_CLS_TANK};
		d[3 + i] = (struct det){3 + i, "uav-1", "2026-03-02T01:00:00Z", ROW(i) + 0.1, LON0, 15, VG_CLS_TANK};
	}
	struct vg_agreement *ag = parse_ok(DAY_RULE);
	char *txt = NULL;
	struct vg_findings fs = run(ag, d, 6, false, &txt);
	assert_int_equal(fs.n, 0);
	vg_findings_free(&fs);
	free(txt);
	vg_agreement_free(ag);

	ag = parse_ok("[{\"id\":\"cap-48\",\"type\":\"zone_cap\",\"party\":\"B\",\"distance_km\":10,"
	              "\"caps\":{\"tank\":3},\"window_h\":48,\"window_origin\":\"2026-03-01T00:00:00Z\"}]");
	fs = run(ag, d, 6, false, &txt);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.v[0].count, 6);
	assert_int_equal(fs.v[0].from_ns, T("2026-03-01T00:00:00Z"));
	assert_int_equal(fs.v[0].until_ns, T("2026-03-03T00:00:00Z"));
	vg_findings_free(&fs);
	free(txt);
	vg_agreement_free(ag);

	/* Per day again, four tanks on each day: two findings, one per day,
	 * each with its own evidence, in time order. */
	struct det e[8];
	for (int i = 0; i < 4; i++) {
		e[i] = (struct det){10 + i, "uav-1", "2026-03-01T12:00:00Z", ROW(i), LON0, 15, VG_CLS_TANK};
		e[4 + i] = (struct det){20 + i, "uav-1", "2026-03-02T12:00:00Z", ROW(i), LON0, 15, VG_CLS_TANK};
	}
	ag = parse_ok(DAY_RULE);
	fs = run(ag, e, 8, false, &txt);
	assert_int_equal(fs.n, 2);
	assert_int_equal(fs.v[0].from_ns, T("2026-03-01T00:00:00Z"));
	assert_int_equal(fs.v[1].from_ns, T("2026-03-02T00:00:00Z"));
	assert_int_equal(fs.v[0].count, 4);
	assert_int_equal(fs.v[1].count, 4);
	assert_int_equal(fs.v[0].evidence[0], 10);
	assert_int_equal(fs.v[1].evidence[0], 20);
	assert_int_equal(fs.v[1].n_evidence, 4);
	/* ids from what each rests on: two windows, two ids */
	assert_int_equal(strlen(fs.v[0].id), 18);
	assert_string_not_equal(fs.v[0].id, fs.v[1].id);
	vg_findings_free(&fs);
	free(txt);
	vg_agreement_free(ag);
}

static void zones_classes_and_versions(void **state)
{
	(void)state;
	/* A zone, a weapon class (by alias), troops, and an amendment at noon
	 * that lifts the artillery cap: the window of version 1 ends at noon. */
	struct vg_agreement *ag = parse_ok(
		"[{\"id\":\"lz\",\"type\":\"zone_cap\",\"party\":\"B\",\"zones\":\"limit-B\","
		"\"caps\":{\"short-range artillery\":1,\"troops\":2},\"window_h\":24}],"
		"\"amendments\":[{\"version\":2,\"effective\":\"2026-03-01T12:00:00Z\",\"rules\":["
		"{\"id\":\"lz\",\"type\":\"zone_cap\",\"party\":\"B\",\"zones\":\"limit-B\","
		"\"caps\":{\"short-range artillery\":10},\"window_h\":24}]}]");
	struct det d[10];
	int n = 0;
	/* a mortar and an MLRS (both short-range artillery) in one scene */
	d[n++] = (struct det){1, "sat-1", "2026-03-01T09:00:00Z", ROW(0), LON0, 5, VG_CLS_MORTAR};
	d[n++] = (struct det){2, "sat-1", "2026-03-01T09:00:00Z", ROW(2), LON0, 5, VG_CLS_MLRS};
	/* three soldiers 30 m apart in one frame (sigma 5 m: distinct) */
	for (int i = 0; i < 3; i++)
		d[n++] = (struct det){3 + i, "sat-1", "2026-03-01T09:00:00Z", ROW(4) + i * 0.00027, LON0, 5,
		                      VG_CLS_PERSONNEL};
	/* the same mortar and MLRS in the afternoon: version 2, cap 10 */
	d[n++] = (struct det){6, "sat-1", "2026-03-01T15:00:00Z", ROW(0), LON0, 5, VG_CLS_MORTAR};
	d[n++] = (struct det){7, "sat-1", "2026-03-01T15:00:00Z", ROW(2), LON0, 5, VG_CLS_MLRS};
	char *txt = NULL;
	struct vg_findings fs = run(ag, d, (size_t)n, false, &txt);
	assert_int_equal(fs.n, 2);
	/* same window and rule: ordered by place, then class */
	const struct vg_finding *art = NULL, *tr = NULL;
	for (uint32_t i = 0; i < fs.n; i++) {
		if (!strcmp(fs.v[i].class_name, "short-range artillery"))
			art = &fs.v[i];
		else if (!strcmp(fs.v[i].class_name, "troops"))
			tr = &fs.v[i];
	}
	assert_non_null(art);
	assert_non_null(tr);
	assert_int_equal(art->count, 2);
	assert_int_equal(art->cap, 1);
	assert_int_equal(art->n_evidence, 2);
	assert_int_equal(art->agreement_version, 1);
	assert_int_equal(art->from_ns, T("2026-03-01T00:00:00Z"));
	assert_int_equal(art->until_ns, T("2026-03-01T12:00:00Z"));
	assert_int_equal(art->grade, VG_GRADE_POSSIBLE); /* one sensor */
	assert_int_equal(tr->count, 3);
	assert_int_equal(tr->cap, 2);
	vg_findings_free(&fs);
	free(txt);
	vg_agreement_free(ag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_valid),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(under_and_over_cap),
		cmocka_unit_test(same_tank_counts_once),
		cmocka_unit_test(groups_and_frames),
		cmocka_unit_test(windows_counted_apart),
		cmocka_unit_test(zones_classes_and_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

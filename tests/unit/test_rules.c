/* test_rules.c - agreement parsing and validation (bad-input table with the
 * feature and member named), and adjudication with known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "rules/rules.h"

#include <geodesic.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A north-south contact line at 37.8 E from 47 N to 49 N; party A holds the
 * west, B the east; a security zone 0.2 degrees each side; one holding
 * area of A. Placeholders: %HEADER% (members of "agreement" after
 * "parties"), %SIDEA% (side A's ring). */
static const char *TEMPLATE =
	"{\"type\":\"FeatureCollection\",\"agreement\":{\"name\":\"Test\",\"version\":1,"
	"\"parties\":[\"A\",\"B\"],%HEADER%},\"features\":["
	"{\"type\":\"Feature\",\"id\":\"contact-line\",\"properties\":{\"role\":\"contact_line\"},"
	"\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.8,47],[37.8,49]]}},"
	"{\"type\":\"Feature\",\"id\":\"line-2014\",\"properties\":{\"role\":\"reference_line\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[38.0,47],[38.0,49]]}},"
	"{\"type\":\"Feature\",\"id\":\"side-A\",\"properties\":{\"role\":\"side\",\"party\":\"A\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[%SIDEA%]}},"
	"{\"type\":\"Feature\",\"id\":\"side-B\",\"properties\":{\"role\":\"side\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.8,47],[39.6,47],[39.6,49],[37.8,49],[37.8,47]]]}},"
	"{\"type\":\"Feature\",\"id\":\"security-zone\",\"properties\":{\"role\":\"zone\",\"zone\":\"security_zone\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.6,47],[38.0,47],[38.0,49],[37.6,49],[37.6,47]]]}},"
	"{\"type\":\"Feature\",\"id\":\"ha-A-1\",\"properties\":{\"role\":\"zone\",\"zone\":\"holding_area\",\"party\":\"A\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.3,47.9],[37.4,47.9],[37.4,48.0],[37.3,48.0],[37.3,47.9]]]}}"
	"]}";

static const char *SIDE_A = "[[36,47],[37.8,47],[37.8,49],[36,49],[36,47]]";

static const char *RULES =
	"\"effective\":\"2026-02-15T00:00:00Z\","
	"\"weapon_classes\":{\"heavy_artillery\":{\"classes\":[\"artillery\"],\"aliases\":[\"2A65 Msta-B\"]}},"
	"\"rules\":[{\"id\":\"nf\",\"type\":\"no_fire\"},"
	"{\"id\":\"wd-art\",\"type\":\"withdrawal\",\"classes\":\"2A65 Msta-B\",\"distance_km\":50,"
	"\"reference_lines\":{\"B\":\"line-2014\"}},"
	"{\"id\":\"fort\",\"type\":\"no_new_fortification\",\"zones\":\"security_zone\"}],"
	"\"amendments\":[{\"version\":2,\"effective\":\"2026-03-01T12:00:00Z\",\"rules\":["
	"{\"id\":\"wd-art\",\"type\":\"withdrawal\",\"classes\":\"artillery\",\"distance_km\":{\"A\":30,\"B\":30}}]}]";

static char *doc(const char *header, const char *side_a)
{
	size_t cap = strlen(TEMPLATE) + strlen(header) + strlen(side_a) + 16;
	char *out = malloc(cap);
	const char *h = strstr(TEMPLATE, "%HEADER%"), *s = strstr(TEMPLATE, "%SIDEA%");
	snprintf(out, cap, "%.*s%s%.*s%s%s", (int)(h - TEMPLATE), TEMPLATE, header,
	         (int)(s - (h + 8)), h + 8, side_a, s + 7);
	return out;
}

static struct vg_agreement *parse_ok(const char *header)
{
	char *d = doc(header, SIDE_A);
	struct vg_agreement *ag = NULL;
	struct vg_err e;
	vg_err_clear(&e);
	if (vg_agreement_parse(d, strlen(d), &ag, &e) != VG_OK)
		fail_msg("parse: %s", e.msg);
	free(d);
	return ag;
}

static void parse_valid(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	assert_int_equal(ag->n_parties, 2);
	assert_int_equal(ag->n_versions, 2);
	assert_int_equal(ag->versions[0].n_rules, 3);
	const struct vg_ag_rule *w = &ag->versions[0].rules[1];
	assert_int_equal(w->type, VG_RULE_WITHDRAWAL);
	assert_int_equal(w->classes, VG_CLASS_BIT(VG_CLS_ARTILLERY));
	assert_true(w->distance_m[0] == 50000 && w->distance_m[1] == 50000);
	/* reference line per party: A the contact line, B the 2014 line */
	assert_string_equal(ag->features[w->ref_line[0]].id, "contact-line");
	assert_string_equal(ag->features[w->ref_line[1]].id, "line-2014");
	assert_int_equal(ag->versions[0].rules[2].n_zones, 1);
	assert_int_equal(vg_agreement_classes(ag, "heavy_artillery"), VG_CLASS_BIT(VG_CLS_ARTILLERY));
	assert_int_equal(vg_agreement_classes(ag, "2a65 msta-b"), VG_CLASS_BIT(VG_CLS_ARTILLERY));
	assert_int_equal(vg_agreement_classes(ag, "mlrs"), VG_CLASS_BIT(VG_CLS_MLRS));
	assert_int_equal(vg_agreement_classes(ag, "howitzer"), 0);
	int64_t t;
	assert_int_equal(vg_time_parse("2026-03-01T13:00:00Z", 20, &t, NULL), VG_OK);
	assert_int_equal(vg_agreement_version_at(ag, t)->version, 2);
	assert_null(vg_agreement_version_at(ag, 0));
	struct vg_place pl;
	vg_agreement_place(ag, 48.0, 37.5, &pl);
	assert_int_equal(pl.side, 0);
	assert_true(fabs(pl.line_dist_m - 22380) < 100); /* 0.3 deg of longitude at 48 N */
	vg_agreement_free(ag);
}

struct bad {
	const char *header;
	const char *side_a;
	vg_status status;
	const char *needle;
};

static void parse_bad_inputs(void **state)
{
	(void)state;
	const char *base = "\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[]";
	static const struct bad cases[] = {
		/* invalid geometry: a bow tie, named by feature index and id */
		{NULL, "[[36,47],[37.8,49],[37.8,47],[36,49],[36,47]]", VG_ERR_GEOMETRY,
		 "features[2] (id \"side-A\").geometry: invalid polygon: Self-intersection"},
		/* not closed */
		{NULL, "[[36,47],[37.8,47],[37.8,49],[36,49]]", VG_ERR_GEOMETRY, "features[2] (id \"side-A\")"},
		/* not CRS84 */
		{NULL, "[[36,47],[37.8,47],[37.8,149],[36,49],[36,47]]", VG_ERR_GEOMETRY, "CRS84"},
		/* overlapping sides */
		{NULL, "[[36,47],[38.5,47],[38.5,49],[36,49],[36,47]]", VG_ERR_INCONSISTENT,
		 "features[2] (id \"side-A\") and features[3] (id \"side-B\"): sides overlap"},
		{"\"effective\":\"2026-02-15 00:00\",\"rules\":[]", NULL, VG_ERR_TIME, "agreement.effective"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"withdrawal\",\"classes\":\"howitzer\",\"distance_km\":50}]",
		 NULL, VG_ERR_CLASS, "agreement.rules[0].classes = \"howitzer\": unknown weapon class"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"withdrawal\",\"classes\":\"tank\"}]",
		 NULL, VG_ERR_MISSING, "agreement.rules[0].distance_km: missing"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"no_fire\",\"radius\":3}]",
		 NULL, VG_ERR_UNKNOWN_MEMBER, "agreement.rules[0].radius"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"ceasefire\"}]", NULL, VG_ERR_CLASS,
		 "agreement.rules[0].type"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"withdrawal\",\"classes\":\"tank\","
		 "\"distance_km\":{\"A\":15}}]",
		 NULL, VG_ERR_MISSING, "agreement.rules[0].distance_km.B"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"withdrawal\",\"classes\":\"tank\","
		 "\"distance_km\":15,\"reference_lines\":{\"A\":\"side-B\"}}]",
		 NULL, VG_ERR_RANGE, "agreement.rules[0].reference_lines.A"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"no_new_fortification\",\"zones\":\"dmz\"}]",
		 NULL, VG_ERR_RANGE, "agreement.rules[0].zones[0] = \"dmz\""},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[],\"amendments\":[{\"version\":2,"
		 "\"effective\":\"2026-01-01T00:00:00Z\",\"rules\":[]}]",
		 NULL, VG_ERR_INCONSISTENT, "agreement.amendments[0].effective = 2026-01-01T00:00:00Z: predates the agreement"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[],\"amendments\":[{\"version\":1,"
		 "\"effective\":\"2026-03-01T00:00:00Z\",\"rules\":[]}]",
		 NULL, VG_ERR_INCONSISTENT, "agreement.amendments[0].version"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"no_fire\",\"id\":\"x\"},{\"type\":\"no_fire\",\"id\":\"x\"}]",
		 NULL, VG_ERR_EXISTS, "agreement.rules[1].id = \"x\": duplicate"},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"type\":\"zone_cap\"}]", NULL, VG_ERR_MISSING,
		 "agreement.rules[0].party: missing"}, /* more in test_rules_zonecap.c */
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[],\"weapon_classes\":{\"heavy\":{\"classes\":\"cannon\"}}}",
		 NULL, VG_ERR_JSON, ""},
		{"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[],\"weapon_classes\":{\"heavy\":{\"classes\":\"cannon\"}}",
		 NULL, VG_ERR_CLASS, "agreement.weapon_classes.heavy.classes"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *d = doc(cases[i].header ? cases[i].header : base, cases[i].side_a ? cases[i].side_a : SIDE_A);
		struct vg_agreement *ag = NULL;
		struct vg_err e;
		vg_err_clear(&e);
		vg_status st = vg_agreement_parse(d, strlen(d), &ag, &e);
		free(d);
		if (st != cases[i].status || !strstr(e.msg, cases[i].needle))
			fail_msg("case %zu: status %s, message '%s'; want %s with '%s'", i, vg_status_name(st), e.msg,
			         vg_status_name(cases[i].status), cases[i].needle);
		assert_null(ag); /* nothing returned under a broken agreement */
	}
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_int_equal(vg_time_parse(s, strlen(s), &t, NULL), VG_OK);
	return t;
}

static vg_status add_det_conf(vg_adjudicator *adj, int64_t idx, const char *sensor, const char *when,
                              double lat, double lon, int cls, double conf)
{
	struct vg_obs o;
	memset(&o, 0, sizeof o);
	o.kind = VG_OBS_DETECTION;
	snprintf(o.sensor, sizeof o.sensor, "%s", sensor);
	o.t_ns = o.t_end_ns = T(when);
	o.u.detection.lat_deg = lat;
	o.u.detection.lon_deg = lon;
	o.u.detection.sigma_m = 20;
	o.u.detection.cls = cls;
	o.u.detection.class_conf = conf;
	return vg_adj_add_obs(adj, idx, &o, NULL);
}

/* A detection its detector is fairly sure of (class_conf 0.8). */
static vg_status add_det(vg_adjudicator *adj, int64_t idx, const char *sensor, const char *when,
                         double lat, double lon, int cls)
{
	return add_det_conf(adj, idx, sensor, when, lat, lon, cls, 0.8);
}

/* An adjudicator of ag. */
static vg_adjudicator *new_adj(struct vg_agreement *ag)
{
	vg_adjudicator *adj = NULL;
	assert_int_equal(vg_adj_new(ag, &adj, NULL), VG_OK);
	return adj;
}

/* The drone "uav-1" (OSCE) and the satellite "sat-1" (EU). */
static void add_uav_sat(vg_adjudicator *adj)
{
	assert_int_equal(vg_adj_add_sensor(adj, "uav-1", "OSCE", VG_MOD_DRONE, NULL), VG_OK);
	assert_int_equal(vg_adj_add_sensor(adj, "sat-1", "EU", VG_MOD_SATELLITE_OPTICAL, NULL), VG_OK);
}

/* Adjudicate, printing the findings as NDJSON (the test log shows them). */
static void run_print(vg_adjudicator *adj, struct vg_findings *fs)
{
	struct vg_err e;
	assert_int_equal(vg_adj_run(adj, fs, &e), VG_OK);
	for (uint32_t i = 0; i < fs->n; i++)
		vg_finding_write_ndjson(stdout, &fs->v[i]);
}

/* "f-" and 16 lowercase hex digits. */
static bool is_finding_id(const char *id)
{
	if (strncmp(id, "f-", 2) || strlen(id) != 18)
		return false;
	for (const char *c = id + 2; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

/* A's battery of 3 guns 22 km from the line, seen by the drone at 09:00
 * and 10:00: 6 detections from log index *idx on. */
static void a_battery(vg_adjudicator *adj, int64_t *idx)
{
	for (int pass = 0; pass < 2; pass++)
		for (int g = 0; g < 3; g++)
			assert_int_equal(add_det(adj, (*idx)++, "uav-1",
			                         pass ? "2026-03-01T10:00:00Z" : "2026-03-01T09:00:00Z", 48.0 + g * 0.001,
			                         37.5, VG_CLS_ARTILLERY),
			                 VG_OK);
}

static void adjudicate_withdrawal(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	add_uav_sat(adj);
	/* A battery of 3 guns of A, 22 km from the line (inside 50 km), seen
	 * twice by the drone an hour apart and once by a satellite: one
	 * finding, 3 weapons (repeated sightings count once), confirmed (two
	 * owners), first and last seen. */
	int64_t idx = 100;
	a_battery(adj, &idx);
	assert_int_equal(add_det(adj, idx++, "sat-1", "2026-03-01T10:30:00Z", 48.0005, 37.5005, VG_CLS_ARTILLERY), VG_OK);
	/* Artillery of A in its holding area: exempt. */
	for (int g = 0; g < 3; g++)
		assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T09:10:00Z", 47.95 + g * 0.001, 37.35,
		                         VG_CLS_ARTILLERY),
		                 VG_OK);
	/* Artillery of B 0.25 deg east of the contact line: inside 50 km of the
	 * contact line but B's reference line is the 2014 line 0.2 deg east.
	 * Still inside 50 km of it: a violation, distance measured from the
	 * 2014 line (~3.7 km). */
	for (int g = 0; g < 2; g++)
		assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T09:20:00Z", 48.3 + g * 0.001, 38.05,
		                         VG_CLS_ARTILLERY),
		                 VG_OK);
	/* A lone misclassification among tanks far back: no finding. */
	assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T09:30:00Z", 48.5, 37.2, VG_CLS_ARTILLERY), VG_OK);
	/* After the amendment (distance 30 km): a battery 40 km back is legal. */
	for (int g = 0; g < 3; g++)
		assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T13:00:00Z", 48.6 + g * 0.001, 37.26,
		                         VG_CLS_ARTILLERY),
		                 VG_OK);
	/* ... and the same 40 km before it is not (50 km). */
	for (int g = 0; g < 3; g++)
		assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T11:00:00Z", 48.7 + g * 0.001, 37.26,
		                         VG_CLS_ARTILLERY),
		                 VG_OK);
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 3);
	const struct vg_finding *f = &fs.v[0];
	assert_true(is_finding_id(f->id));
	assert_string_equal(f->rule_id, "wd-art");
	assert_string_equal(f->party, "A");
	assert_true(f->p_party > 0.999);
	assert_int_equal(f->from_ns, T("2026-03-01T09:00:00Z"));
	assert_int_equal(f->until_ns, T("2026-03-01T10:30:00Z"));
	assert_int_equal(f->count, 3);
	assert_int_equal(f->grade, VG_GRADE_CONFIRMED);
	assert_int_equal(f->n_evidence, 7);
	assert_int_equal(f->evidence[0], 100);
	assert_int_equal(f->agreement_version, 1);
	assert_string_equal(fs.v[1].party, "B");
	assert_true(fs.v[1].line_dist_m > 3000 && fs.v[1].line_dist_m < 4500);
	assert_int_equal(fs.v[1].grade, VG_GRADE_POSSIBLE); /* one sensor */
	assert_int_equal(fs.v[2].from_ns, T("2026-03-01T11:00:00Z"));
	assert_int_equal(fs.v[2].agreement_version, 1);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/* "f-" and 16 hex digits of SHA-256(key): a finding id by hand. */
static const char *id_of(const char *key)
{
	static char id[24];
	uint8_t h[VG_SHA256_BYTES];
	vg_sha256((const uint8_t *)key, strlen(key), h);
	memcpy(id, "f-", 2);
	vg_hex_encode(h, 8, id + 2);
	return id;
}

/* The batteries of adjudicate_withdrawal (the A battery, the B pair), and
 * with more: an earlier A battery reported later (higher log indices). */
static void id_batteries(vg_adjudicator *adj, bool more)
{
	add_uav_sat(adj);
	int64_t idx = 100;
	a_battery(adj, &idx);
	for (int g = 0; g < 2; g++)
		assert_int_equal(add_det(adj, idx++, "uav-1", "2026-03-01T09:20:00Z", 48.3 + g * 0.001, 38.05,
		                         VG_CLS_ARTILLERY),
		                 VG_OK);
	if (more)
		for (int g = 0; g < 3; g++)
			assert_int_equal(add_det(adj, 200 + g, "uav-1", "2026-03-01T08:00:00Z", 48.2 + g * 0.001, 37.45,
			                         VG_CLS_ARTILLERY),
			                 VG_OK);
}

/* A finding's id names what it rests on, not its place in the list: a
 * later run over more observations (a finding earlier than all the others,
 * reported late) gives every earlier finding the same id and the new one
 * a new id, although all of them moved down one place. The same run twice
 * gives the same ids. */
static void finding_ids_stable(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	struct vg_findings a, b, c;
	vg_adjudicator *adj = new_adj(ag);
	id_batteries(adj, false);
	run_print(adj, &a);
	vg_adj_free(adj);
	adj = new_adj(ag);
	id_batteries(adj, false);
	run_print(adj, &c);
	vg_adj_free(adj);
	adj = new_adj(ag);
	id_batteries(adj, true);
	run_print(adj, &b);
	vg_adj_free(adj);
	assert_int_equal(a.n, 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(b.n, 3);
	assert_string_not_equal(a.v[0].id, a.v[1].id);
	for (uint32_t i = 0; i < a.n; i++) {
		assert_true(is_finding_id(a.v[i].id));
		assert_string_equal(a.v[i].id, c.v[i].id);
		/* one place down, the same id and the same finding */
		assert_string_equal(b.v[i + 1].id, a.v[i].id);
		assert_int_equal(b.v[i + 1].from_ns, a.v[i].from_ns);
		assert_int_equal(b.v[i + 1].evidence[0], a.v[i].evidence[0]);
	}
	/* the documented preimage: v<version>|<rule>|<cap>|e<first index> */
	assert_string_equal(a.v[0].id, id_of("v1|wd-art||e100"));
	assert_int_equal(b.v[0].from_ns, T("2026-03-01T08:00:00Z"));
	assert_int_equal(b.v[0].evidence[0], 200);
	assert_string_equal(b.v[0].id, id_of("v1|wd-art||e200"));
	assert_true(is_finding_id(b.v[0].id));
	assert_string_not_equal(b.v[0].id, a.v[0].id);
	assert_string_not_equal(b.v[0].id, a.v[1].id);
	vg_findings_free(&a);
	vg_findings_free(&b);
	vg_findings_free(&c);
	vg_agreement_free(ag);
}

static void add_event(vg_adjudicator *adj, const char *line);

/* A counter-battery report at index idx: a launch of class cls at (lat,
 * lon), and its impact 120 s later at (ilat, ilon) if ilat. */
static void add_radar(vg_adjudicator *adj, int64_t idx, const char *when, double lat, double lon, int cls,
                      double ilat, double ilon)
{
	struct vg_obs o;
	memset(&o, 0, sizeof o);
	o.kind = VG_OBS_FIRE;
	snprintf(o.sensor, sizeof o.sensor, "cbr-1");
	o.t_ns = o.t_end_ns = T(when);
	o.u.fire.cls = cls;
	if (lat) {
		o.u.fire.has_launch = true;
		o.u.fire.launch = (struct vg_fire_point){o.t_ns, lat, lon, 50};
	}
	if (ilat) {
		o.u.fire.has_impact = true;
		o.u.fire.impact = (struct vg_fire_point){o.t_ns + 120 * VG_NS_PER_S, ilat, ilon, 50};
	}
	assert_int_equal(vg_adj_add_obs(adj, idx, &o, NULL), VG_OK);
}

static vg_adjudicator *radar_adj(struct vg_agreement *ag)
{
	vg_adjudicator *adj = new_adj(ag);
	assert_int_equal(vg_adj_add_sensor(adj, "cbr-1", "OSCE", VG_MOD_COUNTER_BATTERY, NULL), VG_OK);
	return adj;
}

/* no_fire ids (second review of the ids): a mission keeps its id when
 * later reports change its class by vote; one radar report placing a
 * launch and, 110 km away, an impact that joins no mission anchors two
 * findings told apart by what placed them, and they keep their ids when a
 * later-logged report sorts the impacts first; findings with one key (events
 * without evidence sharing ids) are numbered in output order, each id the
 * SHA-256 of the documented preimage. */
static void finding_ids_anchor(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	struct vg_findings a, b;
	/* a mortar mission of B; then three more reports the radar calls
	 * artillery: the class changes, the id does not */
	vg_adjudicator *adj = radar_adj(ag);
	add_radar(adj, 10, "2026-03-01T10:00:00Z", 48.0, 38.2, VG_CLS_MORTAR, 0, 0);
	add_radar(adj, 11, "2026-03-01T10:00:10Z", 48.0005, 38.2, VG_CLS_MORTAR, 0, 0);
	run_print(adj, &a);
	vg_adj_free(adj);
	adj = radar_adj(ag);
	add_radar(adj, 10, "2026-03-01T10:00:00Z", 48.0, 38.2, VG_CLS_MORTAR, 0, 0);
	add_radar(adj, 11, "2026-03-01T10:00:10Z", 48.0005, 38.2, VG_CLS_MORTAR, 0, 0);
	for (int k = 0; k < 3; k++) {
		char t[32];
		snprintf(t, sizeof t, "2026-03-01T10:00:%02dZ", 20 + 10 * k);
		add_radar(adj, 20 + k, t, 48.0, 38.2005, VG_CLS_ARTILLERY, 0, 0);
	}
	run_print(adj, &b);
	vg_adj_free(adj);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);
	assert_string_equal(a.v[0].class_name, "mortar");
	assert_string_equal(b.v[0].class_name, "artillery");
	assert_string_equal(a.v[0].id, b.v[0].id);
	assert_string_equal(a.v[0].id, id_of("v1|nf||launch:e10"));
	vg_findings_free(&a);
	vg_findings_free(&b);

	/* launches at 38.5 E, impacts at 37.0 E (110 km: beyond a mission's
	 * reach), the same two reports; then an impact-only report logged
	 * later (index 30) 30 s before the salvo: the impacts' cluster sorts
	 * first, the ids stay with their places */
	struct vg_agreement *ag600 =
	    parse_ok("\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"id\":\"nf\",\"type\":\"no_fire\","
	             "\"gap_s\":600}]");
	for (int run = 0; run < 2; run++) {
		struct vg_findings *fs = run ? &b : &a;
		adj = radar_adj(ag600);
		add_radar(adj, 10, "2026-03-01T10:00:00Z", 48.0, 38.5, VG_CLS_MLRS_HEAVY, 48.0, 37.0);
		add_radar(adj, 11, "2026-03-01T10:00:05Z", 48.0005, 38.5, VG_CLS_MLRS_HEAVY, 48.0005, 37.0);
		if (run)
			add_radar(adj, 30, "2026-03-01T09:57:30Z", 0, 0, VG_CLS_MLRS_HEAVY, 48.001, 37.0);
		run_print(adj, fs);
		vg_adj_free(adj);
	}
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	for (int run = 0; run < 2; run++) {
		struct vg_findings *fs = run ? &b : &a;
		for (uint32_t i = 0; i < 2; i++) {
			bool launch = fs->v[i].lon_deg > 38;
			assert_int_equal(fs->v[i].evidence[0], 10);
			assert_string_equal(fs->v[i].id, id_of(launch ? "v1|nf||launch:e10" : "v1|nf||impact:e10"));
		}
	}
	assert_true(a.v[0].lon_deg > 38);
	assert_true(b.v[0].lon_deg < 38); /* the impacts first now */
	vg_findings_free(&a);
	vg_findings_free(&b);
	vg_agreement_free(ag600);

	/* three missions from events without evidence, all named d1/d2: one
	 * key, numbered 0, 1, 2 in output order */
	adj = new_adj(ag);
	for (int m = 0; m < 3; m++) {
		char line[256];
		for (int k = 0; k < 2; k++) {
			snprintf(line, sizeof line,
			         "{\"id\":\"d%d\",\"type\":\"launch\",\"time\":\"2026-03-01T0%d:00:%d0Z\",\"lat\":%.1f,"
			         "\"lon\":38.3,\"cep90_m\":60}",
			         k + 1, 2 + m, k, 47.5 + 0.5 * m);
			add_event(adj, line);
		}
	}
	run_print(adj, &a);
	vg_adj_free(adj);
	assert_int_equal(a.n, 3);
	assert_string_equal(a.v[0].id, id_of("v1|nf||evd1"));
	assert_string_equal(a.v[1].id, id_of("v1|nf||evd1|1"));
	assert_string_equal(a.v[2].id, id_of("v1|nf||evd1|2"));
	vg_findings_free(&a);
	vg_agreement_free(ag);
}

/* Generic `vehicle` detections in the frame of a withdrawal group's own
 * detections are sightings of it (a weapon the detector could not type),
 * counted with min_sightings; but the class confidences of the group's own
 * sightings must add up to one weapon: one gun (0.8) and two vehicles in a
 * drone frame are no finding, two guns (0.55 each) and two vehicles are,
 * the vehicles its evidence; vehicles alone, a vehicle in another frame or
 * seen by another sensor, or in a holding area support nothing. */
static void adjudicate_withdrawal_vehicle_support(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	add_uav_sat(adj);
	/* A's side, 22 km from the line (limit 50 km), before the amendment.
	 * The vehicles come first in the log, as they may in a frame. */
	assert_int_equal(add_det(adj, 200, "uav-1", "2026-03-01T09:00:00Z", 48.201, 37.5, VG_CLS_VEHICLE), VG_OK);
	assert_int_equal(add_det(adj, 201, "uav-1", "2026-03-01T09:00:00Z", 48.202, 37.5, VG_CLS_VEHICLE), VG_OK);
	assert_int_equal(add_det_conf(adj, 202, "uav-1", "2026-03-01T09:00:00Z", 48.2, 37.5, VG_CLS_ARTILLERY, 0.55),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 203, "uav-1", "2026-03-01T09:00:00Z", 48.1995, 37.5, VG_CLS_ARTILLERY, 0.55),
	                 VG_OK);
	/* one gun the detector is fairly sure of, two vehicles in its frame */
	assert_int_equal(add_det(adj, 205, "uav-1", "2026-03-01T09:20:00Z", 48.3, 37.5, VG_CLS_VEHICLE), VG_OK);
	assert_int_equal(add_det(adj, 206, "uav-1", "2026-03-01T09:20:00Z", 48.301, 37.5, VG_CLS_VEHICLE), VG_OK);
	assert_int_equal(add_det(adj, 207, "uav-1", "2026-03-01T09:20:00Z", 48.3005, 37.5, VG_CLS_ARTILLERY), VG_OK);
	/* a gun, and a vehicle there five minutes later (the next pass) */
	assert_int_equal(add_det(adj, 210, "uav-1", "2026-03-01T09:30:00Z", 48.4, 37.5, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 211, "uav-1", "2026-03-01T09:35:00Z", 48.401, 37.5, VG_CLS_VEHICLE), VG_OK);
	/* vehicles alone */
	assert_int_equal(add_det(adj, 220, "uav-1", "2026-03-01T10:00:00Z", 48.6, 37.5, VG_CLS_VEHICLE), VG_OK);
	assert_int_equal(add_det(adj, 221, "uav-1", "2026-03-01T10:00:00Z", 48.601, 37.5, VG_CLS_VEHICLE), VG_OK);
	/* a gun seen by the drone, a vehicle there by a satellite */
	assert_int_equal(add_det(adj, 230, "uav-1", "2026-03-01T10:15:00Z", 48.8, 37.5, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 231, "sat-1", "2026-03-01T10:15:00Z", 48.801, 37.5, VG_CLS_VEHICLE), VG_OK);
	/* a gun with a vehicle in its frame that stands in A's holding area */
	assert_int_equal(add_det(adj, 240, "uav-1", "2026-03-01T10:30:00Z", 47.99, 37.41, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 241, "uav-1", "2026-03-01T10:30:00Z", 47.99, 37.399, VG_CLS_VEHICLE), VG_OK);
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 1);
	const struct vg_finding *f = &fs.v[0];
	assert_string_equal(f->rule_id, "wd-art");
	assert_string_equal(f->party, "A");
	/* the place, time and count are the guns'; the vehicles are evidence */
	assert_int_equal(f->from_ns, T("2026-03-01T09:00:00Z"));
	assert_int_equal(f->until_ns, T("2026-03-01T09:00:00Z"));
	assert_float_equal(f->lat_deg, 48.2, 1e-9);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->n_evidence, 4);
	assert_int_equal(f->evidence[0], 200);
	assert_int_equal(f->evidence[3], 203);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/* Doubtful reports (satellite-wide imagery names a gun among hundreds of
 * vehicles now and then): two guns at 0.39 and 0.52 in a column of APCs
 * are no finding (together less than one weapon); guns whose confidences
 * weigh no more than the tanks' beside them are none either, but guns at
 * 0.9 and 0.6 next to a tank at 0.78 are a battery. Two sightings must lie
 * within 500 m of each other. */
static void adjudicate_withdrawal_class_confidence(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	add_uav_sat(adj);
	assert_int_equal(add_det_conf(adj, 300, "sat-1", "2026-03-01T09:00:00Z", 48.2, 37.5, VG_CLS_ARTILLERY, 0.39),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 301, "sat-1", "2026-03-01T09:00:00Z", 48.201, 37.5, VG_CLS_ARTILLERY, 0.52),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 302, "sat-1", "2026-03-01T09:00:00Z", 48.202, 37.5, VG_CLS_APC, 0.8), VG_OK);
	/* the vote: guns at 0.6 + 0.6 beside tanks at 0.7 + 0.7 (outweighed),
	 * guns at 0.7 + 0.7 beside tanks at 0.7 + 0.7 (a tie: not a battery) */
	static const double vote[2][2] = {{0.6, 0.7}, {0.7, 0.7}};
	for (int q = 0; q < 2; q++)
		for (int g = 0; g < 2; g++) {
			assert_int_equal(add_det_conf(adj, 310 + 4 * q + g, "sat-1", "2026-03-01T09:00:00Z", 48.4 + 0.05 * q,
			                              37.5 + 0.001 * g, VG_CLS_ARTILLERY, vote[q][0]),
			                 VG_OK);
			assert_int_equal(add_det_conf(adj, 312 + 4 * q + g, "sat-1", "2026-03-01T09:00:00Z",
			                              48.401 + 0.05 * q, 37.5 + 0.001 * g, VG_CLS_TANK, vote[q][1]),
			                 VG_OK);
		}
	assert_int_equal(add_det_conf(adj, 320, "sat-1", "2026-03-01T09:00:00Z", 48.6, 37.5, VG_CLS_ARTILLERY, 0.9),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 321, "sat-1", "2026-03-01T09:00:00Z", 48.601, 37.5, VG_CLS_ARTILLERY, 0.6),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 322, "sat-1", "2026-03-01T09:00:00Z", 48.602, 37.5, VG_CLS_TANK, 0.78), VG_OK);
	/* two lone reports in consecutive drone frames 1.1 km apart are two
	 * things seen once each; 300 m apart they corroborate each other */
	assert_int_equal(add_det_conf(adj, 330, "uav-1", "2026-03-01T09:34:04Z", 48.8, 37.5, VG_CLS_ARTILLERY, 0.65),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 331, "uav-1", "2026-03-01T09:35:48Z", 48.81, 37.5, VG_CLS_ARTILLERY, 0.61),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 340, "uav-1", "2026-03-01T10:04:04Z", 48.9, 37.5, VG_CLS_ARTILLERY, 0.65),
	                 VG_OK);
	assert_int_equal(add_det_conf(adj, 341, "uav-1", "2026-03-01T10:05:48Z", 48.9027, 37.5, VG_CLS_ARTILLERY, 0.61),
	                 VG_OK);
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 2);
	assert_float_equal(fs.v[0].lat_deg, 48.6, 1e-9);
	assert_int_equal(fs.v[0].count, 2);
	assert_float_equal(fs.v[1].lat_deg, 48.9, 1e-9);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/* n guns driving (8 m/s, heading hd), all seen in one frame at conf. */
static void add_moving(vg_adjudicator *adj, int64_t idx, const char *when, double lat, double lon, double hd,
                       int n, double conf)
{
	for (int g = 0; g < n; g++) {
		struct vg_obs o;
		memset(&o, 0, sizeof o);
		o.kind = VG_OBS_DETECTION;
		snprintf(o.sensor, sizeof o.sensor, "uav-1");
		o.t_ns = o.t_end_ns = T(when);
		o.u.detection.lat_deg = lat + g * 0.001;
		o.u.detection.lon_deg = lon;
		o.u.detection.sigma_m = 20;
		o.u.detection.cls = VG_CLS_ARTILLERY;
		o.u.detection.class_conf = conf;
		o.u.detection.has_speed = o.u.detection.has_heading = true;
		o.u.detection.speed_mps = 8;
		o.u.detection.heading_deg = hd;
		assert_int_equal(vg_adj_add_obs(adj, idx + g, &o, NULL), VG_OK);
	}
}

/* Two guns driving, fairly sure (0.8). */
static void add_column(vg_adjudicator *adj, int64_t idx, const char *when, double lat, double lon, double hd)
{
	add_moving(adj, idx, when, lat, lon, hd, 2, 0.8);
}

/* Weapons seen on the move are the weapons found parked where they were
 * heading: a column of A's guns seen at 02:00 37 km from the line driving
 * east, and two guns parked 11 km ahead of it at 10:30 (beyond gap_h), are
 * one finding from 02:00 to 10:30, its place where the column was seen.
 * Parked 11 km behind the column, or ahead but out of reach (11 km a
 * minute later), they are two findings. */
static void adjudicate_withdrawal_transit(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	add_uav_sat(adj);
	add_column(adj, 400, "2026-03-01T02:00:00Z", 48.2, 37.3, 90);
	assert_int_equal(add_det(adj, 402, "uav-1", "2026-03-01T10:30:00Z", 48.2, 37.45, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 403, "uav-1", "2026-03-01T10:30:00Z", 48.201, 37.45, VG_CLS_ARTILLERY), VG_OK);
	add_column(adj, 410, "2026-03-01T02:10:00Z", 48.5, 37.4, 90);
	assert_int_equal(add_det(adj, 412, "uav-1", "2026-03-01T10:40:00Z", 48.5, 37.25, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 413, "uav-1", "2026-03-01T10:40:00Z", 48.501, 37.25, VG_CLS_ARTILLERY), VG_OK);
	add_column(adj, 420, "2026-03-01T03:00:00Z", 48.8, 37.3, 90);
	assert_int_equal(add_det(adj, 422, "uav-1", "2026-03-01T03:01:00Z", 48.8, 37.45, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 423, "uav-1", "2026-03-01T03:01:00Z", 48.801, 37.45, VG_CLS_ARTILLERY), VG_OK);
	/* a column of B's driving west, A's guns parked ahead of it: two */
	add_column(adj, 430, "2026-03-01T04:00:00Z", 48.35, 38.3, 270);
	assert_int_equal(add_det(adj, 432, "uav-1", "2026-03-01T11:00:00Z", 48.35, 37.75, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 433, "uav-1", "2026-03-01T11:00:00Z", 48.351, 37.75, VG_CLS_ARTILLERY), VG_OK);
	/* a column driving north, guns parked 56 km straight ahead (beyond any
	 * march the rule assumes): two */
	add_column(adj, 440, "2026-03-01T04:00:00Z", 47.1, 37.5, 0);
	assert_int_equal(add_det(adj, 442, "uav-1", "2026-03-01T11:00:00Z", 47.6, 37.5, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 443, "uav-1", "2026-03-01T11:00:00Z", 47.6, 37.501, VG_CLS_ARTILLERY), VG_OK);
	/* guns seen parked, then driving east, then parked 11 km on 9 h later:
	 * a group first seen standing is no column; two */
	assert_int_equal(add_det(adj, 450, "uav-1", "2026-03-01T02:00:00Z", 48.95, 37.28, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 451, "uav-1", "2026-03-01T02:00:00Z", 48.951, 37.28, VG_CLS_ARTILLERY), VG_OK);
	add_column(adj, 452, "2026-03-01T02:30:00Z", 48.95, 37.3, 90);
	assert_int_equal(add_det(adj, 454, "uav-1", "2026-03-01T11:30:00Z", 48.95, 37.45, VG_CLS_ARTILLERY), VG_OK);
	assert_int_equal(add_det(adj, 455, "uav-1", "2026-03-01T11:30:00Z", 48.951, 37.45, VG_CLS_ARTILLERY), VG_OK);
	/* one doubtful moving gun (0.6), then guns at 0.55 among tanks at 0.8
	 * 11 km on: joined, but the tanks outweigh the guns where they stand
	 * (not where the column's mean lies): none */
	{
		add_moving(adj, 460, "2026-03-01T02:00:00Z", 47.3, 37.2, 90, 1, 0.6);
		for (int g = 0; g < 2; g++)
			assert_int_equal(add_det_conf(adj, 461 + g, "uav-1", "2026-03-01T10:00:00Z", 47.3 + 0.001 * g, 37.35,
			                              VG_CLS_ARTILLERY, 0.55),
			                 VG_OK);
		for (int g = 0; g < 3; g++)
			assert_int_equal(add_det_conf(adj, 463 + g, "uav-1", "2026-03-01T10:00:00Z", 47.302 + 0.001 * g, 37.351,
			                              VG_CLS_TANK, 0.8),
			                 VG_OK);
	}
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 11);
	const struct vg_finding *f = &fs.v[0];
	assert_int_equal(f->from_ns, T("2026-03-01T02:00:00Z"));
	assert_int_equal(f->until_ns, T("2026-03-01T10:30:00Z"));
	assert_float_equal(f->lat_deg, 48.2, 1e-9);
	assert_float_equal(f->lon_deg, 37.3, 1e-9);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->n_evidence, 4);
	/* the smallest distance is the parked guns' (26 km), not the column's */
	assert_true(f->line_dist_m > 25000 && f->line_dist_m < 27000);
	/* the others rest on their own two sightings, but the group seen
	 * parked and then driving off (four) */
	uint32_t four = 0;
	for (uint32_t i = 1; i < fs.n; i++) {
		assert_true(fs.v[i].n_evidence == 2 || fs.v[i].n_evidence == 4);
		four += fs.v[i].n_evidence == 4;
	}
	assert_int_equal(four, 1);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

static void add_event(vg_adjudicator *adj, const char *line)
{
	struct vg_rule_event ev;
	struct vg_err e;
	if (vg_rule_event_parse(line, strlen(line), &ev, &e) != VG_OK)
		fail_msg("event: %s", e.msg);
	assert_int_equal(vg_adj_add_event(adj, &ev, &e), VG_OK);
	vg_rule_event_clear(&ev);
}

static void adjudicate_no_fire(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	/* A mission of B: 3 launches 10 km east of the line, their impacts
	 * 5 km west of it. One finding at the battery, party B, until the
	 * last impact; the impacts do not make a second finding. */
	add_event(adj, "{\"id\":\"e1\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48.0,\"lon\":37.934,\"cep90_m\":60,\"class\":\"artillery\"}");
	add_event(adj, "{\"id\":\"e2\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:10Z\",\"lat\":48.001,\"lon\":37.934,\"cep90_m\":60}");
	add_event(adj, "{\"id\":\"e3\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:20Z\",\"lat\":48.002,\"lon\":37.934,\"cov_m2\":[[900,0],[0,900]]}");
	add_event(adj, "{\"id\":\"e4\",\"type\":\"impact\",\"time\":\"2026-03-01T02:00:50Z\",\"lat\":48.0,\"lon\":37.733,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e5\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:10Z\",\"lat\":48.0,\"lon\":37.733,\"cep90_m\":100}");
	/* A lone false event: no finding. Before the effective time: none. */
	add_event(adj, "{\"id\":\"e6\",\"type\":\"explosion\",\"time\":\"2026-03-01T05:00:00Z\",\"lat\":48.5,\"lon\":37.5,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e7\",\"type\":\"launch\",\"time\":\"2026-02-01T05:00:00Z\",\"lat\":48.5,\"lon\":37.5,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e8\",\"type\":\"launch\",\"time\":\"2026-02-01T05:00:03Z\",\"lat\":48.5,\"lon\":37.5,\"cep90_m\":100}");
	/* 300 m west of the line, a 400 m circle: A with p = Phi(0.75). */
	add_event(adj, "{\"id\":\"e9\",\"type\":\"launch\",\"time\":\"2026-03-01T07:00:00Z\",\"lat\":48.3,\"lon\":37.79598,\"cov_m2\":[[160000,0],[0,160000]]}");
	add_event(adj, "{\"id\":\"e10\",\"type\":\"launch\",\"time\":\"2026-03-01T07:00:05Z\",\"lat\":48.3,\"lon\":37.79598,\"cov_m2\":[[160000,0],[0,160000]]}");
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 2);
	const struct vg_finding *f = &fs.v[0];
	assert_string_equal(f->party, "B");
	assert_int_equal(f->count, 3);
	assert_int_equal(f->n_events, 5);
	assert_int_equal(f->until_ns, T("2026-03-01T02:01:10Z"));
	assert_true(fabs(f->lat_deg - 48.001) < 1e-9);
	assert_int_equal(f->grade, VG_GRADE_PROBABLE);
	assert_string_equal(f->class_name, "artillery");
	f = &fs.v[1];
	assert_string_equal(f->party, "A");
	/* both launches at the same place: the mean of their probabilities */
	double want = vg_geo_phi(300.0 / 400.0);
	if (fabs(f->p_party - want) > 0.01)
		fail_msg("p_party %.4f, want %.4f", f->p_party, want);
	/* round trip through NDJSON */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	vg_finding_write_ndjson(m, &fs.v[0]);
	fclose(m);
	struct vg_finding back;
	struct vg_err e;
	assert_int_equal(vg_finding_parse(buf, len - 1, &back, &e), VG_OK);
	assert_int_equal(back.from_ns, fs.v[0].from_ns);
	assert_string_equal(back.party, "B");
	assert_int_equal(back.n_events, 5);
	vg_finding_clear(&back);
	free(buf);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

static void adjudicate_no_fly_disengagement(void **state)
{
	(void)state;
	/* UAVs: 15 km from the line for A, 10 km for B; the security zone is a
	 * disengagement area for tanks and new fortifications. */
	struct vg_agreement *ag = parse_ok(
		"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":["
		"{\"id\":\"nofly-uav\",\"type\":\"no_fly\",\"classes\":\"uav\",\"distance_km\":{\"A\":15,\"B\":10}},"
		"{\"id\":\"dis\",\"type\":\"disengagement\",\"zones\":\"security-zone\",\"classes\":\"tank\"}]");
	vg_adjudicator *adj = new_adj(ag);
	assert_int_equal(vg_adj_add_sensor(adj, "radar-1", "NOR", VG_MOD_RADAR, NULL), VG_OK);
	int64_t idx = 1;
	/* a UAV 12 km west of the line (A's side, limit 15): a violation */
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T03:00:00Z", 48.0, 37.8 - 12 / 74.6, VG_CLS_UAV), VG_OK);
	/* the monitors' own drone, 5 km west, says where it is; the radar sees
	 * a UAV there 30 s later: exempt (monitoring_exempt defaults true) */
	assert_int_equal(vg_adj_add_sensor(adj, "osce-uav", "OSCE", VG_MOD_DRONE, NULL), VG_OK);
	struct vg_obs st;
	memset(&st, 0, sizeof st);
	st.kind = VG_OBS_STATUS;
	snprintf(st.sensor, sizeof st.sensor, "osce-uav");
	st.t_ns = st.t_end_ns = T("2026-03-01T03:10:00Z");
	st.has_sensor_pos = true;
	st.sensor_lat_deg = 48.1;
	st.sensor_lon_deg = 37.8 - 5 / 74.6;
	assert_int_equal(vg_adj_add_obs(adj, 99, &st, NULL), VG_OK);
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T03:10:30Z", 48.1005, 37.8 - 5 / 74.6, VG_CLS_UAV),
	                 VG_OK);
	/* a UAV 12 km west over a tank at the same confidence, later: still a
	 * violation (no_fly's vote counts detections: one against one) */
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T05:00:00Z", 48.3, 37.8 - 12 / 74.6, VG_CLS_UAV), VG_OK);
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T05:00:00Z", 48.301, 37.8 - 12 / 74.6, VG_CLS_TANK),
	                 VG_OK);
	/* a UAV 12 km east (B's side, limit 10): none */
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T03:05:00Z", 48.2, 37.8 + 12 / 74.6, VG_CLS_UAV), VG_OK);
	/* two tanks of B inside the zone (0.1 deg east of the line): disengagement */
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T04:00:00Z", 48.5, 37.9, VG_CLS_TANK), VG_OK);
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T04:00:30Z", 48.501, 37.9, VG_CLS_TANK), VG_OK);
	/* a tank outside the zone: none */
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T04:10:00Z", 48.7, 38.3, VG_CLS_TANK), VG_OK);
	assert_int_equal(add_det(adj, idx++, "radar-1", "2026-03-01T04:10:30Z", 48.701, 38.3, VG_CLS_TANK), VG_OK);
	struct vg_findings fs;
	run_print(adj, &fs);
	assert_int_equal(fs.n, 3);
	assert_int_equal(fs.v[0].rule, VG_RULE_NO_FLY);
	assert_string_equal(fs.v[0].party, "A");
	assert_true(fabs(fs.v[0].line_dist_m - 12000) < 300);
	assert_int_equal(fs.v[1].rule, VG_RULE_DISENGAGEMENT);
	assert_string_equal(fs.v[1].party, "B");
	assert_int_equal(fs.v[1].count, 2); /* two detections by one sensor within a minute: two tanks */
	assert_int_equal(fs.v[2].rule, VG_RULE_NO_FLY);
	assert_int_equal(fs.v[2].from_ns, T("2026-03-01T05:00:00Z"));
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/* Impacts that joined a lone launch (too few launches for a finding) are
 * not lost with it: they make their own finding, fired from the other side. */
static void adjudicate_impacts_of_lone_launch(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	/* one launch heard (the battery's others were not), 4 impacts 5 km
	 * west of the line a minute later */
	add_event(adj, "{\"id\":\"e1\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48.0,\"lon\":37.934,\"cep90_m\":60}");
	add_event(adj, "{\"id\":\"e2\",\"type\":\"impact\",\"time\":\"2026-03-01T02:00:50Z\",\"lat\":48.0,\"lon\":37.733,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e3\",\"type\":\"impact\",\"time\":\"2026-03-01T02:00:55Z\",\"lat\":48.0005,\"lon\":37.733,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e4\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:00Z\",\"lat\":48.001,\"lon\":37.733,\"cep90_m\":100}");
	add_event(adj, "{\"id\":\"e5\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:05Z\",\"lat\":48.0,\"lon\":37.7335,\"cep90_m\":100}");
	struct vg_findings fs;
	struct vg_err e;
	assert_int_equal(vg_adj_run(adj, &fs, &e), VG_OK);
	assert_int_equal(fs.n, 1);
	const struct vg_finding *f = &fs.v[0];
	assert_int_equal(f->rule, VG_RULE_NO_FIRE);
	assert_int_equal(f->count, 4);
	assert_string_equal(f->party, "B"); /* landed on A's side: fired by B */
	assert_true(fabs(f->lon_deg - 37.733) < 0.001);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/* An impact fusion paired with a launch joins that launch's mission even
 * when another battery is nearer to where it fell. */
static void adjudicate_pairs_join_their_mission(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(RULES);
	vg_adjudicator *adj = new_adj(ag);
	/* battery 1 far east, battery 2 near the impacts; both fire at 02:00 */
	add_event(adj, "{\"id\":\"e1\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48.0,\"lon\":38.05,\"cep90_m\":60}");
	add_event(adj, "{\"id\":\"e2\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:05Z\",\"lat\":48.0005,\"lon\":38.05,\"cep90_m\":60}");
	add_event(adj, "{\"id\":\"e3\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48.1,\"lon\":37.85,\"cep90_m\":60}");
	add_event(adj, "{\"id\":\"e4\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:05Z\",\"lat\":48.1005,\"lon\":37.85,\"cep90_m\":60}");
	/* the impacts of battery 1's rounds (paired by fusion), 11 km from
	 * battery 2 and 23 km from battery 1 */
	add_event(adj, "{\"id\":\"e5\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:00Z\",\"lat\":48.0,\"lon\":37.74,\"cep90_m\":100,\"pair\":\"e1\"}");
	add_event(adj, "{\"id\":\"e6\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:05Z\",\"lat\":48.0,\"lon\":37.74,\"cep90_m\":100,\"pair\":\"e2\"}");
	struct vg_findings fs;
	struct vg_err e;
	assert_int_equal(vg_adj_run(adj, &fs, &e), VG_OK);
	assert_int_equal(fs.n, 2);
	for (uint32_t i = 0; i < fs.n; i++) {
		const struct vg_finding *f = &fs.v[i];
		bool east = f->lon_deg > 38.0;
		/* battery 1's finding holds its 2 launches and 2 impacts */
		assert_int_equal(f->n_events, east ? 4 : 2);
	}
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
}

/*
 * Located launches as sightings of their weapons (withdrawal): fusion
 * pairs a launch with its impact and names every weapon class the pair
 * fits. A battery that fires where every class it may be is forbidden is
 * a withdrawal finding; where one of them is allowed, nothing; unpaired
 * launches, launches in a holding area, and launches of a class no rule
 * restricts there are nothing either.
 */
static void add_launch(vg_adjudicator *adj, const char *id, const char *when, double lat, double lon,
                       int64_t idx, const char *pair_extra)
{
	char line[512];
	snprintf(line, sizeof line,
	         "{\"id\":\"%s\",\"type\":\"launch\",\"time\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,"
	         "\"cov_m2\":[[4,0],[0,4]],\"arrivals\":[%lld,%lld]%s}",
	         id, when, lat, lon, (long long)idx, (long long)idx + 1, pair_extra);
	add_event(adj, line);
}

/* A launch d_m east of the contact line (37.8 E) at latitude lat, paired,
 * of one class (the geodesic leaving the meridian at right angles is the
 * shortest way to it). */
static void add_launch_east(vg_adjudicator *adj, const char *id, const char *when, double lat, double d_m,
                            int64_t idx, const char *cls)
{
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	double la, lo;
	geod_direct(&g, lat, 37.8, 90, d_m, &la, &lo, NULL);
	char ex[128];
	snprintf(ex, sizeof ex, ",\"class\":\"%s\",\"pair\":\"%s-i\",\"classes\":[\"%s\"]", cls, id, cls);
	add_launch(adj, id, when, la, lo, idx, ex);
}

static void adjudicate_withdrawal_launches(void **state)
{
	(void)state;
	struct vg_agreement *ag = parse_ok(
		"\"effective\":\"2026-02-15T00:00:00Z\",\"rules\":[{\"id\":\"nf\",\"type\":\"no_fire\"},"
		"{\"id\":\"wd-art\",\"type\":\"withdrawal\",\"classes\":\"artillery\",\"distance_km\":50},"
		"{\"id\":\"wd-light\",\"type\":\"withdrawal\",\"classes\":[\"artillery_light\",\"mortar\"],"
		"\"distance_km\":15}]");
	vg_adjudicator *adj = new_adj(ag);
	char id[32], pair[320];
	int64_t idx = 1000;
	int n = 0;
	/* 1. B's 3 guns 100 m apart, 10 km east of the line, two rounds each;
	 * the impacts name their launches, a 152 or a 122 mm gun (both
	 * forbidden within 10 km): wd-art, 3 guns */
	for (int r = 0; r < 2; r++)
		for (int g = 0; g < 3; g++, n++) {
			char when[32];
			snprintf(when, sizeof when, "2026-03-01T02:00:%02dZ", r * 20 + g * 3);
			snprintf(id, sizeof id, "L%d", n);
			add_launch(adj, id, when, 48.0 + 0.0009 * g, 37.934, idx, "");
			idx += 2;
			snprintf(pair, sizeof pair,
			         "{\"id\":\"I%d\",\"type\":\"impact\",\"time\":\"2026-03-01T02:01:%02dZ\",\"lat\":48.0,"
			         "\"lon\":37.7,\"cep90_m\":5,\"class\":\"artillery\",\"pair\":\"L%d\",\"tof_s\":30,"
			         "\"classes\":[\"artillery\",\"artillery_light\"]}",
			         n, r * 20 + g * 3, n);
			add_event(adj, pair);
		}
	/* 2. A's battery 20 km west, the same ambiguity: a 122 mm gun may
	 * stand there (15 km), so nothing ... */
	add_launch(adj, "A1", "2026-03-01T04:00:00Z", 48.5, 37.532, idx, "");
	add_launch(adj, "A2", "2026-03-01T04:00:05Z", 48.5009, 37.532, idx + 2, "");
	add_event(adj, "{\"id\":\"A1i\",\"type\":\"impact\",\"time\":\"2026-03-01T04:00:40Z\",\"lat\":48.5,\"lon\":37.9,"
	               "\"cep90_m\":5,\"class\":\"artillery\",\"pair\":\"A1\",\"classes\":[\"artillery\",\"artillery_light\"]}");
	add_event(adj, "{\"id\":\"A2i\",\"type\":\"impact\",\"time\":\"2026-03-01T04:00:45Z\",\"lat\":48.5,\"lon\":37.9,"
	               "\"cep90_m\":5,\"class\":\"artillery\",\"pair\":\"A2\",\"classes\":[\"artillery\",\"artillery_light\"]}");
	/* 3. ... but 152 mm alone (the range rules out 122 mm; here the
	 * launch, emitted last, names its impact): wd-art, party A */
	add_launch(adj, "A3", "2026-03-01T06:00:00Z", 48.6, 37.532, idx + 4,
	           ",\"class\":\"artillery\",\"pair\":\"A3i\",\"classes\":[\"artillery\"]");
	add_launch(adj, "A4", "2026-03-01T06:00:06Z", 48.6009, 37.532, idx + 6,
	           ",\"class\":\"artillery\",\"pair\":\"A4i\",\"classes\":[\"artillery\"]");
	/* 4. unpaired launches with a class (a radar's guess): nothing */
	add_launch(adj, "B1", "2026-03-01T07:00:00Z", 48.8, 37.934, idx + 8, ",\"class\":\"artillery\"");
	add_launch(adj, "B2", "2026-03-01T07:00:04Z", 48.8009, 37.934, idx + 10, ",\"class\":\"artillery\"");
	/* 5. in A's holding area: exempt */
	add_launch(adj, "H1", "2026-03-01T08:00:00Z", 47.95, 37.35, idx + 12,
	           ",\"class\":\"artillery\",\"pair\":\"x1\",\"classes\":[\"artillery\"]");
	add_launch(adj, "H2", "2026-03-01T08:00:04Z", 47.951, 37.35, idx + 14,
	           ",\"class\":\"artillery\",\"pair\":\"x2\",\"classes\":[\"artillery\"]");
	/* 6. B's mortars 5 km east: wd-light, class mortar */
	add_launch(adj, "M1", "2026-03-01T09:00:00Z", 48.3, 37.867, idx + 16,
	           ",\"class\":\"mortar\",\"pair\":\"y1\",\"classes\":[\"mortar\"]");
	add_launch(adj, "M2", "2026-03-01T09:00:04Z", 48.3004, 37.867, idx + 18,
	           ",\"class\":\"mortar\",\"pair\":\"y2\",\"classes\":[\"mortar\"]");
	/* 7. B's mortars at the 15 km limit: two launches inside (14,997 m
	 * and 14,990 m from the line), one 4 m from the first but outside
	 * (15,001 m): the distance borrowed from a neighbour's measurement is
	 * measured again this close to a limit, and the smallest distance
	 * seen is exact */
	add_launch_east(adj, "X1", "2026-03-01T10:00:00Z", 48.6, 14997, idx + 20, "mortar");
	add_launch_east(adj, "X2", "2026-03-01T10:00:04Z", 48.60002, 14990, idx + 22, "mortar");
	add_launch_east(adj, "X3", "2026-03-01T10:00:08Z", 48.6, 15001, idx + 24, "mortar");
	/* 8. B's guns 30 km back: Y1 measured, Y2 1 m north and 4 m nearer
	 * the line takes Y1's distance with its bound; the finding's smallest
	 * distance is Y2's, measured at the end (29,996 m, not 30,000) */
	add_launch_east(adj, "Y1", "2026-03-01T11:00:00Z", 48.7, 30000, idx + 30, "artillery");
	add_launch_east(adj, "Y2", "2026-03-01T11:00:05Z", 48.70001, 29996, idx + 32, "artillery");
	struct vg_findings fs;
	run_print(adj, &fs);
	const struct vg_finding *w[8];
	int nw = 0;
	for (uint32_t i = 0; i < fs.n; i++)
		if (fs.v[i].rule == VG_RULE_WITHDRAWAL && nw < 8)
			w[nw++] = &fs.v[i];
	assert_int_equal(nw, 5);
	assert_string_equal(w[0]->rule_id, "wd-art");
	assert_string_equal(w[0]->party, "B");
	assert_int_equal(w[0]->count, 3); /* three guns, six rounds */
	assert_int_equal(w[0]->n_events, 6);
	assert_int_equal(w[0]->n_evidence, 12);
	assert_int_equal(w[0]->from_ns, T("2026-03-01T02:00:00Z"));
	assert_int_equal(w[0]->until_ns, T("2026-03-01T02:00:26Z"));
	assert_string_equal(w[0]->class_name, "artillery");
	assert_true(w[0]->line_dist_m > 9000 && w[0]->line_dist_m < 11000);
	assert_string_equal(w[1]->rule_id, "wd-art");
	assert_string_equal(w[1]->party, "A");
	assert_int_equal(w[1]->from_ns, T("2026-03-01T06:00:00Z"));
	assert_string_equal(w[2]->rule_id, "wd-light");
	assert_string_equal(w[2]->party, "B");
	assert_string_equal(w[2]->class_name, "mortar");
	assert_string_equal(w[3]->rule_id, "wd-light");
	assert_int_equal(w[3]->n_events, 2); /* X1 and X2; X3 stands 1 m beyond the limit */
	assert_float_equal(w[3]->line_dist_m, 14990, 0.05);
	assert_string_equal(w[4]->rule_id, "wd-art");
	assert_int_equal(w[4]->n_events, 2);
	assert_float_equal(w[4]->line_dist_m, 29996, 0.05);
	vg_findings_free(&fs);
	vg_adj_free(adj);
	vg_agreement_free(ag);
	/* a class that is not one */
	const char *bad = "{\"type\":\"impact\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48,\"lon\":37,"
	                  "\"classes\":[\"artillery\",\"howitzer\"]}";
	struct vg_rule_event ev;
	struct vg_err e;
	assert_int_equal(vg_rule_event_parse(bad, strlen(bad), &ev, &e), VG_ERR_CLASS);
	assert_non_null(strstr(e.msg, "classes[1]"));
}

/* A finding line read from outside: out-of-range members refused with the
 * member named; one without a covariance gets a circular one (from
 * cep90_m, else 50 m), so that the record written back parses again (both
 * found by fuzz/fuzz_event.c). */
static void finding_parse_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *extra, *needle;
	} bad[] = {
		{",\"lon\":400", "lat, lon = 48, 400"},
		{",\"lon\":37,\"p_party\":1.5", "p_party = 1.5"},
		{",\"lon\":37,\"count\":1e12", "count = 1e+12"},
		{",\"lon\":37,\"count\":2.5", "count = 2.5: want a whole number"},
		{",\"lon\":37,\"line_dist_m\":-3", "line_dist_m = -3"},
		{",\"lon\":37,\"agreement_version\":1e30", "agreement_version"},
		{",\"lon\":37,\"cov_m2\":[[1,0],[0,3.8e68]]", "cov_m2: variances 1, 3.8e+68"},
		{",\"lon\":37,\"cov_m2\":[[0.01,0],[0,4]]", "cov_m2: not positive definite at 0.1 m^2"},
	};
	char line[512];
	struct vg_finding f, g;
	struct vg_err e;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line,
		         "{\"rule\":\"no_fire\",\"from\":\"2026-03-01T02:00:00Z\",\"until\":\"2026-03-01T02:01:00Z\","
		         "\"lat\":48%s}",
		         bad[i].extra);
		vg_err_clear(&e);
		if (vg_finding_parse(line, strlen(line), &f, &e) != VG_ERR_RANGE || !strstr(e.msg, bad[i].needle))
			fail_msg("case %zu: '%s', want '%s'", i, e.msg, bad[i].needle);
	}
	/* a mission of two rounds located to 10 cm at one spot: its record
	 * still holds a covariance (0.1 m^2, the record's resolution) */
	{
		struct vg_agreement *ag = parse_ok(RULES);
		vg_adjudicator *adj = new_adj(ag);
		add_event(adj, "{\"id\":\"p1\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":48.0,"
		               "\"lon\":37.934,\"cov_m2\":[[0.01,0],[0,0.01]]}");
		add_event(adj, "{\"id\":\"p2\",\"type\":\"launch\",\"time\":\"2026-03-01T02:00:05Z\",\"lat\":48.0,"
		               "\"lon\":37.934,\"cov_m2\":[[0.01,0],[0,0.01]]}");
		struct vg_findings fs;
		assert_int_equal(vg_adj_run(adj, &fs, &e), VG_OK);
		assert_int_equal(fs.n, 1);
		assert_float_equal(fs.v[0].cov_m2[0][0], 0.1, 1e-12);
		char *a = NULL;
		size_t n = 0;
		assert_int_equal(vg_finding_record(&fs.v[0], &a, &n, &e), VG_OK);
		if (vg_finding_parse(a, n, &g, &e) != VG_OK)
			fail_msg("record '%s' does not parse: %s", a, e.msg);
		vg_finding_clear(&g);
		free(a);
		vg_findings_free(&fs);
		vg_adj_free(adj);
		vg_agreement_free(ag);
	}
	const char *nocov[] = {"", ",\"cep90_m\":214.6"};
	const double want_var[] = {2500, 10000};
	for (int k = 0; k < 2; k++) {
		snprintf(line, sizeof line,
		         "{\"rule\":\"no_fire\",\"from\":\"2026-03-01T02:00:00Z\",\"until\":\"2026-03-01T02:01:00Z\","
		         "\"lat\":48,\"lon\":37%s}",
		         nocov[k]);
		assert_int_equal(vg_finding_parse(line, strlen(line), &f, &e), VG_OK);
		assert_float_equal(f.cov_m2[0][0], want_var[k], 1e-6);
		char *a = NULL;
		size_t n = 0;
		assert_int_equal(vg_finding_record(&f, &a, &n, &e), VG_OK);
		assert_int_equal(vg_finding_parse(a, n, &g, &e), VG_OK);
		assert_float_equal(g.cov_m2[1][1], want_var[k], 1e-6);
		free(a);
		vg_finding_clear(&f);
		vg_finding_clear(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_valid),
		cmocka_unit_test(parse_bad_inputs),
		cmocka_unit_test(adjudicate_withdrawal),
		cmocka_unit_test(finding_ids_stable),
		cmocka_unit_test(finding_ids_anchor),
		cmocka_unit_test(adjudicate_withdrawal_vehicle_support),
		cmocka_unit_test(adjudicate_withdrawal_class_confidence),
		cmocka_unit_test(adjudicate_withdrawal_transit),
		cmocka_unit_test(adjudicate_withdrawal_launches),
		cmocka_unit_test(finding_parse_ranges),
		cmocka_unit_test(adjudicate_no_fire),
		cmocka_unit_test(adjudicate_impacts_of_lone_launch),
		cmocka_unit_test(adjudicate_pairs_join_their_mission),
		cmocka_unit_test(adjudicate_no_fly_disengagement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_sim_score.c - the scorer on hand-made truth/output pairs whose
 * precision, recall, errors and latencies are computed by hand below
 * (docs/scoring.md gives the definitions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"
#include "test_util.h"

#include <geodesic.h>
#include <math.h>

static char g_dir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *path_of(const char *name, char *buf)
{
	snprintf(buf, 256, "%s/%s", g_dir, name);
	return buf;
}

/* (lat, lon) moved s metres towards azimuth az. */
static void move(double lat, double lon, double az, double s, double *olat, double *olon)
{
	struct geod_geodesic g;
	double a2;
	geod_init(&g, 6378137, 1 / 298.257223563);
	geod_direct(&g, lat, lon, az, s, olat, olon, &a2);
}

static const char TRUTH[] =
	"{\"vigil_truth\":1,\"scenario\":\"hand\",\"seed\":1,"
	"\"agreement\":{\"name\":\"x\",\"effective\":\"2026-03-01T00:00:00Z\",\"parties\":[\"A\",\"B\"]},"
	"\"events\":["
	"{\"id\":\"e1\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:10Z\",\"lat\":48.0,\"lon\":37.8,"
	"\"class\":\"artillery\",\"party\":\"B\",\"side\":\"B\",\"dud\":false,\"crlb_rms_m\":10,"
	"\"decided_at\":\"2026-03-01T00:00:20Z\"},"
	"{\"id\":\"e2\",\"type\":\"impact\",\"time\":\"2026-03-01T00:00:50Z\",\"lat\":48.05,\"lon\":37.85,"
	"\"class\":\"artillery\",\"party\":\"B\",\"side\":\"A\",\"dud\":false,\"crlb_rms_m\":20,"
	"\"decided_at\":null},"
	"{\"id\":\"e3\",\"type\":\"launch\",\"time\":\"2026-03-01T00:10:00Z\",\"lat\":48.1,\"lon\":37.9,"
	"\"class\":\"mortar\",\"party\":\"A\",\"side\":\"A\",\"dud\":false,\"crlb_rms_m\":null},"
	"{\"id\":\"e4\",\"type\":\"impact\",\"time\":\"2026-03-01T00:10:40Z\",\"lat\":48.15,\"lon\":37.95,"
	"\"class\":\"mortar\",\"party\":\"A\",\"side\":\"B\",\"dud\":true,\"crlb_rms_m\":null},"
	"{\"id\":\"e5\",\"type\":\"fire\",\"time\":\"2026-03-01T01:00:00Z\",\"until\":\"2026-03-01T03:00:00Z\","
	"\"lat\":48.2,\"lon\":38.0,\"party\":null,\"side\":\"A\"}],"
	"\"violations\":["
	"{\"id\":\"v1\",\"rule\":\"no_fire\",\"party\":\"B\",\"from\":\"2026-03-01T00:00:10Z\","
	"\"until\":\"2026-03-01T00:00:50Z\",\"lat\":48.0,\"lon\":37.8},"
	"{\"id\":\"v2\",\"rule\":\"withdrawal\",\"party\":\"A\",\"from\":\"2026-03-01T01:00:00Z\","
	"\"until\":\"2026-03-01T05:00:00Z\",\"lat\":48.3,\"lon\":37.5},"
	"{\"id\":\"v3\",\"rule\":\"no_new_fortification\",\"party\":\"B\",\"from\":\"2026-03-01T02:00:00Z\","
	"\"until\":\"2026-03-02T00:00:00Z\",\"lat\":48.05,\"lon\":37.7}],"
	"\"tracks\":[],\"sensors\":[]}\n";

/* The JSON form of r (and the table after it, with table) into buf. */
static void printed(const struct vg_score_result *r, bool table, char *buf, size_t cap)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	vg_score_print_json(r, f);
	if (table)
		vg_score_print_table(r, f);
	rewind(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void test_hand_made(void **state)
{
	(void)state;
	assert_non_null(tu_tmpdir(g_dir, sizeof g_dir));
	write_file("truth.json", TRUTH);
	double la[6], lo[6];
	move(48.0, 37.8, 0, 100, &la[1], &lo[1]);    /* o1: 100 m north of e1 */
	move(48.05, 37.85, 90, 200, &la[2], &lo[2]); /* o2: 200 m east of e2 */
	move(48.1, 37.9, 45, 3000, &la[3], &lo[3]);  /* o3: 3 km from e3 */
	move(48.15, 37.95, 0, 50, &la[4], &lo[4]);   /* o4: at the dud */
	move(48.2, 38.0, 180, 300, &la[5], &lo[5]);  /* o5: the fire */
	double l6, o6;
	move(48.0, 37.8, 180, 150, &l6, &o6); /* o6: a second report of e1 */
	char ev[4096];
	snprintf(ev, sizeof ev,
	         "{\"id\":\"o1\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:10.5Z\",\"lat\":%.9f,\"lon\":%.9f,"
	         "\"cep90_m\":300,\"party\":\"B\",\"emitted\":\"2026-03-01T00:00:25Z\"}\n"
	         "{\"id\":\"o2\",\"type\":\"explosion\",\"time\":\"2026-03-01T00:00:51Z\",\"lat\":%.9f,\"lon\":%.9f,"
	         "\"cov_m2\":[[2500,0],[0,2500]],\"party\":\"A\"}\n"
	         "\n"
	         "{\"id\":\"o3\",\"type\":\"launch\",\"time\":\"2026-03-01T00:10:00Z\",\"lat\":%.9f,\"lon\":%.9f}\n"
	         "{\"id\":\"o4\",\"type\":\"impact\",\"time\":\"2026-03-01T00:10:40Z\",\"lat\":%.9f,\"lon\":%.9f,"
	         "\"ellipse\":{\"smaj_m\":60,\"smin_m\":40,\"az_deg\":30}}\n"
	         "{\"id\":\"o5\",\"type\":\"fire\",\"time\":\"2026-03-01T02:00:00Z\",\"lat\":%.9f,\"lon\":%.9f,"
	         "\"cep90_m\":500,\"extra\":\"ignored\"}\n"
	         "{\"id\":\"o6\",\"type\":\"launch\",\"time\":\"2026-03-01T00:00:11Z\",\"lat\":%.9f,\"lon\":%.9f,"
	         "\"cep90_m\":300}\n",
	         la[1], lo[1], la[2], lo[2], la[3], lo[3], la[4], lo[4], la[5], lo[5], l6, o6);
	write_file("events.ndjson", ev);
	double fl, fo, wl, wo;
	move(48.0, 37.8, 90, 500, &fl, &fo);
	move(48.3, 37.5, 0, 2000, &wl, &wo);
	char fi[4096];
	snprintf(fi, sizeof fi,
	         "{\"rule\":\"no_fire\",\"party\":\"B\",\"p_party\":0.8,\"from\":\"2026-03-01T00:00:12Z\","
	         "\"until\":\"2026-03-01T00:01:00Z\",\"lat\":%.9f,\"lon\":%.9f,\"emitted\":\"2026-03-01T00:02:00Z\"}\n"
	         "{\"rule\":\"withdrawal\",\"party\":\"B\",\"p_party\":0.6,\"from\":\"2026-03-01T01:10:00Z\","
	         "\"until\":\"2026-03-01T04:00:00Z\",\"lat\":%.9f,\"lon\":%.9f}\n"
	         "{\"rule\":\"no_fire\",\"party\":\"A\",\"from\":\"2026-03-01T10:00:00Z\","
	         "\"until\":\"2026-03-01T10:01:00Z\",\"lat\":47.0,\"lon\":36.0}\n"
	         "{\"rule\":\"no_fly\",\"party\":\"A\",\"from\":\"2026-03-01T10:00:00Z\","
	         "\"until\":\"2026-03-01T10:01:00Z\",\"lat\":48.0,\"lon\":37.8}\n",
	         fl, fo, wl, wo);
	write_file("findings.ndjson", fi);

	char p1[256], p2[256], p3[256];
	struct vg_score_result r;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_score_files(path_of("truth.json", p1), path_of("events.ndjson", p2),
	                              path_of("findings.ndjson", p3), NULL, &r, &err);
	if (st)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(st, VG_OK);
	vg_score_print_table(&r, stderr);

	/* Events: 4 truths count (the dud does not), 6 outputs. */
	assert_int_equal(r.n_truth_events, 4);
	assert_int_equal(r.n_out_events, 6);
	/* launch: e1 found (o1), e3 missed; outputs o1 right, o3 and o6 wrong. */
	const struct vg_score_counts *c = &r.events[VG_SCORE_EV_LAUNCH];
	assert_int_equal(c->tp, 1);
	assert_int_equal(c->fp, 2);
	assert_int_equal(c->fn, 1);
	assert_float_equal(c->precision, 1.0 / 3, 1e-12);
	assert_float_equal(c->recall, 0.5, 1e-12);
	assert_float_equal(c->f1, 0.4, 1e-12);
	/* impact: e2 found by the explosion o2; o4 at the dud is ignored. */
	c = &r.events[VG_SCORE_EV_IMPACT];
	assert_int_equal(c->tp, 1);
	assert_int_equal(c->fp, 0);
	assert_int_equal(c->fn, 0);
	assert_true(isnan(c->precision)); /* no impact-typed output counted */
	assert_float_equal(c->recall, 1.0, 1e-12);
	c = &r.events[VG_SCORE_EV_EXPLOSION];
	assert_int_equal(c->tp, 1);
	assert_float_equal(c->precision, 1.0, 1e-12);
	assert_true(isnan(c->recall));
	c = &r.events[VG_SCORE_EV_FIRE];
	assert_int_equal(c->tp, 1);
	assert_float_equal(c->f1, 1.0, 1e-12);
	/* impulsive: all but the thermal fire (its TP) */
	c = &r.events[VG_SCORE_EV_IMPULSIVE];
	assert_int_equal(c->tp, 2);
	assert_int_equal(c->fp, 2);
	assert_int_equal(c->fn, 1);
	assert_float_equal(c->precision, 0.5, 1e-12);
	assert_float_equal(c->recall, 2.0 / 3, 1e-12);
	c = &r.events[VG_SCORE_EV_ALL];
	assert_int_equal(c->tp, 3);
	assert_int_equal(c->fp, 2);
	assert_int_equal(c->fn, 1);
	assert_float_equal(c->precision, 0.6, 1e-12);
	assert_float_equal(c->recall, 0.75, 1e-12);
	assert_float_equal(c->f1, 2 * 0.6 * 0.75 / 1.35, 1e-12);
	/* Errors 100 m and 200 m: median 150, p90 (nearest rank 2 of 2) 200;
	 * 1 cm: the accuracy of the scorer's distance against Karney's. */
	assert_int_equal(r.loc_err_m.n, 2);
	assert_float_equal(r.loc_err_m.median, 150, 0.01);
	assert_float_equal(r.loc_err_m.p90, 200, 0.01);
	assert_float_equal(r.crlb_ratio.median, 10, 1e-3);
	/* efficiency = sqrt((10^2 + 20^2) / (100^2 + 200^2)) = 0.1 */
	assert_float_equal(r.efficiency, 0.1, 1e-5);
	/* o1 (100 m <= cep90 300) inside; o2 (Mahalanobis^2 16 > 4.6) outside. */
	assert_int_equal(r.cal_n, 2);
	assert_int_equal(r.cal_in90, 1);
	/* party: o1 right, o2 wrong, o5 none. */
	assert_int_equal(r.attr_n, 2);
	assert_int_equal(r.attr_ok, 1);
	/* o1 emitted 5 s after e1 was decidable, 15 s after it happened. */
	assert_int_equal(r.latency_s.n, 1);
	assert_float_equal(r.latency_s.median, 5, 1e-9);
	assert_float_equal(r.event_delay_s.median, 15, 1e-9);

	/* Findings: f1 -> v1, f2 -> v2 (wrong party), f3 and f4 false, v3 missed. */
	c = &r.rules[VG_SCORE_RULE_NO_FIRE];
	assert_int_equal(c->tp, 1);
	assert_int_equal(c->fp, 1);
	assert_float_equal(c->precision, 0.5, 1e-12);
	assert_float_equal(c->recall, 1.0, 1e-12);
	c = &r.rules[VG_SCORE_RULE_WITHDRAWAL];
	assert_int_equal(c->tp, 1);
	assert_float_equal(c->f1, 1.0, 1e-12);
	c = &r.rules[VG_SCORE_RULE_NO_FLY];
	assert_int_equal(c->fp, 1);
	assert_float_equal(c->precision, 0.0, 1e-12);
	assert_true(isnan(c->recall));
	c = &r.rules[VG_SCORE_RULE_FORTIFICATION];
	assert_int_equal(c->fn, 1);
	assert_float_equal(c->recall, 0.0, 1e-12);
	c = &r.rules[VG_SCORE_RULE_ALL];
	assert_int_equal(c->tp, 2);
	assert_int_equal(c->fp, 2);
	assert_int_equal(c->fn, 1);
	assert_float_equal(c->recall, 2.0 / 3, 1e-12);
	assert_int_equal(r.fattr_n, 2);
	assert_int_equal(r.fattr_ok, 1);
	/* Brier: ((0.8 - 1)^2 + (0.6 - 0)^2) / 2 = 0.2 */
	assert_float_equal(r.fattr_brier, 0.2, 1e-12);
	assert_float_equal(r.finding_latency_s.median, 110, 1e-9);

	/* The JSON form parses back (spot check a value). */
	char buf[8192];
	printed(&r, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "\"all\":{\"tp\":3,\"fp\":2,\"fn\":1,\"precision\":0.6,\"recall\":0.75"));
	assert_non_null(strstr(buf, "\"explosion\":{\"tp\":1,\"fp\":0,\"fn\":0,\"precision\":1,\"recall\":null"));
}

/* A withdrawal is matched where the unit's weapons were at the finding's
 * time (its truth tracks), not where the first one crossed in. */
static void score_withdrawal(const char *tracks, struct vg_score_result *r)
{
	char truth[2048], p1[128], p2[128], p3[128];
	snprintf(truth, sizeof truth,
	         "{\"vigil_truth\":1,\"scenario\":\"hand\",\"seed\":1,"
	         "\"agreement\":{\"name\":\"x\",\"effective\":\"2026-03-01T00:00:00Z\",\"parties\":[\"A\",\"B\"]},"
	         "\"events\":[],\"violations\":["
	         "{\"id\":\"v1\",\"rule\":\"withdrawal\",\"party\":\"A\",\"from\":\"2026-03-01T01:00:00Z\","
	         "\"until\":\"2026-03-01T05:00:00Z\",\"lat\":48.3,\"lon\":37.5,\"unit\":\"U1\"}],"
	         "\"tracks\":[%s],\"sensors\":[]}\n",
	         tracks);
	write_file("truth.json", truth);
	write_file("events.ndjson", "");
	/* seen at 04:00, 22 km east of where the unit crossed in at 01:00 */
	write_file("findings.ndjson",
	           "{\"id\":\"f-000001\",\"rule\":\"withdrawal\",\"party\":\"A\",\"p_party\":0.9,"
	           "\"from\":\"2026-03-01T04:00:00Z\",\"until\":\"2026-03-01T04:10:00Z\",\"lat\":48.3,"
	           "\"lon\":37.8,\"grade\":\"possible\"}\n");
	struct vg_err err;
	vg_status st = vg_score_files(path_of("truth.json", p1), path_of("events.ndjson", p2),
	                              path_of("findings.ndjson", p3), NULL, r, &err);
	if (st != VG_OK)
		fail_msg("score: %s", err.msg);
}

static void test_withdrawal_tracks(void **state)
{
	(void)state;
	assert_non_null(tu_tmpdir(g_dir, sizeof g_dir));
	struct vg_score_result r;
	score_withdrawal("{\"id\":\"U1.1\",\"unit\":\"U1\",\"class\":\"artillery\",\"party\":\"A\","
	                 "\"points\":[[\"2026-03-01T01:00:00Z\",48.3,37.5],[\"2026-03-01T03:00:00Z\",48.3,37.8],"
	                 "[\"2026-03-01T05:00:00Z\",48.3,37.8]]},"
	                 "{\"id\":\"X.1\",\"unit\":\"X\",\"class\":\"tank\",\"party\":\"B\","
	                 "\"points\":[[\"2026-03-01T00:00:00Z\",48.3,37.5]]}",
	                 &r);
	assert_int_equal(r.rules[VG_SCORE_RULE_WITHDRAWAL].tp, 1);
	assert_int_equal(r.rules[VG_SCORE_RULE_WITHDRAWAL].fp, 0);
	assert_int_equal(r.n_missed, 0);
	/* Without tracks, the crossing point (22 km away) decides: no match. */
	score_withdrawal("", &r);
	assert_int_equal(r.rules[VG_SCORE_RULE_WITHDRAWAL].tp, 0);
	assert_int_equal(r.rules[VG_SCORE_RULE_WITHDRAWAL].fp, 1);
	assert_int_equal(r.rules[VG_SCORE_RULE_WITHDRAWAL].fn, 1);
	/* the missed violation is listed: id, rule, unit, window, observed */
	assert_int_equal(r.n_missed, 1);
	assert_string_equal(r.missed[0].id, "v1");
	assert_string_equal(r.missed[0].unit, "U1");
	assert_int_equal(r.missed[0].rule, VG_SCORE_RULE_WITHDRAWAL);
	assert_int_equal(r.missed[0].seen, -1);
	char buf[16384];
	printed(&r, true, buf, sizeof buf);
	assert_non_null(strstr(buf, "violations missed: 1\n    v1           withdrawal"));
	assert_non_null(strstr(buf, "2026-03-01T01:00:00Z .. 2026-03-01T05:00:00Z  observed: not stated"));
	printed(&r, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "\"missed\":{\"n\":1,\"first\":[{\"id\":\"v1\",\"rule\":\"withdrawal\",\"class\":\"\","
	                            "\"unit\":\"U1\",\"from\":\"2026-03-01T01:00:00Z\",\"until\":\"2026-03-01T05:00:00Z\","
	                            "\"observed\":null}]}"));
	tu_rmdir(g_dir);
}

/* A fire mission is found where its rounds fell, too (its launches may be
 * unheard): a no_fire finding at the impacts, 9 km from the guns, matches. */
static void test_no_fire_at_impacts(void **state)
{
	(void)state;
	assert_non_null(tu_tmpdir(g_dir, sizeof g_dir));
	write_file("truth.json",
	           "{\"vigil_truth\":1,\"scenario\":\"hand\",\"seed\":1,"
	           "\"agreement\":{\"name\":\"x\",\"effective\":\"2026-03-01T00:00:00Z\",\"parties\":[\"A\",\"B\"]},"
	           "\"events\":["
	           "{\"id\":\"ev-1\",\"type\":\"launch\",\"time\":\"2026-03-01T01:00:00Z\",\"lat\":48.0,\"lon\":37.8,"
	           "\"class\":\"mortar\",\"party\":\"A\",\"side\":\"A\",\"dud\":false},"
	           "{\"id\":\"ev-2\",\"type\":\"impact\",\"time\":\"2026-03-01T01:00:40Z\",\"lat\":48.0,\"lon\":37.92,"
	           "\"class\":\"mortar\",\"party\":\"A\",\"side\":\"B\",\"dud\":false}],"
	           "\"violations\":[{\"id\":\"v1\",\"rule\":\"no_fire\",\"party\":\"A\","
	           "\"from\":\"2026-03-01T01:00:00Z\",\"until\":\"2026-03-01T01:00:40Z\",\"lat\":48.0,"
	           "\"lon\":37.8,\"events\":[\"ev-1\",\"ev-2\"],\"detections\":1}],"
	           "\"tracks\":[],\"sensors\":[]}\n");
	write_file("events.ndjson", "");
	write_file("findings.ndjson",
	           "{\"id\":\"f-000001\",\"rule\":\"no_fire\",\"party\":\"A\",\"p_party\":1,"
	           "\"from\":\"2026-03-01T01:00:40Z\",\"until\":\"2026-03-01T01:00:41Z\",\"lat\":48.0005,"
	           "\"lon\":37.9205,\"grade\":\"probable\",\"line_dist_m\":3000}\n"
	           /* a rule the simulator's truth does not define: not scored, not an error */
	           "{\"id\":\"f-000002\",\"rule\":\"zone_cap\",\"party\":\"B\",\"p_party\":1,"
	           "\"from\":\"2026-03-01T00:00:00Z\",\"until\":\"2026-03-02T00:00:00Z\",\"lat\":48.1,"
	           "\"lon\":37.9,\"grade\":\"possible\",\"count\":4,\"cap\":3}\n");
	char p1[256], p2[256], p3[256];
	struct vg_score_result r;
	struct vg_err err;
	if (vg_score_files(path_of("truth.json", p1), path_of("events.ndjson", p2),
	                   path_of("findings.ndjson", p3), NULL, &r, &err) != VG_OK)
		fail_msg("score: %s", err.msg);
	assert_int_equal(r.rules[VG_SCORE_RULE_NO_FIRE].tp, 1);
	assert_int_equal(r.rules[VG_SCORE_RULE_NO_FIRE].fp, 0);
	assert_int_equal(r.seen_n[VG_SCORE_RULE_NO_FIRE], 1);
	assert_int_equal(r.seen_tp[VG_SCORE_RULE_NO_FIRE], 1);
	/* attribution of findings over 2 km from the line (the target) */
	assert_int_equal(r.fattr2k_n, 1);
	assert_int_equal(r.fattr2k_ok, 1);
	assert_int_equal(r.n_unscored, 1);
	assert_int_equal(r.n_findings, 1);
	tu_rmdir(g_dir);
}

/* The reliability table of p_party: matched findings with a party binned by
 * their stated probability (edges belong to the bin above; 1.0 to the last),
 * right counted against the truth; unmatched findings, findings without
 * p_party and p < 0.5 are in no bin. */
static void test_p_party_bins(void **state)
{
	(void)state;
	assert_non_null(tu_tmpdir(g_dir, sizeof g_dir));
	/* violation i: no_fire at (48.0 + 0.1 i, 37.8), hour i, party A for even i */
	enum { NV = 9 };
	static const char *const fparty[NV] = {"A", "B", "A", "A", "A", "A", "A", "B", "A"};
	/* the stated p of finding i (-1: none); f2 and f5 name the wrong party */
	static const double fp[NV] = {0.55, 0.85, 0.85, 0.9, 0.99, 1.0, 0.4, 0.75, -1};
	char truth[8192], fi[8192];
	size_t nt = 0, nf = 0;
	nt += (size_t)snprintf(truth + nt, sizeof truth - nt,
	                       "{\"vigil_truth\":1,\"scenario\":\"hand\",\"seed\":1,"
	                       "\"agreement\":{\"name\":\"x\",\"effective\":\"2026-03-01T00:00:00Z\","
	                       "\"parties\":[\"A\",\"B\"]},\"events\":[],\"violations\":[");
	for (int i = 0; i < NV; i++) {
		/* truth parties: B for v2 and v5 (the findings say A: wrong), else the finding's */
		const char *tp = i == 2 || i == 5 ? "B" : fparty[i];
		nt += (size_t)snprintf(truth + nt, sizeof truth - nt,
		                       "%s{\"id\":\"v%d\",\"rule\":\"no_fire\",\"party\":\"%s\","
		                       "\"from\":\"2026-03-01T%02d:00:00Z\",\"until\":\"2026-03-01T%02d:00:40Z\","
		                       "\"lat\":%.1f,\"lon\":37.8}",
		                       i ? "," : "", i, tp, i, i, 48.0 + 0.1 * i);
		if (i == 7) /* f7 (0.75) is 50 km from everything: a false finding */
			nf += (size_t)snprintf(fi + nf, sizeof fi - nf,
			                       "{\"rule\":\"no_fire\",\"party\":\"B\",\"p_party\":0.75,"
			                       "\"from\":\"2026-03-01T07:00:00Z\",\"until\":\"2026-03-01T07:00:40Z\","
			                       "\"lat\":48.7,\"lon\":38.5}\n");
		else if (fp[i] < 0) /* f8: a party without p_party */
			nf += (size_t)snprintf(fi + nf, sizeof fi - nf,
			                       "{\"rule\":\"no_fire\",\"party\":\"A\","
			                       "\"from\":\"2026-03-01T%02d:00:00Z\",\"until\":\"2026-03-01T%02d:00:40Z\","
			                       "\"lat\":%.1f,\"lon\":37.8}\n",
			                       i, i, 48.0 + 0.1 * i);
		else
			nf += (size_t)snprintf(fi + nf, sizeof fi - nf,
			                       "{\"rule\":\"no_fire\",\"party\":\"%s\",\"p_party\":%g,"
			                       "\"from\":\"2026-03-01T%02d:00:00Z\",\"until\":\"2026-03-01T%02d:00:40Z\","
			                       "\"lat\":%.1f,\"lon\":37.8}\n",
			                       fparty[i], fp[i], i, i, 48.0 + 0.1 * i);
	}
	snprintf(truth + nt, sizeof truth - nt, "],\"tracks\":[],\"sensors\":[]}\n");
	write_file("truth.json", truth);
	write_file("findings.ndjson", fi);
	char p1[256], p3[256];
	struct vg_score_result r;
	struct vg_err err;
	if (vg_score_files(path_of("truth.json", p1), NULL, path_of("findings.ndjson", p3), NULL, &r, &err) !=
	    VG_OK)
		fail_msg("score: %s", err.msg);
	assert_int_equal(r.rules[VG_SCORE_RULE_NO_FIRE].tp, 8);
	assert_int_equal(r.rules[VG_SCORE_RULE_NO_FIRE].fp, 1);
	/* expected: n, right, mean p per bin */
	static const struct {
		double lo, hi;
		uint64_t n, right;
		double mean_p;
	} want[VG_SCORE_P_BINS] = {
		{0.5, 0.6, 1, 1, 0.55},   /* f0 */
		{0.6, 0.7, 0, 0, NAN},
		{0.7, 0.8, 0, 0, NAN},    /* f7 unmatched */
		{0.8, 0.9, 2, 1, 0.85},   /* f1 right, f2 wrong */
		{0.9, 0.99, 1, 1, 0.9},   /* f3: 0.9 is the lower edge */
		{0.99, 1.0, 2, 1, 0.995}, /* f4 (0.99) right, f5 (1.0) wrong */
	};
	for (int k = 0; k < VG_SCORE_P_BINS; k++) {
		const struct vg_score_pbin *b = &r.fattr_bins[k];
		assert_float_equal(b->lo, want[k].lo, 0);
		assert_float_equal(b->hi, want[k].hi, 0);
		assert_int_equal(b->n, want[k].n);
		assert_int_equal(b->right, want[k].right);
		if (isnan(want[k].mean_p))
			assert_true(isnan(b->mean_p));
		else
			assert_float_equal(b->mean_p, want[k].mean_p, 1e-12);
	}
	/* f6 (0.4, right) is in the Brier score but in no bin; f8 in neither */
	assert_int_equal(r.fattr_n, 8);
	assert_int_equal(r.fattr_ok, 6);
	char buf[16384];
	printed(&r, true, buf, sizeof buf);
	assert_non_null(strstr(buf, "\"p_party_bins\":[{\"lo\":0.5,\"hi\":0.6,\"n\":1,\"right\":1,\"fraction\":1,"
	                            "\"mean_p\":0.55},{\"lo\":0.6,\"hi\":0.7,\"n\":0,\"right\":0,\"fraction\":null,"
	                            "\"mean_p\":null},"));
	assert_non_null(strstr(buf, "{\"lo\":0.8,\"hi\":0.9,\"n\":2,\"right\":1,\"fraction\":0.5,\"mean_p\":0.85}"));
	assert_non_null(strstr(buf, "{\"lo\":0.99,\"hi\":1,\"n\":2,\"right\":1,\"fraction\":0.5,\"mean_p\":0.995}]}"));
	assert_non_null(strstr(buf, "    [0.80, 0.90)                       2       1   50.0%   0.8500\n"));
	assert_non_null(strstr(buf, "    [0.99, 1.00]                       2       1   50.0%   0.9950\n"));
	tu_rmdir(g_dir);
}

/* Two units parked together are one group of weapons to any observer: the
 * finding that saw them finds both violations (recall), and is counted
 * once (precision). A unit of the same party 1.5 km away, or of the other
 * party at the same place, is not found by it; with finding_colocated_m 0
 * matching is one-to-one. */
static void test_withdrawal_colocated(void **state)
{
	(void)state;
	assert_non_null(tu_tmpdir(g_dir, sizeof g_dir));
	double la2, lo2, la3, lo3;
	move(48.3, 37.8, 90, 200, &la2, &lo2);  /* U2: 200 m east of U1 */
	move(48.3, 37.8, 0, 1500, &la3, &lo3);  /* U3: 1.5 km north */
	char truth[4096];
	snprintf(truth, sizeof truth,
	         "{\"vigil_truth\":1,\"scenario\":\"hand\",\"seed\":1,"
	         "\"agreement\":{\"name\":\"x\",\"effective\":\"2026-03-01T00:00:00Z\",\"parties\":[\"A\",\"B\"]},"
	         "\"events\":[],\"violations\":["
	         "{\"id\":\"v1\",\"rule\":\"withdrawal\",\"party\":\"A\",\"from\":\"2026-03-01T01:00:00Z\","
	         "\"until\":\"2026-03-01T05:00:00Z\",\"lat\":48.3,\"lon\":37.8,\"unit\":\"U1\",\"detections\":3},"
	         "{\"id\":\"v2\",\"rule\":\"withdrawal\",\"party\":\"A\",\"from\":\"2026-03-01T03:00:00Z\","
	         "\"until\":\"2026-03-01T06:00:00Z\",\"lat\":48.3,\"lon\":37.8,\"unit\":\"U2\",\"detections\":2},"
	         "{\"id\":\"v3\",\"rule\":\"withdrawal\",\"party\":\"A\",\"from\":\"2026-03-01T01:00:00Z\","
	         "\"until\":\"2026-03-01T05:00:00Z\",\"lat\":48.3,\"lon\":37.8,\"unit\":\"U3\",\"detections\":0,"
	         "\"launches_heard\":4},"
	         "{\"id\":\"v4\",\"rule\":\"withdrawal\",\"party\":\"B\",\"from\":\"2026-03-01T01:00:00Z\","
	         "\"until\":\"2026-03-01T05:00:00Z\",\"lat\":48.3,\"lon\":37.8,\"unit\":\"U4\",\"detections\":0}],"
	         "\"tracks\":["
	         "{\"id\":\"U1.1\",\"unit\":\"U1\",\"class\":\"mortar\",\"party\":\"A\",\"points\":[[\"2026-03-01T00:00:00Z\",48.3,37.8]]},"
	         "{\"id\":\"U2.1\",\"unit\":\"U2\",\"class\":\"mortar\",\"party\":\"A\",\"points\":[[\"2026-03-01T00:00:00Z\",%.9f,%.9f]]},"
	         "{\"id\":\"U3.1\",\"unit\":\"U3\",\"class\":\"mortar\",\"party\":\"A\",\"points\":[[\"2026-03-01T00:00:00Z\",%.9f,%.9f]]},"
	         "{\"id\":\"U4.1\",\"unit\":\"U4\",\"class\":\"mortar\",\"party\":\"B\",\"points\":[[\"2026-03-01T00:00:00Z\",48.3,37.8]]}],"
	         "\"sensors\":[]}\n",
	         la2, lo2, la3, lo3);
	write_file("truth.json", truth);
	/* seen at 04:00, 50 m from U1's mortar */
	write_file("findings.ndjson",
	           "{\"id\":\"f-000001\",\"rule\":\"withdrawal\",\"party\":\"A\",\"p_party\":1,"
	           "\"from\":\"2026-03-01T04:00:00Z\",\"until\":\"2026-03-01T04:00:00Z\",\"lat\":48.30045,"
	           "\"lon\":37.8}\n");
	char p1[256], p3[256];
	struct vg_score_result r;
	struct vg_err err;
	struct vg_score_options opt;
	vg_score_options_default(&opt);
	assert_float_equal(opt.finding_colocated_m, 500, 0);
	for (int strict = 0; strict < 2; strict++) {
		opt.finding_colocated_m = strict ? 0 : 500;
		if (vg_score_files(path_of("truth.json", p1), NULL, path_of("findings.ndjson", p3), &opt, &r, &err) !=
		    VG_OK)
			fail_msg("score: %s", err.msg);
		const struct vg_score_counts *c = &r.rules[VG_SCORE_RULE_WITHDRAWAL];
		assert_int_equal(c->tp, strict ? 1 : 2);
		assert_int_equal(c->fn, strict ? 3 : 2);
		assert_int_equal(c->fp, 0);
		assert_float_equal(c->precision, 1, 0);
		assert_int_equal(r.n_colocated, strict ? 0 : 1);
		/* U1, U2 seen; U3 never seen but heard firing: observed too */
		assert_int_equal(r.seen_n[VG_SCORE_RULE_WITHDRAWAL], 3);
		assert_int_equal(r.seen_tp[VG_SCORE_RULE_WITHDRAWAL], strict ? 1 : 2);
		/* attribution is the one finding's */
		assert_int_equal(r.fattr_n, 1);
	}
	tu_rmdir(g_dir);
}

static void expect_fail(const char *truth, const char *events, vg_status want, const char *needle)
{
	char p1[256], p2[256];
	write_file("t2.json", truth);
	write_file("e2.ndjson", events);
	struct vg_score_result r;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_score_files(path_of("t2.json", p1), path_of("e2.ndjson", p2), NULL, NULL, &r, &err);
	if (st != want || !strstr(err.msg, needle)) {
		fprintf(stderr, "got %s: %s\nwant %s: ...%s...\n", vg_status_name(st), err.msg,
		        vg_status_name(want), needle);
		fail();
	}
}

static void test_bad_inputs_named(void **state)
{
	(void)state;
	expect_fail(TRUTH, "{\"type\":\"launch\",\"time\":\"yesterday\",\"lat\":1,\"lon\":2}\n", VG_ERR_TIME,
	            "e2.ndjson line 1: time:");
	expect_fail(TRUTH, "\n{\"type\":\"rocket\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2}\n",
	            VG_ERR_RANGE, "e2.ndjson line 2: type: must be launch, impact, explosion or fire");
	expect_fail(TRUTH, "{\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":91,\"lon\":2}\n",
	            VG_ERR_RANGE, "line 1: lat: = 91: must be in [-90, 90]");
	expect_fail(TRUTH, "{\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2,"
	                   "\"cov_m2\":[[1,2],[3,4]]}\n",
	            VG_ERR_RANGE, "cov_m2: must be symmetric positive definite");
	expect_fail(TRUTH, "{\"type\":\"launch\",\"time\":\"2026-03-01T00:00:00Z\",\"lat\":1,\"lon\":2,"
	                   "\"ellipse\":{\"smaj_m\":10,\"smin_m\":20,\"az_deg\":0}}\n",
	            VG_ERR_RANGE, "ellipse.smin_m: must be <= smaj_m");
	expect_fail(TRUTH, "{\"type\":\"launch\"", VG_ERR_JSON, "e2.ndjson line 1");
	expect_fail("{\"events\":[]}", "", VG_ERR_VERSION, "not a Vigil truth file");
	{
		/* a violation's "detections" must be a count */
		char t[4096];
		const char *at = strstr(TRUTH, "\"lat\":48.3,\"lon\":37.5}");
		assert_non_null(at);
		snprintf(t, sizeof t, "%.*s\"lat\":48.3,\"lon\":37.5,\"detections\":-2}%s", (int)(at - TRUTH), TRUTH,
		         at + strlen("\"lat\":48.3,\"lon\":37.5}"));
		expect_fail(t, "", VG_ERR_RANGE, "violations[1].detections");
		snprintf(t, sizeof t, "%.*s\"lat\":48.3,\"lon\":37.5,\"detections\":0,\"launches_heard\":1.5}%s",
		         (int)(at - TRUTH), TRUTH, at + strlen("\"lat\":48.3,\"lon\":37.5}"));
		expect_fail(t, "", VG_ERR_RANGE, "violations[1].launches_heard");
		/* its id and class, listed when missed: strings of at most 64 */
		snprintf(t, sizeof t, "%.*s\"lat\":48.3,\"lon\":37.5,\"class\":7}%s", (int)(at - TRUTH), TRUTH,
		         at + strlen("\"lat\":48.3,\"lon\":37.5}"));
		expect_fail(t, "", VG_ERR_TYPE, "violations[1].class: must be a string");
		snprintf(t, sizeof t, "%.*s\"lat\":48.3,\"lon\":37.5,\"class\":\"%065d\"}%s", (int)(at - TRUTH),
		         TRUTH, 0, at + strlen("\"lat\":48.3,\"lon\":37.5}"));
		expect_fail(t, "", VG_ERR_RANGE, "violations[1].class: longer than 64 characters");
	}
	tu_rmdir(g_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_made),
		cmocka_unit_test(test_bad_inputs_named),
		cmocka_unit_test(test_withdrawal_tracks),
		cmocka_unit_test(test_no_fire_at_impacts),
		cmocka_unit_test(test_p_party_bins),
		cmocka_unit_test(test_withdrawal_colocated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

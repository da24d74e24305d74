/* test_report.c - src/report: the day's date (strict YYYY-MM-DD, calendar,
 * range), and the daily page from a small store with known findings and
 * events: the counts in its data-k cells, the previous day, escaping,
 * determinism, the checkpoint verified (wrong key, malformed note), the
 * caller's preconditions and the size cap. tests/e2e/report_daily.sh
 * checks the page against the real binary's other commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ledger/ledger.h"
#include "report/report.h"
#include "rules/rules.h"
#include "store/store.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S INT64_C(1000000000)
#define DAY (86400 * S)
#define T0 INT64_C(1772323200000000000) /* 2026-03-01T00:00:00Z */

static void date_ok(const char *s, int64_t want)
{
	int64_t t = -1;
	struct vg_err err;
	vg_err_clear(&err);
	assert_int_equal(vg_report_date_parse(s, strlen(s), &t, &err), VG_OK);
	assert_true(t == want);
}

static void date_bad(const char *s)
{
	int64_t t = 42;
	struct vg_err err;
	vg_err_clear(&err);
	assert_int_equal(vg_report_date_parse(s, strlen(s), &t, &err), VG_ERR_TIME);
	assert_true(t == 42); /* untouched */
	assert_non_null(strstr(err.msg, "date"));
}

static void test_date(void **state)
{
	(void)state;
	date_ok("2026-03-01", T0);
	date_ok("1970-01-01", 0);
	date_ok("2024-02-29", INT64_C(1709164800000000000)); /* a leap day */
	date_ok("1677-09-23", INT64_C(-9223200000000000000)); /* the first with a day before */
	date_ok("2262-04-09", INT64_C(9223113600000000000)); /* the last with a day after */
	const char *bad[] = {"", "yesterday", "2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10",
	                     "2026-3-01", "2026-03-1", " 2026-03-01", "2026-03-01 ", "2026/03/01",
	                     "+026-03-01", "2026-03-01T00:00:00Z", "20260301", "1677-09-21",
	                     "1677-09-22", "2262-04-10", "2262-04-11", "9999-12-31", "0000-01-01"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		date_bad(bad[i]);
	/* not NUL-terminated: only len bytes are read */
	int64_t t;
	struct vg_err err;
	assert_int_equal(vg_report_date_parse("2026-03-01xyz", 10, &t, &err), VG_OK);
	assert_true(t == T0);
}

/* ---- A small store ------------------------------------------------------------------- */

static const char *AGREEMENT =
	"{\"type\":\"FeatureCollection\",\"agreement\":{\"name\":\"T <b>&</b> \\\"q\\\"\",\"version\":1,"
	"\"parties\":[\"A\",\"B\"],\"effective\":\"2026-02-15T00:00:00Z\","
	"\"rules\":[{\"id\":\"nf\",\"type\":\"no_fire\"}]},\"features\":["
	"{\"type\":\"Feature\",\"id\":\"contact-line\",\"properties\":{\"role\":\"contact_line\"},"
	"\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37.8,47],[37.8,49]]}},"
	"{\"type\":\"Feature\",\"id\":\"side-A\",\"properties\":{\"role\":\"side\",\"party\":\"A\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[36,47],[37.8,47],[37.8,49],[36,49],[36,47]]]}},"
	"{\"type\":\"Feature\",\"id\":\"side-B\",\"properties\":{\"role\":\"side\",\"party\":\"B\"},"
	"\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[37.8,47],[39.6,47],[39.6,49],[37.8,49],[37.8,47]]]}}"
	"]}";

struct fx {
	char dir[64];
	vg_store *st;
	char *cp;          /* a checkpoint signed by key */
	size_t cp_len;
	struct vg_note_signer key, other;
};

static char *finding_line(const char *id, int rule, const char *party, int grade, int64_t from,
                          int64_t until, double lat, double lon, size_t *len)
{
	struct vg_finding x;
	memset(&x, 0, sizeof x);
	snprintf(x.id, sizeof x.id, "%s", id);
	x.rule = rule;
	snprintf(x.rule_id, sizeof x.rule_id, "%s", rule == VG_RULE_WITHDRAWAL ? "wd" : "nf");
	snprintf(x.party, sizeof x.party, "%s", party);
	x.p_party = 0.9;
	x.from_ns = from;
	x.until_ns = until;
	x.lat_deg = lat;
	x.lon_deg = lon;
	x.cov_m2[0][0] = x.cov_m2[1][1] = 400;
	x.cep90_m = 43;
	snprintf(x.class_name, sizeof x.class_name, "%s", rule == VG_RULE_WITHDRAWAL ? "artillery" : "");
	x.count = rule == VG_RULE_WITHDRAWAL ? 3 : 1;
	x.grade = grade;
	x.agreement_version = 1;
	char *p = NULL;
	FILE *m = open_memstream(&p, len);
	vg_finding_write_ndjson(m, &x);
	fclose(m);
	while (*len && p[*len - 1] == '\n')
		p[--*len] = '\0';
	return p;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(tu_tmpdir(f->dir, sizeof f->dir));
	char path[128];
	snprintf(path, sizeof path, "%s/r.db", f->dir);
	struct vg_err err;
	assert_int_equal(vg_store_open(path, &f->st, &err), VG_OK);
	/* findings: two the day before (one reaching into the day), three on the day */
	struct {
		const char *id;
		int rule;
		const char *party;
		int grade;
		int64_t from, until;
		double lat, lon;
	} fs[] = {
#define H (3600 * S)
		{"f-000001", VG_RULE_NO_FIRE, "B", VG_GRADE_CONFIRMED, T0 - 5 * H, T0 - 5 * H + 60 * S, 48.1, 38.0},
		{"f-000002", VG_RULE_WITHDRAWAL, "A", VG_GRADE_PROBABLE, T0 - H, T0 + 2 * H, 48.2, 37.5},
		{"f-3fa92c0d41b7e659", VG_RULE_NO_FIRE, "B", VG_GRADE_POSSIBLE, T0 + 4 * H, T0 + 4 * H + 9 * S, 48.0, 38.2},
		{"f-000004", VG_RULE_NO_FIRE, "", VG_GRADE_CONFIRMED, T0 + 23 * H, T0 + DAY + 60 * S, 47.5, 37.0},
#undef H
	};
	struct vg_finding_row rows[4];
	char *lines[4];
	for (int i = 0; i < 4; i++) {
		size_t len;
		lines[i] = finding_line(fs[i].id, fs[i].rule, fs[i].party, fs[i].grade, fs[i].from,
		                        fs[i].until, fs[i].lat, fs[i].lon, &len);
		rows[i] = (struct vg_finding_row){.seq = i + 1, .id = fs[i].id,
		                                  .rule = vg_rule_type_name(fs[i].rule), .rule_id = "x",
		                                  .party = fs[i].party, .grade = vg_grade_name(fs[i].grade),
		                                  .from_ns = fs[i].from, .until_ns = fs[i].until,
		                                  .lat_deg = fs[i].lat, .lon_deg = fs[i].lon,
		                                  .record = lines[i], .record_len = len};
	}
	assert_int_equal(vg_store_findings_replace(f->st, rows, 4, &err), VG_OK);
	for (int i = 0; i < 4; i++)
		free(lines[i]);
	/* events: one the day before, three on the day */
	const char *types[] = {"impact", "launch", "launch", "explosion"};
	int64_t times[] = {T0 - 10 * S, T0 + 10 * S, T0 + 3600 * S, T0 + DAY - 1};
	assert_int_equal(vg_store_begin(f->st, &err), VG_OK);
	for (int i = 0; i < 4; i++) {
		char rec[128];
		snprintf(rec, sizeof rec, "{\"id\":\"e-%06d\",\"type\":\"%s\"}", i + 1, types[i]);
		struct vg_event_row e = {.seq = i + 1, .type = types[i], .t_ns = times[i], .lat_deg = 48.0,
		                         .lon_deg = 37.9 + 0.01 * i, .cep90_m = 20, .record = rec,
		                         .record_len = strlen(rec)};
		assert_int_equal(vg_store_event_insert(f->st, &e, &err), VG_OK);
	}
	assert_int_equal(vg_store_commit(f->st, &err), VG_OK);
	/* a checkpoint signed by a key, and another key of the same name */
	uint8_t seed[VG_SEED_BYTES] = {1}, seed2[VG_SEED_BYTES] = {2};
	assert_int_equal(vg_note_signer_from_seed("test/log", VG_NOTE_ED25519, seed, &f->key, &err), VG_OK);
	assert_int_equal(vg_note_signer_from_seed("test/log", VG_NOTE_ED25519, seed2, &f->other, &err),
	                 VG_OK);
	struct vg_checkpoint cp = {.size = 7};
	snprintf(cp.origin, sizeof cp.origin, "test/log");
	memset(cp.root, 0xab, sizeof cp.root);
	char body[512];
	size_t bl = vg_checkpoint_format(&cp, body, sizeof body);
	f->cp = malloc(VG_NOTE_MAX);
	assert_int_equal(vg_note_sign(&f->key, body, bl, 0, f->cp, VG_NOTE_MAX, &f->cp_len, &err), VG_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	vg_store_free(f->st);
	free(f->cp);
	vg_note_signer_wipe(&f->key);
	vg_note_signer_wipe(&f->other);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* The number in the cell data-k="key", -1 if none. */
static long cell(const char *page, const char *key)
{
	char pat[256];
	snprintf(pat, sizeof pat, "data-k=\"%s\">", key);
	const char *p = strstr(page, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static char *render(struct fx *f, struct vg_report_daily_opts *o, vg_status want)
{
	char *page = (char *)0x1;
	size_t len = 0;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status rc = vg_report_daily(f->st, o, &page, &len, &err);
	if (rc != want)
		fail_msg("vg_report_daily: %d (%s), want %d", rc, err.msg, want);
	if (rc != VG_OK) {
		assert_ptr_equal(page, (char *)0x1); /* untouched */
		return NULL;
	}
	assert_int_equal(strlen(page), len);
	return page;
}

static void test_page(void **state)
{
	struct fx *f = *state;
	struct vg_note_verifier vk = f->key.pub;
	struct vg_report_daily_opts o = {.day_ns = T0, .agreement = AGREEMENT,
	                                 .agreement_len = strlen(AGREEMENT), .checkpoint = f->cp,
	                                 .checkpoint_len = f->cp_len, .log_key = &vk};
	char *a = render(f, &o, VG_OK), *b = render(f, &o, VG_OK);
	assert_string_equal(a, b); /* deterministic */
	/* findings overlapping the day: f-2 (from the day before), f-3, f-4 */
	assert_int_equal(cell(a, "rule/all/total"), 3);
	assert_int_equal(cell(a, "rule/no_fire/total"), 2);
	assert_int_equal(cell(a, "rule/no_fire/confirmed"), 1);
	assert_int_equal(cell(a, "rule/no_fire/possible"), 1);
	assert_int_equal(cell(a, "rule/withdrawal/probable"), 1);
	/* the day before: f-1, f-2 */
	assert_int_equal(cell(a, "rule/all/yesterday"), 2);
	assert_int_equal(cell(a, "rule/withdrawal/yesterday"), 1);
	/* events of the day: 2 launches, 1 explosion; the day before 1 impact */
	assert_int_equal(cell(a, "event/launch/today"), 2);
	assert_int_equal(cell(a, "event/explosion/today"), 1);
	assert_int_equal(cell(a, "event/impact/today"), 0);
	assert_int_equal(cell(a, "event/impact/yesterday"), 1);
	assert_int_equal(cell(a, "event/all/cited"), 0);
	/* areas: f-2 (37.5 E) and f-4 (37.0 E) in side A, f-3 in side B */
	assert_int_equal(cell(a, "area/side-A/findings"), 2);
	assert_int_equal(cell(a, "area/side-B/findings"), 1);
	assert_int_equal(cell(a, "area/outside/findings"), 0);
	assert_int_equal(cell(a, "area/side-B/events"), 3);
	/* weapons: f-2 */
	assert_int_equal(cell(a, "wd/f-000002/count"), 3);
	assert_int_equal(cell(a, "wd/all/weapons"), 3);
	assert_int_equal(cell(a, "log/size/entries"), 7);
	/* map labels: an id of the adjudicator's form by its first six hex
	 * digits, another one whole */
	assert_non_null(strstr(a, ">3fa92c</text>"));
	assert_non_null(strstr(a, ">f-000004</text>"));
	/* no coverage: everything unobserved */
	assert_non_null(strstr(a, "data-k=\"cov/side-A/unobserved\">100.0<"));
	/* escaped, self-contained */
	assert_non_null(strstr(a, "T &lt;b&gt;&amp;&lt;/b&gt; &quot;q&quot;"));
	assert_null(strstr(a, "<b>&"));
	assert_null(strstr(a, "<script"));
	assert_null(strstr(a, "http:"));
	assert_null(strstr(a, "https:"));
	assert_null(strstr(a, "url("));
	assert_non_null(strstr(a, "Sunday 1 March 2026"));
	free(b);
	/* the same page unchecked: the key does not change the bytes */
	o.log_key = NULL;
	b = render(f, &o, VG_OK);
	assert_string_equal(a, b);
	free(b);
	/* the next day: this day's counts as its previous day */
	o.day_ns = T0 + DAY;
	b = render(f, &o, VG_OK);
	assert_int_equal(cell(b, "rule/all/yesterday"), 3);
	assert_int_equal(cell(b, "rule/all/total"), 1); /* f-4 runs past midnight */
	assert_int_equal(cell(b, "event/launch/yesterday"), 2);
	free(b);
	/* without an agreement: the grid, named by the south-west corner */
	o.day_ns = T0;
	o.agreement = NULL;
	b = render(f, &o, VG_OK);
	assert_int_equal(cell(b, "area/48.00N 37.50E/findings"), 1);
	assert_int_equal(cell(b, "area/48.00N 37.75E/events"), 3);
	assert_int_equal(cell(b, "area/47.50N 37.00E/findings"), 1);
	free(b);
	free(a);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct vg_note_verifier other = f->other.pub;
	struct vg_report_daily_opts o = {.day_ns = T0, .checkpoint = f->cp, .checkpoint_len = f->cp_len,
	                                 .log_key = &other};
	render(f, &o, VG_ERR_SIGNATURE);
	o.log_key = NULL;
	o.checkpoint = "test/log\n7\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n";
	o.checkpoint_len = strlen(o.checkpoint);
	render(f, &o, VG_ERR_VERSION); /* no blank line, no signature */
	o.checkpoint = "test/log\n07\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n- x\n";
	o.checkpoint_len = strlen(o.checkpoint);
	render(f, &o, VG_ERR_VERSION); /* a leading zero */
	o.checkpoint = NULL;
	char *p = render(f, &o, VG_OK);
	assert_non_null(strstr(p, "not anchored"));
	free(p);
	o.agreement = "{\"type\":\"FeatureCollection\"}";
	o.agreement_len = strlen(o.agreement);
	struct vg_err err;
	char *page;
	size_t len;
	assert_int_not_equal(vg_report_daily(f->st, &o, &page, &len, &err), VG_OK);
	assert_non_null(strstr(err.msg, "agreement"));
	o.agreement = NULL;
	o.day_ns = T0 + 1;
	render(f, &o, VG_ERR_INVALID_ARG);
	o.day_ns = T0;
	o.max_bytes = 4096;
	render(f, &o, VG_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date),
		cmocka_unit_test_setup_teardown(test_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

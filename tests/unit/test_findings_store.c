/* test_findings_store.c - src/store: the findings table (schema 6) written
 * by `vigil adjudicate` and read by GET /v1/findings: replace-all in one
 * transaction, filters (time overlap, box, rule, party, grade) and
 * pagination, and the migration from schema 5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store/store.h"
#include "test_util.h"

#include <sqlite3.h>

#define S 1000000000LL

struct got {
	int n;
	char ids[16][24];
	char rec[16][128];
	int64_t seq[16];
};

static int collect(void *ctx, const struct vg_finding_row *r)
{
	struct got *g = ctx;
	assert_true(g->n < 16);
	snprintf(g->ids[g->n], sizeof g->ids[0], "%s", r->id);
	assert_true(r->record_len < sizeof g->rec[0]);
	memcpy(g->rec[g->n], r->record, r->record_len);
	g->rec[g->n][r->record_len] = '\0';
	g->seq[g->n] = r->seq;
	assert_non_null(r->party); /* "" when none */
	g->n++;
	return 0;
}

static int stop_first(void *ctx, const struct vg_finding_row *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 1;
}

/* Five findings: (id, rule, party, grade, from s, until s, lat, lon). */
static struct vg_finding_row rows[5];
static char recs[5][96];

static void make_rows(void)
{
	static const struct {
		const char *rule, *party, *grade;
		int64_t from, until;
		double lat, lon;
	} d[5] = {
		{"no_fire", "A", "confirmed", 100, 100, 48.0, 37.0},
		{"no_fire", "B", "probable", 200, 260, 48.5, 37.5},
		{"withdrawal", "B", "possible", 300, 900, 49.0, 38.0},
		{"no_fly", "", "possible", 400, 410, 47.0, 36.0},
		{"no_fire", "A", "confirmed", 1000, 1000, 48.2, 37.2},
	};
	for (int i = 0; i < 5; i++) {
		char id[24];
		snprintf(id, sizeof id, "f-%06d", i + 1);
		int n = snprintf(recs[i], sizeof recs[i], "{\"id\":\"%s\",\"rule\":\"%s\",\"n\":%d}", id,
		                 d[i].rule, i);
		static char ids[5][24];
		memcpy(ids[i], id, sizeof id);
		rows[i] = (struct vg_finding_row){
			.seq = i + 1, .id = ids[i], .rule = d[i].rule, .rule_id = "r1",
			.party = i == 3 ? NULL : d[i].party, .grade = d[i].grade,
			.from_ns = d[i].from * S, .until_ns = d[i].until * S, .lat_deg = d[i].lat,
			.lon_deg = d[i].lon, .record = recs[i], .record_len = (size_t)n,
		};
	}
}

static struct got query(vg_store *st, const struct vg_finding_filter *f)
{
	struct got g = {0};
	struct vg_err err;
	assert_int_equal(vg_store_finding_query(st, f, collect, &g, &err), VG_OK);
	return g;
}

static void replace_and_query(void **state)
{
	(void)state;
	char dir[64], path[128];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/f.db", dir);
	struct vg_err err;
	vg_store *st = NULL;
	assert_int_equal(vg_store_open(path, &st, &err), VG_OK);
	assert_int_equal(vg_store_schema_version(st), VG_STORE_SCHEMA_VERSION);
	assert_int_equal(VG_STORE_SCHEMA_VERSION, 9);
	make_rows();

	struct vg_finding_filter all = {0};
	assert_int_equal(query(st, &all).n, 0);
	assert_int_equal(vg_store_findings_replace(st, rows, 5, &err), VG_OK);
	struct got g = query(st, &all);
	assert_int_equal(g.n, 5);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(g.ids[i], rows[i].id);
		assert_string_equal(g.rec[i], recs[i]); /* the line, byte for byte */
		assert_int_equal(g.seq[i], i + 1);
	}

	/* time: the interval [from, until] overlaps [t0, t1] */
	struct vg_finding_filter f = {.has_time = true, .t0_ns = 250 * S, .t1_ns = 350 * S};
	g = query(st, &f);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[0], "f-000002");
	assert_string_equal(g.ids[1], "f-000003");
	f = (struct vg_finding_filter){.has_time = true, .t0_ns = 1000 * S, .t1_ns = 1000 * S};
	g = query(st, &f);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "f-000005");
	f = (struct vg_finding_filter){.has_time = true, .t0_ns = 1001 * S, .t1_ns = 2000 * S};
	assert_int_equal(query(st, &f).n, 0);

	/* box */
	f = (struct vg_finding_filter){.has_bbox = true, .min_lat_deg = 47.9, .max_lat_deg = 48.6,
	                               .min_lon_deg = 36.9, .max_lon_deg = 37.6};
	g = query(st, &f);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids[0], "f-000001");
	assert_string_equal(g.ids[1], "f-000002");
	assert_string_equal(g.ids[2], "f-000005");

	/* rule, party, grade, and their conjunction */
	f = (struct vg_finding_filter){.rule = "no_fire"};
	assert_int_equal(query(st, &f).n, 3);
	f = (struct vg_finding_filter){.party = "B"};
	g = query(st, &f);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[0], "f-000002");
	f = (struct vg_finding_filter){.grade = "possible"};
	g = query(st, &f);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[1], "f-000004");
	f = (struct vg_finding_filter){.rule = "no_fire", .party = "A", .grade = "confirmed",
	                               .has_time = true, .t0_ns = 0, .t1_ns = 500 * S};
	g = query(st, &f);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "f-000001");
	f = (struct vg_finding_filter){.rule = "no_fire' OR '1'='1"};
	assert_int_equal(query(st, &f).n, 0);

	/* pagination: after + limit */
	f = (struct vg_finding_filter){.after_seq = 1, .limit = 2};
	g = query(st, &f);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[0], "f-000002");
	assert_string_equal(g.ids[1], "f-000003");
	f = (struct vg_finding_filter){.after_seq = 3, .limit = 10, .rule = "no_fire"};
	g = query(st, &f);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids[0], "f-000005");
	int calls = 0;
	assert_int_equal(vg_store_finding_query(st, &all, stop_first, &calls, &err), VG_OK);
	assert_int_equal(calls, 1);

	/* a failing replace (duplicate id) changes nothing */
	struct vg_finding_row dup[2] = {rows[0], rows[1]};
	dup[1].id = dup[0].id;
	assert_int_not_equal(vg_store_findings_replace(st, dup, 2, &err), VG_OK);
	assert_int_equal(query(st, &all).n, 5);

	/* a second run replaces the first, inside a caller's transaction too */
	assert_int_equal(vg_store_findings_replace(st, rows + 3, 2, &err), VG_OK);
	g = query(st, &all);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.ids[0], "f-000004");
	assert_int_equal(vg_store_begin(st, &err), VG_OK);
	assert_int_equal(vg_store_findings_replace(st, rows, 1, &err), VG_OK);
	vg_store_rollback(st);
	assert_int_equal(query(st, &all).n, 2);
	vg_store_free(st);

	/* a read-only handle sees them; an empty run clears them */
	assert_int_equal(vg_store_open_ro(path, &st, &err), VG_OK);
	assert_int_equal(query(st, &all).n, 2);
	vg_store_free(st);
	assert_int_equal(vg_store_open(path, &st, &err), VG_OK);
	assert_int_equal(vg_store_findings_replace(st, NULL, 0, &err), VG_OK);
	assert_int_equal(query(st, &all).n, 0);
	vg_store_free(st);
	tu_rmdir(dir);
}

/* A schema-5 store gains the tables on open (and a read-only open refuses it). */
static void migrates_from_5(void **state)
{
	(void)state;
	char dir[64], path[128];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	snprintf(path, sizeof path, "%s/f.db", dir);
	struct vg_err err;
	vg_store *st = NULL;
	assert_int_equal(vg_store_open(path, &st, &err), VG_OK);
	vg_store_free(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* back to schema 5: without the findings (6), publications (7), the
	 * findings' R*Tree (8) and the state table (9) */
	assert_int_equal(sqlite3_exec(db, "DROP TABLE state; DROP TABLE findings_rtree; DROP TABLE publications;"
	                                  " DROP TABLE findings; UPDATE schema_version SET version = 5",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(vg_store_open_ro(path, &st, &err), VG_ERR_VERSION);
	assert_int_equal(vg_store_open(path, &st, &err), VG_OK);
	assert_int_equal(vg_store_schema_version(st), VG_STORE_SCHEMA_VERSION);
	make_rows();
	assert_int_equal(vg_store_findings_replace(st, rows, 5, &err), VG_OK);
	struct vg_finding_filter all = {0};
	assert_int_equal(query(st, &all).n, 5);
	vg_store_free(st);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replace_and_query),
		cmocka_unit_test(migrates_from_5),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

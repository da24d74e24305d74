/* bench/findings.c - a store of many findings, and how fast it answers the
 * watch floor's query (a box and a time range, one page).
 *
 *   bench_findings --db PATH [--n 1000000] [--days 30] [--queries 20000]
 *
 * Fills PATH (created; refuses an existing file) with N synthetic findings
 * spread uniformly over DAYS days and the box 46-50 N, 34-40 E (deterministic
 * generator), each with a record line of the usual size, through
 * vg_store_findings_replace as `vigil adjudicate` does; then runs QUERIES
 * random queries as GET /v1/findings does (a box 0.5 x 0.5 degrees, a window
 * of 6 hours, a page of 100 + 1) and prints the latency distribution.
 * bench/findings_api.sh drives the same store through `vigil serve` with wrk.
 * Prints figures; asserts nothing. */
#include "core/core.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double urand(void) /* splitmix64 -> [0, 1) */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int count_row(void *ctx, const struct vg_finding_row *r)
{
	(void)r;
	(*(int64_t *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *db = NULL;
	long n = 1000000, days = 30, queries = 20000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[++i];
		else if (!strcmp(argv[i], "--n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--days") && i + 1 < argc)
			days = atol(argv[++i]);
		else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
			queries = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_findings --db PATH [--n N] [--days D] [--queries Q]\n");
			return 2;
		}
	}
	if (!db || n < 1 || days < 1 || queries < 0) {
		fprintf(stderr, "usage: bench_findings --db PATH [--n N] [--days D] [--queries Q]\n");
		return 2;
	}
	if (access(db, F_OK) == 0) {
		fprintf(stderr, "bench_findings: %s exists; give a new path\n", db);
		return 2;
	}
	static const char *const rules[] = {"no_fire", "withdrawal", "no_fly", "disengagement"};
	static const char *const grades[] = {"possible", "probable", "confirmed"};
	static const char *const parties[] = {"A", "B"};
	const int64_t t_start = 1772323200LL * VG_NS_PER_S; /* 2026-03-01T00:00:00Z */
	const int64_t span = (int64_t)days * 86400 * VG_NS_PER_S;
	struct vg_finding_row *rows = calloc((size_t)n, sizeof *rows);
	char *text = malloc((size_t)n * 512);
	char (*ids)[24] = malloc((size_t)n * sizeof *ids);
	if (!rows || !text || !ids) {
		fprintf(stderr, "bench_findings: out of memory\n");
		return 1;
	}
	size_t off = 0;
	for (long i = 0; i < n; i++) {
		struct vg_finding_row *r = &rows[i];
		r->seq = i + 1;
		r->rule = rules[(int)(urand() * 4)];
		r->rule_id = r->rule;
		r->party = parties[(int)(urand() * 2)];
		r->grade = grades[(int)(urand() * 3)];
		r->from_ns = t_start + (int64_t)(urand() * (double)span);
		r->until_ns = r->from_ns + (int64_t)(urand() * 600) * VG_NS_PER_S;
		r->lat_deg = 46 + 4 * urand();
		r->lon_deg = 34 + 6 * urand();
		char *id = ids[i];
		snprintf(id, sizeof ids[i], "f-%07ld", i + 1);
		char from[VG_TIME_STR_MAX], until[VG_TIME_STR_MAX];
		vg_time_format(r->from_ns, from);
		vg_time_format(r->until_ns, until);
		char *rec = text + off;
		int w = snprintf(rec, 480,
		                 "{\"id\":\"%s\",\"rule\":\"%s\",\"rule_id\":\"%s\",\"party\":\"%s\","
		                 "\"p_party\":0.97,\"from\":\"%s\",\"until\":\"%s\",\"lat\":%.7f,"
		                 "\"lon\":%.7f,\"cov_m2\":[[3675.7,9324.7],[9324.7,30364]],\"cep90_m\":280,"
		                 "\"class\":\"mortar\",\"count\":1,\"grade\":\"%s\",\"sensors\":5,"
		                 "\"owners\":2,\"evidence\":[%ld,%ld,%ld,%ld,%ld]}",
		                 id, r->rule, r->rule_id, r->party, from, until, r->lat_deg, r->lon_deg,
		                 r->grade, 10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3, 10 * i + 4);
		r->id = id;
		r->record = rec;
		r->record_len = (size_t)w;
		off += (size_t)w + 1;
	}
	vg_store *st;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_store_open(db, &st, &err) != VG_OK) {
		fprintf(stderr, "bench_findings: %s\n", err.msg);
		return 1;
	}
	int64_t t0 = vg_time_mono_ns();
	if (vg_store_findings_replace(st, rows, (size_t)n, &err) != VG_OK) {
		fprintf(stderr, "bench_findings: %s\n", err.msg);
		return 1;
	}
	int64_t t1 = vg_time_mono_ns();
	printf("bench_findings: %ld findings over %ld days stored in %.1f s (%.0f/s)\n", n, days,
	       (t1 - t0) / 1e9, n / ((t1 - t0) / 1e9));
	if (queries > 0) {
		int64_t *lat = malloc((size_t)queries * sizeof *lat), total = 0;
		for (long q = 0; q < queries; q++) {
			double la = 46 + 3.5 * urand(), lo = 34 + 5.5 * urand();
			int64_t t = t_start + (int64_t)(urand() * (double)(span - 6 * 3600 * VG_NS_PER_S));
			struct vg_finding_filter f = {.has_time = true, .t0_ns = t,
			                              .t1_ns = t + 6 * 3600 * VG_NS_PER_S, .has_bbox = true,
			                              .min_lat_deg = la, .max_lat_deg = la + 0.5,
			                              .min_lon_deg = lo, .max_lon_deg = lo + 0.5, .limit = 101};
			int64_t got = 0, a = vg_time_mono_ns();
			if (vg_store_finding_query(st, &f, count_row, &got, &err) != VG_OK) {
				fprintf(stderr, "bench_findings: %s\n", err.msg);
				return 1;
			}
			lat[q] = vg_time_mono_ns() - a;
			total += got;
		}
		qsort(lat, (size_t)queries, sizeof *lat, cmp_i64);
		printf("bench_findings: %ld queries (box 0.5 x 0.5 deg, 6 h, page 101): %.1f findings each;"
		       " latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		       queries, (double)total / (double)queries, lat[queries / 2] / 1e6,
		       lat[queries * 9 / 10] / 1e6, lat[queries * 99 / 100] / 1e6, lat[queries - 1] / 1e6);
		free(lat);
	}
	vg_store_free(st);
	free(rows);
	free(text);
	free(ids);
	return 0;
}

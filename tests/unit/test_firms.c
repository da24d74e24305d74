/* test_firms.c - the NASA FIRMS CSV reader (src/rules/firms.c): VIIRS and
 * MODIS layouts read into rows; every malformed or out-of-range file
 * refused with the line and the field named, and no row of it handed on
 * (`vigil import firms` stores a file whole or not at all). */
#include "rules/rules.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

struct got {
	unsigned n;
	struct vg_firms_row r[4];
};

static vg_status keep(void *ctx, const struct vg_firms_row *r, struct vg_err *e)
{
	(void)e;
	struct got *g = ctx;
	if (g->n < 4)
		g->r[g->n] = *r;
	g->n++;
	return VG_OK;
}

static vg_status parse(const char *csv, struct got *g, struct vg_err *err)
{
	memset(g, 0, sizeof *g);
	vg_err_clear(err);
	FILE *f = fmemopen((void *)csv, strlen(csv), "r");
	assert_non_null(f);
	vg_status st = vg_firms_parse(f, "t.csv", keep, g, err);
	fclose(f);
	return st;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	assert_int_equal(vg_time_parse(s, strlen(s), &t, NULL), VG_OK);
	return t;
}

#define VIIRS_H "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight,instrument\n"
#define MODIS_H "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_t31,frp,daynight\n"

static void reads_viirs_and_modis(void **state)
{
	(void)state;
	struct got g;
	struct vg_err err;
	assert_int_equal(parse("\n" VIIRS_H "48.1234,37.5678,330.1,0.41,0.45,2026-03-01,33,N20,n,2.0NRT,290.2,3.4,D,VIIRS\r\n"
	                       "47.9,38.01,345.6,0.55,0.52,2026-03-01,22:47:05,N20,h,2.0NRT,288.0,,N,VIIRS\n\n",
	                       &g, &err),
	                 VG_OK);
	assert_int_equal(g.n, 2);
	assert_true(fabs(g.r[0].lat_deg - 48.1234) < 1e-12 && fabs(g.r[0].lon_deg - 37.5678) < 1e-12);
	assert_int_equal(g.r[0].t_ns, T("2026-03-01T00:33:00Z")); /* HHMM without its leading zeros */
	assert_true(fabs(g.r[0].frp_mw - 3.4) < 1e-12);
	/* uniform in the pixel: sigma = sqrt(scan * track) / sqrt(12) */
	assert_true(fabs(g.r[0].sigma_m - 1000 * sqrt(0.41 * 0.45) / sqrt(12)) < 1e-9);
	assert_string_equal(g.r[0].satellite, "N20");
	assert_string_equal(g.r[0].instrument, "VIIRS");
	assert_int_equal(g.r[1].t_ns, T("2026-03-01T22:47:05Z"));
	assert_true(isnan(g.r[1].frp_mw)); /* empty: unknown */
	assert_int_equal(parse(MODIS_H "48.5,37.2,320.4,1.2,1.1,2026-03-01,0830,Terra,MODIS,77,6.1NRT,290.1,25.3,D\n", &g,
	                       &err),
	                 VG_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].t_ns, T("2026-03-01T08:30:00Z"));
	assert_string_equal(g.r[0].confidence, "77");
	assert_true(fabs(g.r[0].sigma_m - 1000 * sqrt(1.2 * 1.1) / sqrt(12)) < 1e-9);
	/* fields in double quotes (a spreadsheet's export) lose them */
	assert_int_equal(parse(VIIRS_H "\"48.1\",37.5,330,0.4,0.4,\"2026-03-01\",\"0005\",\"N\",nominal,2,290,1e1,D,VIIRS\n",
	                       &g, &err),
	                 VG_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].t_ns, T("2026-03-01T00:05:00Z"));
	assert_string_equal(g.r[0].satellite, "N");
	assert_true(fabs(g.r[0].frp_mw - 10) < 1e-12);
}

static void refuses_bad_files(void **state)
{
	(void)state;
	static const struct {
		const char *csv, *msg;
	} bad[] = {
		{"", "t.csv: empty file"},
		{"\n\n", "t.csv: empty file"},
		{"latitude,acq_date,acq_time\n48.1,2026-03-01,1033\n", "t.csv:1: no column \"longitude\""},
		{"latitude,longitude,latitude,acq_date,acq_time\n48,37,48,2026-03-01,1033\n",
		 "t.csv:1: column \"latitude\" twice (columns 1 and 3)"},
		{"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee,ff,gg\n", "t.csv:1: more than 32 columns"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290\n", "t.csv:2: 11 columns, the header has 14"},
		{VIIRS_H "91.5,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: latitude, longitude = 91.5, 37.5: not a position"},
		{VIIRS_H "48.1,east,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: latitude, longitude = 48.1, east: not a position"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,2561,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 2026-03-01, 2561: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,10:33junk,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 2026-03-01, 10:33junk: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01xyz,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 2026-03-01xyz, 1033: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-02-30,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 2026-02-30, 1033: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,-4,D,VIIRS\n",
		 "t.csv:2: frp = -4: want a number of MW in [0, 1e6]"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,nan,D,VIIRS\n",
		 "t.csv:2: frp = nan: want a number of MW in [0, 1e6]"},
		{VIIRS_H "48.1,37.5,330,abc,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: scan = abc: want a pixel size in [0.1, 20] km"},
		{VIIRS_H "48.1,37.5,330,0.4,1e300,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: track = 1e300: want a pixel size in [0.1, 20] km"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,NOAA-20-and-more,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: satellite = NOAA-20-and-more: longer than 15 characters"},
		{VIIRS_H "0x30,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: latitude, longitude = 0x30, 37.5: not a position"},
		{VIIRS_H " 48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: latitude, longitude =  48.1, 37.5: not a position"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,1900-03-01,1033,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 1900-03-01, 1033: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1:5,N,n,2,290,1,D,VIIRS\n",
		 "t.csv:2: acq_date, acq_time = 2026-03-01, 1:5: not a time"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,banana,2,290,1,D,VIIRS\n",
		 "t.csv:2: confidence = banana: want l, n, h (low, nominal, high) or 0-100"},
		{MODIS_H "48.5,37.2,320.4,1.2,1.1,2026-03-01,0830,Terra,MODIS,101,6.1NRT,290.1,25.3,D\n",
		 "t.csv:2: confidence = 101: want l, n, h"},
		{VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N \"20\",n,2,290,1,D,VIIRS\n",
		 "t.csv:2: a double quote inside a field"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct got g;
		struct vg_err err;
		print_message("%s\n", bad[i].msg);
		assert_int_not_equal(parse(bad[i].csv, &g, &err), VG_OK);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, bad[i].msg);
	}
	/* a NUL byte inside a line */
	static const char nul[] = VIIRS_H "48.1,37.5\0,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n";
	FILE *f = fmemopen((void *)nul, sizeof nul - 1, "r");
	assert_non_null(f);
	struct got g = {0};
	struct vg_err err;
	vg_err_clear(&err);
	assert_int_not_equal(vg_firms_parse(f, "t.csv", keep, &g, &err), VG_OK);
	fclose(f);
	assert_non_null(strstr(err.msg, "t.csv:2: a NUL byte in the line"));
	assert_int_equal(g.n, 0);
}

/* A bad row after good ones: the good ones were handed on (the caller
 * holds them in a transaction), the error names the bad row's line. */
static void bad_row_after_good(void **state)
{
	(void)state;
	struct got g;
	struct vg_err err;
	assert_int_not_equal(parse(VIIRS_H "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n"
	                                   "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1,D,VIIRS\n"
	                                   "48.1,37.5,330,0.4,0.4,2026-03-01,1033,N,n,2,290,1e7,D,VIIRS\n",
	                           &g, &err),
	                     VG_OK);
	assert_int_equal(g.n, 2);
	assert_non_null(strstr(err.msg, "t.csv:4: frp = 1e7"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_viirs_and_modis),
		cmocka_unit_test(refuses_bad_files),
		cmocka_unit_test(bad_row_after_good),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_geo_lines.c - geodesic distance to lines, side membership,
 * attribution probability: known answers and independent computations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "geo/geo.h"

#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct geod_geodesic G;

/* Independent answer: the minimum over a dense sampling of the edge (lon/lat
 * straight), refined around the best sample. */
static double brute_edge(double lat, double lon, const double a[2], const double b[2])
{
	double best = INFINITY, bt = 0;
	const int n = 20000;
	for (int i = 0; i <= n; i++) {
		double t = (double)i / n, s;
		geod_inverse(&G, lat, lon, a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0]), &s, NULL, NULL);
		if (s < best) {
			best = s;
			bt = t;
		}
	}
	for (int i = -2000; i <= 2000; i++) {
		double t = bt + i / (1000.0 * n), s;
		if (t < 0 || t > 1)
			continue;
		geod_inverse(&G, lat, lon, a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0]), &s, NULL, NULL);
		if (s < best)
			best = s;
	}
	return best;
}

static void distance_known_answers(void **state)
{
	(void)state;
	geod_init(&G, 6378137.0, 1 / 298.257223563);
	/* Along the equator: distance from (0.1N, 0.5E) is the meridian arc
	 * of 0.1 degrees at the equator, 11,057.43 m. */
	double eq[2][2] = {{0, 0}, {1, 0}};
	uint32_t n2 = 2;
	vg_geo_line *l = NULL;
	struct vg_err e;
	assert_int_equal(vg_geo_line_new((const double (*)[2])eq, &n2, 1, &l, &e), VG_OK);
	struct vg_geo_foot ft;
	double d = vg_geo_line_distance(l, 0.1, 0.5, &ft);
	assert_true(fabs(d - 11057.43) < 0.05);
	assert_true(fabs(ft.t - 0.5) < 1e-6);
	assert_int_equal(ft.lr, -1); /* north of an eastward line is its left */
	assert_int_equal(vg_geo_line_distance(l, -0.1, 0.5, &ft) > 0, 1);
	assert_int_equal(ft.lr, 1);
	/* Beyond the end: distance to the end vertex. */
	double s;
	geod_inverse(&G, 0.05, 1.2, 0, 1, &s, NULL, NULL);
	assert_true(fabs(vg_geo_line_distance(l, 0.05, 1.2, NULL) - s) < 1e-3);
	vg_geo_line_free(l);

	/* Long, oblique edges in the Donbas latitudes against dense sampling:
	 * millimetres, whatever the edge length (1 km to 300 km). */
	double worst = 0;
	for (int k = 0; k < 6; k++) {
		double len_deg = k == 0 ? 0.01 : k * 0.6;
		double pts[2][2] = {{37.0, 47.5}, {37.0 + len_deg, 47.5 + 0.7 * len_deg}};
		assert_int_equal(vg_geo_line_new((const double (*)[2])pts, &n2, 1, &l, &e), VG_OK);
		for (int j = 0; j < 5; j++) {
			double lat = 47.5 + 0.35 * len_deg + (j - 2) * 0.3, lon = 37.0 + 0.5 * len_deg + (2 - j) * 0.2;
			double got = vg_geo_line_distance(l, lat, lon, NULL);
			double want = brute_edge(lat, lon, pts[0], pts[1]);
			double err = fabs(got - want);
			if (err > worst)
				worst = err;
			if (err > 0.005)
				fail_msg("edge %d point %d: %.4f m, brute force %.4f m", k, j, got, want);
		}
		vg_geo_line_free(l);
	}
	printf("distance to a lon/lat edge vs dense sampling: worst %.2e m\n", worst);
}

static void multipart_and_geojson(void **state)
{
	(void)state;
	struct vg_err e;
	vg_geo_line *l = NULL;
	assert_int_equal(vg_geo_line_from_geojson("{\"type\":\"MultiLineString\",\"coordinates\":"
	                                          "[[[37,47],[37,48]],[[38,47],[38,48]]]}",
	                                          false, &l, &e),
	                 VG_OK);
	assert_int_equal(vg_geo_line_vertices(l), 4);
	struct vg_geo_foot ft;
	double d = vg_geo_line_distance(l, 47.5, 37.9, &ft);
	assert_int_equal(ft.part, 1);
	assert_true(d > 7000 && d < 7600);
	vg_geo_line_free(l);
	/* Self-crossing line refused. */
	assert_int_equal(vg_geo_line_from_geojson("{\"type\":\"LineString\",\"coordinates\":"
	                                          "[[37,47],[38,48],[38,47],[37,48]]}",
	                                          false, &l, &e),
	                 VG_ERR_GEOMETRY);
	assert_non_null(strstr(e.msg, "intersects itself"));
	assert_int_equal(vg_geo_line_from_geojson("{\"type\":\"Point\",\"coordinates\":[37,47]}", false, &l, &e),
	                 VG_ERR_GEOMETRY);
	assert_int_equal(vg_geo_line_from_geojson("{\"type\":\"LineString\",\"coordinates\":[[37,47],[200,48]]}",
	                                          false, &l, &e),
	                 VG_ERR_GEOMETRY);
	assert_non_null(strstr(e.msg, "CRS84"));
}

static const char *WEST = "{\"type\":\"Polygon\",\"coordinates\":[[[36,47],[37.8,47],[37.8,49],[36,49],[36,47]]]}";
static const char *EAST = "{\"type\":\"Polygon\",\"coordinates\":[[[37.8,47],[39.6,47],[39.6,49],[37.8,49],[37.8,47]]]}";

static void areas(void **state)
{
	(void)state;
	struct vg_err e;
	vg_geo_area *w = NULL, *x = NULL, *bad = NULL;
	assert_int_equal(vg_geo_area_from_geojson(WEST, &w, &e), VG_OK);
	assert_int_equal(vg_geo_area_from_geojson(EAST, &x, &e), VG_OK);
	assert_true(vg_geo_area_contains(w, 48, 37.5));
	assert_false(vg_geo_area_contains(w, 48, 37.9));
	assert_true(vg_geo_area_overlap(w, x) < 1e-12);
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":"
	                                          "[[[37,47],[38,48],[38,47],[37,48],[37,47]]]}",
	                                          &bad, &e),
	                 VG_ERR_GEOMETRY);
	assert_non_null(strstr(e.msg, "Self-intersection"));
	vg_geo_area *half = NULL;
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":"
	                                          "[[[37,47],[38.6,47],[38.6,49],[37,49],[37,47]]]}",
	                                          &half, &e),
	                 VG_OK);
	assert_true(vg_geo_area_overlap(w, half) > 0.4);
	vg_geo_area_free(half);
	vg_geo_area_free(w);
	vg_geo_area_free(x);
}

/* xorshift for the Monte Carlo reference */
static uint64_t rs = 88172645463325252ull;
static double urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return ((rs >> 11) + 0.5) / 9007199254740992.0;
}

static void attribution_straight(void **state)
{
	(void)state;
	struct vg_err e;
	vg_geo_area *a[2];
	assert_int_equal(vg_geo_area_from_geojson(WEST, &a[0], &e), VG_OK);
	assert_int_equal(vg_geo_area_from_geojson(EAST, &a[1], &e), VG_OK);
	double worst = 0, worst1d = 0;
	/* The boundary is the meridian 37.8 E (a geodesic, straight in the
	 * local plane): P(east) = Phi(d / sigma_n) exactly. */
	const double covs[3][2][2] = {{{400 * 400, 0}, {0, 400 * 400}},
	                              {{300 * 300, 0.6 * 300 * 700}, {0.6 * 300 * 700, 700 * 700}},
	                              {{50 * 50, 0}, {0, 2000 * 2000}}};
	for (int c = 0; c < 3; c++)
		for (int k = -6; k <= 6; k++) {
			double d = k * 150.0; /* metres east of the line */
			double lat = 48.0, lon;
			vg_geo_direct(lat, 37.8, 90, fabs(d), &lat, &lon);
			if (d < 0)
				lon = 37.8 - (lon - 37.8);
			lat = 48.0;
			double p[2];
			vg_geo_attribution(a, 2, lat, lon, covs[c], 0.0, p);
			double want = vg_geo_phi(d / sqrt(covs[c][0][0]));
			double p1 = vg_geo_attribution_1d(d, 0.0, covs[c]);
			worst = fmax(worst, fabs(p[1] - want));
			worst1d = fmax(worst1d, fabs(p1 - want));
			if (fabs(p[1] - want) > 2e-3 || fabs(p[0] + p[1] - 1) > 1e-4)
				fail_msg("cov %d d %.0f: P(east) %.5f, want %.5f (P(west) %.5f)", c, d, p[1], want, p[0]);
		}
	/* The example: 300 m from the line with a 400 m ellipse. */
	double p[2], lat2, lon2;
	vg_geo_direct(48.0, 37.8, 90, 300, &lat2, &lon2);
	vg_geo_attribution(a, 2, 48.0, lon2, covs[0], 0.0, p);
	printf("300 m east, sigma 400 m: P(east) = %.4f (Phi(0.75) = %.4f); worst error %.1e, 1-D %.1e\n",
	       p[1], vg_geo_phi(0.75), worst, worst1d);
	assert_true(p[1] > 0.76 && p[1] < 0.78);
	/* Far away: certain. */
	vg_geo_attribution(a, 2, 48.0, 38.5, covs[0], 0.0, p);
	assert_true(p[1] == 1.0 && p[0] == 0.0);
	vg_geo_area_free(a[0]);
	vg_geo_area_free(a[1]);
}

static void attribution_curved(void **state)
{
	(void)state;
	/* A circular side (a 64-gon of radius ~1 km) and its complement in a
	 * box: a curved boundary, against Monte Carlo (400,000 draws). */
	char buf[8192];
	int n = 0;
	n += snprintf(buf + n, sizeof buf - n, "{\"type\":\"Polygon\",\"coordinates\":[[");
	double ring[65][2];
	for (int i = 0; i <= 64; i++) {
		double la, lo;
		vg_geo_direct(48.0, 37.8, (i % 64) * 360.0 / 64, 1000, &la, &lo);
		ring[i][0] = lo;
		ring[i][1] = la;
	}
	for (int i = 64; i >= 0; i--) /* counter-clockwise */
		n += snprintf(buf + n, sizeof buf - n, "%s[%.9f,%.9f]", i < 64 ? "," : "", ring[i][0], ring[i][1]);
	n += snprintf(buf + n, sizeof buf - n, "]]}");
	struct vg_err e;
	vg_geo_area *a[1];
	assert_int_equal(vg_geo_area_from_geojson(buf, &a[0], &e), VG_OK);
	const double cov[2][2] = {{350 * 350, 100 * 100}, {100 * 100, 250 * 250}};
	double worst = 0;
	for (int k = 0; k < 4; k++) {
		double la, lo;
		vg_geo_direct(48.0, 37.8, 45, 600 + 200 * k, &la, &lo);
		double p;
		/* line direction: tangent of the circle there */
		vg_geo_attribution(a, 1, la, lo, cov, 135, &p);
		/* Monte Carlo */
		double L00 = sqrt(cov[0][0]), L10 = cov[0][1] / L00, L11 = sqrt(cov[1][1] - L10 * L10);
		double mlat = 111200.0, mlon = 111200.0 * cos(48.0 * M_PI / 180);
		long in = 0, N = 400000;
		for (long i = 0; i < N; i += 2) {
			double u1 = urand(), u2 = urand();
			double r = sqrt(-2 * log(u1)), z0 = r * cos(2 * M_PI * u2), z1 = r * sin(2 * M_PI * u2);
			double ee = L00 * z0, nn = L10 * z0 + L11 * z1;
			in += vg_geo_area_contains(a[0], la + nn / mlat, lo + ee / mlon);
			ee = -ee;
			nn = -nn; /* antithetic */
			in += vg_geo_area_contains(a[0], la + nn / mlat, lo + ee / mlon);
		}
		double mc = (double)in / N, se = sqrt(mc * (1 - mc) / N);
		worst = fmax(worst, fabs(p - mc));
		if (fabs(p - mc) > 4 * se + 2e-3)
			fail_msg("offset %d m: %.4f, Monte Carlo %.4f +- %.4f", 600 + 200 * k, p, mc, se);
	}
	printf("curved boundary (r = 1 km, sigma ~300 m): worst |p - Monte Carlo| = %.4f\n", worst);
	vg_geo_area_free(a[0]);
}

/* Calibration: true points uniform within 3 km of the line (a flat prior),
 * observed with Gaussian errors of 100-600 m (correlated); of the points
 * given p in [0.8, 0.9), 80-90 % must be on that side, and so on. */
static void attribution_calibrated(void **state)
{
	(void)state;
	struct vg_err e;
	vg_geo_area *a[2];
	assert_int_equal(vg_geo_area_from_geojson(WEST, &a[0], &e), VG_OK);
	assert_int_equal(vg_geo_area_from_geojson(EAST, &a[1], &e), VG_OK);
	long n[5] = {0}, right[5] = {0};
	const double mlat = 111200.0, mlon = 111200.0 * cos(48.0 * M_PI / 180);
	for (int i = 0; i < 6000; i++) {
		double x = (urand() * 2 - 1) * 3000; /* metres east of the line */
		double sx = 100 + 500 * urand(), sy = 100 + 500 * urand(), rho = urand() * 1.6 - 0.8;
		double C[2][2] = {{sx * sx, rho * sx * sy}, {rho * sx * sy, sy * sy}};
		double L00 = sx, L10 = rho * sy, L11 = sy * sqrt(1 - rho * rho);
		double u1 = urand(), u2 = urand(), r = sqrt(-2 * log(u1));
		double z0 = r * cos(2 * M_PI * u2), z1 = r * sin(2 * M_PI * u2);
		double ox = x + L00 * z0, oy = L10 * z0 + L11 * z1;
		double p[2];
		vg_geo_attribution(a, 2, 48.0 + oy / mlat, 37.8 + ox / mlon, C, 0.0, p);
		int side = p[1] > p[0];
		double pm = p[side];
		if (pm < 0.5 || pm >= 1.0)
			continue;
		int b = (int)((pm - 0.5) * 10);
		n[b]++;
		right[b] += (x > 0) == side;
	}
	for (int b = 0; b < 5; b++) {
		double lo = 0.5 + b * 0.1, f = n[b] ? (double)right[b] / n[b] : 0;
		printf("p in [%.1f, %.1f): %ld points, %.3f on that side\n", lo, lo + 0.1, n[b], f);
		assert_true(n[b] > 100);
		if (f < lo - 0.04 || f > lo + 0.14)
			fail_msg("bin %.1f: %.3f right", lo, f);
	}
	vg_geo_area_free(a[0]);
	vg_geo_area_free(a[1]);
}

/* Coverage: a 1 x 1 degree zone, footprints covering its western half
 * twice over (overlap counted once) and a strip outside it. */
static void coverage_share(void **state)
{
	(void)state;
	struct vg_err e;
	vg_geo_area *z = NULL;
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":"
	                                          "[[[37,48],[38,48],[38,49],[37,49],[37,48]]]}",
	                                          &z, &e),
	                 VG_OK);
	static const double r1[5][2] = {{36.5, 47.5}, {37.5, 47.5}, {37.5, 49.5}, {36.5, 49.5}, {36.5, 47.5}};
	static const double r2[5][2] = {{37.2, 48}, {37.5, 48}, {37.5, 49}, {37.2, 49}, {37.2, 48}};
	static const double r3[5][2] = {{39, 48}, {40, 48}, {40, 49}, {39, 49}, {39, 48}};
	const double (*rings[3])[2] = {r1, r2, r3};
	uint32_t rn[3] = {5, 5, 5};
	double share = 0, km2 = 0;
	assert_int_equal(vg_geo_covered_share(z, rings, rn, 3, &share, &km2, &e), VG_OK);
	printf("covered share %.5f (want 0.5), zone %.1f km2\n", share, km2);
	assert_true(fabs(share - 0.5) < 0.002);
	/* 1 x 1 degree at 48.5 N: about 111.2 x 73.7 km */
	assert_true(km2 > 8100 && km2 < 8300);
	assert_int_equal(vg_geo_covered_share(z, rings, rn, 0, &share, NULL, &e), VG_OK);
	assert_true(share == 0);
	vg_geo_area_free(z);
}

/* Check a band against membership computed point by point: inside the
 * side, geodesic distance to the line under d_m (vg_geo_line_distance),
 * outside excl. Points within tol_m of the band's edge or 0.002 degree of
 * excl's are not judged; the worst |distance - d_m| of a disagreeing point
 * is returned (0 if none). */
static double band_check(const vg_geo_area *band, const vg_geo_area *side, const vg_geo_line *l,
                         double d_m, const vg_geo_area *excl, const double box[4], double tol_m,
                         int n, int *judged, int *inside)
{
	double worst = 0;
	*judged = *inside = 0;
	for (int i = 0; i < n; i++) {
		double lon = box[0] + urand() * (box[2] - box[0]), lat = box[1] + urand() * (box[3] - box[1]);
		double d = vg_geo_line_distance(l, lat, lon, NULL);
		bool in_side = vg_geo_area_contains(side, lat, lon);
		bool in_ex = excl && vg_geo_area_contains(excl, lat, lon);
		bool near_ex = excl && (vg_geo_area_contains(excl, lat + 0.002, lon) != in_ex ||
		                        vg_geo_area_contains(excl, lat - 0.002, lon) != in_ex ||
		                        vg_geo_area_contains(excl, lat, lon + 0.002) != in_ex ||
		                        vg_geo_area_contains(excl, lat, lon - 0.002) != in_ex);
		if (fabs(d - d_m) < tol_m || d < 200 || near_ex)
			continue;
		bool want = in_side && d < d_m && !in_ex;
		bool got = vg_geo_area_contains(band, lat, lon);
		(*judged)++;
		*inside += want;
		if (want != got && fabs(d - d_m) > worst)
			worst = fabs(d - d_m);
	}
	return worst;
}

/* Withdrawal belts: a side's part within D of a curved line, a holding
 * area left out; then a 1,000 km line and a 140 km belt, where the plane's
 * distance error is largest. */
static void band(void **state)
{
	(void)state;
	geod_init(&G, 6378137.0, 1 / 298.257223563);
	struct vg_err e;
	static const double cl[4][2] = {{37.0, 47.2}, {37.4, 48.1}, {37.3, 48.9}, {38.0, 49.8}};
	uint32_t pl = 4;
	vg_geo_line *l = NULL;
	vg_geo_area *side = NULL, *ha = NULL, *b = NULL;
	assert_int_equal(vg_geo_line_new(cl, &pl, 1, &l, &e), VG_OK);
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":[[[37.0,47.2],[37.4,48.1],"
	                                          "[37.3,48.9],[38.0,49.8],[40.0,49.8],[40.0,47.2],[37.0,47.2]]]}",
	                                          &side, &e),
	                 VG_OK);
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":[[[37.9,48.4],[38.0,48.4],"
	                                          "[38.0,48.5],[37.9,48.5],[37.9,48.4]]]}",
	                                          &ha, &e),
	                 VG_OK);
	const vg_geo_area *ex[1] = {ha};
	assert_int_equal(vg_geo_band_new(side, l, 50000, ex, 1, &b, &e), VG_OK);
	const double box[4] = {36.5, 47.0, 40.2, 50.0};
	int judged, inside;
	double worst = band_check(b, side, l, 50000, ha, box, 15, 40000, &judged, &inside);
	printf("50 km belt: %d points judged, %d inside, worst disagreement %.1f m from the edge\n", judged,
	       inside, worst);
	assert_true(judged > 35000 && inside > 5000);
	assert_true(worst == 0);
	/* round joins and caps: points 15 m inside and outside the edge around
	 * the line's bend at (37.4, 48.1) and its end at (38.0, 49.8) (the
	 * buffer's chords and the plane's distortion stay under 15 m) */
	int ring_judged = 0, ring_wrong = 0;
	for (int v = 0; v < 2; v++)
		for (int az = 0; az < 360; az++)
			for (int sgn = -1; sgn <= 1; sgn += 2) {
				double la, lo;
				geod_direct(&G, cl[1 + 2 * v][1], cl[1 + 2 * v][0], az, 50000 + sgn * 15, &la, &lo, NULL);
				double d = vg_geo_line_distance(l, la, lo, NULL);
				if (fabs(d - 50000) < 12 || !vg_geo_area_contains(side, la, lo) ||
				    vg_geo_area_contains(ha, la, lo))
					continue;
				ring_judged++;
				ring_wrong += vg_geo_area_contains(b, la, lo) != (d < 50000);
			}
	printf("joins and caps: %d points 15 m from the edge judged, %d on the wrong side\n", ring_judged,
	       ring_wrong);
	assert_true(ring_judged > 300);
	assert_int_equal(ring_wrong, 0);
	/* the holding area is out; a point of it is not in the belt */
	assert_false(vg_geo_area_contains(b, 48.45, 37.95));
	assert_true(vg_geo_area_contains(b, 48.45, 37.8));
	/* nothing of the side within 1 m of a line 2 degrees away */
	vg_geo_line *far = NULL;
	static const double fl[2][2] = {{34.0, 47.5}, {34.0, 49.5}};
	uint32_t fln = 2;
	assert_int_equal(vg_geo_line_new(fl, &fln, 1, &far, &e), VG_OK);
	vg_geo_area *none = NULL;
	assert_int_equal(vg_geo_band_new(side, far, 1.0, NULL, 0, &none, &e), VG_ERR_NOT_FOUND);
	assert_null(none);
	assert_int_equal(vg_geo_band_new(side, far, 0, NULL, 0, &none, &e), VG_ERR_RANGE);
	vg_geo_line_free(far);
	vg_geo_area_free(b);
	vg_geo_area_free(ha);
	vg_geo_area_free(side);
	vg_geo_line_free(l);

	/* 1,000 km: from 45.5 N 30 E to 50 N 40 E, the side south-east of it */
	static const double ll[5][2] = {{30.0, 45.5}, {32.5, 47.5}, {35.0, 48.0}, {37.5, 49.5}, {40.0, 50.0}};
	uint32_t lln = 5;
	assert_int_equal(vg_geo_line_new(ll, &lln, 1, &l, &e), VG_OK);
	assert_int_equal(vg_geo_area_from_geojson("{\"type\":\"Polygon\",\"coordinates\":[[[30.0,45.5],[32.5,47.5],"
	                                          "[35.0,48.0],[37.5,49.5],[40.0,50.0],[41.0,50.0],[41.0,44.0],"
	                                          "[30.0,44.0],[30.0,45.5]]]}",
	                                          &side, &e),
	                 VG_OK);
	assert_int_equal(vg_geo_band_new(side, l, 140000, NULL, 0, &b, &e), VG_OK);
	const double box2[4] = {29.5, 44.0, 41.0, 50.5};
	double w0 = band_check(b, side, l, 140000, NULL, box2, 0, 40000, &judged, &inside);
	printf("140 km belt of a 1,000 km line: %d points, %d inside, worst disagreement %.1f m (%.3f %%)\n",
	       judged, inside, w0, 100 * w0 / 140000);
	assert_true(inside > 8000);
	assert_true(w0 < 0.003 * 140000);
	vg_geo_area_free(b);
	vg_geo_area_free(side);
	vg_geo_line_free(l);
}

/* GeoJSON structure before GEOS reads it (GEOS 3.11 reads a short position
 * out of bounds): each fault refused with its place; good shapes pass. */
static void geojson_structure(void **state)
{
	(void)state;
	static const char *const good[] = {
		"{\"type\":\"Point\",\"coordinates\":[37.5,48.0]}",
		"{\"type\":\"LineString\",\"coordinates\":[[37.5,48.0],[37.6,48.1,12]]}",
		"{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[38,49],[37,48]]]}",
		"{\"type\":\"MultiPolygon\",\"coordinates\":[[[[37,48],[38,48],[38,49],[37,48]]]]}",
		"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},"
		"\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":[[[1,2],[3,4]]]}}]}",
		"{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"MultiPoint\",\"coordinates\":[[1,2]]}]}",
		"{\"type\":\"MultiPolygon\",\"coordinates\":[]}",
		"{\"type\":\"Polygon\",\"coordinates\":[]}",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct vg_err e;
		vg_err_clear(&e);
		if (vg_geo_geojson_check(good[i], strlen(good[i]), false, NULL, &e) != VG_OK)
			fail_msg("good[%zu]: %s", i, e.msg);
	}
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[],[37,48]]]}",
		 "coordinates[0][2]: a position needs 2 or 3 numbers, not 0"},
		{"{\"type\":\"LineString\",\"coordinates\":[[37.5,48.0],[37.6]]}",
		 "coordinates[1]: a position needs 2 or 3 numbers, not 1"},
		{"{\"type\":\"LineString\",\"coordinates\":[[37.5,48.0],[1,2,3,4]]}",
		 "coordinates[1]: a position needs 2 or 3 numbers, not 4"},
		{"{\"type\":\"LineString\",\"coordinates\":[[37.5,48.0],[1,\"2\"]]}", "coordinates[1][1]: not a number"},
		{"{\"type\":\"LineString\",\"coordinates\":[[37.5,48.0]]}", "coordinates: 1 positions, at least 2 wanted"},
		{"{\"type\":\"MultiPolygon\",\"coordinates\":[[]]}", "coordinates[0]: 0 rings or lines, at least 1 wanted"},
		{"{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[38,49],[37,48.5]]]}",
		 "coordinates[0]: a ring not closed (first position [37, 48], last [37, 48.5])"},
		{"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Point\",\"coordinates\":[1,2]}]}",
		 "features[0].type = \"Point\": a Feature is wanted here"},
		{"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Feature\",\"geometry\":null}}",
		 "geometry.type = \"Feature\": a geometry is wanted here"},
		{"{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[38,48],[37,48]]]}",
		 "coordinates[0]: 3 positions, at least 4 wanted"},
		{"{\"type\":\"MultiPolygon\",\"coordinates\":[[[37,48],[38,48],[38,49],[37,48]]]}",
		 "coordinates[0][0]: numbers where positions are wanted (nested too shallow)"},
		{"{\"type\":\"Point\",\"coordinates\":[37.5,48.0],\"x\":1,\"x\":2}", "duplicate"},
		{"{\"type\":\"Polygon\"}", "coordinates: missing"},
		{"{\"type\":\"Point\",\"coordinates\":[40,419.5]}", "coordinates = [40, 419.5]: not a CRS84 longitude, latitude"},
		{"{\"type\":\"Point\",\"coordinates\":[-180.5,0]}", "coordinates = [-180.5, 0]: not a CRS84"},
		{"{\"type\":\"Circle\",\"coordinates\":[1,2]}", "type = \"Circle\": not a GeoJSON geometry type"},
		{"{\"coordinates\":[1,2]}", "type: missing or not a string"},
		{"[1,2]", "the text: want a GeoJSON object"},
		{"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":null}]}",
		 "features[0].geometry: missing (a feature without a place)"},
		{"{\"type\":\"Point\",", "line 1 column"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct vg_err e;
		vg_err_clear(&e);
		if (vg_geo_geojson_check(bad[i].text, strlen(bad[i].text), false, NULL, &e) != VG_ERR_GEOMETRY ||
		    !strstr(e.msg, bad[i].msg))
			fail_msg("bad[%zu]: got \"%s\", want \"%s\"", i, e.msg, bad[i].msg);
	}
	/* 12 collections deep */
	char deep[1024] = "";
	for (int i = 0; i < 12; i++)
		strcat(deep, "{\"type\":\"GeometryCollection\",\"geometries\":[");
	for (int i = 0; i < 12; i++)
		strcat(deep, "]}");
	{
		struct vg_err e;
		vg_err_clear(&e);
		assert_int_equal(vg_geo_geojson_check(deep, strlen(deep), false, NULL, &e), VG_ERR_GEOMETRY);
		assert_non_null(strstr(e.msg, "nested more than 8 deep"));
	}
	/* a geometry only, where a geometry belongs */
	{
		struct vg_err e;
		vg_err_clear(&e);
		const char *f = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}";
		assert_int_equal(vg_geo_geojson_check(f, strlen(f), false, NULL, &e), VG_OK);
		assert_int_equal(vg_geo_geojson_check(f, strlen(f), true, NULL, &e), VG_ERR_GEOMETRY);
		assert_non_null(strstr(e.msg, "type = \"Feature\": a geometry is wanted here"));
	}
	/* altitudes dropped in the text given to GEOS (GEOS 3.11 refuses
	 * them), positions otherwise exact */
	{
		struct vg_err e;
		vg_err_clear(&e);
		const char *z = "{\"type\":\"LineString\",\"coordinates\":[[37.1,48.25,0],[37.3,48.1,120.5]]}";
		char *flat = NULL;
		assert_int_equal(vg_geo_geojson_check(z, strlen(z), true, &flat, &e), VG_OK);
		assert_non_null(flat);
		assert_non_null(strstr(flat, "[[37.100000000000001,48.25],[37.299999999999997,48.100000000000001]]"));
		free(flat);
		vg_geo_line *l = NULL;
		assert_int_equal(vg_geo_line_from_geojson(z, false, &l, &e), VG_OK);
		vg_geo_line_free(l);
	}
	/* through the area reader too */
	vg_geo_area *a = NULL;
	struct vg_err e;
	vg_err_clear(&e);
	assert_int_equal(vg_geo_area_from_geojson(bad[0].text, &a, &e), VG_ERR_GEOMETRY);
	assert_null(a);
	assert_non_null(strstr(e.msg, "coordinates[0][2]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distance_known_answers), cmocka_unit_test(multipart_and_geojson),
		cmocka_unit_test(areas), cmocka_unit_test(attribution_straight),
		cmocka_unit_test(attribution_curved), cmocka_unit_test(attribution_calibrated),
		cmocka_unit_test(coverage_share), cmocka_unit_test(band), cmocka_unit_test(geojson_structure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

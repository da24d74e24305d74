/*
 * test_fusion_locate.c - the locator of src/fusion against known answers and
 * against the Cramer-Rao bound computed independently by src/sim (crlb).
 *
 * Arrivals are generated here with their own implementation of the model
 * (Karney geodesic path + the drifting-sphere travel time), not with the
 * locator's code. Tolerances are stated per quantity and derived from the
 * data: exact arrivals -> 1 mm; noisy -> statistical bounds for 1,000
 * trials (the relative standard error of an RMS over 1,000 2-D errors is
 * about 1/sqrt(2*2000) = 1.6 %, so 15 % is > 9 standard errors away from a
 * correct estimator, and a 10 % efficiency loss would still be caught by
 * the 1 - 0.85 margin only if larger: we also check the reported
 * covariance against the bound at 5 %).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <geodesic.h>
#include <math.h>
#include <string.h>

#include "fusion/fusion.h"
#include "sim/sim.h"

static const double DEG = 3.14159265358979323846 / 180.0;

struct src {
	double lat, lon;
	double c, we, wn;
};

/* Travel time from the source to (lat, lon): the docs' formula, written again. */
static double tt(const struct src *s, double lat, double lon, double *az_at_sensor, double *dist)
{
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	double d, a1, a2;
	geod_inverse(&g, s->lat, s->lon, lat, lon, &d, &a1, &a2);
	double rx = d * sin(a1 * DEG), ry = d * cos(a1 * DEG);
	double w2 = s->we * s->we + s->wn * s->wn, a = s->c * s->c - w2;
	double rw = rx * s->we + ry * s->wn;
	double tau = (-rw + sqrt(rw * rw + a * d * d)) / a;
	if (az_at_sensor) {
		/* bearing from the sensor to the drifted centre source + w tau */
		double db, b1, b2;
		geod_inverse(&g, lat, lon, s->lat, s->lon, &db, &b1, &b2);
		/* small offset w*tau added in the sensor's frame (first order) */
		double ex = db * sin(b1 * DEG) + s->we * tau, ny = db * cos(b1 * DEG) + s->wn * tau;
		*az_at_sensor = fmod(atan2(ex, ny) / DEG + 360, 360);
	}
	if (dist)
		*dist = d;
	return tau;
}

/* n sensors on a ring-ish layout around (lat0, lon0), radii r0..r1 (m). */
static void layout(double lat0, double lon0, int n, double r0, double r1, double (*pos)[2])
{
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	for (int i = 0; i < n; i++) {
		double az = 360.0 * i / n + 17 * (i % 3);
		double r = r0 + (r1 - r0) * ((i * 7) % n) / (double)(n > 1 ? n - 1 : 1);
		geod_direct(&g, lat0, lon0, az, r, &pos[i][0], &pos[i][1], NULL);
	}
}

static double err_m(double lat1, double lon1, double lat2, double lon2)
{
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	double d;
	geod_inverse(&g, lat1, lon1, lat2, lon2, &d, NULL, NULL);
	return d;
}

/* Exact arrivals (no noise) locate to within 1 mm: local and regional. */
static void test_exact(void **state)
{
	(void)state;
	struct {
		double r0, r1, c;
		int n;
		double we, wn;
		bool free_medium;
	} cases[] = {
		{2000, 15000, 333.1, 8, 0, 0, false},      /* local, known medium */
		{2000, 15000, 333.1, 12, 3.0, -1.5, true}, /* local, medium estimated */
		{150000, 900000, 300.0, 10, 0, 0, false},  /* regional infrasound */
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct src s = {48.0312, 37.7481, cases[k].c, cases[k].we, cases[k].wn};
		double pos[16][2];
		layout(s.lat, s.lon, cases[k].n, cases[k].r0, cases[k].r1, pos);
		struct vg_fusion_meas m[16];
		memset(m, 0, sizeof m);
		for (int i = 0; i < cases[k].n; i++) {
			m[i].lat_deg = pos[i][0];
			m[i].lon_deg = pos[i][1];
			m[i].has_time = true;
			m[i].t_s = 100.0 + tt(&s, pos[i][0], pos[i][1], NULL, NULL);
			m[i].sigma_s = 0.001;
		}
		struct vg_fusion_medium pr = {s.c, 1e-6, s.we, s.wn, 1e-6};
		if (cases[k].free_medium) {
			pr.c_mps = s.c + 4;      /* priors off by 4 m/s and 2 m/s */
			pr.c_sigma_mps = 10;
			pr.we_mps = s.we + 2;
			pr.wn_mps = s.wn - 2;
			pr.w_sigma_mps = 5;
		}
		struct vg_fusion_fix fx;
		struct vg_err err;
		/* start 3 km (local) or 100 km (regional) off */
		double lat0 = s.lat + (k == 2 ? 0.9 : 0.027), lon0 = s.lon - (k == 2 ? 0.5 : 0.02);
		assert_int_equal(vg_fusion_locate(m, (uint32_t)cases[k].n, &pr, lat0, lon0, NULL, NULL,
		                                  NULL, &fx, &err),
		                 VG_OK);
		double e = err_m(fx.lat_deg, fx.lon_deg, s.lat, s.lon);
		if (e >= 1e-3)
			fail_msg("case %zu: error %.3g m >= 1 mm", k, e);
		assert_true(fabs(fx.t0_s - 100.0) < 1e-5); /* 10 us: 3 mm of sound */
		if (cases[k].free_medium) {
			assert_true(fabs(fx.c_mps - s.c) < 1e-3);
			assert_true(fabs(fx.we_mps - s.we) < 1e-3 && fabs(fx.wn_mps - s.wn) < 1e-3);
		}
		assert_int_equal(fx.n_rejected, 0);
	}
}

/* Bearings alone (three arrays, no times) locate the source. */
static void test_bearings_only(void **state)
{
	(void)state;
	struct src s = {48.2, 37.5, 333, 0, 0};
	double pos[3][2];
	layout(s.lat, s.lon, 3, 5000, 9000, pos);
	struct vg_fusion_meas m[3];
	memset(m, 0, sizeof m);
	for (int i = 0; i < 3; i++) {
		double az;
		tt(&s, pos[i][0], pos[i][1], &az, NULL);
		m[i].lat_deg = pos[i][0];
		m[i].lon_deg = pos[i][1];
		m[i].has_bearing = true;
		m[i].bearing_deg = az;
		m[i].bearing_sigma_deg = 2;
	}
	struct vg_fusion_medium pr = {333, 1e-6, 0, 0, 1e-6};
	struct vg_fusion_fix fx;
	struct vg_err err;
	assert_int_equal(vg_fusion_locate(m, 3, &pr, s.lat + 0.02, s.lon + 0.03, NULL, NULL, NULL, &fx,
	                                  &err),
	                 VG_OK);
	double e = err_m(fx.lat_deg, fx.lon_deg, s.lat, s.lon);
	if (e >= 1e-3)
		fail_msg("bearings only: error %.3g m", e);
	/* the ellipse is that of 2 degree bearings at 5-9 km: tens to hundreds of m */
	double cep = vg_fusion_cep(fx.cov_m2, 0.9);
	assert_true(cep > 50 && cep < 2000);
	/* one bearing cannot locate */
	assert_int_not_equal(vg_fusion_locate(m, 1, &pr, s.lat, s.lon, NULL, NULL, NULL, &fx, &err),
	                     VG_OK);
}

/* Normal deviate pairs from the simulator's generator (explicit seed). */
static double gauss(struct vg_rng *r) { return vg_rng_normal(r); }

/*
 * 1,000 noisy trials: the RMS error matches the Cramer-Rao bound (computed
 * by src/sim's independent Fisher-information code) within 15 %, the
 * reported covariance matches the bound within 5 %, and the reported 90 %
 * ellipse holds the truth in 87-93 % of trials (binomial: 0.90 +- 3.2 sigma).
 * Then the same with the medium estimated: sound speed and wind drawn from
 * the prior each trial, against the Bayesian bound (Van Trees).
 */
static void run_crlb(bool medium, double *rms_ratio, double *cov_ratio, double *inside)
{
	const int N = 1000, NS = 10;
	struct vg_rng r;
	vg_rng_seed(&r, 20260301, medium ? 2 : 1);
	struct src s0 = {48.0, 37.8, 333.0, 0, 0};
	double pos[NS][2];
	layout(s0.lat, s0.lon, NS, 3000, 14000, pos);
	const double sig_t = 0.005, sig_c = 1.2, sig_w = 2.0;
	double se2 = 0, sc2 = 0, crlb2 = 0;
	int in = 0;
	for (int t = 0; t < N; t++) {
		struct src s = s0;
		if (medium) {
			s.c += sig_c * gauss(&r);
			s.we += sig_w * gauss(&r);
			s.wn += sig_w * gauss(&r);
		}
		struct vg_fusion_meas m[NS];
		memset(m, 0, sizeof m);
		struct vg_sim_crlb cr;
		vg_sim_crlb_init(&cr);
		for (int i = 0; i < NS; i++) {
			double d;
			double tau = tt(&s, pos[i][0], pos[i][1], NULL, &d);
			m[i].lat_deg = pos[i][0];
			m[i].lon_deg = pos[i][1];
			m[i].has_time = true;
			m[i].t_s = tau + sig_t * gauss(&r);
			m[i].sigma_s = sig_t;
			/* unit vector source -> sensor, for the bound */
			struct geod_geodesic g;
			geod_init(&g, 6378137.0, 1 / 298.257223563);
			double dd, a1, a2;
			geod_inverse(&g, s.lat, s.lon, pos[i][0], pos[i][1], &dd, &a1, &a2);
			vg_sim_crlb_add_toa(&cr, sin(a1 * DEG), cos(a1 * DEG), d, d / tau, sig_t);
		}
		struct vg_fusion_medium pr = {s0.c, medium ? sig_c : 1e-7, 0, 0, medium ? sig_w : 1e-7};
		struct vg_fusion_fix fx;
		struct vg_err err;
		assert_int_equal(vg_fusion_locate(m, NS, &pr, s0.lat + 0.01, s0.lon + 0.01, NULL, NULL,
		                                  NULL, &fx, &err),
		                 VG_OK);
		double rms, cov[2][2];
		if (medium)
			assert_true(vg_sim_crlb_solve_medium(&cr, sig_c, sig_w, &rms, cov));
		else
			assert_true(vg_sim_crlb_solve(&cr, &rms, cov));
		crlb2 += rms * rms;
		/* error vector (east, north) in the truth's frame */
		struct geod_geodesic g;
		geod_init(&g, 6378137.0, 1 / 298.257223563);
		double d, az;
		geod_inverse(&g, s.lat, s.lon, fx.lat_deg, fx.lon_deg, &d, &az, NULL);
		double ex = d * sin(az * DEG), ny = d * cos(az * DEG);
		se2 += ex * ex + ny * ny;
		sc2 += fx.cov_m2[0][0] + fx.cov_m2[1][1];
		double a = fx.cov_m2[0][0], b = fx.cov_m2[0][1], c = fx.cov_m2[1][1];
		double m2 = (c * ex * ex - 2 * b * ex * ny + a * ny * ny) / (a * c - b * b);
		in += m2 <= -2 * log(0.1);
	}
	*rms_ratio = sqrt(se2 / crlb2);
	*cov_ratio = sqrt(sc2 / crlb2);
	*inside = (double)in / N;
}

static void test_crlb_known_medium(void **state)
{
	(void)state;
	double rr, cr, in;
	run_crlb(false, &rr, &cr, &in);
	print_message("known medium: RMS/CRLB %.3f, reported/CRLB %.3f, inside 90%% %.3f\n", rr, cr, in);
	assert_true(rr > 0.85 && rr < 1.15);
	assert_true(cr > 0.95 && cr < 1.05);
	assert_true(in >= 0.87 && in <= 0.93);
}

static void test_crlb_medium_estimated(void **state)
{
	(void)state;
	double rr, cr, in;
	run_crlb(true, &rr, &cr, &in);
	print_message("medium estimated: RMS/BCRLB %.3f, reported/BCRLB %.3f, inside 90%% %.3f\n", rr,
	              cr, in);
	assert_true(rr > 0.85 && rr < 1.15);
	assert_true(cr > 0.90 && cr < 1.10);
	assert_true(in >= 0.87 && in <= 0.93);
}

/* A gross outlier is rejected and reported; the location stays good. */
static void test_outlier(void **state)
{
	(void)state;
	struct src s = {47.9, 38.0, 334, 0, 0};
	double pos[10][2];
	layout(s.lat, s.lon, 10, 2000, 12000, pos);
	struct vg_fusion_meas m[10];
	memset(m, 0, sizeof m);
	struct vg_rng r;
	vg_rng_seed(&r, 7, 7);
	for (int i = 0; i < 10; i++) {
		m[i].lat_deg = pos[i][0];
		m[i].lon_deg = pos[i][1];
		m[i].has_time = true;
		m[i].t_s = tt(&s, pos[i][0], pos[i][1], NULL, NULL) + 0.004 * gauss(&r);
		m[i].sigma_s = 0.004;
	}
	for (int bad = 0; bad < 10; bad++) {
		struct vg_fusion_meas mm[10];
		memcpy(mm, m, sizeof mm);
		mm[bad].t_s += (bad % 2 ? 0.4 : -0.25); /* 60-100 sigma */
		uint8_t use[10];
		double res[10];
		memset(use, 1, sizeof use);
		struct vg_fusion_medium pr = {334, 1e-6, 0, 0, 1e-6};
		struct vg_fusion_fix fx;
		struct vg_err err;
		assert_int_equal(vg_fusion_locate(mm, 10, &pr, s.lat + 0.01, s.lon, NULL, use, res, &fx,
		                                  &err),
		                 VG_OK);
		assert_int_equal(fx.n_rejected, 1);
		assert_int_equal(use[bad], 0);
		assert_true(fabs(res[bad]) > 20);
		double e = err_m(fx.lat_deg, fx.lon_deg, s.lat, s.lon);
		double cep = vg_fusion_cep(fx.cov_m2, 0.999);
		if (e > cep)
			fail_msg("outlier %d: error %.2f m beyond the 99.9 %% radius %.2f m", bad, e, cep);
	}
}

/* Ellipse and CEP of known covariances. */
static void test_ellipse_cep(void **state)
{
	(void)state;
	double c1[2][2] = {{4, 0}, {0, 4}};
	assert_true(fabs(vg_fusion_cep(c1, 0.5) - 2 * 1.177410023) < 1e-6);
	assert_true(fabs(vg_fusion_cep(c1, 0.9) - 2 * 2.145966026) < 1e-6);
	double c2[2][2] = {{1, 0}, {0, 100}}; /* north-south ellipse */
	double a, b, az;
	vg_fusion_ellipse(c2, &a, &b, &az);
	assert_true(fabs(a - 10) < 1e-9 && fabs(b - 1) < 1e-9);
	assert_true(fabs(az) < 1e-9 || fabs(az - 180) < 1e-9);
	/* degenerate limit: CEP50 of a line-like ellipse -> 0.6745 sigma */
	double c3[2][2] = {{1e-12, 0}, {0, 1}};
	assert_true(fabs(vg_fusion_cep(c3, 0.5) - 0.6744897502) < 1e-4);
	double c4[2][2] = {{2, 1}, {1, 2}}; /* major axis towards 45 deg */
	vg_fusion_ellipse(c4, &a, &b, &az);
	assert_true(fabs(az - 45) < 1e-9);
	assert_true(fabs(a - sqrt(3)) < 1e-12 && fabs(b - 1) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_bearings_only),
		cmocka_unit_test(test_outlier),
		cmocka_unit_test(test_ellipse_cep),
		cmocka_unit_test(test_crlb_known_medium),
		cmocka_unit_test(test_crlb_medium_estimated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

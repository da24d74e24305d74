/* test_sim_physics.c - the simulator's random numbers and physics
 * (src/sim/sim.h): known answers, closed forms and monotonicity. Each
 * tolerance is derived next to its check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"

#include <geodesic.h>
#include <math.h>

static void test_rng_known_answer(void **state)
{
	(void)state;
	/* xoshiro256** reference (prng.di.unimi.it/xoshiro256starstar.c) from
	 * the state {1, 2, 3, 4}: 11520, 0, 1509978240, 1215971899390074240. */
	struct vg_rng r = {{1, 2, 3, 4}};
	assert_true(vg_rng_next(&r) == UINT64_C(11520));
	assert_true(vg_rng_next(&r) == UINT64_C(0));
	assert_true(vg_rng_next(&r) == UINT64_C(1509978240));
	assert_true(vg_rng_next(&r) == UINT64_C(1215971899390074240));
}

static void test_rng_streams_and_moments(void **state)
{
	(void)state;
	struct vg_rng a, b, c;
	vg_rng_seed(&a, 42, 1);
	vg_rng_seed(&b, 42, 1);
	vg_rng_seed(&c, 42, 2);
	for (int i = 0; i < 100; i++) {
		uint64_t x = vg_rng_next(&a);
		assert_true(x == vg_rng_next(&b));
		assert_true(x != vg_rng_next(&c)); /* 2^-64 chance per draw of a false failure */
	}
	/* Moments of n draws: the standard error of a mean is sd / sqrt(n);
	 * 6 standard errors make a false failure ~1e-9. */
	enum { N = 200000 };
	double su = 0, sn = 0, sn2 = 0, se = 0, sp = 0;
	for (int i = 0; i < N; i++) {
		double u = vg_rng_uniform(&a);
		assert_true(u >= 0 && u < 1);
		su += u;
		double z = vg_rng_normal(&a);
		sn += z;
		sn2 += z * z;
		se += vg_rng_exponential(&a, 2.0);
		sp += (double)vg_rng_poisson(&a, 3.5);
		assert_true(vg_rng_below(&a, 7) < 7);
	}
	assert_float_equal(su / N, 0.5, 6 * sqrt(1.0 / 12 / N));
	assert_float_equal(sn / N, 0.0, 6 * sqrt(1.0 / N));
	assert_float_equal(sn2 / N, 1.0, 6 * sqrt(2.0 / N));
	assert_float_equal(se / N, 2.0, 6 * 2.0 / sqrt(N));
	assert_float_equal(sp / N, 3.5, 6 * sqrt(3.5 / N));
	/* Large means use the normal approximation. */
	double sl = 0;
	for (int i = 0; i < 2000; i++)
		sl += (double)vg_rng_poisson(&a, 400);
	assert_float_equal(sl / 2000, 400, 6 * sqrt(400.0 / 2000));
}

static struct vg_sim_acoustic model(void)
{
	struct vg_sim_acoustic m = {
		.temp_c = 20, .rh_pct = 70, .p_kpa = 101.325, .wind_east_mps = 0, .wind_north_mps = 0,
		.excess_db_per_km = 1.5, .fade_sigma_db = 6, .noise_db = 55, .threshold_db = 10,
		.pick_floor_s = 0.002, .pick_rise_s = 0.1};
	return m;
}

static void test_sound_speed(void **state)
{
	(void)state;
	/* 331.3 sqrt(1 + 20/273.15) = 343.214 m/s; SENSORS.md quotes 343.2. */
	assert_float_equal(vg_sim_sound_speed_mps(20), 343.2, 0.05);
	assert_float_equal(vg_sim_sound_speed_mps(0), 331.3, 1e-12);
	/* 3,430 m at 20 C without wind: 10.0 s (to the 0.1 s the statement gives). */
	struct vg_sim_acoustic m = model();
	double tt = 3430.0 / vg_sim_celerity_mps(&m, 90);
	assert_float_equal(tt, 10.0, 0.05);
	/* A 3.4 m/s wind along the path is ~1 % of c (SENSORS.md). */
	m.wind_east_mps = 3.432;
	assert_float_equal(vg_sim_celerity_mps(&m, 90) / vg_sim_sound_speed_mps(20), 1.01, 1e-4);
	assert_float_equal(vg_sim_celerity_mps(&m, 270) / vg_sim_sound_speed_mps(20), 0.99, 1e-4);
	assert_float_equal(vg_sim_celerity_mps(&m, 0), vg_sim_sound_speed_mps(20), 1e-9);
}

static void test_absorption_iso9613(void **state)
{
	(void)state;
	/* ISO 9613-2:1996 Table 2 (computed from ISO 9613-1 at midband
	 * frequencies, printed to 0.1 dB/km below 100 dB/km): tolerance is half
	 * the last printed digit plus 1 %. */
	struct {
		double t, rh, f, db_km;
	} k[] = {
		{10, 70, 1000, 3.7}, {20, 70, 1000, 5.0}, {30, 70, 1000, 7.4},
		{10, 70, 500, 1.9},  {20, 70, 500, 2.8},  {10, 70, 2000, 9.7},
		{20, 70, 2000, 9.0}, {20, 70, 4000, 22.9}, {15, 50, 1000, 4.2},
		{15, 80, 2000, 8.3},
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		double a = vg_sim_absorption_db_per_m(k[i].f, k[i].t, k[i].rh, 101.325) * 1000;
		assert_float_equal(a, k[i].db_km, 0.05 + 0.01 * k[i].db_km);
	}
	/* Low frequencies, where gun blasts live, barely absorb: < 0.1 dB/km at 30 Hz. */
	assert_true(vg_sim_absorption_db_per_m(30, 5, 75, 101.325) * 1000 < 0.1);
}

static void test_detection_falls_with_range(void **state)
{
	(void)state;
	struct vg_sim_acoustic m = model();
	/* A 152 mm launch (188 dB at 1 m, 30 Hz; docs/simulator.md). */
	double prev = 1.0;
	for (double r = 100; r <= 80000; r += 100) {
		double p = vg_sim_detect_prob(&m, 188, 30, r);
		assert_true(p <= prev);
		assert_true(p >= 0 && p <= 1);
		prev = p;
	}
	assert_true(vg_sim_detect_prob(&m, 188, 30, 5000) > 0.999);
	/* To about zero at some tens of km. */
	assert_true(vg_sim_detect_prob(&m, 188, 30, 40000) < 1e-3);
	/* Pd at the range where the mean SNR equals the threshold is 1/2. */
	double lo = 1000, hi = 60000;
	for (int i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;
		if (vg_sim_snr_db(&m, 188, 30, mid) > m.threshold_db)
			lo = mid;
		else
			hi = mid;
	}
	assert_float_equal(vg_sim_detect_prob(&m, 188, 30, lo), 0.5, 1e-6);
	/* Louder sources are heard further. */
	assert_true(vg_sim_detect_prob(&m, 195, 30, 25000) > vg_sim_detect_prob(&m, 188, 30, 25000));
}

static void test_pick_sigma(void **state)
{
	(void)state;
	struct vg_sim_acoustic m = model();
	double prev = INFINITY;
	for (double snr = 0; snr < 80; snr += 1) {
		double s = vg_sim_pick_sigma_s(&m, snr);
		assert_true(s < prev);
		assert_true(s >= m.pick_floor_s);
		prev = s;
	}
	/* At 20 dB the rise term is 0.1 / 10 = 10 ms. */
	assert_float_equal(vg_sim_pick_sigma_s(&m, 20), hypot(0.002, 0.01), 1e-12);
	/* "5 ms is a fair 1-sigma for clean impulses" (SENSORS.md): 25-30 dB. */
	assert_in_range((long)(1e4 * vg_sim_pick_sigma_s(&m, 26)), 40, 60);
}

static void test_distance_vs_karney(void **state)
{
	(void)state;
	struct geod_geodesic g;
	geod_init(&g, 6378137, 1 / 298.257223563);
	struct vg_rng r;
	vg_rng_seed(&r, 3, 3);
	for (int i = 0; i < 2000; i++) {
		double lat1 = vg_rng_range(&r, 44, 52), lon1 = vg_rng_range(&r, 30, 40);
		double az = vg_rng_range(&r, 0, 360), s = vg_rng_range(&r, 1, 200000);
		double lat2, lon2, azi2;
		geod_direct(&g, lat1, lon1, az, s, &lat2, &lon2, &azi2);
		/* 1 cm: far below the 1 m a survey error is. */
		assert_float_equal(vg_sim_distance_m(lat1, lon1, lat2, lon2), s, 0.01);
	}
}

/* N sensors on a circle of radius R around the source, equal sigmas. */
static void circle(struct vg_sim_crlb *c, int n, double R, double c_mps, double sig_t, double sig_b)
{
	vg_sim_crlb_init(c);
	for (int i = 0; i < n; i++) {
		double phi = 2 * M_PI * i / n + 0.3;
		double ux = sin(phi), uy = cos(phi);
		if (sig_t > 0)
			vg_sim_crlb_add_toa(c, ux, uy, R, c_mps, sig_t);
		if (sig_b > 0)
			vg_sim_crlb_add_bearing(c, -R * ux, -R * uy, R / c_mps, sig_b);
	}
}

static void test_crlb_closed_forms(void **state)
{
	(void)state;
	/* TOA, unknown origin time, known c. Rows g_i = (-cos, -sin, c)/c per
	 * sensor (in units of 1/c): the sums of cos and sin vanish on a regular
	 * polygon, so J = diag(N/(2 c^2 s^2), N/(2 c^2 s^2), N/s^2) and
	 * var_x = var_y = 2 c^2 s^2 / N: RMS = 2 c s / sqrt(N), whatever R. */
	struct vg_sim_crlb c;
	double rms, cov[2][2];
	const double cm = 343.214, st = 0.005;
	for (int n = 3; n <= 64; n *= 2) {
		for (double R = 100; R <= 20000; R *= 10) {
			circle(&c, n, R, cm, st, 0);
			assert_true(vg_sim_crlb_solve(&c, &rms, cov));
			double want = 2 * cm * st / sqrt(n);
			assert_float_equal(rms, want, 1e-9 * want);
			assert_float_equal(cov[0][1], 0, 1e-9 * want * want);
		}
	}
	/* Bearings only: row (cos, -sin)/R per sensor, J = N/(2 R^2 s_b^2) I:
	 * RMS = 2 R s_b / sqrt(N). */
	const double sb = 3 * M_PI / 180, R = 8000;
	circle(&c, 8, R, cm, 0, sb);
	assert_true(vg_sim_crlb_solve(&c, &rms, NULL));
	assert_float_equal(rms, 2 * R * sb / sqrt(8), 1e-9 * rms);
	/* Both: the information adds: var = 2 / (N (1/(c s)^2 + 1/(R s_b)^2)). */
	circle(&c, 8, R, cm, st, sb);
	assert_true(vg_sim_crlb_solve(&c, &rms, NULL));
	double var = 2.0 / (8 * (1 / (cm * st * cm * st) + 1 / (R * sb * R * sb)));
	assert_float_equal(rms, sqrt(2 * var), 1e-9 * rms);
	/* A radar position fix of sigma s alone: RMS = sqrt(2) s. */
	vg_sim_crlb_init(&c);
	vg_sim_crlb_add_position(&c, 40);
	assert_true(vg_sim_crlb_solve(&c, &rms, NULL));
	assert_float_equal(rms, sqrt(2) * 40, 1e-9);
	/* Under-determined: two TOAs cannot fix (x, y, t0); collinear sensors
	 * on one side cannot either. */
	vg_sim_crlb_init(&c);
	vg_sim_crlb_add_toa(&c, 1, 0, 1000, cm, st);
	vg_sim_crlb_add_toa(&c, 0, 1, 1000, cm, st);
	rms = -1;
	assert_false(vg_sim_crlb_solve(&c, &rms, NULL));
	assert_true(rms == -1);
	vg_sim_crlb_init(&c);
	for (int i = 0; i < 5; i++)
		vg_sim_crlb_add_toa(&c, 1, 0, 1000 + 100 * i, cm, st);
	assert_false(vg_sim_crlb_solve(&c, &rms, NULL));
	/* More sensors never hurt. */
	circle(&c, 6, 5000, cm, st, 0);
	assert_true(vg_sim_crlb_solve(&c, &rms, NULL));
	double r6 = rms;
	vg_sim_crlb_add_toa(&c, 0.6, 0.8, 5000, cm, st);
	assert_true(vg_sim_crlb_solve(&c, &rms, NULL));
	assert_true(rms < r6);

	/* Medium unknown, source at the centre of the circle: every path has the
	 * same length R, so the celerity only trades with t0 (no effect on x, y:
	 * sum u_x = 0), but a wind component w moves every arrival like a shift
	 * of the source by w R / c: the x and w_e columns are proportional
	 * (factor R/c). With a prior s_w on w, the (x, w_e) block inverts to
	 * var_x = 1/J_xx + (R s_w / c)^2, so
	 *   RMS^2 = 4 c^2 s^2 / N + 2 (R s_w / c)^2. */
	for (int n = 4; n <= 32; n *= 2) {
		for (double Rm = 500; Rm <= 50000; Rm *= 10) {
			const double sw = 2.0, sc = 1.2;
			circle(&c, n, Rm, cm, st, 0);
			assert_true(vg_sim_crlb_solve_medium(&c, sc, sw, &rms, NULL));
			double want = sqrt(4 * cm * cm * st * st / n + 2 * (Rm * sw / cm) * (Rm * sw / cm));
			assert_float_equal(rms, want, 1e-6 * want);
			double known;
			assert_true(vg_sim_crlb_solve(&c, &known, NULL));
			assert_true(known <= rms);
		}
	}
	/* Bearings only, unknown wind: the wavefront centre is p + w tau, the
	 * same shift for every sensor on the circle: var_x = 2 R^2 s_b^2 / N +
	 * (tau s_w)^2 with tau = R / c. */
	circle(&c, 8, R, cm, 0, sb);
	assert_true(vg_sim_crlb_solve_medium(&c, 1.2, 2.0, &rms, NULL));
	double tau = R / cm, want = sqrt(2 * (2 * R * R * sb * sb / 8 + tau * tau * 4.0));
	assert_float_equal(rms, want, 1e-6 * want);
	assert_false(vg_sim_crlb_solve_medium(&c, 0, 2.0, &rms, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_known_answer),
		cmocka_unit_test(test_rng_streams_and_moments),
		cmocka_unit_test(test_sound_speed),
		cmocka_unit_test(test_absorption_iso9613),
		cmocka_unit_test(test_detection_falls_with_range),
		cmocka_unit_test(test_pick_sigma),
		cmocka_unit_test(test_distance_vs_karney),
		cmocka_unit_test(test_crlb_closed_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

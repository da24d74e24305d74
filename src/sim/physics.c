/*
 * physics.c - sound propagation, detection and the Cramer-Rao bound used by
 * the simulator (and by planners through sim.h).
 *
 *  - Speed of sound in dry air: c = 331.3 sqrt(1 + T/273.15) m/s (the
 *    ideal-gas law for air; 343.2 m/s at 20 C). Humidity adds 0.1-0.3 %,
 *    which the model ignores (docs/simulator.md).
 *  - Atmospheric absorption: ISO 9613-1:1993 "Acoustics - Attenuation of
 *    sound during propagation outdoors - Part 1", eqs. (3)-(5) and annex B
 *    for the saturation vapour pressure; H. E. Bass, L. C. Sutherland,
 *    A. J. Zuckerwar, D. T. Blackstock, D. M. Hester, J. Acoust. Soc. Am.
 *    97, 680 (1995), doi:10.1121/1.412989.
 *  - Transmission loss: spherical spreading 20 log10(r / 1 m) + absorption
 *    + an excess loss per km (ground effect and refraction shadow zones,
 *    an assumed scenario parameter), and log-normal fading about it.
 *  - Pick error: sigma = hypot(floor, rise / A) where A = 10^(SNR/20) is the
 *    amplitude SNR: an onset is uncertain by about the rise time divided by
 *    the amplitude SNR (the slope argument of onset picking), never better
 *    than the floor.
 *  - CRLB: S. M. Kay, "Fundamentals of Statistical Signal Processing, Vol. I:
 *    Estimation Theory", Prentice Hall 1993, sec. 3.7 (vector parameter,
 *    Gaussian errors: J = G^T R^-1 G, C >= J^-1).
 */
#include "sim/sim_int.h"

#include <math.h>

#define DEG (M_PI / 180.0)

double vg_sim_sound_speed_mps(double temp_c)
{
	return 331.3 * sqrt(1.0 + temp_c / 273.15);
}

double vg_sim_absorption_db_per_m(double f_hz, double temp_c, double rh_pct, double p_kpa)
{
	const double T0 = 293.15, T01 = 273.16, pr = 101.325;
	double T = temp_c + 273.15;
	double pa = p_kpa / pr;                           /* pa / pr */
	double C = -6.8346 * pow(T01 / T, 1.261) + 4.6151; /* annex B */
	double psat = pow(10.0, C);                        /* psat / pr */
	double h = rh_pct * psat / pa;                     /* molar concentration of water vapour, % */
	double tr = T / T0;
	double frO = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h));
	double frN = pa * pow(tr, -0.5) * (9.0 + 280.0 * h * exp(-4.170 * (pow(tr, -1.0 / 3.0) - 1.0)));
	double f2 = f_hz * f_hz;
	return 8.686 * f2 *
	       (1.84e-11 / pa * sqrt(tr) +
	        pow(tr, -2.5) * (0.01275 * exp(-2239.1 / T) / (frO + f2 / frO) +
	                         0.1068 * exp(-3352.0 / T) / (frN + f2 / frN)));
}

double vg_sim_celerity_mps(const struct vg_sim_acoustic *m, double az_deg)
{
	return vg_sim_sound_speed_mps(m->temp_c) + m->wind_east_mps * sin(az_deg * DEG) +
	       m->wind_north_mps * cos(az_deg * DEG);
}

double vg_sim_transmission_loss_db(const struct vg_sim_acoustic *m, double f_hz, double range_m)
{
	if (range_m < 1.0)
		range_m = 1.0;
	double alpha = vg_sim_absorption_db_per_m(f_hz, m->temp_c, m->rh_pct, m->p_kpa);
	return 20.0 * log10(range_m) + alpha * range_m + m->excess_db_per_km * range_m / 1000.0;
}

double vg_sim_snr_db(const struct vg_sim_acoustic *m, double source_db, double f_hz, double range_m)
{
	return source_db - vg_sim_transmission_loss_db(m, f_hz, range_m) - m->noise_db;
}

double vg_sim_detect_prob(const struct vg_sim_acoustic *m, double source_db, double f_hz,
                          double range_m)
{
	double margin = vg_sim_snr_db(m, source_db, f_hz, range_m) - m->threshold_db;
	if (!(m->fade_sigma_db > 0))
		return margin >= 0 ? 1.0 : 0.0;
	/* P(margin + N(0, s) >= 0) = Phi(margin / s). */
	return 0.5 * erfc(-margin / (m->fade_sigma_db * M_SQRT2));
}

double vg_sim_pick_sigma_s(const struct vg_sim_acoustic *m, double snr_db)
{
	double amp = pow(10.0, snr_db / 20.0);
	return hypot(m->pick_floor_s, m->pick_rise_s / amp);
}

/* ---- WGS84 ------------------------------------------------------------- */

#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))

void sim_ecef(double lat_deg, double lon_deg, double h_m, double out[3])
{
	double sl = sin(lat_deg * DEG), cl = cos(lat_deg * DEG);
	double n = WGS84_A / sqrt(1.0 - WGS84_E2 * sl * sl);
	out[0] = (n + h_m) * cl * cos(lon_deg * DEG);
	out[1] = (n + h_m) * cl * sin(lon_deg * DEG);
	out[2] = (n * (1.0 - WGS84_E2) + h_m) * sl;
}

void sim_enu(double lat_deg, double lon_deg, const double d[3], double *e, double *n, double *u)
{
	double sl = sin(lat_deg * DEG), cl = cos(lat_deg * DEG);
	double so = sin(lon_deg * DEG), co = cos(lon_deg * DEG);
	*e = -so * d[0] + co * d[1];
	*n = -sl * co * d[0] - sl * so * d[1] + cl * d[2];
	*u = cl * co * d[0] + cl * so * d[1] + sl * d[2];
}

double sim_surface_distance(double lat1, const double p1[3], const double p2[3], double lon1,
                            double *east, double *north)
{
	double d[3] = {p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]};
	double chord = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
	double e, n, u;
	sim_enu(lat1, lon1, d, &e, &n, &u);
	if (east)
		*east = e;
	if (north)
		*north = n;
	if (chord == 0)
		return 0;
	/* Radius of curvature in the direction of travel (Euler), then the
	 * chord-to-arc correction of a circle of that radius. */
	double sl = sin(lat1 * DEG);
	double w2 = 1.0 - WGS84_E2 * sl * sl;
	double rn = WGS84_A / sqrt(w2);
	double rm = WGS84_A * (1.0 - WGS84_E2) / (w2 * sqrt(w2));
	double h2 = e * e + n * n;
	double ca2 = h2 > 0 ? n * n / h2 : 1.0, sa2 = h2 > 0 ? e * e / h2 : 0.0;
	double r = 1.0 / (ca2 / rm + sa2 / rn);
	return chord + chord * chord * chord / (24.0 * r * r);
}

double vg_sim_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
	double p1[3], p2[3];
	sim_ecef(lat1_deg, lon1_deg, 0, p1);
	sim_ecef(lat2_deg, lon2_deg, 0, p2);
	return sim_surface_distance(lat1_deg, p1, p2, lon1_deg, NULL, NULL);
}

/* ---- Cramer-Rao bound ---------------------------------------------------- */

void vg_sim_crlb_init(struct vg_sim_crlb *c)
{
	memset(c, 0, sizeof *c);
}

static void add_outer(struct vg_sim_crlb *c, const double g[VG_CRLB_N], double w)
{
	for (int i = 0; i < VG_CRLB_N; i++)
		for (int j = 0; j < VG_CRLB_N; j++)
			c->J[i][j] += g[i] * g[j] * w;
}

void vg_sim_crlb_add_toa(struct vg_sim_crlb *c, double ux, double uy, double range_m,
                         double c_mps, double sigma_s)
{
	/* t = t0 + d / (c + w.u): dt/dp = -u / c_eff, dt/dc = -d / c_eff^2,
	 * dt/dw = -d u / c_eff^2. */
	double c2 = c_mps * c_mps;
	double g[VG_CRLB_N] = {-ux / c_mps, -uy / c_mps, 1.0, -range_m / c2, -range_m * ux / c2,
	                       -range_m * uy / c2};
	add_outer(c, g, 1.0 / (sigma_s * sigma_s));
	c->n_toa++;
}

void vg_sim_crlb_add_bearing(struct vg_sim_crlb *c, double dx, double dy, double travel_s,
                             double sigma_rad)
{
	/* theta = atan2(dx + we tau, dy + wn tau); dx = px - sx, dy = py - sy.
	 * d theta / dc is proportional to the wind itself and left out. */
	double r2 = dx * dx + dy * dy;
	if (!(r2 > 0))
		return;
	double g[VG_CRLB_N] = {dy / r2, -dx / r2, 0.0, 0.0, travel_s * dy / r2, -travel_s * dx / r2};
	add_outer(c, g, 1.0 / (sigma_rad * sigma_rad));
	c->n_bearing++;
}

void vg_sim_crlb_add_position(struct vg_sim_crlb *c, double sigma_m)
{
	double w = 1.0 / (sigma_m * sigma_m);
	c->J[VG_CRLB_X][VG_CRLB_X] += w;
	c->J[VG_CRLB_Y][VG_CRLB_Y] += w;
	c->n_pos++;
}

/* A Cholesky pivot below this fraction of its diagonal means the direction
 * is (numerically) a combination of the earlier ones: not determined. */
#define CRLB_MIN_PIVOT 1e-10

/* Invert the symmetric positive-definite k x k matrix A (row-major, k <= 6)
 * by Cholesky; the first 2x2 block of the inverse into cov. */
static bool spd_inverse_xy(const double *A, int k, double cov[2][2])
{
	double L[VG_CRLB_N][VG_CRLB_N] = {{0}};
	for (int j = 0; j < k; j++) {
		double d = A[j * k + j];
		for (int m = 0; m < j; m++)
			d -= L[j][m] * L[j][m];
		if (!(A[j * k + j] > 0) || !(d > CRLB_MIN_PIVOT * A[j * k + j]))
			return false;
		L[j][j] = sqrt(d);
		for (int i = j + 1; i < k; i++) {
			double s = A[i * k + j];
			for (int m = 0; m < j; m++)
				s -= L[i][m] * L[j][m];
			L[i][j] = s / L[j][j];
		}
	}
	/* Columns 0 and 1 of A^-1: solve L L^T x = e_col. */
	for (int col = 0; col < 2; col++) {
		double y[VG_CRLB_N], x[VG_CRLB_N];
		for (int i = 0; i < k; i++) {
			double s = i == col ? 1.0 : 0.0;
			for (int m = 0; m < i; m++)
				s -= L[i][m] * y[m];
			y[i] = s / L[i][i];
		}
		for (int i = k - 1; i >= 0; i--) {
			double s = y[i];
			for (int m = i + 1; m < k; m++)
				s -= L[m][i] * x[m];
			x[i] = s / L[i][i];
		}
		cov[0][col] = x[0];
		cov[1][col] = x[1];
	}
	return true;
}

static bool solve_params(const struct vg_sim_crlb *c, const int *idx, int k, const double *prior,
                         double *rms_m, double cov_out[2][2])
{
	double A[VG_CRLB_N * VG_CRLB_N], cov[2][2];
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			A[i * k + j] = c->J[idx[i]][idx[j]] + (i == j && prior ? prior[idx[i]] : 0.0);
	if (!spd_inverse_xy(A, k, cov))
		return false;
	double cxy = (cov[0][1] + cov[1][0]) / 2;
	if (!(cov[0][0] > 0 && cov[1][1] > 0) || !isfinite(cov[0][0] + cov[1][1]))
		return false;
	*rms_m = sqrt(cov[0][0] + cov[1][1]);
	if (cov_out) {
		cov_out[0][0] = cov[0][0];
		cov_out[1][1] = cov[1][1];
		cov_out[0][1] = cov_out[1][0] = cxy;
	}
	return true;
}

bool vg_sim_crlb_solve(const struct vg_sim_crlb *c, double *rms_m, double cov[2][2])
{
	static const int with_t0[] = {VG_CRLB_X, VG_CRLB_Y, VG_CRLB_T0};
	return solve_params(c, with_t0, c->n_toa ? 3 : 2, NULL, rms_m, cov);
}

bool vg_sim_crlb_solve_medium(const struct vg_sim_crlb *c, double sigma_c_mps,
                              double sigma_wind_mps, double *rms_m, double cov[2][2])
{
	static const int all[] = {VG_CRLB_X, VG_CRLB_Y, VG_CRLB_T0, VG_CRLB_C, VG_CRLB_WE, VG_CRLB_WN};
	static const int no_t0[] = {VG_CRLB_X, VG_CRLB_Y, VG_CRLB_WE, VG_CRLB_WN};
	if (!(sigma_c_mps > 0) || !(sigma_wind_mps > 0))
		return false;
	double prior[VG_CRLB_N] = {0, 0, 0, 1.0 / (sigma_c_mps * sigma_c_mps),
	                           1.0 / (sigma_wind_mps * sigma_wind_mps),
	                           1.0 / (sigma_wind_mps * sigma_wind_mps)};
	if (c->n_toa)
		return solve_params(c, all, 6, prior, rms_m, cov);
	return solve_params(c, no_t0, 4, prior, rms_m, cov);
}

/*
 * locate.c - the locator of fusion.h: a maximum a posteriori fit of an
 * impulsive source to arrival times, bearings and position fixes.
 *
 * Model (the simulator's, docs/simulator.md "Sound"): the wavefront is a
 * sphere of radius c*tau whose centre drifts with a uniform wind w, so the
 * travel time along the horizontal path r (source -> sensor) solves
 *   (c^2 - w^2) tau^2 + 2 (r . w) tau - |r|^2 = 0
 * (P. M. Morse, K. U. Ingard, Theoretical Acoustics, 1968, sec. 11.1), and
 * an array's bearing points at the drifted centre source + w*tau. The path
 * length and the azimuths at both ends come from Karney's geodesics
 * (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87:43-55, 2013,
 * doi:10.1007/s00190-012-0578-z, through PROJ's geodesic.h), so the fit is
 * exact on the ellipsoid at any range; the position update is a geodesic
 * step from the current estimate (a local frame that moves with it).
 *
 * Estimator: parameters (east, north, t0, c, we, wn); the medium has
 * Gaussian priors, which makes this a Bayesian (MAP) estimate whose inverse
 * information is the Bayesian Cramer-Rao bound of H. L. Van Trees,
 * Detection, Estimation, and Modulation Theory I, 1968, sec. 2.4: the
 * reported position covariance is marginal over the medium, i.e. it
 * includes the model error of the sound speed. Minimisation by
 * Levenberg-Marquardt (K. Levenberg 1944; D. W. Marquardt, SIAM J. Appl.
 * Math. 11:431, 1963, doi:10.1137/0111030) on the normal equations with a
 * Cholesky solve.
 *
 * Outliers: after convergence, if the chi-square of the fit exceeds its
 * 1 - 1e-4 quantile or a normalised residual exceeds opt->outlier_sigma,
 * each of the four measurements with the largest normalised residuals is
 * left out in turn (warm start) and the removal that
 * lowers the chi-square most is kept, provided the rest still over-determine
 * the fit (leave-one-out deletion diagnostics, R. D. Cook, Technometrics
 * 19:15, 1977). Up to opt->max_reject times.
 */
#include "fusion.h"
#include "fusion_int.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#define NP 6
enum { PX, PY, PT, PC, PWE, PWN };

static const double DEG = 3.14159265358979323846 / 180.0;

void vg_fusion_locate_opts_default(struct vg_fusion_locate_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_iter = 30;
	o->max_reject = 1;
	o->outlier_sigma = 4.5;
	o->inflate = false;
	o->exact = true;
}

/* State of one fit. */
struct fit {
	struct geod_geodesic g;
	const struct vg_fusion_meas *m;
	uint32_t n;
	const struct vg_fusion_medium *prior;
	bool any_time;
	double lat, lon;          /* reference position */
	double p[NP];             /* p[PX], p[PY] are 0 at the reference */
	/* the fast geometry (see geom()): ECEF and trigonometry of the
	 * measurements (cached) and of the reference */
	bool fast;
	const double (*mx)[3];
	const double (*mt)[4];
	double rx[3], rt[4];
};

#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

static void ecef_trig(double lat, double lon, double x[3], double t[4])
{
	double e2 = WGS84_F * (2 - WGS84_F);
	t[0] = sin(lat * DEG);
	t[1] = cos(lat * DEG);
	t[2] = sin(lon * DEG);
	t[3] = cos(lon * DEG);
	double N = WGS84_A / sqrt(1 - e2 * t[0] * t[0]);
	x[0] = N * t[1] * t[3];
	x[1] = N * t[1] * t[2];
	x[2] = N * (1 - e2) * t[0];
}

/* Azimuth (deg) at the point with trig t of the chord vector d (ECEF). */
static double enu_az(const double t[4], const double d[3])
{
	double e = -t[2] * d[0] + t[3] * d[1];
	double n = -t[0] * t[3] * d[0] - t[0] * t[2] * d[1] + t[1] * d[2];
	return atan2(e, n) / DEG;
}

/*
 * Distance from measurement i's sensor to the reference and the azimuths
 * at both ends, as geod_inverse(sensor, reference) gives them. Exact
 * (Karney) unless F->fast: then the ECEF chord with the arc correction
 * d + d^3 / (24 R^2) (sub-millimetre to 50 km, centimetres at 200 km) and
 * tangent-plane azimuths - used to converge; the last iterations and the
 * covariance are always computed with the exact geodesic.
 */
static void geom(const struct fit *F, uint32_t i, double *s12, double *azi1, double *azi2)
{
	if (!F->fast) {
		geod_inverse(&F->g, F->m[i].lat_deg, F->m[i].lon_deg, F->lat, F->lon, s12, azi1, azi2);
		return;
	}
	double d[3] = {F->rx[0] - F->mx[i][0], F->rx[1] - F->mx[i][1], F->rx[2] - F->mx[i][2]};
	double c = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
	const double R = 6371008.8;
	*s12 = c + c * c * c / (24 * R * R);
	*azi1 = enu_az(F->mt[i], d);
	double b[3] = {-d[0], -d[1], -d[2]};
	*azi2 = enu_az(F->rt, b) + 180.0; /* heading at the reference, away from the sensor */
}

/* Travel time with wind and its partial derivatives (r: source -> sensor). */
static double travel(double rx, double ry, double c, double we, double wn, double d_tau[NP])
{
	double a = c * c - we * we - wn * wn;
	double rw = rx * we + ry * wn, rr = rx * rx + ry * ry;
	double tau = (-rw + sqrt(rw * rw + a * rr)) / a;
	if (d_tau) {
		/* G = a tau^2 + 2 (r.w) tau - r^2; the source moving by dx moves r
		 * by -dx. dG/dtau = 2 (a tau + r.w): its halves cancel the 2s. */
		double ig = 1 / (a * tau + rw);
		d_tau[PX] = (tau * we - rx) * ig;
		d_tau[PY] = (tau * wn - ry) * ig;
		d_tau[PT] = 0;
		d_tau[PC] = -(c * tau * tau) * ig;
		d_tau[PWE] = (we * tau * tau - tau * rx) * ig;
		d_tau[PWN] = (wn * tau * tau - tau * ry) * ig;
	}
	return tau;
}

static double wrap180(double a)
{
	a = fmod(a, 360.0);
	if (a > 180)
		a -= 360;
	else if (a <= -180)
		a += 360;
	return a;
}

/*
 * Residual rows of measurement i at the current state: up to 2 rows of
 * (residual, sigma, jacobian). Returns the number of rows.
 */
static int rows(const struct fit *F, uint32_t i, double res[3], double sig[3], double J[3][NP])
{
	const struct vg_fusion_meas *m = &F->m[i];
	int k = 0;
	double s12, azi1 = 0, azi2 = 0, rx, ry;
	double c = F->p[PC], we = F->p[PWE], wn = F->p[PWN];
	if (F->fast && m->has_time && !m->has_bearing && !m->is_fix) {
		/* an arrival time alone in the fast geometry: r (source -> sensor)
		 * straight from the chord's east/north components at the
		 * reference, without going through azimuths (two atan2 and a
		 * sincos per row: most of a trial fit's cost) */
		double d[3] = {F->mx[i][0] - F->rx[0], F->mx[i][1] - F->rx[1], F->mx[i][2] - F->rx[2]};
		double ch = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
		const double R = 6371008.8;
		s12 = ch + ch * ch * ch / (24 * R * R);
		const double *t = F->rt;
		double e = -t[2] * d[0] + t[3] * d[1];
		double n = -t[0] * t[3] * d[0] - t[0] * t[2] * d[1] + t[1] * d[2];
		double h = sqrt(e * e + n * n);
		rx = h > 0 ? s12 * e / h : 0;
		ry = h > 0 ? s12 * n / h : 0;
		goto have_r;
	}
	/* from the sensor (or fix) to the source */
	geom(F, i, &s12, &azi1, &azi2);
	if (m->is_fix) {
		/* offset of the fix from the source, in the source's frame */
		double az = azi2 + 180.0;
		double ex = s12 * sin(az * DEG), ny = s12 * cos(az * DEG);
		memset(J, 0, sizeof(double) * 2 * NP);
		res[0] = ex - F->p[PX];
		sig[0] = m->fix_sigma_m;
		J[0][PX] = 1;
		res[1] = ny - F->p[PY];
		sig[1] = m->fix_sigma_m;
		J[1][PY] = 1;
		return 2;
	}
	/* r: source -> sensor, in the source's frame (azi2 + 180 points back) */
	rx = -s12 * sin(azi2 * DEG);
	ry = -s12 * cos(azi2 * DEG);
have_r:;
	/* the state's (PX, PY) offsets are 0 at the reference except inside a step
	 * evaluation, which moves the reference instead: see step(). */
	double dt[NP];
	double tau = travel(rx, ry, c, we, wn, dt);
	if (m->has_time) {
		res[k] = m->t_s - (F->p[PT] + tau);
		sig[k] = m->sigma_s;
		for (int j = 0; j < NP; j++)
			J[k][j] = dt[j];
		J[k][PT] = 1;
		k++;
	}
	if (m->has_bearing) {
		double sp = s12 > 1e-3 ? s12 : 1e-3;
		/* apparent centre = source + w tau; its perpendicular offset turns the azimuth */
		double cx = cos(azi2 * DEG), cy = -sin(azi2 * DEG); /* right of the line of sight */
		double perp = (we * cx + wn * cy) * tau;
		double pred = azi1 + perp / sp / DEG;
		res[k] = wrap180(m->bearing_deg - pred) * DEG;
		sig[k] = m->bearing_sigma_deg * DEG;
		memset(J[k], 0, sizeof(double) * NP);
		J[k][PX] = cx / sp;
		J[k][PY] = cy / sp;
		J[k][PWE] = cx * tau / sp;
		J[k][PWN] = cy * tau / sp;
		k++;
	}
	return k;
}

void vg_fusion_prior_info(const struct vg_fusion_medium *pr, double W[3][3])
{
	if (pr->has_prec) {
		memcpy(W, pr->prec, 9 * sizeof **W);
		return;
	}
	memset(W, 0, 9 * sizeof **W);
	W[0][0] = 1 / (pr->c_sigma_mps * pr->c_sigma_mps);
	W[1][1] = W[2][2] = 1 / (pr->w_sigma_mps * pr->w_sigma_mps);
}

/* Prior rows: c, we, wn (and a vague t0 prior when there is no arrival time). */
static double prior_cost(const struct fit *F)
{
	const struct vg_fusion_medium *pr = F->prior;
	double W[3][3], d[3] = {F->p[PC] - pr->c_mps, F->p[PWE] - pr->we_mps, F->p[PWN] - pr->wn_mps};
	vg_fusion_prior_info(pr, W);
	double s = 0;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			s += d[i] * W[i][j] * d[j];
	return s;
}

static double cost(const struct fit *F, const uint8_t *use, double *chi2_meas)
{
	double s = 0;
	for (uint32_t i = 0; i < F->n; i++) {
		if (use && !use[i])
			continue;
		double r[3], sg[3], J[3][NP];
		int k = rows(F, i, r, sg, J);
		for (int j = 0; j < k; j++)
			s += (r[j] / sg[j]) * (r[j] / sg[j]);
	}
	if (chi2_meas)
		*chi2_meas = s;
	return s + prior_cost(F);
}

/* Normal equations N d = b at the current state (without damping). */
static void normal(const struct fit *F, const uint8_t *use, double N[NP][NP], double b[NP])
{
	memset(N, 0, sizeof(double) * NP * NP);
	memset(b, 0, sizeof(double) * NP);
	for (uint32_t i = 0; i < F->n; i++) {
		if (use && !use[i])
			continue;
		double r[3], sg[3], J[3][NP];
		int k = rows(F, i, r, sg, J);
		for (int q = 0; q < k; q++) {
			double w = 1.0 / (sg[q] * sg[q]);
			for (int a = 0; a < NP; a++) {
				if (J[q][a] == 0)
					continue;
				b[a] += J[q][a] * w * r[q];
				for (int c = 0; c < NP; c++)
					N[a][c] += J[q][a] * w * J[q][c];
			}
		}
	}
	const struct vg_fusion_medium *pr = F->prior;
	double W[3][3], d[3] = {pr->c_mps - F->p[PC], pr->we_mps - F->p[PWE], pr->wn_mps - F->p[PWN]};
	vg_fusion_prior_info(pr, W);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			N[PC + i][PC + j] += W[i][j];
			b[PC + i] += W[i][j] * d[j];
		}
	if (!F->any_time)
		N[PT][PT] += 1.0; /* t0 unobservable: pin it (vague, unit weight) */
}

/* Cholesky of a symmetric positive definite matrix (in place, lower). */
static bool chol(double A[NP][NP])
{
	for (int j = 0; j < NP; j++) {
		double s = A[j][j];
		for (int k = 0; k < j; k++)
			s -= A[j][k] * A[j][k];
		if (!(s > 0) || !isfinite(s))
			return false;
		A[j][j] = sqrt(s);
		for (int i = j + 1; i < NP; i++) {
			double t = A[i][j];
			for (int k = 0; k < j; k++)
				t -= A[i][k] * A[j][k];
			A[i][j] = t / A[j][j];
		}
	}
	return true;
}

static void chol_solve(const double L[NP][NP], const double b[NP], double x[NP])
{
	double y[NP];
	for (int i = 0; i < NP; i++) {
		double s = b[i];
		for (int k = 0; k < i; k++)
			s -= L[i][k] * y[k];
		y[i] = s / L[i][i];
	}
	for (int i = NP - 1; i >= 0; i--) {
		double s = y[i];
		for (int k = i + 1; k < NP; k++)
			s -= L[k][i] * x[k];
		x[i] = s / L[i][i];
	}
}

/* Inverse of N (symmetric positive definite); false if singular relative to
 * its diagonal (an unobservable combination of parameters). */
static bool spd_inverse(const double N[NP][NP], double C[NP][NP])
{
	double S[NP][NP], L[NP][NP], d[NP];
	/* equilibrate: the parameters have wildly different units */
	for (int i = 0; i < NP; i++)
		d[i] = N[i][i] > 0 ? 1 / sqrt(N[i][i]) : 0;
	for (int i = 0; i < NP; i++)
		for (int j = 0; j < NP; j++)
			S[i][j] = N[i][j] * d[i] * d[j];
	memcpy(L, S, sizeof L);
	if (!chol(L))
		return false;
	for (int i = 0; i < NP; i++)
		if (L[i][i] < 1e-7) /* pivot^2 < 1e-14 of the unit diagonal */
			return false;
	for (int c = 0; c < NP; c++) {
		double e[NP] = {0}, x[NP];
		e[c] = 1;
		chol_solve(L, e, x);
		for (int r = 0; r < NP; r++)
			C[r][c] = x[r] * d[r] * d[c];
	}
	return true;
}

/* Move the reference by (dx, dy) metres along a geodesic. */
static void move_ref(struct fit *F, double dx, double dy)
{
	double dist = hypot(dx, dy);
	if (dist == 0)
		return;
	double lat2, lon2;
	if (F->fast) {
		/* trial fits: a step in the tangent plane with the ellipsoid's
		 * radii of curvature (second order in the step, and the fit
		 * converges to the same minimum of its cost wherever the steps
		 * put the reference) */
		double e2 = WGS84_F * (2 - WGS84_F), sl = F->rt[0];
		double w = sqrt(1 - e2 * sl * sl);
		double Nr = WGS84_A / w, Mr = WGS84_A * (1 - e2) / (w * w * w);
		lat2 = F->lat + dy / Mr / DEG;
		lon2 = F->lon + dx / (Nr * F->rt[1]) / DEG;
	} else {
		double az = atan2(dx, dy) / DEG;
		geod_direct(&F->g, F->lat, F->lon, az, dist, &lat2, &lon2, NULL);
	}
	F->lat = lat2;
	F->lon = lon2;
	ecef_trig(lat2, lon2, F->rx, F->rt);
}

/* Levenberg-Marquardt to convergence. Returns false if it failed. */
static bool solve(struct fit *F, const uint8_t *use, uint32_t max_iter, uint32_t *iters)
{
	double lambda = 1e-3;
	double cur = cost(F, use, NULL);
	uint32_t it = 0;
	for (; it < max_iter; it++) {
		double N[NP][NP], b[NP], A[NP][NP], d[NP];
		normal(F, use, N, b);
		bool accepted = false;
		for (int tries = 0; tries < 12 && !accepted; tries++) {
			memcpy(A, N, sizeof A);
			for (int i = 0; i < NP; i++)
				A[i][i] += lambda * N[i][i];
			if (!chol(A)) {
				lambda *= 10;
				continue;
			}
			chol_solve(A, b, d);
			struct fit T = *F;
			move_ref(&T, d[PX], d[PY]);
			for (int i = PT; i < NP; i++)
				T.p[i] += d[i];
			if (!(T.p[PC] > 50)) { /* a sound speed the model cannot hold */
				lambda *= 10;
				continue;
			}
			double c2 = cost(&T, use, NULL);
			if (isfinite(c2) && c2 <= cur) {
				double step = hypot(d[PX], d[PY]);
				*F = T;
				double gain = cur - c2;
				cur = c2;
				lambda = lambda / 10 > 1e-12 ? lambda / 10 : 1e-12;
				accepted = true;
				if (step < 1e-5 && gain <= 1e-9 * (1 + cur)) {
					*iters = it + 1;
					return true;
				}
			} else {
				lambda *= 10;
			}
		}
		if (!accepted) {
			/* no step lowers the cost: at the minimum to machine precision */
			*iters = it + 1;
			return isfinite(cur);
		}
	}
	*iters = it;
	return isfinite(cur);
}

/* Wilson-Hilferty approximation of the chi-square upper quantile. */
double vg_fusion_chi2_quantile(int dof, double z)
{
	if (dof <= 0)
		return 0;
	double k = dof, h = 2.0 / (9.0 * k);
	double v = 1 - h + z * sqrt(h);
	return k * v * v * v;
}

static int count_rows(const struct vg_fusion_meas *m, uint32_t n, const uint8_t *use, bool *any_time)
{
	int k = 0;
	*any_time = false;
	for (uint32_t i = 0; i < n; i++) {
		if (use && !use[i])
			continue;
		if (m[i].is_fix)
			k += 2;
		k += m[i].has_time;
		k += m[i].has_bearing;
		*any_time |= m[i].has_time;
	}
	return k;
}

static int fit_dof(const struct vg_fusion_meas *m, uint32_t n, const uint8_t *use)
{
	bool any_time;
	int k = count_rows(m, n, use, &any_time);
	/* + 3 prior rows (c, we, wn) - 6 parameters (t0 pinned without times) */
	return k + 3 - (any_time ? 6 : 5);
}

static void normalised_residuals(const struct fit *F, double *resid)
{
	for (uint32_t i = 0; i < F->n; i++) {
		double r[3], sg[3], J[3][NP];
		int k = rows(F, i, r, sg, J);
		if (F->m[i].is_fix)
			resid[i] = hypot(r[0], r[1]) / sg[0];
		else
			resid[i] = k ? r[0] / sg[0] : 0;
	}
}

/* Largest |normalised residual| over used measurements, any row. */
static double worst_residual(const struct fit *F, const uint8_t *use)
{
	double w = 0;
	for (uint32_t i = 0; i < F->n; i++) {
		if (use && !use[i])
			continue;
		double r[3], sg[3], J[3][NP];
		int k = rows(F, i, r, sg, J);
		for (int j = 0; j < k; j++)
			if (fabs(r[j] / sg[j]) > w)
				w = fabs(r[j] / sg[j]);
	}
	return w;
}

vg_status vg_fusion_locate(const struct vg_fusion_meas *m, uint32_t n,
                           const struct vg_fusion_medium *prior, double lat0_deg, double lon0_deg,
                           const struct vg_fusion_locate_opts *opt, uint8_t *use, double *resid,
                           struct vg_fusion_fix *out, struct vg_err *err)
{
	struct vg_fusion_locate_opts dflt;
	if (!opt) {
		vg_fusion_locate_opts_default(&dflt);
		opt = &dflt;
	}
	if (!(prior->c_mps > 50) || !(prior->c_sigma_mps > 0) || !(prior->w_sigma_mps > 0))
		return vg_err_set(err, VG_ERR_INVALID_ARG, "medium prior: c = %g, sigmas %g, %g",
		                  prior->c_mps, prior->c_sigma_mps, prior->w_sigma_mps);
	uint8_t ubuf[VG_FUSION_LOCATE_MAX];
	if (n > VG_FUSION_LOCATE_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "%u measurements: at most %d", n,
		                  VG_FUSION_LOCATE_MAX);
	for (uint32_t i = 0; i < n; i++) {
		ubuf[i] = use ? use[i] : 1;
		if (m[i].has_time && !(m[i].sigma_s > 0))
			return vg_err_set(err, VG_ERR_RANGE, "measurement %u: sigma_s = %g: must be > 0", i,
			                  m[i].sigma_s);
		if (m[i].has_bearing && !(m[i].bearing_sigma_deg > 0))
			return vg_err_set(err, VG_ERR_RANGE,
			                  "measurement %u: bearing_sigma_deg = %g: must be > 0", i,
			                  m[i].bearing_sigma_deg);
		if (m[i].is_fix && !(m[i].fix_sigma_m > 0))
			return vg_err_set(err, VG_ERR_RANGE, "measurement %u: fix sigma = %g: must be > 0",
			                  i, m[i].fix_sigma_m);
	}
	struct fit F;
	memset(&F, 0, sizeof F);
	geod_init(&F.g, 6378137.0, 1 / 298.257223563);
	F.m = m;
	F.n = n;
	F.prior = prior;
	F.lat = lat0_deg;
	F.lon = lon0_deg;
	double mx[VG_FUSION_LOCATE_MAX][3], mt[VG_FUSION_LOCATE_MAX][4];
	for (uint32_t i = 0; i < n; i++) {
		if (m[i].has_ecef) {
			memcpy(mx[i], m[i].ecef, sizeof mx[i]);
			memcpy(mt[i], m[i].trig, sizeof mt[i]);
		} else {
			ecef_trig(m[i].lat_deg, m[i].lon_deg, mx[i], mt[i]);
		}
	}
	F.mx = (const double(*)[3])mx;
	F.mt = (const double(*)[4])mt;
	ecef_trig(F.lat, F.lon, F.rx, F.rt);
	/* the fast geometry is for local networks (its arc correction is good
	 * to centimetres at 200 km); regional fits use the geodesic throughout */
	F.fast = true;
	for (uint32_t i = 0; i < n; i++) {
		double d0 = mx[i][0] - F.rx[0], d1 = mx[i][1] - F.rx[1], d2 = mx[i][2] - F.rx[2];
		if (d0 * d0 + d1 * d1 + d2 * d2 > 150e3 * 150e3)
			F.fast = false;
	}
	F.p[PC] = prior->c_mps;
	F.p[PWE] = prior->we_mps;
	F.p[PWN] = prior->wn_mps;
	count_rows(m, n, ubuf, &F.any_time);
	if (F.any_time) {
		/* start t0 from the earliest arrival minus its travel time */
		double best = INFINITY;
		for (uint32_t i = 0; i < n; i++) {
			if (!ubuf[i] || !m[i].has_time)
				continue;
			/* a starting value: the chord is enough */
			double d0 = mx[i][0] - F.rx[0], d1 = mx[i][1] - F.rx[1], d2 = mx[i][2] - F.rx[2];
			double s12 = sqrt(d0 * d0 + d1 * d1 + d2 * d2);
			double t = m[i].t_s - s12 / prior->c_mps;
			if (t < best)
				best = t;
		}
		F.p[PT] = best;
	}
	if (fit_dof(m, n, ubuf) < 0)
		return vg_err_set(err, VG_ERR_RANGE, "%u measurements do not determine a location", n);
	uint32_t iters = 0, total_iters = 0, n_rej = 0;
	if (!solve(&F, ubuf, opt->max_iter, &iters))
		return vg_err_set(err, VG_ERR_RANGE, "the fit did not converge");
	total_iters += iters;

	for (;;) {
		int dof = fit_dof(m, n, ubuf);
		double chi2;
		cost(&F, ubuf, &chi2);
		double chi2_all = chi2 + prior_cost(&F);
		bool suspicious = (dof > 0 && chi2_all > vg_fusion_chi2_quantile(dof, 3.719)) ||
		                  worst_residual(&F, ubuf) > opt->outlier_sigma;
		if (!suspicious || n_rej >= opt->max_reject || dof < 2)
			break;
		/* leave one out among the LOO_K largest normalised residuals (a gross
		 * outlier is among them even when it pulled the fit): keep the removal
		 * that lowers the cost most */
		enum { LOO_K = 4 };
		uint32_t cand[LOO_K];
		double cabs[LOO_K];
		int nc = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!ubuf[i])
				continue;
			double r[3], sg[3], J[3][NP];
			int k = rows(&F, i, r, sg, J);
			double a = 0;
			for (int j = 0; j < k; j++)
				a = fmax(a, fabs(r[j] / sg[j]));
			int pos = nc;
			while (pos > 0 && cabs[pos - 1] < a)
				pos--;
			if (pos >= LOO_K)
				continue;
			int end = nc < LOO_K ? nc : LOO_K - 1;
			for (int q = end; q > pos; q--) {
				cand[q] = cand[q - 1];
				cabs[q] = cabs[q - 1];
			}
			cand[pos] = i;
			cabs[pos] = a;
			if (nc < LOO_K)
				nc++;
		}
		double best_cost = INFINITY;
		uint32_t best_i = n;
		struct fit best_fit = F;
		for (int q = 0; q < nc; q++) {
			uint32_t i = cand[q];
			ubuf[i] = 0;
			if (fit_dof(m, n, ubuf) >= 1) {
				struct fit T = F;
				uint32_t it2 = 0;
				if (solve(&T, ubuf, opt->max_iter, &it2)) {
					total_iters += it2;
					double c2 = cost(&T, ubuf, NULL);
					if (c2 < best_cost) {
						best_cost = c2;
						best_i = i;
						best_fit = T;
					}
				}
			}
			ubuf[i] = 1;
		}
		if (best_i == n)
			break;
		ubuf[best_i] = 0;
		F = best_fit;
		n_rej++;
	}

	/* polish with the exact geodesic (the association's trial fits keep
	 * the fast geometry: sub-millimetre within 50 km, and only the event's
	 * own fit is reported) */
	F.fast = F.fast && !opt->exact;
	if (!F.fast) {
		uint32_t it2 = 0;
		if (!solve(&F, ubuf, opt->max_iter, &it2))
			return vg_err_set(err, VG_ERR_RANGE, "the fit did not converge");
		total_iters += it2;
	}
	double N[NP][NP], b[NP], C[NP][NP];
	normal(&F, ubuf, N, b);
	if (!spd_inverse(N, C))
		return vg_err_set(err, VG_ERR_RANGE, "the measurements do not determine a location");
	double chi2;
	cost(&F, ubuf, &chi2);
	int dof = fit_dof(m, n, ubuf);
	double scale = 1;
	double chi2_all = chi2 + prior_cost(&F);
	if (opt->inflate && dof > 0 && chi2_all / dof > 1)
		scale = chi2_all / dof;

	memset(out, 0, sizeof *out);
	out->lat_deg = F.lat;
	out->lon_deg = F.lon;
	out->t0_s = F.any_time ? F.p[PT] : 0;
	out->t0_sigma_s = F.any_time ? sqrt(C[PT][PT] * scale) : 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			out->cov_m2[i][j] = C[i][j] * scale;
	out->c_mps = F.p[PC];
	out->c_sigma_mps = sqrt(C[PC][PC] * scale);
	out->we_mps = F.p[PWE];
	out->wn_mps = F.p[PWN];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			out->medium_cov[i][j] = C[PC + i][PC + j] * scale;
	for (int i = 0; i < NP; i++)
		for (int j = 0; j < NP; j++)
			out->param_cov[i][j] = C[i][j] * scale;
	out->chi2 = chi2;
	out->dof = dof;
	out->iterations = total_iters;
	out->scale = scale;
	for (uint32_t i = 0; i < n; i++) {
		out->n_used += ubuf[i] != 0;
		if (use && use[i] && !ubuf[i])
			out->n_rejected++;
		else if (!use && !ubuf[i])
			out->n_rejected++;
	}
	if (use)
		memcpy(use, ubuf, n);
	if (resid)
		normalised_residuals(&F, resid);
	return VG_OK;
}

/* ---- Ellipse and CEP ------------------------------------------------------ */

static void eig2(const double C[2][2], double *l1, double *l2, double *az_deg)
{
	double a = C[0][0], b = C[0][1], d = C[1][1];
	double tr = a + d, det = a * d - b * b;
	double disc = sqrt(fmax(0, tr * tr / 4 - det));
	*l1 = tr / 2 + disc;
	*l2 = fmax(0, tr / 2 - disc);
	/* eigenvector of l1: (b, l1 - a) or (l1 - d, b) in (east, north) */
	double ex, ny;
	if (fabs(b) > 1e-300) {
		ex = b;
		ny = *l1 - a;
	} else {
		ex = a >= d ? 1 : 0;
		ny = a >= d ? 0 : 1;
	}
	double az = atan2(ex, ny) / DEG;
	if (az < 0)
		az += 180;
	if (az >= 180)
		az -= 180;
	*az_deg = az;
}

void vg_fusion_ellipse(const double cov[2][2], double *smaj_m, double *smin_m, double *az_deg)
{
	double l1, l2;
	eig2(cov, &l1, &l2, az_deg);
	*smaj_m = sqrt(l1);
	*smin_m = sqrt(l2);
}

/* P(|X| <= R) for X ~ N(0, diag(s1^2, s2^2)), s1 >= s2 >= 0: integrate the
 * major-axis density times the minor-axis probability of the chord,
 *   int_{-R}^{R} phi(x/s1)/s1 erf(sqrt(R^2 - x^2) / (s2 sqrt 2)) dx,
 * with x = R sin u (a smooth integrand, also for s2 -> 0), composite
 * Simpson on 512 intervals. */
enum { CIRC_K = 512 };
static double circ_sin[CIRC_K + 1], circ_cos[CIRC_K + 1];
static pthread_once_t circ_once = PTHREAD_ONCE_INIT;

/* The quadrature nodes' sines and cosines: the same values every call
 * (computed once; the products below are bit for bit those of computing
 * them in place), a third of the cost of a CEP. */
static void circ_init(void)
{
	const double PI = 3.14159265358979323846;
	double h = PI / CIRC_K;
	for (int k = 0; k <= CIRC_K; k++) {
		double u = -PI / 2 + k * h;
		circ_sin[k] = sin(u);
		circ_cos[k] = cos(u);
	}
}

static double circ_prob(double s1, double s2, double R)
{
	enum { K = CIRC_K };
	const double PI = 3.14159265358979323846;
	double h = PI / K, sum = 0;
	pthread_once(&circ_once, circ_init);
	for (int k = 0; k <= K; k++) {
		double x = R * circ_sin[k], y = R * circ_cos[k];
		double chord = s2 > 0 ? erf(y / (s2 * sqrt(2.0))) : (y > 0 ? 1.0 : 0.0);
		double v = exp(-x * x / (2 * s1 * s1)) / (s1 * sqrt(2 * PI)) * chord * y;
		sum += v * (k == 0 || k == K ? 1 : (k % 2 ? 4 : 2));
	}
	return sum * h / 3;
}

double vg_fusion_cep(const double cov[2][2], double p)
{
	double l1, l2, az;
	eig2(cov, &l1, &l2, &az);
	double s1 = sqrt(l1), s2 = sqrt(l2);
	if (!(s1 > 0))
		return 0;
	/* Illinois regula falsi on [0, 6 s1]: P(6 s1) >= erf(3)^2 > 0.99995 */
	double lo = 0, hi = 6 * s1, flo = -p, fhi = circ_prob(s1, s2, hi) - p;
	if (fhi <= 0)
		return hi;
	int side = 0;
	for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
		double x = (lo * fhi - hi * flo) / (fhi - flo);
		double fx = circ_prob(s1, s2, x) - p;
		if (fx == 0)
			return x;
		if ((fx > 0) == (fhi > 0)) {
			hi = x;
			fhi = fx;
			if (side == 1)
				flo /= 2;
			side = 1;
		} else {
			lo = x;
			flo = fx;
			if (side == -1)
				fhi /= 2;
			side = -1;
		}
	}
	return (lo + hi) / 2;
}

void vg_fusion_predict_arrival(struct vg_fusion_pred *p, const struct vg_fusion_fix *fx,
                               const double s_ecef[3], double *t_s, double *var_s2)
{
	if (p->fx != fx || p->lat != fx->lat_deg || p->lon != fx->lon_deg) {
		p->fx = fx;
		p->lat = fx->lat_deg;
		p->lon = fx->lon_deg;
		ecef_trig(p->lat, p->lon, p->x, p->t);
	}
	/* the fast geometry (geom()): a gate needs no sub-millimetre path; r
	 * (source -> sensor) from the chord's east/north components at the
	 * source, as rows() does */
	const double *t = p->t;
	double b[3] = {s_ecef[0] - p->x[0], s_ecef[1] - p->x[1], s_ecef[2] - p->x[2]};
	double ch = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
	const double R = 6371008.8;
	double s12 = ch + ch * ch * ch / (24 * R * R);
	double e = -t[2] * b[0] + t[3] * b[1];
	double n = -t[0] * t[3] * b[0] - t[0] * t[2] * b[1] + t[1] * b[2];
	double h = sqrt(e * e + n * n);
	double rx = h > 0 ? s12 * e / h : 0, ry = h > 0 ? s12 * n / h : 0;
	double d[NP];
	double tau = travel(rx, ry, fx->c_mps, fx->we_mps, fx->wn_mps, d);
	d[PT] = 1;
	double v = 0;
	for (int i = 0; i < NP; i++)
		for (int j = 0; j < NP; j++)
			v += d[i] * fx->param_cov[i][j] * d[j];
	*t_s = fx->t0_s + tau;
	*var_s2 = v > 0 ? v : 0;
}

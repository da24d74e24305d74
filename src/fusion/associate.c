/*
 * associate.c - the stream of fusion.h: association of impulse arrivals into
 * events, the medium tracker, launch/impact pairing and radar joins.
 *
 * Method: seeded back-projection with a probabilistic refinement, in the
 * family of the grid/pair back-projection associators (REAL: M. Zhang,
 * W. L. Ellsworth, G. C. Beroza, "Rapid earthquake association and location",
 * Seismol. Res. Lett. 90(6):2276, 2019, doi:10.1785/0220190052) refined by
 * a maximum a posteriori fit with per-arrival gates from the fit's own
 * covariance (the predictive gate of PDA-style association: Y. Bar-Shalom,
 * T. E. Fortmann, Tracking and Data Association, 1988, ch. 6):
 *
 *  1. Arrivals wait in a pool sorted by arrival time. The earliest one, A,
 *     is taken as a seed once no arrival of an event it could belong to
 *     can still come in: when the stream clock passes
 *     t_A + max_range / c_min + latency_max (so every event is final when
 *     emitted, and the pool - the memory - is bounded by that window).
 *  2. Hypotheses: for pairs (B, C) among the seed's nearest candidate
 *     arrivals (other sensors, time differences allowed by the distance),
 *     the source is back-projected in closed form (spherical intersection
 *     of the three range differences in A's tangent plane: H. C. Schau,
 *     A. Z. Robinson, IEEE Trans. ASSP 35(8):1223, 1987,
 *     doi:10.1109/TASSP.1987.1165266) and scored by the number of sensors
 *     with an arrival inside a gate around the predicted time.
 *  3. The best supported hypotheses, each a different place (cfg.hypotheses,
 *     24 by default: in a salvo every hypothesis finds some arrival at every
 *     sensor, so support alone does not tell the true source from a mixture
 *     of rounds), are refined by the locator (locate.c: geodesic MAP fit
 *     with the medium): the event grows nearest sensor first, each sensor
 *     with its arrival inside 4 sigma of the predictive distribution (fit
 *     covariance + pick sigma), with refits. The refinement keeping the
 *     most arrivals wins; it is accepted if it keeps min_arrivals arrival
 *     times, its chi-square passes and the silent-sensor tests pass (most
 *     sensors nearer than its first-quartile and its median sensor took
 *     part: a coincidence is made of scattered sensors). Its arrivals
 *     leave the pool (an arrival is never assigned twice; outliers the fit
 *     rejected stay in the pool and are reported with the event).
 *  4. Medium: a Kalman filter over (c, wind) whose measurements are the
 *     well-determined events' own evidence on the medium (their fit's
 *     marginal posterior less its prior, medium_evidence), with a random
 *     walk and a bounded ramp between events, so the sound speed and the
 *     wind are learnt from the data: that is what lets a network whose
 *     configured speed is several per cent off locate near the Cramer-Rao
 *     bound of a known medium (at 12 km, 0.01 m/s of speed is 0.36 m of
 *     range: one event alone does not know the medium that well, a
 *     hundred do). The first medium needs two
 *     clean events that agree (or one of COLD_STRONG arrivals); until then
 *     the stream holds its events and records its inputs, and replays them
 *     with the agreed medium (the cold start, below).
 *  5. Type from the arrivals' class hints (naive Bayes on the hint
 *     confusion), then pairing: an impact and an earlier launch whose
 *     distance over time of flight matches a weapon class's mean speed and
 *     range become one fire (the later-emitted event names the other).
 *     Counter-battery radar reports join the event whose location they
 *     match (Mahalanobis gate); radar launches no acoustic event took
 *     become radar-only launch events.
 */
#include "fusion.h"
#include "fusion_int.h"

#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double DEG = 3.14159265358979323846 / 180.0;
#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

/* Weapon classes the pairing knows: mean speed along the path and range.
 * The simulator's table (docs/simulator.md, "Weapons"); in a deployment
 * these come from the agreement's weapon classes. */
static const struct {
	int cls;
	double speed_mps, rmin_m, rmax_m;
} weapons[] = {
	{VG_CLS_ARTILLERY, 340, 3000, 24000},       {VG_CLS_ARTILLERY_LIGHT, 350, 2000, 15000},
	{VG_CLS_MORTAR, 170, 500, 7000},            {VG_CLS_MLRS, 450, 4000, 20000},
	{VG_CLS_MLRS_HEAVY, 700, 10000, 70000},     {VG_CLS_TACTICAL_MISSILE, 800, 15000, 120000},
};
#define N_WEAPONS (sizeof weapons / sizeof weapons[0])
#define MAX_TOF_S 200.0

/* Class-hint confusion P(hint | true type), hints ordered as enum
 * vg_impulse_class (unknown, launch, impact, explosion): the simulator's
 * defaults (docs/simulator.md, environment.class_confusion). */
static const double hint_p[2][4] = {
	{0.15, 0.70, 0.10, 0.05}, /* launch */
	{0.15, 0.10, 0.65, 0.10}, /* impact */
};

struct sensor {
	char id[VG_ID_MAX + 1];
	double lat, lon, survey_sigma_m;
	double ecef[3];
	bool used; /* has reported an impulse from its registered position */
	int64_t *heard;   /* the last HEARD_K arrival times (ring), for the radar test */
	uint32_t n_heard; /* arrivals recorded in all */
};

/* Arrival times remembered per sensor (a ring): enough for the radar
 * corroboration window (~170 s) at a few arrivals per second. */
#define HEARD_K 512
/* Radar-only launches: sensors nearer than this would hear a gun fire. */
#define RADAR_CHECK_M 8000.0

struct arr {
	int64_t t_ns, log_index, obs_id, seq;
	double lat, lon, ecef[3];
	double trig[4]; /* sin, cos of lat, lon (the locator's fast geometry) */
	double sigma_s, survey_sigma_m;
	bool has_bearing;
	double bearing_deg, bearing_sigma_deg;
	int cls;
	uint32_t sensor;
	bool taken;
};

struct radar {
	int64_t log_index, obs_id, seq;
	uint32_t sensor;
	bool has_launch, has_impact, launch_done, impact_done;
	struct vg_fire_point launch, impact;
	int cls;
};

/* An input recorded during the cold start, for the replay. */
struct cold_in {
	int64_t clock_ns;
	uint8_t kind; /* 0 impulse, 1 radar report, 2 flush */
	union {
		struct arr a;
		struct radar r;
	} u;
};

/* An event held during the cold start. */
struct held {
	struct vg_fusion_event e;
	struct vg_fusion_evidence *ev;
};

/* An event formed and waiting for its smoothing lag (cfg.smooth_lag_s):
 * what it needs to be located again (its measurements, the arrivals used,
 * its first fit's place and prior) and what it taught the tracker (L, h:
 * its evidence in information form, for the events before it). */
struct lagged {
	struct vg_fusion_event e;
	struct vg_fusion_evidence *ev;   /* e.n_ev, impulse arrivals in meas order */
	struct vg_fusion_meas *meas;     /* n, times relative to t_ref_ns */
	uint8_t *use;
	uint32_t n;
	int64_t t_ref_ns, due_ns;
	double lat0_deg, lon0_deg;       /* its first fit: where the refit starts */
	struct vg_fusion_medium fit_med;
	bool has_evid;
	double L[3][3], h[3];
};

/* A clean event's medium, a candidate for the cold start's agreement. */
struct med_fix {
	double m[3]; /* c, we, wn */
	double cov[3][3];
	int64_t t_ns;
};
#define COLD_FIXES 16
#define COLD_STRONG 20
/* Hypotheses that back-project within this of each other (m, east and
 * north in the seed's plane) are one place: the hypotheses refined are
 * different places, not one source found by many pairs. */
#define HYP_SAME_M 40.0
/* most hypotheses refined per seed (cfg.hypotheses) */
#define HYP_MAX 64
/* nearest-first growth gives up on a hypothesis once GROW_ABORT_MIN sensors
 * were looked at and fewer than GROW_ABORT_F of the median silent-sensor
 * fraction of them fit (grow_near) */
#define GROW_ABORT_MIN 12
#define GROW_ABORT_F 0.4
/* hypothesis a ranks before b: more support, then a lower cost */
#define HYP_BETTER(a, b) ((a)->n > (b)->n || ((a)->n == (b)->n && (a)->cost < (b)->cost))
/* inputs recorded at most during a cold start (then the held events go out) */
#define COLD_MAX_INPUTS 500000u
/* the medium tracker: how many events share one's survey-error bias
 * (medium_evidence), the floor of its sigmas (m/s), and how far a place's
 * own effective medium may be from it in the association's gates (m/s) */
#define MED_CORR 4.0
#define MED_FLOOR_MPS 0.005
#define MED_ASSOC_MPS 0.05

struct recent {
	uint64_t seq;
	int type;
	int64_t t_ns;
	double lat, lon, sigma_m, t_sigma_s;
	bool paired;
};

struct vg_fusion {
	struct vg_fusion_config cfg;
	vg_fusion_emit_fn emit;
	void *ctx;
	struct geod_geodesic g;

	struct sensor *sen;
	uint32_t n_sen, cap_sen;
	uint32_t *hash; /* open addressing, index + 1, 0 empty */
	uint32_t hash_cap;

	struct arr *pend; /* sorted by t_ns */
	uint32_t n_pend;

	struct radar *rad;
	uint32_t n_rad, cap_rad;

	struct recent *rec;
	uint32_t n_rec, cap_rec;

	/* the medium tracker */
	struct vg_fusion_medium med;
	double med_P[3][3]; /* its covariance (c, we, wn) */
	int64_t med_t_ns;
	bool med_started;

	int64_t clock_ns;
	int64_t emit_floor_ns; /* replayed events are emitted no earlier than the replay */
	uint64_t next_seq;
	struct vg_fusion_stats st;

	/* the cold start (docs/fusion.md "Cold start") */
	bool med_agreed; /* the first medium has been agreed (medium_update) */
	bool cold, cold_agreed;
	struct cold_in *cin;
	uint32_t n_cin, cap_cin, cin_trim_at;
	struct vg_fusion_stats st_trim; /* the statistics at the last trim */
	bool trimmed;
	struct held *held;
	uint32_t n_held, cap_held;
	/* events waiting for the smoothing lag, in formation order */
	struct lagged *lag;
	uint32_t n_lag, cap_lag;
	struct med_fix fixes[COLD_FIXES];
	uint32_t n_fixes;
	struct vg_fusion_fix agreed;
	int64_t agreed_t_ns;

	/* scratch (bounded by VG_FUSION_LOCATE_MAX) */
	struct vg_fusion_meas *meas;
	uint32_t *meas_arr;
	uint8_t *use;
	double *resid;
	struct vg_fusion_evidence *ev;
	uint32_t *cand;
	double (*cand_xy)[3];
	uint32_t *grp_start, *grp_ord;
	uint32_t *cand_tmp;   /* sort_cand's scratch */
	double (*cand_xy_tmp)[3];
	uint32_t *sen_count;  /* sort_cand's buckets, n_sen + 1 */
	uint32_t cap_count;
	uint32_t *hg_start;   /* hypothesis scoring: candidate groups (one sensor, one place) */
	double *hg_sig;       /* the group's largest arrival sigma */
	uint32_t n_hg;
	double *grp_dist;
	bool *grp_in;
	uint32_t cap_cand;
};

void vg_fusion_config_default(struct vg_fusion_config *c)
{
	memset(c, 0, sizeof *c);
	c->medium.c_mps = 335.0;        /* ~8 degC dry air */
	c->medium.c_sigma_mps = 10.0;   /* 3 %: +-15 degC */
	c->medium.we_mps = 0;
	c->medium.wn_mps = 0;
	c->medium.w_sigma_mps = 5.0;
	c->track_medium = true;
	c->medium_drift_mps_per_h = 0.1;
	c->medium_rate_mps_per_h = 1.0;
	c->max_range_m = 40000;
	c->latency_max_s = 20;
	c->min_arrivals = 8;
	c->max_pending = 200000;
	c->max_candidates = 4;
	c->hypotheses = 24;
	c->chi2_p = 1e-4;
	c->radar_gate_chi2 = 13.8;
	c->radar_only_events = true;
	c->min_heard_frac = 0.34;
	c->min_heard_median_frac = 0.7;
	c->cold_hold_s = 900;
	c->smooth_lag_s = 60;
}

const char *vg_fusion_type_name(int type)
{
	switch (type) {
	case VG_FEV_LAUNCH: return "launch";
	case VG_FEV_IMPACT: return "impact";
	case VG_FEV_EXPLOSION: return "explosion";
	default: return NULL;
	}
}

static void ecef(double lat_deg, double lon_deg, double out[3])
{
	double e2 = WGS84_F * (2 - WGS84_F);
	double sl = sin(lat_deg * DEG), cl = cos(lat_deg * DEG);
	double N = WGS84_A / sqrt(1 - e2 * sl * sl);
	out[0] = N * cl * cos(lon_deg * DEG);
	out[1] = N * cl * sin(lon_deg * DEG);
	out[2] = N * (1 - e2) * sl;
}

/* East/north of point p in the tangent plane at origin o (both ECEF). */
/* East/north of ECEF points in the tangent plane at o (its trigonometry
 * computed once: a seed projects every candidate into its plane). */
struct enu_frame {
	double o[3], sl, cl, so, co;
};

static void enu_frame_init(struct enu_frame *e, const struct arr *o)
{
	memcpy(e->o, o->ecef, sizeof e->o);
	e->sl = sin(o->lat * DEG);
	e->cl = cos(o->lat * DEG);
	e->so = sin(o->lon * DEG);
	e->co = cos(o->lon * DEG);
}

static void enu(const struct enu_frame *e, const double p[3], double *x, double *y)
{
	double d[3] = {p[0] - e->o[0], p[1] - e->o[1], p[2] - e->o[2]};
	*x = -e->so * d[0] + e->co * d[1];
	*y = -e->sl * e->co * d[0] - e->sl * e->so * d[1] + e->cl * d[2];
}

static double chord(const double a[3], const double b[3])
{
	double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
	return sqrt(dx * dx + dy * dy + dz * dz);
}

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static int64_t sensor_find(const vg_fusion *f, const char *id)
{
	if (!f->hash_cap)
		return -1;
	for (uint64_t h = hash_id(id) & (f->hash_cap - 1);; h = (h + 1) & (f->hash_cap - 1)) {
		uint32_t v = f->hash[h];
		if (!v)
			return -1;
		if (!strcmp(f->sen[v - 1].id, id))
			return v - 1;
	}
}

/* Room for one more element in a doubling array of n (first: the first
 * capacity): the array, moved if need be; out of memory clears *ok and
 * returns p, *cap unchanged. */
static void *room(void *p, uint32_t n, uint32_t *cap, size_t size, uint32_t first, bool *ok)
{
	if (n < *cap)
		return p;
	uint32_t nc = *cap ? *cap * 2 : first;
	void *q = realloc(p, (size_t)nc * size);
	if (!q) {
		*ok = false;
		return p;
	}
	*cap = nc;
	return q;
}

static vg_status sensor_insert(vg_fusion *f, const char *id, double lat, double lon, double sig,
                               uint32_t *idx, struct vg_err *err)
{
	bool ok = true;
	f->sen = room(f->sen, f->n_sen, &f->cap_sen, sizeof *f->sen, 64, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion sensors");
	if ((f->n_sen + 1) * 2 > f->hash_cap) {
		uint32_t nc = f->hash_cap ? f->hash_cap * 2 : 128;
		uint32_t *nh = calloc(nc, sizeof *nh);
		if (!nh)
			return vg_err_set(err, VG_ERR_NOMEM, "fusion sensor index");
		for (uint32_t i = 0; i < f->n_sen; i++) {
			uint64_t h = hash_id(f->sen[i].id) & (nc - 1);
			while (nh[h])
				h = (h + 1) & (nc - 1);
			nh[h] = i + 1;
		}
		free(f->hash);
		f->hash = nh;
		f->hash_cap = nc;
	}
	struct sensor *s = &f->sen[f->n_sen];
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", id);
	s->lat = lat;
	s->lon = lon;
	s->survey_sigma_m = sig;
	if (!isnan(lat))
		ecef(lat, lon, s->ecef);
	uint64_t h = hash_id(id) & (f->hash_cap - 1);
	while (f->hash[h])
		h = (h + 1) & (f->hash_cap - 1);
	f->hash[h] = f->n_sen + 1;
	*idx = f->n_sen++;
	return VG_OK;
}

vg_status vg_fusion_new(const struct vg_fusion_config *cfg, vg_fusion_emit_fn emit, void *ctx,
                        vg_fusion **out, struct vg_err *err)
{
	struct vg_fusion_config d;
	if (!cfg) {
		vg_fusion_config_default(&d);
		cfg = &d;
	}
	if (!(cfg->medium.c_mps > 50 && cfg->medium.c_mps < 10000))
		return vg_err_set(err, VG_ERR_RANGE, "sound_speed_mps = %g: must be in (50, 10000)",
		                  cfg->medium.c_mps);
	if (!(cfg->medium.c_sigma_mps > 0) || !(cfg->medium.w_sigma_mps > 0))
		return vg_err_set(err, VG_ERR_RANGE, "medium sigmas must be > 0");
	if (!(cfg->medium_drift_mps_per_h >= 0 && cfg->medium_drift_mps_per_h <= 100) ||
	    !(cfg->medium_rate_mps_per_h >= 0 && cfg->medium_rate_mps_per_h <= 100))
		return vg_err_set(err, VG_ERR_RANGE,
		                  "medium drift %g m/s per sqrt(h) and rate %g m/s per h: want [0, 100]",
		                  cfg->medium_drift_mps_per_h, cfg->medium_rate_mps_per_h);
	if (!(cfg->max_range_m > 0) || !(cfg->latency_max_s >= 0))
		return vg_err_set(err, VG_ERR_RANGE, "max_range_m = %g: must be > 0", cfg->max_range_m);
	if (cfg->min_arrivals < 4)
		return vg_err_set(err, VG_ERR_RANGE, "min_arrivals = %u: must be >= 4",
		                  cfg->min_arrivals);
	if (cfg->max_pending < 16 || cfg->max_candidates < 2)
		return vg_err_set(err, VG_ERR_RANGE, "max_pending / max_candidates too small");
	if (cfg->hypotheses < 1 || cfg->hypotheses > HYP_MAX)
		return vg_err_set(err, VG_ERR_RANGE, "hypotheses = %u: must be in [1, %d]", cfg->hypotheses,
		                  HYP_MAX);
	if (!(cfg->min_heard_median_frac >= 0 && cfg->min_heard_median_frac <= 1))
		return vg_err_set(err, VG_ERR_RANGE, "min_heard_median_frac = %g: must be in [0, 1]",
		                  cfg->min_heard_median_frac);
	if (!(cfg->cold_hold_s >= 0 && cfg->cold_hold_s <= 86400))
		return vg_err_set(err, VG_ERR_RANGE, "cold_hold_s = %g: must be in [0, 86400]",
		                  cfg->cold_hold_s);
	vg_fusion *f = calloc(1, sizeof *f);
	if (!f)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion");
	f->cfg = *cfg;
	f->emit = emit;
	f->ctx = ctx;
	geod_init(&f->g, WGS84_A, WGS84_F);
	f->med = cfg->medium;
	f->next_seq = 1;
	f->cold = cfg->track_medium && cfg->cold_hold_s > 0;
	f->pend = malloc(cfg->max_pending * sizeof *f->pend);
	f->meas = malloc(VG_FUSION_LOCATE_MAX * sizeof *f->meas);
	f->meas_arr = malloc(VG_FUSION_LOCATE_MAX * sizeof *f->meas_arr);
	f->use = malloc(VG_FUSION_LOCATE_MAX);
	f->resid = malloc(VG_FUSION_LOCATE_MAX * sizeof *f->resid);
	f->ev = malloc(VG_FUSION_LOCATE_MAX * sizeof *f->ev);
	if (!f->pend || !f->meas || !f->meas_arr || !f->use || !f->resid || !f->ev) {
		vg_fusion_free(f);
		return vg_err_set(err, VG_ERR_NOMEM, "fusion buffers");
	}
	*out = f;
	return VG_OK;
}

static void lag_clear(vg_fusion *f);
static int64_t seed_horizon_ns(const vg_fusion *f);
static double lag_s(const vg_fusion *f);

void vg_fusion_free(vg_fusion *f)
{
	if (!f)
		return;
	for (uint32_t i = 0; i < f->n_sen; i++)
		free(f->sen[i].heard);
	free(f->sen);
	free(f->hash);
	free(f->pend);
	free(f->rad);
	free(f->rec);
	free(f->meas);
	free(f->meas_arr);
	free(f->use);
	free(f->resid);
	free(f->ev);
	free(f->cand);
	free(f->cand_xy);
	free(f->grp_start);
	free(f->grp_ord);
	free(f->hg_start);
	free(f->hg_sig);
	free(f->cand_tmp);
	free(f->cand_xy_tmp);
	free(f->sen_count);
	free(f->grp_dist);
	free(f->grp_in);
	free(f->cin);
	for (uint32_t i = 0; i < f->n_held; i++)
		free(f->held[i].ev);
	free(f->held);
	lag_clear(f);
	free(f->lag);
	free(f);
}

vg_status vg_fusion_sensor_add(vg_fusion *f, const struct vg_sensor *s, struct vg_err *err)
{
	if (sensor_find(f, s->id) >= 0)
		return vg_err_set(err, VG_ERR_EXISTS, "sensor %s: already added", s->id);
	uint32_t idx;
	double sig = s->has_pos && s->survey_sigma_m > 0 ? s->survey_sigma_m : 0;
	vg_status st = sensor_insert(f, s->id, s->has_pos ? s->lat_deg : NAN,
	                             s->has_pos ? s->lon_deg : NAN, sig, &idx, err);
	return st;
}

/* ---- The medium tracker ---------------------------------------------------- */

/* The variance the medium may have gained over h hours: a random walk
 * (medium_drift, m/s per sqrt(h)) plus a ramp of up to medium_rate m/s per
 * hour (the air warms and cools by up to ~1.5 degC an hour, c by ~1 m/s:
 * a random walk slow enough to average dense fire well would lag it when
 * fire is sparse). */
static double medium_q(const vg_fusion *f, double h)
{
	double d = f->cfg.medium_drift_mps_per_h, r = f->cfg.medium_rate_mps_per_h;
	return d * d * h + r * r * h * h;
}

static bool inv3_spd(const double A[3][3], double X[3][3]);

/* A covariance of the tracker carried h hours: the random walk (and ramp)
 * added, each variance capped at the configured
 * prior's (after a long gap the tracker knows no less than the
 * configuration: the row and column shrink with it) and floored at
 * MED_FLOOR_MPS. */
static void medium_cap(const vg_fusion *f, double P[3][3], double h)
{
	double q = medium_q(f, h);
	double cap[3] = {f->cfg.medium.c_sigma_mps * f->cfg.medium.c_sigma_mps,
	                 f->cfg.medium.w_sigma_mps * f->cfg.medium.w_sigma_mps,
	                 f->cfg.medium.w_sigma_mps * f->cfg.medium.w_sigma_mps};
	for (int i = 0; i < 3; i++) {
		P[i][i] += q;
		if (P[i][i] > cap[i]) {
			double r = sqrt(cap[i] / P[i][i]);
			for (int j = 0; j < 3; j++) {
				P[i][j] *= r;
				P[j][i] *= r;
			}
		}
		if (P[i][i] < MED_FLOOR_MPS * MED_FLOOR_MPS)
			P[i][i] = MED_FLOOR_MPS * MED_FLOOR_MPS;
	}
}

static void medium_predict(const vg_fusion *f, int64_t t_ns, double P[3][3])
{
	memcpy(P, f->med_P, sizeof f->med_P);
	medium_cap(f, P, fabs((double)(t_ns - f->med_t_ns)) / 3.6e12);
}

/* The tracker's medium at t_ns as a fit's prior: the full Gaussian of
 * (c, we, wn) (has_prec), sigmas its marginal ones (the wind's the larger
 * of the two components). Before the tracker starts: the configured one. */
static struct vg_fusion_medium medium_at(const vg_fusion *f, int64_t t_ns)
{
	struct vg_fusion_medium m = f->med;
	m.has_prec = false;
	if (f->med_started) {
		double P[3][3];
		medium_predict(f, t_ns, P);
		m.c_sigma_mps = sqrt(P[0][0]);
		m.w_sigma_mps = sqrt(fmax(P[1][1], P[2][2]));
		m.has_prec = inv3_spd(P, m.prec);
	}
	return m;
}

/* Do two clean events' media agree? Mahalanobis distance of the difference
 * under the sum of their covariances, plus the tracker's drift over the time
 * between them and a floor for the model error, against the chi-square(3)
 * 99 % quantile. */
static bool fixes_agree(const vg_fusion *f, const struct med_fix *a, const struct med_fix *b)
{
	double h = fabs((double)(a->t_ns - b->t_ns)) / 3.6e12;
	double q = medium_q(f, h) + 0.05 * 0.05;
	double S[3][3], d[3];
	for (int i = 0; i < 3; i++) {
		d[i] = a->m[i] - b->m[i];
		for (int j = 0; j < 3; j++)
			S[i][j] = a->cov[i][j] + b->cov[i][j] + (i == j ? q : 0);
	}
	/* Cholesky of the 3x3 */
	double L[3][3] = {{0}};
	for (int i = 0; i < 3; i++)
		for (int j = 0; j <= i; j++) {
			double v = S[i][j];
			for (int k = 0; k < j; k++)
				v -= L[i][k] * L[j][k];
			if (i == j) {
				if (!(v > 0))
					return false;
				L[i][i] = sqrt(v);
			} else {
				L[i][j] = v / L[j][j];
			}
		}
	double y[3], m2 = 0;
	for (int i = 0; i < 3; i++) {
		double v = d[i];
		for (int k = 0; k < i; k++)
			v -= L[i][k] * y[k];
		y[i] = v / L[i][i];
		m2 += y[i] * y[i];
	}
	return m2 <= 11.345; /* chi-square, 3 dof, p = 0.99 */
}

static void medium_set(vg_fusion *f, const struct vg_fusion_fix *fx, int64_t t_ns);
static void medium_sigmas(vg_fusion *f);

/* Inverse of a symmetric 3x3 (cofactors); false when not positive definite. */
static bool inv3_spd(const double A[3][3], double X[3][3])
{
	double c00 = A[1][1] * A[2][2] - A[1][2] * A[2][1];
	double c01 = A[1][2] * A[2][0] - A[1][0] * A[2][2];
	double c02 = A[1][0] * A[2][1] - A[1][1] * A[2][0];
	double det = A[0][0] * c00 + A[0][1] * c01 + A[0][2] * c02;
	double m2 = A[0][0] * A[1][1] - A[0][1] * A[1][0];
	if (!(A[0][0] > 0) || !(m2 > 0) || !(det > 0) || !isfinite(det))
		return false;
	X[0][0] = c00 / det;
	X[0][1] = X[1][0] = c01 / det;
	X[0][2] = X[2][0] = c02 / det;
	X[1][1] = (A[0][0] * A[2][2] - A[0][2] * A[2][0]) / det;
	X[1][2] = X[2][1] = (A[0][2] * A[1][0] - A[0][0] * A[1][2]) / det;
	X[2][2] = m2 / det;
	return true;
}

/*
 * The event's own evidence on the medium: the fit's marginal posterior
 * (position and origin time integrated out) is the prior times the
 * event's likelihood, so in information form the likelihood is the
 * posterior's information less the prior's (the fit's prior is diagonal:
 * c_sigma, w_sigma, w_sigma about prior's mean).
 *
 * Part of its error does not average away: a sensor's survey error biases
 * its arrivals alike in every event it hears, so successive events from
 * one place (a battery's salvo) share it, and a tracker that took them as
 * independent would soon be sure of a medium that is only right for that
 * place's sensors. rho is the share of the event's arrival variance (by
 * information) that is survey error; the evidence's covariance is
 * multiplied by 1 + MED_CORR rho, as if that share were shared by the next
 * MED_CORR events. On the collapse scenario (1 m survey errors) this keeps
 * the tracker's medium error inside its stated sigma; with surveys exact
 * it changes nothing. False when the event says nothing definite about
 * the medium.
 */
static bool medium_evidence(const struct vg_fusion_medium *prior, const struct vg_fusion_fix *fx,
                            double rho, double L[3][3], double h[3])
{
	double P[3][3], I[3][3];
	double sc = fx->scale > 1 ? fx->scale : 1; /* the fit's Birge inflation, undone */
	if (!isfinite(rho) || rho < 0)
		return false;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			P[i][j] = fx->medium_cov[i][j] / sc;
	if (!inv3_spd(P, I))
		return false;
	double Pp[3][3];
	vg_fusion_prior_info(prior, Pp);
	double mp[3] = {prior->c_mps, prior->we_mps, prior->wn_mps};
	double mq[3] = {fx->c_mps, fx->we_mps, fx->wn_mps};
	/* the information (matrix L, vector h) divided by the inflation: no
	 * inverse of L is needed, so an event that says little about one
	 * component still tells the others */
	double k = sc * (1 + MED_CORR * rho);
	for (int i = 0; i < 3; i++) {
		h[i] = 0;
		for (int j = 0; j < 3; j++) {
			L[i][j] = (I[i][j] - Pp[i][j]) / k;
			h[i] += I[i][j] * mq[j] - Pp[i][j] * mp[j];
		}
		h[i] /= k;
	}
	return isfinite(h[0] + h[1] + h[2]);
}

static void medium_update(vg_fusion *f, const struct vg_fusion_medium *prior,
                          const struct vg_fusion_fix *fx, double rho, int64_t t_ns,
                          bool *added, double Lo[3][3], double ho[3])
{
	*added = false;
	if (!f->cfg.track_medium)
		return;
	if (!f->med_agreed) {
		/* one clean-looking event may still be a mixture that taught the
		 * fit a wrong wind: the first medium needs a second event that
		 * agrees, or one strong event */
		struct med_fix x = {{fx->c_mps, fx->we_mps, fx->wn_mps}, {{0}}, t_ns};
		memcpy(x.cov, fx->medium_cov, sizeof x.cov);
		vg_log(VG_LOG_DEBUG,
		       "medium: clean event, c %.2f +- %.2f, wind (%.2f, %.2f) +- %.2f m/s, n %u chi2 %.1f/%d",
		       x.m[0], sqrt(x.cov[0][0]), x.m[1], x.m[2], sqrt(x.cov[1][1]), fx->n_used, fx->chi2,
		       fx->dof);
		uint32_t n = f->n_fixes < COLD_FIXES ? f->n_fixes : COLD_FIXES;
		/* a mixture of rounds does not fit COLD_STRONG sensors within the
		 * clean-event chi-square: such an event is trusted alone (on the
		 * shipped scenarios the mixtures that passed had 12 to 16) */
		bool ok = fx->n_used >= COLD_STRONG;
		for (uint32_t i = 0; i < n && !ok; i++)
			ok = fixes_agree(f, &x, &f->fixes[i]);
		f->fixes[f->n_fixes++ % COLD_FIXES] = x;
		if (!ok)
			return;
		f->med_agreed = true;
		if (f->cold) {
			/* advance() replays the held window with it */
			f->cold_agreed = true;
			f->agreed = *fx;
			f->agreed_t_ns = t_ns;
			return;
		}
		medium_set(f, fx, t_ns);
		/* the tracker is this event's posterior: its evidence is in it
		 * (for the smoothing, counted as the Kalman path counts it) */
		*added = medium_evidence(prior, fx, rho, Lo, ho);
		return;
	}
	/* Kalman, in information form: the random walk since the last update
	 * (each variance capped at the configured prior's: after a long gap
	 * the tracker knows no less than the configuration), then the event's
	 * own evidence */
	double L[3][3], hv[3];
	if (!medium_evidence(prior, fx, rho, L, hv))
		return;
	double P[3][3], Pi[3][3], A[3][3], Pn[3][3];
	medium_predict(f, t_ns, P);
	if (!inv3_spd(P, Pi))
		return;
	double x[3] = {f->med.c_mps, f->med.we_mps, f->med.wn_mps}, y[3];
	for (int i = 0; i < 3; i++) {
		y[i] = hv[i];
		for (int j = 0; j < 3; j++) {
			A[i][j] = Pi[i][j] + L[i][j];
			y[i] += Pi[i][j] * x[j];
		}
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < i; j++)
			A[i][j] = A[j][i] = (A[i][j] + A[j][i]) / 2;
	if (!inv3_spd(A, Pn))
		return;
	double xn[3];
	for (int i = 0; i < 3; i++)
		xn[i] = Pn[i][0] * y[0] + Pn[i][1] * y[1] + Pn[i][2] * y[2];
	if (!isfinite(xn[0] + xn[1] + xn[2]))
		return;
	memcpy(f->med_P, Pn, sizeof f->med_P);
	memcpy(Lo, L, sizeof L);
	memcpy(ho, hv, sizeof hv);
	*added = true;
	f->med.c_mps = xn[0];
	f->med.we_mps = xn[1];
	f->med.wn_mps = xn[2];
	medium_sigmas(f);
	f->med_t_ns = t_ns;
	vg_log(VG_LOG_DEBUG, "medium: c %.3f +- %.3f, wind (%.3f, %.3f) +- %.3f m/s (rho %.2f)",
	       f->med.c_mps, f->med.c_sigma_mps, f->med.we_mps, f->med.wn_mps, f->med.w_sigma_mps, rho);
}

/* The tracker's marginal sigmas (correlations dropped: the fits' prior is
 * diagonal), floored. */
static void medium_sigmas(vg_fusion *f)
{
	f->med.c_sigma_mps = fmax(sqrt(fmax(f->med_P[0][0], 0)), MED_FLOOR_MPS);
	f->med.w_sigma_mps = fmax(sqrt(fmax(fmax(f->med_P[1][1], f->med_P[2][2]), 0)), MED_FLOOR_MPS);
}

static void medium_set(vg_fusion *f, const struct vg_fusion_fix *fx, int64_t t_ns)
{
	f->med.c_mps = fx->c_mps;
	f->med.we_mps = fx->we_mps;
	f->med.wn_mps = fx->wn_mps;
	memcpy(f->med_P, fx->medium_cov, sizeof f->med_P);
	medium_sigmas(f);
	f->med_t_ns = t_ns;
	f->med_started = true;
}

/* ---- Pool ------------------------------------------------------------------ */

static void pool_compact(vg_fusion *f)
{
	uint32_t w = 0;
	for (uint32_t r = 0; r < f->n_pend; r++)
		if (!f->pend[r].taken)
			f->pend[w++] = f->pend[r];
	f->n_pend = w;
}

/* realloc that keeps the old block on failure (and says so in *ok). */
static void *regrow(void *p, size_t n, size_t size, bool *ok)
{
	void *q = realloc(p, n * size);
	if (!q)
		*ok = false;
	return q ? q : p;
}

/* The per-seed candidate arrays (and the sort's scratch), for need candidates. */
static vg_status grow_cand(vg_fusion *f, uint32_t need, struct vg_err *err)
{
	if (need <= f->cap_cand)
		return VG_OK;
	uint32_t nc = f->cap_cand ? f->cap_cand : 256;
	while (nc < need)
		nc *= 2;
	bool ok = true;
	f->cand = regrow(f->cand, nc, sizeof *f->cand, &ok);
	f->cand_xy = regrow(f->cand_xy, nc, sizeof *f->cand_xy, &ok);
	f->cand_tmp = regrow(f->cand_tmp, nc, sizeof *f->cand_tmp, &ok);
	f->cand_xy_tmp = regrow(f->cand_xy_tmp, nc, sizeof *f->cand_xy_tmp, &ok);
	f->grp_start = regrow(f->grp_start, nc + 1, sizeof *f->grp_start, &ok);
	f->hg_start = regrow(f->hg_start, nc + 1, sizeof *f->hg_start, &ok);
	f->hg_sig = regrow(f->hg_sig, nc + 1, sizeof *f->hg_sig, &ok);
	f->grp_ord = regrow(f->grp_ord, nc + 1, sizeof *f->grp_ord, &ok);
	f->grp_dist = regrow(f->grp_dist, nc + 1, sizeof *f->grp_dist, &ok);
	f->grp_in = regrow(f->grp_in, nc + 1, sizeof *f->grp_in, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion candidates");
	f->cap_cand = nc;
	return VG_OK;
}

/* ---- Hypotheses -------------------------------------------------------------- */

/*
 * Source positions consistent with arrivals at A (origin), B, C in A's plane,
 * celerity c: the spherical-intersection equations
 *   2 s_i . p + 2 c dt_i dA = |s_i|^2 - c^2 dt_i^2  (i = B, C),  |p| = dA.
 * Writes up to 2 solutions (x, y, dA); returns their number.
 */
static int triple(double bx, double by, double dtb, double cx, double cy, double dtc, double c,
                  double sol[2][3])
{
	double a11 = 2 * bx, a12 = 2 * by, a21 = 2 * cx, a22 = 2 * cy;
	double det = a11 * a22 - a12 * a21;
	if (fabs(det) < 1e-6 * (fabs(a11 * a22) + fabs(a12 * a21)) || det == 0)
		return 0;
	double rb = bx * bx + by * by - c * c * dtb * dtb, rc = cx * cx + cy * cy - c * c * dtc * dtc;
	double kb = -2 * c * dtb, kc = -2 * c * dtc;
	/* p = P0 + P1 dA */
	double p0x = (a22 * rb - a12 * rc) / det, p0y = (-a21 * rb + a11 * rc) / det;
	double p1x = (a22 * kb - a12 * kc) / det, p1y = (-a21 * kb + a11 * kc) / det;
	/* |P0 + P1 dA|^2 = dA^2 */
	double qa = p1x * p1x + p1y * p1y - 1, qb = 2 * (p0x * p1x + p0y * p1y),
	       qc = p0x * p0x + p0y * p0y;
	int n = 0;
	if (fabs(qa) < 1e-12) {
		if (qb != 0) {
			double d = -qc / qb;
			if (d >= 0) {
				sol[n][0] = p0x + p1x * d;
				sol[n][1] = p0y + p1y * d;
				sol[n][2] = d;
				n++;
			}
		}
		return n;
	}
	double disc = qb * qb - 4 * qa * qc;
	if (disc < 0)
		return 0;
	double sq = sqrt(disc);
	double r1 = (-qb - sq) / (2 * qa), r2 = (-qb + sq) / (2 * qa);
	double rs[2] = {r1 < r2 ? r1 : r2, r1 < r2 ? r2 : r1};
	for (int k = 0; k < 2; k++) {
		if (rs[k] < 0)
			continue;
		sol[n][0] = p0x + p1x * rs[k];
		sol[n][1] = p0y + p1y * rs[k];
		sol[n][2] = rs[k];
		n++;
	}
	return n;
}

/* ---- Emission ---------------------------------------------------------------- */

static vg_status emit_event(vg_fusion *f, struct vg_fusion_event *e, struct vg_err *err)
{
	e->seq = f->next_seq++;
	e->emitted_ns = f->clock_ns > f->emit_floor_ns ? f->clock_ns : f->emit_floor_ns;
	f->st.n_events++;
	if (e->type == VG_FEV_LAUNCH)
		f->st.n_launch++;
	else if (e->type == VG_FEV_IMPACT)
		f->st.n_impact++;
	else
		f->st.n_explosion++;
	if (e->pair_seq)
		f->st.n_paired++;
	/* remember it for pairing */
	int64_t horizon = (int64_t)((MAX_TOF_S + 60) * 1e9);
	uint32_t w = 0;
	for (uint32_t i = 0; i < f->n_rec; i++)
		if (f->rec[i].t_ns >= e->t_ns - horizon)
			f->rec[w++] = f->rec[i];
	f->n_rec = w;
	bool ok = true;
	f->rec = room(f->rec, f->n_rec, &f->cap_rec, sizeof *f->rec, 64, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion recent events");
	struct recent *r = &f->rec[f->n_rec++];
	r->seq = e->seq;
	r->type = e->type;
	r->t_ns = e->t_ns;
	r->lat = e->lat_deg;
	r->lon = e->lon_deg;
	r->sigma_m = sqrt((e->cov_m2[0][0] + e->cov_m2[1][1]) / 2);
	r->t_sigma_s = e->time_sigma_s;
	r->paired = e->pair_seq != 0;
	if (f->cold) {
		/* held until the cold start ends (a copy: e->ev is scratch) */
		f->held = room(f->held, f->n_held, &f->cap_held, sizeof *f->held, 64, &ok);
		if (!ok)
			return vg_err_set(err, VG_ERR_NOMEM, "fusion held events");
		struct held *h = &f->held[f->n_held];
		h->e = *e;
		h->ev = NULL;
		if (e->n_ev) {
			if (!(h->ev = malloc(e->n_ev * sizeof *h->ev)))
				return vg_err_set(err, VG_ERR_NOMEM, "fusion held events");
			memcpy(h->ev, e->ev, e->n_ev * sizeof *h->ev);
		}
		h->e.ev = h->ev;
		f->n_held++;
		return VG_OK;
	}
	if (!f->emit)
		return VG_OK;
	return f->emit(f->ctx, e, err);
}

/*
 * Pair event e (about to be emitted) with a recent event of the other role.
 * Sets pair_seq, tof_s, cls, and decides an explosion's type.
 */
static void pair(vg_fusion *f, struct vg_fusion_event *e)
{
	double best = INFINITY;
	int best_r = -1, best_cls = VG_CLS_UNKNOWN, best_role = 0;
	uint32_t best_mask = 0;
	double e_sig = sqrt((e->cov_m2[0][0] + e->cov_m2[1][1]) / 2);
	for (uint32_t i = 0; i < f->n_rec; i++) {
		struct recent *r = &f->rec[i];
		if (r->paired)
			continue;
		/* role: +1 if e is the impact of launch r, -1 if e is the launch of impact r */
		for (int role = 1; role >= -1; role -= 2) {
			int ltype = role > 0 ? r->type : e->type, itype = role > 0 ? e->type : r->type;
			if (ltype == VG_FEV_IMPACT || itype == VG_FEV_LAUNCH)
				continue;
			double dt = role > 0 ? (double)(e->t_ns - r->t_ns) / 1e9 : (double)(r->t_ns - e->t_ns) / 1e9;
			if (!(dt > 0.5) || dt > MAX_TOF_S)
				continue;
			double d;
			geod_inverse(&f->g, r->lat, r->lon, e->lat_deg, e->lon_deg, &d, NULL, NULL);
			double sd = hypot(r->sigma_m, e_sig), st = hypot(r->t_sigma_s, e->time_sigma_s);
			/* every class this pair fits (3 sigma), not only the best: 152 mm
			 * and 122 mm guns fly at about the same speed, and a rule that
			 * counts on the class (withdrawal) must know when it cannot tell */
			uint32_t mask = 0;
			bool better = false;
			for (size_t k = 0; k < N_WEAPONS; k++) {
				if (d < weapons[k].rmin_m * 0.9 || d > weapons[k].rmax_m * 1.1)
					continue;
				double v = d / dt, vk = weapons[k].speed_mps;
				double sv = v * hypot(sd / fmax(d, 1), st / dt) + 0.01 * vk;
				double z = (v - vk) / sv;
				if (!(fabs(z) < 3))
					continue;
				mask |= 1u << weapons[k].cls;
				if (z * z < best) {
					best = z * z;
					best_r = (int)i;
					best_cls = weapons[k].cls;
					best_role = role;
					better = true;
				}
			}
			if (better)
				best_mask = mask;
		}
	}
	if (best_r < 0)
		return;
	struct recent *r = &f->rec[best_r];
	r->paired = true;
	e->pair_seq = r->seq;
	e->cls = best_cls;
	e->cls_mask = best_mask;
	e->tof_s = fabs((double)(e->t_ns - r->t_ns)) / 1e9;
	if (e->type == VG_FEV_EXPLOSION)
		e->type = best_role > 0 ? VG_FEV_IMPACT : VG_FEV_LAUNCH;
}

/* Join radar reports whose launch (or impact) point matches the event. */
static uint32_t join_radar(vg_fusion *f, struct vg_fusion_event *e, uint32_t nev)
{
	for (uint32_t i = 0; i < f->n_rad; i++) {
		struct radar *r = &f->rad[i];
		for (int part = 0; part < 2; part++) {
			bool is_launch = part == 0;
			if (is_launch ? (!r->has_launch || r->launch_done) : (!r->has_impact || r->impact_done))
				continue;
			if (is_launch ? e->type == VG_FEV_IMPACT : e->type == VG_FEV_LAUNCH)
				continue;
			const struct vg_fire_point *p = is_launch ? &r->launch : &r->impact;
			double tsig = is_launch ? 0.3 : 0.5 + 0.02 * (double)(r->impact.t_ns - r->launch.t_ns) / 1e9;
			if (fabs((double)(p->t_ns - e->t_ns) / 1e9) > 3 * hypot(tsig, e->time_sigma_s) + 0.5)
				continue;
			double s12, az;
			geod_inverse(&f->g, e->lat_deg, e->lon_deg, p->lat_deg, p->lon_deg, &s12, &az, NULL);
			double dx = s12 * sin(az * DEG), dy = s12 * cos(az * DEG);
			double sr = p->cep_m / 1.1774;
			double a = e->cov_m2[0][0] + sr * sr, b = e->cov_m2[0][1], d = e->cov_m2[1][1] + sr * sr;
			double det = a * d - b * b;
			double m2 = (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
			if (!(m2 <= f->cfg.radar_gate_chi2))
				continue;
			if (is_launch)
				r->launch_done = true;
			else
				r->impact_done = true;
			if (nev < VG_FUSION_LOCATE_MAX) {
				struct vg_fusion_evidence *x = &f->ev[nev++];
				memset(x, 0, sizeof *x);
				x->log_index = r->log_index;
				x->obs_id = r->obs_id;
				snprintf(x->sensor, sizeof x->sensor, "%s", f->sen[r->sensor].id);
				x->seq = r->seq;
				x->kind = VG_OBS_FIRE;
				x->used = true;
				x->resid = sqrt(m2);
			}
			e->n_radar++;
			f->st.n_radar_joined++;
			if (e->cls == VG_CLS_UNKNOWN && r->cls != VG_CLS_UNKNOWN)
				e->cls = r->cls;
			break;
		}
	}
	return nev;
}

static void fill_geometry(struct vg_fusion_event *e, const double cov[2][2])
{
	memcpy(e->cov_m2, cov, sizeof e->cov_m2);
	vg_fusion_ellipse(cov, &e->smaj_m, &e->smin_m, &e->az_deg);
	e->cep50_m = vg_fusion_cep(cov, 0.5);
	e->cep90_m = vg_fusion_cep(cov, 0.9);
}

/*
 * The silent-sensor test: a source is heard by most sensors closer to it
 * than the nearest quarter of those that did hear it (detection falls
 * monotonically with range), so if fewer than cfg.min_heard_frac of the
 * impulse sensors inside that radius reported it, the "event" is a
 * coincidence of unrelated arrivals. Only sensors that have reported
 * impulses count (a sensor never heard from is not in the network).
 */
/* Was sensor s listening around t: it reports impulses from its registered
 * place, and its latest arrival is no older than LISTEN_S before t (a
 * sensor gone silent for longer is down, or cut off: it cannot speak
 * against an event). */
#define LISTEN_S 900.0
static bool listening(const vg_fusion *f, uint32_t s, int64_t t)
{
	const struct sensor *sn = &f->sen[s];
	if (!sn->used || !sn->n_heard)
		return false;
	int64_t last = sn->heard[(sn->n_heard - 1) % HEARD_K];
	return last >= t - (int64_t)(LISTEN_S * 1e9);
}

static bool heard_enough(const vg_fusion *f, const struct vg_fusion_fix *fx, int64_t t_ev,
                         uint32_t n)
{
	double p[3], d[VG_FUSION_LOCATE_MAX];
	ecef(fx->lat_deg, fx->lon_deg, p);
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++)
		if (f->use[i])
			d[k++] = chord(p, f->pend[f->meas_arr[i]].ecef);
	if (k == 0)
		return false;
	for (uint32_t i = 1; i < k; i++) {
		double v = d[i];
		uint32_t j = i;
		while (j > 0 && d[j - 1] > v) {
			d[j] = d[j - 1];
			j--;
		}
		d[j] = v;
	}
	/* within the first quartile and within the median distance of the used
	 * sensors: of the listening sensors that near, how many took part. A
	 * coincidence of arrivals of other events (dense fire, where every
	 * sensor hears something at any time) is made of scattered sensors, so
	 * most sensors nearer than its median one did not take part. */
	double rm = d[(k - 1) / 4] + 1, r2 = d[(k - 1) / 2] + 1;
	uint32_t heard = 0, in = 0, h2 = 0, i2 = 0;
	for (uint32_t i = 0; i < k; i++) {
		heard += d[i] <= rm;
		h2 += d[i] <= r2;
	}
	for (uint32_t s = 0; s < f->n_sen; s++) {
		if (!listening(f, s, t_ev))
			continue;
		double q = chord(p, f->sen[s].ecef);
		in += q <= rm;
		i2 += q <= r2;
	}
	vg_log(VG_LOG_DEBUG, "heard %u of %u within %.0f m (k %u) at %.5f %.5f; median %u of %u", heard,
	       in, rm, k, fx->lat_deg, fx->lon_deg, h2, i2);
	if ((double)h2 < f->cfg.min_heard_median_frac * (double)i2)
		return false;
	return (double)heard >= f->cfg.min_heard_frac * (double)in;
}

/* ---- One seed ---------------------------------------------------------------- */

struct hyp {
	int n;            /* sensors matched, the seed included */
	double cost;
	double x, y, dA;  /* in A's plane */
	double speed;     /* the sound speed it was back-projected with */
	uint32_t b, c;    /* the candidates that made it */
};

/* Score a back-projected source: arrivals within a gate, one per sensor.
 * The candidates come in groups (one sensor at one place, arrivals in time
 * order: hyp_groups): per group the predicted time is computed once and
 * only the arrivals within the group's widest gate of it are looked at
 * (binary search), which gives the same choice as testing every arrival
 * (the per-arrival gates are all within the widest) at a fraction of the
 * cost in dense fire, where a sensor holds hundreds of arrivals. */
static struct hyp score_hyp(vg_fusion *f, double x, double y, double dA, double c, double kappa,
                            double sigA)
{
	struct hyp h = {.n = 1, .cost = 0, .x = x, .y = y, .dA = dA};
	double R = f->cfg.max_range_m;
	double t0 = -dA / c; /* s relative to t_A */
	for (uint32_t g = 0; g < f->n_hg; g++) {
		uint32_t k0 = f->hg_start[g], k1 = f->hg_start[g + 1];
		double bx = f->cand_xy[k0][0], by = f->cand_xy[k0][1];
		double d = sqrt((bx - x) * (bx - x) + (by - y) * (by - y));
		if (d > R)
			continue;
		double pred = t0 + d / c;
		double spread = 0.1 + kappa * fabs(d - dA) / c;
		double gmax = 4 * sqrt(f->hg_sig[g] * f->hg_sig[g] + sigA * sigA) + spread;
		/* first arrival with res >= -gmax, i.e. time >= pred - gmax */
		uint32_t lo = k0, hi = k1;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (f->cand_xy[mid][2] - pred < -gmax)
				lo = mid + 1;
			else
				hi = mid;
		}
		double best_z = 0;
		bool have = false;
		for (uint32_t k = lo; k < k1; k++) {
			double res = f->cand_xy[k][2] - pred;
			if (res > gmax)
				break;
			const struct arr *B = &f->pend[f->cand[k]];
			double gate = 4 * sqrt(B->sigma_s * B->sigma_s + sigA * sigA) + spread;
			double z = res / gate;
			if (fabs(z) <= 1 && (!have || fabs(z) < fabs(best_z))) {
				best_z = z;
				have = true;
			}
		}
		if (have) {
			h.n++;
			h.cost += best_z * best_z;
		}
	}
	return h;
}

/* The groups score_hyp walks: runs of candidates (sorted by sensor, then
 * time) of one sensor at one place (a mobile sensor reports its position
 * with each arrival). */
static void hyp_groups(vg_fusion *f, uint32_t nc)
{
	f->n_hg = 0;
	for (uint32_t k = 0; k < nc; k++) {
		const struct arr *B = &f->pend[f->cand[k]];
		if (k == 0 || B->sensor != f->pend[f->cand[k - 1]].sensor ||
		    f->cand_xy[k][0] != f->cand_xy[k - 1][0] || f->cand_xy[k][1] != f->cand_xy[k - 1][1]) {
			f->hg_start[f->n_hg] = k;
			f->hg_sig[f->n_hg] = B->sigma_s;
			f->n_hg++;
		} else if (B->sigma_s > f->hg_sig[f->n_hg - 1]) {
			f->hg_sig[f->n_hg - 1] = B->sigma_s;
		}
	}
	f->hg_start[f->n_hg] = nc;
}

/* Sort candidates by (sensor, time). They are gathered in pool order
 * (time order), so a stable counting sort on the sensor index gives the
 * (sensor, pool index) order in linear time: the same order a comparison
 * sort on that unique key gives, without its n log n (a seed in dense fire
 * has thousands of candidates; an insertion sort was quadratic there). */
static vg_status sort_cand(vg_fusion *f, uint32_t nc, struct vg_err *err)
{
	if (nc < 2)
		return VG_OK;
	uint32_t ns = f->n_sen;
	if (ns + 1 > f->cap_count) {
		uint32_t *c = realloc(f->sen_count, ((size_t)ns + 1) * sizeof *c);
		if (!c)
			return vg_err_set(err, VG_ERR_NOMEM, "fusion candidates");
		f->sen_count = c;
		f->cap_count = ns + 1;
	}
	/* the scratch arrays grow with the candidates (grow_cand): no
	 * allocation per seed */
	uint32_t *start = f->sen_count, *tc = f->cand_tmp;
	double(*txy)[3] = f->cand_xy_tmp;
	memset(start, 0, ((size_t)ns + 1) * sizeof *start);
	for (uint32_t i = 0; i < nc; i++)
		start[f->pend[f->cand[i]].sensor + 1]++;
	for (uint32_t s = 0; s < ns; s++)
		start[s + 1] += start[s];
	for (uint32_t i = 0; i < nc; i++) {
		uint32_t pos = start[f->pend[f->cand[i]].sensor]++;
		tc[pos] = f->cand[i];
		memcpy(txy[pos], f->cand_xy[i], sizeof txy[pos]);
	}
	memcpy(f->cand, tc, nc * sizeof *tc);
	memcpy(f->cand_xy, txy, nc * sizeof *txy);
	return VG_OK;
}

static double arr_sigma(const struct arr *a, double c)
{
	double s = a->survey_sigma_m / c;
	return sqrt(a->sigma_s * a->sigma_s + s * s);
}

/* Build the measurement list from pool indices (A first), relative to t_A. */
static uint32_t build_meas(vg_fusion *f, const uint32_t *idx, uint32_t n, int64_t tA, double c)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct arr *a = &f->pend[idx[i]];
		struct vg_fusion_meas *m = &f->meas[i];
		memset(m, 0, sizeof *m);
		m->lat_deg = a->lat;
		m->lon_deg = a->lon;
		m->has_ecef = true;
		memcpy(m->ecef, a->ecef, sizeof m->ecef);
		memcpy(m->trig, a->trig, sizeof m->trig);
		m->has_time = true;
		m->t_s = (double)(a->t_ns - tA) / 1e9;
		m->sigma_s = arr_sigma(a, c);
		if (a->has_bearing) {
			m->has_bearing = true;
			m->bearing_deg = a->bearing_deg;
			m->bearing_sigma_deg = a->bearing_sigma_deg;
		}
		f->meas_arr[i] = idx[i];
		f->use[i] = 1;
	}
	return n;
}

/*
 * While the medium is still uncertain (the first events of a run, or a
 * configured speed far off), arrivals are gathered with the hypothesis's
 * wide gate and fitted with the medium free, then re-gated against the
 * fit's predictive distribution (|z| <= 4, one per sensor) until stable.
 */
static void gather(vg_fusion *f, const struct arr *A, const struct hyp *h, uint32_t nc,
                   const struct vg_fusion_medium *med, uint32_t *sel, uint32_t *nsel,
                   uint32_t *n_used, struct vg_fusion_fix *fx)
{
	double R = f->cfg.max_range_m, c = med->c_mps;
	double kappa = fmin(0.3, 3 * (med->c_sigma_mps + med->w_sigma_mps) / c);
	struct vg_fusion_locate_opts lo;
	vg_fusion_locate_opts_default(&lo);
	lo.exact = false; /* trial fits: the event's own fit is exact */
	memset(fx, 0, sizeof *fx);
	*nsel = 0;
	sel[(*nsel)++] = 0;
	double t0 = -h->dA / c;
	struct vg_fusion_pred pr = {0};
	uint32_t last_sensor = UINT32_MAX, pick = UINT32_MAX;
	double bz = 0;
	for (uint32_t k = 0; k <= nc; k++) {
		if (k == nc || f->pend[f->cand[k]].sensor != last_sensor) {
			if (pick != UINT32_MAX && *nsel < VG_FUSION_LOCATE_MAX)
				sel[(*nsel)++] = f->cand[pick];
			pick = UINT32_MAX;
			if (k == nc)
				break;
			last_sensor = f->pend[f->cand[k]].sensor;
		}
		const struct arr *B = &f->pend[f->cand[k]];
		double d = hypot(f->cand_xy[k][0] - h->x, f->cand_xy[k][1] - h->y);
		if (d > R)
			continue;
		double res = f->cand_xy[k][2] - (t0 + d / c);
		double gate = 4 * hypot(B->sigma_s, A->sigma_s) + 0.1 + kappa * fabs(d - h->dA) / c;
		double z = res / gate;
		if (fabs(z) <= 1 && (pick == UINT32_MAX || fabs(z) < fabs(bz))) {
			bz = z;
			pick = k;
		}
	}
	double lat0, lon0;
	{
		double dist = hypot(h->x, h->y), az = atan2(h->x, h->y) / DEG;
		geod_direct(&f->g, A->lat, A->lon, az, dist, &lat0, &lon0, NULL);
	}
	*n_used = 0;
	for (int round = 0; round < 5; round++) {
		uint32_t n = build_meas(f, sel, *nsel, A->t_ns, c);
		struct vg_err e2;
		f->st.n_fits++;
		if (vg_fusion_locate(f->meas, n, med, lat0, lon0, &lo, f->use, NULL, fx, &e2))
			return;
		lat0 = fx->lat_deg;
		lon0 = fx->lon_deg;
		*n_used = fx->n_used;
		uint32_t sel2[VG_FUSION_LOCATE_MAX], n2 = 0;
		sel2[n2++] = 0;
		last_sensor = UINT32_MAX;
		pick = UINT32_MAX;
		bool have_pred = false;
		double p_lat = 0, p_lon = 0, p_tp = 0, p_var = 0;
		for (uint32_t k = 0; k <= nc; k++) {
			if (k == nc || f->pend[f->cand[k]].sensor != last_sensor) {
				if (pick != UINT32_MAX && n2 < VG_FUSION_LOCATE_MAX)
					sel2[n2++] = f->cand[pick];
				pick = UINT32_MAX;
				if (k == nc)
					break;
				last_sensor = f->pend[f->cand[k]].sensor;
			}
			const struct arr *B = &f->pend[f->cand[k]];
			/* one prediction per sensor position (candidates come grouped) */
			if (!have_pred || B->lat != p_lat || B->lon != p_lon) {
				vg_fusion_predict_arrival(&pr, fx, B->ecef, &p_tp, &p_var);
				p_lat = B->lat;
				p_lon = B->lon;
				have_pred = true;
			}
			double tp = p_tp, var = p_var;
			double sg = arr_sigma(B, fx->c_mps);
			double z = (f->cand_xy[k][2] - tp) / sqrt(var + sg * sg);
			if (fabs(z) <= 4 && (pick == UINT32_MAX || fabs(z) < fabs(bz))) {
				bz = z;
				pick = k;
			}
		}
		bool same = n2 == *nsel && !memcmp(sel, sel2, n2 * sizeof *sel);
		memcpy(sel, sel2, n2 * sizeof *sel);
		*nsel = n2;
		if (*n_used > n2)
			*n_used = n2; /* what is returned is the re-gated set */
		if (same || n2 < f->cfg.min_arrivals)
			return;
	}
}

/* Sort idx[0..n) by (key[idx], idx) ascending: a heap sort (no allocation,
 * no callback; ties broken by the index, so the order is total). */
static bool key_less(const double *key, uint32_t a, uint32_t b)
{
	return key[a] < key[b] || (key[a] == key[b] && a < b);
}

static void sift_down(uint32_t *idx, uint32_t start, uint32_t end, const double *key)
{
	uint32_t root = start;
	for (;;) {
		uint32_t child = 2 * root + 1;
		if (child >= end)
			return;
		if (child + 1 < end && key_less(key, idx[child], idx[child + 1]))
			child++;
		if (!key_less(key, idx[root], idx[child]))
			return;
		uint32_t t = idx[root];
		idx[root] = idx[child];
		idx[child] = t;
		root = child;
	}
}

static void sort_by_key(uint32_t *idx, uint32_t n, const double *key)
{
	if (n < 2)
		return;
	for (uint32_t s = n / 2; s-- > 0;)
		sift_down(idx, s, n, key);
	for (uint32_t end = n - 1; end > 0; end--) {
		uint32_t t = idx[0];
		idx[0] = idx[end];
		idx[end] = t;
		sift_down(idx, 0, end, key);
	}
}

/*
 * Grow an event from a hypothesis: fit the triple (A, B, C), then take the
 * other sensors nearest first, a few at a time, each with its arrival that
 * best fits the predictive distribution of the current fit (|z| <= 4), and
 * refit; finally re-gate every candidate once against the final fit.
 * sel: pool indices (A first); *n_used: arrivals the last fit kept.
 */
static vg_status grow_near(vg_fusion *f, const struct arr *A, const struct hyp *h, uint32_t nc,
                           const struct vg_fusion_medium *med, uint32_t *sel, uint32_t *nsel,
                           uint32_t *n_used, struct vg_fusion_fix *fx, struct vg_err *err)
{
	(void)err;
	double R = f->cfg.max_range_m;
	struct vg_fusion_locate_opts lo;
	vg_fusion_locate_opts_default(&lo);
	lo.exact = false; /* trial fits: the event's own fit is exact */
	*nsel = 0;
	*n_used = 0;
	memset(fx, 0, sizeof *fx);
	/* sensor groups of the candidate list (sorted by sensor), by distance */
	uint32_t ng = 0;
	uint32_t *gs = f->grp_start;
	double *gd = f->grp_dist;
	for (uint32_t k = 0; k < nc; k++) {
		if (k == 0 || f->pend[f->cand[k]].sensor != f->pend[f->cand[k - 1]].sensor) {
			gs[ng] = k;
			double dx = f->cand_xy[k][0] - h->x, dy = f->cand_xy[k][1] - h->y;
			gd[ng] = sqrt(dx * dx + dy * dy);
			ng++;
		}
	}
	gs[ng] = nc;
	/* order of groups by distance, then index (a total order: the same
	 * order as the stable insertion sort it replaces, in n log n) */
	uint32_t *ord = f->grp_ord;
	for (uint32_t i = 0; i < ng; i++)
		ord[i] = i;
	sort_by_key(ord, ng, gd);
	uint32_t sb = f->pend[f->cand[h->b]].sensor, sc = f->pend[f->cand[h->c]].sensor;
	double lat0, lon0;
	struct vg_fusion_pred pr = {0};
	sel[(*nsel)++] = 0;
	sel[(*nsel)++] = f->cand[h->b];
	sel[(*nsel)++] = f->cand[h->c];
	{
		double dist = hypot(h->x, h->y), az = atan2(h->x, h->y) / DEG;
		geod_direct(&f->g, A->lat, A->lon, az, dist, &lat0, &lon0, NULL);
	}
	struct vg_err e2;
	/* While the set is small the medium is held at its prior mean (a free
	 * wind would trade off against the position), and its uncertainty is
	 * added to the gates as a travel-time term instead. */
	struct vg_fusion_medium held = *med;
	held.c_sigma_mps *= 1e-3;
	held.w_sigma_mps *= 1e-3;
	double rel_med = (med->c_sigma_mps + med->w_sigma_mps) / med->c_mps;
	uint32_t n = build_meas(f, sel, *nsel, A->t_ns, med->c_mps);
	lo.max_reject = 0;
	f->st.n_fits++;
	if (vg_fusion_locate(f->meas, n, &held, lat0, lon0, &lo, f->use, NULL, fx, &e2))
		return VG_OK;
	bool holding = true;
	double dA_fit = 0;
	{
		double tp, var;
		vg_fusion_predict_arrival(&pr, fx, A->ecef, &tp, &var);
		dA_fit = (tp - fx->t0_s) * fx->c_mps;
	}
	uint32_t step = 1;
	uint32_t gi = 0;
	uint32_t visited = 0; /* sensor groups looked at in the first pass */
	for (int pass = 0; pass < 2; pass++) {
		bool added = false;
		while (gi < ng || (pass == 1 && !added)) {
			uint32_t taken_now = 0;
			uint32_t lim = pass == 0 ? step : ng;
			for (; gi < ng && taken_now < lim; gi++, taken_now++) {
				uint32_t g = ord[gi];
				uint32_t s0 = f->pend[f->cand[gs[g]]].sensor;
				if (s0 == sb || s0 == sc || gd[g] > R + 5000)
					continue;
				visited += pass == 0;
				uint32_t pick = UINT32_MAX;
				double bz = 0;
				bool have_pred = false;
				double p_lat = 0, p_lon = 0, p_tp = 0, p_var = 0;
				for (uint32_t k = gs[g]; k < gs[g + 1]; k++) {
					const struct arr *B = &f->pend[f->cand[k]];
					/* one prediction per sensor position */
					if (!have_pred || B->lat != p_lat || B->lon != p_lon) {
						vg_fusion_predict_arrival(&pr, fx, B->ecef, &p_tp, &p_var);
						p_lat = B->lat;
						p_lon = B->lon;
						have_pred = true;
					}
					double tp = p_tp, var = p_var;
					double sg = arr_sigma(B, fx->c_mps);
					double vm = 0;
					if (holding) {
						double dd = (tp - fx->t0_s) - dA_fit / fx->c_mps;
						vm = dd * dd * rel_med * rel_med;
					}
					double z = (f->cand_xy[k][2] - tp) / sqrt(var + vm + sg * sg);
					if (fabs(z) <= 4 && (pick == UINT32_MAX || fabs(z) < fabs(bz))) {
						bz = z;
						pick = k;
					}
				}
				if (pick != UINT32_MAX && *nsel < VG_FUSION_LOCATE_MAX) {
					sel[(*nsel)++] = f->cand[pick];
					added = true;
				}
			}
			if (added || pass == 1) {
				n = build_meas(f, sel, *nsel, A->t_ns, med->c_mps);
				lo.max_reject = pass == 1 ? 1 : 0;
				f->st.n_fits++;
				struct vg_fusion_fix t;
				holding = *nsel < 8 && pass == 0;
				if (vg_fusion_locate(f->meas, n, holding ? &held : med, fx->lat_deg, fx->lon_deg,
				                     &lo, f->use, NULL, &t, &e2))
					return VG_OK;
				*fx = t;
				if (holding) {
					double tp, var;
					vg_fusion_predict_arrival(&pr, fx, A->ecef, &tp, &var);
					dA_fit = (tp - fx->t0_s) * fx->c_mps;
				}
				/* drop what the fit rejected */
				uint32_t w = 0;
				for (uint32_t i = 0; i < *nsel; i++)
					if (f->use[i] || i == 0)
						sel[w++] = sel[i];
				*nsel = w;
				added = false;
				step = step < 8 ? 2 * step : step; /* refit after 1, 2, 4, 8, 8, ... */
			}
			if (pass == 1)
				break;
			/* Most of the nearest sensors had no arrival that fits: the
			 * event would fail the silent-sensor test within its median
			 * sensor (heard_enough), so the growth stops here. The bound
			 * is GROW_ABORT_F of the test's fraction: later sensors cannot bring
			 * the nearest ones back. */
			if ((int)visited >= GROW_ABORT_MIN &&
			    (double)*nsel < GROW_ABORT_F * f->cfg.min_heard_median_frac * (double)(visited + 3)) {
				*n_used = 0;
				*nsel = 1;
				return VG_OK;
			}
		}
		if (pass == 0) {
			/* re-gate everything against the final fit */
			uint32_t keep = 1;
			for (uint32_t i = 1; i < *nsel; i++) {
				const struct arr *B = &f->pend[sel[i]];
				double tp, var;
				vg_fusion_predict_arrival(&pr, fx, B->ecef, &tp, &var);
				double sg = arr_sigma(B, fx->c_mps);
				double z = ((double)(B->t_ns - A->t_ns) / 1e9 - tp) / sqrt(var + sg * sg);
				if (fabs(z) <= 4.5)
					sel[keep++] = sel[i];
			}
			*nsel = keep;
			gi = 0;
			sb = sc = UINT32_MAX;
			/* sensors already in the set are skipped in the second pass */
			for (uint32_t g = 0; g < ng; g++)
				f->grp_in[g] = false;
			for (uint32_t i = 1; i < *nsel; i++)
				for (uint32_t g = 0; g < ng; g++)
					if (f->pend[sel[i]].sensor == f->pend[f->cand[gs[g]]].sensor)
						f->grp_in[g] = true;
			uint32_t w = 0;
			for (uint32_t i = 0; i < ng; i++)
				if (!f->grp_in[ord[i]])
					ord[w++] = ord[i];
			ng = w;
		}
	}
	*n_used = 0;
	for (uint32_t i = 0; i < *nsel; i++)
		*n_used += 1;
	return VG_OK;
}

/*
 * Refine a hypothesis. With the medium known, by nearest-first growth. While
 * it is uncertain (the cold start, a configured speed far off) by the
 * wide-gate gathering, and where that keeps too few arrivals (a salvo whose
 * rounds it mixes beyond repair), by the nearest-first growth, which holds
 * the medium and widens the gates by its uncertainty.
 */
static vg_status grow(vg_fusion *f, const struct arr *A, const struct hyp *h, uint32_t nc,
                      const struct vg_fusion_medium *med, uint32_t *sel, uint32_t *nsel,
                      uint32_t *n_used, struct vg_fusion_fix *fx, struct vg_err *err)
{
	if ((med->c_sigma_mps + med->w_sigma_mps) / med->c_mps <= 0.003)
		return grow_near(f, A, h, nc, med, sel, nsel, n_used, fx, err);
	gather(f, A, h, nc, med, sel, nsel, n_used, fx);
	if (*n_used >= f->cfg.min_arrivals)
		return VG_OK;
	uint32_t sel2[VG_FUSION_LOCATE_MAX], n2 = 0, nu2 = 0;
	struct vg_fusion_fix fx2;
	vg_status s = grow_near(f, A, h, nc, med, sel2, &n2, &nu2, &fx2, err);
	if (s)
		return s;
	if (nu2 > *n_used ||
	    (nu2 == *n_used && nu2 && fx2.chi2 / fmax(1, fx2.dof) < fx->chi2 / fmax(1, fx->dof))) {
		memcpy(sel, sel2, n2 * sizeof *sel);
		*nsel = n2;
		*n_used = nu2;
		*fx = fx2;
	}
	return VG_OK;
}

/* ---- Emission and the smoothing lag ----------------------------------------- */

/* An event goes out: paired with a recent one of the other role, joined by
 * the radar reports that match it (appended to f->ev after its nev
 * arrivals), emitted. */
static vg_status release(vg_fusion *f, struct vg_fusion_event *e, uint32_t nev, struct vg_err *err)
{
	pair(f, e);
	nev = join_radar(f, e, nev);
	e->n_ev = nev;
	e->ev = f->ev;
	return emit_event(f, e, err);
}

static void lag_free_one(struct lagged *l)
{
	free(l->ev);
	free(l->meas);
	free(l->use);
}

static void lag_clear(vg_fusion *f)
{
	for (uint32_t i = 0; i < f->n_lag; i++)
		lag_free_one(&f->lag[i]);
	f->n_lag = 0;
}

/* Hold a formed event (its measurements in f->meas/f->use, its arrivals'
 * evidence in f->ev) until the events heard within cfg.smooth_lag_s after
 * its seed have been formed: due when the seed horizon passes
 * seed + lag (process()). L is its evidence on the medium as the tracker
 * took it (NULL: it taught nothing). */
static vg_status lag_push(vg_fusion *f, const struct vg_fusion_event *e, uint32_t n, int64_t t_ref_ns,
                          const struct vg_fusion_fix *fx, const struct vg_fusion_medium *fit_med,
                          const double L[3][3], const double h[3], struct vg_err *err)
{
	bool ok = true;
	f->lag = room(f->lag, f->n_lag, &f->cap_lag, sizeof *f->lag, 64, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion smoothing lag");
	struct lagged *l = &f->lag[f->n_lag];
	memset(l, 0, sizeof *l);
	l->e = *e;
	l->e.ev = NULL;
	l->n = n;
	l->ev = malloc((e->n_ev ? e->n_ev : 1) * sizeof *l->ev);
	l->meas = malloc((n ? n : 1) * sizeof *l->meas);
	l->use = malloc(n ? n : 1);
	if (!l->ev || !l->meas || !l->use) {
		lag_free_one(l);
		return vg_err_set(err, VG_ERR_NOMEM, "fusion smoothing lag");
	}
	memcpy(l->ev, f->ev, e->n_ev * sizeof *l->ev);
	memcpy(l->meas, f->meas, n * sizeof *l->meas);
	memcpy(l->use, f->use, n);
	l->t_ref_ns = t_ref_ns;
	l->due_ns = t_ref_ns + seed_horizon_ns(f) + (int64_t)(lag_s(f) * 1e9);
	if (f->n_lag && l->due_ns < f->lag[f->n_lag - 1].due_ns)
		l->due_ns = f->lag[f->n_lag - 1].due_ns; /* first formed, first out */
	l->lat0_deg = fx->lat_deg;
	l->lon0_deg = fx->lon_deg;
	l->fit_med = *fit_med;
	if (L) {
		l->has_evid = true;
		memcpy(l->L, L, sizeof l->L);
		memcpy(l->h, h, sizeof l->h);
	}
	f->n_lag++;
	return VG_OK;
}

/* Information (Lam, eta) of a random walk carried over h hours: with Q the
 * walk's covariance (medium_q, the same on each component),
 * Lam' = (I + Lam Q)^-1 Lam and eta' = (I + Lam Q)^-1 eta. */
static void info_predict(const vg_fusion *f, double Lam[3][3], double eta[3], double h)
{
	double q = medium_q(f, h);
	if (!(q > 0))
		return;
	double M[3][3], Mi[3][3];
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			M[a][b] = (a == b) + Lam[a][b] * q;
	/* I + Lam Q is not symmetric in general, but with Q = q I it is
	 * I + q Lam: symmetric positive definite for Lam >= 0 */
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < a; b++)
			M[a][b] = M[b][a] = (M[a][b] + M[b][a]) / 2;
	if (!inv3_spd(M, Mi)) {
		/* cannot carry it: know nothing rather than too much */
		memset(Lam, 0, 9 * sizeof **Lam);
		memset(eta, 0, 3 * sizeof *eta);
		return;
	}
	double L2[3][3], e2[3];
	for (int a = 0; a < 3; a++) {
		e2[a] = Mi[a][0] * eta[0] + Mi[a][1] * eta[1] + Mi[a][2] * eta[2];
		for (int b = 0; b < 3; b++)
			L2[a][b] = Mi[a][0] * Lam[0][b] + Mi[a][1] * Lam[1][b] + Mi[a][2] * Lam[2][b];
	}
	memcpy(Lam, L2, sizeof L2);
	memcpy(eta, e2, sizeof e2);
}

/*
 * The smoothed prior of the held event at the head of the queue: its
 * forward prior (the tracker's medium at its time, the prior it was fitted
 * with, which holds no evidence of its own) combined with the evidence of
 * the events formed after it, carried back to its time through the random
 * walk between them (the two-filter form of the fixed-interval smoother:
 * D. C. Fraser, J. E. Potter, IEEE TAC 14(4):387, 1969,
 * doi:10.1109/TAC.1969.1099196; the backward filter runs in information
 * form, so it may start from no information: its prediction over a gap
 * with random-walk covariance Q is Lam' = (I + Lam Q)^-1 Lam,
 * eta' = (I + Lam Q)^-1 eta). False if no later event taught anything
 * (then the event keeps its fit).
 */
static bool smoothed_prior(const vg_fusion *f, struct vg_fusion_medium *pr)
{
	const struct lagged *k = &f->lag[0];
	double Lam[3][3] = {{0}}, eta[3] = {0};
	bool any = false;
	int64_t t = 0;
	for (uint32_t j = f->n_lag; j-- > 1;) {
		const struct lagged *l = &f->lag[j];
		if (!l->has_evid)
			continue;
		if (any)
			info_predict(f, Lam, eta, fabs((double)(t - l->e.t_ns)) / 3.6e12);
		for (int a = 0; a < 3; a++) {
			eta[a] += l->h[a];
			for (int b = 0; b < 3; b++)
				Lam[a][b] += l->L[a][b];
		}
		t = l->e.t_ns;
		any = true;
	}
	if (!any)
		return false;
	info_predict(f, Lam, eta, fabs((double)(t - k->e.t_ns)) / 3.6e12);
	/* the forward prior, in information form */
	const struct vg_fusion_medium *fm = &k->fit_med;
	double Lf[3][3], m[3] = {fm->c_mps, fm->we_mps, fm->wn_mps};
	vg_fusion_prior_info(fm, Lf);
	double A[3][3], P[3][3], y[3];
	for (int a = 0; a < 3; a++) {
		y[a] = eta[a];
		for (int b = 0; b < 3; b++) {
			A[a][b] = Lf[a][b] + (Lam[a][b] + Lam[b][a]) / 2;
			y[a] += Lf[a][b] * m[b];
		}
	}
	if (!inv3_spd(A, P))
		return false;
	double xs[3];
	for (int a = 0; a < 3; a++)
		xs[a] = P[a][0] * y[0] + P[a][1] * y[1] + P[a][2] * y[2];
	if (!isfinite(xs[0] + xs[1] + xs[2]))
		return false;
	*pr = *fm;
	pr->c_mps = xs[0];
	pr->we_mps = xs[1];
	pr->wn_mps = xs[2];
	pr->c_sigma_mps = sqrt(P[0][0]);
	pr->w_sigma_mps = sqrt(fmax(P[1][1], P[2][2]));
	memcpy(pr->prec, A, sizeof A);
	pr->has_prec = true;
	return true;
}

/* The head of the lag queue goes out, located again with the smoothed
 * medium (same arrivals: no new rejection). */
static vg_status lag_release(vg_fusion *f, struct vg_err *err)
{
	struct lagged *l = &f->lag[0];
	struct vg_fusion_medium pr;
	if (smoothed_prior(f, &pr)) {
		struct vg_fusion_locate_opts lo;
		vg_fusion_locate_opts_default(&lo);
		lo.inflate = true;
		lo.max_reject = 0;
		struct vg_fusion_fix fx;
		struct vg_err e2;
		f->st.n_fits++;
		if (!vg_fusion_locate(l->meas, l->n, &pr, l->lat0_deg, l->lon0_deg, &lo, l->use, f->resid, &fx,
		                      &e2)) {
			struct vg_fusion_event *e = &l->e;
			e->t_ns = l->t_ref_ns + (int64_t)llround(fx.t0_s * 1e9);
			e->time_sigma_s = fx.t0_sigma_s;
			e->lat_deg = fx.lat_deg;
			e->lon_deg = fx.lon_deg;
			fill_geometry(e, fx.cov_m2);
			e->c_mps = fx.c_mps;
			e->c_sigma_mps = fx.c_sigma_mps;
			e->chi2 = fx.chi2;
			e->dof = fx.dof;
			for (uint32_t i = 0; i < l->n && i < e->n_ev; i++)
				l->ev[i].resid = f->resid[i];
			f->st.n_smoothed++;
		}
	}
	uint32_t nev = l->e.n_ev;
	memcpy(f->ev, l->ev, nev * sizeof *f->ev);
	struct vg_fusion_event e = l->e;
	lag_free_one(l);
	memmove(&f->lag[0], &f->lag[1], (f->n_lag - 1) * sizeof *f->lag);
	f->n_lag--;
	return release(f, &e, nev, err);
}

/* Try to form an event seeded by pool entry 0. Returns true if one was emitted. */
static vg_status try_seed(vg_fusion *f, bool *formed, struct vg_err *err)
{
	*formed = false;
	const struct arr *A = &f->pend[0];
	/* the tracker's medium for the event's fit; association gates also
	 * allow for the place's own medium (MED_ASSOC_MPS, in quadrature: the
	 * sensors' survey errors make each place's effective medium differ a
	 * little) */
	struct vg_fusion_medium fit_med = medium_at(f, A->t_ns);
	struct vg_fusion_medium med = fit_med;
	med.has_prec = false; /* the gates: diagonal, widened */
	med.c_sigma_mps = hypot(med.c_sigma_mps, MED_ASSOC_MPS);
	med.w_sigma_mps = hypot(med.w_sigma_mps, MED_ASSOC_MPS);
	double c = med.c_mps;
	double c_lo = c - 3 * med.c_sigma_mps - 3 * med.w_sigma_mps;
	if (c_lo < 0.5 * c)
		c_lo = 0.5 * c;
	double R = f->cfg.max_range_m;
	double kappa = fmin(0.3, 3 * (med.c_sigma_mps + med.w_sigma_mps) / c);
	int64_t t_max = A->t_ns + (int64_t)((2 * R / c_lo + 1) * 1e9);
	vg_status s;

	/* candidates: other sensors, reachable time differences */
	struct enu_frame ef;
	enu_frame_init(&ef, A);
	uint32_t nc = 0;
	for (uint32_t i = 1; i < f->n_pend && f->pend[i].t_ns <= t_max; i++) {
		const struct arr *B = &f->pend[i];
		if (B->taken || B->sensor == A->sensor)
			continue;
		double d = chord(A->ecef, B->ecef);
		if (d > 2 * R)
			continue;
		double dt = (double)(B->t_ns - A->t_ns) / 1e9;
		if (dt > d / c_lo + 1)
			continue;
		if ((s = grow_cand(f, nc + 1, err)))
			return s;
		f->cand[nc] = i;
		enu(&ef, B->ecef, &f->cand_xy[nc][0], &f->cand_xy[nc][1]);
		f->cand_xy[nc][2] = dt;
		nc++;
	}
	if (nc + 1 < f->cfg.min_arrivals)
		return VG_OK;
	if ((s = sort_cand(f, nc, err)))
		return s;
	hyp_groups(f, nc);

	/* hypothesis pairs among the arrivals of the seed's nearest sensors
	 * (every arrival of each: in a salvo a sensor holds several) */
	uint32_t MS = f->cfg.max_candidates;
	if (MS > 8)
		MS = 8;
	uint32_t gsel[8], ngs = 0;
	double gdist[8];
	for (uint32_t k = 0; k < nc; k++) {
		if (k > 0 && f->pend[f->cand[k]].sensor == f->pend[f->cand[k - 1]].sensor)
			continue;
		double d = sqrt(f->cand_xy[k][0] * f->cand_xy[k][0] + f->cand_xy[k][1] * f->cand_xy[k][1]);
		uint32_t pos = ngs;
		while (pos > 0 && gdist[pos - 1] > d)
			pos--;
		if (pos >= MS)
			continue;
		uint32_t end = ngs < MS ? ngs : MS - 1;
		for (uint32_t j = end; j > pos; j--) {
			gsel[j] = gsel[j - 1];
			gdist[j] = gdist[j - 1];
		}
		gsel[pos] = k;
		gdist[pos] = d;
		if (ngs < MS)
			ngs++;
	}
	uint32_t near[128], nn = 0;
	for (uint32_t g = 0; g < ngs; g++) {
		uint32_t s0 = f->pend[f->cand[gsel[g]]].sensor;
		for (uint32_t k = gsel[g], m = 0; k < nc && f->pend[f->cand[k]].sensor == s0 && m < 8;
		     k++, m++)
			near[nn++] = k;
	}
	/* the K best hypotheses by support */
	const int K = (int)f->cfg.hypotheses;
	struct hyp top[HYP_MAX];
	double sigA = A->sigma_s;
	uint32_t best_sel[VG_FUSION_LOCATE_MAX], nbest = 0, best_used = 0;
	double best_chi = INFINITY;
	struct vg_fusion_fix fx;
	/* Until the first medium is agreed, the configured speed may be off by
	 * several per cent (the weather unknown): back-projected with it, the
	 * sources of a salvo land where no arrivals fit. A seed that makes no
	 * event with the configured speed is tried again with it 2 sigma
	 * either side, each hypothesis refined from its own speed. */
	int rounds = f->med_agreed || !f->cfg.track_medium ? 1 : 2;
	for (int round = 0; round < rounds && best_used < f->cfg.min_arrivals; round++) {
		double speeds[2] = {c - 2 * med.c_sigma_mps, c + 2 * med.c_sigma_mps};
		int n_speeds = round == 0 ? 1 : 2;
		if (round == 0)
			speeds[0] = c;
		int ntop = 0;
		for (int sp = 0; sp < n_speeds; sp++) {
			for (uint32_t i = 0; i < nn; i++) {
				for (uint32_t j = i + 1; j < nn; j++) {
					uint32_t bi = near[i], ci = near[j];
					if (f->pend[f->cand[bi]].sensor == f->pend[f->cand[ci]].sensor)
						continue;
					double sol[2][3], cs = speeds[sp];
					int ns = triple(f->cand_xy[bi][0], f->cand_xy[bi][1], f->cand_xy[bi][2],
					                f->cand_xy[ci][0], f->cand_xy[ci][1], f->cand_xy[ci][2], cs, sol);
					for (int q = 0; q < ns; q++) {
						if (sol[q][2] > R)
							continue;
						f->st.n_hypotheses++;
						struct hyp h = score_hyp(f, sol[q][0], sol[q][1], sol[q][2], cs, kappa, sigA);
						h.speed = cs;
						h.b = bi;
						h.c = ci;
						if (h.n < (int)f->cfg.min_arrivals)
							continue;
						/* insert into the top K (more support first, then lower
						 * cost); pairs that back-project to the same place are one
						 * hypothesis: the K are K different places */
						bool dup = false;
						for (int m = 0; m < ntop; m++) {
							if (fabs(top[m].x - h.x) > HYP_SAME_M || fabs(top[m].y - h.y) > HYP_SAME_M)
								continue;
							if (!HYP_BETTER(&h, &top[m])) {
								dup = true;
							} else {
								memmove(&top[m], &top[m + 1], (size_t)(ntop - m - 1) * sizeof *top);
								ntop--;
							}
							break;
						}
						if (dup)
							continue;
						int pos = ntop;
						while (pos > 0 && HYP_BETTER(&h, &top[pos - 1]))
							pos--;
						if (pos >= K)
							continue;
						int end = ntop < K ? ntop : K - 1;
						for (int m = end; m > pos; m--)
							top[m] = top[m - 1];
						top[pos] = h;
						if (ntop < K)
							ntop++;
					}
				}
			}
		}
		vg_log(VG_LOG_DEBUG, "seed %s: %u candidates, %u near, %d hypotheses, best %d", f->sen[A->sensor].id,
		       nc, nn, ntop, ntop ? top[0].n : 0);

		/* refine each by nearest-first growth; keep the one with most arrivals */
		for (int h = 0; h < ntop; h++) {
			uint32_t sel[VG_FUSION_LOCATE_MAX], nsel = 0, nu = 0;
			struct vg_fusion_fix fh;
			struct vg_fusion_medium mh = med;
			mh.c_mps = top[h].speed;
			if ((s = grow(f, A, &top[h], nc, &mh, sel, &nsel, &nu, &fh, err)))
				return s;
			vg_log(VG_LOG_DEBUG, "  hypothesis %d (%d sensors): grew to %u, used %u, chi2 %.1f/%d", h,
			       top[h].n, nsel, nu, fh.chi2, fh.dof);
			if (nu > best_used || (nu == best_used && nu && fh.chi2 / fmax(1, fh.dof) < best_chi)) {
				best_used = nu;
				best_chi = fh.chi2 / fmax(1, fh.dof);
				memcpy(best_sel, sel, nsel * sizeof *sel);
				nbest = nsel;
				fx = fh;
			}
			/* a clean fit that took every sensor its hypothesis was supported
			 * by: the hypotheses after it (less support) are not tried */
			if (nu >= (uint32_t)top[h].n && fh.dof > 0 && fh.chi2 <= 1.5 * fh.dof)
				break;
		}
	}
	if (best_used < f->cfg.min_arrivals)
		return VG_OK;
	uint32_t n = build_meas(f, best_sel, nbest, A->t_ns, c);
	{
		struct vg_err e2;
		struct vg_fusion_locate_opts lo;
		vg_fusion_locate_opts_default(&lo);
		lo.inflate = true; /* the event's ellipse: Birge ratio, docs/fusion.md */
		f->st.n_fits++;
		if (vg_fusion_locate(f->meas, n, &fit_med, fx.lat_deg, fx.lon_deg, &lo, f->use, f->resid, &fx,
		                     &e2))
			return VG_OK;
	}
	uint32_t n_used = 0, n_bear = 0;
	for (uint32_t i = 0; i < n; i++) {
		n_used += f->use[i] != 0;
		n_bear += f->use[i] && f->meas[i].has_bearing;
	}
	if (n_used < f->cfg.min_arrivals)
		return VG_OK;
	double zq = 3.719; /* p = 1e-4 */
	if (f->cfg.chi2_p != 1e-4) {
		/* normal deviate for other p (Acklam-free: a few bisection steps on erfc) */
		double lo2 = 0, hi2 = 10;
		for (int it = 0; it < 60; it++) {
			double mid = (lo2 + hi2) / 2;
			if (0.5 * erfc(mid / sqrt(2)) > f->cfg.chi2_p)
				lo2 = mid;
			else
				hi2 = mid;
		}
		zq = (lo2 + hi2) / 2;
	}
	if (fx.dof > 0 && fx.chi2 > vg_fusion_chi2_quantile(fx.dof, zq))
		return VG_OK;
	if (!heard_enough(f, &fx, A->t_ns + (int64_t)llround(fx.t0_s * 1e9), n))
		return VG_OK;

	/* the event */
	struct vg_fusion_event e;
	memset(&e, 0, sizeof e);
	e.t_ns = A->t_ns + (int64_t)llround(fx.t0_s * 1e9);
	e.time_sigma_s = fx.t0_sigma_s;
	e.lat_deg = fx.lat_deg;
	e.lon_deg = fx.lon_deg;
	fill_geometry(&e, fx.cov_m2);
	e.c_mps = fx.c_mps;
	e.c_sigma_mps = fx.c_sigma_mps;
	e.chi2 = fx.chi2;
	e.dof = fx.dof;
	e.n_toa = n_used;
	e.n_bearing = n_bear;
	double llr = 0;
	uint32_t nev = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct arr *a = &f->pend[f->meas_arr[i]];
		struct vg_fusion_evidence *x = &f->ev[nev++];
		memset(x, 0, sizeof *x);
		x->log_index = a->log_index;
		x->obs_id = a->obs_id;
		snprintf(x->sensor, sizeof x->sensor, "%s", f->sen[a->sensor].id);
		x->seq = a->seq;
		x->kind = VG_OBS_IMPULSE;
		x->used = f->use[i] != 0;
		x->resid = f->resid[i];
		if (f->use[i]) {
			int h = a->cls >= 0 && a->cls < 4 ? a->cls : 0;
			llr += log(hint_p[0][h] / hint_p[1][h]);
		} else {
			f->st.n_rejected++;
		}
	}
	if (llr > 40)
		llr = 40;
	if (llr < -40)
		llr = -40;
	e.p_launch = 1 / (1 + exp(-llr));
	e.type = e.p_launch >= 0.95 ? VG_FEV_LAUNCH : e.p_launch <= 0.05 ? VG_FEV_IMPACT : VG_FEV_EXPLOSION;
	e.cls = VG_CLS_UNKNOWN;
	e.n_ev = nev;
	e.ev = f->ev;
	/* take the used arrivals out of the pool */
	for (uint32_t i = 0; i < n; i++)
		if (f->use[i])
			f->pend[f->meas_arr[i]].taken = true;
	bool added = false;
	double Lk[3][3], hk[3];
	/* learn the medium only from clean, well-determined events: a mixed
	 * association would teach it a wrong wind */
	if (n_used >= 12 && fx.dof >= 8 && fx.chi2 <= 1.5 * fx.dof && fx.n_rejected == 0 &&
	    sqrt(fx.medium_cov[1][1] + fx.medium_cov[2][2]) < 1.0) {
		/* the survey errors' share of the arrivals' variance, by information */
		double sw = 0, swr = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!f->use[i] || !f->meas[i].has_time)
				continue;
			double v = f->meas[i].sigma_s * f->meas[i].sigma_s;
			double b = f->pend[f->meas_arr[i]].survey_sigma_m / fit_med.c_mps;
			sw += 1 / v;
			swr += b * b / (v * v);
		}
		medium_update(f, &fit_med, &fx, sw > 0 ? swr / sw : 0, e.t_ns, &added, Lk, hk);
	}
	*formed = true;
	if (lag_s(f) > 0)
		return lag_push(f, &e, n, A->t_ns, &fx, &fit_med, added ? Lk : NULL, hk, err);
	return release(f, &e, nev, err);
}

/* ---- Radar-only events ------------------------------------------------------ */

/*
 * A radar-only launch must not be contradicted by the acoustic network:
 * the fixed impulse sensors within RADAR_CHECK_M of the launch point would
 * hear a gun fire (arrival at t + d / c, within the medium's and the
 * track's uncertainty). If at least two such sensors are listening and
 * fewer than cfg.min_heard_frac of them heard anything then (the silent-
 * sensor test of heard_enough, applied to the radar's claim), the track is
 * a radar false alarm. Where no sensor listens, the radar is the only
 * witness and its track stands.
 */
static bool radar_corroborated(const vg_fusion *f, const struct vg_fire_point *p)
{
	double pe[3];
	ecef(p->lat_deg, p->lon_deg, pe);
	double c = f->med.c_mps > 0 ? f->med.c_mps : f->cfg.medium.c_mps;
	double cs = f->med.c_mps > 0 ? f->med.c_sigma_mps : f->cfg.medium.c_sigma_mps;
	uint32_t in = 0, heard = 0;
	for (uint32_t i = 0; i < f->n_sen; i++) {
		const struct sensor *sn = &f->sen[i];
		if (!sn->used || !sn->heard)
			continue;
		double d = chord(pe, sn->ecef);
		if (d > RADAR_CHECK_M)
			continue;
		in++;
		double tol = 1.0 + d * (3 * cs + 10) / (c * c) + p->cep_m / c * 3;
		double tp = (double)p->t_ns / 1e9 + d / c;
		uint32_t k = sn->n_heard < HEARD_K ? sn->n_heard : HEARD_K;
		bool h = false;
		int64_t oldest = INT64_MAX;
		for (uint32_t j = 0; j < k; j++) {
			int64_t t = sn->heard[j];
			if (t < oldest)
				oldest = t;
			if (fabs((double)t / 1e9 - tp) <= tol)
				h = true;
		}
		/* the ring forgot that time: no evidence either way */
		if (!h && sn->n_heard > HEARD_K && (double)oldest / 1e9 > tp - tol)
			h = true;
		heard += h;
	}
	vg_log(VG_LOG_DEBUG, "radar launch at %.5f %.5f: heard by %u of %u sensors within %.0f m",
	       p->lat_deg, p->lon_deg, heard, in, RADAR_CHECK_M);
	return in < 2 || (double)heard >= f->cfg.min_heard_frac * (double)in;
}

static vg_status radar_resolve(vg_fusion *f, struct radar *r, bool launch, struct vg_err *err)
{
	const struct vg_fire_point *p = launch ? &r->launch : &r->impact;
	if (launch)
		r->launch_done = true;
	else
		r->impact_done = true;
	if (!f->cfg.radar_only_events || !launch)
		return VG_OK;
	if (f->cfg.min_heard_frac > 0 && !radar_corroborated(f, p)) {
		f->st.n_radar_refuted++;
		return VG_OK;
	}
	struct vg_fusion_event e;
	memset(&e, 0, sizeof e);
	e.type = VG_FEV_LAUNCH;
	e.t_ns = p->t_ns;
	e.time_sigma_s = 0.1;
	e.lat_deg = p->lat_deg;
	e.lon_deg = p->lon_deg;
	double s2 = (p->cep_m / 1.1774) * (p->cep_m / 1.1774);
	double cov[2][2] = {{s2, 0}, {0, s2}};
	fill_geometry(&e, cov);
	e.c_mps = 0;
	e.p_launch = 1;
	e.cls = r->cls;
	e.n_radar = 1;
	uint32_t nev = 0;
	struct vg_fusion_evidence *x = &f->ev[nev++];
	memset(x, 0, sizeof *x);
	x->log_index = r->log_index;
	x->obs_id = r->obs_id;
	snprintf(x->sensor, sizeof x->sensor, "%s", f->sen[r->sensor].id);
	x->seq = r->seq;
	x->kind = VG_OBS_FIRE;
	x->used = true;
	/* other radars' reports of the same launch join it */
	for (uint32_t i = 0; i < f->n_rad; i++) {
		struct radar *o = &f->rad[i];
		if (o == r || !o->has_launch || o->launch_done)
			continue;
		if (fabs((double)(o->launch.t_ns - p->t_ns) / 1e9) > 1.0)
			continue;
		double d;
		geod_inverse(&f->g, p->lat_deg, p->lon_deg, o->launch.lat_deg, o->launch.lon_deg, &d, NULL,
		             NULL);
		double sr = hypot(p->cep_m, o->launch.cep_m) / 1.1774;
		if (d > 3.7 * sr)
			continue;
		o->launch_done = true;
		x = &f->ev[nev++];
		memset(x, 0, sizeof *x);
		x->log_index = o->log_index;
		x->obs_id = o->obs_id;
		snprintf(x->sensor, sizeof x->sensor, "%s", f->sen[o->sensor].id);
		x->seq = o->seq;
		x->kind = VG_OBS_FIRE;
		x->used = true;
		e.n_radar++;
		if (nev >= VG_FUSION_LOCATE_MAX)
			break;
	}
	e.n_ev = nev;
	e.ev = f->ev;
	f->st.n_radar_only++;
	pair(f, &e);
	return emit_event(f, &e, err);
}

/* ---- Driving the stream ----------------------------------------------------- */

/* The longest travel within max_range at the configured medium's slowest
 * speed (3 sigma below, at least half of it), s. */
static double range_travel_s(const vg_fusion *f)
{
	double c_lo = f->cfg.medium.c_mps - 3 * f->cfg.medium.c_sigma_mps;
	if (c_lo < 0.5 * f->cfg.medium.c_mps)
		c_lo = 0.5 * f->cfg.medium.c_mps;
	return f->cfg.max_range_m / c_lo;
}

/* the smoothing lag in use, s (events wait for it before they go out) */
static double lag_s(const vg_fusion *f)
{
	return f->cfg.track_medium ? f->cfg.smooth_lag_s : 0;
}

static int64_t seed_horizon_ns(const vg_fusion *f)
{
	return (int64_t)((range_travel_s(f) + f->cfg.latency_max_s) * 1e9);
}

/* A radar report waits until every arrival its launch could have made
 * within max_range has been a seed (else a salvo's acoustic events, formed
 * from farther seeds, would find their radar reports already gone out as
 * radar-only events: duplicates). */
static int64_t radar_horizon_ns(const vg_fusion *f)
{
	return seed_horizon_ns(f) + (int64_t)((range_travel_s(f) + 10 + lag_s(f)) * 1e9);
}

static vg_status process(vg_fusion *f, bool flush, struct vg_err *err)
{
	int64_t H = seed_horizon_ns(f), H2 = radar_horizon_ns(f);
	vg_status s;
	for (;;) {
		/* the next due item: the earliest pending arrival or radar part */
		int64_t t_seed = f->n_pend ? f->pend[0].t_ns + H : INT64_MAX;
		int64_t t_rad = INT64_MAX;
		uint32_t ri = 0;
		bool rl = false;
		for (uint32_t i = 0; i < f->n_rad; i++) {
			const struct radar *r = &f->rad[i];
			if (r->has_launch && !r->launch_done && r->launch.t_ns + H2 < t_rad) {
				t_rad = r->launch.t_ns + H2;
				ri = i;
				rl = true;
			}
			if (r->has_impact && !r->impact_done && r->impact.t_ns + H2 < t_rad) {
				t_rad = r->impact.t_ns + H2;
				ri = i;
				rl = false;
			}
		}
		/* a held event goes out after the seeds due with it and before the
		 * radar reports (they may join it) */
		int64_t t_lag = f->n_lag ? f->lag[0].due_ns : INT64_MAX;
		int64_t due = t_seed < t_rad ? t_seed : t_rad;
		if (t_lag < due)
			due = t_lag;
		if (due == INT64_MAX || (!flush && due > f->clock_ns))
			break;
		if (f->cold && f->cold_agreed)
			break; /* advance() replays the window with the agreed medium */
		if (t_lag < t_seed && t_lag <= t_rad) {
			if ((s = lag_release(f, err)))
				return s;
		} else if (t_seed <= t_rad) {
			bool formed;
			if ((s = try_seed(f, &formed, err)))
				return s;
			if (!formed) {
				f->pend[0].taken = true;
				f->st.n_unassociated++;
			}
			pool_compact(f);
		} else {
			if ((s = radar_resolve(f, &f->rad[ri], rl, err)))
				return s;
			/* drop resolved reports */
			uint32_t w = 0;
			for (uint32_t i = 0; i < f->n_rad; i++) {
				const struct radar *r = &f->rad[i];
				bool open = (r->has_launch && !r->launch_done) || (r->has_impact && !r->impact_done);
				if (open)
					f->rad[w++] = f->rad[i];
			}
			f->n_rad = w;
		}
	}
	return VG_OK;
}

/* Insert an arrival into the pool, sorted by (t_ns, then arrival order):
 * stable. A full window drops its oldest arrival unassociated. */
static void pool_insert(vg_fusion *f, const struct arr *a)
{
	if (f->n_pend == f->cfg.max_pending) {
		f->pend[0].taken = true;
		pool_compact(f);
		f->st.n_dropped++;
	}
	uint32_t pos = f->n_pend;
	while (pos > 0 && f->pend[pos - 1].t_ns > a->t_ns)
		pos--;
	memmove(&f->pend[pos + 1], &f->pend[pos], (f->n_pend - pos) * sizeof *f->pend);
	f->pend[pos] = *a;
	f->n_pend++;
	if (f->n_pend > f->st.peak_pending)
		f->st.peak_pending = f->n_pend;
}

/* The pool entry of an impulse; *use false if its sensor is unknown. */
static vg_status make_arr(vg_fusion *f, const struct vg_obs *o, int64_t log_index, int64_t obs_id,
                          struct arr *a, bool *use, struct vg_err *err)
{
	*use = false;
	int64_t si = sensor_find(f, o->sensor);
	double lat, lon, sig = 0;
	if (o->has_sensor_pos) {
		lat = o->sensor_lat_deg;
		lon = o->sensor_lon_deg;
		sig = o->sensor_sigma_m > 0 ? o->sensor_sigma_m : 0;
		if (si < 0) {
			uint32_t idx;
			vg_status s = sensor_insert(f, o->sensor, NAN, NAN, 0, &idx, err);
			if (s)
				return s;
			si = idx;
		}
	} else {
		if (si < 0 || isnan(f->sen[si].lat)) {
			f->st.n_ignored++;
			return VG_OK;
		}
		lat = f->sen[si].lat;
		lon = f->sen[si].lon;
		sig = f->sen[si].survey_sigma_m;
		struct sensor *sn = &f->sen[si];
		sn->used = true;
		if (!sn->heard && !(sn->heard = malloc(HEARD_K * sizeof *sn->heard)))
			return vg_err_set(err, VG_ERR_NOMEM, "fusion sensors");
		sn->heard[sn->n_heard++ % HEARD_K] = o->t_ns;
	}
	memset(a, 0, sizeof *a);
	a->t_ns = o->t_ns;
	a->log_index = log_index;
	a->obs_id = obs_id;
	a->seq = o->seq;
	a->lat = lat;
	a->lon = lon;
	ecef(lat, lon, a->ecef);
	a->trig[0] = sin(lat * DEG);
	a->trig[1] = cos(lat * DEG);
	a->trig[2] = sin(lon * DEG);
	a->trig[3] = cos(lon * DEG);
	a->sigma_s = o->u.impulse.sigma_s;
	a->survey_sigma_m = sig;
	a->has_bearing = o->u.impulse.has_bearing;
	a->bearing_deg = o->u.impulse.bearing_deg;
	a->bearing_sigma_deg = o->u.impulse.bearing_sigma_deg;
	a->cls = o->u.impulse.cls;
	a->sensor = (uint32_t)si;
	*use = true;
	return VG_OK;
}

static vg_status radar_append(vg_fusion *f, const struct radar *r, struct vg_err *err)
{
	if (f->n_rad >= 1u << 20)
		return vg_err_set(err, VG_ERR_LIMIT, "fusion: more than %u open radar reports", f->n_rad);
	bool ok = true;
	f->rad = room(f->rad, f->n_rad, &f->cap_rad, sizeof *f->rad, 32, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion radar reports");
	f->rad[f->n_rad++] = *r;
	return VG_OK;
}

static vg_status make_radar(vg_fusion *f, const struct vg_obs *o, int64_t log_index, int64_t obs_id,
                            struct radar *r, struct vg_err *err)
{
	int64_t si = sensor_find(f, o->sensor);
	if (si < 0) {
		uint32_t idx;
		vg_status s = sensor_insert(f, o->sensor, NAN, NAN, 0, &idx, err);
		if (s)
			return s;
		si = idx;
	}
	memset(r, 0, sizeof *r);
	r->log_index = log_index;
	r->obs_id = obs_id;
	r->seq = o->seq;
	r->sensor = (uint32_t)si;
	r->has_launch = o->u.fire.has_launch;
	r->has_impact = o->u.fire.has_impact;
	r->launch = o->u.fire.launch;
	r->impact = o->u.fire.impact;
	r->cls = o->u.fire.cls;
	return VG_OK;
}

/* ---- The cold start ------------------------------------------------------------
 *
 * The first events of a run are located with the configured medium's wide
 * prior; in a salvo (several guns 100 m and under a second apart) the wide
 * gates mix the rounds, and an event made of a mixture can still pass the
 * clean-event test and teach the tracker a wrong wind. So until two clean
 * events agree on the medium (fixes_agree, or one of COLD_STRONG arrivals:
 * medium_update), the stream records its inputs and holds its events; once
 * they agree, the recorded inputs (trimmed to the association window while
 * nothing was held: cold_trim) are associated again with the agreed medium
 * (the held events are dropped), and the stream goes on as usual. If no
 * agreement comes within cfg.cold_hold_s of stream time after the first
 * held event (or at vg_fusion_flush, the end of the input; not at
 * vg_fusion_drain), the held events are emitted as they are, and the
 * medium still waits for an agreement. The sensors' arrival rings are not
 * replayed: the replay's silent-sensor tests see them as of the agreement.
 * Replaying the same inputs gives the same events: deterministic. */

static vg_status cold_record(vg_fusion *f, uint8_t kind, const struct arr *a, const struct radar *r,
                             struct vg_err *err)
{
	bool ok = true;
	f->cin = room(f->cin, f->n_cin, &f->cap_cin, sizeof *f->cin, 1024, &ok);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "fusion cold start");
	struct cold_in *c = &f->cin[f->n_cin++];
	c->clock_ns = f->clock_ns;
	c->kind = kind;
	if (a)
		c->u.a = *a;
	else if (r)
		c->u.r = *r;
	return VG_OK;
}

static void cold_end(vg_fusion *f)
{
	f->cold = false;
	free(f->cin);
	f->cin = NULL;
	f->n_cin = f->cap_cin = 0;
}

/* No agreement in time: the held events go out as they are (the medium
 * still waits for an agreement, without holding events). */
static vg_status cold_release(vg_fusion *f, struct vg_err *err)
{
	cold_end(f);
	vg_status s = VG_OK;
	uint32_t i = 0;
	for (; i < f->n_held && !s; i++) {
		struct held *h = &f->held[i];
		if (h->e.emitted_ns < f->clock_ns)
			h->e.emitted_ns = f->clock_ns;
		f->st.n_cold_released++;
		if (f->emit)
			s = f->emit(f->ctx, &h->e, err);
		free(h->ev);
	}
	for (; i < f->n_held; i++)
		free(f->held[i].ev);
	f->n_held = 0;
	return s;
}

static vg_status process(vg_fusion *f, bool flush, struct vg_err *err);
static int64_t seed_horizon_ns(const vg_fusion *f);
static int64_t radar_horizon_ns(const vg_fusion *f);

/* While nothing is held (no event yet: quiet hours), the recorded inputs
 * that can no longer make an event are dropped: arrivals the pool has
 * seeded out, radar reports past their wait (radar_horizon_ns: the same
 * wait as process()'s), clock moves before them. So
 * the record is bounded by the association window until the first event,
 * and by cold_hold_s after it. */
static void cold_trim(vg_fusion *f)
{
	if (f->n_held || f->n_lag || f->n_cin < f->cin_trim_at)
		return; /* an event formed (held, or waiting for its lag) keeps the record */
	int64_t H = seed_horizon_ns(f), H2 = radar_horizon_ns(f), now = f->clock_ns;
	/* every dead record goes, not only a leading run: one arrival stamped
	 * far ahead (a bad clock) must not keep the rest */
	uint32_t w = 0;
	for (uint32_t k = 0; k < f->n_cin; k++) {
		const struct cold_in *c = &f->cin[k];
		bool dead;
		if (c->kind == 0)
			dead = c->u.a.t_ns + H <= now;
		else if (c->kind == 1)
			dead = (!c->u.r.has_launch || c->u.r.launch.t_ns + H2 <= now) &&
			       (!c->u.r.has_impact || c->u.r.impact.t_ns + H2 <= now);
		else
			dead = true;
		if (!dead)
			f->cin[w++] = *c;
	}
	if (w < f->n_cin) {
		/* what the dropped inputs did stays counted (cold_replay) */
		f->st_trim = f->st;
		f->trimmed = true;
	}
	f->n_cin = w;
	f->cin_trim_at = f->n_cin * 2 > 4096 ? f->n_cin * 2 : 4096;
}

/* Agreement: associate everything since the start again with the agreed
 * medium. */
static vg_status cold_replay(vg_fusion *f, struct vg_err *err)
{
	struct cold_in *cin = f->cin;
	uint32_t n = f->n_cin;
	f->cin = NULL;
	cold_end(f);
	for (uint32_t i = 0; i < f->n_held; i++)
		free(f->held[i].ev);
	f->n_held = 0;
	lag_clear(f); /* formed in the window: the replay forms them again */
	int64_t now = f->clock_ns;
	/* Statistics: the inputs as pushed; the work of both passes; the
	 * outcomes of the trimmed inputs as they were at the last trim, plus
	 * those of the replay. */
	struct vg_fusion_stats st0 = f->st, base;
	if (f->trimmed)
		base = f->st_trim;
	else
		memset(&base, 0, sizeof base);
	memset(&f->st, 0, sizeof f->st);
	f->st.n_unassociated = base.n_unassociated;
	f->st.n_dropped = base.n_dropped;
	f->st.n_radar_refuted = base.n_radar_refuted;
	f->st.n_rejected = base.n_rejected;
	f->st.peak_pending = base.peak_pending;
	for (uint32_t i = 0; i < n; i++)
		f->st.n_cold_replayed += cin[i].kind <= 1;
	f->n_pend = 0;
	f->n_rad = 0;
	f->n_rec = 0;
	f->next_seq = 1;
	f->clock_ns = 0;
	f->emit_floor_ns = now;
	medium_set(f, &f->agreed, f->agreed_t_ns);
	/* the replay forms the agreeing event again and adds its evidence a
	 * second time: start from twice its covariance so that it counts once */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			f->med_P[i][j] *= 2;
	medium_sigmas(f);
	vg_log(VG_LOG_INFO, "fusion: the medium agreed by two clean events (c %.2f m/s, wind %.2f, %.2f "
	       "m/s); %u inputs associated again", f->med.c_mps, f->med.we_mps, f->med.wn_mps, n);
	vg_status s = VG_OK;
	for (uint32_t i = 0; i < n && !s; i++) {
		const struct cold_in *c = &cin[i];
		if (c->clock_ns > f->clock_ns)
			f->clock_ns = c->clock_ns;
		if (c->kind == 0)
			pool_insert(f, &c->u.a);
		else if (c->kind == 1)
			s = radar_append(f, &c->u.r, err);
		if (!s)
			s = process(f, c->kind == 2, err);
	}
	free(cin);
	if (now > f->clock_ns)
		f->clock_ns = now;
	f->st.n_impulse = st0.n_impulse;
	f->st.n_fire_obs = st0.n_fire_obs;
	f->st.n_ignored = st0.n_ignored;
	f->st.n_hypotheses += st0.n_hypotheses;
	f->st.n_fits += st0.n_fits;
	return s;
}

/* process(), then the cold start's decisions (release: a flush that ends
 * the input lets the held events go) */
static vg_status advance(vg_fusion *f, bool flush, bool release, struct vg_err *err)
{
	vg_status s = process(f, flush, err);
	if (s || !f->cold)
		return s;
	if (f->cold_agreed)
		return cold_replay(f, err);
	if ((flush && release) || f->n_cin >= COLD_MAX_INPUTS ||
	    (f->n_held && f->clock_ns - f->held[0].e.emitted_ns > (int64_t)(f->cfg.cold_hold_s * 1e9)))
		return cold_release(f, err);
	cold_trim(f);
	return VG_OK;
}

vg_status vg_fusion_push(vg_fusion *f, const struct vg_obs *obs, int64_t log_index, int64_t obs_id,
                         int64_t received_ns, struct vg_err *err)
{
	if (received_ns > f->clock_ns)
		f->clock_ns = received_ns;
	vg_status s = VG_OK;
	bool recorded = false;
	if (obs->kind == VG_OBS_IMPULSE) {
		f->st.n_impulse++;
		struct arr a;
		bool use;
		if ((s = make_arr(f, obs, log_index, obs_id, &a, &use, err)))
			return s;
		if (use) {
			if (f->cold && (s = cold_record(f, 0, &a, NULL, err)))
				return s;
			recorded = f->cold;
			pool_insert(f, &a);
		}
	} else if (obs->kind == VG_OBS_FIRE) {
		f->st.n_fire_obs++;
		struct radar r;
		if ((s = make_radar(f, obs, log_index, obs_id, &r, err)))
			return s;
		if (f->cold && (s = cold_record(f, 1, NULL, &r, err)))
			return s;
		recorded = f->cold;
		if ((s = radar_append(f, &r, err)))
			return s;
	}
	/* another kind moved the clock: the replay must see it move there too */
	if (f->cold && !recorded && (!f->n_cin || f->cin[f->n_cin - 1].clock_ns != f->clock_ns) &&
	    (s = cold_record(f, 3, NULL, NULL, err)))
		return s;
	return advance(f, false, false, err);
}

static vg_status flush_or_drain(vg_fusion *f, int64_t now_ns, bool release, struct vg_err *err)
{
	if (now_ns > f->clock_ns)
		f->clock_ns = now_ns;
	vg_status s;
	if (f->cold && (s = cold_record(f, 2, NULL, NULL, err)))
		return s;
	return advance(f, true, release, err);
}

vg_status vg_fusion_flush(vg_fusion *f, int64_t now_ns, struct vg_err *err)
{
	return flush_or_drain(f, now_ns, true, err);
}

vg_status vg_fusion_drain(vg_fusion *f, int64_t now_ns, struct vg_err *err)
{
	return flush_or_drain(f, now_ns, false, err);
}

void vg_fusion_get_stats(const vg_fusion *f, struct vg_fusion_stats *st)
{
	*st = f->st;
	st->n_cold_recorded = f->n_cin;
	st->c_mps = f->med.c_mps;
	st->c_sigma_mps = f->med.c_sigma_mps;
	st->we_mps = f->med.we_mps;
	st->wn_mps = f->med.wn_mps;
}

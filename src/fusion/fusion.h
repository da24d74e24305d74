/*
 * fusion.h - impulse fusion: associate acoustic/seismic arrivals into events,
 * locate them with an honest uncertainty, pair launches with impacts, and
 * join counter-battery radar reports (issue 5; docs/fusion.md).
 *
 * Two layers:
 *  1. The locator (vg_fusion_locate): a Bayesian nonlinear least-squares fit
 *     of source position, origin time and the medium (effective sound speed
 *     c and a uniform wind) to arrival times, bearings and direct position
 *     fixes, on the WGS84 ellipsoid (PROJ geodesics: right from 1 km to
 *     1,000 km). The medium enters through Gaussian priors, so the reported
 *     covariance includes the model error of the sound speed; one gross
 *     outlier (more if the fit has the redundancy) is rejected and reported.
 *  2. The stream (vg_fusion_*): observations pushed in receipt order; each
 *     event is emitted once no further arrival can join it. Method and
 *     references in associate.c.
 *
 * Units: positions WGS84 degrees, distances metres, times int64 ns since the
 * epoch (vg_time) or seconds as doubles relative to a stated reference,
 * angles degrees clockwise from true north, covariances m^2 (east, north).
 *
 * Determinism: the output depends only on the sequence of calls and their
 * arguments (no clock, no randomness, fixed summation orders, fixed float
 * formatting), so replaying a log gives byte-identical events.
 *
 * Memory: a vg_fusion holds the sensors, the arrivals still pending
 * association (bounded by cfg.max_pending: the association window), recent
 * events for pairing (bounded by the longest time of flight) and nothing
 * else: memory does not grow with the length of the run.
 *
 * Threads: a vg_fusion is used by one thread at a time; vg_fusion_locate and
 * the formatting functions are reentrant.
 */
#ifndef VG_FUSION_H
#define VG_FUSION_H

#include "codec/codec.h"
#include "core/core.h"

/* ---- The locator ---------------------------------------------------------- */

/* One measurement about a source. */
struct vg_fusion_meas {
	double lat_deg, lon_deg;      /* sensor position (for fixes: the fix) */
	bool has_time;                /* an arrival time */
	double t_s;                   /* arrival, s after the caller's reference */
	double sigma_s;               /* its total 1-sigma (pick, clock, survey/c) */
	bool has_bearing;             /* an array bearing (direction of arrival) */
	double bearing_deg, bearing_sigma_deg;
	bool is_fix;                  /* a direct position estimate of the source */
	double fix_sigma_m;           /* its circular 1-sigma per axis */
	/* optional, for speed: the position's ECEF (m) and sin/cos of lat and
	 * lon as the caller computed them once (has_ecef false: computed here;
	 * zero the struct before filling it) */
	bool has_ecef;
	double ecef[3], trig[4];
};

/* The medium: prior means and 1-sigmas (the model error of the speed).
 * With has_prec, the prior is the full Gaussian of (c, we, wn) whose
 * precision (inverse covariance) is prec, and the sigmas are its marginal
 * ones (used for gates and checks, not by the fit). */
struct vg_fusion_medium {
	double c_mps, c_sigma_mps;            /* effective sound speed */
	double we_mps, wn_mps, w_sigma_mps;   /* wind towards east / north, per-axis sigma */
	bool has_prec;
	double prec[3][3];                    /* (c, we, wn), (m/s)^-2 */
};

struct vg_fusion_fix {
	double lat_deg, lon_deg;
	double t0_s, t0_sigma_s;      /* origin time (relative); 0/0 with no arrival times */
	double cov_m2[2][2];          /* east, north */
	double c_mps, c_sigma_mps;    /* posterior medium */
	double we_mps, wn_mps;
	double medium_cov[3][3];      /* c, we, wn */
	double param_cov[6][6];       /* east, north, t0, c, we, wn (after scaling) */
	double chi2;                  /* of the used measurements (no priors) */
	int dof;                      /* used scalar measurements - free parameters */
	uint32_t n_used, n_rejected;
	uint32_t iterations;
	double scale;                 /* covariance inflation applied (>= 1) */
};

struct vg_fusion_locate_opts {
	uint32_t max_iter;            /* default 30 */
	uint32_t max_reject;          /* outliers that may be removed, default 1 */
	double outlier_sigma;         /* |residual| / sigma above this is an outlier, default 4.5 */
	bool inflate;                 /* scale the covariance by max(1, chi2/dof) (default true) */
	bool exact;                   /* finish with the exact geodesic (default true); false:
	                               * the fast ECEF chord geometry throughout (trial fits) */
};
void vg_fusion_locate_opts_default(struct vg_fusion_locate_opts *o);

/*
 * Locate a source from n measurements, starting at (lat0, lon0).
 * use[i] (in/out, may be NULL = all): on entry which measurements to use;
 * on return, measurements rejected as outliers are cleared.
 * resid[i] (may be NULL): the normalised residual (residual / sigma) of
 * each measurement at the solution (bearing: angle residual / sigma; fix:
 * distance / sigma), also for rejected ones.
 * VG_ERR_RANGE if the measurements do not determine a location (singular
 * information) or the fit does not converge. *out untouched on failure.
 */
vg_status vg_fusion_locate(const struct vg_fusion_meas *m, uint32_t n,
                           const struct vg_fusion_medium *prior, double lat0_deg, double lon0_deg,
                           const struct vg_fusion_locate_opts *opt, uint8_t *use, double *resid,
                           struct vg_fusion_fix *out, struct vg_err *err) VG_WUR;

/*
 * The error ellipse of a 2x2 covariance: 1-sigma semi-axes and the major
 * axis azimuth (degrees clockwise from north, in [0, 180)), and the radii
 * of the circles centred on the estimate holding 50 % and 90 % of the
 * bivariate normal's probability (numerical quadrature, relative error
 * below 1e-7 for any axis ratio; tested against the closed forms).
 */
void vg_fusion_ellipse(const double cov[2][2], double *smaj_m, double *smin_m, double *az_deg);
double vg_fusion_cep(const double cov[2][2], double p);

/* ---- The stream --------------------------------------------------------- */

enum vg_fusion_type {
	VG_FEV_LAUNCH = 1,
	VG_FEV_IMPACT = 2,
	VG_FEV_EXPLOSION = 3,  /* impulsive, launch or impact not decided */
};
const char *vg_fusion_type_name(int type);

struct vg_fusion_config {
	struct vg_fusion_medium medium;  /* configured medium (the prior of the first
	                                  * event): default c = 335 +- 10 m/s (about 8 degC
	                                  * +- 15 degC), wind 0 +- 5 m/s per component */
	bool track_medium;               /* learn the medium from located events (default true) */
	double medium_drift_mps_per_h;   /* random walk of the tracked medium, m/s per sqrt(h)
	                                  * (default 0.1) */
	double medium_rate_mps_per_h;    /* and its steepest ramp, m/s per h (default 1) */
	double max_range_m;              /* farthest detection considered (default 40 km) */
	double latency_max_s;            /* delivery delay bound for emission (default 20 s) */
	uint32_t min_arrivals;           /* arrival times needed for an event (default 8;
	                                  * at least 4: lower it for sparse networks) */
	uint32_t max_pending;            /* pending arrivals kept (default 200,000) */
	uint32_t max_candidates;         /* nearest sensors whose arrivals make hypotheses
	                                  * with the seed (default 4, at most 8) */
	uint32_t hypotheses;             /* source hypotheses (different places) refined per
	                                  * seed, best supported first (default 24, 1..64) */
	double chi2_p;                   /* fit acceptance: chi2 below its 1-chi2_p quantile
	                                  * (default 1e-4) */
	double radar_gate_chi2;          /* radar-event join gate (default 13.8, 2 dof p=0.999) */
	bool radar_only_events;          /* emit launches seen only by radar (default true) */
	double min_heard_frac;           /* silent-sensor test: of the impulse sensors nearer
	                                  * than the first quartile of the used ones, the fraction that must
	                                  * have reported (default 0.34; 0 disables) */
	double min_heard_median_frac;    /* the same within the median distance of the used
	                                  * sensors: of the impulse sensors that near, the
	                                  * fraction that must be in the event (default 0.7;
	                                  * 0 disables) */
	double cold_hold_s;              /* cold start: events are held until two clean events
	                                  * agree on the medium, then the window is associated
	                                  * again with it; held at most this long on the stream
	                                  * clock (default 900 s; 0 disables) */
	double smooth_lag_s;             /* fixed-lag smoothing: an event is held until the
	                                  * events heard up to this long after it have been
	                                  * formed, then located again with the medium they
	                                  * taught (its own evidence taken out); the events
	                                  * go out this much later (default 60 s; 0 disables) */
};
void vg_fusion_config_default(struct vg_fusion_config *c);

/* One measurement an event rests on. */
struct vg_fusion_evidence {
	int64_t log_index;    /* the observation's position in the log (-1: none) */
	int64_t obs_id;       /* store row id (0: none) */
	char sensor[VG_ID_MAX + 1];
	int64_t seq;
	uint8_t kind;         /* enum vg_obs_kind: impulse or fire */
	bool used;            /* false: rejected as an outlier */
	double resid;         /* normalised residual (time; bearing in .resid_bearing) */
	bool has_bearing;
	double resid_bearing;
};

struct vg_fusion_event {
	uint64_t seq;                 /* 1, 2, ... in emission order: id "e-%06llu" */
	int type;                     /* enum vg_fusion_type */
	int64_t t_ns;                 /* origin time */
	double time_sigma_s;
	double lat_deg, lon_deg;
	double cov_m2[2][2];
	double smaj_m, smin_m, az_deg;/* 1-sigma ellipse */
	double cep50_m, cep90_m;
	double c_mps, c_sigma_mps;    /* effective sound speed of the fit */
	double chi2;
	int dof;
	double p_launch;              /* from the arrivals' class hints */
	int cls;                      /* enum vg_object_class hypothesis (VG_CLS_UNKNOWN) */
	uint32_t cls_mask;            /* with a pair: every weapon class whose speed and range
	                               * fit it (bit 1 << cls; cls is the best fit), 0 none */
	uint64_t pair_seq;            /* impact: the launch event it pairs with (0: none) */
	double tof_s;                 /* time of flight of the pair */
	int64_t emitted_ns;           /* the stream clock when emitted */
	uint32_t n_toa, n_bearing, n_radar;
	uint32_t n_ev;
	const struct vg_fusion_evidence *ev; /* valid during the callback */
};

/* Called for each event, in emission order. A status other than VG_OK
 * stops the stream: vg_fusion_push / vg_fusion_flush return it. */
typedef vg_status (*vg_fusion_emit_fn)(void *ctx, const struct vg_fusion_event *ev,
                                       struct vg_err *err);

typedef struct vg_fusion vg_fusion;

/* *out owned by the caller: vg_fusion_free. */
vg_status vg_fusion_new(const struct vg_fusion_config *cfg, vg_fusion_emit_fn emit, void *ctx,
                        vg_fusion **out, struct vg_err *err) VG_WUR;
void vg_fusion_free(vg_fusion *f);

/* Register a sensor (registry position and sigmas); impulses from sensors
 * not registered and without a `pos` are ignored (counted). */
vg_status vg_fusion_sensor_add(vg_fusion *f, const struct vg_sensor *s, struct vg_err *err) VG_WUR;

/*
 * Push one observation (in receipt order; received_ns is the stream
 * clock and must not decrease). Impulse and fire kinds are used, others are
 * ignored. Events that became final are emitted from inside this call; an
 * error returned by the emit callback is returned.
 */
vg_status vg_fusion_push(vg_fusion *f, const struct vg_obs *obs, int64_t log_index,
                         int64_t obs_id, int64_t received_ns, struct vg_err *err) VG_WUR;

/* End of input: associate and emit everything still pending (the clock
 * advances to now_ns, or far enough if now_ns is 0); events held by the
 * cold start go out. */
vg_status vg_fusion_flush(vg_fusion *f, int64_t now_ns, struct vg_err *err) VG_WUR;

/* A pause in the input (a live service gone quiet): associate what is
 * pending as vg_fusion_flush does, but a cold start goes on - its events
 * stay held until the medium is agreed or the hold expires - so a run that
 * pauses gives the events of one that does not. */
vg_status vg_fusion_drain(vg_fusion *f, int64_t now_ns, struct vg_err *err) VG_WUR;

struct vg_fusion_stats {
	uint64_t n_impulse, n_fire_obs, n_ignored;
	uint64_t n_unassociated;       /* arrivals that joined no event */
	uint64_t n_dropped;            /* pending arrivals dropped at the cap */
	uint64_t n_events, n_launch, n_impact, n_explosion, n_paired, n_radar_joined,
		n_radar_only;
	uint64_t n_rejected;           /* outlier arrivals reported */
	uint64_t n_radar_refuted;      /* radar-only launches the acoustic network did not hear */
	uint64_t n_hypotheses, n_fits;
	uint64_t n_cold_replayed;      /* inputs associated again once the medium was agreed */
	uint64_t n_cold_released;      /* events held through a cold start that found no agreement */
	uint64_t n_cold_recorded;      /* inputs the cold start keeps now (bounded by the
	                                * association window until an event is held) */
	uint64_t n_smoothed;           /* events located again after the smoothing lag */
	uint32_t peak_pending;
	double c_mps, c_sigma_mps;     /* current medium estimate */
	double we_mps, wn_mps;
};
void vg_fusion_get_stats(const vg_fusion *f, struct vg_fusion_stats *st);

/*
 * The event as one NDJSON line (no newline) in the schema of
 * docs/scoring.md plus fusion's members (docs/fusion.md); members in a
 * fixed order, numbers with fixed decimals: deterministic bytes, fit for a
 * log entry. Returns the length, 0 if cap is too small.
 */
size_t vg_fusion_event_json(const struct vg_fusion_event *ev, char *out, size_t cap);

#endif

/*
 * sim.h - the scenario simulator and the scorer: the ruler Vigil is measured
 * with (DESIGN.md, "The simulator and the scorer").
 *
 * What this module owns
 *  - A scenario (JSON, docs/simulator.md) describes a front, forces, injected
 *    violations, sensors, environment and noise. vg_sim_run() turns it plus
 *    a seed into a directory of files:
 *      agreement.geojson     the agreement, geometry part (docs/agreement-format.md)
 *      sensors.ndjson        registry lines (vg_sensor_format), fresh keys
 *      keys/<sensor-id>.key  the sensors' secret keys (vg_key_write_secret,
 *                            mode 0600, directory 0700) so tests can sign more
 *      observations.ndjson   signed DSSE envelopes in the order they reach
 *                            Vigil (observed time + delivery latency; ties by
 *                            sensor index, then seq)
 *      truth.json            what really happened (docs/simulator.md)
 *  - The physics the simulator uses (sound speed, absorption, detection
 *    probability, pick error, Cramer-Rao bound) is exposed below so tests
 *    and planners can call it directly.
 *  - The scorer (vg_score_*) matches Vigil's events and findings one-to-one
 *    to a truth.json and computes the figures of docs/scoring.md.
 *
 * Determinism: the same scenario bytes, seed and build give byte-identical
 * output files, whatever the thread count. Every random draw comes from an
 * explicit vg_rng (xoshiro256**, seeded through splitmix64) derived from the
 * seed and a fixed stream number per component (per sensor: a hash of its
 * id, so adding a sensor leaves the others' reports alone); iteration
 * orders are fixed;
 * wall-clock time is never read except for vg_sim_stats timings.
 *
 * Memory: vg_sim_run holds the whole observation set as compact records
 * (112 bytes each, plus 8 for the two sort indexes) and the truth events
 * (about 500 bytes each), plus a bounded signing pipeline (two chunks of
 * 4,096 envelopes per thread); it fails with VG_ERR_LIMIT rather than
 * exceed vg_sim_options.max_observations.
 *
 * Thread safety: everything is reentrant; no global mutable state.
 * vg_crypto_init() must have been called (cli/ does).
 */
#ifndef VG_SIM_H
#define VG_SIM_H

#include "core/core.h"

#include <stdio.h>

/* ---- Random numbers ------------------------------------------------------ */

/*
 * xoshiro256** 1.0 (D. Blackman, S. Vigna, "Scrambled linear pseudorandom
 * number generators", ACM TOMS 47(4), 2021, doi:10.1145/3460772), state
 * filled from splitmix64 (G. Steele, D. Lea, C. Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014, doi:10.1145/2660193.2660195).
 * Each (seed, stream) pair gives an independent sequence. Plain data: copy
 * it to fork a sequence.
 */
struct vg_rng {
	uint64_t s[4];
};

void vg_rng_seed(struct vg_rng *r, uint64_t seed, uint64_t stream);
uint64_t vg_rng_next(struct vg_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double vg_rng_uniform(struct vg_rng *r);
/* Uniform in [lo, hi). */
double vg_rng_range(struct vg_rng *r, double lo, double hi);
/* Uniform integer in [0, n), n > 0 (Lemire's nearly-divisionless method). */
uint64_t vg_rng_below(struct vg_rng *r, uint64_t n);
/* Standard normal (Marsaglia polar method; consumes a variable number of draws). */
double vg_rng_normal(struct vg_rng *r);
/* Exponential with the given mean (> 0). */
double vg_rng_exponential(struct vg_rng *r, double mean);
/* Poisson with the given mean >= 0 (Knuth below 30, else normal
 * approximation rounded, clamped at 0). */
uint64_t vg_rng_poisson(struct vg_rng *r, double mean);

/* ---- Acoustic physics ---------------------------------------------------- */

/* Speed of sound in dry air, c = 331.3 * sqrt(1 + T/273.15) m/s. */
double vg_sim_sound_speed_mps(double temp_c);

/*
 * Atmospheric absorption coefficient in dB per metre for a pure tone of
 * f_hz at temperature temp_c, relative humidity rh_pct (0..100) and
 * pressure p_kpa: ISO 9613-1:1993 equations (3)-(5), the Bass et al. model
 * (J. Acoust. Soc. Am. 97, 680 (1995), doi:10.1121/1.412989).
 */
double vg_sim_absorption_db_per_m(double f_hz, double temp_c, double rh_pct, double p_kpa);

/* The propagation and detection model of one acoustic sensor. */
struct vg_sim_acoustic {
	double temp_c, rh_pct, p_kpa;
	double wind_east_mps, wind_north_mps; /* the wind vector (blowing towards) */
	double excess_db_per_km; /* ground and refraction loss beyond spreading+absorption */
	double fade_sigma_db;    /* log-normal fading of the received level, 1 sigma */
	double noise_db;         /* ambient noise level in the detection band */
	double threshold_db;     /* detection when SNR >= threshold */
	double pick_floor_s;     /* onset pick sigma at very high SNR */
	double pick_rise_s;      /* pick sigma = hypot(floor, rise / SNR_amplitude) */
};

/* Effective celerity (m/s) along a path leaving the source towards
 * azimuth az_deg (clockwise from north): c(T) + wind . u. */
double vg_sim_celerity_mps(const struct vg_sim_acoustic *m, double az_deg);
/* Transmission loss (dB) from 1 m to range_m: spherical spreading
 * 20 log10(r), absorption at f_hz, excess loss. range_m >= 1. */
double vg_sim_transmission_loss_db(const struct vg_sim_acoustic *m, double f_hz, double range_m);
/* Mean SNR (dB) of a source of level source_db (peak SPL at 1 m) at range_m. */
double vg_sim_snr_db(const struct vg_sim_acoustic *m, double source_db, double f_hz,
                     double range_m);
/* Detection probability P(SNR + fading >= threshold); falls monotonically
 * with range. */
double vg_sim_detect_prob(const struct vg_sim_acoustic *m, double source_db, double f_hz,
                          double range_m);
/* Onset pick sigma (s) at a given SNR (dB). */
double vg_sim_pick_sigma_s(const struct vg_sim_acoustic *m, double snr_db);

/* Geodesic distance (m) between two nearby points on WGS84, from the ECEF
 * chord with the arc correction d + d^3 / (24 R^2), R the radius of
 * curvature along the path (Euler): within 1 cm of Karney's geodesic up to
 * 200 km (tests/unit/test_sim_physics.c), and much cheaper. */
double vg_sim_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/* ---- Cramer-Rao lower bound of an impulsive event's location ------------- */

/*
 * Fisher information of a source in a local tangent plane, accumulated one
 * measurement at a time (S. M. Kay, "Fundamentals of Statistical Signal
 * Processing: Estimation Theory", Prentice Hall 1993, sec. 3.7; Gaussian
 * errors). Parameters: east x, north y (m), origin time t0 (s), and the
 * medium: celerity c (m/s) and a uniform wind (we, wn) (m/s).
 *  - arrival times: t_i = t0 + d_i / (c + w . u_i);
 *  - bearings: azimuth from the sensor to the wavefront's centre, which
 *    the wind carries to p + w tau;
 *  - positions: a direct estimate of p (counter-battery radar).
 * vg_sim_crlb_solve gives the bound with the medium known (the issue's
 * definition: timing and bearing sigmas only); vg_sim_crlb_solve_medium
 * the Bayesian bound (H. L. Van Trees, "Detection, Estimation, and
 * Modulation Theory, Part I", Wiley 1968, sec. 2.4) with the medium
 * estimated too, from Gaussian priors on c and on each wind component.
 */
enum { VG_CRLB_X, VG_CRLB_Y, VG_CRLB_T0, VG_CRLB_C, VG_CRLB_WE, VG_CRLB_WN, VG_CRLB_N };

struct vg_sim_crlb {
	double J[VG_CRLB_N][VG_CRLB_N];
	uint32_t n_toa, n_bearing, n_pos;
};

void vg_sim_crlb_init(struct vg_sim_crlb *c);
/* (ux, uy): unit vector from the source to the sensor; range_m: the path
 * length; c_mps: celerity along the path; sigma_s: the arrival's timing sigma. */
void vg_sim_crlb_add_toa(struct vg_sim_crlb *c, double ux, double uy, double range_m,
                         double c_mps, double sigma_s);
/* (dx, dy): vector from the sensor to the source (m); travel_s: the travel
 * time (the wind's lever); sigma_rad: the bearing sigma. */
void vg_sim_crlb_add_bearing(struct vg_sim_crlb *c, double dx, double dy, double travel_s,
                             double sigma_rad);
/* A direct position estimate with circular sigma_m per axis. */
void vg_sim_crlb_add_position(struct vg_sim_crlb *c, double sigma_m);
/*
 * Invert: *rms_m = sqrt(var_east + var_north), cov (may be NULL) the 2x2
 * position covariance (m^2). With no arrival times the origin time is not
 * a parameter. Returns false (outputs untouched) if the measurements do not
 * determine the location (a Cholesky pivot below 1e-10 of its diagonal).
 */
bool vg_sim_crlb_solve(const struct vg_sim_crlb *c, double *rms_m, double cov[2][2]);
bool vg_sim_crlb_solve_medium(const struct vg_sim_crlb *c, double sigma_c_mps,
                              double sigma_wind_mps, double *rms_m, double cov[2][2]);

/* ---- Scenarios and the run ----------------------------------------------- */

struct vg_sim_scenario; /* opaque: a parsed, validated scenario */

/*
 * Parse and validate a scenario (docs/simulator.md). Strict: duplicate
 * members, unknown members, wrong types and out-of-range values are
 * rejected with VG_ERR_JSON / VG_ERR_UNKNOWN_MEMBER / VG_ERR_TYPE /
 * VG_ERR_RANGE / VG_ERR_MISSING / VG_ERR_TIME and a message naming the
 * member path, e.g. "scenario.forces[1].units[0].fire.missions_per_h = -3:
 * must be >= 0". base_dir resolves relative file names (may be NULL).
 * *out is owned by the caller: vg_sim_scenario_free.
 */
vg_status vg_sim_scenario_parse(const char *text, size_t len, const char *base_dir,
                                struct vg_sim_scenario **out, struct vg_err *err) VG_WUR;
vg_status vg_sim_scenario_load(const char *path, struct vg_sim_scenario **out,
                               struct vg_err *err) VG_WUR;
void vg_sim_scenario_free(struct vg_sim_scenario *sc);
/* The scenario's name and span (for messages). */
const char *vg_sim_scenario_name(const struct vg_sim_scenario *sc);
int64_t vg_sim_scenario_start_ns(const struct vg_sim_scenario *sc);
int64_t vg_sim_scenario_duration_ns(const struct vg_sim_scenario *sc);

struct vg_sim_options {
	uint64_t seed;
	const char *out_dir;      /* created if missing; must be empty */
	unsigned threads;         /* signing threads, 1..64; 0 means 2 */
	int64_t duration_ns;      /* > 0: override the scenario's duration */
	uint64_t max_observations;/* 0 means 4,000,000 */
};

/* Counts (and timings, the only wall-clock reads) of one run. */
struct vg_sim_stats {
	uint64_t n_sensors;
	uint64_t n_obs;            /* envelopes written */
	uint64_t n_obs_kind[7];    /* indexed by enum vg_obs_kind (codec.h) */
	uint64_t n_obs_false;      /* of which false alarms / false reports */
	uint64_t n_launch, n_impact, n_fire_events;
	uint64_t n_violations;
	uint64_t n_tracks;
	uint64_t bytes_observations;
	double t_generate_s, t_write_s;
};

vg_status vg_sim_run(const struct vg_sim_scenario *sc, const struct vg_sim_options *opt,
                     struct vg_sim_stats *stats, struct vg_err *err) VG_WUR;

/* ---- The scorer (docs/scoring.md) ---------------------------------------- */

struct vg_score_options {
	double time_gate_s;     /* base time gate, default 5 s */
	double dist_floor_m;    /* sigma floor added to reported uncertainty, default 50 m */
	double dist_default_m;  /* gate radius when nothing is reported, default 1000 m */
	double dist_max_m;      /* absolute distance cap, default 5000 m */
	double gate_chi2;       /* Mahalanobis gate (2 dof), default 13.816 (p = 0.999) */
	double finding_slack_s; /* time-window tolerance for findings, default 600 s */
	double finding_dist_m;  /* finding distance gate, default 5000 m */
	double finding_colocated_m; /* withdrawal: a finding also finds the violations of
	                             * units whose weapons were this close to its place,
	                             * default 500 m; 0: one-to-one only */
};
void vg_score_options_default(struct vg_score_options *o);

/* IMPULSIVE: launch, impact and explosion together (what impulse fusion
 * makes; thermal fires come from other sensors) */
enum { VG_SCORE_EV_LAUNCH, VG_SCORE_EV_IMPACT, VG_SCORE_EV_EXPLOSION, VG_SCORE_EV_FIRE,
       VG_SCORE_EV_IMPULSIVE, VG_SCORE_EV_ALL, VG_SCORE_EV_COUNT_ };
enum { VG_SCORE_RULE_NO_FIRE, VG_SCORE_RULE_WITHDRAWAL, VG_SCORE_RULE_NO_FLY,
       VG_SCORE_RULE_DISENGAGEMENT, VG_SCORE_RULE_FORTIFICATION, VG_SCORE_RULE_ALL,
       VG_SCORE_RULE_COUNT_ };

struct vg_score_counts {
	uint64_t tp, fp, fn;
	double precision, recall, f1; /* NaN when undefined (0/0) */
};

/* Median and 90th percentile (nearest-rank) of a sample; n == 0: NaN. */
struct vg_score_dist {
	uint64_t n;
	double median, p90, mean;
};

/* Reliability of findings' stated p_party: one bin of [lo, hi) (the last
 * [0.99, 1.0], closed) over the matched findings with a party and p_party.
 * Stated probabilities below 0.5 (possible only with three or more parties)
 * fall in no bin. */
#define VG_SCORE_P_BINS 6
struct vg_score_pbin {
	double lo, hi;
	uint64_t n, right;   /* findings in the bin, of which with the right party */
	double mean_p;       /* mean stated p_party; NaN when n == 0 */
};

/* A violation no finding matched (the first VG_SCORE_MISSED_MAX of them, in
 * truth order): what it was, and whether a sensor observed it. */
#define VG_SCORE_MISSED_MAX 64
struct vg_score_missed {
	char id[65];              /* the truth's id ("" if none; longer ones cut) */
	char unit[65];            /* withdrawal: the unit ("" if none) */
	char cls[65];             /* its class ("" if none) */
	int rule;                 /* enum vg_score_rule */
	int64_t from_ns, until_ns;
	int64_t seen;             /* "detections" + "launches_heard"; -1 not stated */
};

struct vg_score_result {
	struct vg_score_counts events[VG_SCORE_EV_COUNT_];
	struct vg_score_counts rules[VG_SCORE_RULE_COUNT_];
	struct vg_score_dist loc_err_m;      /* matched impulsive events */
	struct vg_score_dist crlb_ratio;     /* error / CRLB RMS, where the CRLB exists */
	double efficiency;                   /* RMS(CRLB) / RMS(error), NaN if none */
	uint64_t cal_n, cal_in90;            /* matches with a reported 90% region */
	uint64_t attr_n, attr_ok;            /* event matches with a party */
	uint64_t fattr_n, fattr_ok;          /* finding matches with a party */
	uint64_t fattr2k_n, fattr2k_ok;      /* ... whose line_dist_m is over 2 km */
	uint64_t n_unscored;                 /* findings of rules the truth does not define */
	uint64_t n_colocated;                /* withdrawals found by the finding of another
	                                      * unit's weapons parked with theirs */
	double fattr_brier;                  /* mean (1 - p_party of the true party)^2 */
	struct vg_score_pbin fattr_bins[VG_SCORE_P_BINS]; /* reliability table of p_party */
	struct vg_score_dist latency_s;      /* event emitted - truth decided_at */
	struct vg_score_dist event_delay_s;  /* event emitted - truth event time */
	struct vg_score_dist finding_latency_s; /* finding emitted - violation start */
	uint64_t n_truth_events, n_out_events, n_truth_violations, n_findings;
	/* per rule: violations some sensor observed (truth "detections" > 0 or
	 * not stated) and how many of those were found */
	uint64_t seen_n[VG_SCORE_RULE_COUNT_], seen_tp[VG_SCORE_RULE_COUNT_];
	uint64_t n_missed;                   /* violations no finding matched */
	struct vg_score_missed missed[VG_SCORE_MISSED_MAX]; /* the first of them */
	bool scored_events, scored_findings; /* which inputs were given */
};

/*
 * Score events (NDJSON, may be NULL: nothing scored) and findings (NDJSON,
 * may be NULL) against truth.json. Input errors name the file, line and
 * member. *res is filled only on success.
 */
vg_status vg_score_files(const char *truth_path, const char *events_path,
                         const char *findings_path, const struct vg_score_options *opt,
                         struct vg_score_result *res, struct vg_err *err) VG_WUR;

/* The human table / the JSON document (one object, newline-terminated). */
void vg_score_print_table(const struct vg_score_result *res, FILE *f);
void vg_score_print_json(const struct vg_score_result *res, FILE *f);

#endif

/*
 * sim_int.h - private to src/sim/: the parsed scenario, the simulated world
 * and the observation records shared by scenario.c, world.c, observe.c,
 * output.c and run.c. Not part of the contract (that is sim.h).
 *
 * Frames. Positions are kept three ways:
 *  - lat/lon (WGS84 degrees): the truth, and what is written out;
 *  - ECEF (m): for distances and directions (physics.c);
 *  - a local "front frame" (x east, y north, metres) that is an affine map
 *    of lon/lat (x = (lon - lon0) k_lon, y = (lat - lat0) k_lat, with the
 *    meridian and normal radii of curvature at the origin). Affine means a
 *    straight lon/lat edge is a straight front-frame edge, so polygon
 *    membership tested here agrees with GEOS on the emitted GeoJSON. Its
 *    metric is only approximate (about 1 % at 50 km north or south of the
 *    origin), so it is used for placement and geometry, never for physics.
 *  - (s, v): the front frame rotated so that s runs along the contact
 *    line's general direction and v to its right (towards parties[1]).
 */
#ifndef VG_SIM_INT_H
#define VG_SIM_INT_H

#include "codec/codec.h"
#include "crypto/crypto.h"
#include "sim/sim.h"

#include <geodesic.h>
#include <string.h>

#define SIM_NAME_MAX 64
#define SIM_MAX_LIST 4096        /* elements in any scenario array */
#define SIM_MAX_SENSORS 20000
#define SIM_MAX_OBJECTS 200000
#define SIM_MAX_EVENTS 2000000
#define SIM_DEFAULT_MAX_OBS 4000000

struct sim_range {
	double lo, hi;
};

/* ---- Built-in tables ----------------------------------------------------- */

/* Per object class (codec.h enum vg_object_class): weapons and vehicles. */
struct sim_weapon {
	bool indirect;          /* an indirect-fire weapon (fires launches/impacts) */
	double launch_db;       /* peak SPL at 1 m of the launch (muzzle blast, motor) */
	double impact_db;       /* peak SPL at 1 m of the detonation */
	double freq_hz;         /* dominant frequency of the impulse (absorption) */
	double speed_mps;       /* mean speed over the trajectory (time of flight) */
	double min_range_km, max_range_km;
	double dispersion_m;    /* 1-sigma impact dispersion per axis */
	double withdrawal_km;   /* withdrawal distance from the line, 0 = none */
	double crater_m;        /* crater diameter */
	double fire_prob;       /* probability an impact starts a fire */
	double dud_prob;
	double length_m;        /* size of the object for imaging */
};

/* ---- The parsed scenario -------------------------------------------------- */

enum sim_place_mode { PLACE_BAND = 0, PLACE_POINT = 1, PLACE_HOLDING = 2, PLACE_FRONT = 3 };

/* Where something is. BAND: uniform in along x distance (km, distance > 0
 * into the own side for forces, signed offset for sensors); POINT: lat/lon;
 * FRONT: one along/distance point; HOLDING: inside a holding area. */
struct sim_place {
	int mode;
	struct sim_range along_km, dist_km;
	double lat, lon;
	int holding; /* index into front.holding */
};

struct sim_fire_spec {
	double missions_per_h;
	struct sim_range rounds;     /* rounds per weapon per mission */
	double interval_s;           /* between rounds of one weapon */
	struct sim_range target_km;  /* target depth across the line */
	int64_t from_ns, until_ns;
};

struct sim_unit_spec {
	char id[SIM_NAME_MAX];
	int party;
	int cls;
	uint32_t count, size;
	double spacing_m;
	struct sim_place place;
	struct sim_fire_spec fire;
	double moves_per_day, speed_kmh;
	struct sim_range move_km;
};

enum sim_viol_type { VIOL_FIRE = 0, VIOL_WITHDRAWAL = 1, VIOL_FORTIFICATION = 2 };

struct sim_viol_spec {
	int type;
	int party;
	int cls;
	int64_t at_ns, from_ns, until_ns;
	uint32_t count, rounds;
	struct sim_place place;
	double interval_s;
	struct sim_range target_km;
	double origin_km, speed_kmh, size_m;
};

struct sim_holding_spec {
	char id[SIM_NAME_MAX];
	int party;
	double along_km, dist_km, radius_km;
	uint32_t n_ring;       /* from an agreement file: the polygon (lon, lat), closed */
	double (*ring_ll)[2];
};

enum sim_layout { LAYOUT_GRID = 0, LAYOUT_RANDOM = 1, LAYOUT_LINE = 2, LAYOUT_POINTS = 3 };

struct sim_latency {
	double median_s, sigma_ln; /* log-normal */
};

struct sim_acoustic_spec {
	char prefix[SIM_NAME_MAX];
	char owner[VG_ID_MAX + 1];
	bool array;
	uint32_t count;
	int layout;
	struct sim_range along_km, offset_km;
	uint32_t n_points;
	double (*points)[2];        /* LAYOUT_POINTS: lat, lon */
	double timing_sigma_s, survey_sigma_m, noise_db, threshold_db;
	double false_per_h, outages_per_day, outage_mean_h, status_interval_s;
	double bad_clock_fraction;
	double bearing_floor_deg, bearing_rise_deg;
	struct sim_latency latency;
};

struct sim_radar_spec {
	char id[SIM_NAME_MAX];
	char owner[VG_ID_MAX + 1];
	struct sim_place place;
	bool has_facing;
	double facing_deg, sector_deg;
	struct sim_range range_km;
	double pd, launch_cep_frac, impact_cep_frac, class_correct, false_per_h;
	double track_s;
	struct sim_latency latency;
};

struct sim_drone_spec {
	char id[SIM_NAME_MAX];
	char owner[VG_ID_MAX + 1];
	struct sim_range along_km, offset_km;
	double speed_mps, alt_m, footprint_cross_m, footprint_along_m;
	double endurance_h, turnaround_h, first_launch_h;
	double pd, sigma_m, nav_sigma_m, class_correct, false_per_km2;
	double jam_per_h, jam_mean_min, loss_per_flight, frame_s, status_interval_s;
	struct sim_latency latency;
};

enum sim_sat_type { SAT_OPTICAL = 0, SAT_SAR = 1 };

struct sim_sat_spec {
	char id[SIM_NAME_MAX];
	char owner[VG_ID_MAX + 1];
	int type;
	double first_pass_h, revisit_h, resolution_m, geoloc_sigma_m;
	double scene_half_km, cloud_cell_km;
	double pd_vehicle, pd_fortification, false_per_1000km2;
	double class_correct;             /* > 0: classified detections of objects */
	double false_objects_per_1000km2; /* false classified detections */
	struct sim_range latency_h;
};

struct sim_firms_spec {
	bool enabled;
	char owner[VG_ID_MAX + 1];
	uint32_t n_sats;
	double overpass_local_h[2];
	double spacing_min, pixel_m, geoloc_sigma_m, frp_detect_mw, false_per_1000km2;
	double scene_half_km;
	struct sim_range latency_h;
};

struct sim_env {
	double temp_c, diurnal_c, rh_pct, p_kpa;
	double wind_mps, wind_from_deg;
	double cloud_prob;
	double noise_db, fade_sigma_db, excess_db_per_km, threshold_db;
	double pick_floor_s, pick_rise_s;
	double medium_temp_sigma_c, medium_wind_sigma_mps; /* priors of the medium CRLB */
	double confusion[3][4]; /* rows: launch, impact, false alarm; cols: vg_impulse_class */
	double background_fires_per_day;
	double fire_frp_median_mw, fire_frp_sigma_ln;
	double fire_duration_median_h, fire_duration_sigma_ln;
};

struct sim_front_spec {
	double lat, lon, azimuth_deg, length_km, depth_km;
	double meander_km, meander_wavelength_km, vertex_spacing_km, security_zone_km;
	uint32_t n_holding;
	struct sim_holding_spec *holding;
	/* front.agreement: the geometry comes from a file (docs/agreement-format.md). */
	bool loaded;
	char *file_bytes;      /* written back verbatim as agreement.geojson */
	size_t file_len;
	uint32_t n_line, n_side[2], n_zone;
	double (*line_ll)[2];  /* lon, lat */
	double (*side_ll[2])[2];
	double (*zone_ll)[2];  /* NULL: the file has no security zone */
};

struct vg_sim_scenario {
	char name[SIM_NAME_MAX];
	int64_t start_ns, duration_ns;
	struct {
		char name[128];
		int64_t effective_ns;
		char parties[2][VG_ID_MAX + 1]; /* [0] left of the line, [1] right */
		/* The agreement's rule set, passed through to agreement.geojson
		 * (compact JSON; NULL: none). The rules module validates it. */
		char *weapon_classes_json, *rules_json;
	} agreement;
	struct sim_front_spec front;
	struct sim_env env;
	struct sim_weapon weapons[VG_CLS_COUNT_];
	uint32_t n_units, n_viols, n_acoustic, n_radars, n_drones, n_sats;
	struct sim_unit_spec *units;
	struct sim_viol_spec *viols;
	struct sim_acoustic_spec *acoustic;
	struct sim_radar_spec *radars;
	struct sim_drone_spec *drones;
	struct sim_sat_spec *sats;
	struct sim_firms_spec firms;
};

/* Built-in weapon table (world.c), copied into each scenario then overridden. */
void sim_weapons_default(struct sim_weapon w[VG_CLS_COUNT_]);
/* Default environment (scenario.c), for tests. */
void sim_env_default(struct sim_env *env);

/* ---- The world ------------------------------------------------------------ */

struct sim_frame {
	double lat0, lon0, k_lat, k_lon; /* metres per degree at the origin */
	double sin_az, cos_az;           /* the front's general direction */
	double half_len_m;               /* s = 0 at the line's start, origin at its middle */
};

void sim_frame_init(struct sim_frame *f, double lat0, double lon0, double az_deg,
                    double half_len_m);
void sim_frame_to_ll(const struct sim_frame *f, double x, double y, double *lat, double *lon);
void sim_frame_from_ll(const struct sim_frame *f, double lat, double lon, double *x, double *y);
/* (s, v) <-> (x, y). */
void sim_frame_sv_to_xy(const struct sim_frame *f, double s, double v, double *x, double *y);
void sim_frame_xy_to_sv(const struct sim_frame *f, double x, double y, double *s, double *v);

/* A point with all its representations. */
struct sim_pos {
	double lat, lon, x, y;
	double ecef[3];
};
void sim_pos_from_xy(const struct sim_frame *f, double x, double y, struct sim_pos *p);
void sim_pos_from_ll(const struct sim_frame *f, double lat, double lon, struct sim_pos *p);

/* physics.c: ECEF and local east/north/up; distances. */
void sim_ecef(double lat_deg, double lon_deg, double h_m, double out[3]);
void sim_enu(double lat_deg, double lon_deg, const double d[3], double *e, double *n, double *u);
/* Surface distance from p1 (at lat1/lon1) to p2, and the east/north
 * components of the chord in p1's tangent plane (may be NULL). */
double sim_surface_distance(double lat1, const double p1[3], const double p2[3], double lon1,
                            double *east, double *north);

struct sim_waypoint {
	int64_t t_ns;
	double x, y;
};

/* A ground object (weapon or vehicle) and its piecewise-linear track. It
 * exists from wp[0].t_ns to wp[n_wp - 1].t_ns. */
struct sim_object {
	char id[SIM_NAME_MAX];
	int cls, party;
	uint32_t unit;
	uint32_t n_wp, cap_wp;
	struct sim_waypoint *wp;
};

struct sim_unit {
	char id[SIM_NAME_MAX];
	int cls, party;
	uint32_t first_obj, n_obj;
	int64_t present_from, present_until;
	int viol_spec;    /* injected violation spec index, -1 none */
};

enum sim_event_type { EV_LAUNCH = 1, EV_IMPACT = 2, EV_FIRE = 3 };

struct sim_event {
	int type, cls, party, side; /* party: who fired (-1 none); side: territory */
	int64_t t_ns, until_ns;     /* until: fires */
	struct sim_pos p;
	uint32_t unit, obj;         /* UINT32_MAX if none */
	uint32_t mission;           /* index into missions, UINT32_MAX if none */
	uint32_t pair;              /* the launch's impact / impact's launch, +1; 0 none */
	uint32_t id;                /* 1-based, in time order, after sorting */
	bool dud;
	double frp_mw;
	struct vg_sim_crlb crlb;
	uint32_t n_obs[8];          /* by sensor kind */
	int64_t arr3[3];            /* three earliest impulse arrivals at Vigil */
	int64_t fire_arrival;       /* earliest radar / thermal report at Vigil */
};

struct sim_mission {
	uint32_t unit;
	int party, cls;
	int64_t from_ns, until_ns;
	uint32_t first_launch; /* event ids are resolved after sorting */
	uint32_t n_rounds;
	double lat, lon;       /* the unit's position */
	bool injected;
};

enum sim_vrule { VR_NO_FIRE = 0, VR_WITHDRAWAL = 1, VR_FORTIFICATION = 2 };

struct sim_violation {
	int rule, party, cls;
	int64_t from_ns, until_ns;
	double lat, lon;
	double min_dist_km;   /* withdrawal: closest approach to the line */
	uint32_t ref;         /* mission / unit / fortification index */
	bool injected;
};

struct sim_fort {
	int party;
	int64_t t_ns;
	double x, y, size_m;
	struct sim_pos p;
	uint32_t n_seen; /* change reports of it made (the truth's "detections") */
};

enum sim_sensor_kind {
	SK_ACOUSTIC = 0, SK_ARRAY = 1, SK_RADAR = 2, SK_DRONE = 3, SK_SAT_OPTICAL = 4,
	SK_SAT_SAR = 5, SK_FIRMS = 6, SK_COUNT_ = 7
};

struct sim_sensor {
	char id[VG_ID_MAX + 1];
	char owner[VG_ID_MAX + 1];
	int kind, modality;
	uint32_t spec;                /* index into the scenario's list for the kind */
	struct sim_pos p;             /* true position (fixed sensors) */
	double reg_lat, reg_lon;      /* surveyed position in the registry */
	bool fixed;
	double timing_sigma_s, survey_sigma_m;
	double clock_offset_s, clock_jitter_s;
	bool bad_clock;
	double battery0_pct;
	uint32_t n_outage;
	int64_t (*outage)[2];
	struct vg_secret_key key;
};

/* One observation before formatting. */
struct sim_obs {
	int64_t t_send;     /* the sensor sends it */
	int64_t t_arrive;   /* it reaches Vigil (filled by the FIFO pass) */
	int64_t seq;
	float latency_s;
	uint32_t sensor;
	uint32_t ev;        /* event index + 1; 0 none */
	uint32_t obj;       /* detection of an object: its index + 1; 0 none (false or other) */
	uint32_t gen;       /* generation order: the final tie-break */
	uint8_t kind;       /* enum vg_obs_kind */
	uint8_t cls;
	uint8_t flags;
	uint8_t sub;        /* change type */
	union {
		struct {
			int64_t t;
			float sigma_s, bearing_deg, bearing_sigma_deg, snr_db;
		} imp;
		struct {
			int64_t t;
			double lat, lon, plat, plon;
			float sigma_m, conf, speed, heading, palt, psig;
		} det;
		struct {
			int64_t tl, ti;
			double llat, llon, ilat, ilon;
			float lcep, icep;
		} fire;
		struct {
			int64_t t;
			double lat, lon;
			float sigma_m, res, conf, frp;
			uint32_t poly, npoly; /* npoly 0: a point */
		} chg;
		struct {
			int64_t from, until;
			uint32_t poly, npoly;
		} cov;
		struct {
			int64_t t;
			double plat, plon;
			float batt, clock_sigma, palt, psig;
		} st;
	} u;
};

#define OBS_F_FALSE 0x01
#define OBS_F_BEARING 0x02
#define OBS_F_POS 0x04      /* mobile sensor position ("pos") */
#define OBS_F_HEADING 0x08
#define OBS_F_FRP 0x10
#define OBS_F_IMAGE 0x20    /* detection in one image: no platform pos, no speed */

struct sim_hold {
	double x, y, r_m;    /* centre and radius (bounding radius of a polygon) */
	int party;
	uint32_t n;
	double (*ll)[2];
	uint32_t n_xy;       /* > 0: membership by this front-frame polygon, not the circle */
	double (*xy)[2];
};

struct sim_world {
	const struct vg_sim_scenario *sc;
	uint64_t seed;
	int64_t t0, t1;
	struct sim_frame fr;
	struct geod_geodesic geod;

	/* The contact line (front frame and lon/lat), v(s) tabulated. */
	uint32_t n_line;
	double (*line_xy)[2];
	double (*line_sv)[2];
	double *line_cum;     /* arc length (front frame) to each vertex */
	int right_party;      /* the party whose side is to the right of the line's direction */
	double (*side_xy[2])[2];
	/* Polygons (lon, lat rings, closed) for the agreement. */
	uint32_t n_side[2], n_zone;
	double (*side_ll[2])[2];
	double (*zone_ll)[2];
	double (*zone_xy)[2];
	uint32_t n_hold;
	struct sim_hold *hold;

	uint32_t n_units, cap_units;
	struct sim_unit *units;
	uint32_t n_obj, cap_obj;
	struct sim_object *obj;
	uint32_t n_ev, cap_ev;
	struct sim_event *ev;
	uint32_t n_mis, cap_mis;
	struct sim_mission *mis;
	uint32_t n_viol, cap_viol;
	struct sim_violation *viol;
	uint32_t n_fort, cap_fort;
	struct sim_fort *fort;
	uint32_t n_sen, cap_sen;
	struct sim_sensor *sen;

	uint64_t max_obs;
	uint32_t n_obs, cap_obs;
	struct sim_obs *obs;
	uint32_t n_pts, cap_pts;
	double (*pts)[2]; /* polygon pool, lon/lat */

	uint64_t n_false;
};

/* Growth helper: ensure room for one more element. */
vg_status sim_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem, uint32_t max,
                   const char *what, struct vg_err *err) VG_WUR;
#define SIM_PUSH(w, arr, n, cap, max, what, err)                                          \
	sim_grow((void **)&(w)->arr, &(w)->cap, (w)->n, sizeof *(w)->arr, (max), (what), (err))

/* Stable merge sort of an index array (tmp: n scratch slots). */
void sim_sort_index(uint32_t *idx, size_t n, int (*cmp)(const void *, const void *, void *),
                    void *ctx, uint32_t *tmp);

/* world.c */
vg_status sim_world_build(struct sim_world *w, struct vg_err *err) VG_WUR;
void sim_world_release(struct sim_world *w);
/* Position of object o at t (front frame); false if it does not exist then. */
bool sim_object_at(const struct sim_object *o, int64_t t, double *x, double *y, double *speed_mps,
                   double *heading_deg);
/* The contact line's lateral offset v at along-position s (front frame). */
double sim_line_v(const struct sim_world *w, double s);
/* Azimuth (deg) from (x, y) across the contact line: the normal of the
 * line's chord over +-half_window_m around the nearest point, turned
 * towards the line. */
double sim_line_facing_deg(const struct sim_world *w, double x, double y, double half_window_m);
/* The party index (0, 1) of the side that holds front-frame point (x, y). */
int sim_side_of(const struct sim_world *w, double x, double y);
/* Geodesic distance (m) from a point to the contact line (docs/simulator.md). */
double sim_line_distance_m(const struct sim_world *w, double lat, double lon);
/* Front-frame position from along (arc length from the line's first vertex)
 * and distance (into party's side, or a signed offset to the right of the
 * line when party < 0), along the line's smoothed normal. */
void sim_place_front(const struct sim_world *w, int party, double along_km, double dist_km,
                     double *x, double *y);
/* Air temperature at t (diurnal cycle about the mean). */
double sim_temp_at(const struct sim_world *w, int64_t t);
/* Is (x, y) inside a holding area of the party? */
bool sim_in_holding(const struct sim_world *w, int party, double x, double y);
/* Add a polygon to the pool; returns its first index. */
vg_status sim_poly_add(struct sim_world *w, const double (*ll)[2], uint32_t n, uint32_t *first,
                       struct vg_err *err) VG_WUR;

/* sensors.c */
vg_status sim_sensors_build(struct sim_world *w, struct vg_err *err) VG_WUR;
/* observe.c */
vg_status sim_observe(struct sim_world *w, struct vg_err *err) VG_WUR;
/* output.c */
vg_status sim_write_all(struct sim_world *w, const struct vg_sim_options *opt,
                        struct vg_sim_stats *stats, struct vg_err *err) VG_WUR;

/* jsonw.c: deterministic number formatting for the writers. */
/* Fixed-point with `dec` decimals, trailing zeros trimmed, never "-0". */
size_t sim_fmt_fixed(char *buf, size_t cap, double x, int dec);

/* A growable output buffer with a hard cap (curl dynbuf style). */
struct sim_buf {
	char *p;
	size_t len, cap, max;
	bool oom;
};
void sim_buf_init(struct sim_buf *b, size_t max);
void sim_buf_release(struct sim_buf *b);
void sim_buf_put(struct sim_buf *b, const char *s, size_t n);
void sim_buf_puts(struct sim_buf *b, const char *s);
void sim_buf_printf(struct sim_buf *b, const char *fmt, ...) VG_PRINTF(2, 3);
void sim_buf_num(struct sim_buf *b, double x, int dec);
void sim_buf_time(struct sim_buf *b, int64_t t_ns);
/* A JSON string (ids and names: escapes quotes, backslash, controls). */
void sim_buf_str(struct sim_buf *b, const char *s);

/* Format one observation payload (the signed bytes) into b. */
void sim_obs_payload(const struct sim_world *w, const struct sim_obs *o, struct sim_buf *b);

/* Stream numbers for vg_rng_seed: one per component, fixed forever. */
enum {
	RS_FRONT = 1, RS_FORCES = 2, RS_MISSIONS = 3, RS_VIOLATIONS = 4, RS_FIRES = 5,
	RS_SENSOR_LAYOUT = 6, RS_ACOUSTIC_FA = 7, RS_KEYS = 8,
	RS_SENSOR_BASE = 1000 /* + hash of the sensor id */
};
/* A satellite's classified detections of one pass: RS_SAT_OBJECTS ^ (pass
 * << 48) ^ the sensor id's hash >> 16 (so its changes, drawn from the
 * sensor's own stream, do not depend on them). */
#define RS_SAT_OBJECTS (UINT64_C(1) << 63)

#endif

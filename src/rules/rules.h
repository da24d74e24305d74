/*
 * rules.h - the agreement as code: parse and validate an agreement
 * (docs/agreement-format.md), adjudicate observations and events against
 * its rules, and produce findings (docs/rules.md).
 *
 * Three layers:
 *  1. vg_agreement: a parsed, validated agreement. Geometry is checked with
 *     GEOS (valid, closed, CRS84, simple, sides do not overlap); rules are
 *     checked against the schema (every parameter, class and zone name);
 *     every error names the feature (index and id) or the rule and member.
 *     A broken agreement is never returned: nothing is adjudicated under it.
 *  2. vg_adjudicator: observations (decoded from the store, with their log
 *     indices) and events (fusion's NDJSON) are added in any order; run()
 *     applies the rules of the version in force at each item's time and
 *     returns findings sorted deterministically.
 *  3. Findings: formatting (NDJSON per docs/scoring.md, CSV with ACLED-like
 *     columns, GeoJSON) and parsing back for `vigil findings`.
 *
 * Units: positions WGS84 degrees, distances metres unless the member says
 * _km, times int64 ns since the epoch, covariances m^2 (east, north).
 *
 * Determinism: output depends only on the agreement and the set of inputs
 * (inputs are sorted before use; no clock, no randomness; fixed formats).
 *
 * Threads: an agreement is read-only after parsing except for its GEOS
 * prepared geometries, which are used by one thread at a time: use one
 * agreement per thread.
 */
#ifndef VG_RULES_H
#define VG_RULES_H

#include "codec/codec.h"
#include "core/core.h"
#include "geo/geo.h"
#include "store/store.h"

#include <stdio.h>

#define VG_AG_MAX_PARTIES 8
#define VG_AG_MAX_FEATURES 4096
#define VG_AG_MAX_RULES 256
#define VG_AG_MAX_VERSIONS 64
#define VG_AG_FILE_MAX (256u << 20) /* 256 MiB */

enum vg_rule_type {
	VG_RULE_NO_FIRE = 1,
	VG_RULE_WITHDRAWAL = 2,
	VG_RULE_NO_FLY = 3,
	VG_RULE_DISENGAGEMENT = 4,
	VG_RULE_NO_NEW_FORTIFICATION = 5,
	VG_RULE_ZONE_CAP = 6,
	VG_RULE_TYPE_COUNT_ = 7
};
const char *vg_rule_type_name(int type);
int vg_rule_type_parse(const char *s); /* -1 if unknown */

enum vg_feature_role {
	VG_ROLE_CONTACT_LINE = 1,
	VG_ROLE_REFERENCE_LINE = 2,
	VG_ROLE_SIDE = 3,
	VG_ROLE_ZONE = 4,
};

struct vg_ag_feature {
	char id[VG_ID_MAX + 1];
	int role;                    /* enum vg_feature_role */
	int party;                   /* index into parties, -1 if none */
	char zone[VG_ID_MAX + 1];    /* zone kind ("" if not a zone) */
	vg_geo_line *line;           /* contact_line, reference_line */
	vg_geo_area *area;           /* side, zone */
};

/* Classes as a bit mask over enum vg_object_class. */
typedef uint32_t vg_class_mask;
#define VG_CLASS_BIT(c) ((vg_class_mask)1u << (c))

/* zone_cap: at most max items of these classes (name as written). */
#define VG_AG_MAX_CAPS 16
struct vg_ag_cap {
	char name[VG_ID_MAX + 1];
	vg_class_mask classes;
	uint32_t max;
};

struct vg_ag_rule {
	char id[VG_ID_MAX + 1];
	int type;                           /* enum vg_rule_type */
	vg_class_mask classes;              /* withdrawal, no_fly, disengagement; zone_cap:
	                                       the union of its caps' classes */
	char class_name[VG_ID_MAX + 1];     /* as written (for findings) */
	double distance_m[VG_AG_MAX_PARTIES]; /* withdrawal, no_fly: per party */
	int ref_line[VG_AG_MAX_PARTIES];    /* feature index per party */
	int zone[16];                       /* zone feature indices */
	uint32_t n_zones;
	bool exempt_holding;                /* withdrawal: party's holding areas exempt */
	bool exempt_monitoring;             /* no_fly: UAV detections at a registered
	                                       monitoring drone's own position exempt */
	double min_duration_s;              /* withdrawal, disengagement: longer than T */
	uint32_t min_sightings;             /* presence rules: detections needed */
	double cluster_m;                   /* same place */
	double gap_s;                       /* same violation if seen again within */
	uint32_t types;                     /* no_fire: bit per event type (VG_EVT_*) */
	uint32_t min_items;                 /* no_fire: located reports a finding needs */
	/* zone_cap: the party bound by the caps; the place is r->zone (if
	 * n_zones) or the band [min_distance_m, distance_m[party]) from
	 * ref_line[party] on the party's side; fixed windows of window_ns
	 * from window_origin_ns; sightings of one sensor within frame_s are
	 * one frame, and two of them the same item if within 3 sigma plus
	 * speed_mps times their time apart. */
	int party;
	uint32_t n_caps;
	struct vg_ag_cap caps[VG_AG_MAX_CAPS];
	double min_distance_m;
	int64_t window_ns, window_origin_ns;
	double frame_s, speed_mps;
};

struct vg_ag_version {
	int version;
	int64_t effective_ns;
	uint32_t n_rules;
	struct vg_ag_rule *rules;
};

struct vg_weapon_class {
	char name[VG_ID_MAX + 1];
	vg_class_mask classes;
	uint32_t n_aliases;
	char (*aliases)[VG_ID_MAX + 1];
};

struct vg_agreement {
	char name[256];
	uint32_t n_parties;
	char parties[VG_AG_MAX_PARTIES][VG_ID_MAX + 1];
	uint32_t n_features;
	struct vg_ag_feature *features;
	int contact_line;                 /* feature index */
	int side[VG_AG_MAX_PARTIES];      /* side feature index per party (-1: none) */
	uint32_t n_versions;              /* >= 1, effective times increasing */
	struct vg_ag_version *versions;
	uint32_t n_classes;
	struct vg_weapon_class *classes;
};

/*
 * Parse and validate an agreement document (text of len bytes). Errors:
 * VG_ERR_JSON (syntax), VG_ERR_MISSING / VG_ERR_TYPE / VG_ERR_RANGE /
 * VG_ERR_TIME / VG_ERR_CLASS / VG_ERR_UNKNOWN_MEMBER with the member path
 * ("agreement.rules[2].distance_km"), VG_ERR_GEOMETRY with the feature
 * ("features[3] (id \"side-B\"): invalid polygon: Self-intersection at
 * [37.8, 48.1]"), VG_ERR_INCONSISTENT for overlapping sides, amendments
 * that predate the agreement, duplicate ids.
 */
vg_status vg_agreement_parse(const char *text, size_t len, struct vg_agreement **out,
                             struct vg_err *err) VG_WUR;
vg_status vg_agreement_load(const char *path, struct vg_agreement **out, struct vg_err *err) VG_WUR;
void vg_agreement_free(struct vg_agreement *ag);

/* The version in force at t (the latest with effective <= t), NULL before
 * the agreement's effective time. */
const struct vg_ag_version *vg_agreement_version_at(const struct vg_agreement *ag, int64_t t_ns);
int vg_agreement_party(const struct vg_agreement *ag, const char *name); /* -1 if unknown */
/* Resolve a class name: a codec object class, a weapon class of the
 * agreement, or an alias (case-insensitive). 0 if unknown. */
vg_class_mask vg_agreement_classes(const struct vg_agreement *ag, const char *name);

/* Where a point is: the party whose side contains it (-1: none), and the
 * geodesic distance to the contact line. */
struct vg_place {
	int side;
	double line_dist_m;
	double line_az_deg;          /* azimuth of the line at the closest point */
};
void vg_agreement_place(const struct vg_agreement *ag, double lat, double lon, struct vg_place *pl);
/* The side (party index) a point lies on, -1 none: vg_agreement_place's
 * side without the distance to the line. */
int vg_agreement_side(const struct vg_agreement *ag, double lat, double lon);

/* Attribution: p[i] = probability that the point lies on party i's side. */
void vg_agreement_attribute(const struct vg_agreement *ag, double lat, double lon,
                            const double cov_m2[2][2], double p[VG_AG_MAX_PARTIES]);

/* ---- Events (fusion's NDJSON, docs/scoring.md) ------------------------------ */

enum vg_event_type { VG_EVT_LAUNCH = 1, VG_EVT_IMPACT = 2, VG_EVT_EXPLOSION = 3, VG_EVT_FIRE = 4 };

struct vg_rule_event {
	char id[VG_ID_MAX + 1];
	int type;                    /* enum vg_event_type */
	int64_t t_ns;
	double lat_deg, lon_deg;
	double cov_m2[2][2];         /* from cov_m2, ellipse, cep90/cep50, else 50 m circular */
	int cls;                     /* enum vg_object_class, 0 if unknown */
	vg_class_mask classes;       /* every class the event may be ("classes": fusion's
	                              * weapon classes that fit its pair); else cls's bit */
	char pair[VG_ID_MAX + 1];    /* fusion's launch/impact partner ("pair"), "" none */
	uint32_t n_evidence;         /* log indices ("arrivals") */
	int64_t *evidence;           /* malloc'd; vg_rule_event_clear frees */
};
/* Parse one NDJSON event line. */
vg_status vg_rule_event_parse(const char *line, size_t len, struct vg_rule_event *out,
                              struct vg_err *err) VG_WUR;
void vg_rule_event_clear(struct vg_rule_event *ev);

/* ---- Findings --------------------------------------------------------------- */

enum vg_grade { VG_GRADE_POSSIBLE = 1, VG_GRADE_PROBABLE = 2, VG_GRADE_CONFIRMED = 3 };
const char *vg_grade_name(int g);
int vg_grade_parse(const char *s);

struct vg_finding {
	char id[24];
	int rule;                      /* enum vg_rule_type */
	char rule_id[VG_ID_MAX + 1];
	char party[VG_ID_MAX + 1];     /* "" if none */
	double p_party;
	int64_t from_ns, until_ns;
	double lat_deg, lon_deg;
	double cov_m2[2][2];
	double cep90_m;
	double line_dist_m;            /* geodesic distance to the contact line */
	char class_name[VG_ID_MAX + 1];
	uint32_t count;                /* weapons / rounds / events it stands for */
	bool has_cap;                  /* zone_cap: the cap count exceeded */
	uint32_t cap;
	int grade;
	int agreement_version;
	uint32_t n_sensors, n_owners, n_modalities;
	uint32_t n_events;
	char (*events)[VG_ID_MAX + 1];
	uint32_t n_evidence;
	int64_t *evidence;             /* observation log indices, ascending */
	/* the adjudicator's, for the id (not in the record): no_fire's items
	 * that placed it (launches, or a cluster's impacts, explosions,
	 * fires; not attached impacts), their type and lowest log index */
	int anchor_type;               /* enum vg_event_type, 0 none */
	int64_t anchor;
};

struct vg_findings {
	uint32_t n, cap;
	struct vg_finding *v;
};
void vg_findings_free(struct vg_findings *f);

/* Output. NDJSON (one line, docs/scoring.md schema), CSV (ACLED-like:
 * header by vg_finding_csv_header), GeoJSON Feature (no newline). */
void vg_finding_write_ndjson(FILE *f, const struct vg_finding *x);
/* The same line in memory, without the newline: *out malloc'd (free()),
 * *len its length (the record stored, published and served). */
vg_status vg_finding_record(const struct vg_finding *x, char **out, size_t *len,
                            struct vg_err *err) VG_WUR;
void vg_finding_csv_header(FILE *f);
void vg_finding_write_csv(FILE *f, const struct vg_finding *x);
void vg_finding_write_geojson_feature(FILE *f, const struct vg_finding *x);
/* Parse a line written by vg_finding_write_ndjson (unknown members ignored;
 * without cov_m2, a circular covariance from cep90_m, else of 50 m). */
vg_status vg_finding_parse(const char *line, size_t len, struct vg_finding *out,
                           struct vg_err *err) VG_WUR;
void vg_finding_clear(struct vg_finding *x);

/* ---- Adjudication ------------------------------------------------------------ */

typedef struct vg_adjudicator vg_adjudicator;

vg_status vg_adj_new(struct vg_agreement *ag, vg_adjudicator **out, struct vg_err *err) VG_WUR;
void vg_adj_free(vg_adjudicator *adj);
/* Sensors (for grades: owners and modalities). Add them before the
 * observations that name them: an observation of an unknown sensor counts
 * as evidence of no sensor. */
vg_status vg_adj_add_sensor(vg_adjudicator *adj, const char *id, const char *owner, int modality,
                            struct vg_err *err) VG_WUR;
/* An observation with its log index (-1 if none). Keeps what the rules use
 * (fire, detection, change, and the positions registered drones report of
 * themselves, for the no_fly exemption); ignores the rest. */
vg_status vg_adj_add_obs(vg_adjudicator *adj, int64_t log_index, const struct vg_obs *obs,
                         struct vg_err *err) VG_WUR;
/* Only the sensor of a log index (for events whose evidence names
 * observations the adjudicator was not given, e.g. impulses). */
vg_status vg_adj_add_log_sensor(vg_adjudicator *adj, int64_t log_index, const char *sensor,
                                struct vg_err *err) VG_WUR;
/* An external, unsigned thermal anomaly (FIRMS; store table
 * external_observations): a `fire` item for no_fire rules whose types
 * include "fire". id names it in findings' events ("firms-<row id>"). */
vg_status vg_adj_add_external_fire(vg_adjudicator *adj, const char *id, int64_t t_ns, double lat,
                                   double lon, double sigma_m, struct vg_err *err) VG_WUR;
/* An event (copied; evidence taken over: ev->evidence is set to NULL). */
vg_status vg_adj_add_event(vg_adjudicator *adj, struct vg_rule_event *ev, struct vg_err *err) VG_WUR;
/* Apply the rules (once per adjudicator); findings sorted by (from, rule,
 * rule_id, lat, lon, until, class). Ids ("f-" and 16 hex digits) come from
 * what a finding rests on (agreement version, rule, class, first
 * observation), not its place: a later run over a grown log gives an
 * unchanged finding the same id (adjudicate.c, finding_key_id). */
vg_status vg_adj_run(vg_adjudicator *adj, struct vg_findings *out, struct vg_err *err) VG_WUR;

/* ---- Real data --------------------------------------------------------------- */

/* Build an agreement from a control map: the contact line is the boundary of
 * `controlled` (GeoJSON geometry text, Polygon/MultiPolygon) inside
 * `country` (the country outline), minus the parts within tol_m of the
 * country's outline (coast, international border); sides are controlled ∩
 * country (party parties[0]) and country - controlled (parties[1]). Writes
 * the agreement GeoJSON to f. */
vg_status vg_agreement_from_control_map(const char *controlled, const char *country,
                                        const char *name, const char *party_in,
                                        const char *party_out, int64_t effective_ns, double tol_m,
                                        FILE *f, struct vg_err *err) VG_WUR;

/* ---- Coverage (coverage.c) -----------------------------------------------------
 * The footprints of the store's `coverage` observations whose time overlaps
 * [t0, t1], and the share of an area inside at least one footprint of a
 * sub-range: "was this area watched between t1 and t2?". */
struct vg_coverage;
vg_status vg_coverage_load(vg_store *st, int64_t t0_ns, int64_t t1_ns, struct vg_coverage **out,
                           struct vg_err *err) VG_WUR;
uint32_t vg_coverage_count(const struct vg_coverage *c);
/* Footprint i (< count): its closed lon/lat ring of *n vertices, counter-
 * clockwise (all in one orientation, for drawing their union). */
const double (*vg_coverage_ring(const struct vg_coverage *c, uint32_t i, uint32_t *n))[2];
/* Observed share in [0, 1] of a (and its area) by the footprints overlapping [t0, t1]. */
vg_status vg_coverage_share(const struct vg_coverage *c, const vg_geo_area *a, int64_t t0_ns,
                            int64_t t1_ns, double *share, double *area_km2,
                            struct vg_err *err) VG_WUR;
/* The same, counting only the footprints of sensors that identify weapons
 * (identifying: a drone, or a sensor that has reported a `detection`, over
 * the whole store) when identifying is set: what watches a withdrawal belt. */
vg_status vg_coverage_share_by(const struct vg_coverage *c, const vg_geo_area *a, int64_t t0_ns,
                               int64_t t1_ns, bool identifying, double *share, double *area_km2,
                               struct vg_err *err) VG_WUR;
void vg_coverage_free(struct vg_coverage *c);

/* A withdrawal belt: where a withdrawal rule forbids its classes for one
 * party, its side within distance_m of its reference line, its holding
 * areas left out if the rule exempts them (vg_geo_band_new). */
struct vg_belt {
	char rule_id[VG_ID_MAX + 1];
	int party;
	int version;        /* the agreement version it is of */
	double distance_m;
	vg_geo_area *area;
};
/* The belts of the withdrawal rules of the versions in force during [t0,
 * t1], one per rule id and party (the latest version's), in rule order. */
vg_status vg_agreement_belts(const struct vg_agreement *ag, int64_t t0_ns, int64_t t1_ns,
                             struct vg_belt **out, uint32_t *n, struct vg_err *err) VG_WUR;
void vg_belts_free(struct vg_belt *b, uint32_t n);

/* One NASA FIRMS active-fire row (VIIRS or MODIS CSV). */
struct vg_firms_row {
	double lat_deg, lon_deg;
	int64_t t_ns;                 /* acq_date + acq_time (UTC) */
	double frp_mw;
	double scan_km, track_km;     /* pixel size */
	char satellite[16], instrument[16], confidence[16];
	double sigma_m;               /* location 1-sigma from the pixel size */
	const char *raw;              /* the CSV row as read (valid during the callback) */
};
/* Parse a FIRMS CSV: calls fn per row (line numbers 2..). Columns found by
 * name in the header (latitude, longitude, acq_date, acq_time, frp, scan,
 * track, satellite, instrument, confidence; bright_ti4 or brightness). */
vg_status vg_firms_parse(FILE *in, const char *name,
                         vg_status (*fn)(void *ctx, const struct vg_firms_row *r, struct vg_err *e),
                         void *ctx, struct vg_err *err) VG_WUR;

#endif

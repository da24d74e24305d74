/*
 * codec.h - the sensor-facing formats: DSSE envelopes, observations (the six
 * kinds of DESIGN.md) and sensor registry entries. Parsing is strict; every
 * rejection carries a status (core.h) and a message naming the member path
 * and the value. docs/observation-format.md is the user-facing description
 * of what is accepted; this header is the programmer's.
 *
 * Memory: everything a parse returns that is not inline in the structs
 * (decoded payload, polygons, URIs) is allocated from the caller's arena and
 * lives until that arena is reset. Nothing else is allocated that outlives
 * the call. On failure the output structs are unspecified (not to be used),
 * and the arena may hold garbage up to its reset.
 *
 * Thread safety: all functions are reentrant; share nothing but read-only
 * tables.
 *
 * Limits (compile-time, documented in docs/observation-format.md):
 *   VG_LINE_MAX        65,535 bytes per NDJSON line (envelope or registry):
 *                      a stored envelope is one transparency-log entry, and
 *                      log entries are at most 65,535 bytes (RFC 9162 style
 *                      uint16 length prefix in C2SP entry bundles)
 *   VG_JSON_DEPTH_MAX  16 levels of nesting
 *   VG_POLY_MAX_PTS    1,024 vertices per polygon ring
 *   VG_ID_MAX          64 bytes for sensor ids and owners
 */
#ifndef VG_CODEC_H
#define VG_CODEC_H

#include "core/core.h"
#include "crypto/crypto.h"

#define VG_LINE_MAX 65535
#define VG_JSON_DEPTH_MAX 16
#define VG_POLY_MAX_PTS 1024
#define VG_POLY_MAX_SPAN_DEG 10.0   /* a footprint wider than this is refused */
#define VG_ID_MAX 64
#define VG_RELEASE_MAX 32           /* members in a releasability list */
#define VG_URI_MAX 2048
#define VG_PAYLOAD_TYPE "application/vnd.vigil.observation+json"

enum vg_obs_kind {
	VG_OBS_IMPULSE = 1,
	VG_OBS_DETECTION = 2,
	VG_OBS_FIRE = 3,
	VG_OBS_CHANGE = 4,
	VG_OBS_COVERAGE = 5,
	VG_OBS_STATUS = 6,
};

/* Impulse class hints. */
enum vg_impulse_class {
	VG_IMP_UNKNOWN = 0,
	VG_IMP_LAUNCH = 1,
	VG_IMP_IMPACT = 2,
	VG_IMP_EXPLOSION = 3,
};

/*
 * Object classes seen by drones, radars, satellites (detection.class,
 * fire.class). Agreements map their weapon classes and aliases onto these.
 * Values are stored; never renumber.
 */
enum vg_object_class {
	VG_CLS_UNKNOWN = 0,
	VG_CLS_ARTILLERY = 1,        /* tube artillery >= 100 mm */
	VG_CLS_ARTILLERY_LIGHT = 2,  /* tube artillery < 100 mm */
	VG_CLS_MORTAR = 3,
	VG_CLS_MLRS = 4,             /* 122 mm class (BM-21 Grad) */
	VG_CLS_MLRS_HEAVY = 5,       /* Uragan, Smerch, Tornado-S */
	VG_CLS_TACTICAL_MISSILE = 6, /* Tochka, Tochka-U, ... */
	VG_CLS_TANK = 7,
	VG_CLS_APC = 8,
	VG_CLS_IFV = 9,
	VG_CLS_AIR_DEFENCE = 10,
	VG_CLS_TRUCK = 11,
	VG_CLS_VEHICLE = 12,         /* vehicle, type not determined */
	VG_CLS_FIXED_WING = 13,
	VG_CLS_HELICOPTER = 14,
	VG_CLS_UAV = 15,
	VG_CLS_PERSONNEL = 16,
	VG_CLS_COUNT_ = 17
};

enum vg_change_type {
	VG_CHG_CRATER = 1,
	VG_CHG_VEHICLE = 2,
	VG_CHG_FORTIFICATION = 3,
	VG_CHG_THERMAL = 4,
	VG_CHG_DAMAGE = 5,
};

enum vg_modality {
	VG_MOD_ACOUSTIC = 1,
	VG_MOD_SEISMIC = 2,
	VG_MOD_INFRASOUND = 3,
	VG_MOD_ACOUSTIC_ARRAY = 4,
	VG_MOD_DRONE = 5,
	VG_MOD_RADAR = 6,
	VG_MOD_COUNTER_BATTERY = 7,
	VG_MOD_SATELLITE_OPTICAL = 8,
	VG_MOD_SATELLITE_SAR = 9,
	VG_MOD_EXTERNAL = 10,       /* unsigned external feeds (FIRMS, CoT) */
};

/* Names <-> enums. *_name returns NULL for out-of-range values;
 * *_parse returns -1 for unknown names. */
const char *vg_obs_kind_name(int kind);
int vg_obs_kind_parse(const char *s);
const char *vg_impulse_class_name(int c);
const char *vg_object_class_name(int c);
int vg_object_class_parse(const char *s);
const char *vg_change_type_name(int c);
const char *vg_modality_name(int m);
int vg_modality_parse(const char *s);

/* A polygon ring, closed (first vertex == last), vertices as lon,lat degrees
 * (GeoJSON order), valid (GEOS), 4..VG_POLY_MAX_PTS vertices. */
struct vg_polygon {
	uint32_t n;
	double (*pts)[2];
};

struct vg_fire_point {
	int64_t t_ns;
	double lat_deg, lon_deg;
	double cep_m;
};

/* A parsed, validated observation payload. */
struct vg_obs {
	int kind;               /* enum vg_obs_kind */
	char sensor[VG_ID_MAX + 1];
	int64_t seq;            /* >= 0 */
	int64_t t_ns;           /* the observed time: arrival/time/acquired/from */
	int64_t t_end_ns;       /* coverage: until; else == t_ns */

	/* Mobile sensors say where they were ("pos"); fixed ones do not. */
	bool has_sensor_pos;
	double sensor_lat_deg, sensor_lon_deg, sensor_alt_m, sensor_sigma_m;

	/* Where the observation is about, for the spatial index: the object
	 * (detection, fire launch and impact, change, coverage bbox, status
	 * position, impulse sensor_pos). has_bbox false: the store fills it from
	 * the registry (fixed sensor position) or leaves it unindexed. */
	bool has_bbox;
	double min_lat_deg, max_lat_deg, min_lon_deg, max_lon_deg;

	union {
		struct {
			double sigma_s;
			bool has_bearing;
			double bearing_deg, bearing_sigma_deg;
			bool has_snr;
			double snr_db;
			int cls;        /* enum vg_impulse_class */
		} impulse;
		struct {
			double lat_deg, lon_deg, sigma_m;
			bool has_alt;
			double alt_m;
			int cls;        /* enum vg_object_class */
			double class_conf;
			bool has_speed, has_heading;
			double speed_mps, heading_deg;
			bool has_evidence;
			uint8_t evidence_sha256[VG_SHA256_BYTES];
			const char *evidence_uri; /* arena */
		} detection;
		struct {
			bool has_launch, has_impact;
			struct vg_fire_point launch, impact;
			int cls;        /* enum vg_object_class, VG_CLS_UNKNOWN if absent */
		} fire;
		struct {
			int type;       /* enum vg_change_type */
			double resolution_m;
			bool has_confidence;
			double confidence;
			bool has_point;  /* else polygon */
			double lat_deg, lon_deg, sigma_m;
			struct vg_polygon poly;
			bool has_frp;
			double frp_mw;
		} change;
		struct {
			struct vg_polygon poly;
		} coverage;
		struct {
			bool alive;
			bool has_clock_sigma, has_battery;
			double clock_sigma_s, battery_pct;
		} status;
	} u;
};

/* A decoded DSSE envelope. payload points into the arena. */
struct vg_envelope {
	const uint8_t *payload;
	size_t payload_len;
	char keyid[VG_ID_MAX + 1];
	uint8_t sig[VG_SIG_BYTES];
};

/*
 * Decode one NDJSON line holding a DSSE envelope: length cap, UTF-8, strict
 * JSON (see vg_json_prescan), exactly the members payloadType, payload,
 * signatures (one element: keyid, sig), payloadType == VG_PAYLOAD_TYPE,
 * strict base64. Does not verify the signature.
 */
vg_status vg_envelope_decode(const char *line, size_t len, struct vg_arena *a,
                             struct vg_envelope *out, struct vg_err *err) VG_WUR;

/* Same, for envelopes of another payloadType (e.g. the log's registry
 * statements, VG_REGISTRY_PAYLOAD_TYPE in ingest/journal.h). */
vg_status vg_envelope_decode_type(const char *line, size_t len, const char *type,
                                  struct vg_arena *a, struct vg_envelope *out,
                                  struct vg_err *err) VG_WUR;

/*
 * The reference implementation of vg_envelope_decode_type: the same result
 * (status, message, output) on every input. The two above try a
 * hand-written parser of the one compact shape vg_envelope_encode writes
 * first (for speed: ingest decodes every line), and fall back to this one,
 * built on jansson, for anything else. Exposed for the tests and the
 * fuzzer that check the two agree.
 */
vg_status vg_envelope_decode_ref(const char *line, size_t len, const char *type,
                                 struct vg_arena *a, struct vg_envelope *out,
                                 struct vg_err *err) VG_WUR;

/*
 * DSSE pre-authentication encoding:
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * written into out (cap bytes); returns the length, or 0 if it does not fit.
 */
size_t vg_dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t *out, size_t cap);

/* Verify env->sig over PAE(VG_PAYLOAD_TYPE, payload) with pk. Uses a stack
 * buffer for payloads up to VG_LINE_MAX. */
bool vg_envelope_verify(const struct vg_envelope *env, const uint8_t pk[VG_PK_BYTES]);
/* Same over PAE(type, payload); type at most 100 bytes. */
bool vg_envelope_verify_type(const struct vg_envelope *env, const char *type,
                             const uint8_t pk[VG_PK_BYTES]);

/*
 * Sign payload as sensor keyid and write the envelope as one JSON line
 * (no newline) into out (cap bytes). Returns the length, 0 if it does not fit.
 * The member order is fixed, so output is deterministic.
 */
size_t vg_envelope_encode(const uint8_t *payload, size_t len, const char *keyid,
                          const struct vg_secret_key *key, char *out, size_t cap);

/*
 * Parse and validate an observation payload (the bytes inside the envelope).
 * Schema and ranges are in docs/observation-format.md. Member paths in
 * messages look like "impulse.sigma_s" or "coverage.polygon[3][1]".
 */
vg_status vg_obs_parse(const uint8_t *json, size_t len, struct vg_arena *a, struct vg_obs *out,
                       struct vg_err *err) VG_WUR;

/* vg_envelope_decode + vg_obs_parse + keyid == sensor check (VG_ERR_KEYID). */
vg_status vg_observation_decode(const char *line, size_t len, struct vg_arena *a,
                                struct vg_envelope *env, struct vg_obs *obs,
                                struct vg_err *err) VG_WUR;

/*
 * Lexical pre-check of JSON text, before any JSON library sees it:
 * nesting <= VG_JSON_DEPTH_MAX; numbers: no negative zero (-0, -0.0, -0e1),
 * at most 40 characters; strings: no raw control characters. Text outside
 * strings is not otherwise validated (the JSON parser does that).
 */
vg_status vg_json_prescan(const char *s, size_t len, struct vg_err *err) VG_WUR;

/* ---- Sensor registry entries ------------------------------------------ */

struct vg_sensor {
	char id[VG_ID_MAX + 1];      /* [A-Za-z0-9._:-]{1,64} */
	char owner[VG_ID_MAX + 1];   /* coalition member, same alphabet */
	int modality;                /* enum vg_modality */
	uint8_t pk[VG_PK_BYTES];
	bool has_pos;                /* fixed ground nodes */
	double lat_deg, lon_deg, alt_m, survey_sigma_m;
	bool has_timing;
	double timing_sigma_s;
	uint32_t n_release;          /* members allowed to read raw data; 0: owner only */
	char release[VG_RELEASE_MAX][VG_ID_MAX + 1];
	int64_t valid_from_ns;       /* INT64_MIN if unbounded */
	int64_t valid_until_ns;      /* INT64_MAX if unbounded */
	int64_t revoked_at_ns;       /* INT64_MAX if not revoked */
	bool has_last_seq;           /* store-maintained */
	int64_t last_seq;
};

/*
 * Parse one registry line:
 * {"id":"ac-0001","owner":"NOR","modality":"acoustic",
 *  "pubkey":"vigil-ed25519-public:<b64>",
 *  "pos":{"lat":48.1,"lon":37.7,"alt_m":120,"sigma_m":2},
 *  "timing_sigma_s":0.001,"releasability":["NOR","POL"],
 *  "valid_from":"2026-01-01T00:00:00Z","valid_until":"2027-01-01T00:00:00Z"}
 * pos, timing_sigma_s, releasability, valid_from, valid_until optional.
 * The public key is checked with vg_key_check_public.
 */
vg_status vg_sensor_parse(const char *line, size_t len, struct vg_sensor *out,
                          struct vg_err *err) VG_WUR;

/* Write the registry line for s into out; returns length, 0 if too small. */
size_t vg_sensor_format(const struct vg_sensor *s, char *out, size_t cap);

/* Valid sensor id / owner name. */
bool vg_id_valid(const char *s, size_t len);

#endif

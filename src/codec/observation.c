/*
 * observation.c - the observation payload: schema v1 of the six kinds
 * (DESIGN.md "Observation envelope"; docs/observation-format.md is the
 * reference for every member, unit and range used here).
 *
 * The parse is strict: every object lists its members, unknown ones are
 * refused, every number is range-checked, every time is RFC 3339. The
 * result is built in a local struct and copied out only on success.
 */
#include "codec/codec_json.h"
#include "geo/geo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_VERSION 1
#define COVERAGE_SPAN_MAX_NS (7 * 86400 * VG_NS_PER_S)

/* Ranges (documented in docs/observation-format.md, "Limits"). */
static const struct vg_cj_range R_LAT = {-90, 90, false, false};
static const struct vg_cj_range R_LON = {-180, 180, false, false};
static const struct vg_cj_range R_ALT_M = {-1000, 1e6, false, false};
static const struct vg_cj_range R_SIGMA_M = {0, 1e5, true, false};
static const struct vg_cj_range R_SIGMA_S = {0, 60, true, false};
static const struct vg_cj_range R_ANGLE = {0, 360, false, true};
static const struct vg_cj_range R_BEARING_SIGMA = {0, 180, true, false};
static const struct vg_cj_range R_SNR_DB = {-50, 200, false, false};
static const struct vg_cj_range R_UNIT = {0, 1, false, false};
static const struct vg_cj_range R_SPEED = {0, 1000, false, false};
static const struct vg_cj_range R_CEP_M = {0, 1e5, true, false};
static const struct vg_cj_range R_RESOLUTION_M = {0, 1e4, true, false};
static const struct vg_cj_range R_FRP_MW = {0, 1e5, false, false};
static const struct vg_cj_range R_PERCENT = {0, 100, false, false};
static const struct vg_cj_range R_CLOCK_SIGMA_S = {0, 3600, true, false};

static void bbox_point(struct vg_obs *o, double lat, double lon)
{
	o->has_bbox = true;
	o->min_lat_deg = o->max_lat_deg = lat;
	o->min_lon_deg = o->max_lon_deg = lon;
}

static void bbox_add(struct vg_obs *o, double lat, double lon)
{
	if (!o->has_bbox) {
		bbox_point(o, lat, lon);
		return;
	}
	o->min_lat_deg = fmin(o->min_lat_deg, lat);
	o->max_lat_deg = fmax(o->max_lat_deg, lat);
	o->min_lon_deg = fmin(o->min_lon_deg, lon);
	o->max_lon_deg = fmax(o->max_lon_deg, lon);
}

/* lat and lon members of obj (both required). */
static vg_status parse_latlon(json_t *obj, const char *path, double *lat, double *lon,
                              struct vg_err *err)
{
	vg_status st = vg_cj_real(obj, path, "lat", true, &R_LAT, lat, NULL, err);
	if (st)
		return st;
	return vg_cj_real(obj, path, "lon", true, &R_LON, lon, NULL, err);
}

/*
 * A GeoJSON linear ring [[lon, lat], ...] at obj[key] (present): shape,
 * numbers, ranges, size and span here; closure and OGC validity by
 * vg_geo_ring_check. Vertices go to the arena; the bbox is widened.
 */
static vg_status parse_polygon(json_t *obj, const char *path, const char *key,
                               struct vg_arena *a, struct vg_polygon *poly, struct vg_obs *o,
                               struct vg_err *err)
{
	char full[VG_CJ_PATH_MAX], el[VG_CJ_PATH_MAX], co[VG_CJ_PATH_MAX];
	vg_cj_path(full, path, key);
	json_t *v = json_object_get(obj, key);
	if (!json_is_array(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an array of [lon, lat], not %s", full,
		                  vg_cj_type_word(v));
	size_t n = json_array_size(v);
	if (n > VG_POLY_MAX_PTS)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: %zu vertices, over the limit of %d", full,
		                  n, VG_POLY_MAX_PTS);
	if (n < 4)
		return vg_err_set(err, VG_ERR_GEOMETRY,
		                  "%s: %zu vertices, a closed ring needs at least 4", full, n);
	double(*pts)[2] = vg_arena_alloc(a, n * sizeof *pts);
	if (!pts)
		return vg_err_set(err, VG_ERR_NOMEM, "%s: %zu vertices over the arena cap", full, n);
	double min_lat = 90, max_lat = -90, min_lon = 180, max_lon = -180;
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(v, i);
		vg_cj_path_index(el, full, i);
		if (!json_is_array(p) || json_array_size(p) != 2)
			return vg_err_set(err, VG_ERR_TYPE, "%s: must be [lon, lat], not %s%s", el,
			                  vg_cj_type_word(p),
			                  json_is_array(p) ? " of another length" : "");
		const struct vg_cj_range *r[2] = {&R_LON, &R_LAT};
		for (size_t k = 0; k < 2; k++) {
			vg_cj_path_index(co, el, k);
			vg_status st = vg_cj_number_value(json_array_get(p, k), co, &pts[i][k], err);
			if (st)
				return st;
			st = vg_cj_check_range(pts[i][k], co, r[k], err);
			if (st)
				return st;
		}
		min_lon = fmin(min_lon, pts[i][0]);
		max_lon = fmax(max_lon, pts[i][0]);
		min_lat = fmin(min_lat, pts[i][1]);
		max_lat = fmax(max_lat, pts[i][1]);
	}
	if (max_lon - min_lon > VG_POLY_MAX_SPAN_DEG || max_lat - min_lat > VG_POLY_MAX_SPAN_DEG) {
		char w[32], h[32];
		vg_cj_fmt_double(max_lon - min_lon, w);
		vg_cj_fmt_double(max_lat - min_lat, h);
		return vg_err_set(err, VG_ERR_GEOMETRY,
		                  "%s: spans %s degrees of longitude and %s of latitude, over the limit "
		                  "of %g",
		                  full, w, h, VG_POLY_MAX_SPAN_DEG);
	}
	struct vg_err ge;
	if (vg_geo_ring_check((const double(*)[2])pts, (uint32_t)n, &ge) != VG_OK)
		return vg_err_set(err, ge.status, "%s: %s", full, ge.msg);
	poly->n = (uint32_t)n;
	poly->pts = pts;
	bbox_add(o, min_lat, min_lon);
	bbox_add(o, max_lat, max_lon);
	return VG_OK;
}

/* "pos": where a mobile sensor was. */
static vg_status parse_pos(json_t *root, struct vg_obs *o, struct vg_err *err)
{
	json_t *p = NULL;
	vg_status st = vg_cj_object(root, "", "pos", false, &p, err);
	if (st || !p)
		return st;
	static const char *const members[] = {"lat", "lon", "alt_m", "sigma_m", NULL};
	st = vg_cj_members(p, "pos", members, err);
	if (!st)
		st = parse_latlon(p, "pos", &o->sensor_lat_deg, &o->sensor_lon_deg, err);
	if (!st)
		st = vg_cj_real(p, "pos", "alt_m", false, &R_ALT_M, &o->sensor_alt_m, NULL, err);
	if (!st)
		st = vg_cj_real(p, "pos", "sigma_m", false, &R_SIGMA_M, &o->sensor_sigma_m, NULL, err);
	if (st)
		return st;
	o->has_sensor_pos = true;
	return VG_OK;
}

static vg_status parse_impulse(json_t *b, struct vg_obs *o, struct vg_err *err)
{
	static const char *const members[] = {"arrival", "sigma_s", "bearing_deg",
	                                      "bearing_sigma_deg", "snr_db", "class", NULL};
	const char *P = "impulse";
	bool has_bsig = false;
	vg_status st = vg_cj_members(b, P, members, err);
	if (!st)
		st = vg_cj_time(b, P, "arrival", true, &o->t_ns, NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "sigma_s", true, &R_SIGMA_S, &o->u.impulse.sigma_s, NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "bearing_deg", false, &R_ANGLE, &o->u.impulse.bearing_deg,
		                &o->u.impulse.has_bearing, err);
	if (!st)
		st = vg_cj_real(b, P, "bearing_sigma_deg", false, &R_BEARING_SIGMA,
		                &o->u.impulse.bearing_sigma_deg, &has_bsig, err);
	if (st)
		return st;
	if (o->u.impulse.has_bearing && !has_bsig)
		return vg_err_set(err, VG_ERR_MISSING,
		                  "impulse: missing member \"bearing_sigma_deg\" (required with "
		                  "bearing_deg)");
	if (!o->u.impulse.has_bearing && has_bsig)
		return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER,
		                  "impulse.bearing_sigma_deg: only allowed with impulse.bearing_deg");
	st = vg_cj_real(b, P, "snr_db", false, &R_SNR_DB, &o->u.impulse.snr_db,
	                &o->u.impulse.has_snr, err);
	if (!st)
		st = vg_cj_enum(b, P, "class", true, &vg_cj_impulse_classes, &o->u.impulse.cls, NULL,
		                err);
	if (st)
		return st;
	if (o->has_sensor_pos)
		bbox_point(o, o->sensor_lat_deg, o->sensor_lon_deg);
	return VG_OK;
}

static vg_status parse_evidence(json_t *b, struct vg_arena *a, struct vg_obs *o,
                                struct vg_err *err)
{
	json_t *ev = NULL;
	const char *P = "detection.evidence";
	vg_status st = vg_cj_object(b, "detection", "evidence", false, &ev, err);
	if (st || !ev)
		return st;
	static const char *const members[] = {"sha256", "uri", NULL};
	const char *hex = NULL, *uri = NULL;
	size_t hex_len = 0, uri_len = 0;
	char q[96];
	st = vg_cj_members(ev, P, members, err);
	if (!st)
		st = vg_cj_string(ev, P, "sha256", true, &hex, &hex_len, NULL, err);
	if (!st)
		st = vg_cj_string(ev, P, "uri", true, &uri, &uri_len, NULL, err);
	if (st)
		return st;
	if (vg_hex_decode(hex, hex_len, o->u.detection.evidence_sha256, VG_SHA256_BYTES) != VG_OK) {
		vg_quote(hex, hex_len, q, sizeof q);
		return vg_err_set(err, VG_ERR_RANGE, "%s.sha256 = %s: must be 64 hex digits", P, q);
	}
	if (uri_len < 1 || uri_len > VG_URI_MAX) {
		vg_quote(uri, uri_len, q, sizeof q);
		return vg_err_set(err, VG_ERR_RANGE, "%s.uri = %s: %zu bytes, must be 1 to %d", P, q,
		                  uri_len, VG_URI_MAX);
	}
	for (size_t i = 0; i < uri_len; i++) {
		unsigned char c = (unsigned char)uri[i];
		if (c <= 0x20 || c >= 0x7f) {
			vg_quote(uri, uri_len, q, sizeof q);
			return vg_err_set(err, VG_ERR_RANGE,
			                  "%s.uri = %s: byte %zu is not printable ASCII (percent-encode it)",
			                  P, q, i);
		}
	}
	o->u.detection.evidence_uri = vg_arena_strndup(a, uri, uri_len);
	if (!o->u.detection.evidence_uri)
		return vg_err_set(err, VG_ERR_NOMEM, "%s.uri: over the arena cap", P);
	o->u.detection.has_evidence = true;
	return VG_OK;
}

static vg_status parse_detection(json_t *b, struct vg_arena *a, struct vg_obs *o,
                                 struct vg_err *err)
{
	static const char *const members[] = {"time",     "lat",        "lon",       "sigma_m",
	                                      "alt_m",    "class",      "class_conf", "speed_mps",
	                                      "heading_deg", "evidence", NULL};
	const char *P = "detection";
	vg_status st = vg_cj_members(b, P, members, err);
	if (!st)
		st = vg_cj_time(b, P, "time", true, &o->t_ns, NULL, err);
	if (!st)
		st = parse_latlon(b, P, &o->u.detection.lat_deg, &o->u.detection.lon_deg, err);
	if (!st)
		st = vg_cj_real(b, P, "sigma_m", true, &R_SIGMA_M, &o->u.detection.sigma_m, NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "alt_m", false, &R_ALT_M, &o->u.detection.alt_m,
		                &o->u.detection.has_alt, err);
	if (!st)
		st = vg_cj_enum(b, P, "class", true, &vg_cj_object_classes, &o->u.detection.cls, NULL,
		                err);
	if (!st)
		st = vg_cj_real(b, P, "class_conf", true, &R_UNIT, &o->u.detection.class_conf, NULL,
		                err);
	if (!st)
		st = vg_cj_real(b, P, "speed_mps", false, &R_SPEED, &o->u.detection.speed_mps,
		                &o->u.detection.has_speed, err);
	if (!st)
		st = vg_cj_real(b, P, "heading_deg", false, &R_ANGLE, &o->u.detection.heading_deg,
		                &o->u.detection.has_heading, err);
	if (!st)
		st = parse_evidence(b, a, o, err);
	if (st)
		return st;
	bbox_point(o, o->u.detection.lat_deg, o->u.detection.lon_deg);
	return VG_OK;
}

static vg_status parse_fire_point(json_t *b, const char *key, struct vg_fire_point *fp,
                                  bool *present, struct vg_err *err)
{
	json_t *p = NULL;
	char path[VG_CJ_PATH_MAX];
	vg_status st = vg_cj_object(b, "fire", key, false, &p, err);
	*present = p != NULL;
	if (st || !p)
		return st;
	vg_cj_path(path, "fire", key);
	static const char *const members[] = {"time", "lat", "lon", "cep_m", NULL};
	st = vg_cj_members(p, path, members, err);
	if (!st)
		st = vg_cj_time(p, path, "time", true, &fp->t_ns, NULL, err);
	if (!st)
		st = parse_latlon(p, path, &fp->lat_deg, &fp->lon_deg, err);
	if (!st)
		st = vg_cj_real(p, path, "cep_m", true, &R_CEP_M, &fp->cep_m, NULL, err);
	return st;
}

static vg_status parse_fire(json_t *b, struct vg_obs *o, struct vg_err *err)
{
	static const char *const members[] = {"launch", "impact", "class", NULL};
	vg_status st = vg_cj_members(b, "fire", members, err);
	if (!st)
		st = parse_fire_point(b, "launch", &o->u.fire.launch, &o->u.fire.has_launch, err);
	if (!st)
		st = parse_fire_point(b, "impact", &o->u.fire.impact, &o->u.fire.has_impact, err);
	if (st)
		return st;
	if (!o->u.fire.has_launch && !o->u.fire.has_impact)
		return vg_err_set(err, VG_ERR_MISSING, "fire: missing member \"launch\" or \"impact\"");
	o->u.fire.cls = VG_CLS_UNKNOWN;
	st = vg_cj_enum(b, "fire", "class", false, &vg_cj_object_classes, &o->u.fire.cls, NULL, err);
	if (st)
		return st;
	const struct vg_fire_point *l = &o->u.fire.launch, *i = &o->u.fire.impact;
	if (o->u.fire.has_launch && o->u.fire.has_impact && i->t_ns < l->t_ns) {
		char ts[VG_TIME_STR_MAX], ls[VG_TIME_STR_MAX];
		vg_time_format(i->t_ns, ts);
		vg_time_format(l->t_ns, ls);
		return vg_err_set(err, VG_ERR_TIME,
		                  "fire.impact.time = \"%s\": before fire.launch.time = \"%s\"", ts, ls);
	}
	if (o->u.fire.has_launch) {
		o->t_ns = l->t_ns;
		bbox_add(o, l->lat_deg, l->lon_deg);
	} else {
		o->t_ns = i->t_ns;
	}
	if (o->u.fire.has_impact)
		bbox_add(o, i->lat_deg, i->lon_deg);
	return VG_OK;
}

static vg_status parse_change(json_t *b, struct vg_arena *a, struct vg_obs *o, struct vg_err *err)
{
	static const char *const members[] = {"acquired", "type",    "resolution_m", "confidence",
	                                      "point",    "polygon", "frp_mw",       NULL};
	const char *P = "change";
	vg_status st = vg_cj_members(b, P, members, err);
	if (!st)
		st = vg_cj_time(b, P, "acquired", true, &o->t_ns, NULL, err);
	if (!st)
		st = vg_cj_enum(b, P, "type", true, &vg_cj_change_types, &o->u.change.type, NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "resolution_m", true, &R_RESOLUTION_M, &o->u.change.resolution_m,
		                NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "confidence", false, &R_UNIT, &o->u.change.confidence,
		                &o->u.change.has_confidence, err);
	if (!st)
		st = vg_cj_real(b, P, "frp_mw", false, &R_FRP_MW, &o->u.change.frp_mw,
		                &o->u.change.has_frp, err);
	if (st)
		return st;
	if (o->u.change.has_frp && o->u.change.type != VG_CHG_THERMAL)
		return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER,
		                  "change.frp_mw: only allowed with change.type \"thermal\"");

	json_t *point = json_object_get(b, "point");
	bool has_poly = json_object_get(b, "polygon") != NULL;
	if (!point && !has_poly)
		return vg_err_set(err, VG_ERR_MISSING, "change: missing member \"point\" or \"polygon\"");
	if (point && has_poly)
		return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER,
		                  "change.polygon: not allowed together with change.point");
	if (has_poly)
		return parse_polygon(b, P, "polygon", a, &o->u.change.poly, o, err);

	st = vg_cj_object(b, P, "point", true, &point, err);
	if (st)
		return st;
	static const char *const pmembers[] = {"lat", "lon", "sigma_m", NULL};
	st = vg_cj_members(point, "change.point", pmembers, err);
	if (!st)
		st = parse_latlon(point, "change.point", &o->u.change.lat_deg, &o->u.change.lon_deg,
		                  err);
	if (!st)
		st = vg_cj_real(point, "change.point", "sigma_m", true, &R_SIGMA_M,
		                &o->u.change.sigma_m, NULL, err);
	if (st)
		return st;
	o->u.change.has_point = true;
	bbox_point(o, o->u.change.lat_deg, o->u.change.lon_deg);
	return VG_OK;
}

static vg_status parse_coverage(json_t *b, struct vg_arena *a, struct vg_obs *o,
                                struct vg_err *err)
{
	static const char *const members[] = {"from", "until", "polygon", NULL};
	const char *P = "coverage";
	vg_status st = vg_cj_members(b, P, members, err);
	if (!st)
		st = vg_cj_time(b, P, "from", true, &o->t_ns, NULL, err);
	if (!st)
		st = vg_cj_time(b, P, "until", true, &o->t_end_ns, NULL, err);
	if (st)
		return st;
	/* Unsigned difference: from 1678 to 2262 overflows int64. */
	if (o->t_end_ns < o->t_ns ||
	    (uint64_t)o->t_end_ns - (uint64_t)o->t_ns > (uint64_t)COVERAGE_SPAN_MAX_NS) {
		char fs[VG_TIME_STR_MAX], us[VG_TIME_STR_MAX];
		vg_time_format(o->t_ns, fs);
		vg_time_format(o->t_end_ns, us);
		if (o->t_end_ns < o->t_ns)
			return vg_err_set(err, VG_ERR_TIME,
			                  "coverage.until = \"%s\": before coverage.from = \"%s\"", us, fs);
		return vg_err_set(err, VG_ERR_RANGE,
		                  "coverage.until = \"%s\": more than 7 days after coverage.from = "
		                  "\"%s\"",
		                  us, fs);
	}
	if (!json_object_get(b, "polygon"))
		return vg_err_set(err, VG_ERR_MISSING, "coverage: missing member \"polygon\"");
	return parse_polygon(b, P, "polygon", a, &o->u.coverage.poly, o, err);
}

static vg_status parse_status(json_t *b, struct vg_obs *o, struct vg_err *err)
{
	static const char *const members[] = {"time", "alive", "battery_pct", "clock_sigma_s", NULL};
	const char *P = "status";
	vg_status st = vg_cj_members(b, P, members, err);
	if (!st)
		st = vg_cj_time(b, P, "time", true, &o->t_ns, NULL, err);
	if (!st)
		st = vg_cj_bool(b, P, "alive", true, &o->u.status.alive, NULL, err);
	if (!st)
		st = vg_cj_real(b, P, "battery_pct", false, &R_PERCENT, &o->u.status.battery_pct,
		                &o->u.status.has_battery, err);
	if (!st)
		st = vg_cj_real(b, P, "clock_sigma_s", false, &R_CLOCK_SIGMA_S,
		                &o->u.status.clock_sigma_s, &o->u.status.has_clock_sigma, err);
	if (st)
		return st;
	if (o->has_sensor_pos)
		bbox_point(o, o->sensor_lat_deg, o->sensor_lon_deg);
	return VG_OK;
}

static vg_status parse_root(json_t *root, struct vg_arena *a, struct vg_obs *o, struct vg_err *err)
{
	if (!json_is_object(root))
		return vg_err_set(err, VG_ERR_TYPE, "payload: must be a JSON object, not %s",
		                  vg_cj_type_word(root));
	/* The version first: a newer schema may have members we do not know. */
	json_int_t v = 0;
	vg_status st = vg_cj_int(root, "", "v", true, VG_CJ_INT_MIN, VG_CJ_INT_MAX, &v, NULL,
	                         err);
	if (st)
		return st;
	if (v != SCHEMA_VERSION)
		return vg_err_set(err, VG_ERR_VERSION, "v = %lld: unsupported version (want %d)",
		                  (long long)v, SCHEMA_VERSION);
	static const char *const members[] = {"v",         "sensor", "seq",      "kind",
	                                      "pos",       "impulse", "detection", "fire",
	                                      "change",    "coverage", "status",   NULL};
	st = vg_cj_members(root, "", members, err);
	if (st)
		return st;
	st = vg_cj_id(root, "", "sensor", true, o->sensor, NULL, err);
	if (st)
		return st;
	json_int_t seq = 0;
	st = vg_cj_int(root, "", "seq", true, 0, VG_CJ_INT_MAX, &seq, NULL, err);
	if (st)
		return st;
	o->seq = (int64_t)seq;
	st = vg_cj_enum(root, "", "kind", true, &vg_cj_kinds, &o->kind, NULL, err);
	if (st)
		return st;
	const char *kname = vg_obs_kind_name(o->kind);
	for (int k = VG_OBS_IMPULSE; k <= VG_OBS_STATUS; k++) {
		const char *other = vg_obs_kind_name(k);
		if (k != o->kind && json_object_get(root, other))
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER,
			                  "%s: not allowed in an observation of kind \"%s\"", other, kname);
	}
	json_t *body = NULL;
	st = vg_cj_object(root, "", kname, true, &body, err);
	if (st)
		return st;
	st = parse_pos(root, o, err);
	if (st)
		return st;

	switch (o->kind) {
	case VG_OBS_IMPULSE: st = parse_impulse(body, o, err); break;
	case VG_OBS_DETECTION: st = parse_detection(body, a, o, err); break;
	case VG_OBS_FIRE: st = parse_fire(body, o, err); break;
	case VG_OBS_CHANGE: st = parse_change(body, a, o, err); break;
	case VG_OBS_COVERAGE: st = parse_coverage(body, a, o, err); break;
	case VG_OBS_STATUS: st = parse_status(body, o, err); break;
	default: vg_assert(!"kind parsed from the table");
	}
	if (st)
		return st;
	if (o->kind != VG_OBS_COVERAGE)
		o->t_end_ns = o->t_ns;
	return VG_OK;
}

vg_status vg_obs_parse(const uint8_t *json, size_t len, struct vg_arena *a, struct vg_obs *out,
                       struct vg_err *err)
{
	if (len == 0)
		return vg_err_set(err, VG_ERR_JSON, "payload: empty");
	if (len > VG_LINE_MAX)
		return vg_err_set(err, VG_ERR_LINE_TOO_LONG, "payload: %zu bytes, over the cap of %d",
		                  len, VG_LINE_MAX);
	json_t *root = NULL;
	vg_status st = vg_cj_load((const char *)json, len, "payload", &root, err);
	if (st)
		return st;
	struct vg_obs o;
	memset(&o, 0, sizeof o);
	st = parse_root(root, a, &o, err);
	json_decref(root);
	if (st)
		return st;
	*out = o;
	return VG_OK;
}

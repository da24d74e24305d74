/*
 * geojson.c - the shape of GeoJSON before GEOS reads it (geo.h).
 *
 * GEOS's GeoJSON reader (3.11, Debian 12) trusts the nesting of
 * "coordinates": a position of fewer than two numbers is read out of
 * bounds (found by fuzz/fuzz_agreement.c: a crash, not an error). Every
 * GeoJSON text Vigil hands to GEOS from outside (agreements, control maps,
 * country outlines) passes this check first, which also names the place
 * of the fault, something GEOS does not do. The check is ours because no
 * Debian library validates GeoJSON structure for C.
 */
#include "geo/geo.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_ 160
#define DEPTH_MAX 8

/* Paths longer than PATH_MAX_ are cut (the message still names the
 * start of the place). */
static void child(char *out, const char *p, size_t i)
{
	if (snprintf(out, PATH_MAX_, "%s[%zu]", p, i) >= PATH_MAX_)
		out[PATH_MAX_ - 1] = '\0';
}

/* p.name, or name at the root (p "") */
static void member(char *out, const char *p, const char *name)
{
	if (snprintf(out, PATH_MAX_, "%s%s%s", p, *p ? "." : "", name) >= PATH_MAX_)
		out[PATH_MAX_ - 1] = '\0';
}

/* A position: 2 or 3 finite numbers, longitude and latitude in CRS84
 * ranges (RFC 7946: GeoJSON is WGS 84 longitude, latitude). */
static vg_status position(json_t *a, const char *p, struct vg_err *err)
{
	if (!json_is_array(a))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: a position must be an array of numbers", p);
	size_t n = json_array_size(a);
	if (n < 2 || n > 3)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: a position needs 2 or 3 numbers, not %zu", p, n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s[%zu]: not a number", p, i);
	}
	double lon = json_number_value(json_array_get(a, 0)), lat = json_number_value(json_array_get(a, 1));
	if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s = [%.17g, %.17g]: not a CRS84 longitude, latitude", p,
		                  lon, lat);
	return VG_OK;
}

/* depth 0: a position; 1: positions (at least min0); 2: rings or lines;
 * 3: polygons. min: the least count at each level above positions. */
static vg_status coords(json_t *a, const char *p, int depth, const size_t *min, struct vg_err *err)
{
	if (depth == 0)
		return position(a, p, err);
	if (!json_is_array(a))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want an array", p);
	size_t n = json_array_size(a);
	const char *what = depth == 1 ? "positions" : depth == 2 ? "rings or lines" : "polygons";
	if (n && json_is_number(json_array_get(a, 0)))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: numbers where %s are wanted (nested too shallow)", p,
		                  what);
	if (n < min[depth - 1])
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: %zu %s, at least %zu wanted", p, n, what,
		                  min[depth - 1]);
	for (size_t i = 0; i < n; i++) {
		char q[PATH_MAX_];
		child(q, p, i);
		vg_status st = coords(json_array_get(a, i), q, depth - 1, min, err);
		if (st)
			return st;
	}
	return VG_OK;
}

static vg_status object(json_t *o, const char *p, int level, struct vg_err *err);

/* A collection's array of objects (features, geometries), one level down. */
static vg_status members(json_t *o, const char *p, const char *name, int level, struct vg_err *err)
{
	char q[PATH_MAX_];
	member(q, p, name);
	json_t *a = json_object_get(o, name);
	if (!json_is_array(a))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want an array", q);
	for (size_t i = 0; i < json_array_size(a); i++) {
		char r[PATH_MAX_];
		child(r, q, i);
		vg_status st = object(json_array_get(a, i), r, level + 1, err);
		if (st)
			return st;
	}
	return VG_OK;
}

static vg_status geometry(json_t *o, const char *type, const char *p, int level, struct vg_err *err)
{
	/* least counts per level (positions, then rings/lines, then polygons) */
	static const struct {
		const char *type;
		int depth;
		size_t min[3];
	} kinds[] = {
		{"Point", 0, {0, 0, 0}},         {"MultiPoint", 1, {1, 0, 0}},
		{"LineString", 1, {2, 0, 0}},    {"MultiLineString", 2, {2, 1, 0}},
		{"Polygon", 2, {4, 1, 0}},       {"MultiPolygon", 3, {4, 1, 1}},
	};
	char q[PATH_MAX_];
	if (!strcmp(type, "GeometryCollection"))
		return members(o, p, "geometries", level, err);
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		if (!strcmp(type, kinds[k].type)) {
			member(q, p, "coordinates");
			json_t *c = json_object_get(o, "coordinates");
			if (!c)
				return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing", q);
			return coords(c, q, kinds[k].depth, kinds[k].min, err);
		}
	member(q, p, "type");
	return vg_err_set(err, VG_ERR_GEOMETRY, "%s = \"%.32s\": not a GeoJSON geometry type", q, type);
}

static vg_status object(json_t *o, const char *p, int level, struct vg_err *err)
{
	if (level > DEPTH_MAX)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: nested more than %d deep", p, DEPTH_MAX);
	if (!json_is_object(o))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want a GeoJSON object", *p ? p : "the text");
	char q[PATH_MAX_];
	const char *type = json_string_value(json_object_get(o, "type"));
	if (!type) {
		member(q, p, "type");
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing or not a string", q);
	}
	if (!strcmp(type, "FeatureCollection"))
		return members(o, p, "features", level, err);
	if (!strcmp(type, "Feature")) {
		member(q, p, "geometry");
		json_t *g = json_object_get(o, "geometry");
		if (!g || json_is_null(g))
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing (a feature without a place)", q);
		return object(g, q, level + 1, err);
	}
	return geometry(o, type, p, level, err);
}

vg_status vg_geo_geojson_check(const char *text, size_t len, const char *root, struct vg_err *err)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!doc)
		return vg_err_set(err, VG_ERR_GEOMETRY, "line %d column %d: %s", je.line, je.column, je.text);
	vg_status st = object(doc, root ? root : "", 0, err);
	json_decref(doc);
	return st;
}

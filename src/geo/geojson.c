/*
 * geojson.c - the shape of GeoJSON before GEOS reads it (geo.h).
 *
 * GEOS's GeoJSON reader (3.11, Debian 12) trusts the nesting of
 * "coordinates": a position of fewer than two numbers is read out of
 * bounds (found by fuzz/fuzz_agreement.c: a crash, not an error); it
 * refuses any altitude, and its other refusals (a ring not closed, a
 * Feature where a geometry belongs) name neither the place nor the cause.
 * Every GeoJSON text Vigil hands to GEOS from outside (agreements, control
 * maps, country outlines) passes this check first and GEOS reads the text
 * it returns: the same document in two dimensions. The check is ours
 * because no Debian library validates GeoJSON structure for C.
 */
#include "geo/geo.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* With at most DEPTH_MAX levels of collections, a path of members and
 * 20-digit indices fits in PATH_MAX_: messages are never cut. */
#define PATH_MAX_ 512
#define DEPTH_MAX 8

static void child(char *out, const char *p, size_t i)
{
	snprintf(out, PATH_MAX_, "%.400s[%zu]", p, i);
}

/* p.name, or name at the root (p "") */
static void member(char *out, const char *p, const char *name)
{
	snprintf(out, PATH_MAX_, "%.400s%s%.64s", p, *p ? "." : "", name);
}

/* A position: 2 or 3 finite numbers, longitude and latitude in CRS84
 * ranges (RFC 7946: GeoJSON is WGS 84 longitude, latitude); an altitude is
 * dropped (Vigil works in two dimensions; GEOS 3.11 would refuse it). */
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
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s = [%.12g, %.12g]: not a CRS84 longitude, latitude", p,
		                  lon, lat);
	if (n == 3 && json_array_remove(a, 2))
		return vg_err_set(err, VG_ERR_NOMEM, "%s", p);
	return VG_OK;
}

/* depth 0: a position; 1: positions; 2: rings or lines; 3: polygons.
 * min[d - 1]: the least count at level d (the outermost may differ: top).
 * ring: at depth 1, the positions are a ring (closed). */
static vg_status coords(json_t *a, const char *p, int depth, const size_t *min, size_t top, bool ring,
                        struct vg_err *err)
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
	if (n < top)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: %zu %s, at least %zu wanted", p, n, what, top);
	for (size_t i = 0; i < n; i++) {
		char q[PATH_MAX_];
		child(q, p, i);
		vg_status st =
		    coords(json_array_get(a, i), q, depth - 1, min, depth > 1 ? min[depth - 2] : 0, ring, err);
		if (st)
			return st;
	}
	if (depth == 1 && ring) {
		json_t *f = json_array_get(a, 0), *l = json_array_get(a, n - 1);
		double f0 = json_number_value(json_array_get(f, 0)), f1 = json_number_value(json_array_get(f, 1)),
		       l0 = json_number_value(json_array_get(l, 0)), l1 = json_number_value(json_array_get(l, 1));
		if (f0 != l0 || f1 != l1)
			return vg_err_set(err, VG_ERR_GEOMETRY,
			                  "%s: a ring not closed (first position [%.12g, %.12g], last [%.12g, %.12g])",
			                  p, f0, f1, l0, l1);
	}
	return VG_OK;
}

enum kind { K_ANY, K_FEATURE, K_GEOMETRY };

static vg_status object(json_t *o, const char *p, int level, enum kind want, struct vg_err *err);

/* A collection's array of objects (features, geometries), one level down. */
static vg_status members(json_t *o, const char *p, const char *name, int level, enum kind want,
                         struct vg_err *err)
{
	char q[PATH_MAX_];
	member(q, p, name);
	json_t *a = json_object_get(o, name);
	if (!json_is_array(a))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want an array", q);
	for (size_t i = 0; i < json_array_size(a); i++) {
		char r[PATH_MAX_];
		child(r, q, i);
		vg_status st = object(json_array_get(a, i), r, level + 1, want, err);
		if (st)
			return st;
	}
	return VG_OK;
}

static vg_status geometry(json_t *o, const char *type, const char *p, int level, struct vg_err *err)
{
	/* depth of the coordinates; least counts of positions, of rings or
	 * lines, of polygons (an empty Multi* or Polygon is allowed, as in
	 * RFC 7946; a line needs 2 positions, a ring 4) */
	static const struct {
		const char *type;
		int depth;
		size_t min[3], top;
		bool ring;
	} kinds[] = {
		{"Point", 0, {0, 0, 0}, 0, false},      {"MultiPoint", 1, {0, 0, 0}, 0, false},
		{"LineString", 1, {2, 0, 0}, 2, false}, {"MultiLineString", 2, {2, 0, 0}, 0, false},
		{"Polygon", 2, {4, 0, 0}, 0, true},     {"MultiPolygon", 3, {4, 1, 0}, 0, true},
	};
	char q[PATH_MAX_];
	if (!strcmp(type, "GeometryCollection"))
		return members(o, p, "geometries", level, K_GEOMETRY, err);
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		if (!strcmp(type, kinds[k].type)) {
			member(q, p, "coordinates");
			json_t *c = json_object_get(o, "coordinates");
			if (!c)
				return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing", q);
			return coords(c, q, kinds[k].depth, kinds[k].min, kinds[k].top, kinds[k].ring, err);
		}
	member(q, p, "type");
	return vg_err_set(err, VG_ERR_GEOMETRY, "%s = \"%.32s\": not a GeoJSON geometry type", q, type);
}

static vg_status object(json_t *o, const char *p, int level, enum kind want, struct vg_err *err)
{
	if (level > DEPTH_MAX)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: nested more than %d deep", p, DEPTH_MAX);
	if (!json_is_object(o))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want a GeoJSON object", *p ? p : "the text");
	char q[PATH_MAX_];
	const char *type = json_string_value(json_object_get(o, "type"));
	member(q, p, "type");
	if (!type)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing or not a string", q);
	bool fc = !strcmp(type, "FeatureCollection"), feat = !strcmp(type, "Feature");
	if (want == K_GEOMETRY && (fc || feat))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s = \"%s\": a geometry is wanted here", q, type);
	if (want == K_FEATURE && !feat)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s = \"%.32s\": a Feature is wanted here", q, type);
	if (fc)
		return members(o, p, "features", level, K_FEATURE, err);
	if (feat) {
		member(q, p, "geometry");
		json_t *g = json_object_get(o, "geometry");
		if (!g || json_is_null(g))
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s: missing (a feature without a place)", q);
		return object(g, q, level + 1, K_GEOMETRY, err);
	}
	return geometry(o, type, p, level, err);
}

vg_status vg_geo_geojson_check(const char *text, size_t len, bool geometry_only, char **out,
                               struct vg_err *err)
{
	if (out)
		*out = NULL;
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!doc)
		return vg_err_set(err, VG_ERR_GEOMETRY, "line %d column %d: %s", je.line, je.column, je.text);
	vg_status st = object(doc, "", 0, geometry_only ? K_GEOMETRY : K_ANY, err);
	if (!st && out) {
		/* reals to 17 significant digits: each reads back as the same double */
		*out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (!*out)
			st = vg_err_set(err, VG_ERR_NOMEM, "GeoJSON text");
	}
	json_decref(doc);
	return st;
}

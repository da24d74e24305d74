/* controlmap.c - an agreement from a control map (rules.h). */
#include "rules/rules.h"

#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void geos_quiet(const char *fmt, ...) { (void)fmt; }

/* Polygonal union of whatever GEOS reads (a geometry, a Feature or a
 * FeatureCollection), made valid. */
static GEOSGeometry *read_area(GEOSContextHandle_t h, const char *text, const char *what,
                               struct vg_err *err)
{
	if (vg_geo_geojson_check(text, strlen(text), "", err) != VG_OK) {
		vg_err_prefix(err, "%s", what);
		return NULL;
	}
	GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(h);
	if (!r) {
		vg_err_set(err, VG_ERR_NOMEM, "GEOS reader");
		return NULL;
	}
	GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(h, r, text);
	GEOSGeoJSONReader_destroy_r(h, r);
	if (!g) {
		vg_err_set(err, VG_ERR_GEOMETRY, "%s: not GeoJSON that GEOS can read", what);
		return NULL;
	}
	GEOSGeometry *v = GEOSMakeValid_r(h, g);
	GEOSGeom_destroy_r(h, g);
	if (!v) {
		vg_err_set(err, VG_ERR_GEOMETRY, "%s: cannot be made valid", what);
		return NULL;
	}
	/* keep the polygonal part only */
	GEOSGeometry *u = GEOSUnaryUnion_r(h, v);
	GEOSGeom_destroy_r(h, v);
	if (!u) {
		vg_err_set(err, VG_ERR_GEOMETRY, "%s: union failed", what);
		return NULL;
	}
	int t = GEOSGeomTypeId_r(h, u);
	if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) {
		/* collections: keep polygons */
		int n = GEOSGetNumGeometries_r(h, u);
		GEOSGeometry **parts = calloc((size_t)n + 1, sizeof *parts);
		unsigned k = 0;
		for (int i = 0; parts && i < n; i++) {
			const GEOSGeometry *p = GEOSGetGeometryN_r(h, u, i);
			int pt = GEOSGeomTypeId_r(h, p);
			if (pt == GEOS_POLYGON || pt == GEOS_MULTIPOLYGON)
				parts[k++] = GEOSGeom_clone_r(h, p);
		}
		GEOSGeometry *c = parts && k ? GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, k) : NULL;
		free(parts);
		GEOSGeom_destroy_r(h, u);
		if (!c) {
			vg_err_set(err, VG_ERR_GEOMETRY, "%s: no polygon in it", what);
			return NULL;
		}
		u = GEOSUnaryUnion_r(h, c);
		GEOSGeom_destroy_r(h, c);
		if (!u) {
			vg_err_set(err, VG_ERR_GEOMETRY, "%s: union failed", what);
			return NULL;
		}
	}
	return u;
}

static char *write_json(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	GEOSGeoJSONWriter *w = GEOSGeoJSONWriter_create_r(h);
	if (!w)
		return NULL;
	char *s = GEOSGeoJSONWriter_writeGeometry_r(h, w, g, -1);
	GEOSGeoJSONWriter_destroy_r(h, w);
	return s;
}

/* Drop line parts shorter than min_deg (slivers where two sources' borders
 * differ) and merge the rest into maximal lines. */
static GEOSGeometry *clean_lines(GEOSContextHandle_t h, const GEOSGeometry *g, double min_deg)
{
	GEOSGeometry *m = GEOSLineMerge_r(h, g);
	if (!m)
		return NULL;
	int n = GEOSGetNumGeometries_r(h, m);
	GEOSGeometry **parts = calloc((size_t)n + 1, sizeof *parts);
	unsigned k = 0;
	for (int i = 0; parts && i < n; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, m, i);
		double len = 0;
		if (GEOSGeomTypeId_r(h, p) == GEOS_LINESTRING && GEOSLength_r(h, p, &len) == 1 && len >= min_deg)
			parts[k++] = GEOSGeom_clone_r(h, p);
	}
	GEOSGeom_destroy_r(h, m);
	GEOSGeometry *out = parts && k ? GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, parts, k) : NULL;
	free(parts);
	return out;
}

vg_status vg_agreement_from_control_map(const char *controlled, const char *country,
                                        const char *name, const char *party_in,
                                        const char *party_out, int64_t effective_ns, double tol_m,
                                        FILE *f, struct vg_err *err)
{
	if (!vg_id_valid(party_in, strlen(party_in)) || !vg_id_valid(party_out, strlen(party_out)) ||
	    !strcmp(party_in, party_out))
		return vg_err_set(err, VG_ERR_RANGE, "parties must be two different ids");
	GEOSContextHandle_t h = GEOS_init_r();
	if (!h)
		return vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
	GEOSContext_setNoticeHandler_r(h, geos_quiet);
	GEOSContext_setErrorHandler_r(h, geos_quiet);
	vg_status st = VG_OK;
	GEOSGeometry *ctl = NULL, *cty = NULL, *in = NULL, *out = NULL, *bnd = NULL, *cb = NULL,
	             *cbuf = NULL, *line = NULL, *clean = NULL;
	char *j_line = NULL, *j_in = NULL, *j_out = NULL;
	if (!(ctl = read_area(h, controlled, "controlled area", err)) ||
	    !(cty = read_area(h, country, "country outline", err))) {
		st = err ? err->status : VG_ERR_GEOMETRY;
		goto done;
	}
	/* Pinches (parts touching at a point, a hole touching the shell or
	 * another hole) would make the boundary touch itself, a contact line
	 * `vigil agreement check` refuses as not simple (fuzz_controlmap
	 * found it): 1e-7 degree (about 1 cm) of buffer joins touching parts
	 * by a neck and parts touching holes, far below any map's precision;
	 * mitred joins add no vertices (DeepState 2025-08-11: the same 1,186
	 * vertices of contact line). */
	{
		GEOSGeometry *b = GEOSBufferWithStyle_r(h, ctl, 1e-7, 2, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_MITRE, 5.0);
		if (!b) {
			st = vg_err_set(err, VG_ERR_GEOMETRY, "controlled area: buffer failed");
			goto done;
		}
		GEOSGeom_destroy_r(h, ctl);
		ctl = b;
	}
	in = GEOSIntersection_r(h, ctl, cty);
	out = GEOSDifference_r(h, cty, ctl);
	if (!in || !out || GEOSisEmpty_r(h, in) || GEOSisEmpty_r(h, out)) {
		st = vg_err_set(err, VG_ERR_GEOMETRY,
		                "the controlled area does not split the country (empty inside or outside)");
		goto done;
	}
	bnd = GEOSBoundary_r(h, in);
	cb = GEOSBoundary_r(h, cty);
	/* tolerance in degrees of latitude; longitude degrees are shorter, so
	 * this is at least tol_m east-west too */
	double tol_deg = tol_m / 111000.0;
	cbuf = cb ? GEOSBuffer_r(h, cb, tol_deg, 8) : NULL;
	line = bnd && cbuf ? GEOSDifference_r(h, bnd, cbuf) : NULL;
	clean = line ? clean_lines(h, line, 5 * tol_deg) : NULL;
	if (!clean || GEOSisEmpty_r(h, clean)) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "no contact line: the controlled area's boundary lies "
		                                      "along the country's outline everywhere");
		goto done;
	}
	j_line = write_json(h, clean);
	j_in = write_json(h, in);
	j_out = write_json(h, out);
	if (!j_line || !j_in || !j_out) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GeoJSON writer");
		goto done;
	}
	char eff[VG_TIME_STR_MAX];
	vg_time_format(effective_ns, eff);
	fprintf(f, "{\"type\":\"FeatureCollection\",\n\"agreement\":{\"name\":\"");
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if ((unsigned char)*p >= 0x20)
			fputc(*p, f);
	}
	fprintf(f, "\",\"version\":1,\"parties\":[\"%s\",\"%s\"],\"effective\":\"%s\",\"rules\":[]},\n",
	        party_in, party_out, eff);
	fprintf(f, "\"features\":[\n{\"type\":\"Feature\",\"id\":\"contact-line\",\"properties\":{\"role\":"
	           "\"contact_line\"},\"geometry\":%s},\n",
	        j_line);
	fprintf(f, "{\"type\":\"Feature\",\"id\":\"side-%s\",\"properties\":{\"role\":\"side\",\"party\":"
	           "\"%s\"},\"geometry\":%s},\n",
	        party_in, party_in, j_in);
	fprintf(f, "{\"type\":\"Feature\",\"id\":\"side-%s\",\"properties\":{\"role\":\"side\",\"party\":"
	           "\"%s\"},\"geometry\":%s}\n]}\n",
	        party_out, party_out, j_out);
	if (ferror(f))
		st = vg_err_set(err, VG_ERR_IO, "write failed");
done:
	if (j_line)
		GEOSFree_r(h, j_line);
	if (j_in)
		GEOSFree_r(h, j_in);
	if (j_out)
		GEOSFree_r(h, j_out);
	GEOSGeometry *all[] = {ctl, cty, in, out, bnd, cb, cbuf, line, clean};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i])
			GEOSGeom_destroy_r(h, all[i]);
	GEOS_finish_r(h);
	return st;
}

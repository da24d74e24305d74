/* controlmap.c - an agreement from a control map (rules.h). */
#include "rules/rules.h"

#include <geos_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* Polygonal union of whatever GEOS reads (a geometry, a Feature or a
 * FeatureCollection), made valid. */
static GEOSGeometry *read_area(GEOSContextHandle_t h, const char *text, const char *what,
                               struct vg_err *err)
{
	char *flat = NULL;
	if (vg_geo_geojson_check(text, strlen(text), false, &flat, err) != VG_OK) {
		vg_err_prefix(err, "%s", what);
		return NULL;
	}
	GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(h);
	if (!r) {
		free(flat);
		vg_err_set(err, VG_ERR_NOMEM, "GEOS reader");
		return NULL;
	}
	GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(h, r, flat);
	GEOSGeoJSONReader_destroy_r(h, r);
	free(flat);
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

/* One agreement text from the controlled area ctl (grown by grow_deg if
 * > 0) inside the country cty, into *text (malloc'd, *len). */
static vg_status build(GEOSContextHandle_t h, const GEOSGeometry *ctl0, const GEOSGeometry *cty,
                       double grow_deg, const char *name, const char *party_in, const char *party_out,
                       int64_t effective_ns, double tol_m, char **text, size_t *len, struct vg_err *err)
{
	vg_status st = VG_OK;
	GEOSGeometry *grown = NULL, *in = NULL, *out = NULL, *bnd = NULL, *cb = NULL, *cbuf = NULL,
	             *line = NULL, *clean = NULL;
	char *j_line = NULL, *j_in = NULL, *j_out = NULL;
	const GEOSGeometry *ctl = ctl0;
	*text = NULL;
	*len = 0;
	if (grow_deg > 0) {
		/* mitred joins: no arcs, so no new vertices at convex corners */
		if (!(grown = GEOSBufferWithStyle_r(h, ctl0, grow_deg, 2, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_MITRE, 5.0)))
			return vg_err_set(err, VG_ERR_GEOMETRY, "controlled area: buffer failed");
		ctl = grown;
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
	FILE *f = open_memstream(text, len);
	if (!f) {
		st = vg_err_set(err, VG_ERR_NOMEM, "agreement text");
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
	if (fclose(f) != 0 || !*text) {
		st = vg_err_set(err, VG_ERR_NOMEM, "agreement text");
		goto done;
	}
done:
	if (st) {
		free(*text);
		*text = NULL;
	}
	if (j_line)
		GEOSFree_r(h, j_line);
	if (j_in)
		GEOSFree_r(h, j_in);
	if (j_out)
		GEOSFree_r(h, j_out);
	GEOSGeometry *all[] = {grown, in, out, bnd, cb, cbuf, line, clean};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i])
			GEOSGeom_destroy_r(h, all[i]);
	return st;
}

vg_status vg_agreement_from_control_map(const char *controlled, const char *country,
                                        const char *name, const char *party_in,
                                        const char *party_out, int64_t effective_ns, double tol_m,
                                        FILE *f, struct vg_err *err)
{
	if (!vg_id_valid(party_in, strlen(party_in)) || !vg_id_valid(party_out, strlen(party_out)) ||
	    !strcmp(party_in, party_out))
		return vg_err_set(err, VG_ERR_RANGE, "parties must be two different ids");
	GEOSContextHandle_t h = vg_geo_geos_context();
	if (!h)
		return vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
	vg_status st = VG_OK;
	GEOSGeometry *ctl = NULL, *cty = NULL;
	char *text = NULL;
	size_t len = 0;
	if (!(ctl = read_area(h, controlled, "controlled area", err)) ||
	    !(cty = read_area(h, country, "country outline", err))) {
		st = err ? err->status : VG_ERR_GEOMETRY;
		goto done;
	}
	/* What is written is what `vigil agreement check` accepts (the
	 * agreement is read back here; fuzz_controlmap asserts it). Pinches of
	 * the controlled area (parts touching at a point, a hole touching the
	 * shell or another hole) make a boundary that touches itself, a
	 * contact line check refuses as not simple: then the area is grown by
	 * 1e-7 degree (about 1 cm, far below any map's precision; parts that
	 * touch join by a neck, holes part from what they touch), or 1e-6 if
	 * that makes a pinch elsewhere, and the coordinates are GEOS's. */
	static const double grow[] = {0, 1e-7, 1e-6};
	struct vg_err first;
	vg_err_clear(&first);
	for (size_t k = 0; k < sizeof grow / sizeof *grow; k++) {
		if ((st = build(h, ctl, cty, grow[k], name, party_in, party_out, effective_ns, tol_m, &text, &len,
		                err)))
			goto done;
		struct vg_agreement *ag = NULL;
		struct vg_err e;
		vg_err_clear(&e);
		if (vg_agreement_parse(text, len, &ag, &e) == VG_OK) {
			vg_agreement_free(ag);
			break;
		}
		if (k == 0)
			first = e;
		free(text);
		text = NULL;
		if (e.status != VG_ERR_GEOMETRY || k + 1 == sizeof grow / sizeof *grow) {
			st = vg_err_set(err, VG_ERR_GEOMETRY,
			                "the map gives an agreement `vigil agreement check` refuses: %s%s", first.msg,
			                k ? " (also with the controlled area grown by up to 1e-6 degree)" : "");
			goto done;
		}
	}
	if (fwrite(text, 1, len, f) != len || ferror(f))
		st = vg_err_set(err, VG_ERR_IO, "write failed");
done:
	free(text);
	if (ctl)
		GEOSGeom_destroy_r(h, ctl);
	if (cty)
		GEOSGeom_destroy_r(h, cty);
	GEOS_finish_r(h);
	return st;
}

/* geo_lines.c - geodesic distance to lines, side membership with GEOS
 * prepared geometries, attribution probability (geo.h). Geodesics: PROJ's
 * geodesic.h (C. F. F. Karney, J. Geodesy 87, 43-55, 2013,
 * doi:10.1007/s00190-012-0578-z). */
#include "geo.h"

#include <geodesic.h>
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))


struct vg_geo_line {
	uint32_t n, n_parts;
	double (*pts)[2];       /* lon, lat */
	uint32_t *part_start;   /* n_parts + 1 */
	struct geod_geodesic g;
};

uint32_t vg_geo_line_vertices(const vg_geo_line *l) { return l ? l->n : 0; }

vg_status vg_geo_line_new(const double (*pts)[2], const uint32_t *part_len, uint32_t n_parts,
                          vg_geo_line **out, struct vg_err *err)
{
	if (n_parts == 0)
		return vg_err_set(err, VG_ERR_GEOMETRY, "line has no parts");
	uint64_t n = 0;
	for (uint32_t p = 0; p < n_parts; p++) {
		if (part_len[p] < 2)
			return vg_err_set(err, VG_ERR_GEOMETRY, "line part %u has %u vertices, needs 2", p,
			                  part_len[p]);
		n += part_len[p];
	}
	if (n > 50000000)
		return vg_err_set(err, VG_ERR_LIMIT, "line has %llu vertices", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		double lon = pts[i][0], lat = pts[i][1];
		if (!isfinite(lon) || !isfinite(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90)
			return vg_err_set(err, VG_ERR_GEOMETRY,
			                  "vertex %llu = [%.17g, %.17g]: not a CRS84 lon,lat position",
			                  (unsigned long long)i, lon, lat);
	}
	vg_geo_line *l = calloc(1, sizeof *l);
	if (!l)
		return vg_err_set(err, VG_ERR_NOMEM, "line");
	l->pts = malloc(n * sizeof *l->pts);
	l->part_start = malloc((n_parts + 1) * sizeof *l->part_start);
	if (!l->pts || !l->part_start) {
		vg_geo_line_free(l);
		return vg_err_set(err, VG_ERR_NOMEM, "line");
	}
	memcpy(l->pts, pts, n * sizeof *l->pts);
	l->n = (uint32_t)n;
	l->n_parts = n_parts;
	uint32_t k = 0;
	for (uint32_t p = 0; p < n_parts; p++) {
		l->part_start[p] = k;
		bool moves = false;
		for (uint32_t i = k + 1; i < k + part_len[p]; i++)
			if (pts[i][0] != pts[k][0] || pts[i][1] != pts[k][1])
				moves = true;
		if (!moves) {
			vg_geo_line_free(l);
			return vg_err_set(err, VG_ERR_GEOMETRY, "line part %u has zero length", p);
		}
		k += part_len[p];
	}
	l->part_start[n_parts] = k;
	geod_init(&l->g, WGS84_A, WGS84_F);
	*out = l;
	return VG_OK;
}

void vg_geo_line_free(vg_geo_line *l)
{
	if (!l)
		return;
	free(l->pts);
	free(l->part_start);
	free(l);
}

/* Read a GeoJSON geometry with GEOS; the caller destroys it. */
static GEOSGeometry *read_geojson(GEOSContextHandle_t h, const char *geom, struct vg_err *err)
{
	char *flat = NULL;
	if (vg_geo_geojson_check(geom, strlen(geom), true, &flat, err) != VG_OK)
		return NULL;
	GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(h);
	if (!r) {
		free(flat);
		vg_err_set(err, VG_ERR_NOMEM, "GEOS GeoJSON reader");
		return NULL;
	}
	GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(h, r, flat);
	GEOSGeoJSONReader_destroy_r(h, r);
	free(flat);
	if (!g)
		vg_err_set(err, VG_ERR_GEOMETRY, "not a GeoJSON geometry GEOS can read");
	return g;
}

/* Every coordinate within CRS84 ranges. */
static vg_status check_coords(GEOSContextHandle_t h, const GEOSGeometry *g, const char *what,
                              struct vg_err *err)
{
	int ng = GEOSGetNumGeometries_r(h, g);
	for (int k = 0; k < ng; k++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, k);
		int type = GEOSGeomTypeId_r(h, p);
		int nr = type == GEOS_POLYGON ? 1 + GEOSGetNumInteriorRings_r(h, p) : 1;
		for (int r = 0; r < nr; r++) {
			const GEOSGeometry *ring = type != GEOS_POLYGON ? p
			                           : r == 0       ? GEOSGetExteriorRing_r(h, p)
			                                          : GEOSGetInteriorRingN_r(h, p, r - 1);
			const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
			unsigned int n = 0;
			if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
				return vg_err_set(err, VG_ERR_GEOMETRY, "%s: no coordinates", what);
			for (unsigned int i = 0; i < n; i++) {
				double x = 0, y = 0;
				GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
				if (!isfinite(x) || !isfinite(y) || x < -180 || x > 180 || y < -90 || y > 90)
					return vg_err_set(err, VG_ERR_GEOMETRY,
					                  "%s: part %d ring %d vertex %u = [%.17g, %.17g]: not a "
					                  "CRS84 lon,lat position",
					                  what, k, r, i, x, y);
			}
		}
	}
	return VG_OK;
}

vg_status vg_geo_line_from_geojson(const char *geom, bool allow_nonsimple, vg_geo_line **out,
                                   struct vg_err *err)
{
	GEOSContextHandle_t h = vg_geo_geos_context();
	if (!h)
		return vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
	vg_status st = VG_OK;
	double (*pts)[2] = NULL;
	uint32_t *plen = NULL;
	GEOSGeometry *g = read_geojson(h, geom, err);
	if (!g) {
		st = VG_ERR_GEOMETRY;
		goto out;
	}
	int type = GEOSGeomTypeId_r(h, g);
	if (type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING) {
		char *tn = GEOSGeomType_r(h, g);
		st = vg_err_set(err, VG_ERR_GEOMETRY, "geometry is a %s, want LineString or MultiLineString",
		                tn ? tn : "?");
		GEOSFree_r(h, tn);
		goto out;
	}
	if ((st = check_coords(h, g, "line", err)))
		goto out;
	if (!allow_nonsimple && GEOSisSimple_r(h, g) != 1) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "line intersects itself (not simple)");
		goto out;
	}
	int ng = GEOSGetNumGeometries_r(h, g);
	int total = GEOSGetNumCoordinates_r(h, g);
	if (ng <= 0 || total <= 0) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "empty line");
		goto out;
	}
	pts = malloc((size_t)total * sizeof *pts);
	plen = malloc((size_t)ng * sizeof *plen);
	if (!pts || !plen) {
		st = vg_err_set(err, VG_ERR_NOMEM, "line");
		goto out;
	}
	uint32_t k = 0;
	for (int p = 0; p < ng; p++) {
		const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, GEOSGetGeometryN_r(h, g, p));
		unsigned int n = 0;
		GEOSCoordSeq_getSize_r(h, cs, &n);
		for (unsigned int i = 0; i < n; i++)
			GEOSCoordSeq_getXY_r(h, cs, i, &pts[k + i][0], &pts[k + i][1]);
		plen[p] = n;
		k += n;
	}
	st = vg_geo_line_new((const double (*)[2])pts, plen, (uint32_t)ng, out, err);
out:
	free(pts);
	free(plen);
	if (g)
		GEOSGeom_destroy_r(h, g);
	GEOS_finish_r(h);
	return st;
}

/* Squared distance from (px,py) to segment a-b in a plane; *t the foot. */
static double seg_d2(double px, double py, double ax, double ay, double bx, double by, double *t)
{
	double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
	double u = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
	u = u < 0 ? 0 : u > 1 ? 1 : u;
	double ex = ax + u * dx - px, ey = ay + u * dy - py;
	if (t)
		*t = u;
	return ex * ex + ey * ey;
}

static double edge_dist(const vg_geo_line *l, double lat, double lon, const double a[2],
                        const double b[2], double t)
{
	double s12 = 0;
	geod_inverse(&l->g, lat, lon, a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0]), &s12, NULL,
	             NULL);
	return s12;
}

double vg_geo_line_distance(const vg_geo_line *l, double lat, double lon, struct vg_geo_foot *foot)
{
	/* Pass 1: a local equirectangular metric centred on the point (metres).
	 * Its error grows with the latitude difference (cos lat varies): within
	 * 3 % at 300 km in mid latitudes, hence the gate below. */
	double kx = cos(lat * DEG) * (M_PI / 180.0) * 6371008.8, ky = (M_PI / 180.0) * 6371008.8;
	double best = INFINITY;
	for (uint32_t p = 0; p < l->n_parts; p++)
		for (uint32_t i = l->part_start[p]; i + 1 < l->part_start[p + 1]; i++) {
			double d2 = seg_d2(0, 0, (l->pts[i][0] - lon) * kx, (l->pts[i][1] - lat) * ky,
			                   (l->pts[i + 1][0] - lon) * kx, (l->pts[i + 1][1] - lat) * ky, NULL);
			if (d2 < best)
				best = d2;
		}
	double b = sqrt(best);
	double gate = b * (1.0 + 0.05 + b / 2.0e6) + 1000.0;
	/* Pass 2: exact geodesic minimum along each candidate edge. */
	double dmin = INFINITY;
	uint32_t bp = 0, bi = 0;
	double bt = 0;
	const double gr = 0.5 * (sqrt(5.0) - 1.0);
	for (uint32_t p = 0; p < l->n_parts; p++)
		for (uint32_t i = l->part_start[p]; i + 1 < l->part_start[p + 1]; i++) {
			double d2 = seg_d2(0, 0, (l->pts[i][0] - lon) * kx, (l->pts[i][1] - lat) * ky,
			                   (l->pts[i + 1][0] - lon) * kx, (l->pts[i + 1][1] - lat) * ky, NULL);
			if (d2 > gate * gate)
				continue;
			const double *A = l->pts[i], *B = l->pts[i + 1];
			/* Golden-section search on [0, 1]: the geodesic distance to
			 * a point moving along a lon/lat-straight edge is unimodal
			 * for edges shorter than a quarter meridian. */
			double lo = 0, hi = 1;
			double x1 = hi - gr * (hi - lo), x2 = lo + gr * (hi - lo);
			double f1 = edge_dist(l, lat, lon, A, B, x1), f2 = edge_dist(l, lat, lon, A, B, x2);
			for (int it = 0; it < 48 && hi - lo > 1e-10; it++) {
				if (f1 <= f2) {
					hi = x2;
					x2 = x1;
					f2 = f1;
					x1 = hi - gr * (hi - lo);
					f1 = edge_dist(l, lat, lon, A, B, x1);
				} else {
					lo = x1;
					x1 = x2;
					f1 = f2;
					x2 = lo + gr * (hi - lo);
					f2 = edge_dist(l, lat, lon, A, B, x2);
				}
			}
			double t = 0.5 * (lo + hi);
			double d = edge_dist(l, lat, lon, A, B, t);
			/* Ends checked explicitly (the search may stop just short). */
			double d0 = edge_dist(l, lat, lon, A, B, 0), d1 = edge_dist(l, lat, lon, A, B, 1);
			if (d0 < d) {
				d = d0;
				t = 0;
			}
			if (d1 < d) {
				d = d1;
				t = 1;
			}
			if (d < dmin) {
				dmin = d;
				bp = p;
				bi = i;
				bt = t;
			}
		}
	if (foot) {
		const double *A = l->pts[bi], *B = l->pts[bi + 1];
		foot->dist_m = dmin;
		foot->part = bp;
		foot->seg = bi - l->part_start[bp];
		foot->t = bt;
		foot->lat_deg = A[1] + bt * (B[1] - A[1]);
		foot->lon_deg = A[0] + bt * (B[0] - A[0]);
		double s12, az1, az2;
		geod_inverse(&l->g, A[1], A[0], B[1], B[0], &s12, &az1, &az2);
		/* Azimuth at the foot: interpolate along the geodesic A-B. */
		double fa = az1 + bt * remainder(az2 - az1, 360.0);
		foot->az_deg = fmod(fa + 360.0, 360.0);
		/* Which side: the point's azimuth from the foot against the edge. */
		double sp, azp, azp2;
		geod_inverse(&l->g, foot->lat_deg, foot->lon_deg, lat, lon, &sp, &azp, &azp2);
		double rel = remainder(azp - foot->az_deg, 360.0);
		foot->lr = dmin == 0 ? 0 : rel > 0 && rel < 180 ? 1 : -1;
		if (dmin > 0 && (bt == 0 || bt == 1)) {
			/* At a vertex: side by the cross product of the point with
			 * the edge in the local plane (robust at corners). */
			double ex = (B[0] - A[0]) * kx, ey = (B[1] - A[1]) * ky;
			double px = (lon - A[0]) * kx, py = (lat - A[1]) * ky;
			double cr = ex * py - ey * px;
			foot->lr = cr > 0 ? -1 : cr < 0 ? 1 : 0;
		}
	}
	return dmin;
}

/* ---- Areas ----------------------------------------------------------------- */

struct vg_geo_area {
	GEOSContextHandle_t h;
	GEOSGeometry *g;
	const GEOSPreparedGeometry *prep;
	double min_lat, min_lon, max_lat, max_lon;
};

void vg_geo_area_free(vg_geo_area *a)
{
	if (!a)
		return;
	if (a->prep)
		GEOSPreparedGeom_destroy_r(a->h, a->prep);
	if (a->g)
		GEOSGeom_destroy_r(a->h, a->g);
	if (a->h)
		GEOS_finish_r(a->h);
	free(a);
}

vg_status vg_geo_area_from_geojson(const char *geom, vg_geo_area **out, struct vg_err *err)
{
	vg_geo_area *a = calloc(1, sizeof *a);
	if (!a)
		return vg_err_set(err, VG_ERR_NOMEM, "area");
	vg_status st = VG_OK;
	a->h = vg_geo_geos_context();
	if (!a->h) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
		goto fail;
	}
	a->g = read_geojson(a->h, geom, err);
	if (!a->g) {
		st = VG_ERR_GEOMETRY;
		goto fail;
	}
	int type = GEOSGeomTypeId_r(a->h, a->g);
	if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
		char *tn = GEOSGeomType_r(a->h, a->g);
		st = vg_err_set(err, VG_ERR_GEOMETRY, "geometry is a %s, want Polygon or MultiPolygon",
		                tn ? tn : "?");
		GEOSFree_r(a->h, tn);
		goto fail;
	}
	if ((st = check_coords(a->h, a->g, "polygon", err)))
		goto fail;
	char *reason = NULL;
	GEOSGeometry *where = NULL;
	char valid = GEOSisValidDetail_r(a->h, a->g, 0, &reason, &where);
	if (valid == 1) { /* GEOS may describe a valid geometry too ("Valid") */
		if (reason)
			GEOSFree_r(a->h, reason);
		if (where)
			GEOSGeom_destroy_r(a->h, where);
	} else {
		double x = 0, y = 0;
		if (where) {
			GEOSGeomGetX_r(a->h, where, &x);
			GEOSGeomGetY_r(a->h, where, &y);
			GEOSGeom_destroy_r(a->h, where);
		}
		st = vg_err_set(err, VG_ERR_GEOMETRY, "invalid polygon: %s at [%.9g, %.9g]",
		                reason ? reason : "unknown reason", x, y);
		GEOSFree_r(a->h, reason);
		goto fail;
	}
	double area = 0;
	if (GEOSArea_r(a->h, a->g, &area) != 1 || !(area > 0)) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "polygon has zero area");
		goto fail;
	}
	a->prep = GEOSPrepare_r(a->h, a->g);
	if (!a->prep) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS prepared geometry");
		goto fail;
	}
	GEOSGeom_getXMin_r(a->h, a->g, &a->min_lon);
	GEOSGeom_getXMax_r(a->h, a->g, &a->max_lon);
	GEOSGeom_getYMin_r(a->h, a->g, &a->min_lat);
	GEOSGeom_getYMax_r(a->h, a->g, &a->max_lat);
	*out = a;
	return VG_OK;
fail:
	vg_geo_area_free(a);
	return st;
}

void vg_geo_area_bbox(const vg_geo_area *a, double *min_lat, double *min_lon, double *max_lat,
                      double *max_lon)
{
	*min_lat = a->min_lat;
	*min_lon = a->min_lon;
	*max_lat = a->max_lat;
	*max_lon = a->max_lon;
}

bool vg_geo_area_contains(const vg_geo_area *a, double lat, double lon)
{
	if (lat < a->min_lat || lat > a->max_lat || lon < a->min_lon || lon > a->max_lon)
		return false;
	GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(a->h, lon, lat);
	if (!pt)
		return false;
	char c = GEOSPreparedContains_r(a->h, a->prep, pt);
	GEOSGeom_destroy_r(a->h, pt);
	return c == 1;
}

bool vg_geo_area_contains_box(const vg_geo_area *a, double min_lat, double min_lon,
                              double max_lat, double max_lon)
{
	if (min_lat < a->min_lat || max_lat > a->max_lat || min_lon < a->min_lon ||
	    max_lon > a->max_lon)
		return false;
	GEOSGeometry *box = GEOSGeom_createRectangle_r(a->h, min_lon, min_lat, max_lon, max_lat);
	if (!box)
		return false;
	char c = GEOSPreparedContainsProperly_r(a->h, a->prep, box);
	GEOSGeom_destroy_r(a->h, box);
	return c == 1;
}

double vg_geo_area_overlap(const vg_geo_area *a, const vg_geo_area *b)
{
	if (a->max_lat < b->min_lat || b->max_lat < a->min_lat || a->max_lon < b->min_lon ||
	    b->max_lon < a->min_lon)
		return 0;
	GEOSGeometry *x = GEOSIntersection_r(a->h, a->g, b->g);
	if (!x)
		return 0;
	double ax = 0, aa = 0, ab = 0;
	GEOSArea_r(a->h, x, &ax);
	GEOSArea_r(a->h, a->g, &aa);
	GEOSArea_r(a->h, b->g, &ab);
	GEOSGeom_destroy_r(a->h, x);
	double m = aa < ab ? aa : ab;
	return m > 0 ? ax / m : 0;
}

/* ---- Attribution ----------------------------------------------------------- */

double vg_geo_phi(double x) { return 0.5 * erfc(-x / M_SQRT2); }

double vg_geo_attribution_1d(double d_m, double line_az_deg, const double c[2][2])
{
	/* Normal to the line (any of the two: the variance is the same). */
	double ne = cos(line_az_deg * DEG), nn = -sin(line_az_deg * DEG);
	double var = ne * ne * c[0][0] + 2 * ne * nn * c[0][1] + nn * nn * c[1][1];
	if (!(var > 0))
		return d_m > 0 ? 1.0 : d_m < 0 ? 0.0 : 0.5;
	return vg_geo_phi(d_m / sqrt(var));
}

struct att_frame {
	double lat0, lon0, m_per_deg_lat, m_per_deg_lon;
	double L[2][2];     /* Cholesky factor of the covariance (east, north) */
	double w[2], t[2];  /* whitened across / along directions (unit) */
};

/* The area index (0..n-1) containing the point at whitened coords, or n. */
static uint32_t member(vg_geo_area *const *areas, uint32_t n, const struct att_frame *f, double u,
                       double v)
{
	double z0 = u * f->w[0] + v * f->t[0], z1 = u * f->w[1] + v * f->t[1];
	double e = f->L[0][0] * z0, nn = f->L[1][0] * z0 + f->L[1][1] * z1;
	double lat = f->lat0 + nn / f->m_per_deg_lat, lon = f->lon0 + e / f->m_per_deg_lon;
	for (uint32_t i = 0; i < n; i++)
		if (vg_geo_area_contains(areas[i], lat, lon))
			return i;
	return n;
}

void vg_geo_attribution(vg_geo_area *const *areas, uint32_t n, double lat, double lon,
                        const double c[2][2], double line_az_deg, double *p)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = 0;
	double phi = lat * DEG;
	double s = sin(phi), w2 = 1 - WGS84_E2 * s * s;
	double Nr = WGS84_A / sqrt(w2), Mr = WGS84_A * (1 - WGS84_E2) / (w2 * sqrt(w2));
	struct att_frame f = {.lat0 = lat, .lon0 = lon, .m_per_deg_lat = Mr * DEG,
	                      .m_per_deg_lon = Nr * cos(phi) * DEG};
	double a = c[0][0], b = c[0][1], d = c[1][1];
	bool degenerate = !(a > 0) || !(d > 0) || !(a * d - b * b > 1e-12 * a * d);
	/* Shortcut: the 8-sigma box inside one area. */
	double sx = degenerate ? 0 : 8 * sqrt(a), sy = degenerate ? 0 : 8 * sqrt(d);
	double dlat = sy / f.m_per_deg_lat, dlon = sx / f.m_per_deg_lon;
	for (uint32_t i = 0; i < n; i++) {
		if (degenerate ? vg_geo_area_contains(areas[i], lat, lon)
		               : vg_geo_area_contains_box(areas[i], lat - dlat, lon - dlon, lat + dlat,
		                                          lon + dlon)) {
			p[i] = 1;
			return;
		}
	}
	if (degenerate)
		return;
	f.L[0][0] = sqrt(a);
	f.L[0][1] = 0;
	f.L[1][0] = b / f.L[0][0];
	f.L[1][1] = sqrt(d - f.L[1][0] * f.L[1][0]);
	/* Line tangent (east, north) whitened: L^-1 t. */
	double te = sin(line_az_deg * DEG), tn = cos(line_az_deg * DEG);
	double z0 = te / f.L[0][0], z1 = (tn - f.L[1][0] * z0) / f.L[1][1];
	double zl = hypot(z0, z1);
	f.t[0] = z0 / zl;
	f.t[1] = z1 / zl;
	f.w[0] = f.t[1];
	f.w[1] = -f.t[0];
	const double hv = 0.5, vmax = 6.0, hu = 0.5, umax = 8.0;
	double wsum = 0;
	for (int iv = 0; iv <= (int)(2 * vmax / hv); iv++) {
		double v = -vmax + iv * hv;
		double wv = exp(-0.5 * v * v);
		wsum += wv;
		/* Scan the row. */
		double u_prev = -umax;
		uint32_t m_prev = member(areas, n, &f, u_prev, v);
		double run_start = -INFINITY; /* the first run extends to -inf */
		for (int iu = 1; iu <= (int)(2 * umax / hu); iu++) {
			double u = -umax + iu * hu;
			uint32_t m = member(areas, n, &f, u, v);
			if (m != m_prev) {
				/* Bisect the change between u_prev and u. */
				double lo = u_prev, hi = u;
				while (hi - lo > 1e-4) {
					double mid = 0.5 * (lo + hi);
					if (member(areas, n, &f, mid, v) == m_prev)
						lo = mid;
					else
						hi = mid;
				}
				double cut = 0.5 * (lo + hi);
				if (m_prev < n)
					p[m_prev] += wv * (vg_geo_phi(cut) - vg_geo_phi(run_start));
				run_start = cut;
				m_prev = m;
			}
			u_prev = u;
		}
		if (m_prev < n)
			p[m_prev] += wv * (1.0 - vg_geo_phi(run_start));
	}
	for (uint32_t i = 0; i < n; i++) {
		p[i] /= wsum;
		if (p[i] > 1)
			p[i] = 1;
	}
}

void vg_geo_direct(double lat, double lon, double az, double s, double *lat2, double *lon2)
{
	struct geod_geodesic g;
	geod_init(&g, WGS84_A, WGS84_F);
	geod_direct(&g, lat, lon, az, s, lat2, lon2, NULL);
}

double vg_geo_inverse(double lat1, double lon1, double lat2, double lon2, double *az1_deg)
{
	struct geod_geodesic g;
	double s12 = 0, a1 = 0, a2 = 0;
	geod_init(&g, WGS84_A, WGS84_F);
	geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, &a1, &a2);
	if (az1_deg)
		*az1_deg = a1;
	return s12;
}

/* ---- Coverage -------------------------------------------------------------- */

static int sinusoidal(double *x, double *y, void *ud)
{
	double lon0 = *(const double *)ud;
	*x = (*x - lon0) * cos(*y * DEG);
	return 1;
}

vg_status vg_geo_covered_share(const vg_geo_area *a, const double (*const *rings)[2],
                               const uint32_t *ring_n, uint32_t n, double *share, double *area_km2,
                               struct vg_err *err)
{
	GEOSContextHandle_t h = a->h;
	double lon0 = 0.5 * (a->min_lon + a->max_lon);
	GEOSGeometry **polys = calloc(n ? n : 1, sizeof *polys);
	if (!polys)
		return vg_err_set(err, VG_ERR_NOMEM, "coverage");
	uint32_t k = 0;
	vg_status st = VG_OK;
	for (uint32_t i = 0; i < n; i++) {
		const double (*r)[2] = rings[i];
		bool touches = false;
		for (uint32_t j = 0; j < ring_n[i] && !touches; j++)
			touches = r[j][1] >= a->min_lat - 1 && r[j][1] <= a->max_lat + 1 &&
			          r[j][0] >= a->min_lon - 1 && r[j][0] <= a->max_lon + 1;
		if (!touches || ring_n[i] < 4)
			continue;
		GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, ring_n[i], 2);
		if (!cs) {
			st = vg_err_set(err, VG_ERR_NOMEM, "coverage");
			break;
		}
		for (uint32_t j = 0; j < ring_n[i]; j++)
			GEOSCoordSeq_setXY_r(h, cs, j, (r[j][0] - lon0) * cos(r[j][1] * DEG), r[j][1]);
		GEOSGeometry *lr = GEOSGeom_createLinearRing_r(h, cs);
		GEOSGeometry *pg = lr ? GEOSGeom_createPolygon_r(h, lr, NULL, 0) : NULL;
		if (!pg) {
			if (lr)
				GEOSGeom_destroy_r(h, lr);
			continue; /* a degenerate footprint covers nothing */
		}
		if (GEOSisValid_r(h, pg) != 1) {
			GEOSGeometry *v = GEOSMakeValid_r(h, pg);
			GEOSGeom_destroy_r(h, pg);
			if (!v)
				continue;
			pg = v;
		}
		polys[k++] = pg;
	}
	GEOSGeometry *zone = st ? NULL : GEOSGeom_transformXY_r(h, a->g, sinusoidal, &lon0);
	double za = 0, ca = 0;
	if (!st && !zone)
		st = vg_err_set(err, VG_ERR_NOMEM, "coverage");
	if (!st) {
		GEOSArea_r(h, zone, &za);
		if (k) {
			GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, polys, k);
			k = 0; /* owned by the collection now */
			GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
			GEOSGeometry *x = u ? GEOSIntersection_r(h, u, zone) : NULL;
			if (!x)
				st = vg_err_set(err, VG_ERR_GEOMETRY, "coverage union failed");
			else
				GEOSArea_r(h, x, &ca);
			if (x)
				GEOSGeom_destroy_r(h, x);
			if (u)
				GEOSGeom_destroy_r(h, u);
			if (coll)
				GEOSGeom_destroy_r(h, coll);
		}
	}
	for (uint32_t i = 0; i < k; i++)
		GEOSGeom_destroy_r(h, polys[i]);
	free(polys);
	if (zone)
		GEOSGeom_destroy_r(h, zone);
	if (st)
		return st;
	*share = za > 0 ? fmin(1.0, ca / za) : 0;
	if (area_km2) /* degrees^2 on the sinusoidal plane -> km^2 (mean radius) */
		*area_km2 = za * pow(6371.0088 * DEG, 2);
	return VG_OK;
}

/* ---- Bands: the part of an area within a distance of a line --------------- */

/* Azimuthal equidistant projection about (lat0, lon0) on WGS84, exact in
 * the way GeographicLib's AzimuthalEquidistant is: a point's plane
 * coordinates are its geodesic distance and azimuth from the centre
 * (geod_inverse), and back (geod_direct). Distances from the centre are
 * true; between two other points the plane distance is off by about
 * (r/R)^2/6 of it at r from the centre (0.01 % at 150 km, 0.4 % at
 * 600 km: test_geo_lines measures it). GEOS buffers in this plane. */
struct aeqd {
	struct geod_geodesic g;
	double lat0, lon0;
};

static int aeqd_fwd(double *x, double *y, void *ud)
{
	const struct aeqd *p = ud;
	double s, az;
	geod_inverse(&p->g, p->lat0, p->lon0, *y, *x, &s, &az, NULL);
	*x = s * sin(az * DEG);
	*y = s * cos(az * DEG);
	return 1;
}

static int aeqd_inv(double *x, double *y, void *ud)
{
	const struct aeqd *p = ud;
	double lat, lon;
	geod_direct(&p->g, p->lat0, p->lon0, atan2(*x, *y) / DEG, hypot(*x, *y), &lat, &lon, NULL);
	*x = lon;
	*y = lat;
	return 1;
}

/* g if valid, else its polygonal repair (GEOS's STRUCTURE method, collapsed
 * parts dropped: a sliver turned into a line would make the later
 * intersections fail on mixed dimensions); g is consumed. NULL on failure. */
static GEOSGeometry *valid_polygonal(GEOSContextHandle_t h, GEOSGeometry *g)
{
	if (!g || GEOSisValid_r(h, g) == 1)
		return g;
	GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(h);
	GEOSGeometry *v = NULL;
	if (mp && GEOSMakeValidParams_setMethod_r(h, mp, GEOS_MAKE_VALID_STRUCTURE) &&
	    GEOSMakeValidParams_setKeepCollapsed_r(h, mp, 0))
		v = GEOSMakeValidWithParams_r(h, g, mp);
	if (mp)
		GEOSMakeValidParams_destroy_r(h, mp);
	GEOSGeom_destroy_r(h, g);
	return v;
}

/* g densified (degrees or metres, as g is), then mapped by f; NULL on failure. */
static GEOSGeometry *dense_map(GEOSContextHandle_t h, const GEOSGeometry *g, double tol,
                               GEOSTransformXYCallback f, void *ud)
{
	GEOSGeometry *d = GEOSDensify_r(h, g, tol);
	if (!d)
		return NULL;
	GEOSGeometry *m = GEOSGeom_transformXY_r(h, d, f, ud);
	GEOSGeom_destroy_r(h, d);
	return m;
}

vg_status vg_geo_band_new(const vg_geo_area *a, const vg_geo_line *l, double d_m,
                          const vg_geo_area *const *excl, uint32_t n_excl, vg_geo_area **out,
                          struct vg_err *err)
{
	*out = NULL;
	if (!(d_m > 0) || !l || l->n < 2)
		return vg_err_set(err, VG_ERR_RANGE, "band: want a line and a distance > 0");
	vg_geo_area *b = calloc(1, sizeof *b);
	if (!b)
		return vg_err_set(err, VG_ERR_NOMEM, "band");
	vg_status st = VG_OK;
	GEOSGeometry *line = NULL, *lp = NULL, *buf = NULL, *ap = NULL, *band = NULL;
	b->h = vg_geo_geos_context();
	if (!b->h) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
		goto fail;
	}
	GEOSContextHandle_t h = b->h;
	/* the projection's centre: the middle of the line's box */
	double la0 = 90, la1 = -90, lo0 = 180, lo1 = -180;
	for (uint32_t i = 0; i < l->n; i++) {
		la0 = fmin(la0, l->pts[i][1]);
		la1 = fmax(la1, l->pts[i][1]);
		lo0 = fmin(lo0, l->pts[i][0]);
		lo1 = fmax(lo1, l->pts[i][0]);
	}
	struct aeqd pj = {.lat0 = 0.5 * (la0 + la1), .lon0 = 0.5 * (lo0 + lo1)};
	geod_init(&pj.g, WGS84_A, WGS84_F);
	GEOSGeometry **parts = calloc(l->n_parts, sizeof *parts);
	if (!parts) {
		st = vg_err_set(err, VG_ERR_NOMEM, "band");
		goto fail;
	}
	uint32_t np = 0;
	for (uint32_t p = 0; p < l->n_parts; p++) {
		uint32_t s0 = l->part_start[p], n = l->part_start[p + 1] - s0;
		GEOSCoordSequence *cs = n >= 2 ? GEOSCoordSeq_create_r(h, n, 2) : NULL;
		if (!cs)
			continue;
		for (uint32_t i = 0; i < n; i++)
			GEOSCoordSeq_setXY_r(h, cs, i, l->pts[s0 + i][0], l->pts[s0 + i][1]);
		GEOSGeometry *ls = GEOSGeom_createLineString_r(h, cs);
		if (ls)
			parts[np++] = ls;
	}
	/* the collection owns the parts, even when it fails */
	line = np ? GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, parts, np) : NULL;
	free(parts);
	/* edges densified to 0.01 degree (about 1 km) before projecting, so a
	 * long straight edge of a side follows its course in the plane */
	lp = line ? dense_map(h, line, 0.01, aeqd_fwd, &pj) : NULL;
	/* round caps and joins as polygons whose chords fall at most 5 m
	 * inside the arc: a chord of angle t cuts d (1 - cos(t / 2)) */
	double seg = 2 * acos(1 - fmin(5.0 / d_m, 1.0));
	int quad = (int)fmin(ceil((M_PI / 2) / seg), 2000);
	buf = lp ? GEOSBuffer_r(h, lp, d_m, quad < 8 ? 8 : quad) : NULL;
	ap = buf ? valid_polygonal(h, dense_map(h, a->g, 0.01, aeqd_fwd, &pj)) : NULL;
	band = ap ? GEOSIntersection_r(h, ap, buf) : NULL;
	for (uint32_t i = 0; band && i < n_excl; i++) {
		GEOSGeometry *e = dense_map(h, excl[i]->g, 0.01, aeqd_fwd, &pj);
		GEOSGeometry *d = e ? GEOSDifference_r(h, band, e) : NULL;
		if (e)
			GEOSGeom_destroy_r(h, e);
		GEOSGeom_destroy_r(h, band);
		band = d;
	}
	if (!band) {
		st = vg_err_set(err, VG_ERR_INTERNAL, "band: GEOS failed");
		goto fail;
	}
	/* back to lon/lat, the buffer's arcs and edges densified to 1 km */
	b->g = valid_polygonal(h, dense_map(h, band, 1000.0, aeqd_inv, &pj));
	double area = 0;
	if (!b->g || GEOSArea_r(h, b->g, &area) != 1) {
		st = vg_err_set(err, VG_ERR_INTERNAL, "band: GEOS failed");
		goto fail;
	}
	if (!(area > 0)) {
		st = vg_err_set(err, VG_ERR_NOT_FOUND, "band: no part of the area lies within %.0f m of the line",
		                d_m);
		goto fail;
	}
	b->prep = GEOSPrepare_r(h, b->g);
	if (!b->prep) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS prepared geometry");
		goto fail;
	}
	GEOSGeom_getXMin_r(h, b->g, &b->min_lon);
	GEOSGeom_getXMax_r(h, b->g, &b->max_lon);
	GEOSGeom_getYMin_r(h, b->g, &b->min_lat);
	GEOSGeom_getYMax_r(h, b->g, &b->max_lat);
	*out = b;
fail:
	if (band)
		GEOSGeom_destroy_r(b->h, band);
	if (ap)
		GEOSGeom_destroy_r(b->h, ap);
	if (buf)
		GEOSGeom_destroy_r(b->h, buf);
	if (lp)
		GEOSGeom_destroy_r(b->h, lp);
	if (line)
		GEOSGeom_destroy_r(b->h, line);
	if (st)
		vg_geo_area_free(b);
	return st;
}

/* geo.c - polygon validity with GEOS, geodesics with PROJ's geodesic.h
 * (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55, 2013,
 * doi:10.1007/s00190-012-0578-z). */
#include "geo.h"

#include <geodesic.h>
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void geos_quiet(const char *fmt, ...) { (void)fmt; }

GEOSContextHandle_t vg_geo_geos_context(void)
{
	GEOSContextHandle_t h = GEOS_init_r();
	if (h) {
		GEOSContext_setNoticeHandler_r(h, geos_quiet);
		GEOSContext_setErrorHandler_r(h, geos_quiet);
	}
	return h;
}

vg_status vg_geo_ring_check(const double (*pts)[2], uint32_t n, struct vg_err *err)
{
	if (n < 4)
		return vg_err_set(err, VG_ERR_GEOMETRY, "ring has %u vertices, needs at least 4", n);
	for (uint32_t i = 0; i < n; i++) {
		double lon = pts[i][0], lat = pts[i][1];
		if (!isfinite(lon) || !isfinite(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90)
			return vg_err_set(err, VG_ERR_GEOMETRY, "[%u] = [%.17g, %.17g]: not a lon,lat position",
			                  i, lon, lat);
	}
	if (pts[0][0] != pts[n - 1][0] || pts[0][1] != pts[n - 1][1])
		return vg_err_set(err, VG_ERR_GEOMETRY, "ring not closed: first vertex [%.17g, %.17g] != last [%.17g, %.17g]",
		                  pts[0][0], pts[0][1], pts[n - 1][0], pts[n - 1][1]);

	vg_status st = VG_OK;
	GEOSContextHandle_t h = vg_geo_geos_context();
	if (!h)
		return vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
	GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, n, 2);
	GEOSGeometry *ring = NULL, *poly = NULL;
	if (!seq) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS coordinate sequence");
		goto out_finish;
	}
	for (uint32_t i = 0; i < n; i++) {
		GEOSCoordSeq_setX_r(h, seq, i, pts[i][0]);
		GEOSCoordSeq_setY_r(h, seq, i, pts[i][1]);
	}
	ring = GEOSGeom_createLinearRing_r(h, seq); /* takes seq */
	if (!ring) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "not a valid linear ring");
		goto out_finish;
	}
	poly = GEOSGeom_createPolygon_r(h, ring, NULL, 0); /* takes ring */
	if (!poly) {
		GEOSGeom_destroy_r(h, ring);
		st = vg_err_set(err, VG_ERR_GEOMETRY, "not a valid polygon");
		goto out_finish;
	}
	char *reason = NULL;
	GEOSGeometry *where = NULL;
	char valid = GEOSisValidDetail_r(h, poly, 0, &reason, &where);
	if (valid != 1) {
		double x = 0, y = 0;
		if (where) {
			GEOSGeomGetX_r(h, where, &x);
			GEOSGeomGetY_r(h, where, &y);
		}
		st = vg_err_set(err, VG_ERR_GEOMETRY, "invalid polygon: %s at [%.9g, %.9g]",
		                reason ? reason : "unknown reason", x, y);
		GEOSFree_r(h, reason);
		if (where)
			GEOSGeom_destroy_r(h, where);
		goto out_destroy;
	}
	double area = 0;
	if (GEOSArea_r(h, poly, &area) != 1 || !(area > 0))
		st = vg_err_set(err, VG_ERR_GEOMETRY, "polygon has zero area");
out_destroy:
	GEOSGeom_destroy_r(h, poly);
out_finish:
	GEOS_finish_r(h);
	return st;
}

double vg_geo_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
	struct geod_geodesic g;
	double s12 = 0;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	geod_inverse(&g, lat1_deg, lon1_deg, lat2_deg, lon2_deg, &s12, NULL, NULL);
	return s12;
}

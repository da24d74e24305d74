/*
 * geo.h - geometry on the WGS84 ellipsoid: polygon validity (GEOS), and
 * (as later issues land) local metric frames and geodesics (PROJ), distances
 * to lines and side membership (GEOS prepared geometries).
 *
 * Coordinates are degrees, longitude first inside rings (GeoJSON order).
 * Functions are reentrant: each call makes its own GEOS context, so no state
 * is shared between threads.
 */
#ifndef VG_GEO_H
#define VG_GEO_H

#include "core/core.h"

/*
 * Check a polygon ring: at least 4 vertices, closed (first == last), finite
 * coordinates, lon in [-180, 180], lat in [-90, 90], no repeated consecutive
 * vertices making it degenerate, and valid per OGC simple features (no
 * self-intersection), non-zero area. VG_ERR_GEOMETRY with a message naming
 * the vertex or the GEOS reason (with its location).
 */
vg_status vg_geo_ring_check(const double (*pts)[2], uint32_t n, struct vg_err *err) VG_WUR;

/* Geodesic distance in metres between two points on WGS84 (PROJ geod). */
double vg_geo_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

#endif

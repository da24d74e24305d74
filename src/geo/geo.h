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

/* ---- Lines: geodesic distance (geo_lines.c) -------------------------------
 * A line is one or more polylines whose edges are straight in lon/lat (the
 * agreement format's convention, what GEOS and every GIS draw). The distance
 * from a point to it is the shortest geodesic on WGS84 to any point of any
 * edge: candidate edges are found with a local equirectangular metric, then
 * each candidate's closest point is found by golden-section search along the
 * edge on exact geodesic distances (geod_inverse). Accurate to millimetres
 * for any edge length (tests/unit/test_geo_lines.c measures it). */
typedef struct vg_geo_line vg_geo_line;

/* parts: n_parts polylines of part_len[i] vertices each, concatenated in
 * pts (lon, lat). Each part needs 2+ vertices and a non-zero length.
 * Coordinates are copied. */
vg_status vg_geo_line_new(const double (*pts)[2], const uint32_t *part_len, uint32_t n_parts,
                          vg_geo_line **out, struct vg_err *err) VG_WUR;
/* A GEOS context whose notices and errors are dropped (callers report
 * their own, naming the place); NULL if out of memory. GEOS_finish_r
 * frees it. One per thread: GEOS contexts are not shared. */
struct GEOSContextHandle_HS;
struct GEOSContextHandle_HS *vg_geo_geos_context(void);

/* The structure of a GeoJSON text before GEOS reads it: a geometry (with
 * geometry_only), or also a Feature or a FeatureCollection of Features;
 * every position 2 or 3 finite numbers, longitude and latitude in CRS84
 * ranges, nested as its type says, lines of 2 positions or more, rings of
 * 4 or more and closed, no feature without a geometry, collections at most
 * 8 deep. VG_ERR_GEOMETRY with the place ("features[3].geometry.
 * coordinates[0][7]: a position needs 2 or 3 numbers, not 1"). *out (if
 * out; free()) is the same document with altitudes dropped, the text to
 * give GEOS. geojson.c says why. */
vg_status vg_geo_geojson_check(const char *text, size_t len, bool geometry_only, char **out,
                               struct vg_err *err) VG_WUR;

/* From a GeoJSON geometry text (LineString or MultiLineString); checks
 * CRS84 ranges and that the line is simple (GEOS isSimple: no
 * self-intersection) unless allow_nonsimple. */
vg_status vg_geo_line_from_geojson(const char *geom, bool allow_nonsimple, vg_geo_line **out,
                                   struct vg_err *err) VG_WUR;
void vg_geo_line_free(vg_geo_line *l);
uint32_t vg_geo_line_vertices(const vg_geo_line *l);

struct vg_geo_foot {
	double dist_m;            /* geodesic distance to the line */
	double lat_deg, lon_deg;  /* the closest point of the line */
	uint32_t part, seg;       /* which part and edge (edge i: vertices i, i+1) */
	double t;                 /* position along that edge, 0..1 */
	double az_deg;            /* azimuth of the edge at the foot (direction of travel) */
	int lr;                   /* -1 the point is left of the edge's direction, +1 right, 0 on it */
};
/* Distance from (lat, lon) to l; foot may be NULL. */
double vg_geo_line_distance(const vg_geo_line *l, double lat_deg, double lon_deg,
                            struct vg_geo_foot *foot);

/* ---- Areas: side membership with GEOS prepared geometries ------------------
 * An area is a Polygon or MultiPolygon. Used by one thread at a time. */
typedef struct vg_geo_area vg_geo_area;

/* From a GeoJSON geometry text: Polygon or MultiPolygon, every position in
 * CRS84 ranges, rings closed, valid (no self-intersection; GEOS reason and
 * place in the message), non-zero area. */
vg_status vg_geo_area_from_geojson(const char *geom, vg_geo_area **out, struct vg_err *err) VG_WUR;
void vg_geo_area_free(vg_geo_area *a);
bool vg_geo_area_contains(const vg_geo_area *a, double lat_deg, double lon_deg);
/* Whether a lon/lat box lies entirely inside (interior) a. */
bool vg_geo_area_contains_box(const vg_geo_area *a, double min_lat, double min_lon,
                              double max_lat, double max_lon);
/* Area of the intersection of a and b divided by the smaller area
 * (lon/lat degrees squared: a measure of overlap, not of size). */
double vg_geo_area_overlap(const vg_geo_area *a, const vg_geo_area *b);
/* Bounding box. */
void vg_geo_area_bbox(const vg_geo_area *a, double *min_lat, double *min_lon, double *max_lat,
                      double *max_lon);

/* ---- Attribution probability ----------------------------------------------
 * A located point has a Gaussian error: mean (lat, lon), covariance cov_m2
 * (m^2, rows/columns east, north). vg_geo_attribution writes into p[i] the
 * probability that the true point lies in areas[i] (the areas should not
 * overlap; 1 - sum p is the mass outside all of them).
 *
 * Method: if the box of the 8-sigma ellipse lies inside one area, that area
 * gets 1. Otherwise the Gaussian is integrated in whitened coordinates
 * z = L^-1 x (C = L L^T), in rows parallel to the local direction of the
 * line (line_az_deg; any direction works, this one makes the rows cross the
 * boundary once): 25 rows at v = -6..6 step 0.5 weighted by the trapezoid
 * rule (spectrally accurate for Gaussian integrals of smooth functions);
 * along each row membership is sampled every 0.5 sigma over [-8, 8] and
 * each change of membership is located by bisection to 1e-4 sigma, the
 * mass of each run given exactly by the normal CDF. Exact for a straight
 * boundary; tests/unit/test_geo_lines.c measures curved ones against
 * Monte Carlo. Positions are mapped back to lon/lat with the local radii
 * of curvature (error (r/R)^2 relative, negligible within 8 sigma). */
void vg_geo_attribution(vg_geo_area *const *areas, uint32_t n, double lat_deg, double lon_deg,
                        const double cov_m2[2][2], double line_az_deg, double *p);

/* The 1-D approximation across a straight line: the probability of being
 * on the side the signed distance d_m points to (d > 0: the point is on
 * that side), with the variance along the line's normal (line azimuth
 * line_az_deg): Phi(d / sqrt(n^T C n)). */
double vg_geo_attribution_1d(double d_m, double line_az_deg, const double cov_m2[2][2]);

/* Standard normal CDF. */
double vg_geo_phi(double x);

/* ---- Coverage --------------------------------------------------------------
 * The share of area a that the union of n polygons (closed lon/lat rings,
 * ring i of ring_n[i] vertices) covers, measured in the sinusoidal
 * projection about a's central meridian (equal-area on the sphere, so the
 * share is a true area share to ~0.3 %). *area_km2 (may be NULL) is a's area. */
vg_status vg_geo_covered_share(const vg_geo_area *a, const double (*const *rings)[2],
                               const uint32_t *ring_n, uint32_t n, double *share, double *area_km2,
                               struct vg_err *err) VG_WUR;

/* The part of area a within d_m of line l (geodesic distance), minus the
 * areas excl (may be NULL when n_excl is 0): a withdrawal belt (a party's
 * side within D km of its reference line, holding areas left out). Built
 * with GEOS in an azimuthal equidistant plane about the middle of l's box
 * (geodesics; distance error about (r/R)^2/6 at r from that middle), side
 * edges densified to 0.01 degree, the result's to 1 km. VG_ERR_NOT_FOUND if
 * nothing of a lies that close, VG_ERR_INTERNAL if GEOS fails. */
vg_status vg_geo_band_new(const vg_geo_area *a, const vg_geo_line *l, double d_m,
                          const vg_geo_area *const *excl, uint32_t n_excl, vg_geo_area **out,
                          struct vg_err *err) VG_WUR;

/* Destination of a geodesic (PROJ geod_direct). */
void vg_geo_direct(double lat_deg, double lon_deg, double az_deg, double s_m, double *lat2,
                   double *lon2);
/* Geodesic inverse: distance and forward azimuth from 1 to 2. */
double vg_geo_inverse(double lat1, double lon1, double lat2, double lon2, double *az1_deg);

#endif

/*
 * world.c - the simulated front: the contact line and the agreement's
 * polygons, the forces and their tracks, fire missions (launches, impacts,
 * fires) and the violations as the agreement's rules define them.
 *
 * Everything random here draws from streams of the run's seed (RS_* in
 * sim_int.h) in a fixed order, so the world is a pure function of
 * (scenario, seed).
 *
 * Distances to the contact line (withdrawal truth) are geodesic: the
 * candidate segments are found in the front frame, then measured in an
 * azimuthal equidistant projection centred on the point (geod_inverse to
 * each segment end, C. F. F. Karney, J. Geodesy 87, 43-55, 2013,
 * doi:10.1007/s00190-012-0578-z), accurate to metres at 100 km.
 */
#include "geo/geo.h"
#include "sim/sim_int.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DEG (M_PI / 180.0)
#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)
#define WGS84_E2 (WGS84_F * (2.0 - WGS84_F))
#define NS(s) ((int64_t)llround((s) * 1e9))

/* ---- Weapon table ---------------------------------------------------------- */

void sim_weapons_default(struct sim_weapon w[VG_CLS_COUNT_])
{
	memset(w, 0, sizeof *w * VG_CLS_COUNT_);
	for (int c = 0; c < VG_CLS_COUNT_; c++)
		w[c].length_m = 7;
	/* Indirect fire. Sources and assumptions: docs/simulator.md, "Weapons". */
	w[VG_CLS_ARTILLERY] = (struct sim_weapon){true, 188, 190, 30, 340, 3, 24, 100, 50, 4, 0.05, 0.03, 9};
	w[VG_CLS_ARTILLERY_LIGHT] = (struct sim_weapon){true, 180, 182, 40, 350, 2, 15, 60, 15, 2, 0.03, 0.03, 6};
	w[VG_CLS_MORTAR] = (struct sim_weapon){true, 176, 184, 50, 170, 0.5, 7, 40, 15, 2.5, 0.03, 0.03, 2};
	w[VG_CLS_MLRS] = (struct sim_weapon){true, 185, 188, 35, 450, 4, 20, 200, 70, 3, 0.08, 0.05, 7};
	w[VG_CLS_MLRS_HEAVY] = (struct sim_weapon){true, 192, 196, 25, 700, 10, 70, 300, 140, 6, 0.10, 0.05, 12};
	w[VG_CLS_TACTICAL_MISSILE] = (struct sim_weapon){true, 195, 205, 20, 800, 15, 120, 150, 140, 10, 0.15, 0.02, 12};
	/* Vehicles: only the withdrawal distance and size matter. */
	w[VG_CLS_TANK].withdrawal_km = 15;
	w[VG_CLS_TANK].length_m = 9;
	w[VG_CLS_APC].length_m = 7;
	w[VG_CLS_IFV].length_m = 7;
	w[VG_CLS_TRUCK].length_m = 8;
	w[VG_CLS_AIR_DEFENCE].length_m = 8;
}

/* ---- Frames ------------------------------------------------------------------ */

void sim_frame_init(struct sim_frame *f, double lat0, double lon0, double az_deg, double half_len_m)
{
	double sl = sin(lat0 * DEG);
	double w2 = 1.0 - WGS84_E2 * sl * sl;
	double rn = WGS84_A / sqrt(w2);
	double rm = WGS84_A * (1.0 - WGS84_E2) / (w2 * sqrt(w2));
	f->lat0 = lat0;
	f->lon0 = lon0;
	f->k_lat = rm * DEG;
	f->k_lon = rn * cos(lat0 * DEG) * DEG;
	f->sin_az = sin(az_deg * DEG);
	f->cos_az = cos(az_deg * DEG);
	f->half_len_m = half_len_m;
}

void sim_frame_to_ll(const struct sim_frame *f, double x, double y, double *lat, double *lon)
{
	*lat = f->lat0 + y / f->k_lat;
	*lon = f->lon0 + x / f->k_lon;
}

void sim_frame_from_ll(const struct sim_frame *f, double lat, double lon, double *x, double *y)
{
	*x = (lon - f->lon0) * f->k_lon;
	*y = (lat - f->lat0) * f->k_lat;
}

void sim_frame_sv_to_xy(const struct sim_frame *f, double s, double v, double *x, double *y)
{
	double a = s - f->half_len_m;
	*x = a * f->sin_az + v * f->cos_az;
	*y = a * f->cos_az - v * f->sin_az;
}

void sim_frame_xy_to_sv(const struct sim_frame *f, double x, double y, double *s, double *v)
{
	*s = f->half_len_m + x * f->sin_az + y * f->cos_az;
	*v = x * f->cos_az - y * f->sin_az;
}

void sim_pos_from_xy(const struct sim_frame *f, double x, double y, struct sim_pos *p)
{
	p->x = x;
	p->y = y;
	sim_frame_to_ll(f, x, y, &p->lat, &p->lon);
	sim_ecef(p->lat, p->lon, 0, p->ecef);
}

void sim_pos_from_ll(const struct sim_frame *f, double lat, double lon, struct sim_pos *p)
{
	p->lat = lat;
	p->lon = lon;
	sim_frame_from_ll(f, lat, lon, &p->x, &p->y);
	sim_ecef(lat, lon, 0, p->ecef);
}

vg_status sim_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem, uint32_t max,
                   const char *what, struct vg_err *err)
{
	if (n < *cap)
		return VG_OK;
	if (n >= max)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: more than %u", what, max);
	uint32_t nc = *cap ? *cap * 2 : 64;
	if (nc > max)
		nc = max;
	void *p = realloc(*arr, (size_t)nc * elem);
	if (!p)
		return vg_err_set(err, VG_ERR_NOMEM, "%s: %u elements", what, nc);
	memset((char *)p + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
	*arr = p;
	*cap = nc;
	return VG_OK;
}

vg_status sim_poly_add(struct sim_world *w, const double (*ll)[2], uint32_t n, uint32_t *first,
                       struct vg_err *err)
{
	while (w->n_pts + n > w->cap_pts) {
		uint32_t nc = w->cap_pts ? w->cap_pts * 2 : 4096;
		if (nc > (1u << 26))
			return vg_err_set(err, VG_ERR_LIMIT, "polygon pool full");
		void *p = realloc(w->pts, (size_t)nc * sizeof *w->pts);
		if (!p)
			return vg_err_set(err, VG_ERR_NOMEM, "polygon pool");
		w->pts = p;
		w->cap_pts = nc;
	}
	memcpy(w->pts + w->n_pts, ll, (size_t)n * sizeof *ll);
	*first = w->n_pts;
	w->n_pts += n;
	return VG_OK;
}

/* ---- The contact line ---------------------------------------------------------- */

double sim_line_v(const struct sim_world *w, double s)
{
	const double (*sv)[2] = w->line_sv;
	uint32_t n = w->n_line;
	if (s <= sv[0][0])
		return sv[0][1];
	if (s >= sv[n - 1][0])
		return sv[n - 1][1];
	uint32_t lo = 0, hi = n - 1;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (sv[mid][0] <= s)
			lo = mid;
		else
			hi = mid;
	}
	double t = (s - sv[lo][0]) / (sv[hi][0] - sv[lo][0]);
	return sv[lo][1] + t * (sv[hi][1] - sv[lo][1]);
}

static bool point_in_ring(const double (*r)[2], uint32_t n, double x, double y);
static double seg_dist2(double px, double py, double ax, double ay, double bx, double by);

int sim_side_of(const struct sim_world *w, double x, double y)
{
	if (!w->sc->front.loaded) {
		double s, v;
		sim_frame_xy_to_sv(&w->fr, x, y, &s, &v);
		return v > sim_line_v(w, s) ? 1 : 0;
	}
	for (int p = 0; p < 2; p++)
		if (point_in_ring((const double (*)[2])w->side_xy[p], w->n_side[p], x, y))
			return p;
	/* Outside both polygons: the side of the nearest segment. */
	double best = INFINITY, cr = 0;
	for (uint32_t i = 0; i + 1 < w->n_line; i++) {
		const double *a = w->line_xy[i], *b = w->line_xy[i + 1];
		double d2 = seg_dist2(x, y, a[0], a[1], b[0], b[1]);
		if (d2 < best) {
			best = d2;
			cr = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
		}
	}
	return cr < 0 ? w->right_party : 1 - w->right_party;
}

static void line_at(const struct sim_world *w, double a, double *x, double *y);

double sim_line_facing_deg(const struct sim_world *w, double x, double y, double half_window_m)
{
	/* The nearest point's arc length, then the chord over +-half_window. */
	double best = INFINITY, an = 0;
	for (uint32_t i = 0; i + 1 < w->n_line; i++) {
		const double *a = w->line_xy[i], *b = w->line_xy[i + 1];
		double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
		double t = l2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / l2 : 0;
		t = t < 0 ? 0 : t > 1 ? 1 : t;
		double px = a[0] + t * dx, py = a[1] + t * dy, d2 = (px - x) * (px - x) + (py - y) * (py - y);
		if (d2 < best) {
			best = d2;
			an = w->line_cum[i] + t * (w->line_cum[i + 1] - w->line_cum[i]);
		}
	}
	double ax, ay, bx, by, mx, my;
	line_at(w, an - half_window_m, &ax, &ay);
	line_at(w, an + half_window_m, &bx, &by);
	line_at(w, an, &mx, &my);
	double tx = bx - ax, ty = by - ay;
	/* The normal (ty, -tx) or its opposite, whichever points at the line. */
	double nx = ty, ny = -tx;
	if (nx * (mx - x) + ny * (my - y) < 0) {
		nx = -nx;
		ny = -ny;
	}
	double az = atan2(nx, ny) / DEG;
	return az < 0 ? az + 360 : az;
}

/* The point at arc length a (m) along the line, clamped to its ends. */
static void line_at(const struct sim_world *w, double a, double *x, double *y)
{
	uint32_t n = w->n_line;
	const double *cum = w->line_cum;
	if (a <= 0) {
		*x = w->line_xy[0][0];
		*y = w->line_xy[0][1];
		return;
	}
	if (a >= cum[n - 1]) {
		*x = w->line_xy[n - 1][0];
		*y = w->line_xy[n - 1][1];
		return;
	}
	uint32_t lo = 0, hi = n - 1;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (cum[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	double seg = cum[hi] - cum[lo], f = seg > 0 ? (a - cum[lo]) / seg : 0;
	*x = w->line_xy[lo][0] + f * (w->line_xy[hi][0] - w->line_xy[lo][0]);
	*y = w->line_xy[lo][1] + f * (w->line_xy[hi][1] - w->line_xy[lo][1]);
}

void sim_place_front(const struct sim_world *w, int party, double along_km, double dist_km,
                     double *x, double *y)
{
	/* along: arc length from the line's first vertex; the offset goes along
	 * the normal of the line smoothed over +-max(2 km, |d|/2), so that far
	 * placements do not follow every bend. */
	double a = along_km * 1000.0, d = dist_km * 1000.0;
	double h = fabs(d) / 2 > 2000.0 ? fabs(d) / 2 : 2000.0;
	double px, py, ax, ay, bx, by;
	line_at(w, a, &px, &py);
	line_at(w, a - h, &ax, &ay);
	line_at(w, a + h, &bx, &by);
	double tx = bx - ax, ty = by - ay, tn = hypot(tx, ty);
	if (tn > 0) {
		tx /= tn;
		ty /= tn;
	} else {
		tx = w->fr.sin_az;
		ty = w->fr.cos_az;
	}
	/* Right of the direction (tx, ty) is (ty, -tx). */
	double sg = party < 0 ? 1.0 : party == w->right_party ? 1.0 : -1.0;
	*x = px + sg * d * ty;
	*y = py - sg * d * tx;
}

static double seg_dist2(double px, double py, double ax, double ay, double bx, double by)
{
	double dx = bx - ax, dy = by - ay;
	double l2 = dx * dx + dy * dy;
	double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double ex = ax + t * dx - px, ey = ay + t * dy - py;
	return ex * ex + ey * ey;
}

double sim_line_distance_m(const struct sim_world *w, double lat, double lon)
{
	double x, y;
	sim_frame_from_ll(&w->fr, lat, lon, &x, &y);
	/* Candidates: segments within 3 % + 2 km of the front-frame minimum
	 * (the frame's scale error is about 1 % across a sector). */
	double best = INFINITY;
	for (uint32_t i = 0; i + 1 < w->n_line; i++) {
		double d2 = seg_dist2(x, y, w->line_xy[i][0], w->line_xy[i][1], w->line_xy[i + 1][0],
		                      w->line_xy[i + 1][1]);
		if (d2 < best)
			best = d2;
	}
	double gate = sqrt(best) * 1.03 + 2000.0;
	double exact = INFINITY;
	double prev_e = 0, prev_n = 0;
	uint32_t prev_i = UINT32_MAX;
	for (uint32_t i = 0; i + 1 < w->n_line; i++) {
		double d2 = seg_dist2(x, y, w->line_xy[i][0], w->line_xy[i][1], w->line_xy[i + 1][0],
		                      w->line_xy[i + 1][1]);
		if (d2 > gate * gate)
			continue;
		double ends[2][2];
		for (uint32_t k = 0; k < 2; k++) {
			uint32_t j = i + k;
			if (j == prev_i) {
				ends[k][0] = prev_e;
				ends[k][1] = prev_n;
				continue;
			}
			double la, lo, s12, az1, az2;
			sim_frame_to_ll(&w->fr, w->line_xy[j][0], w->line_xy[j][1], &la, &lo);
			geod_inverse(&w->geod, lat, lon, la, lo, &s12, &az1, &az2);
			ends[k][0] = s12 * sin(az1 * DEG);
			ends[k][1] = s12 * cos(az1 * DEG);
			prev_i = j;
			prev_e = ends[k][0];
			prev_n = ends[k][1];
		}
		double dd = seg_dist2(0, 0, ends[0][0], ends[0][1], ends[1][0], ends[1][1]);
		if (dd < exact)
			exact = dd;
	}
	return sqrt(exact);
}

static bool point_in_ring(const double (*r)[2], uint32_t n, double x, double y)
{
	bool in = false;
	for (uint32_t i = 0, j = n - 1; i < n; j = i++) {
		if ((r[i][1] > y) != (r[j][1] > y) &&
		    x < (r[j][0] - r[i][0]) * (y - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0])
			in = !in;
	}
	return in;
}

bool sim_in_holding(const struct sim_world *w, int party, double x, double y)
{
	for (uint32_t i = 0; i < w->n_hold; i++) {
		if (w->hold[i].party != party)
			continue;
		if (w->hold[i].n_xy) {
			if (point_in_ring((const double (*)[2])w->hold[i].xy, w->hold[i].n_xy, x, y))
				return true;
			continue;
		}
		double dx = x - w->hold[i].x, dy = y - w->hold[i].y;
		if (dx * dx + dy * dy <= w->hold[i].r_m * w->hold[i].r_m)
			return true;
	}
	return false;
}

double sim_temp_at(const struct sim_world *w, int64_t t)
{
	/* Peak at 15:00 local solar time (longitude / 15 h from UTC). */
	const struct sim_env *e = &w->sc->env;
	double h = fmod((double)(t % (86400 * VG_NS_PER_S)) / 3.6e12 + w->sc->front.lon / 15.0 + 48.0, 24.0);
	return e->temp_c + e->diurnal_c * cos(2 * M_PI * (h - 15.0) / 24.0);
}

/* Ring orientation: make exterior rings counter-clockwise (RFC 7946 3.1.6). */
static void ring_ccw(double (*r)[2], uint32_t n)
{
	double a = 0;
	for (uint32_t i = 0; i + 1 < n; i++)
		a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
	if (a < 0)
		for (uint32_t i = 0, j = n - 1; i < j; i++, j--) {
			double t0 = r[i][0], t1 = r[i][1];
			r[i][0] = r[j][0];
			r[i][1] = r[j][1];
			r[j][0] = t0;
			r[j][1] = t1;
		}
}

static vg_status build_zone(struct sim_world *w, double half_w, struct vg_err *err)
{
	vg_status st = VG_OK;
	GEOSContextHandle_t h = vg_geo_geos_context();
	if (!h)
		return vg_err_set(err, VG_ERR_NOMEM, "GEOS context");
	GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, w->n_line, 2);
	GEOSGeometry *line = NULL, *buf = NULL;
	if (!seq) {
		st = vg_err_set(err, VG_ERR_NOMEM, "GEOS sequence");
		goto out_finish;
	}
	for (uint32_t i = 0; i < w->n_line; i++) {
		GEOSCoordSeq_setX_r(h, seq, i, w->line_xy[i][0]);
		GEOSCoordSeq_setY_r(h, seq, i, w->line_xy[i][1]);
	}
	line = GEOSGeom_createLineString_r(h, seq);
	if (!line) {
		st = vg_err_set(err, VG_ERR_INTERNAL, "GEOS line string");
		goto out_finish;
	}
	buf = GEOSBufferWithStyle_r(h, line, half_w, 8, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_ROUND, 5.0);
	const GEOSGeometry *ring = buf && GEOSGeomTypeId_r(h, buf) == GEOS_POLYGON
	                                   ? GEOSGetExteriorRing_r(h, buf)
	                                   : NULL;
	const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
	unsigned int n = 0;
	if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 4) {
		st = vg_err_set(err, VG_ERR_INTERNAL, "security zone: buffer of the contact line failed");
		goto out_geom;
	}
	w->zone_ll = calloc(n, sizeof *w->zone_ll);
	w->zone_xy = calloc(n, sizeof *w->zone_xy);
	if (!w->zone_ll || !w->zone_xy) {
		st = vg_err_set(err, VG_ERR_NOMEM, "security zone");
		goto out_geom;
	}
	for (unsigned i = 0; i < n; i++) {
		double x = 0, y = 0;
		GEOSCoordSeq_getX_r(h, cs, i, &x);
		GEOSCoordSeq_getY_r(h, cs, i, &y);
		w->zone_xy[i][0] = x;
		w->zone_xy[i][1] = y;
	}
	w->n_zone = n;
	for (unsigned i = 0; i < n; i++) {
		double la, lo;
		sim_frame_to_ll(&w->fr, w->zone_xy[i][0], w->zone_xy[i][1], &la, &lo);
		w->zone_ll[i][0] = lo;
		w->zone_ll[i][1] = la;
	}
	ring_ccw(w->zone_ll, n);
out_geom:
	if (buf)
		GEOSGeom_destroy_r(h, buf);
	GEOSGeom_destroy_r(h, line);
out_finish:
	GEOS_finish_r(h);
	return st;
}

/* Copy a lon/lat ring into the front frame. */
static double (*ring_xy(const struct sim_world *w, const double (*ll)[2], uint32_t n))[2]
{
	double (*r)[2] = calloc(n ? n : 1, sizeof *r);
	if (r)
		for (uint32_t i = 0; i < n; i++)
			sim_frame_from_ll(&w->fr, ll[i][1], ll[i][0], &r[i][0], &r[i][1]);
	return r;
}

static double (*ring_dup(const double (*ll)[2], uint32_t n))[2]
{
	double (*r)[2] = calloc(n ? n : 1, sizeof *r);
	if (r)
		memcpy(r, ll, (size_t)n * sizeof *r);
	return r;
}

/* Arc lengths, side polygons in the front frame, and which party is right. */
static vg_status line_common(struct sim_world *w, struct vg_err *err)
{
	if (w->line_cum)
		return VG_OK;
	w->line_cum = calloc(w->n_line, sizeof *w->line_cum);
	if (!w->line_cum)
		return vg_err_set(err, VG_ERR_NOMEM, "contact line");
	for (uint32_t i = 1; i < w->n_line; i++)
		w->line_cum[i] = w->line_cum[i - 1] + hypot(w->line_xy[i][0] - w->line_xy[i - 1][0],
		                                            w->line_xy[i][1] - w->line_xy[i - 1][1]);
	for (int p = 0; p < 2; p++) {
		if (w->side_xy[p])
			continue;
		w->side_xy[p] = ring_xy(w, (const double (*)[2])w->side_ll[p], w->n_side[p]);
		if (!w->side_xy[p])
			return vg_err_set(err, VG_ERR_NOMEM, "sides");
	}
	w->right_party = 1;
	if (w->sc->front.loaded) {
		/* Probe 50 m to the right of the middle of the line. */
		uint32_t k = w->n_line / 2 - (w->n_line % 2 == 0 && w->n_line > 1 ? 1 : 0);
		if (k + 1 >= w->n_line)
			k = w->n_line - 2;
		const double *a = w->line_xy[k], *b = w->line_xy[k + 1];
		double tx = b[0] - a[0], ty = b[1] - a[1], tn = hypot(tx, ty);
		if (tn > 0) {
			double mx = (a[0] + b[0]) / 2 + 50 * ty / tn, my = (a[1] + b[1]) / 2 - 50 * tx / tn;
			if (point_in_ring((const double (*)[2])w->side_xy[0], w->n_side[0], mx, my))
				w->right_party = 0;
		}
	}
	return VG_OK;
}

/* The geometry of an agreement file (front.agreement). */
static vg_status load_front(struct sim_world *w, struct vg_err *err)
{
	const struct sim_front_spec *f = &w->sc->front;
	uint32_t n = f->n_line;
	w->n_line = n;
	w->line_xy = ring_xy(w, (const double (*)[2])f->line_ll, n);
	if (!w->line_xy)
		return vg_err_set(err, VG_ERR_NOMEM, "contact line");
	for (int p = 0; p < 2; p++) {
		w->n_side[p] = f->n_side[p];
		w->side_ll[p] = ring_dup((const double (*)[2])f->side_ll[p], f->n_side[p]);
		if (!w->side_ll[p])
			return vg_err_set(err, VG_ERR_NOMEM, "sides");
	}
	if (f->zone_ll) {
		w->n_zone = f->n_zone;
		w->zone_ll = ring_dup((const double (*)[2])f->zone_ll, f->n_zone);
		w->zone_xy = ring_xy(w, (const double (*)[2])f->zone_ll, f->n_zone);
		if (!w->zone_ll || !w->zone_xy)
			return vg_err_set(err, VG_ERR_NOMEM, "security zone");
	}
	w->n_hold = f->n_holding;
	w->hold = calloc(f->n_holding + 1, sizeof *w->hold);
	if (!w->hold)
		return vg_err_set(err, VG_ERR_NOMEM, "holding areas");
	for (uint32_t i = 0; i < f->n_holding; i++) {
		const struct sim_holding_spec *hs = &f->holding[i];
		struct sim_hold *h = &w->hold[i];
		h->party = hs->party;
		h->n = h->n_xy = hs->n_ring;
		h->ll = ring_dup((const double (*)[2])hs->ring_ll, hs->n_ring);
		h->xy = ring_xy(w, (const double (*)[2])hs->ring_ll, hs->n_ring);
		if (!h->ll || !h->xy)
			return vg_err_set(err, VG_ERR_NOMEM, "holding area");
		double cx = 0, cy = 0;
		for (uint32_t k = 0; k + 1 < hs->n_ring; k++) {
			cx += h->xy[k][0] / (hs->n_ring - 1);
			cy += h->xy[k][1] / (hs->n_ring - 1);
		}
		h->x = cx;
		h->y = cy;
		for (uint32_t k = 0; k < hs->n_ring; k++) {
			double r = hypot(h->xy[k][0] - cx, h->xy[k][1] - cy);
			if (r > h->r_m)
				h->r_m = r;
		}
	}
	return VG_OK;
}

static vg_status build_front(struct sim_world *w, struct vg_err *err)
{
	const struct sim_front_spec *f = &w->sc->front;
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_FRONT);
	double L = f->length_km * 1000.0;
	sim_frame_init(&w->fr, f->lat, f->lon, f->azimuth_deg, L / 2);
	geod_init(&w->geod, WGS84_A, WGS84_F);
	vg_status st;
	if (f->loaded) {
		/* s = 0 at the line's first vertex. */
		double x0, y0;
		sim_frame_from_ll(&w->fr, f->line_ll[0][1], f->line_ll[0][0], &x0, &y0);
		w->fr.half_len_m = -(x0 * w->fr.sin_az + y0 * w->fr.cos_az);
		if ((st = load_front(w, err)))
			return st;
		goto out_common;
	}

	/* A smooth random line: four sinusoids, wavelengths falling by ~1.8x
	 * and amplitudes by 2x, normalised so |v| <= meander. */
	static const double wl[4] = {1.0, 0.55, 0.3, 0.17}, amp[4] = {1.0, 0.5, 0.25, 0.125};
	double phase[4], asum = 1.875;
	for (int k = 0; k < 4; k++)
		phase[k] = vg_rng_range(&rng, 0, 2 * M_PI);
	uint32_t n = (uint32_t)ceil(f->length_km / f->vertex_spacing_km) + 1;
	if (n < 2)
		n = 2;
	w->n_line = n;
	w->line_xy = calloc(n, sizeof *w->line_xy);
	w->line_sv = calloc(n, sizeof *w->line_sv);
	if (!w->line_xy || !w->line_sv)
		return vg_err_set(err, VG_ERR_NOMEM, "contact line");
	for (uint32_t i = 0; i < n; i++) {
		double s = L * i / (n - 1), v = 0;
		for (int k = 0; k < 4; k++)
			v += amp[k] / asum * sin(2 * M_PI * s / (f->meander_wavelength_km * 1000.0 * wl[k]) + phase[k]);
		v *= f->meander_km * 1000.0;
		w->line_sv[i][0] = s;
		w->line_sv[i][1] = v;
		sim_frame_sv_to_xy(&w->fr, s, v, &w->line_xy[i][0], &w->line_xy[i][1]);
	}

	/* Sides: the line closed by the far corners at depth_km. */
	double D = f->depth_km * 1000.0;
	for (int side = 0; side < 2; side++) {
		uint32_t m = n + 3;
		double (*r)[2] = calloc(m, sizeof *r);
		if (!r)
			return vg_err_set(err, VG_ERR_NOMEM, "side polygon");
		double sg = side == 0 ? -1.0 : 1.0;
		double cx[2][2];
		sim_frame_sv_to_xy(&w->fr, L, sg * D, &cx[0][0], &cx[0][1]);
		sim_frame_sv_to_xy(&w->fr, 0, sg * D, &cx[1][0], &cx[1][1]);
		for (uint32_t i = 0; i < n; i++)
			sim_frame_to_ll(&w->fr, w->line_xy[i][0], w->line_xy[i][1], &r[i][1], &r[i][0]);
		sim_frame_to_ll(&w->fr, cx[0][0], cx[0][1], &r[n][1], &r[n][0]);
		sim_frame_to_ll(&w->fr, cx[1][0], cx[1][1], &r[n + 1][1], &r[n + 1][0]);
		r[n + 2][0] = r[0][0];
		r[n + 2][1] = r[0][1];
		ring_ccw(r, m);
		w->side_ll[side] = r;
		w->n_side[side] = m;
	}
	if ((st = build_zone(w, f->security_zone_km * 1000.0, err)))
		return st;

	if ((st = line_common(w, err)))
		return st;
	/* Holding areas: 32-gons. */
	w->n_hold = f->n_holding;
	w->hold = calloc(f->n_holding + 1, sizeof *w->hold);
	if (!w->hold)
		return vg_err_set(err, VG_ERR_NOMEM, "holding areas");
	for (uint32_t i = 0; i < f->n_holding; i++) {
		const struct sim_holding_spec *hs = &f->holding[i];
		double cx, cy;
		sim_place_front(w, hs->party, hs->along_km, hs->dist_km, &cx, &cy);
		w->hold[i].x = cx;
		w->hold[i].y = cy;
		w->hold[i].r_m = hs->radius_km * 1000.0;
		w->hold[i].party = hs->party;
		w->hold[i].n = 33;
		w->hold[i].ll = calloc(33, sizeof *w->hold[i].ll);
		if (!w->hold[i].ll)
			return vg_err_set(err, VG_ERR_NOMEM, "holding area");
		for (uint32_t k = 0; k < 32; k++) {
			double a = 2 * M_PI * k / 32;
			/* The polygon is inscribed: shrink nothing, membership uses the circle. */
			sim_frame_to_ll(&w->fr, cx + w->hold[i].r_m * cos(a), cy + w->hold[i].r_m * sin(a),
			                &w->hold[i].ll[k][1], &w->hold[i].ll[k][0]);
		}
		w->hold[i].ll[32][0] = w->hold[i].ll[0][0];
		w->hold[i].ll[32][1] = w->hold[i].ll[0][1];
	}
	return VG_OK;
out_common:
	return line_common(w, err);
}

/* ---- Objects and tracks ------------------------------------------------------- */

bool sim_object_at(const struct sim_object *o, int64_t t, double *x, double *y, double *speed_mps,
                   double *heading_deg)
{
	if (o->n_wp == 0 || t < o->wp[0].t_ns || t > o->wp[o->n_wp - 1].t_ns)
		return false;
	uint32_t lo = 0, hi = o->n_wp - 1;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (o->wp[mid].t_ns <= t)
			lo = mid;
		else
			hi = mid;
	}
	const struct sim_waypoint *a = &o->wp[lo], *b = &o->wp[hi];
	double dt = (double)(b->t_ns - a->t_ns) / 1e9;
	double f = dt > 0 ? (double)(t - a->t_ns) / 1e9 / dt : 0;
	if (f > 1)
		f = 1;
	*x = a->x + f * (b->x - a->x);
	*y = a->y + f * (b->y - a->y);
	double dx = b->x - a->x, dy = b->y - a->y;
	double v = dt > 0 && lo != hi ? hypot(dx, dy) / dt : 0;
	if (speed_mps)
		*speed_mps = v;
	if (heading_deg) {
		double hd = atan2(dx, dy) / DEG;
		*heading_deg = v > 0 ? (hd < 0 ? hd + 360 : hd) : 0;
	}
	return true;
}

static vg_status obj_add_wp(struct sim_object *o, int64_t t, double x, double y, struct vg_err *err)
{
	if (o->n_wp && t < o->wp[o->n_wp - 1].t_ns)
		t = o->wp[o->n_wp - 1].t_ns;
	vg_status st = sim_grow((void **)&o->wp, &o->cap_wp, o->n_wp, sizeof *o->wp, 100000,
	                        "track waypoints", err);
	if (st)
		return st;
	o->wp[o->n_wp++] = (struct sim_waypoint){t, x, y};
	return VG_OK;
}

/* A point of a placement (front frame), with a draw from rng. */
static void place_point(const struct sim_world *w, int party, const struct sim_place *pl,
                        struct vg_rng *rng, double *x, double *y)
{
	switch (pl->mode) {
	case PLACE_POINT: {
		sim_frame_from_ll(&w->fr, pl->lat, pl->lon, x, y);
		return;
	}
	case PLACE_HOLDING: {
		const struct sim_hold *h = &w->hold[pl->holding];
		for (int tries = 0; tries < 1000; tries++) {
			double r = h->r_m * (h->n_xy ? 1.0 : 0.8) * sqrt(vg_rng_uniform(rng));
			double a = vg_rng_range(rng, 0, 2 * M_PI);
			*x = h->x + r * cos(a);
			*y = h->y + r * sin(a);
			if (!h->n_xy || point_in_ring((const double (*)[2])h->xy, h->n_xy, *x, *y))
				return;
		}
		*x = h->x; /* a very thin polygon: its centroid */
		*y = h->y;
		return;
	}
	default: {
		double s = vg_rng_range(rng, pl->along_km.lo, pl->along_km.hi);
		double d = vg_rng_range(rng, pl->dist_km.lo, pl->dist_km.hi);
		sim_place_front(w, party, s, d, x, y);
		return;
	}
	}
}

/* Create a unit of `size` objects around (cx, cy), present [from, until]. */
static vg_status add_unit(struct sim_world *w, const char *id, int party, int cls, uint32_t size,
                          double spacing_m, double cx, double cy, int64_t from, int64_t until,
                          struct vg_rng *rng, int viol_spec, uint32_t *out, struct vg_err *err)
{
	vg_status st = SIM_PUSH(w, units, n_units, cap_units, SIM_MAX_OBJECTS, "units", err);
	if (st)
		return st;
	struct sim_unit *u = &w->units[w->n_units];
	snprintf(u->id, sizeof u->id, "%s", id);
	u->cls = cls;
	u->party = party;
	u->first_obj = w->n_obj;
	u->n_obj = size;
	u->present_from = from;
	u->present_until = until;
	u->viol_spec = viol_spec;
	/* Weapons in a line across the direction to the front, jittered. */
	for (uint32_t k = 0; k < size; k++) {
		if ((st = SIM_PUSH(w, obj, n_obj, cap_obj, SIM_MAX_OBJECTS, "objects", err)))
			return st;
		struct sim_object *o = &w->obj[w->n_obj];
		snprintf(o->id, sizeof o->id, "%.48s.%u", id, k + 1);
		o->cls = cls;
		o->party = party;
		o->unit = w->n_units;
		double a = ((double)k - (size - 1) / 2.0) * spacing_m;
		double j1 = 0, j2 = 0; /* a lone weapon stands exactly at its placement */
		if (size > 1) {
			j1 = vg_rng_range(rng, -0.25, 0.25) * spacing_m;
			j2 = vg_rng_range(rng, -0.25, 0.25) * spacing_m;
		}
		double ox = a * w->fr.sin_az + j1, oy = a * w->fr.cos_az + j2;
		if ((st = obj_add_wp(o, from, cx + ox, cy + oy, err)))
			return st;
		w->n_obj++;
	}
	*out = w->n_units++;
	return VG_OK;
}

/* Append a move of the whole unit to (nx, ny) departing at t; every object
 * keeps its offset. Returns the arrival time. */
static vg_status unit_move(struct sim_world *w, uint32_t ui, int64_t t, double dx, double dy,
                           double speed_mps, int64_t *arrive, struct vg_err *err)
{
	struct sim_unit *u = &w->units[ui];
	int64_t dur = NS(hypot(dx, dy) / speed_mps);
	for (uint32_t k = 0; k < u->n_obj; k++) {
		struct sim_object *o = &w->obj[u->first_obj + k];
		const struct sim_waypoint *last = &o->wp[o->n_wp - 1];
		double x = last->x, y = last->y;
		vg_status st = obj_add_wp(o, t, x, y, err);
		if (!st)
			st = obj_add_wp(o, t + dur, x + dx, y + dy, err);
		if (st)
			return st;
	}
	*arrive = t + dur;
	return VG_OK;
}

static vg_status unit_close(struct sim_world *w, uint32_t ui, int64_t t, struct vg_err *err)
{
	struct sim_unit *u = &w->units[ui];
	for (uint32_t k = 0; k < u->n_obj; k++) {
		struct sim_object *o = &w->obj[u->first_obj + k];
		const struct sim_waypoint *last = &o->wp[o->n_wp - 1];
		vg_status st = obj_add_wp(o, t, last->x, last->y, err);
		if (st)
			return st;
	}
	return VG_OK;
}

static void unit_centre(const struct sim_world *w, uint32_t ui, int64_t t, double *x, double *y,
                        bool *moving)
{
	const struct sim_unit *u = &w->units[ui];
	double sx = 0, sy = 0;
	uint32_t n = 0;
	bool mv = false;
	for (uint32_t k = 0; k < u->n_obj; k++) {
		double ox, oy, sp;
		if (sim_object_at(&w->obj[u->first_obj + k], t, &ox, &oy, &sp, NULL)) {
			sx += ox;
			sy += oy;
			n++;
			if (sp > 0)
				mv = true;
		}
	}
	*x = n ? sx / n : 0;
	*y = n ? sy / n : 0;
	if (moving)
		*moving = mv || n == 0;
}

static vg_status build_forces(struct sim_world *w, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_FORCES);
	vg_status st;
	for (uint32_t i = 0; i < sc->n_units; i++) {
		const struct sim_unit_spec *us = &sc->units[i];
		for (uint32_t c = 0; c < us->count; c++) {
			char id[SIM_NAME_MAX];
			if (us->count == 1)
				snprintf(id, sizeof id, "%s", us->id);
			else
				snprintf(id, sizeof id, "%.48s-%u", us->id, c + 1);
			double cx, cy;
			place_point(w, us->party, &us->place, &rng, &cx, &cy);
			uint32_t ui;
			if ((st = add_unit(w, id, us->party, us->cls, us->size, us->spacing_m, cx, cy, w->t0,
			                   w->t1, &rng, -1, &ui, err)))
				return st;
			/* Relocations: a Poisson number of moves within the placement. */
			uint64_t nm = vg_rng_poisson(&rng, us->moves_per_day * (double)(w->t1 - w->t0) / 86400e9);
			int64_t t = w->t0;
			for (uint64_t m = 0; m < nm; m++) {
				int64_t gap = (w->t1 - t) / (int64_t)(nm - m + 1);
				int64_t dep = t + (int64_t)(vg_rng_uniform(&rng) * (double)gap);
				double dist = vg_rng_range(&rng, us->move_km.lo, us->move_km.hi) * 1000.0;
				double a = vg_rng_range(&rng, 0, 2 * M_PI);
				double dx = dist * cos(a), dy = dist * sin(a);
				double ox, oy;
				unit_centre(w, ui, dep, &ox, &oy, NULL);
				/* Stay inside the band (re-aim towards a fresh point of it). */
				if (us->place.mode != PLACE_POINT) {
					double tx, ty;
					place_point(w, us->party, &us->place, &rng, &tx, &ty);
					double ddx = tx - ox, ddy = ty - oy, dd = hypot(ddx, ddy);
					if (dd > dist && dd > 0) {
						ddx *= dist / dd;
						ddy *= dist / dd;
					}
					dx = ddx;
					dy = ddy;
				}
				int64_t arr;
				if ((st = unit_move(w, ui, dep, dx, dy, us->speed_kmh / 3.6, &arr, err)))
					return st;
				t = arr;
				if (t >= w->t1)
					break;
			}
			if ((st = unit_close(w, ui, t > w->t1 ? t : w->t1, err)))
				return st;
		}
	}
	return VG_OK;
}

/* ---- Fire ------------------------------------------------------------------------ */

static vg_status add_event(struct sim_world *w, const struct sim_event *e, uint32_t *idx,
                           struct vg_err *err)
{
	vg_status st = SIM_PUSH(w, ev, n_ev, cap_ev, SIM_MAX_EVENTS, "events", err);
	if (st)
		return st;
	w->ev[w->n_ev] = *e;
	if (idx)
		*idx = w->n_ev;
	w->n_ev++;
	return VG_OK;
}

static void event_init(struct sim_event *e, int type)
{
	memset(e, 0, sizeof *e);
	e->type = type;
	e->party = -1;
	e->unit = e->obj = e->mission = UINT32_MAX;
	vg_sim_crlb_init(&e->crlb);
	e->arr3[0] = e->arr3[1] = e->arr3[2] = INT64_MAX;
	e->fire_arrival = INT64_MAX;
}

static vg_status add_fire(struct sim_world *w, struct vg_rng *rng, int64_t t, double x, double y,
                          int party, struct vg_err *err)
{
	const struct sim_env *env = &w->sc->env;
	struct sim_event f;
	event_init(&f, EV_FIRE);
	f.t_ns = t;
	double dur_h = env->fire_duration_median_h * exp(env->fire_duration_sigma_ln * vg_rng_normal(rng));
	f.until_ns = t + NS(dur_h * 3600.0);
	f.frp_mw = env->fire_frp_median_mw * exp(env->fire_frp_sigma_ln * vg_rng_normal(rng));
	f.party = party;
	sim_pos_from_xy(&w->fr, x, y, &f.p);
	f.side = sim_side_of(w, x, y);
	return add_event(w, &f, NULL, err);
}

/* One mission: every object of unit ui fires its rounds at a target. */
static vg_status fire_mission(struct sim_world *w, struct vg_rng *rng, uint32_t ui, int64_t t,
                              const struct sim_range *target_km, const uint32_t *rounds_per_obj,
                              double interval_s, bool injected, struct vg_err *err)
{
	const struct sim_unit *u = &w->units[ui];
	const struct sim_weapon *wp = &w->sc->weapons[u->cls];
	double cx, cy;
	unit_centre(w, ui, t, &cx, &cy, NULL);
	double s0, v0;
	sim_frame_xy_to_sv(&w->fr, cx, cy, &s0, &v0);
	/* Aim point across the line, then pulled into the weapon's range. */
	double L = w->sc->front.length_km;
	double st_km = s0 / 1000.0 + vg_rng_range(rng, -5, 5);
	st_km = st_km < 0 ? 0 : st_km > L ? L : st_km;
	double tx, ty;
	sim_place_front(w, 1 - u->party, st_km, vg_rng_range(rng, target_km->lo, target_km->hi), &tx, &ty);
	double dx = tx - cx, dy = ty - cy, r = hypot(dx, dy);
	double rmax = wp->max_range_km * 950.0, rmin = wp->min_range_km * 1050.0;
	if (r > rmax && r > 0) {
		tx = cx + dx * rmax / r;
		ty = cy + dy * rmax / r;
	} else if (r < rmin && r > 0) {
		tx = cx + dx * rmin / r;
		ty = cy + dy * rmin / r;
	}

	vg_status st = SIM_PUSH(w, mis, n_mis, cap_mis, SIM_MAX_EVENTS, "missions", err);
	if (st)
		return st;
	uint32_t mi = w->n_mis++;
	struct sim_mission *m = &w->mis[mi];
	memset(m, 0, sizeof *m);
	m->unit = ui;
	m->party = u->party;
	m->cls = u->cls;
	m->injected = injected;
	m->from_ns = INT64_MAX;
	m->until_ns = INT64_MIN;
	sim_frame_to_ll(&w->fr, cx, cy, &m->lat, &m->lon);
	struct vg_rng frng; /* fires draw from their own stream */
	vg_rng_seed(&frng, w->seed, RS_FIRES ^ ((uint64_t)mi << 20));

	for (uint32_t k = 0; k < u->n_obj; k++) {
		const struct sim_object *o = &w->obj[u->first_obj + k];
		int64_t tk = t + NS(vg_rng_range(rng, 0, 3));
		for (uint32_t j = 0; j < rounds_per_obj[k]; j++) {
			double gx, gy;
			if (!sim_object_at(o, tk, &gx, &gy, NULL, NULL))
				break;
			struct sim_event l, im;
			event_init(&l, EV_LAUNCH);
			l.t_ns = tk;
			l.cls = u->cls;
			l.party = u->party;
			l.unit = ui;
			l.obj = u->first_obj + k;
			l.mission = mi;
			sim_pos_from_xy(&w->fr, gx, gy, &l.p);
			l.side = sim_side_of(w, gx, gy);
			/* Parallel sheaf: each weapon aims at the target offset by its
			 * own offset in the battery; then ballistic dispersion. */
			double ix = tx + (gx - cx) + wp->dispersion_m * vg_rng_normal(rng);
			double iy = ty + (gy - cy) + wp->dispersion_m * vg_rng_normal(rng);
			event_init(&im, EV_IMPACT);
			im.cls = u->cls;
			im.party = u->party;
			im.unit = ui;
			im.obj = l.obj;
			im.mission = mi;
			sim_pos_from_xy(&w->fr, ix, iy, &im.p);
			im.side = sim_side_of(w, ix, iy);
			double range_m = sim_surface_distance(l.p.lat, l.p.ecef, im.p.ecef, l.p.lon, NULL, NULL);
			im.t_ns = tk + NS(range_m / wp->speed_mps);
			l.dud = vg_rng_uniform(rng) < wp->dud_prob;
			uint32_t li, ii;
			if ((st = add_event(w, &l, &li, err)))
				return st;
			m = &w->mis[mi];
			if (tk < m->from_ns)
				m->from_ns = tk;
			m->n_rounds++;
			/* A dud lands too (radars still predict it) but makes no
			 * detonation: no impulse, no crater, no fire. */
			im.dud = l.dud;
			if ((st = add_event(w, &im, &ii, err)))
				return st;
			w->ev[li].pair = ii + 1;
			w->ev[ii].pair = li + 1;
			int64_t end = im.t_ns;
			if (!l.dud && vg_rng_uniform(&frng) < wp->fire_prob &&
			    (st = add_fire(w, &frng, im.t_ns, ix, iy, u->party, err)))
				return st;
			m = &w->mis[mi];
			if (end > m->until_ns)
				m->until_ns = end;
			tk += NS(interval_s * vg_rng_range(rng, 0.9, 1.1));
		}
	}
	return VG_OK;
}

static vg_status build_missions(struct sim_world *w, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_MISSIONS);
	vg_status st;
	uint32_t ui = 0;
	uint32_t rounds[128];
	for (uint32_t i = 0; i < sc->n_units; i++) {
		const struct sim_unit_spec *us = &sc->units[i];
		for (uint32_t c = 0; c < us->count; c++, ui++) {
			const struct sim_fire_spec *f = &us->fire;
			if (!(f->missions_per_h > 0))
				continue;
			int64_t a = f->from_ns > w->t0 ? f->from_ns : w->t0;
			int64_t b = f->until_ns < w->t1 ? f->until_ns : w->t1;
			double mean_s = 3600.0 / f->missions_per_h;
			for (int64_t t = a + NS(vg_rng_exponential(&rng, mean_s)); t < b;
			     t += NS(vg_rng_exponential(&rng, mean_s))) {
				bool moving;
				double cx, cy;
				unit_centre(w, ui, t, &cx, &cy, &moving);
				if (moving)
					continue; /* guns do not fire on the move */
				uint32_t n = w->units[ui].n_obj < 128 ? w->units[ui].n_obj : 128;
				for (uint32_t k = 0; k < n; k++)
					rounds[k] = (uint32_t)floor(vg_rng_range(&rng, f->rounds.lo, f->rounds.hi + 1));
				for (uint32_t k = n; k < w->units[ui].n_obj && k < 128; k++)
					rounds[k] = 0;
				if ((st = fire_mission(w, &rng, ui, t, &f->target_km, rounds, f->interval_s, false, err)))
					return st;
			}
		}
	}
	return VG_OK;
}

static vg_status build_injected(struct sim_world *w, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_VIOLATIONS);
	vg_status st;
	for (uint32_t i = 0; i < sc->n_viols; i++) {
		const struct sim_viol_spec *v = &sc->viols[i];
		const char *pn = sc->agreement.parties[v->party];
		if ((v->type == VIOL_WITHDRAWAL ? v->from_ns : v->at_ns) >= w->t1)
			continue; /* after a shortened run's end */
		char id[SIM_NAME_MAX];
		double cx, cy;
		place_point(w, v->party, &v->place, &rng, &cx, &cy);
		if (v->type == VIOL_FIRE) {
			snprintf(id, sizeof id, "%.40s-v%u", pn, i + 1);
			int64_t from = v->at_ns - 3600 * VG_NS_PER_S, until = v->at_ns + 3600 * VG_NS_PER_S;
			uint32_t ui;
			if ((st = add_unit(w, id, v->party, v->cls, v->count, 100, cx, cy, from, until, &rng,
			                   (int)i, &ui, err)) ||
			    (st = unit_close(w, ui, until, err)))
				return st;
			uint32_t rounds[100] = {0};
			for (uint32_t r = 0; r < v->rounds; r++)
				rounds[r % v->count]++;
			if ((st = fire_mission(w, &rng, ui, v->at_ns, &v->target_km, rounds, v->interval_s, true, err)))
				return st;
		} else if (v->type == VIOL_WITHDRAWAL) {
			snprintf(id, sizeof id, "%.40s-v%u", pn, i + 1);
			double s_km = vg_rng_range(&rng, v->place.along_km.lo, v->place.along_km.hi);
			double d_km = vg_rng_range(&rng, v->place.dist_km.lo, v->place.dist_km.hi);
			double ox, oy, tx, ty;
			sim_place_front(w, v->party, s_km, v->origin_km, &ox, &oy);
			sim_place_front(w, v->party, s_km, d_km, &tx, &ty);
			double sp = v->speed_kmh / 3.6;
			int64_t travel = NS(hypot(tx - ox, ty - oy) / sp);
			int64_t dep = v->from_ns - travel, back = v->until_ns + travel;
			uint32_t ui;
			int64_t arr;
			if ((st = add_unit(w, id, v->party, v->cls, v->count, 150, ox, oy, dep, back, &rng,
			                   (int)i, &ui, err)) ||
			    (st = unit_move(w, ui, dep, tx - ox, ty - oy, sp, &arr, err)) ||
			    (st = unit_move(w, ui, v->until_ns, ox - tx, oy - ty, sp, &arr, err)))
				return st;
		} else {
			if ((st = SIM_PUSH(w, fort, n_fort, cap_fort, 100000, "fortifications", err)))
				return st;
			struct sim_fort *f = &w->fort[w->n_fort++];
			f->party = v->party;
			f->t_ns = v->at_ns;
			f->x = cx;
			f->y = cy;
			f->size_m = v->size_m;
			f->n_seen = 0;
			sim_pos_from_xy(&w->fr, cx, cy, &f->p);
		}
	}
	return VG_OK;
}

static vg_status build_background_fires(struct sim_world *w, struct vg_err *err)
{
	struct vg_rng rng;
	vg_rng_seed(&rng, w->seed, RS_FIRES);
	const struct vg_sim_scenario *sc = w->sc;
	double days = (double)(w->t1 - w->t0) / 86400e9;
	uint64_t n = vg_rng_poisson(&rng, sc->env.background_fires_per_day * days);
	double half = sc->front.depth_km < 30 ? sc->front.depth_km : 30;
	for (uint64_t i = 0; i < n; i++) {
		int64_t t = w->t0 + (int64_t)(vg_rng_uniform(&rng) * (double)(w->t1 - w->t0));
		double x, y;
		sim_place_front(w, -1, vg_rng_range(&rng, 0, sc->front.length_km),
		                vg_rng_range(&rng, -half, half), &x, &y);
		vg_status st = add_fire(w, &rng, t, x, y, -1, err);
		if (st)
			return st;
	}
	return VG_OK;
}

/* Sort events by time (then type, then creation order) and remap the
 * references to them. */
static int ev_cmp(const void *a, const void *b, void *ctx)
{
	const struct sim_event *ev = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct sim_event *x = &ev[i], *y = &ev[j];
	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* qsort_r is a GNU/BSD extension with differing signatures: a small
 * merge sort keeps this portable and stable. */
static void msort_idx(uint32_t *a, uint32_t *tmp, size_t n,
                      int (*cmp)(const void *, const void *, void *), void *ctx)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	msort_idx(a, tmp, h, cmp, ctx);
	msort_idx(a + h, tmp, n - h, cmp, ctx);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp(&a[j], &a[i], ctx) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof *a);
}

void sim_sort_index(uint32_t *idx, size_t n, int (*cmp)(const void *, const void *, void *),
                    void *ctx, uint32_t *tmp)
{
	msort_idx(idx, tmp, n, cmp, ctx);
}

static vg_status sort_events(struct sim_world *w, struct vg_err *err)
{
	uint32_t n = w->n_ev;
	uint32_t *idx = malloc((size_t)(n + 1) * sizeof *idx), *tmp = malloc((size_t)(n + 1) * sizeof *tmp);
	uint32_t *inv = malloc((size_t)(n + 1) * sizeof *inv);
	struct sim_event *ne = malloc((size_t)(n + 1) * sizeof *ne);
	vg_status st = VG_OK;
	if (!idx || !tmp || !inv || !ne) {
		st = vg_err_set(err, VG_ERR_NOMEM, "sorting %u events", n);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	msort_idx(idx, tmp, n, ev_cmp, w->ev);
	for (uint32_t k = 0; k < n; k++)
		inv[idx[k]] = k;
	for (uint32_t k = 0; k < n; k++) {
		ne[k] = w->ev[idx[k]];
		ne[k].id = k + 1;
		if (ne[k].pair)
			ne[k].pair = inv[ne[k].pair - 1] + 1;
	}
	free(w->ev);
	w->ev = ne;
	w->cap_ev = n + 1;
	ne = NULL;
	for (uint32_t k = 0; k < n; k++) {
		const struct sim_event *e = &w->ev[k];
		if (e->type == EV_LAUNCH && e->mission != UINT32_MAX) {
			struct sim_mission *m = &w->mis[e->mission];
			if (!m->first_launch || k + 1 < m->first_launch)
				m->first_launch = k + 1;
		}
	}
out:
	free(idx);
	free(tmp);
	free(inv);
	free(ne);
	return st;
}

/* ---- Violations ------------------------------------------------------------------- */

static vg_status add_violation(struct sim_world *w, const struct sim_violation *v, struct vg_err *err)
{
	vg_status st = SIM_PUSH(w, viol, n_viol, cap_viol, SIM_MAX_EVENTS, "violations", err);
	if (st)
		return st;
	w->viol[w->n_viol++] = *v;
	return VG_OK;
}

#define WITHDRAWAL_STEP_S 60

static vg_status build_violations(struct sim_world *w, struct vg_err *err)
{
	const struct vg_sim_scenario *sc = w->sc;
	vg_status st;
	/* no_fire: one per fire mission after the effective time. */
	for (uint32_t i = 0; i < w->n_mis; i++) {
		const struct sim_mission *m = &w->mis[i];
		if (m->n_rounds == 0 || m->from_ns < sc->agreement.effective_ns || m->from_ns >= w->t1)
			continue;
		struct sim_violation v = {VR_NO_FIRE, m->party, m->cls, m->from_ns, m->until_ns,
		                          m->lat, m->lon, 0, i, m->injected};
		if ((st = add_violation(w, &v, err)))
			return st;
	}
	/* withdrawal: per unit, maximal runs of samples where any of its
	 * weapons of a restricted class is on its own side, within the class's
	 * distance of the line and outside its holding areas. */
	double *cache_x = NULL, *cache_y = NULL, *cache_d = NULL;
	for (uint32_t ui = 0; ui < w->n_units; ui++) {
		const struct sim_unit *u = &w->units[ui];
		double lim = sc->weapons[u->cls].withdrawal_km * 1000.0;
		if (!(lim > 0))
			continue;
		free(cache_x);
		free(cache_y);
		free(cache_d);
		cache_x = calloc(u->n_obj, sizeof *cache_x);
		cache_y = calloc(u->n_obj, sizeof *cache_y);
		cache_d = calloc(u->n_obj, sizeof *cache_d);
		if (!cache_x || !cache_y || !cache_d) {
			st = vg_err_set(err, VG_ERR_NOMEM, "withdrawal");
			goto out;
		}
		for (uint32_t k = 0; k < u->n_obj; k++)
			cache_x[k] = NAN;
		int64_t a = u->present_from > w->t0 ? u->present_from : w->t0;
		int64_t b = u->present_until < w->t1 ? u->present_until : w->t1;
		a = w->t0 + (a - w->t0 + WITHDRAWAL_STEP_S * VG_NS_PER_S - 1) / (WITHDRAWAL_STEP_S * VG_NS_PER_S) *
		                (WITHDRAWAL_STEP_S * VG_NS_PER_S);
		bool in = false;
		struct sim_violation cur;
		memset(&cur, 0, sizeof cur);
		for (int64_t t = a; t <= b; t += WITHDRAWAL_STEP_S * VG_NS_PER_S) {
			bool any = false;
			double best = INFINITY, bx = 0, by = 0;
			for (uint32_t k = 0; k < u->n_obj; k++) {
				double x, y;
				if (!sim_object_at(&w->obj[u->first_obj + k], t, &x, &y, NULL, NULL))
					continue;
				if (!(x == cache_x[k] && y == cache_y[k])) {
					double d = INFINITY;
					if (sim_side_of(w, x, y) == u->party && !sim_in_holding(w, u->party, x, y)) {
						double la, lo;
						sim_frame_to_ll(&w->fr, x, y, &la, &lo);
						d = sim_line_distance_m(w, la, lo);
					}
					cache_x[k] = x;
					cache_y[k] = y;
					cache_d[k] = d;
				}
				if (cache_d[k] < lim) {
					any = true;
					if (cache_d[k] < best) {
						best = cache_d[k];
						bx = x;
						by = y;
					}
				}
			}
			if (any && !in) {
				in = true;
				memset(&cur, 0, sizeof cur);
				cur.rule = VR_WITHDRAWAL;
				cur.party = u->party;
				cur.cls = u->cls;
				cur.from_ns = t;
				cur.ref = ui;
				cur.injected = u->viol_spec >= 0;
				cur.min_dist_km = INFINITY;
				sim_frame_to_ll(&w->fr, bx, by, &cur.lat, &cur.lon);
			}
			if (any) {
				cur.until_ns = t;
				if (best / 1000.0 < cur.min_dist_km)
					cur.min_dist_km = best / 1000.0;
			}
			if (in && (!any || t + WITHDRAWAL_STEP_S * VG_NS_PER_S > b)) {
				in = false;
				if ((st = add_violation(w, &cur, err)))
					goto out;
			}
		}
	}
	/* no_new_fortification: inside the security zone after the effective time. */
	for (uint32_t i = 0; i < w->n_fort; i++) {
		const struct sim_fort *f = &w->fort[i];
		if (f->t_ns < sc->agreement.effective_ns || !w->n_zone ||
		    !point_in_ring((const double (*)[2])w->zone_xy, w->n_zone, f->x, f->y))
			continue;
		struct sim_violation v = {VR_FORTIFICATION, f->party, VG_CLS_UNKNOWN, f->t_ns, w->t1,
		                          f->p.lat, f->p.lon, 0, i, true};
		if ((st = add_violation(w, &v, err)))
			goto out;
	}
	st = VG_OK;
out:
	free(cache_x);
	free(cache_y);
	free(cache_d);
	return st;
}

vg_status sim_world_build(struct sim_world *w, struct vg_err *err)
{
	vg_status st;
	if ((st = build_front(w, err)) || (st = build_forces(w, err)) ||
	    (st = build_injected(w, err)) || (st = build_missions(w, err)) ||
	    (st = build_background_fires(w, err)) || (st = sort_events(w, err)) ||
	    (st = build_violations(w, err)))
		return st;
	return VG_OK;
}

void sim_world_release(struct sim_world *w)
{
	free(w->line_xy);
	free(w->line_sv);
	free(w->line_cum);
	free(w->side_xy[0]);
	free(w->side_xy[1]);
	free(w->side_ll[0]);
	free(w->side_ll[1]);
	free(w->zone_ll);
	free(w->zone_xy);
	for (uint32_t i = 0; i < w->n_hold; i++)
		free(w->hold[i].ll), free(w->hold[i].xy);
	free(w->hold);
	free(w->units);
	for (uint32_t i = 0; i < w->n_obj; i++)
		free(w->obj[i].wp);
	free(w->obj);
	free(w->ev);
	free(w->mis);
	free(w->viol);
	free(w->fort);
	for (uint32_t i = 0; i < w->n_sen; i++) {
		free(w->sen[i].outage);
		vg_secret_key_wipe(&w->sen[i].key);
	}
	free(w->sen);
	free(w->obs);
	free(w->pts);
	memset(w, 0, sizeof *w);
}

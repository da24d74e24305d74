/* svg.c - inline SVG for the report: bar charts, and the map's projection,
 * paths, graticule and scale bar (report_int.h).
 *
 * Everything is plain SVG 1.1 elements with presentation in the page's
 * <style> (classes) or attributes: no script, no external reference, no
 * <use> or <image>. Coordinates are pixels rounded to 0.1 (rp_num), so the
 * same input gives the same bytes. Axis steps are the "nice numbers" 1, 2,
 * 5 x 10^k (Heckbert, "Nice numbers for graph labels", Graphics Gems,
 * 1990). */
#include "geo/geo.h"
#include "report/report_int.h"

#include <math.h>
#include <string.h>

#define DEG (3.14159265358979323846 / 180)

/* The smallest 1/2/5 x 10^k >= x (x > 0). */
static double nice_up(double x)
{
	double e = pow(10, floor(log10(x)));
	for (int k = 0; k < 2; k++, e *= 10)
		for (int i = 0; i < 3; i++) {
			static const double m[] = {1, 2, 5};
			if (m[i] * e >= x * (1 - 1e-12))
				return m[i] * e;
		}
	return 10 * e;
}

/* The largest 1/2/5 x 10^k <= x (x > 0). */
static double nice_down(double x)
{
	double e = pow(10, floor(log10(x)));
	if (5 * e <= x * (1 + 1e-12))
		return 5 * e;
	if (2 * e <= x * (1 + 1e-12))
		return 2 * e;
	return e;
}

/* ---- Bar charts ----------------------------------------------------------------------------- */

#define CH_LEFT 38.0
#define CH_RIGHT 8.0
#define CH_TOP 12.0
#define CH_PLOT_H 150.0
#define CH_AXIS_H 22.0
#define CH_LEG_ROW 16.0

/* Legend item width: swatch, gap, text (7 px per byte at 11 px), gap. */
static double leg_w(const char *name) { return 12 + 5 + 6.5 * (double)strlen(name) + 14; }

void rp_attr(struct vg_buf *b, const char *name, double v, int decimals)
{
	vg_buf_printf(b, " %s=\"", name);
	rp_num(b, v, decimals);
	vg_buf_str(b, "\"");
}

/* <line class="cls" x1 y1 x2 y2/> (one decimal) */
static void svg_line(struct vg_buf *b, const char *cls, double x1, double y1, double x2, double y2)
{
	vg_buf_printf(b, "<line class=\"%s\"", cls);
	rp_attr(b, "x1", x1, 1);
	rp_attr(b, "y1", y1, 1);
	rp_attr(b, "x2", x2, 1);
	rp_attr(b, "y2", y2, 1);
	vg_buf_str(b, "/>");
}

void rp_bar_chart(struct vg_buf *b, const struct rp_chart *c)
{
	double W = c->width_px > 0 ? c->width_px : 440;
	double pw = W - CH_LEFT - CH_RIGHT;
	uint32_t vmax = 0;
	for (uint32_t k = 0; k < c->n_cats; k++) {
		uint32_t sum = 0;
		for (uint32_t s = 0; s < c->n_series; s++) {
			uint32_t v = c->series[s].v[k];
			if (c->stacked)
				sum += v;
			else if (v > sum)
				sum = v;
		}
		if (sum > vmax)
			vmax = sum;
	}
	/* y axis: at most 5 intervals of an integer nice step */
	double step = vmax ? nice_up((double)vmax / 5) : 1;
	if (step < 1)
		step = 1;
	double ymax = vmax ? ceil((double)vmax / step - 1e-9) * step : 1;
	/* legend rows */
	uint32_t rows = 1;
	double x = CH_LEFT;
	for (uint32_t s = 0; s < c->n_series; s++) {
		double w = leg_w(c->series[s].name);
		if (x + w > W && x > CH_LEFT) {
			rows++;
			x = CH_LEFT;
		}
		x += w;
	}
	double H = CH_TOP + CH_PLOT_H + CH_AXIS_H + rows * CH_LEG_ROW + 4;
	double y0 = CH_TOP + CH_PLOT_H; /* the baseline */

	vg_buf_str(b, "<svg class=\"chart\" viewBox=\"0 0 ");
	rp_num(b, W, 0);
	vg_buf_str(b, " ");
	rp_num(b, H, 0);
	vg_buf_str(b, "\"");
	rp_attr(b, "width", W, 0);
	rp_attr(b, "height", H, 0);
	vg_buf_str(b, " role=\"img\"><title>");
	rp_escs(b, c->title);
	vg_buf_str(b, "</title>\n");
	/* grid lines and y labels */
	for (double t = 0; t <= ymax + 1e-9; t += step) {
		double y = y0 - t / ymax * CH_PLOT_H;
		svg_line(b, "grid", CH_LEFT, y, W - CH_RIGHT, y);
		vg_buf_str(b, "<text class=\"yl\"");
		rp_attr(b, "x", CH_LEFT - 4, 1);
		rp_attr(b, "y", y + 3.5, 1);
		vg_buf_str(b, ">");
		rp_num(b, t, 0);
		vg_buf_str(b, "</text>\n");
	}
	/* bars */
	double slot = c->n_cats ? pw / c->n_cats : pw;
	for (uint32_t k = 0; k < c->n_cats; k++) {
		double acc = 0;
		for (uint32_t s = 0; s < c->n_series; s++) {
			uint32_t v = c->series[s].v[k];
			if (!v)
				continue;
			double bx, bw, by, bh = (double)v / ymax * CH_PLOT_H;
			if (c->stacked) {
				bw = slot * 0.72;
				bx = CH_LEFT + k * slot + (slot - bw) / 2;
				by = y0 - acc - bh;
				acc += bh;
			} else {
				double gw = slot * 0.8;
				bw = gw / c->n_series;
				bx = CH_LEFT + k * slot + (slot - gw) / 2 + s * bw;
				by = y0 - bh;
			}
			vg_buf_str(b, "<rect");
			rp_attr(b, "x", bx, 1);
			rp_attr(b, "y", by, 1);
			rp_attr(b, "width", bw, 1);
			rp_attr(b, "height", bh, 1);
			vg_buf_str(b, " fill=\"");
			vg_buf_str(b, c->series[s].colour);
			vg_buf_str(b, "\"><title>");
			rp_escs(b, c->cat_names && c->cat_names[k] ? c->cat_names[k] : "");
			vg_buf_str(b, ": ");
			rp_escs(b, c->series[s].name);
			vg_buf_printf(b, " %u</title></rect>\n", v);
		}
		if (c->cat_labels && c->cat_labels[k]) {
			vg_buf_str(b, "<text class=\"xl\"");
			rp_attr(b, "x", CH_LEFT + (k + 0.5) * slot, 1);
			rp_attr(b, "y", y0 + 14, 1);
			vg_buf_str(b, ">");
			rp_escs(b, c->cat_labels[k]);
			vg_buf_str(b, "</text>\n");
		}
	}
	svg_line(b, "axis", CH_LEFT, y0, W - CH_RIGHT, y0);
	vg_buf_str(b, "\n");
	/* legend */
	x = CH_LEFT;
	double ly = y0 + CH_AXIS_H + 2;
	for (uint32_t s = 0; s < c->n_series; s++) {
		double w = leg_w(c->series[s].name);
		if (x + w > W && x > CH_LEFT) {
			x = CH_LEFT;
			ly += CH_LEG_ROW;
		}
		vg_buf_str(b, "<rect");
		rp_attr(b, "x", x, 1);
		rp_attr(b, "y", ly, 1);
		vg_buf_str(b, " width=\"12\" height=\"10\" fill=\"");
		vg_buf_str(b, c->series[s].colour);
		vg_buf_str(b, "\"/><text class=\"lg\"");
		rp_attr(b, "x", x + 17, 1);
		rp_attr(b, "y", ly + 9, 1);
		vg_buf_str(b, ">");
		rp_escs(b, c->series[s].name);
		vg_buf_str(b, "</text>\n");
		x += w;
	}
	vg_buf_str(b, "</svg>\n");
}

/* ---- The map ------------------------------------------------------------------------------ */

void rp_proj_fit(struct rp_proj *p, double min_lat, double min_lon, double max_lat, double max_lon,
                 double width_px, double min_span_deg)
{
	double clat = (min_lat + max_lat) / 2, clon = (min_lon + max_lon) / 2;
	double c = cos(clat * DEG);
	if (c < 0.01)
		c = 0.01;
	/* spans in degrees of latitude (equal lengths) */
	double sy = max_lat - min_lat, sx = (max_lon - min_lon) * c;
	double pad = 0.08 * (sx > sy ? sx : sy);
	sx += 2 * pad;
	sy += 2 * pad;
	if (sx < min_span_deg && sy < min_span_deg) {
		double k = sx > sy ? sx : sy;
		if (k <= 0) {
			sx = sy = min_span_deg;
		} else {
			sx *= min_span_deg / k;
			sy *= min_span_deg / k;
		}
	}
	if (sy < 0.4 * sx)
		sy = 0.4 * sx;
	if (sx < sy)
		sx = sy;
	p->min_lat = clat - sy / 2;
	p->max_lat = clat + sy / 2;
	p->min_lon = clon - sx / 2 / c;
	p->max_lon = clon + sx / 2 / c;
	p->w = width_px;
	p->px_per_deg_lat = width_px / sx;
	p->px_per_deg_lon = width_px / sx * c;
	p->h = round(sy * p->px_per_deg_lat);
}

void rp_proj_xy(const struct rp_proj *p, double lat, double lon, double *x, double *y)
{
	*x = (lon - p->min_lon) * p->px_per_deg_lon;
	*y = (p->max_lat - lat) * p->px_per_deg_lat;
}

void rp_path(struct vg_buf *b, const struct rp_proj *p, const double (*pts)[2], uint32_t n, bool close)
{
	long long px = 0, py = 0;
	uint32_t drawn = 0;
	for (uint32_t i = 0; i < n; i++) {
		double x, y;
		rp_proj_xy(p, pts[i][1], pts[i][0], &x, &y);
		/* far outside the map: clamp (keeps numbers short; the edge clips) */
		x = x < -1e5 ? -1e5 : x > 1e5 ? 1e5 : x;
		y = y < -1e5 ? -1e5 : y > 1e5 ? 1e5 : y;
		long long qx = llround(x * 10), qy = llround(y * 10);
		if (drawn && qx == px && qy == py)
			continue;
		vg_buf_str(b, drawn ? "L" : "M");
		rp_num(b, (double)qx / 10, 1);
		vg_buf_str(b, " ");
		rp_num(b, (double)qy / 10, 1);
		px = qx;
		py = qy;
		drawn++;
	}
	if (close && drawn)
		vg_buf_str(b, "Z");
}

/* A graticule label: |v| with decimals and the hemisphere letter. */
static void deg_label(struct vg_buf *b, double v, int decimals, bool lat)
{
	rp_num(b, fabs(v), decimals);
	vg_buf_str(b, "&#176;");
	vg_buf_str(b, lat ? (v < 0 ? "S" : "N") : (v < 0 ? "W" : "E"));
}

static int decimals_for(double step) { return step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3; }

void rp_map_graticule(struct vg_buf *b, const struct rp_proj *p)
{
	double slat = nice_up((p->max_lat - p->min_lat) / 6);
	double slon = nice_up((p->max_lon - p->min_lon) / 8);
	long long a0 = (long long)ceil(p->min_lat / slat), a1 = (long long)floor(p->max_lat / slat);
	long long o0 = (long long)ceil(p->min_lon / slon), o1 = (long long)floor(p->max_lon / slon);
	vg_buf_str(b, "<path class=\"grat\" d=\"");
	for (long long k = a0; k <= a1; k++) {
		double y = (p->max_lat - k * slat) * p->px_per_deg_lat;
		vg_buf_str(b, "M0 ");
		rp_num(b, y, 1);
		vg_buf_str(b, "H");
		rp_num(b, p->w, 1);
	}
	for (long long k = o0; k <= o1; k++) {
		double x = (k * slon - p->min_lon) * p->px_per_deg_lon;
		vg_buf_str(b, "M");
		rp_num(b, x, 1);
		vg_buf_str(b, " 0V");
		rp_num(b, p->h, 1);
	}
	vg_buf_str(b, "\"/>\n");
	for (long long k = a0; k <= a1; k++) {
		double y = (p->max_lat - k * slat) * p->px_per_deg_lat;
		if (y < 12 || y > p->h - 4)
			continue;
		vg_buf_str(b, "<text class=\"gl\" x=\"3\"");
		rp_attr(b, "y", y - 2, 1);
		vg_buf_str(b, ">");
		deg_label(b, k * slat, decimals_for(slat), true);
		vg_buf_str(b, "</text>\n");
	}
	for (long long k = o0; k <= o1; k++) {
		double x = (k * slon - p->min_lon) * p->px_per_deg_lon;
		if (x < 40 || x > p->w - 40)
			continue;
		vg_buf_str(b, "<text class=\"gl\"");
		rp_attr(b, "x", x + 2, 1);
		vg_buf_str(b, " y=\"10\">");
		deg_label(b, k * slon, decimals_for(slon), false);
		vg_buf_str(b, "</text>\n");
	}
}

void rp_map_scale(struct vg_buf *b, const struct rp_proj *p)
{
	double clat = (p->min_lat + p->max_lat) / 2, clon = (p->min_lon + p->max_lon) / 2;
	double m_per_px = vg_geo_distance_m(clat, clon, clat, clon + 100 / p->px_per_deg_lon) / 100;
	if (!(m_per_px > 0))
		return;
	double km = nice_down(p->w / 4 * m_per_px / 1000);
	double len = km * 1000 / m_per_px;
	double x0 = 12, y0 = p->h - 12;
	vg_buf_str(b, "<g class=\"scale\"><rect");
	rp_attr(b, "x", x0 - 4, 1);
	rp_attr(b, "y", y0 - 16, 1);
	rp_attr(b, "width", len + 8, 1);
	vg_buf_str(b, " height=\"22\" class=\"scalebg\"/><path d=\"M");
	rp_num(b, x0, 1);
	vg_buf_str(b, " ");
	rp_num(b, y0 - 4, 1);
	vg_buf_str(b, "V");
	rp_num(b, y0, 1);
	vg_buf_str(b, "H");
	rp_num(b, x0 + len, 1);
	vg_buf_str(b, "V");
	rp_num(b, y0 - 4, 1);
	vg_buf_str(b, "\"/><text");
	rp_attr(b, "x", x0, 1);
	rp_attr(b, "y", y0 - 6, 1);
	vg_buf_str(b, ">");
	rp_num(b, km, km < 1 ? (km < 0.1 ? 2 : 1) : 0);
	vg_buf_str(b, " km</text></g>\n");
}

/*
 * report_int.h - private to src/report/: the page buffer with HTML
 * escaping and fixed number formats (html.c), and the inline SVG pieces
 * (svg.c): bar charts and the map's projection, graticule and scale bar.
 *
 * Every writer appends to one capped buffer and never fails on its own:
 * past the cap (or on allocation failure) the buffer is marked and further
 * appends are dropped; the caller checks once at the end (git's strbuf,
 * curl's dynbuf "toobig").
 */
#ifndef VG_REPORT_INT_H
#define VG_REPORT_INT_H

#include "report/report.h"

#include <stdint.h>

/* ---- HTML text (html.c) ---------------------------------------------------------- */
/* The page is built in core's capped buffer (struct vg_buf). */
/* Text or attribute value, escaped: & < > " ' as character references;
 * control characters other than tab and newline, and bytes that are not
 * valid UTF-8, as U+FFFD. */
void rp_esc(struct vg_buf *b, const char *s, size_t n);
void rp_escs(struct vg_buf *b, const char *s);
/* x with `decimals` decimals, never "-0". */
void rp_num(struct vg_buf *b, double x, int decimals);
/* One SVG attribute: ` name="v"` with decimals. */
void rp_attr(struct vg_buf *b, const char *name, double v, int decimals);
/* "HH:MM:SS" / "YYYY-MM-DD HH:MM:SS" of t (UTC, truncated to the second). */
void rp_hms(struct vg_buf *b, int64_t t_ns);
void rp_datetime(struct vg_buf *b, int64_t t_ns);

/* ---- Bar charts (svg.c) ------------------------------------------------------------ */
struct rp_series {
	const char *name;         /* legend (escaped) */
	const char *colour;       /* CSS colour literal (trusted: from our tables) */
	const uint32_t *v;        /* n_cats values */
};
struct rp_chart {
	const char *title;        /* the figure's accessible name (escaped) */
	uint32_t n_cats;
	const char *const *cat_labels;  /* axis label per category; NULL entries: none */
	const char *const *cat_names;   /* category name in tooltips */
	uint32_t n_series;
	const struct rp_series *series;
	bool stacked;             /* stacked bars; else grouped side by side */
	double width_px;
};
/* An <svg> with y axis (integer ticks at 1/2/5 x 10^k steps), bars with
 * tooltips (<title>), category labels and a legend. */
void rp_bar_chart(struct vg_buf *b, const struct rp_chart *c);

/* ---- The map (svg.c) ------------------------------------------------------------------
 * An equirectangular projection about the map's central latitude (x east,
 * y south, pixels): distances are true along that parallel and along
 * meridians, within cos(lat)/cos(lat0) elsewhere (< 1 % over 1 degree of
 * latitude at 48 N), which is all a map of one sector needs. */
struct rp_proj {
	double min_lat, max_lat, min_lon, max_lon;  /* the extent shown */
	double px_per_deg_lat, px_per_deg_lon;
	double w, h;              /* pixels */
};
/* Fit a box (degrees; may be a point) into width_px: pad by 8 % (at least
 * min_span_deg in latitude overall), keep the height in [0.4, 1.0] x width
 * by widening the narrower direction. */
void rp_proj_fit(struct rp_proj *p, double min_lat, double min_lon, double max_lat, double max_lon,
                 double width_px, double min_span_deg);
void rp_proj_xy(const struct rp_proj *p, double lat, double lon, double *x, double *y);
/* Path data of a lon/lat polyline ("M x y L x y ...", closed with "Z" if
 * close); vertices that round to the previous one are skipped. */
void rp_path(struct vg_buf *b, const struct rp_proj *p, const double (*pts)[2], uint32_t n, bool close);
/* Graticule (lines and edge labels at a 1/2/5 x 10^k degree step) and a
 * scale bar (length from PROJ's geodesic at the map's centre). */
void rp_map_graticule(struct vg_buf *b, const struct rp_proj *p);
void rp_map_scale(struct vg_buf *b, const struct rp_proj *p);

#endif

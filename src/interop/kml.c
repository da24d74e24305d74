/*
 * kml.c - a streaming KML 2.2 writer (OGC 07-147r2, "OGC KML", 2008).
 *
 * Why our own: no Debian package offers a C KML writer (libkml is C++ and
 * its writer unmaintained; GDAL's is part of a whole GIS), and the subset
 * Vigil writes is small (interop.h). Output goes straight to the FILE: the
 * writer holds no buffers, so a million events cost no more memory than one.
 *
 * Schema order. KML 2.2 (ogckml22.xsd) fixes the order of a Feature's
 * children: name, ..., description, ..., TimePrimitive, styleUrl,
 * StyleSelector, Region, ExtendedData, then (Placemark) the Geometry. The
 * Placemark's phase (enum below) only moves forward; the styleUrl given at
 * vg_kml_placemark_begin is written when the Placemark moves past it, and
 * <ExtendedData> is opened by the first Data and closed before the geometry.
 * A Document's shared Styles come before its Features.
 *
 * XML 1.0 (5th ed.) sections 2.2 and 2.4: character data escapes & and <
 * (and > so that "]]>" never appears); attribute values also " and '. Only
 * #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
 * may appear at all, even as character references, so other code points
 * and bytes that are not UTF-8 become U+FFFD. CR is written &#13; so that
 * XML's line-end normalisation gives it back.
 */
#include "interop/interop.h"

#include <math.h>
#include <string.h>

enum { PH_NAME, PH_DESC, PH_TIME, PH_STYLE, PH_DATA, PH_GEOM };

/* ---- Escaping ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, 0 if
 * the bytes are not one (overlong, surrogate, > U+10FFFF, truncated). */
static int utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	int n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static void put_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		uint32_t cp;
		int n = utf8_seq(s, &cp);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			s++;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t':
		case '\n': fputc((int)cp, f); break;
		default:
			if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
				fputs("\xef\xbf\xbd", f);
			else
				fwrite(s, 1, (size_t)n, f);
		}
		s += n;
	}
}

void vg_kml_text(FILE *f, const char *s) { put_escaped(f, s); }

/* ---- Elements ------------------------------------------------------------------- */

static void indent(struct vg_kml *k)
{
	for (int i = 0; i < k->depth; i++)
		fputc(' ', k->f);
}

static void open_el(struct vg_kml *k, const char *tag)
{
	indent(k);
	fprintf(k->f, "<%s>\n", tag);
	k->depth++;
}

static void close_el(struct vg_kml *k, const char *tag)
{
	k->depth--;
	indent(k);
	fprintf(k->f, "</%s>\n", tag);
}

/* <tag>escaped text</tag> on one line. */
static void text_el(struct vg_kml *k, const char *tag, const char *text)
{
	indent(k);
	fprintf(k->f, "<%s>", tag);
	put_escaped(k->f, text);
	fprintf(k->f, "</%s>\n", tag);
}

static bool xml_id_ok(const char *id)
{
	if (!id || !(*id == '_' || (*id >= 'A' && *id <= 'Z') || (*id >= 'a' && *id <= 'z')))
		return false;
	size_t n = 0;
	for (const char *p = id; *p; p++, n++)
		if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return n < 64;
}

void vg_kml_begin(struct vg_kml *k, FILE *f, const char *name, const char *description)
{
	memset(k, 0, sizeof *k);
	k->f = f;
	vg_err_clear(&k->err);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n",
	      f);
	k->depth = 1;
	open_el(k, "Document");
	text_el(k, "name", name ? name : "");
	if (description)
		text_el(k, "description", description);
}

static void color_el(struct vg_kml *k, const char *tag, uint32_t abgr)
{
	indent(k);
	fprintf(k->f, "<%s>%08x</%s>\n", tag, (unsigned)abgr, tag);
}

void vg_kml_style(struct vg_kml *k, const char *id, uint32_t line_abgr, double line_width,
                  uint32_t poly_abgr, uint32_t icon_abgr)
{
	vg_assert(!k->features && !k->in_pm && xml_id_ok(id));
	indent(k);
	fprintf(k->f, "<Style id=\"%s\">\n", id);
	k->depth++;
	if (icon_abgr) {
		open_el(k, "IconStyle");
		color_el(k, "color", icon_abgr);
		close_el(k, "IconStyle");
	}
	if (line_abgr && line_width > 0 && isfinite(line_width)) {
		char b[64];
		open_el(k, "LineStyle");
		color_el(k, "color", line_abgr);
		text_el(k, "width", vg_interop_num(b, line_width, 2));
		close_el(k, "LineStyle");
	}
	if (poly_abgr) {
		open_el(k, "PolyStyle");
		color_el(k, "color", poly_abgr);
		close_el(k, "PolyStyle");
	}
	close_el(k, "Style");
}

void vg_kml_folder_begin(struct vg_kml *k, const char *name)
{
	vg_assert(!k->in_pm);
	k->features = true;
	open_el(k, "Folder");
	text_el(k, "name", name ? name : "");
	k->folders++;
}

void vg_kml_folder_end(struct vg_kml *k)
{
	vg_assert(!k->in_pm && k->folders > 0);
	k->folders--;
	close_el(k, "Folder");
}

void vg_kml_placemark_begin(struct vg_kml *k, const char *name, const char *style_id)
{
	vg_assert(!k->in_pm);
	vg_assert(!style_id || xml_id_ok(style_id));
	k->features = true;
	k->in_pm = true;
	k->phase = PH_NAME;
	k->multi = 0;
	k->geom = false;
	snprintf(k->style, sizeof k->style, "%s", style_id ? style_id : "");
	snprintf(k->pm_name, sizeof k->pm_name, "%s", name ? name : "");
	k->n_placemarks++;
	open_el(k, "Placemark");
	text_el(k, "name", name ? name : "");
}

/* Move the Placemark forward to phase `to`, writing what lies between. */
static void advance(struct vg_kml *k, int to)
{
	vg_assert(k->in_pm && to >= k->phase);
	if (k->phase < PH_STYLE && to >= PH_STYLE && k->style[0]) {
		indent(k);
		fprintf(k->f, "<styleUrl>#%s</styleUrl>\n", k->style);
	}
	if (k->phase < PH_DATA && to == PH_DATA)
		open_el(k, "ExtendedData");
	if (k->phase == PH_DATA && to > PH_DATA)
		close_el(k, "ExtendedData");
	k->phase = to;
}

void vg_kml_description(struct vg_kml *k, const char *text)
{
	vg_assert(k->in_pm && k->phase < PH_DESC);
	advance(k, PH_DESC);
	text_el(k, "description", text ? text : "");
}

void vg_kml_timestamp(struct vg_kml *k, int64_t t_ns)
{
	vg_assert(k->in_pm && k->phase < PH_TIME);
	advance(k, PH_TIME);
	char t[VG_TIME_STR_MAX];
	vg_time_format(t_ns, t);
	open_el(k, "TimeStamp");
	text_el(k, "when", t);
	close_el(k, "TimeStamp");
}

void vg_kml_timespan(struct vg_kml *k, int64_t begin_ns, int64_t end_ns)
{
	vg_assert(k->in_pm && k->phase < PH_TIME);
	advance(k, PH_TIME);
	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX];
	vg_time_format(begin_ns, t0);
	vg_time_format(end_ns, t1);
	open_el(k, "TimeSpan");
	text_el(k, "begin", t0);
	text_el(k, "end", t1);
	close_el(k, "TimeSpan");
}

void vg_kml_data(struct vg_kml *k, const char *name, const char *value)
{
	vg_assert(k->in_pm && k->phase <= PH_DATA);
	advance(k, PH_DATA);
	indent(k);
	fputs("<Data name=\"", k->f);
	put_escaped(k->f, name);
	fputs("\"><value>", k->f);
	put_escaped(k->f, value ? value : "");
	fputs("</value></Data>\n", k->f);
}

/* ---- Geometry --------------------------------------------------------------------- */

static void geom_error(struct vg_kml *k, vg_status s, const char *what)
{
	if (k->err.status == VG_OK)
		vg_err_set(&k->err, s, "placemark %llu (\"%.64s\"): %s: left out",
		           (unsigned long long)k->n_placemarks, k->pm_name, what);
}

/* May a geometry element start here? Moves the phase on. */
static void geom_start(struct vg_kml *k)
{
	vg_assert(k->in_pm && (k->multi > 0 || !k->geom));
	advance(k, PH_GEOM);
	if (k->multi == 0)
		k->geom = true;
}

static bool pos_ok(const double p[2])
{
	return isfinite(p[0]) && isfinite(p[1]) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 &&
	       p[1] <= 90;
}

static bool coords_ok(struct vg_kml *k, const double (*ll)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!pos_ok(ll[i])) {
			geom_error(k, VG_ERR_RANGE, "a coordinate is not finite or outside CRS84 ranges");
			return false;
		}
	return true;
}

static void put_pos(struct vg_kml *k, const double p[2])
{
	char a[64], b[64];
	fprintf(k->f, "%s,%s", vg_interop_num(a, p[0], VG_INTEROP_COORD_DECIMALS),
	        vg_interop_num(b, p[1], VG_INTEROP_COORD_DECIMALS));
}

/* <coordinates> of n points, reversed if rev. */
static void coords_el(struct vg_kml *k, const double (*ll)[2], size_t n, bool rev)
{
	indent(k);
	fputs("<coordinates>", k->f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(' ', k->f);
		put_pos(k, ll[rev ? n - 1 - i : i]);
	}
	fputs("</coordinates>\n", k->f);
}

void vg_kml_multi_begin(struct vg_kml *k)
{
	geom_start(k);
	open_el(k, "MultiGeometry");
	k->multi++;
}

void vg_kml_multi_end(struct vg_kml *k)
{
	vg_assert(k->in_pm && k->multi > 0);
	k->multi--;
	close_el(k, "MultiGeometry");
}

void vg_kml_point(struct vg_kml *k, double lon_deg, double lat_deg)
{
	double p[1][2] = {{lon_deg, lat_deg}};
	geom_start(k);
	if (!coords_ok(k, p, 1))
		return;
	open_el(k, "Point");
	coords_el(k, p, 1, false);
	close_el(k, "Point");
}

void vg_kml_linestring(struct vg_kml *k, const double (*ll)[2], size_t n)
{
	geom_start(k);
	if (n < 2) {
		geom_error(k, VG_ERR_GEOMETRY, "a LineString needs 2 or more points");
		return;
	}
	if (!coords_ok(k, ll, n))
		return;
	open_el(k, "LineString");
	text_el(k, "tessellate", "1");
	coords_el(k, ll, n, false);
	close_el(k, "LineString");
}

void vg_kml_polygon(struct vg_kml *k, const double (*const *rings)[2], const size_t *ring_n,
                    size_t n_rings)
{
	geom_start(k);
	if (n_rings == 0) {
		geom_error(k, VG_ERR_GEOMETRY, "a Polygon needs an outer boundary");
		return;
	}
	for (size_t r = 0; r < n_rings; r++) {
		const double (*ll)[2] = rings[r];
		size_t n = ring_n[r];
		if (n < 4 || ll[0][0] != ll[n - 1][0] || ll[0][1] != ll[n - 1][1]) {
			geom_error(k, VG_ERR_GEOMETRY, "a ring needs 4 or more points and must be closed");
			return;
		}
		if (!coords_ok(k, ll, n))
			return;
	}
	open_el(k, "Polygon");
	text_el(k, "tessellate", "1");
	for (size_t r = 0; r < n_rings; r++) {
		const char *b = r ? "innerBoundaryIs" : "outerBoundaryIs";
		double a2 = vg_interop_ring_area2(rings[r], ring_n[r]);
		bool rev = r ? a2 > 0 : a2 < 0; /* outer counterclockwise, holes clockwise */
		open_el(k, b);
		open_el(k, "LinearRing");
		coords_el(k, rings[r], ring_n[r], rev);
		close_el(k, "LinearRing");
		close_el(k, b);
	}
	close_el(k, "Polygon");
}

void vg_kml_placemark_end(struct vg_kml *k)
{
	vg_assert(k->in_pm && k->multi == 0);
	advance(k, PH_GEOM);
	k->in_pm = false;
	close_el(k, "Placemark");
}

vg_status vg_kml_end(struct vg_kml *k, struct vg_err *err)
{
	vg_assert(!k->in_pm && k->folders == 0);
	close_el(k, "Document");
	fputs("</kml>\n", k->f);
	if (fflush(k->f) != 0 || ferror(k->f))
		return vg_err_set(err, VG_ERR_IO, "writing KML: output error");
	if (k->err.status != VG_OK) {
		if (err)
			*err = k->err;
		return k->err.status;
	}
	return VG_OK;
}

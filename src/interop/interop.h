/*
 * interop.h - GIS exports: fused events, findings and the agreement as KML
 * 2.2 (OGC 07-147r2) and as GeoJSON (RFC 7946), for Google Earth, QGIS,
 * ATAK and anything else GDAL reads (docs/cli.md "GIS exports").
 *
 * Three parts:
 *  1. A small streaming KML writer (kml.c). No Debian package writes KML
 *     (libkml's writer is C++ and unmaintained; GDAL would pull a whole GIS
 *     into the binary), and the subset we need is small: Document, Style,
 *     Folder, Placemark with name, description, TimeStamp/TimeSpan,
 *     ExtendedData/Data, and Point, LineString, Polygon, MultiGeometry. The
 *     writer emits elements in the order the KML 2.2 schema requires
 *     (Feature: name, description, TimePrimitive, styleUrl, ExtendedData,
 *     then the Geometry) whatever order the caller's calls come in, as
 *     long as they come in that order (calling them out of order is a
 *     programming error and aborts). Every text and attribute is escaped
 *     (& < > " '), invalid UTF-8 and characters XML 1.0 forbids (controls
 *     other than tab, LF, CR; U+FFFE, U+FFFF) become U+FFFD, so any name
 *     an agreement or a record holds gives a well-formed document.
 *  2. Geometry helpers shared by the KML and GeoJSON outputs: ring
 *     orientation (RFC 7946 3.1.6: exterior rings counterclockwise, holes
 *     clockwise, by the sign of the shoelace area in lon/lat) and the 90 %
 *     error ellipse as a closed ring of geodesic vertices.
 *  3. The exports themselves: one KML Placemark per event or finding, and
 *     the agreement's lines, sides and zones as GeoJSON or KML.
 *
 * Coordinates: WGS84 longitude, latitude in degrees in that order (KML and
 * GeoJSON alike), written with VG_INTEROP_COORD_DECIMALS decimals (1e-9
 * degree, 0.1 mm), trailing zeros trimmed, never "-0", never NaN: a
 * non-finite or out-of-range coordinate is refused, not written.
 * Rings that cross the antimeridian are not split (agreements and events
 * are regional).
 *
 * Determinism: the output is a function of the input alone (no clock, no
 * locale: numbers are formatted with "%.*f", which the C locale fixes;
 * vigil never calls setlocale).
 *
 * Memory and threads: the writer holds no heap memory and keeps no global
 * state; one writer per output stream, used by one thread at a time.
 */
#ifndef VG_INTEROP_H
#define VG_INTEROP_H

#include "core/core.h"
#include "rules/rules.h"

#include <stdio.h>

#define VG_INTEROP_COORD_DECIMALS 9
/* The 90 % ellipse of a bivariate normal is k sigma with k = sqrt(-2 ln 0.1)
 * (chi-square, 2 degrees of freedom). */
#define VG_INTEROP_K90 2.1459660262893472
/* Vertices of an ellipse ring (every 5 degrees), plus the closing one. */
#define VG_INTEROP_ELLIPSE_N 72
/* The smallest semi-axis drawn (metres): a zero-width ring is not a polygon. */
#define VG_INTEROP_MIN_AXIS_M 0.01

/* ---- Numbers and rings ------------------------------------------------------ */

/* x with `decimals` decimals (0..17), trailing zeros and a bare '.' trimmed,
 * "-0" written "0". x must be finite. Returns buf. */
char *vg_interop_num(char buf[64], double x, int decimals);

/* Twice the signed shoelace area of a ring of n [lon, lat] points (closed
 * or not): > 0 counterclockwise, < 0 clockwise, in square degrees. */
double vg_interop_ring_area2(const double (*ll)[2], size_t n);

/* The 90 % error ellipse (semi-axes smaj_m >= smin_m >= 0 at 1 sigma, major
 * axis at az_deg clockwise from north) around (lat, lon) as a closed,
 * counterclockwise ring of VG_INTEROP_ELLIPSE_N + 1 [lon, lat] points: each
 * vertex is the geodesic destination (PROJ geod_direct) at the ellipse's
 * radius in its direction. Semi-axes below VG_INTEROP_MIN_AXIS_M after
 * scaling are raised to it. false (ring untouched) if an input is not
 * finite or a semi-axis is negative. */
bool vg_interop_ellipse_ring(double lat_deg, double lon_deg, double smaj_m, double smin_m,
                             double az_deg, double ring[VG_INTEROP_ELLIPSE_N + 1][2]);

/* The 1-sigma ellipse of a covariance (m^2, east/north); false if it is not
 * finite, not symmetric positive semi-definite, or zero. */
bool vg_interop_cov_ellipse(const double cov_m2[2][2], double *smaj_m, double *smin_m,
                            double *az_deg);

/* ---- The KML writer (kml.c) --------------------------------------------------
 * Usage:
 *   struct vg_kml k;
 *   vg_kml_begin(&k, stdout, "Vigil events", NULL);
 *   vg_kml_style(&k, "type-launch", 0xff0000ff, 2, 0x400000ff, 0xff0000ff);
 *   vg_kml_folder_begin(&k, "Events");
 *   vg_kml_placemark_begin(&k, "e-000001", "type-launch");
 *   vg_kml_timestamp(&k, t_ns);
 *   vg_kml_data(&k, "class", "mortar");
 *   vg_kml_multi_begin(&k); vg_kml_point(&k, lon, lat); vg_kml_polygon(...);
 *   vg_kml_multi_end(&k);
 *   vg_kml_placemark_end(&k);
 *   vg_kml_folder_end(&k);
 *   if (vg_kml_end(&k, &err)) ...
 * Geometry errors (non-finite or out-of-range coordinates, a line of fewer
 * than 2 points, a ring of fewer than 4 or not closed) are sticky: the
 * element is left out and vg_kml_end reports the first one, naming the
 * placemark. Colors are KML's aabbggrr. */
struct vg_kml {
	FILE *f;
	int depth;             /* open elements, for indentation */
	int folders;           /* open Folders */
	bool features;         /* a Folder or Placemark was written (no Style after) */
	bool in_pm;            /* inside a Placemark */
	int phase;             /* how far the Placemark got (kml.c) */
	int multi;             /* open MultiGeometry elements */
	bool geom;             /* the Placemark has its geometry */
	char style[64];        /* the Placemark's style id, written when due */
	char pm_name[80];      /* for error messages */
	uint64_t n_placemarks;
	struct vg_err err;     /* the first geometry error */
};

/* Start a document: the XML declaration, <kml>, <Document> with its name
 * and (optional, may be NULL) description. */
void vg_kml_begin(struct vg_kml *k, FILE *f, const char *name, const char *description);
/* A shared Style (before any Folder or Placemark). id: [A-Za-z_][A-Za-z0-9_.-]*
 * (an XML ID; anything else aborts). line_width <= 0: no LineStyle;
 * a 0 color leaves that sub-style out. */
void vg_kml_style(struct vg_kml *k, const char *id, uint32_t line_abgr, double line_width,
                  uint32_t poly_abgr, uint32_t icon_abgr);
void vg_kml_folder_begin(struct vg_kml *k, const char *name);
void vg_kml_folder_end(struct vg_kml *k);
/* A Placemark with its name; style_id (may be NULL) names a vg_kml_style. */
void vg_kml_placemark_begin(struct vg_kml *k, const char *name, const char *style_id);
void vg_kml_description(struct vg_kml *k, const char *text);
void vg_kml_timestamp(struct vg_kml *k, int64_t t_ns);
void vg_kml_timespan(struct vg_kml *k, int64_t begin_ns, int64_t end_ns);
/* One ExtendedData/Data element (name: the attribute's name). */
void vg_kml_data(struct vg_kml *k, const char *name, const char *value);
void vg_kml_multi_begin(struct vg_kml *k);
void vg_kml_multi_end(struct vg_kml *k);
void vg_kml_point(struct vg_kml *k, double lon_deg, double lat_deg);
void vg_kml_linestring(struct vg_kml *k, const double (*ll)[2], size_t n);
/* rings[0] is the outer boundary, the rest holes; written counterclockwise
 * and clockwise respectively whatever the input's orientation. */
void vg_kml_polygon(struct vg_kml *k, const double (*const *rings)[2], const size_t *ring_n,
                    size_t n_rings);
void vg_kml_placemark_end(struct vg_kml *k);
/* Close the Document and <kml>, flush. VG_ERR_RANGE / VG_ERR_GEOMETRY for a
 * sticky geometry error, VG_ERR_IO if the stream failed. */
vg_status vg_kml_end(struct vg_kml *k, struct vg_err *err) VG_WUR;

/* Write s as XML character data (escaped, U+FFFD for what XML forbids). */
void vg_kml_text(FILE *f, const char *s);

/* ---- Exports (export.c) -------------------------------------------------------- */

/* Events (fusion's records, docs/fusion.md): vg_interop_kml_events_begin
 * writes the document, a Style per event type and opens the folder; each
 * vg_interop_kml_event writes one Placemark: name = id, TimeStamp = origin
 * time, ExtendedData = the record's members (nested objects flattened as
 * parent_child, arrays as compact JSON), a MultiGeometry of the origin
 * Point and the 90 % ellipse Polygon (the Point alone without an ellipse).
 * VG_ERR_JSON / VG_ERR_MISSING / VG_ERR_RANGE for a record that is not an
 * event; vg_interop_kml_events_end closes and reports as vg_kml_end. */
void vg_interop_kml_events_begin(struct vg_kml *k, FILE *f);
vg_status vg_interop_kml_event(struct vg_kml *k, const char *record, size_t len,
                               struct vg_err *err) VG_WUR;
vg_status vg_interop_kml_events_end(struct vg_kml *k, struct vg_err *err) VG_WUR;

/* Findings: a Style per grade; each Placemark: name = id, TimeSpan = the
 * finding's window, ExtendedData = the NDJSON members, geometry = the place
 * and, when the covariance is a proper one, the 90 % ellipse. */
void vg_interop_kml_findings_begin(struct vg_kml *k, FILE *f);
vg_status vg_interop_kml_finding(struct vg_kml *k, const struct vg_finding *x,
                                 struct vg_err *err) VG_WUR;
vg_status vg_interop_kml_findings_end(struct vg_kml *k, struct vg_err *err) VG_WUR;

/* The agreement (text of len bytes, docs/agreement-format.md), validated
 * with vg_agreement_parse first (a broken agreement is refused with its
 * message), then written with its features in document order:
 *  - GeoJSON: RFC 7946 (no crs, lon/lat, exterior rings counterclockwise,
 *    holes clockwise, coordinates as above), the "agreement" header kept
 *    as a foreign member so the output is itself a valid agreement; each
 *    feature's id, geometry and properties (other members dropped).
 *  - KML: Folders "Lines", "Sides", "Zones"; a Style per party and per
 *    line role; each Placemark named by properties.name or the id, with
 *    id, role, party, zone and the other properties as ExtendedData. */
vg_status vg_interop_agreement_geojson(const char *text, size_t len, FILE *out,
                                       struct vg_err *err) VG_WUR;
vg_status vg_interop_agreement_kml(const char *text, size_t len, FILE *out,
                                   struct vg_err *err) VG_WUR;

#endif

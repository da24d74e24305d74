/*
 * geom.c - numbers and rings for the GIS exports (interop.h).
 *
 * Ring orientation by the shoelace formula in lon/lat (RFC 7946 3.1.6
 * defines the right-hand rule on the lon/lat plane, so the planar sign is
 * the right one). The error ellipse is drawn with geodesic radii (PROJ
 * geod_direct, C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87
 * (2013) 43-55, doi:10.1007/s00190-012-0578-z): the vertex at parameter
 * theta lies at distance |r(theta)| in the direction of
 * r(theta) = k (a cos theta u + b sin theta v), u the major axis and v the
 * minor axis 90 degrees counterclockwise of it, so the ring turns
 * counterclockwise. The eigen-decomposition of a covariance is fusion's
 * (vg_fusion_ellipse).
 */
#include "fusion/fusion.h"
#include "geo/geo.h"
#include "interop/interop.h"

#include <math.h>
#include <string.h>

char *vg_interop_num(char buf[64], double x, int decimals)
{
	vg_assert(isfinite(x) && decimals >= 0 && decimals <= 17);
	snprintf(buf, 64, "%.*f", decimals, x);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
	return buf;
}

double vg_interop_ring_area2(const double (*ll)[2], size_t n)
{
	double s = 0;
	if (n < 3)
		return 0;
	/* relative to the first vertex, which keeps the sum well conditioned */
	for (size_t i = 1; i + 1 < n; i++) {
		double x1 = ll[i][0] - ll[0][0], y1 = ll[i][1] - ll[0][1];
		double x2 = ll[i + 1][0] - ll[0][0], y2 = ll[i + 1][1] - ll[0][1];
		s += x1 * y2 - x2 * y1;
	}
	return s;
}

bool vg_interop_ellipse_ring(double lat, double lon, double smaj_m, double smin_m, double az_deg,
                             double ring[VG_INTEROP_ELLIPSE_N + 1][2])
{
	if (!isfinite(lat) || !isfinite(lon) || !isfinite(smaj_m) || !isfinite(smin_m) ||
	    !isfinite(az_deg) || smaj_m < 0 || smin_m < 0 || lat < -90 || lat > 90 || lon < -180 ||
	    lon > 180)
		return false;
	const double D = 3.14159265358979323846 / 180;
	double a = fmax(smaj_m * VG_INTEROP_K90, VG_INTEROP_MIN_AXIS_M);
	double b = fmax(smin_m * VG_INTEROP_K90, VG_INTEROP_MIN_AXIS_M);
	/* u: the major axis (east, north); v: u turned 90 degrees counterclockwise */
	double ue = sin(az_deg * D), un = cos(az_deg * D);
	double ve = -un, vn = ue;
	for (int i = 0; i < VG_INTEROP_ELLIPSE_N; i++) {
		double th = i * (360.0 / VG_INTEROP_ELLIPSE_N) * D;
		double e = a * cos(th) * ue + b * sin(th) * ve;
		double n = a * cos(th) * un + b * sin(th) * vn;
		double lat2, lon2;
		vg_geo_direct(lat, lon, atan2(e, n) / D, hypot(e, n), &lat2, &lon2);
		ring[i][0] = lon2;
		ring[i][1] = lat2;
	}
	ring[VG_INTEROP_ELLIPSE_N][0] = ring[0][0];
	ring[VG_INTEROP_ELLIPSE_N][1] = ring[0][1];
	return true;
}

bool vg_interop_cov_ellipse(const double c[2][2], double *smaj_m, double *smin_m, double *az_deg)
{
	double a = c[0][0], b = c[0][1], d = c[1][1];
	if (!isfinite(a) || !isfinite(b) || !isfinite(d) || !isfinite(c[1][0]))
		return false;
	double scale = fabs(a) + fabs(d);
	if (!(scale > 0) || a < 0 || d < 0 || fabs(b - c[1][0]) > 1e-9 * scale ||
	    a * d - b * b < -1e-9 * scale * scale)
		return false;
	vg_fusion_ellipse(c, smaj_m, smin_m, az_deg);
	return isfinite(*smaj_m) && isfinite(*smin_m) && isfinite(*az_deg);
}

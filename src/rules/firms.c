/* firms.c - NASA FIRMS active-fire CSV (VIIRS and MODIS) reader (rules.h).
 * Columns per the FIRMS attribute tables: latitude, longitude, scan, track
 * (pixel size, km), acq_date (YYYY-MM-DD), acq_time (HHMM, or HH:MM:SS in
 * some exports; UTC), satellite, confidence, frp (MW), instrument. */
#include "rules/rules.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXCOL 32

static int split(char *line, char **cols)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == MAXCOL)
			return -1;
		cols[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

static bool num(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

vg_status vg_firms_parse(FILE *in, const char *name,
                         vg_status (*fn)(void *ctx, const struct vg_firms_row *r, struct vg_err *e),
                         void *ctx, struct vg_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t lineno = 0;
	int c_lat = -1, c_lon = -1, c_date = -1, c_time = -1, c_frp = -1, c_scan = -1, c_track = -1,
	    c_sat = -1, c_ins = -1, c_conf = -1, ncol = 0;
	vg_status st = VG_OK;
	char *cols[MAXCOL];
	char *raw = NULL;
	while ((len = getline(&line, &cap, in)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		char *nraw = realloc(raw, (size_t)len + 1);
		if (!nraw) {
			st = vg_err_set(err, VG_ERR_NOMEM, "%s", name);
			break;
		}
		raw = nraw;
		memcpy(raw, line, (size_t)len + 1);
		int n = split(line, cols);
		if (n < 0) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: more than %d columns", name, (long long)lineno, MAXCOL);
			break;
		}
		if (lineno == 1) {
			ncol = n;
			for (int i = 0; i < n; i++) {
				const char *h = cols[i];
				if (!strcmp(h, "latitude")) c_lat = i;
				else if (!strcmp(h, "longitude")) c_lon = i;
				else if (!strcmp(h, "acq_date")) c_date = i;
				else if (!strcmp(h, "acq_time")) c_time = i;
				else if (!strcmp(h, "frp")) c_frp = i;
				else if (!strcmp(h, "scan")) c_scan = i;
				else if (!strcmp(h, "track")) c_track = i;
				else if (!strcmp(h, "satellite")) c_sat = i;
				else if (!strcmp(h, "instrument")) c_ins = i;
				else if (!strcmp(h, "confidence")) c_conf = i;
			}
			const char *miss = c_lat < 0 ? "latitude" : c_lon < 0 ? "longitude" : c_date < 0 ? "acq_date"
			                   : c_time < 0 ? "acq_time" : NULL;
			if (miss) {
				st = vg_err_set(err, VG_ERR_MISSING, "%s:1: no column \"%s\" (not a FIRMS CSV?)", name, miss);
				break;
			}
			continue;
		}
		if (n != ncol) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: %d columns, the header has %d", name,
			                (long long)lineno, n, ncol);
			break;
		}
		struct vg_firms_row r;
		memset(&r, 0, sizeof r);
		if (!num(cols[c_lat], &r.lat_deg) || !num(cols[c_lon], &r.lon_deg) || r.lat_deg < -90 ||
		    r.lat_deg > 90 || r.lon_deg < -180 || r.lon_deg > 180) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: latitude, longitude = %s, %s: not a position",
			                name, (long long)lineno, cols[c_lat], cols[c_lon]);
			break;
		}
		/* time: HHMM or HH:MM[:SS] */
		const char *t = cols[c_time];
		int hh = -1, mm = -1, ss = 0;
		if (strlen(t) <= 4 && strspn(t, "0123456789") == strlen(t) && *t) {
			int v = atoi(t);
			hh = v / 100;
			mm = v % 100;
		} else if (sscanf(t, "%2d:%2d:%2d", &hh, &mm, &ss) < 2) {
			hh = -1;
		}
		char iso[64];
		snprintf(iso, sizeof iso, "%.10sT%02d:%02d:%02dZ", cols[c_date], hh, mm, ss);
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59 ||
		    vg_time_parse(iso, strlen(iso), &r.t_ns, err) != VG_OK) {
			st = vg_err_set(err, VG_ERR_TIME, "%s:%lld: acq_date, acq_time = %s, %s: not a time", name,
			                (long long)lineno, cols[c_date], t);
			break;
		}
		r.frp_mw = NAN;
		if (c_frp >= 0)
			num(cols[c_frp], &r.frp_mw);
		r.scan_km = r.track_km = 0.375;
		if (c_scan >= 0)
			num(cols[c_scan], &r.scan_km);
		if (c_track >= 0)
			num(cols[c_track], &r.track_km);
		if (c_sat >= 0)
			snprintf(r.satellite, sizeof r.satellite, "%s", cols[c_sat]);
		if (c_ins >= 0)
			snprintf(r.instrument, sizeof r.instrument, "%s", cols[c_ins]);
		if (c_conf >= 0)
			snprintf(r.confidence, sizeof r.confidence, "%s", cols[c_conf]);
		/* the fire is somewhere in the pixel: uniform, sigma = size / sqrt 12 */
		r.sigma_m = 1000.0 * sqrt(fmax(r.scan_km, 0.01) * fmax(r.track_km, 0.01)) / sqrt(12.0);
		r.raw = raw;
		if ((st = fn(ctx, &r, err))) {
			vg_err_prefix(err, "%s:%lld", name, (long long)lineno);
			break;
		}
	}
	if (!st && lineno == 0)
		st = vg_err_set(err, VG_ERR_MISSING, "%s: empty file", name);
	free(line);
	free(raw);
	return st;
}

/* firms.c - NASA FIRMS active-fire CSV (VIIRS and MODIS) reader (rules.h).
 * Columns per the FIRMS attribute tables: latitude, longitude, scan, track
 * (pixel size, km), acq_date (YYYY-MM-DD), acq_time (HHMM, or HH:MM:SS in
 * some exports; UTC), satellite, confidence, frp (MW), instrument. */
#include "rules/rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXCOL 32

/* Fields split at commas; a field in double quotes loses them (FIRMS
 * writes none, spreadsheets may add them). -1: too many; -2: a quote
 * inside a field. */
static int split(char *line, char **cols)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == MAXCOL)
			return -1;
		char *c = strchr(p, ',');
		if (c)
			*c = '\0';
		size_t l = strlen(p);
		if (l >= 2 && p[0] == '"' && p[l - 1] == '"') {
			p[l - 1] = '\0';
			p++;
		}
		if (strchr(p, '"'))
			return -2;
		cols[n++] = p;
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

/* A decimal number as FIRMS writes them (core.h): not hex, not padded,
 * not "nan"; empty is not a number. */
static bool num(const char *s, double *out)
{
	return s && vg_decimal_parse(s, out);
}

/* VIIRS: l, n, h (low, nominal, high, spelt out in some exports); MODIS:
 * a percentage. */
static bool confidence_ok(const char *s)
{
	static const char *const words[] = {"l", "n", "h", "low", "nominal", "high"};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcasecmp(s, words[i]))
			return true;
	size_t n = strlen(s);
	return n >= 1 && n <= 3 && strspn(s, "0123456789") == n && atoi(s) <= 100;
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
		if (strlen(line) != (size_t)len) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: a NUL byte in the line", name, (long long)lineno);
			break;
		}
		char *nraw = realloc(raw, (size_t)len + 1);
		if (!nraw) {
			st = vg_err_set(err, VG_ERR_NOMEM, "%s", name);
			break;
		}
		raw = nraw;
		memcpy(raw, line, (size_t)len + 1);
		int n = split(line, cols);
		if (n < 0) {
			if (n == -1)
				st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: more than %d columns", name,
				                (long long)lineno, MAXCOL);
			else
				st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: a double quote inside a field", name,
				                (long long)lineno);
			break;
		}
		if (!ncol) { /* the header: the first line that is not blank */
			ncol = n;
			static const char *const known[] = {"latitude", "longitude", "acq_date", "acq_time",
			                                    "frp", "scan", "track", "satellite", "instrument",
			                                    "confidence"};
			int *at[] = {&c_lat, &c_lon, &c_date, &c_time, &c_frp, &c_scan, &c_track, &c_sat, &c_ins, &c_conf};
			for (int i = 0; i < n && !st; i++)
				for (size_t k = 0; k < sizeof known / sizeof *known; k++)
					if (!strcmp(cols[i], known[k])) {
						if (*at[k] >= 0)
							st = vg_err_set(err, VG_ERR_INCONSISTENT,
							                "%s:%lld: column \"%s\" twice (columns %d and %d)", name,
							                (long long)lineno, known[k], *at[k] + 1, i + 1);
						*at[k] = i;
					}
			if (st)
				break;
			const char *miss = c_lat < 0 ? "latitude" : c_lon < 0 ? "longitude" : c_date < 0 ? "acq_date"
			                   : c_time < 0 ? "acq_time" : NULL;
			if (miss) {
				st = vg_err_set(err, VG_ERR_MISSING, "%s:%lld: no column \"%s\" (not a FIRMS CSV?)", name,
				                (long long)lineno, miss);
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
		/* time: HHMM (1 to 4 digits, FIRMS drops leading zeros) or
		 * HH:MM[:SS]; date: YYYY-MM-DD, nothing after it */
		const char *t = cols[c_time];
		int hh = -1, mm = -1, ss = 0;
		size_t tl = strlen(t);
#define D2(s) (((s)[0] - '0') * 10 + ((s)[1] - '0'))
		if (tl >= 1 && tl <= 4 && strspn(t, "0123456789") == tl) {
			int v = atoi(t);
			hh = v / 100;
			mm = v % 100;
		} else if ((tl == 5 || tl == 8) && strspn(t, "0123456789:") == tl && t[2] == ':' &&
		           (tl == 5 || t[5] == ':') && strspn(t, "0123456789") == 2 &&
		           strspn(t + 3, "0123456789") == 2 && (tl == 5 || strspn(t + 6, "0123456789") == 2)) {
			hh = D2(t);
			mm = D2(t + 3);
			ss = tl == 8 ? D2(t + 6) : 0;
		}
#undef D2
		/* FIRMS begins with MODIS on Terra (2000); a year outside
		 * 2000-2099 is not a FIRMS row */
		const char *dt = cols[c_date];
		char iso[64];
		snprintf(iso, sizeof iso, "%.10sT%02d:%02d:%02dZ", dt, hh, mm, ss);
		if (strlen(dt) != 10 || strncmp(dt, "20", 2) || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		    ss < 0 || ss > 59 || vg_time_parse(iso, strlen(iso), &r.t_ns, err) != VG_OK) {
			st = vg_err_set(err, VG_ERR_TIME, "%s:%lld: acq_date, acq_time = %s, %s: not a time", name,
			                (long long)lineno, cols[c_date], t);
			break;
		}
		/* optional columns: empty is missing (frp unknown, the VIIRS
		 * pixel of 375 m); anything else must be a number in range (a
		 * pixel of 0.1 to 20 km: VIIRS 0.32-0.8, MODIS 1-4.8; FRP up to
		 * 1e6 MW, above the largest fires measured) or a short word */
		r.frp_mw = NAN;
		r.scan_km = r.track_km = 0.375;
		static const char *const want_px = "want a pixel size in [0.1, 20] km";
		const struct {
			const char *name;
			int col;
			double lo, hi, *dst;
			const char *want;
		} nums[] = {{"frp", c_frp, 0, 1e6, &r.frp_mw, "want a number of MW in [0, 1e6]"},
		            {"scan", c_scan, 0.1, 20, &r.scan_km, want_px},
		            {"track", c_track, 0.1, 20, &r.track_km, want_px}};
		const struct {
			const char *name;
			int col;
			char *dst;
			size_t cap;
		} words[] = {{"satellite", c_sat, r.satellite, sizeof r.satellite},
		             {"instrument", c_ins, r.instrument, sizeof r.instrument},
		             {"confidence", c_conf, r.confidence, sizeof r.confidence}};
		for (size_t k = 0; k < sizeof nums / sizeof *nums && !st; k++) {
			const char *v = nums[k].col >= 0 ? cols[nums[k].col] : "";
			if (*v && !(num(v, nums[k].dst) && *nums[k].dst >= nums[k].lo && *nums[k].dst <= nums[k].hi))
				st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: %s = %.40s: %s", name, (long long)lineno,
				                nums[k].name, v, nums[k].want);
		}
		for (size_t k = 0; k < sizeof words / sizeof *words && !st; k++) {
			const char *v = words[k].col >= 0 ? cols[words[k].col] : "";
			bool conf = words[k].dst == r.confidence;
			if (strlen(v) >= words[k].cap || (conf && *v && !confidence_ok(v)))
				st = vg_err_set(err, VG_ERR_RANGE, "%s:%lld: %s = %.40s: %s", name, (long long)lineno,
				                words[k].name, v,
				                conf ? "want l, n, h (low, nominal, high) or 0-100" : "longer than 15 characters");
			else
				snprintf(words[k].dst, words[k].cap, "%s", v);
		}
		if (st)
			break;
		/* the fire is somewhere in the pixel: uniform, sigma = size / sqrt 12 */
		r.sigma_m = 1000.0 * sqrt(r.scan_km * r.track_km) / sqrt(12.0);
		r.raw = raw;
		if ((st = fn(ctx, &r, err))) {
			vg_err_prefix(err, "%s:%lld", name, (long long)lineno);
			break;
		}
	}
	if (!st && !ncol)
		st = vg_err_set(err, VG_ERR_MISSING, "%s: empty file", name);
	free(line);
	free(raw);
	return st;
}

/*
 * time.c - RFC 3339 timestamps <-> int64 ns since the Unix epoch (UTC).
 *
 * Civil-date arithmetic after Howard Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms" (days_from_civil / civil_from_days), proleptic Gregorian.
 * Grammar: RFC 3339 section 5.6 (date-time), without leap seconds.
 */
#include "core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Read exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

vg_status vg_time_parse(const char *s, size_t len, int64_t *t_ns, struct vg_err *err)
{
	char q[64];
	size_t i = 0;
	unsigned Y, M, D, h, mi, sec;
	vg_quote(s, len, q, sizeof q);
	if (!digits(s, len, &i, 4, &Y) || !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &M) ||
	    !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &D))
		return vg_err_set(err, VG_ERR_TIME, "%s: not an RFC 3339 date (YYYY-MM-DD)", q);
	if (i >= len || (s[i] != 'T' && s[i] != 't'))
		return vg_err_set(err, VG_ERR_TIME, "%s: expected 'T' after the date", q);
	i++;
	if (!digits(s, len, &i, 2, &h) || !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &mi) ||
	    !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &sec))
		return vg_err_set(err, VG_ERR_TIME, "%s: not an RFC 3339 time (hh:mm:ss)", q);
	if (M < 1 || M > 12)
		return vg_err_set(err, VG_ERR_TIME, "%s: month %u does not exist", q, M);
	if (D < 1 || D > days_in_month(Y, M))
		return vg_err_set(err, VG_ERR_TIME, "%s: day %u does not exist in %04u-%02u", q, D, Y, M);
	if (h > 23)
		return vg_err_set(err, VG_ERR_TIME, "%s: hour %u out of range 00-23", q, h);
	if (mi > 59)
		return vg_err_set(err, VG_ERR_TIME, "%s: minute %u out of range 00-59", q, mi);
	if (sec == 60)
		return vg_err_set(err, VG_ERR_TIME, "%s: leap second 60 cannot be represented", q);
	if (sec > 59)
		return vg_err_set(err, VG_ERR_TIME, "%s: second %u out of range 00-59", q, sec);
	int64_t frac = 0;
	if (i < len && s[i] == '.') {
		i++;
		int nd = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (nd == 9)
				return vg_err_set(err, VG_ERR_TIME, "%s: more than 9 fraction digits", q);
			frac = frac * 10 + (s[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0)
			return vg_err_set(err, VG_ERR_TIME, "%s: '.' without fraction digits", q);
		for (; nd < 9; nd++)
			frac *= 10;
	}
	int64_t off_s = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		unsigned oh, om;
		i++;
		if (!digits(s, len, &i, 2, &oh) || !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &om))
			return vg_err_set(err, VG_ERR_TIME, "%s: malformed UTC offset (want +hh:mm)", q);
		if (oh > 23 || om > 59)
			return vg_err_set(err, VG_ERR_TIME, "%s: UTC offset out of range", q);
		off_s = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return vg_err_set(err, VG_ERR_TIME, "%s: missing time zone ('Z' or +hh:mm)", q);
	}
	if (i != len)
		return vg_err_set(err, VG_ERR_TIME, "%s: trailing characters after the time zone", q);

	int64_t days = vg_days_from_civil(Y, M, D);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_s;
	/* int64 ns covers [-9223372036.854775808 s, 9223372036.854775807 s]. */
	if (secs > INT64_MAX / VG_NS_PER_S - 1 || secs < INT64_MIN / VG_NS_PER_S + 1)
		return vg_err_set(err, VG_ERR_TIME, "%s: outside the representable range 1678..2262", q);
	*t_ns = secs * VG_NS_PER_S + frac;
	return VG_OK;
}

void vg_time_format(int64_t t_ns, char buf[VG_TIME_STR_MAX])
{
	int64_t secs = t_ns / VG_NS_PER_S;
	int64_t frac = t_ns % VG_NS_PER_S;
	if (frac < 0) {
		frac += VG_NS_PER_S;
		secs -= 1;
	}
	int64_t days = secs / 86400;
	int64_t sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days -= 1;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	int n = snprintf(buf, VG_TIME_STR_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
	                 (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
	if (frac) {
		char f[11];
		snprintf(f, sizeof f, ".%09lld", (long long)frac);
		size_t fl = strlen(f);
		while (f[fl - 1] == '0')
			f[--fl] = '\0';
		memcpy(buf + n, f, fl);
		n += (int)fl;
	}
	buf[n++] = 'Z';
	buf[n] = '\0';
}

int64_t vg_time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * VG_NS_PER_S + ts.tv_nsec;
}

int64_t vg_time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * VG_NS_PER_S + ts.tv_nsec;
}

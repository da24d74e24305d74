/* html.c - the report's HTML escaping and fixed number and time formats,
 * into core's capped buffer (struct vg_buf; report_int.h). */
#include "report/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t bad;
	for (size_t k = 2; k <= 4 && k <= n; k++)
		if (vg_utf8_valid((const char *)s, k, &bad))
			return k;
	return 0;
}

void rp_esc(struct vg_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* bytes copied as they are, pending */
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		const char *rep = NULL;
		size_t adv = 1;
		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if (c == '\'')
			rep = "&#39;";
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			rep = "\xef\xbf\xbd";
		else if (c >= 0x80) {
			adv = utf8_len(u + i, n - i);
			if (!adv) {
				rep = "\xef\xbf\xbd";
				adv = 1;
			}
		}
		if (rep) {
			vg_buf_add(b, s + i - run, run);
			run = 0;
			vg_buf_str(b, rep);
		} else {
			run += adv;
		}
		i += adv;
	}
	vg_buf_add(b, s + n - run, run);
}

void rp_escs(struct vg_buf *b, const char *s) { rp_esc(b, s, strlen(s)); }

void rp_num(struct vg_buf *b, double x, int decimals)
{
	char t[64];
	if (!isfinite(x)) {
		vg_buf_str(b, "&#8211;");
		return;
	}
	snprintf(t, sizeof t, "%.*f", decimals, x);
	if (t[0] == '-') { /* "-0.0" -> "0.0" */
		bool zero = true;
		for (const char *q = t + 1; *q; q++)
			if (*q != '0' && *q != '.')
				zero = false;
		if (zero) {
			vg_buf_str(b, t + 1);
			return;
		}
	}
	vg_buf_str(b, t);
}

/* t truncated to its second (floor), if representable. */
static int64_t floor_s(int64_t t_ns)
{
	int64_t s = t_ns / VG_NS_PER_S;
	if (t_ns % VG_NS_PER_S < 0)
		s--;
	return s > INT64_MIN / VG_NS_PER_S ? s * VG_NS_PER_S : t_ns;
}

void rp_hms(struct vg_buf *b, int64_t t_ns)
{
	char buf[VG_TIME_STR_MAX];
	vg_time_format(floor_s(t_ns), buf); /* ...THH:MM:SSZ */
	const char *t = strchr(buf, 'T');
	if (t)
		vg_buf_add(b, t + 1, 8);
}

void rp_datetime(struct vg_buf *b, int64_t t_ns)
{
	char buf[VG_TIME_STR_MAX];
	vg_time_format(floor_s(t_ns), buf);
	char *t = strchr(buf, 'T');
	if (!t)
		return;
	*t = ' ';
	char *z = strchr(t, 'Z');
	if (z)
		*z = '\0';
	vg_buf_str(b, buf);
}

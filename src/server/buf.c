/* buf.c - JSON text for the API's responses (into core's struct vg_buf). */
#include "server_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sb_json_str(struct vg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!vg_buf_add(b, "\"", 1))
		return false;
	size_t i = 0;
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};
			vg_buf_add(b, e, 2);
			i++;
		} else if (ch < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			vg_buf_add(b, e, 6);
			i++;
		} else if (ch < 0x80) {
			size_t j = i;
			while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			vg_buf_add(b, s + i, j - i);
			i = j;
		} else {
			size_t bad;
			size_t l = (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3 : (ch & 0xf8) == 0xf0 ? 4 : 1;
			if (i + l <= n && l > 1 && vg_utf8_valid(s + i, l, &bad)) {
				vg_buf_add(b, s + i, l);
				i += l;
			} else {
				vg_buf_add(b, "\xef\xbf\xbd", 3);
				i++;
			}
		}
	}
	return vg_buf_add(b, "\"", 1);
}

bool sb_double(struct vg_buf *b, double x)
{
	if (!isfinite(x))
		return vg_buf_str(b, "null");
	char t[40];
	for (int p = 15; p <= 17; p++) {
		snprintf(t, sizeof t, "%.*g", p, x);
		if (strtod(t, NULL) == x)
			break;
	}
	if (!strcmp(t, "-0"))
		strcpy(t, "0");
	return vg_buf_str(b, t);
}

bool srv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !*s || strlen(s) > 19)
		return false;
	const char *p = s;
	bool neg = *p == '-';
	if (neg)
		p++;
	if (!*p || (p[0] == '0' && p[1]))
		return false; /* no leading zeros, no empty */
	int64_t v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool srv_parse_double(const char *s, size_t len, double *out)
{
	char t[64];
	if (!len || len >= sizeof t)
		return false;
	memcpy(t, s, len);
	t[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789+-.eE", t[i]))
			return false; /* no hex, inf, nan, spaces */
	char *end;
	double v = strtod(t, &end);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

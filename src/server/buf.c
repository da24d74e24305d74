/* buf.c - capped output buffers and JSON text for the API's responses. */
#include "server_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void sb_release(struct sbuf *b)
{
	free(b->p);
	sb_init(b, b->max);
}

char *sb_detach(struct sbuf *b, size_t *len)
{
	char *p = b->p;
	*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static bool reserve(struct sbuf *b, size_t more)
{
	if (b->overflow)
		return false;
	if (more > b->max || b->len > b->max - more) {
		b->overflow = true;
		return false;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 256;
	while (nc < need)
		nc *= 2;
	if (nc > b->max + 1)
		nc = b->max + 1;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->overflow = true;
		return false;
	}
	b->p = np;
	b->cap = nc;
	return true;
}

bool sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return false;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool sb_str(struct sbuf *b, const char *s) { return sb_add(b, s, strlen(s)); }

bool sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof tmp)
		return sb_add(b, tmp, (size_t)n);
	if (!reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

bool sb_json_str(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!sb_add(b, "\"", 1))
		return false;
	size_t i = 0;
	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};
			sb_add(b, e, 2);
			i++;
		} else if (ch < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			sb_add(b, e, 6);
			i++;
		} else if (ch < 0x80) {
			size_t j = i;
			while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			sb_add(b, s + i, j - i);
			i = j;
		} else {
			size_t bad;
			size_t l = (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3 : (ch & 0xf8) == 0xf0 ? 4 : 1;
			if (i + l <= n && l > 1 && vg_utf8_valid(s + i, l, &bad)) {
				sb_add(b, s + i, l);
				i += l;
			} else {
				sb_add(b, "\xef\xbf\xbd", 3);
				i++;
			}
		}
	}
	return sb_add(b, "\"", 1);
}

bool sb_double(struct sbuf *b, double x)
{
	if (!isfinite(x))
		return sb_str(b, "null");
	char t[40];
	for (int p = 15; p <= 17; p++) {
		snprintf(t, sizeof t, "%.*g", p, x);
		if (strtod(t, NULL) == x)
			break;
	}
	if (!strcmp(t, "-0"))
		strcpy(t, "0");
	return sb_str(b, t);
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

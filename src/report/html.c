/* html.c - the report's page buffer: capped appends, HTML escaping and
 * fixed number and time formats (report_int.h). */
#include "report/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_init(struct rp *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void rp_release(struct rp *b)
{
	free(b->p);
	rp_init(b, b->max);
}

static bool reserve(struct rp *b, size_t more)
{
	if (b->overflow || b->nomem)
		return false;
	if (more > b->max || b->len > b->max - more) {
		b->overflow = true;
		return false;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	size_t nc = b->cap ? b->cap : 65536;
	while (nc < need)
		nc *= 2;
	if (nc > b->max + 1)
		nc = b->max + 1;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->nomem = true;
		return false;
	}
	b->p = np;
	b->cap = nc;
	return true;
}

void rp_add(struct rp *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rp_str(struct rp *b, const char *s) { rp_add(b, s, strlen(s)); }

void rp_printf(struct rp *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->nomem = true;
		return;
	}
	if ((size_t)n < sizeof tmp) {
		rp_add(b, tmp, (size_t)n);
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t bad;
	for (size_t k = 2; k <= 4 && k <= n; k++)
		if (vg_utf8_valid((const char *)s, k, &bad))
			return k;
	return 0;
}

void rp_esc(struct rp *b, const char *s, size_t n)
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
			rp_add(b, s + i - run, run);
			run = 0;
			rp_str(b, rep);
		} else {
			run += adv;
		}
		i += adv;
	}
	rp_add(b, s + n - run, run);
}

void rp_escs(struct rp *b, const char *s) { rp_esc(b, s, strlen(s)); }

void rp_num(struct rp *b, double x, int decimals)
{
	char t[64];
	if (!isfinite(x)) {
		rp_str(b, "&#8211;");
		return;
	}
	snprintf(t, sizeof t, "%.*f", decimals, x);
	if (t[0] == '-') { /* "-0.0" -> "0.0" */
		bool zero = true;
		for (const char *q = t + 1; *q; q++)
			if (*q != '0' && *q != '.')
				zero = false;
		if (zero) {
			rp_str(b, t + 1);
			return;
		}
	}
	rp_str(b, t);
}

/* t truncated to its second (floor), if representable. */
static int64_t floor_s(int64_t t_ns)
{
	int64_t s = t_ns / VG_NS_PER_S;
	if (t_ns % VG_NS_PER_S < 0)
		s--;
	return s > INT64_MIN / VG_NS_PER_S ? s * VG_NS_PER_S : t_ns;
}

void rp_hms(struct rp *b, int64_t t_ns)
{
	char buf[VG_TIME_STR_MAX];
	vg_time_format(floor_s(t_ns), buf); /* ...THH:MM:SSZ */
	const char *t = strchr(buf, 'T');
	if (t)
		rp_add(b, t + 1, 8);
}

void rp_datetime(struct rp *b, int64_t t_ns)
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
	rp_str(b, buf);
}

/* util.c - UTF-8 validation, hex, decimal numbers, quoting for error messages. */
#include "core.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool vg_utf8_valid(const char *str, size_t len, size_t *bad_off)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2; cp = c & 0x0F; min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			goto bad;
		}
		if (len - i <= n)
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += n + 1;
	}
	return true;
bad:
	if (bad_off)
		*bad_off = i;
	return false;
}

void vg_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

vg_status vg_hex_decode(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return VG_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return VG_ERR_INVALID_ARG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return VG_OK;
}

void vg_quote(const char *s, size_t len, char *out, size_t max_out)
{
	size_t o = 0;
	if (max_out < 8) {
		if (max_out)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		size_t tl;
		if (c == '"' || c == '\\') {
			tmp[0] = '\\'; tmp[1] = (char)c; tl = 2;
		} else if (c >= 0x20 && c < 0x7F) {
			tmp[0] = (char)c; tl = 1;
		} else {
			snprintf(tmp, sizeof tmp, "\\x%02x", c); tl = 4;
		}
		if (o + tl + 5 > max_out) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o++] = '"';
	out[o] = '\0';
}

bool vg_decimal_parse(const char *s, double *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t d = strspn(p, "0123456789");
	p += d;
	if (*p == '.') {
		p++;
		size_t f = strspn(p, "0123456789");
		p += f;
		d += f;
	}
	if (!d)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t e = strspn(p, "0123456789");
		if (!e)
			return false;
		p += e;
	}
	if (*p)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(v) || *end)
		return false;
	*out = v;
	return true;
}

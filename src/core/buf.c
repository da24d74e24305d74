/* buf.c - the capped text buffer of core.h (struct vg_buf). */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_buf_init(struct vg_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void vg_buf_release(struct vg_buf *b)
{
	free(b->p);
	vg_buf_init(b, b->max);
}

char *vg_buf_detach(struct vg_buf *b, size_t *len)
{
	char *p = b->p;
	*len = b->len;
	if (!p)
		p = calloc(1, 1);
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static bool reserve(struct vg_buf *b, size_t more)
{
	if (vg_buf_failed(b))
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
		b->nomem = true;
		return false;
	}
	b->p = np;
	b->cap = nc;
	return true;
}

bool vg_buf_add(struct vg_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return false;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool vg_buf_str(struct vg_buf *b, const char *s) { return vg_buf_add(b, s, strlen(s)); }

bool vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->nomem = true;
		return false;
	}
	if ((size_t)n < sizeof tmp)
		return vg_buf_add(b, tmp, (size_t)n);
	if (!reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

/* arena.c - a bump allocator with a hard cap (after curl's dynbuf `toobig`
 * and libmicrohttpd's MHD_pool_create(max)). */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_MIN_CHUNK (64 * 1024)

struct vg_arena_chunk {
	struct vg_arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t off;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

void vg_arena_init(struct vg_arena *a, size_t cap_bytes)
{
	vg_assert(cap_bytes > 0);
	a->head = a->first = NULL;
	a->cap = cap_bytes;
	a->reserved = 0;
	a->used = 0;
}

/*
 * Chunks form a list in allocation order; a->head is the chunk being filled.
 * Chunks after head are spares kept by vg_arena_reset for reuse, so a
 * steady workload (a batch per reset) stops calling malloc after warm-up.
 */
void *vg_arena_alloc(struct vg_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > a->cap)
		return NULL;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	struct vg_arena_chunk *c = a->head;
	while (c && c->size - c->off < need) {
		if (!c->next)
			break;
		c = c->next; /* a spare: use it if it fits, else look further */
		c->off = 0;
		a->head = c;
	}
	if (!c || c->size - c->off < need) {
		size_t sz = need > ARENA_MIN_CHUNK ? need : ARENA_MIN_CHUNK;
		if (a->reserved + sz > a->cap) {
			if (a->reserved + need > a->cap)
				return NULL;
			sz = need;
		}
		struct vg_arena_chunk *nc = malloc(sizeof *nc + sz);
		if (!nc)
			return NULL;
		nc->size = sz;
		nc->off = 0;
		nc->next = NULL;
		if (c)
			c->next = nc;
		else
			a->first = nc;
		a->head = c = nc;
		a->reserved += sz;
	}
	void *p = c->data + c->off;
	c->off += need;
	a->used += need;
	return p;
}

char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = vg_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void vg_arena_reset(struct vg_arena *a)
{
	/* Keep every chunk (their total is bounded by the cap) for reuse. */
	a->head = a->first;
	if (a->first)
		a->first->off = 0;
	a->used = 0;
}

void vg_arena_release(struct vg_arena *a)
{
	struct vg_arena_chunk *c = a->first;
	while (c) {
		struct vg_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = a->first = NULL;
	a->reserved = 0;
	a->used = 0;
}

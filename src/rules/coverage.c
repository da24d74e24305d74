/*
 * coverage.c - "was this area watched between t1 and t2?": the footprints
 * of the store's `coverage` observations (drone frames, satellite scenes)
 * over a time range, and the share of an area inside at least one of them
 * (vg_geo_covered_share: equal-area, GEOS union). Used by `vigil coverage`
 * and GET /v1/coverage; docs/rules.md.
 */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

struct fp {
	int64_t t0, t1;
	uint32_t n;
	double (*pts)[2];
};

struct vg_coverage {
	struct fp *v;
	uint32_t n, cap;
	struct vg_arena arena;
	bool nomem;
};

static int on_cov(void *ctx, const struct vg_obs_stored *o)
{
	struct vg_coverage *c = ctx;
	struct vg_envelope env;
	struct vg_obs obs;
	struct vg_err e;
	vg_arena_reset(&c->arena);
	/* stored rows were verified on ingest; a row that no longer decodes is
	 * not a footprint */
	if (vg_observation_decode(o->envelope, o->envelope_len, &c->arena, &env, &obs, &e) != VG_OK ||
	    obs.kind != VG_OBS_COVERAGE)
		return 0;
	if (c->n == c->cap) {
		uint32_t nc = c->cap ? c->cap * 2 : 1024;
		void *np = realloc(c->v, nc * sizeof *c->v);
		if (!np) {
			c->nomem = true;
			return 1;
		}
		c->v = np;
		c->cap = nc;
	}
	struct fp *f = &c->v[c->n];
	f->t0 = obs.t_ns;
	f->t1 = obs.t_end_ns;
	f->n = obs.u.coverage.poly.n;
	f->pts = malloc(f->n * sizeof *f->pts);
	if (!f->pts) {
		c->nomem = true;
		return 1;
	}
	memcpy(f->pts, obs.u.coverage.poly.pts, f->n * sizeof *f->pts);
	c->n++;
	return 0;
}

vg_status vg_coverage_load(vg_store *st, int64_t t0_ns, int64_t t1_ns, struct vg_coverage **out,
                           struct vg_err *err)
{
	struct vg_coverage *c = calloc(1, sizeof *c);
	if (!c)
		return vg_err_set(err, VG_ERR_NOMEM, "coverage");
	vg_arena_init(&c->arena, 1u << 20);
	struct vg_obs_filter f = {.kind = VG_OBS_COVERAGE, .has_time = true, .t0_ns = t0_ns,
	                          .t1_ns = t1_ns};
	vg_status s = vg_store_obs_query(st, &f, on_cov, c, err);
	if (!s && c->nomem)
		s = vg_err_set(err, VG_ERR_NOMEM, "coverage footprints");
	if (s) {
		vg_coverage_free(c);
		return s;
	}
	*out = c;
	return VG_OK;
}

uint32_t vg_coverage_count(const struct vg_coverage *c)
{
	return c->n;
}

vg_status vg_coverage_share(const struct vg_coverage *c, const vg_geo_area *a, int64_t t0_ns,
                            int64_t t1_ns, double *share, double *area_km2, struct vg_err *err)
{
	const double (**rings)[2] = malloc((c->n + 1) * sizeof *rings);
	uint32_t *rn = malloc((c->n + 1) * sizeof *rn);
	uint32_t k = 0;
	if (!rings || !rn) {
		free(rings);
		free(rn);
		return vg_err_set(err, VG_ERR_NOMEM, "coverage");
	}
	for (uint32_t i = 0; i < c->n; i++)
		if (c->v[i].t1 >= t0_ns && c->v[i].t0 <= t1_ns) {
			rings[k] = (const double (*)[2])c->v[i].pts;
			rn[k++] = c->v[i].n;
		}
	vg_status s = vg_geo_covered_share(a, (const double (*const *)[2])rings, rn, k, share,
	                                   area_km2, err);
	free(rings);
	free(rn);
	return s;
}

void vg_coverage_free(struct vg_coverage *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n; i++)
		free(c->v[i].pts);
	free(c->v);
	vg_arena_release(&c->arena);
	free(c);
}

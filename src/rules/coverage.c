/*
 * coverage.c - "was this area watched between t1 and t2?": the footprints
 * of the store's `coverage` observations (drone frames, satellite scenes)
 * over a time range, and the share of an area inside at least one of them
 * (vg_geo_covered_share: equal-area, GEOS union). Used by `vigil coverage`,
 * `vigil adjudicate --stats` and GET /v1/coverage; docs/rules.md.
 *
 * A footprint "identifies" weapons when its sensor can tell a weapon's
 * class: a drone, or any sensor that has reported a `detection` (an
 * imagery provider delivering classified detections), over the whole
 * store. A satellite
 * scene of change detections or a SAR pass sees that something is there,
 * not that it is a 152 mm gun, so it does not watch a withdrawal belt.
 */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fp {
	int64_t t0, t1;
	uint32_t n;
	bool ident;
	double (*pts)[2];
};

struct vg_coverage {
	struct fp *v;
	uint32_t n, cap;
	struct vg_arena arena;
	bool nomem;
	/* sensor ids that identify weapons, sorted (vg_coverage_load) */
	char (*ident)[VG_ID_MAX + 1];
	uint32_t n_ident, cap_ident;
};

static int idcmp(const void *a, const void *b) { return strcmp(a, b); }

static bool ident_has(const struct vg_coverage *c, const char *id)
{
	return c->n_ident && bsearch(id, c->ident, c->n_ident, sizeof *c->ident, idcmp);
}

/* Insert id into the sorted set (one entry per sensor). */
static int ident_add(struct vg_coverage *c, const char *id)
{
	uint32_t lo = 0, hi = c->n_ident;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->ident[mid], id);
		if (cmp == 0)
			return 0;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (c->n_ident == c->cap_ident) {
		uint32_t nc = c->cap_ident ? c->cap_ident * 2 : 64;
		void *np = realloc(c->ident, nc * sizeof *c->ident);
		if (!np) {
			c->nomem = true;
			return 1;
		}
		c->ident = np;
		c->cap_ident = nc;
	}
	memmove(c->ident + lo + 1, c->ident + lo, (c->n_ident - lo) * sizeof *c->ident);
	snprintf(c->ident[lo], sizeof *c->ident, "%s", id);
	c->n_ident++;
	return 0;
}

static int on_sensor(void *ctx, const struct vg_sensor *s)
{
	return s->modality == VG_MOD_DRONE ? ident_add(ctx, s->id) : 0;
}

static int on_det(void *ctx, const char *sensor)
{
	return ident_add(ctx, sensor);
}

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
	f->ident = ident_has(c, o->sensor);
	f->pts = malloc(f->n * sizeof *f->pts);
	if (!f->pts) {
		c->nomem = true;
		return 1;
	}
	/* one orientation for all (counter-clockwise in lon/lat), so that a
	 * map's single path of every footprint paints their union evenly
	 * (nonzero fill rule); the shares do not depend on it */
	const double (*q)[2] = obs.u.coverage.poly.pts;
	double a2 = 0;
	for (uint32_t i = 0; i + 1 < f->n; i++)
		a2 += q[i][0] * q[i + 1][1] - q[i + 1][0] * q[i][1];
	for (uint32_t i = 0; i < f->n; i++)
		memcpy(f->pts[i], q[a2 < 0 ? f->n - 1 - i : i], sizeof f->pts[i]);
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
	/* identifying sensors: drones, and any that ever reported a detection
	 * (over the whole store, so a footprint is one or the other whatever
	 * the range asked about) */
	struct vg_obs_filter f = {.kind = VG_OBS_COVERAGE, .has_time = true, .t0_ns = t0_ns,
	                          .t1_ns = t1_ns};
	vg_status s = vg_store_sensor_each(st, on_sensor, c, err);
	if (!s && !c->nomem) /* sensor ids only, no envelope read */
		s = vg_store_kind_sensors(st, VG_OBS_DETECTION, on_det, c, err);
	if (!s && !c->nomem)
		s = vg_store_obs_query(st, &f, on_cov, c, err);
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

const double (*vg_coverage_ring(const struct vg_coverage *c, uint32_t i, uint32_t *n))[2]
{
	*n = c->v[i].n;
	return (const double (*)[2])c->v[i].pts;
}

vg_status vg_coverage_share(const struct vg_coverage *c, const vg_geo_area *a, int64_t t0_ns,
                            int64_t t1_ns, double *share, double *area_km2, struct vg_err *err)
{
	return vg_coverage_share_by(c, a, t0_ns, t1_ns, false, share, area_km2, err);
}

vg_status vg_coverage_share_by(const struct vg_coverage *c, const vg_geo_area *a, int64_t t0_ns,
                               int64_t t1_ns, bool identifying, double *share, double *area_km2,
                               struct vg_err *err)
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
		if (c->v[i].t1 >= t0_ns && c->v[i].t0 <= t1_ns && (!identifying || c->v[i].ident)) {
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
	free(c->ident);
	vg_arena_release(&c->arena);
	free(c);
}

/* ---- Withdrawal belts ------------------------------------------------------- */

void vg_belts_free(struct vg_belt *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		vg_geo_area_free(b[i].area);
	free(b);
}

vg_status vg_agreement_belts(const struct vg_agreement *ag, int64_t t0_ns, int64_t t1_ns,
                             struct vg_belt **out, uint32_t *n_out, struct vg_err *err)
{
	struct vg_belt *b = NULL;
	uint32_t n = 0, cap = 0;
	*out = NULL;
	*n_out = 0;
	const vg_geo_area **ex = calloc(ag->n_features + 1, sizeof *ex);
	if (!ex)
		return vg_err_set(err, VG_ERR_NOMEM, "belts");
	vg_status st = VG_OK;
	for (uint32_t v = 0; v < ag->n_versions && !st; v++) {
		/* the versions in force during [t0, t1]; a later one's belt of a
		 * rule id and party replaces an earlier one's */
		int64_t vf = ag->versions[v].effective_ns;
		int64_t vt = v + 1 < ag->n_versions ? ag->versions[v + 1].effective_ns : INT64_MAX;
		if (vt <= t0_ns || vf > t1_ns)
			continue;
		for (uint32_t r = 0; r < ag->versions[v].n_rules && !st; r++) {
			const struct vg_ag_rule *R = &ag->versions[v].rules[r];
			if (R->type != VG_RULE_WITHDRAWAL)
				continue;
			for (uint32_t p = 0; p < ag->n_parties && !st; p++) {
				if (!(R->distance_m[p] > 0) || R->ref_line[p] < 0 || ag->side[p] < 0)
					continue;
				uint32_t n_ex = 0;
				for (uint32_t k = 0; k < ag->n_features && R->exempt_holding; k++) {
					const struct vg_ag_feature *F = &ag->features[k];
					if (F->role == VG_ROLE_ZONE && F->party == (int)p && F->area &&
					    !strcmp(F->zone, "holding_area"))
						ex[n_ex++] = F->area;
				}
				vg_geo_area *area = NULL;
				st = vg_geo_band_new(ag->features[ag->side[p]].area, ag->features[R->ref_line[p]].line,
				                     R->distance_m[p], ex, n_ex, &area, err);
				if (st == VG_ERR_NOT_FOUND) { /* nothing of the side that close: no belt */
					st = VG_OK;
					continue;
				}
				if (st)
					break;
				uint32_t k = 0;
				while (k < n && !(!strcmp(b[k].rule_id, R->id) && b[k].party == (int)p))
					k++;
				if (k == n) {
					if (n == cap) {
						uint32_t nc = cap ? cap * 2 : 8;
						void *np = realloc(b, nc * sizeof *b);
						if (!np) {
							vg_geo_area_free(area);
							st = vg_err_set(err, VG_ERR_NOMEM, "belts");
							break;
						}
						b = np;
						cap = nc;
					}
					n++;
				} else {
					vg_geo_area_free(b[k].area);
				}
				struct vg_belt *B = &b[k];
				memset(B, 0, sizeof *B);
				snprintf(B->rule_id, sizeof B->rule_id, "%s", R->id);
				B->party = (int)p;
				B->version = ag->versions[v].version;
				B->distance_m = R->distance_m[p];
				B->area = area;
			}
		}
	}
	free(ex);
	if (st) {
		vg_belts_free(b, n);
		return st;
	}
	*out = b;
	*n_out = n;
	return VG_OK;
}

/*
 * feed.c - the store side of CoT (tak.h): the index of event types that
 * no_fire findings consult, and received reports into
 * external_observations (feed "cot").
 *
 * Received CoT is unsigned: like NASA FIRMS rows (docs/rules.md) it stays
 * out of the signed, logged observations table and is kept with its feed,
 * its source (the peer), a trust below that of signed sensors, and the
 * message exactly as received. kind/type reuse the codec's enums: atoms are
 * detections (type = object class), b-d-* are located impulses (type =
 * impulse class). Its key is the report's identity (vg_tak_report_key), not
 * the bytes, so a report relayed twice is stored once.
 */
#include "tak/tak.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ictx {
	struct vg_tak_event_index *idx;
	size_t cap;
	bool nomem;
};

static int on_event(void *ctx, const struct vg_event_row *e)
{
	struct ictx *c = ctx;
	if (c->idx->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		void *p = realloc(c->idx->v, nc * sizeof *c->idx->v);
		if (!p) {
			c->nomem = true;
			return 1;
		}
		c->idx->v = p;
		c->cap = nc;
	}
	struct vg_tak_event_type *t = &c->idx->v[c->idx->n++];
	/* the id is in the record; the seq gives it (e-%06lld, docs/fusion.md) */
	snprintf(t->id, sizeof t->id, "e-%06lld", (long long)e->seq);
	snprintf(t->type, sizeof t->type, "%s", e->type);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct vg_tak_event_type *)a)->id, ((const struct vg_tak_event_type *)b)->id);
}

vg_status vg_tak_event_index_load(vg_store *st, struct vg_tak_event_index *idx, struct vg_err *err)
{
	struct vg_tak_event_index tmp = {0};
	struct ictx c = {.idx = &tmp};
	struct vg_event_filter f = {0};
	vg_status s = vg_store_event_query(st, &f, on_event, &c, err);
	if (!s && c.nomem)
		s = vg_err_set(err, VG_ERR_NOMEM, "event index (%zu events)", tmp.n);
	if (s) {
		free(tmp.v);
		return s;
	}
	if (tmp.n)
		qsort(tmp.v, tmp.n, sizeof *tmp.v, cmp_id);
	*idx = tmp;
	return VG_OK;
}

void vg_tak_event_index_release(struct vg_tak_event_index *idx)
{
	if (!idx)
		return;
	free(idx->v);
	idx->v = NULL;
	idx->n = 0;
}

const char *vg_tak_event_index_type(const struct vg_tak_event_index *idx, const char *id)
{
	if (!idx || !idx->n || !id)
		return NULL;
	struct vg_tak_event_type key;
	if (strlen(id) >= sizeof key.id)
		return NULL;
	strcpy(key.id, id);
	const struct vg_tak_event_type *t = bsearch(&key, idx->v, idx->n, sizeof *idx->v, cmp_id);
	return t ? t->type : NULL;
}

vg_status vg_tak_store_report(vg_store *st, const struct vg_tak_report *r, const char *raw,
                              size_t raw_len, const char *source, double trust,
                              double unknown_ce_m, int64_t now_ns, bool *inserted,
                              struct vg_err *err)
{
	if (r->kind != VG_OBS_DETECTION && r->kind != VG_OBS_IMPULSE)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "report %s: not classified", r->uid);
	/* the row column is TEXT: the message as received, which the parser
	 * has checked is UTF-8 XML (no NUL) */
	char *row = malloc(raw_len + 1);
	if (!row)
		return vg_err_set(err, VG_ERR_NOMEM, "report row");
	memcpy(row, raw, raw_len);
	row[raw_len] = '\0';
	struct vg_ext_obs x = {
		.feed = "cot",
		.source = source,
		.kind = r->kind,
		.type = r->cls,
		.t_ns = r->time_ns,
		.lat_deg = r->lat_deg,
		.lon_deg = r->lon_deg,
		.sigma_m = r->has_ce ? r->ce_m : unknown_ce_m,
		.frp_mw = NAN,
		.trust = trust,
		.imported_ns = now_ns,
		.row = row,
	};
	vg_tak_report_key(r, x.row_sha256);
	vg_status s = vg_store_ext_insert(st, &x, inserted, err);
	free(row);
	return s;
}

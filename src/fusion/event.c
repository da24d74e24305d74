/*
 * event.c - the event record: one NDJSON line, deterministic bytes.
 *
 * Members in a fixed order; each number with a fixed number of decimals for
 * its quantity (never "-0"), so the same event always gives the same bytes
 * (fit for a transparency-log entry). The scorer's schema (docs/scoring.md)
 * comes first; fusion's own members follow (docs/fusion.md).
 */
#include "fusion.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct buf {
	char *p;
	size_t n, cap;
	bool over;
};

static void put(struct buf *b, const char *fmt, ...) VG_PRINTF(2, 3);
static void put(struct buf *b, const char *fmt, ...)
{
	if (b->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= b->cap - b->n) {
		b->over = true;
		return;
	}
	b->n += (size_t)k;
}

/* A fixed-decimals number without "-0" and without non-finite values. */
static void num(struct buf *b, double v, int dec)
{
	if (!isfinite(v)) {
		put(b, "null");
		return;
	}
	char t[64];
	snprintf(t, sizeof t, "%.*f", dec, v);
	if (t[0] == '-') {
		bool zero = true;
		for (const char *q = t + 1; *q; q++)
			if (*q != '0' && *q != '.')
				zero = false;
		if (zero) {
			put(b, "%s", t + 1);
			return;
		}
	}
	put(b, "%s", t);
}

static void id(struct buf *b, uint64_t seq) { put(b, "\"e-%06llu\"", (unsigned long long)seq); }

size_t vg_fusion_event_json(const struct vg_fusion_event *ev, char *out, size_t cap)
{
	struct buf b = {.p = out, .n = 0, .cap = cap};
	char t[VG_TIME_STR_MAX], te[VG_TIME_STR_MAX];
	if (cap == 0)
		return 0;
	out[0] = 0;
	vg_time_format(ev->t_ns, t);
	vg_time_format(ev->emitted_ns, te);
	put(&b, "{\"id\":");
	id(&b, ev->seq);
	put(&b, ",\"type\":\"%s\",\"time\":\"%s\",\"time_sigma_s\":", vg_fusion_type_name(ev->type), t);
	num(&b, ev->time_sigma_s, 6);
	put(&b, ",\"lat\":");
	num(&b, ev->lat_deg, 8);
	put(&b, ",\"lon\":");
	num(&b, ev->lon_deg, 8);
	put(&b, ",\"cov_m2\":[[");
	num(&b, ev->cov_m2[0][0], 4);
	put(&b, ",");
	num(&b, ev->cov_m2[0][1], 4);
	put(&b, "],[");
	num(&b, ev->cov_m2[1][0], 4);
	put(&b, ",");
	num(&b, ev->cov_m2[1][1], 4);
	put(&b, "]],\"ellipse\":{\"smaj_m\":");
	num(&b, ev->smaj_m, 3);
	put(&b, ",\"smin_m\":");
	num(&b, ev->smin_m, 3);
	put(&b, ",\"az_deg\":");
	num(&b, ev->az_deg, 2);
	put(&b, "},\"cep50_m\":");
	num(&b, ev->cep50_m, 3);
	put(&b, ",\"cep90_m\":");
	num(&b, ev->cep90_m, 3);
	const char *cls = vg_object_class_name(ev->cls);
	put(&b, ",\"class\":\"%s\"", cls ? cls : "unknown");
	put(&b, ",\"emitted\":\"%s\"", te);
	put(&b, ",\"p_launch\":");
	num(&b, ev->p_launch, 4);
	if (ev->pair_seq) {
		put(&b, ",\"pair\":");
		id(&b, ev->pair_seq);
		put(&b, ",\"tof_s\":");
		num(&b, ev->tof_s, 3);
		if (ev->cls_mask) {
			/* every weapon class the pair fits, in class order */
			put(&b, ",\"classes\":[");
			bool first = true;
			for (int k = 1; k < VG_CLS_COUNT_; k++)
				if (ev->cls_mask & (1u << k)) {
					put(&b, "%s\"%s\"", first ? "" : ",", vg_object_class_name(k));
					first = false;
				}
			put(&b, "]");
		}
	}
	if (ev->n_toa) {
		put(&b, ",\"c_mps\":");
		num(&b, ev->c_mps, 3);
		put(&b, ",\"c_sigma_mps\":");
		num(&b, ev->c_sigma_mps, 3);
		put(&b, ",\"chi2\":");
		num(&b, ev->chi2, 3);
		put(&b, ",\"dof\":%d", ev->dof);
	}
	put(&b, ",\"n_arrivals\":%u,\"n_bearings\":%u,\"n_radar\":%u", ev->n_toa, ev->n_bearing,
	    ev->n_radar);
	/* evidence: the observations' log indices (-1: not in a log; then the
	 * store row ids follow in "obs"), the normalised residuals of the used
	 * arrivals, the rejected outliers and the radar reports */
	static const char *const lists[3] = {"arrivals", "rejected", "radar"};
	bool unlogged = false;
	for (int L = 0; L < 3; L++) {
		put(&b, ",\"%s\":[", lists[L]);
		bool first = true;
		for (uint32_t i = 0; i < ev->n_ev; i++) {
			const struct vg_fusion_evidence *x = &ev->ev[i];
			bool in = L == 2 ? x->kind == VG_OBS_FIRE
			                 : x->kind == VG_OBS_IMPULSE && x->used == (L == 0);
			if (!in)
				continue;
			put(&b, "%s%lld", first ? "" : ",", (long long)x->log_index);
			unlogged |= x->log_index < 0;
			first = false;
		}
		put(&b, "]");
		if (L == 0) {
			put(&b, ",\"residuals\":[");
			first = true;
			for (uint32_t i = 0; i < ev->n_ev; i++) {
				const struct vg_fusion_evidence *x = &ev->ev[i];
				if (x->kind != VG_OBS_IMPULSE || !x->used)
					continue;
				put(&b, "%s", first ? "" : ",");
				num(&b, x->resid, 2);
				first = false;
			}
			put(&b, "]");
		}
	}
	if (unlogged) {
		put(&b, ",\"obs\":[");
		for (uint32_t i = 0; i < ev->n_ev; i++)
			put(&b, "%s%lld", i ? "," : "", (long long)ev->ev[i].obs_id);
		put(&b, "]");
	}
	put(&b, "}");
	if (b.over)
		return 0;
	return b.n;
}

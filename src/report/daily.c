/*
 * daily.c - the daily report (report.h, docs/report.md).
 *
 * Modelled on the OSCE Special Monitoring Mission to Ukraine's daily
 * reports (2014-2022): a summary of the day's ceasefire violations, a map,
 * counts by category and by area with the previous day for comparison,
 * weapons seen in violation of withdrawal lines (type, place, first and
 * last seen), and the restrictions on what could be observed. Here the
 * "restrictions" are measured, not reported: the share of each zone that
 * no coverage footprint (drone frame, satellite scene) saw during the day.
 *
 * Two passes: everything the page shows is gathered from the store first
 * (findings, events, coverage footprints of the day; counts of the
 * previous day), then written in a fixed order. What counts for a day:
 *   - a finding whose window [from, until] overlaps the day (as
 *     `vigil findings --from --until` and GET /v1/findings select), placed
 *     in the hour of max(from, start of day);
 *   - an event whose origin time lies in the day;
 *   - a coverage footprint whose time overlaps the day (as `vigil
 *     coverage`, through vg_coverage: one load for the areas, the
 *     withdrawal belts and the map), measured equal-area.
 * The day is [00:00:00, 24:00:00) UTC, i.e. the closed interval up to one
 * nanosecond before midnight.
 *
 * The page is anchored to the log checkpoint given: its text is printed as
 * it is, with its size and root, and the findings' evidence indices are
 * checked against its size.
 */
#include "report/report_int.h"
#include "rules/rules.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_RULES VG_RULE_TYPE_COUNT_
#define GRID_DEG 0.25
#define MAP_W 900.0
#define FINDINGS_ROWS_MAX 5000u

enum { EV_LAUNCH, EV_IMPACT, EV_EXPLOSION, EV_N };
static const char *const ev_names[EV_N] = {"launch", "impact", "explosion"};

/* Rules by type number: a colour and a title for each known one; rule
 * types added later get a colour of the palette and their name. */
static const char *const rule_palette[] = {"#c0392b", "#1f5fa8", "#8e44ad", "#d35400",
                                           "#2e8b57", "#b7950b", "#16a085", "#6c3483"};

static const char *rule_colour(int r)
{
	return rule_palette[(uint32_t)(r - 1) % (sizeof rule_palette / sizeof rule_palette[0])];
}

static const char *rule_title(int r)
{
	switch (r) {
	case VG_RULE_NO_FIRE:
		return "Firing: launches, impacts, explosions";
	case VG_RULE_WITHDRAWAL:
		return "Weapons inside withdrawal lines";
	case VG_RULE_NO_FLY:
		return "Flights in a no-fly zone";
	case VG_RULE_DISENGAGEMENT:
		return "Forces in a disengagement area";
	case VG_RULE_NO_NEW_FORTIFICATION:
		return "New fortifications";
	default:
		return "";
	}
}

/* The short label of a rule on a chart's axis. */
static const char *rule_short(int r)
{
	switch (r) {
	case VG_RULE_DISENGAGEMENT:
		return "disengag.";
	case VG_RULE_NO_NEW_FORTIFICATION:
		return "no_new_fort.";
	default:
		return vg_rule_type_name(r);
	}
}

/* Rule types with a name (the only ones a stored finding can have). */
static bool rule_known(int r) { return r >= 1 && r < N_RULES && vg_rule_type_name(r); }

static const char *const party_colour[] = {"#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad",
                                           "#d35400", "#16a085", "#b7950b", "#6c3483"};
#define N_PARTY_COLOURS (sizeof party_colour / sizeof party_colour[0])
#define NO_PARTY_COLOUR "#555555"
static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const weekday_names[] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                            "Monday",   "Tuesday", "Wednesday"};

/* A finding of the day: what the page shows of it. */
struct fnd {
	char id[24];
	char rule_id[VG_ID_MAX + 1];
	char party[VG_ID_MAX + 1];
	char class_name[VG_ID_MAX + 1];
	int rule, grade, agreement_version;
	int64_t from, until;
	double lat, lon, p_party, cep90_m, line_dist_m;
	uint32_t count, n_evidence, n_sensors, n_owners, n_modalities;
	int64_t ev_max;           /* highest evidence log index, -1: none */
	int party_ix;             /* index in day.party, -1: none */
};

struct evt {
	int64_t seq;
	int type;                 /* EV_* */
	int64_t t;
	double lat, lon, cep90_m;
	bool cited;               /* named by a finding of the day */
};

/* A side or zone of the agreement, or a grid cell. */
struct area {
	char name[VG_ID_MAX + 1];
	char kind[VG_ID_MAX + 1];
	char party[VG_ID_MAX + 1];
	const vg_geo_area *a;
	vg_geo_area *owned;       /* grid cells */
	long long gi, gj;         /* grid cell indices (lat, lon) */
	uint32_t n_f, n_f_conf, n_e;
	double share, km2;
};

struct day {
	int64_t t0, t1;
	struct fnd *f;
	uint32_t nf, capf;
	struct evt *e;
	uint32_t ne, cape;
	int64_t *refs;            /* event seqs named by findings, sorted */
	uint32_t nrefs, caprefs;
	uint32_t y_rule[N_RULES], y_total, y_evt[EV_N];
	struct vg_coverage *cov;  /* the day's coverage footprints (shares, belts, the map) */
	char (*party)[VG_ID_MAX + 1];
	uint32_t nparty;
	struct area *areas;
	uint32_t nareas;
	struct vg_belt *belts;    /* withdrawal belts (agreement only) */
	double *belt_share, *belt_km2; /* watched by sensors that identify weapons */
	uint32_t nbelts;
	uint32_t n_outside;       /* findings in no area (agreement only) */
	struct vg_agreement *ag;
	json_t *agj;
	bool anchored;
	struct vg_checkpoint cp;
	vg_status st;
	struct vg_err err;
};

/* ---- The date ---------------------------------------------------------------------------- */

vg_status vg_report_date_parse(const char *s, size_t len, int64_t *day_ns, struct vg_err *err)
{
	char q[48];
	vg_quote(s, len, q, sizeof q);
	bool shape = len == 10;
	for (size_t i = 0; i < len && shape; i++)
		shape = (i == 4 || i == 7) ? s[i] == '-' : (s[i] >= '0' && s[i] <= '9');
	if (!shape)
		return vg_err_set(err, VG_ERR_TIME, "date %s: want YYYY-MM-DD (a calendar day, UTC)", q);
	char full[32];
	memcpy(full, s, 10);
	memcpy(full + 10, "T00:00:00Z", 11);
	int64_t t;
	struct vg_err e2;
	if (vg_time_parse(full, 20, &t, &e2) != VG_OK)
		return vg_err_set(err, VG_ERR_TIME, "date %s: no such day (or outside 1677..2262)", q);
	if (t < INT64_MIN + VG_NS_PER_DAY || t > INT64_MAX - 2 * VG_NS_PER_DAY)
		return vg_err_set(err, VG_ERR_TIME,
		                  "date %s: the day before and after must be representable", q);
	*day_ns = t;
	return VG_OK;
}

/* ---- Gathering ---------------------------------------------------------------------------- */

static bool grow(void **p, uint32_t *cap, uint32_t n, size_t size, struct day *d)
{
	if (n < *cap)
		return true;
	if (n >= VG_REPORT_MAX_ITEMS) {
		d->st = vg_err_set(&d->err, VG_ERR_LIMIT, "more than %u items of one kind in a day",
		                   VG_REPORT_MAX_ITEMS);
		return false;
	}
	uint32_t nc = *cap ? *cap * 2 : 256;
	void *np = realloc(*p, (size_t)nc * size);
	if (!np) {
		d->st = vg_err_set(&d->err, VG_ERR_NOMEM, "report");
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

static void copy_id(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* "e-000123" -> 123; -1 for any other id (truth ids, "firms-7", ...). */
static int64_t event_seq(const char *id)
{
	if (id[0] != 'e' || id[1] != '-' || !id[2])
		return -1;
	int64_t v = 0;
	for (const char *p = id + 2; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static int on_finding(void *ctx, const struct vg_finding_row *r)
{
	struct day *d = ctx;
	struct vg_finding x;
	struct vg_err e;
	if (vg_finding_parse(r->record, r->record_len, &x, &e) != VG_OK) {
		d->st = vg_err_set(&d->err, VG_ERR_CORRUPT, "stored finding %s: %s", r->id, e.msg);
		return 1;
	}
	if (!grow((void **)&d->f, &d->capf, d->nf, sizeof *d->f, d)) {
		vg_finding_clear(&x);
		return 1;
	}
	struct fnd *f = &d->f[d->nf++];
	memset(f, 0, sizeof *f);
	copy_id(f->id, sizeof f->id, x.id);
	copy_id(f->rule_id, sizeof f->rule_id, x.rule_id);
	copy_id(f->party, sizeof f->party, x.party);
	copy_id(f->class_name, sizeof f->class_name, x.class_name);
	f->rule = rule_known(x.rule) ? x.rule : VG_RULE_NO_FIRE;
	f->grade = x.grade >= 1 && x.grade <= 3 ? x.grade : VG_GRADE_POSSIBLE;
	f->agreement_version = x.agreement_version;
	f->from = x.from_ns;
	f->until = x.until_ns;
	f->lat = x.lat_deg;
	f->lon = x.lon_deg;
	f->p_party = x.p_party;
	f->cep90_m = x.cep90_m;
	f->line_dist_m = x.line_dist_m;
	f->count = x.count;
	f->n_evidence = x.n_evidence;
	f->ev_max = x.n_evidence ? x.evidence[x.n_evidence - 1] : -1;
	f->party_ix = -1;
	for (uint32_t i = 0; i < x.n_events; i++) {
		int64_t s = event_seq(x.events[i]);
		if (s < 0)
			continue;
		if (!grow((void **)&d->refs, &d->caprefs, d->nrefs, sizeof *d->refs, d)) {
			vg_finding_clear(&x);
			return 1;
		}
		d->refs[d->nrefs++] = s;
	}
	vg_finding_clear(&x);
	/* members vg_finding_parse leaves out */
	json_t *rec = json_loadb(r->record, r->record_len, 0, NULL);
	json_int_t v;
	v = json_integer_value(json_object_get(rec, "sensors"));
	f->n_sensors = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	v = json_integer_value(json_object_get(rec, "owners"));
	f->n_owners = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	v = json_integer_value(json_object_get(rec, "modalities"));
	f->n_modalities = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	json_decref(rec);
	return 0;
}

static int on_finding_yesterday(void *ctx, const struct vg_finding_row *r)
{
	struct day *d = ctx;
	int rule = vg_rule_type_parse(r->rule);
	if (rule >= 1 && rule < N_RULES)
		d->y_rule[rule]++;
	d->y_total++;
	return 0;
}

static int event_type(const char *t)
{
	for (int i = 0; i < EV_N; i++)
		if (t && !strcmp(t, ev_names[i]))
			return i;
	return -1;
}

static int on_event(void *ctx, const struct vg_event_row *r)
{
	struct day *d = ctx;
	int type = event_type(r->type);
	if (type < 0)
		return 0; /* fusion emits these three only */
	if (!grow((void **)&d->e, &d->cape, d->ne, sizeof *d->e, d))
		return 1;
	struct evt *e = &d->e[d->ne++];
	e->seq = r->seq;
	e->type = type;
	e->t = r->t_ns;
	e->lat = r->lat_deg;
	e->lon = r->lon_deg;
	e->cep90_m = r->cep90_m;
	e->cited = false;
	return 0;
}

static int on_event_yesterday(void *ctx, const struct vg_event_row *r)
{
	struct day *d = ctx;
	int type = event_type(r->type);
	if (type >= 0)
		d->y_evt[type]++;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

/* Parties: the agreement's in its order, then any other named by a
 * finding, sorted. */
static vg_status gather_parties(struct day *d)
{
	uint32_t cap = (d->ag ? d->ag->n_parties : 0) + d->nf + 1;
	d->party = calloc(cap, sizeof *d->party);
	if (!d->party)
		return vg_err_set(&d->err, VG_ERR_NOMEM, "report");
	for (uint32_t i = 0; d->ag && i < d->ag->n_parties; i++)
		copy_id(d->party[d->nparty++], sizeof d->party[0], d->ag->parties[i]);
	uint32_t known = d->nparty, extra = 0;
	for (uint32_t k = 0; k < d->nf; k++) {
		const char *p = d->f[k].party;
		bool have = !p[0];
		for (uint32_t i = 0; i < known + extra && !have; i++)
			have = !strcmp(d->party[i], p);
		if (!have)
			copy_id(d->party[known + extra++], sizeof d->party[0], p);
	}
	if (extra)
		qsort(d->party + known, extra, sizeof d->party[0], cmp_str);
	d->nparty = known + extra;
	for (uint32_t k = 0; k < d->nf; k++)
		for (uint32_t i = 0; i < d->nparty; i++)
			if (d->f[k].party[0] && !strcmp(d->party[i], d->f[k].party))
				d->f[k].party_ix = (int)i;
	return VG_OK;
}

static const char *colour_of_party(int ix)
{
	return ix < 0 ? NO_PARTY_COLOUR : party_colour[(uint32_t)ix % N_PARTY_COLOURS];
}

static long long cell_of(double deg) { return (long long)floor(deg / GRID_DEG); }

static int cmp_cell(const void *a, const void *b)
{
	const struct area *x = a, *y = b;
	if (x->gi != y->gi)
		return x->gi > y->gi ? -1 : 1; /* north first, as on the map */
	return (x->gj > y->gj) - (x->gj < y->gj);
}

static void cell_label(char *out, size_t cap, long long gi, long long gj)
{
	double lat = gi * GRID_DEG, lon = gj * GRID_DEG;
	snprintf(out, cap, "%.2f%c %.2f%c", fabs(lat), lat < 0 ? 'S' : 'N', fabs(lon),
	         lon < 0 ? 'W' : 'E');
}

/* The areas: the agreement's sides and zones, else the grid cells where
 * something was found or located. Counts and unobserved shares. */
static vg_status gather_areas(struct day *d)
{
	if (d->ag) {
		d->areas = calloc(d->ag->n_features + 1, sizeof *d->areas);
		if (!d->areas)
			return vg_err_set(&d->err, VG_ERR_NOMEM, "report");
		for (uint32_t k = 0; k < d->ag->n_features; k++) {
			const struct vg_ag_feature *F = &d->ag->features[k];
			if (!F->area)
				continue;
			struct area *A = &d->areas[d->nareas++];
			copy_id(A->name, sizeof A->name, F->id);
			copy_id(A->kind, sizeof A->kind, F->role == VG_ROLE_SIDE ? "side" : F->zone);
			copy_id(A->party, sizeof A->party, F->party >= 0 ? d->ag->parties[F->party] : "");
			A->a = F->area;
		}
		for (uint32_t k = 0; k < d->nf; k++) {
			bool in = false;
			for (uint32_t i = 0; i < d->nareas; i++)
				if (vg_geo_area_contains(d->areas[i].a, d->f[k].lat, d->f[k].lon)) {
					d->areas[i].n_f++;
					d->areas[i].n_f_conf += d->f[k].grade == VG_GRADE_CONFIRMED;
					in = true;
				}
			d->n_outside += !in;
		}
		for (uint32_t k = 0; k < d->ne; k++)
			for (uint32_t i = 0; i < d->nareas; i++)
				if (vg_geo_area_contains(d->areas[i].a, d->e[k].lat, d->e[k].lon))
					d->areas[i].n_e++;
	} else {
		uint32_t cap = d->nf + d->ne;
		d->areas = calloc(cap + 1, sizeof *d->areas);
		if (!d->areas)
			return vg_err_set(&d->err, VG_ERR_NOMEM, "report");
		for (uint32_t k = 0; k < cap; k++) {
			bool isf = k < d->nf;
			double lat = isf ? d->f[k].lat : d->e[k - d->nf].lat;
			double lon = isf ? d->f[k].lon : d->e[k - d->nf].lon;
			long long gi = cell_of(lat), gj = cell_of(lon);
			uint32_t i = 0;
			while (i < d->nareas && !(d->areas[i].gi == gi && d->areas[i].gj == gj))
				i++;
			if (i == d->nareas) {
				d->areas[i].gi = gi;
				d->areas[i].gj = gj;
				d->nareas++;
			}
			if (isf) {
				d->areas[i].n_f++;
				d->areas[i].n_f_conf += d->f[k].grade == VG_GRADE_CONFIRMED;
			} else {
				d->areas[i].n_e++;
			}
		}
		if (d->nareas)
			qsort(d->areas, d->nareas, sizeof *d->areas, cmp_cell);
		for (uint32_t i = 0; i < d->nareas; i++) {
			struct area *A = &d->areas[i];
			cell_label(A->name, sizeof A->name, A->gi, A->gj);
			copy_id(A->kind, sizeof A->kind, "grid cell");
			double s = A->gi * GRID_DEG, w = A->gj * GRID_DEG, n = s + GRID_DEG, e = w + GRID_DEG;
			char gj[512];
			snprintf(gj, sizeof gj,
			         "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],"
			         "[%.6f,%.6f],[%.6f,%.6f]]]}",
			         w, s, e, s, e, n, w, n, w, s);
			vg_status st = vg_geo_area_from_geojson(gj, &A->owned, &d->err);
			if (st != VG_OK) {
				vg_err_prefix(&d->err, "grid cell %s", A->name);
				return st;
			}
			A->a = A->owned;
		}
	}
	for (uint32_t i = 0; i < d->nareas; i++) {
		vg_status st = vg_coverage_share(d->cov, d->areas[i].a, d->t0, d->t1, &d->areas[i].share,
		                                 &d->areas[i].km2, &d->err);
		if (st != VG_OK) {
			vg_err_prefix(&d->err, "coverage of %s", d->areas[i].name);
			return st;
		}
	}
	return VG_OK;
}

/* The checkpoint: verified with the log key if given, else parsed. */
static vg_status gather_checkpoint(struct day *d, const struct vg_report_daily_opts *o)
{
	if (!o->checkpoint)
		return VG_OK;
	vg_status st;
	if (o->checkpoint_len > VG_NOTE_MAX)
		return vg_err_set(&d->err, VG_ERR_LIMIT, "checkpoint: %zu bytes, more than %d",
		                  o->checkpoint_len, VG_NOTE_MAX);
	if (o->log_key) {
		st = vg_checkpoint_open(o->checkpoint, o->checkpoint_len, o->log_key, &d->cp, &d->err);
	} else {
		size_t bad, n = o->checkpoint_len;
		const char *p = o->checkpoint, *blank = NULL;
		for (size_t i = 0; i + 1 < n && !blank; i++)
			if (p[i] == '\n' && p[i + 1] == '\n')
				blank = p + i;
		if (!vg_utf8_valid(p, n, &bad))
			st = vg_err_set(&d->err, VG_ERR_VERSION, "not UTF-8 at byte %zu", bad);
		else if (!blank || n == 0 || p[n - 1] != '\n')
			st = vg_err_set(&d->err, VG_ERR_VERSION,
			                "not a signed note (a blank line, then signature lines)");
		else
			st = vg_checkpoint_parse(p, (size_t)(blank - p) + 1, &d->cp, &d->err);
	}
	if (st != VG_OK) {
		vg_err_prefix(&d->err, "checkpoint");
		return st;
	}
	d->anchored = true;
	return VG_OK;
}

/* Withdrawal belts and the share of each that a sensor able to identify
 * weapons watched during the day (vg_coverage_share_by, as `vigil
 * coverage` reports it). */
static vg_status gather_belts(struct day *d)
{
	if (!d->ag)
		return VG_OK;
	vg_status rc = vg_agreement_belts(d->ag, d->t0, d->t1, &d->belts, &d->nbelts, &d->err);
	if (rc != VG_OK || !d->nbelts)
		return rc;
	d->belt_share = calloc(d->nbelts, sizeof *d->belt_share);
	d->belt_km2 = calloc(d->nbelts, sizeof *d->belt_km2);
	if (!d->belt_share || !d->belt_km2)
		return vg_err_set(&d->err, VG_ERR_NOMEM, "withdrawal belts");
	for (uint32_t i = 0; i < d->nbelts && rc == VG_OK; i++)
		rc = vg_coverage_share_by(d->cov, d->belts[i].area, d->t0, d->t1, true, &d->belt_share[i],
		                          &d->belt_km2[i], &d->err);
	return rc;
}

static vg_status gather(vg_store *st, const struct vg_report_daily_opts *o, struct day *d)
{
	vg_status rc;
	if (o->agreement) {
		if ((rc = vg_agreement_parse(o->agreement, o->agreement_len, &d->ag, &d->err)) != VG_OK) {
			vg_err_prefix(&d->err, "agreement");
			return rc;
		}
		json_error_t je;
		d->agj = json_loadb(o->agreement, o->agreement_len, 0, &je);
		if (!d->agj)
			return vg_err_set(&d->err, VG_ERR_JSON, "agreement: line %d: %s", je.line, je.text);
	}
	if ((rc = gather_checkpoint(d, o)) != VG_OK)
		return rc;
	struct vg_finding_filter ff = {.has_time = true, .t0_ns = d->t0, .t1_ns = d->t1};
	if ((rc = vg_store_finding_query(st, &ff, on_finding, d, &d->err)) != VG_OK || d->st)
		return rc ? rc : d->st;
	ff.t0_ns = d->t0 - VG_NS_PER_DAY;
	ff.t1_ns = d->t0 - 1;
	if ((rc = vg_store_finding_query(st, &ff, on_finding_yesterday, d, &d->err)) != VG_OK)
		return rc;
	struct vg_event_filter ef = {.has_time = true, .t0_ns = d->t0, .t1_ns = d->t1};
	if ((rc = vg_store_event_query(st, &ef, on_event, d, &d->err)) != VG_OK || d->st)
		return rc ? rc : d->st;
	ef.t0_ns = d->t0 - VG_NS_PER_DAY;
	ef.t1_ns = d->t0 - 1;
	if ((rc = vg_store_event_query(st, &ef, on_event_yesterday, d, &d->err)) != VG_OK)
		return rc;
	if ((rc = vg_coverage_load(st, d->t0, d->t1, &d->cov, &d->err)) != VG_OK)
		return rc;
	if (d->nrefs)
		qsort(d->refs, d->nrefs, sizeof *d->refs, cmp_i64);
	for (uint32_t k = 0; k < d->ne; k++)
		d->e[k].cited = d->nrefs &&
		                bsearch(&d->e[k].seq, d->refs, d->nrefs, sizeof *d->refs, cmp_i64) != NULL;
	if ((rc = gather_parties(d)) != VG_OK)
		return rc;
	if ((rc = gather_areas(d)) != VG_OK)
		return rc;
	return gather_belts(d);
}

static void day_release(struct day *d)
{
	for (uint32_t i = 0; i < d->nareas; i++)
		vg_geo_area_free(d->areas[i].owned);
	free(d->areas);
	vg_belts_free(d->belts, d->nbelts);
	free(d->belt_share);
	free(d->belt_km2);
	vg_coverage_free(d->cov);
	free(d->f);
	free(d->e);
	free(d->refs);
	free(d->party);
	vg_agreement_free(d->ag);
	json_decref(d->agj);
}

/* ---- Writing: helpers ----------------------------------------------------------------------- */

/* A count cell the tests (and anyone) can read back: data-k="KEY". */
static void cell_n(struct vg_buf *b, const char *k1, const char *k2, const char *k3, uint32_t v)
{
	vg_buf_str(b, "<td class=\"n\" data-k=\"");
	rp_escs(b, k1);
	vg_buf_str(b, "/");
	rp_escs(b, k2);
	vg_buf_str(b, "/");
	rp_escs(b, k3);
	vg_buf_printf(b, "\">%u</td>", v);
}

static void cell_pct(struct vg_buf *b, const char *k1, const char *k2, const char *k3, double share)
{
	vg_buf_str(b, "<td class=\"n\" data-k=\"");
	rp_escs(b, k1);
	vg_buf_str(b, "/");
	rp_escs(b, k2);
	vg_buf_str(b, "/");
	rp_escs(b, k3);
	vg_buf_str(b, "\">");
	rp_num(b, 100 * share, 1);
	vg_buf_str(b, "</td>");
}

static void td_text(struct vg_buf *b, const char *s)
{
	vg_buf_str(b, "<td>");
	rp_escs(b, s);
	vg_buf_str(b, "</td>");
}

/* <tr> and an area's name, kind and party cells */
static void area_cells(struct vg_buf *b, const struct area *A)
{
	vg_buf_str(b, "<tr>");
	td_text(b, A->name);
	td_text(b, A->kind);
	td_text(b, A->party);
}

/* <time datetime="exact RFC 3339">YYYY-MM-DD HH:MM:SS</time> */
static void put_time(struct vg_buf *b, int64_t t_ns)
{
	char buf[VG_TIME_STR_MAX];
	vg_time_format(t_ns, buf);
	vg_buf_printf(b, "<time datetime=\"%s\">", buf);
	rp_datetime(b, t_ns);
	vg_buf_str(b, "</time>");
}

static void put_position(struct vg_buf *b, double lat, double lon)
{
	rp_num(b, fabs(lat), 4);
	vg_buf_str(b, lat < 0 ? "&#176;S " : "&#176;N ");
	rp_num(b, fabs(lon), 4);
	vg_buf_str(b, lon < 0 ? "&#176;W" : "&#176;E");
}

static void put_party(struct vg_buf *b, const struct fnd *f)
{
	if (!f->party[0]) {
		vg_buf_str(b, "&#8211;");
		return;
	}
	vg_buf_printf(b, "<span class=\"sw\" style=\"background:%s\"></span>", colour_of_party(f->party_ix));
	rp_escs(b, f->party);
	vg_buf_str(b, " (p ");
	rp_num(b, f->p_party, 2);
	vg_buf_str(b, ")");
}

static void put_day_title(struct vg_buf *b, int64_t day_ns)
{
	char buf[VG_TIME_STR_MAX];
	vg_time_format(day_ns, buf);
	int y = 0, m = 1, dd = 1;
	if (sscanf(buf, "%d-%d-%d", &y, &m, &dd) != 3 || m < 1 || m > 12)
		m = 1;
	int64_t days = day_ns / VG_NS_PER_DAY; /* exact: day_ns is a midnight */
	int wd = (int)(((days % 7) + 7) % 7);
	vg_buf_printf(b, "%s %d %s %d", weekday_names[wd], dd, month_names[m - 1], y);
}

/* ---- Writing: the map ------------------------------------------------------------------------ */

static bool ring_of(json_t *ring, double (**pts)[2], uint32_t *n)
{
	size_t k = json_array_size(ring);
	if (!k || k > UINT32_MAX)
		return false;
	double (*p)[2] = malloc(k * sizeof *p);
	if (!p)
		return false;
	for (size_t i = 0; i < k; i++) {
		json_t *pt = json_array_get(ring, i);
		p[i][0] = json_number_value(json_array_get(pt, 0));
		p[i][1] = json_number_value(json_array_get(pt, 1));
	}
	*pts = p;
	*n = (uint32_t)k;
	return true;
}

/* Path data of a GeoJSON geometry (lines and polygon rings). */
static void geom_path(struct vg_buf *b, const struct rp_proj *p, json_t *g)
{
	const char *type = json_string_value(json_object_get(g, "type"));
	json_t *c = json_object_get(g, "coordinates");
	if (!type || !c)
		return;
	int depth = !strcmp(type, "LineString") ? 0 : !strcmp(type, "MultiLineString") ? 1
	          : !strcmp(type, "Polygon") ? 1 : !strcmp(type, "MultiPolygon") ? 2 : -1;
	bool close = strstr(type, "Polygon") != NULL;
	if (depth < 0)
		return;
	size_t n1 = depth >= 1 ? json_array_size(c) : 1;
	for (size_t i = 0; i < n1; i++) {
		json_t *c1 = depth >= 1 ? json_array_get(c, i) : c;
		size_t n2 = depth == 2 ? json_array_size(c1) : 1;
		for (size_t j = 0; j < n2; j++) {
			json_t *ring = depth == 2 ? json_array_get(c1, j) : c1;
			double (*pts)[2];
			uint32_t n;
			if (!ring_of(ring, &pts, &n))
				continue;
			rp_path(b, p, (const double (*)[2])pts, n, close);
			free(pts);
		}
	}
}

/* The box of a GeoJSON geometry's positions. */
static void geom_box(json_t *g, double *s, double *w, double *n, double *e)
{
	json_t *c = json_object_get(g, "coordinates");
	/* walk every nested array of numbers [lon, lat] */
	json_t *stack[8];
	size_t idx[8];
	int top = 0;
	if (!json_is_array(c))
		return;
	stack[0] = c;
	idx[0] = 0;
	while (top >= 0) {
		json_t *a = stack[top];
		if (idx[top] >= json_array_size(a)) {
			top--;
			continue;
		}
		json_t *x = json_array_get(a, idx[top]++);
		if (json_is_number(json_array_get(x, 0)) && json_is_number(json_array_get(x, 1))) {
			double lon = json_number_value(json_array_get(x, 0)), lat = json_number_value(json_array_get(x, 1));
			*s = lat < *s ? lat : *s;
			*n = lat > *n ? lat : *n;
			*w = lon < *w ? lon : *w;
			*e = lon > *e ? lon : *e;
		} else if (json_is_array(x) && top < 7) {
			stack[++top] = x;
			idx[top] = 0;
		}
	}
}

static const char *feature_role(json_t *f)
{
	return json_string_value(json_object_get(json_object_get(f, "properties"), "role"));
}

/* One SVG path command: "<cmd>x y" with one decimal. */
static void path_pt(struct vg_buf *b, const char *cmd, double x, double y)
{
	vg_buf_str(b, cmd);
	rp_num(b, x, 1);
	vg_buf_str(b, " ");
	rp_num(b, y, 1);
}

static void ev_marker(struct vg_buf *b, const struct rp_proj *p, const struct evt *e)
{
	double x, y;
	rp_proj_xy(p, e->lat, e->lon, &x, &y);
	vg_buf_printf(b, "<path class=\"ev %s\" d=\"", ev_names[e->type]);
	if (e->type == EV_LAUNCH) { /* triangle */
		path_pt(b, "M", x, y - 4.5);
		path_pt(b, "L", x + 4, y + 2.5);
		path_pt(b, "L", x - 4, y + 2.5);
		vg_buf_str(b, "Z");
	} else if (e->type == EV_IMPACT) { /* cross */
		path_pt(b, "M", x - 3.5, y - 3.5);
		path_pt(b, "L", x + 3.5, y + 3.5);
		path_pt(b, "M", x - 3.5, y + 3.5);
		path_pt(b, "L", x + 3.5, y - 3.5);
	} else { /* diamond */
		path_pt(b, "M", x, y - 4);
		path_pt(b, "L", x + 4, y);
		path_pt(b, "L", x, y + 4);
		path_pt(b, "L", x - 4, y);
		vg_buf_str(b, "Z");
	}
	vg_buf_printf(b, "\"><title>e-%06lld %s ", (long long)e->seq, ev_names[e->type]);
	rp_hms(b, e->t);
	vg_buf_str(b, " UTC</title></path>\n");
}

static void fnd_marker(struct vg_buf *b, const struct rp_proj *p, const struct fnd *f, bool label)
{
	double x, y;
	rp_proj_xy(p, f->lat, f->lon, &x, &y);
	const char *col = colour_of_party(f->party_ix);
	vg_buf_str(b, "<circle class=\"fd ");
	vg_buf_str(b, vg_grade_name(f->grade));
	vg_buf_str(b, "\"");
	rp_attr(b, "cx", x, 1);
	rp_attr(b, "cy", y, 1);
	vg_buf_printf(b, " r=\"6\" stroke=\"%s\" fill=\"%s\"><title>", col,
	          f->grade == VG_GRADE_POSSIBLE ? "#ffffff" : col);
	rp_escs(b, f->id);
	vg_buf_str(b, " ");
	vg_buf_str(b, vg_rule_type_name(f->rule));
	vg_buf_str(b, ", ");
	vg_buf_str(b, vg_grade_name(f->grade));
	if (f->party[0]) {
		vg_buf_str(b, ", party ");
		rp_escs(b, f->party);
	}
	vg_buf_str(b, ", ");
	rp_hms(b, f->from);
	vg_buf_str(b, "&#8211;");
	rp_hms(b, f->until);
	vg_buf_str(b, " UTC</title></circle>\n");
	if (label) {
		/* the first 6 hex digits of "f-3fa92c0d..." (f- and 16 hex
		 * digits; another id is shown whole) */
		char lab[8];
		bool hex = !strncmp(f->id, "f-", 2) && strlen(f->id) == 18 &&
		           strspn(f->id + 2, "0123456789abcdef") == 16;
		snprintf(lab, sizeof lab, "%.6s", hex ? f->id + 2 : "");
		vg_buf_str(b, "<text class=\"fl\"");
		rp_attr(b, "x", x + 8, 1);
		rp_attr(b, "y", y + 4, 1);
		vg_buf_str(b, ">");
		rp_escs(b, hex ? lab : f->id);
		vg_buf_str(b, "</text>\n");
	}
}

static const char *zone_class(json_t *f)
{
	const char *z = json_string_value(json_object_get(json_object_get(f, "properties"), "zone"));
	if (z && !strcmp(z, "security_zone"))
		return "zone security";
	if (z && !strcmp(z, "holding_area"))
		return "zone holding";
	return "zone other";
}

static void write_map(struct vg_buf *b, const struct day *d)
{
	double s = INFINITY, w = INFINITY, n = -INFINITY, e = -INFINITY;
	for (uint32_t k = 0; k < d->nf; k++) {
		s = fmin(s, d->f[k].lat), n = fmax(n, d->f[k].lat);
		w = fmin(w, d->f[k].lon), e = fmax(e, d->f[k].lon);
	}
	for (uint32_t k = 0; k < d->ne; k++) {
		s = fmin(s, d->e[k].lat), n = fmax(n, d->e[k].lat);
		w = fmin(w, d->e[k].lon), e = fmax(e, d->e[k].lon);
	}
	json_t *feats = d->agj ? json_object_get(d->agj, "features") : NULL;
	if (!(s <= n) && feats) { /* nothing located: the contact line's box */
		for (size_t i = 0; i < json_array_size(feats); i++) {
			json_t *f = json_array_get(feats, i);
			const char *role = feature_role(f);
			if (role && !strcmp(role, "contact_line"))
				geom_box(json_object_get(f, "geometry"), &s, &w, &n, &e);
		}
	}
	vg_buf_str(b, "<section id=\"map\"><h2>Map of the day</h2>\n");
	if (!(s <= n) || !(w <= e)) {
		vg_buf_str(b, "<p>Nothing was located on this day and no agreement was given: no map.</p></section>\n");
		return;
	}
	struct rp_proj p;
	rp_proj_fit(&p, s, w, n, e, MAP_W, 0.2);
	vg_buf_str(b, "<figure><svg class=\"map\" viewBox=\"0 0 ");
	rp_num(b, p.w, 0);
	vg_buf_str(b, " ");
	rp_num(b, p.h, 0);
	vg_buf_str(b, "\" width=\"");
	rp_num(b, p.w, 0);
	vg_buf_str(b, "\" height=\"");
	rp_num(b, p.h, 0);
	vg_buf_str(b, "\" role=\"img\"><title>Map: findings by party and grade, located events by type");
	if (d->ag)
		vg_buf_str(b, ", the agreement's lines and zones");
	vg_buf_str(b, ", the day's observed area</title>\n<rect class=\"bg\" x=\"0\" y=\"0\" width=\"");
	rp_num(b, p.w, 0);
	vg_buf_str(b, "\" height=\"");
	rp_num(b, p.h, 0);
	vg_buf_str(b, "\"/>\n");
	/* sides, tinted by party */
	for (size_t i = 0; i < json_array_size(feats); i++) {
		json_t *f = json_array_get(feats, i);
		const char *role = feature_role(f);
		if (!role || strcmp(role, "side"))
			continue;
		const char *party =
			json_string_value(json_object_get(json_object_get(f, "properties"), "party"));
		int ix = party ? vg_agreement_party(d->ag, party) : -1;
		vg_buf_printf(b, "<path class=\"side\" fill=\"%s\" d=\"", colour_of_party(ix));
		geom_path(b, &p, json_object_get(f, "geometry"));
		vg_buf_str(b, "\"/>\n");
	}
	rp_map_graticule(b, &p);
	/* the observed area: every footprint of the day in one path */
	uint32_t nfp = d->cov ? vg_coverage_count(d->cov) : 0;
	if (nfp) {
		vg_buf_str(b, "<path class=\"seen\" d=\"");
		for (uint32_t i = 0; i < nfp; i++) {
			uint32_t rn;
			const double (*ring)[2] = vg_coverage_ring(d->cov, i, &rn);
			rp_path(b, &p, ring, rn, true);
		}
		vg_buf_str(b, "\"/>\n");
	}
	/* zones, reference lines, the contact line */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < json_array_size(feats); i++) {
			json_t *f = json_array_get(feats, i);
			const char *role = feature_role(f);
			const char *want = pass == 0 ? "zone" : pass == 1 ? "reference_line" : "contact_line";
			if (!role || strcmp(role, want))
				continue;
			vg_buf_printf(b, "<path class=\"%s\" d=\"",
			          pass == 0 ? zone_class(f) : pass == 1 ? "refline" : "contact");
			geom_path(b, &p, json_object_get(f, "geometry"));
			vg_buf_str(b, "\"><title>");
			const char *fid = json_string_value(json_object_get(f, "id"));
			rp_escs(b, fid ? fid : want);
			vg_buf_str(b, "</title></path>\n");
		}
	for (uint32_t k = 0; k < d->ne; k++)
		ev_marker(b, &p, &d->e[k]);
	for (uint32_t k = 0; k < d->nf; k++)
		fnd_marker(b, &p, &d->f[k], d->nf <= 60);
	rp_map_scale(b, &p);
	vg_buf_str(b, "</svg>\n<figcaption>");
	/* legend */
	for (uint32_t i = 0; i <= d->nparty; i++) {
		vg_buf_printf(b, "<span class=\"key\"><span class=\"dot\" style=\"background:%s\"></span>",
		          colour_of_party(i < d->nparty ? (int)i : -1));
		if (i < d->nparty) {
			vg_buf_str(b, "party ");
			rp_escs(b, d->party[i]);
		} else {
			vg_buf_str(b, "no party attributed");
		}
		vg_buf_str(b, "</span> ");
	}
	vg_buf_str(b, "<span class=\"key\"><span class=\"dot\" style=\"background:#555555\"></span>"
	          "filled: confirmed</span> <span class=\"key\"><span class=\"dot half\"></span>"
	          "pale: probable</span> <span class=\"key\"><span class=\"dot ring\"></span>"
	          "hollow: possible</span> <span class=\"key\">&#9650; launch</span> "
	          "<span class=\"key\">&#10005; impact</span> <span class=\"key\">&#9670; explosion"
	          "</span> <span class=\"key\"><span class=\"dot seen\"></span>observed area (coverage "
	          "footprints of the day)</span>");
	if (d->ag)
		vg_buf_str(b, " <span class=\"key\"><span class=\"line contact\"></span>contact line</span>"
		          " <span class=\"key\"><span class=\"line security\"></span>security zone</span>"
		          " <span class=\"key\"><span class=\"line holding\"></span>holding area</span>");
	vg_buf_str(b, "<br>Equirectangular projection about ");
	rp_num(b, (p.min_lat + p.max_lat) / 2, 3);
	vg_buf_str(b, "&#176; latitude, fitted to what was located on the day; labels are the first "
	              "six digits of the findings' ids.");
	vg_buf_str(b, "</figcaption></figure></section>\n");
}

/* ---- Writing: the page ------------------------------------------------------------------------- */

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
	"color:#1b1b1b;max-width:960px;box-sizing:border-box;margin:0 auto;padding:0 16px 40px;"
	"background:#fff}"
	"header{border-bottom:4px solid #1f5fa8;padding:18px 0 10px;margin-bottom:8px}"
	"header .org{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#1f5fa8}"
	"h1{font-size:24px;margin:4px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}"
	"h3{font-size:15px;margin:18px 0 6px}.meta{color:#555;font-size:13px}"
	"table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}"
	"th,td{border:1px solid #c8c8c8;padding:3px 7px;text-align:left;vertical-align:top}"
	"th{background:#eef2f7}td.t,time{white-space:nowrap}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"tfoot td,tfoot th{font-weight:bold;background:#f6f6f6}"
	"pre{background:#f6f6f6;border:1px solid #ddd;padding:8px;white-space:pre-wrap;"
	"word-break:break-all;font-size:12px}code{font-size:12px}"
	".sw{display:inline-block;width:9px;height:9px;margin-right:4px;border-radius:2px}"
	"figure{margin:8px 0}figcaption{font-size:12px;color:#444;margin-top:4px}"
	".key{white-space:nowrap;margin-right:8px}.dot{display:inline-block;width:10px;height:10px;"
	"border-radius:50%;margin-right:4px;vertical-align:-1px}.dot.half{background:#aaa}"
	".dot.ring{border:2px solid #555;width:6px;height:6px}.dot.seen{background:#cfe8d5;"
	"border-radius:2px}.line{display:inline-block;width:18px;height:0;margin-right:4px;"
	"vertical-align:3px;border-top:3px solid #8b0000}.line.security{border-top:2px dashed #e67e22}"
	".line.holding{border-top:2px solid #2e8b57}"
	".wide{overflow-x:auto}.charts{display:flex;flex-wrap:wrap;gap:12px}"
	".charts figure{flex:0 1 440px;max-width:100%}.chart{max-width:100%;height:auto}"
	".warn{color:#8b0000;font-weight:bold}"
	"svg text{font-family:inherit}.chart .grid{stroke:#e2e2e2}.chart .axis{stroke:#333}"
	".chart .yl{font-size:10px;text-anchor:end;fill:#444}.chart .xl{font-size:10px;"
	"text-anchor:middle;fill:#444}.chart .lg{font-size:11px;fill:#222}"
	".map{border:1px solid #999;max-width:100%;height:auto}.map .bg{fill:#fbfaf6}"
	".map .side{fill-opacity:.07;fill-rule:evenodd;stroke:none}"
	".map .grat{stroke:#d7d7d7;stroke-width:.6;fill:none}.map .gl{font-size:9px;fill:#777}"
	".map .seen{fill:#2e8b57;fill-opacity:.12;stroke:none;fill-rule:nonzero}"
	".map .zone{fill:none;stroke-width:1.4}.map .security{stroke:#e67e22;stroke-dasharray:6 3}"
	".map .holding{stroke:#2e8b57;fill:#2e8b57;fill-opacity:.15}.map .other{stroke:#7f8c8d;"
	"stroke-dasharray:3 3}.map .refline{fill:none;stroke:#555;stroke-width:1.2;"
	"stroke-dasharray:8 4}.map .contact{fill:none;stroke:#8b0000;stroke-width:2.4}"
	".map .ev{fill:#333;stroke:#333;stroke-width:1.2;fill-opacity:.75}.map .ev.impact{fill:none}"
	".map .fd{stroke-width:2}.map .fd.probable{fill-opacity:.45}.map .fl{font-size:10px;"
	"font-weight:bold;fill:#111}.map .scale path{fill:none;stroke:#111;stroke-width:1.5}"
	".map .scale text{font-size:10px}.map .scalebg{fill:#fff;fill-opacity:.8}"
	"@media print{.charts{display:block}}";

static void write_head(struct vg_buf *b, const struct day *d, const struct vg_report_daily_opts *o)
{
	char day[VG_TIME_STR_MAX];
	vg_time_format(d->t0, day);
	day[10] = '\0';
	vg_buf_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	          "style-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width, "
	          "initial-scale=1\">\n<meta name=\"generator\" content=\"vigil report daily\">\n<title>");
	vg_buf_printf(b, "Vigil daily report %s", day);
	vg_buf_str(b, "</title>\n<style>");
	vg_buf_str(b, css);
	vg_buf_str(b, "</style>\n</head>\n<body>\n<header>\n<div class=\"org\">Vigil &#183; ceasefire "
	          "monitoring by technical means</div>\n<h1>Daily report: ");
	put_day_title(b, d->t0);
	vg_buf_str(b, "</h1>\n<div class=\"meta\">Period ");
	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX];
	vg_time_format(d->t0, t0);
	vg_time_format(d->t0 + VG_NS_PER_DAY, t1);
	vg_buf_printf(b, "<time datetime=\"%s\">%s</time> to <time datetime=\"%s\">%s</time> (UTC)", t0, t0,
	          t1, t1);
	vg_buf_str(b, " &#183; agreement: ");
	if (d->ag) {
		rp_escs(b, d->ag->name);
		vg_buf_printf(b, " (%u version%s)", d->ag->n_versions, d->ag->n_versions == 1 ? "" : "s");
	} else {
		vg_buf_str(b, "none given (areas are a 0.25&#176; grid)");
	}
	vg_buf_str(b, " &#183; ");
	if (d->anchored)
		vg_buf_printf(b, "anchored to log checkpoint of size %llu", (unsigned long long)d->cp.size);
	else
		vg_buf_str(b, "<span class=\"warn\">not anchored to a log checkpoint</span>");
	if (o->has_generated) {
		vg_buf_str(b, " &#183; generated ");
		rp_datetime(b, o->generated_ns);
		vg_buf_str(b, " UTC");
	}
	vg_buf_str(b, "</div>\n</header>\n");
}

static uint32_t count_rule(const struct day *d, int rule, int grade)
{
	uint32_t n = 0;
	for (uint32_t k = 0; k < d->nf; k++)
		n += (!rule || d->f[k].rule == rule) && (!grade || d->f[k].grade == grade);
	return n;
}

static uint32_t count_events(const struct day *d, int type, bool cited_only)
{
	uint32_t n = 0;
	for (uint32_t k = 0; k < d->ne; k++)
		n += (type < 0 || d->e[k].type == type) && (!cited_only || d->e[k].cited);
	return n;
}

static void plural(struct vg_buf *b, uint32_t n, const char *one, const char *many)
{
	vg_buf_printf(b, "%u %s", n, n == 1 ? one : many);
}

static void write_summary(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"summary\"><h2>Summary</h2>\n<p>During the day Vigil recorded ");
	plural(b, d->nf, "finding", "findings");
	vg_buf_str(b, " of possible ceasefire violations (");
	vg_buf_printf(b, "%u the previous day)", d->y_total);
	if (d->nf) {
		vg_buf_str(b, ": ");
		bool first = true;
		for (int r = 1; r < N_RULES; r++) {
			uint32_t n = rule_known(r) ? count_rule(d, r, 0) : 0;
			if (!n)
				continue;
			vg_buf_printf(b, "%s%u <code>%s</code>", first ? "" : ", ", n, vg_rule_type_name(r));
			first = false;
		}
		vg_buf_str(b, ". Of these, ");
		vg_buf_printf(b, "%u %s confirmed (two modalities or two sensor owners), %u probable and %u "
		             "possible (one sensor)",
		          count_rule(d, 0, VG_GRADE_CONFIRMED),
		          count_rule(d, 0, VG_GRADE_CONFIRMED) == 1 ? "was" : "were",
		          count_rule(d, 0, VG_GRADE_PROBABLE), count_rule(d, 0, VG_GRADE_POSSIBLE));
	}
	vg_buf_str(b, ". Fusion located ");
	plural(b, d->ne, "event", "events");
	vg_buf_printf(b, " (%u launches, %u impacts, %u explosions not told apart), of which %u are "
	             "cited by a finding of the day.",
	          count_events(d, EV_LAUNCH, false), count_events(d, EV_IMPACT, false),
	          count_events(d, EV_EXPLOSION, false), count_events(d, -1, true));
	uint32_t wd = 0, wn = 0;
	for (uint32_t k = 0; k < d->nf; k++)
		if (d->f[k].rule == VG_RULE_WITHDRAWAL) {
			wd++;
			wn += d->f[k].count;
		}
	if (wd) {
		vg_buf_str(b, " ");
		plural(b, wn, "weapon was", "weapons were");
		vg_buf_str(b, " seen in violation of withdrawal lines (");
		plural(b, wd, "finding", "findings");
		vg_buf_str(b, ").");
	}
	const struct area *worst = NULL;
	for (uint32_t i = 0; i < d->nareas; i++)
		if (!worst || d->areas[i].share < worst->share)
			worst = &d->areas[i];
	if (worst) {
		vg_buf_str(b, " The least observed area was ");
		rp_escs(b, worst->name);
		vg_buf_str(b, " (");
		rp_num(b, 100 * (1 - worst->share), 1);
		vg_buf_str(b, " % not seen by any coverage footprint).");
	}
	vg_buf_str(b, "</p>\n<p class=\"meta\">A finding is a rule of the agreement applied to located "
	          "events and sensor reports; it is not an attribution of intent. \"No finding\" in an "
	          "area means nothing was found there, and only as far as the area was observed: see "
	          "<a href=\"#restrictions\">Restrictions</a>.</p></section>\n");
}

static void write_charts(struct vg_buf *b, const struct day *d)
{
	static const char *const hour_labels[24] = {"00", NULL, NULL, "03", NULL, NULL, "06", NULL,
	                                            NULL, "09", NULL, NULL, "12", NULL, NULL, "15",
	                                            NULL, NULL, "18", NULL, NULL, "21", NULL, NULL};
	static const char *const hour_names[24] = {
		"00-01 h", "01-02 h", "02-03 h", "03-04 h", "04-05 h", "05-06 h", "06-07 h", "07-08 h",
		"08-09 h", "09-10 h", "10-11 h", "11-12 h", "12-13 h", "13-14 h", "14-15 h", "15-16 h",
		"16-17 h", "17-18 h", "18-19 h", "19-20 h", "20-21 h", "21-22 h", "22-23 h", "23-24 h"};
	uint32_t by_rule[N_RULES][24];
	uint32_t(*by_party)[24] = calloc(d->nparty + 1, sizeof *by_party);
	struct rp_series *ser = calloc(d->nparty + N_RULES + 1, sizeof *ser);
	char (*pname)[VG_ID_MAX + 8] = calloc(d->nparty + 1, sizeof *pname);
	if (!by_party || !ser || !pname) {
		b->nomem = true;
		goto out;
	}
	memset(by_rule, 0, sizeof by_rule);
	for (uint32_t k = 0; k < d->nf; k++) {
		int64_t t = d->f[k].from < d->t0 ? d->t0 : d->f[k].from;
		int64_t h = (t - d->t0) / (3600 * VG_NS_PER_S);
		h = h < 0 ? 0 : h > 23 ? 23 : h;
		by_rule[d->f[k].rule][h]++;
		by_party[d->f[k].party_ix < 0 ? d->nparty : (uint32_t)d->f[k].party_ix][h]++;
	}
	vg_buf_str(b, "<section id=\"charts\"><h2>Findings through the day</h2>\n<div class=\"charts\">\n");
	uint32_t ns = 0;
	for (int r = 1; r < N_RULES; r++)
		if (rule_known(r))
			ser[ns++] = (struct rp_series){vg_rule_type_name(r), rule_colour(r), by_rule[r]};
	struct rp_chart c = {.title = "Findings per hour (UTC) by rule", .n_cats = 24,
	                     .cat_labels = hour_labels, .cat_names = hour_names, .n_series = ns,
	                     .series = ser, .stacked = true, .width_px = 440};
	vg_buf_str(b, "<figure>");
	rp_bar_chart(b, &c);
	vg_buf_str(b, "<figcaption>Findings per hour (UTC) by rule; a finding counts in the hour it "
	          "began (or 00 h if it began the day before).</figcaption></figure>\n");
	ns = 0;
	for (uint32_t i = 0; i <= d->nparty; i++) {
		snprintf(pname[i], sizeof pname[i], "%s%s", i < d->nparty ? "party " : "none",
		         i < d->nparty ? d->party[i] : "");
		ser[ns++] = (struct rp_series){pname[i], colour_of_party(i < d->nparty ? (int)i : -1),
		                               by_party[i]};
	}
	c.title = "Findings per hour (UTC) by attributed party";
	c.n_series = ns;
	vg_buf_str(b, "<figure>");
	rp_bar_chart(b, &c);
	vg_buf_str(b, "<figcaption>Findings per hour (UTC) by the party each is attributed to.</figcaption>"
	          "</figure>\n");
	/* today against the previous day, by rule */
	const char *rnames[N_RULES], *rshort[N_RULES];
	uint32_t today[N_RULES], yest[N_RULES], nr = 0;
	for (int r = 1; r < N_RULES; r++)
		if (rule_known(r)) {
			rnames[nr] = vg_rule_type_name(r);
			rshort[nr] = rule_short(r);
			today[nr] = count_rule(d, r, 0);
			yest[nr++] = d->y_rule[r];
		}
	struct rp_series cmp[2] = {{"previous day", "#9aa5b1", yest}, {"this day", "#1f5fa8", today}};
	struct rp_chart c2 = {.title = "Findings by rule: this day and the previous day",
	                      .n_cats = nr, .cat_labels = rshort, .cat_names = rnames,
	                      .n_series = 2, .series = cmp, .stacked = false, .width_px = 440};
	vg_buf_str(b, "<figure>");
	rp_bar_chart(b, &c2);
	vg_buf_str(b, "<figcaption>Findings by rule, this day against the previous day.</figcaption>"
	          "</figure>\n</div></section>\n");
out:
	free(by_party);
	free(ser);
	free(pname);
}

static void write_categories(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"categories\"><h2>Ceasefire violations by category</h2>\n"
	          "<h3>Findings by rule and grade</h3>\n<table id=\"t-rules\"><thead><tr><th>Rule</th>"
	          "<th>confirmed</th><th>probable</th><th>possible</th><th>total</th>"
	          "<th>previous day</th><th>change</th></tr></thead><tbody>\n");
	for (int r = 1; r <= N_RULES; r++) {
		bool all = r == N_RULES;
		if (!all && !rule_known(r))
			continue;
		const char *name = all ? "all" : vg_rule_type_name(r);
		if (all)
			vg_buf_str(b, "</tbody><tfoot>");
		vg_buf_str(b, "<tr><th>");
		if (all)
			vg_buf_str(b, "All rules");
		else
			vg_buf_printf(b, "<code>%s</code> <span class=\"meta\">%s</span>", name, rule_title(r));
		vg_buf_str(b, "</th>");
		uint32_t tot = count_rule(d, all ? 0 : r, 0), y = all ? d->y_total : d->y_rule[r];
		cell_n(b, "rule", name, "confirmed", count_rule(d, all ? 0 : r, VG_GRADE_CONFIRMED));
		cell_n(b, "rule", name, "probable", count_rule(d, all ? 0 : r, VG_GRADE_PROBABLE));
		cell_n(b, "rule", name, "possible", count_rule(d, all ? 0 : r, VG_GRADE_POSSIBLE));
		cell_n(b, "rule", name, "total", tot);
		cell_n(b, "rule", name, "yesterday", y);
		vg_buf_printf(b, "<td class=\"n\">%s%lld</td></tr>\n", tot > y ? "+" : "",
		          (long long)tot - (long long)y);
		if (all)
			vg_buf_str(b, "</tfoot>");
	}
	vg_buf_str(b, "</table>\n<h3>Located events by type (fusion of acoustic, seismic and radar "
	          "reports)</h3>\n<table id=\"t-events\"><thead><tr><th>Type</th><th>this day</th>"
	          "<th>previous day</th><th>cited by a finding of this day</th></tr></thead><tbody>\n");
	for (int t = 0; t <= EV_N; t++) {
		bool all = t == EV_N;
		const char *name = all ? "all" : ev_names[t];
		if (all)
			vg_buf_str(b, "</tbody><tfoot>");
		vg_buf_printf(b, "<tr><th>%s</th>", all ? "All types" : name);
		uint32_t y = 0;
		for (int k = 0; k < EV_N; k++)
			y += (all || k == t) ? d->y_evt[k] : 0;
		cell_n(b, "event", name, "today", count_events(d, all ? -1 : t, false));
		cell_n(b, "event", name, "yesterday", y);
		cell_n(b, "event", name, "cited", count_events(d, all ? -1 : t, true));
		vg_buf_str(b, "</tr>\n");
		if (all)
			vg_buf_str(b, "</tfoot>");
	}
	vg_buf_str(b, "</table>\n<p class=\"meta\">An <em>explosion</em> is an impulsive event whose "
	          "launch or impact character was not decided. A finding of <code>no_fire</code> "
	          "usually stands for several events (a salvo).</p></section>\n");
}

static void write_areas(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"areas\"><h2>Ceasefire violations by area</h2>\n");
	if (d->ag)
		vg_buf_str(b, "<p class=\"meta\">The agreement's sides and zones. Zones lie inside sides, so "
		          "a finding counts in every area that contains its position.</p>\n");
	else
		vg_buf_str(b, "<p class=\"meta\">No agreement was given: areas are the cells of a "
		          "0.25&#176; grid (named by their south-west corner) where something was found "
		          "or located.</p>\n");
	vg_buf_str(b, "<table id=\"t-areas\"><thead><tr><th>Area</th><th>kind</th><th>party</th>"
	          "<th>findings</th><th>of which confirmed</th><th>located events</th></tr></thead>"
	          "<tbody>\n");
	for (uint32_t i = 0; i < d->nareas; i++) {
		const struct area *A = &d->areas[i];
		area_cells(b, A);
		cell_n(b, "area", A->name, "findings", A->n_f);
		cell_n(b, "area", A->name, "confirmed", A->n_f_conf);
		cell_n(b, "area", A->name, "events", A->n_e);
		vg_buf_str(b, "</tr>\n");
	}
	if (!d->nareas)
		vg_buf_str(b, "<tr><td colspan=\"6\">Nothing was found or located.</td></tr>\n");
	vg_buf_str(b, "</tbody>");
	if (d->ag) {
		vg_buf_str(b, "<tfoot><tr><th colspan=\"3\">Findings outside every side and zone</th>");
		cell_n(b, "area", "outside", "findings", d->n_outside);
		vg_buf_str(b, "<td></td><td></td></tr></tfoot>");
	}
	vg_buf_str(b, "</table></section>\n");
}

static int cmp_wd(const void *a, const void *b)
{
	const struct fnd *x = *(const struct fnd *const *)a, *y = *(const struct fnd *const *)b;
	int c = strcmp(x->class_name, y->class_name);
	if (c)
		return c;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void write_weapons(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"weapons\"><h2>Weapons seen in violation of withdrawal lines</h2>\n");
	const struct fnd **w = calloc(d->nf + 1, sizeof *w);
	if (!w) {
		b->nomem = true;
		return;
	}
	uint32_t n = 0, weapons = 0;
	for (uint32_t k = 0; k < d->nf; k++)
		if (d->f[k].rule == VG_RULE_WITHDRAWAL) {
			w[n++] = &d->f[k];
			weapons += d->f[k].count;
		}
	if (n)
		qsort(w, n, sizeof *w, cmp_wd);
	vg_buf_str(b, "<div class=\"wide\"><table id=\"t-weapons\"><thead><tr><th>Class</th>"
	          "<th>weapons</th><th>party</th><th>grade</th><th>first seen (UTC)</th>"
	          "<th>last seen (UTC)</th><th>where first "
	          "seen</th><th>to the contact line</th><th>finding (rule)</th></tr></thead>"
	          "<tbody>\n");
	for (uint32_t i = 0; i < n; i++) {
		const struct fnd *f = w[i];
		vg_buf_str(b, "<tr data-wd=\"");
		rp_escs(b, f->id);
		vg_buf_str(b, "\">");
		td_text(b, f->class_name[0] ? f->class_name : "unknown");
		cell_n(b, "wd", f->id, "count", f->count);
		vg_buf_str(b, "<td class=\"t\">");
		put_party(b, f);
		vg_buf_str(b, "</td>");
		td_text(b, vg_grade_name(f->grade));
		vg_buf_str(b, "<td>");
		put_time(b, f->from);
		vg_buf_str(b, "</td><td>");
		put_time(b, f->until);
		vg_buf_str(b, "</td><td class=\"t\">");
		put_position(b, f->lat, f->lon);
		vg_buf_str(b, "</td><td class=\"n\">");
		rp_num(b, f->line_dist_m / 1000, 1);
		vg_buf_str(b, " km</td><td><a href=\"#");
		rp_escs(b, f->id);
		vg_buf_str(b, "\">");
		rp_escs(b, f->id);
		vg_buf_str(b, "</a> ");
		rp_escs(b, f->rule_id);
		vg_buf_str(b, "</td></tr>\n");
	}
	if (!n)
		vg_buf_str(b, "<tr><td colspan=\"9\">None seen.</td></tr>\n");
	vg_buf_str(b, "</tbody><tfoot><tr><th>All classes</th>");
	cell_n(b, "wd", "all", "weapons", weapons);
	vg_buf_str(b, "<td colspan=\"6\">in ");
	plural(b, n, "finding", "findings");
	vg_buf_str(b, "</td>");
	cell_n(b, "wd", "all", "findings", n);
	vg_buf_str(b, "</tr></tfoot></table></div>\n<p class=\"meta\">Withdrawal findings whose window overlaps "
	          "the day, by class; \"last seen\" may lie after the day when the weapons stayed.</p>"
	          "</section>\n");
	free(w);
}

static void write_restrictions(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"restrictions\"><h2>Restrictions: areas not observed</h2>\n<p>");
	vg_buf_printf(b, "<span data-k=\"cov/all/footprints\">%u</span> coverage footprints (drone "
	             "frames, satellite scenes) overlap the day. For each area, the share inside at "
	             "least one of them (measured equal-area) and the share no footprint saw: there, "
	             "\"no finding\" says nothing.</p>\n",
	          d->cov ? vg_coverage_count(d->cov) : 0);
	vg_buf_str(b, "<table id=\"t-coverage\"><thead><tr><th>Area</th><th>kind</th><th>party</th>"
	          "<th>area (km&#178;)</th><th>observed (%)</th><th>unobserved (%)</th></tr></thead>"
	          "<tbody>\n");
	for (uint32_t i = 0; i < d->nareas; i++) {
		const struct area *A = &d->areas[i];
		area_cells(b, A);
		vg_buf_str(b, "<td class=\"n\">");
		rp_num(b, A->km2, 1);
		vg_buf_str(b, "</td>");
		cell_pct(b, "cov", A->name, "observed", A->share);
		cell_pct(b, "cov", A->name, "unobserved", 1 - A->share);
		vg_buf_str(b, "</tr>\n");
	}
	if (!d->nareas)
		vg_buf_str(b, "<tr><td colspan=\"6\">No areas (no agreement, nothing located).</td></tr>\n");
	vg_buf_str(b, "</tbody></table>\n");
	if (d->nbelts) {
		vg_buf_str(b, "<p>Withdrawal belts: where a withdrawal rule forbids its weapons to a party (its "
		          "side within the rule's distance of its reference line, holding areas out), the share "
		          "that a sensor able to identify weapons watched during the day: drones, and sensors that have "
		          "reported a detection. A satellite change scene or a SAR pass sees that something is "
		          "there, not what it is.</p>\n");
		vg_buf_str(b, "<table id=\"t-belts\"><thead><tr><th>rule</th><th>party</th><th>distance (km)</th>"
		          "<th>area (km&#178;)</th><th>watched (%)</th><th>not watched (%)</th></tr></thead>"
		          "<tbody>\n");
		for (uint32_t i = 0; i < d->nbelts; i++) {
			const struct vg_belt *B = &d->belts[i];
			char key[2 * VG_ID_MAX + 2];
			snprintf(key, sizeof key, "%s/%s", B->rule_id, d->ag->parties[B->party]);
			vg_buf_str(b, "<tr>");
			td_text(b, B->rule_id);
			td_text(b, d->ag->parties[B->party]);
			vg_buf_str(b, "<td class=\"n\">");
			rp_num(b, B->distance_m / 1000, 1);
			vg_buf_str(b, "</td><td class=\"n\">");
			rp_num(b, d->belt_km2[i], 1);
			vg_buf_str(b, "</td>");
			cell_pct(b, "belt", key, "observed", d->belt_share[i]);
			cell_pct(b, "belt", key, "unobserved", 1 - d->belt_share[i]);
			vg_buf_str(b, "</tr>\n");
		}
		vg_buf_str(b, "</tbody></table>\n");
	}
	vg_buf_str(b, "</section>\n");
}

static void write_findings(struct vg_buf *b, const struct day *d)
{
	vg_buf_str(b, "<section id=\"findings\"><h2>Findings of the day</h2>\n<div class=\"wide\">"
	          "<table id=\"t-findings\"><thead><tr><th>Finding</th><th>rule</th><th>from (UTC)</th>"
	          "<th>until (UTC)</th>"
	          "<th>party</th><th>grade</th><th>position</th><th>CEP90</th><th>what</th>"
	          "<th>sensors / owners / modalities</th><th>evidence: entries, highest log index</th>"
	          "<th>agreement version</th></tr></thead><tbody>\n");
	uint32_t n = d->nf < FINDINGS_ROWS_MAX ? d->nf : FINDINGS_ROWS_MAX;
	for (uint32_t k = 0; k < n; k++) {
		const struct fnd *f = &d->f[k];
		vg_buf_str(b, "<tr id=\"");
		rp_escs(b, f->id);
		vg_buf_str(b, "\"><td class=\"t\">");
		rp_escs(b, f->id);
		vg_buf_str(b, "</td>");
		vg_buf_printf(b, "<td><code>%s</code> ", vg_rule_type_name(f->rule));
		rp_escs(b, f->rule_id);
		vg_buf_str(b, "</td><td>");
		put_time(b, f->from);
		vg_buf_str(b, "</td><td>");
		put_time(b, f->until);
		vg_buf_str(b, "</td><td class=\"t\">");
		put_party(b, f);
		vg_buf_str(b, "</td>");
		td_text(b, vg_grade_name(f->grade));
		vg_buf_str(b, "<td class=\"t\">");
		put_position(b, f->lat, f->lon);
		vg_buf_str(b, "</td><td class=\"n\">");
		if (f->cep90_m > 0) {
			rp_num(b, f->cep90_m, 0);
			vg_buf_str(b, " m");
		}
		vg_buf_printf(b, "</td><td>%u &#215; ", f->count);
		rp_escs(b, f->class_name[0] ? f->class_name : "items");
		vg_buf_printf(b, "</td><td class=\"n\">%u / %u / %u</td><td class=\"n\">%u", f->n_sensors,
		          f->n_owners, f->n_modalities, f->n_evidence);
		if (f->ev_max >= 0)
			vg_buf_printf(b, ", #%lld", (long long)f->ev_max);
		vg_buf_printf(b, "</td><td class=\"n\">%d</td></tr>\n", f->agreement_version);
	}
	if (!d->nf)
		vg_buf_str(b, "<tr><td colspan=\"12\">No findings.</td></tr>\n");
	vg_buf_str(b, "</tbody></table></div>\n");
	if (n < d->nf)
		vg_buf_printf(b, "<p class=\"warn\">%u more findings are not listed (the first %u are).</p>\n",
		          d->nf - n, n);
	vg_buf_str(b, "</section>\n");
}

static void write_anchor(struct vg_buf *b, const struct day *d, const struct vg_report_daily_opts *o)
{
	vg_buf_str(b, "<section id=\"anchor\"><h2>The log checkpoint this report is anchored to</h2>\n");
	if (!d->anchored) {
		vg_buf_str(b, "<p class=\"warn\">Not anchored: no checkpoint of the store's transparency "
		          "log was given. Nothing on this page can be checked against the log.</p>"
		          "</section>\n");
		return;
	}
	char root[48], hex[2 * VG_HASH_BYTES + 1], day[VG_TIME_STR_MAX];
	vg_time_format(d->t0, day);
	vg_b64_encode(d->cp.root, VG_HASH_BYTES, root);
	vg_hex_encode(d->cp.root, VG_HASH_BYTES, hex);
	vg_buf_str(b, "<p>Every observation Vigil accepted, every sensor enrolment and revocation, and "
	          "the events and findings it published are entries of an append-only Merkle tree "
	          "log (RFC 9162). This page was made from the store when the log's latest signed "
	          "checkpoint was:</p>\n<pre id=\"checkpoint\">");
	rp_esc(b, o->checkpoint, o->checkpoint_len);
	vg_buf_str(b, "</pre>\n<table id=\"t-log\"><tbody><tr><th>log (origin)</th><td>");
	rp_escs(b, d->cp.origin);
	vg_buf_printf(b, "</td></tr>\n<tr><th>tree size (entries)</th><td class=\"n\" "
	             "data-k=\"log/size/entries\">%llu</td></tr>\n<tr><th>root hash (base64)</th>"
	             "<td><code id=\"root-b64\">%s</code></td></tr>\n<tr><th>root hash (hex)</th><td>"
	             "<code id=\"root-hex\">%s</code></td></tr></tbody></table>\n",
	          (unsigned long long)d->cp.size, root, hex);
	int64_t hi = -1;
	uint32_t beyond = 0, cited = 0;
	for (uint32_t k = 0; k < d->nf; k++) {
		if (d->f[k].ev_max > hi)
			hi = d->f[k].ev_max;
		beyond += d->f[k].ev_max >= 0 && (uint64_t)d->f[k].ev_max >= d->cp.size;
		cited += d->f[k].n_evidence;
	}
	if (hi < 0)
		vg_buf_str(b, "<p>No finding of this day cites log entries.</p>\n");
	else if (!beyond)
		vg_buf_printf(b, "<p>The findings of this day cite %u observation entries, the highest "
		             "#%lld: all lie inside this checkpoint (size %llu).</p>\n",
		          cited, (long long)hi, (unsigned long long)d->cp.size);
	else
		vg_buf_printf(b, "<p class=\"warn\">%u findings cite log entries at or beyond this "
		             "checkpoint's size %llu (the highest #%lld): their evidence is not covered "
		             "by this anchor; ask for a later checkpoint.</p>\n",
		          beyond, (unsigned long long)d->cp.size, (long long)hi);
	vg_buf_printf(b,
	          "<h3>How to verify</h3>\n<ol>\n"
	          "<li>Get the log's public key (<code>%s+...</code>) from the coalition, not from "
	          "this page, and check the checkpoint's signature line above with it. Compare the "
	          "checkpoint with the one the witnesses cosigned (<code>GET /v1/log/cosigned</code>, "
	          "<code>vigil witness final</code>) and with what other members were shown: one log "
	          "shows everyone the same tree.</li>\n"
	          "<li>Mirror the log (<code>GET /v1/log/checkpoint</code> and the tiles under "
	          "<code>/v1/log/tile/</code>) and run <code>vigil log verify --dir MIRROR --key "
	          "LOGKEY</code>: it recomputes the root from every entry and checks every signature. "
	          "For a later checkpoint, <code>vigil log prove-consistency --dir MIRROR %llu N</code> "
	          "(or <code>GET /v1/log/proof/consistency?from=%llu</code>) proves that this tree is "
	          "its prefix.</li>\n"
	          "<li>For any finding above, its evidence indices (<code>vigil findings</code>, "
	          "<code>GET /v1/findings</code>) are log entries: <code>vigil log prove-inclusion "
	          "--dir MIRROR INDEX --size %llu</code> proves each is in this tree, and <code>vigil "
	          "log entry</code> gives the sensor's signed report to check.</li>\n"
	          "<li>Re-derive: ingest the log's entries into an empty store, run <code>vigil "
	          "fuse</code> and <code>vigil adjudicate</code> with the same agreement, then "
	          "<code>vigil report daily --date %.10s</code>: the same log, agreement and checkpoint "
	          "give this page byte for byte.</li>\n</ol></section>\n",
	          d->cp.origin, (unsigned long long)d->cp.size, (unsigned long long)d->cp.size,
	          (unsigned long long)d->cp.size, day);
}

static void write_page(struct vg_buf *b, const struct day *d, const struct vg_report_daily_opts *o)
{
	write_head(b, d, o);
	write_summary(b, d);
	write_map(b, d);
	write_charts(b, d);
	write_categories(b, d);
	write_areas(b, d);
	write_weapons(b, d);
	write_restrictions(b, d);
	write_findings(b, d);
	write_anchor(b, d, o);
	vg_buf_str(b, "<footer class=\"meta\"><p>Made by <code>vigil report daily</code> from the store's "
	          "findings (<code>vigil adjudicate</code>), events (<code>vigil fuse</code>) and "
	          "coverage observations. A finding counts on every day its window overlaps; an event "
	          "on the day of its origin time. The same store, day, agreement and checkpoint give "
	          "the same page, byte for byte. Format: docs/report.md.</p></footer>\n</body>\n"
	          "</html>\n");
}

/* ---- Entry points ------------------------------------------------------------------------------ */

vg_status vg_report_daily(vg_store *st, const struct vg_report_daily_opts *o, char **out,
                          size_t *len, struct vg_err *err)
{
	if (!st || !o || !out || !len)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "vg_report_daily: NULL argument");
	if (o->day_ns < INT64_MIN + VG_NS_PER_DAY || o->day_ns > INT64_MAX - 2 * VG_NS_PER_DAY ||
	    o->day_ns % VG_NS_PER_DAY != 0)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "date: not the first instant of a day");
	struct day *d = calloc(1, sizeof *d);
	if (!d)
		return vg_err_set(err, VG_ERR_NOMEM, "report");
	d->t0 = o->day_ns;
	d->t1 = o->day_ns + VG_NS_PER_DAY - 1;
	vg_status rc = gather(st, o, d);
	if (rc != VG_OK) {
		if (err) {
			err->status = rc;
			memcpy(err->msg, d->err.msg, sizeof err->msg);
		}
		goto out_day;
	}
	struct vg_buf b;
	vg_buf_init(&b, o->max_bytes ? o->max_bytes : VG_REPORT_MAX_BYTES);
	write_page(&b, d, o);
	if (b.nomem || b.overflow) {
		rc = b.nomem ? vg_err_set(err, VG_ERR_NOMEM, "report")
		             : vg_err_set(err, VG_ERR_LIMIT, "report: more than %zu bytes", b.max);
		vg_buf_release(&b);
		goto out_day;
	}
	*len = b.len;
	*out = b.p ? b.p : calloc(1, 1);
	if (!*out)
		rc = vg_err_set(err, VG_ERR_NOMEM, "report");
out_day:
	day_release(d);
	free(d);
	return rc;
}

vg_status vg_report_daily_write(vg_store *st, const struct vg_report_daily_opts *o, FILE *f,
                                struct vg_err *err)
{
	char *p;
	size_t n;
	vg_status rc = vg_report_daily(st, o, &p, &n, err);
	if (rc != VG_OK)
		return rc;
	if (fwrite(p, 1, n, f) != n || fflush(f) != 0)
		rc = vg_err_set(err, VG_ERR_IO, "report: write failed");
	free(p);
	return rc;
}

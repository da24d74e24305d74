/*
 * score.c - the scorer: match Vigil's events and findings one-to-one to a
 * simulation's truth and compute precision, recall, F1, localisation error
 * against the Cramer-Rao bound, calibration, attribution and latency.
 * Every definition is in docs/scoring.md; this file implements it.
 *
 * Matching is greedy on a cost over gated candidate pairs, cheapest first
 * (ties broken by truth, then output order), the rule COCO-style detection
 * benchmarks use; for well-separated events it is the optimal assignment.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define LINE_CAP (1u << 20)
#define MAX_ITEMS 20000000u
#define CHI2_2_90 4.605170185988091  /* chi-square, 2 dof, p = 0.90 */
#define CEP90_PER_SIGMA 2.145966026289347 /* sqrt(-2 ln 0.1) */
#define CEP50_PER_SIGMA 1.177410022515475 /* sqrt(-2 ln 0.5) */

void vg_score_options_default(struct vg_score_options *o)
{
	o->time_gate_s = 5.0;
	o->dist_floor_m = 50.0;
	o->dist_default_m = 1000.0;
	o->dist_max_m = 5000.0;
	o->gate_chi2 = 13.815510557964274; /* chi-square, 2 dof, p = 0.999 */
	o->finding_slack_s = 600.0;
	o->finding_dist_m = 5000.0;
	o->finding_colocated_m = 500.0;
}

/* ---- Records --------------------------------------------------------------- */

enum { T_LAUNCH = 0, T_IMPACT = 1, T_EXPLOSION = 2, T_FIRE = 3 };

struct tev {
	char id[24];      /* truth id ("ev-000123"), for violations' "events" */
	int type;
	int64_t t, until;
	double lat, lon, ecef[3];
	int party; /* -1 none */
	bool dud;
	bool has_crlb;
	double crlb_m;
	bool has_decided;
	int64_t decided;
	bool matched;
};

struct oev {
	int type;
	int64_t t;
	double time_sigma_s;
	double lat, lon, ecef[3];
	int unc; /* 0 none, 1 covariance */
	double cov[2][2];
	bool has_cep90;
	double cep90;
	int party;
	bool has_emitted;
	int64_t emitted;
	bool matched, ignored;
};

struct tviol {
	char id[VG_ID_MAX + 1], cls[VG_ID_MAX + 1];
	int rule;
	int party;
	int64_t from, until;
	double lat, lon;
	int unit;                     /* withdrawal: index into sc->units, -1 none */
	int64_t seen;                 /* "detections" (+ "launches_heard"): observations of it;
	                               * -1 not stated */
	uint32_t n_pl;                /* no_fire: where its events were (launches, impacts) */
	double (*pl)[2];
	bool matched;
};

/* A weapon's truth track (piecewise linear), for placing a withdrawal
 * violation at the time of a finding: its weapons move, and the truth's
 * lat/lon is only where the first one crossed into the zone. */
struct ttrack {
	int unit;
	uint32_t n;
	int64_t *t;
	double (*ll)[2];
};

struct ofind {
	int rule;
	int party;
	bool has_p;
	double p_party;
	int64_t from, until;
	double lat, lon;
	bool has_emitted;
	int64_t emitted;
	bool has_line_dist;
	double line_dist_m;           /* the finding's distance to the contact line */
	bool matched;
};

struct pair {
	double cost;
	uint32_t ti, oi;
};

struct scorer {
	char parties[2][VG_ID_MAX + 1];
	uint32_t n_t, n_o, n_v, n_f;
	struct tev *t;
	struct oev *o;
	struct tviol *v;
	struct ofind *f;
	uint64_t n_unscored;          /* findings of rules the truth does not define */
	char (*units)[VG_ID_MAX + 1]; /* unit ids of withdrawal violations */
	uint32_t n_units;
	struct ttrack *tr;
	uint32_t n_tr;
};

static int unit_index(const struct scorer *sc, const char *id)
{
	for (uint32_t i = 0; i < sc->n_units; i++)
		if (!strcmp(sc->units[i], id))
			return (int)i;
	return -1;
}

/* Position of a track at t (clamped to its ends). */
static void track_at(const struct ttrack *k, int64_t t, double *lat, double *lon)
{
	uint32_t i = 0;
	while (i + 1 < k->n && k->t[i + 1] <= t)
		i++;
	if (i + 1 >= k->n || t <= k->t[i]) {
		*lat = k->ll[i][0];
		*lon = k->ll[i][1];
		return;
	}
	double a = (double)(t - k->t[i]) / (double)(k->t[i + 1] - k->t[i]);
	*lat = k->ll[i][0] + a * (k->ll[i + 1][0] - k->ll[i][0]);
	*lon = k->ll[i][1] + a * (k->ll[i + 1][1] - k->ll[i][1]);
}

/* Distance from a finding's place to a violation: for a withdrawal with
 * tracks, to the nearest of the unit's weapons at the finding's start and
 * end (inside the violation's window); else to the violation's lat/lon. */
static double viol_distance(const struct scorer *sc, const struct tviol *v, double lat, double lon,
                            int64_t f0, int64_t f1)
{
	double best = INFINITY;
	if (v->unit >= 0) {
		int64_t ts[2] = {f0 < v->from ? v->from : f0 > v->until ? v->until : f0,
		                 f1 > v->until ? v->until : f1 < v->from ? v->from : f1};
		for (uint32_t k = 0; k < sc->n_tr; k++) {
			if (sc->tr[k].unit != v->unit)
				continue;
			for (int j = 0; j < 2; j++) {
				double la, lo;
				track_at(&sc->tr[k], ts[j], &la, &lo);
				double d = vg_sim_distance_m(lat, lon, la, lo);
				if (d < best)
					best = d;
			}
		}
	}
	if (best == INFINITY)
		best = vg_sim_distance_m(lat, lon, v->lat, v->lon);
	for (uint32_t k = 0; k < v->n_pl; k++) {
		double d = vg_sim_distance_m(lat, lon, v->pl[k][0], v->pl[k][1]);
		if (d < best)
			best = d;
	}
	return best;
}

static const char *const rule_names[VG_SCORE_RULE_COUNT_] = {
	"no_fire", "withdrawal", "no_fly", "disengagement", "no_new_fortification", "all"};
static const char *const ev_names[VG_SCORE_EV_COUNT_] = {"launch", "impact", "explosion", "fire",
                                                             "impulsive", "all"};

static int parse_rule(const char *s)
{
	for (int i = 0; i < VG_SCORE_RULE_ALL; i++)
		if (!strcmp(s, rule_names[i]))
			return i;
	return -1;
}

static int parse_type(const char *s)
{
	for (int i = 0; i <= VG_SCORE_EV_FIRE; i++)
		if (!strcmp(s, ev_names[i]))
			return i;
	return -1;
}

/* ---- Typed member reads with messages naming the member -------------------- */

struct src {
	const char *file;
	uint64_t line; /* 0: not line-oriented */
	struct vg_err *err;
};

static vg_status fail(const struct src *s, vg_status st, const char *member, const char *what)
{
	if (s->line)
		return vg_err_set(s->err, st, "%s line %llu: %s: %s", s->file,
		                  (unsigned long long)s->line, member, what);
	return vg_err_set(s->err, st, "%s: %s: %s", s->file, member, what);
}

/* An optional count (integer >= 0) member of o: *out untouched if absent. */
static vg_status get_count(const struct src *s, json_t *o, const char *path, const char *key,
                           int64_t *out)
{
	json_t *x = json_object_get(o, key);
	if (!x)
		return VG_OK;
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		char m[160];
		snprintf(m, sizeof m, "%s.%s", path, key);
		return fail(s, VG_ERR_RANGE, m, "must be an integer >= 0");
	}
	*out = json_integer_value(x);
	return VG_OK;
}

static vg_status get_num(const struct src *s, json_t *o, const char *path, const char *key,
                         bool required, double lo, double hi, double *out, bool *present)
{
	char m[160];
	snprintf(m, sizeof m, "%s%s%s", path, *path ? "." : "", key);
	json_t *v = json_object_get(o, key);
	if (present)
		*present = false;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(s, VG_ERR_MISSING, m, "missing");
		return VG_OK;
	}
	if (!json_is_number(v))
		return fail(s, VG_ERR_TYPE, m, "must be a number");
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi) {
		char w[96];
		snprintf(w, sizeof w, "= %.10g: must be in [%g, %g]", x, lo, hi);
		return fail(s, VG_ERR_RANGE, m, w);
	}
	*out = x;
	if (present)
		*present = true;
	return VG_OK;
}

static vg_status get_time(const struct src *s, json_t *o, const char *path, const char *key,
                          bool required, int64_t *out, bool *present)
{
	char m[160];
	snprintf(m, sizeof m, "%s%s%s", path, *path ? "." : "", key);
	json_t *v = json_object_get(o, key);
	if (present)
		*present = false;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(s, VG_ERR_MISSING, m, "missing");
		return VG_OK;
	}
	if (!json_is_string(v))
		return fail(s, VG_ERR_TYPE, m, "must be an RFC 3339 time string");
	struct vg_err e;
	if (vg_time_parse(json_string_value(v), json_string_length(v), out, &e) != VG_OK)
		return fail(s, VG_ERR_TIME, m, e.msg);
	if (present)
		*present = true;
	return VG_OK;
}

static vg_status get_str(const struct src *s, json_t *o, const char *path, const char *key,
                         bool required, const char **out)
{
	char m[160];
	snprintf(m, sizeof m, "%s%s%s", path, *path ? "." : "", key);
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(s, VG_ERR_MISSING, m, "missing");
		return VG_OK;
	}
	if (!json_is_string(v))
		return fail(s, VG_ERR_TYPE, m, "must be a string");
	*out = json_string_value(v);
	return VG_OK;
}

static int party_index(const struct scorer *sc, const char *p)
{
	if (!p)
		return -1;
	for (int i = 0; i < 2; i++)
		if (!strcmp(p, sc->parties[i]))
			return i;
	return -2; /* a party the truth does not know: never correct */
}

/* ---- Loading ------------------------------------------------------------------ */

static vg_status load_truth(struct scorer *sc, const char *path, struct vg_err *err)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return vg_err_set(err, VG_ERR_JSON, "%s: line %d column %d: %s", path, je.line, je.column,
		                  je.text);
	struct src s = {path, 0, err};
	vg_status st = VG_OK;
	json_t *ag = json_object_get(root, "agreement"), *parties = ag ? json_object_get(ag, "parties") : NULL;
	json_t *evs = json_object_get(root, "events"), *vio = json_object_get(root, "violations");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "vigil_truth"))) {
		st = vg_err_set(err, VG_ERR_VERSION, "%s: not a Vigil truth file (no \"vigil_truth\")", path);
		goto out;
	}
	if (json_integer_value(json_object_get(root, "vigil_truth")) != 1) {
		st = vg_err_set(err, VG_ERR_VERSION, "%s: vigil_truth = %lld: this scorer reads version 1",
		                path, (long long)json_integer_value(json_object_get(root, "vigil_truth")));
		goto out;
	}
	if (!json_is_array(parties) || json_array_size(parties) != 2 ||
	    !json_is_string(json_array_get(parties, 0)) || !json_is_string(json_array_get(parties, 1))) {
		st = vg_err_set(err, VG_ERR_TYPE, "%s: agreement.parties: must be two strings", path);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		snprintf(sc->parties[i], sizeof sc->parties[i], "%s",
		         json_string_value(json_array_get(parties, (size_t)i)));
	if (!json_is_array(evs) || !json_is_array(vio)) {
		st = vg_err_set(err, VG_ERR_TYPE, "%s: events and violations: must be arrays", path);
		goto out;
	}
	sc->t = calloc(json_array_size(evs) + 1, sizeof *sc->t);
	sc->v = calloc(json_array_size(vio) + 1, sizeof *sc->v);
	sc->units = calloc(json_array_size(vio) + 1, sizeof *sc->units);
	if (!sc->t || !sc->v || !sc->units) {
		st = vg_err_set(err, VG_ERR_NOMEM, "%s: events", path);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(evs); i++) {
		json_t *e = json_array_get(evs, i);
		char p[48];
		snprintf(p, sizeof p, "events[%zu]", i);
		struct tev *t = &sc->t[sc->n_t];
		const char *type, *party;
		bool has;
		memset(t, 0, sizeof *t);
		if (!json_is_object(e)) {
			st = fail(&s, VG_ERR_TYPE, p, "must be an object");
			goto out;
		}
		const char *tid = json_string_value(json_object_get(e, "id"));
		if (tid)
			snprintf(t->id, sizeof t->id, "%s", tid);
		if ((st = get_str(&s, e, p, "type", true, &type)) ||
		    (st = get_time(&s, e, p, "time", true, &t->t, NULL)) ||
		    (st = get_num(&s, e, p, "lat", true, -90, 90, &t->lat, NULL)) ||
		    (st = get_num(&s, e, p, "lon", true, -180, 180, &t->lon, NULL)) ||
		    (st = get_str(&s, e, p, "party", false, &party)) ||
		    (st = get_num(&s, e, p, "crlb_rms_m", false, 0, 1e9, &t->crlb_m, &t->has_crlb)) ||
		    (st = get_time(&s, e, p, "decided_at", false, &t->decided, &t->has_decided)))
			goto out;
		t->type = parse_type(type);
		if (t->type < 0 || t->type == T_EXPLOSION) {
			char m[64];
			snprintf(m, sizeof m, "%s.type", p);
			st = fail(&s, VG_ERR_RANGE, m, "must be launch, impact or fire");
			goto out;
		}
		t->until = t->t;
		if (t->type == T_FIRE && (st = get_time(&s, e, p, "until", true, &t->until, &has)))
			goto out;
		json_t *dud = json_object_get(e, "dud");
		t->dud = json_is_true(dud) && t->type == T_IMPACT; /* a dud's launch is real */
		t->party = party_index(sc, party);
		sim_ecef(t->lat, t->lon, 0, t->ecef);
		sc->n_t++;
	}
	for (size_t i = 0; i < json_array_size(vio); i++) {
		json_t *e = json_array_get(vio, i);
		char p[48];
		snprintf(p, sizeof p, "violations[%zu]", i);
		struct tviol *v = &sc->v[sc->n_v];
		const char *rule, *party;
		if (!json_is_object(e)) {
			st = fail(&s, VG_ERR_TYPE, p, "must be an object");
			goto out;
		}
		if ((st = get_str(&s, e, p, "rule", true, &rule)) ||
		    (st = get_str(&s, e, p, "party", true, &party)) ||
		    (st = get_time(&s, e, p, "from", true, &v->from, NULL)) ||
		    (st = get_time(&s, e, p, "until", true, &v->until, NULL)) ||
		    (st = get_num(&s, e, p, "lat", true, -90, 90, &v->lat, NULL)) ||
		    (st = get_num(&s, e, p, "lon", true, -180, 180, &v->lon, NULL)))
			goto out;
		v->rule = parse_rule(rule);
		if (v->rule < 0) {
			char m[64];
			snprintf(m, sizeof m, "%s.rule", p);
			st = fail(&s, VG_ERR_RANGE, m, "not a known rule");
			goto out;
		}
		v->party = party_index(sc, party);
		v->unit = -1;
		const char *vid, *vcls;
		if ((st = get_str(&s, e, p, "id", false, &vid)) || (st = get_str(&s, e, p, "class", false, &vcls)))
			goto out;
		if ((vid && strlen(vid) > VG_ID_MAX) || (vcls && strlen(vcls) > VG_ID_MAX)) {
			char m[64];
			snprintf(m, sizeof m, "%s.%s", p, vid && strlen(vid) > VG_ID_MAX ? "id" : "class");
			st = fail(&s, VG_ERR_RANGE, m, "longer than 64 characters");
			goto out;
		}
		snprintf(v->id, sizeof v->id, "%s", vid ? vid : "");
		snprintf(v->cls, sizeof v->cls, "%s", vcls ? vcls : "");
		/* observations of it: "detections", and for a withdrawal the
		 * unit's launches the sensors could locate (its weapons heard) */
		int64_t heard = -1;
		v->seen = -1;
		if ((st = get_count(&s, e, p, "detections", &v->seen)) ||
		    (st = get_count(&s, e, p, "launches_heard", &heard)))
			goto out;
		if (v->seen >= 0 && heard > 0)
			v->seen += heard;
		/* a fire mission is where its rounds were fired and where they
		 * fell: a finding placed at the impacts (launches unheard) found
		 * it as much as one at the guns */
		json_t *vev = json_object_get(e, "events");
		if (v->rule == VG_SCORE_RULE_NO_FIRE && json_is_array(vev) && json_array_size(vev)) {
			v->pl = malloc(json_array_size(vev) * sizeof *v->pl);
			if (!v->pl) {
				st = vg_err_set(err, VG_ERR_NOMEM, "%s: violations", path);
				goto out;
			}
			for (size_t q = 0; q < json_array_size(vev); q++) {
				const char *id = json_string_value(json_array_get(vev, q));
				for (uint32_t k = 0; id && k < sc->n_t; k++)
					if (!strcmp(sc->t[k].id, id)) {
						v->pl[v->n_pl][0] = sc->t[k].lat;
						v->pl[v->n_pl][1] = sc->t[k].lon;
						v->n_pl++;
						break;
					}
			}
		}
		const char *unit = json_string_value(json_object_get(e, "unit"));
		if (v->rule == VG_SCORE_RULE_WITHDRAWAL && unit && strlen(unit) <= VG_ID_MAX) {
			v->unit = unit_index(sc, unit);
			if (v->unit < 0) {
				snprintf(sc->units[sc->n_units], sizeof sc->units[0], "%s", unit);
				v->unit = (int)sc->n_units++;
			}
		}
		sc->n_v++;
	}
	/* The tracks of those units (optional: older truth files have none). */
	json_t *trs = json_object_get(root, "tracks");
	if (sc->n_units && json_is_array(trs)) {
		sc->tr = calloc(json_array_size(trs) + 1, sizeof *sc->tr);
		if (!sc->tr) {
			st = vg_err_set(err, VG_ERR_NOMEM, "%s: tracks", path);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(trs); i++) {
			json_t *e = json_array_get(trs, i), *pts = json_object_get(e, "points");
			const char *unit = json_string_value(json_object_get(e, "unit"));
			int u = unit ? unit_index(sc, unit) : -1;
			if (u < 0 || !json_is_array(pts) || json_array_size(pts) == 0)
				continue;
			struct ttrack *k = &sc->tr[sc->n_tr];
			size_t n = json_array_size(pts);
			k->t = malloc(n * sizeof *k->t);
			k->ll = malloc(n * sizeof *k->ll);
			if (!k->t || !k->ll) {
				free(k->t);
				free(k->ll);
				st = vg_err_set(err, VG_ERR_NOMEM, "%s: tracks", path);
				goto out;
			}
			k->unit = u;
			sc->n_tr++;
			for (size_t j = 0; j < n; j++) {
				json_t *q = json_array_get(pts, j);
				const char *ts = json_string_value(json_array_get(q, 0));
				json_t *la = json_array_get(q, 1), *lo = json_array_get(q, 2);
				char m[64];
				snprintf(m, sizeof m, "tracks[%zu].points[%zu]", i, j);
				if (!ts || !json_is_number(la) || !json_is_number(lo) ||
				    vg_time_parse(ts, strlen(ts), &k->t[k->n], NULL) != VG_OK ||
				    (k->n && k->t[k->n] < k->t[k->n - 1])) {
					st = fail(&s, VG_ERR_RANGE, m, "want [time, lat, lon] in time order");
					goto out;
				}
				k->ll[k->n][0] = json_number_value(la);
				k->ll[k->n][1] = json_number_value(lo);
				k->n++;
			}
		}
	}
out:
	json_decref(root);
	return st;
}

/* Read an NDJSON file line by line, calling fn for each parsed object. */
static vg_status each_line(const char *path, struct vg_err *err,
                           vg_status (*fn)(struct scorer *, const struct src *, json_t *),
                           struct scorer *sc)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t ln = 0;
	vg_status st = VG_OK;
	while ((n = getline(&line, &cap, f)) >= 0) {
		ln++;
		struct src s = {path, ln, err};
		if ((size_t)n > LINE_CAP) {
			st = vg_err_set(err, VG_ERR_LINE_TOO_LONG, "%s line %llu: over %u bytes", path,
			                (unsigned long long)ln, LINE_CAP);
			break;
		}
		bool blank = true;
		for (ssize_t i = 0; i < n; i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n')
				blank = false;
		if (blank)
			continue;
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
		if (!o) {
			st = vg_err_set(err, VG_ERR_JSON, "%s line %llu column %d: %s", path,
			                (unsigned long long)ln, je.column, je.text);
			break;
		}
		if (!json_is_object(o))
			st = vg_err_set(err, VG_ERR_TYPE, "%s line %llu: must be a JSON object", path,
			                (unsigned long long)ln);
		else
			st = fn(sc, &s, o);
		json_decref(o);
		if (st)
			break;
	}
	if (!st && ferror(f))
		st = vg_err_set(err, VG_ERR_IO, "%s: read error", path);
	free(line);
	fclose(f);
	return st;
}

static vg_status add_event(struct scorer *sc, const struct src *s, json_t *e)
{
	if (sc->n_o >= MAX_ITEMS)
		return vg_err_set(s->err, VG_ERR_LIMIT, "%s: more than %u events", s->file, MAX_ITEMS);
	if ((sc->n_o & (sc->n_o - 1)) == 0) {
		void *p = realloc(sc->o, (size_t)(sc->n_o ? 2 * sc->n_o : 64) * sizeof *sc->o);
		if (!p)
			return vg_err_set(s->err, VG_ERR_NOMEM, "events");
		sc->o = p;
	}
	struct oev *o = &sc->o[sc->n_o];
	memset(o, 0, sizeof *o);
	const char *type, *party;
	bool has_c50 = false, has_sig;
	double c50 = 0;
	vg_status st;
	if ((st = get_str(s, e, "", "type", true, &type)) ||
	    (st = get_time(s, e, "", "time", true, &o->t, NULL)) ||
	    (st = get_num(s, e, "", "time_sigma_s", false, 0, 1e6, &o->time_sigma_s, &has_sig)) ||
	    (st = get_num(s, e, "", "lat", true, -90, 90, &o->lat, NULL)) ||
	    (st = get_num(s, e, "", "lon", true, -180, 180, &o->lon, NULL)) ||
	    (st = get_num(s, e, "", "cep90_m", false, 0, 1e7, &o->cep90, &o->has_cep90)) ||
	    (st = get_num(s, e, "", "cep50_m", false, 0, 1e7, &c50, &has_c50)) ||
	    (st = get_str(s, e, "", "party", false, &party)) ||
	    (st = get_time(s, e, "", "emitted", false, &o->emitted, &o->has_emitted)))
		return st;
	o->type = parse_type(type);
	if (o->type < 0)
		return fail(s, VG_ERR_RANGE, "type", "must be launch, impact, explosion or fire");
	json_t *cov = json_object_get(e, "cov_m2"), *ell = json_object_get(e, "ellipse");
	if (cov && !json_is_null(cov)) {
		if (!json_is_array(cov) || json_array_size(cov) != 2)
			return fail(s, VG_ERR_TYPE, "cov_m2", "must be [[exx, exy], [exy, eyy]]");
		for (size_t i = 0; i < 2; i++) {
			json_t *row = json_array_get(cov, i);
			if (!json_is_array(row) || json_array_size(row) != 2)
				return fail(s, VG_ERR_TYPE, "cov_m2", "must be [[exx, exy], [exy, eyy]]");
			for (size_t j = 0; j < 2; j++) {
				json_t *x = json_array_get(row, j);
				if (!json_is_number(x) || !isfinite(json_number_value(x)))
					return fail(s, VG_ERR_TYPE, "cov_m2", "elements must be numbers");
				o->cov[i][j] = json_number_value(x);
			}
		}
		double det = o->cov[0][0] * o->cov[1][1] - o->cov[0][1] * o->cov[1][0];
		if (!(o->cov[0][0] > 0 && o->cov[1][1] > 0 && det > 0) || o->cov[0][1] != o->cov[1][0])
			return fail(s, VG_ERR_RANGE, "cov_m2", "must be symmetric positive definite");
		o->unc = 1;
	} else if (ell && !json_is_null(ell)) {
		double a, b, az;
		if (!json_is_object(ell))
			return fail(s, VG_ERR_TYPE, "ellipse", "must be an object");
		if ((st = get_num(s, ell, "ellipse", "smaj_m", true, 1e-3, 1e7, &a, NULL)) ||
		    (st = get_num(s, ell, "ellipse", "smin_m", true, 1e-3, 1e7, &b, NULL)) ||
		    (st = get_num(s, ell, "ellipse", "az_deg", true, -360, 360, &az, NULL)))
			return st;
		if (b > a)
			return fail(s, VG_ERR_RANGE, "ellipse.smin_m", "must be <= smaj_m");
		/* 1-sigma semi-axes; the major axis at az clockwise from north. */
		double se = sin(az * M_PI / 180), ce = cos(az * M_PI / 180);
		o->cov[0][0] = a * a * se * se + b * b * ce * ce;
		o->cov[1][1] = a * a * ce * ce + b * b * se * se;
		o->cov[0][1] = o->cov[1][0] = (a * a - b * b) * se * ce;
		o->unc = 1;
	} else if (o->has_cep90 || has_c50) {
		double sg = o->has_cep90 ? o->cep90 / CEP90_PER_SIGMA : c50 / CEP50_PER_SIGMA;
		o->cov[0][0] = o->cov[1][1] = sg * sg;
		o->unc = sg > 0;
	}
	o->party = party_index(sc, party);
	sim_ecef(o->lat, o->lon, 0, o->ecef);
	sc->n_o++;
	return VG_OK;
}

static vg_status add_finding(struct scorer *sc, const struct src *s, json_t *e)
{
	if (sc->n_f >= MAX_ITEMS)
		return vg_err_set(s->err, VG_ERR_LIMIT, "%s: more than %u findings", s->file, MAX_ITEMS);
	if ((sc->n_f & (sc->n_f - 1)) == 0) {
		void *p = realloc(sc->f, (size_t)(sc->n_f ? 2 * sc->n_f : 64) * sizeof *sc->f);
		if (!p)
			return vg_err_set(s->err, VG_ERR_NOMEM, "findings");
		sc->f = p;
	}
	struct ofind *f = &sc->f[sc->n_f];
	memset(f, 0, sizeof *f);
	const char *rule, *party;
	vg_status st;
	if ((st = get_str(s, e, "", "rule", true, &rule)) ||
	    (st = get_str(s, e, "", "party", false, &party)) ||
	    (st = get_num(s, e, "", "p_party", false, 0, 1, &f->p_party, &f->has_p)) ||
	    (st = get_time(s, e, "", "from", true, &f->from, NULL)) ||
	    (st = get_time(s, e, "", "until", true, &f->until, NULL)) ||
	    (st = get_num(s, e, "", "lat", true, -90, 90, &f->lat, NULL)) ||
	    (st = get_num(s, e, "", "lon", true, -180, 180, &f->lon, NULL)) ||
	    (st = get_time(s, e, "", "emitted", false, &f->emitted, &f->has_emitted)) ||
	    (st = get_num(s, e, "", "line_dist_m", false, 0, 1e8, &f->line_dist_m, &f->has_line_dist)))
		return st;
	f->rule = parse_rule(rule);
	if (f->rule < 0 && !strcmp(rule, "zone_cap")) {
		sc->n_unscored++; /* a rule the simulator's truth does not define */
		return VG_OK;
	}
	if (f->rule < 0)
		return fail(s, VG_ERR_RANGE, "rule",
		            "must be no_fire, withdrawal, no_fly, disengagement, no_new_fortification or"
		            " zone_cap");
	if (f->until < f->from)
		return fail(s, VG_ERR_RANGE, "until", "before from");
	f->party = party_index(sc, party);
	sc->n_f++;
	return VG_OK;
}

/* ---- Statistics ---------------------------------------------------------------- */

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void dist_of(double *x, uint64_t n, struct vg_score_dist *d)
{
	d->n = n;
	if (n == 0) {
		d->median = d->p90 = d->mean = NAN;
		return;
	}
	qsort(x, (size_t)n, sizeof *x, dcmp);
	d->median = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
	uint64_t r = (uint64_t)ceil(0.9 * (double)n);
	d->p90 = x[(r ? r : 1) - 1];
	double s = 0;
	for (uint64_t i = 0; i < n; i++)
		s += x[i];
	d->mean = s / (double)n;
}

static void counts_finish(struct vg_score_counts *c, uint64_t tp_out)
{
	c->precision = tp_out + c->fp ? (double)tp_out / (double)(tp_out + c->fp) : NAN;
	c->recall = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : NAN;
	c->f1 = isnan(c->precision) || isnan(c->recall) || c->precision + c->recall == 0
	                ? (c->precision + c->recall == 0 ? 0 : NAN)
	                : 2 * c->precision * c->recall / (c->precision + c->recall);
}

static int pcmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	if (x->ti != y->ti)
		return x->ti < y->ti ? -1 : 1;
	return x->oi < y->oi ? -1 : x->oi > y->oi;
}

static bool type_ok(int out, int truth)
{
	if (out == T_EXPLOSION)
		return truth == T_LAUNCH || truth == T_IMPACT;
	return out == truth;
}

/* Horizontal offset (east, north) of truth from output, metres. */
static void offset_en(const struct oev *o, const struct tev *t, double *e, double *n)
{
	sim_surface_distance(o->lat, o->ecef, t->ecef, o->lon, e, n);
}

static vg_status push_pair(struct pair **p, size_t *n, size_t *cap, struct pair x, struct vg_err *err)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		if (nc > (size_t)MAX_ITEMS * 8)
			return vg_err_set(err, VG_ERR_LIMIT, "too many candidate pairs (gates too wide?)");
		void *q = realloc(*p, nc * sizeof **p);
		if (!q)
			return vg_err_set(err, VG_ERR_NOMEM, "candidate pairs");
		*p = q;
		*cap = nc;
	}
	(*p)[(*n)++] = x;
	return VG_OK;
}

static int tcmp_idx(const void *a, const void *b, void *ctx)
{
	const struct tev *t = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	if (t[i].t != t[j].t)
		return t[i].t < t[j].t ? -1 : 1;
	return i < j ? -1 : i > j;
}

static vg_status score_events(struct scorer *sc, const struct vg_score_options *opt,
                              struct vg_score_result *r, struct vg_err *err)
{
	/* Truth sorted by time so each output scans only its time window. */
	uint32_t *idx = malloc((sc->n_t + 1) * sizeof *idx), *tmp = malloc((sc->n_t + 1) * sizeof *tmp);
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0;
	vg_status st = VG_OK;
	double *errs = NULL, *ratios = NULL, *lat = NULL, *del = NULL;
	if (!idx || !tmp) {
		st = vg_err_set(err, VG_ERR_NOMEM, "scoring");
		goto out;
	}
	for (uint32_t i = 0; i < sc->n_t; i++)
		idx[i] = i;
	sim_sort_index(idx, sc->n_t, tcmp_idx, sc->t, tmp);
	/* Longest fire, to widen the window for fire outputs. */
	int64_t max_fire = 0;
	for (uint32_t i = 0; i < sc->n_t; i++)
		if (sc->t[i].until - sc->t[i].t > max_fire)
			max_fire = sc->t[i].until - sc->t[i].t;
	for (uint32_t oi = 0; oi < sc->n_o; oi++) {
		const struct oev *o = &sc->o[oi];
		double tg = opt->time_gate_s + 3 * o->time_sigma_s;
		int64_t lo_t = o->t - (int64_t)(tg * 1e9) - (o->type == T_FIRE ? max_fire : 0);
		/* first truth with t >= lo_t */
		uint32_t a = 0, b = sc->n_t;
		while (a < b) {
			uint32_t m = (a + b) / 2;
			if (sc->t[idx[m]].t < lo_t)
				a = m + 1;
			else
				b = m;
		}
		for (uint32_t k = a; k < sc->n_t; k++) {
			const struct tev *t = &sc->t[idx[k]];
			if ((double)(t->t - o->t) / 1e9 > tg)
				break;
			if (!type_ok(o->type, t->type))
				continue;
			double dt;
			if (t->type == T_FIRE) {
				/* inside [start - gate, until + gate] */
				dt = o->t < t->t ? (double)(t->t - o->t) / 1e9
				                 : o->t > t->until ? (double)(o->t - t->until) / 1e9 : 0;
			} else {
				dt = fabs((double)(o->t - t->t) / 1e9);
			}
			if (dt > tg)
				continue;
			double e, n;
			offset_en(o, t, &e, &n);
			double d = hypot(e, n), d2n;
			if (d > opt->dist_max_m)
				continue;
			if (o->unc) {
				double f2 = opt->dist_floor_m * opt->dist_floor_m;
				double c00 = o->cov[0][0] + f2, c11 = o->cov[1][1] + f2, c01 = o->cov[0][1];
				double det = c00 * c11 - c01 * c01;
				d2n = (c11 * e * e - 2 * c01 * e * n + c00 * n * n) / det;
				if (d2n > opt->gate_chi2)
					continue;
			} else {
				if (d > opt->dist_default_m)
					continue;
				d2n = d * d / (opt->dist_default_m * opt->dist_default_m) * opt->gate_chi2;
			}
			struct pair p = {d2n + (dt / tg) * (dt / tg), idx[k], oi};
			if ((st = push_pair(&pairs, &np, &cap, p, err)))
				goto out;
		}
	}
	if (np)
		qsort(pairs, np, sizeof *pairs, pcmp);
	uint64_t n_err = 0, n_ratio = 0, n_lat = 0, n_del = 0, tp_out[VG_SCORE_EV_COUNT_] = {0};
	double sum_e2 = 0, sum_c2 = 0;
	errs = malloc((np + 1) * sizeof *errs);
	ratios = malloc((np + 1) * sizeof *ratios);
	lat = malloc((np + 1) * sizeof *lat);
	del = malloc((np + 1) * sizeof *del);
	if (!errs || !ratios || !lat || !del) {
		st = vg_err_set(err, VG_ERR_NOMEM, "scoring");
		goto out;
	}
	for (size_t i = 0; i < np; i++) {
		struct tev *t = &sc->t[pairs[i].ti];
		struct oev *o = &sc->o[pairs[i].oi];
		if (t->matched || o->matched || o->ignored)
			continue;
		if (t->dud) {
			/* A shell that landed without detonating: an output there is
			 * neither right nor wrong. */
			o->ignored = true;
			continue;
		}
		t->matched = o->matched = true;
		r->events[t->type].tp++;
		r->events[VG_SCORE_EV_ALL].tp++;
		tp_out[o->type]++;
		tp_out[VG_SCORE_EV_ALL]++;
		if (t->type != T_FIRE) {
			r->events[VG_SCORE_EV_IMPULSIVE].tp++;
			tp_out[VG_SCORE_EV_IMPULSIVE]++;
		}
		if (o->type == T_EXPLOSION)
			r->events[T_EXPLOSION].tp++;
		if (t->type != T_FIRE) {
			double e, n;
			offset_en(o, t, &e, &n);
			double d = vg_sim_distance_m(o->lat, o->lon, t->lat, t->lon);
			errs[n_err++] = d;
			if (t->has_crlb && t->crlb_m > 0) {
				/* efficiency over the pairs that have a bound */
				ratios[n_ratio++] = d / t->crlb_m;
				sum_c2 += t->crlb_m * t->crlb_m;
				sum_e2 += d * d;
			}
			if (o->unc || o->has_cep90) {
				r->cal_n++;
				bool in;
				if (o->unc) {
					double det = o->cov[0][0] * o->cov[1][1] - o->cov[0][1] * o->cov[0][1];
					double m2 = (o->cov[1][1] * e * e - 2 * o->cov[0][1] * e * n + o->cov[0][0] * n * n) / det;
					in = m2 <= CHI2_2_90;
				} else {
					in = d <= o->cep90;
				}
				r->cal_in90 += in;
			}
		}
		if (o->party != -1 && t->party >= 0) {
			r->attr_n++;
			r->attr_ok += o->party == t->party;
		}
		if (o->has_emitted) {
			if (t->has_decided)
				lat[n_lat++] = (double)(o->emitted - t->decided) / 1e9;
			del[n_del++] = (double)(o->emitted - t->t) / 1e9;
		}
	}
	for (uint32_t i = 0; i < sc->n_t; i++) {
		const struct tev *t = &sc->t[i];
		if (t->matched || t->dud)
			continue;
		r->events[t->type].fn++;
		r->events[VG_SCORE_EV_ALL].fn++;
		if (t->type != T_FIRE)
			r->events[VG_SCORE_EV_IMPULSIVE].fn++;
	}
	for (uint32_t i = 0; i < sc->n_o; i++) {
		const struct oev *o = &sc->o[i];
		if (o->matched || o->ignored)
			continue;
		r->events[o->type].fp++;
		r->events[VG_SCORE_EV_ALL].fp++;
		if (o->type != T_FIRE)
			r->events[VG_SCORE_EV_IMPULSIVE].fp++;
	}
	for (int k = 0; k < VG_SCORE_EV_COUNT_; k++)
		counts_finish(&r->events[k], tp_out[k]);
	r->events[T_EXPLOSION].recall = NAN; /* no truth is an "explosion" */
	r->events[T_EXPLOSION].f1 = NAN;
	dist_of(errs, n_err, &r->loc_err_m);
	dist_of(ratios, n_ratio, &r->crlb_ratio);
	dist_of(lat, n_lat, &r->latency_s);
	dist_of(del, n_del, &r->event_delay_s);
	r->efficiency = n_ratio && sum_e2 > 0 ? sqrt(sum_c2 / sum_e2) : NAN;
out:
	free(idx);
	free(tmp);
	free(pairs);
	free(errs);
	free(ratios);
	free(lat);
	free(del);
	return st;
}

/* Edges of the reliability bins of p_party (docs/scoring.md). */
static const double p_bin_edges[VG_SCORE_P_BINS + 1] = {0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.0};

/* The bin of a stated probability, -1 below 0.5 (or NaN). */
static int p_bin_of(double p)
{
	if (!(p >= p_bin_edges[0]))
		return -1;
	for (int k = 0; k < VG_SCORE_P_BINS - 1; k++)
		if (p < p_bin_edges[k + 1])
			return k;
	return VG_SCORE_P_BINS - 1; /* [0.99, 1.0]: p_party <= 1 is checked on input */
}

static vg_status score_findings(struct scorer *sc, const struct vg_score_options *opt,
                                struct vg_score_result *r, struct vg_err *err)
{
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0;
	vg_status st = VG_OK;
	double *lat = malloc((sc->n_f + 1) * sizeof *lat);
	if (!lat)
		return vg_err_set(err, VG_ERR_NOMEM, "scoring findings");
	int64_t slack = (int64_t)(opt->finding_slack_s * 1e9);
	for (uint32_t fi = 0; fi < sc->n_f; fi++) {
		const struct ofind *f = &sc->f[fi];
		for (uint32_t vi = 0; vi < sc->n_v; vi++) {
			const struct tviol *v = &sc->v[vi];
			if (v->rule != f->rule || f->from - slack > v->until || f->until + slack < v->from)
				continue;
			double d = viol_distance(sc, v, f->lat, f->lon, f->from, f->until);
			if (d > opt->finding_dist_m)
				continue;
			/* a withdrawal lasts hours and is seen when a sensor passes:
			 * the finding's start is not expected near the violation's */
			double dt = v->unit >= 0 ? 0
			                         : fabs((double)(f->from - v->from) / 1e9) / opt->finding_slack_s;
			struct pair p = {d / opt->finding_dist_m + dt, vi, fi};
			if ((st = push_pair(&pairs, &np, &cap, p, err)))
				goto out;
		}
	}
	if (np)
		qsort(pairs, np, sizeof *pairs, pcmp);
	uint64_t tp_out[VG_SCORE_RULE_COUNT_] = {0}, n_lat = 0;
	double brier = 0, bin_sum_p[VG_SCORE_P_BINS] = {0};
	uint64_t n_brier = 0;
	for (int k = 0; k < VG_SCORE_P_BINS; k++)
		r->fattr_bins[k] = (struct vg_score_pbin){p_bin_edges[k], p_bin_edges[k + 1], 0, 0, NAN};
	for (size_t i = 0; i < np; i++) {
		struct tviol *v = &sc->v[pairs[i].ti];
		struct ofind *f = &sc->f[pairs[i].oi];
		if (v->matched || f->matched)
			continue;
		v->matched = f->matched = true;
		r->rules[v->rule].tp++;
		r->rules[VG_SCORE_RULE_ALL].tp++;
		tp_out[f->rule]++;
		tp_out[VG_SCORE_RULE_ALL]++;
		if (f->party != -1) {
			r->fattr_n++;
			bool ok = f->party == v->party;
			r->fattr_ok += ok;
			if (f->has_line_dist && f->line_dist_m > 2000) {
				r->fattr2k_n++;
				r->fattr2k_ok += ok;
			}
			if (f->has_p) {
				double q = f->p_party - (ok ? 1.0 : 0.0);
				brier += q * q;
				n_brier++;
				int b = p_bin_of(f->p_party);
				if (b >= 0) {
					r->fattr_bins[b].n++;
					r->fattr_bins[b].right += ok;
					bin_sum_p[b] += f->p_party;
				}
			}
		}
		if (f->has_emitted)
			lat[n_lat++] = (double)(f->emitted - v->from) / 1e9;
	}
	/* Co-located units: the rule reports the weapons it saw, not units, so
	 * the weapons of two units parked together are one finding. A
	 * withdrawal violation left unmatched is found by a matched finding of
	 * its party and window that saw its unit's weapons (one within
	 * finding_colocated_m of the finding's place at its start or end). It
	 * counts for recall only: the finding was counted once already. */
	for (uint32_t vi = 0; vi < sc->n_v && opt->finding_colocated_m > 0; vi++) {
		struct tviol *v = &sc->v[vi];
		if (v->matched || v->rule != VG_SCORE_RULE_WITHDRAWAL || v->unit < 0)
			continue;
		for (uint32_t fi = 0; fi < sc->n_f; fi++) {
			const struct ofind *f = &sc->f[fi];
			if (!f->matched || f->rule != v->rule || f->party != v->party || f->from - slack > v->until ||
			    f->until + slack < v->from)
				continue;
			if (viol_distance(sc, v, f->lat, f->lon, f->from, f->until) <= opt->finding_colocated_m) {
				v->matched = true;
				r->rules[v->rule].tp++;
				r->rules[VG_SCORE_RULE_ALL].tp++;
				r->n_colocated++;
				break;
			}
		}
	}
	for (uint32_t i = 0; i < sc->n_v; i++)
		if (!sc->v[i].matched) {
			const struct tviol *v = &sc->v[i];
			r->rules[v->rule].fn++;
			r->rules[VG_SCORE_RULE_ALL].fn++;
			if (r->n_missed < VG_SCORE_MISSED_MAX) {
				struct vg_score_missed *m = &r->missed[r->n_missed];
				snprintf(m->id, sizeof m->id, "%s", v->id);
				snprintf(m->unit, sizeof m->unit, "%s", v->unit >= 0 ? sc->units[v->unit] : "");
				snprintf(m->cls, sizeof m->cls, "%s", v->cls);
				m->rule = v->rule;
				m->from_ns = v->from;
				m->until_ns = v->until;
				m->seen = v->seen;
			}
			r->n_missed++;
		}
	/* recall among the violations some sensor observed (the truth's
	 * "detections" + "launches_heard" > 0, or not stated): what the system missed, apart
	 * from what nobody could have seen */
	for (uint32_t i = 0; i < sc->n_v; i++) {
		const struct tviol *v = &sc->v[i];
		if (v->seen == 0)
			continue;
		r->seen_n[v->rule]++;
		r->seen_n[VG_SCORE_RULE_ALL]++;
		r->seen_tp[v->rule] += v->matched;
		r->seen_tp[VG_SCORE_RULE_ALL] += v->matched;
	}
	for (uint32_t i = 0; i < sc->n_f; i++)
		if (!sc->f[i].matched) {
			r->rules[sc->f[i].rule].fp++;
			r->rules[VG_SCORE_RULE_ALL].fp++;
		}
	for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
		counts_finish(&r->rules[k], tp_out[k]);
	r->fattr_brier = n_brier ? brier / (double)n_brier : NAN;
	for (int k = 0; k < VG_SCORE_P_BINS; k++)
		if (r->fattr_bins[k].n)
			r->fattr_bins[k].mean_p = bin_sum_p[k] / (double)r->fattr_bins[k].n;
	dist_of(lat, n_lat, &r->finding_latency_s);
out:
	free(pairs);
	free(lat);
	return st;
}

vg_status vg_score_files(const char *truth_path, const char *events_path,
                         const char *findings_path, const struct vg_score_options *opt_in,
                         struct vg_score_result *res, struct vg_err *err)
{
	struct vg_score_options opt;
	if (opt_in)
		opt = *opt_in;
	else
		vg_score_options_default(&opt);
	struct scorer sc;
	memset(&sc, 0, sizeof sc);
	struct vg_score_result r;
	memset(&r, 0, sizeof r);
	vg_status st = load_truth(&sc, truth_path, err);
	if (!st && events_path)
		st = each_line(events_path, err, add_event, &sc);
	if (!st && findings_path)
		st = each_line(findings_path, err, add_finding, &sc);
	if (st)
		goto out;
	r.n_truth_events = 0;
	for (uint32_t i = 0; i < sc.n_t; i++)
		r.n_truth_events += !sc.t[i].dud;
	r.n_out_events = sc.n_o;
	r.n_truth_violations = sc.n_v;
	r.n_findings = sc.n_f;
	r.n_unscored = sc.n_unscored;
	if ((st = score_events(&sc, &opt, &r, err)) || (st = score_findings(&sc, &opt, &r, err)))
		goto out;
	r.scored_events = events_path != NULL;
	r.scored_findings = findings_path != NULL;
	if (!events_path) {
		for (int k = 0; k < VG_SCORE_EV_COUNT_; k++)
			r.events[k] = (struct vg_score_counts){0, 0, 0, NAN, NAN, NAN};
	}
	if (!findings_path) {
		for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
			r.rules[k] = (struct vg_score_counts){0, 0, 0, NAN, NAN, NAN};
	}
	*res = r;
out:
	free(sc.t);
	free(sc.o);
	for (uint32_t i = 0; sc.v && i <= sc.n_v; i++) /* n_v: one being parsed when it failed */
		free(sc.v[i].pl);
	free(sc.v);
	free(sc.f);
	free(sc.units);
	for (uint32_t i = 0; i < sc.n_tr; i++) {
		free(sc.tr[i].t);
		free(sc.tr[i].ll);
	}
	free(sc.tr);
	return st;
}

/* ---- Output ----------------------------------------------------------------------- */

static void pct(FILE *f, double x)
{
	if (isnan(x))
		fprintf(f, " %7s", "-");
	else
		fprintf(f, " %6.1f%%", 100 * x);
}

static void row(FILE *f, const char *name, const struct vg_score_counts *c)
{
	fprintf(f, "  %-22s %7llu %7llu %7llu", name, (unsigned long long)c->tp,
	        (unsigned long long)c->fp, (unsigned long long)c->fn);
	pct(f, c->precision);
	pct(f, c->recall);
	pct(f, c->f1);
	fputc('\n', f);
}

static void dist_line(FILE *f, const char *name, const struct vg_score_dist *d, const char *unit)
{
	if (!d->n)
		fprintf(f, "  %-30s -\n", name);
	else
		fprintf(f, "  %-30s median %.3g %s, p90 %.3g %s (n = %llu)\n", name, d->median, unit,
		        d->p90, unit, (unsigned long long)d->n);
}

void vg_score_print_table(const struct vg_score_result *r, FILE *f)
{
	if (!r->scored_events)
		goto findings;
	fprintf(f, "events: %llu truth (duds excluded), %llu output\n",
	        (unsigned long long)r->n_truth_events, (unsigned long long)r->n_out_events);
	fprintf(f, "  %-22s %7s %7s %7s %8s %8s %8s\n", "type", "TP", "FP", "FN", "prec", "recall", "F1");
	for (int k = 0; k < VG_SCORE_EV_COUNT_; k++)
		row(f, ev_names[k], &r->events[k]);
	dist_line(f, "location error", &r->loc_err_m, "m");
	dist_line(f, "error / CRLB", &r->crlb_ratio, "");
	if (!isnan(r->efficiency))
		fprintf(f, "  %-30s %.3f (RMS CRLB / RMS error)\n", "efficiency", r->efficiency);
	if (r->cal_n)
		fprintf(f, "  %-30s %.1f%% inside the reported 90%% region (n = %llu)\n", "calibration",
		        100.0 * (double)r->cal_in90 / (double)r->cal_n, (unsigned long long)r->cal_n);
	if (r->attr_n)
		fprintf(f, "  %-30s %.1f%% (n = %llu)\n", "attribution", 100.0 * (double)r->attr_ok / (double)r->attr_n,
		        (unsigned long long)r->attr_n);
	dist_line(f, "latency after decidable", &r->latency_s, "s");
	dist_line(f, "delay after the event", &r->event_delay_s, "s");
findings:
	if (!r->scored_findings)
		return;
	fprintf(f, "findings: %llu truth violations, %llu output\n",
	        (unsigned long long)r->n_truth_violations, (unsigned long long)r->n_findings);
	fprintf(f, "  %-22s %7s %7s %7s %8s %8s %8s\n", "rule", "TP", "FP", "FN", "prec", "recall", "F1");
	for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
		row(f, rule_names[k], &r->rules[k]);
	if (r->fattr_n)
		fprintf(f, "  %-30s %.1f%% (n = %llu)\n", "attribution", 100.0 * (double)r->fattr_ok / (double)r->fattr_n,
		        (unsigned long long)r->fattr_n);
	if (!isnan(r->fattr_brier))
		fprintf(f, "  %-30s %.4f\n", "attribution Brier score", r->fattr_brier);
	if (r->fattr2k_n)
		fprintf(f, "  %-30s %.1f%% (n = %llu)\n", "attribution, > 2 km from line",
		        100.0 * (double)r->fattr2k_ok / (double)r->fattr2k_n,
		        (unsigned long long)r->fattr2k_n);
	if (!isnan(r->fattr_brier)) {
		/* reliability: of the findings stated 0.8 to 0.9, 80 to 90 % should be right */
		fprintf(f, "  %-30s %7s %7s %8s %8s\n", "attribution by stated p_party", "n", "right", "share",
		        "mean p");
		for (int k = 0; k < VG_SCORE_P_BINS; k++) {
			const struct vg_score_pbin *b = &r->fattr_bins[k];
			char name[40];
			snprintf(name, sizeof name, "[%.2f, %.2f%c", b->lo, b->hi, k == VG_SCORE_P_BINS - 1 ? ']' : ')');
			fprintf(f, "    %-28s %7llu %7llu", name, (unsigned long long)b->n, (unsigned long long)b->right);
			pct(f, b->n ? (double)b->right / (double)b->n : NAN);
			if (b->n)
				fprintf(f, " %8.4f\n", b->mean_p);
			else
				fprintf(f, " %8s\n", "-");
		}
	}
	if (r->n_colocated)
		fprintf(f, "  %-30s %llu (withdrawals found by the finding of weapons parked with theirs)\n",
		        "found with a co-located unit", (unsigned long long)r->n_colocated);
	if (r->n_unscored)
		fprintf(f, "  %-30s %llu (zone_cap: no truth for it)\n", "findings not scored",
		        (unsigned long long)r->n_unscored);
	if (r->seen_n[VG_SCORE_RULE_ALL] < r->rules[VG_SCORE_RULE_ALL].tp + r->rules[VG_SCORE_RULE_ALL].fn) {
		fprintf(f, "  recall among the violations some sensor observed:\n");
		for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
			if (r->rules[k].tp + r->rules[k].fn)
				fprintf(f, "    %-26s %llu of %llu%s (%llu observed by no sensor)\n", rule_names[k],
				        (unsigned long long)r->seen_tp[k], (unsigned long long)r->seen_n[k],
				        r->seen_n[k] ? "" : " -",
				        (unsigned long long)(r->rules[k].tp + r->rules[k].fn - r->seen_n[k]));
	}
	if (r->n_missed) {
		fprintf(f, "  violations missed: %llu%s\n", (unsigned long long)r->n_missed,
		        r->n_missed > VG_SCORE_MISSED_MAX ? " (the first 64)" : "");
		for (uint64_t i = 0; i < r->n_missed && i < VG_SCORE_MISSED_MAX; i++) {
			const struct vg_score_missed *m = &r->missed[i];
			char ta[VG_TIME_STR_MAX], tb[VG_TIME_STR_MAX], seen[48];
			vg_time_format(m->from_ns, ta);
			vg_time_format(m->until_ns, tb);
			if (m->seen < 0)
				snprintf(seen, sizeof seen, "observed: not stated");
			else if (m->seen == 0)
				snprintf(seen, sizeof seen, "observed by no sensor");
			else
				snprintf(seen, sizeof seen, "observed %lld time%s", (long long)m->seen, m->seen == 1 ? "" : "s");
			fprintf(f, "    %-12s %-20s %-16s %-12s %s .. %s  %s\n", m->id[0] ? m->id : "-",
			        rule_names[m->rule], m->cls[0] ? m->cls : "-", m->unit[0] ? m->unit : "-", ta, tb, seen);
		}
	}
	dist_line(f, "latency after violation start", &r->finding_latency_s, "s");
}

/* A JSON string (escaped by jansson). */
static void jstr(FILE *f, const char *x)
{
	json_t *j = json_string(x);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(d ? d : "\"\"", f);
	free(d);
	json_decref(j);
}

static void jnum(FILE *f, double x)
{
	if (!isfinite(x)) {
		fputs("null", f);
		return;
	}
	char b[64];
	sim_fmt_fixed(b, sizeof b, x, 6);
	fputs(b, f);
}

static void jcounts(FILE *f, const char *name, const struct vg_score_counts *c, bool last)
{
	fprintf(f, "\"%s\":{\"tp\":%llu,\"fp\":%llu,\"fn\":%llu,\"precision\":", name,
	        (unsigned long long)c->tp, (unsigned long long)c->fp, (unsigned long long)c->fn);
	jnum(f, c->precision);
	fputs(",\"recall\":", f);
	jnum(f, c->recall);
	fputs(",\"f1\":", f);
	jnum(f, c->f1);
	fputs(last ? "}" : "},", f);
}

static void jdist(FILE *f, const char *name, const struct vg_score_dist *d)
{
	fprintf(f, ",\"%s\":{\"n\":%llu,\"median\":", name, (unsigned long long)d->n);
	jnum(f, d->median);
	fputs(",\"p90\":", f);
	jnum(f, d->p90);
	fputs(",\"mean\":", f);
	jnum(f, d->mean);
	fputs("}", f);
}

void vg_score_print_json(const struct vg_score_result *r, FILE *f)
{
	fprintf(f, "{\"truth_events\":%llu,\"output_events\":%llu,\"truth_violations\":%llu,\"findings\":%llu,"
	           "\"scored_events\":%s,\"scored_findings\":%s,",
	        (unsigned long long)r->n_truth_events, (unsigned long long)r->n_out_events,
	        (unsigned long long)r->n_truth_violations, (unsigned long long)r->n_findings,
	        r->scored_events ? "true" : "false", r->scored_findings ? "true" : "false");
	fputs("\"events\":{", f);
	for (int k = 0; k < VG_SCORE_EV_COUNT_; k++)
		jcounts(f, ev_names[k], &r->events[k], k == VG_SCORE_EV_COUNT_ - 1);
	fputs("},\"rules\":{", f);
	for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
		jcounts(f, rule_names[k], &r->rules[k], k == VG_SCORE_RULE_COUNT_ - 1);
	fputs("}", f);
	jdist(f, "location_error_m", &r->loc_err_m);
	jdist(f, "error_over_crlb", &r->crlb_ratio);
	fputs(",\"efficiency\":", f);
	jnum(f, r->efficiency);
	fprintf(f, ",\"calibration\":{\"n\":%llu,\"inside_90\":%llu,\"fraction\":",
	        (unsigned long long)r->cal_n, (unsigned long long)r->cal_in90);
	jnum(f, r->cal_n ? (double)r->cal_in90 / (double)r->cal_n : NAN);
	fprintf(f, "},\"attribution\":{\"n\":%llu,\"correct\":%llu,\"accuracy\":",
	        (unsigned long long)r->attr_n, (unsigned long long)r->attr_ok);
	jnum(f, r->attr_n ? (double)r->attr_ok / (double)r->attr_n : NAN);
	fprintf(f, "},\"finding_attribution\":{\"n\":%llu,\"correct\":%llu,\"accuracy\":",
	        (unsigned long long)r->fattr_n, (unsigned long long)r->fattr_ok);
	jnum(f, r->fattr_n ? (double)r->fattr_ok / (double)r->fattr_n : NAN);
	fputs(",\"brier\":", f);
	jnum(f, r->fattr_brier);
	fputs(",\"p_party_bins\":[", f);
	for (int k = 0; k < VG_SCORE_P_BINS; k++) {
		const struct vg_score_pbin *b = &r->fattr_bins[k];
		fputs(k ? ",{\"lo\":" : "{\"lo\":", f);
		jnum(f, b->lo);
		fputs(",\"hi\":", f);
		jnum(f, b->hi);
		fprintf(f, ",\"n\":%llu,\"right\":%llu,\"fraction\":", (unsigned long long)b->n,
		        (unsigned long long)b->right);
		jnum(f, b->n ? (double)b->right / (double)b->n : NAN);
		fputs(",\"mean_p\":", f);
		jnum(f, b->mean_p);
		fputs("}", f);
	}
	fputs("]}", f);
	jdist(f, "latency_s", &r->latency_s);
	jdist(f, "event_delay_s", &r->event_delay_s);
	jdist(f, "finding_latency_s", &r->finding_latency_s);
	fputs(",\"observed_violations\":{", f);
	for (int k = 0; k < VG_SCORE_RULE_COUNT_; k++)
		fprintf(f, "%s\"%s\":{\"observed\":%llu,\"found\":%llu}", k ? "," : "", rule_names[k],
		        (unsigned long long)r->seen_n[k], (unsigned long long)r->seen_tp[k]);
	fprintf(f, "},\"colocated_withdrawals\":%llu", (unsigned long long)r->n_colocated);
	fprintf(f, ",\"missed\":{\"n\":%llu,\"first\":[", (unsigned long long)r->n_missed);
	for (uint64_t i = 0; i < r->n_missed && i < VG_SCORE_MISSED_MAX; i++) {
		const struct vg_score_missed *m = &r->missed[i];
		char ta[VG_TIME_STR_MAX], tb[VG_TIME_STR_MAX];
		vg_time_format(m->from_ns, ta);
		vg_time_format(m->until_ns, tb);
		/* ids, units and classes come from the truth file: JSON-escaped */
		fputs(i ? ",{\"id\":" : "{\"id\":", f);
		jstr(f, m->id);
		fprintf(f, ",\"rule\":\"%s\",\"class\":", rule_names[m->rule]);
		jstr(f, m->cls);
		fputs(",\"unit\":", f);
		jstr(f, m->unit);
		fprintf(f, ",\"from\":\"%s\",\"until\":\"%s\",\"observed\":", ta, tb);
		if (m->seen < 0)
			fputs("null}", f);
		else
			fprintf(f, "%lld}", (long long)m->seen);
	}
	fputs("]}}\n", f);
}

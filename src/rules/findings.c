/* findings.c - findings and events: formats (docs/rules.md, docs/scoring.md). */
#include "rules/rules.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const grade_names[] = {NULL, "possible", "probable", "confirmed"};

const char *vg_grade_name(int g) { return g >= 1 && g <= 3 ? grade_names[g] : NULL; }

int vg_grade_parse(const char *s)
{
	for (int g = 1; g <= 3; g++)
		if (s && !strcmp(s, grade_names[g]))
			return g;
	return -1;
}

void vg_finding_clear(struct vg_finding *x)
{
	free(x->events);
	free(x->evidence);
	x->events = NULL;
	x->evidence = NULL;
	x->n_events = x->n_evidence = 0;
}

void vg_findings_free(struct vg_findings *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		vg_finding_clear(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* A JSON string (ids and names are from [A-Za-z0-9._:-] or validated
 * UTF-8; escape what JSON needs anyway). */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_num(FILE *f, double x, int decimals)
{
	char b[64];
	snprintf(b, sizeof b, "%.*f", decimals, x);
	/* trim trailing zeros, never "-0" */
	char *dot = strchr(b, '.');
	if (dot) {
		char *e = b + strlen(b) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
	if (!strcmp(b, "-0"))
		strcpy(b, "0");
	fputs(b, f);
}

static void members(FILE *f, const struct vg_finding *x)
{
	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX];
	vg_time_format(x->from_ns, t0);
	vg_time_format(x->until_ns, t1);
	fputs("\"id\":", f);
	put_str(f, x->id);
	fprintf(f, ",\"rule\":\"%s\",\"rule_id\":", vg_rule_type_name(x->rule));
	put_str(f, x->rule_id);
	if (x->party[0]) {
		fputs(",\"party\":", f);
		put_str(f, x->party);
		fputs(",\"p_party\":", f);
		put_num(f, x->p_party, 4);
	}
	fprintf(f, ",\"from\":\"%s\",\"until\":\"%s\",\"lat\":", t0, t1);
	put_num(f, x->lat_deg, 7);
	fputs(",\"lon\":", f);
	put_num(f, x->lon_deg, 7);
	fputs(",\"cov_m2\":[[", f);
	put_num(f, x->cov_m2[0][0], 1);
	fputc(',', f);
	put_num(f, x->cov_m2[0][1], 1);
	fputs("],[", f);
	put_num(f, x->cov_m2[1][0], 1);
	fputc(',', f);
	put_num(f, x->cov_m2[1][1], 1);
	fputs("]],\"cep90_m\":", f);
	put_num(f, x->cep90_m, 1);
	fputs(",\"line_dist_m\":", f);
	put_num(f, x->line_dist_m, 1);
	if (x->class_name[0]) {
		fputs(",\"class\":", f);
		put_str(f, x->class_name);
	}
	fprintf(f, ",\"count\":%u", x->count);
	if (x->has_cap) /* zone_cap: the cap the count exceeds */
		fprintf(f, ",\"cap\":%u", x->cap);
	fprintf(f, ",\"grade\":\"%s\",\"sensors\":%u,\"owners\":%u,\"modalities\":%u",
	        vg_grade_name(x->grade) ? vg_grade_name(x->grade) : "possible", x->n_sensors, x->n_owners,
	        x->n_modalities);
	fprintf(f, ",\"agreement_version\":%d,\"events\":[", x->agreement_version);
	for (uint32_t i = 0; i < x->n_events; i++) {
		if (i)
			fputc(',', f);
		put_str(f, x->events[i]);
	}
	fputs("],\"evidence\":[", f);
	for (uint32_t i = 0; i < x->n_evidence; i++)
		fprintf(f, i ? ",%lld" : "%lld", (long long)x->evidence[i]);
	fputc(']', f);
}

void vg_finding_write_ndjson(FILE *f, const struct vg_finding *x)
{
	fputc('{', f);
	members(f, x);
	fputs("}\n", f);
}

void vg_finding_write_geojson_feature(FILE *f, const struct vg_finding *x)
{
	fputs("{\"type\":\"Feature\",\"id\":", f);
	put_str(f, x->id);
	fputs(",\"geometry\":{\"type\":\"Point\",\"coordinates\":[", f);
	put_num(f, x->lon_deg, 7);
	fputc(',', f);
	put_num(f, x->lat_deg, 7);
	fputs("]},\"properties\":{", f);
	members(f, x);
	fputs("}}", f);
}

/* ACLED-like columns (ACLED codebook: event_id_cnty, event_date, event_type,
 * sub_event_type, actor1, latitude, longitude, geo_precision, source, notes)
 * plus Vigil's own. */
vg_status vg_finding_record(const struct vg_finding *x, char **out, size_t *len,
                            struct vg_err *err)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		return vg_err_set(err, VG_ERR_NOMEM, "finding %s", x->id);
	vg_finding_write_ndjson(m, x);
	if (fclose(m) != 0 || !buf) {
		free(buf);
		return vg_err_set(err, VG_ERR_NOMEM, "finding %s", x->id);
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	*out = buf;
	*len = n;
	return VG_OK;
}

void vg_finding_csv_header(FILE *f)
{
	fputs("event_id_cnty,event_date,event_type,sub_event_type,actor1,p_actor1,latitude,longitude,"
	      "geo_precision,source,notes,time_from,time_until,grade,cep90_m,line_dist_m,class,count,"
	      "agreement_version,rule_id,evidence_count\n",
	      f);
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void vg_finding_write_csv(FILE *f, const struct vg_finding *x)
{
	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX];
	vg_time_format(x->from_ns, t0);
	vg_time_format(x->until_ns, t1);
	/* geo_precision as ACLED: 1 exact, 2 near (within ~10 km), 3 region. */
	int prec = x->cep90_m <= 1000 ? 1 : x->cep90_m <= 10000 ? 2 : 3;
	char notes[256], capped[24] = "";
	if (x->has_cap)
		snprintf(capped, sizeof capped, " (cap %u)", x->cap);
	snprintf(notes, sizeof notes, "%s %s: %u %s%s, %u sensors of %u owners, %.1f km from the line",
	         vg_grade_name(x->grade) ? vg_grade_name(x->grade) : "possible",
	         vg_rule_type_name(x->rule), x->count, x->class_name[0] ? x->class_name : "items", capped,
	         x->n_sensors, x->n_owners, x->line_dist_m / 1000);
	fprintf(f, "%s,%.10s,Ceasefire violation,%s,%s,", x->id, t0, vg_rule_type_name(x->rule),
	        x->party);
	if (x->party[0])
		put_num(f, x->p_party, 4);
	fputc(',', f);
	put_num(f, x->lat_deg, 7);
	fputc(',', f);
	put_num(f, x->lon_deg, 7);
	fprintf(f, ",%d,Vigil,", prec);
	csv_str(f, notes);
	fprintf(f, ",%s,%s,%s,", t0, t1, vg_grade_name(x->grade) ? vg_grade_name(x->grade) : "");
	put_num(f, x->cep90_m, 1);
	fputc(',', f);
	put_num(f, x->line_dist_m, 1);
	fprintf(f, ",%s,%u,%d,%s,%u\n", x->class_name, x->count, x->agreement_version, x->rule_id,
	        x->n_evidence);
}

/* ---- Parsing back -------------------------------------------------------------- */

static vg_status jstr(json_t *o, const char *k, bool req, char *out, size_t cap, struct vg_err *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return req ? vg_err_set(err, VG_ERR_MISSING, "%s: missing", k) : VG_OK;
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return vg_err_set(err, VG_ERR_TYPE, "%s: want a string of at most %zu bytes", k, cap - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return VG_OK;
}

static vg_status jnum(json_t *o, const char *k, bool req, double *out, struct vg_err *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return req ? vg_err_set(err, VG_ERR_MISSING, "%s: missing", k) : VG_OK;
	if (!json_is_number(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: want a number", k);
	*out = json_number_value(v);
	return VG_OK;
}

static vg_status jtime(json_t *o, const char *k, int64_t *out, struct vg_err *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return vg_err_set(err, VG_ERR_MISSING, "%s: missing", k);
	if (!json_is_string(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: want an RFC 3339 time", k);
	if (vg_time_parse(json_string_value(v), json_string_length(v), out, err)) {
		vg_err_prefix(err, "%s", k);
		return VG_ERR_TIME;
	}
	return VG_OK;
}

/* cov_m2 of an event (record_res 0) or of a finding (record_res 0.1 m^2:
 * it must stay a covariance as a finding record writes it) */
static vg_status jcov(json_t *o, double c[2][2], bool *has, double record_res, struct vg_err *err)
{
	json_t *v = json_object_get(o, "cov_m2");
	*has = false;
	if (!v)
		return VG_OK;
	if (!json_is_array(v) || json_array_size(v) != 2)
		return vg_err_set(err, VG_ERR_TYPE, "cov_m2: want [[ee, en], [ne, nn]]");
	for (int i = 0; i < 2; i++) {
		json_t *r = json_array_get(v, (size_t)i);
		if (!json_is_array(r) || json_array_size(r) != 2)
			return vg_err_set(err, VG_ERR_TYPE, "cov_m2[%d]: want 2 numbers", i);
		for (int j = 0; j < 2; j++) {
			json_t *x = json_array_get(r, (size_t)j);
			if (!json_is_number(x))
				return vg_err_set(err, VG_ERR_TYPE, "cov_m2[%d][%d]: want a number", i, j);
			c[i][j] = json_number_value(x);
		}
	}
	if (!(c[0][0] > 0) || !(c[1][1] > 0) || fabs(c[0][1] - c[1][0]) > 1e-6 * (c[0][0] + c[1][1]) ||
	    c[0][0] * c[1][1] - c[0][1] * c[1][0] <= 0 || !isfinite(c[0][0] + c[1][1] + c[0][1]))
		return vg_err_set(err, VG_ERR_RANGE, "cov_m2: not symmetric positive definite");
	if (record_res > 0) {
		double r[2][2];
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++)
				r[i][j] = round(c[i][j] / record_res) * record_res;
		if (!(r[0][0] > 0) || !(r[1][1] > 0) || r[0][0] * r[1][1] - r[0][1] * r[1][0] <= 0)
			return vg_err_set(err, VG_ERR_RANGE,
			                  "cov_m2: not positive definite at %g m^2, the resolution of a record",
			                  record_res);
	}
	/* a variance beyond the Earth's size (40,000 km squared) is no place */
	if (c[0][0] > 1.6e15 || c[1][1] > 1.6e15)
		return vg_err_set(err, VG_ERR_RANGE, "cov_m2: variances %g, %g m^2: above 1.6e15 (40,000 km)",
		                  c[0][0], c[1][1]);
	*has = true;
	return VG_OK;
}

static vg_status jlog_indices(json_t *o, const char *k, int64_t **out, uint32_t *n,
                              struct vg_err *err)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return VG_OK;
	if (!json_is_array(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: want an array of log indices", k);
	size_t m = json_array_size(v);
	int64_t *a = malloc((m ? m : 1) * sizeof *a);
	if (!a)
		return vg_err_set(err, VG_ERR_NOMEM, "%s", k);
	for (size_t i = 0; i < m; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_integer(x) || json_integer_value(x) < -1) {
			free(a);
			return vg_err_set(err, VG_ERR_TYPE, "%s[%zu]: want a log index (integer >= 0, -1: none)",
			                  k, i);
		}
		a[i] = json_integer_value(x);
	}
	/* -1: an observation that has no log index (fusion run from files) */
	size_t w = 0;
	for (size_t i = 0; i < m; i++)
		if (a[i] >= 0)
			a[w++] = a[i];
	*out = a;
	*n = (uint32_t)w;
	return VG_OK;
}

static vg_status load_obj(const char *line, size_t len, json_t **out, struct vg_err *err)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return vg_err_set(err, VG_ERR_JSON, "column %d: %s", je.column, je.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return vg_err_set(err, VG_ERR_TYPE, "want a JSON object");
	}
	*out = o;
	return VG_OK;
}

vg_status vg_rule_event_parse(const char *line, size_t len, struct vg_rule_event *ev,
                              struct vg_err *err)
{
	json_t *o;
	vg_status st = load_obj(line, len, &o, err);
	if (st)
		return st;
	memset(ev, 0, sizeof *ev);
	char type[16] = "", cls[VG_ID_MAX + 1] = "";
	double lat = NAN, lon = NAN;
	bool has_cov = false;
	if ((st = jstr(o, "id", false, ev->id, sizeof ev->id, err)) ||
	    (st = jstr(o, "type", true, type, sizeof type, err)) || (st = jtime(o, "time", &ev->t_ns, err)) ||
	    (st = jnum(o, "lat", true, &lat, err)) || (st = jnum(o, "lon", true, &lon, err)) ||
	    (st = jstr(o, "class", false, cls, sizeof cls, err)) ||
	    (st = jstr(o, "pair", false, ev->pair, sizeof ev->pair, err)) ||
	    (st = jcov(o, ev->cov_m2, &has_cov, 0, err)))
		goto out;
	ev->type = !strcmp(type, "launch") ? VG_EVT_LAUNCH : !strcmp(type, "impact") ? VG_EVT_IMPACT
	           : !strcmp(type, "explosion")                                      ? VG_EVT_EXPLOSION
	           : !strcmp(type, "fire")                                           ? VG_EVT_FIRE
	                                                                             : 0;
	if (!ev->type) {
		st = vg_err_set(err, VG_ERR_CLASS, "type = \"%s\": want launch, impact, explosion or fire", type);
		goto out;
	}
	if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
		st = vg_err_set(err, VG_ERR_RANGE, "lat, lon = %g, %g: not a WGS84 position", lat, lon);
		goto out;
	}
	ev->lat_deg = lat;
	ev->lon_deg = lon;
	ev->cls = cls[0] ? vg_object_class_parse(cls) : 0;
	if (ev->cls < 0)
		ev->cls = 0;
	if (ev->cls)
		ev->classes = VG_CLASS_BIT(ev->cls);
	json_t *cl = json_object_get(o, "classes");
	if (cl) {
		/* fusion's weapon classes that fit the pair: each must be a class */
		if (!json_is_array(cl)) {
			st = vg_err_set(err, VG_ERR_TYPE, "classes: want an array of class names");
			goto out;
		}
		size_t i;
		json_t *x;
		json_array_foreach(cl, i, x) {
			int k = json_is_string(x) ? vg_object_class_parse(json_string_value(x)) : -1;
			if (k <= 0) {
				st = vg_err_set(err, VG_ERR_CLASS, "classes[%zu]: want an object class name", i);
				goto out;
			}
			ev->classes |= VG_CLASS_BIT(k);
		}
	}
	if (!has_cov) {
		json_t *el = json_object_get(o, "ellipse");
		double s = 50, cep90 = NAN, cep50 = NAN;
		if (json_is_object(el)) {
			double a = NAN, b = NAN, az = 0;
			if ((st = jnum(el, "smaj_m", true, &a, err)) || (st = jnum(el, "smin_m", true, &b, err)) ||
			    (st = jnum(el, "az_deg", true, &az, err)))
				goto out;
			if (!(a > 0 && b > 0)) {
				st = vg_err_set(err, VG_ERR_RANGE, "ellipse: semi-axes must be > 0");
				goto out;
			}
			double se = sin(az * M_PI / 180), ce = cos(az * M_PI / 180);
			/* major axis direction (east, north) = (sin az, cos az) */
			ev->cov_m2[0][0] = a * a * se * se + b * b * ce * ce;
			ev->cov_m2[1][1] = a * a * ce * ce + b * b * se * se;
			ev->cov_m2[0][1] = ev->cov_m2[1][0] = (a * a - b * b) * se * ce;
			has_cov = true;
		} else {
			if ((st = jnum(o, "cep90_m", false, &cep90, err)) || (st = jnum(o, "cep50_m", false, &cep50, err)))
				goto out;
			if (cep90 > 0)
				s = cep90 / 2.146;
			else if (cep50 > 0)
				s = cep50 / 1.1774;
			ev->cov_m2[0][0] = ev->cov_m2[1][1] = s * s;
		}
	}
	/* Evidence: fusion's "arrivals" and "radar" (log indices of the
	 * observations used; "rejected" ones are not evidence), or "evidence". */
	static const char *const keys[] = {"arrivals", "radar", "evidence"};
	for (size_t k = 0; k < 3 && !st; k++) {
		int64_t *a = NULL;
		uint32_t n = 0;
		st = jlog_indices(o, keys[k], &a, &n, err);
		if (st || !a)
			continue;
		int64_t *m = realloc(ev->evidence, (ev->n_evidence + n + 1) * sizeof *m);
		if (!m) {
			free(a);
			st = vg_err_set(err, VG_ERR_NOMEM, "evidence");
			break;
		}
		memcpy(m + ev->n_evidence, a, n * sizeof *a);
		ev->evidence = m;
		ev->n_evidence += n;
		free(a);
	}
	if (st)
		vg_rule_event_clear(ev);
out:
	json_decref(o);
	return st;
}

void vg_rule_event_clear(struct vg_rule_event *ev)
{
	free(ev->evidence);
	ev->evidence = NULL;
	ev->n_evidence = 0;
}

vg_status vg_finding_parse(const char *line, size_t len, struct vg_finding *x, struct vg_err *err)
{
	json_t *o;
	vg_status st = load_obj(line, len, &o, err);
	if (st)
		return st;
	memset(x, 0, sizeof *x);
	char rule[32] = "", grade[16] = "";
	double p = 0, ver = 0, cep = 0, ld = 0, cnt = 0, cap = NAN, ns = 0, no = 0, nm = 0;
	bool has_cov = false;
	if ((st = jstr(o, "id", false, x->id, sizeof x->id, err)) ||
	    (st = jstr(o, "rule", true, rule, sizeof rule, err)) ||
	    (st = jstr(o, "rule_id", false, x->rule_id, sizeof x->rule_id, err)) ||
	    (st = jstr(o, "party", false, x->party, sizeof x->party, err)) ||
	    (st = jnum(o, "p_party", false, &p, err)) || (st = jtime(o, "from", &x->from_ns, err)) ||
	    (st = jtime(o, "until", &x->until_ns, err)) || (st = jnum(o, "lat", true, &x->lat_deg, err)) ||
	    (st = jnum(o, "lon", true, &x->lon_deg, err)) || (st = jcov(o, x->cov_m2, &has_cov, 0.1, err)) ||
	    (st = jnum(o, "cep90_m", false, &cep, err)) || (st = jnum(o, "line_dist_m", false, &ld, err)) ||
	    (st = jstr(o, "class", false, x->class_name, sizeof x->class_name, err)) ||
	    (st = jnum(o, "count", false, &cnt, err)) || (st = jnum(o, "cap", false, &cap, err)) ||
	    (st = jstr(o, "grade", false, grade, sizeof grade, err)) ||
	    (st = jnum(o, "agreement_version", false, &ver, err)) ||
	    (st = jnum(o, "sensors", false, &ns, err)) || (st = jnum(o, "owners", false, &no, err)) ||
	    (st = jnum(o, "modalities", false, &nm, err)) ||
	    (st = jlog_indices(o, "evidence", &x->evidence, &x->n_evidence, err)))
		goto out;
	x->rule = vg_rule_type_parse(rule);
	if (x->rule < 0) {
		st = vg_err_set(err, VG_ERR_CLASS, "rule = \"%s\": unknown rule", rule);
		goto out;
	}
	x->grade = grade[0] ? vg_grade_parse(grade) : VG_GRADE_POSSIBLE;
	if (x->grade < 0) {
		st = vg_err_set(err, VG_ERR_CLASS, "grade = \"%s\": want possible, probable or confirmed", grade);
		goto out;
	}
	/* ranges: a record that cannot be written back as it was read is refused */
	if (!(x->lat_deg >= -90 && x->lat_deg <= 90 && x->lon_deg >= -180 && x->lon_deg <= 180)) {
		st = vg_err_set(err, VG_ERR_RANGE, "lat, lon = %g, %g: not a WGS84 position", x->lat_deg,
		                x->lon_deg);
		goto out;
	}
	static const struct {
		const char *name;
		double lo, hi;
		bool whole;
	} lim[] = {{"p_party", 0, 1, false},        {"cep90_m", 0, 4e7, false},
	           {"line_dist_m", 0, 4e7, false},  {"count", 0, UINT32_MAX, true},
	           {"agreement_version", 0, INT32_MAX, true}, {"sensors", 0, UINT32_MAX, true},
	           {"owners", 0, UINT32_MAX, true}, {"modalities", 0, UINT32_MAX, true}};
	const double val[] = {p, cep, ld, cnt, ver, ns, no, nm};
	for (size_t i = 0; i < sizeof lim / sizeof *lim; i++)
		if (!(val[i] >= lim[i].lo && val[i] <= lim[i].hi) || (lim[i].whole && val[i] != floor(val[i]))) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s = %g: want %s in [%g, %g]", lim[i].name, val[i],
			                lim[i].whole ? "a whole number" : "a number", lim[i].lo, lim[i].hi);
			goto out;
		}
	x->p_party = p;
	x->cep90_m = cep;
	if (!has_cov) {
		/* no covariance: a circular one from cep90_m, else 50 m (as an
		 * event without one), so that the record written back is valid */
		double sg = cep > 0 && cep < 2e7 ? cep / 2.146 : 50; /* up to the Earth's size */
		x->cov_m2[0][0] = x->cov_m2[1][1] = fmax(sg * sg, 0.1); /* a record's resolution */
		if (!(cep > 0))
			x->cep90_m = 2.146 * sg;
	}
	x->line_dist_m = ld;
	x->count = (uint32_t)cnt;
	x->n_sensors = (uint32_t)ns;
	x->n_owners = (uint32_t)no;
	x->n_modalities = (uint32_t)nm;
	if (!isnan(cap)) {
		if (!(cap >= 0 && cap <= UINT32_MAX) || cap != floor(cap)) {
			st = vg_err_set(err, VG_ERR_RANGE, "cap = %g: want a count", cap);
			goto out;
		}
		x->has_cap = true;
		x->cap = (uint32_t)cap;
	}
	x->agreement_version = (int)ver;
	json_t *ev = json_object_get(o, "events");
	if (json_is_array(ev) && json_array_size(ev)) {
		x->events = calloc(json_array_size(ev), sizeof *x->events);
		if (!x->events) {
			st = vg_err_set(err, VG_ERR_NOMEM, "events");
			goto out;
		}
		size_t i;
		json_t *e;
		json_array_foreach(ev, i, e) {
			if (json_is_string(e))
				snprintf(x->events[x->n_events++], VG_ID_MAX + 1, "%s", json_string_value(e));
		}
	}
out:
	if (st)
		vg_finding_clear(x);
	json_decref(o);
	return st;
}

/*
 * scenario.c - parse and validate scenario files (docs/simulator.md).
 *
 * Strict by design: jansson with JSON_REJECT_DUPLICATES, every object's
 * members checked against its schema, every number range-checked. Messages
 * name the full member path and the value:
 *   scenario.forces[1].units[0].fire.missions_per_h = -3: must be >= 0
 * Defaults live here, next to the schema, and docs/simulator.md cites the
 * source of each.
 */
#include "codec/codec_json.h"
#include "geo/geo.h"
#include "sim/sim_int.h"

#include <errno.h>
#include <stdarg.h>
#include <geodesic.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define PATH_MAX_ 256
#define SCENARIO_MAX_BYTES (16u << 20)

/* ---- Member readers ------------------------------------------------------ */

/* Member paths longer than PATH_MAX_ are cut (messages only). */
static void child(char out[PATH_MAX_], const char *path, const char *key)
{
	if (snprintf(out, PATH_MAX_, "%s.%s", path, key) >= PATH_MAX_)
		memcpy(out + PATH_MAX_ - 4, "...", 4);
}

static void child_index(char out[PATH_MAX_], const char *path, size_t i)
{
	if (snprintf(out, PATH_MAX_, "%s[%zu]", path, i) >= PATH_MAX_)
		memcpy(out + PATH_MAX_ - 4, "...", 4);
}


static vg_status check_members(json_t *obj, const char *path, const char *const *allowed,
                               struct vg_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], key)) {
				ok = true;
				break;
			}
		if (!ok) {
			char q[80];
			vg_quote(key, strlen(key), q, sizeof q);
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER, "%s: unknown member %s", path, q);
		}
	}
	return VG_OK;
}

/* Numeric bounds; NAN means unbounded. */
struct nb {
	double lo, hi;
	bool lo_open, hi_open;
};
#define NB(lo, hi) ((struct nb){(lo), (hi), false, false})
#define NB_POS(hi) ((struct nb){0, (hi), true, false})

static vg_status check_bounds(double x, const char *path, struct nb b, struct vg_err *err)
{
	if (!isfinite(x))
		return vg_err_set(err, VG_ERR_RANGE, "%s = %g: must be finite", path, x);
	if (!isnan(b.lo) && (b.lo_open ? !(x > b.lo) : !(x >= b.lo)))
		return vg_err_set(err, VG_ERR_RANGE, "%s = %.10g: must be %s %.10g", path, x,
		                  b.lo_open ? ">" : ">=", b.lo);
	if (!isnan(b.hi) && (b.hi_open ? !(x < b.hi) : !(x <= b.hi)))
		return vg_err_set(err, VG_ERR_RANGE, "%s = %.10g: must be %s %.10g", path, x,
		                  b.hi_open ? "<" : "<=", b.hi);
	return VG_OK;
}

static vg_status number_value(json_t *v, const char *path, struct nb b, double *out,
                              struct vg_err *err)
{
	if (!json_is_number(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be a number, not %s", path, vg_cj_type_word(v));
	double x = json_number_value(v);
	vg_status st = check_bounds(x, path, b, err);
	if (st)
		return st;
	*out = x;
	return VG_OK;
}

/* Optional number: absent leaves *out (the default) untouched. */
static vg_status num(json_t *o, const char *path, const char *key, struct nb b, double *out,
                     struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return VG_OK;
	char p[PATH_MAX_];
	child(p, path, key);
	return number_value(v, p, b, out, err);
}

static vg_status num_req(json_t *o, const char *path, const char *key, struct nb b, double *out,
                         struct vg_err *err)
{
	if (!json_object_get(o, key))
		return vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"%s\"", path, key);
	return num(o, path, key, b, out, err);
}

static vg_status uint_(json_t *o, const char *path, const char *key, uint32_t lo, uint32_t hi,
                       uint32_t *out, struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return VG_OK;
	char p[PATH_MAX_];
	child(p, path, key);
	if (!json_is_integer(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an integer, not %s", p,
		                  json_is_real(v) ? "a fraction" : vg_cj_type_word(v));
	json_int_t x = json_integer_value(v);
	if (x < (json_int_t)lo || x > (json_int_t)hi)
		return vg_err_set(err, VG_ERR_RANGE, "%s = %lld: must be in [%u, %u]", p, (long long)x,
		                  lo, hi);
	*out = (uint32_t)x;
	return VG_OK;
}

static vg_status boolean(json_t *o, const char *path, const char *key, bool *out,
                         struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return VG_OK;
	if (!json_is_boolean(v)) {
		char p[PATH_MAX_];
		child(p, path, key);
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be a boolean, not %s", p, vg_cj_type_word(v));
	}
	*out = json_is_true(v);
	return VG_OK;
}

/* Optional string copied into out (cap bytes); present tells if it was there. */
static vg_status str(json_t *o, const char *path, const char *key, bool required, char *out,
                     size_t cap, bool id_chars, bool *present, struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"%s\"", path, key);
		return VG_OK;
	}
	char p[PATH_MAX_];
	child(p, path, key);
	if (!json_is_string(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be a string, not %s", p, vg_cj_type_word(v));
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	char q[96];
	vg_quote(s, n, q, sizeof q);
	if (n == 0 || n >= cap || memchr(s, 0, n))
		return vg_err_set(err, VG_ERR_RANGE, "%s = %s: must be 1..%zu characters", p, q, cap - 1);
	if (id_chars && !vg_id_valid(s, n))
		return vg_err_set(err, VG_ERR_RANGE, "%s = %s: only letters, digits and . _ : - allowed",
		                  p, q);
	memcpy(out, s, n + 1);
	return VG_OK;
}

static vg_status time_(json_t *o, const char *path, const char *key, bool required,
                       int64_t *out, struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			return vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"%s\"", path, key);
		return VG_OK;
	}
	char p[PATH_MAX_];
	child(p, path, key);
	if (!json_is_string(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an RFC 3339 time string, not %s", p,
		                  vg_cj_type_word(v));
	vg_status st = vg_time_parse(json_string_value(v), json_string_length(v), out, err);
	if (st)
		vg_err_prefix(err, "%s", p);
	return st;
}

/* [lo, hi] with lo <= hi, each within b; a bare number n means [n, n]
 * when allow_scalar. */
static vg_status range(json_t *o, const char *path, const char *key, struct nb b,
                       bool allow_scalar, struct sim_range *out, struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return VG_OK;
	char p[PATH_MAX_], pi[PATH_MAX_];
	child(p, path, key);
	struct sim_range r;
	vg_status st;
	if (allow_scalar && json_is_number(v)) {
		if ((st = number_value(v, p, b, &r.lo, err)))
			return st;
		r.hi = r.lo;
	} else {
		if (!json_is_array(v) || json_array_size(v) != 2)
			return vg_err_set(err, VG_ERR_TYPE, "%s: must be [low, high]%s", p,
			                  allow_scalar ? " or a number" : "");
		child_index(pi, p, 0);
		if ((st = number_value(json_array_get(v, 0), pi, b, &r.lo, err)))
			return st;
		child_index(pi, p, 1);
		if ((st = number_value(json_array_get(v, 1), pi, b, &r.hi, err)))
			return st;
		if (r.hi < r.lo)
			return vg_err_set(err, VG_ERR_RANGE, "%s = [%.10g, %.10g]: low must be <= high", p,
			                  r.lo, r.hi);
	}
	*out = r;
	return VG_OK;
}

static vg_status object(json_t *o, const char *path, const char *key, json_t **out,
                        struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v)
		return VG_OK;
	if (!json_is_object(v)) {
		char p[PATH_MAX_];
		child(p, path, key);
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an object, not %s", p, vg_cj_type_word(v));
	}
	*out = v;
	return VG_OK;
}

static vg_status array(json_t *o, const char *path, const char *key, json_t **out,
                       struct vg_err *err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v)
		return VG_OK;
	char p[PATH_MAX_];
	child(p, path, key);
	if (!json_is_array(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an array, not %s", p, vg_cj_type_word(v));
	if (json_array_size(v) > SIM_MAX_LIST)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: %zu elements, over the limit %d", p,
		                  json_array_size(v), SIM_MAX_LIST);
	*out = v;
	return VG_OK;
}

static vg_status elem_object(json_t *arr, size_t i, const char *path, char out_path[PATH_MAX_],
                             json_t **out, struct vg_err *err)
{
	child_index(out_path, path, i);
	json_t *v = json_array_get(arr, i);
	if (!json_is_object(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s: must be an object, not %s", out_path,
		                  vg_cj_type_word(v));
	*out = v;
	return VG_OK;
}

static vg_status party_(const struct vg_sim_scenario *sc, json_t *o, const char *path,
                        const char *key, bool required, int *out, struct vg_err *err)
{
	char name[VG_ID_MAX + 1];
	bool present = false;
	vg_status st = str(o, path, key, required, name, sizeof name, true, &present, err);
	if (st || !present)
		return st;
	for (int i = 0; i < 2; i++)
		if (!strcmp(name, sc->agreement.parties[i])) {
			*out = i;
			return VG_OK;
		}
	return vg_err_set(err, VG_ERR_RANGE, "%s.%s = \"%s\": not a party (\"%s\" or \"%s\")", path,
	                  key, name, sc->agreement.parties[0], sc->agreement.parties[1]);
}

static vg_status class_(json_t *o, const char *path, const char *key, bool required, int *out,
                        struct vg_err *err)
{
	char name[SIM_NAME_MAX];
	bool present = false;
	vg_status st = str(o, path, key, required, name, sizeof name, false, &present, err);
	if (st || !present)
		return st;
	int c = vg_object_class_parse(name);
	if (c <= VG_CLS_UNKNOWN)
		return vg_err_set(err, VG_ERR_CLASS, "%s.%s = \"%s\": not an object class", path, key,
		                  name);
	*out = c;
	return VG_OK;
}

static vg_status latency(json_t *o, const char *path, struct sim_latency *l, struct vg_err *err)
{
	json_t *v;
	char p[PATH_MAX_];
	vg_status st = object(o, path, "latency", &v, err);
	if (st || !v)
		return st;
	child(p, path, "latency");
	static const char *const m[] = {"median_s", "sigma_ln", NULL};
	if ((st = check_members(v, p, m, err)) || (st = num(v, p, "median_s", NB(0, 86400), &l->median_s, err)) ||
	    (st = num(v, p, "sigma_ln", NB(0, 5), &l->sigma_ln, err)))
		return st;
	return VG_OK;
}

/* ---- Sections ------------------------------------------------------------- */

static vg_status parse_place(const struct vg_sim_scenario *sc, json_t *o, const char *path,
                             struct sim_place *pl, bool signed_offset, struct vg_err *err)
{
	/* A placement object: along_km + distance_km (or offset_km), or lat +
	 * lon, or holding_area. */
	static const char *const m_force[] = {"along_km", "distance_km", "lat", "lon", "holding_area", NULL};
	static const char *const m_sensor[] = {"along_km", "offset_km", "lat", "lon", NULL};
	vg_status st = check_members(o, path, signed_offset ? m_sensor : m_force, err);
	if (st)
		return st;
	const char *dkey = signed_offset ? "offset_km" : "distance_km";
	bool has_ll = json_object_get(o, "lat") || json_object_get(o, "lon");
	bool has_ha = json_object_get(o, "holding_area") != NULL;
	bool has_band = json_object_get(o, "along_km") || json_object_get(o, dkey);
	if (has_ll + has_ha + has_band != 1)
		return vg_err_set(err, VG_ERR_RANGE,
		                  "%s: give exactly one of along_km+%s, lat+lon%s", path, dkey,
		                  signed_offset ? "" : ", holding_area");
	if (has_ll) {
		pl->mode = PLACE_POINT;
		if ((st = num_req(o, path, "lat", NB(-89, 89), &pl->lat, err)) ||
		    (st = num_req(o, path, "lon", NB(-180, 180), &pl->lon, err)))
			return st;
		return VG_OK;
	}
	if (has_ha) {
		char id[SIM_NAME_MAX];
		if ((st = str(o, path, "holding_area", true, id, sizeof id, true, NULL, err)))
			return st;
		for (uint32_t i = 0; i < sc->front.n_holding; i++)
			if (!strcmp(sc->front.holding[i].id, id)) {
				pl->mode = PLACE_HOLDING;
				pl->holding = (int)i;
				return VG_OK;
			}
		return vg_err_set(err, VG_ERR_RANGE, "%s.holding_area = \"%s\": no such holding area",
		                  path, id);
	}
	pl->mode = PLACE_BAND;
	double L = sc->front.length_km, D = sc->front.depth_km;
	if (!json_object_get(o, "along_km"))
		pl->along_km = (struct sim_range){0, L};
	if ((st = range(o, path, "along_km", NB(0, L), true, &pl->along_km, err)) ||
	    (st = range(o, path, dkey, signed_offset ? NB(-D, D) : NB(0, D), true, &pl->dist_km, err)))
		return st;
	if (!json_object_get(o, dkey))
		return vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"%s\"", path, dkey);
	return VG_OK;
}

static vg_status parse_agreement(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	json_t *a;
	const char *path = "scenario.agreement";
	vg_status st = object(root, "scenario", "agreement", &a, err);
	if (st)
		return st;
	snprintf(sc->agreement.name, sizeof sc->agreement.name, "%s ceasefire (simulated)", sc->name);
	sc->agreement.effective_ns = sc->start_ns;
	strcpy(sc->agreement.parties[0], "A");
	strcpy(sc->agreement.parties[1], "B");
	if (!a)
		return VG_OK;
	static const char *const m[] = {"name", "effective", "parties", "weapon_classes", "rules", NULL};
	json_t *wc = json_object_get(a, "weapon_classes"), *ru = json_object_get(a, "rules");
	if (wc && !json_is_object(wc))
		return vg_err_set(err, VG_ERR_TYPE, "%s.weapon_classes: must be an object", path);
	if (ru && !json_is_array(ru))
		return vg_err_set(err, VG_ERR_TYPE, "%s.rules: must be an array", path);
	/* Passed through verbatim (in member order); `vigil agreement check`
	 * and the rules module validate them. */
	if (wc && !(sc->agreement.weapon_classes_json = json_dumps(wc, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		return vg_err_set(err, VG_ERR_NOMEM, "%s.weapon_classes", path);
	if (ru && !(sc->agreement.rules_json = json_dumps(ru, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		return vg_err_set(err, VG_ERR_NOMEM, "%s.rules", path);
	if ((st = check_members(a, path, m, err)) ||
	    (st = str(a, path, "name", false, sc->agreement.name, sizeof sc->agreement.name, false,
	              NULL, err)) ||
	    (st = time_(a, path, "effective", false, &sc->agreement.effective_ns, err)))
		return st;
	json_t *p;
	if ((st = array(a, path, "parties", &p, err)))
		return st;
	if (p) {
		if (json_array_size(p) != 2)
			return vg_err_set(err, VG_ERR_RANGE, "%s.parties: %zu elements, want 2", path,
			                  json_array_size(p));
		for (size_t i = 0; i < 2; i++) {
			char pp[PATH_MAX_];
			child_index(pp, "scenario.agreement.parties", i);
			json_t *v = json_array_get(p, i);
			if (!json_is_string(v) ||
			    !vg_id_valid(json_string_value(v), json_string_length(v)))
				return vg_err_set(err, VG_ERR_RANGE, "%s: must be a party id (letters, digits, . _ : -)", pp);
			snprintf(sc->agreement.parties[i], sizeof sc->agreement.parties[i], "%s",
			         json_string_value(v));
		}
		if (!strcmp(sc->agreement.parties[0], sc->agreement.parties[1]))
			return vg_err_set(err, VG_ERR_RANGE, "%s.parties: the two parties must differ", path);
	}
	return VG_OK;
}

/* ---- An agreement file as the front (docs/agreement-format.md) ------------ */

/* Message paths, cut if too long. */
static void VG_PRINTF(3, 4) fmt_where(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

#define AGREEMENT_MAX_BYTES (64u << 20)
#define AGREEMENT_MAX_PTS 1000000u

/* An array of [lon, lat] positions into a fresh array. */
static vg_status positions(json_t *a, const char *where, uint32_t min, double (**out)[2],
                           uint32_t *n_out, struct vg_err *err)
{
	if (!json_is_array(a) || json_array_size(a) < min || json_array_size(a) > AGREEMENT_MAX_PTS)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: must be an array of %u to %u [lon, lat]",
		                  where, min, AGREEMENT_MAX_PTS);
	uint32_t n = (uint32_t)json_array_size(a);
	double (*p)[2] = calloc(n, sizeof *p);
	if (!p)
		return vg_err_set(err, VG_ERR_NOMEM, "%s", where);
	for (uint32_t i = 0; i < n; i++) {
		json_t *q = json_array_get(a, i);
		if (!json_is_array(q) || json_array_size(q) < 2 || !json_is_number(json_array_get(q, 0)) ||
		    !json_is_number(json_array_get(q, 1))) {
			free(p);
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s[%u]: must be [lon, lat]", where, i);
		}
		p[i][0] = json_number_value(json_array_get(q, 0));
		p[i][1] = json_number_value(json_array_get(q, 1));
		double lo = p[i][0], la = p[i][1];
		if (!(lo >= -180 && lo <= 180 && la >= -89 && la <= 89)) {
			free(p);
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s[%u] = [%g, %g]: not a lon, lat position",
			                  where, i, lo, la);
		}
	}
	*out = p;
	*n_out = n;
	return VG_OK;
}

/* The exterior ring of a Polygon geometry, checked with GEOS. */
static vg_status polygon_ring(json_t *geom, const char *where, double (**out)[2], uint32_t *n,
                              struct vg_err *err)
{
	char w[PATH_MAX_];
	json_t *type = json_object_get(geom, "type"), *c = json_object_get(geom, "coordinates");
	if (!json_is_string(type) || strcmp(json_string_value(type), "Polygon") || !json_is_array(c) ||
	    json_array_size(c) < 1)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: must be a GeoJSON Polygon", where);
	fmt_where(w, sizeof w, "%s.coordinates[0]", where);
	vg_status st = positions(json_array_get(c, 0), w, 4, out, n, err);
	if (st)
		return st;
	struct vg_err ge;
	if (vg_geo_ring_check((const double (*)[2])*out, *n, &ge) != VG_OK) {
		free(*out);
		*out = NULL;
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: %s", w, ge.msg);
	}
	return VG_OK;
}

static vg_status read_file(const char *path, size_t max, char **out, size_t *len, struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	char *buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
	}
	size_t n = fread(buf, 1, max + 1, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad || n > max) {
		free(buf);
		return vg_err_set(err, bad ? VG_ERR_IO : VG_ERR_LIMIT, "%s: %s", path,
		                  bad ? "read error" : "too large");
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return VG_OK;
}

static vg_status load_agreement(struct vg_sim_scenario *sc, const char *file, const char *base_dir,
                                struct vg_err *err)
{
	struct sim_front_spec *f = &sc->front;
	char path[4096];
	if (file[0] == '/' || !base_dir)
		snprintf(path, sizeof path, "%s", file);
	else
		snprintf(path, sizeof path, "%s/%s", base_dir, file);
	vg_status st = read_file(path, AGREEMENT_MAX_BYTES, &f->file_bytes, &f->file_len, err);
	if (st)
		return st;
	json_error_t je;
	json_t *root = json_loadb(f->file_bytes, f->file_len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return vg_err_set(err, VG_ERR_JSON, "%s: line %d column %d: %s", path, je.line, je.column,
		                  je.text);
	json_t *hdr = json_object_get(root, "agreement"), *feats = json_object_get(root, "features");
	json_t *type = json_object_get(root, "type");
	char w[PATH_MAX_];
	if (!json_is_string(type) || strcmp(json_string_value(type), "FeatureCollection") ||
	    !json_is_array(feats)) {
		st = vg_err_set(err, VG_ERR_TYPE, "%s: not a GeoJSON FeatureCollection", path);
		goto out;
	}
	if (!json_is_object(hdr)) {
		st = vg_err_set(err, VG_ERR_MISSING, "%s: missing the \"agreement\" header", path);
		goto out;
	}
	/* The header: name, effective, exactly two parties. */
	json_t *parties = json_object_get(hdr, "parties");
	if (!json_is_array(parties) || json_array_size(parties) != 2) {
		st = vg_err_set(err, VG_ERR_RANGE, "%s: agreement.parties: the simulator needs exactly 2", path);
		goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_array_get(parties, i);
		if (!json_is_string(p) || !vg_id_valid(json_string_value(p), json_string_length(p))) {
			st = vg_err_set(err, VG_ERR_RANGE, "%s: agreement.parties[%zu]: must be a party id", path, i);
			goto out;
		}
		snprintf(sc->agreement.parties[i], sizeof sc->agreement.parties[i], "%s", json_string_value(p));
	}
	fmt_where(w, sizeof w, "%s: agreement", path);
	if ((st = str(hdr, w, "name", false, sc->agreement.name, sizeof sc->agreement.name, false, NULL, err)) ||
	    (st = time_(hdr, w, "effective", true, &sc->agreement.effective_ns, err)))
		goto out;
	uint32_t cap_hold = 0;
	for (size_t i = 0; i < json_array_size(feats); i++) {
		json_t *ft = json_array_get(feats, i), *props = json_object_get(ft, "properties");
		json_t *geom = json_object_get(ft, "geometry");
		fmt_where(w, sizeof w, "%s: features[%zu]", path, i);
		if (!json_is_object(props) || !json_is_object(geom))
			continue;
		const char *role = json_string_value(json_object_get(props, "role"));
		if (!role)
			continue;
		char gw[PATH_MAX_];
		fmt_where(gw, sizeof gw, "%s.geometry", w);
		if (!strcmp(role, "contact_line")) {
			json_t *gt = json_object_get(geom, "type");
			if (f->line_ll) {
				st = vg_err_set(err, VG_ERR_GEOMETRY, "%s: a second contact_line", w);
				goto out;
			}
			if (!json_is_string(gt) || strcmp(json_string_value(gt), "LineString")) {
				st = vg_err_set(err, VG_ERR_GEOMETRY, "%s: must be a LineString", gw);
				goto out;
			}
			fmt_where(gw, sizeof gw, "%s.geometry.coordinates", w);
			if ((st = positions(json_object_get(geom, "coordinates"), gw, 2, &f->line_ll, &f->n_line, err)))
				goto out;
		} else if (!strcmp(role, "side")) {
			int party = -1;
			if ((st = party_(sc, props, w, "party", true, &party, err)))
				goto out;
			if (f->side_ll[party]) {
				st = vg_err_set(err, VG_ERR_GEOMETRY, "%s: a second side for party %s", w,
				                sc->agreement.parties[party]);
				goto out;
			}
			if ((st = polygon_ring(geom, gw, &f->side_ll[party], &f->n_side[party], err)))
				goto out;
		} else if (!strcmp(role, "zone")) {
			const char *zone = json_string_value(json_object_get(props, "zone"));
			if (zone && !strcmp(zone, "security_zone") && !f->zone_ll) {
				if ((st = polygon_ring(geom, gw, &f->zone_ll, &f->n_zone, err)))
					goto out;
			} else if (zone && !strcmp(zone, "holding_area")) {
				if ((st = sim_grow((void **)&f->holding, &cap_hold, f->n_holding, sizeof *f->holding,
				                   SIM_MAX_LIST, "holding areas", err)))
					goto out;
				struct sim_holding_spec *h = &f->holding[f->n_holding];
				memset(h, 0, sizeof *h);
				f->n_holding++;
				json_t *id = json_object_get(ft, "id");
				if (json_is_string(id) && vg_id_valid(json_string_value(id), json_string_length(id)) &&
				    json_string_length(id) < sizeof h->id)
					snprintf(h->id, sizeof h->id, "%s", json_string_value(id));
				else
					snprintf(h->id, sizeof h->id, "holding-%zu", i);
				if ((st = party_(sc, props, w, "party", true, &h->party, err)) ||
				    (st = polygon_ring(geom, gw, &h->ring_ll, &h->n_ring, err)))
					goto out;
			}
		}
	}
	if (!f->line_ll || !f->side_ll[0] || !f->side_ll[1]) {
		st = vg_err_set(err, VG_ERR_MISSING, "%s: needs a contact_line and a side for each party", path);
		goto out;
	}
	/* The frame: centred between the line's ends, along its chord. */
	struct geod_geodesic g;
	geod_init(&g, 6378137.0, 1 / 298.257223563);
	double s12, az1, az2, len = 0;
	const double (*L)[2] = (const double (*)[2])f->line_ll;
	uint32_t n = f->n_line;
	for (uint32_t i = 0; i + 1 < n; i++)
		len += vg_sim_distance_m(L[i][1], L[i][0], L[i + 1][1], L[i + 1][0]);
	geod_inverse(&g, L[0][1], L[0][0], L[n - 1][1], L[n - 1][0], &s12, &az1, &az2);
	if (!(s12 > 1000)) {
		st = vg_err_set(err, VG_ERR_GEOMETRY, "%s: the contact line's ends are less than 1 km apart", path);
		goto out;
	}
	f->lat = (L[0][1] + L[n - 1][1]) / 2;
	f->lon = (L[0][0] + L[n - 1][0]) / 2;
	f->azimuth_deg = az1 < 0 ? az1 + 360 : az1;
	f->length_km = len / 1000.0;
	f->loaded = true;
out:
	if (st)
		vg_err_prefix(err, "scenario.front.agreement");
	json_decref(root);
	return st;
}


static vg_status parse_front(struct vg_sim_scenario *sc, json_t *root, const char *base_dir,
                             struct vg_err *err)
{
	struct sim_front_spec *f = &sc->front;
	/* A Donbas-like sector by default (docs/simulator.md). */
	f->lat = 48.0;
	f->lon = 37.8;
	f->azimuth_deg = 20;
	f->length_km = 120;
	f->depth_km = 150;
	f->meander_km = 3;
	f->meander_wavelength_km = 25;
	f->vertex_spacing_km = 1;
	f->security_zone_km = 15;
	json_t *o, *c, *h;
	const char *path = "scenario.front";
	vg_status st = object(root, "scenario", "front", &o, err);
	if (st || !o)
		return st;
	if (json_object_get(o, "agreement")) {
		static const char *const ma[] = {"agreement", "depth_km", NULL};
		char file[4096];
		if ((st = check_members(o, "scenario.front (with agreement)", ma, err)) ||
		    (st = num(o, path, "depth_km", NB(5, 300), &f->depth_km, err)) ||
		    (st = str(o, path, "agreement", true, file, sizeof file, false, NULL, err)))
			return st;
		if (json_object_get(root, "agreement"))
			return vg_err_set(err, VG_ERR_RANGE,
			                  "scenario.agreement: not allowed with front.agreement (the file's "
			                  "header is the agreement)");
		return load_agreement(sc, file, base_dir, err);
	}
	static const char *const m[] = {"center", "azimuth_deg", "length_km", "depth_km",
	                                "meander_km", "meander_wavelength_km", "vertex_spacing_km",
	                                "security_zone_km", "holding_areas", NULL};
	if ((st = check_members(o, path, m, err)) || (st = object(o, path, "center", &c, err)))
		return st;
	if (c) {
		static const char *const mc[] = {"lat", "lon", NULL};
		if ((st = check_members(c, "scenario.front.center", mc, err)) ||
		    (st = num_req(c, "scenario.front.center", "lat", NB(-80, 80), &f->lat, err)) ||
		    (st = num_req(c, "scenario.front.center", "lon", NB(-180, 180), &f->lon, err)))
			return st;
	}
	if ((st = num(o, path, "azimuth_deg", NB(0, 360), &f->azimuth_deg, err)) ||
	    (st = num(o, path, "length_km", NB(5, 800), &f->length_km, err)) ||
	    (st = num(o, path, "depth_km", NB(5, 300), &f->depth_km, err)) ||
	    (st = num(o, path, "meander_km", NB(0, 50), &f->meander_km, err)) ||
	    (st = num(o, path, "meander_wavelength_km", NB(2, 1000), &f->meander_wavelength_km, err)) ||
	    (st = num(o, path, "vertex_spacing_km", NB(0.1, 20), &f->vertex_spacing_km, err)) ||
	    (st = num(o, path, "security_zone_km", NB(0, 100), &f->security_zone_km, err)))
		return st;
	if (f->security_zone_km >= f->depth_km)
		return vg_err_set(err, VG_ERR_RANGE, "%s.security_zone_km = %g: must be < depth_km (%g)",
		                  path, f->security_zone_km, f->depth_km);
	if ((st = array(o, path, "holding_areas", &h, err)) || !h)
		return st;
	f->n_holding = (uint32_t)json_array_size(h);
	f->holding = calloc(f->n_holding ? f->n_holding : 1, sizeof *f->holding);
	if (!f->holding)
		return vg_err_set(err, VG_ERR_NOMEM, "holding areas");
	for (uint32_t i = 0; i < f->n_holding; i++) {
		char p[PATH_MAX_];
		json_t *e;
		struct sim_holding_spec *hs = &f->holding[i];
		static const char *const mh[] = {"id", "party", "along_km", "distance_km", "radius_km", NULL};
		hs->radius_km = 3;
		if ((st = elem_object(h, i, "scenario.front.holding_areas", p, &e, err)) ||
		    (st = check_members(e, p, mh, err)) ||
		    (st = str(e, p, "id", true, hs->id, sizeof hs->id, true, NULL, err)) ||
		    (st = party_(sc, e, p, "party", true, &hs->party, err)) ||
		    (st = num_req(e, p, "along_km", NB(0, f->length_km), &hs->along_km, err)) ||
		    (st = num_req(e, p, "distance_km", NB(0, f->depth_km), &hs->dist_km, err)) ||
		    (st = num(e, p, "radius_km", NB_POS(50), &hs->radius_km, err)))
			return st;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(f->holding[j].id, hs->id))
				return vg_err_set(err, VG_ERR_RANGE, "%s.id = \"%s\": duplicate", p, hs->id);
	}
	return VG_OK;
}

void sim_env_default(struct sim_env *e)
{
	memset(e, 0, sizeof *e);
	e->temp_c = 5;
	e->diurnal_c = 4;
	e->rh_pct = 75;
	e->p_kpa = 101.325;
	e->wind_mps = 3;
	e->wind_from_deg = 270;
	e->cloud_prob = 0.8;
	e->noise_db = 55;
	e->fade_sigma_db = 6;
	e->excess_db_per_km = 1.5;
	e->threshold_db = 10;
	e->pick_floor_s = 0.002;
	e->pick_rise_s = 0.1;
	e->medium_temp_sigma_c = 2;
	e->medium_wind_sigma_mps = 2;
	/* rows launch, impact, false alarm; columns unknown, launch, impact, explosion */
	static const double conf[3][4] = {{0.15, 0.70, 0.10, 0.05},
	                                  {0.15, 0.10, 0.65, 0.10},
	                                  {0.50, 0.15, 0.15, 0.20}};
	memcpy(e->confusion, conf, sizeof conf);
	e->background_fires_per_day = 4;
	e->fire_frp_median_mw = 2.3;
	e->fire_frp_sigma_ln = 1.3;
	e->fire_duration_median_h = 3;
	e->fire_duration_sigma_ln = 0.8;
}

static vg_status parse_env(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	struct sim_env *e = &sc->env;
	sim_env_default(e);
	json_t *o, *cm;
	const char *path = "scenario.environment";
	vg_status st = object(root, "scenario", "environment", &o, err);
	if (st || !o)
		return st;
	static const char *const m[] = {
		"temperature_c", "diurnal_amplitude_c", "humidity_pct", "pressure_kpa", "wind_mps",
		"wind_from_deg", "cloud_prob", "noise_db", "fade_sigma_db", "excess_db_per_km",
		"threshold_db", "pick_floor_s", "pick_rise_s", "medium_temp_sigma_c",
		"medium_wind_sigma_mps", "class_confusion",
		"background_fires_per_day", "fire_frp_median_mw", "fire_frp_sigma_ln",
		"fire_duration_median_h", "fire_duration_sigma_ln", NULL};
	if ((st = check_members(o, path, m, err)) ||
	    (st = num(o, path, "temperature_c", NB(-50, 55), &e->temp_c, err)) ||
	    (st = num(o, path, "diurnal_amplitude_c", NB(0, 20), &e->diurnal_c, err)) ||
	    (st = num(o, path, "humidity_pct", NB(0, 100), &e->rh_pct, err)) ||
	    (st = num(o, path, "pressure_kpa", NB(50, 110), &e->p_kpa, err)) ||
	    (st = num(o, path, "wind_mps", NB(0, 40), &e->wind_mps, err)) ||
	    (st = num(o, path, "wind_from_deg", NB(0, 360), &e->wind_from_deg, err)) ||
	    (st = num(o, path, "cloud_prob", NB(0, 1), &e->cloud_prob, err)) ||
	    (st = num(o, path, "noise_db", NB(0, 140), &e->noise_db, err)) ||
	    (st = num(o, path, "fade_sigma_db", NB(0, 30), &e->fade_sigma_db, err)) ||
	    (st = num(o, path, "excess_db_per_km", NB(0, 50), &e->excess_db_per_km, err)) ||
	    (st = num(o, path, "threshold_db", NB(0, 60), &e->threshold_db, err)) ||
	    (st = num(o, path, "pick_floor_s", NB_POS(10), &e->pick_floor_s, err)) ||
	    (st = num(o, path, "pick_rise_s", NB(0, 10), &e->pick_rise_s, err)) ||
	    (st = num(o, path, "medium_temp_sigma_c", NB_POS(50), &e->medium_temp_sigma_c, err)) ||
	    (st = num(o, path, "medium_wind_sigma_mps", NB_POS(50), &e->medium_wind_sigma_mps, err)) ||
	    (st = num(o, path, "background_fires_per_day", NB(0, 10000), &e->background_fires_per_day, err)) ||
	    (st = num(o, path, "fire_frp_median_mw", NB_POS(10000), &e->fire_frp_median_mw, err)) ||
	    (st = num(o, path, "fire_frp_sigma_ln", NB(0, 5), &e->fire_frp_sigma_ln, err)) ||
	    (st = num(o, path, "fire_duration_median_h", NB_POS(1000), &e->fire_duration_median_h, err)) ||
	    (st = num(o, path, "fire_duration_sigma_ln", NB(0, 5), &e->fire_duration_sigma_ln, err)) ||
	    (st = object(o, path, "class_confusion", &cm, err)))
		return st;
	if (!cm)
		return VG_OK;
	static const char *const rows[] = {"launch", "impact", "false_alarm", NULL};
	const char *cpath = "scenario.environment.class_confusion";
	if ((st = check_members(cm, cpath, rows, err)))
		return st;
	for (int r = 0; r < 3; r++) {
		json_t *row = json_object_get(cm, rows[r]);
		if (!row)
			continue;
		char rp[PATH_MAX_], cp[PATH_MAX_];
		child(rp, cpath, rows[r]);
		if (!json_is_array(row) || json_array_size(row) != 4)
			return vg_err_set(err, VG_ERR_TYPE,
			                  "%s: must be [p_unknown, p_launch, p_impact, p_explosion]", rp);
		double sum = 0;
		for (size_t c = 0; c < 4; c++) {
			child_index(cp, rp, c);
			if ((st = number_value(json_array_get(row, c), cp, NB(0, 1), &e->confusion[r][c], err)))
				return st;
			sum += e->confusion[r][c];
		}
		if (fabs(sum - 1.0) > 1e-6)
			return vg_err_set(err, VG_ERR_RANGE, "%s: probabilities sum to %.9g, must be 1", rp, sum);
	}
	return VG_OK;
}

static vg_status parse_weapons(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	sim_weapons_default(sc->weapons);
	json_t *o;
	vg_status st = object(root, "scenario", "weapons", &o, err);
	if (st || !o)
		return st;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		char p[PATH_MAX_];
		child(p, "scenario.weapons", key);
		int c = vg_object_class_parse(key);
		if (c <= VG_CLS_UNKNOWN)
			return vg_err_set(err, VG_ERR_CLASS, "%s: not an object class", p);
		if (!json_is_object(v))
			return vg_err_set(err, VG_ERR_TYPE, "%s: must be an object, not %s", p, vg_cj_type_word(v));
		struct sim_weapon *w = &sc->weapons[c];
		struct sim_range r = {w->min_range_km, w->max_range_km};
		static const char *const m[] = {"launch_db", "impact_db", "freq_hz", "speed_mps",
		                                "range_km", "dispersion_m", "withdrawal_km", "crater_m",
		                                "fire_prob", "dud_prob", "length_m", NULL};
		if ((st = check_members(v, p, m, err)) ||
		    (st = num(v, p, "launch_db", NB(60, 260), &w->launch_db, err)) ||
		    (st = num(v, p, "impact_db", NB(60, 260), &w->impact_db, err)) ||
		    (st = num(v, p, "freq_hz", NB(0.01, 20000), &w->freq_hz, err)) ||
		    (st = num(v, p, "speed_mps", NB_POS(10000), &w->speed_mps, err)) ||
		    (st = range(v, p, "range_km", NB(0, 2000), false, &r, err)) ||
		    (st = num(v, p, "dispersion_m", NB(0, 10000), &w->dispersion_m, err)) ||
		    (st = num(v, p, "withdrawal_km", NB(0, 1000), &w->withdrawal_km, err)) ||
		    (st = num(v, p, "crater_m", NB(0, 100), &w->crater_m, err)) ||
		    (st = num(v, p, "fire_prob", NB(0, 1), &w->fire_prob, err)) ||
		    (st = num(v, p, "dud_prob", NB(0, 1), &w->dud_prob, err)) ||
		    (st = num(v, p, "length_m", NB_POS(100), &w->length_m, err)))
			return st;
		if (json_object_get(v, "range_km") && !(r.hi > 0))
			return vg_err_set(err, VG_ERR_RANGE, "%s.range_km: maximum must be > 0", p);
		w->min_range_km = r.lo;
		w->max_range_km = r.hi;
	}
	return VG_OK;
}

static vg_status parse_fire(struct vg_sim_scenario *sc, json_t *o, const char *path,
                            struct sim_fire_spec *f, struct vg_err *err)
{
	static const char *const m[] = {"missions_per_h", "rounds", "interval_s", "target_km",
	                                "from", "until", NULL};
	vg_status st;
	if ((st = check_members(o, path, m, err)) ||
	    (st = num(o, path, "missions_per_h", NB(0, 1000), &f->missions_per_h, err)) ||
	    (st = range(o, path, "rounds", NB(1, 1000), true, &f->rounds, err)) ||
	    (st = num(o, path, "interval_s", NB_POS(3600), &f->interval_s, err)) ||
	    (st = range(o, path, "target_km", NB(0, sc->front.depth_km), true, &f->target_km, err)) ||
	    (st = time_(o, path, "from", false, &f->from_ns, err)) ||
	    (st = time_(o, path, "until", false, &f->until_ns, err)))
		return st;
	if (f->until_ns <= f->from_ns)
		return vg_err_set(err, VG_ERR_RANGE, "%s: until must be after from", path);
	return VG_OK;
}

static uint32_t default_size(int cls)
{
	switch (cls) {
	case VG_CLS_ARTILLERY:
	case VG_CLS_ARTILLERY_LIGHT: return 6;
	case VG_CLS_MORTAR:
	case VG_CLS_MLRS: return 4;
	case VG_CLS_MLRS_HEAVY:
	case VG_CLS_TACTICAL_MISSILE: return 2;
	default: return 4;
	}
}

static void fire_defaults(const struct vg_sim_scenario *sc, int cls, struct sim_fire_spec *f)
{
	const struct sim_weapon *w = &sc->weapons[cls];
	f->missions_per_h = 0;
	bool rocket = cls == VG_CLS_MLRS || cls == VG_CLS_MLRS_HEAVY;
	/* BM-21: 40 tubes, full salvo in 20 s; partial salvos are common. */
	f->rounds = rocket ? (struct sim_range){10, 40} : (struct sim_range){1, 4};
	f->interval_s = rocket ? 0.5 : (cls == VG_CLS_MORTAR ? 6 : 10);
	if (cls == VG_CLS_MLRS_HEAVY)
		f->rounds = (struct sim_range){4, 12}, f->interval_s = 1.5;
	if (cls == VG_CLS_TACTICAL_MISSILE)
		f->rounds = (struct sim_range){1, 1}, f->interval_s = 60;
	double hi = w->max_range_km * 0.5;
	f->target_km = (struct sim_range){1, hi < 1 ? 1 : hi};
	f->from_ns = sc->start_ns;
	f->until_ns = sc->start_ns + sc->duration_ns;
}

static vg_status parse_forces(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	json_t *forces;
	vg_status st = array(root, "scenario", "forces", &forces, err);
	if (st || !forces)
		return st;
	size_t total = 0;
	for (size_t i = 0; i < json_array_size(forces); i++) {
		json_t *u = json_is_object(json_array_get(forces, i))
		                    ? json_object_get(json_array_get(forces, i), "units")
		                    : NULL;
		total += json_is_array(u) ? json_array_size(u) : 0;
	}
	if (total > SIM_MAX_LIST)
		return vg_err_set(err, VG_ERR_LIMIT, "scenario.forces: %zu units, over the limit %d",
		                  total, SIM_MAX_LIST);
	sc->units = calloc(total ? total : 1, sizeof *sc->units);
	if (!sc->units)
		return vg_err_set(err, VG_ERR_NOMEM, "units");
	for (size_t i = 0; i < json_array_size(forces); i++) {
		char p[PATH_MAX_];
		json_t *fo, *units;
		int party = 0;
		static const char *const m[] = {"party", "units", NULL};
		if ((st = elem_object(forces, i, "scenario.forces", p, &fo, err)) ||
		    (st = check_members(fo, p, m, err)) ||
		    (st = party_(sc, fo, p, "party", true, &party, err)) ||
		    (st = array(fo, p, "units", &units, err)))
			return st;
		if (!units)
			continue;
		char up[PATH_MAX_];
		child(up, p, "units");
		for (size_t k = 0; k < json_array_size(units); k++) {
			char q[PATH_MAX_], fp[PATH_MAX_];
			json_t *uo, *pl, *fire;
			struct sim_unit_spec *us = &sc->units[sc->n_units];
			static const char *const mu[] = {"id", "class", "count", "size", "spacing_m",
			                                 "placement", "fire", "moves_per_day", "speed_kmh",
			                                 "move_km", NULL};
			us->party = party;
			us->count = 1;
			us->spacing_m = 120;
			us->speed_kmh = 25;
			us->move_km = (struct sim_range){1, 5};
			if ((st = elem_object(units, k, up, q, &uo, err)) ||
			    (st = check_members(uo, q, mu, err)) ||
			    (st = class_(uo, q, "class", true, &us->cls, err)))
				return st;
			us->size = default_size(us->cls);
			snprintf(us->id, sizeof us->id, "%.40s-u%u", sc->agreement.parties[party], sc->n_units + 1);
			fire_defaults(sc, us->cls, &us->fire);
			if ((st = str(uo, q, "id", false, us->id, sizeof us->id - 8, true, NULL, err)) ||
			    (st = uint_(uo, q, "count", 1, 1000, &us->count, err)) ||
			    (st = uint_(uo, q, "size", 1, 100, &us->size, err)) ||
			    (st = num(uo, q, "spacing_m", NB(0, 5000), &us->spacing_m, err)) ||
			    (st = num(uo, q, "moves_per_day", NB(0, 100), &us->moves_per_day, err)) ||
			    (st = num(uo, q, "speed_kmh", NB_POS(200), &us->speed_kmh, err)) ||
			    (st = range(uo, q, "move_km", NB(0, 500), true, &us->move_km, err)) ||
			    (st = object(uo, q, "placement", &pl, err)) ||
			    (st = object(uo, q, "fire", &fire, err)))
				return st;
			if (!pl)
				return vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"placement\"", q);
			child(fp, q, "placement");
			if ((st = parse_place(sc, pl, fp, &us->place, false, err)))
				return st;
			if (us->place.mode == PLACE_HOLDING &&
			    sc->front.holding[us->place.holding].party != party)
				return vg_err_set(err, VG_ERR_RANGE,
				                  "%s.holding_area: belongs to the other party", fp);
			if (fire) {
				child(fp, q, "fire");
				if (!sc->weapons[us->cls].indirect)
					return vg_err_set(err, VG_ERR_RANGE,
					                  "%s: class %s is not an indirect-fire weapon", fp,
					                  vg_object_class_name(us->cls));
				if ((st = parse_fire(sc, fire, fp, &us->fire, err)))
					return st;
			}
			for (uint32_t j = 0; j < sc->n_units; j++)
				if (!strcmp(sc->units[j].id, us->id))
					return vg_err_set(err, VG_ERR_RANGE, "%s.id = \"%s\": duplicate", q, us->id);
			sc->n_units++;
		}
	}
	return VG_OK;
}

static vg_status parse_violations(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	json_t *arr;
	vg_status st = array(root, "scenario", "violations", &arr, err);
	if (st || !arr)
		return st;
	sc->viols = calloc(json_array_size(arr) + 1, sizeof *sc->viols);
	if (!sc->viols)
		return vg_err_set(err, VG_ERR_NOMEM, "violations");
	int64_t t_end = sc->start_ns + sc->duration_ns;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATH_MAX_], tname[32], pp[PATH_MAX_];
		json_t *o, *pl;
		struct sim_viol_spec *v = &sc->viols[i];
		if ((st = elem_object(arr, i, "scenario.violations", p, &o, err)) ||
		    (st = str(o, p, "type", true, tname, sizeof tname, false, NULL, err)) ||
		    (st = party_(sc, o, p, "party", true, &v->party, err)))
			return st;
		child(pp, p, "placement");
		if (!strcmp(tname, "fire")) {
			static const char *const m[] = {"type", "party", "class", "at", "rounds", "count",
			                                "interval_s", "placement", "target_km", NULL};
			v->type = VIOL_FIRE;
			v->count = 1;
			v->rounds = 1;
			if ((st = check_members(o, p, m, err)) ||
			    (st = class_(o, p, "class", true, &v->cls, err)))
				return st;
			struct sim_fire_spec fd;
			fire_defaults(sc, v->cls, &fd);
			v->interval_s = fd.interval_s;
			v->target_km = fd.target_km;
			if ((st = time_(o, p, "at", true, &v->at_ns, err)) ||
			    (st = uint_(o, p, "rounds", 1, 10000, &v->rounds, err)) ||
			    (st = uint_(o, p, "count", 1, 100, &v->count, err)) ||
			    (st = num(o, p, "interval_s", NB_POS(3600), &v->interval_s, err)) ||
			    (st = range(o, p, "target_km", NB(0, sc->front.depth_km), true, &v->target_km, err)))
				return st;
			if (!sc->weapons[v->cls].indirect)
				return vg_err_set(err, VG_ERR_RANGE, "%s.class = \"%s\": not an indirect-fire weapon",
				                  p, vg_object_class_name(v->cls));
			v->place.mode = PLACE_BAND;
			v->place.along_km = (struct sim_range){0, sc->front.length_km};
			double mx = sc->weapons[v->cls].max_range_km * 0.6;
			v->place.dist_km = (struct sim_range){mx > 2 ? 2 : mx * 0.5, mx};
		} else if (!strcmp(tname, "withdrawal")) {
			static const char *const m[] = {"type", "party", "class", "count", "from", "until",
			                                "placement", "origin_km", "speed_kmh", NULL};
			v->type = VIOL_WITHDRAWAL;
			v->count = 4;
			v->speed_kmh = 30;
			if ((st = check_members(o, p, m, err)) ||
			    (st = class_(o, p, "class", true, &v->cls, err)))
				return st;
			v->origin_km = sc->weapons[v->cls].withdrawal_km + 20;
			if ((st = uint_(o, p, "count", 1, 100, &v->count, err)) ||
			    (st = time_(o, p, "from", true, &v->from_ns, err)) ||
			    (st = time_(o, p, "until", true, &v->until_ns, err)) ||
			    (st = num(o, p, "origin_km", NB(0, sc->front.depth_km), &v->origin_km, err)) ||
			    (st = num(o, p, "speed_kmh", NB_POS(200), &v->speed_kmh, err)))
				return st;
			if (v->until_ns <= v->from_ns)
				return vg_err_set(err, VG_ERR_RANGE, "%s: until must be after from", p);
			if (!(sc->weapons[v->cls].withdrawal_km > 0))
				return vg_err_set(err, VG_ERR_RANGE,
				                  "%s.class = \"%s\": has no withdrawal distance", p,
				                  vg_object_class_name(v->cls));
		} else if (!strcmp(tname, "fortification")) {
			static const char *const m[] = {"type", "party", "at", "placement", "size_m", NULL};
			v->type = VIOL_FORTIFICATION;
			v->size_m = 200;
			if ((st = check_members(o, p, m, err)) ||
			    (st = time_(o, p, "at", true, &v->at_ns, err)) ||
			    (st = num(o, p, "size_m", NB(10, 5000), &v->size_m, err)))
				return st;
			v->place.mode = PLACE_BAND;
			v->place.along_km = (struct sim_range){0, sc->front.length_km};
			v->place.dist_km = (struct sim_range){1, sc->front.security_zone_km * 0.8};
		} else {
			return vg_err_set(err, VG_ERR_RANGE,
			                  "%s.type = \"%s\": must be fire, withdrawal or fortification", p,
			                  tname);
		}
		if ((st = object(o, p, "placement", &pl, err)))
			return st;
		if (pl && (st = parse_place(sc, pl, pp, &v->place, false, err)))
			return st;
		if (v->type == VIOL_WITHDRAWAL && (!pl || v->place.mode != PLACE_BAND))
			return vg_err_set(err, VG_ERR_MISSING,
			                  "%s.placement: a withdrawal needs along_km and distance_km", p);
		int64_t t = v->type == VIOL_WITHDRAWAL ? v->from_ns : v->at_ns;
		if (t < sc->start_ns || t >= t_end) {
			char ts[VG_TIME_STR_MAX];
			vg_time_format(t, ts);
			return vg_err_set(err, VG_ERR_RANGE, "%s.%s = %s: outside the scenario's span", p,
			                  v->type == VIOL_WITHDRAWAL ? "from" : "at", ts);
		}
		sc->n_viols++;
	}
	return VG_OK;
}

/* ---- Sensors -------------------------------------------------------------- */

static vg_status parse_acoustic(struct vg_sim_scenario *sc, json_t *arr, const char *path,
                                bool is_array, struct vg_err *err)
{
	vg_status st;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATH_MAX_], lay[16] = "grid";
		json_t *o, *pts;
		struct sim_acoustic_spec *a = &sc->acoustic[sc->n_acoustic++]; /* counted now: freed on failure */
		static const char *const m[] = {
			"prefix", "owner", "count", "layout", "along_km", "offset_km", "points",
			"timing_sigma_s", "survey_sigma_m", "noise_db", "threshold_db", "false_per_h",
			"outages_per_day", "outage_mean_h", "status_interval_s", "bad_clock_fraction",
			"bearing_floor_deg", "bearing_rise_deg", "latency", NULL};
		a->array = is_array;
		snprintf(a->prefix, sizeof a->prefix, "%s%zu", is_array ? "ar" : "ac", i + 1);
		strcpy(a->owner, "COAL");
		a->count = 10;
		a->along_km = (struct sim_range){0, sc->front.length_km};
		a->offset_km = (struct sim_range){-10, 10};
		a->timing_sigma_s = 1e-6;
		a->survey_sigma_m = 1.0;
		a->noise_db = sc->env.noise_db;
		a->threshold_db = sc->env.threshold_db;
		a->false_per_h = 1.0;
		a->outages_per_day = 0.2;
		a->outage_mean_h = 2;
		a->status_interval_s = 600;
		a->bearing_floor_deg = 2.0;
		a->bearing_rise_deg = 20.0;
		a->latency = (struct sim_latency){2.0, 0.5};
		if ((st = elem_object(arr, i, path, p, &o, err)) || (st = check_members(o, p, m, err)) ||
		    (st = str(o, p, "prefix", false, a->prefix, 24, true, NULL, err)) ||
		    (st = str(o, p, "owner", false, a->owner, sizeof a->owner, true, NULL, err)) ||
		    (st = uint_(o, p, "count", 0, SIM_MAX_SENSORS, &a->count, err)) ||
		    (st = str(o, p, "layout", false, lay, sizeof lay, false, NULL, err)) ||
		    (st = range(o, p, "along_km", NB(0, sc->front.length_km), false, &a->along_km, err)) ||
		    (st = range(o, p, "offset_km", NB(-sc->front.depth_km, sc->front.depth_km), true, &a->offset_km, err)) ||
		    (st = num(o, p, "timing_sigma_s", NB_POS(10), &a->timing_sigma_s, err)) ||
		    (st = num(o, p, "survey_sigma_m", NB(0, 1000), &a->survey_sigma_m, err)) ||
		    (st = num(o, p, "noise_db", NB(0, 140), &a->noise_db, err)) ||
		    (st = num(o, p, "threshold_db", NB(0, 60), &a->threshold_db, err)) ||
		    (st = num(o, p, "false_per_h", NB(0, 3600), &a->false_per_h, err)) ||
		    (st = num(o, p, "outages_per_day", NB(0, 100), &a->outages_per_day, err)) ||
		    (st = num(o, p, "outage_mean_h", NB_POS(1000), &a->outage_mean_h, err)) ||
		    (st = num(o, p, "status_interval_s", NB(10, 86400), &a->status_interval_s, err)) ||
		    (st = num(o, p, "bad_clock_fraction", NB(0, 1), &a->bad_clock_fraction, err)) ||
		    (st = num(o, p, "bearing_floor_deg", NB_POS(90), &a->bearing_floor_deg, err)) ||
		    (st = num(o, p, "bearing_rise_deg", NB(0, 180), &a->bearing_rise_deg, err)) ||
		    (st = latency(o, p, &a->latency, err)) || (st = array(o, p, "points", &pts, err)))
			return st;
		if (!is_array && (json_object_get(o, "bearing_floor_deg") || json_object_get(o, "bearing_rise_deg")))
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER,
			                  "%s: bearing_* members are for \"arrays\" only", p);
		if (!strcmp(lay, "grid"))
			a->layout = LAYOUT_GRID;
		else if (!strcmp(lay, "random"))
			a->layout = LAYOUT_RANDOM;
		else if (!strcmp(lay, "line"))
			a->layout = LAYOUT_LINE;
		else if (!strcmp(lay, "points"))
			a->layout = LAYOUT_POINTS;
		else
			return vg_err_set(err, VG_ERR_RANGE,
			                  "%s.layout = \"%s\": must be grid, random, line or points", p, lay);
		if ((a->layout == LAYOUT_POINTS) != (pts != NULL))
			return vg_err_set(err, VG_ERR_RANGE, "%s: \"points\" goes with layout \"points\"", p);
		if (pts) {
			char pp[PATH_MAX_], q[PATH_MAX_];
			child(pp, p, "points");
			a->n_points = (uint32_t)json_array_size(pts);
			a->count = a->n_points;
			a->points = calloc(a->n_points + 1, sizeof *a->points);
			if (!a->points)
				return vg_err_set(err, VG_ERR_NOMEM, "points");
			for (uint32_t k = 0; k < a->n_points; k++) {
				json_t *e;
				static const char *const mp[] = {"lat", "lon", NULL};
				if ((st = elem_object(pts, k, pp, q, &e, err)) ||
				    (st = check_members(e, q, mp, err)) ||
				    (st = num_req(e, q, "lat", NB(-89, 89), &a->points[k][0], err)) ||
				    (st = num_req(e, q, "lon", NB(-180, 180), &a->points[k][1], err)))
					return st;
			}
		}
	}
	return VG_OK;
}

static vg_status parse_radars(struct vg_sim_scenario *sc, json_t *arr, struct vg_err *err)
{
	vg_status st;
	sc->radars = calloc(json_array_size(arr) + 1, sizeof *sc->radars);
	if (!sc->radars)
		return vg_err_set(err, VG_ERR_NOMEM, "radars");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATH_MAX_];
		json_t *o;
		struct sim_radar_spec *r = &sc->radars[i];
		static const char *const m[] = {"id", "owner", "along_km", "offset_km", "lat", "lon",
		                                "facing_deg", "sector_deg", "range_km", "pd",
		                                "launch_cep_frac", "impact_cep_frac", "class_correct",
		                                "false_per_h", "track_s", "latency", NULL};
		snprintf(r->id, sizeof r->id, "cbr-%zu", i + 1);
		strcpy(r->owner, "COAL");
		r->sector_deg = 90;
		r->range_km = (struct sim_range){1, 30};
		r->pd = 0.85;
		r->launch_cep_frac = 0.004;
		r->impact_cep_frac = 0.01;
		r->class_correct = 0.85;
		r->false_per_h = 0.2;
		r->track_s = 8;
		r->latency = (struct sim_latency){3.0, 0.5};
		if ((st = elem_object(arr, i, "scenario.sensors.radars", p, &o, err)) ||
		    (st = check_members(o, p, m, err)) ||
		    (st = str(o, p, "id", false, r->id, sizeof r->id, true, NULL, err)) ||
		    (st = str(o, p, "owner", false, r->owner, sizeof r->owner, true, NULL, err)) ||
		    (st = num(o, p, "sector_deg", NB_POS(360), &r->sector_deg, err)) ||
		    (st = range(o, p, "range_km", NB(0, 500), false, &r->range_km, err)) ||
		    (st = num(o, p, "pd", NB(0, 1), &r->pd, err)) ||
		    (st = num(o, p, "launch_cep_frac", NB_POS(1), &r->launch_cep_frac, err)) ||
		    (st = num(o, p, "impact_cep_frac", NB_POS(1), &r->impact_cep_frac, err)) ||
		    (st = num(o, p, "class_correct", NB(0, 1), &r->class_correct, err)) ||
		    (st = num(o, p, "false_per_h", NB(0, 3600), &r->false_per_h, err)) ||
		    (st = num(o, p, "track_s", NB(0, 600), &r->track_s, err)) ||
		    (st = latency(o, p, &r->latency, err)))
			return st;
		if (json_object_get(o, "facing_deg")) {
			r->has_facing = true;
			if ((st = num(o, p, "facing_deg", NB(0, 360), &r->facing_deg, err)))
				return st;
		}
		/* Placement members sit in the radar object itself. */
		json_t *tmp = json_object();
		if (!tmp)
			return vg_err_set(err, VG_ERR_NOMEM, "radar placement");
		static const char *const pk[] = {"along_km", "offset_km", "lat", "lon"};
		for (size_t k = 0; k < 4; k++)
			if (json_object_get(o, pk[k]))
				json_object_set(tmp, pk[k], json_object_get(o, pk[k]));
		st = parse_place(sc, tmp, p, &r->place, true, err);
		json_decref(tmp);
		if (st)
			return st;
		sc->n_radars++;
	}
	return VG_OK;
}

static vg_status parse_drones(struct vg_sim_scenario *sc, json_t *arr, struct vg_err *err)
{
	vg_status st;
	sc->drones = calloc(json_array_size(arr) + 1, sizeof *sc->drones);
	if (!sc->drones)
		return vg_err_set(err, VG_ERR_NOMEM, "drones");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATH_MAX_];
		json_t *o;
		struct sim_drone_spec *d = &sc->drones[i];
		static const char *const m[] = {
			"id", "owner", "along_km", "offset_km", "speed_mps", "alt_m", "footprint_m",
			"endurance_h", "turnaround_h", "first_launch_h", "pd", "sigma_m", "nav_sigma_m",
			"class_correct", "false_per_km2", "jam_per_h", "jam_mean_min", "loss_per_flight",
			"frame_s", "status_interval_s", "latency", NULL};
		snprintf(d->id, sizeof d->id, "uav-%zu", i + 1);
		strcpy(d->owner, "COAL");
		d->along_km = (struct sim_range){0, sc->front.length_km < 40 ? sc->front.length_km : 40};
		d->offset_km = (struct sim_range){-10, 10};
		d->speed_mps = 30;
		d->alt_m = 1500;
		d->footprint_cross_m = 800;
		d->footprint_along_m = 600;
		d->endurance_h = 6;
		d->turnaround_h = 2;
		d->pd = 0.8;
		d->sigma_m = 20;
		d->nav_sigma_m = 5;
		d->class_correct = 0.8;
		d->false_per_km2 = 0.005;
		d->jam_per_h = 0.1;
		d->jam_mean_min = 20;
		d->loss_per_flight = 0.01;
		d->frame_s = 60;
		d->status_interval_s = 300;
		d->latency = (struct sim_latency){10.0, 0.5};
		if ((st = elem_object(arr, i, "scenario.sensors.drones", p, &o, err)) ||
		    (st = check_members(o, p, m, err)) ||
		    (st = str(o, p, "id", false, d->id, sizeof d->id, true, NULL, err)) ||
		    (st = str(o, p, "owner", false, d->owner, sizeof d->owner, true, NULL, err)) ||
		    (st = range(o, p, "along_km", NB(0, sc->front.length_km), false, &d->along_km, err)) ||
		    (st = range(o, p, "offset_km", NB(-sc->front.depth_km, sc->front.depth_km), false, &d->offset_km, err)) ||
		    (st = num(o, p, "speed_mps", NB(1, 300), &d->speed_mps, err)) ||
		    (st = num(o, p, "alt_m", NB(10, 20000), &d->alt_m, err)) ||
		    (st = num(o, p, "endurance_h", NB(0.1, 100), &d->endurance_h, err)) ||
		    (st = num(o, p, "turnaround_h", NB(0, 100), &d->turnaround_h, err)) ||
		    (st = num(o, p, "first_launch_h", NB(0, 1000), &d->first_launch_h, err)) ||
		    (st = num(o, p, "pd", NB(0, 1), &d->pd, err)) ||
		    (st = num(o, p, "sigma_m", NB_POS(10000), &d->sigma_m, err)) ||
		    (st = num(o, p, "nav_sigma_m", NB_POS(10000), &d->nav_sigma_m, err)) ||
		    (st = num(o, p, "class_correct", NB(0, 1), &d->class_correct, err)) ||
		    (st = num(o, p, "false_per_km2", NB(0, 100), &d->false_per_km2, err)) ||
		    (st = num(o, p, "jam_per_h", NB(0, 100), &d->jam_per_h, err)) ||
		    (st = num(o, p, "jam_mean_min", NB_POS(10000), &d->jam_mean_min, err)) ||
		    (st = num(o, p, "loss_per_flight", NB(0, 1), &d->loss_per_flight, err)) ||
		    (st = num(o, p, "frame_s", NB(1, 3600), &d->frame_s, err)) ||
		    (st = num(o, p, "status_interval_s", NB(10, 86400), &d->status_interval_s, err)) ||
		    (st = latency(o, p, &d->latency, err)))
			return st;
		/* footprint_m is [cross-track, along-track], not an interval. */
		json_t *f = json_object_get(o, "footprint_m");
		if (f) {
			char fpp[PATH_MAX_], q[PATH_MAX_];
			child(fpp, p, "footprint_m");
			if (!json_is_array(f) || json_array_size(f) != 2)
				return vg_err_set(err, VG_ERR_TYPE, "%s: must be [cross_track_m, along_track_m]", fpp);
			child_index(q, fpp, 0);
			if ((st = number_value(json_array_get(f, 0), q, NB(10, 50000), &d->footprint_cross_m, err)))
				return st;
			child_index(q, fpp, 1);
			if ((st = number_value(json_array_get(f, 1), q, NB(10, 50000), &d->footprint_along_m, err)))
				return st;
		}
		if (!(d->offset_km.hi - d->offset_km.lo >= 0) || d->along_km.hi - d->along_km.lo < 1)
			return vg_err_set(err, VG_ERR_RANGE, "%s.along_km: the patrol must be at least 1 km long", p);
		sc->n_drones++;
	}
	return VG_OK;
}

static vg_status parse_sats(struct vg_sim_scenario *sc, json_t *arr, struct vg_err *err)
{
	vg_status st;
	sc->sats = calloc(json_array_size(arr) + 1, sizeof *sc->sats);
	if (!sc->sats)
		return vg_err_set(err, VG_ERR_NOMEM, "satellites");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATH_MAX_], type[16];
		json_t *o;
		struct sim_sat_spec *s = &sc->sats[i];
		static const char *const m[] = {"id", "owner", "type", "first_pass_h", "revisit_h",
		                                "resolution_m", "geoloc_sigma_m", "scene_half_km",
		                                "cloud_cell_km", "pd_vehicle", "pd_fortification",
		                                "false_per_1000km2", "class_correct",
		                                "false_objects_per_1000km2", "latency_h", NULL};
		if ((st = elem_object(arr, i, "scenario.sensors.satellites", p, &o, err)) ||
		    (st = check_members(o, p, m, err)) ||
		    (st = str(o, p, "type", true, type, sizeof type, false, NULL, err)))
			return st;
		if (!strcmp(type, "sar")) {
			/* Sentinel-1: 10 m, all weather; PWTT recall 0.75. */
			s->type = SAT_SAR;
			s->resolution_m = 10;
			s->geoloc_sigma_m = 10;
			s->revisit_h = 144;
			s->pd_fortification = 0.75;
			s->pd_vehicle = 0.75;
			s->false_per_1000km2 = 0.5;
			s->latency_h = (struct sim_range){1, 6};
		} else if (!strcmp(type, "optical")) {
			/* Sentinel-2: 10 m, ~12 m geolocation, 5-day revisit. */
			s->type = SAT_OPTICAL;
			s->resolution_m = 10;
			s->geoloc_sigma_m = 12;
			s->revisit_h = 120;
			s->pd_fortification = 0.9;
			s->pd_vehicle = 0.9;
			s->false_per_1000km2 = 0.2;
			s->latency_h = (struct sim_range){2, 8};
		} else {
			return vg_err_set(err, VG_ERR_RANGE, "%s.type = \"%s\": must be optical or sar", p, type);
		}
		snprintf(s->id, sizeof s->id, "sat-%zu", i + 1);
		strcpy(s->owner, "COAL");
		s->first_pass_h = 1;
		s->scene_half_km = 60;
		s->cloud_cell_km = 10;
		s->class_correct = -1; /* by resolution, below */
		s->false_objects_per_1000km2 = 0.05;
		if ((st = str(o, p, "id", false, s->id, sizeof s->id, true, NULL, err)) ||
		    (st = str(o, p, "owner", false, s->owner, sizeof s->owner, true, NULL, err)) ||
		    (st = num(o, p, "first_pass_h", NB(0, 10000), &s->first_pass_h, err)) ||
		    (st = num(o, p, "revisit_h", NB(0.1, 10000), &s->revisit_h, err)) ||
		    (st = num(o, p, "resolution_m", NB(0.1, 1000), &s->resolution_m, err)) ||
		    (st = num(o, p, "geoloc_sigma_m", NB(0, 10000), &s->geoloc_sigma_m, err)) ||
		    (st = num(o, p, "scene_half_km", NB(1, 300), &s->scene_half_km, err)) ||
		    (st = num(o, p, "cloud_cell_km", NB(1, 100), &s->cloud_cell_km, err)) ||
		    (st = num(o, p, "pd_vehicle", NB(0, 1), &s->pd_vehicle, err)) ||
		    (st = num(o, p, "pd_fortification", NB(0, 1), &s->pd_fortification, err)) ||
		    (st = num(o, p, "false_per_1000km2", NB(0, 1000), &s->false_per_1000km2, err)) ||
		    (st = num(o, p, "class_correct", NB(0, 1), &s->class_correct, err)) ||
		    (st = num(o, p, "false_objects_per_1000km2", NB(0, 1000), &s->false_objects_per_1000km2,
		              err)) ||
		    (st = range(o, p, "latency_h", NB(0, 1000), false, &s->latency_h, err)))
			return st;
		/* Optical imagery of 1 m or finer tells vehicle types apart (xView:
		 * 60 classes, trucks and engineering vehicles among them, labelled
		 * on 0.3 m WorldView-3 scenes); how often it names a weapon's class
		 * right is assumed (0.7, below a drone's 0.8: straight down, no
		 * video). Coarser optical and SAR see that something is there. */
		if (s->class_correct < 0)
			s->class_correct = s->type == SAT_OPTICAL && s->resolution_m <= 1.0 ? 0.7 : 0;
		sc->n_sats++;
	}
	return VG_OK;
}

static vg_status parse_firms(struct vg_sim_scenario *sc, json_t *o, struct vg_err *err)
{
	struct sim_firms_spec *f = &sc->firms;
	const char *p = "scenario.sensors.firms";
	f->enabled = true;
	strcpy(f->owner, "NASA");
	f->n_sats = 3;
	f->overpass_local_h[0] = 1.5;
	f->overpass_local_h[1] = 13.5;
	f->spacing_min = 50;
	f->pixel_m = 375;
	f->geoloc_sigma_m = 100;
	f->frp_detect_mw = 1.0;
	f->false_per_1000km2 = 0.05;
	f->scene_half_km = 60;
	f->latency_h = (struct sim_range){0.5, 3};
	static const char *const m[] = {"enabled", "owner", "satellites", "overpass_local_h",
	                                "spacing_min", "pixel_m", "geoloc_sigma_m", "frp_detect_mw",
	                                "false_per_1000km2", "scene_half_km", "latency_h", NULL};
	struct sim_range ov = {f->overpass_local_h[0], f->overpass_local_h[1]};
	vg_status st;
	if ((st = check_members(o, p, m, err)) || (st = boolean(o, p, "enabled", &f->enabled, err)) ||
	    (st = str(o, p, "owner", false, f->owner, sizeof f->owner, true, NULL, err)) ||
	    (st = uint_(o, p, "satellites", 1, 3, &f->n_sats, err)) ||
	    (st = range(o, p, "overpass_local_h", NB(0, 24), false, &ov, err)) ||
	    (st = num(o, p, "spacing_min", NB(0, 600), &f->spacing_min, err)) ||
	    (st = num(o, p, "pixel_m", NB(1, 10000), &f->pixel_m, err)) ||
	    (st = num(o, p, "geoloc_sigma_m", NB(0, 10000), &f->geoloc_sigma_m, err)) ||
	    (st = num(o, p, "frp_detect_mw", NB_POS(10000), &f->frp_detect_mw, err)) ||
	    (st = num(o, p, "false_per_1000km2", NB(0, 1000), &f->false_per_1000km2, err)) ||
	    (st = num(o, p, "scene_half_km", NB(1, 300), &f->scene_half_km, err)) ||
	    (st = range(o, p, "latency_h", NB(0, 1000), false, &f->latency_h, err)))
		return st;
	f->overpass_local_h[0] = ov.lo;
	f->overpass_local_h[1] = ov.hi;
	return VG_OK;
}

static vg_status parse_sensors(struct vg_sim_scenario *sc, json_t *root, struct vg_err *err)
{
	json_t *o, *ac, *ar, *ra, *dr, *sa, *fi;
	const char *p = "scenario.sensors";
	vg_status st = object(root, "scenario", "sensors", &o, err);
	if (st || !o)
		return st;
	static const char *const m[] = {"acoustic", "arrays", "radars", "drones", "satellites",
	                                "firms", NULL};
	if ((st = check_members(o, p, m, err)) || (st = array(o, p, "acoustic", &ac, err)) ||
	    (st = array(o, p, "arrays", &ar, err)) || (st = array(o, p, "radars", &ra, err)) ||
	    (st = array(o, p, "drones", &dr, err)) || (st = array(o, p, "satellites", &sa, err)) ||
	    (st = object(o, p, "firms", &fi, err)))
		return st;
	size_t n = (ac ? json_array_size(ac) : 0) + (ar ? json_array_size(ar) : 0);
	sc->acoustic = calloc(n + 1, sizeof *sc->acoustic);
	if (!sc->acoustic)
		return vg_err_set(err, VG_ERR_NOMEM, "acoustic");
	if ((ac && (st = parse_acoustic(sc, ac, "scenario.sensors.acoustic", false, err))) ||
	    (ar && (st = parse_acoustic(sc, ar, "scenario.sensors.arrays", true, err))) ||
	    (ra && (st = parse_radars(sc, ra, err))) || (dr && (st = parse_drones(sc, dr, err))) ||
	    (sa && (st = parse_sats(sc, sa, err))) || (fi && (st = parse_firms(sc, fi, err))))
		return st;
	uint64_t total = 0;
	for (uint32_t i = 0; i < sc->n_acoustic; i++)
		total += sc->acoustic[i].count;
	if (total > SIM_MAX_SENSORS)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: %llu acoustic sensors, over the limit %d", p,
		                  (unsigned long long)total, SIM_MAX_SENSORS);
	return VG_OK;
}

/* ---- Entry points --------------------------------------------------------- */

vg_status vg_sim_scenario_parse(const char *text, size_t len, const char *base_dir,
                                struct vg_sim_scenario **out, struct vg_err *err)
{
	if (len > SCENARIO_MAX_BYTES)
		return vg_err_set(err, VG_ERR_LIMIT, "scenario of %zu bytes, over the limit %u", len,
		                  SCENARIO_MAX_BYTES);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return vg_err_set(err, VG_ERR_JSON, "scenario: line %d column %d: %s", je.line,
		                  je.column, je.text);
	struct vg_sim_scenario *sc = calloc(1, sizeof *sc);
	vg_status st;
	if (!sc) {
		st = vg_err_set(err, VG_ERR_NOMEM, "scenario");
		goto out_root;
	}
	if (!json_is_object(root)) {
		st = vg_err_set(err, VG_ERR_TYPE, "scenario: must be an object, not %s", vg_cj_type_word(root));
		goto out_free;
	}
	static const char *const m[] = {"name", "description", "start", "duration_h", "agreement",
	                                "front", "environment", "weapons", "forces", "violations",
	                                "sensors", NULL};
	double dur_h = 24;
	char desc[4096];
	if ((st = check_members(root, "scenario", m, err)) ||
	    (st = str(root, "scenario", "name", true, sc->name, sizeof sc->name, true, NULL, err)) ||
	    (st = str(root, "scenario", "description", false, desc, sizeof desc, false, NULL, err)) ||
	    (st = time_(root, "scenario", "start", true, &sc->start_ns, err)) ||
	    (st = num(root, "scenario", "duration_h", NB_POS(240), &dur_h, err)))
		goto out_free;
	sc->duration_ns = (int64_t)llround(dur_h * 3600.0 * 1e9);
	if ((st = parse_agreement(sc, root, err)) || (st = parse_front(sc, root, base_dir, err)) ||
	    (st = parse_env(sc, root, err)) || (st = parse_weapons(sc, root, err)) ||
	    (st = parse_forces(sc, root, err)) || (st = parse_violations(sc, root, err)) ||
	    (st = parse_sensors(sc, root, err)))
		goto out_free;
	json_decref(root);
	*out = sc;
	return VG_OK;

out_free:
	vg_sim_scenario_free(sc);
out_root:
	json_decref(root);
	return st;
}

vg_status vg_sim_scenario_load(const char *path, struct vg_sim_scenario **out, struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	char *buf = malloc(SCENARIO_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return vg_err_set(err, VG_ERR_NOMEM, "%s: reading", path);
	}
	size_t n = fread(buf, 1, SCENARIO_MAX_BYTES + 1, f);
	bool bad = ferror(f);
	fclose(f);
	vg_status st;
	if (bad)
		st = vg_err_set(err, VG_ERR_IO, "%s: read error", path);
	else if (n > SCENARIO_MAX_BYTES)
		st = vg_err_set(err, VG_ERR_LIMIT, "%s: over %u bytes", path, SCENARIO_MAX_BYTES);
	else {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			strcpy(dir, ".");
		st = vg_sim_scenario_parse(buf, n, dir, out, err);
	}
	if (st && st != VG_ERR_IO && st != VG_ERR_LIMIT)
		vg_err_prefix(err, "%s", path);
	free(buf);
	return st;
}

void vg_sim_scenario_free(struct vg_sim_scenario *sc)
{
	if (!sc)
		return;
	for (uint32_t i = 0; i < sc->n_acoustic; i++)
		free(sc->acoustic[i].points);
	free(sc->acoustic);
	for (uint32_t i = 0; i < sc->front.n_holding; i++)
		free(sc->front.holding[i].ring_ll);
	free(sc->front.holding);
	free(sc->front.file_bytes);
	free(sc->agreement.weapon_classes_json);
	free(sc->agreement.rules_json);
	free(sc->front.line_ll);
	free(sc->front.side_ll[0]);
	free(sc->front.side_ll[1]);
	free(sc->front.zone_ll);
	free(sc->units);
	free(sc->viols);
	free(sc->radars);
	free(sc->drones);
	free(sc->sats);
	free(sc);
}

const char *vg_sim_scenario_name(const struct vg_sim_scenario *sc) { return sc->name; }
int64_t vg_sim_scenario_start_ns(const struct vg_sim_scenario *sc) { return sc->start_ns; }
int64_t vg_sim_scenario_duration_ns(const struct vg_sim_scenario *sc) { return sc->duration_ns; }

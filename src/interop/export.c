/*
 * export.c - events, findings and the agreement as KML and GeoJSON
 * (interop.h; docs/cli.md "GIS exports").
 *
 * Attributes go into KML ExtendedData/Data (KML 2.2 section 9.3: untyped
 * name/value pairs, which GDAL's KML and LIBKML drivers read as fields):
 * strings as they are, integers in decimal, other numbers with "%.15g"
 * (DBL_DIG: gives back the decimal the record wrote, which has fewer
 * significant digits), booleans true/false, nested objects flattened as
 * parent_child, arrays as compact JSON, nulls left out. Member order is the
 * record's (jansson keeps insertion order), so output is deterministic.
 *
 * The agreement's GeoJSON is written by hand rather than by re-dumping the
 * parsed document, so that every coordinate gets the same fixed format and
 * every ring the RFC 7946 orientation (exterior counterclockwise, holes
 * clockwise); the feature properties and the "agreement" header are dumped
 * by jansson (compact, 15 significant digits).
 */
#include "interop/interop.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Attributes ------------------------------------------------------------------ */

static void data_json(struct vg_kml *k, const char *prefix, json_t *obj)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		char name[160], val[64];
		if (prefix)
			snprintf(name, sizeof name, "%s_%s", prefix, key);
		else
			snprintf(name, sizeof name, "%s", key);
		if (json_is_string(v)) {
			vg_kml_data(k, name, json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
			vg_kml_data(k, name, val);
		} else if (json_is_real(v)) {
			snprintf(val, sizeof val, "%.15g", json_real_value(v));
			vg_kml_data(k, name, val);
		} else if (json_is_boolean(v)) {
			vg_kml_data(k, name, json_is_true(v) ? "true" : "false");
		} else if (json_is_object(v) && !prefix) {
			data_json(k, name, v);
		} else if (!json_is_null(v)) {
			char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
			vg_kml_data(k, name, txt ? txt : "");
			free(txt);
		}
	}
}

static bool get_num(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out);
}

/* ---- Events ------------------------------------------------------------------------ */

static const char *const event_types[] = {"launch", "impact", "explosion", "fire"};

void vg_interop_kml_events_begin(struct vg_kml *k, FILE *f)
{
	vg_kml_begin(k, f, "Vigil events",
	             "Fused events: the origin point and the 90 % error ellipse of each "
	             "(docs/fusion.md)");
	vg_kml_style(k, "type-launch", 0xff0000ffu, 2, 0x400000ffu, 0xff0000ffu);
	vg_kml_style(k, "type-impact", 0xff800080u, 2, 0x40800080u, 0xff800080u);
	vg_kml_style(k, "type-explosion", 0xff008cffu, 2, 0x40008cffu, 0xff008cffu);
	vg_kml_style(k, "type-fire", 0xff0045ffu, 2, 0x400045ffu, 0xff0045ffu);
	vg_kml_style(k, "type-other", 0xff808080u, 2, 0x40808080u, 0xff808080u);
	vg_kml_folder_begin(k, "Events");
}

vg_status vg_interop_kml_event(struct vg_kml *k, const char *record, size_t len, struct vg_err *err)
{
	json_error_t je;
	json_t *o = json_loadb(record, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return vg_err_set(err, VG_ERR_JSON, "event record: column %d: %s", je.column, je.text);
	vg_status st = VG_OK;
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *time = json_string_value(json_object_get(o, "time"));
	double lat, lon, smaj = NAN, smin = NAN, az = NAN, cep90 = NAN;
	int64_t t_ns;
	if (!json_is_object(o)) {
		st = vg_err_set(err, VG_ERR_TYPE, "event record: want an object");
		goto out;
	}
	if (!id || !type || !time) {
		st = vg_err_set(err, VG_ERR_MISSING, "event record: %s: missing or not a string",
		                !id ? "id" : !type ? "type" : "time");
		goto out;
	}
	if (vg_time_parse(time, strlen(time), &t_ns, err)) {
		vg_err_prefix(err, "event %.64s: time", id);
		st = err ? err->status : VG_ERR_TIME;
		goto out;
	}
	if (!get_num(o, "lat", &lat) || !get_num(o, "lon", &lon) || lat < -90 || lat > 90 ||
	    lon < -180 || lon > 180) {
		st = vg_err_set(err, VG_ERR_RANGE, "event %.64s: lat, lon: missing or outside CRS84", id);
		goto out;
	}
	json_t *el = json_object_get(o, "ellipse");
	get_num(el, "smaj_m", &smaj);
	get_num(el, "smin_m", &smin);
	get_num(el, "az_deg", &az);
	get_num(o, "cep90_m", &cep90);
	double ring[VG_INTEROP_ELLIPSE_N + 1][2];
	bool has_ring = vg_interop_ellipse_ring(lat, lon, smaj, smin, az, ring);

	char style[32] = "type-other";
	for (size_t i = 0; i < sizeof event_types / sizeof *event_types; i++)
		if (!strcmp(type, event_types[i]))
			snprintf(style, sizeof style, "type-%s", event_types[i]);
	const char *cls = json_string_value(json_object_get(o, "class"));
	char desc[512], n1[64], n2[64];
	int w = snprintf(desc, sizeof desc, "%.32s at %s, %s N %s E", type, time,
	                 vg_interop_num(n1, lat, 6), vg_interop_num(n2, lon, 6));
	if (has_ring && w > 0 && (size_t)w < sizeof desc)
		w += snprintf(desc + w, sizeof desc - (size_t)w,
		              "; 90 %% ellipse %.1f x %.1f m, major axis %.0f deg", smaj * VG_INTEROP_K90,
		              smin * VG_INTEROP_K90, az);
	if (isfinite(cep90) && w > 0 && (size_t)w < sizeof desc)
		w += snprintf(desc + w, sizeof desc - (size_t)w, "; CEP90 %.1f m", cep90);
	if (cls && w > 0 && (size_t)w < sizeof desc)
		snprintf(desc + w, sizeof desc - (size_t)w, "; class %.64s", cls);

	vg_kml_placemark_begin(k, id, style);
	vg_kml_description(k, desc);
	vg_kml_timestamp(k, t_ns);
	data_json(k, NULL, o);
	if (has_ring) {
		const double(*rings[1])[2] = {(const double(*)[2])ring};
		size_t rn[1] = {VG_INTEROP_ELLIPSE_N + 1};
		vg_kml_multi_begin(k);
		vg_kml_point(k, lon, lat);
		vg_kml_polygon(k, rings, rn, 1);
		vg_kml_multi_end(k);
	} else {
		vg_kml_point(k, lon, lat);
	}
	vg_kml_placemark_end(k);
out:
	json_decref(o);
	return st;
}

vg_status vg_interop_kml_events_end(struct vg_kml *k, struct vg_err *err)
{
	vg_kml_folder_end(k);
	return vg_kml_end(k, err);
}

/* ---- Findings ----------------------------------------------------------------------- */

void vg_interop_kml_findings_begin(struct vg_kml *k, FILE *f)
{
	vg_kml_begin(k, f, "Vigil findings",
	             "Findings of the agreement's rules: the place and, where its covariance "
	             "allows, the 90 % error ellipse of each (docs/rules.md)");
	vg_kml_style(k, "grade-confirmed", 0xff0000ffu, 2, 0x400000ffu, 0xff0000ffu);
	vg_kml_style(k, "grade-probable", 0xff008cffu, 2, 0x40008cffu, 0xff008cffu);
	vg_kml_style(k, "grade-possible", 0xff00d7ffu, 2, 0x4000d7ffu, 0xff00d7ffu);
	vg_kml_folder_begin(k, "Findings");
}

vg_status vg_interop_kml_finding(struct vg_kml *k, const struct vg_finding *x, struct vg_err *err)
{
	if (!isfinite(x->lat_deg) || !isfinite(x->lon_deg) || x->lat_deg < -90 || x->lat_deg > 90 ||
	    x->lon_deg < -180 || x->lon_deg > 180)
		return vg_err_set(err, VG_ERR_RANGE, "finding %s: lat, lon outside CRS84", x->id);
	/* the members exactly as the NDJSON has them */
	char *buf = NULL;
	size_t blen = 0;
	vg_status rs = vg_finding_record(x, &buf, &blen, err);
	if (rs)
		return rs;
	json_error_t je;
	json_t *o = json_loadb(buf, blen, 0, &je);
	free(buf);
	if (!json_is_object(o)) {
		json_decref(o);
		return vg_err_set(err, VG_ERR_INTERNAL, "finding %s: NDJSON does not parse: %s", x->id,
		                  je.text);
	}
	double smaj, smin, az, ring[VG_INTEROP_ELLIPSE_N + 1][2];
	bool has_ring = vg_interop_cov_ellipse(x->cov_m2, &smaj, &smin, &az) &&
	                vg_interop_ellipse_ring(x->lat_deg, x->lon_deg, smaj, smin, az, ring);
	const char *grade = vg_grade_name(x->grade) ? vg_grade_name(x->grade) : "possible";
	char style[32], desc[512], n1[64], n2[64];
	snprintf(style, sizeof style, "grade-%s", grade);
	int w = snprintf(desc, sizeof desc, "%s %s (rule %s): %u %s at %s N %s E, %.1f km from the line",
	                 grade, vg_rule_type_name(x->rule) ? vg_rule_type_name(x->rule) : "?", x->rule_id,
	                 x->count, x->class_name[0] ? x->class_name : "items",
	                 vg_interop_num(n1, x->lat_deg, 6), vg_interop_num(n2, x->lon_deg, 6),
	                 x->line_dist_m / 1000);
	if (x->party[0] && w > 0 && (size_t)w < sizeof desc)
		w += snprintf(desc + w, sizeof desc - (size_t)w, "; party %s (p %.2f)", x->party, x->p_party);
	if (w > 0 && (size_t)w < sizeof desc)
		snprintf(desc + w, sizeof desc - (size_t)w, "; %u sensors of %u owners, %u modalities",
		         x->n_sensors, x->n_owners, x->n_modalities);

	vg_kml_placemark_begin(k, x->id, style);
	vg_kml_description(k, desc);
	vg_kml_timespan(k, x->from_ns, x->until_ns);
	data_json(k, NULL, o);
	if (has_ring) {
		const double(*rings[1])[2] = {(const double(*)[2])ring};
		size_t rn[1] = {VG_INTEROP_ELLIPSE_N + 1};
		vg_kml_multi_begin(k);
		vg_kml_point(k, x->lon_deg, x->lat_deg);
		vg_kml_polygon(k, rings, rn, 1);
		vg_kml_multi_end(k);
	} else {
		vg_kml_point(k, x->lon_deg, x->lat_deg);
	}
	vg_kml_placemark_end(k);
	json_decref(o);
	return VG_OK;
}

vg_status vg_interop_kml_findings_end(struct vg_kml *k, struct vg_err *err)
{
	vg_kml_folder_end(k);
	return vg_kml_end(k, err);
}

/* ---- Agreement geometry ------------------------------------------------------------------ */

#define MAX_RINGS (1u << 20)

struct ring {
	double (*p)[2];
	size_t n;
};

/* A feature's geometry: parts (polylines, or polygons of part_rings[i]
 * rings each), rings in order. */
struct geom {
	const char *type;     /* as the document has it */
	bool area;
	size_t n_parts;
	size_t *part_rings;
	size_t n_rings;
	struct ring *rings;
};

static void geom_release(struct geom *g)
{
	for (size_t i = 0; i < g->n_rings; i++)
		free(g->rings[i].p);
	free(g->rings);
	free(g->part_rings);
	memset(g, 0, sizeof *g);
}

static vg_status read_ring(json_t *arr, struct geom *g, const char *path, struct vg_err *err)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n == 0)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want an array of positions", path);
	if (g->n_rings >= MAX_RINGS)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: more than %u rings or lines", path, MAX_RINGS);
	struct ring *nr = realloc(g->rings, (g->n_rings + 1) * sizeof *nr);
	if (!nr)
		return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
	g->rings = nr;
	struct ring *r = &g->rings[g->n_rings];
	r->n = 0;
	r->p = malloc(n * sizeof *r->p);
	if (!r->p)
		return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
	g->n_rings++;
	for (size_t i = 0; i < n; i++) {
		json_t *pos = json_array_get(arr, i);
		json_t *x = json_array_get(pos, 0), *y = json_array_get(pos, 1);
		if (!json_is_number(x) || !json_is_number(y))
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s[%zu]: want [lon, lat]", path, i);
		r->p[i][0] = json_number_value(x);
		r->p[i][1] = json_number_value(y);
		if (!isfinite(r->p[i][0]) || !isfinite(r->p[i][1]) || fabs(r->p[i][0]) > 180 ||
		    fabs(r->p[i][1]) > 90)
			return vg_err_set(err, VG_ERR_GEOMETRY, "%s[%zu]: outside CRS84 ranges", path, i);
		r->n++;
	}
	return VG_OK;
}

static vg_status add_part(struct geom *g, size_t rings, const char *path, struct vg_err *err)
{
	size_t *np = realloc(g->part_rings, (g->n_parts + 1) * sizeof *np);
	if (!np)
		return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
	g->part_rings = np;
	g->part_rings[g->n_parts++] = rings;
	return VG_OK;
}

/* A polygon: an array of rings. */
static vg_status read_polygon(json_t *arr, struct geom *g, const char *path, struct vg_err *err)
{
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want an array of rings", path);
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) {
		char p[256];
		snprintf(p, sizeof p, "%.200s[%zu]", path, i);
		vg_status st = read_ring(r, g, p, err);
		if (st)
			return st;
	}
	return add_part(g, json_array_size(arr), path, err);
}

static vg_status read_geom(json_t *geom, struct geom *g, const char *path, struct vg_err *err)
{
	memset(g, 0, sizeof *g);
	const char *type = json_string_value(json_object_get(geom, "type"));
	json_t *c = json_object_get(geom, "coordinates");
	char p[160];
	snprintf(p, sizeof p, "%s.coordinates", path);
	if (!type || !json_is_array(c))
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: want a type and coordinates", path);
	g->type = type;
	size_t i;
	json_t *e;
	vg_status st;
	if (!strcmp(type, "LineString")) {
		if ((st = read_ring(c, g, p, err)) || (st = add_part(g, 1, p, err)))
			return st;
	} else if (!strcmp(type, "MultiLineString")) {
		json_array_foreach(c, i, e) {
			char q[200];
			snprintf(q, sizeof q, "%.160s[%zu]", p, i);
			if ((st = read_ring(e, g, q, err)) || (st = add_part(g, 1, q, err)))
				return st;
		}
	} else if (!strcmp(type, "Polygon")) {
		g->area = true;
		if ((st = read_polygon(c, g, p, err)))
			return st;
	} else if (!strcmp(type, "MultiPolygon")) {
		g->area = true;
		json_array_foreach(c, i, e) {
			char q[200];
			snprintf(q, sizeof q, "%.160s[%zu]", p, i);
			if ((st = read_polygon(e, g, q, err)))
				return st;
		}
	} else {
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s.type = \"%.32s\": want LineString, "
		                  "MultiLineString, Polygon or MultiPolygon", path, type);
	}
	if (g->n_parts == 0)
		return vg_err_set(err, VG_ERR_GEOMETRY, "%s: empty", p);
	return VG_OK;
}

static void put_coords(FILE *f, const struct ring *r, bool rev)
{
	char a[64], b[64];
	fputc('[', f);
	for (size_t i = 0; i < r->n; i++) {
		const double *q = r->p[rev ? r->n - 1 - i : i];
		fprintf(f, "%s[%s,%s]", i ? "," : "", vg_interop_num(a, q[0], VG_INTEROP_COORD_DECIMALS),
		        vg_interop_num(b, q[1], VG_INTEROP_COORD_DECIMALS));
	}
	fputc(']', f);
}

static void geojson_geom(FILE *f, const struct geom *g)
{
	bool multi = !strncmp(g->type, "Multi", 5);
	fprintf(f, "{\"type\":\"%s\",\"coordinates\":", g->type);
	if (multi)
		fputc('[', f);
	size_t r = 0;
	for (size_t p = 0; p < g->n_parts; p++) {
		if (p)
			fputc(',', f);
		if (g->area)
			fputc('[', f);
		for (size_t k = 0; k < g->part_rings[p]; k++, r++) {
			if (k)
				fputc(',', f);
			double a2 = vg_interop_ring_area2((const double(*)[2])g->rings[r].p, g->rings[r].n);
			bool rev = g->area && (k == 0 ? a2 < 0 : a2 > 0);
			put_coords(f, &g->rings[r], rev);
		}
		if (g->area)
			fputc(']', f);
	}
	if (multi)
		fputc(']', f);
	fputc('}', f);
}

static void kml_geom(struct vg_kml *k, const struct geom *g)
{
	bool multi = g->n_parts > 1;
	if (multi)
		vg_kml_multi_begin(k);
	size_t r = 0;
	for (size_t p = 0; p < g->n_parts; p++) {
		if (!g->area) {
			vg_kml_linestring(k, (const double(*)[2])g->rings[r].p, g->rings[r].n);
			r++;
			continue;
		}
		size_t nr = g->part_rings[p];
		const double(**rings)[2] = malloc(nr * sizeof *rings);
		size_t *rn = malloc(nr * sizeof *rn);
		if (rings && rn) {
			for (size_t i = 0; i < nr; i++) {
				rings[i] = (const double(*)[2])g->rings[r + i].p;
				rn[i] = g->rings[r + i].n;
			}
			vg_kml_polygon(k, rings, rn, nr);
		} else {
			vg_kml_polygon(k, NULL, NULL, 0); /* recorded as an error by the writer */
		}
		free(rings);
		free(rn);
		r += nr;
	}
	if (multi)
		vg_kml_multi_end(k);
}

/* Parse and validate; the caller decrefs *doc. */
static vg_status load_doc(const char *text, size_t len, json_t **doc, struct vg_err *err)
{
	struct vg_agreement *ag = NULL;
	vg_status st = vg_agreement_parse(text, len, &ag, err);
	if (st)
		return st;
	vg_agreement_free(ag);
	json_error_t je;
	*doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*doc)
		return vg_err_set(err, VG_ERR_JSON, "line %d column %d: %s", je.line, je.column, je.text);
	return VG_OK;
}

vg_status vg_interop_agreement_geojson(const char *text, size_t len, FILE *out, struct vg_err *err)
{
	json_t *doc;
	vg_status st = load_doc(text, len, &doc, err);
	if (st)
		return st;
	const size_t DUMP = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
	char *hdr = json_dumps(json_object_get(doc, "agreement"), DUMP);
	if (!hdr) {
		st = vg_err_set(err, VG_ERR_NOMEM, "agreement");
		goto out;
	}
	fprintf(out, "{\"type\":\"FeatureCollection\",\"agreement\":%s,\"features\":[", hdr);
	free(hdr);
	json_t *feats = json_object_get(doc, "features"), *f;
	size_t i;
	json_array_foreach(feats, i, f) {
		char path[64];
		snprintf(path, sizeof path, "features[%zu].geometry", i);
		struct geom g;
		if ((st = read_geom(json_object_get(f, "geometry"), &g, path, err))) {
			geom_release(&g);
			goto out;
		}
		char *id = json_dumps(json_object_get(f, "id"), DUMP);
		char *props = json_dumps(json_object_get(f, "properties"), DUMP);
		if (id && props) {
			fprintf(out, "%s\n{\"type\":\"Feature\",\"id\":%s,\"geometry\":", i ? "," : "", id);
			geojson_geom(out, &g);
			fprintf(out, ",\"properties\":%s}", props);
		} else {
			st = vg_err_set(err, VG_ERR_NOMEM, "features[%zu]", i);
		}
		free(id);
		free(props);
		geom_release(&g);
		if (st)
			goto out;
	}
	fputs("\n]}\n", out);
	if (fflush(out) != 0 || ferror(out))
		st = vg_err_set(err, VG_ERR_IO, "writing GeoJSON: output error");
out:
	json_decref(doc);
	return st;
}

/* 8 party colours (aabbggrr): the "tab10" palette of matplotlib/Vega. */
static const uint32_t party_colors[VG_AG_MAX_PARTIES] = {
	0xffb4771fu, 0xff2827d6u, 0xff2ca02cu, 0xffbd6794u,
	0xff4b568cu, 0xffc277e3u, 0xff22bdbcu, 0xffcfbe17u,
};

static int party_index(json_t *parties, const char *p)
{
	size_t i;
	json_t *e;
	json_array_foreach(parties, i, e)
		if (p && json_is_string(e) && !strcmp(json_string_value(e), p))
			return (int)i;
	return -1;
}

vg_status vg_interop_agreement_kml(const char *text, size_t len, FILE *out, struct vg_err *err)
{
	json_t *doc;
	vg_status st = load_doc(text, len, &doc, err);
	if (st)
		return st;
	json_t *h = json_object_get(doc, "agreement"), *parties = json_object_get(h, "parties");
	json_t *feats = json_object_get(doc, "features");
	/* the description: parties and effective time */
	char desc[1024];
	int w = snprintf(desc, sizeof desc, "Ceasefire agreement, version %lld; parties:",
	                 json_is_integer(json_object_get(h, "version"))
	                         ? (long long)json_integer_value(json_object_get(h, "version"))
	                         : 1LL);
	size_t i;
	json_t *e;
	json_array_foreach(parties, i, e)
		if (w > 0 && (size_t)w < sizeof desc)
			w += snprintf(desc + w, sizeof desc - (size_t)w, "%s %s", i ? "," : "",
			              json_string_value(e));
	if (w > 0 && (size_t)w < sizeof desc)
		snprintf(desc + w, sizeof desc - (size_t)w, "; effective %.40s",
		         json_string_value(json_object_get(h, "effective")));

	struct vg_kml k;
	vg_kml_begin(&k, out, json_string_value(json_object_get(h, "name")), desc);
	vg_kml_style(&k, "contact-line", 0xff000000u, 3, 0, 0);
	vg_kml_style(&k, "reference-line", 0xff808080u, 2, 0, 0);
	vg_kml_style(&k, "zone", 0xff00ffffu, 1.5, 0x3300ffffu, 0);
	json_array_foreach(parties, i, e) {
		char id[32];
		snprintf(id, sizeof id, "party-%zu", i);
		vg_kml_style(&k, id, party_colors[i % VG_AG_MAX_PARTIES], 1.5,
		             (party_colors[i % VG_AG_MAX_PARTIES] & 0x00ffffffu) | 0x40000000u, 0);
	}
	static const char *const folders[3] = {"Lines", "Sides", "Zones"};
	for (int pass = 0; pass < 3 && !st; pass++) {
		bool opened = false;
		json_array_foreach(feats, i, e) {
			json_t *props = json_object_get(e, "properties");
			const char *role = json_string_value(json_object_get(props, "role"));
			int want = !role ? -1 : !strcmp(role, "side") ? 1 : !strcmp(role, "zone") ? 2 : 0;
			if (want != pass)
				continue;
			char path[64];
			snprintf(path, sizeof path, "features[%zu].geometry", i);
			struct geom g;
			if ((st = read_geom(json_object_get(e, "geometry"), &g, path, err))) {
				geom_release(&g);
				break;
			}
			if (!opened) {
				vg_kml_folder_begin(&k, folders[pass]);
				opened = true;
			}
			const char *id = json_string_value(json_object_get(e, "id"));
			const char *name = json_string_value(json_object_get(props, "name"));
			const char *party = json_string_value(json_object_get(props, "party"));
			const char *zone = json_string_value(json_object_get(props, "zone"));
			int pi = party_index(parties, party);
			char style[32], d[256];
			if (!strcmp(role, "contact_line"))
				snprintf(style, sizeof style, "contact-line");
			else if (!strcmp(role, "reference_line"))
				snprintf(style, sizeof style, "reference-line");
			else if (pi >= 0)
				snprintf(style, sizeof style, "party-%d", pi);
			else
				snprintf(style, sizeof style, "zone");
			if (pass == 0)
				snprintf(d, sizeof d, "%s%s%.64s", !strcmp(role, "contact_line") ? "contact line"
				         : "reference line", party ? " of party " : "", party ? party : "");
			else if (pass == 1)
				snprintf(d, sizeof d, "side of party %.64s", party ? party : "?");
			else
				snprintf(d, sizeof d, "zone %.64s%s%.64s", zone ? zone : "?",
				         party ? " of party " : "", party ? party : "");
			vg_kml_placemark_begin(&k, name ? name : id, style);
			vg_kml_description(&k, d);
			vg_kml_data(&k, "id", id);
			data_json(&k, NULL, props);
			kml_geom(&k, &g);
			vg_kml_placemark_end(&k);
			geom_release(&g);
		}
		if (opened)
			vg_kml_folder_end(&k);
	}
	vg_status st2 = vg_kml_end(&k, st ? NULL : err);
	json_decref(doc);
	return st ? st : st2;
}

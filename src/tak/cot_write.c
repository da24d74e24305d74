/*
 * cot_write.c - fused events and findings as CoT 2.0 events (tak.h).
 *
 * One message per record: an XML declaration and
 *   <event version="2.0" uid type time start stale how="m-f">
 *     <point lat lon hae ce le/>
 *     <detail><contact callsign/><remarks>..</remarks><vigil .../><link .../></detail>
 *   </event>
 * on one line. The CoT Event schema (MITRE Event-PUBLIC.xsd) defines
 * `time` as when the event was generated, `start`/`stale` as the interval
 * in which it is valid, and `ce` as "the one sigma point for a zero mean
 * normal distribution" in metres (9999999: unknown). Vigil's location
 * errors are bivariate normal ellipses, so `ce` is the ellipse's 1-sigma
 * semi-major axis: the radius of the smallest circle holding the 1-sigma
 * ellipse, i.e. the one-sigma error along the worst direction. CEP50 and
 * CEP90 would state other quantiles (1.18 and 2.15 sigma for a circular
 * error) and overstate the sigma a CoT consumer expects; they travel in
 * the <vigil> element instead, with the full ellipse. Heights are not
 * estimated: hae and le are 9999999.
 *
 * Times are written in milliseconds (floor), the form TAK clients write;
 * the exact times are in <vigil>. Numbers have fixed decimals and no -0,
 * strings are XML-escaped (control characters as character references or
 * dropped), so the same record gives the same bytes.
 */
#include "tak/tak.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_tak_opts_init(struct vg_tak_opts *o)
{
	memset(o, 0, sizeof *o);
	o->uid_prefix = "vigil";
	o->affiliation = 'h';
	o->event_ttl_ns = 3600 * VG_NS_PER_S;
	o->finding_ttl_ns = 86400 * VG_NS_PER_S;
}

/* ---- A bounded output buffer ---------------------------------------------- */

struct obuf {
	char *p;
	size_t cap, len;
	bool over;
};

static void put(struct obuf *b, const char *fmt, ...) VG_PRINTF(2, 3);
static void put(struct obuf *b, const char *fmt, ...)
{
	if (b->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->over = true;
		return;
	}
	b->len += (size_t)n;
}

/* XML-escape s (attribute or text): & < > " ' as entities, tab/newline/CR
 * as character references (kept through attribute normalisation), other
 * control characters (not allowed in XML 1.0) dropped. Identifiers (uid,
 * callsign: printable on the wire, as the reader wants them) get a space
 * for tab, newline and CR. */
static void put_esc_id(struct obuf *b, const char *s, bool id)
{
	for (; *s && !b->over; s++) {
		unsigned char c = (unsigned char)*s;
		if (id && (c == '\t' || c == '\n' || c == '\r'))
			c = ' ';
		switch (c) {
		case '&': put(b, "&amp;"); break;
		case '<': put(b, "&lt;"); break;
		case '>': put(b, "&gt;"); break;
		case '"': put(b, "&quot;"); break;
		case '\'': put(b, "&apos;"); break;
		case '\t': put(b, "&#9;"); break;
		case '\n': put(b, "&#10;"); break;
		case '\r': put(b, "&#13;"); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				put(b, "%c", c);
		}
	}
}

static void put_esc(struct obuf *b, const char *s)
{
	put_esc_id(b, s, false);
}

/* A number with fixed decimals, never "-0". */
static void put_num(struct obuf *b, double v, int dec)
{
	char t[512]; /* |v| < 1.8e308: at most 309 digits, a point and dec <= 8 decimals */
	snprintf(t, sizeof t, "%.*f", dec, v);
	if (t[0] == '-' && strspn(t + 1, "0.") == strlen(t + 1))
		memmove(t, t + 1, strlen(t));
	put(b, "%s", t);
}

/* " name=\"value\"" with value escaped. */
static void attr_s(struct obuf *b, const char *name, const char *v)
{
	put(b, " %s=\"", name);
	put_esc(b, v);
	put(b, "\"");
}

static void attr_n(struct obuf *b, const char *name, double v, int dec)
{
	put(b, " %s=\"", name);
	put_num(b, v, dec);
	put(b, "\"");
}

/* CoT time: UTC, milliseconds (floor). */
static void cot_time(int64_t t_ns, char out[VG_TIME_STR_MAX])
{
	int64_t ms = t_ns / 1000000 - (t_ns % 1000000 < 0);
	int64_t s = ms / 1000 - (ms % 1000 < 0);
	int r = (int)(ms - s * 1000);
	char b[VG_TIME_STR_MAX];
	vg_time_format(s * VG_NS_PER_S, b);
	b[strlen(b) - 1] = '\0'; /* the 'Z' */
	snprintf(out, VG_TIME_STR_MAX, "%.20s.%03dZ", b, r);
}

/* ---- Reading records -------------------------------------------------------- */

#define TIME_MIN_NS (INT64_C(-2208988800) * VG_NS_PER_S) /* 1900-01-01 */
#define TIME_MAX_NS (INT64_C(7258118400) * VG_NS_PER_S)  /* 2200-01-01 */

struct rec {
	json_t *j;
	const char *what;         /* "event record", "finding record" */
	struct vg_err *err;
	vg_status st;
};

static const char *rstr(struct rec *r, const char *key, bool required)
{
	json_t *v = json_object_get(r->j, key);
	if (!v) {
		if (required && !r->st)
			r->st = vg_err_set(r->err, VG_ERR_MISSING, "%s: %s: missing", r->what, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		if (!r->st)
			r->st = vg_err_set(r->err, VG_ERR_TYPE, "%s: %s: want a string", r->what, key);
		return NULL;
	}
	return json_string_value(v);
}

static bool rnum(struct rec *r, json_t *o, const char *key, bool required, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required && !r->st)
			r->st = vg_err_set(r->err, VG_ERR_MISSING, "%s: %s: missing", r->what, key);
		return false;
	}
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		if (!r->st)
			r->st = vg_err_set(r->err, VG_ERR_TYPE, "%s: %s: want a number", r->what, key);
		return false;
	}
	*out = json_number_value(v);
	return true;
}

static bool rtime(struct rec *r, const char *key, bool required, int64_t *out)
{
	const char *s = rstr(r, key, required);
	if (!s)
		return false;
	struct vg_err e;
	if (vg_time_parse(s, strlen(s), out, &e) != VG_OK) {
		if (!r->st)
			r->st = vg_err_set(r->err, VG_ERR_TIME, "%s: %s: %s", r->what, key, e.msg);
		return false;
	}
	/* 1900..2200: far from the ends of int64 ns, so adding a TTL (a year at
	 * most) and flooring to milliseconds cannot overflow */
	if (*out < TIME_MIN_NS || *out > TIME_MAX_NS) {
		if (!r->st)
			r->st = vg_err_set(r->err, VG_ERR_TIME, "%s: %s = \"%.40s\": outside 1900..2200", r->what,
			                   key, s);
		return false;
	}
	return true;
}

static bool rpos(struct rec *r, double *lat, double *lon)
{
	if (!rnum(r, r->j, "lat", true, lat) || !rnum(r, r->j, "lon", true, lon))
		return false;
	if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
		r->st = vg_err_set(r->err, VG_ERR_RANGE, "%s: lat, lon = %g, %g: not a position", r->what,
		                   *lat, *lon);
		return false;
	}
	return true;
}

/* sqrt of the larger eigenvalue of a 2x2 covariance [[ee, en], [en, nn]] (m^2). */
static bool cov_smaj(json_t *cov, double *out)
{
	if (!json_is_array(cov) || json_array_size(cov) != 2)
		return false;
	json_t *r0 = json_array_get(cov, 0), *r1 = json_array_get(cov, 1);
	if (!json_is_array(r0) || !json_is_array(r1))
		return false;
	double a = json_number_value(json_array_get(r0, 0)), b = json_number_value(json_array_get(r0, 1));
	double d = json_number_value(json_array_get(r1, 1));
	if (!isfinite(a) || !isfinite(b) || !isfinite(d) || a < 0 || d < 0)
		return false;
	double m = (a + d) / 2, h = hypot((a - d) / 2, b);
	*out = sqrt(m + h);
	return true;
}

/* Up to max integers of an array, space-separated. Returns the count. */
static size_t put_ints(struct obuf *b, json_t *arr, size_t max)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v))
			continue;
		if (n < max)
			put(b, n ? " %lld" : "%lld", (long long)json_integer_value(v));
		n++;
	}
	return n;
}

static size_t count_ints(json_t *arr)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(arr, i, v)
		n += json_is_integer(v) != 0;
	return n;
}

static vg_status load(struct rec *r, const char *what, const char *record, size_t len,
                      struct vg_err *err)
{
	json_error_t je;
	r->what = what;
	r->err = err;
	r->st = VG_OK;
	r->j = json_loadb(record, len, JSON_REJECT_DUPLICATES, &je);
	if (!r->j)
		return vg_err_set(err, VG_ERR_JSON, "%s: %s (column %d)", what, je.text, je.column);
	if (!json_is_object(r->j)) {
		json_decref(r->j);
		return vg_err_set(err, VG_ERR_TYPE, "%s: want a JSON object", what);
	}
	return VG_OK;
}

static bool id_ok(const char *s)
{
	return s && *s && strlen(s) <= VG_ID_MAX;
}

/* The head: declaration, <event ...>, <point/>, <detail><contact/><remarks>. */
static void head(struct obuf *b, const struct vg_tak_opts *o, const char *what, const char *id,
                 const char *type, int64_t t_ns, int64_t start_ns, int64_t ttl_ns, double lat,
                 double lon, double ce, const char *callsign, const char *remarks)
{
	char t[VG_TIME_STR_MAX], s[VG_TIME_STR_MAX], z[VG_TIME_STR_MAX];
	if (t_ns < start_ns) /* generated before it started: not from fusion, but keep stale >= start */
		t_ns = start_ns;
	cot_time(t_ns, t);
	cot_time(start_ns, s);
	const int64_t year = 366 * 86400 * VG_NS_PER_S;
	cot_time(t_ns + (ttl_ns < 0 ? 0 : ttl_ns > year ? year : ttl_ns), z);
	put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><event version=\"2.0\" uid=\"");
	put_esc_id(b, o->uid_prefix && *o->uid_prefix ? o->uid_prefix : "vigil", true);
	put(b, "-%s-", what);
	put_esc_id(b, id, true);
	put(b, "\" type=\"%s\" time=\"%s\" start=\"%s\" stale=\"%s\" how=\"m-f\">", type, t, s, z);
	put(b, "<point");
	attr_n(b, "lat", lat, 8);
	attr_n(b, "lon", lon, 8);
	put(b, " hae=\"9999999.0\"");
	if (ce >= 0 && ce < VG_TAK_UNKNOWN)
		attr_n(b, "ce", ce, 2);
	else
		put(b, " ce=\"9999999.0\"");
	put(b, " le=\"9999999.0\"/><detail><contact callsign=\"");
	put_esc_id(b, callsign, true);
	put(b, "\"");
	put(b, "/><remarks>");
	put_esc(b, remarks);
	put(b, "</remarks>");
}

static void put_link(struct obuf *b, const struct vg_tak_opts *o, const char *event_id,
                 const char *relation)
{
	put(b, "<link uid=\"");
	put_esc_id(b, o->uid_prefix && *o->uid_prefix ? o->uid_prefix : "vigil", true);
	put(b, "-event-");
	put_esc_id(b, event_id, true);
	put(b, "\" type=\"b-d\" relation=\"%s\"/>", relation);
}

static vg_status finish(struct obuf *b, struct rec *r, char *out, size_t *len, struct vg_err *err)
{
	put(b, "</detail></event>");
	json_decref(r->j);
	if (b->over) {
		out[0] = '\0';
		return vg_err_set(err, VG_ERR_LIMIT, "%s: the CoT message exceeds %zu bytes", r->what, b->cap);
	}
	*len = b->len;
	return VG_OK;
}

static void atom(char *out, size_t cap, char aff, const char *path)
{
	snprintf(out, cap, "a-%c-%s", aff, path);
}

static char affiliation(const struct vg_tak_opts *o)
{
	return o->affiliation && strchr("hsun", o->affiliation) ? o->affiliation : 'h';
}

/* ---- Events ----------------------------------------------------------------- */

vg_status vg_tak_event_cot(const struct vg_tak_opts *o, const char *record, size_t rec_len,
                           char *out, size_t cap, size_t *len, struct vg_err *err)
{
	struct rec r;
	vg_status st = load(&r, "event record", record, rec_len, err);
	if (st)
		return st;
	double lat = 0, lon = 0;
	int64_t t_ns = 0, emitted_ns = 0;
	const char *id = rstr(&r, "id", true), *type = rstr(&r, "type", true);
	const char *cls = rstr(&r, "class", false), *pair = rstr(&r, "pair", false);
	rtime(&r, "time", true, &t_ns);
	rpos(&r, &lat, &lon);
	if (!rtime(&r, "emitted", false, &emitted_ns))
		emitted_ns = t_ns;
	if (!r.st && !id_ok(id))
		r.st = vg_err_set(err, VG_ERR_RANGE, "event record: id: want 1..%d bytes", VG_ID_MAX);
	if (!r.st && strcmp(type, "launch") && strcmp(type, "impact") && strcmp(type, "explosion"))
		r.st = vg_err_set(err, VG_ERR_CLASS, "event record %s: type = \"%.32s\": want launch, impact "
		                                     "or explosion", id, type);
	if (r.st) {
		json_decref(r.j);
		return r.st;
	}
	int c = cls ? vg_object_class_parse(cls) : -1;
	char cot_type[64];
	if (!strcmp(type, "launch") && c > VG_CLS_UNKNOWN)
		atom(cot_type, sizeof cot_type, affiliation(o), vg_tak_class_path(c));
	else
		snprintf(cot_type, sizeof cot_type, "%s",
		         !strcmp(type, "launch") ? "b-d-l" : !strcmp(type, "impact") ? "b-d-i" : "b-d-a-i");

	json_t *el = json_object_get(r.j, "ellipse");
	double smaj = -1, smin = -1, az = 0, cep50 = -1, cep90 = -1, v;
	bool has_el = json_is_object(el) && rnum(&r, el, "smaj_m", false, &smaj) &&
	              rnum(&r, el, "smin_m", false, &smin) && rnum(&r, el, "az_deg", false, &az) &&
	              smaj >= 0 && smin >= 0;
	r.st = VG_OK; /* optional members of the wrong type are left out */
	double ce = -1;
	if (has_el)
		ce = smaj;
	else if (!cov_smaj(json_object_get(r.j, "cov_m2"), &ce))
		ce = -1;
	rnum(&r, r.j, "cep50_m", false, &cep50);
	rnum(&r, r.j, "cep90_m", false, &cep90);
	r.st = VG_OK;
	if (ce < 0 && cep90 >= 0)
		ce = cep90 / 2.1460; /* circular: CEP90 = sqrt(-2 ln 0.1) sigma */

	char tt[VG_TIME_STR_MAX], remarks[512], callsign[96];
	vg_time_format(t_ns, tt);
	json_t *arr = json_object_get(r.j, "arrivals"), *radar = json_object_get(r.j, "radar");
	json_t *obs = json_object_get(r.j, "obs");
	double n_arr = 0, n_radar = 0;
	rnum(&r, r.j, "n_arrivals", false, &n_arr);
	rnum(&r, r.j, "n_radar", false, &n_radar);
	r.st = VG_OK;
	int rn = snprintf(remarks, sizeof remarks, "Vigil fused %s", type);
	if (cls && c > VG_CLS_UNKNOWN)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " (%s)", cls);
	rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " at %s", tt);
	if (cep90 >= 0)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, ", CEP90 %.1f m", cep90);
	snprintf(remarks + rn, sizeof remarks - (size_t)rn, ", %.0f arrivals, %.0f radar reports [%s]",
	         n_arr, n_radar, id);
	snprintf(callsign, sizeof callsign, "%s %s", type, id);

	struct obuf b = {.p = out, .cap = cap};
	head(&b, o, "event", id, cot_type, emitted_ns, t_ns, o->event_ttl_ns, lat, lon, ce, callsign,
	     remarks);
	put(&b, "<vigil kind=\"event\"");
	attr_s(&b, "id", id);
	attr_s(&b, "type", type);
	attr_s(&b, "time", tt);
	if (rnum(&r, r.j, "time_sigma_s", false, &v))
		attr_n(&b, "time_sigma_s", v, 6);
	if (has_el) {
		attr_n(&b, "smaj_m", smaj, 3);
		attr_n(&b, "smin_m", smin, 3);
		attr_n(&b, "az_deg", az, 2);
	}
	if (cep50 >= 0)
		attr_n(&b, "cep50_m", cep50, 3);
	if (cep90 >= 0)
		attr_n(&b, "cep90_m", cep90, 3);
	if (cls)
		attr_s(&b, "class", cls);
	if (rnum(&r, r.j, "p_launch", false, &v))
		attr_n(&b, "p_launch", v, 4);
	if (pair)
		attr_s(&b, "pair", pair);
	if (rnum(&r, r.j, "tof_s", false, &v))
		attr_n(&b, "tof_s", v, 3);
	if (rnum(&r, r.j, "n_arrivals", false, &v))
		attr_n(&b, "n_arrivals", v, 0);
	if (rnum(&r, r.j, "n_bearings", false, &v))
		attr_n(&b, "n_bearings", v, 0);
	if (rnum(&r, r.j, "n_radar", false, &v))
		attr_n(&b, "n_radar", v, 0);
	r.st = VG_OK;
	/* evidence: the log indices of the arrivals and radar reports (the
	 * store row ids, "obs", for observations that had no log index) */
	bool rows = json_is_array(obs) && json_array_size(obs) > 0;
	size_t n_ev = rows ? count_ints(obs) : count_ints(arr) + count_ints(radar);
	put(&b, " evidence_of=\"%s\" n_evidence=\"%zu\" evidence=\"", rows ? "row" : "log", n_ev);
	if (rows) {
		put_ints(&b, obs, VG_TAK_EVIDENCE_MAX);
	} else {
		size_t k = put_ints(&b, arr, VG_TAK_EVIDENCE_MAX);
		if (k && k < VG_TAK_EVIDENCE_MAX && count_ints(radar))
			put(&b, " ");
		if (k < VG_TAK_EVIDENCE_MAX)
			put_ints(&b, radar, VG_TAK_EVIDENCE_MAX - k);
	}
	put(&b, "\"/>");
	/* the paired event: its launch produced this impact, or this launch's impact */
	if (pair && id_ok(pair))
		put_link(&b, o, pair, !strcmp(type, "launch") ? "c" : "p-p");
	return finish(&b, &r, out, len, err);
}

/* ---- Findings --------------------------------------------------------------- */

/* A no_fire finding is placed at its mission's launches, or at its impacts
 * when it has none: which, the event index says. */
static const char *no_fire_type(const struct vg_tak_opts *o, json_t *events, int cls, char *buf,
                                size_t cap)
{
	size_t i, known = 0, launch = 0, impact = 0;
	json_t *v;
	json_array_foreach(events, i, v) {
		const char *t = json_is_string(v) ? vg_tak_event_index_type(o->events, json_string_value(v))
		                                  : NULL;
		if (!t)
			continue;
		known++;
		launch += !strcmp(t, "launch");
		impact += !strcmp(t, "impact");
	}
	if (launch) {
		if (cls > VG_CLS_UNKNOWN) {
			atom(buf, cap, affiliation(o), vg_tak_class_path(cls));
			return buf;
		}
		return "b-d-l";
	}
	if (known)
		return impact ? "b-d-i" : "b-d-a-i";
	return "b-d"; /* not known what the mission's items were: a detection */
}

vg_status vg_tak_finding_cot(const struct vg_tak_opts *o, const char *record, size_t rec_len,
                             char *out, size_t cap, size_t *len, struct vg_err *err)
{
	struct rec r;
	vg_status st = load(&r, "finding record", record, rec_len, err);
	if (st)
		return st;
	double lat = 0, lon = 0, v;
	int64_t from_ns = 0, until_ns = 0;
	const char *id = rstr(&r, "id", true), *rule = rstr(&r, "rule", true);
	rtime(&r, "from", true, &from_ns);
	rtime(&r, "until", true, &until_ns);
	rpos(&r, &lat, &lon);
	if (!r.st && !id_ok(id))
		r.st = vg_err_set(err, VG_ERR_RANGE, "finding record: id: want 1..%d bytes", VG_ID_MAX);
	if (r.st) {
		json_decref(r.j);
		return r.st;
	}
	const char *rule_id = rstr(&r, "rule_id", false), *party = rstr(&r, "party", false);
	const char *grade = rstr(&r, "grade", false), *cls = rstr(&r, "class", false);
	r.st = VG_OK;
	int c = cls ? vg_object_class_parse(cls) : -1;
	json_t *events = json_object_get(r.j, "events"), *evidence = json_object_get(r.j, "evidence");
	char tb[64];
	const char *cot_type;
	char aff = affiliation(o);
	if (!strcmp(rule, "no_fire")) {
		cot_type = no_fire_type(o, events, c, tb, sizeof tb);
	} else if (!strcmp(rule, "withdrawal") || !strcmp(rule, "no_fly") || !strcmp(rule, "disengagement") ||
	           !strcmp(rule, "zone_cap")) {
		const char *path = c >= VG_CLS_UNKNOWN         ? vg_tak_class_path(c)
		                   : !strcmp(rule, "no_fly")   ? "A"    /* Air track */
		                   : !strcmp(rule, "disengagement") ? "G-U" /* UNIT */
		                                                    : "G-E-W"; /* WEAPON */
		atom(tb, sizeof tb, aff, path);
		cot_type = tb;
	} else if (!strcmp(rule, "no_new_fortification")) {
		atom(tb, sizeof tb, aff, "G-I"); /* installation */
		cot_type = tb;
	} else {
		cot_type = "b-d";
	}

	double ce = -1, cep90 = -1, p_party = -1, line = -1, count = -1, zcap = -1;
	if (!cov_smaj(json_object_get(r.j, "cov_m2"), &ce))
		ce = -1;
	rnum(&r, r.j, "cep90_m", false, &cep90);
	rnum(&r, r.j, "p_party", false, &p_party);
	rnum(&r, r.j, "line_dist_m", false, &line);
	rnum(&r, r.j, "count", false, &count);
	rnum(&r, r.j, "cap", false, &zcap);
	r.st = VG_OK;
	if (ce < 0 && cep90 >= 0)
		ce = cep90 / 2.1460;

	char t0[VG_TIME_STR_MAX], t1[VG_TIME_STR_MAX], remarks[640], callsign[96];
	vg_time_format(from_ns, t0);
	vg_time_format(until_ns, t1);
	int rn = snprintf(remarks, sizeof remarks, "Vigil finding %s: %.40s", id, rule);
	if (rule_id)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " (rule %.40s)", rule_id);
	if (party && *party) {
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " by %.40s", party);
		if (p_party >= 0)
			rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " (p %.2f)", p_party);
	}
	if (grade)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, ", %.16s", grade);
	if (cls)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, "; %.40s", cls);
	if (count >= 0)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " x%.0f", count);
	if (zcap >= 0)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, " (cap %.0f)", zcap);
	rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, "; %s to %s", t0, t1);
	if (cep90 >= 0)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, "; CEP90 %.1f m", cep90);
	if (line >= 0)
		rn += snprintf(remarks + rn, sizeof remarks - (size_t)rn, "; %.0f m from the line", line);
	snprintf(remarks + rn, sizeof remarks - (size_t)rn, "; %zu log entries of evidence",
	         count_ints(evidence));
	snprintf(callsign, sizeof callsign, "%.40s %s", rule, id);

	struct obuf b = {.p = out, .cap = cap};
	head(&b, o, "finding", id, cot_type, until_ns, from_ns, o->finding_ttl_ns, lat, lon, ce,
	     callsign, remarks);
	put(&b, "<vigil kind=\"finding\"");
	attr_s(&b, "id", id);
	attr_s(&b, "rule", rule);
	if (rule_id)
		attr_s(&b, "rule_id", rule_id);
	if (party && *party)
		attr_s(&b, "party", party);
	if (p_party >= 0)
		attr_n(&b, "p_party", p_party, 4);
	if (grade)
		attr_s(&b, "grade", grade);
	attr_s(&b, "from", t0);
	attr_s(&b, "until", t1);
	if (cep90 >= 0)
		attr_n(&b, "cep90_m", cep90, 1);
	if (line >= 0)
		attr_n(&b, "line_dist_m", line, 1);
	if (cls)
		attr_s(&b, "class", cls);
	if (count >= 0)
		attr_n(&b, "count", count, 0);
	if (zcap >= 0)
		attr_n(&b, "cap", zcap, 0);
	static const char *const ints[] = {"sensors", "owners", "modalities", "agreement_version"};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if (rnum(&r, r.j, ints[i], false, &v))
			attr_n(&b, ints[i], v, 0);
	r.st = VG_OK;
	size_t n_events = 0, i;
	json_t *e;
	put(&b, " events=\"");
	json_array_foreach(events, i, e) {
		if (!json_is_string(e))
			continue;
		if (n_events < VG_TAK_EVENTS_MAX) {
			if (n_events)
				put(&b, " ");
			put_esc(&b, json_string_value(e));
		}
		n_events++;
	}
	put(&b, "\" n_events=\"%zu\" evidence_of=\"log\" n_evidence=\"%zu\" evidence=\"", n_events,
	    count_ints(evidence));
	put_ints(&b, evidence, VG_TAK_EVIDENCE_MAX);
	put(&b, "\"/>");
	size_t n_links = 0;
	json_array_foreach(events, i, e) {
		if (n_links == VG_TAK_LINKS_MAX)
			break;
		if (json_is_string(e) && id_ok(json_string_value(e))) {
			put_link(&b, o, json_string_value(e), "c");
			n_links++;
		}
	}
	return finish(&b, &r, out, len, err);
}

vg_status vg_tak_forward(vg_tak_sender *s, const struct vg_tak_opts *o, const char *kind,
                         const char *record, size_t len, struct vg_err *err)
{
	char *buf = malloc(VG_TAK_OUT_MAX);
	if (!buf)
		return vg_err_set(err, VG_ERR_NOMEM, "CoT buffer");
	size_t n = 0;
	vg_status st;
	if (!strcmp(kind, "event"))
		st = vg_tak_event_cot(o, record, len, buf, VG_TAK_OUT_MAX, &n, err);
	else if (!strcmp(kind, "finding"))
		st = vg_tak_finding_cot(o, record, len, buf, VG_TAK_OUT_MAX, &n, err);
	else
		st = vg_err_set(err, VG_ERR_INVALID_ARG, "kind = \"%.16s\": want event or finding", kind);
	if (!st)
		st = vg_tak_sender_send(s, buf, n, err);
	free(buf);
	return st;
}

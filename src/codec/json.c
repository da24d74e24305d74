/*
 * json.c - the strict JSON front end shared by envelopes, observations and
 * registry lines: a linear lexical pre-scan (depth, negative zero, number
 * length, raw control characters) before jansson sees the text, then
 * jansson with duplicate keys and NUL rejected, then typed member readers
 * whose messages name the member path and the value.
 *
 * Why a pre-scan: jansson accepts "-0" (a distinct double that compares
 * equal to 0 and breaks "same input, same bytes" reasoning), recurses to
 * depth 2048, and reports raw control characters no better than "invalid
 * token". The scan is one pass over the bytes, tracking only whether it is
 * inside a string and whether the previous byte was a backslash.
 */
#include "codec/codec_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX_CHARS 40

void vg_cj_path(char out[VG_CJ_PATH_MAX], const char *parent, const char *key)
{
	if (!parent || !parent[0])
		snprintf(out, VG_CJ_PATH_MAX, "%s", key);
	else
		snprintf(out, VG_CJ_PATH_MAX, "%s.%s", parent, key);
}

void vg_cj_path_index(char out[VG_CJ_PATH_MAX], const char *parent, size_t i)
{
	snprintf(out, VG_CJ_PATH_MAX, "%s[%zu]", parent, i);
}

void vg_cj_fmt_double(double x, char buf[32])
{
	if (x == 0) {
		strcpy(buf, "0"); /* also for -0: never write what we would refuse */
		return;
	}
	/* Integers that a double holds exactly print as integers (no "1e+05"). */
	if (fabs(x) < 1e15 && x == trunc(x)) {
		snprintf(buf, 32, "%.0f", x);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, 32, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

vg_status vg_json_prescan(const char *s, size_t len, struct vg_err *err)
{
	size_t depth = 0;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			i++;
			while (i < len && s[i] != '"') {
				unsigned char d = (unsigned char)s[i];
				if (d == '\\') {
					/* The escaped byte is data, whatever it is,
					 * except a raw control character. */
					if (++i >= len)
						break;
					d = (unsigned char)s[i];
				}
				if (d < 0x20)
					return vg_err_set(err, VG_ERR_JSON,
					                  "offset %zu: raw control character 0x%02x in a string "
					                  "(escape it)",
					                  i, d);
				i++;
			}
			i++; /* the closing quote; past the end if unterminated */
			continue;
		}
		if (c == '[' || c == '{') {
			if (++depth > VG_JSON_DEPTH_MAX)
				return vg_err_set(err, VG_ERR_JSON, "offset %zu: nesting deeper than %d levels",
				                  i, VG_JSON_DEPTH_MAX);
			i++;
		} else if (c == ']' || c == '}') {
			if (depth)
				depth--;
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			while (i < len && is_number_char(s[i]))
				i++;
			size_t n = i - start;
			char q[64];
			if (n > NUMBER_MAX_CHARS) {
				vg_quote(s + start, n, q, sizeof q);
				return vg_err_set(err, VG_ERR_NUMBER,
				                  "offset %zu: number %s has %zu characters, over the limit %d",
				                  start, q, n, NUMBER_MAX_CHARS);
			}
			if (c == '-') {
				size_t digits = 0, nonzero = 0;
				for (size_t j = start + 1; j < i && s[j] != 'e' && s[j] != 'E'; j++) {
					if (s[j] >= '0' && s[j] <= '9') {
						digits++;
						nonzero += s[j] != '0';
					}
				}
				if (digits && !nonzero) {
					vg_quote(s + start, n, q, sizeof q);
					return vg_err_set(err, VG_ERR_NUMBER,
					                  "offset %zu: negative zero %s is not accepted", start, q);
				}
			}
		} else {
			i++;
		}
	}
	return VG_OK;
}

vg_status vg_cj_load(const char *s, size_t len, const char *what, json_t **out, struct vg_err *err)
{
	size_t bad = 0;
	if (!vg_utf8_valid(s, len, &bad))
		return vg_err_set(err, VG_ERR_UTF8, "%s%soffset %zu: invalid UTF-8 (byte 0x%02x)", what,
		                  what[0] ? ": " : "", bad, (unsigned char)s[bad]);
	vg_status st = vg_json_prescan(s, len, err);
	if (st) {
		if (what[0])
			vg_err_prefix(err, "%s", what);
		return st;
	}
	json_error_t je;
	json_t *root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* jansson quotes the offending token; keep the message printable. */
		for (char *p = je.text; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		enum json_error_code code = json_error_code(&je);
		st = code == json_error_numeric_overflow ? VG_ERR_NUMBER
		     : code == json_error_out_of_memory  ? VG_ERR_NOMEM
		                                         : VG_ERR_JSON;
		/* NDJSON lines are one line; a pretty-printed payload may not be. */
		char where[48] = "";
		if (je.line > 1)
			snprintf(where, sizeof where, "line %d ", je.line);
		return vg_err_set(err, st, "%s%s%scolumn %d: %s", what, what[0] ? ": " : "", where,
		                  je.column, je.text);
	}
	*out = root;
	return VG_OK;
}

/* A member name for a message: bare if tame, else quoted and escaped. */
static void key_word(const char *key, char *out, size_t cap)
{
	size_t n = strlen(key);
	bool tame = n > 0 && n <= 48;
	for (size_t i = 0; tame && i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		tame = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '-';
	}
	if (tame)
		snprintf(out, cap, "%s", key);
	else
		vg_quote(key, n, out, cap);
}

vg_status vg_cj_members(json_t *obj, const char *path, const char *const *allowed,
                        struct vg_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			char kw[64], full[VG_CJ_PATH_MAX];
			key_word(key, kw, sizeof kw);
			vg_cj_path(full, path, kw);
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER, "%s: unknown member", full);
		}
	}
	return VG_OK;
}

const char *vg_cj_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Fetch obj[key]; NULL with *st == VG_OK if absent and optional. */
static json_t *member(json_t *obj, const char *path, const char *key, bool required,
                      bool *present, vg_status *st, struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	*st = VG_OK;
	if (present)
		*present = v != NULL;
	if (!v && required) {
		if (path && path[0])
			*st = vg_err_set(err, VG_ERR_MISSING, "%s: missing member \"%s\"", path, key);
		else
			*st = vg_err_set(err, VG_ERR_MISSING, "missing member \"%s\"", key);
	}
	return v;
}

static vg_status type_error(json_t *v, const char *full, const char *want, struct vg_err *err)
{
	return vg_err_set(err, VG_ERR_TYPE, "%s: must be %s, not %s", full, want, vg_cj_type_word(v));
}

vg_status vg_cj_object(json_t *obj, const char *path, const char *key, bool required,
                       json_t **out, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, NULL, &st, err);
	if (!v)
		return st;
	if (!json_is_object(v)) {
		char full[VG_CJ_PATH_MAX];
		vg_cj_path(full, path, key);
		return type_error(v, full, "an object", err);
	}
	*out = v;
	return VG_OK;
}

vg_status vg_cj_number_value(json_t *v, const char *full, double *out, struct vg_err *err)
{
	double x;
	if (json_is_integer(v))
		x = (double)json_integer_value(v);
	else if (json_is_real(v))
		x = json_real_value(v);
	else
		return type_error(v, full, "a number", err);
	/* jansson refuses overflow (1e999) but lets underflow through, and
	 * "-1e-400" reads as -0: refuse it like the literal -0. */
	if (!isfinite(x))
		return vg_err_set(err, VG_ERR_NUMBER, "%s: number not finite", full);
	if (x == 0 && signbit(x))
		return vg_err_set(err, VG_ERR_NUMBER, "%s: negative zero is not accepted", full);
	*out = x;
	return VG_OK;
}

vg_status vg_cj_check_range(double x, const char *full, const struct vg_cj_range *r,
                            struct vg_err *err)
{
	bool below = r->lo_open ? !(x > r->lo) : !(x >= r->lo);
	bool above = r->hi_open ? !(x < r->hi) : !(x <= r->hi);
	if (!below && !above)
		return VG_OK;
	char xs[32];
	vg_cj_fmt_double(x, xs);
	if (below && r->lo_open && r->lo == 0)
		return vg_err_set(err, VG_ERR_RANGE, "%s = %s: must be > 0", full, xs);
	return vg_err_set(err, VG_ERR_RANGE, "%s = %s: out of range %c%g, %g%c", full, xs,
	                  r->lo_open ? '(' : '[', r->lo, r->hi, r->hi_open ? ')' : ']');
}

vg_status vg_cj_real(json_t *obj, const char *path, const char *key, bool required,
                     const struct vg_cj_range *r, double *out, bool *present, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, present, &st, err);
	if (!v)
		return st;
	char full[VG_CJ_PATH_MAX];
	vg_cj_path(full, path, key);
	double x;
	st = vg_cj_number_value(v, full, &x, err);
	if (st)
		return st;
	st = vg_cj_check_range(x, full, r, err);
	if (st)
		return st;
	*out = x;
	return VG_OK;
}

vg_status vg_cj_int(json_t *obj, const char *path, const char *key, bool required, json_int_t lo,
                    json_int_t hi, json_int_t *out, bool *present, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, present, &st, err);
	if (!v)
		return st;
	char full[VG_CJ_PATH_MAX];
	vg_cj_path(full, path, key);
	if (!json_is_integer(v))
		return type_error(v, full, "an integer", err);
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi) {
		if (hi == VG_CJ_INT_MAX)
			return vg_err_set(err, VG_ERR_RANGE, "%s = %lld: must be >= %lld", full, (long long)x,
			                  (long long)lo);
		return vg_err_set(err, VG_ERR_RANGE, "%s = %lld: out of range [%lld, %lld]", full,
		                  (long long)x, (long long)lo, (long long)hi);
	}
	*out = x;
	return VG_OK;
}

vg_status vg_cj_bool(json_t *obj, const char *path, const char *key, bool required, bool *out,
                     bool *present, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, present, &st, err);
	if (!v)
		return st;
	if (!json_is_boolean(v)) {
		char full[VG_CJ_PATH_MAX];
		vg_cj_path(full, path, key);
		return type_error(v, full, "true or false", err);
	}
	*out = json_is_true(v);
	return VG_OK;
}

vg_status vg_cj_string(json_t *obj, const char *path, const char *key, bool required,
                       const char **s, size_t *len, bool *present, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, present, &st, err);
	if (!v)
		return st;
	if (!json_is_string(v)) {
		char full[VG_CJ_PATH_MAX];
		vg_cj_path(full, path, key);
		return type_error(v, full, "a string", err);
	}
	*s = json_string_value(v);
	*len = json_string_length(v);
	return VG_OK;
}

vg_status vg_cj_time(json_t *obj, const char *path, const char *key, bool required,
                     int64_t *t_ns, bool *present, struct vg_err *err)
{
	const char *s = NULL;
	size_t n = 0;
	bool here = false;
	vg_status st = vg_cj_string(obj, path, key, required, &s, &n, &here, err);
	if (present)
		*present = here;
	if (st || !here)
		return st;
	struct vg_err e;
	int64_t t = 0;
	if (vg_time_parse(s, n, &t, &e) != VG_OK) {
		char full[VG_CJ_PATH_MAX];
		vg_cj_path(full, path, key);
		/* e.msg starts with the quoted value. */
		return vg_err_set(err, VG_ERR_TIME, "%s = %s", full, e.msg);
	}
	*t_ns = t;
	return VG_OK;
}

vg_status vg_cj_id_value(json_t *v, const char *full, char out[VG_ID_MAX + 1], struct vg_err *err)
{
	if (!json_is_string(v))
		return type_error(v, full, "a string", err);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (!vg_id_valid(s, n)) {
		char q[96];
		vg_quote(s, n, q, sizeof q);
		return vg_err_set(err, VG_ERR_RANGE,
		                  "%s = %s: not a valid id (1 to %d of A-Z a-z 0-9 . _ : -)", full, q,
		                  VG_ID_MAX);
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return VG_OK;
}

vg_status vg_cj_id(json_t *obj, const char *path, const char *key, bool required,
                   char out[VG_ID_MAX + 1], bool *present, struct vg_err *err)
{
	vg_status st;
	json_t *v = member(obj, path, key, required, present, &st, err);
	if (!v)
		return st;
	char full[VG_CJ_PATH_MAX];
	vg_cj_path(full, path, key);
	return vg_cj_id_value(v, full, out, err);
}

vg_status vg_cj_enum(json_t *obj, const char *path, const char *key, bool required,
                     const struct vg_cj_names *t, int *out, bool *present, struct vg_err *err)
{
	const char *s = NULL;
	size_t n = 0;
	bool here = false;
	vg_status st = vg_cj_string(obj, path, key, required, &s, &n, &here, err);
	if (present)
		*present = here;
	if (st || !here)
		return st;
	int v = strlen(s) == n ? vg_cj_names_parse(t, s) : -1;
	if (v < 0) {
		char full[VG_CJ_PATH_MAX], q[64], list[320];
		size_t o = 0;
		vg_cj_path(full, path, key);
		vg_quote(s, n, q, sizeof q);
		list[0] = '\0';
		for (int i = 0; i < t->count; i++) {
			int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", t->names[i]);
			if (w < 0 || (size_t)w >= sizeof list - o)
				break;
			o += (size_t)w;
		}
		return vg_err_set(err, VG_ERR_CLASS, "%s = %s: not one of %s", full, q, list);
	}
	*out = v;
	return VG_OK;
}

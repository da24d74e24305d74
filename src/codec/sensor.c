/*
 * sensor.c - sensor registry lines (DESIGN.md "Sensor registry"): parse
 * and the inverse, format, such that parse(format(s)) == s for every s that
 * parse produced. Times are written in vg_time_format's canonical form,
 * doubles in the shortest form that reads back to the same value.
 */
#include "codec/codec_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct vg_cj_range R_LAT = {-90, 90, false, false};
static const struct vg_cj_range R_LON = {-180, 180, false, false};
static const struct vg_cj_range R_ALT_M = {-1000, 1e6, false, false};
static const struct vg_cj_range R_SIGMA_M = {0, 1e5, true, false};
static const struct vg_cj_range R_TIMING_SIGMA_S = {0, 10, true, false};

static vg_status parse_pos(json_t *root, struct vg_sensor *s, struct vg_err *err)
{
	json_t *p = NULL;
	vg_status st = vg_cj_object(root, "", "pos", false, &p, err);
	if (st || !p)
		return st;
	static const char *const members[] = {"lat", "lon", "alt_m", "sigma_m", NULL};
	st = vg_cj_members(p, "pos", members, err);
	if (!st)
		st = vg_cj_real(p, "pos", "lat", true, &R_LAT, &s->lat_deg, NULL, err);
	if (!st)
		st = vg_cj_real(p, "pos", "lon", true, &R_LON, &s->lon_deg, NULL, err);
	if (!st)
		st = vg_cj_real(p, "pos", "alt_m", false, &R_ALT_M, &s->alt_m, NULL, err);
	if (!st)
		st = vg_cj_real(p, "pos", "sigma_m", false, &R_SIGMA_M, &s->survey_sigma_m, NULL, err);
	if (st)
		return st;
	s->has_pos = true;
	return VG_OK;
}

static vg_status parse_release(json_t *root, struct vg_sensor *s, struct vg_err *err)
{
	json_t *r = json_object_get(root, "releasability");
	if (!r)
		return VG_OK;
	if (!json_is_array(r))
		return vg_err_set(err, VG_ERR_TYPE, "releasability: must be an array, not %s",
		                  vg_cj_type_word(r));
	size_t n = json_array_size(r);
	if (n > VG_RELEASE_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "releasability: %zu members, over the limit of %d",
		                  n, VG_RELEASE_MAX);
	for (size_t i = 0; i < n; i++) {
		char path[VG_CJ_PATH_MAX];
		vg_cj_path_index(path, "releasability", i);
		vg_status st = vg_cj_id_value(json_array_get(r, i), path, s->release[i], err);
		if (st)
			return st;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->release[j], s->release[i]) == 0)
				return vg_err_set(err, VG_ERR_RANGE, "%s = \"%s\": listed twice", path,
				                  s->release[i]);
	}
	s->n_release = (uint32_t)n;
	return VG_OK;
}

static vg_status parse_sensor(json_t *root, struct vg_sensor *s, struct vg_err *err)
{
	if (!json_is_object(root))
		return vg_err_set(err, VG_ERR_TYPE, "must be a JSON object, not %s",
		                  vg_cj_type_word(root));
	static const char *const members[] = {
		"id",          "owner",      "modality",    "pubkey",     "pos",
		"timing_sigma_s", "releasability", "valid_from", "valid_until", "revoked_at",
		NULL};
	vg_status st = vg_cj_members(root, "", members, err);
	if (!st)
		st = vg_cj_id(root, "", "id", true, s->id, NULL, err);
	if (!st)
		st = vg_cj_id(root, "", "owner", true, s->owner, NULL, err);
	if (!st)
		st = vg_cj_enum(root, "", "modality", true, &vg_cj_modalities, &s->modality, NULL, err);
	const char *pk = NULL;
	size_t pk_len = 0;
	if (!st)
		st = vg_cj_string(root, "", "pubkey", true, &pk, &pk_len, NULL, err);
	if (st)
		return st;
	st = vg_key_parse_public(pk, pk_len, s->pk, err);
	if (st) {
		vg_err_prefix(err, "pubkey");
		return st;
	}
	st = parse_pos(root, s, err);
	if (!st)
		st = vg_cj_real(root, "", "timing_sigma_s", false, &R_TIMING_SIGMA_S,
		                &s->timing_sigma_s, &s->has_timing, err);
	if (!st)
		st = parse_release(root, s, err);
	if (!st)
		st = vg_cj_time(root, "", "valid_from", false, &s->valid_from_ns, NULL, err);
	if (!st)
		st = vg_cj_time(root, "", "valid_until", false, &s->valid_until_ns, NULL, err);
	if (!st)
		st = vg_cj_time(root, "", "revoked_at", false, &s->revoked_at_ns, NULL, err);
	if (st)
		return st;
	if (s->valid_until_ns <= s->valid_from_ns) {
		char fs[VG_TIME_STR_MAX], us[VG_TIME_STR_MAX];
		vg_time_format(s->valid_from_ns, fs);
		vg_time_format(s->valid_until_ns, us);
		return vg_err_set(err, VG_ERR_TIME, "valid_until = \"%s\": not after valid_from = \"%s\"",
		                  us, fs);
	}
	return VG_OK;
}

vg_status vg_sensor_parse(const char *line, size_t len, struct vg_sensor *out, struct vg_err *err)
{
	bool blank = true;
	for (size_t i = 0; i < len && blank; i++)
		blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n';
	if (blank)
		return vg_err_set(err, VG_ERR_EMPTY_LINE, "empty line");
	if (len > VG_LINE_MAX)
		return vg_err_set(err, VG_ERR_LINE_TOO_LONG, "line of %zu bytes, over the cap of %d",
		                  len, VG_LINE_MAX);
	json_t *root = NULL;
	vg_status st = vg_cj_load(line, len, "", &root, err);
	if (st)
		return st;
	struct vg_sensor s;
	memset(&s, 0, sizeof s);
	s.valid_from_ns = INT64_MIN;
	s.valid_until_ns = INT64_MAX;
	s.revoked_at_ns = INT64_MAX;
	st = parse_sensor(root, &s, err);
	json_decref(root);
	if (st)
		return st;
	*out = s;
	return VG_OK;
}

/* Bounded appender: once full, stays full and remembers it. */
struct out_buf {
	char *p;
	size_t cap, len;
	bool full;
};

static void VG_PRINTF(2, 3) put(struct out_buf *b, const char *fmt, ...)
{
	if (b->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	b->len += (size_t)n;
}

static void put_time(struct out_buf *b, const char *key, int64_t t_ns)
{
	char ts[VG_TIME_STR_MAX];
	vg_time_format(t_ns, ts);
	put(b, ",\"%s\":\"%s\"", key, ts);
}

size_t vg_sensor_format(const struct vg_sensor *s, char *out, size_t cap)
{
	const char *mod = vg_modality_name(s->modality);
	/* Ids go out unescaped; refuse anything parse would refuse. */
	if (!mod || !vg_id_valid(s->id, strnlen(s->id, sizeof s->id)) ||
	    !vg_id_valid(s->owner, strnlen(s->owner, sizeof s->owner)) ||
	    s->n_release > VG_RELEASE_MAX || cap == 0)
		return 0;
	for (uint32_t i = 0; i < s->n_release; i++)
		if (!vg_id_valid(s->release[i], strnlen(s->release[i], sizeof s->release[i])))
			return 0;
	struct out_buf b = {out, cap, 0, false};
	char pk[96], d[32];
	vg_key_format_public(s->pk, pk, sizeof pk);
	put(&b, "{\"id\":\"%s\",\"owner\":\"%s\",\"modality\":\"%s\",\"pubkey\":\"%s\"", s->id,
	    s->owner, mod, pk);
	if (s->has_pos) {
		vg_cj_fmt_double(s->lat_deg, d);
		put(&b, ",\"pos\":{\"lat\":%s", d);
		vg_cj_fmt_double(s->lon_deg, d);
		put(&b, ",\"lon\":%s", d);
		if (s->alt_m != 0) {
			vg_cj_fmt_double(s->alt_m, d);
			put(&b, ",\"alt_m\":%s", d);
		}
		if (s->survey_sigma_m > 0) {
			vg_cj_fmt_double(s->survey_sigma_m, d);
			put(&b, ",\"sigma_m\":%s", d);
		}
		put(&b, "}");
	}
	if (s->has_timing) {
		vg_cj_fmt_double(s->timing_sigma_s, d);
		put(&b, ",\"timing_sigma_s\":%s", d);
	}
	if (s->n_release) {
		put(&b, ",\"releasability\":[");
		for (uint32_t i = 0; i < s->n_release; i++)
			put(&b, "%s\"%s\"", i ? "," : "", s->release[i]);
		put(&b, "]");
	}
	if (s->valid_from_ns != INT64_MIN)
		put_time(&b, "valid_from", s->valid_from_ns);
	if (s->valid_until_ns != INT64_MAX)
		put_time(&b, "valid_until", s->valid_until_ns);
	if (s->revoked_at_ns != INT64_MAX)
		put_time(&b, "revoked_at", s->revoked_at_ns);
	put(&b, "}");
	if (b.full) {
		out[0] = '\0';
		return 0;
	}
	return b.len;
}

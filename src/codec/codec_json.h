/*
 * codec_json.h - the strict JSON front end (length, UTF-8, lexical
 * pre-scan, jansson) and the typed member readers that envelope.c,
 * observation.c and sensor.c share; the other strict readers of the
 * project (scenarios in src/sim, agreements in src/rules) use it too
 * rather than keep their own copies.
 *
 * Every reader takes the JSON object, the path of that object ("" at the
 * top level, "fire.launch" below) and the member name, and on failure
 * writes a message that names the full member path and the value:
 *   impulse.sigma_s = -0.2: must be > 0
 * Statuses: absent required member VG_ERR_MISSING, wrong JSON type (null
 * included) VG_ERR_TYPE, value outside its range or form VG_ERR_RANGE,
 * bad timestamp VG_ERR_TIME, name not in its list VG_ERR_CLASS.
 */
#ifndef VG_CODEC_JSON_H
#define VG_CODEC_JSON_H

#include "codec/codec.h"

#include <jansson.h>
#include <limits.h>

/* json_int_t is long long (JSON_INTEGER_IS_LONG_LONG in jansson 2.x). */
#define VG_CJ_INT_MIN LLONG_MIN
#define VG_CJ_INT_MAX LLONG_MAX
_Static_assert(JSON_INTEGER_IS_LONG_LONG, "jansson json_int_t must be long long");

/* Longest member path we print ("change.polygon[1023][1]" and the like). */
#define VG_CJ_PATH_MAX 96

/* "parent.key", or "key" at the top level; truncated to fit. */
void vg_cj_path(char out[VG_CJ_PATH_MAX], const char *parent, const char *key);
/* "parent[i]". */
void vg_cj_path_index(char out[VG_CJ_PATH_MAX], const char *parent, size_t i);

/* Shortest "%.Ng" that reads back to the same double (N <= 17), -0 as "0".
 * Valid JSON for finite x. buf holds at least 32 bytes. */
void vg_cj_fmt_double(double x, char buf[32]);

/*
 * UTF-8, vg_json_prescan and jansson (duplicates rejected, NUL rejected)
 * on s[0..len). what prefixes offsets in messages ("payload " or "").
 * On success *out is a new reference the caller must json_decref.
 * Does not check emptiness or the line cap: callers do, with their status.
 */
vg_status vg_cj_load(const char *s, size_t len, const char *what, json_t **out,
                     struct vg_err *err) VG_WUR;

/* VG_ERR_UNKNOWN_MEMBER for the first member (in document order) of obj
 * not in the NULL-terminated list allowed. */
vg_status vg_cj_members(json_t *obj, const char *path, const char *const *allowed,
                        struct vg_err *err) VG_WUR;

/* The JSON type of v as a word for messages ("a string", "null", ...). */
const char *vg_cj_type_word(const json_t *v);

/* A closed or open numeric interval. */
struct vg_cj_range {
	double lo, hi;
	bool lo_open, hi_open;
};

/*
 * Readers. *present (may be NULL when required) tells whether the member
 * was there; an absent optional member leaves *out untouched and returns
 * VG_OK. A required absent member is VG_ERR_MISSING.
 */
vg_status vg_cj_object(json_t *obj, const char *path, const char *key, bool required,
                       json_t **out, struct vg_err *err) VG_WUR;
/* A finite JSON number (integer or real; not negative zero) within r. */
vg_status vg_cj_real(json_t *obj, const char *path, const char *key, bool required,
                     const struct vg_cj_range *r, double *out, bool *present,
                     struct vg_err *err) VG_WUR;
/* A JSON integer (no fraction, no exponent) in [lo, hi]. */
vg_status vg_cj_int(json_t *obj, const char *path, const char *key, bool required,
                    json_int_t lo, json_int_t hi, json_int_t *out, bool *present,
                    struct vg_err *err) VG_WUR;
vg_status vg_cj_bool(json_t *obj, const char *path, const char *key, bool required, bool *out,
                     bool *present, struct vg_err *err) VG_WUR;
/* A string; *s stays owned by obj (valid until json_decref). */
vg_status vg_cj_string(json_t *obj, const char *path, const char *key, bool required,
                       const char **s, size_t *len, bool *present, struct vg_err *err) VG_WUR;
/* An RFC 3339 timestamp (vg_time_parse). */
vg_status vg_cj_time(json_t *obj, const char *path, const char *key, bool required,
                     int64_t *t_ns, bool *present, struct vg_err *err) VG_WUR;
/* A sensor id / owner name (vg_id_valid), copied NUL-terminated. */
vg_status vg_cj_id(json_t *obj, const char *path, const char *key, bool required,
                   char out[VG_ID_MAX + 1], bool *present, struct vg_err *err) VG_WUR;
/* The same checks for a value already in hand (array elements). */
vg_status vg_cj_id_value(json_t *v, const char *path, char out[VG_ID_MAX + 1],
                         struct vg_err *err) VG_WUR;
vg_status vg_cj_number_value(json_t *v, const char *path, double *out, struct vg_err *err) VG_WUR;
vg_status vg_cj_check_range(double x, const char *path, const struct vg_cj_range *r,
                            struct vg_err *err) VG_WUR;

/* A name table: names[i] is the name of value first + i. */
struct vg_cj_names {
	const char *const *names;
	int first;
	int count;
};
extern const struct vg_cj_names vg_cj_kinds, vg_cj_impulse_classes, vg_cj_object_classes,
	vg_cj_change_types, vg_cj_modalities;

int vg_cj_names_parse(const struct vg_cj_names *t, const char *s);
const char *vg_cj_names_name(const struct vg_cj_names *t, int v);
/* A string member whose value must be one of t's names: VG_ERR_CLASS else. */
vg_status vg_cj_enum(json_t *obj, const char *path, const char *key, bool required,
                     const struct vg_cj_names *t, int *out, bool *present,
                     struct vg_err *err) VG_WUR;

#endif

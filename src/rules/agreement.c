/* agreement.c - parse and validate an agreement (docs/agreement-format.md). */
#include "codec/codec_json.h"
#include "rules/rules.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const rule_names[VG_RULE_TYPE_COUNT_] = {
	[VG_RULE_NO_FIRE] = "no_fire",
	[VG_RULE_WITHDRAWAL] = "withdrawal",
	[VG_RULE_NO_FLY] = "no_fly",
	[VG_RULE_DISENGAGEMENT] = "disengagement",
	[VG_RULE_NO_NEW_FORTIFICATION] = "no_new_fortification",
	[VG_RULE_ZONE_CAP] = "zone_cap",
};

const char *vg_rule_type_name(int t)
{
	return t > 0 && t < VG_RULE_TYPE_COUNT_ ? rule_names[t] : NULL;
}

int vg_rule_type_parse(const char *s)
{
	for (int t = 1; t < VG_RULE_TYPE_COUNT_; t++)
		if (s && !strcmp(s, rule_names[t]))
			return t;
	return -1;
}

/* ---- Small readers ---------------------------------------------------------- */


static vg_status get_string(json_t *obj, const char *path, const char *key, bool required,
                            const char **out, struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? vg_err_set(err, VG_ERR_MISSING, "%s.%s: missing", path, key) : VG_OK;
	if (!json_is_string(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s.%s: want a string, got %s", path, key, vg_cj_type_word(v));
	*out = json_string_value(v);
	return VG_OK;
}

static vg_status get_number(json_t *obj, const char *path, const char *key, bool required,
                            double lo, double hi, double *out, struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? vg_err_set(err, VG_ERR_MISSING, "%s.%s: missing", path, key) : VG_OK;
	if (!json_is_number(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s.%s: want a number, got %s", path, key, vg_cj_type_word(v));
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi)
		return vg_err_set(err, VG_ERR_RANGE, "%s.%s = %g: must be in [%g, %g]", path, key, x, lo, hi);
	*out = x;
	return VG_OK;
}

static vg_status get_bool(json_t *obj, const char *path, const char *key, bool *out,
                          struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return VG_OK;
	if (!json_is_boolean(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s.%s: want true or false, got %s", path, key,
		                  vg_cj_type_word(v));
	*out = json_is_true(v);
	return VG_OK;
}

static vg_status get_time(json_t *obj, const char *path, const char *key, int64_t *out,
                          struct vg_err *err)
{
	const char *s = NULL;
	vg_status st = get_string(obj, path, key, true, &s, err);
	if (st)
		return st;
	if (vg_time_parse(s, strlen(s), out, err) != VG_OK) {
		vg_err_prefix(err, "%s.%s = \"%.40s\"", path, key, s);
		return VG_ERR_TIME;
	}
	return VG_OK;
}

static vg_status check_members(json_t *obj, const char *path, const char *const *allowed,
                               struct vg_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, k))
				ok = true;
		if (!ok)
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER, "%s.%s: unknown member", path, k);
	}
	return VG_OK;
}

/* ---- Classes ------------------------------------------------------------------- */

vg_class_mask vg_agreement_classes(const struct vg_agreement *ag, const char *name)
{
	int c = vg_object_class_parse(name);
	if (c > 0)
		return VG_CLASS_BIT(c);
	if (!ag)
		return 0;
	for (uint32_t i = 0; i < ag->n_classes; i++) {
		const struct vg_weapon_class *w = &ag->classes[i];
		if (!strcasecmp(w->name, name))
			return w->classes;
		for (uint32_t k = 0; k < w->n_aliases; k++)
			if (!strcasecmp(w->aliases[k], name))
				return w->classes;
	}
	return 0;
}

/* "classes": a string or an array of strings, each resolved. */
static vg_status get_classes(const struct vg_agreement *ag, json_t *obj, const char *path,
                             const char *key, bool required, vg_class_mask *mask, char *name_out,
                             struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? vg_err_set(err, VG_ERR_MISSING, "%s.%s: missing", path, key) : VG_OK;
	vg_class_mask m = 0;
	if (json_is_string(v)) {
		m = vg_agreement_classes(ag, json_string_value(v));
		if (!m)
			return vg_err_set(err, VG_ERR_CLASS, "%s.%s = \"%.64s\": unknown weapon class", path,
			                  key, json_string_value(v));
		snprintf(name_out, VG_ID_MAX + 1, "%s", json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return vg_err_set(err, VG_ERR_TYPE, "%s.%s[%zu]: want a string, got %s", path,
				                  key, i, vg_cj_type_word(e));
			vg_class_mask x = vg_agreement_classes(ag, json_string_value(e));
			if (!x)
				return vg_err_set(err, VG_ERR_CLASS, "%s.%s[%zu] = \"%.64s\": unknown weapon class",
				                  path, key, i, json_string_value(e));
			m |= x;
			if (i == 0)
				snprintf(name_out, VG_ID_MAX + 1, "%s", json_string_value(e));
		}
	} else {
		return vg_err_set(err, VG_ERR_TYPE, "%s.%s: want a class name or a non-empty array, got %s",
		                  path, key, vg_cj_type_word(v));
	}
	*mask = m;
	return VG_OK;
}

static vg_status parse_weapon_classes(struct vg_agreement *ag, json_t *wc, struct vg_err *err)
{
	if (!json_is_object(wc))
		return vg_err_set(err, VG_ERR_TYPE, "agreement.weapon_classes: want an object, got %s",
		                  vg_cj_type_word(wc));
	size_t n = json_object_size(wc);
	ag->classes = calloc(n ? n : 1, sizeof *ag->classes);
	if (!ag->classes)
		return vg_err_set(err, VG_ERR_NOMEM, "weapon classes");
	const char *k;
	json_t *v;
	json_object_foreach(wc, k, v) {
		char path[160];
		snprintf(path, sizeof path, "agreement.weapon_classes.%.64s", k);
		if (!vg_id_valid(k, strlen(k)))
			return vg_err_set(err, VG_ERR_RANGE, "%s: not a valid class name", path);
		if (vg_object_class_parse(k) > 0)
			return vg_err_set(err, VG_ERR_EXISTS, "%s: redefines a built-in object class", path);
		if (!json_is_object(v))
			return vg_err_set(err, VG_ERR_TYPE, "%s: want an object, got %s", path, vg_cj_type_word(v));
		static const char *const allowed[] = {"classes", "aliases", "description", NULL};
		vg_status st = check_members(v, path, allowed, err);
		if (st)
			return st;
		/* counted now: vg_agreement_free frees its aliases if what
		 * follows fails (fuzz_agreement found the leak) */
		struct vg_weapon_class *w = &ag->classes[ag->n_classes++];
		snprintf(w->name, sizeof w->name, "%s", k);
		char first[VG_ID_MAX + 1];
		/* Only built-in classes inside a weapon class (no chains). */
		if ((st = get_classes(NULL, v, path, "classes", true, &w->classes, first, err)))
			return st;
		json_t *al = json_object_get(v, "aliases");
		if (al) {
			if (!json_is_array(al))
				return vg_err_set(err, VG_ERR_TYPE, "%s.aliases: want an array, got %s", path,
				                  vg_cj_type_word(al));
			w->aliases = calloc(json_array_size(al) + 1, sizeof *w->aliases);
			if (!w->aliases)
				return vg_err_set(err, VG_ERR_NOMEM, "aliases");
			size_t i;
			json_t *e;
			json_array_foreach(al, i, e) {
				if (!json_is_string(e) || json_string_length(e) == 0 ||
				    json_string_length(e) > VG_ID_MAX)
					return vg_err_set(err, VG_ERR_TYPE, "%s.aliases[%zu]: want a string of 1-%d bytes",
					                  path, i, VG_ID_MAX);
				snprintf(w->aliases[w->n_aliases++], VG_ID_MAX + 1, "%s", json_string_value(e));
			}
		}
	}
	/* Names and aliases must not collide across classes. */
	for (uint32_t i = 0; i < ag->n_classes; i++)
		for (uint32_t k2 = 0; k2 < ag->classes[i].n_aliases; k2++) {
			const char *a = ag->classes[i].aliases[k2];
			if (vg_object_class_parse(a) > 0)
				return vg_err_set(err, VG_ERR_EXISTS,
				                  "agreement.weapon_classes.%s.aliases[%u] = \"%s\": is a built-in class",
				                  ag->classes[i].name, k2, a);
			for (uint32_t j = 0; j < ag->n_classes; j++) {
				if (j != i && !strcasecmp(ag->classes[j].name, a))
					return vg_err_set(err, VG_ERR_EXISTS,
					                  "agreement.weapon_classes.%s.aliases[%u] = \"%s\": names another class",
					                  ag->classes[i].name, k2, a);
				for (uint32_t m = 0; m < ag->classes[j].n_aliases; m++)
					if ((j != i || m != k2) && !strcasecmp(ag->classes[j].aliases[m], a))
						return vg_err_set(err, VG_ERR_EXISTS,
						                  "agreement.weapon_classes.%s.aliases[%u] = \"%s\": alias used twice",
						                  ag->classes[i].name, k2, a);
			}
		}
	return VG_OK;
}

/* ---- Features ----------------------------------------------------------------- */

int vg_agreement_party(const struct vg_agreement *ag, const char *name)
{
	for (uint32_t i = 0; i < ag->n_parties; i++)
		if (!strcmp(ag->parties[i], name))
			return (int)i;
	return -1;
}

static int feature_by_id(const struct vg_agreement *ag, const char *id)
{
	for (uint32_t i = 0; i < ag->n_features; i++)
		if (!strcmp(ag->features[i].id, id))
			return (int)i;
	return -1;
}

static vg_status parse_feature(struct vg_agreement *ag, json_t *f, size_t idx, struct vg_err *err)
{
	char path[64];
	snprintf(path, sizeof path, "features[%zu]", idx);
	if (!json_is_object(f))
		return vg_err_set(err, VG_ERR_TYPE, "%s: want a Feature object, got %s", path, vg_cj_type_word(f));
	const char *type = NULL, *id = NULL, *role = NULL, *party = NULL, *zone = NULL;
	vg_status st;
	if ((st = get_string(f, path, "type", true, &type, err)))
		return st;
	if (strcmp(type, "Feature"))
		return vg_err_set(err, VG_ERR_RANGE, "%s.type = \"%.32s\": want \"Feature\"", path, type);
	json_t *jid = json_object_get(f, "id");
	if (!jid)
		return vg_err_set(err, VG_ERR_MISSING, "%s.id: missing (every feature needs an id)", path);
	if (!json_is_string(jid))
		return vg_err_set(err, VG_ERR_TYPE, "%s.id: want a string, got %s", path, vg_cj_type_word(jid));
	id = json_string_value(jid);
	if (!vg_id_valid(id, strlen(id)))
		return vg_err_set(err, VG_ERR_RANGE, "%s.id = \"%.64s\": want [A-Za-z0-9._:-]{1,64}", path, id);
	snprintf(path, sizeof path, "features[%zu] (id \"%s\")", idx, id);
	if (feature_by_id(ag, id) >= 0)
		return vg_err_set(err, VG_ERR_EXISTS, "%s: duplicate id", path);
	json_t *props = json_object_get(f, "properties");
	if (!json_is_object(props))
		return vg_err_set(err, props ? VG_ERR_TYPE : VG_ERR_MISSING, "%s.properties: want an object",
		                  path);
	char ppath[96];
	snprintf(ppath, sizeof ppath, "%s.properties", path);
	if ((st = get_string(props, ppath, "role", true, &role, err)) ||
	    (st = get_string(props, ppath, "party", false, &party, err)) ||
	    (st = get_string(props, ppath, "zone", false, &zone, err)))
		return st;
	struct vg_ag_feature *F = &ag->features[ag->n_features];
	memset(F, 0, sizeof *F);
	snprintf(F->id, sizeof F->id, "%s", id);
	F->party = -1;
	if (party) {
		F->party = vg_agreement_party(ag, party);
		if (F->party < 0)
			return vg_err_set(err, VG_ERR_RANGE, "%s.party = \"%.64s\": not one of the parties", ppath,
			                  party);
	}
	if (!strcmp(role, "contact_line"))
		F->role = VG_ROLE_CONTACT_LINE;
	else if (!strcmp(role, "reference_line"))
		F->role = VG_ROLE_REFERENCE_LINE;
	else if (!strcmp(role, "side"))
		F->role = VG_ROLE_SIDE;
	else if (!strcmp(role, "zone"))
		F->role = VG_ROLE_ZONE;
	else
		return vg_err_set(err, VG_ERR_RANGE,
		                  "%s.role = \"%.32s\": want contact_line, reference_line, side or zone", ppath,
		                  role);
	if (F->role == VG_ROLE_SIDE && F->party < 0)
		return vg_err_set(err, VG_ERR_MISSING, "%s.party: missing (a side needs its party)", ppath);
	if (F->role == VG_ROLE_ZONE) {
		if (!zone)
			return vg_err_set(err, VG_ERR_MISSING, "%s.zone: missing (a zone needs its kind)", ppath);
		if (!vg_id_valid(zone, strlen(zone)))
			return vg_err_set(err, VG_ERR_RANGE, "%s.zone = \"%.64s\": not a valid kind", ppath, zone);
		snprintf(F->zone, sizeof F->zone, "%s", zone);
	}
	json_t *geom = json_object_get(f, "geometry");
	if (!json_is_object(geom))
		return vg_err_set(err, geom ? VG_ERR_TYPE : VG_ERR_MISSING, "%s.geometry: want an object",
		                  path);
	char *text = json_dumps(geom, JSON_COMPACT);
	if (!text)
		return vg_err_set(err, VG_ERR_NOMEM, "%s.geometry", path);
	if (F->role == VG_ROLE_CONTACT_LINE || F->role == VG_ROLE_REFERENCE_LINE)
		st = vg_geo_line_from_geojson(text, false, &F->line, err);
	else
		st = vg_geo_area_from_geojson(text, &F->area, err);
	free(text);
	if (st) {
		vg_err_prefix(err, "%s.geometry", path);
		return st;
	}
	ag->n_features++;
	return VG_OK;
}

/* ---- Rules -------------------------------------------------------------------- */

static vg_status get_per_party(const struct vg_agreement *ag, json_t *obj, const char *path,
                               const char *key, bool required, double lo, double hi, double scale,
                               double out[VG_AG_MAX_PARTIES], struct vg_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? vg_err_set(err, VG_ERR_MISSING, "%s.%s: missing", path, key) : VG_OK;
	if (json_is_number(v)) {
		double x;
		vg_status st = get_number(obj, path, key, true, lo, hi, &x, err);
		if (st)
			return st;
		for (uint32_t p = 0; p < ag->n_parties; p++)
			out[p] = x * scale;
		return VG_OK;
	}
	if (!json_is_object(v))
		return vg_err_set(err, VG_ERR_TYPE, "%s.%s: want a number or {party: number}, got %s", path,
		                  key, vg_cj_type_word(v));
	char sub[192];
	snprintf(sub, sizeof sub, "%s.%s", path, key);
	for (uint32_t p = 0; p < ag->n_parties; p++)
		out[p] = NAN;
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) {
		int p = vg_agreement_party(ag, k);
		if (p < 0)
			return vg_err_set(err, VG_ERR_RANGE, "%s.%.64s: not one of the parties", sub, k);
		double x;
		vg_status st = get_number(v, sub, k, true, lo, hi, &x, err);
		if (st)
			return st;
		out[p] = x * scale;
	}
	for (uint32_t p = 0; p < ag->n_parties; p++)
		if (isnan(out[p]))
			return vg_err_set(err, VG_ERR_MISSING, "%s.%s: missing", sub, ag->parties[p]);
	return VG_OK;
}

static vg_status get_zones(const struct vg_agreement *ag, json_t *obj, const char *path,
                           struct vg_ag_rule *r, struct vg_err *err)
{
	json_t *v = json_object_get(obj, "zones");
	if (!v)
		return vg_err_set(err, VG_ERR_MISSING, "%s.zones: missing", path);
	json_t *arr = v;
	bool single = json_is_string(v);
	if (!single && !(json_is_array(v) && json_array_size(v) > 0))
		return vg_err_set(err, VG_ERR_TYPE, "%s.zones: want a zone kind or id, or an array of them",
		                  path);
	size_t n = single ? 1 : json_array_size(arr);
	for (size_t i = 0; i < n; i++) {
		json_t *e = single ? v : json_array_get(arr, i);
		if (!json_is_string(e))
			return vg_err_set(err, VG_ERR_TYPE, "%s.zones[%zu]: want a string, got %s", path, i,
			                  vg_cj_type_word(e));
		const char *name = json_string_value(e);
		bool any = false;
		for (uint32_t k = 0; k < ag->n_features; k++) {
			const struct vg_ag_feature *F = &ag->features[k];
			if (F->role != VG_ROLE_ZONE || (strcmp(F->zone, name) && strcmp(F->id, name)))
				continue;
			if (r->n_zones >= sizeof r->zone / sizeof r->zone[0])
				return vg_err_set(err, VG_ERR_LIMIT, "%s.zones: more than %zu zones", path,
				                  sizeof r->zone / sizeof r->zone[0]);
			r->zone[r->n_zones++] = (int)k;
			any = true;
		}
		if (!any)
			return vg_err_set(err, VG_ERR_RANGE, "%s.zones[%zu] = \"%.64s\": no zone of that kind or id",
			                  path, i, name);
	}
	return VG_OK;
}

/* zone_cap (docs/rules.md): caps per class on a party's forces in a zone or
 * a band along a line, counted per fixed window. */
static vg_status parse_zone_cap(const struct vg_agreement *ag, json_t *j, const char *path,
                                struct vg_ag_rule *r, struct vg_err *err)
{
	static const char *const al[] = {"type", "id", "description", "party", "zones",
	                                 "distance_km", "min_distance_km", "reference_line", "caps",
	                                 "window_h", "window_origin", "cluster_km", "frame_s",
	                                 "speed_mps", NULL};
	vg_status st;
	if ((st = check_members(j, path, al, err)))
		return st;
	const char *party = NULL;
	if ((st = get_string(j, path, "party", true, &party, err)))
		return st;
	r->party = vg_agreement_party(ag, party);
	if (r->party < 0)
		return vg_err_set(err, VG_ERR_RANGE, "%s.party = \"%.64s\": not one of the parties", path, party);

	/* The place: zones, or a band along a line on the party's side. */
	bool zones = json_object_get(j, "zones") != NULL;
	bool band = json_object_get(j, "distance_km") != NULL;
	if (zones == band)
		return vg_err_set(err, zones ? VG_ERR_INCONSISTENT : VG_ERR_MISSING,
		                  "%s: want either zones or distance_km (a band along reference_line on the "
		                  "party's side)%s",
		                  path, zones ? ", not both" : "");
	if (zones) {
		if ((st = get_zones(ag, j, path, r, err)))
			return st;
		if (json_object_get(j, "min_distance_km") || json_object_get(j, "reference_line"))
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "%s.%s: only with distance_km (a band), not with zones", path,
			                  json_object_get(j, "min_distance_km") ? "min_distance_km"
			                                                        : "reference_line");
	} else {
		double d = 0, d0 = 0;
		if ((st = get_number(j, path, "distance_km", true, 0.001, 1000, &d, err)) ||
		    (st = get_number(j, path, "min_distance_km", false, 0, 1000, &d0, err)))
			return st;
		if (d0 >= d)
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "%s.min_distance_km = %g: must be below distance_km (%g)", path, d0, d);
		r->distance_m[r->party] = d * 1000;
		r->min_distance_m = d0 * 1000;
		const char *fid = NULL;
		if ((st = get_string(j, path, "reference_line", false, &fid, err)))
			return st;
		if (fid) {
			int fi = feature_by_id(ag, fid);
			if (fi < 0 || (ag->features[fi].role != VG_ROLE_CONTACT_LINE &&
			               ag->features[fi].role != VG_ROLE_REFERENCE_LINE))
				return vg_err_set(err, VG_ERR_RANGE,
				                  "%s.reference_line = \"%.64s\": want the id of a contact_line or "
				                  "reference_line feature",
				                  path, fid);
			r->ref_line[r->party] = fi;
		}
	}

	/* The caps: {class: count}. */
	json_t *caps = json_object_get(j, "caps");
	if (!caps)
		return vg_err_set(err, VG_ERR_MISSING, "%s.caps: missing", path);
	if (!json_is_object(caps))
		return vg_err_set(err, VG_ERR_TYPE, "%s.caps: want {class: count}, got %s", path,
		                  vg_cj_type_word(caps));
	if (json_object_size(caps) == 0)
		return vg_err_set(err, VG_ERR_MISSING, "%s.caps: empty (want at least one {class: count})",
		                  path);
	if (json_object_size(caps) > VG_AG_MAX_CAPS)
		return vg_err_set(err, VG_ERR_LIMIT, "%s.caps: %zu classes, at most %d", path,
		                  json_object_size(caps), VG_AG_MAX_CAPS);
	char cpath[160];
	snprintf(cpath, sizeof cpath, "%s.caps", path);
	const char *k;
	json_t *v;
	json_object_foreach(caps, k, v) {
		vg_class_mask m = vg_agreement_classes(ag, k);
		if (!m && !strcasecmp(k, "troops")) /* the personnel synonym, unless defined */
			m = VG_CLASS_BIT(VG_CLS_PERSONNEL);
		if (!m)
			return vg_err_set(err, VG_ERR_CLASS,
			                  "%s.%.64s: unknown weapon class (want an object class, a weapon class, "
			                  "an alias or \"troops\")",
			                  cpath, k);
		if (!json_is_number(v))
			return vg_err_set(err, VG_ERR_TYPE, "%s.%.64s: want a count (integer >= 0), got %s", cpath,
			                  k, vg_cj_type_word(v));
		double x = 0;
		if ((st = get_number(caps, cpath, k, true, 0, 1e9, &x, err)))
			return st;
		if (x != floor(x))
			return vg_err_set(err, VG_ERR_RANGE, "%s.%.64s = %g: want an integer", cpath, k, x);
		for (uint32_t i = 0; i < r->n_caps; i++)
			if (r->caps[i].classes == m)
				return vg_err_set(err, VG_ERR_EXISTS, "%s.%.64s: the same classes as %s.%s", cpath, k,
				                  cpath, r->caps[i].name);
		struct vg_ag_cap *c = &r->caps[r->n_caps++];
		snprintf(c->name, sizeof c->name, "%s", k);
		c->classes = m;
		c->max = (uint32_t)x;
		r->classes |= m;
	}

	/* The window and the counting parameters. */
	double win_h = 0, cluster_km = 2, frame_s = 60, speed = 15;
	if ((st = get_number(j, path, "window_h", true, 1.0 / 60, 8784, &win_h, err)) ||
	    (st = get_number(j, path, "cluster_km", false, 0.01, 100, &cluster_km, err)) ||
	    (st = get_number(j, path, "frame_s", false, 0, 3600, &frame_s, err)) ||
	    (st = get_number(j, path, "speed_mps", false, 0, 1000, &speed, err)))
		return st;
	r->window_ns = (int64_t)llround(win_h * 3600 * 1e9);
	r->window_origin_ns = 0; /* 1970-01-01T00:00:00Z: 24 h windows are UTC days */
	if (json_object_get(j, "window_origin") &&
	    (st = get_time(j, path, "window_origin", &r->window_origin_ns, err)))
		return st;
	r->cluster_m = cluster_km * 1000;
	r->frame_s = frame_s;
	r->speed_mps = speed;
	snprintf(r->class_name, sizeof r->class_name, "%s", r->caps[0].name);
	return VG_OK;
}

static vg_status parse_rule(const struct vg_agreement *ag, json_t *j, const char *path, size_t idx,
                            struct vg_ag_rule *r, struct vg_err *err)
{
	if (!json_is_object(j))
		return vg_err_set(err, VG_ERR_TYPE, "%s: want an object, got %s", path, vg_cj_type_word(j));
	memset(r, 0, sizeof *r);
	const char *type = NULL, *id = NULL;
	vg_status st;
	if ((st = get_string(j, path, "type", true, &type, err)) ||
	    (st = get_string(j, path, "id", false, &id, err)))
		return st;
	r->type = vg_rule_type_parse(type);
	if (r->type < 0)
		return vg_err_set(err, VG_ERR_CLASS,
		                  "%s.type = \"%.32s\": want no_fire, withdrawal, no_fly, disengagement, "
		                  "no_new_fortification or zone_cap",
		                  path, type);
	if (id && !vg_id_valid(id, strlen(id)))
		return vg_err_set(err, VG_ERR_RANGE, "%s.id = \"%.64s\": want [A-Za-z0-9._:-]{1,64}", path, id);
	if (id)
		snprintf(r->id, sizeof r->id, "%s", id);
	else
		snprintf(r->id, sizeof r->id, "%s-%zu", type, idx + 1);
	for (uint32_t p = 0; p < VG_AG_MAX_PARTIES; p++)
		r->ref_line[p] = ag->contact_line;
	r->exempt_holding = true;
	double cluster_km = 2, gap_h = 6, min_s = 2;
	switch (r->type) {
	case VG_RULE_NO_FIRE: {
		static const char *const al[] = {"type", "id", "description", "types", "cluster_km",
		                                 "gap_s", "min_reports", NULL};
		if ((st = check_members(j, path, al, err)))
			return st;
		r->types = 1u << VG_EVT_LAUNCH | 1u << VG_EVT_IMPACT | 1u << VG_EVT_EXPLOSION;
		json_t *t = json_object_get(j, "types");
		if (t) {
			if (!json_is_array(t) || json_array_size(t) == 0)
				return vg_err_set(err, VG_ERR_TYPE, "%s.types: want a non-empty array", path);
			r->types = 0;
			size_t i;
			json_t *e;
			json_array_foreach(t, i, e) {
				const char *s = json_is_string(e) ? json_string_value(e) : "";
				int b = !strcmp(s, "launch") ? VG_EVT_LAUNCH : !strcmp(s, "impact") ? VG_EVT_IMPACT
				        : !strcmp(s, "explosion")                                   ? VG_EVT_EXPLOSION
				        : !strcmp(s, "fire")                                        ? VG_EVT_FIRE
				                                                                    : 0;
				if (!b)
					return vg_err_set(err, VG_ERR_CLASS,
					                  "%s.types[%zu]: want launch, impact, explosion or fire", path, i);
				r->types |= 1u << b;
			}
		}
		double gap = 60, minr = 2;
		cluster_km = 3;
		if ((st = get_number(j, path, "cluster_km", false, 0.01, 100, &cluster_km, err)) ||
		    (st = get_number(j, path, "gap_s", false, 1, 86400, &gap, err)) ||
		    (st = get_number(j, path, "min_reports", false, 1, 1e6, &minr, err)))
			return st;
		if (minr != floor(minr))
			return vg_err_set(err, VG_ERR_RANGE, "%s.min_reports = %g: want an integer", path, minr);
		r->min_items = (uint32_t)minr;
		r->cluster_m = cluster_km * 1000;
		r->gap_s = gap;
		return VG_OK;
	}
	case VG_RULE_WITHDRAWAL:
	case VG_RULE_NO_FLY: {
		static const char *const al[] = {"type", "id", "description", "classes", "distance_km",
		                                 "reference_lines", "holding_areas_exempt", "min_duration_s",
		                                 "min_sightings", "cluster_km", "gap_h",
		                                 "monitoring_exempt", NULL};
		if ((st = check_members(j, path, al, err)))
			return st;
		if (r->type == VG_RULE_NO_FLY) {
			r->classes = VG_CLASS_BIT(VG_CLS_FIXED_WING) | VG_CLASS_BIT(VG_CLS_HELICOPTER) |
			             VG_CLASS_BIT(VG_CLS_UAV);
			snprintf(r->class_name, sizeof r->class_name, "aircraft");
			min_s = 1;
			cluster_km = 5;
			gap_h = 0.5;
		}
		if ((st = get_classes(ag, j, path, "classes", r->type == VG_RULE_WITHDRAWAL, &r->classes,
		                      r->class_name, err)) ||
		    (st = get_per_party(ag, j, path, "distance_km", true, 0.001, 1000, 1000.0, r->distance_m,
		                        err)) ||
		    (st = get_bool(j, path, "holding_areas_exempt", &r->exempt_holding, err)))
			return st;
		r->exempt_monitoring = r->type == VG_RULE_NO_FLY;
		if (r->type == VG_RULE_NO_FLY &&
		    (st = get_bool(j, path, "monitoring_exempt", &r->exempt_monitoring, err)))
			return st;
		if (r->type != VG_RULE_NO_FLY && json_object_get(j, "monitoring_exempt"))
			return vg_err_set(err, VG_ERR_UNKNOWN_MEMBER, "%s.monitoring_exempt: only for no_fly", path);
		json_t *rl = json_object_get(j, "reference_lines");
		if (rl) {
			if (!json_is_object(rl))
				return vg_err_set(err, VG_ERR_TYPE, "%s.reference_lines: want {party: feature id}",
				                  path);
			const char *k;
			json_t *e;
			json_object_foreach(rl, k, e) {
				int p = vg_agreement_party(ag, k);
				if (p < 0)
					return vg_err_set(err, VG_ERR_RANGE, "%s.reference_lines.%.64s: not one of the parties",
					                  path, k);
				const char *fid = json_is_string(e) ? json_string_value(e) : NULL;
				int fi = fid ? feature_by_id(ag, fid) : -1;
				if (fi < 0 || (ag->features[fi].role != VG_ROLE_CONTACT_LINE &&
				               ag->features[fi].role != VG_ROLE_REFERENCE_LINE))
					return vg_err_set(err, VG_ERR_RANGE,
					                  "%s.reference_lines.%s: want the id of a contact_line or "
					                  "reference_line feature",
					                  path, k);
				r->ref_line[p] = fi;
			}
		}
		break;
	}
	case VG_RULE_DISENGAGEMENT: {
		static const char *const al[] = {"type", "id", "description", "zones", "classes",
		                                 "fortifications", "min_duration_s", "min_sightings",
		                                 "cluster_km", "gap_h", NULL};
		if ((st = check_members(j, path, al, err)))
			return st;
		for (int c = VG_CLS_ARTILLERY; c <= VG_CLS_VEHICLE; c++)
			r->classes |= VG_CLASS_BIT(c);
		r->classes |= VG_CLASS_BIT(VG_CLS_PERSONNEL);
		snprintf(r->class_name, sizeof r->class_name, "forces");
		r->types = 1; /* fortifications count */
		bool forts = true;
		if ((st = get_zones(ag, j, path, r, err)) ||
		    (st = get_classes(ag, j, path, "classes", false, &r->classes, r->class_name, err)) ||
		    (st = get_bool(j, path, "fortifications", &forts, err)))
			return st;
		r->types = forts;
		cluster_km = 1;
		break;
	}
	case VG_RULE_ZONE_CAP:
		return parse_zone_cap(ag, j, path, r, err);
	case VG_RULE_NO_NEW_FORTIFICATION: {
		static const char *const al[] = {"type", "id", "description", "zones", "cluster_km", NULL};
		if ((st = check_members(j, path, al, err)) || (st = get_zones(ag, j, path, r, err)))
			return st;
		cluster_km = 0.5;
		if ((st = get_number(j, path, "cluster_km", false, 0.001, 100, &cluster_km, err)))
			return st;
		r->cluster_m = cluster_km * 1000;
		snprintf(r->class_name, sizeof r->class_name, "fortification");
		return VG_OK;
	}
	}
	if ((st = get_number(j, path, "min_duration_s", false, 0, 1e7, &r->min_duration_s, err)) ||
	    (st = get_number(j, path, "min_sightings", false, 1, 1000, &min_s, err)) ||
	    (st = get_number(j, path, "cluster_km", false, 0.01, 100, &cluster_km, err)) ||
	    (st = get_number(j, path, "gap_h", false, 0.001, 240, &gap_h, err)))
		return st;
	if (min_s != floor(min_s))
		return vg_err_set(err, VG_ERR_RANGE, "%s.min_sightings = %g: want an integer", path, min_s);
	r->min_sightings = (uint32_t)min_s;
	r->cluster_m = cluster_km * 1000;
	r->gap_s = gap_h * 3600;
	return VG_OK;
}

static vg_status parse_rules(struct vg_agreement *ag, json_t *arr, const char *path,
                             struct vg_ag_version *v, struct vg_err *err)
{
	if (!json_is_array(arr))
		return vg_err_set(err, arr ? VG_ERR_TYPE : VG_ERR_MISSING, "%s: want an array", path);
	size_t n = json_array_size(arr);
	if (n > VG_AG_MAX_RULES)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: %zu rules, at most %d", path, n, VG_AG_MAX_RULES);
	v->rules = calloc(n ? n : 1, sizeof *v->rules);
	if (!v->rules)
		return vg_err_set(err, VG_ERR_NOMEM, "rules");
	for (size_t i = 0; i < n; i++) {
		char p[96];
		snprintf(p, sizeof p, "%s[%zu]", path, i);
		vg_status st = parse_rule(ag, json_array_get(arr, i), p, i, &v->rules[i], err);
		if (st)
			return st;
		for (uint32_t k = 0; k < v->n_rules; k++)
			if (!strcmp(v->rules[k].id, v->rules[i].id))
				return vg_err_set(err, VG_ERR_EXISTS, "%s.id = \"%s\": duplicate rule id", p,
				                  v->rules[i].id);
		v->n_rules++;
	}
	return VG_OK;
}

/* ---- The document ------------------------------------------------------------- */

void vg_agreement_free(struct vg_agreement *ag)
{
	if (!ag)
		return;
	for (uint32_t i = 0; i < ag->n_features; i++) {
		vg_geo_line_free(ag->features[i].line);
		vg_geo_area_free(ag->features[i].area);
	}
	free(ag->features);
	for (uint32_t i = 0; i < ag->n_versions; i++)
		free(ag->versions[i].rules);
	free(ag->versions);
	for (uint32_t i = 0; i < ag->n_classes; i++)
		free(ag->classes[i].aliases);
	free(ag->classes);
	free(ag);
}

static vg_status parse_doc(struct vg_agreement *ag, json_t *doc, struct vg_err *err)
{
	vg_status st;
	if (!json_is_object(doc))
		return vg_err_set(err, VG_ERR_TYPE, "document: want a GeoJSON FeatureCollection object");
	const char *type = NULL;
	if ((st = get_string(doc, "document", "type", true, &type, err)))
		return st;
	if (strcmp(type, "FeatureCollection"))
		return vg_err_set(err, VG_ERR_RANGE, "document.type = \"%.32s\": want \"FeatureCollection\"",
		                  type);
	json_t *crs = json_object_get(doc, "crs");
	if (crs) { /* only CRS84 (the GeoJSON default) is accepted */
		json_t *pr = json_object_get(crs, "properties");
		json_t *nm = pr ? json_object_get(pr, "name") : NULL;
		const char *s = json_is_string(nm) ? json_string_value(nm) : "";
		if (!strstr(s, "CRS84") && strcmp(s, "EPSG:4326") && !strstr(s, "EPSG::4326"))
			return vg_err_set(err, VG_ERR_GEOMETRY, "document.crs = \"%.64s\": only CRS84 is accepted",
			                  s);
	}
	json_t *h = json_object_get(doc, "agreement");
	if (!json_is_object(h))
		return vg_err_set(err, h ? VG_ERR_TYPE : VG_ERR_MISSING, "agreement: want an object");
	const char *name = NULL;
	if ((st = get_string(h, "agreement", "name", true, &name, err)))
		return st;
	snprintf(ag->name, sizeof ag->name, "%s", name);
	double version = 1;
	if ((st = get_number(h, "agreement", "version", false, 1, 1e9, &version, err)))
		return st;
	if (version != floor(version))
		return vg_err_set(err, VG_ERR_RANGE, "agreement.version = %g: want an integer", version);
	json_t *parties = json_object_get(h, "parties");
	if (!json_is_array(parties) || json_array_size(parties) < 2 ||
	    json_array_size(parties) > VG_AG_MAX_PARTIES)
		return vg_err_set(err, parties ? VG_ERR_TYPE : VG_ERR_MISSING,
		                  "agreement.parties: want an array of 2 to %d party ids", VG_AG_MAX_PARTIES);
	size_t i;
	json_t *e;
	json_array_foreach(parties, i, e) {
		const char *s = json_is_string(e) ? json_string_value(e) : NULL;
		if (!s || !vg_id_valid(s, strlen(s)))
			return vg_err_set(err, VG_ERR_RANGE, "agreement.parties[%zu]: want [A-Za-z0-9._:-]{1,64}", i);
		for (uint32_t k = 0; k < ag->n_parties; k++)
			if (!strcmp(ag->parties[k], s))
				return vg_err_set(err, VG_ERR_EXISTS, "agreement.parties[%zu] = \"%s\": duplicate", i, s);
		snprintf(ag->parties[ag->n_parties++], VG_ID_MAX + 1, "%s", s);
	}
	int64_t effective;
	if ((st = get_time(h, "agreement", "effective", &effective, err)))
		return st;
	json_t *wc = json_object_get(h, "weapon_classes");
	if (wc && (st = parse_weapon_classes(ag, wc, err)))
		return st;

	/* Features. */
	json_t *feats = json_object_get(doc, "features");
	if (!json_is_array(feats))
		return vg_err_set(err, feats ? VG_ERR_TYPE : VG_ERR_MISSING, "features: want an array");
	size_t nf = json_array_size(feats);
	if (nf > VG_AG_MAX_FEATURES)
		return vg_err_set(err, VG_ERR_LIMIT, "features: %zu, at most %d", nf, VG_AG_MAX_FEATURES);
	ag->features = calloc(nf ? nf : 1, sizeof *ag->features);
	if (!ag->features)
		return vg_err_set(err, VG_ERR_NOMEM, "features");
	json_array_foreach(feats, i, e) {
		if ((st = parse_feature(ag, e, i, err)))
			return st;
	}
	ag->contact_line = -1;
	for (uint32_t p = 0; p < VG_AG_MAX_PARTIES; p++)
		ag->side[p] = -1;
	for (uint32_t k = 0; k < ag->n_features; k++) {
		const struct vg_ag_feature *F = &ag->features[k];
		if (F->role == VG_ROLE_CONTACT_LINE) {
			if (ag->contact_line >= 0)
				return vg_err_set(err, VG_ERR_INCONSISTENT,
				                  "features[%u] (id \"%s\"): a second contact_line (the first is "
				                  "features[%d] (id \"%s\"))",
				                  k, F->id, ag->contact_line, ag->features[ag->contact_line].id);
			ag->contact_line = (int)k;
		} else if (F->role == VG_ROLE_SIDE) {
			if (ag->side[F->party] >= 0)
				return vg_err_set(err, VG_ERR_INCONSISTENT,
				                  "features[%u] (id \"%s\"): a second side for party \"%s\"", k, F->id,
				                  ag->parties[F->party]);
			ag->side[F->party] = (int)k;
		}
	}
	if (ag->contact_line < 0)
		return vg_err_set(err, VG_ERR_MISSING, "features: no feature with role contact_line");
	for (uint32_t p = 0; p < ag->n_parties; p++)
		if (ag->side[p] < 0)
			return vg_err_set(err, VG_ERR_MISSING, "features: no side for party \"%s\"", ag->parties[p]);
	for (uint32_t p = 0; p < ag->n_parties; p++)
		for (uint32_t q = p + 1; q < ag->n_parties; q++) {
			const struct vg_ag_feature *A = &ag->features[ag->side[p]], *B = &ag->features[ag->side[q]];
			double ov = vg_geo_area_overlap(A->area, B->area);
			if (ov > 1e-6)
				return vg_err_set(err, VG_ERR_INCONSISTENT,
				                  "features[%d] (id \"%s\") and features[%d] (id \"%s\"): sides "
				                  "overlap (%.4g%% of the smaller)",
				                  ag->side[p], A->id, ag->side[q], B->id, ov * 100);
		}

	/* Versions: the base and its amendments. */
	json_t *am = json_object_get(h, "amendments");
	size_t na = am ? json_array_size(am) : 0;
	if (am && !json_is_array(am))
		return vg_err_set(err, VG_ERR_TYPE, "agreement.amendments: want an array");
	if (na + 1 > VG_AG_MAX_VERSIONS)
		return vg_err_set(err, VG_ERR_LIMIT, "agreement.amendments: at most %d", VG_AG_MAX_VERSIONS - 1);
	ag->versions = calloc(na + 1, sizeof *ag->versions);
	if (!ag->versions)
		return vg_err_set(err, VG_ERR_NOMEM, "versions");
	ag->versions[0].version = (int)version;
	ag->versions[0].effective_ns = effective;
	ag->n_versions = 1;
	if ((st = parse_rules(ag, json_object_get(h, "rules"), "agreement.rules", &ag->versions[0], err)))
		return st;
	for (size_t k = 0; k < na; k++) {
		char p[64];
		snprintf(p, sizeof p, "agreement.amendments[%zu]", k);
		json_t *a = json_array_get(am, k);
		if (!json_is_object(a))
			return vg_err_set(err, VG_ERR_TYPE, "%s: want an object", p);
		static const char *const al[] = {"version", "effective", "rules", "name", "description", NULL};
		if ((st = check_members(a, p, al, err)))
			return st;
		struct vg_ag_version *v = &ag->versions[ag->n_versions];
		const struct vg_ag_version *prev = &ag->versions[ag->n_versions - 1];
		double ver;
		if ((st = get_number(a, p, "version", true, 1, 1e9, &ver, err)) ||
		    (st = get_time(a, p, "effective", &v->effective_ns, err)))
			return st;
		if (ver != floor(ver) || (int)ver <= prev->version)
			return vg_err_set(err, VG_ERR_INCONSISTENT, "%s.version = %g: must be an integer above %d",
			                  p, ver, prev->version);
		v->version = (int)ver;
		if (v->effective_ns < effective) {
			char a1[VG_TIME_STR_MAX], a2[VG_TIME_STR_MAX];
			vg_time_format(v->effective_ns, a1);
			vg_time_format(effective, a2);
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "%s.effective = %s: predates the agreement (effective %s)", p, a1, a2);
		}
		if (v->effective_ns <= prev->effective_ns)
			return vg_err_set(err, VG_ERR_INCONSISTENT,
			                  "%s.effective: not after the previous version's effective time", p);
		char rp[96];
		snprintf(rp, sizeof rp, "%s.rules", p);
		ag->n_versions++;
		if ((st = parse_rules(ag, json_object_get(a, "rules"), rp, v, err)))
			return st;
	}
	return VG_OK;
}

vg_status vg_agreement_parse(const char *text, size_t len, struct vg_agreement **out,
                             struct vg_err *err)
{
	size_t bad;
	if (!vg_utf8_valid(text, len, &bad))
		return vg_err_set(err, VG_ERR_UTF8, "invalid UTF-8 at byte %zu", bad);
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return vg_err_set(err, VG_ERR_JSON, "line %d column %d: %s", je.line, je.column, je.text);
	struct vg_agreement *ag = calloc(1, sizeof *ag);
	if (!ag) {
		json_decref(doc);
		return vg_err_set(err, VG_ERR_NOMEM, "agreement");
	}
	vg_status st = parse_doc(ag, doc, err);
	json_decref(doc);
	if (st) {
		vg_agreement_free(ag);
		return st;
	}
	*out = ag;
	return VG_OK;
}

vg_status vg_agreement_load(const char *path, struct vg_agreement **out, struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > VG_AG_FILE_MAX + 65536) {
				free(buf);
				fclose(f);
				return vg_err_set(err, VG_ERR_LIMIT, "%s: larger than %u bytes", path, VG_AG_FILE_MAX);
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool ioerr = ferror(f);
	fclose(f);
	if (ioerr) {
		free(buf);
		return vg_err_set(err, VG_ERR_IO, "%s: read error", path);
	}
	vg_status st = vg_agreement_parse(buf, len, out, err);
	free(buf);
	if (st)
		vg_err_prefix(err, "%s", path);
	return st;
}

const struct vg_ag_version *vg_agreement_version_at(const struct vg_agreement *ag, int64_t t)
{
	const struct vg_ag_version *v = NULL;
	for (uint32_t i = 0; i < ag->n_versions; i++)
		if (ag->versions[i].effective_ns <= t)
			v = &ag->versions[i];
	return v;
}

int vg_agreement_side(const struct vg_agreement *ag, double lat, double lon)
{
	for (uint32_t p = 0; p < ag->n_parties; p++)
		if (vg_geo_area_contains(ag->features[ag->side[p]].area, lat, lon))
			return (int)p;
	return -1;
}

void vg_agreement_place(const struct vg_agreement *ag, double lat, double lon, struct vg_place *pl)
{
	pl->side = vg_agreement_side(ag, lat, lon);
	struct vg_geo_foot ft;
	pl->line_dist_m = vg_geo_line_distance(ag->features[ag->contact_line].line, lat, lon, &ft);
	pl->line_az_deg = ft.az_deg;
}

void vg_agreement_attribute(const struct vg_agreement *ag, double lat, double lon,
                            const double cov[2][2], double p[VG_AG_MAX_PARTIES])
{
	vg_geo_area *areas[VG_AG_MAX_PARTIES];
	for (uint32_t i = 0; i < ag->n_parties; i++)
		areas[i] = ag->features[ag->side[i]].area;
	/* Most points are far from every boundary: the 8-sigma box inside one
	 * side settles it without measuring the distance to the line. */
	double tr = cov[0][0] + cov[1][1];
	if (tr > 0 && isfinite(tr)) {
		double sx = 8 * sqrt(cov[0][0]), sy = 8 * sqrt(cov[1][1]);
		double dlat = sy / 110574.0, dlon = sx / (111320.0 * cos(lat * M_PI / 180) * 0.99);
		for (uint32_t i = 0; i < ag->n_parties; i++)
			if (vg_geo_area_contains_box(areas[i], lat - dlat, lon - dlon, lat + dlat, lon + dlon)) {
				for (uint32_t k = 0; k < ag->n_parties; k++)
					p[k] = k == i;
				return;
			}
	}
	/* The line's local direction orients the integration rows, so that
	 * each row crosses the contact line once. */
	struct vg_geo_foot ft;
	vg_geo_line_distance(ag->features[ag->contact_line].line, lat, lon, &ft);
	vg_geo_attribution(areas, ag->n_parties, lat, lon, cov, ft.az_deg, p);
}

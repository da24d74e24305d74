/* names.c - the name tables of codec.h's enums, and ids. The spelling of
 * each name is part of the observation and registry formats
 * (docs/observation-format.md); tables are read-only. */
#include "codec/codec_json.h"

#include <string.h>

static const char *const kind_names[] = {
	"impulse", "detection", "fire", "change", "coverage", "status",
};
static const char *const impulse_class_names[] = {
	"unknown", "launch", "impact", "explosion",
};
static const char *const object_class_names[VG_CLS_COUNT_] = {
	[VG_CLS_UNKNOWN] = "unknown",
	[VG_CLS_ARTILLERY] = "artillery",
	[VG_CLS_ARTILLERY_LIGHT] = "artillery_light",
	[VG_CLS_MORTAR] = "mortar",
	[VG_CLS_MLRS] = "mlrs",
	[VG_CLS_MLRS_HEAVY] = "mlrs_heavy",
	[VG_CLS_TACTICAL_MISSILE] = "tactical_missile",
	[VG_CLS_TANK] = "tank",
	[VG_CLS_APC] = "apc",
	[VG_CLS_IFV] = "ifv",
	[VG_CLS_AIR_DEFENCE] = "air_defence",
	[VG_CLS_TRUCK] = "truck",
	[VG_CLS_VEHICLE] = "vehicle",
	[VG_CLS_FIXED_WING] = "fixed_wing",
	[VG_CLS_HELICOPTER] = "helicopter",
	[VG_CLS_UAV] = "uav",
	[VG_CLS_PERSONNEL] = "personnel",
};
static const char *const change_type_names[] = {
	"crater", "vehicle", "fortification", "thermal", "damage",
};
static const char *const modality_names[] = {
	"acoustic", "seismic", "infrasound", "acoustic_array", "drone", "radar",
	"counter_battery_radar", "satellite_optical", "satellite_sar", "external",
};

#define NAMES(tbl, first) {tbl, first, (int)(sizeof tbl / sizeof tbl[0])}
const struct vg_cj_names vg_cj_kinds = NAMES(kind_names, VG_OBS_IMPULSE);
const struct vg_cj_names vg_cj_impulse_classes = NAMES(impulse_class_names, VG_IMP_UNKNOWN);
const struct vg_cj_names vg_cj_object_classes = NAMES(object_class_names, VG_CLS_UNKNOWN);
const struct vg_cj_names vg_cj_change_types = NAMES(change_type_names, VG_CHG_CRATER);
const struct vg_cj_names vg_cj_modalities = NAMES(modality_names, VG_MOD_ACOUSTIC);

int vg_cj_names_parse(const struct vg_cj_names *t, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < t->count; i++)
		if (strcmp(t->names[i], s) == 0)
			return t->first + i;
	return -1;
}

const char *vg_cj_names_name(const struct vg_cj_names *t, int v)
{
	if (v < t->first || v - t->first >= t->count)
		return NULL;
	return t->names[v - t->first];
}

const char *vg_obs_kind_name(int kind) { return vg_cj_names_name(&vg_cj_kinds, kind); }
int vg_obs_kind_parse(const char *s) { return vg_cj_names_parse(&vg_cj_kinds, s); }
const char *vg_impulse_class_name(int c) { return vg_cj_names_name(&vg_cj_impulse_classes, c); }
const char *vg_object_class_name(int c) { return vg_cj_names_name(&vg_cj_object_classes, c); }
int vg_object_class_parse(const char *s) { return vg_cj_names_parse(&vg_cj_object_classes, s); }
const char *vg_change_type_name(int c) { return vg_cj_names_name(&vg_cj_change_types, c); }
const char *vg_modality_name(int m) { return vg_cj_names_name(&vg_cj_modalities, m); }
int vg_modality_parse(const char *s) { return vg_cj_names_parse(&vg_cj_modalities, s); }

bool vg_id_valid(const char *s, size_t len)
{
	if (!s || len == 0 || len > VG_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		          c == '.' || c == '_' || c == ':' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

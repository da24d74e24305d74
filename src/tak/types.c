/*
 * types.c - CoT types <-> Vigil's classes (tak.h).
 *
 * The atom paths are MIL-STD-2525 function paths as CoT spells them (the
 * part of the type after "a-<affiliation>-"), taken from MITRE's
 * CoTtypes.xml (the type catalogue TAK clients ship; tests/e2e/tak_cot.sh
 * checks every type vigil writes against the copy in @tak-ps/node-cot).
 * Indirect fire systems use the combat-support unit branch (G-U-C-F:
 * "Artillery", as the field reports a battery), heavy rocket and missile
 * launchers the equipment branch (G-E-W-...), which has those sizes;
 * vehicles and aircraft their equipment and air paths. docs/tak.md lists
 * the mapping.
 */
#include "tak/tak.h"

#include <string.h>

static const char *const class_paths[VG_CLS_COUNT_] = {
	[VG_CLS_UNKNOWN] = "G",                   /* GROUND TRACK */
	[VG_CLS_ARTILLERY] = "G-U-C-F",           /* Artillery */
	[VG_CLS_ARTILLERY_LIGHT] = "G-U-C-F-H-L", /* Howitzer/gun, light */
	[VG_CLS_MORTAR] = "G-U-C-F-M",            /* MORTAR */
	[VG_CLS_MLRS] = "G-U-C-F-R-M-S",          /* MULTI ROCKET SELF PROPELLED */
	[VG_CLS_MLRS_HEAVY] = "G-E-W-X-H",        /* MULTIPLE ROCKET LAUNCHER HEAVY */
	[VG_CLS_TACTICAL_MISSILE] = "G-E-W-M-S-S",/* SHORT RANGE SS MISSILE LAUNCHER */
	[VG_CLS_TANK] = "G-E-V-A-T",              /* TANK */
	[VG_CLS_APC] = "G-E-V-A-A",               /* Armor (APC) */
	[VG_CLS_IFV] = "G-E-V-A-I",               /* ARMORED INFANTRY */
	[VG_CLS_AIR_DEFENCE] = "G-U-C-D",         /* AIR DEFENSE */
	[VG_CLS_TRUCK] = "G-E-V-U-X",             /* CROSS COUNTRY TRUCK */
	[VG_CLS_VEHICLE] = "G-E-V",               /* GROUND VEHICLE */
	[VG_CLS_FIXED_WING] = "A-M-F",            /* FIXED WING */
	[VG_CLS_HELICOPTER] = "A-M-H",            /* ROTARY WING */
	[VG_CLS_UAV] = "A-M-F-Q",                 /* DRONE (RPV/UAV) */
	[VG_CLS_PERSONNEL] = "G-U-C-I",           /* Troops */
};

/* Further paths TAK users pick for the same classes (reading only). */
static const struct {
	const char *path;
	int cls;
} extra_paths[] = {
	{"G-U-C-F-H", VG_CLS_ARTILLERY},          /* HOWITZER/GUN */
	{"G-E-W-H", VG_CLS_ARTILLERY},            /* HOWITZER */
	{"G-E-W-H-L", VG_CLS_ARTILLERY_LIGHT},
	{"G-E-W-O", VG_CLS_MORTAR},               /* MORTAR (equipment) */
	{"G-U-C-F-R", VG_CLS_MLRS},               /* ROCKET */
	{"G-E-W-X", VG_CLS_MLRS},                 /* MULTIPLE ROCKET LAUNCHER */
	{"G-E-W-M-S", VG_CLS_TACTICAL_MISSILE},   /* SURF SURF MISSILE LAUNCHER */
	{"G-E-W-M-A", VG_CLS_AIR_DEFENCE},        /* AD MISSILE LAUNCHER */
	{"G-E-W-A", VG_CLS_AIR_DEFENCE},          /* AIR DEFENSE GUN */
	{"G-E-V-U", VG_CLS_TRUCK},                /* UTILITY VEHICLE */
	{"G-U-C-A", VG_CLS_TANK},                 /* ARMOR (units) */
	{"A-C-F", VG_CLS_FIXED_WING},             /* civil fixed wing */
	{"A-C-H", VG_CLS_HELICOPTER},
	{"A-M-H-Q", VG_CLS_UAV},                  /* unmanned rotor wing */
	{"A", VG_CLS_UNKNOWN},
};

const char *vg_tak_class_path(int cls)
{
	if (cls < 0 || cls >= VG_CLS_COUNT_)
		return NULL;
	return class_paths[cls];
}

/* Whether p is path or path followed by "-...". */
static size_t prefix_len(const char *path, const char *p)
{
	size_t n = strlen(p);
	if (strncmp(path, p, n) || (path[n] && path[n] != '-'))
		return 0;
	return n;
}

int vg_tak_path_class(const char *path)
{
	int best = VG_CLS_UNKNOWN;
	size_t best_n = 0;
	for (int c = 0; c < VG_CLS_COUNT_; c++) {
		size_t n = prefix_len(path, class_paths[c]);
		if (n > best_n) {
			best_n = n;
			best = c;
		}
	}
	for (size_t i = 0; i < sizeof extra_paths / sizeof extra_paths[0]; i++) {
		size_t n = prefix_len(path, extra_paths[i].path);
		if (n > best_n) {
			best_n = n;
			best = extra_paths[i].cls;
		}
	}
	return best;
}

static bool is_type(const char *t, const char *p)
{
	return prefix_len(t, p) > 0;
}

vg_status vg_tak_classify(struct vg_tak_report *r, struct vg_err *err)
{
	const char *t = r->type;
	if (r->from_vigil)
		return vg_err_set(err, VG_ERR_CLASS,
		                  "detail.vigil: a message vigil wrote (uid \"%.64s\"), not an external report",
		                  r->uid);
	if (t[0] == 'a' && t[1] == '-') {
		char aff = t[2];
		if (!aff || (t[3] && t[3] != '-') || !strchr("fhupanjsk", aff))
			return vg_err_set(err, VG_ERR_CLASS,
			                  "event.type = \"%s\": affiliation '%c' unknown (want f h u p a n s j k)",
			                  t, aff ? aff : ' ');
		if (aff == 'f' || aff == 'a')
			return vg_err_set(err, VG_ERR_CLASS,
			                  "event.type = \"%s\": a friendly (own forces') position, not an observation",
			                  t);
		r->kind = VG_OBS_DETECTION;
		r->cls = t[3] ? vg_tak_path_class(t + 4) : VG_CLS_UNKNOWN;
		return VG_OK;
	}
	r->kind = VG_OBS_IMPULSE;
	if (is_type(t, "b-d-l"))
		r->cls = VG_IMP_LAUNCH;
	else if (is_type(t, "b-d-i"))
		r->cls = VG_IMP_IMPACT;
	else if (is_type(t, "b-d-a-i"))
		r->cls = VG_IMP_EXPLOSION;
	else
		return vg_err_set(err, VG_ERR_CLASS,
		                  "event.type = \"%s\": not a report vigil stores (want an atom a-* other than "
		                  "friendly, or b-d-l, b-d-i, b-d-a-i)",
		                  t);
	return VG_OK;
}

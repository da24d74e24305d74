/*
 * fuzz_agreement.c - libFuzzer target for agreement documents
 * (vg_agreement_parse): strict JSON, GeoJSON geometry validated with GEOS,
 * rules, classes, versions. A rejected document must say why; an accepted
 * one must hold what the rules rely on (docs/agreement-format.md): at
 * least two parties, a contact line, versions in increasing effective
 * time, every feature index a rule names in range and of the right role,
 * and places and withdrawal belts computable for it.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/agreement (the
 * agreement-format examples, a simulated agreement and broken variants)
 * and CTest replays it.
 */
#include "rules/rules.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct vg_agreement *ag)
{
	vg_assert(ag->n_parties >= 2 && ag->n_parties <= VG_AG_MAX_PARTIES);
	vg_assert(ag->contact_line >= 0 && (uint32_t)ag->contact_line < ag->n_features);
	vg_assert(ag->features[ag->contact_line].line != NULL);
	vg_assert(ag->n_versions >= 1);
	for (uint32_t v = 1; v < ag->n_versions; v++)
		vg_assert(ag->versions[v].effective_ns > ag->versions[v - 1].effective_ns);
	for (uint32_t p = 0; p < ag->n_parties; p++) {
		vg_assert(ag->parties[p][0] != '\0');
		vg_assert(vg_agreement_party(ag, ag->parties[p]) == (int)p);
		int s = ag->side[p];
		vg_assert(s == -1 || ((uint32_t)s < ag->n_features && ag->features[s].area != NULL &&
		                      ag->features[s].role == VG_ROLE_SIDE && ag->features[s].party == (int)p));
	}
	for (uint32_t k = 0; k < ag->n_features; k++) {
		const struct vg_ag_feature *F = &ag->features[k];
		vg_assert(F->party >= -1 && F->party < (int)ag->n_parties);
		vg_assert((F->line != NULL) != (F->area != NULL));
	}
	for (uint32_t v = 0; v < ag->n_versions; v++)
		for (uint32_t r = 0; r < ag->versions[v].n_rules; r++) {
			const struct vg_ag_rule *R = &ag->versions[v].rules[r];
			vg_assert(R->id[0] != '\0');
			for (uint32_t p = 0; p < ag->n_parties; p++) {
				int l = R->ref_line[p];
				vg_assert(l == -1 || ((uint32_t)l < ag->n_features && ag->features[l].line != NULL));
				vg_assert(!(R->distance_m[p] < 0) && !isnan(R->distance_m[p]));
			}
			vg_assert(R->n_zones <= 16);
			for (uint32_t z = 0; z < R->n_zones; z++)
				vg_assert(R->zone[z] >= 0 && (uint32_t)R->zone[z] < ag->n_features &&
				          ag->features[R->zone[z]].area != NULL);
			vg_assert(R->n_caps <= VG_AG_MAX_CAPS);
		}
	/* a place: the side found and a finite distance (or none: no line) */
	struct vg_place pl;
	vg_agreement_place(ag, 48.0, 37.5, &pl);
	vg_assert(pl.side >= -1 && pl.side < (int)ag->n_parties);
	vg_assert(!isnan(pl.line_dist_m) && pl.line_dist_m >= 0);
	/* the withdrawal belts of the whole agreement */
	struct vg_belt *b = NULL;
	uint32_t nb = 0;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_agreement_belts(ag, INT64_MIN, INT64_MAX, &b, &nb, &err) == VG_OK) {
		for (uint32_t k = 0; k < nb; k++)
			vg_assert(b[k].area != NULL && b[k].party >= 0 && b[k].party < (int)ag->n_parties);
		vg_belts_free(b, nb);
	} else {
		vg_assert(err.msg[0] != '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_agreement *ag = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_agreement_parse((const char *)data, size, &ag, &err);
	if (st == VG_OK) {
		vg_assert(ag != NULL);
		check_accepted(ag);
		vg_agreement_free(ag);
	} else {
		vg_assert(ag == NULL);
		vg_assert(err.msg[0] != '\0');
	}
	return 0;
}

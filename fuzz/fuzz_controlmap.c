/*
 * fuzz_controlmap.c - libFuzzer target for `vigil agreement
 * from-control-map` (vg_agreement_from_control_map): a controlled area and
 * a country outline, two GeoJSON texts (a geometry, a Feature or a
 * FeatureCollection) separated by a line "----". A refusal must say why; an
 * agreement it writes must be one `vigil agreement check` accepts.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/controlmap (small
 * made-up maps and broken variants) and CTest replays it.
 */
#include "rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *sep = strstr(text, "\n----\n");
	if (!sep || strlen(text) != size) { /* one NUL-free text per part */
		free(text);
		return 0;
	}
	*sep = '\0';
	const char *controlled = text, *country = sep + 6;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		free(text);
		return 0;
	}
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_agreement_from_control_map(controlled, country, "fuzz", "A", "B", 0, 2000, f, &err);
	fclose(f);
	if (st == VG_OK) {
		struct vg_agreement *ag = NULL;
		struct vg_err e2;
		vg_err_clear(&e2);
		if (vg_agreement_parse(out, len, &ag, &e2) != VG_OK) {
			fprintf(stderr, "from-control-map wrote an agreement check refuses: %s\n", e2.msg);
			vg_assert(0);
		}
		vg_agreement_free(ag);
	} else {
		vg_assert(err.msg[0] != '\0');
	}
	free(out);
	free(text);
	return 0;
}

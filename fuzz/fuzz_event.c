/*
 * fuzz_event.c - libFuzzer target for the NDJSON lines the rules read from
 * outside: events (vg_rule_event_parse: `vigil adjudicate --events`, the
 * store's events, fusion's records with "pair" and "classes") and findings
 * (vg_finding_parse: `vigil findings`, the scorer). A rejected line says
 * why; an accepted event has a known type, a WGS84 position, a finite
 * covariance and only known classes; an accepted finding is written back
 * (vg_finding_record) to a line that parses to the same record bytes: the
 * record is a fixed point.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/event and CTest replays it.
 */
#include "rules/rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_rule_event ev;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_rule_event_parse((const char *)data, size, &ev, &err) != VG_OK) {
		vg_assert(err.msg[0] != '\0'); /* every rejection says why */
	} else {
		vg_assert(ev.type >= VG_EVT_LAUNCH && ev.type <= VG_EVT_FIRE);
		vg_assert(ev.lat_deg >= -90 && ev.lat_deg <= 90 && ev.lon_deg >= -180 && ev.lon_deg <= 180);
		vg_assert(ev.cls >= 0 && ev.cls < VG_CLS_COUNT_);
		vg_assert((ev.classes & ~(((vg_class_mask)1 << VG_CLS_COUNT_) - 2)) == 0);
		for (int i = 0; i < 2; i++)
			for (int j = 0; j < 2; j++)
				vg_assert(isfinite(ev.cov_m2[i][j]));
		vg_assert(ev.n_evidence == 0 || ev.evidence);
		vg_rule_event_clear(&ev);
	}
	struct vg_finding f, g;
	vg_err_clear(&err);
	if (vg_finding_parse((const char *)data, size, &f, &err) != VG_OK) {
		vg_assert(err.msg[0] != '\0');
		return 0;
	}
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	vg_assert(vg_finding_record(&f, &a, &na, &err) == VG_OK);
	vg_assert(vg_finding_parse(a, na, &g, &err) == VG_OK);
	vg_assert(vg_finding_record(&g, &b, &nb, &err) == VG_OK);
	vg_assert(na == nb && memcmp(a, b, na) == 0);
	free(a);
	free(b);
	vg_finding_clear(&f);
	vg_finding_clear(&g);
	return 0;
}

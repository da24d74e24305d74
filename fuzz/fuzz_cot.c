/*
 * fuzz_cot.c - libFuzzer target for src/tak: the strict CoT parser (what
 * TAK users and any peer on a multicast group can send) and the writer
 * (records read back from a store or a file).
 *  - The input as a received message: vg_tak_parse must either refuse it
 *    with a status and a message, or return a report satisfying the
 *    contract (uid, type, how non-empty; lat, lon in range; stale >=
 *    start; ce, le >= 0); vg_tak_classify then sets a kind and class or
 *    refuses naming event.type.
 *  - The input as an event record and as a finding record: if the writer
 *    accepts it, its output must be one line that the parser accepts again,
 *    marked as vigil's, with the uid and point the writer wrote, and the
 *    same bytes a second time.
 * Build: make fuzz (clang, -fsanitize=fuzzer); the seed corpus is
 * fuzz/corpus/cot and CTest replays it (fuzz/replay_main.c).
 */
#include "tak/tak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_written(const char *rec, size_t size, bool finding)
{
	static char out[VG_TAK_OUT_MAX], again[VG_TAK_OUT_MAX];
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	struct vg_err err;
	size_t n = 0, n2 = 0;
	vg_status st = finding ? vg_tak_finding_cot(&o, rec, size, out, sizeof out, &n, &err)
	                       : vg_tak_event_cot(&o, rec, size, out, sizeof out, &n, &err);
	if (st) {
		vg_assert(st == err.status && err.msg[0]);
		return;
	}
	vg_assert(n == strlen(out) && !memchr(out, '\n', n));
	st = finding ? vg_tak_finding_cot(&o, rec, size, again, sizeof again, &n2, &err)
	             : vg_tak_event_cot(&o, rec, size, again, sizeof again, &n2, &err);
	vg_assert(st == VG_OK && n2 == n && memcmp(out, again, n) == 0);
	struct vg_tak_report r;
	st = vg_tak_parse(out, n, &r, &err);
	if (st != VG_OK) {
		fprintf(stderr, "written CoT refused: %s\n%s\n", err.msg, out);
		abort();
	}
	vg_assert(r.from_vigil);
	vg_assert(!strncmp(r.uid, finding ? "vigil-finding-" : "vigil-event-", finding ? 14 : 12));
	vg_assert(!strcmp(r.how, "m-f") && r.stale_ns >= r.start_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct vg_tak_report r;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_tak_parse(s, size, &r, &err);
	if (st != VG_OK) {
		vg_assert(st == err.status && err.msg[0]);
	} else {
		vg_assert(r.uid[0] && r.type[0] && r.how[0]);
		vg_assert(r.lat_deg >= -90 && r.lat_deg <= 90 && r.lon_deg >= -180 && r.lon_deg <= 180);
		vg_assert(r.stale_ns >= r.start_ns);
		vg_assert(!r.has_ce || (r.ce_m >= 0 && r.ce_m < VG_TAK_UNKNOWN));
		vg_assert(!r.has_le || r.le_m >= 0);
		vg_assert(strlen(r.remarks) <= VG_TAK_REMARKS_MAX);
		uint8_t k[VG_SHA256_BYTES];
		vg_tak_report_key(&r, k);
		if (vg_tak_classify(&r, &err) == VG_OK)
			vg_assert(r.kind == VG_OBS_DETECTION ? r.cls >= 0 && r.cls < VG_CLS_COUNT_
			                                     : r.kind == VG_OBS_IMPULSE && r.cls >= 1 && r.cls <= 3);
		else
			vg_assert(strstr(err.msg, "event.type") || strstr(err.msg, "detail.vigil"));
	}
	if (size <= VG_LINE_MAX) {
		check_written(s, size, false);
		check_written(s, size, true);
	}
	return 0;
}

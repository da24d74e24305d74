/*
 * fuzz_firms.c - libFuzzer target for NASA FIRMS active-fire CSVs
 * (vg_firms_parse, what `vigil import firms` and `vigil agreement place`
 * read): a rejected file must say why; every row handed on must be a
 * position, a time, a finite pixel size and location sigma, an FRP in
 * range or unknown, and short NUL-terminated words.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/firms (made-up rows in
 * the VIIRS and MODIS layouts, and broken variants) and CTest replays it.
 */
#include "rules/rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vg_status row(void *ctx, const struct vg_firms_row *r, struct vg_err *e)
{
	(void)e;
	(*(unsigned *)ctx)++;
	vg_assert(r->lat_deg >= -90 && r->lat_deg <= 90 && r->lon_deg >= -180 && r->lon_deg <= 180);
	vg_assert(isnan(r->frp_mw) || (r->frp_mw >= 0 && r->frp_mw <= 1e6));
	vg_assert(r->scan_km >= 0.1 && r->scan_km <= 20 && r->track_km >= 0.1 && r->track_km <= 20);
	vg_assert(isfinite(r->sigma_m) && r->sigma_m > 0);
	vg_assert(memchr(r->satellite, 0, sizeof r->satellite) && memchr(r->instrument, 0, sizeof r->instrument) &&
	          memchr(r->confidence, 0, sizeof r->confidence));
	vg_assert(r->raw && strlen(r->raw) > 0);
	char t[VG_TIME_STR_MAX];
	vg_time_format(r->t_ns, t); /* a time the formatter takes */
	return VG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0; /* fmemopen wants a buffer */
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct vg_err err;
	vg_err_clear(&err);
	unsigned n = 0;
	vg_status st = vg_firms_parse(f, "fuzz.csv", row, &n, &err);
	fclose(f);
	if (st != VG_OK)
		vg_assert(err.msg[0] != '\0' && !strncmp(err.msg, "fuzz.csv", 8));
	return 0;
}

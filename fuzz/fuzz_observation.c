/*
 * fuzz_observation.c - libFuzzer target for the sensor-facing parser:
 * vg_observation_decode on the input as one envelope line, and
 * vg_obs_parse on the same bytes as a bare payload (so that mutations of
 * payload text reach the schema checks without going through base64).
 * Each call gets an arena capped at 1 MiB, reset afterwards. A decode that
 * succeeds must satisfy the invariants codec.h promises; a break aborts.
 * Differential: vg_envelope_decode (hand-written fast path first) and
 * vg_envelope_decode_ref (jansson) must give the same status, message and
 * output on every input.
 *
 * Build: make fuzz (clang, -fsanitize=fuzzer); the seed corpus is
 * fuzz/corpus/observation and CTest replays it (fuzz/replay_main.c).
 */
#include "codec/codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARENA_CAP (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_obs(const struct vg_obs *o)
{
	vg_assert(o->kind >= VG_OBS_IMPULSE && o->kind <= VG_OBS_STATUS);
	vg_assert(vg_id_valid(o->sensor, strlen(o->sensor)));
	vg_assert(o->seq >= 0);
	vg_assert(o->t_end_ns >= o->t_ns);
	if (o->has_bbox) {
		vg_assert(o->min_lat_deg <= o->max_lat_deg && o->min_lon_deg <= o->max_lon_deg);
		vg_assert(o->min_lat_deg >= -90 && o->max_lat_deg <= 90);
		vg_assert(o->min_lon_deg >= -180 && o->max_lon_deg <= 180);
	}
	const struct vg_polygon *p = NULL;
	if (o->kind == VG_OBS_COVERAGE)
		p = &o->u.coverage.poly;
	else if (o->kind == VG_OBS_CHANGE && !o->u.change.has_point)
		p = &o->u.change.poly;
	if (p) {
		vg_assert(p->n >= 4 && p->n <= VG_POLY_MAX_PTS && p->pts);
		for (uint32_t i = 0; i < p->n; i++)
			vg_assert(isfinite(p->pts[i][0]) && isfinite(p->pts[i][1]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct vg_arena arena, ref_arena;
	if (!ready) {
		if (vg_crypto_init() != VG_OK)
			abort();
		vg_arena_init(&arena, FUZZ_ARENA_CAP);
		vg_arena_init(&ref_arena, FUZZ_ARENA_CAP);
		ready = true;
	}
	struct vg_envelope env;
	struct vg_obs obs;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_observation_decode((const char *)data, size, &arena, &env, &obs, &err);
	if (st == VG_OK) {
		vg_assert(env.payload_len > 0 && env.payload_len <= VG_LINE_MAX);
		vg_assert(strcmp(env.keyid, obs.sensor) == 0);
		check_obs(&obs);
	} else {
		vg_assert(st == err.status && st > VG_OK && st < VG_STATUS_COUNT_ && err.msg[0]);
	}
	vg_arena_reset(&arena);

	struct vg_envelope ref;
	struct vg_err ref_err;
	vg_err_clear(&err);
	vg_err_clear(&ref_err);
	st = vg_envelope_decode((const char *)data, size, &arena, &env, &err);
	vg_status ref_st = vg_envelope_decode_ref((const char *)data, size, VG_PAYLOAD_TYPE,
	                                          &ref_arena, &ref, &ref_err);
	vg_assert(st == ref_st && strcmp(err.msg, ref_err.msg) == 0);
	if (st == VG_OK) {
		vg_assert(env.payload_len == ref.payload_len &&
		          memcmp(env.payload, ref.payload, env.payload_len) == 0);
		vg_assert(strcmp(env.keyid, ref.keyid) == 0 &&
		          memcmp(env.sig, ref.sig, VG_SIG_BYTES) == 0);
	}
	vg_arena_reset(&arena);
	vg_arena_reset(&ref_arena);

	vg_err_clear(&err);
	st = vg_obs_parse(data, size, &arena, &obs, &err);
	if (st == VG_OK)
		check_obs(&obs);
	else
		vg_assert(st == err.status && err.msg[0]);
	vg_arena_reset(&arena);
	return 0;
}

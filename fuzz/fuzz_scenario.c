/*
 * fuzz_scenario.c - libFuzzer target for scenario files
 * (vg_sim_scenario_parse): strict JSON, unknown members, types and ranges
 * all refused with a message naming the member. Only parsing is fuzzed,
 * not the run.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/scenario (the shipped
 * scenarios and broken variants) and CTest replays it.
 */
#include "sim/sim.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	/* base_dir "/nonexistent": a scenario naming an agreement file cannot
	 * make the fuzzer read the file system. */
	vg_status st = vg_sim_scenario_parse((const char *)data, size, "/nonexistent", &sc, &err);
	if (st == VG_OK) {
		vg_assert(sc != NULL);
		vg_assert(vg_sim_scenario_duration_ns(sc) > 0);
		vg_sim_scenario_free(sc);
	} else {
		vg_assert(sc == NULL);
		vg_assert(err.msg[0] != '\0');
	}
	return 0;
}

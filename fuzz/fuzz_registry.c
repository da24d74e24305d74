/*
 * fuzz_registry.c - libFuzzer target for sensor registry lines
 * (vg_sensor_parse), which `vigil sensor import` and every store open feed
 * with outside or stored text. An accepted line must format back
 * (vg_sensor_format) to a line that parses to the same registry entry and
 * formats to the same bytes: the canonical form is a fixed point.
 *
 * Build: make fuzz; the seed corpus is fuzz/corpus/registry and CTest
 * replays it.
 */
#include "codec/codec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		vg_assert(vg_crypto_init() == VG_OK);
		init = true;
	}
	struct vg_sensor s, s2;
	struct vg_err err;
	if (vg_sensor_parse((const char *)data, size, &s, &err) != VG_OK) {
		vg_assert(err.msg[0] != '\0'); /* every rejection says why */
		return 0;
	}
	char *a = malloc(VG_LINE_MAX + 1), *b = malloc(VG_LINE_MAX + 1);
	vg_assert(a && b);
	size_t na = vg_sensor_format(&s, a, VG_LINE_MAX + 1);
	vg_assert(na > 0);
	vg_assert(vg_sensor_parse(a, na, &s2, &err) == VG_OK);
	size_t nb = vg_sensor_format(&s2, b, VG_LINE_MAX + 1);
	vg_assert(na == nb && memcmp(a, b, na) == 0);
	vg_assert(!strcmp(s.id, s2.id) && !memcmp(s.pk, s2.pk, VG_PK_BYTES));
	vg_assert(s.valid_from_ns == s2.valid_from_ns && s.valid_until_ns == s2.valid_until_ns);
	free(a);
	free(b);
	return 0;
}

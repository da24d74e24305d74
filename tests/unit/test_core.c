/* test_core.c - time, arena, UTF-8, hex, quoting, status tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/core.h"

#include <string.h>

static int64_t parse_ok(const char *s)
{
	int64_t t = 0;
	struct vg_err e;
	vg_status st = vg_time_parse(s, strlen(s), &t, &e);
	if (st != VG_OK)
		fail_msg("%s: %s", s, e.msg);
	return t;
}

static void expect_bad(const char *s, const char *needle)
{
	int64_t t = 12345;
	struct vg_err e;
	vg_err_clear(&e);
	assert_int_equal(vg_time_parse(s, strlen(s), &t, &e), VG_ERR_TIME);
	assert_int_equal(t, 12345); /* output untouched */
	if (!strstr(e.msg, needle))
		fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, needle);
}

static void time_known_answers(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("1970-01-01T00:00:00.000000001Z"), 1);
	assert_int_equal(parse_ok("2026-03-01T04:12:33.123456Z"), INT64_C(1772338353123456000));
	/* Offsets: 06:12:33+02:00 is 04:12:33Z. */
	assert_int_equal(parse_ok("2026-03-01T06:12:33.123456+02:00"), INT64_C(1772338353123456000));
	assert_int_equal(parse_ok("2026-03-01T00:12:33.123456-04:00"), INT64_C(1772338353123456000));
	assert_int_equal(parse_ok("2026-03-01t04:12:33.123456z"), INT64_C(1772338353123456000));
	assert_int_equal(parse_ok("2024-02-29T23:59:59Z"), INT64_C(1709251199) * VG_NS_PER_S);
	assert_int_equal(parse_ok("1969-12-31T23:59:59.5Z"), -500000000);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), INT64_C(951782400) * VG_NS_PER_S);
	/* Cross-check every day of four centuries against a direct count. */
	int64_t days = vg_days_from_civil(1900, 1, 1);
	for (int y = 1900; y < 2300; y++)
		for (unsigned m = 1; m <= 12; m++) {
			static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			unsigned n = m == 2 && leap ? 29 : dm[m - 1];
			for (unsigned d = 1; d <= n; d++)
				assert_int_equal(vg_days_from_civil(y, m, d), days++);
		}
}

static void time_rejects_impossible(void **state)
{
	(void)state;
	expect_bad("2026-02-30T00:00:00Z", "day 30");
	expect_bad("2025-02-29T00:00:00Z", "day 29");
	expect_bad("1900-02-29T00:00:00Z", "day 29");
	expect_bad("2026-04-31T00:00:00Z", "day 31");
	expect_bad("2026-13-01T00:00:00Z", "month 13");
	expect_bad("2026-00-01T00:00:00Z", "month 0");
	expect_bad("2026-01-00T00:00:00Z", "day 0");
	expect_bad("2026-01-01T24:00:00Z", "hour 24");
	expect_bad("2026-01-01T23:60:00Z", "minute 60");
	expect_bad("2026-01-01T23:59:60Z", "leap second");
	expect_bad("2026-01-01T23:59:61Z", "second 61");
	expect_bad("2026-01-01T00:00:00", "time zone");
	expect_bad("2026-01-01 00:00:00Z", "'T'");
	expect_bad("2026-01-01T00:00:00.Z", "fraction");
	expect_bad("2026-01-01T00:00:00.1234567890Z", "9 fraction");
	expect_bad("2026-01-01T00:00:00+24:00", "offset");
	expect_bad("2026-01-01T00:00:00+02", "offset");
	expect_bad("2026-01-01T00:00:00Zjunk", "trailing");
	expect_bad("26-01-01T00:00:00Z", "date");
	expect_bad("", "date");
	expect_bad("9999-12-31T23:59:59Z", "representable");
	expect_bad("1600-01-01T00:00:00Z", "representable");
	expect_bad("+2026-01-01T00:00:00Z", "date");
}

static void time_format_roundtrip(void **state)
{
	(void)state;
	char b[VG_TIME_STR_MAX];
	vg_time_format(0, b);
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	vg_time_format(INT64_C(1772338353123456000), b);
	assert_string_equal(b, "2026-03-01T04:12:33.123456Z");
	vg_time_format(-1, b);
	assert_string_equal(b, "1969-12-31T23:59:59.999999999Z");
	vg_time_format(INT64_MAX, b);
	assert_string_equal(b, "2262-04-11T23:47:16.854775807Z");
	vg_time_format(INT64_MIN, b);
	assert_string_equal(b, "1677-09-21T00:12:43.145224192Z");
	/* format(parse(x)) is the identity on canonical strings; parse(format(t)) == t. */
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t t = (int64_t)x;
		vg_time_format(t, b);
		assert_int_equal(parse_ok(b), t);
	}
}

static void arena_caps(void **state)
{
	(void)state;
	struct vg_arena a;
	vg_arena_init(&a, 200000);
	void *p = vg_arena_alloc(&a, 100);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 16, 0);
	assert_non_null(vg_arena_alloc(&a, 60000));
	assert_non_null(vg_arena_alloc(&a, 60000));
	assert_null(vg_arena_alloc(&a, 150000)); /* over the cap */
	assert_null(vg_arena_alloc(&a, 300000));
	char *s = vg_arena_strndup(&a, "hello world", 5);
	assert_string_equal(s, "hello");
	assert_true(a.reserved <= a.cap);
	vg_arena_reset(&a);
	assert_int_equal(a.used, 0);
	for (int i = 0; i < 1000; i++)
		assert_non_null(vg_arena_alloc(&a, 100));
	size_t reserved = a.reserved;
	/* Reuse after reset: a steady workload allocates nothing new. */
	for (int round = 0; round < 5; round++) {
		vg_arena_reset(&a);
		for (int i = 0; i < 1000; i++) {
			char *q = vg_arena_alloc(&a, 100);
			assert_non_null(q);
			memset(q, i, 100);
		}
		assert_true(a.reserved <= a.cap);
	}
	assert_int_equal(a.reserved, reserved);
	vg_arena_release(&a);
	assert_null(a.head);
}

static void utf8_validation(void **state)
{
	(void)state;
	size_t off = 99;
	assert_true(vg_utf8_valid("plain", 5, &off));
	assert_true(vg_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &off)); /* é € 😀 */
	assert_false(vg_utf8_valid("ab\xc0\xaf", 4, &off));                         /* overlong */
	assert_int_equal(off, 2);
	assert_false(vg_utf8_valid("\xed\xa0\x80", 3, &off));                        /* surrogate */
	assert_false(vg_utf8_valid("\xf4\x90\x80\x80", 4, &off));                    /* > U+10FFFF */
	assert_false(vg_utf8_valid("\xe2\x82", 2, &off));                            /* truncated */
	assert_false(vg_utf8_valid("\x80", 1, &off));                                /* stray */
	assert_false(vg_utf8_valid("\xff", 1, &off));
}

static void hex_and_quote(void **state)
{
	(void)state;
	uint8_t b[3] = {0x00, 0xab, 0xff}, back[3];
	char h[7];
	vg_hex_encode(b, 3, h);
	assert_string_equal(h, "00abff");
	assert_int_equal(vg_hex_decode("00ABff", 6, back, 3), VG_OK);
	assert_memory_equal(b, back, 3);
	assert_int_equal(vg_hex_decode("00abf", 5, back, 3), VG_ERR_INVALID_ARG);
	assert_int_equal(vg_hex_decode("00abfg", 6, back, 3), VG_ERR_INVALID_ARG);
	char q[16];
	vg_quote("a\"b\n", 4, q, sizeof q);
	assert_string_equal(q, "\"a\\\"b\\x0a\"");
	vg_quote("0123456789abcdef", 16, q, sizeof q);
	assert_non_null(strstr(q, "..."));
	assert_true(strlen(q) < sizeof q);
}

static void status_tables(void **state)
{
	(void)state;
	for (int i = 0; i < VG_STATUS_COUNT_; i++) {
		assert_non_null(vg_status_name((vg_status)i));
		assert_non_null(vg_strerror((vg_status)i));
		for (int j = 0; j < i; j++) /* names are unique codes */
			assert_string_not_equal(vg_status_name((vg_status)i), vg_status_name((vg_status)j));
	}
	assert_string_equal(vg_status_name(VG_STATUS_COUNT_), "unknown");
	struct vg_err e;
	vg_err_set(&e, VG_ERR_RANGE, "lat = %d", 91);
	vg_err_prefix(&e, "line %d", 7);
	assert_string_equal(e.msg, "line 7: lat = 91");
	assert_int_equal(e.status, VG_ERR_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_known_answers),   cmocka_unit_test(time_rejects_impossible),
		cmocka_unit_test(time_format_roundtrip), cmocka_unit_test(arena_caps),
		cmocka_unit_test(utf8_validation),      cmocka_unit_test(hex_and_quote),
		cmocka_unit_test(status_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

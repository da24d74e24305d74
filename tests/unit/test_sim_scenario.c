/* test_sim_scenario.c - scenario files: the shipped ones parse, invalid ones
 * are rejected with a status and a message that names the member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD "{\"name\":\"t\",\"start\":\"2026-03-01T00:00:00Z\","

static void expect_error(const char *json, vg_status want, const char *needle)
{
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err);
	if (st != want || !strstr(err.msg, needle)) {
		fprintf(stderr, "input:   %s\nstatus:  %s (want %s)\nmessage: %s\nwant:    ...%s...\n", json,
		        vg_status_name(st), vg_status_name(want), err.msg, needle);
		fail();
	}
	assert_null(sc);
}

static void test_minimal_is_valid(void **state)
{
	(void)state;
	const char *j = "{\"name\":\"t\",\"start\":\"2026-03-01T00:00:00Z\"}";
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	assert_int_equal(vg_sim_scenario_parse(j, strlen(j), NULL, &sc, &err), VG_OK);
	assert_string_equal(vg_sim_scenario_name(sc), "t");
	assert_true(vg_sim_scenario_duration_ns(sc) == 24 * 3600 * INT64_C(1000000000));
	vg_sim_scenario_free(sc);
	vg_sim_scenario_free(NULL);
}

static void test_invalid_named(void **state)
{
	(void)state;
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[]},{\"party\":\"B\",\"units\":["
	                  "{\"class\":\"artillery\",\"placement\":{\"distance_km\":10},"
	                  "\"fire\":{\"missions_per_h\":-3}}]}]}",
	             VG_ERR_RANGE, "scenario.forces[1].units[0].fire.missions_per_h = -3: must be >= 0");
	expect_error(HEAD "\"foo\":1}", VG_ERR_UNKNOWN_MEMBER, "scenario: unknown member \"foo\"");
	expect_error(HEAD "\"duration_h\":1,\"duration_h\":2}", VG_ERR_JSON, "duplicate");
	expect_error(HEAD "\"duration_h\":\"24\"}", VG_ERR_TYPE,
	             "scenario.duration_h: must be a number, not a string");
	expect_error(HEAD "\"duration_h\":0}", VG_ERR_RANGE, "scenario.duration_h = 0: must be > 0");
	expect_error("{\"name\":\"t\"}", VG_ERR_MISSING, "scenario: missing member \"start\"");
	expect_error("{\"name\":\"t\",\"start\":\"2026-02-30T00:00:00Z\"}", VG_ERR_TIME,
	             "scenario.start");
	expect_error("[1,2]", VG_ERR_TYPE, "scenario: must be an object");
	expect_error("{\"name\":", VG_ERR_JSON, "scenario: line 1");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"howitzer\"}]}]}",
	             VG_ERR_CLASS, "scenario.forces[0].units[0].class = \"howitzer\": not an object class");
	expect_error(HEAD "\"forces\":[{\"party\":\"C\"}]}", VG_ERR_RANGE,
	             "scenario.forces[0].party = \"C\": not a party");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"tank\","
	                  "\"placement\":{\"distance_km\":5},\"fire\":{}}]}]}",
	             VG_ERR_RANGE, "scenario.forces[0].units[0].fire: class tank is not an indirect-fire weapon");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"tank\","
	                  "\"placement\":{\"along_km\":[30,10],\"distance_km\":5}}]}]}",
	             VG_ERR_RANGE, "scenario.forces[0].units[0].placement.along_km = [30, 10]: low must be <= high");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"tank\","
	                  "\"placement\":{\"holding_area\":\"nowhere\"}}]}]}",
	             VG_ERR_RANGE, "scenario.forces[0].units[0].placement.holding_area = \"nowhere\": no such holding area");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"tank\","
	                  "\"placement\":{\"lat\":48,\"lon\":37,\"distance_km\":3}}]}]}",
	             VG_ERR_RANGE, "scenario.forces[0].units[0].placement: give exactly one of");
	expect_error(HEAD "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"tank\",\"count\":1.5,"
	                  "\"placement\":{\"distance_km\":3}}]}]}",
	             VG_ERR_TYPE, "scenario.forces[0].units[0].count: must be an integer, not a fraction");
	expect_error(HEAD "\"sensors\":{\"acoustic\":[{\"layout\":\"spiral\"}]}}", VG_ERR_RANGE,
	             "scenario.sensors.acoustic[0].layout = \"spiral\": must be grid, random, line or points");
	expect_error(HEAD "\"sensors\":{\"acoustic\":[{\"bearing_floor_deg\":2}]}}", VG_ERR_UNKNOWN_MEMBER,
	             "scenario.sensors.acoustic[0]: bearing_* members are for \"arrays\" only");
	expect_error(HEAD "\"sensors\":{\"arrays\":[{\"count\":2,\"timing_sigma_s\":0}]}}", VG_ERR_RANGE,
	             "scenario.sensors.arrays[0].timing_sigma_s = 0: must be > 0");
	expect_error(HEAD "\"sensors\":{\"acoustic\":[{\"layout\":\"points\",\"points\":[{\"lat\":48}]}]}}",
	             VG_ERR_MISSING, "scenario.sensors.acoustic[0].points[0]: missing member \"lon\"");
	expect_error(HEAD "\"sensors\":{\"drones\":[{\"footprint_m\":[800,5]}]}}", VG_ERR_RANGE,
	             "scenario.sensors.drones[0].footprint_m[1] = 5: must be >= 10");
	expect_error(HEAD "\"sensors\":{\"satellites\":[{\"type\":\"lidar\"}]}}", VG_ERR_RANGE,
	             "scenario.sensors.satellites[0].type = \"lidar\": must be optical or sar");
	expect_error(HEAD "\"sensors\":{\"radars\":[{\"pd\":1.5,\"along_km\":3,\"offset_km\":1}]}}", VG_ERR_RANGE,
	             "scenario.sensors.radars[0].pd = 1.5: must be <= 1");
	expect_error(HEAD "\"sensors\":{\"firms\":{\"satellites\":4}}}", VG_ERR_RANGE,
	             "scenario.sensors.firms.satellites = 4: must be in [1, 3]");
	expect_error(HEAD "\"sensors\":{\"sonar\":[]}}", VG_ERR_UNKNOWN_MEMBER,
	             "scenario.sensors: unknown member \"sonar\"");
	expect_error(HEAD "\"environment\":{\"class_confusion\":{\"launch\":[0.5,0.5,0.5,0]}}}",
	             VG_ERR_RANGE, "scenario.environment.class_confusion.launch: probabilities sum to 1.5");
	expect_error(HEAD "\"environment\":{\"humidity_pct\":101}}", VG_ERR_RANGE,
	             "scenario.environment.humidity_pct = 101: must be <= 100");
	expect_error(HEAD "\"violations\":[{\"type\":\"ceasefire\",\"party\":\"A\"}]}", VG_ERR_RANGE,
	             "scenario.violations[0].type = \"ceasefire\": must be fire, withdrawal or fortification");
	expect_error(HEAD "\"violations\":[{\"type\":\"fire\",\"party\":\"B\",\"class\":\"artillery\","
	                  "\"at\":\"2026-03-05T00:00:00Z\"}]}",
	             VG_ERR_RANGE, "scenario.violations[0].at = 2026-03-05T00:00:00Z: outside the scenario's span");
	expect_error(HEAD "\"violations\":[{\"type\":\"withdrawal\",\"party\":\"B\",\"class\":\"apc\","
	                  "\"from\":\"2026-03-01T01:00:00Z\",\"until\":\"2026-03-01T02:00:00Z\"}]}",
	             VG_ERR_RANGE, "scenario.violations[0].class = \"apc\": has no withdrawal distance");
	expect_error(HEAD "\"weapons\":{\"mortar\":{\"speed_mps\":-1}}}", VG_ERR_RANGE,
	             "scenario.weapons.mortar.speed_mps = -1: must be > 0");
	expect_error(HEAD "\"agreement\":{\"parties\":[\"A\",\"A\"]}}", VG_ERR_RANGE,
	             "scenario.agreement.parties: the two parties must differ");
	expect_error(HEAD "\"front\":{\"security_zone_km\":200,\"depth_km\":150}}", VG_ERR_RANGE,
	             "scenario.front.security_zone_km = 200: must be <= 100");
}

static void test_shipped_scenarios_parse(void **state)
{
	(void)state;
	const char *src = getenv("VG_SRC");
	const char *names[] = {"quiet", "collapse", "withdrawal", "test-small"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/scenarios/%s.json", src && *src ? src : ".", names[i]);
		struct vg_sim_scenario *sc = NULL;
		struct vg_err err;
		vg_err_clear(&err);
		vg_status st = vg_sim_scenario_load(path, &sc, &err);
		if (st != VG_OK)
			fprintf(stderr, "%s: %s\n", path, err.msg);
		assert_int_equal(st, VG_OK);
		assert_string_equal(vg_sim_scenario_name(sc), names[i]);
		vg_sim_scenario_free(sc);
	}
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	assert_int_equal(vg_sim_scenario_load("/nonexistent/x.json", &sc, &err), VG_ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/x.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_is_valid),
		cmocka_unit_test(test_invalid_named),
		cmocka_unit_test(test_shipped_scenarios_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

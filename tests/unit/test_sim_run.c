/* test_sim_run.c - vigil sim end to end through the library: every line of
 * observations.ndjson decodes with the codec's strict parser and verifies
 * against the key in sensors.ndjson, seq rises per sensor, observations are
 * in arrival order, runs are byte-identical for a seed whatever the thread
 * count, and the physics spot check (3,430 m at 20 C -> 10.0 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"
#include "crypto/crypto.h"
#include "sim/sim.h"
#include "test_util.h"

#include <geodesic.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

static const char *src_dir(void)
{
	const char *s = getenv("VG_SRC");
	return s && *s ? s : ".";
}

static struct vg_sim_scenario *load(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/scenarios/%s.json", src_dir(), name);
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	if (vg_sim_scenario_load(path, &sc, &err) != VG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		fail();
	}
	return sc;
}

static void run(const struct vg_sim_scenario *sc, uint64_t seed, unsigned threads, double hours,
                const char *dir, struct vg_sim_stats *stats)
{
	struct vg_sim_options opt = {.seed = seed, .out_dir = dir, .threads = threads,
	                             .duration_ns = (int64_t)(hours * 3600e9)};
	struct vg_err err;
	vg_err_clear(&err);
	vg_status st = vg_sim_run(sc, &opt, stats, &err);
	if (st != VG_OK)
		fprintf(stderr, "vg_sim_run: %s\n", err.msg);
	assert_int_equal(st, VG_OK);
}

static void file_sha(const char *dir, const char *name, uint8_t out[VG_SHA256_BYTES])
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_true(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	vg_sha256(buf, (size_t)n, out);
	free(buf);
}

struct reg {
	uint32_t n;
	struct vg_sensor s[512];
	int64_t last_seq[512];
};

static void load_registry(const char *dir, struct reg *r)
{
	char path[4200], line[8192];
	snprintf(path, sizeof path, "%s/sensors.ndjson", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	r->n = 0;
	while (fgets(line, sizeof line, f)) {
		struct vg_err err;
		size_t len = strlen(line);
		while (len && line[len - 1] == '\n')
			len--;
		assert_true(r->n < 512);
		if (vg_sensor_parse(line, len, &r->s[r->n], &err) != VG_OK) {
			fprintf(stderr, "registry: %s\n%.*s\n", err.msg, (int)len, line);
			fail();
		}
		r->last_seq[r->n] = 0;
		r->n++;
	}
	fclose(f);
}

static int find_sensor(const struct reg *r, const char *id)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (!strcmp(r->s[i].id, id))
			return (int)i;
	return -1;
}

/* Decode, verify, check seq; returns the number of lines. kinds[k] counts
 * kind k; *n_fort (if given) the change reports of fortifications. */
static uint64_t check_observations(const char *dir, struct reg *r, uint64_t kinds[7],
                                   uint64_t *n_fort)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/observations.ndjson", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t count = 0;
	struct vg_arena a;
	vg_arena_init(&a, 1 << 20);
	while ((n = getline(&line, &cap, f)) > 0) {
		count++;
		if (line[n - 1] == '\n')
			n--;
		struct vg_envelope env;
		struct vg_obs obs;
		struct vg_err err;
		vg_arena_reset(&a);
		if (vg_observation_decode(line, (size_t)n, &a, &env, &obs, &err) != VG_OK) {
			fprintf(stderr, "line %llu: %s\n%.*s\n", (unsigned long long)count, err.msg,
			        (int)(env.payload_len < 2000 ? env.payload_len : 2000), (const char *)env.payload);
			fail();
		}
		int si = find_sensor(r, obs.sensor);
		assert_true(si >= 0);
		assert_true(vg_envelope_verify(&env, r->s[si].pk));
		assert_true(obs.seq > r->last_seq[si]);
		r->last_seq[si] = obs.seq;
		assert_true(obs.kind >= 1 && obs.kind <= 6);
		kinds[obs.kind]++;
		if (n_fort && obs.kind == VG_OBS_CHANGE && obs.u.change.type == VG_CHG_FORTIFICATION)
			(*n_fort)++;
	}
	free(line);
	fclose(f);
	vg_arena_release(&a);
	return count;
}

static void test_small_decodes_and_verifies(void **state)
{
	(void)state;
	struct vg_sim_scenario *sc = load("test-small");
	char dir[64];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	struct vg_sim_stats st;
	run(sc, 1, 2, 0, dir, &st);
	struct reg *r = calloc(1, sizeof *r);
	load_registry(dir, r);
	assert_int_equal(r->n, st.n_sensors);
	uint64_t kinds[7] = {0};
	assert_true(check_observations(dir, r, kinds, NULL) == st.n_obs);
	for (int k = 1; k <= 6; k++) {
		if (kinds[k] == 0)
			fprintf(stderr, "no observation of kind %d\n", k);
		assert_true(kinds[k] > 0); /* the small scenario exercises every kind */
		assert_true(kinds[k] == st.n_obs_kind[k]);
	}
	/* Secret keys: mode 0600, directory 0700, and they match the registry. */
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/keys", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof path, "%s/keys/%s.key", dir, r->s[0].id);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	struct vg_secret_key key;
	struct vg_err err;
	assert_int_equal(vg_key_read_secret(path, &key, &err), VG_OK);
	assert_memory_equal(key.pk, r->s[0].pk, VG_PK_BYTES);
	vg_secret_key_wipe(&key);
	/* A second run into the same directory is refused. */
	struct vg_sim_options opt = {.seed = 1, .out_dir = dir};
	assert_int_equal(vg_sim_run(sc, &opt, NULL, &err), VG_ERR_EXISTS);
	free(r);
	tu_rmdir(dir);
	vg_sim_scenario_free(sc);
}

static void test_determinism(void **state)
{
	(void)state;
	struct vg_sim_scenario *sc = load("test-small");
	char d1[64], d2[64], d3[64];
	assert_non_null(tu_tmpdir(d1, sizeof d1));
	assert_non_null(tu_tmpdir(d2, sizeof d2));
	assert_non_null(tu_tmpdir(d3, sizeof d3));
	run(sc, 77, 1, 0, d1, NULL);
	run(sc, 77, 3, 0, d2, NULL);
	run(sc, 78, 2, 0, d3, NULL);
	const char *files[] = {"agreement.geojson", "sensors.ndjson", "observations.ndjson", "truth.json"};
	for (size_t i = 0; i < 4; i++) {
		uint8_t h1[32], h2[32], h3[32];
		file_sha(d1, files[i], h1);
		file_sha(d2, files[i], h2);
		file_sha(d3, files[i], h3);
		assert_memory_equal(h1, h2, 32);
		assert_memory_not_equal(h1, h3, 32); /* another seed, another world */
	}
	tu_rmdir(d1);
	tu_rmdir(d2);
	tu_rmdir(d3);
	vg_sim_scenario_free(sc);
}

/* The truth's "detections" of a no_new_fortification violation is the
 * number of satellite change reports of that fortification in the
 * observations (the scorer tells the unobserved ones apart by it). */
static void test_fortification_detections(void **state)
{
	(void)state;
	struct vg_sim_scenario *sc = load("quiet");
	char d[64];
	assert_non_null(tu_tmpdir(d, sizeof d));
	run(sc, 1, 1, 0, d, NULL);
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", d);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	assert_non_null(t);
	json_int_t truth_n = 0;
	int n_fort = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(t, "violations"), i, v) {
		if (strcmp(json_string_value(json_object_get(v, "rule")), "no_new_fortification"))
			continue;
		json_t *det = json_object_get(v, "detections");
		assert_true(json_is_integer(det));
		truth_n += json_integer_value(det);
		n_fort++;
	}
	/* A withdrawal's "launches_heard": the unit's launches within a
	 * minute of the interval that the sensors could locate (decided_at
	 * set), counted again here from the truth's events. */
	json_int_t heard_sum = 0;
	json_array_foreach(json_object_get(t, "violations"), i, v) {
		if (strcmp(json_string_value(json_object_get(v, "rule")), "withdrawal"))
			continue;
		json_t *lh = json_object_get(v, "launches_heard");
		assert_true(json_is_integer(lh));
		const char *unit = json_string_value(json_object_get(v, "unit"));
		const char *from = json_string_value(json_object_get(v, "from"));
		const char *until = json_string_value(json_object_get(v, "until"));
		int64_t a, b;
		assert_int_equal(vg_time_parse(from, strlen(from), &a, NULL), VG_OK);
		assert_int_equal(vg_time_parse(until, strlen(until), &b, NULL), VG_OK);
		json_int_t count = 0;
		size_t k;
		json_t *e;
		json_array_foreach(json_object_get(t, "events"), k, e) {
			const char *ty = json_string_value(json_object_get(e, "type"));
			const char *u = json_string_value(json_object_get(e, "unit"));
			const char *tm = json_string_value(json_object_get(e, "time"));
			int64_t te;
			if (!ty || strcmp(ty, "launch") || !u || strcmp(u, unit) || json_is_null(json_object_get(e, "decided_at")))
				continue;
			assert_int_equal(vg_time_parse(tm, strlen(tm), &te, NULL), VG_OK);
			count += te >= a - 60 * VG_NS_PER_S && te <= b + 60 * VG_NS_PER_S;
		}
		assert_int_equal(json_integer_value(lh), count);
		heard_sum += count;
	}
	print_message("quiet seed 1: withdrawal violations' launches heard %lld\n", (long long)heard_sum);
	assert_true(heard_sum > 0); /* the units that broke the ceasefire fired from the zone */
	json_decref(t);
	/* the change reports of fortifications, decoded and verified */
	static struct reg r;
	load_registry(d, &r);
	uint64_t kinds[7] = {0}, obs_n = 0;
	check_observations(d, &r, kinds, &obs_n);
	print_message("quiet seed 1: %d fortification violations, %lld change reports of them, "
	              "truth detections %lld\n",
	              n_fort, (long long)obs_n, (long long)truth_n);
	assert_true(n_fort > 0);
	assert_true(obs_n > 0);
	assert_int_equal(truth_n, (json_int_t)obs_n);
	tu_rmdir(d);
	vg_sim_scenario_free(sc);
}

/* One mortar, one acoustic node 3,430 m east of it, 20 C, no wind. */
static void test_spot_check_travel_time(void **state)
{
	(void)state;
	const double lat0 = 48.05, lon0 = 37.60;
	struct geod_geodesic g;
	geod_init(&g, 6378137, 1 / 298.257223563);
	double lat1, lon1, az2;
	geod_direct(&g, lat0, lon0, 90.0, 3430.0, &lat1, &lon1, &az2);
	char json[4096];
	snprintf(json, sizeof json,
	         "{\"name\":\"spot\",\"start\":\"2026-03-01T00:00:00Z\",\"duration_h\":0.5,"
	         "\"environment\":{\"temperature_c\":20,\"diurnal_amplitude_c\":0,\"wind_mps\":0},"
	         "\"violations\":[{\"type\":\"fire\",\"party\":\"B\",\"class\":\"mortar\","
	         "\"at\":\"2026-03-01T00:10:00Z\",\"rounds\":1,\"count\":1,"
	         "\"placement\":{\"lat\":%.10f,\"lon\":%.10f}}],"
	         "\"sensors\":{\"acoustic\":[{\"prefix\":\"spot\",\"layout\":\"points\","
	         "\"points\":[{\"lat\":%.10f,\"lon\":%.10f}],\"survey_sigma_m\":0,"
	         "\"false_per_h\":0,\"outages_per_day\":0}],\"firms\":{\"enabled\":false}}}",
	         lat0, lon0, lat1, lon1);
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	if (vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err) != VG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		fail();
	}
	char dir[64];
	assert_non_null(tu_tmpdir(dir, sizeof dir));
	run(sc, 5, 1, 0, dir, NULL);
	vg_sim_scenario_free(sc);

	/* The launch in the truth. */
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", dir);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	assert_non_null(t);
	json_t *evs = json_object_get(t, "events"), *launch = NULL;
	for (size_t i = 0; i < json_array_size(evs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(evs, i), "type")), "launch"))
			launch = json_array_get(evs, i);
	assert_non_null(launch);
	int64_t t0;
	const char *ts = json_string_value(json_object_get(launch, "time"));
	assert_int_equal(vg_time_parse(ts, strlen(ts), &t0, &err), VG_OK);
	assert_float_equal(json_real_value(json_object_get(launch, "lat")), lat0, 1e-7);
	assert_float_equal(json_real_value(json_object_get(launch, "lon")), lon0, 1e-7);

	/* Its impulse at the node: 10.0 s later, within the pick error. */
	snprintf(path, sizeof path, "%s/observations.ndjson", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool found = false;
	struct vg_arena a;
	vg_arena_init(&a, 1 << 20);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct vg_envelope env;
		struct vg_obs obs;
		vg_arena_reset(&a);
		assert_int_equal(vg_observation_decode(line, (size_t)n - 1, &a, &env, &obs, &err), VG_OK);
		if (obs.kind != VG_OBS_IMPULSE)
			continue;
		double dt = (double)(obs.t_ns - t0) / 1e9;
		if (dt < 0 || dt > 30)
			continue; /* the impact's impulse comes later */
		found = true;
		double want = 3430.0 / vg_sim_sound_speed_mps(20); /* 9.9938 s */
		assert_float_equal(dt, 10.0, 0.05);
		/* 5 sigma of the reported pick error (plus the 1 us rounding). */
		assert_float_equal(dt, want, 5 * obs.u.impulse.sigma_s + 1e-6);
		assert_true(obs.u.impulse.sigma_s < 0.01); /* a loud, close source: a clean pick */
		break;
	}
	assert_true(found);
	free(line);
	fclose(f);
	vg_arena_release(&a);
	json_decref(t);
	tu_rmdir(dir);
}

/* front.agreement: reuse the agreement of a run; launches stay on their
 * party's side, impacts land on the other, the file is copied verbatim. */
static void test_reuse_agreement(void **state)
{
	(void)state;
	struct vg_sim_scenario *sc = load("test-small");
	char d1[64], d2[64];
	assert_non_null(tu_tmpdir(d1, sizeof d1));
	assert_non_null(tu_tmpdir(d2, sizeof d2));
	run(sc, 9, 2, 1, d1, NULL);
	vg_sim_scenario_free(sc);
	char json[8192];
	snprintf(json, sizeof json,
	         "{\"name\":\"reuse\",\"start\":\"2026-03-01T00:00:00Z\",\"duration_h\":1,"
	         "\"front\":{\"agreement\":\"%s/agreement.geojson\",\"depth_km\":80},"
	         "\"forces\":[{\"party\":\"A\",\"units\":[{\"class\":\"mortar\",\"count\":3,"
	         "\"placement\":{\"along_km\":[5,35],\"distance_km\":[2,4]},\"fire\":{\"missions_per_h\":4}},"
	         "{\"class\":\"artillery\",\"placement\":{\"holding_area\":\"ha-A-1\"}}]},"
	         "{\"party\":\"B\",\"units\":[{\"class\":\"artillery\",\"count\":2,"
	         "\"placement\":{\"along_km\":[5,35],\"distance_km\":[8,12]},\"fire\":{\"missions_per_h\":3}}]}],"
	         "\"sensors\":{\"acoustic\":[{\"count\":12,\"along_km\":[0,40],\"offset_km\":[-10,10]}],"
	         "\"radars\":[{\"along_km\":20,\"offset_km\":-12}],\"firms\":{\"enabled\":false}}}",
	         d1);
	struct vg_err err;
	vg_err_clear(&err);
	assert_int_equal(vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err), VG_OK);
	struct vg_sim_stats st;
	run(sc, 9, 2, 0, d2, &st);
	vg_sim_scenario_free(sc);
	uint8_t h1[32], h2[32];
	file_sha(d1, "agreement.geojson", h1);
	file_sha(d2, "agreement.geojson", h2);
	assert_memory_equal(h1, h2, 32);
	assert_true(st.n_launch > 10 && st.n_obs_kind[VG_OBS_FIRE] > 0);
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", d2);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	assert_non_null(t);
	json_t *evs = json_object_get(t, "events");
	for (size_t i = 0; i < json_array_size(evs); i++) {
		json_t *e = json_array_get(evs, i);
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *party = json_string_value(json_object_get(e, "party"));
		const char *side = json_string_value(json_object_get(e, "side"));
		if (!strcmp(type, "launch"))
			assert_string_equal(party, side);
		else if (!strcmp(type, "impact"))
			assert_string_not_equal(party, side);
	}
	json_decref(t);
	struct reg *r = calloc(1, sizeof *r);
	load_registry(d2, r);
	uint64_t kinds[7] = {0};
	assert_true(check_observations(d2, r, kinds, NULL) == st.n_obs);
	free(r);

	/* A file without sides is refused, the member named. */
	snprintf(path, sizeof path, "%s/bad.geojson", d2);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"type\":\"FeatureCollection\",\"agreement\":{\"parties\":[\"A\",\"B\"],"
	      "\"effective\":\"2026-01-01T00:00:00Z\"},\"features\":[{\"type\":\"Feature\","
	      "\"properties\":{\"role\":\"contact_line\"},\"geometry\":{\"type\":\"LineString\","
	      "\"coordinates\":[[37.7,47.9],[37.8,48.1]]}}]}",
	      f);
	fclose(f);
	snprintf(json, sizeof json,
	         "{\"name\":\"bad\",\"start\":\"2026-03-01T00:00:00Z\",\"front\":{\"agreement\":\"%s\"}}", path);
	assert_int_equal(vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err), VG_ERR_MISSING);
	assert_non_null(strstr(err.msg, "scenario.front.agreement: "));
	assert_non_null(strstr(err.msg, "needs a contact_line and a side for each party"));
	snprintf(json, sizeof json,
	         "{\"name\":\"bad\",\"start\":\"2026-03-01T00:00:00Z\",\"front\":{\"agreement\":\"%s\","
	         "\"length_km\":10}}", path);
	assert_int_equal(vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err), VG_ERR_UNKNOWN_MEMBER);
	assert_non_null(strstr(err.msg, "unknown member \"length_km\""));
	tu_rmdir(d1);
	tu_rmdir(d2);
}

int main(void)
{
	if (vg_crypto_init() != VG_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_decodes_and_verifies),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_fortification_detections),
		cmocka_unit_test(test_spot_check_travel_time),
		cmocka_unit_test(test_reuse_agreement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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

/* Parse a scenario's text, run it whole with seed into a new directory
 * dir, and return its truth.json. */
static json_t *run_text(const char *json, uint64_t seed, char dir[64])
{
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_sim_scenario_parse(json, strlen(json), NULL, &sc, &err) != VG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(tu_tmpdir(dir, 64));
	run(sc, seed, 1, 0, dir, NULL);
	vg_sim_scenario_free(sc);
	char path[4200];
	snprintf(path, sizeof path, "%s/truth.json", dir);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	assert_non_null(t);
	return t;
}

/* Decode every line of dir/observations.ndjson (each must decode; a line
 * that does not is printed) and call fn with its envelope and observation
 * until fn returns non-zero. Returns the lines read. */
static uint64_t each_obs(const char *dir,
                         int (*fn)(const struct vg_envelope *env, const struct vg_obs *obs, void *ctx),
                         void *ctx)
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
		if (fn(&env, &obs, ctx))
			break;
	}
	free(line);
	fclose(f);
	vg_arena_release(&a);
	return count;
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

struct check {
	struct reg *r;
	uint64_t *kinds, *n_fort;
};

static int check_one(const struct vg_envelope *env, const struct vg_obs *obs, void *ctx)
{
	struct check *c = ctx;
	int si = find_sensor(c->r, obs->sensor);
	assert_true(si >= 0);
	assert_true(vg_envelope_verify(env, c->r->s[si].pk));
	assert_true(obs->seq > c->r->last_seq[si]);
	c->r->last_seq[si] = obs->seq;
	assert_true(obs->kind >= 1 && obs->kind <= 6);
	c->kinds[obs->kind]++;
	if (c->n_fort && obs->kind == VG_OBS_CHANGE && obs->u.change.type == VG_CHG_FORTIFICATION)
		(*c->n_fort)++;
	return 0;
}

/* Decode, verify, check seq; returns the number of lines. kinds[k] counts
 * kind k; *n_fort (if given) the change reports of fortifications. */
static uint64_t check_observations(const char *dir, struct reg *r, uint64_t kinds[7],
                                   uint64_t *n_fort)
{
	struct check c = {r, kinds, n_fort};
	return each_obs(dir, check_one, &c);
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

struct spot {
	int64_t t0;
	bool found;
};

static int spot_impulse(const struct vg_envelope *env, const struct vg_obs *obs, void *ctx)
{
	(void)env;
	struct spot *sp = ctx;
	if (obs->kind != VG_OBS_IMPULSE)
		return 0;
	double dt = (double)(obs->t_ns - sp->t0) / 1e9;
	if (dt < 0 || dt > 30)
		return 0; /* the impact's impulse comes later */
	sp->found = true;
	double want = 3430.0 / vg_sim_sound_speed_mps(20); /* 9.9938 s */
	assert_float_equal(dt, 10.0, 0.05);
	/* 5 sigma of the reported pick error (plus the 1 us rounding). */
	assert_float_equal(dt, want, 5 * obs->u.impulse.sigma_s + 1e-6);
	assert_true(obs->u.impulse.sigma_s < 0.01); /* a loud, close source: a clean pick */
	return 1;
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
	char dir[64];
	struct vg_err err;
	/* The launch in the truth. */
	json_t *t = run_text(json, 5, dir);
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
	struct spot sp = {t0, false};
	each_obs(dir, spot_impulse, &sp);
	assert_true(sp.found);
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

struct vhr {
	const double (*gun)[2];
	int n_gun;
	struct geod_geodesic wgs84;
	int n_vhr, n_art, n_other, n_near;
};

static int vhr_obs(const struct vg_envelope *env, const struct vg_obs *obs, void *ctx)
{
	(void)env;
	struct vhr *v = ctx;
	if (obs->kind != VG_OBS_DETECTION)
		return 0;
	if (strcmp(obs->sensor, "vhr")) {
		v->n_other++;
		return 0;
	}
	v->n_vhr++;
	assert_false(obs->has_sensor_pos);
	assert_false(obs->u.detection.has_speed);
	assert_true(fabs(obs->u.detection.sigma_m - hypot(4, 0.25)) < 0.06);
	v->n_art += obs->u.detection.cls == VG_CLS_ARTILLERY;
	double best = INFINITY;
	for (int g = 0; g < v->n_gun; g++) {
		double s12;
		geod_inverse(&v->wgs84, obs->u.detection.lat_deg, obs->u.detection.lon_deg, v->gun[g][0], v->gun[g][1],
		             &s12, NULL, NULL);
		best = fmin(best, s12);
	}
	v->n_near += best < 5 * obs->u.detection.sigma_m;
	return 0;
}

/* The changes and coverage of a run, as a count and an order-sensitive
 * hash of their times and places; and the count of detections. */
struct chg {
	uint32_t n, n_det;
	uint64_t h;
};

static int chg_obs(const struct vg_envelope *env, const struct vg_obs *obs, void *ctx)
{
	(void)env;
	struct chg *c = ctx;
	if (obs->kind == VG_OBS_DETECTION)
		c->n_det++;
	if (obs->kind != VG_OBS_CHANGE && obs->kind != VG_OBS_COVERAGE)
		return 0;
	double v[3] = {(double)obs->t_ns, obs->min_lat_deg, obs->min_lon_deg};
	const unsigned char *b = (const unsigned char *)v;
	for (size_t i = 0; i < sizeof v; i++)
		c->h = (c->h ^ b[i]) * UINT64_C(0x100000001b3);
	c->n++;
	return 0;
}

/* Satellites that identify weapons: a 0.5 m optical scene under a clear sky
 * reports each gun of a parked battery as a classified `detection` (no
 * platform position, no speed), near its place; a 10 m optical scene, a
 * SAR pass and a 0.5 m scene with class_correct 0 report none. */
static void test_vhr_detections(void **state)
{
	(void)state;
	static const char json[] =
	    "{\"name\":\"vhr\",\"start\":\"2026-03-01T00:00:00Z\",\"duration_h\":2,"
	    "\"environment\":{\"cloud_prob\":0},"
	    "\"front\":{\"center\":{\"lat\":48.0,\"lon\":37.8},\"length_km\":40,\"depth_km\":60},"
	    "\"forces\":[{\"party\":\"A\",\"units\":[{\"id\":\"A-art\",\"class\":\"artillery\",\"count\":1,\"size\":6,"
	    "\"placement\":{\"along_km\":[20,20],\"distance_km\":[30,30]}}]}],"
	    "\"sensors\":{\"satellites\":["
	    "{\"id\":\"vhr\",\"type\":\"optical\",\"first_pass_h\":1,\"revisit_h\":24,\"resolution_m\":0.5,"
	    "\"geoloc_sigma_m\":4,\"scene_half_km\":50,\"false_objects_per_1000km2\":0},"
	    "{\"id\":\"vhr-blind\",\"type\":\"optical\",\"first_pass_h\":1,\"revisit_h\":24,\"resolution_m\":0.5,"
	    "\"scene_half_km\":50,\"class_correct\":0},"
	    "{\"id\":\"s2\",\"type\":\"optical\",\"first_pass_h\":1,\"revisit_h\":24,\"scene_half_km\":50},"
	    "{\"id\":\"s1\",\"type\":\"sar\",\"first_pass_h\":1,\"revisit_h\":24,\"scene_half_km\":50}],"
	    "\"firms\":{\"enabled\":false}}}";
	char d[64];
	struct vg_sim_scenario *sc = NULL;
	struct vg_err err;
	json_t *t = run_text(json, 3, d);
	/* the battery's guns, from the truth's tracks */
	double gun[8][2];
	int n_gun = 0;
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(t, "tracks"), i, k) {
		json_t *p0 = json_array_get(json_object_get(k, "points"), 0);
		if (n_gun < 8 && !strcmp(json_string_value(json_object_get(k, "unit")), "A-art")) {
			gun[n_gun][0] = json_real_value(json_array_get(p0, 1));
			gun[n_gun][1] = json_real_value(json_array_get(p0, 2));
			n_gun++;
		}
	}
	json_decref(t);
	assert_int_equal(n_gun, 6);
	struct vhr v = {.gun = gun, .n_gun = n_gun};
	geod_init(&v.wgs84, 6378137, 1 / 298.257223563);
	each_obs(d, vhr_obs, &v);
	print_message("vhr: %d detections of 6 guns (%d artillery, %d within 5 sigma); others %d\n", v.n_vhr,
	              v.n_art, v.n_near, v.n_other);
	assert_true(v.n_vhr >= 3 && v.n_vhr <= 6);
	assert_int_equal(v.n_near, v.n_vhr);
	assert_true(v.n_art >= 1);
	assert_int_equal(v.n_other, 0);
	tu_rmdir(d);

	/* Two passes: the scene's changes (craters, vehicles, false ones) and
	 * coverage are the same whether it also identifies weapons or not
	 * (its detections draw from a stream of their own per pass). */
	static const char two[] =
	    "{\"name\":\"vhr2\",\"start\":\"2026-03-01T00:00:00Z\",\"duration_h\":3,"
	    "\"environment\":{\"cloud_prob\":0.5},"
	    "\"front\":{\"center\":{\"lat\":48.0,\"lon\":37.8},\"length_km\":40,\"depth_km\":60},"
	    "\"forces\":[{\"party\":\"A\",\"units\":[{\"id\":\"A-art\",\"class\":\"artillery\",\"count\":4,\"size\":6,"
	    "\"placement\":{\"along_km\":[5,35],\"distance_km\":[10,40]},\"moves_per_day\":24}]}],"
	    "\"sensors\":{\"satellites\":[{\"id\":\"vhr\",\"type\":\"optical\",\"first_pass_h\":0.5,"
	    "\"revisit_h\":1,\"resolution_m\":0.5,\"scene_half_km\":50,\"false_per_1000km2\":5%s}],"
	    "\"firms\":{\"enabled\":false}}}";
	char txt[2][2048];
	struct chg c2[2] = {{0}, {0}};
	for (int q = 0; q < 2; q++) {
		snprintf(txt[q], sizeof txt[q], two, q ? ",\"class_correct\":0" : "");
		char dq[64];
		json_decref(run_text(txt[q], 4, dq));
		each_obs(dq, chg_obs, &c2[q]);
		tu_rmdir(dq);
	}
	print_message("two passes: %u changes and coverage with detections (%u detections), %u without\n", c2[0].n,
	              c2[0].n_det, c2[1].n);
	assert_true(c2[0].n_det > 0 && c2[1].n_det == 0);
	assert_true(c2[0].n > 10);
	assert_int_equal(c2[0].n, c2[1].n);
	assert_int_equal(c2[0].h, c2[1].h);

	/* class_correct out of range: refused, the member named */
	static const char bad[] =
	    "{\"name\":\"vhr\",\"start\":\"2026-03-01T00:00:00Z\",\"sensors\":{\"satellites\":["
	    "{\"type\":\"optical\",\"resolution_m\":0.5,\"class_correct\":1.5}]}}";
	assert_int_equal(vg_sim_scenario_parse(bad, strlen(bad), NULL, &sc, &err), VG_ERR_RANGE);
	assert_non_null(strstr(err.msg, "scenario.sensors.satellites[0].class_correct"));
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
		cmocka_unit_test(test_reuse_agreement), cmocka_unit_test(test_vhr_detections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/support/fixture.c - a small, fully known data set for end-to-end
 * tests: 8 sensors of every modality with deterministic keys, 411 signed
 * observations of all six kinds, then 10 deliberately bad lines (one per
 * reason) and a duplicate of line 1.
 *
 *   fixture --dir DIR   writes DIR/registry.ndjson and DIR/observations.ndjson
 *
 * Tests depend on its exact layout (line numbers, counts, log entry order);
 * change it together with the end-to-end tests that use it.
 */
#include "codec/codec.h"
#include "geo/geo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void die(const char *what)
{
	fprintf(stderr, "fixture: %s\n", what);
	exit(1);
}

struct demo_sensor {
	const char *id, *owner, *modality;
	double lat, lon;
	bool fixed;
	struct vg_secret_key key;
	int64_t seq;
};

static void key_for(const char *id, struct vg_secret_key *k)
{
	uint8_t seed[VG_SEED_BYTES];
	char label[128];
	snprintf(label, sizeof label, "vigil-demo-key:%s", id);
	vg_sha256((const uint8_t *)label, strlen(label), seed);
	vg_key_from_seed(k, seed);
}

static int emit(FILE *out, struct demo_sensor *s, const char *payload)
{
	char line[VG_LINE_MAX + 1];
	size_t n = vg_envelope_encode((const uint8_t *)payload, strlen(payload), s->id, &s->key, line,
	                              sizeof line);
	if (!n)
		die("cannot encode an envelope");
	fwrite(line, 1, n, out);
	fputc('\n', out);
	return 1;
}

static void ts(int64_t t, char *b) { vg_time_format(t, b); }

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--dir"))
		die("usage: fixture --dir DIR");
	if (vg_crypto_init() != VG_OK)
		die("libsodium");
	const char *dir = argv[2];
	mkdir(dir, 0755);
	char regpath[4096], obspath[4096];
	snprintf(regpath, sizeof regpath, "%s/registry.ndjson", dir);
	snprintf(obspath, sizeof obspath, "%s/observations.ndjson", dir);
	struct demo_sensor sensors[] = {
		{"ac-0001", "NOR", "acoustic", 48.000, 37.700, true},
		{"ac-0002", "NOR", "acoustic", 48.020, 37.760, true},
		{"ac-0003", "POL", "acoustic", 47.985, 37.790, true},
		{"ac-0004", "POL", "acoustic", 48.045, 37.720, true},
		{"ar-0001", "FIN", "acoustic_array", 48.010, 37.740, true},
		{"dr-0001", "FIN", "drone", 0, 0, false},
		{"cb-0001", "NOR", "counter_battery_radar", 47.960, 37.680, true},
		{"sat-s2a", "EST", "satellite_optical", 0, 0, false},
	};
	enum { NS = sizeof sensors / sizeof sensors[0] };
	struct vg_err err;
	FILE *reg = fopen(regpath, "w");
	if (!reg)
		die(regpath);
	for (int i = 0; i < NS; i++) {
		struct demo_sensor *s = &sensors[i];
		key_for(s->id, &s->key);
		char pk[128], line[1024];
		vg_key_format_public(s->key.pk, pk, sizeof pk);
		int n;
		if (s->fixed)
			n = snprintf(line, sizeof line,
			             "{\"id\":\"%s\",\"owner\":\"%s\",\"modality\":\"%s\",\"pubkey\":\"%s\","
			             "\"pos\":{\"lat\":%.4f,\"lon\":%.4f,\"alt_m\":150,\"sigma_m\":2},"
			             "\"timing_sigma_s\":0.001,\"releasability\":[\"NOR\",\"POL\",\"FIN\",\"EST\"]}",
			             s->id, s->owner, s->modality, pk, s->lat, s->lon);
		else
			n = snprintf(line, sizeof line,
			             "{\"id\":\"%s\",\"owner\":\"%s\",\"modality\":\"%s\",\"pubkey\":\"%s\","
			             "\"releasability\":[\"NOR\",\"POL\",\"FIN\",\"EST\"]}",
			             s->id, s->owner, s->modality, pk);
		struct vg_sensor sn;
		if (vg_sensor_parse(line, (size_t)n, &sn, &err) != VG_OK)
			die(err.msg);
		fprintf(reg, "%s\n", line);
	}

	fclose(reg);
	FILE *out = fopen(obspath, "w");
	if (!out)
		die(obspath);
	int64_t t0;
	if (vg_time_parse("2026-03-01T04:00:00Z", 20, &t0, NULL) != VG_OK)
		vg_assert(0);
	char p[4096], a[VG_TIME_STR_MAX], b[VG_TIME_STR_MAX];
	long good = 0;
	/* 60 launches heard by the four acoustic nodes and the array. */
	const double src_lat = 48.060, src_lon = 37.880, c = 343.2;
	for (int e = 0; e < 60; e++) {
		int64_t te = t0 + (int64_t)e * 47 * VG_NS_PER_S;
		for (int k = 0; k < 5; k++) {
			struct demo_sensor *s = &sensors[k];
			double d = vg_geo_distance_m(src_lat, src_lon, s->lat, s->lon);
			ts(te + (int64_t)(d / c * 1e9), a);
			if (k == 4)
				snprintf(p, sizeof p,
				         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
				         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"bearing_deg\":68.5,"
				         "\"bearing_sigma_deg\":3,\"snr_db\":21.5,\"class\":\"launch\"}}",
				         s->id, (long long)++s->seq, a);
			else
				snprintf(p, sizeof p,
				         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
				         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"snr_db\":18.5,\"class\":\"launch\"}}",
				         s->id, (long long)++s->seq, a);
			good += emit(out, s, p);
		}
	}
	/* Counter-battery radar tracks of some of them. */
	for (int e = 0; e < 60; e += 3) {
		int64_t te = t0 + (int64_t)e * 47 * VG_NS_PER_S;
		ts(te, a);
		ts(te + 38 * VG_NS_PER_S, b);
		snprintf(p, sizeof p,
		         "{\"v\":1,\"sensor\":\"cb-0001\",\"seq\":%lld,\"kind\":\"fire\",\"fire\":{"
		         "\"launch\":{\"time\":\"%s\",\"lat\":48.0603,\"lon\":37.8795,\"cep_m\":60},"
		         "\"impact\":{\"time\":\"%s\",\"lat\":47.9402,\"lon\":37.6011,\"cep_m\":90},"
		         "\"class\":\"artillery\"}}",
		         (long long)++sensors[6].seq, a, b);
		good += emit(out, &sensors[6], p);
	}
	/* A drone patrol: footprints (coverage), vehicle detections, heartbeats. */
	for (int k = 0; k < 40; k++) {
		double la = 48.05 + 0.004 * k, lo = 37.85 + 0.003 * k;
		int64_t tk = t0 + (int64_t)k * 30 * VG_NS_PER_S;
		ts(tk, a);
		ts(tk + 30 * VG_NS_PER_S, b);
		snprintf(p, sizeof p,
		         "{\"v\":1,\"sensor\":\"dr-0001\",\"seq\":%lld,\"kind\":\"coverage\",\"pos\":"
		         "{\"lat\":%.5f,\"lon\":%.5f,\"alt_m\":1200,\"sigma_m\":5},\"coverage\":{\"from\":\"%s\","
		         "\"until\":\"%s\",\"polygon\":[[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f]]}}",
		         (long long)++sensors[5].seq, la, lo, a, b, lo - .01, la - .006, lo + .01, la - .006,
		         lo + .01, la + .006, lo - .01, la + .006, lo - .01, la - .006);
		good += emit(out, &sensors[5], p);
		if (k % 4 == 0) {
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"dr-0001\",\"seq\":%lld,\"kind\":\"detection\",\"detection\":"
			         "{\"time\":\"%s\",\"lat\":%.5f,\"lon\":%.5f,\"sigma_m\":20,\"class\":\"%s\","
			         "\"class_conf\":0.82,\"speed_mps\":4.5,\"heading_deg\":245}}",
			         (long long)++sensors[5].seq, a, la + .001, lo - .002,
			         k % 8 ? "mlrs" : "artillery");
			good += emit(out, &sensors[5], p);
		}
		if (k % 10 == 0) {
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"dr-0001\",\"seq\":%lld,\"kind\":\"status\",\"pos\":"
			         "{\"lat\":%.5f,\"lon\":%.5f},\"status\":{\"time\":\"%s\",\"alive\":true,"
			         "\"battery_pct\":%d,\"clock_sigma_s\":0.0001}}",
			         (long long)++sensors[5].seq, la, lo, a, 90 - k);
			good += emit(out, &sensors[5], p);
		}
	}
	/* Heartbeats from the ground nodes. */
	for (int k = 0; k < 5; k++)
		for (int h = 0; h < 6; h++) {
			ts(t0 + (int64_t)h * 600 * VG_NS_PER_S + k, a);
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"status\",\"status\":"
			         "{\"time\":\"%s\",\"alive\":true,\"battery_pct\":%d}}",
			         sensors[k].id, (long long)++sensors[k].seq, a, 80 - h);
			good += emit(out, &sensors[k], p);
		}
	/* A satellite scene: its footprint and what changed. */
	ts(t0 + 3600 * VG_NS_PER_S, a);
	ts(t0 + 3600 * VG_NS_PER_S + 12 * VG_NS_PER_S, b);
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"sat-s2a\",\"seq\":1,\"kind\":\"coverage\",\"coverage\":{\"from\":"
	         "\"%s\",\"until\":\"%s\",\"polygon\":[[37.5,47.8],[38.1,47.8],[38.1,48.3],[37.5,48.3],"
	         "[37.5,47.8]]}}", a, b);
	good += emit(out, &sensors[7], p);
	sensors[7].seq = 1;
	static const char *const chg[] = {"crater", "crater", "fortification", "thermal", "damage",
	                                  "vehicle"};
	for (int k = 0; k < 6; k++) {
		double la = 47.95 + 0.02 * k, lo = 37.62 + 0.03 * k;
		if (k == 2)
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"sat-s2a\",\"seq\":%lld,\"kind\":\"change\",\"change\":"
			         "{\"acquired\":\"%s\",\"type\":\"%s\",\"resolution_m\":10,\"confidence\":0.7,"
			         "\"polygon\":[[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f],[%.4f,%.4f]]}}",
			         (long long)++sensors[7].seq, a, chg[k], lo, la, lo + .004, la, lo + .002,
			         la + .003, lo, la);
		else
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"sat-s2a\",\"seq\":%lld,\"kind\":\"change\",\"change\":"
			         "{\"acquired\":\"%s\",\"type\":\"%s\",\"resolution_m\":10,\"confidence\":0.8,"
			         "\"point\":{\"lat\":%.4f,\"lon\":%.4f,\"sigma_m\":12}%s}}",
			         (long long)++sensors[7].seq, a, chg[k], la, lo,
			         k == 3 ? ",\"frp_mw\":4.2" : "");
		good += emit(out, &sensors[7], p);
	}

	/* Deliberately bad lines: each must be rejected with its own reason. */
	long bad = 0;
	struct demo_sensor *s0 = &sensors[0];
	ts(t0 + 7200 * VG_NS_PER_S, a);
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
	         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"class\":\"impact\"}}",
	         (long long)s0->seq + 1, a);
	char line[VG_LINE_MAX];
	size_t n = vg_envelope_encode((const uint8_t *)p, strlen(p), s0->id, &s0->key, line, sizeof line);
	/* (a) a flipped bit in the payload */
	line[strstr(line, "\"payload\":\"") - line + 20] ^= 0x01;
	fprintf(out, "%.*s\n", (int)n, line), bad++;
	/* (b) signed with the wrong key */
	n = vg_envelope_encode((const uint8_t *)p, strlen(p), s0->id, &sensors[1].key, line, sizeof line);
	fprintf(out, "%.*s\n", (int)n, line), bad++;
	/* (c) a replayed seq */
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":1,\"kind\":\"impulse\",\"impulse\":"
	         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"class\":\"impact\"}}", a);
	emit(out, s0, p), bad++;
	/* (d) an out-of-range latitude */
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"dr-0001\",\"seq\":%lld,\"kind\":\"detection\",\"detection\":"
	         "{\"time\":\"%s\",\"lat\":91.5,\"lon\":37.8,\"sigma_m\":20,\"class\":\"tank\","
	         "\"class_conf\":0.9}}", (long long)sensors[5].seq + 1, a);
	emit(out, &sensors[5], p), bad++;
	/* (e) February 30th */
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-0002\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
	         "{\"arrival\":\"2026-02-30T04:00:00Z\",\"sigma_s\":0.005,\"class\":\"launch\"}}",
	         (long long)sensors[1].seq + 1);
	emit(out, &sensors[1], p), bad++;
	/* (f) a self-intersecting footprint */
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"dr-0001\",\"seq\":%lld,\"kind\":\"coverage\",\"coverage\":{\"from\":"
	         "\"%s\",\"until\":\"%s\",\"polygon\":[[37.8,48.0],[37.9,48.1],[37.9,48.0],[37.8,48.1],"
	         "[37.8,48.0]]}}", (long long)sensors[5].seq + 2, a, a);
	emit(out, &sensors[5], p), bad++;
	/* (g) a typo'd member name */
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-0003\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
	         "{\"arrival\":\"%s\",\"sigma\":0.005,\"class\":\"launch\"}}",
	         (long long)sensors[2].seq + 1, a);
	emit(out, &sensors[2], p), bad++;
	/* (h) an unknown sensor */
	struct demo_sensor ghost = {"ac-9999", "XXX", "acoustic", 0, 0, false};
	key_for(ghost.id, &ghost.key);
	snprintf(p, sizeof p,
	         "{\"v\":1,\"sensor\":\"ac-9999\",\"seq\":1,\"kind\":\"impulse\",\"impulse\":"
	         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"class\":\"launch\"}}", a);
	emit(out, &ghost, p), bad++;
	/* (i) not JSON at all, and (j) a truncated line */
	fprintf(out, "this is not json\n"), bad++;
	n = vg_envelope_encode((const uint8_t *)p, strlen(p), s0->id, &s0->key, line, sizeof line);
	fprintf(out, "%.*s\n", (int)n / 2, line), bad++;
	fclose(out);
	/* (k) the first good line again: a duplicate, not stored twice */
	FILE *rd = fopen(obspath, "rb");
	if (rd && fgets(line, sizeof line, rd) && (out = fopen(obspath, "ab"))) {
		fputs(line, out);
		fclose(out);
	}
	if (rd)
		fclose(rd);

	printf("fixture: %d sensors, %ld good observations, %ld bad lines, 1 duplicate\n", NS, good, bad);
	for (int i = 0; i < NS; i++)
		vg_secret_key_wipe(&sensors[i].key);
	return 0;
}

/*
 * bench/fuse.c - impulse fusion speed and memory on a simulation's output.
 *
 *   bench_fuse DIR [--max N]
 *
 * DIR is a `vigil sim` output directory (sensors.ndjson, observations.ndjson).
 * The observations are decoded line by line (not timed: that is ingest's
 * cost) and pushed through fusion in receipt order on one core, the stream
 * clock being the latest observed time (as `vigil fuse` does). Prints the
 * time spent inside fusion alone, the simulated span, their ratio ("x real time"),
 * events per second, the peak pool (the association window) and the peak
 * RSS before and after fusion (the growth is fusion's own memory).
 */
#include "codec/codec.h"
#include "fusion/fusion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static vg_status count_event(void *ctx, const struct vg_fusion_event *ev, struct vg_err *err)
{
	(void)err;
	(void)ev;
	(*(uint64_t *)ctx)++;
	return VG_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_fuse SIM_DIR [--max N]\n");
		return 2;
	}
	size_t max = (size_t)-1;
	if (argc == 4 && !strcmp(argv[2], "--max"))
		max = strtoull(argv[3], NULL, 10);
	char path[4096];
	struct vg_err err;
	struct vg_fusion_config cfg;
	vg_fusion_config_default(&cfg);
	uint64_t n_events = 0;
	vg_fusion *f;
	if (vg_fusion_new(&cfg, count_event, &n_events, &f, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	snprintf(path, sizeof path, "%s/sensors.ndjson", argv[1]);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct vg_sensor s;
		if (line[len - 1] == '\n')
			len--;
		if (vg_sensor_parse(line, (size_t)len, &s, &err) || vg_fusion_sensor_add(f, &s, &err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			return 1;
		}
	}
	fclose(fp);
	/* decode impulse and fire observations (others only move the clock) */
	snprintf(path, sizeof path, "%s/observations.ndjson", argv[1]);
	fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		return 1;
	}
	size_t n = 0, n_read = 0;
	struct vg_arena a;
	vg_arena_init(&a, 1 << 20);
	int64_t clock = INT64_MIN, t_first = INT64_MAX, busy = 0;
	long rss0 = peak_rss_kb();
	while (n_read < max && (len = getline(&line, &cap, fp)) > 0) {
		n_read++;
		if (line[len - 1] == '\n')
			len--;
		struct vg_envelope env;
		struct vg_obs obs;
		vg_arena_reset(&a);
		if (vg_observation_decode(line, (size_t)len, &a, &env, &obs, &err)) {
			fprintf(stderr, "%s:%zu: %s\n", path, n_read, err.msg);
			return 1;
		}
		if (obs.t_ns > clock)
			clock = obs.t_ns;
		if (obs.t_ns < t_first)
			t_first = obs.t_ns;
		if (obs.kind != VG_OBS_IMPULSE && obs.kind != VG_OBS_FIRE)
			continue;
		n++;
		int64_t t0 = vg_time_mono_ns();
		if (vg_fusion_push(f, &obs, (int64_t)n_read, (int64_t)n_read, clock, &err)) {
			fprintf(stderr, "push %zu: %s\n", n_read, err.msg);
			return 1;
		}
		busy += vg_time_mono_ns() - t0;
	}
	fclose(fp);
	free(line);
	vg_arena_release(&a);
	int64_t t0 = vg_time_mono_ns();
	if (vg_fusion_flush(f, clock, &err)) {
		fprintf(stderr, "flush: %s\n", err.msg);
		return 1;
	}
	busy += vg_time_mono_ns() - t0;
	double wall = (double)busy / 1e9;
	long rss1 = peak_rss_kb();
	struct vg_fusion_stats st;
	vg_fusion_get_stats(f, &st);
	double span = (double)(clock - t_first) / 1e9;
	printf("observations read      %zu (%zu impulse/fire)\n", n_read, n);
	printf("events                 %llu (%llu launch, %llu impact, %llu explosion, %llu radar-only)\n",
	       (unsigned long long)n_events, (unsigned long long)st.n_launch,
	       (unsigned long long)st.n_impact, (unsigned long long)st.n_explosion,
	       (unsigned long long)st.n_radar_only);
	printf("fusion wall time       %.2f s (one core)\n", wall);
	printf("simulated span         %.0f s\n", span);
	printf("speed                  %.0f x real time, %.0f arrivals/s, %.1f events/s\n",
	       wall > 0 ? span / wall : 0, wall > 0 ? (double)st.n_impulse / wall : 0,
	       wall > 0 ? (double)n_events / wall : 0);
	printf("hypotheses / fits      %llu / %llu\n", (unsigned long long)st.n_hypotheses,
	       (unsigned long long)st.n_fits);
	printf("peak pool              %u arrivals (the association window)\n", st.peak_pending);
	printf("peak RSS               %ld kB at start, %ld kB at the end\n", rss0, rss1);
	vg_fusion_free(f);
	return 0;
}

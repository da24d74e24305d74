/*
 * bench/sim.c - time and memory of `vigil sim` on the 24-hour collapse
 * scenario (about 1.2 million signed observations). Prints wall time per
 * phase, peak RSS and the observation counts per kind.
 *
 *   bench_sim [SCENARIO] [--seed N] [--threads N] [--keep DIR]
 *
 * SCENARIO defaults to $VG_SRC/scenarios/collapse.json, else
 * scenarios/collapse.json. The output goes to a temporary directory that
 * is removed afterwards unless --keep names one.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "crypto/crypto.h"
#include "sim/sim.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char def[4096];
	const char *src = getenv("VG_SRC");
	snprintf(def, sizeof def, "%s/scenarios/collapse.json", src && *src ? src : ".");
	const char *scenario = def, *keep = NULL;
	struct vg_sim_options opt = {.seed = 1, .threads = 2};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt.seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			opt.threads = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else if (argv[i][0] != '-')
			scenario = argv[i];
		else {
			fprintf(stderr, "usage: bench_sim [SCENARIO] [--seed N] [--threads N] [--keep DIR]\n");
			return 2;
		}
	}
	if (vg_crypto_init() != VG_OK)
		return 3;
	char tmp[] = "/tmp/vigil-bench-sim-XXXXXX";
	if (keep) {
		opt.out_dir = keep;
	} else {
		if (!mkdtemp(tmp)) {
			perror("mkdtemp");
			return 3;
		}
		opt.out_dir = tmp;
	}
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_sim_scenario *sc = NULL;
	int64_t t0 = vg_time_mono_ns();
	if (vg_sim_scenario_load(scenario, &sc, &err) != VG_OK) {
		fprintf(stderr, "bench_sim: %s\n", err.msg);
		return 2;
	}
	struct vg_sim_stats st;
	vg_status s = vg_sim_run(sc, &opt, &st, &err);
	double total = (double)(vg_time_mono_ns() - t0) / 1e9;
	vg_sim_scenario_free(sc);
	if (!keep)
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (s != VG_OK) {
		fprintf(stderr, "bench_sim: %s\n", err.msg);
		return 3;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench_sim: %s, seed %llu, %u signing threads, %ld CPUs\n", scenario,
	       (unsigned long long)opt.seed, opt.threads, ncpu);
	printf("  sensors        %llu\n", (unsigned long long)st.n_sensors);
	printf("  truth          %llu launches, %llu impacts, %llu fires, %llu violations, %llu tracks\n",
	       (unsigned long long)st.n_launch, (unsigned long long)st.n_impact,
	       (unsigned long long)st.n_fire_events, (unsigned long long)st.n_violations,
	       (unsigned long long)st.n_tracks);
	printf("  observations   %llu (%.1f MB): impulse %llu, detection %llu, fire %llu, change %llu, "
	       "coverage %llu, status %llu; false %llu\n",
	       (unsigned long long)st.n_obs, (double)st.bytes_observations / 1e6,
	       (unsigned long long)st.n_obs_kind[1], (unsigned long long)st.n_obs_kind[2],
	       (unsigned long long)st.n_obs_kind[3], (unsigned long long)st.n_obs_kind[4],
	       (unsigned long long)st.n_obs_kind[5], (unsigned long long)st.n_obs_kind[6],
	       (unsigned long long)st.n_obs_false);
	printf("  time           %.2f s total: generate %.2f s, format+sign+write %.2f s "
	       "(%.0f observations/s)\n",
	       total, st.t_generate_s, st.t_write_s, (double)st.n_obs / (st.t_write_s > 0 ? st.t_write_s : 1));
	printf("  peak RSS       %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	return 0;
}

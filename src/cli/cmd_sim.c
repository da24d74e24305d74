/* cmd_sim.c - `vigil sim`: run a scenario into a directory (src/sim/sim.h,
 * docs/simulator.md). */
#include "cli.h"
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil sim SCENARIO --seed N --out DIR [--threads N] [--hours H]\n"
	        "                 [--max-observations N]\n\n"
	        "Simulate SCENARIO (JSON, docs/simulator.md) and write into DIR (created;\n"
	        "must be empty): agreement.geojson, sensors.ndjson, keys/<sensor>.key,\n"
	        "observations.ndjson (signed, in order of arrival at Vigil) and truth.json.\n"
	        "The same scenario and seed give byte-identical files.\n\n"
	        "  --seed N               the run's seed (0 .. 2^64-1), required\n"
	        "  --out DIR              output directory, required\n"
	        "  --threads N            signing threads (default 2)\n"
	        "  --hours H              simulate only the first H hours\n"
	        "  --max-observations N   refuse runs above N observations (default 4000000)\n\n"
	        "example:\n"
	        "  vigil sim scenarios/quiet.json --seed 1 --out out/quiet\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

int vg_cmd_sim(int argc, char **argv)
{
	const char *scenario = NULL, *out = NULL, *seed_s = NULL, *val = NULL;
	struct vg_sim_options opt;
	memset(&opt, 0, sizeof opt);
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--seed", &val)) {
			if (!(seed_s = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--out", &val)) {
			if (!(out = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--threads", &val)) {
			int64_t n;
			if (!val || !vg_cli_parse_i64(val, 1, 64, &n)) {
				vg_cli_error("sim", "--threads: want an integer 1..64");
				return VG_EXIT_USAGE;
			}
			opt.threads = (unsigned)n;
		} else if (vg_cli_opt(argc, argv, &i, "--hours", &val)) {
			double h;
			if (!val || !vg_cli_parse_double(val, &h) || !(h > 0) || h > 240) {
				vg_cli_error("sim", "--hours: want a number in (0, 240]");
				return VG_EXIT_USAGE;
			}
			opt.duration_ns = (int64_t)(h * 3600.0 * 1e9);
		} else if (vg_cli_opt(argc, argv, &i, "--max-observations", &val)) {
			int64_t n;
			if (!val || !vg_cli_parse_i64(val, 1, 4000000000LL, &n)) {
				vg_cli_error("sim", "--max-observations: want a positive integer");
				return VG_EXIT_USAGE;
			}
			opt.max_observations = (uint64_t)n;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			vg_cli_error("sim", "unknown option '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		} else if (!scenario) {
			scenario = argv[i];
		} else {
			vg_cli_error("sim", "unexpected argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (!scenario || !out || !seed_s) {
		vg_cli_error("sim", "SCENARIO, --seed and --out are required");
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	if (!parse_u64(seed_s, &opt.seed)) {
		vg_cli_error("sim", "--seed '%s': want an integer 0 .. 18446744073709551615", seed_s);
		return VG_EXIT_USAGE;
	}
	opt.out_dir = out;

	struct vg_err err;
	vg_err_clear(&err);
	struct vg_sim_scenario *sc = NULL;
	if (vg_sim_scenario_load(scenario, &sc, &err) != VG_OK) {
		vg_cli_error("sim", "%s", err.msg);
		return err.status == VG_ERR_IO ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	}
	struct vg_sim_stats stats;
	vg_status st = vg_sim_run(sc, &opt, &stats, &err);
	vg_sim_scenario_free(sc);
	if (st != VG_OK) {
		vg_cli_error("sim", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	fprintf(stderr,
	        "vigil sim: %llu sensors; %llu launches, %llu impacts, %llu fires; %llu violations\n"
	        "vigil sim: %llu observations (impulse %llu, detection %llu, fire %llu, change %llu, "
	        "coverage %llu, status %llu; %llu false), %.1f MB\n"
	        "vigil sim: generated in %.2f s, written in %.2f s\n",
	        (unsigned long long)stats.n_sensors, (unsigned long long)stats.n_launch,
	        (unsigned long long)stats.n_impact, (unsigned long long)stats.n_fire_events,
	        (unsigned long long)stats.n_violations, (unsigned long long)stats.n_obs,
	        (unsigned long long)stats.n_obs_kind[1], (unsigned long long)stats.n_obs_kind[2],
	        (unsigned long long)stats.n_obs_kind[3], (unsigned long long)stats.n_obs_kind[4],
	        (unsigned long long)stats.n_obs_kind[5], (unsigned long long)stats.n_obs_kind[6],
	        (unsigned long long)stats.n_obs_false, (double)stats.bytes_observations / 1e6,
	        stats.t_generate_s, stats.t_write_s);
	return VG_EXIT_OK;
}

/* cmd_score.c - `vigil score`: events and findings against a simulation's
 * truth (src/sim/sim.h, docs/scoring.md). */
#include "cli.h"
#include "sim/sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil score --truth TRUTH.json [--events EVENTS.ndjson]\n"
	        "                   [--findings FINDINGS.ndjson] [--json] [gates]\n\n"
	        "Match events and findings one-to-one to the truth of `vigil sim` and print\n"
	        "precision, recall and F1 per event type and per rule, localisation error and\n"
	        "its ratio to the Cramer-Rao bound, calibration, attribution and latency.\n"
	        "Definitions and the input schemas: docs/scoring.md.\n\n"
	        "  --json                one JSON object instead of the table\n"
	        "  --time-gate S         base time gate, s (default 5)\n"
	        "  --dist-floor M        sigma floor added to reported uncertainty, m (default 50)\n"
	        "  --dist-default M      gate radius without reported uncertainty, m (default 1000)\n"
	        "  --dist-max M          absolute distance cap, m (default 5000)\n"
	        "  --finding-slack S     time tolerance of findings, s (default 600)\n"
	        "  --finding-dist M      finding distance gate, m (default 5000)\n"
	        "  --finding-colocated M a withdrawal finding also finds the violations of units\n"
	        "                        whose weapons were this close to it, m (default 500;\n"
	        "                        0: one-to-one only)\n\n"
	        "example:\n"
	        "  vigil score --truth out/quiet/truth.json --events events.ndjson --json\n");
}

static bool num_opt(const char *name, const char *val, double *out)
{
	double x;
	if (!val || !vg_cli_parse_double(val, &x) || !(x > 0)) {
		vg_cli_error("score", "%s: want a positive number", name);
		return false;
	}
	*out = x;
	return true;
}

int vg_cmd_score(int argc, char **argv)
{
	const char *truth = NULL, *events = NULL, *findings = NULL, *val = NULL;
	bool json = false;
	struct vg_score_options opt;
	vg_score_options_default(&opt);
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--truth", &val)) {
			if (!(truth = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--events", &val)) {
			if (!(events = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--findings", &val)) {
			if (!(findings = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--json", NULL)) {
			json = true;
		} else if (vg_cli_opt(argc, argv, &i, "--time-gate", &val)) {
			if (!num_opt("--time-gate", val, &opt.time_gate_s))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--dist-floor", &val)) {
			if (!num_opt("--dist-floor", val, &opt.dist_floor_m))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--dist-default", &val)) {
			if (!num_opt("--dist-default", val, &opt.dist_default_m))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--dist-max", &val)) {
			if (!num_opt("--dist-max", val, &opt.dist_max_m))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--finding-slack", &val)) {
			if (!num_opt("--finding-slack", val, &opt.finding_slack_s))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--finding-dist", &val)) {
			if (!num_opt("--finding-dist", val, &opt.finding_dist_m))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--finding-colocated", &val)) {
			double x;
			if (!val || !vg_cli_parse_double(val, &x) || !(x >= 0) || !isfinite(x)) {
				vg_cli_error("score", "--finding-colocated: want a number >= 0");
				return VG_EXIT_USAGE;
			}
			opt.finding_colocated_m = x;
		} else {
			vg_cli_error("score", "unknown argument '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	if (!truth || (!events && !findings)) {
		vg_cli_error("score", "--truth and at least one of --events, --findings are required");
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_score_result res;
	if (vg_score_files(truth, events, findings, &opt, &res, &err) != VG_OK) {
		vg_cli_error("score", "%s", err.msg);
		return err.status == VG_ERR_IO || err.status == VG_ERR_NOMEM ? VG_EXIT_FATAL
		                                                              : VG_EXIT_USAGE;
	}
	if (json)
		vg_score_print_json(&res, stdout);
	else
		vg_score_print_table(&res, stdout);
	return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_FATAL;
}

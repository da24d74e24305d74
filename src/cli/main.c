/* main.c - the `vigil` binary: dispatch to subcommands. */
#include "cli.h"
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#ifndef VG_VERSION
#define VG_VERSION "dev"
#endif

static const struct vg_cmd commands[] = {
	{"keygen", "generate an Ed25519 key pair (sensor or service key)", vg_cmd_keygen},
	{"sensor", "manage the sensor registry: add, import, revoke, list", vg_cmd_sensor},
	{"ingest", "ingest NDJSON signed observations into the store", vg_cmd_ingest},
	{"obs", "query stored observations (NDJSON, CSV, GeoJSON)", vg_cmd_obs},
	{"sim", "simulate a scenario: agreement, sensors, signed observations, truth", vg_cmd_sim},
	{"score", "score events and findings against a simulation's truth", vg_cmd_score},
	{"fuse", "associate and locate impulses into events (launch, impact, explosion)", vg_cmd_fuse},
	{"events", "query fused events (NDJSON, CSV, GeoJSON with error ellipses)", vg_cmd_events},
	{"agreement", "check an agreement; build one from a control map; place points", vg_cmd_agreement},
	{"adjudicate", "apply an agreement's rules to observations and events: findings", vg_cmd_adjudicate},
	{"findings", "query and convert findings (NDJSON, CSV, GeoJSON, summary)", vg_cmd_findings},
	{"import", "import external feeds (NASA FIRMS active fires) as unsigned observations", vg_cmd_import},
	{"coverage", "which parts of each zone were watched when; unobserved shares", vg_cmd_coverage},
	{"report", "the daily report: one self-contained HTML page, anchored to the log", vg_cmd_report},
	{"log", "the tamper-evident log: init, append, checkpoint, proofs, verify", vg_cmd_log},
	{"witness", "cosign consistent log checkpoints; detect split views; finality", vg_cmd_witness},
	{"serve", "the HTTP API: observations in, queries, the log, alerts, metrics", vg_cmd_serve},
	{"token", "bearer tokens of the HTTP API: create, list, revoke", vg_cmd_token},
	{"tak", "Cursor-on-Target for TAK: events and findings out, TAK reports in", vg_cmd_tak},
	{"demo", "run the end-to-end demonstration", vg_cmd_demo},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vigil [-v|-q] <command> [options]\n\n"
	           "Vigil %s - ceasefire monitoring and verification engine.\n\ncommands:\n",
	        VG_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vigil <command> --help' shows a command's options and an example.\n"
	           "Exit codes: 0 ok, 1 some input rejected, 2 usage error, 3 fatal error.\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			vg_log_set_level(vg_log_get_level() == VG_LOG_INFO ? VG_LOG_DEBUG : VG_LOG_INFO);
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			vg_log_set_level(VG_LOG_ERROR);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return VG_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("vigil %s\n", VG_VERSION);
			return VG_EXIT_OK;
		} else {
			fprintf(stderr, "vigil: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	if (vg_crypto_init() != VG_OK) {
		fprintf(stderr, "vigil: libsodium failed to initialise\n");
		return VG_EXIT_FATAL;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].run(argc - i, argv + i);
	fprintf(stderr, "vigil: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return VG_EXIT_USAGE;
}

/*
 * cli.h - the `vigil` subcommands. cli/ is the only place that touches argv,
 * exit codes and process-wide settings. Each subcommand lives in
 * cmd_<name>.c and is listed in the table in main.c.
 *
 * Exit codes (documented in README.md):
 *   0  success (ingest: every item accepted or a duplicate)
 *   1  some input items were rejected (the rest were processed)
 *   2  usage error (bad option or argument)
 *   3  fatal error (I/O, database, corrupt state); nothing acknowledged
 *      beyond what was reported
 */
#ifndef VG_CLI_H
#define VG_CLI_H

#include "core/core.h"

#include <stdio.h>

enum { VG_EXIT_OK = 0, VG_EXIT_REJECTED = 1, VG_EXIT_USAGE = 2, VG_EXIT_FATAL = 3 };

struct vg_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int vg_cmd_keygen(int argc, char **argv);
int vg_cmd_sensor(int argc, char **argv);
int vg_cmd_ingest(int argc, char **argv);
int vg_cmd_obs(int argc, char **argv);
int vg_cmd_demo(int argc, char **argv);
int vg_cmd_log(int argc, char **argv);
int vg_cmd_witness(int argc, char **argv);
int vg_cmd_sim(int argc, char **argv);
int vg_cmd_score(int argc, char **argv);
int vg_cmd_agreement(int argc, char **argv);
int vg_cmd_adjudicate(int argc, char **argv);
int vg_cmd_findings(int argc, char **argv);
int vg_cmd_coverage(int argc, char **argv);
int vg_cmd_import(int argc, char **argv);
int vg_cmd_fuse(int argc, char **argv);
int vg_cmd_events(int argc, char **argv);
int vg_cmd_serve(int argc, char **argv);
int vg_cmd_token(int argc, char **argv);
int vg_cmd_report(int argc, char **argv);
int vg_cmd_tak(int argc, char **argv);

/* Helpers shared by subcommands (cli_util.c). */

/* Print "vigil <cmd>: <msg>" to stderr. */
void vg_cli_error(const char *cmd, const char *fmt, ...) VG_PRINTF(2, 3);
/* True if argv[i] equals opt; if the option takes a value, *val is set to
 * argv[i+1] and i is advanced (error + false if missing). */
bool vg_cli_opt(int argc, char **argv, int *i, const char *opt, const char **val);
bool vg_cli_help_requested(int argc, char **argv);
/* Parse a strictly positive/non-negative integer or a double, with range. */
bool vg_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool vg_cli_parse_double(const char *s, double *out);
/* Default database path: $VIGIL_DB or "vigil.db". */
const char *vg_cli_default_db(void);

/* Open the store at db read-write together with its transparency log
 * (DB.log/, key DB.logkey; created on first use with origin
 * $VIGIL_LOG_ORIGIN or "vigil/<host>/<db name>"). Prints the error and
 * returns false on failure. */
struct vg_store;
struct vg_journal;
/* For commands that must not create a store (ingest, revoke): false, with
 * a message, if db does not exist. */
bool vg_cli_store_exists(const char *cmd, const char *db);
bool vg_cli_open_logged(const char *cmd, const char *db, struct vg_store **st,
                        struct vg_journal **j);
/* Publish every stored record of kind ("event": the events table, "finding":
 * the findings table) not published before: one statement each, signed by
 * the log key and appended to the store's log; if another process holds
 * the log, stored for it to append. store (may be NULL) first writes the
 * records in the same transaction, so a record that cannot be published
 * (its evidence is not this log's observations) leaves nothing stored.
 * Prints a one-line summary on stderr; returns an exit code. */
int vg_cli_publish(const char *cmd, const char *db, struct vg_store *st, const char *kind,
                   vg_status (*store)(void *ctx, struct vg_store *st, struct vg_err *err),
                   void *store_ctx);

#endif

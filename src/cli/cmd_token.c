/* cmd_token.c - `vigil token`: bearer tokens of the HTTP API (docs/api.md). */
#include "cli.h"
#include "server/server.h"
#include "store/store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil token create --db PATH --member MEMBER [--role member|auditor|sensor]\n"
	        "       vigil token list   --db PATH\n"
	        "       vigil token revoke --db PATH ID\n\n"
	        "create prints a new bearer token once, on stdout; only its SHA-256 is stored.\n"
	        "Roles (docs/api.md): member reads what is releasable to MEMBER and posts\n"
	        "observations; auditor reads everything, posts nothing; sensor only posts\n"
	        "observations (a sensor integrator's gateway).\n\n"
	        "example:\n"
	        "  vigil token create --db vigil.db --member NOR --role member > nor.token\n"
	        "  curl -H \"Authorization: Bearer $(cat nor.token)\" http://127.0.0.1:8080/v1/sensors\n");
}

static int list_cb(void *ctx, const struct vg_token_row *t, int64_t revoked_ns)
{
	(void)ctx;
	char c[VG_TIME_STR_MAX], r[VG_TIME_STR_MAX];
	vg_time_format(t->created_ns, c);
	if (revoked_ns)
		vg_time_format(revoked_ns, r);
	printf("%lld\t%s\t%s\t%s\t%s\n", (long long)t->id, t->member, t->role, c,
	       revoked_ns ? r : "active");
	return 0;
}

int vg_cmd_token(int argc, char **argv)
{
	const char *db = vg_cli_default_db(), *member = NULL, *role = "member", *v;
	const char *action = NULL, *arg = NULL;
	if (vg_cli_help_requested(argc, argv) || argc < 2) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	action = argv[1];
	for (int i = 2; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--member", &v)) {
			if (!(member = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--role", &v)) {
			if (!(role = v))
				return VG_EXIT_USAGE;
		} else if (argv[i][0] != '-' && !arg) {
			arg = argv[i];
		} else {
			vg_cli_error("token", "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	bool create = !strcmp(action, "create"), list = !strcmp(action, "list"),
	     revoke = !strcmp(action, "revoke");
	if (!create && !list && !revoke) {
		vg_cli_error("token", "unknown action '%s': want create, list or revoke", action);
		return VG_EXIT_USAGE;
	}
	int64_t id = 0;
	if (create) {
		if (!member || !vg_id_valid(member, strlen(member))) {
			vg_cli_error("token", "--member: want a coalition member name ([A-Za-z0-9._:-]{1,64})");
			return VG_EXIT_USAGE;
		}
		if (vg_server_role_parse(role) < 0) {
			vg_cli_error("token", "--role %s: want member, auditor or sensor", role);
			return VG_EXIT_USAGE;
		}
	}
	if (revoke && !vg_cli_parse_i64(arg, 1, INT64_MAX, &id)) {
		vg_cli_error("token", "revoke: want the token id (see 'vigil token list')");
		return VG_EXIT_USAGE;
	}
	struct vg_err err;
	vg_err_clear(&err);
	vg_store *st;
	if (vg_store_open(db, &st, &err) != VG_OK) {
		vg_cli_error("token", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	int rc = VG_EXIT_OK;
	if (create) {
		char tok[VG_SERVER_TOKEN_LEN + 1];
		uint8_t h[VG_SHA256_BYTES];
		vg_server_token_generate(tok);
		vg_sha256((const uint8_t *)tok, strlen(tok), h);
		if (vg_store_token_add(st, h, member, role, vg_time_now_ns(), &id, &err) != VG_OK) {
			vg_cli_error("token", "%s", err.msg);
			rc = VG_EXIT_FATAL;
		} else {
			printf("%s\n", tok);
			fprintf(stderr, "vigil token: token %lld for %s (%s) created; it is shown only now\n",
			        (long long)id, member, role);
		}
		sodium_memzero(tok, sizeof tok);
	} else if (list) {
		if (vg_store_token_each(st, list_cb, NULL, &err) != VG_OK) {
			vg_cli_error("token", "%s", err.msg);
			rc = VG_EXIT_FATAL;
		}
	} else if (vg_store_token_revoke(st, id, vg_time_now_ns(), &err) != VG_OK) {
		vg_cli_error("token", "%s", err.msg);
		rc = err.status == VG_ERR_NOT_FOUND ? VG_EXIT_USAGE : VG_EXIT_FATAL;
	}
	vg_store_free(st);
	if (fflush(stdout) != 0)
		rc = VG_EXIT_FATAL;
	return rc;
}

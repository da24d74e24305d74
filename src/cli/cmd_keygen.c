/* cmd_keygen.c - `vigil keygen`: an Ed25519 key pair in two files. */
#include "cli.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil keygen --out PREFIX\n\n"
	        "Generate an Ed25519 key pair (libsodium, OS randomness):\n"
	        "  PREFIX.key  secret key, mode 0600, never overwritten\n"
	        "  PREFIX.pub  public key, the form `vigil sensor add --pubkey` takes\n"
	        "and print the public key line on stdout.\n\n"
	        "example:\n  vigil keygen --out keys/ac-0042\n");
}

int vg_cmd_keygen(int argc, char **argv)
{
	const char *prefix = NULL;
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--out", &prefix)) {
			if (!prefix)
				return VG_EXIT_USAGE;
		} else {
			vg_cli_error("keygen", "unknown argument '%s'", argv[i]);
			help(stderr);
			return VG_EXIT_USAGE;
		}
	}
	if (!prefix) {
		vg_cli_error("keygen", "--out PREFIX is required");
		help(stderr);
		return VG_EXIT_USAGE;
	}
	char kpath[4096], ppath[4096];
	if (snprintf(kpath, sizeof kpath, "%s.key", prefix) >= (int)sizeof kpath ||
	    snprintf(ppath, sizeof ppath, "%s.pub", prefix) >= (int)sizeof ppath) {
		vg_cli_error("keygen", "path too long");
		return VG_EXIT_USAGE;
	}
	struct stat sb;
	if (stat(kpath, &sb) == 0 || stat(ppath, &sb) == 0) {
		vg_cli_error("keygen", "%s: exists; refusing to overwrite a key",
		             stat(kpath, &sb) == 0 ? kpath : ppath);
		return VG_EXIT_FATAL;
	}
	struct vg_secret_key key;
	struct vg_err err;
	vg_key_generate(&key);
	int rc = VG_EXIT_OK;
	if (vg_key_write_secret(kpath, &key, &err) != VG_OK) {
		vg_cli_error("keygen", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out_wipe;
	}
	if (vg_key_write_public(ppath, key.pk, &err) != VG_OK) {
		vg_cli_error("keygen", "%s", err.msg);
		unlink(kpath); /* no half pair left behind */
		rc = VG_EXIT_FATAL;
		goto out_wipe;
	}
	char line[128];
	vg_key_format_public(key.pk, line, sizeof line);
	printf("%s\n", line);
out_wipe:
	vg_secret_key_wipe(&key);
	return rc;
}

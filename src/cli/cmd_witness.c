/* cmd_witness.c - `vigil witness`: a coalition member's witness for a log
 * (C2SP tlog-witness semantics, run locally): cosign checkpoints that are
 * consistent with the last one cosigned, detect split views, check K-of-N
 * finality. See docs/log-format.md. */
#include "cli.h"
#include "ledger/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "witness"

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil witness [cosign] --state FILE --key KEYFILE --log-key VERIFIERKEY\n"
	        "                     (--checkpoint FILE [--proof FILE] | --log-dir DIR)\n"
	        "                     [--time UNIX] [--evidence FILE]\n"
	        "       vigil witness key --key KEYFILE [--name NAME]\n"
	        "       vigil witness final --log-key VERIFIERKEY --witness VERIFIERKEY ...\n"
	        "                     --quorum K CHECKPOINT\n\n"
	        "cosign  Check the offered checkpoint (signed by the log key, of the log's\n"
	        "        origin) against the last one this witness cosigned (kept in --state):\n"
	        "        a smaller size is refused, the same size must have the same root, a\n"
	        "        larger one needs a valid consistency proof (--proof: one base64 hash\n"
	        "        per line, as `vigil log prove-consistency` prints it). On success the\n"
	        "        state is updated durably, then the cosignature line (C2SP\n"
	        "        cosignature/v1, Ed25519 over the checkpoint with a timestamp) is\n"
	        "        printed; append it to the checkpoint. With --log-dir the checkpoint is\n"
	        "        DIR/checkpoint and the proof is computed from DIR's tiles (a witness\n"
	        "        that mirrors the log); the proof is still verified.\n"
	        "        A split view (two roots for one size, or no valid proof from the\n"
	        "        cosigned checkpoint) exits 1 and prints both checkpoints as evidence\n"
	        "        to stderr, and to --evidence FILE if given.\n"
	        "key     create the witness key (type 0x04) if missing, with --name, and print\n"
	        "        its verifier key <name>+<key id>+<base64(0x04 || public key)>\n"
	        "final   exit 0 if the checkpoint (a file) carries the log's signature and\n"
	        "        cosignatures by at least K of the listed witnesses, 1 if not\n\n"
	        "VERIFIERKEY is the key string or a file holding it.\n"
	        "Exit codes: 0 ok, 1 refused / not final, 2 usage, 3 fatal.\n\n"
	        "examples:\n"
	        "  vigil witness key --key w1.key --name witness.nor.example/w1\n"
	        "  vigil log prove-consistency --dir /srv/log 1000 1500 > proof.txt\n"
	        "  vigil witness --state w1.state --key w1.key --log-key log.vkey \\\n"
	        "      --checkpoint checkpoint --proof proof.txt >> checkpoint.cosigned\n"
	        "  vigil witness final --log-key log.vkey --witness w1.vkey --witness w2.vkey \\\n"
	        "      --witness w3.vkey --quorum 2 checkpoint.cosigned\n");
}

static int exit_for(vg_status st)
{
	switch (st) {
	case VG_OK:
		return VG_EXIT_OK;
	case VG_ERR_IO:
	case VG_ERR_NOMEM:
	case VG_ERR_INTERNAL:
		return VG_EXIT_FATAL;
	case VG_ERR_INVALID_ARG:
	case VG_ERR_KEY:
		return VG_EXIT_USAGE;
	default:
		return VG_EXIT_REJECTED;
	}
}

/* Read a small file whole (NUL-terminated) into buf. */
static bool read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		vg_cli_error(CMD, "%s: %s", path, strerror(errno));
		return false;
	}
	size_t n = fread(buf, 1, cap - 1, f);
	bool big = n == cap - 1 && fgetc(f) != EOF;
	fclose(f);
	if (big) {
		vg_cli_error(CMD, "%s: larger than %zu bytes", path, cap - 1);
		return false;
	}
	buf[n] = '\0';
	*len = n;
	return true;
}

static bool load_verifier(const char *arg, struct vg_note_verifier *v)
{
	struct vg_err err;
	char buf[VG_NOTE_VKEY_MAX + 8];
	size_t n;
	vg_status st;
	if (strchr(arg, '+')) {
		st = vg_note_verifier_parse(arg, strlen(arg), v, &err);
	} else {
		if (!read_small(arg, buf, sizeof buf, &n))
			return false;
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		st = vg_note_verifier_parse(buf, n, v, &err);
	}
	if (st != VG_OK)
		vg_cli_error(CMD, "%s: %s", arg, err.msg);
	return st == VG_OK;
}

static int cmd_key(int argc, char **argv)
{
	const char *key = NULL, *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--key", &key)) {
			if (!key)
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--name", &name)) {
			if (!name)
				return VG_EXIT_USAGE;
		} else {
			vg_cli_error(CMD, "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (!key) {
		vg_cli_error(CMD, "--key KEYFILE is required");
		return VG_EXIT_USAGE;
	}
	struct vg_note_signer k;
	struct vg_err err;
	vg_status st = vg_note_key_read(key, &k, &err);
	if (st == VG_ERR_NOT_FOUND) {
		if (!name) {
			vg_cli_error(CMD, "%s does not exist: --name NAME creates it", key);
			return VG_EXIT_USAGE;
		}
		if ((st = vg_note_signer_generate(name, VG_NOTE_COSIGNATURE_V1, &k, &err)) == VG_OK)
			st = vg_note_key_write(key, &k, &err);
	}
	if (st == VG_OK && k.pub.type != VG_NOTE_COSIGNATURE_V1)
		st = vg_err_set(&err, VG_ERR_KEY, "%s is not a witness (cosignature/v1) key", key);
	if (st == VG_OK && name && strcmp(name, k.pub.name) != 0)
		st = vg_err_set(&err, VG_ERR_KEY, "%s is the key of %s, not %s", key, k.pub.name, name);
	if (st != VG_OK) {
		vg_note_signer_wipe(&k);
		vg_cli_error(CMD, "%s", err.msg);
		return exit_for(st);
	}
	char vk[VG_NOTE_VKEY_MAX];
	vg_note_verifier_format(&k.pub, vk, sizeof vk);
	vg_note_signer_wipe(&k);
	printf("%s\n", vk);
	return VG_EXIT_OK;
}

static int cmd_final(int argc, char **argv)
{
	const char *log_key = NULL, *quorum = NULL, *file = NULL;
	struct vg_note_verifier w[64];
	size_t nw = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (vg_cli_opt(argc, argv, &i, "--log-key", &log_key)) {
			if (!log_key)
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--quorum", &quorum)) {
			if (!quorum)
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--witness", &v)) {
			if (!v)
				return VG_EXIT_USAGE;
			if (nw == sizeof w / sizeof w[0]) {
				vg_cli_error(CMD, "more than %zu witnesses", sizeof w / sizeof w[0]);
				return VG_EXIT_USAGE;
			}
			if (!load_verifier(v, &w[nw++]))
				return VG_EXIT_USAGE;
		} else if (argv[i][0] != '-' && !file) {
			file = argv[i];
		} else {
			vg_cli_error(CMD, "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	int64_t k;
	if (!log_key || !quorum || !file || nw == 0 ||
	    !vg_cli_parse_i64(quorum, 1, (int64_t)nw, &k)) {
		vg_cli_error(CMD, "final: --log-key, at least one --witness, --quorum K (1..%zu) and "
		             "a checkpoint file are required", nw);
		return VG_EXIT_USAGE;
	}
	struct vg_note_verifier lk;
	if (!load_verifier(log_key, &lk))
		return VG_EXIT_USAGE;
	static char note[VG_NOTE_MAX + 1];
	size_t len;
	if (!read_small(file, note, sizeof note, &len))
		return VG_EXIT_FATAL;
	struct vg_err err;
	size_t count;
	bool fin;
	vg_status st = vg_checkpoint_final(note, len, &lk, w, nw, (size_t)k, &count, &fin, &err);
	if (st != VG_OK) {
		vg_cli_error(CMD, "%s: %s", file, err.msg);
		return exit_for(st);
	}
	printf("%s: %zu of %zu configured witnesses cosigned; quorum %" PRId64 ": %s\n", file,
	       count, nw, k, fin ? "final" : "NOT final");
	return fin ? VG_EXIT_OK : VG_EXIT_REJECTED;
}

static void write_evidence(const char *path, const struct vg_witness_evidence *ev)
{
	fprintf(stderr, "evidence: the checkpoint this witness cosigned:\n%.*s"
	        "evidence: the checkpoint offered now:\n%.*s",
	        (int)ev->cosigned_len, ev->cosigned, (int)ev->offered_len, ev->offered);
	if (!path)
		return;
	FILE *f = fopen(path, "w");
	if (!f) {
		vg_cli_error(CMD, "%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "# cosigned\n%.*s# offered\n%.*s", (int)ev->cosigned_len, ev->cosigned,
	        (int)ev->offered_len, ev->offered);
	fclose(f);
}

static int cmd_cosign(int argc, char **argv)
{
	const char *state = NULL, *key = NULL, *log_key = NULL, *cpf = NULL, *prf = NULL,
	           *dir = NULL, *tm = NULL, *evf = NULL;
	for (int i = 1; i < argc; i++) {
		const char **v = NULL;
		if (vg_cli_opt(argc, argv, &i, "--state", &state)) v = &state;
		else if (vg_cli_opt(argc, argv, &i, "--key", &key)) v = &key;
		else if (vg_cli_opt(argc, argv, &i, "--log-key", &log_key)) v = &log_key;
		else if (vg_cli_opt(argc, argv, &i, "--checkpoint", &cpf)) v = &cpf;
		else if (vg_cli_opt(argc, argv, &i, "--proof", &prf)) v = &prf;
		else if (vg_cli_opt(argc, argv, &i, "--log-dir", &dir)) v = &dir;
		else if (vg_cli_opt(argc, argv, &i, "--time", &tm)) v = &tm;
		else if (vg_cli_opt(argc, argv, &i, "--evidence", &evf)) v = &evf;
		else {
			vg_cli_error(CMD, "unknown argument '%s'", argv[i]);
			help(stderr);
			return VG_EXIT_USAGE;
		}
		if (!*v)
			return VG_EXIT_USAGE;
	}
	if (!state || !key || !log_key || (!cpf == !dir) || (dir && prf)) {
		vg_cli_error(CMD, "--state, --key, --log-key and either --checkpoint [--proof] or "
		             "--log-dir are required");
		help(stderr);
		return VG_EXIT_USAGE;
	}
	int64_t now = vg_time_now_ns() / VG_NS_PER_S;
	if (tm && !vg_cli_parse_i64(tm, 0, INT64_MAX, &now)) {
		vg_cli_error(CMD, "--time %s: Unix seconds expected", tm);
		return VG_EXIT_USAGE;
	}
	struct vg_note_verifier lk;
	if (!load_verifier(log_key, &lk))
		return VG_EXIT_USAGE;
	struct vg_note_signer wk;
	struct vg_err err;
	vg_status st = vg_note_key_read(key, &wk, &err);
	if (st != VG_OK) {
		vg_cli_error(CMD, "%s", err.msg);
		return exit_for(st);
	}
	int rc = VG_EXIT_OK;
	static char note[VG_NOTE_MAX + 1], text[VG_MERKLE_PROOF_TEXT_MAX + 64];
	struct vg_witness_evidence *ev = calloc(1, sizeof *ev);
	struct vg_merkle_proof proof = {0};
	size_t len = 0;
	if (!ev) {
		rc = VG_EXIT_FATAL;
		goto out_wipe;
	}
	if (cpf) {
		if (!read_small(cpf, note, sizeof note, &len)) {
			rc = VG_EXIT_FATAL;
			goto out_wipe;
		}
		if (prf) {
			size_t tl;
			if (!read_small(prf, text, sizeof text, &tl)) {
				rc = VG_EXIT_FATAL;
				goto out_wipe;
			}
			if ((st = vg_merkle_proof_parse(text, tl, &proof, &err)) != VG_OK) {
				vg_cli_error(CMD, "%s: %s", prf, err.msg);
				rc = VG_EXIT_REJECTED;
				goto out_wipe;
			}
		}
	} else {
		/* Directory form: the log's own checkpoint, and a proof from its tiles
		 * from the size this witness last cosigned. */
		vg_ledger *lg;
		if ((st = vg_ledger_open(dir, NULL, 0, &lg, &err)) != VG_OK) {
			vg_cli_error(CMD, "%s", err.msg);
			rc = exit_for(st);
			goto out_wipe;
		}
		const char *cp = vg_ledger_checkpoint(lg, &len);
		memcpy(note, cp, len + 1);
		static char old[VG_NOTE_MAX + 1];
		size_t ol;
		FILE *sf = fopen(state, "rb");
		if (sf) {
			ol = fread(old, 1, VG_NOTE_MAX, sf);
			fclose(sf);
			struct vg_checkpoint oc;
			const char *sep = NULL;
			for (size_t i = 1; i < ol && !sep; i++)
				if (old[i] == '\n' && old[i - 1] == '\n')
					sep = old + i;
			if (sep && vg_checkpoint_parse(old, (size_t)(sep - old), &oc, &err) == VG_OK &&
			    oc.size > 0 && oc.size < vg_ledger_durable_size(lg) &&
			    (st = vg_ledger_prove_consistency(lg, oc.size, vg_ledger_durable_size(lg),
			                                      &proof, &err)) != VG_OK) {
				vg_cli_error(CMD, "%s: %s", dir, err.msg);
				rc = exit_for(st);
				vg_ledger_free(lg);
				goto out_wipe;
			}
		}
		vg_ledger_free(lg);
	}
	char line[VG_NOTE_SIGLINE_MAX];
	size_t ll;
	st = vg_witness_cosign(state, &wk, &lk, note, len, &proof, now, line, sizeof line, &ll, ev,
	                       &err);
	if (st != VG_OK) {
		vg_cli_error(CMD, "REFUSED: %s", err.msg);
		if (st == VG_ERR_INCONSISTENT && ev->offered_len)
			write_evidence(evf, ev);
		rc = exit_for(st);
		goto out_wipe;
	}
	fwrite(line, 1, ll, stdout);
out_wipe:
	free(ev);
	vg_note_signer_wipe(&wk);
	return rc;
}

int vg_cmd_witness(int argc, char **argv)
{
	if (argc < 2 || vg_cli_help_requested(argc, argv)) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	if (!strcmp(argv[1], "key"))
		return cmd_key(argc - 1, argv + 1);
	if (!strcmp(argv[1], "final"))
		return cmd_final(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cosign"))
		return cmd_cosign(argc - 1, argv + 1);
	return cmd_cosign(argc, argv);
}

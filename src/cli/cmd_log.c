/* cmd_log.c - `vigil log`: create, append to, read, prove and audit the
 * transparency log (src/ledger/ledger.h, docs/log-format.md). */
#include "cli.h"
#include "ingest/journal.h"
#include "ledger/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "log"

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil log init  --dir DIR --origin NAME --key KEYFILE\n"
	        "       vigil log key   --key KEYFILE\n"
	        "       vigil log append --dir DIR --key KEYFILE [--batch N] [FILE|-]\n"
	        "       vigil log checkpoint --dir DIR\n"
	        "       vigil log entry --dir DIR N\n"
	        "       vigil log prove-inclusion --dir DIR N [--size S] [--json]\n"
	        "       vigil log prove-consistency --dir DIR M N [--json]\n"
	        "       vigil log verify --dir DIR --key VERIFIERKEY [--raw] | --db PATH\n\n"
	        "The tamper-evident log: an RFC 9162 Merkle tree stored as C2SP tlog-tiles\n"
	        "in DIR (checkpoint, tile/<L>/<N>, tile/entries/<N>), with a checkpoint\n"
	        "signed by the log key in the C2SP signed-note format (docs/log-format.md).\n\n"
	        "  init         create the log; creates KEYFILE (mode 0600) if missing, with\n"
	        "               key name NAME (the origin), and prints the verifier key\n"
	        "  key          print the verifier key <name>+<key id>+<base64> of KEYFILE\n"
	        "  append       append each input line (without its newline; empty lines are\n"
	        "               skipped, lines over 65,535 bytes rejected) as one entry;\n"
	        "               a durable checkpoint every N lines (default 1000) and at the end\n"
	        "  checkpoint   print the latest signed checkpoint exactly as served\n"
	        "  entry        write entry N's bytes to stdout\n"
	        "  prove-inclusion    proof that entry N is in the tree of size S (default:\n"
	        "                     the checkpoint's), one base64 hash per line\n"
	        "  prove-consistency  proof that the tree of size M is a prefix of size N\n"
	        "  --json       {\"leafIdx\",\"treeSize\",\"leafHash\",\"root\",\"proof\"} or\n"
	        "               {\"size1\",\"size2\",\"root1\",\"root2\",\"proof\"}\n"
	        "  verify       an auditor's check trusting only VERIFIERKEY (the key string or\n"
	        "               a file holding it): checkpoint signature and origin, every entry\n"
	        "               bundle against its tile, every tile against the tiles below, the\n"
	        "               root against the checkpoint. Exit 1 names the damaged file.\n"
	        "               Then every entry (unless --raw): registry statements must be\n"
	        "               signed by the log key; observations by a sensor enrolled\n"
	        "               earlier in the log and not revoked (strict Ed25519).\n"
	        "               --db PATH: the store's own log PATH.log with PATH.logkey.\n\n"
	        "Exit codes: 0 ok, 1 verification failed or input rejected, 2 usage, 3 fatal.\n\n"
	        "examples:\n"
	        "  vigil log init --dir /srv/log --origin vigil.example.org/log --key log.key\n"
	        "  vigil log append --dir /srv/log --key log.key observations.ndjson\n"
	        "  vigil log prove-inclusion --dir /srv/log 1234 --json\n"
	        "  vigil log verify --dir mirror/ --key \"$(cat log.vkey)\"\n");
}

/* The exit code for a library status. */
static int exit_for(vg_status st)
{
	switch (st) {
	case VG_OK:
		return VG_EXIT_OK;
	case VG_ERR_CORRUPT:
	case VG_ERR_SIGNATURE:
	case VG_ERR_INCONSISTENT:
	case VG_ERR_RANGE:
	case VG_ERR_LIMIT:
	case VG_ERR_VERSION:
	case VG_ERR_BASE64:
	/* an entry refused by the registry check */
	case VG_ERR_UNKNOWN_SENSOR:
	case VG_ERR_REVOKED:
	case VG_ERR_JSON:
	case VG_ERR_ENVELOPE:
	case VG_ERR_PAYLOAD_TYPE:
		return VG_EXIT_REJECTED;
	default:
		return VG_EXIT_FATAL;
	}
}

static int fail(vg_status st, const struct vg_err *err)
{
	vg_cli_error(CMD, "%s", err->msg);
	return exit_for(st);
}

/* A verifier key given inline or as a file holding it on its first line. */
static vg_status load_verifier(const char *arg, struct vg_note_verifier *v, struct vg_err *err)
{
	char buf[VG_NOTE_VKEY_MAX + 8];
	FILE *f = strchr(arg, '+') ? NULL : fopen(arg, "r");
	if (!f)
		return vg_note_verifier_parse(arg, strlen(arg), v, err);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	vg_status st = vg_note_verifier_parse(buf, n, v, err);
	if (st != VG_OK)
		vg_err_prefix(err, "%s", arg);
	return st;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	int64_t v;
	if (!vg_cli_parse_i64(s, 0, INT64_MAX, &v))
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Shared option parsing (argv[0] is the subcommand): --dir, --key, --size,
 * --batch, --origin, --json and up to three positional arguments. */
struct opts {
	const char *dir, *key, *origin, *size, *batch, *db;
	bool json, raw;
	const char *pos[3];
	int npos;
};

static bool parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **v = NULL;
		if (vg_cli_opt(argc, argv, &i, "--dir", &o->dir))
			v = &o->dir;
		else if (vg_cli_opt(argc, argv, &i, "--key", &o->key))
			v = &o->key;
		else if (vg_cli_opt(argc, argv, &i, "--origin", &o->origin))
			v = &o->origin;
		else if (vg_cli_opt(argc, argv, &i, "--size", &o->size))
			v = &o->size;
		else if (vg_cli_opt(argc, argv, &i, "--batch", &o->batch))
			v = &o->batch;
		else if (vg_cli_opt(argc, argv, &i, "--db", &o->db))
			v = &o->db;
		else if (vg_cli_opt(argc, argv, &i, "--json", NULL))
			o->json = true;
		else if (vg_cli_opt(argc, argv, &i, "--raw", NULL))
			o->raw = true;
		else if ((a[0] != '-' || !strcmp(a, "-")) && o->npos < 3)
			o->pos[o->npos++] = a;
		else {
			vg_cli_error(CMD, "unknown argument '%s'", a);
			return false;
		}
		if (v && !*v)
			return false;
	}
	return true;
}

static bool need(const char *val, const char *what)
{
	if (!val)
		vg_cli_error(CMD, "%s is required", what);
	return val != NULL;
}

static int cmd_init(const struct opts *o)
{
	if (!need(o->dir, "--dir DIR") || !need(o->origin, "--origin NAME") ||
	    !need(o->key, "--key KEYFILE"))
		return VG_EXIT_USAGE;
	struct vg_note_signer k;
	struct vg_err err;
	vg_status st = vg_note_key_read(o->key, &k, &err);
	int rc = VG_EXIT_OK;
	if (st == VG_ERR_NOT_FOUND) {
		if ((st = vg_note_signer_generate(o->origin, VG_NOTE_ED25519, &k, &err)) != VG_OK)
			return fail(VG_ERR_VERSION, &err);
		if ((st = vg_note_key_write(o->key, &k, &err)) != VG_OK) {
			rc = fail(st, &err);
			goto out_wipe;
		}
		if (vg_log_get_level() >= VG_LOG_WARN)
			fprintf(stderr, "vigil log: created the log key %s (keep it secret)\n", o->key);
	} else if (st != VG_OK) {
		return fail(st, &err);
	}
	if (strcmp(k.pub.name, o->origin) != 0 || k.pub.type != VG_NOTE_ED25519) {
		vg_cli_error(CMD, "%s: key name %s does not match the origin %s (or is not a log key)",
		             o->key, k.pub.name, o->origin);
		rc = VG_EXIT_USAGE;
		goto out_wipe;
	}
	if ((st = vg_ledger_create(o->dir, &k, &err)) != VG_OK) {
		rc = fail(st, &err);
		goto out_wipe;
	}
	char vk[VG_NOTE_VKEY_MAX];
	vg_note_verifier_format(&k.pub, vk, sizeof vk);
	printf("%s\n", vk);
out_wipe:
	vg_note_signer_wipe(&k);
	return rc;
}

static int cmd_key(const struct opts *o)
{
	if (!need(o->key, "--key KEYFILE"))
		return VG_EXIT_USAGE;
	struct vg_note_signer k;
	struct vg_err err;
	vg_status st = vg_note_key_read(o->key, &k, &err);
	if (st != VG_OK)
		return fail(st, &err);
	char vk[VG_NOTE_VKEY_MAX];
	vg_note_verifier_format(&k.pub, vk, sizeof vk);
	vg_note_signer_wipe(&k);
	printf("%s\n", vk);
	return VG_EXIT_OK;
}

static int cmd_append(const struct opts *o)
{
	if (!need(o->dir, "--dir DIR") || !need(o->key, "--key KEYFILE"))
		return VG_EXIT_USAGE;
	uint64_t batch = 1000;
	if (o->batch && (!parse_u64(o->batch, &batch) || batch == 0 || batch > 100000)) {
		vg_cli_error(CMD, "--batch %s: must be an integer in 1..100000", o->batch);
		return VG_EXIT_USAGE;
	}
	if (o->npos > 1) {
		vg_cli_error(CMD, "append: at most one input file");
		return VG_EXIT_USAGE;
	}
	const char *in = o->npos ? o->pos[0] : "-";
	FILE *f = strcmp(in, "-") ? fopen(in, "rb") : stdin;
	if (!f) {
		vg_cli_error(CMD, "%s: %s", in, strerror(errno));
		return VG_EXIT_FATAL;
	}
	struct vg_note_signer k;
	struct vg_err err;
	vg_ledger *lg = NULL;
	int rc = VG_EXIT_OK;
	vg_status st = vg_note_key_read(o->key, &k, &err);
	if (st == VG_OK)
		st = vg_ledger_open(o->dir, &k, 0, &lg, &err);
	vg_note_signer_wipe(&k);
	if (st != VG_OK) {
		rc = fail(st, &err);
		goto out_close;
	}
	/* Lines up to the entry limit, plus the newline and one byte to detect
	 * a longer line. */
	static char line[VG_LEDGER_ENTRY_MAX + 3];
	uint64_t lineno = 0, appended = 0, rejected = 0, since = 0;
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		lineno++;
		bool nl = n && line[n - 1] == '\n';
		if (!nl && !feof(f)) {
			/* Too long: skip the rest of the line. */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			vg_cli_error(CMD, "%s line %" PRIu64 ": longer than %d bytes: rejected", in,
			             lineno, VG_LEDGER_ENTRY_MAX);
			rejected++;
			continue;
		}
		if (nl)
			n--;
		if (n == 0)
			continue;
		if (n > VG_LEDGER_ENTRY_MAX) {
			vg_cli_error(CMD, "%s line %" PRIu64 ": longer than %d bytes: rejected", in,
			             lineno, VG_LEDGER_ENTRY_MAX);
			rejected++;
			continue;
		}
		uint64_t idx;
		if ((st = vg_ledger_append(lg, (const uint8_t *)line, n, &idx, &err)) != VG_OK) {
			rc = fail(st, &err);
			goto out_free;
		}
		appended++;
		if (++since == batch) {
			since = 0;
			if ((st = vg_ledger_sync(lg, &err)) != VG_OK) {
				rc = fail(st, &err);
				goto out_free;
			}
		}
	}
	if (ferror(f)) {
		vg_cli_error(CMD, "%s: read error", in);
		rc = VG_EXIT_FATAL;
	}
	if ((st = vg_ledger_sync(lg, &err)) != VG_OK) {
		rc = fail(st, &err);
		goto out_free;
	}
	if (vg_log_get_level() >= VG_LOG_WARN)
		fprintf(stderr, "vigil log: appended %" PRIu64 " entries (%" PRIu64 " rejected); "
	        "checkpoint size %" PRIu64 "\n", appended, rejected, vg_ledger_durable_size(lg));
	if (rc == VG_EXIT_OK && rejected)
		rc = VG_EXIT_REJECTED;
out_free:
	vg_ledger_free(lg);
out_close:
	if (f != stdin)
		fclose(f);
	return rc;
}

static vg_status open_ro(const struct opts *o, vg_ledger **lg, struct vg_err *err)
{
	return vg_ledger_open(o->dir, NULL, 0, lg, err);
}

static int cmd_checkpoint(const struct opts *o)
{
	if (!need(o->dir, "--dir DIR"))
		return VG_EXIT_USAGE;
	vg_ledger *lg;
	struct vg_err err;
	vg_status st = open_ro(o, &lg, &err);
	if (st != VG_OK)
		return fail(st, &err);
	size_t n;
	const char *cp = vg_ledger_checkpoint(lg, &n);
	fwrite(cp, 1, n, stdout);
	vg_ledger_free(lg);
	return VG_EXIT_OK;
}

static int cmd_entry(const struct opts *o)
{
	uint64_t idx;
	if (!need(o->dir, "--dir DIR"))
		return VG_EXIT_USAGE;
	if (o->npos != 1 || !parse_u64(o->pos[0], &idx)) {
		vg_cli_error(CMD, "entry: one index N is required");
		return VG_EXIT_USAGE;
	}
	vg_ledger *lg;
	struct vg_err err;
	vg_status st = open_ro(o, &lg, &err);
	if (st != VG_OK)
		return fail(st, &err);
	static uint8_t buf[VG_LEDGER_ENTRY_MAX];
	size_t n;
	int rc = VG_EXIT_OK;
	if (idx >= vg_ledger_durable_size(lg))
		st = vg_err_set(&err, VG_ERR_RANGE, "entry %" PRIu64 ": the checkpoint has %" PRIu64,
		                idx, vg_ledger_durable_size(lg));
	else
		st = vg_ledger_entry(lg, idx, buf, sizeof buf, &n, &err);
	if (st != VG_OK)
		rc = fail(st, &err);
	else
		fwrite(buf, 1, n, stdout);
	vg_ledger_free(lg);
	return rc;
}

static void print_proof(const struct vg_merkle_proof *p, bool json)
{
	char b64[48];
	for (size_t i = 0; i < p->n; i++) {
		vg_b64_encode(p->h[i], VG_HASH_BYTES, b64);
		if (json)
			printf("%s\"%s\"", i ? "," : "", b64);
		else
			printf("%s\n", b64);
	}
}

static int cmd_prove(const struct opts *o, bool inclusion)
{
	uint64_t a, b;
	if (!need(o->dir, "--dir DIR"))
		return VG_EXIT_USAGE;
	if (inclusion ? o->npos != 1 || !parse_u64(o->pos[0], &a)
	              : o->npos != 2 || !parse_u64(o->pos[0], &a) || !parse_u64(o->pos[1], &b)) {
		vg_cli_error(CMD, inclusion ? "prove-inclusion: one index N is required"
		                            : "prove-consistency: sizes M and N are required");
		return VG_EXIT_USAGE;
	}
	vg_ledger *lg;
	struct vg_err err;
	vg_status st = open_ro(o, &lg, &err);
	if (st != VG_OK)
		return fail(st, &err);
	uint64_t durable = vg_ledger_durable_size(lg);
	if (inclusion) {
		b = durable;
		if (o->size && !parse_u64(o->size, &b)) {
			vg_cli_error(CMD, "--size %s: must be a non-negative integer", o->size);
			vg_ledger_free(lg);
			return VG_EXIT_USAGE;
		}
	}
	int rc = VG_EXIT_OK;
	struct vg_merkle_proof p;
	uint8_t r1[VG_HASH_BYTES], r2[VG_HASH_BYTES], leaf[VG_HASH_BYTES];
	if (b > durable) {
		st = vg_err_set(&err, VG_ERR_RANGE, "size %" PRIu64 " is beyond the checkpoint (%" PRIu64
		                ")", b, durable);
		goto out_fail;
	}
	if (inclusion) {
		if ((st = vg_ledger_prove_inclusion(lg, a, b, &p, &err)) != VG_OK ||
		    (st = vg_ledger_leaf_hash(lg, a, leaf, &err)) != VG_OK ||
		    (st = vg_ledger_root(lg, b, r2, &err)) != VG_OK)
			goto out_fail;
	} else {
		if ((st = vg_ledger_prove_consistency(lg, a, b, &p, &err)) != VG_OK ||
		    (st = vg_ledger_root(lg, a, r1, &err)) != VG_OK ||
		    (st = vg_ledger_root(lg, b, r2, &err)) != VG_OK)
			goto out_fail;
	}
	if (!o->json) {
		print_proof(&p, false);
	} else {
		char s1[48], s2[48];
		vg_b64_encode(r2, VG_HASH_BYTES, s2);
		if (inclusion) {
			vg_b64_encode(leaf, VG_HASH_BYTES, s1);
			printf("{\"leafIdx\":%" PRIu64 ",\"treeSize\":%" PRIu64 ",\"leafHash\":\"%s\","
			       "\"root\":\"%s\",\"proof\":[", a, b, s1, s2);
		} else {
			vg_b64_encode(r1, VG_HASH_BYTES, s1);
			printf("{\"size1\":%" PRIu64 ",\"size2\":%" PRIu64 ",\"root1\":\"%s\","
			       "\"root2\":\"%s\",\"proof\":[", a, b, s1, s2);
		}
		print_proof(&p, true);
		printf("]}\n");
	}
	vg_ledger_free(lg);
	return rc;
out_fail:
	vg_ledger_free(lg);
	return fail(st, &err);
}

static int cmd_verify(const struct opts *o)
{
	char dirbuf[4096], keybuf[4096];
	struct vg_note_verifier vk;
	struct vg_err err;
	vg_status st;
	const char *dir = o->dir;
	if (o->db && !o->dir && !o->key) {
		/* The operator's shortcut: the store's own log, its key's public half. */
		struct vg_note_signer sk;
		snprintf(dirbuf, sizeof dirbuf, "%s.log", o->db);
		snprintf(keybuf, sizeof keybuf, "%s.logkey", o->db);
		if ((st = vg_note_key_read(keybuf, &sk, &err)) != VG_OK)
			return fail(st, &err);
		vk = sk.pub;
		vg_note_signer_wipe(&sk);
		dir = dirbuf;
	} else {
		if (!need(o->dir, "--dir DIR (or --db PATH)") || !need(o->key, "--key VERIFIERKEY"))
			return VG_EXIT_USAGE;
		if ((st = load_verifier(o->key, &vk, &err)) != VG_OK) {
			vg_cli_error(CMD, "%s", err.msg);
			return VG_EXIT_USAGE;
		}
	}
	struct vg_ledger_audit a;
	struct vg_journal_audit *ja = NULL;
	if (!o->raw && (st = vg_journal_audit_new(&vk, &ja, &err)) != VG_OK)
		return fail(st, &err);
	/* Each entry: a registry statement signed by the log key, or an
	 * observation signed by a sensor enrolled (and not revoked) earlier in
	 * the log (ingest/journal.h). --raw checks the tree only. */
	st = vg_ledger_audit(dir, &vk, ja ? vg_journal_audit_entry : NULL, ja, &a, &err);
	if (st != VG_OK) {
		vg_journal_audit_free(ja);
		vg_cli_error(CMD, "verify: FAILED: %s", err.msg);
		/* Anything but an I/O or memory failure is a verification failure. */
		return st == VG_ERR_IO || st == VG_ERR_NOMEM || st == VG_ERR_NOT_FOUND ? exit_for(st)
		                                                                        : VG_EXIT_REJECTED;
	}
	char root[48];
	vg_b64_encode(a.checkpoint.root, VG_HASH_BYTES, root);
	printf("ok: %s size %" PRIu64 " root %s: signature, %" PRIu64 " entries and %" PRIu64
	       " tiles verified\n", a.checkpoint.origin, a.checkpoint.size, root, a.entries, a.tiles);
	if (ja) {
		int64_t nst, nobs, nsen;
		vg_journal_audit_counts(ja, &nst, &nobs, &nsen);
		printf("ok: %lld registry statements (%lld sensors) signed by the log key; %lld"
		       " observations signed by sensors enrolled before them and not revoked\n",
		       (long long)nst, (long long)nsen, (long long)nobs);
		printf("ok: %lld event and finding statements signed by the log key, each resting on"
		       " earlier observation entries\n",
		       (long long)vg_journal_audit_publications(ja));
		vg_journal_audit_free(ja);
	}
	return VG_EXIT_OK;
}

int vg_cmd_log(int argc, char **argv)
{
	if (argc < 2 || vg_cli_help_requested(argc, argv)) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	struct opts o;
	if (!parse_opts(argc - 1, argv + 1, &o)) {
		help(stderr);
		return VG_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "init"))
		return cmd_init(&o);
	if (!strcmp(sub, "key"))
		return cmd_key(&o);
	if (!strcmp(sub, "append"))
		return cmd_append(&o);
	if (!strcmp(sub, "checkpoint"))
		return cmd_checkpoint(&o);
	if (!strcmp(sub, "entry"))
		return cmd_entry(&o);
	if (!strcmp(sub, "prove-inclusion"))
		return cmd_prove(&o, true);
	if (!strcmp(sub, "prove-consistency"))
		return cmd_prove(&o, false);
	if (!strcmp(sub, "verify"))
		return cmd_verify(&o);
	vg_cli_error(CMD, "unknown subcommand '%s'", sub);
	help(stderr);
	return VG_EXIT_USAGE;
}

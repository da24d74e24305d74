/* cmd_sensor.c - `vigil sensor add|import|revoke|list`: the sensor registry. */
#include "cli.h"
#include "codec/codec.h"
#include "ingest/journal.h"
#include "store/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil sensor add    [--db PATH] --id ID --owner MEMBER --modality M --pubkey KEY|FILE\n"
	        "                           [--lat DEG --lon DEG [--alt M] [--survey-sigma M]]\n"
	        "                           [--timing-sigma S] [--release A,B,...]\n"
	        "                           [--valid-from TIME] [--valid-until TIME]\n"
	        "       vigil sensor import [--db PATH] FILE|-     (registry NDJSON, one sensor a line)\n"
	        "       vigil sensor revoke [--db PATH] ID [--at TIME]\n"
	        "       vigil sensor list   [--db PATH] [--json]\n\n"
	        "Modalities: acoustic seismic infrasound acoustic_array drone radar\n"
	        "counter_battery_radar satellite_optical satellite_sar external.\n"
	        "Public keys are checked on enrolment: malformed, small-order and\n"
	        "non-canonical keys are refused. TIME is RFC 3339 (2026-03-01T00:00:00Z).\n"
	        "The database defaults to $VIGIL_DB or ./vigil.db.\n\n"
	        "examples:\n"
	        "  vigil sensor add --id ac-0042 --owner NOR --modality acoustic \\\n"
	        "      --pubkey keys/ac-0042.pub --lat 48.03 --lon 37.75 --survey-sigma 2 \\\n"
	        "      --timing-sigma 0.001 --release NOR,POL\n"
	        "  vigil sensor import registry.ndjson\n"
	        "  vigil sensor revoke ac-0042 --at 2026-03-02T00:00:00Z\n");
}

/* Read a public key given inline or as a file holding it. */
static bool load_pubkey_text(const char *arg, char *out, size_t cap)
{
	FILE *f = fopen(arg, "r");
	if (!f) {
		snprintf(out, cap, "%s", arg);
		return true;
	}
	size_t n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return true;
}

static int cmd_add(const char *db, int argc, char **argv)
{
	const char *id = NULL, *owner = NULL, *mod = NULL, *pub = NULL, *lat = NULL, *lon = NULL,
	           *alt = NULL, *ssig = NULL, *tsig = NULL, *rel = NULL, *vf = NULL, *vu = NULL;
	for (int i = 1; i < argc; i++) {
		const char **v = NULL;
		const char *a = argv[i];
		if (vg_cli_opt(argc, argv, &i, "--id", &id)) v = &id;
		else if (vg_cli_opt(argc, argv, &i, "--owner", &owner)) v = &owner;
		else if (vg_cli_opt(argc, argv, &i, "--modality", &mod)) v = &mod;
		else if (vg_cli_opt(argc, argv, &i, "--pubkey", &pub)) v = &pub;
		else if (vg_cli_opt(argc, argv, &i, "--lat", &lat)) v = &lat;
		else if (vg_cli_opt(argc, argv, &i, "--lon", &lon)) v = &lon;
		else if (vg_cli_opt(argc, argv, &i, "--alt", &alt)) v = &alt;
		else if (vg_cli_opt(argc, argv, &i, "--survey-sigma", &ssig)) v = &ssig;
		else if (vg_cli_opt(argc, argv, &i, "--timing-sigma", &tsig)) v = &tsig;
		else if (vg_cli_opt(argc, argv, &i, "--release", &rel)) v = &rel;
		else if (vg_cli_opt(argc, argv, &i, "--valid-from", &vf)) v = &vf;
		else if (vg_cli_opt(argc, argv, &i, "--valid-until", &vu)) v = &vu;
		else {
			vg_cli_error("sensor add", "unknown argument '%s'", a);
			return VG_EXIT_USAGE;
		}
		if (!*v)
			return VG_EXIT_USAGE;
	}
	if (!id || !owner || !mod || !pub) {
		vg_cli_error("sensor add", "--id, --owner, --modality and --pubkey are required");
		return VG_EXIT_USAGE;
	}
	if (!lat != !lon) {
		vg_cli_error("sensor add", "--lat and --lon go together");
		return VG_EXIT_USAGE;
	}
	/* Build a registry line (with jansson: escaping and bounds are its
	 * business) and parse it: one validation path for every way a sensor
	 * is enrolled. */
	char pk[512];
	load_pubkey_text(pub, pk, sizeof pk);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "owner", owner, "modality", mod,
	                      "pubkey", pk);
	double d, la, lo;
	if (!o) {
		vg_cli_error("sensor add", "arguments are not valid UTF-8 text");
		return VG_EXIT_USAGE;
	}
	if (lat) {
		if (!vg_cli_parse_double(lat, &la) || !vg_cli_parse_double(lon, &lo)) {
			vg_cli_error("sensor add", "--lat/--lon: not numbers");
			goto out_usage;
		}
		json_t *pos = json_pack("{s:f, s:f}", "lat", la, "lon", lo);
		if (alt) {
			if (!vg_cli_parse_double(alt, &d)) {
				vg_cli_error("sensor add", "--alt %s: not a number", alt);
				json_decref(pos);
				goto out_usage;
			}
			json_object_set_new(pos, "alt_m", json_real(d));
		}
		if (ssig) {
			if (!vg_cli_parse_double(ssig, &d)) {
				vg_cli_error("sensor add", "--survey-sigma %s: not a number", ssig);
				json_decref(pos);
				goto out_usage;
			}
			json_object_set_new(pos, "sigma_m", json_real(d));
		}
		json_object_set_new(o, "pos", pos);
	}
	if (tsig) {
		if (!vg_cli_parse_double(tsig, &d)) {
			vg_cli_error("sensor add", "--timing-sigma %s: not a number", tsig);
			goto out_usage;
		}
		json_object_set_new(o, "timing_sigma_s", json_real(d));
	}
	if (rel) {
		json_t *a = json_array();
		const char *p = rel;
		while (*p) {
			size_t k = strcspn(p, ",");
			json_array_append_new(a, json_stringn(p, k));
			p += k + (p[k] == ',');
		}
		json_object_set_new(o, "releasability", a);
	}
	if (vf)
		json_object_set_new(o, "valid_from", json_string(vf));
	if (vu)
		json_object_set_new(o, "valid_until", json_string(vu));
	char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line) {
		vg_cli_error("sensor add", "arguments are not valid UTF-8 text");
		return VG_EXIT_USAGE;
	}
	size_t n = strlen(line);

	struct vg_sensor s;
	struct vg_err err;
	vg_status ps = vg_sensor_parse(line, n, &s, &err);
	free(line);
	if (ps != VG_OK) {
		vg_cli_error("sensor add", "%s", err.msg);
		return VG_EXIT_REJECTED;
	}
	vg_store *st;
	struct vg_journal *j;
	if (!vg_cli_open_logged("sensor add", db, &st, &j))
		return VG_EXIT_FATAL;
	int rc = VG_EXIT_OK;
	vg_status r = vg_journal_enrol(j, st, &s, vg_time_now_ns(), &err);
	if (r == VG_ERR_EXISTS) {
		vg_cli_error("sensor add", "%s", err.msg);
		rc = VG_EXIT_REJECTED;
	} else if (r) {
		vg_cli_error("sensor add", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	} else {
		printf("enrolled %s (owner %s, %s), log entry %lld\n", s.id, s.owner,
		       vg_modality_name(s.modality), (long long)vg_journal_next(j) - 1);
	}
	vg_journal_free(j);
	vg_store_free(st);
	return rc;
out_usage:
	json_decref(o);
	return VG_EXIT_USAGE;
}

static bool same_sensor(const struct vg_sensor *a, const struct vg_sensor *b)
{
	char la[VG_LINE_MAX], lb[VG_LINE_MAX];
	size_t na = vg_sensor_format(a, la, sizeof la), nb = vg_sensor_format(b, lb, sizeof lb);
	return na == nb && !memcmp(la, lb, na);
}

static int cmd_import(const char *db, const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		vg_cli_error("sensor import", "%s: %s", path, strerror(errno));
		return VG_EXIT_FATAL;
	}
	struct vg_err err;
	vg_store *st;
	struct vg_journal *j;
	if (!vg_cli_open_logged("sensor import", db, &st, &j)) {
		if (in != stdin)
			fclose(in);
		return VG_EXIT_FATAL;
	}
	int64_t next0 = vg_journal_next(j);
	int rc = VG_EXIT_OK;
	long added = 0, unchanged = 0, bad = 0, lineno = 0;
	/* Bounded: a line is read into VG_LINE_MAX + 3 bytes at most (line,
	 * CRLF, NUL); the rest of a longer one is skipped. */
	size_t cap = (size_t)VG_LINE_MAX + 3;
	char *line = malloc(cap);
	size_t len;
	if (!line || vg_store_begin(st, &err) != VG_OK) {
		vg_cli_error("sensor import", "%s", line ? err.msg : "out of memory");
		rc = VG_EXIT_FATAL;
		goto out;
	}
	int64_t now = vg_time_now_ns();
	while (fgets(line, (int)cap, in)) {
		lineno++;
		len = strlen(line);
		bool whole = len && line[len - 1] == '\n';
		if (!whole && !feof(in)) { /* over the cap: skip to the end of the line */
			int c;
			while ((c = fgetc(in)) != EOF && c != '\n')
				;
			len = (size_t)VG_LINE_MAX + 1;
		}
		while (whole && len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue; /* blank lines separate groups in hand-written registries */
		struct vg_sensor s, old;
		if (len > VG_LINE_MAX) {
			vg_cli_error("sensor import", "%s:%ld: line longer than %d bytes", path, lineno,
			             VG_LINE_MAX);
			bad++;
			continue;
		}
		if (vg_sensor_parse(line, (size_t)len, &s, &err) != VG_OK) {
			vg_cli_error("sensor import", "%s:%ld: %s", path, lineno, err.msg);
			bad++;
			continue;
		}
		/* A refused line (already enrolled) stages nothing: the sensor
		 * insert fails before its statement is written. */
		int64_t mark = vg_journal_next(j);
		vg_status r = vg_journal_stage_enrol(j, st, &s, now, &err);
		if (r)
			vg_journal_unreserve(j, mark);
		if (r == VG_ERR_EXISTS) {
			struct vg_err e2;
			if (vg_store_sensor_get(st, s.id, &old, &e2) == VG_OK && same_sensor(&s, &old)) {
				unchanged++;
				continue;
			}
			vg_cli_error("sensor import", "%s:%ld: sensor %s is already enrolled with different"
			             " attributes (revoke it and enrol a new id)", path, lineno, s.id);
			bad++;
		} else if (r) {
			vg_cli_error("sensor import", "%s:%ld: %s", path, lineno, err.msg);
			rc = VG_EXIT_FATAL;
			vg_store_rollback(st);
			vg_journal_unreserve(j, next0);
			goto out;
		} else {
			added++;
		}
	}
	if (ferror(in)) {
		vg_cli_error("sensor import", "%s: %s", path, strerror(errno));
		vg_store_rollback(st);
		vg_journal_unreserve(j, next0);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	if (vg_store_commit(st, &err) != VG_OK) {
		vg_cli_error("sensor import", "%s", err.msg);
		vg_journal_unreserve(j, next0);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	if (vg_journal_catch_up(j, st, &err) != VG_OK) {
		vg_cli_error("sensor import", "transparency log: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	printf("sensors: %ld enrolled, %ld unchanged, %ld rejected\n", added, unchanged, bad);
	if (bad)
		rc = VG_EXIT_REJECTED;
out:
	free(line);
	vg_journal_free(j);
	vg_store_free(st);
	if (in != stdin)
		fclose(in);
	return rc;
}

static int cmd_revoke(const char *db, const char *id, const char *at)
{
	struct vg_err err;
	int64_t t = vg_time_now_ns();
	if (at && vg_time_parse(at, strlen(at), &t, &err) != VG_OK) {
		vg_cli_error("sensor revoke", "--at %s", err.msg);
		return VG_EXIT_USAGE;
	}
	if (t > vg_time_now_ns() + 60 * VG_NS_PER_S) {
		vg_cli_error("sensor revoke", "--at %s: in the future: revoke when it takes effect", at);
		return VG_EXIT_REJECTED;
	}
	vg_store *st;
	struct vg_journal *j = NULL;
	if (!vg_cli_store_exists("sensor revoke", db))
		return VG_EXIT_FATAL;
	if (vg_store_open(db, &st, &err) != VG_OK) {
		vg_cli_error("sensor revoke", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	const char *origin = getenv("VIGIL_LOG_ORIGIN");
	vg_status r = vg_journal_open(st, db, origin && *origin ? origin : NULL, &j, &err);
	bool deferred = r == VG_ERR_BUSY;
	if (deferred) {
		/* An ingest (or the server) holds the log: revoke in the store; that
		 * process sees the change before its next batch, refuses the
		 * sensor from then on and logs the revocation statement. */
		if (!(r = vg_store_begin(st, &err))) {
			if ((r = vg_store_sensor_revoke(st, id, t, &err)))
				vg_store_rollback(st);
			else
				r = vg_store_commit(st, &err);
		}
	} else if (r) {
		vg_cli_error("sensor revoke", "transparency log: %s", err.msg);
		vg_store_free(st);
		return VG_EXIT_FATAL;
	} else {
		r = vg_journal_revoke(j, st, id, t, &err);
	}
	int rc = VG_EXIT_OK;
	if (r) {
		vg_cli_error("sensor revoke", "%s", err.msg);
		rc = r == VG_ERR_NOT_FOUND || r == VG_ERR_EXISTS || r == VG_ERR_RANGE ? VG_EXIT_REJECTED
		                                                                      : VG_EXIT_FATAL;
	} else {
		char ts[VG_TIME_STR_MAX];
		vg_time_format(t, ts);
		printf("revoked %s at %s%s\n", id, ts,
		       deferred ? " (the process holding the log records the statement)" : "");
	}
	vg_journal_free(j);
	vg_store_free(st);
	return rc;
}

struct list_ctx {
	bool json;
	long n;
};

static int list_cb(void *ctx, const struct vg_sensor *s)
{
	struct list_ctx *c = ctx;
	c->n++;
	if (c->json) {
		struct vg_sensor copy = *s;
		char line[VG_LINE_MAX];
		size_t n = vg_sensor_format(&copy, line, sizeof line);
		fwrite(line, 1, n, stdout);
		fputc('\n', stdout);
		return 0;
	}
	char pos[64] = "-", rev[VG_TIME_STR_MAX] = "-";
	if (s->has_pos)
		snprintf(pos, sizeof pos, "%.5f,%.5f", s->lat_deg, s->lon_deg);
	if (s->revoked_at_ns != INT64_MAX)
		vg_time_format(s->revoked_at_ns, rev);
	char seq[32] = "-";
	if (s->has_last_seq)
		snprintf(seq, sizeof seq, "%lld", (long long)s->last_seq);
	printf("%-16s %-8s %-22s %-22s %-10s %s\n", s->id, s->owner, vg_modality_name(s->modality), pos,
	       seq, rev);
	return 0;
}

static int cmd_list(const char *db, bool json)
{
	struct vg_err err;
	vg_store *st;
	if (vg_store_open_ro(db, &st, &err) != VG_OK) {
		vg_cli_error("sensor list", "%s", err.msg);
		return VG_EXIT_FATAL;
	}
	struct list_ctx c = {.json = json};
	if (!json)
		printf("%-16s %-8s %-22s %-22s %-10s %s\n", "ID", "OWNER", "MODALITY", "POSITION",
		       "LAST_SEQ", "REVOKED");
	int rc = VG_EXIT_OK;
	if (vg_store_sensor_each(st, list_cb, &c, &err) != VG_OK) {
		vg_cli_error("sensor list", "%s", err.msg);
		rc = VG_EXIT_FATAL;
	}
	vg_store_free(st);
	return rc;
}

int vg_cmd_sensor(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	const char *sub = argv[1];
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	/* Pull out --db and --json, pass the rest on. */
	const char *db = vg_cli_default_db();
	bool json = false;
	const char *at = NULL;
	char *rest[256];
	int nrest = 0;
	rest[nrest++] = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *v;
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!v)
				return VG_EXIT_USAGE;
			db = v;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(sub, "revoke") && vg_cli_opt(argc, argv, &i, "--at", &v)) {
			if (!v)
				return VG_EXIT_USAGE;
			at = v;
		} else if (nrest < 255) {
			rest[nrest++] = argv[i];
		}
	}
	rest[nrest] = NULL;
	if (!strcmp(sub, "add"))
		return cmd_add(db, nrest, rest);
	if (!strcmp(sub, "import")) {
		if (nrest != 2) {
			vg_cli_error("sensor import", "give one registry file (or - for stdin)");
			return VG_EXIT_USAGE;
		}
		return cmd_import(db, rest[1]);
	}
	if (!strcmp(sub, "revoke")) {
		if (nrest != 2) {
			vg_cli_error("sensor revoke", "give one sensor id");
			return VG_EXIT_USAGE;
		}
		return cmd_revoke(db, rest[1], at);
	}
	if (!strcmp(sub, "list")) {
		if (nrest != 1) {
			vg_cli_error("sensor list", "unexpected argument '%s'", rest[1]);
			return VG_EXIT_USAGE;
		}
		return cmd_list(db, json);
	}
	vg_cli_error("sensor", "unknown subcommand '%s'", sub);
	help(stderr);
	return VG_EXIT_USAGE;
}

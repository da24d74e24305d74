/* cmd_demo.c - `vigil demo`: the end-to-end demonstration `make demo` runs.
 *
 * Simulate a few hours of the `quiet` scenario (a 120 km front, ~140
 * sensors of every modality), enrol its sensors, ingest its signed
 * observations plus a handful of deliberately bad lines into a fresh store
 * with its transparency log, show that re-ingesting stores nothing twice,
 * and audit the log. Later stages (fusion, adjudication, score) join as
 * they land. */
#include "cli.h"
#include "codec/codec.h"
#include "ingest/ingest.h"
#include "ingest/journal.h"
#include "ledger/ledger.h"
#include "sim/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void help(FILE *f)
{
	fprintf(f, "usage: vigil demo [--dir DIR] [--scenario FILE] [--hours H] [--seed N]\n\n"
	           "Simulate H hours (default 6) of a scenario (default scenarios/quiet.json),\n"
	           "enrol its sensors, ingest its signed observations and a few deliberately\n"
	           "bad lines into DIR/vigil.db (default ./demo) with its transparency log\n"
	           "DIR/vigil.db.log/, re-ingest (duplicates only) and audit the log.\n\n"
	           "example:\n  vigil demo --dir /tmp/vigil-demo --hours 3\n");
}

struct shown {
	long n;
};

static void on_result(void *ctx, const struct vg_ingest_result *r)
{
	struct shown *d = ctx;
	if (r->status == VG_OK || r->status == VG_ERR_DUPLICATE || d->n >= 20)
		return;
	printf("     line %-7lld %-16s %s\n", (long long)r->line, vg_status_name(r->status),
	       r->message ? r->message : "");
	d->n++;
}

static bool rm_rf(const char *path)
{
	char cmd[4400];
	if (strchr(path, '\'') || snprintf(cmd, sizeof cmd, "rm -rf '%s'", path) >= (int)sizeof cmd)
		return false;
	return system(cmd) == 0;
}

/* Append deliberately bad lines, signed where a signature is needed by the
 * simulation's first sensor (payloads name "ac-0001", replaced by its id).
 * Returns how many. */
static int write_bad_lines(const char *simdir, const char *id, const char *path,
                           struct vg_err *err)
{
	char kp[4200];
	snprintf(kp, sizeof kp, "%s/keys/%s.key", simdir, id);
	struct vg_secret_key k;
	if (vg_key_read_secret(kp, &k, err) != VG_OK)
		return -1;
	FILE *out = fopen(path, "w");
	if (!out) {
		vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
		return -1;
	}
	static const char *const payloads[] = {
		/* an out-of-range latitude */
		"{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":900000001,\"kind\":\"detection\",\"detection\":"
		"{\"time\":\"2026-03-01T01:00:00Z\",\"lat\":91.5,\"lon\":37.8,\"sigma_m\":20,"
		"\"class\":\"tank\",\"class_conf\":0.9}}",
		/* February 30th */
		"{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":900000002,\"kind\":\"impulse\",\"impulse\":"
		"{\"arrival\":\"2026-02-30T04:00:00Z\",\"sigma_s\":0.005,\"class\":\"launch\"}}",
		/* a typo'd member name */
		"{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":900000003,\"kind\":\"impulse\",\"impulse\":"
		"{\"arrival\":\"2026-03-01T01:00:00Z\",\"sigma\":0.005,\"class\":\"launch\"}}",
		/* a self-intersecting footprint */
		"{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":900000004,\"kind\":\"coverage\",\"coverage\":"
		"{\"from\":\"2026-03-01T01:00:00Z\",\"until\":\"2026-03-01T01:01:00Z\",\"polygon\":"
		"[[37.8,48.0],[37.9,48.1],[37.9,48.0],[37.8,48.1],[37.8,48.0]]}}",
		/* seq 1 again with another payload: a replay */
		"{\"v\":1,\"sensor\":\"ac-0001\",\"seq\":1,\"kind\":\"impulse\",\"impulse\":"
		"{\"arrival\":\"2026-03-01T01:00:00Z\",\"sigma_s\":0.005,\"class\":\"impact\"}}",
	};
	int n = 0;
	char line[VG_LINE_MAX + 1], pl[1024];
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		const char *at = strstr(payloads[i], "ac-0001");
		snprintf(pl, sizeof pl, "%.*s%s%s", (int)(at - payloads[i]), payloads[i], id, at + 7);
		size_t l = vg_envelope_encode((const uint8_t *)pl, strlen(pl), id, &k, line, sizeof line);
		fprintf(out, "%.*s\n", (int)l, line);
		n++;
		if (i == 0) { /* the same, with a flipped bit in the payload */
			line[strstr(line, "\"payload\":\"") - line + 40] ^= 0x01;
			fprintf(out, "%.*s\n", (int)l, line);
			n++;
		}
	}
	fprintf(out, "this is not json\n");
	n++;
	vg_secret_key_wipe(&k);
	if (fclose(out) != 0) {
		vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
		return -1;
	}
	return n;
}

static vg_status ingest_file(vg_store *st, struct vg_journal *j, const char *path,
                             struct shown *sh, struct vg_ingest_stats *stats, struct vg_err *err)
{
	FILE *in = fopen(path, "rb");
	if (!in)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	struct vg_ingest_opts o = {.source = path, .on_result = on_result, .ctx = sh, .journal = j};
	vg_status s = vg_ingest_stream(st, in, &o, stats, err);
	fclose(in);
	return s;
}

static int audit_cb_count;
static vg_status audit_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                             struct vg_err *err)
{
	audit_cb_count++;
	return vg_journal_audit_entry(ctx, index, entry, len, err);
}

int vg_cmd_demo(int argc, char **argv)
{
	const char *dir = "demo", *scen = "scenarios/quiet.json", *v;
	int64_t hours = 6, seed = 1;
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--dir", &v)) {
			if (!(dir = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--scenario", &v)) {
			if (!(scen = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--hours", &v)) {
			if (!vg_cli_parse_i64(v, 1, 24 * 30, &hours)) {
				vg_cli_error("demo", "--hours: want 1..720");
				return VG_EXIT_USAGE;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--seed", &v)) {
			if (!vg_cli_parse_i64(v, 0, INT64_MAX, &seed)) {
				vg_cli_error("demo", "--seed: want a non-negative integer");
				return VG_EXIT_USAGE;
			}
		} else {
			vg_cli_error("demo", "unknown argument '%s'", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		vg_cli_error("demo", "%s: %s", dir, strerror(errno));
		return VG_EXIT_FATAL;
	}
	char simdir[4096], db[4096], p[4300], badpath[4300];
	snprintf(simdir, sizeof simdir, "%s/sim", dir);
	snprintf(db, sizeof db, "%s/vigil.db", dir);
	snprintf(badpath, sizeof badpath, "%s/bad-lines.ndjson", dir);
	const char *const leftovers[] = {"", "-wal", "-shm", ".logkey", ".log"};
	for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
		snprintf(p, sizeof p, "%s%s", db, leftovers[i]);
		if (!rm_rf(p)) {
			vg_cli_error("demo", "cannot remove %s", p);
			return VG_EXIT_FATAL;
		}
	}
	if (!rm_rf(simdir)) {
		vg_cli_error("demo", "cannot remove %s", simdir);
		return VG_EXIT_FATAL;
	}

	struct vg_err err;
	vg_err_clear(&err);
	struct vg_sim_scenario *sc = NULL;
	if (vg_sim_scenario_load(scen, &sc, &err) != VG_OK) {
		vg_cli_error("demo", "%s: %s", scen, err.msg);
		return VG_EXIT_FATAL;
	}
	printf("Vigil demo in %s/\n\n1. Simulating %lld h of the '%s' scenario (seed %lld): a front,\n"
	       "   its forces and violations, and sensors of every modality with physical models\n",
	       dir, (long long)hours, vg_sim_scenario_name(sc), (long long)seed);
	struct vg_sim_options so = {.seed = (uint64_t)seed, .out_dir = simdir,
	                            .duration_ns = hours * 3600 * VG_NS_PER_S};
	struct vg_sim_stats ss;
	vg_status r = vg_sim_run(sc, &so, &ss, &err);
	vg_sim_scenario_free(sc);
	if (r) {
		vg_cli_error("demo", "simulation: %s", err.msg);
		return VG_EXIT_FATAL;
	}
	printf("   %llu sensors; %llu launches, %llu impacts; %llu violations in the truth\n"
	       "   %llu signed observations: impulse %llu, detection %llu, fire %llu, change %llu,\n"
	       "   coverage %llu, status %llu (%llu of them false alarms) -> %s/\n",
	       (unsigned long long)ss.n_sensors, (unsigned long long)ss.n_launch,
	       (unsigned long long)ss.n_impact, (unsigned long long)ss.n_violations,
	       (unsigned long long)ss.n_obs, (unsigned long long)ss.n_obs_kind[VG_OBS_IMPULSE],
	       (unsigned long long)ss.n_obs_kind[VG_OBS_DETECTION],
	       (unsigned long long)ss.n_obs_kind[VG_OBS_FIRE],
	       (unsigned long long)ss.n_obs_kind[VG_OBS_CHANGE],
	       (unsigned long long)ss.n_obs_kind[VG_OBS_COVERAGE],
	       (unsigned long long)ss.n_obs_kind[VG_OBS_STATUS],
	       (unsigned long long)ss.n_obs_false, simdir);

	vg_store *st;
	struct vg_journal *j;
	if (!getenv("VIGIL_LOG_ORIGIN"))
		setenv("VIGIL_LOG_ORIGIN", "demo.vigil.example/log", 0);
	if (!vg_cli_open_logged("demo", db, &st, &j))
		return VG_EXIT_FATAL;
	int rc = VG_EXIT_OK;
	/* Enrol the registry: one store transaction, one log sync. */
	snprintf(p, sizeof p, "%s/sensors.ndjson", simdir);
	FILE *reg = fopen(p, "r");
	char line[VG_LINE_MAX + 2];
	long nsens = 0;
	char first_id[VG_ID_MAX + 1] = "";
	int64_t now = vg_time_now_ns();
	if (!reg || vg_store_begin(st, &err) != VG_OK) {
		vg_cli_error("demo", "%s: cannot read the registry", p);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	while (fgets(line, sizeof line, reg)) {
		struct vg_sensor s;
		if (vg_sensor_parse(line, strcspn(line, "\n"), &s, &err) != VG_OK ||
		    vg_journal_stage_enrol(j, st, &s, now, &err) != VG_OK) {
			vg_cli_error("demo", "enrolling: %s", err.msg);
			vg_store_rollback(st);
			fclose(reg);
			rc = VG_EXIT_FATAL;
			goto out;
		}
		if (!nsens)
			snprintf(first_id, sizeof first_id, "%s", s.id);
		nsens++;
	}
	fclose(reg);
	if (vg_store_commit(st, &err) != VG_OK || vg_journal_catch_up(j, st, &err) != VG_OK) {
		vg_cli_error("demo", "enrolling: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	printf("\n2. Enrolled %ld sensors (Ed25519 public keys checked); each enrolment is a\n"
	       "   statement signed by the log key in %s.log/\n", nsens, db);

	printf("\n3. Ingesting: parse, validate, verify signatures on all cores, store, append to\n"
	       "   the log; acknowledged only once the batch and a signed checkpoint are durable\n");
	struct shown sh = {0};
	struct vg_ingest_stats s1, s2, s3;
	snprintf(p, sizeof p, "%s/observations.ndjson", simdir);
	if (ingest_file(st, j, p, &sh, &s1, &err) != VG_OK) {
		vg_cli_error("demo", "ingest: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	printf("   %s: %lld lines: %lld accepted, %lld duplicates, %lld rejected (%.1f s, %.0f/s)\n", p,
	       (long long)s1.lines, (long long)s1.accepted, (long long)s1.duplicates,
	       (long long)s1.rejected, (double)s1.elapsed_ns / 1e9,
	       (double)s1.lines / ((double)s1.elapsed_ns / 1e9));
	int nbad = write_bad_lines(simdir, first_id, badpath, &err);
	if (nbad < 0) {
		vg_cli_error("demo", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	printf("\n4. Ingesting %d deliberately bad lines: each refused with its reason, nothing stored\n",
	       nbad);
	if (ingest_file(st, j, badpath, &sh, &s2, &err) != VG_OK) {
		vg_cli_error("demo", "ingest: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	struct shown quiet = {.n = 1000};
	if (ingest_file(st, j, p, &quiet, &s3, &err) != VG_OK) {
		vg_cli_error("demo", "re-ingest: %s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	printf("\n5. Re-ingesting the simulation's file: %lld accepted, %lld duplicates (nothing\n"
	       "   stored twice)\n", (long long)s3.accepted, (long long)s3.duplicates);

	size_t cpl = 0;
	const char *cp = vg_ledger_checkpoint(vg_journal_ledger(j), &cpl);
	printf("\n6. The transparency log %s.log/ (C2SP tiles, servable by any web server):\n"
	       "   %lld entries: the log key, %ld enrolments, %lld observations. Checkpoint:\n\n%.*s\n",
	       db, (long long)vg_journal_next(j), nsens, (long long)s1.accepted, (int)cpl, cp);

	/* Audit it as a member would: trusting only the log's public key. */
	struct vg_note_verifier vk;
	struct vg_journal_audit *ja = NULL;
	struct vg_ledger_audit la;
	snprintf(p, sizeof p, "%s.log", db);
	if (vg_note_verifier_parse(vg_journal_verifier(j), strlen(vg_journal_verifier(j)), &vk, &err) !=
	            VG_OK ||
	    vg_journal_audit_new(&vk, &ja, &err) != VG_OK ||
	    vg_ledger_audit(p, &vk, audit_entry, ja, &la, &err) != VG_OK) {
		vg_cli_error("demo", "audit FAILED: %s", err.msg);
		vg_journal_audit_free(ja);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	int64_t nst, nobs, nsn;
	vg_journal_audit_counts(ja, &nst, &nobs, &nsn);
	vg_journal_audit_free(ja);
	printf("7. Audit with only the verifier key %s:\n"
	       "   checkpoint signature ok, %llu entries and %llu tiles re-hashed to the root,\n"
	       "   %lld registry statements by the log key, %lld observations signed by sensors\n"
	       "   enrolled earlier in the log\n",
	       vg_journal_verifier(j), (unsigned long long)la.entries, (unsigned long long)la.tiles,
	       (long long)nst, (long long)nobs);

	/* The rest of the pipeline, through the same code as its commands. */
	char events[4300], findings[4300], truth[4300], agr[4300];
	snprintf(events, sizeof events, "%s/events.ndjson", dir);
	snprintf(findings, sizeof findings, "%s/findings.ndjson", dir);
	snprintf(truth, sizeof truth, "%s/truth.json", simdir);
	snprintf(agr, sizeof agr, "%s/agreement.geojson", simdir);
	vg_journal_free(j);
	j = NULL;
	vg_store_free(st);
	st = NULL;
	fflush(stdout);
	printf("\n8. Fusion: associate and locate the impulses, pair launches with impacts\n");
	fflush(stdout);
	char *fa[] = {"fuse", "--db", db, "--out", events, NULL};
	if (vg_cmd_fuse(5, fa) != VG_EXIT_OK) {
		vg_cli_error("demo", "fusion failed");
		return VG_EXIT_FATAL;
	}
	printf("\n9. Adjudication against the agreement (%s)\n", agr);
	fflush(stdout);
	char *aa[] = {"adjudicate", "--db", db, "--agreement", agr, "--events", events, "--out",
	              findings, "--stats", NULL};
	if (vg_cmd_adjudicate(10, aa) != VG_EXIT_OK) {
		vg_cli_error("demo", "adjudication failed");
		return VG_EXIT_FATAL;
	}
	printf("\n   Findings (%s):\n", findings);
	fflush(stdout);
	char *fs[] = {"findings", findings, "--format", "summary", NULL};
	if (vg_cmd_findings(4, fs) != VG_EXIT_OK) {
		vg_cli_error("demo", "findings summary failed");
		return VG_EXIT_FATAL;
	}
	printf("\n10. Score against the simulation's truth (docs/scoring.md)\n\n");
	fflush(stdout);
	char *sa[] = {"score", "--truth", truth, "--events", events, "--findings", findings, NULL};
	if (vg_cmd_score(7, sa) != VG_EXIT_OK) {
		vg_cli_error("demo", "scoring failed");
		return VG_EXIT_FATAL;
	}
	printf("\nTry:\n  ./build/vigil obs --db %s --kind impulse --limit 3 --format csv\n"
	       "  ./build/vigil sensor list --db %s | head\n"
	       "  ./build/vigil log verify --db %s\n"
	       "  ./build/vigil log prove-inclusion --dir %s.log 100\n",
	       db, db, db, db);
	if (s1.rejected != 0 || s2.rejected != nbad || s3.accepted != 0 ||
	    nobs != s1.accepted || (uint64_t)s1.accepted != ss.n_obs) {
		vg_cli_error("demo", "unexpected counts (see above)");
		rc = VG_EXIT_FATAL;
	}
	return rc;
out:
	vg_journal_free(j);
	vg_store_free(st);
	return rc;
}

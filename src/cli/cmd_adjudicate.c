/* cmd_adjudicate.c - `vigil adjudicate`: apply an agreement's rules to the
 * stored observations and to fusion's events; print findings
 * (src/rules/rules.h, docs/rules.md). */
#include "cli.h"
#include "rules/rules.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vigil adjudicate --db PATH --agreement FILE [--events EVENTS.ndjson]\n"
	        "                        [--format ndjson|csv|geojson] [--out FILE] [--stats]\n"
	        "                        [--no-store]\n\n"
	        "Apply the agreement's rules (every version, each to the observations of its\n"
	        "time) to the store's located fire reports, detections and changes, and to\n"
	        "fusion's events; print the findings, sorted by start time (docs/rules.md).\n"
	        "The agreement is validated first: nothing is adjudicated under a broken one.\n"
	        "The findings replace the previous run's in the store (served by `vigil serve`\n"
	        "at GET /v1/findings); findings not published before become statements in\n"
	        "the store's transparency log.\n\n"
	        "  --events FILE   impulse events (NDJSON, docs/scoring.md); default: the events\n"
	        "                  `vigil fuse --db` stored, if any\n"
	        "  --format F      ndjson (default; what `vigil score --findings` reads), csv, geojson\n"
	        "  --out FILE      write there instead of standard output\n"
	        "  --with-radar    also use the store's counter-battery radar reports when --events\n"
	        "                  is given (fusion joins radar reports into its events already;\n"
	        "                  use this for events that do not, e.g. derived from a truth)\n"
	        "  --stats         print counts, timings and the unobserved share of every side\n"
	        "                  and rule zone (coverage footprints) to standard error\n"
	        "  --no-store      do not store the findings (the store is opened read-only)\n\n"
	        "example:\n"
	        "  vigil adjudicate --db vigil.db --agreement out/quiet/agreement.geojson \\\n"
	        "      --events events.ndjson > findings.ndjson\n");
}

struct actx {
	vg_adjudicator *adj;
	struct vg_arena arena;
	struct vg_err err;
	vg_status st;
	int64_t n_obs, n_bad, n_ext;
};

static int on_sensor(void *ctx, const struct vg_sensor *s)
{
	struct actx *c = ctx;
	c->st = vg_adj_add_sensor(c->adj, s->id, s->owner, s->modality, &c->err);
	return c->st != VG_OK;
}

static int on_obs(void *ctx, const struct vg_obs_stored *o)
{
	struct actx *c = ctx;
	struct vg_envelope env;
	struct vg_obs obs;
	struct vg_err e;
	vg_arena_reset(&c->arena);
	if (vg_observation_decode(o->envelope, o->envelope_len, &c->arena, &env, &obs, &e) != VG_OK) {
		c->n_bad++; /* stored envelopes were validated on ingest */
		return 0;
	}
	c->n_obs++;
	c->st = vg_adj_add_obs(c->adj, o->log_index, &obs, &c->err);
	return c->st != VG_OK;
}

static int on_external(void *ctx, const struct vg_ext_obs *x)
{
	struct actx *c = ctx;
	if (x->kind != VG_OBS_CHANGE || x->type != VG_CHG_THERMAL)
		return 0;
	char id[VG_ID_MAX + 1];
	snprintf(id, sizeof id, "%s-%lld", x->feed, (long long)x->id);
	c->st = vg_adj_add_external_fire(c->adj, id, x->t_ns, x->lat_deg, x->lon_deg, x->sigma_m, &c->err);
	c->n_ext++;
	return c->st != VG_OK;
}

/* "No violation seen" is not "no violation": print, for every side and
 * every zone a rule names, the share no coverage footprint ever saw, and
 * for every withdrawal belt the share no sensor that identifies weapons
 * saw (vg_coverage_share_by). */
static void print_unobserved(vg_store *st, const struct vg_agreement *ag)
{
	struct vg_coverage *c = NULL;
	struct vg_belt *belts = NULL;
	uint32_t n_belts = 0;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_coverage_load(st, INT64_MIN, INT64_MAX, &c, &err) != VG_OK) {
		vg_cli_error("adjudicate", "coverage: %s", err.msg);
		return;
	}
	fprintf(stderr, "coverage: %u footprints over the whole run; unobserved share:", vg_coverage_count(c));
	for (uint32_t k = 0; k < ag->n_features; k++) {
		const struct vg_ag_feature *F = &ag->features[k];
		bool named = F->role == VG_ROLE_SIDE;
		for (uint32_t v = 0; v < ag->n_versions && !named; v++)
			for (uint32_t r = 0; r < ag->versions[v].n_rules && !named; r++)
				for (uint32_t z = 0; z < ag->versions[v].rules[r].n_zones; z++)
					named |= ag->versions[v].rules[r].zone[z] == (int)k;
		double sh = 0;
		if (named && F->area &&
		    vg_coverage_share(c, F->area, INT64_MIN, INT64_MAX, &sh, NULL, &err) == VG_OK)
			fprintf(stderr, " %s %.1f%%", F->id, 100 * (1 - sh));
	}
	fprintf(stderr, "\n");
	if (vg_agreement_belts(ag, INT64_MIN, INT64_MAX, &belts, &n_belts, &err) != VG_OK)
		vg_cli_error("adjudicate", "withdrawal belts: %s", err.msg);
	else if (n_belts) {
		fprintf(stderr, "withdrawal belts, unobserved by sensors that identify weapons:");
		for (uint32_t i = 0; i < n_belts; i++) {
			double sh = 0;
			if (vg_coverage_share_by(c, belts[i].area, INT64_MIN, INT64_MAX, true, &sh, NULL, &err) ==
			    VG_OK)
				fprintf(stderr, " %s/%s %.1f%%", belts[i].rule_id, ag->parties[belts[i].party],
				        100 * (1 - sh));
		}
		fprintf(stderr, "\n");
	}
	vg_belts_free(belts, n_belts);
	vg_coverage_free(c);
}

static int on_log_sensor(void *ctx, int64_t log_index, const char *sensor)
{
	struct actx *c = ctx;
	c->st = vg_adj_add_log_sensor(c->adj, log_index, sensor, &c->err);
	return c->st != VG_OK;
}

/* Read the events file; *any_evidence tells whether some event names
 * observations (then their sensors are looked up for the grade). */
static int read_events(const char *path, vg_adjudicator *adj, bool *any_evidence, int64_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		vg_cli_error("adjudicate", "%s: %s", path, strerror(errno));
		return VG_EXIT_FATAL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t lineno = 0;
	int rc = VG_EXIT_OK;
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		struct vg_rule_event ev;
		struct vg_err err;
		vg_err_clear(&err);
		if (vg_rule_event_parse(line, (size_t)len, &ev, &err) != VG_OK) {
			vg_cli_error("adjudicate", "%s:%lld: %s", path, (long long)lineno, err.msg);
			rc = VG_EXIT_USAGE;
			break;
		}
		if (ev.n_evidence)
			*any_evidence = true;
		vg_status st = vg_adj_add_event(adj, &ev, &err);
		vg_rule_event_clear(&ev);
		if (st) {
			vg_cli_error("adjudicate", "%s", err.msg);
			rc = VG_EXIT_FATAL;
			break;
		}
		(*n)++;
	}
	free(line);
	fclose(f);
	return rc;
}

struct stored_ev {
	vg_adjudicator *adj;
	bool *any_evidence;
	int64_t *n;
	vg_status s;
	struct vg_err err;
};

static int on_stored_event(void *ctx, const struct vg_event_row *e)
{
	struct stored_ev *c = ctx;
	struct vg_rule_event ev;
	if ((c->s = vg_rule_event_parse(e->record, e->record_len, &ev, &c->err)) != VG_OK)
		return 1;
	if (ev.n_evidence)
		*c->any_evidence = true;
	c->s = vg_adj_add_event(c->adj, &ev, &c->err);
	vg_rule_event_clear(&ev);
	(*c->n)++;
	return c->s != VG_OK;
}

/* The events `vigil fuse --db` stored, when no --events file is given. */
static int read_stored_events(vg_store *st, vg_adjudicator *adj, bool *any_evidence, int64_t *n)
{
	struct stored_ev c = {.adj = adj, .any_evidence = any_evidence, .n = n};
	struct vg_event_filter f = {0};
	struct vg_err err;
	vg_err_clear(&err);
	vg_err_clear(&c.err);
	if (vg_store_event_query(st, &f, on_stored_event, &c, &err) != VG_OK || c.s) {
		vg_cli_error("adjudicate", "stored event %lld: %s", (long long)*n + 1,
		             c.s ? c.err.msg : err.msg);
		return VG_EXIT_FATAL;
	}
	return VG_EXIT_OK;
}

/* Replace the store's findings by these: each its NDJSON line (exactly what
 * --format ndjson prints, without the newline) plus query columns. */
static vg_status store_findings(vg_store *st, const struct vg_findings *fs, struct vg_err *err)
{
	struct vg_finding_row *rows = calloc(fs->n ? fs->n : 1, sizeof *rows);
	char **lines = calloc(fs->n ? fs->n : 1, sizeof *lines);
	vg_status s = VG_OK;
	if (!rows || !lines) {
		s = vg_err_set(err, VG_ERR_NOMEM, "findings");
		goto out;
	}
	for (uint32_t i = 0; i < fs->n; i++) {
		const struct vg_finding *x = &fs->v[i];
		size_t len = 0;
		if ((s = vg_finding_record(x, &lines[i], &len, err)))
			goto out;
		rows[i] = (struct vg_finding_row){
			.seq = (int64_t)i + 1,
			.id = x->id,
			.rule = vg_rule_type_name(x->rule),
			.rule_id = x->rule_id,
			.party = x->party,
			.grade = vg_grade_name(x->grade) ? vg_grade_name(x->grade) : "possible",
			.from_ns = x->from_ns,
			.until_ns = x->until_ns,
			.lat_deg = x->lat_deg,
			.lon_deg = x->lon_deg,
			.record = lines[i],
			.record_len = len,
		};
	}
	s = vg_store_findings_replace(st, rows, fs->n, err);
out:
	for (uint32_t i = 0; lines && i < fs->n; i++)
		free(lines[i]);
	free(lines);
	free(rows);
	return s;
}

static vg_status store_findings_cb(void *ctx, vg_store *st, struct vg_err *err)
{
	return store_findings(st, ctx, err);
}

int vg_cmd_adjudicate(int argc, char **argv)
{
	const char *db = NULL, *agp = NULL, *events = NULL, *outp = NULL, *fmt = "ndjson", *val;
	bool stats = false, with_radar = false, no_store = false;
	if (vg_cli_help_requested(argc, argv)) {
		usage(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			if (!(db = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--agreement", &val)) {
			if (!(agp = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--events", &val)) {
			if (!(events = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--out", &val)) {
			if (!(outp = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--format", &val)) {
			if (!(fmt = val))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--with-radar", NULL)) {
			with_radar = true;
		} else if (vg_cli_opt(argc, argv, &i, "--stats", NULL)) {
			stats = true;
		} else if (vg_cli_opt(argc, argv, &i, "--no-store", NULL)) {
			no_store = true;
		} else {
			vg_cli_error("adjudicate", "unknown argument '%s'", argv[i]);
			usage(stderr);
			return VG_EXIT_USAGE;
		}
	}
	if (!agp) {
		vg_cli_error("adjudicate", "--agreement is required");
		usage(stderr);
		return VG_EXIT_USAGE;
	}
	if (strcmp(fmt, "ndjson") && strcmp(fmt, "csv") && strcmp(fmt, "geojson")) {
		vg_cli_error("adjudicate", "--format %s: want ndjson, csv or geojson", fmt);
		return VG_EXIT_USAGE;
	}
	if (!db)
		db = vg_cli_default_db();
	int64_t t0 = vg_time_mono_ns();
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_agreement *ag = NULL;
	if (vg_agreement_load(agp, &ag, &err) != VG_OK) {
		vg_cli_error("adjudicate", "agreement rejected, nothing adjudicated: %s", err.msg);
		return err.status == VG_ERR_IO || err.status == VG_ERR_NOMEM ? VG_EXIT_FATAL : VG_EXIT_USAGE;
	}
	int64_t t_ag = vg_time_mono_ns();
	vg_store *st = NULL;
	/* Storing opens read-write, which would create a missing file: refuse
	 * that as the read-only open does. */
	if (!no_store && access(db, F_OK) != 0) {
		vg_cli_error("adjudicate", "%s: %s", db, strerror(errno));
		vg_agreement_free(ag);
		return VG_EXIT_FATAL;
	}
	if ((no_store ? vg_store_open_ro(db, &st, &err) : vg_store_open(db, &st, &err)) != VG_OK) {
		vg_cli_error("adjudicate", "%s: %s", db, err.msg);
		vg_agreement_free(ag);
		return VG_EXIT_FATAL;
	}
	struct actx c = {0};
	vg_err_clear(&c.err);
	int rc = VG_EXIT_OK;
	if (vg_adj_new(ag, &c.adj, &err) != VG_OK) {
		vg_cli_error("adjudicate", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	vg_arena_init(&c.arena, 1u << 20);
	if (vg_store_sensor_each(st, on_sensor, &c, &err) != VG_OK || c.st) {
		vg_cli_error("adjudicate", "sensors: %s", c.st ? c.err.msg : err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	/* Without --events, the events `vigil fuse --db` stored (if any). */
	int64_t n_stored_events = 0;
	if (!events && vg_store_count(st, "events", &n_stored_events, &err) != VG_OK) {
		vg_cli_error("adjudicate", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	bool use_events = events || n_stored_events > 0;
	static const int kinds[] = {VG_OBS_FIRE, VG_OBS_DETECTION, VG_OBS_CHANGE};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (kinds[k] == VG_OBS_FIRE && use_events && !with_radar)
			continue;
		struct vg_obs_filter f = {.kind = kinds[k]};
		if (vg_store_obs_query(st, &f, on_obs, &c, &err) != VG_OK || c.st) {
			vg_cli_error("adjudicate", "observations: %s", c.st ? c.err.msg : err.msg);
			rc = VG_EXIT_FATAL;
			goto out;
		}
	}
	if (vg_store_ext_query(st, INT64_MIN, INT64_MAX, on_external, &c, &err) != VG_OK || c.st) {
		vg_cli_error("adjudicate", "external observations: %s", c.st ? c.err.msg : err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	int64_t n_events = 0;
	bool any_ev = false;
	if (events && (rc = read_events(events, c.adj, &any_ev, &n_events)))
		goto out;
	if (!events && n_stored_events > 0 && (rc = read_stored_events(st, c.adj, &any_ev, &n_events)))
		goto out;
	/* The sensors of the events' evidence (impulses, and radar reports when
	 * they were not read above), for the grades. */
	for (int k = 0; any_ev && k < 2; k++) {
		if (k && with_radar)
			break;
		if (vg_store_log_sensors(st, k ? VG_OBS_FIRE : VG_OBS_IMPULSE, on_log_sensor, &c, &err) != VG_OK ||
		    c.st) {
			vg_cli_error("adjudicate", "observations: %s", c.st ? c.err.msg : err.msg);
			rc = VG_EXIT_FATAL;
			goto out;
		}
	}
	int64_t t_in = vg_time_mono_ns();
	struct vg_findings fs;
	if (vg_adj_run(c.adj, &fs, &err) != VG_OK) {
		vg_cli_error("adjudicate", "%s", err.msg);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	int64_t t_run = vg_time_mono_ns();
	/* Stored and published in one transaction: a finding resting on log
	 * indices that are not this store's observations (events from another
	 * store, a stale file) is refused by the publication and nothing of
	 * the run is stored. */
	if (!no_store && (rc = vg_cli_publish("adjudicate", db, st, "finding", store_findings_cb, &fs)) !=
	                     VG_EXIT_OK) {
		vg_findings_free(&fs);
		goto out;
	}
	FILE *o = stdout;
	if (outp && !(o = fopen(outp, "w"))) {
		vg_cli_error("adjudicate", "%s: %s", outp, strerror(errno));
		vg_findings_free(&fs);
		rc = VG_EXIT_FATAL;
		goto out;
	}
	if (!strcmp(fmt, "csv"))
		vg_finding_csv_header(o);
	else if (!strcmp(fmt, "geojson"))
		fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", o);
	for (uint32_t i = 0; i < fs.n; i++) {
		if (!strcmp(fmt, "csv")) {
			vg_finding_write_csv(o, &fs.v[i]);
		} else if (!strcmp(fmt, "geojson")) {
			vg_finding_write_geojson_feature(o, &fs.v[i]);
			fputs(i + 1 < fs.n ? ",\n" : "\n", o);
		} else {
			vg_finding_write_ndjson(o, &fs.v[i]);
		}
	}
	if (!strcmp(fmt, "geojson"))
		fputs("]}\n", o);
	if ((o != stdout ? fclose(o) : fflush(o)) != 0) {
		vg_cli_error("adjudicate", "write failed");
		rc = VG_EXIT_FATAL;
	}
	if (stats) {
		uint32_t per[VG_RULE_TYPE_COUNT_] = {0};
		for (uint32_t i = 0; i < fs.n; i++)
			per[fs.v[i].rule]++;
		fprintf(stderr, "adjudicate: %lld observations, %lld external, %lld events -> %u findings (",
		        (long long)c.n_obs, (long long)c.n_ext, (long long)n_events, fs.n);
		for (int r = 1; r < VG_RULE_TYPE_COUNT_; r++)
			fprintf(stderr, "%s%s %u", r > 1 ? ", " : "", vg_rule_type_name(r), per[r]);
		fprintf(stderr, "); agreement %.3f s, input %.3f s, rules %.3f s\n", (t_ag - t0) / 1e9,
		        (t_in - t_ag) / 1e9, (t_run - t_in) / 1e9);
		print_unobserved(st, ag);
	}
	vg_findings_free(&fs);
out:
	vg_arena_release(&c.arena);
	vg_adj_free(c.adj);
	vg_store_free(st);
	vg_agreement_free(ag);
	return rc;
}

/* bench/adjudicate.c - adjudication speed and quality on a simulated run.
 *
 *   bench_adjudicate DB AGREEMENT [EVENTS.ndjson] [TRUTH.json]
 *
 * Loads the agreement, the store's sensors and its fire, detection and
 * change observations (radar reports included), the events; runs the rules
 * three times and prints the phases (median rule time), the findings per
 * rule and, with TRUTH, the scorer's table (docs/scoring.md). The 24-hour
 * `collapse` scenario is the target (< 10 s). */
#include "rules/rules.h"
#include "sim/sim.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ctx {
	vg_adjudicator *adj;
	struct vg_arena arena;
	int64_t n;
};

static int on_sensor(void *p, const struct vg_sensor *s)
{
	struct ctx *c = p;
	return vg_adj_add_sensor(c->adj, s->id, s->owner, s->modality, NULL) != VG_OK;
}

static int on_obs(void *p, const struct vg_obs_stored *o)
{
	struct ctx *c = p;
	struct vg_envelope env;
	struct vg_obs obs;
	vg_arena_reset(&c->arena);
	if (vg_observation_decode(o->envelope, o->envelope_len, &c->arena, &env, &obs, NULL) != VG_OK)
		return 0;
	c->n++;
	return vg_adj_add_obs(c->adj, o->log_index, &obs, NULL) != VG_OK;
}

static double secs(int64_t a, int64_t b) { return (double)(b - a) / 1e9; }

static int load(struct ctx *c, vg_store *st, const char *events, int64_t *n_ev)
{
	struct vg_err err;
	if (vg_store_sensor_each(st, on_sensor, c, &err) != VG_OK)
		return -1;
	static const int kinds[] = {VG_OBS_FIRE, VG_OBS_DETECTION, VG_OBS_CHANGE};
	for (int k = 0; k < 3; k++) {
		struct vg_obs_filter f = {.kind = kinds[k]};
		if (vg_store_obs_query(st, &f, on_obs, c, &err) != VG_OK)
			return -1;
	}
	*n_ev = 0;
	if (!events)
		return 0;
	FILE *in = fopen(events, "r");
	if (!in)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, in)) > 1) {
		struct vg_rule_event ev;
		if (vg_rule_event_parse(line, (size_t)len - 1, &ev, &err) != VG_OK) {
			fprintf(stderr, "%s: %s\n", events, err.msg);
			break;
		}
		if (vg_adj_add_event(c->adj, &ev, &err) != VG_OK)
			break;
		vg_rule_event_clear(&ev);
		(*n_ev)++;
	}
	free(line);
	fclose(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_adjudicate DB AGREEMENT [EVENTS.ndjson] [TRUTH.json]\n");
		return 2;
	}
	const char *events = argc > 3 ? argv[3] : NULL, *truth = argc > 4 ? argv[4] : NULL;
	struct vg_err err;
	int64_t t0 = vg_time_mono_ns();
	struct vg_agreement *ag = NULL;
	if (vg_agreement_load(argv[2], &ag, &err) != VG_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	int64_t t1 = vg_time_mono_ns();
	vg_store *st = NULL;
	if (vg_store_open_ro(argv[1], &st, &err) != VG_OK) {
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		return 3;
	}
	double rule_s[3];
	struct vg_findings fs = {0};
	int64_t n_ev = 0, n_obs = 0;
	double load_s = 0;
	for (int rep = 0; rep < 3; rep++) {
		struct ctx c = {0};
		vg_arena_init(&c.arena, 1u << 20);
		if (vg_adj_new(ag, &c.adj, &err) != VG_OK)
			return 3;
		int64_t a = vg_time_mono_ns();
		if (load(&c, st, events, &n_ev) != 0) {
			fprintf(stderr, "loading failed\n");
			return 3;
		}
		int64_t b = vg_time_mono_ns();
		vg_findings_free(&fs);
		if (vg_adj_run(c.adj, &fs, &err) != VG_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return 3;
		}
		int64_t e = vg_time_mono_ns();
		rule_s[rep] = secs(b, e);
		load_s = secs(a, b);
		n_obs = c.n;
		vg_adj_free(c.adj);
		vg_arena_release(&c.arena);
	}
	/* median of three */
	double m = rule_s[0] + rule_s[1] + rule_s[2];
	double lo = rule_s[0] < rule_s[1] ? rule_s[0] : rule_s[1];
	lo = lo < rule_s[2] ? lo : rule_s[2];
	double hi = rule_s[0] > rule_s[1] ? rule_s[0] : rule_s[1];
	hi = hi > rule_s[2] ? hi : rule_s[2];
	double med = m - lo - hi;
	uint32_t per[VG_RULE_TYPE_COUNT_] = {0};
	for (uint32_t i = 0; i < fs.n; i++)
		per[fs.v[i].rule]++;
	printf("agreement %s: %u features, %u versions; parsed in %.3f s\n", argv[2], ag->n_features,
	       ag->n_versions, secs(t0, t1));
	printf("input: %lld observations (fire, detection, change), %lld events in %.3f s\n",
	       (long long)n_obs, (long long)n_ev, load_s);
	printf("rules: %.3f s (median of 3); total adjudication %.3f s\n", med, load_s + med);
	printf("findings: %u\n", fs.n);
	for (int r = 1; r < VG_RULE_TYPE_COUNT_; r++)
		printf("  %-22s %u\n", vg_rule_type_name(r), per[r]);
	int rc = 0;
	if (truth) {
		char tmp[] = "/tmp/bench-adjudicate-XXXXXX";
		int fd = mkstemp(tmp);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f)
			return 3;
		for (uint32_t i = 0; i < fs.n; i++)
			vg_finding_write_ndjson(f, &fs.v[i]);
		fclose(f);
		struct vg_score_options opt;
		vg_score_options_default(&opt);
		struct vg_score_result res;
		if (vg_score_files(truth, NULL, tmp, &opt, &res, &err) != VG_OK) {
			fprintf(stderr, "score: %s\n", err.msg);
			rc = 3;
		} else {
			vg_score_print_table(&res, stdout);
		}
		unlink(tmp);
	}
	vg_findings_free(&fs);
	vg_store_free(st);
	vg_agreement_free(ag);
	return rc;
}

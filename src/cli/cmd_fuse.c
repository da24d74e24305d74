/* cmd_fuse.c - `vigil fuse`: associate and locate impulses (src/fusion). */
#include "cli.h"
#include "codec/codec.h"
#include "fusion/fusion.h"
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil fuse [--db PATH] [--out EVENTS.ndjson] [options]\n"
	        "       vigil fuse --obs OBS.ndjson --sensors SENSORS.ndjson [--out EVENTS.ndjson]\n\n"
	        "Replay the stored observations in receipt order through impulse fusion:\n"
	        "associate acoustic arrivals into events, locate them (position, time, error\n"
	        "ellipse, CEP), pair launches with impacts, join counter-battery radar reports.\n"
	        "Events go to the store's events table (replacing the previous run) and, with\n"
	        "--out, to an NDJSON file (docs/fusion.md; `-` for stdout). Same observations,\n"
	        "same options: byte-identical events.\n"
	        "The second form reads a simulator's files directly, WITHOUT verifying\n"
	        "signatures (for measurements only; nothing is stored).\n\n"
	        "  --sound-speed MPS        configured effective sound speed (default 335)\n"
	        "  --sound-speed-sigma MPS  its prior 1-sigma (default 10)\n"
	        "  --wind EAST,NORTH        prior wind, m/s towards east and north (default 0,0)\n"
	        "  --wind-sigma MPS         prior 1-sigma of each wind component (default 5)\n"
	        "  --no-track-medium        do not learn the medium from located events\n"
	        "  --medium-drift MPS       random walk of the learnt medium, m/s per square\n"
	        "                           root of an hour (default 0.1)\n"
	        "  --max-range-km KM        farthest detection considered (default 40)\n"
	        "  --latency-max S          delivery delay bound before an event is final (default 20)\n"
	        "  --min-arrivals N         arrival times an event needs (default 8; >= 4)\n"
	        "  --min-heard F            silent-sensor test: fraction of the sensors nearer\n"
	        "                           than the first quartile of the detecting ones that\n"
	        "                           must be in the event (default 0.34; 0 disables)\n"
	        "  --min-heard-median F     the same within the median detecting one (default\n"
	        "                           0.7; 0 disables): refutes coincidences in dense fire\n"
	        "  --hypotheses K           source hypotheses refined per seed (default 24,\n"
	        "                           1..64): more separate salvos better, cost time\n"
	        "  --cold-hold S            cold start: hold events until two clean events agree\n"
	        "                           on the medium, then associate again (default 900 s\n"
	        "                           of stream time; 0 disables)\n"
	        "  --smooth-lag S           hold each event until the events heard up to S s\n"
	        "                           after it have taught the medium, then locate it\n"
	        "                           again with it (default 60; 0 disables: events go\n"
	        "                           out S s sooner, located with the medium before them)\n"
	        "  --no-radar-only          no events from radar reports alone\n"
	        "  --clock observed|received  stream clock: the latest observed time (default;\n"
	        "                           right when replaying a log ingested later) or the\n"
	        "                           receive time\n"
	        "  --stats                  print fusion statistics to stderr\n"
	        "  --no-progress            no progress line (shown with --db when stderr is a\n"
	        "                           terminal, without -q: observations read of all,\n"
	        "                           rate, the stream's clock, ETA)\n\n"
	        "example:\n"
	        "  vigil fuse --db vigil.db --out events.ndjson\n"
	        "  vigil score --truth out/truth.json --events events.ndjson\n");
}

/* A numeric option: its value in [lo, hi] (open at an end where lo_open /
 * hi_open), times scale, goes to *dst. */
struct num_spec {
	const char *name;
	double lo;
	bool lo_open;
	double hi;
	bool hi_open;
	const char *unit;
	double scale;
	double *dst;
};

/* True if argv[*i] is n's option; then *bad says its value was refused
 * (the message names the option and the range). */
static bool num_opt(int argc, char **argv, int *i, const struct num_spec *n, bool *bad)
{
	const char *v;
	if (!vg_cli_opt(argc, argv, i, n->name, &v))
		return false;
	double x;
	if (!v || !vg_cli_parse_double(v, &x) || !(n->lo_open ? x > n->lo : x >= n->lo) ||
	    !(n->hi_open ? x < n->hi : x <= n->hi)) {
		vg_cli_error("fuse", "%s %s: want %s in %c%g, %g%c", n->name, v ? v : "", n->unit,
		             n->lo_open ? '(' : '[', n->lo, n->hi, n->hi_open ? ')' : ']');
		*bad = true;
		return true;
	}
	*n->dst = x * n->scale;
	return true;
}

struct fctx {
	FILE *out;
	vg_store *st;
	char line[VG_LINE_MAX + 1];
	uint64_t n;
};

static vg_status on_event(void *ctx, const struct vg_fusion_event *ev, struct vg_err *err)
{
	struct fctx *c = ctx;
	size_t len = vg_fusion_event_json(ev, c->line, sizeof c->line);
	if (!len)
		return vg_err_set(err, VG_ERR_LIMIT, "event e-%06llu: record over %d bytes",
		                  (unsigned long long)ev->seq, VG_LINE_MAX);
	if (c->out) {
		fwrite(c->line, 1, len, c->out);
		fputc('\n', c->out);
		if (ferror(c->out))
			return vg_err_set(err, VG_ERR_IO, "writing events: %s", strerror(errno));
	}
	if (c->st) {
		struct vg_event_row r = {
			.seq = (int64_t)ev->seq,
			.type = vg_fusion_type_name(ev->type),
			.t_ns = ev->t_ns,
			.lat_deg = ev->lat_deg,
			.lon_deg = ev->lon_deg,
			.cep90_m = ev->cep90_m,
			.emitted_ns = ev->emitted_ns,
			.record = c->line,
			.record_len = len,
		};
		vg_status s = vg_store_event_insert(c->st, &r, err);
		if (s)
			return s;
	}
	c->n++;
	return VG_OK;
}

struct rctx {
	vg_fusion *f;
	struct vg_arena arena;
	bool clock_received;
	int64_t clock;
	vg_status s;
	struct vg_err err;
	uint64_t n;
	/* the progress line: rows read of total, drawn at most 5 times a second */
	bool progress, drew;
	int64_t rows, total, t0, last_draw;
};

static void draw_progress(struct rctx *c, bool last)
{
	int64_t now = vg_time_mono_ns();
	if (!last && c->drew && now - c->last_draw < 200000000)
		return;
	c->last_draw = now;
	double el = (double)(now - c->t0) / 1e9;
	/* under 80 columns: "fuse [##########] 1311416/1311416 obs 180000/s
	 * 23:59:49 ETA 12:34" */
	char bar[16] = "", eta[32] = "";
	if (c->total > 0) {
		int w = 10, k = (int)((double)c->rows / (double)c->total * w);
		for (int i = 0; i < w; i++)
			bar[i] = i < k ? '#' : '.';
		bar[w] = '\0';
		if (el > 1 && c->rows > 0 && !last) {
			double left = (double)(c->total - c->rows) * el / (double)c->rows;
			snprintf(eta, sizeof eta, " ETA %d:%02d", (int)left / 60 % 1000, (int)left % 60);
		}
	}
	char clk[VG_TIME_STR_MAX] = "--:--:--";
	if (c->clock != INT64_MIN)
		vg_time_format(c->clock, clk);
	fprintf(stderr, "\r\033[Kfuse [%s] %lld/%lld obs %.0f/s %.8s%s%s", bar, (long long)c->rows,
	        (long long)c->total, el > 0 ? (double)c->rows / el : 0, c->clock != INT64_MIN ? clk + 11 : clk,
	        eta, last ? "\n" : "");
	c->drew = true;
}

static int add_sensor(void *ctx, const struct vg_sensor *s)
{
	struct rctx *c = ctx;
	c->s = vg_fusion_sensor_add(c->f, s, &c->err);
	return c->s != VG_OK;
}

static vg_status push_line(struct rctx *c, const char *line, size_t len, int64_t log_index,
                           int64_t obs_id, int64_t received_ns, const char *where)
{
	struct vg_envelope env;
	struct vg_obs obs;
	vg_arena_reset(&c->arena);
	vg_status s = vg_observation_decode(line, len, &c->arena, &env, &obs, &c->err);
	if (s) {
		vg_err_prefix(&c->err, "%s", where);
		return s;
	}
	int64_t clk = c->clock_received ? received_ns : obs.t_ns;
	if (clk > c->clock)
		c->clock = clk;
	c->n++;
	s = vg_fusion_push(c->f, &obs, log_index, obs_id, c->clock, &c->err);
	if (s)
		vg_err_prefix(&c->err, "%s", where);
	return s;
}

static int row_cb(void *ctx, const struct vg_obs_stored *o)
{
	struct rctx *c = ctx;
	c->rows++;
	if (c->progress && (c->rows & 1023) == 0)
		draw_progress(c, false);
	if (o->kind != VG_OBS_IMPULSE && o->kind != VG_OBS_FIRE) {
		/* other kinds only advance the clock */
		int64_t clk = c->clock_received ? o->received_ns : o->t_ns;
		if (clk > c->clock)
			c->clock = clk;
		return 0;
	}
	char where[64];
	snprintf(where, sizeof where, "observation %lld", (long long)o->id);
	c->s = push_line(c, o->envelope, o->envelope_len, o->log_index, o->id, o->received_ns, where);
	return c->s != VG_OK;
}

static bool read_file_lines(struct rctx *c, const char *path, bool sensors)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		vg_cli_error("fuse", "%s: %s", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	bool ok = true;
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if (sensors) {
			struct vg_sensor s;
			if (vg_sensor_parse(line, (size_t)len, &s, &c->err) ||
			    vg_fusion_sensor_add(c->f, &s, &c->err)) {
				vg_cli_error("fuse", "%s:%ld: %s", path, lineno, c->err.msg);
				ok = false;
				break;
			}
			continue;
		}
		char where[600];
		snprintf(where, sizeof where, "%s:%ld", path, lineno);
		if (push_line(c, line, (size_t)len, -1, lineno, 0, where)) {
			vg_cli_error("fuse", "%s", c->err.msg);
			ok = false;
			break;
		}
	}
	free(line);
	fclose(fp);
	return ok;
}

int vg_cmd_fuse(int argc, char **argv)
{
	const char *db = NULL, *out_path = NULL, *obs_path = NULL, *sen_path = NULL, *v = NULL;
	bool stats = false, clock_received = false, progress = true;
	struct vg_fusion_config cfg;
	vg_fusion_config_default(&cfg);
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	/* the numeric options: name, range, unit, scale, where */
	const struct num_spec nums[] = {
		{"--sound-speed", 50, true, 10000, true, "m/s", 1, &cfg.medium.c_mps},
		{"--sound-speed-sigma", 0, true, 1000, true, "m/s", 1, &cfg.medium.c_sigma_mps},
		{"--wind-sigma", 0, true, 100, true, "m/s", 1, &cfg.medium.w_sigma_mps},
		{"--max-range-km", 0, true, 2000, false, "km", 1000, &cfg.max_range_m},
		{"--latency-max", 0, false, 86400, false, "s", 1, &cfg.latency_max_s},
		{"--min-heard", 0, false, 1, false, "a fraction", 1, &cfg.min_heard_frac},
		{"--min-heard-median", 0, false, 1, false, "a fraction", 1, &cfg.min_heard_median_frac},
		{"--cold-hold", 0, false, 86400, false, "seconds", 1, &cfg.cold_hold_s},
		{"--medium-drift", 0, true, 100, false, "m/s per sqrt(h)", 1, &cfg.medium_drift_mps_per_h},
		{"--smooth-lag", 0, false, 3600, false, "seconds", 1, &cfg.smooth_lag_s},
	};
	for (int i = 1; i < argc; i++) {
		double x;
		int64_t k;
		bool bad = false, num = false;
		for (size_t q = 0; q < sizeof nums / sizeof *nums && !num; q++)
			num = num_opt(argc, argv, &i, &nums[q], &bad);
		if (bad)
			return VG_EXIT_USAGE;
		if (num)
			continue;
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--out", &v)) {
			if (!(out_path = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--obs", &v)) {
			if (!(obs_path = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--sensors", &v)) {
			if (!(sen_path = v))
				return VG_EXIT_USAGE;
		} else if (vg_cli_opt(argc, argv, &i, "--wind", &v)) {
			double we, wn;
			char tail;
			if (!v || sscanf(v, "%lf,%lf%c", &we, &wn, &tail) != 2 || !(fabs(we) < 100) ||
			    !(fabs(wn) < 100)) {
				vg_cli_error("fuse", "--wind %s: want EAST,NORTH m/s (the wind's direction of travel)",
				             v ? v : "");
				return VG_EXIT_USAGE;
			}
			cfg.medium.we_mps = we;
			cfg.medium.wn_mps = wn;
		} else if (vg_cli_opt(argc, argv, &i, "--min-arrivals", &v)) {
			if (!v || !vg_cli_parse_i64(v, 4, 1000, &k)) {
				vg_cli_error("fuse", "--min-arrivals %s: want 4..1000", v ? v : "");
				return VG_EXIT_USAGE;
			}
			cfg.min_arrivals = (uint32_t)k;
		} else if (vg_cli_opt(argc, argv, &i, "--clock", &v)) {
			if (!v || (strcmp(v, "observed") && strcmp(v, "received"))) {
				vg_cli_error("fuse", "--clock %s: want observed or received", v ? v : "");
				return VG_EXIT_USAGE;
			}
			clock_received = !strcmp(v, "received");
		} else if (vg_cli_opt(argc, argv, &i, "--hypotheses", &v)) {
			if (!v || !vg_cli_parse_double(v, &x) || !(x >= 1 && x <= 64) || x != floor(x)) {
				vg_cli_error("fuse", "--hypotheses %s: want an integer in [1, 64]", v ? v : "");
				return VG_EXIT_USAGE;
			}
			cfg.hypotheses = (uint32_t)x;
		} else if (!strcmp(argv[i], "--no-track-medium")) {
			cfg.track_medium = false;
		} else if (!strcmp(argv[i], "--no-radar-only")) {
			cfg.radar_only_events = false;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--no-progress")) {
			progress = false;
		} else {
			vg_cli_error("fuse", "unknown argument '%s' (see --help)", argv[i]);
			return VG_EXIT_USAGE;
		}
	}
	if ((obs_path != NULL) != (sen_path != NULL) || (obs_path && db)) {
		vg_cli_error("fuse", "--obs and --sensors go together, without --db");
		return VG_EXIT_USAGE;
	}
	if (!obs_path && !db)
		db = vg_cli_default_db();

	int rc = VG_EXIT_FATAL;
	struct fctx fc;
	memset(&fc, 0, sizeof fc);
	struct rctx rc_ctx;
	memset(&rc_ctx, 0, sizeof rc_ctx);
	rc_ctx.clock_received = clock_received;
	rc_ctx.clock = INT64_MIN;
	vg_arena_init(&rc_ctx.arena, 1 << 20);
	struct vg_err err;
	vg_err_clear(&err);
	vg_store *st = NULL;
	if (out_path) {
		fc.out = strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
		if (!fc.out) {
			vg_cli_error("fuse", "%s: %s", out_path, strerror(errno));
			goto out_arena;
		}
	}
	if (db) {
		if (vg_store_open(db, &st, &err)) {
			vg_cli_error("fuse", "%s", err.msg);
			goto out_close;
		}
		fc.st = st;
	}
	if (vg_fusion_new(&cfg, on_event, &fc, &rc_ctx.f, &err)) {
		vg_cli_error("fuse", "%s", err.msg);
		goto out_store;
	}
	if (st) {
		if (vg_store_sensor_each(st, add_sensor, &rc_ctx, &err) || rc_ctx.s) {
			vg_cli_error("fuse", "%s", rc_ctx.s ? rc_ctx.err.msg : err.msg);
			goto out_fusion;
		}
		if (vg_store_begin(st, &err) || vg_store_events_clear(st, &err)) {
			vg_cli_error("fuse", "%s", err.msg);
			goto out_fusion;
		}
		struct vg_obs_filter flt;
		memset(&flt, 0, sizeof flt);
		/* a terminal only, not with -q, and not over events written to
		 * the same terminal (--out -) */
		rc_ctx.progress = progress && isatty(STDERR_FILENO) && vg_log_get_level() > VG_LOG_ERROR &&
		                  !(fc.out == stdout && isatty(STDOUT_FILENO)) &&
		                  vg_store_count(st, "observations", &rc_ctx.total, &err) == VG_OK;
		rc_ctx.t0 = vg_time_mono_ns();
		vg_status qs = vg_store_obs_query(st, &flt, row_cb, &rc_ctx, &err);
		if (rc_ctx.drew)
			draw_progress(&rc_ctx, true);
		if (qs || rc_ctx.s) {
			vg_cli_error("fuse", "%s", rc_ctx.s ? rc_ctx.err.msg : err.msg);
			goto out_rollback;
		}
	} else {
		if (!read_file_lines(&rc_ctx, sen_path, true) || !read_file_lines(&rc_ctx, obs_path, false))
			goto out_fusion;
	}
	if (vg_fusion_flush(rc_ctx.f, rc_ctx.clock, &err)) {
		vg_cli_error("fuse", "%s", err.msg);
		goto out_rollback;
	}
	if (st && vg_store_commit(st, &err)) {
		vg_cli_error("fuse", "%s", err.msg);
		goto out_fusion;
	}
	/* New events become statements in the transparency log. */
	if (st && vg_cli_publish("fuse", db, st, "event", NULL, NULL) != VG_EXIT_OK)
		goto out_fusion;
	struct vg_fusion_stats s;
	vg_fusion_get_stats(rc_ctx.f, &s);
	if (stats) {
		fprintf(stderr,
		        "vigil fuse: %llu observations read; %llu impulses, %llu radar reports, %llu ignored\n"
		        "vigil fuse: %llu events (%llu launch, %llu impact, %llu explosion); %llu paired, "
		        "%llu radar joins, %llu radar-only (%llu refuted by silent sensors)\n"
		        "vigil fuse: %llu arrivals unassociated, %llu outliers reported, %llu dropped at the cap; "
		        "peak pool %u\n"
		        "vigil fuse: %llu hypotheses, %llu fits; medium c = %.2f +- %.2f m/s, wind (%.2f, %.2f) m/s\n",
		        (unsigned long long)rc_ctx.n, (unsigned long long)s.n_impulse,
		        (unsigned long long)s.n_fire_obs, (unsigned long long)s.n_ignored,
		        (unsigned long long)s.n_events, (unsigned long long)s.n_launch,
		        (unsigned long long)s.n_impact, (unsigned long long)s.n_explosion,
		        (unsigned long long)s.n_paired, (unsigned long long)s.n_radar_joined,
		        (unsigned long long)s.n_radar_only, (unsigned long long)s.n_radar_refuted,
		        (unsigned long long)s.n_unassociated,
		        (unsigned long long)s.n_rejected, (unsigned long long)s.n_dropped, s.peak_pending,
		        (unsigned long long)s.n_hypotheses, (unsigned long long)s.n_fits, s.c_mps,
		        s.c_sigma_mps, s.we_mps, s.wn_mps);
	} else {
		fprintf(stderr, "vigil fuse: %llu events from %llu impulses\n",
		        (unsigned long long)s.n_events, (unsigned long long)s.n_impulse);
	}
	rc = VG_EXIT_OK;
	goto out_fusion;
out_rollback:
	if (st)
		vg_store_rollback(st);
out_fusion:
	vg_fusion_free(rc_ctx.f);
out_store:
	vg_store_free(st);
out_close:
	if (fc.out && fc.out != stdout) {
		if (fclose(fc.out) && rc == VG_EXIT_OK) {
			vg_cli_error("fuse", "%s: %s", out_path, strerror(errno));
			rc = VG_EXIT_FATAL;
		}
	} else if (fc.out) {
		fflush(fc.out);
	}
out_arena:
	vg_arena_release(&rc_ctx.arena);
	return rc;
}

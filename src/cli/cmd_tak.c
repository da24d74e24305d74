/* cmd_tak.c - `vigil tak`: fused events and findings as Cursor-on-Target
 * (xml, send) and CoT from TAK users into the store as unsigned external
 * reports (listen). The formats and transports are src/tak/tak.h and
 * docs/tak.md. */
#include "cli.h"
#include "store/store.h"
#include "tak/tak.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil tak xml    [--db PATH] [--events] [--findings] [--since TIME] [COT OPTIONS]\n"
	        "       vigil tak send   [--db PATH] --to udp://HOST:PORT|tcp://HOST:PORT ... [--events]\n"
	        "                        [--findings] [--since TIME] [--iface ADDR] [--mcast-ttl N]\n"
	        "                        [--retries N] [--timeout-ms MS] [COT OPTIONS]\n"
	        "       vigil tak listen [--db PATH] [--udp ADDR:PORT]... [--tcp ADDR:PORT]...\n"
	        "                        [--iface ADDR] [--count N] [--timeout S] [--trust T]\n"
	        "                        [--unknown-ce M] [--max-conns N]\n\n"
	        "Cursor-on-Target (CoT 2.0 XML) for TAK clients and servers (docs/tak.md).\n"
	        "  xml     print the CoT of every stored event, then every stored finding,\n"
	        "          one message per line (--events / --findings: only those; --since:\n"
	        "          events from TIME, findings still open at TIME)\n"
	        "  send    push the same messages once to each endpoint: UDP one datagram each\n"
	        "          (multicast: --mcast-ttl, default 1, and --iface), TCP one stream,\n"
	        "          reopened on failure with the recent messages written again; --retries\n"
	        "          reconnects per message (default 5)\n"
	        "  listen  receive CoT on UDP (a multicast group is joined) and TCP and store\n"
	        "          each report in external_observations (feed \"cot\", unsigned, --trust\n"
	        "          default 0.2; sigma = ce, or --unknown-ce (1000 m) if ce is 9999999):\n"
	        "          atoms a-* other than friendly as detections, b-d-l/b-d-i/b-d-a-i as\n"
	        "          impulses; one log line per message on stderr, rejections naming the\n"
	        "          field. Stops after --count messages, --timeout seconds, or SIGINT/TERM.\n"
	        "          Prints \"listening on ...\" (ports resolved) on stdout when ready.\n"
	        "COT OPTIONS: --uid-prefix P (vigil), --affiliation h|s|u|n (h, of weapon atoms),\n"
	        "          --event-ttl S (3600), --finding-ttl S (86400): stale = time + TTL\n\n"
	        "exit codes: 0 ok; 1 some records or messages rejected; 2 usage; 3 store or\n"
	        "network failure, or --timeout before --count messages\n\n"
	        "examples:\n"
	        "  vigil tak xml --db vigil.db --findings\n"
	        "  vigil tak send --db vigil.db --to udp://239.2.3.1:6969 --to tcp://takserver:8087\n"
	        "  vigil tak listen --db vigil.db --udp 239.2.3.1:6969 --tcp 0.0.0.0:8088\n");
}

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* ---- xml and send ------------------------------------------------------------ */

struct octx {
	const struct vg_tak_opts *o;
	vg_tak_sender *snd;       /* NULL: print */
	char *buf;
	int64_t n, bad, failed;
	bool io_fail;
	const char *cmd;
};

static void emit(struct octx *c, const char *kind, const char *rec, size_t len)
{
	struct vg_err e;
	size_t n = 0;
	vg_status st = !strcmp(kind, "event") ? vg_tak_event_cot(c->o, rec, len, c->buf, VG_TAK_OUT_MAX, &n, &e)
	                                      : vg_tak_finding_cot(c->o, rec, len, c->buf, VG_TAK_OUT_MAX, &n, &e);
	if (st) {
		vg_cli_error(c->cmd, "%s", e.msg);
		c->bad++;
		return;
	}
	c->n++;
	if (!c->snd) {
		fwrite(c->buf, 1, n, stdout);
		fputc('\n', stdout);
		return;
	}
	if (vg_tak_sender_send(c->snd, c->buf, n, &e) != VG_OK) {
		vg_cli_error(c->cmd, "%s", e.msg);
		c->failed++;
	}
}

static int on_event(void *ctx, const struct vg_event_row *e)
{
	emit(ctx, "event", e->record, e->record_len);
	return g_stop != 0;
}

static int on_finding(void *ctx, const struct vg_finding_row *r)
{
	emit(ctx, "finding", r->record, r->record_len);
	return g_stop != 0;
}

static bool cot_opt(int argc, char **argv, int *i, struct vg_tak_opts *o, bool *bad)
{
	const char *val;
	int64_t v;
	if (vg_cli_opt(argc, argv, i, "--uid-prefix", &val)) {
		if (!val || !*val || strlen(val) > 64) {
			vg_cli_error(argv[0], "--uid-prefix: want 1..64 bytes");
			*bad = true;
		}
		o->uid_prefix = val;
	} else if (vg_cli_opt(argc, argv, i, "--affiliation", &val)) {
		if (!val || strlen(val) != 1 || !strchr("hsun", val[0])) {
			vg_cli_error(argv[0], "--affiliation: want h, s, u or n");
			*bad = true;
		} else {
			o->affiliation = val[0];
		}
	} else if (vg_cli_opt(argc, argv, i, "--event-ttl", &val)) {
		if (!val || !vg_cli_parse_i64(val, 1, 365 * 86400, &v)) {
			vg_cli_error(argv[0], "--event-ttl: want seconds in [1, 31536000]");
			*bad = true;
		} else {
			o->event_ttl_ns = v * VG_NS_PER_S;
		}
	} else if (vg_cli_opt(argc, argv, i, "--finding-ttl", &val)) {
		if (!val || !vg_cli_parse_i64(val, 1, 365 * 86400, &v)) {
			vg_cli_error(argv[0], "--finding-ttl: want seconds in [1, 31536000]");
			*bad = true;
		} else {
			o->finding_ttl_ns = v * VG_NS_PER_S;
		}
	} else {
		return false;
	}
	return true;
}

static int cmd_out(int argc, char **argv, bool send)
{
	const char *cmd = send ? "tak send" : "tak xml";
	const char *db = NULL, *val;
	bool events = false, findings = false, bad = false, has_since = false;
	int64_t since = 0, v;
	struct vg_tak_opts o;
	vg_tak_opts_init(&o);
	struct vg_tak_send_opts so;
	vg_tak_send_opts_init(&so);
	so.retries = 5;
	struct vg_tak_endpoint eps[16];
	size_t n_eps = 0;
	struct vg_err err;
	vg_err_clear(&err);
	for (int i = 1; i < argc && !bad; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			bad = !(db = val);
		} else if (vg_cli_opt(argc, argv, &i, "--events", NULL)) {
			events = true;
		} else if (vg_cli_opt(argc, argv, &i, "--findings", NULL)) {
			findings = true;
		} else if (vg_cli_opt(argc, argv, &i, "--since", &val)) {
			if (!val || vg_time_parse(val, strlen(val), &since, &err) != VG_OK) {
				vg_cli_error(cmd, "--since: %s", val ? err.msg : "missing");
				bad = true;
			}
			has_since = true;
		} else if (cot_opt(argc, argv, &i, &o, &bad)) {
		} else if (send && vg_cli_opt(argc, argv, &i, "--to", &val)) {
			if (!val || n_eps == sizeof eps / sizeof eps[0] ||
			    vg_tak_endpoint_parse(val, &eps[n_eps], &err) != VG_OK) {
				vg_cli_error(cmd, "--to: %s", !val ? "missing" : n_eps == 16 ? "at most 16" : err.msg);
				bad = true;
			} else {
				n_eps++;
			}
		} else if (send && vg_cli_opt(argc, argv, &i, "--iface", &val)) {
			bad = !(so.mcast_iface = val);
		} else if (send && vg_cli_opt(argc, argv, &i, "--mcast-ttl", &val)) {
			if (!val || !vg_cli_parse_i64(val, 0, 255, &v)) {
				vg_cli_error(cmd, "--mcast-ttl: want 0..255");
				bad = true;
			} else {
				so.mcast_ttl = (int)v;
			}
		} else if (send && vg_cli_opt(argc, argv, &i, "--retries", &val)) {
			if (!val || !vg_cli_parse_i64(val, 0, 100, &v)) {
				vg_cli_error(cmd, "--retries: want 0..100");
				bad = true;
			} else {
				so.retries = (int)v;
			}
		} else if (send && vg_cli_opt(argc, argv, &i, "--timeout-ms", &val)) {
			if (!val || !vg_cli_parse_i64(val, 10, 600000, &v)) {
				vg_cli_error(cmd, "--timeout-ms: want 10..600000");
				bad = true;
			} else {
				so.connect_timeout_ms = (int)v;
			}
		} else {
			vg_cli_error(cmd, "unknown argument '%s'", argv[i]);
			bad = true;
		}
	}
	if (!bad && send && !n_eps) {
		vg_cli_error(cmd, "want at least one --to udp://HOST:PORT or tcp://HOST:PORT");
		bad = true;
	}
	if (bad) {
		help(stderr);
		return VG_EXIT_USAGE;
	}
	if (!events && !findings)
		events = findings = true;
	if (!db)
		db = vg_cli_default_db();

	vg_store *st;
	if (vg_store_open_ro(db, &st, &err) != VG_OK) {
		vg_cli_error(cmd, "%s: %s", db, err.msg);
		return VG_EXIT_FATAL;
	}
	int rc = VG_EXIT_FATAL;
	struct vg_tak_event_index idx = {0};
	struct octx c = {.o = &o, .cmd = cmd};
	if (!(c.buf = malloc(VG_TAK_OUT_MAX))) {
		vg_cli_error(cmd, "out of memory");
		goto out;
	}
	if (findings) {
		if (vg_tak_event_index_load(st, &idx, &err) != VG_OK) {
			vg_cli_error(cmd, "%s", err.msg);
			goto out;
		}
		o.events = &idx;
	}
	if (send && vg_tak_sender_new(eps, n_eps, &so, &c.snd, &err) != VG_OK) {
		vg_cli_error(cmd, "%s", err.msg);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (events) {
		struct vg_event_filter f = {.has_time = has_since, .t0_ns = since, .t1_ns = INT64_MAX};
		if (vg_store_event_query(st, &f, on_event, &c, &err) != VG_OK) {
			vg_cli_error(cmd, "%s", err.msg);
			goto out;
		}
	}
	if (findings && !g_stop) {
		struct vg_finding_filter f = {.has_time = has_since, .t0_ns = since, .t1_ns = INT64_MAX};
		if (vg_store_finding_query(st, &f, on_finding, &c, &err) != VG_OK) {
			vg_cli_error(cmd, "%s", err.msg);
			goto out;
		}
	}
	if (fflush(stdout) || ferror(stdout)) {
		vg_cli_error(cmd, "writing the output failed");
		goto out;
	}
	if (c.snd) {
		if (vg_tak_sender_flush(c.snd, &err) != VG_OK) {
			vg_cli_error(cmd, "%s", err.msg);
			c.io_fail = true;
		}
		for (size_t i = 0; i < n_eps; i++) {
			struct vg_tak_sender_stats s;
			vg_tak_sender_stats(c.snd, i, &s);
			fprintf(stderr, "vigil %s: %s://%s:%s: %lld sent, %lld failed, %lld reconnects, %lld re-sent\n",
			        cmd, eps[i].proto == VG_TAK_UDP ? "udp" : "tcp", eps[i].host, eps[i].port,
			        (long long)s.sent, (long long)s.failed, (long long)s.reconnects, (long long)s.resent);
		}
	}
	fprintf(stderr, "vigil %s: %lld messages%s, %lld records not converted\n", cmd, (long long)c.n,
	        send ? " sent" : "", (long long)c.bad);
	rc = c.failed || c.io_fail || g_stop ? VG_EXIT_FATAL : c.bad ? VG_EXIT_REJECTED : VG_EXIT_OK;
out:
	vg_tak_sender_free(c.snd);
	vg_tak_event_index_release(&idx);
	free(c.buf);
	vg_store_free(st);
	return rc;
}

/* ---- listen ------------------------------------------------------------------- */

struct lctx {
	vg_store *st;
	double trust, unknown_ce;
	int64_t count, n, stored, dup, rejected;
	vg_status fatal;
	struct vg_err ferr;
};

static int on_msg(void *ctx, const char *peer, const char *msg, size_t len, const struct vg_err *ferr)
{
	struct lctx *c = ctx;
	c->n++;
	struct vg_err e;
	struct vg_tak_report r;
	if (ferr) {
		fprintf(stderr, "vigil tak listen: %s: message %lld rejected (%s): %s\n", peer, (long long)c->n,
		        vg_status_name(ferr->status), ferr->msg);
		c->rejected++;
	} else if (vg_tak_parse(msg, len, &r, &e) != VG_OK || vg_tak_classify(&r, &e) != VG_OK) {
		fprintf(stderr, "vigil tak listen: %s: message %lld (%zu bytes) rejected (%s): %s\n", peer,
		        (long long)c->n, len, vg_status_name(e.status), e.msg);
		c->rejected++;
	} else {
		bool ins = false;
		if (vg_tak_store_report(c->st, &r, msg, len, peer, c->trust, c->unknown_ce, vg_time_now_ns(),
		                        &ins, &c->ferr) != VG_OK) {
			c->fatal = c->ferr.status;
			return 1;
		}
		char uid[80];
		vg_quote(r.uid, strlen(r.uid), uid, sizeof uid);
		const char *cls = r.kind == VG_OBS_DETECTION ? vg_object_class_name(r.cls)
		                                             : vg_impulse_class_name(r.cls);
		fprintf(stderr, "vigil tak listen: %s: message %lld %s: %s uid %s, %s %s at %.8f,%.8f\n", peer,
		        (long long)c->n, ins ? "stored" : "already stored", r.type, uid,
		        vg_obs_kind_name(r.kind), cls ? cls : "?", r.lat_deg, r.lon_deg);
		c->stored += ins;
		c->dup += !ins;
	}
	fflush(stderr);
	return (c->count && c->n >= c->count) || g_stop;
}

static int cmd_listen(int argc, char **argv)
{
	const char *cmd = "tak listen";
	const char *db = NULL, *val;
	struct vg_tak_listen_opts lo = {0};
	struct lctx c = {.trust = 0.2, .unknown_ce = 1000};
	double timeout_s = 0, d;
	int64_t v;
	bool bad = false;
	for (int i = 1; i < argc && !bad; i++) {
		if (vg_cli_opt(argc, argv, &i, "--db", &val)) {
			bad = !(db = val);
		} else if (vg_cli_opt(argc, argv, &i, "--udp", &val)) {
			if (!val || lo.n_udp == VG_TAK_LISTEN_MAX) {
				vg_cli_error(cmd, "--udp: %s", val ? "too many" : "missing");
				bad = true;
			} else {
				lo.udp[lo.n_udp++] = val;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--tcp", &val)) {
			if (!val || lo.n_tcp == VG_TAK_LISTEN_MAX) {
				vg_cli_error(cmd, "--tcp: %s", val ? "too many" : "missing");
				bad = true;
			} else {
				lo.tcp[lo.n_tcp++] = val;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--iface", &val)) {
			bad = !(lo.mcast_iface = val);
		} else if (vg_cli_opt(argc, argv, &i, "--count", &val)) {
			if (!val || !vg_cli_parse_i64(val, 1, INT64_MAX, &c.count)) {
				vg_cli_error(cmd, "--count: want a positive integer");
				bad = true;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--timeout", &val)) {
			if (!val || !vg_cli_parse_double(val, &timeout_s) || timeout_s <= 0 || timeout_s > 1e7) {
				vg_cli_error(cmd, "--timeout: want seconds > 0");
				bad = true;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--trust", &val)) {
			if (!val || !vg_cli_parse_double(val, &d) || d < 0 || d > 1) {
				vg_cli_error(cmd, "--trust: want a number in [0, 1]");
				bad = true;
			}
			c.trust = d;
		} else if (vg_cli_opt(argc, argv, &i, "--unknown-ce", &val)) {
			if (!val || !vg_cli_parse_double(val, &d) || d <= 0 || d > 1e7) {
				vg_cli_error(cmd, "--unknown-ce: want metres > 0");
				bad = true;
			}
			c.unknown_ce = d;
		} else if (vg_cli_opt(argc, argv, &i, "--max-conns", &val)) {
			if (!val || !vg_cli_parse_i64(val, 1, 4096, &v)) {
				vg_cli_error(cmd, "--max-conns: want 1..4096");
				bad = true;
			}
			lo.max_conns = (int)v;
		} else {
			vg_cli_error(cmd, "unknown argument '%s'", argv[i]);
			bad = true;
		}
	}
	if (!bad && !lo.n_udp && !lo.n_tcp) {
		vg_cli_error(cmd, "want --udp ADDR:PORT and/or --tcp ADDR:PORT");
		bad = true;
	}
	if (bad) {
		help(stderr);
		return VG_EXIT_USAGE;
	}
	if (!db)
		db = vg_cli_default_db();
	struct vg_err err;
	vg_err_clear(&err);
	vg_tak_listener *l;
	if (vg_tak_listener_new(&lo, &l, &err) != VG_OK) {
		vg_cli_error(cmd, "%s", err.msg);
		return err.status == VG_ERR_INVALID_ARG ? VG_EXIT_USAGE : VG_EXIT_FATAL;
	}
	if (vg_store_open(db, &c.st, &err) != VG_OK) {
		vg_cli_error(cmd, "%s: %s", db, err.msg);
		vg_tak_listener_free(l);
		return VG_EXIT_FATAL;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	char desc[1024];
	vg_tak_listener_describe(l, desc, sizeof desc);
	printf("listening on %s\n", desc);
	fflush(stdout);
	int64_t deadline = timeout_s > 0 ? vg_time_mono_ns() + (int64_t)(timeout_s * 1e9) : 0;
	bool timed_out = false;
	int rc = VG_EXIT_OK;
	vg_status s = vg_tak_listener_run(l, deadline, &g_stop, on_msg, &c, &timed_out, &err);
	if (s) {
		vg_cli_error(cmd, "%s", err.msg);
		rc = VG_EXIT_FATAL;
	} else if (c.fatal) {
		vg_cli_error(cmd, "%s", c.ferr.msg);
		rc = VG_EXIT_FATAL;
	} else if (timed_out && c.count && c.n < c.count) {
		vg_cli_error(cmd, "timed out after %g s with %lld of %lld messages", timeout_s, (long long)c.n,
		             (long long)c.count);
		rc = VG_EXIT_FATAL;
	} else if (c.rejected) {
		rc = VG_EXIT_REJECTED;
	}
	fprintf(stderr, "vigil tak listen: %lld messages: %lld stored, %lld already stored, %lld rejected\n",
	        (long long)c.n, (long long)c.stored, (long long)c.dup, (long long)c.rejected);
	vg_tak_listener_free(l);
	vg_store_free(c.st);
	return rc;
}

int vg_cmd_tak(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
	}
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	if (!strcmp(argv[1], "xml"))
		return cmd_out(argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "send"))
		return cmd_out(argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "listen"))
		return cmd_listen(argc - 1, argv + 1);
	vg_cli_error("tak", "unknown subcommand '%s' (want xml, send, listen)", argv[1]);
	help(stderr);
	return VG_EXIT_USAGE;
}

/* cmd_serve.c - `vigil serve`: the HTTP API (src/server, docs/api.md) and
 * the watch-floor map at / (web/, docs/map.md). */
#include "cli.h"
#include "ingest/journal.h"
#include "rules/rules.h"
#include "server/server.h"
#include "store/store.h"
#include "tak/tak.h"

#include <errno.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Where the map's files are unless --web says otherwise: the source tree's
 * web/ (CMake sets it; its node_modules come from scripts/deps.sh). */
#ifndef VG_WEB_DIR
#define VG_WEB_DIR "web"
#endif

static void help(FILE *f)
{
	fprintf(f,
	        "usage: vigil serve [--db PATH] [--listen HOST:PORT] [--threads N]\n"
	        "                   [--max-connections N] [--timeout SECONDS] [--max-body BYTES]\n"
	        "                   [--rate PER_SECOND] [--burst N] [--witness KEY]...\n"
	        "                   [--public-entries] [--web DIR] [--agreement FILE]\n"
	        "                   [--live [--live-flush SECONDS]] [--tak udp|tcp://HOST:PORT]...\n\n"
	        "Serve the store and its transparency log over HTTP (docs/api.md): POST\n"
	        "/v1/observations (answered once durable), sensors, observations, events, the\n"
	        "log at the C2SP tlog-tiles paths, proofs, witness cosignatures, /v1/alerts\n"
	        "(Server-Sent Events) and /metrics. Every request needs a bearer token made\n"
	        "with 'vigil token create', except the watch-floor map's files at / and\n"
	        "/static/ (docs/map.md: open http://HOST:PORT/#token=TOKEN; its data calls\n"
	        "carry the token). HOST:PORT defaults to 127.0.0.1:8080; port 0 picks\n"
	        "a free port. The first line on stdout is 'listening on http://HOST:PORT'.\n"
	        "SIGINT/SIGTERM: finish queued requests, then exit 0.\n\n"
	        "  --threads N           event-loop threads (4)\n"
	        "  --max-connections N   open connections at most (1024)\n"
	        "  --timeout SECONDS     close idle connections (30)\n"
	        "  --max-body BYTES      request body cap, 413 beyond (8388608)\n"
	        "  --rate R, --burst B   per-token requests/s and bucket (100, 2R; --rate -1: off)\n"
	        "  --witness KEY         a witness verifier key (string or file) whose\n"
	        "                        cosignatures are accepted; repeatable\n"
	        "  --public-entries      serve entry bundles (raw data) to members too\n"
	        "  --web DIR             the map's files (" VG_WEB_DIR ")\n"
	        "  --agreement FILE      the agreement (validated) served at GET /v1/agreement\n"
	        "                        and drawn on the map\n"
	        "  --live                fuse observations as they are stored (as `vigil fuse`\n"
	        "                        does), publish each event and, with --agreement, its\n"
	        "                        no_fire findings in the log and on /v1/alerts\n"
	        "  --live-flush SECONDS  with --live: after this much quiet input, emit every\n"
	        "                        pending event (sensors that deliver in bursts, replays)\n"
	        "  --tak URL             send every new event and finding as Cursor-on-Target\n"
	        "                        to a TAK endpoint (udp://239.2.3.1:6969, tcp://H:8087;\n"
	        "                        docs/tak.md); repeatable\n\n"
	        "example:\n"
	        "  vigil token create --db vigil.db --member NOR > nor.token\n"
	        "  vigil serve --db vigil.db --listen 127.0.0.1:8080 --agreement agreement.geojson\n");
}

/* The agreement's bytes, validated as vigil adjudicate does; NULL (and a
 * message) if unreadable or rejected. */
static char *read_agreement(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		vg_cli_error("serve", "--agreement %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = (size_t)VG_AG_FILE_MAX + 1, n = 0;
	char *buf = malloc(cap);
	while (buf && n < cap) {
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	bool ioerr = ferror(f);
	fclose(f);
	if (!buf || ioerr || n >= cap) {
		vg_cli_error("serve", "--agreement %s: %s", path,
		             !buf ? "out of memory" : ioerr ? "read error" : "too large");
		free(buf);
		return NULL;
	}
	struct vg_agreement *ag;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_agreement_parse(buf, n, &ag, &err) != VG_OK) {
		vg_cli_error("serve", "--agreement %s: rejected: %s", path, err.msg);
		free(buf);
		return NULL;
	}
	vg_agreement_free(ag);
	*len = n;
	return buf;
}

static bool parse_listen(const char *v, char *host, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(v, ':');
	int64_t p;
	if (!colon || (size_t)(colon - v) >= cap || colon == v ||
	    !vg_cli_parse_i64(colon + 1, 0, 65535, &p))
		return false;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	*port = (uint16_t)p;
	return true;
}

/* A key given as a string, or a file holding it. */
static char *read_key(const char *v)
{
	FILE *f = strchr(v, '+') ? NULL : fopen(v, "r");
	if (!f)
		return strdup(v);
	char line[1024];
	char *r = fgets(line, sizeof line, f) ? strdup(line) : NULL;
	fclose(f);
	if (r)
		r[strcspn(r, "\r\n")] = '\0';
	return r;
}

int vg_cmd_serve(int argc, char **argv)
{
	const char *db = vg_cli_default_db(), *v;
	char host[64] = "127.0.0.1";
	struct vg_server_opts o = {.port = 8080};
	char *wkeys[32];
	size_t nw = 0;
	const char *agp = NULL;
	char *ag = NULL;
	struct vg_tak_endpoint tak_eps[8];
	size_t n_tak = 0;
	int rc = VG_EXIT_USAGE;
	if (vg_cli_help_requested(argc, argv)) {
		help(stdout);
		return VG_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		int64_t n;
		if (vg_cli_opt(argc, argv, &i, "--db", &v)) {
			if (!(db = v))
				goto out;
		} else if (vg_cli_opt(argc, argv, &i, "--listen", &v)) {
			if (!v || !parse_listen(v, host, sizeof host, &o.port)) {
				vg_cli_error("serve", "--listen: want HOST:PORT, e.g. 127.0.0.1:8080");
				goto out;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--threads", &v)) {
			if (!vg_cli_parse_i64(v, 1, 64, &n)) {
				vg_cli_error("serve", "--threads: want 1..64");
				goto out;
			}
			o.threads = (unsigned)n;
		} else if (vg_cli_opt(argc, argv, &i, "--max-connections", &v)) {
			if (!vg_cli_parse_i64(v, 1, 1000000, &n)) {
				vg_cli_error("serve", "--max-connections: want 1..1000000");
				goto out;
			}
			o.max_connections = (unsigned)n;
		} else if (vg_cli_opt(argc, argv, &i, "--timeout", &v)) {
			if (!vg_cli_parse_i64(v, 1, 86400, &n)) {
				vg_cli_error("serve", "--timeout: want 1..86400 seconds");
				goto out;
			}
			o.timeout_s = (unsigned)n;
		} else if (vg_cli_opt(argc, argv, &i, "--max-body", &v)) {
			if (!vg_cli_parse_i64(v, 1024, (int64_t)1 << 30, &n)) {
				vg_cli_error("serve", "--max-body: want 1024..1073741824 bytes");
				goto out;
			}
			o.max_body = (size_t)n;
		} else if (vg_cli_opt(argc, argv, &i, "--rate", &v)) {
			double d;
			if (!vg_cli_parse_double(v, &d) || d == 0) {
				vg_cli_error("serve", "--rate: want requests per second (> 0), or -1 for no limit");
				goto out;
			}
			o.rate_per_s = d;
		} else if (vg_cli_opt(argc, argv, &i, "--burst", &v)) {
			if (!vg_cli_parse_double(v, &o.burst) || o.burst < 1) {
				vg_cli_error("serve", "--burst: want a number >= 1");
				goto out;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--witness", &v)) {
			if (!v || nw == sizeof wkeys / sizeof wkeys[0] || !(wkeys[nw] = read_key(v))) {
				vg_cli_error("serve", "--witness: want a verifier key or a file holding one");
				goto out;
			}
			nw++;
		} else if (vg_cli_opt(argc, argv, &i, "--public-entries", NULL)) {
			o.public_entries = true;
		} else if (vg_cli_opt(argc, argv, &i, "--tak", &v)) {
			struct vg_err te;
			if (!v || n_tak == sizeof tak_eps / sizeof tak_eps[0] ||
			    vg_tak_endpoint_parse(v, &tak_eps[n_tak], &te) != VG_OK) {
				vg_cli_error("serve", "--tak %s: %s", v ? v : "",
				             v && n_tak < sizeof tak_eps / sizeof tak_eps[0]
				                 ? te.msg
				                 : "want udp://HOST:PORT or tcp://HOST:PORT (at most 8)");
				goto out;
			}
			n_tak++;
		} else if (vg_cli_opt(argc, argv, &i, "--live", NULL)) {
			o.live = true;
		} else if (vg_cli_opt(argc, argv, &i, "--live-flush", &v)) {
			if (!vg_cli_parse_double(v, &o.live_flush_s) || o.live_flush_s <= 0 ||
			    o.live_flush_s > 86400) {
				vg_cli_error("serve", "--live-flush: want seconds in (0, 86400]");
				goto out;
			}
		} else if (vg_cli_opt(argc, argv, &i, "--web", &v)) {
			if (!v || !*v) {
				vg_cli_error("serve", "--web: want the map's directory");
				goto out;
			}
			o.web_dir = v;
		} else if (vg_cli_opt(argc, argv, &i, "--agreement", &v)) {
			if (!v || !*v) {
				vg_cli_error("serve", "--agreement: want an agreement file");
				goto out;
			}
			agp = v;
		} else {
			vg_cli_error("serve", "unknown argument '%s'", argv[i]);
			help(stderr);
			goto out;
		}
	}
	if (agp && !(ag = read_agreement(agp, &o.agreement_len)))
		goto out; /* a usage error, as adjudicate's */
	o.agreement = ag;
	if (!o.web_dir)
		o.web_dir = VG_WEB_DIR;
	o.db_path = db;
	o.host = host;
	o.witness_keys = (const char *const *)wkeys;
	o.n_witness_keys = nw;
	o.tak = tak_eps;
	o.n_tak = n_tak;

	/* Many idle connections need file descriptors: raise the soft limit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Signals: blocked in every thread, taken by sigwait below. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = VG_EXIT_FATAL;
	vg_store *st;
	struct vg_journal *j;
	if (!vg_cli_open_logged("serve", db, &st, &j))
		goto out;
	struct vg_err err;
	vg_err_clear(&err);
	vg_server *srv;
	if (vg_server_start(&o, st, j, &srv, &err) != VG_OK) {
		vg_cli_error("serve", "%s", err.msg);
		goto out_close;
	}
	printf("listening on http://%s:%u\n", host, (unsigned)vg_server_port(srv));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	vg_log(VG_LOG_INFO, "serve: signal %d: stopping", sig);
	vg_server_stop(srv);
	rc = VG_EXIT_OK;
out_close:
	vg_journal_free(j);
	vg_store_free(st);
out:
	for (size_t i = 0; i < nw; i++)
		free(wkeys[i]);
	free(ag);
	return rc;
}

/*
 * bench/ingest.c - durable ingest throughput against the Ed25519 verify limit.
 *
 *   bench_ingest [--n 1000000] [--sensors 300] [--dir DIR] [--threads 2]
 *                [--reuse] [--only T] [--no-log] [--batch N]
 *   bench_ingest --generate N --dir DIR     (only write DIR/registry.ndjson
 *                                            and DIR/obs.ndjson; used by tests)
 *
 * Measures, in one run:
 *   1. the machine's single-core Ed25519 verify rate (libsodium), the limit;
 *   2. end-to-end durable ingest (parse + verify + store, WAL, synchronous=FULL,
 *      one fsync per batch, and, as `vigil ingest` does, the transparency
 *      log: tiles and a signed checkpoint synced per batch; --no-log leaves
 *      it out) of a generated file of N signed observations,
 *      with 1 thread and with --threads threads, each into a fresh store, in
 *      a child process whose peak RSS is reported.
 * --reuse ingests DIR/obs.ndjson and DIR/registry.ndjson left by an earlier
 * run with the same --n and --sensors instead of generating them again
 * (repeated measurements, perf record); --only T runs only the T-thread
 * ingest; --batch N is `vigil ingest --batch N` (lines per transaction,
 * default 4096). The verify rate is always measured: it is the yardstick.
 * Prints figures; asserts nothing about time.
 */
#include "codec/codec.h"
#include "ingest/ingest.h"
#include "ingest/journal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "bench_ingest: %s\n", what);
	exit(1);
}

struct gen {
	int64_t n, sensors;
	struct vg_secret_key *keys;
	char **lines;          /* one per observation, filled by the signing threads */
	int64_t t0;
	int64_t base;          /* lines[i - base] holds observation i */
	int64_t part, parts;
};

/* Observation i: sensor i % S, seq i / S + 1; a realistic mix of kinds. */
static void *gen_thread(void *arg)
{
	struct gen *g = arg;
	char p[2048], a[VG_TIME_STR_MAX], b[VG_TIME_STR_MAX], id[32];
	char *line = malloc(VG_LINE_MAX);
	for (int64_t i = g->part; i < g->n; i += g->parts) {
		int64_t s = i % g->sensors, seq = i / g->sensors + 1;
		int64_t t = g->t0 + i * 3000000; /* 3 ms apart */
		snprintf(id, sizeof id, "ac-%05lld", (long long)s);
		vg_time_format(t, a);
		int kind = (int)(i % 20);
		if (kind < 16) {
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"impulse\",\"impulse\":"
			         "{\"arrival\":\"%s\",\"sigma_s\":0.005,\"snr_db\":%.1f,\"class\":\"%s\"}}",
			         id, (long long)seq, a, 10 + (double)(i % 300) / 10,
			         i % 3 ? "launch" : "impact");
		} else if (kind < 18) {
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"detection\",\"detection\":"
			         "{\"time\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,\"sigma_m\":20,\"class\":\"tank\","
			         "\"class_conf\":0.8,\"speed_mps\":3.5,\"heading_deg\":120}}",
			         id, (long long)seq, a, 47.9 + (double)(i % 1000) / 5000,
			         37.5 + (double)(i % 777) / 3000);
		} else if (kind < 19) {
			vg_time_format(t + 30 * VG_NS_PER_S, b);
			double la = 47.9 + (double)(i % 1000) / 5000, lo = 37.5 + (double)(i % 777) / 3000;
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"coverage\",\"coverage\":"
			         "{\"from\":\"%s\",\"until\":\"%s\",\"polygon\":[[%.5f,%.5f],[%.5f,%.5f],"
			         "[%.5f,%.5f],[%.5f,%.5f],[%.5f,%.5f]]}}",
			         id, (long long)seq, a, b, lo, la, lo + .01, la, lo + .01, la + .01, lo,
			         la + .01, lo, la);
		} else {
			snprintf(p, sizeof p,
			         "{\"v\":1,\"sensor\":\"%s\",\"seq\":%lld,\"kind\":\"status\",\"status\":"
			         "{\"time\":\"%s\",\"alive\":true,\"battery_pct\":%d}}",
			         id, (long long)seq, a, (int)(i % 100));
		}
		size_t n = vg_envelope_encode((const uint8_t *)p, strlen(p), id, &g->keys[s], line,
		                              VG_LINE_MAX);
		g->lines[i - g->base] = strndup(line, n);
		if (!g->lines[i - g->base])
			die("out of memory");
	}
	free(line);
	return NULL;
}

static void generate(const char *dir, int64_t n, int64_t sensors)
{
	char path[4096];
	mkdir(dir, 0755);
	struct gen g = {.n = n, .sensors = sensors};
	g.keys = calloc((size_t)sensors, sizeof *g.keys);
	snprintf(path, sizeof path, "%s/registry.ndjson", dir);
	FILE *reg = fopen(path, "w");
	if (!reg)
		die("cannot write registry");
	for (int64_t s = 0; s < sensors; s++) {
		uint8_t seed[32] = {0};
		memcpy(seed, &s, sizeof s);
		seed[31] = 0x42;
		vg_key_from_seed(&g.keys[s], seed);
		char pk[128];
		vg_key_format_public(g.keys[s].pk, pk, sizeof pk);
		fprintf(reg,
		        "{\"id\":\"ac-%05lld\",\"owner\":\"%s\",\"modality\":\"acoustic\",\"pubkey\":\"%s\","
		        "\"pos\":{\"lat\":%.5f,\"lon\":%.5f,\"sigma_m\":2},\"timing_sigma_s\":0.001}\n",
		        (long long)s, s % 2 ? "NOR" : "POL", pk, 47.8 + (double)(s % 20) * 0.02,
		        37.4 + (double)(s / 20) * 0.03);
	}
	fclose(reg);
	if (vg_time_parse("2026-03-01T00:00:00Z", 20, &g.t0, NULL) != VG_OK)
		die("time");
	/* Sign in chunks to bound memory: 100k lines at a time on 2 threads. */
	snprintf(path, sizeof path, "%s/obs.ndjson", dir);
	FILE *out = fopen(path, "w");
	if (!out)
		die("cannot write observations");
	const int64_t chunk = 100000;
	for (int64_t base = 0; base < n; base += chunk) {
		int64_t m = n - base < chunk ? n - base : chunk;
		struct gen parts[2];
		pthread_t th[2];
		char **lines = calloc((size_t)m, sizeof *lines);
		/* Thread k signs i = base+k, base+k+2, ... < base+m. */
		for (int k = 0; k < 2; k++) {
			parts[k] = g;
			parts[k].lines = lines;
			parts[k].base = base;
			parts[k].n = base + m;
			parts[k].part = base + k;
			parts[k].parts = 2;
			pthread_create(&th[k], NULL, gen_thread, &parts[k]);
		}
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		for (int64_t i = 0; i < m; i++) {
			fputs(lines[i], out);
			fputc('\n', out);
			free(lines[i]);
		}
		free(lines);
	}
	if (fclose(out) != 0)
		die("writing observations");
	for (int64_t s = 0; s < sensors; s++)
		vg_secret_key_wipe(&g.keys[s]);
	free(g.keys);
}

/* CPU seconds used so far by this process (all threads), or this thread. */
static double cpu_s(int who)
{
	struct timespec t;
	clock_gettime(who, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Verifies per second of wall time; *cpu_us gets the CPU time per verify,
 * which other load on the machine disturbs much less. */
static double verify_rate(double *cpu_us)
{
	struct vg_secret_key k;
	vg_key_generate(&k);
	uint8_t msg[300], sig[64];
	memset(msg, 7, sizeof msg);
	vg_sign(&k, msg, sizeof msg, sig);
	int64_t t0 = vg_time_mono_ns(), n = 0;
	double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	while (vg_time_mono_ns() - t0 < 2 * VG_NS_PER_S) {
		for (int i = 0; i < 1000; i++)
			if (!vg_verify(k.pk, msg, sizeof msg, sig))
				die("verify failed");
		n += 1000;
	}
	*cpu_us = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n * 1e6;
	return (double)n / ((double)(vg_time_mono_ns() - t0) / 1e9);
}

/* The input of an earlier run with n lines is still there. */
static bool input_present(const char *dir, int64_t n)
{
	char path[4096], line[4096];
	snprintf(path, sizeof path, "%s/obs.ndjson", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	int64_t lines = 0;
	int c;
	while ((c = getc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	snprintf(path, sizeof path, "%s/registry.ndjson", dir);
	f = fopen(path, "r");
	bool reg = f && fgets(line, sizeof line, f);
	if (f)
		fclose(f);
	return reg && lines == n;
}

/* Ingest in a child; report rate and the child's peak RSS. */
struct ingest_run {
	double rate;      /* lines per second of wall time */
	double cpu_us;    /* CPU time (all threads) per line */
	long rss_kb;      /* peak RSS of the child */
	int64_t accepted;
};

static void run_ingest(const char *dir, int threads, bool with_log, size_t batch,
                       struct ingest_run *out)
{
	int fd[2];
	if (pipe(fd) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		char db[4096], path[4200];
		snprintf(db, sizeof db, "%s/bench-%d.db", dir, threads);
		unlink(db);
		snprintf(path, sizeof path, "%s-wal", db);
		unlink(path);
		char rm[2 * sizeof db + 32];
		snprintf(rm, sizeof rm, "rm -rf '%s.log' '%s.logkey'", db, db);
		if (system(rm) != 0)
			die("cannot remove the old log");
		vg_store *st;
		struct vg_journal *j = NULL;
		struct vg_err e;
		if (vg_store_open(db, &st, &e) != VG_OK)
			die(e.msg);
		if (with_log && vg_journal_open(st, db, "bench", &j, &e) != VG_OK)
			die(e.msg);
		/* Registry through the same parser as `vigil sensor import`, and
		 * with the log into it, in one transaction (not timed). */
		snprintf(path, sizeof path, "%s/registry.ndjson", dir);
		FILE *reg = fopen(path, "r");
		char line[4096];
		if (vg_store_begin(st, &e) != VG_OK)
			die(e.msg);
		while (reg && fgets(line, sizeof line, reg)) {
			struct vg_sensor s;
			if (vg_sensor_parse(line, strcspn(line, "\n"), &s, &e) != VG_OK)
				die(e.msg);
			if (j ? vg_journal_stage_enrol(j, st, &s, vg_time_now_ns(), &e) != VG_OK
			      : vg_store_sensor_add(st, &s, 0, &e) != VG_OK)
				die(e.msg);
		}
		if (vg_store_commit(st, &e) != VG_OK || (j && vg_journal_catch_up(j, st, &e) != VG_OK))
			die(e.msg);
		if (reg)
			fclose(reg);
		snprintf(path, sizeof path, "%s/obs.ndjson", dir);
		FILE *in = fopen(path, "rb");
		if (!in)
			die("open obs");
		struct vg_ingest_opts o = {
			.threads = threads, .source = path, .journal = j, .batch_items = batch};
		struct vg_ingest_stats s;
		double c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
		if (vg_ingest_stream(st, in, &o, &s, &e) != VG_OK)
			die(e.msg);
		double cpu_us = (cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)s.lines * 1e6;
		fclose(in);
		vg_journal_free(j);
		vg_store_free(st);
		double r = (double)s.lines / ((double)s.elapsed_ns / 1e9);
		if (write(fd[1], &r, sizeof r) != sizeof r || write(fd[1], &cpu_us, 8) != 8 ||
		    write(fd[1], &s.accepted, 8) != 8)
			_exit(1);
		unlink(db);
		if (system(rm) != 0)
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &out->rate, 8) != 8 || read(fd[0], &out->cpu_us, 8) != 8 ||
	    read(fd[0], &out->accepted, 8) != 8)
		die("child failed");
	close(fd[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child failed");
	out->rss_kb = ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	int64_t n = 1000000, sensors = 300, gen_only = 0;
	int threads = 2, only = 0;
	bool reuse = false, with_log = true;
	size_t batch = 0; /* the CLI's default (--batch of `vigil ingest`) */
	const char *dir = "out/bench-ingest";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			n = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--sensors") && i + 1 < argc)
			sensors = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reuse"))
			reuse = true;
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = (size_t)atoll(argv[++i]);
		else if (!strcmp(argv[i], "--no-log"))
			with_log = false;
		else if (!strcmp(argv[i], "--generate") && i + 1 < argc)
			n = gen_only = atoll(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_ingest [--n N] [--sensors S] [--dir DIR] [--threads T]\n"
			                "                    [--reuse] [--only T] [--no-log]\n"
			                "                    [--batch N]\n"
			                "       bench_ingest --generate N --dir DIR\n");
			return 2;
		}
	}
	if (n <= 0 || sensors <= 0 || threads <= 0 || only < 0)
		die("bad arguments");
	if (vg_crypto_init() != VG_OK)
		die("libsodium");
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
	if (system(cmd) != 0)
		die("mkdir");
	if (gen_only) {
		generate(dir, n, sensors);
		return 0;
	}
	printf("bench_ingest: %lld observations from %lld sensors, %d threads, in %s%s\n",
	       (long long)n, (long long)sensors, only ? only : threads, dir,
	       with_log ? "" : " (no transparency log)");
	int64_t t0 = vg_time_mono_ns();
	if (!reuse || !input_present(dir, n)) {
		generate(dir, n, sensors);
		printf("  generated and signed the input in %.1f s\n",
		       (double)(vg_time_mono_ns() - t0) / 1e9);
	} else {
		printf("  reusing the input in %s\n", dir);
	}
	double vcpu;
	double vr = verify_rate(&vcpu);
	printf("  Ed25519 verify, 1 core (libsodium):  %9.0f /s   (the limit; %.1f us CPU each)\n", vr,
	       vcpu);
	struct ingest_run r1 = {.accepted = n}, rn = {.accepted = n};
	if (!only || only == 1) {
		run_ingest(dir, 1, with_log, batch, &r1);
		printf("  durable ingest, 1 thread:            %9.0f /s   (%.0f%% of 1-core verify), peak RSS %ld MB\n",
		       r1.rate, 100 * r1.rate / vr, r1.rss_kb / 1024);
		printf("      CPU per observation %.1f us = %.2f verifies\n", r1.cpu_us, r1.cpu_us / vcpu);
	}
	if (only)
		threads = only;
	if (threads > 1) {
		run_ingest(dir, threads, with_log, batch, &rn);
		printf("  durable ingest, %d threads:           %9.0f /s   (%.0f /s per core; %.0f%% of %d-core verify), peak RSS %ld MB\n",
		       threads, rn.rate, rn.rate / threads, 100 * rn.rate / (vr * threads), threads,
		       rn.rss_kb / 1024);
		/* With every core busy on this run alone, the rate cannot beat
		 * cores / CPU per line; other load on the machine lowers the wall
		 * clock figure above, hardly this one. */
		printf("      CPU per observation %.1f us = %.2f verifies; bound with %d idle cores: %.0f%% of %d-core verify\n",
		       rn.cpu_us, rn.cpu_us / vcpu, threads, 100 * vcpu / rn.cpu_us, threads);
	}
	if (r1.accepted != n || rn.accepted != n)
		printf("  WARNING: accepted %lld and %lld of %lld\n", (long long)r1.accepted,
		       (long long)rn.accepted, (long long)n);
	printf("  targets: >= 10000/s per core; >= 80%% of the verify limit with both cores; < 200 MB\n");
	return 0;
}

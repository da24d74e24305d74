/*
 * bench/log.c - the transparency log's speed, printed, never asserted.
 *
 *   bench_log [--dir DIR] [--size N] [--seconds S] [--keep] [--parts 123]
 *
 *   1. Durable acknowledged appends per second with a signed checkpoint per
 *      batch (group commit: append B entries, vg_ledger_sync, acknowledge),
 *      for several batch sizes B; 600-byte entries (a DSSE envelope line).
 *   2. Receipt-to-acknowledgement latency at 5,000 entries/s offered load:
 *      an open-loop producer thread schedules arrivals every 200 us; one
 *      writer thread takes whatever arrived, appends, syncs, acknowledges.
 *      Latency is measured from the scheduled arrival (no coordinated
 *      omission) to the end of the sync that made the entry durable.
 *   3. Inclusion proof generation on an N-entry log (default 10,000,000).
 *      The big log is BUILT WITH VG_LEDGER_NO_FSYNC (one sync per 100,000
 *      entries, no fsync): a fast path for the bench only; the proofs read
 *      the same files either way. Proofs for random leaves against the full
 *      size, page cache warm.
 *   4. Verification rate per core: vg_checkpoint_open (Ed25519 signature)
 *      + vg_merkle_verify_inclusion, one thread.
 *   5. Proof sizes: hashes per proof and bytes (32 per hash).
 *   6. A full audit (what `vigil log verify` does) of the N-entry log.
 * DIR defaults to a fresh directory under $TMPDIR (or /tmp), removed at
 * the end unless --keep.
 */
#include "ledger/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const struct vg_err *e)
{
	fprintf(stderr, "bench_log: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(1);
}

static double now_s(void)
{
	return (double)vg_time_mono_ns() / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Entry i: a DSSE-envelope-like line of exactly len bytes. */
static void make_entry(uint8_t *buf, size_t len, uint64_t i)
{
	char head[128];
	int n = snprintf(head, sizeof head,
	                 "{\"payloadType\":\"application/vnd.vigil.observation+json\",\"n\":%" PRIu64
	                 ",\"payload\":\"", i);
	size_t h = (size_t)n < len ? (size_t)n : len;
	memcpy(buf, head, h);
	for (size_t k = h; k < len; k++)
		buf[k] = (uint8_t)('A' + (i + k) % 26);
}

static vg_ledger *fresh_log(const char *base, const char *name, const struct vg_note_signer *k,
                            unsigned flags)
{
	char dir[4200];
	struct vg_err e;
	snprintf(dir, sizeof dir, "%.4000s/%.100s", base, name);
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		die("cannot clear the bench directory", NULL);
	if (vg_ledger_create(dir, k, &e) != VG_OK)
		die("create", &e);
	vg_ledger *lg;
	if (vg_ledger_open(dir, k, flags, &lg, &e) != VG_OK)
		die("open", &e);
	return lg;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- 1. durable throughput ------------------------------------------------ */

static void bench_durable(const char *base, const struct vg_note_signer *k, double seconds)
{
	static const unsigned batches[] = {16, 64, 256, 1024, 4096};
	printf("1. durable acknowledged appends, checkpoint per batch, 600-byte entries\n");
	printf("   %-7s %12s %10s %12s\n", "batch", "entries/s", "syncs/s", "ms/sync");
	for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
		char name[32];
		snprintf(name, sizeof name, "durable-%u", batches[b]);
		vg_ledger *lg = fresh_log(base, name, k, 0);
		uint8_t buf[600];
		struct vg_err e;
		uint64_t n = 0, syncs = 0;
		double sync_time = 0, t0 = now_s(), t;
		do {
			for (unsigned i = 0; i < batches[b]; i++) {
				uint64_t idx;
				make_entry(buf, sizeof buf, n);
				if (vg_ledger_append(lg, buf, sizeof buf, &idx, &e) != VG_OK)
					die("append", &e);
				n++;
			}
			double s0 = now_s();
			if (vg_ledger_sync(lg, &e) != VG_OK)
				die("sync", &e);
			t = now_s();
			sync_time += t - s0;
			syncs++;
		} while (t - t0 < seconds);
		printf("   %-7u %12.0f %10.0f %12.2f\n", batches[b], (double)n / (t - t0),
		       (double)syncs / (t - t0), sync_time / (double)syncs * 1e3);
		vg_ledger_free(lg);
	}
}

/* ---- 2. latency under offered load ---------------------------------------- */

#define Q_MAX 65536

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	double arrival[Q_MAX]; /* scheduled arrival time of each queued entry */
	uint64_t id[Q_MAX];
	size_t head, tail;     /* ring */
	bool done;
};

struct producer {
	struct queue *q;
	double rate, seconds, t0;
	uint64_t produced;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	uint64_t total = (uint64_t)(p->rate * p->seconds);
	for (uint64_t i = 0; i < total; i++) {
		double at = p->t0 + (double)i / p->rate;
		double d = at - now_s();
		if (d > 0) {
			struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&p->q->mu);
		if (p->q->tail - p->q->head < Q_MAX) {
			p->q->arrival[p->q->tail % Q_MAX] = at;
			p->q->id[p->q->tail % Q_MAX] = i;
			p->q->tail++;
		}
		pthread_cond_signal(&p->q->cv);
		pthread_mutex_unlock(&p->q->mu);
		p->produced++;
	}
	pthread_mutex_lock(&p->q->mu);
	p->q->done = true;
	pthread_cond_signal(&p->q->cv);
	pthread_mutex_unlock(&p->q->mu);
	return NULL;
}

static void bench_latency(const char *base, const struct vg_note_signer *k, double seconds)
{
	const double rate = 5000;
	vg_ledger *lg = fresh_log(base, "latency", k, 0);
	struct queue *q = calloc(1, sizeof *q);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	struct producer p = {q, rate, seconds, now_s() + 0.05, 0};
	pthread_t th;
	pthread_create(&th, NULL, produce, &p);
	size_t cap = (size_t)(rate * seconds) + 16, nlat = 0;
	double *lat = malloc(cap * sizeof *lat);
	double *arr = malloc(Q_MAX * sizeof *arr);
	uint64_t syncs = 0, max_batch = 0;
	double sync_time = 0;
	uint8_t buf[600];
	struct vg_err e;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == q->tail && !q->done)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == q->tail && q->done) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		size_t n = 0;
		uint64_t ids[1024];
		while (q->head != q->tail && n < 1024) {
			arr[n] = q->arrival[q->head % Q_MAX];
			ids[n] = q->id[q->head % Q_MAX];
			n++;
			q->head++;
		}
		pthread_mutex_unlock(&q->mu);
		for (size_t i = 0; i < n; i++) {
			uint64_t idx;
			make_entry(buf, sizeof buf, ids[i]);
			if (vg_ledger_append(lg, buf, sizeof buf, &idx, &e) != VG_OK)
				die("append", &e);
		}
		double s0 = now_s();
		if (vg_ledger_sync(lg, &e) != VG_OK)
			die("sync", &e);
		double ack = now_s();
		sync_time += ack - s0;
		for (size_t i = 0; i < n && nlat < cap; i++)
			lat[nlat++] = ack - arr[i];
		syncs++;
		if (n > max_batch)
			max_batch = n;
	}
	pthread_join(th, NULL);
	qsort(lat, nlat, sizeof *lat, cmp_double);
	double sum = 0;
	for (size_t i = 0; i < nlat; i++)
		sum += lat[i];
	printf("2. receipt-to-ack latency at %.0f entries/s offered for %.0f s (%zu entries, "
	       "%" PRIu64 " syncs, mean batch %.1f, max batch %" PRIu64 ")\n",
	       rate, seconds, nlat, syncs, (double)nlat / (double)syncs, max_batch);
	printf("   p50 %.2f ms   p99 %.2f ms   p99.9 %.2f ms   max %.2f ms   mean %.2f ms"
	       "   (mean sync %.2f ms)\n",
	       lat[nlat / 2] * 1e3, lat[(size_t)((double)nlat * 0.99)] * 1e3,
	       lat[(size_t)((double)nlat * 0.999)] * 1e3, lat[nlat - 1] * 1e3,
	       sum / (double)nlat * 1e3, sync_time / (double)syncs * 1e3);
	free(lat);
	free(arr);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
	vg_ledger_free(lg);
}

/* ---- 3-5. proofs on a big log ---------------------------------------------- */

static void bench_proofs(const char *base, const struct vg_note_signer *k, uint64_t size)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%.4000s/big", base);
	struct vg_err e;
	vg_ledger *lg;
	double t0 = now_s();
	if (vg_ledger_open(dir, k, VG_LEDGER_NO_FSYNC, &lg, &e) != VG_OK) {
		if (vg_ledger_create(dir, k, &e) != VG_OK)
			die("create", &e);
		if (vg_ledger_open(dir, k, VG_LEDGER_NO_FSYNC, &lg, &e) != VG_OK)
			die("open", &e);
	}
	uint8_t buf[64];
	uint64_t built = vg_ledger_size(lg);
	for (uint64_t i = built; i < size; i++) {
		uint64_t idx;
		make_entry(buf, sizeof buf, i);
		if (vg_ledger_append(lg, buf, sizeof buf, &idx, &e) != VG_OK)
			die("append", &e);
		if ((i + 1) % 100000 == 0 || i + 1 == size)
			if (vg_ledger_sync(lg, &e) != VG_OK)
				die("sync", &e);
	}
	double tb = now_s() - t0;
	if (size > built)
		printf("3. built a %" PRIu64 "-entry log (64-byte entries) in %.1f s, NO fsync "
		       "(bench fast path): %.0f appends/s\n", size, tb, (double)(size - built) / tb);
	vg_ledger_free(lg);
	/* Reopen: recovery cost on a big log (right edge + index check). */
	t0 = now_s();
	if (vg_ledger_open(dir, k, 0, &lg, &e) != VG_OK)
		die("reopen", &e);
	printf("   reopen (recovery) of the %" PRIu64 "-entry log: %.2f ms\n", size,
	       (now_s() - t0) * 1e3);

	uint64_t rng = 12345;
	const int N = 200000;
	double *tp = malloc((size_t)N * sizeof *tp);
	size_t minh = SIZE_MAX, maxh = 0, sumh = 0;
	struct vg_merkle_proof p;
	for (int i = 0; i < N; i++) {
		uint64_t idx = rng_next(&rng) % size;
		double a = now_s();
		if (vg_ledger_prove_inclusion(lg, idx, size, &p, &e) != VG_OK)
			die("prove", &e);
		tp[i] = now_s() - a;
		minh = p.n < minh ? p.n : minh;
		maxh = p.n > maxh ? p.n : maxh;
		sumh += p.n;
	}
	qsort(tp, (size_t)N, sizeof *tp, cmp_double);
	double sum = 0;
	for (int i = 0; i < N; i++)
		sum += tp[i];
	printf("   inclusion proof generation, %d random leaves of %" PRIu64 ": mean %.1f us, "
	       "p50 %.1f us, p99 %.1f us, max %.1f us\n", N, size, sum / N * 1e6, tp[N / 2] * 1e6,
	       tp[(int)(N * 0.99)] * 1e6, tp[N - 1] * 1e6);
	free(tp);

	/* 4. verification: checkpoint signature + inclusion proof, one core. */
	size_t cl;
	const char *cp = vg_ledger_checkpoint(lg, &cl);
	char note[VG_NOTE_MAX];
	memcpy(note, cp, cl);
	enum { V = 256 };
	struct vg_merkle_proof *proofs = malloc(V * sizeof *proofs);
	uint8_t(*leaves)[VG_HASH_BYTES] = malloc(V * VG_HASH_BYTES);
	uint64_t *idxs = malloc(V * sizeof *idxs);
	for (int i = 0; i < V; i++) {
		idxs[i] = rng_next(&rng) % size;
		if (vg_ledger_prove_inclusion(lg, idxs[i], size, &proofs[i], &e) != VG_OK ||
		    vg_ledger_leaf_hash(lg, idxs[i], leaves[i], &e) != VG_OK)
			die("prove", &e);
	}
	uint64_t done = 0;
	double a = now_s(), b;
	do {
		for (int i = 0; i < V; i++) {
			struct vg_checkpoint c;
			if (vg_checkpoint_open(note, cl, &k->pub, &c, &e) != VG_OK ||
			    vg_merkle_verify_inclusion(idxs[i], c.size, leaves[i], &proofs[i], c.root, &e) !=
			        VG_OK)
				die("verify", &e);
		}
		done += V;
		b = now_s();
	} while (b - a < 2.0);
	double both = (double)done / (b - a);
	done = 0;
	a = now_s();
	uint8_t root[VG_HASH_BYTES];
	if (vg_ledger_root(lg, size, root, &e) != VG_OK)
		die("root", &e);
	do {
		for (int i = 0; i < V; i++)
			if (vg_merkle_verify_inclusion(idxs[i], size, leaves[i], &proofs[i], root, &e) !=
			    VG_OK)
				die("verify", &e);
		done += V;
		b = now_s();
	} while (b - a < 1.0);
	printf("4. verification per core: %.0f/s (checkpoint signature + inclusion proof); "
	       "proof alone %.0f/s\n", both, (double)done / (b - a));

	/* 5. sizes */
	struct vg_merkle_proof c;
	if (vg_ledger_prove_consistency(lg, size / 3, size, &c, &e) != VG_OK)
		die("consistency", &e);
	printf("5. proof sizes at %" PRIu64 " entries: inclusion %zu..%zu hashes (mean %.1f) = "
	       "%zu..%zu bytes; consistency %" PRIu64 "->%" PRIu64 ": %zu hashes = %zu bytes; "
	       "signed checkpoint %zu bytes\n", size, minh, maxh, (double)sumh / N,
	       minh * VG_HASH_BYTES, maxh * VG_HASH_BYTES, size / 3, size, c.n,
	       c.n * VG_HASH_BYTES, cl);
	free(proofs);
	free(leaves);
	free(idxs);
	vg_ledger_free(lg);

	/* 6. What an auditor pays: vigil log verify over the whole log. */
	struct vg_ledger_audit au;
	t0 = now_s();
	if (vg_ledger_audit(dir, &k->pub, NULL, NULL, &au, &e) != VG_OK)
		die("audit", &e);
	double ta = now_s() - t0;
	printf("6. full audit (vigil log verify) of %" PRIu64 " entries, %" PRIu64 " tiles: %.1f s "
	       "(%.0f entries/s)\n", au.entries, au.tiles, ta, (double)au.entries / ta);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t size = 10000000;
	double seconds = 3;
	bool keep = false;
	const char *parts = "123";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else if (!strcmp(argv[i], "--parts") && i + 1 < argc)
			parts = argv[++i];
		else {
			fprintf(stderr, "usage: bench_log [--dir DIR] [--size N] [--seconds S] [--keep] "
			        "[--parts 123]\n"
			        "  parts: 1 durable throughput, 2 latency at 5,000/s, 3 proofs, "
			        "verification and sizes on an N-entry log\n");
			return 2;
		}
	}
	if (size < 2 || seconds <= 0)
		die("--size >= 2 and --seconds > 0", NULL);
	if (vg_crypto_init() != VG_OK)
		die("libsodium", NULL);
	char tmpl[4096];
	if (!dir) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpl, sizeof tmpl, "%s/vigil-bench-log-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpl))
			die("mkdtemp", NULL);
		dir = tmpl;
	} else if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		die("cannot create --dir", NULL);
	}
	struct vg_note_signer k;
	uint8_t seed[32] = {1};
	struct vg_err e;
	if (vg_note_signer_from_seed("bench.vigil.example/log", VG_NOTE_ED25519, seed, &k, &e) != VG_OK)
		die("key", &e);
	printf("bench_log: dir %s, %ld CPUs\n", dir, sysconf(_SC_NPROCESSORS_ONLN));
	if (strchr(parts, '1'))
		bench_durable(dir, &k, seconds);
	if (strchr(parts, '2'))
		bench_latency(dir, &k, seconds + 2);
	if (strchr(parts, '3'))
		bench_proofs(dir, &k, size);
	if (!keep) {
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_log: could not remove %s\n", dir);
	}
	return 0;
}

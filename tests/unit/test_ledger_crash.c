/* test_ledger_crash.c - crash recovery under SIGKILL.
 *
 * A child process appends batches to the log and syncs, and after each
 * sync returned it reports (size, root) on a pipe: an acknowledgement.
 * The parent kills it with SIGKILL at a random moment, reopens the log and
 * checks that
 *  - every acknowledged batch is present with identical hashes (root at
 *    each acknowledged size unchanged: zero acknowledged entries lost);
 *  - the recovered checkpoint is signed, and consistent with the previous
 *    recovered one (a consistency proof from the log verifies);
 *  - the entries near the edge are the ones the children wrote.
 * Repeated VG_LEDGER_CRASH_ITERATIONS times (default 200, the issue's
 * number) with seed VG_LEDGER_CRASH_SEED (default 1, printed); then a full
 * audit of the log checks every tile and that every entry sits at its own
 * index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ledger/ledger.h"
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

struct ack {
	uint64_t size;
	uint8_t root[VG_HASH_BYTES];
};

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: explicit, seeded, reproducible. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static size_t make_entry(unsigned gen, uint64_t index, uint64_t *rng, uint8_t *buf)
{
	int n = snprintf((char *)buf, 128, "idx=%" PRIu64 " gen=%u ", index, gen);
	size_t len = (size_t)n + rng_next(rng) % 200;
	for (size_t k = (size_t)n; k < len; k++)
		buf[k] = (uint8_t)('a' + rng_next(rng) % 26);
	return len;
}

static void key(struct vg_note_signer *k)
{
	uint8_t seed[32];
	memset(seed, 42, sizeof seed);
	struct vg_err e;
	assert_int_equal(vg_note_signer_from_seed("vigil.example/crash", VG_NOTE_ED25519, seed, k, &e),
	                 VG_OK);
}

/* The child: append and sync until killed. Never returns. */
static _Noreturn void child(const char *dir, unsigned gen, uint64_t seed, int wfd)
{
	struct vg_note_signer k;
	key(&k);
	struct vg_err e;
	vg_ledger *lg;
	if (vg_ledger_open(dir, &k, 0, &lg, &e) != VG_OK) {
		fprintf(stderr, "child %u: open: %s\n", gen, e.msg);
		_exit(2);
	}
	uint64_t rng = seed;
	uint8_t buf[512];
	for (;;) {
		uint64_t batch = 1 + rng_next(&rng) % 300, idx;
		for (uint64_t i = 0; i < batch; i++) {
			size_t l = make_entry(gen, vg_ledger_size(lg), &rng, buf);
			if (vg_ledger_append(lg, buf, l, &idx, &e) != VG_OK)
				_exit(3);
		}
		if (vg_ledger_sync(lg, &e) != VG_OK) {
			fprintf(stderr, "child %u: sync: %s\n", gen, e.msg);
			_exit(4);
		}
		struct ack a;
		a.size = vg_ledger_durable_size(lg);
		if (vg_ledger_root(lg, a.size, a.root, &e) != VG_OK)
			_exit(5);
		if (write(wfd, &a, sizeof a) != (ssize_t)sizeof a)
			_exit(6);
	}
}

struct audit_ctx {
	uint64_t count;
};

static vg_status entry_at_its_index(void *ctx, uint64_t index, const uint8_t *entry, size_t len,
                                    struct vg_err *err)
{
	struct audit_ctx *c = ctx;
	char want[32];
	int n = snprintf(want, sizeof want, "idx=%" PRIu64 " ", index);
	if (len < (size_t)n || memcmp(entry, want, (size_t)n) != 0)
		return vg_err_set(err, VG_ERR_CORRUPT, "entry %" PRIu64 " is not where it was written",
		                  index);
	c->count++;
	return VG_OK;
}

static void sigkill_recovery(void **state)
{
	(void)state;
	const char *s = getenv("VG_LEDGER_CRASH_ITERATIONS");
	unsigned iterations = s && *s ? (unsigned)strtoul(s, NULL, 10) : 200;
	s = getenv("VG_LEDGER_CRASH_SEED");
	uint64_t seed = s && *s ? strtoull(s, NULL, 10) : 1;
	fprintf(stderr, "sigkill_recovery: %u iterations, seed %" PRIu64 "\n", iterations, seed);

	char tmp[64], dir[128];
	assert_non_null(tu_tmpdir(tmp, sizeof tmp));
	snprintf(dir, sizeof dir, "%s/log", tmp);
	struct vg_note_signer k;
	key(&k);
	struct vg_err e;
	assert_int_equal(vg_ledger_create(dir, &k, &e), VG_OK);

	uint64_t rng = seed, prev_size = 0, acked_total = 0, kills_mid_batch = 0;
	uint8_t prev_root[VG_HASH_BYTES];
	vg_merkle_empty_root(prev_root);
	for (unsigned it = 0; it < iterations; it++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		uint64_t child_seed = rng_next(&rng);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child(dir, it, child_seed, fds[1]);
		}
		close(fds[1]);
		/* Let it run 0..40 ms (including its open and recovery). */
		struct timespec ts = {0, (long)(rng_next(&rng) % 40000) * 1000};
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("iteration %u: child exited with %d", it, WEXITSTATUS(status));

		/* Everything the child acknowledged. */
		struct ack acks[4096];
		size_t nacks = 0;
		for (;;) {
			ssize_t r = read(fds[0], &acks[nacks < 4095 ? nacks : 4095], sizeof acks[0]);
			if (r == 0)
				break;
			assert_int_equal(r, (ssize_t)sizeof acks[0]);
			if (nacks < 4095)
				nacks++;
		}
		close(fds[0]);

		vg_ledger *lg;
		if (vg_ledger_open(dir, &k, 0, &lg, &e) != VG_OK)
			fail_msg("iteration %u: recovery: %s", it, e.msg);
		uint64_t size = vg_ledger_durable_size(lg);
		for (size_t i = 0; i < nacks; i++) {
			uint8_t r[VG_HASH_BYTES];
			if (acks[i].size > size)
				fail_msg("iteration %u: acknowledged size %" PRIu64 " lost (recovered %" PRIu64
				         ")", it, acks[i].size, size);
			assert_int_equal(vg_ledger_root(lg, acks[i].size, r, &e), VG_OK);
			if (memcmp(r, acks[i].root, VG_HASH_BYTES) != 0)
				fail_msg("iteration %u: root at acknowledged size %" PRIu64 " changed", it,
				         acks[i].size);
		}
		if (nacks && acks[nacks - 1].size < size)
			kills_mid_batch++; /* durable but the acknowledgement was lost */
		acked_total += nacks;
		/* The recovered checkpoint: signed, and consistent with the last one. */
		size_t cl;
		const char *cp = vg_ledger_checkpoint(lg, &cl);
		struct vg_checkpoint c;
		assert_int_equal(vg_checkpoint_open(cp, cl, &k.pub, &c, &e), VG_OK);
		assert_int_equal(c.size, size);
		if (size < prev_size)
			fail_msg("iteration %u: size went backwards %" PRIu64 " -> %" PRIu64, it, prev_size,
			         size);
		if (prev_size > 0) {
			struct vg_merkle_proof p;
			assert_int_equal(vg_ledger_prove_consistency(lg, prev_size, size, &p, &e), VG_OK);
			if (vg_merkle_verify_consistency(prev_size, size, &p, prev_root, c.root, &e) !=
			    VG_OK)
				fail_msg("iteration %u: checkpoint %" PRIu64 " inconsistent with %" PRIu64
				         ": %s", it, size, prev_size, e.msg);
		}
		/* The last entries read back, at their own index. */
		for (uint64_t i = size > 3 ? size - 3 : 0; i < size; i++) {
			uint8_t buf[VG_LEDGER_ENTRY_MAX];
			size_t l;
			struct audit_ctx ac = {0};
			assert_int_equal(vg_ledger_entry(lg, i, buf, sizeof buf, &l, &e), VG_OK);
			assert_int_equal(entry_at_its_index(&ac, i, buf, l, &e), VG_OK);
		}
		prev_size = size;
		memcpy(prev_root, c.root, VG_HASH_BYTES);
		vg_ledger_free(lg);
	}
	fprintf(stderr, "sigkill_recovery: %" PRIu64 " entries, %" PRIu64 " acknowledged batches, "
	        "%" PRIu64 " kills between a durable sync and its acknowledgement\n",
	        prev_size, acked_total, kills_mid_batch);
	assert_true(prev_size > 0);
	struct vg_ledger_audit a;
	struct audit_ctx ac = {0};
	if (vg_ledger_audit(dir, &k.pub, entry_at_its_index, &ac, &a, &e) != VG_OK)
		fail_msg("final audit: %s", e.msg);
	assert_int_equal(a.checkpoint.size, prev_size);
	assert_int_equal(ac.count, prev_size);
	tu_rmdir(tmp);
}

int main(void)
{
	if (vg_crypto_init() != VG_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigkill_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * witness.c - a local witness with c2sp.org/tlog-witness semantics: keep
 * the last cosigned checkpoint of a log, cosign a new one only if it is
 * provably consistent with it (c2sp.org/tlog-cosignature, cosignature/v1),
 * and report a split view with both checkpoints as evidence.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void evidence(struct vg_witness_evidence *ev, const char *old, size_t old_len,
                     const char *new, size_t new_len)
{
	if (!ev)
		return;
	memcpy(ev->cosigned, old, old_len);
	ev->cosigned[old_len < VG_NOTE_MAX ? old_len : VG_NOTE_MAX - 1] = '\0';
	ev->cosigned_len = old_len;
	memcpy(ev->offered, new, new_len);
	ev->offered[new_len < VG_NOTE_MAX ? new_len : VG_NOTE_MAX - 1] = '\0';
	ev->offered_len = new_len;
}

/* Write the state file atomically next to itself. */
static vg_status save_state(const char *path, const char *data, size_t len, struct vg_err *err)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return vg_err_set(err, VG_ERR_LIMIT, "%s: path too long", path);
	/* vg_ledger_replace_file works relative to a directory fd. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = path, *tbase = tmp;
	if (slash) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		base = path + (slash - dir) + 1;
		tbase = tmp + (slash - dir) + 1;
	} else {
		snprintf(dir, sizeof dir, ".");
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", dir, strerror(errno));
	vg_status st = vg_ledger_replace_file(dfd, tbase, base, data, len, false, err);
	close(dfd);
	return st;
}

vg_status vg_witness_cosign(const char *state_path, const struct vg_note_signer *witness,
                            const struct vg_note_verifier *log_key, const char *checkpoint,
                            size_t len, const struct vg_merkle_proof *proof, int64_t now_s,
                            char *line, size_t cap, size_t *line_len,
                            struct vg_witness_evidence *ev, struct vg_err *err)
{
	if (witness->pub.type != VG_NOTE_COSIGNATURE_V1)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "witness key %s is not a cosignature/v1 key",
		                  witness->pub.name);
	struct vg_checkpoint cur, old;
	vg_status st = vg_checkpoint_open(checkpoint, len, log_key, &cur, err);
	if (st != VG_OK)
		return st;
	struct vg_note *n = malloc(sizeof *n);
	char *state = malloc(VG_NOTE_MAX + 1);
	char *next = malloc(VG_NOTE_MAX + VG_NOTE_SIGLINE_MAX + 1);
	if (!n || !state || !next) {
		st = vg_err_set(err, VG_ERR_NOMEM, "witness");
		goto out_free;
	}
	/* The last cosigned checkpoint, if any: it must still verify. */
	size_t sl = 0;
	bool have_old = false;
	int sfd = open(state_path, O_RDONLY | O_CLOEXEC);
	if (sfd < 0 && errno != ENOENT) {
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", state_path, strerror(errno));
		goto out_free;
	}
	if (sfd >= 0) {
		close(sfd);
		st = vg_ledger_read_file(AT_FDCWD, state_path, (uint8_t *)state, VG_NOTE_MAX, &sl, err);
		if (st == VG_OK) {
			struct vg_note_verifier known[2] = {*log_key, witness->pub};
			st = vg_note_open(state, sl, known, 2, n, err);
		}
		if (st == VG_OK)
			st = vg_checkpoint_parse(n->text, n->text_len, &old, err);
		if (st == VG_OK && strcmp(old.origin, log_key->name) != 0)
			st = vg_err_set(err, VG_ERR_INVALID_ARG, "holds a checkpoint of %s, not %s",
			                old.origin, log_key->name);
		if (st != VG_OK) {
			vg_err_prefix(err, "witness state %s", state_path);
			goto out_free;
		}
		have_old = true;
	}
	if (have_old) {
		if (cur.size < old.size) {
			st = vg_err_set(err, VG_ERR_RANGE, "checkpoint size %" PRIu64 " goes backwards "
			                "from the cosigned size %" PRIu64, cur.size, old.size);
			goto out_free;
		}
		st = vg_checkpoint_consistent(&old, &cur, proof, err);
		if (st == VG_ERR_INCONSISTENT) {
			evidence(ev, state, sl, checkpoint, len);
			vg_err_prefix(err, "split view or broken log: the offered checkpoint (size %" PRIu64
			              ") is not shown consistent with the cosigned one (size %" PRIu64 ")",
			              cur.size, old.size);
		}
		if (st != VG_OK)
			goto out_free;
	} else {
		uint8_t empty[VG_HASH_BYTES];
		vg_merkle_empty_root(empty);
		if (proof && proof->n) {
			st = vg_err_set(err, VG_ERR_INCONSISTENT, "no checkpoint cosigned yet: the proof "
			                "from size 0 must be empty");
			goto out_free;
		}
		if (cur.size == 0 && memcmp(cur.root, empty, VG_HASH_BYTES) != 0) {
			st = vg_err_set(err, VG_ERR_INCONSISTENT, "a checkpoint of size 0 whose root is "
			                "not the empty root");
			goto out_free;
		}
	}
	/* Record first, then cosign. */
	struct vg_note on;
	if ((st = vg_note_open(checkpoint, len, log_key, 1, &on, err)) != VG_OK)
		goto out_free;
	char sig[VG_NOTE_SIGLINE_MAX];
	size_t sigl;
	if ((st = vg_note_sign_line(witness, on.text, on.text_len, now_s, sig, sizeof sig, &sigl,
	                            err)) != VG_OK)
		goto out_free;
	if (len + sigl > VG_NOTE_MAX) {
		st = vg_err_set(err, VG_ERR_LIMIT, "cosigned checkpoint over %d bytes", VG_NOTE_MAX);
		goto out_free;
	}
	if (sigl + 1 > cap) {
		st = vg_err_set(err, VG_ERR_LIMIT, "cosignature line does not fit in %zu bytes", cap);
		goto out_free;
	}
	memcpy(next, checkpoint, len);
	memcpy(next + len, sig, sigl);
	if ((st = save_state(state_path, next, len + sigl, err)) != VG_OK)
		goto out_free;
	memcpy(line, sig, sigl + 1);
	*line_len = sigl;
out_free:
	free(next);
	free(state);
	free(n);
	return st;
}

/*
 * fuzz_note.c - libFuzzer target for the ledger's text parsers that face
 * data from outside (a mirror, a witness, a key file):
 *  - vg_note_open against fixed known keys (the log key "vigil.test/log",
 *    type 0x01, and a witness key "vigil.test/witness", type 0x04);
 *  - vg_checkpoint_parse / vg_checkpoint_open / vg_checkpoint_final;
 *  - vg_note_verifier_parse and vg_note_signer_parse on the input as a
 *    key string (the trailing newline of a key file stripped).
 * Oracles: a parse that succeeds must round-trip (format -> parse gives
 * the same value, and a checkpoint's first three lines are exactly its
 * canonical form), an opened note must satisfy the invariants of
 * struct vg_note, and anything accepted as a note text, once signed with
 * the fixed keys, must open again with the same text and checkpoint. The
 * fuzzer cannot forge signatures, so that last step is what carries
 * mutated texts past signature verification.
 *
 * Build: make fuzz (clang, -fsanitize=fuzzer); the seed corpus is
 * fuzz/corpus/note and CTest replays it (fuzz/replay_main.c).
 */
#include "ledger/ledger.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vg_note_signer log_sk, wit_sk;
static struct vg_note_verifier known[2];

static void setup(void)
{
	struct vg_err err;
	uint8_t seed[VG_SEED_BYTES];
	if (vg_crypto_init() != VG_OK)
		abort();
	memset(seed, 0x11, sizeof seed);
	if (vg_note_signer_from_seed("vigil.test/log", VG_NOTE_ED25519, seed, &log_sk, &err) != VG_OK)
		abort();
	memset(seed, 0x22, sizeof seed);
	if (vg_note_signer_from_seed("vigil.test/witness", VG_NOTE_COSIGNATURE_V1, seed, &wit_sk,
	                             &err) != VG_OK)
		abort();
	known[0] = log_sk.pub;
	known[1] = wit_sk.pub;
}

static bool cp_eq(const struct vg_checkpoint *a, const struct vg_checkpoint *b)
{
	return strcmp(a->origin, b->origin) == 0 && a->size == b->size &&
	       memcmp(a->root, b->root, VG_HASH_BYTES) == 0;
}

static void check_note(const char *msg, size_t len, const struct vg_note *n, size_t nknown)
{
	vg_assert(n->text == msg && n->text_len >= 1 && n->text_len < len);
	vg_assert(msg[n->text_len - 1] == '\n' && msg[n->text_len] == '\n');
	vg_assert(n->nverified >= 1 && n->nverified <= n->nsigs && n->nsigs <= VG_NOTE_SIGS_MAX);
	size_t verified = 0;
	for (size_t k = 0; k < n->nsigs; k++) {
		const struct vg_note_sig *s = &n->sigs[k];
		vg_assert(s->name > msg + n->text_len && s->name + s->name_len < msg + len);
		vg_assert(vg_note_name_valid(s->name, s->name_len));
		vg_assert(s->verifier >= -1 && s->verifier < (int)nknown);
		if (s->verifier >= 0) {
			const struct vg_note_verifier *v = &known[s->verifier];
			verified++;
			vg_assert(v->key_id == s->key_id && strlen(v->name) == s->name_len &&
			          memcmp(v->name, s->name, s->name_len) == 0);
			vg_assert(v->type == VG_NOTE_COSIGNATURE_V1 ? s->timestamp >= 0
			                                            : s->timestamp == -1);
		}
		for (size_t j = 0; j < k; j++) /* duplicates are dropped */
			vg_assert(!(n->sigs[j].name_len == s->name_len && n->sigs[j].key_id == s->key_id &&
			            memcmp(n->sigs[j].name, s->name, s->name_len) == 0));
	}
	vg_assert(verified == n->nverified);
}

/* The input as a key string: both parsers, round trip on success. */
static void fuzz_keys(const char *s, size_t len)
{
	struct vg_err err;
	if (len && s[len - 1] == '\n')
		len--;
	struct vg_note_verifier v, v2;
	vg_err_clear(&err);
	if (vg_note_verifier_parse(s, len, &v, &err) == VG_OK) {
		char out[VG_NOTE_VKEY_MAX];
		size_t n = vg_note_verifier_format(&v, out, sizeof out);
		vg_assert(n == len && strncasecmp(out, s, len) == 0); /* hex in either case */
		vg_assert(vg_note_verifier_parse(out, n, &v2, &err) == VG_OK);
		vg_assert(memcmp(&v, &v2, sizeof v) == 0);
		vg_assert(vg_note_key_id(v.name, v.type, v.pk) == v.key_id);
	} else {
		vg_assert(err.status == VG_ERR_KEY && err.msg[0]);
	}
	struct vg_note_signer sk, sk2;
	vg_err_clear(&err);
	if (vg_note_signer_parse(s, len, &sk, &err) == VG_OK) {
		char out[VG_NOTE_SKEY_MAX];
		size_t n = vg_note_signer_format(&sk, out, sizeof out);
		vg_assert(n == len && strncasecmp(out, s, len) == 0);
		vg_assert(vg_note_signer_parse(out, n, &sk2, &err) == VG_OK);
		vg_assert(memcmp(&sk.pub, &sk2.pub, sizeof sk.pub) == 0);
		vg_note_signer_wipe(&sk);
		vg_note_signer_wipe(&sk2);
	} else {
		vg_assert(err.status == VG_ERR_KEY && err.msg[0]);
	}
}

/* The input as a checkpoint body: canonical form and round trip. */
static bool fuzz_checkpoint_text(const char *s, size_t len, struct vg_checkpoint *cp)
{
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_checkpoint_parse(s, len, cp, &err) != VG_OK) {
		vg_assert(err.status == VG_ERR_VERSION && err.msg[0]);
		return false;
	}
	char out[VG_NOTE_NAME_MAX + 70];
	size_t n = vg_checkpoint_format(cp, out, sizeof out);
	vg_assert(n > 0 && n <= len && memcmp(out, s, n) == 0);
	vg_assert(n == len || s[n] != '\n'); /* extension lines are non-empty */
	struct vg_checkpoint c2;
	vg_assert(vg_checkpoint_parse(out, n, &c2, &err) == VG_OK && cp_eq(cp, &c2));
	vg_assert(cp->size <= VG_LEDGER_SIZE_MAX);
	return true;
}

/* A valid note text: sign it with the log key, cosign it with the witness,
 * and open the result again. */
static void fuzz_sign_roundtrip(const char *text, size_t len, bool is_cp,
                                const struct vg_checkpoint *cp)
{
	struct vg_err err;
	if (len + 2 * VG_NOTE_SIGLINE_MAX + 2 > VG_NOTE_MAX)
		return;
	char *buf = malloc(VG_NOTE_MAX + 1);
	vg_assert(buf);
	size_t n = 0;
	vg_err_clear(&err);
	vg_status st = vg_note_sign(&log_sk, text, len, 0, buf, VG_NOTE_MAX + 1, &n, &err);
	if (st != VG_OK) { /* only a text the spec refuses */
		vg_assert(st == VG_ERR_INVALID_ARG);
		free(buf);
		return;
	}
	size_t ll = 0;
	vg_assert(vg_note_sign_line(&wit_sk, text, len, 1700000000, buf + n, VG_NOTE_MAX + 1 - n,
	                            &ll, &err) == VG_OK);
	n += ll;
	struct vg_note note;
	vg_assert(vg_note_open(buf, n, known, 2, &note, &err) == VG_OK);
	check_note(buf, n, &note, 2);
	vg_assert(note.text_len == len && memcmp(note.text, text, len) == 0);
	vg_assert(note.nsigs == 2 && note.nverified == 2 && note.sigs[1].timestamp == 1700000000);
	/* Only the log key known: the cosignature is kept, unverified. */
	vg_assert(vg_note_open(buf, n, known, 1, &note, &err) == VG_OK);
	vg_assert(note.nsigs == 2 && note.nverified == 1 && note.sigs[1].verifier == -1);
	/* Only the witness known: still opens (one verified signature). */
	vg_assert(vg_note_open(buf, n, known + 1, 1, &note, &err) == VG_OK);
	vg_assert(note.nverified == 1 && note.sigs[0].verifier == -1);

	struct vg_checkpoint c;
	vg_err_clear(&err);
	st = vg_checkpoint_open(buf, n, &log_sk.pub, &c, &err);
	if (is_cp) {
		bool mine = strcmp(cp->origin, log_sk.pub.name) == 0;
		vg_assert(mine ? st == VG_OK && cp_eq(&c, cp) : st == VG_ERR_INCONSISTENT);
		size_t cosigned = 9;
		bool final = false;
		st = vg_checkpoint_final(buf, n, &log_sk.pub, &wit_sk.pub, 1, 1, &cosigned, &final,
		                         &err);
		vg_assert(mine ? st == VG_OK && cosigned == 1 && final : st == VG_ERR_INCONSISTENT);
	} else {
		vg_assert(st == VG_ERR_VERSION);
	}
	/* Flip one byte of the text: the log signature must no longer verify. */
	if (len > 1) {
		size_t at = (len * 7 + 3) % (len - 1);
		buf[at] = buf[at] == 'a' ? 'b' : 'a';
		vg_assert(vg_note_open(buf, n, known, 2, &note, &err) != VG_OK);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	const char *s = (const char *)data;
	struct vg_err err;
	struct vg_note note;

	/* 1. The input as a signed note, against both keys and each alone. */
	for (size_t nk = 0; nk < 3; nk++) {
		const struct vg_note_verifier *kk = nk == 2 ? known + 1 : known;
		size_t cnt = nk == 0 ? 2 : 1;
		vg_err_clear(&err);
		vg_status st = vg_note_open(s, size, kk, cnt, &note, &err);
		if (st == VG_OK) {
			if (nk == 2) { /* check_note indexes known[], shifted by one here */
				vg_assert(note.nverified >= 1);
			} else {
				check_note(s, size, &note, cnt);
			}
		} else {
			vg_assert(st == err.status && err.msg[0]);
		}
	}
	struct vg_checkpoint cp;
	vg_err_clear(&err);
	vg_status st = vg_checkpoint_open(s, size, &log_sk.pub, &cp, &err);
	if (st == VG_OK)
		vg_assert(strcmp(cp.origin, log_sk.pub.name) == 0);
	size_t cosigned = 0;
	bool final = false;
	vg_err_clear(&err);
	st = vg_checkpoint_final(s, size, &log_sk.pub, &wit_sk.pub, 1, 1, &cosigned, &final, &err);
	if (st == VG_OK)
		vg_assert(cosigned <= 1 && final == (cosigned == 1));

	/* 2. The input as a checkpoint body and as a note text to sign. */
	bool is_cp = fuzz_checkpoint_text(s, size, &cp);
	fuzz_sign_roundtrip(s, size, is_cp, &cp);

	/* 3. The input as a key string. */
	fuzz_keys(s, size);
	return 0;
}

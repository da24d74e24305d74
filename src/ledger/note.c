/*
 * note.c - C2SP signed notes with Ed25519 (type 0x01) and cosignature/v1
 * (type 0x04) signatures, Go-compatible key strings and key files, and
 * C2SP tlog-checkpoint bodies.
 *
 * Formats: c2sp.org/signed-note, c2sp.org/tlog-checkpoint,
 * c2sp.org/tlog-cosignature; key strings as golang.org/x/mod/sumdb/note
 * (NewVerifier / NewSigner).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char SIG_PREFIX[] = "\xe2\x80\x94 "; /* em dash U+2014, space */
#define SIG_PREFIX_LEN 4
#define COSIG_HEADER "cosignature/v1\ntime "

/* ---- Names and key IDs -------------------------------------------------- */

/* Decode one code point of already-validated UTF-8. */
static uint32_t utf8_next(const uint8_t *s, size_t *i)
{
	uint8_t c = s[*i];
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	uint32_t cp = c & (0x3f >> n);
	for (int k = 1; k <= n; k++)
		cp = cp << 6 | (s[*i + (size_t)k] & 0x3f);
	*i += (size_t)n + 1;
	return cp;
}

/* Go's unicode.IsSpace. */
static bool is_unicode_space(uint32_t cp)
{
	switch (cp) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

bool vg_note_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > VG_NOTE_NAME_MAX || !vg_utf8_valid(name, len, NULL))
		return false;
	const uint8_t *s = (const uint8_t *)name;
	for (size_t i = 0; i < len;) {
		uint32_t cp = utf8_next(s, &i);
		if (cp == '+' || cp < 0x20 || cp == 0x7f || is_unicode_space(cp))
			return false;
	}
	return true;
}

uint32_t vg_note_key_id(const char *name, uint8_t type, const uint8_t pk[VG_PK_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[32];
	uint8_t sep[2] = {'\n', type};
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, VG_PK_BYTES);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static bool type_known(uint8_t t)
{
	return t == VG_NOTE_ED25519 || t == VG_NOTE_COSIGNATURE_V1;
}

/* ---- Key strings -------------------------------------------------------- */

/* Split s at the first '+': [s, *rest) and (rest after '+'). */
static bool chop(const char **s, size_t *len, const char **field, size_t *flen)
{
	const char *p = memchr(*s, '+', *len);
	if (!p)
		return false;
	*field = *s;
	*flen = (size_t)(p - *s);
	*len -= *flen + 1;
	*s = p + 1;
	return true;
}

/* Shared tail of both key strings: "<name>+<hex8>+<base64(type || 32 bytes)>". */
static vg_status parse_key_tail(const char *s, size_t len, const char *what, char *name,
                                uint32_t *key_id, uint8_t *type, uint8_t key32[32],
                                struct vg_err *err)
{
	const char *f;
	size_t fl;
	if (!chop(&s, &len, &f, &fl) || !vg_note_name_valid(f, fl))
		return vg_err_set(err, VG_ERR_KEY, "%s: missing or invalid key name", what);
	memcpy(name, f, fl);
	name[fl] = '\0';
	if (!chop(&s, &len, &f, &fl) || fl != 8)
		return vg_err_set(err, VG_ERR_KEY, "%s: key id must be 8 hex digits", what);
	uint8_t idb[4];
	if (vg_hex_decode(f, 8, idb, 4) != VG_OK)
		return vg_err_set(err, VG_ERR_KEY, "%s: key id must be 8 hex digits", what);
	*key_id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];
	uint8_t raw[34];
	size_t n = 0;
	struct vg_err e2;
	if (vg_b64_decode(s, len, raw, sizeof raw, &n, &e2) != VG_OK || n != 33) {
		sodium_memzero(raw, sizeof raw);
		return vg_err_set(err, VG_ERR_KEY, "%s: key data must be base64 of 33 bytes", what);
	}
	*type = raw[0];
	memcpy(key32, raw + 1, 32);
	sodium_memzero(raw, sizeof raw);
	if (!type_known(*type))
		return vg_err_set(err, VG_ERR_KEY, "%s: unsupported signature type 0x%02x", what,
		                  *type);
	return VG_OK;
}

vg_status vg_note_verifier_parse(const char *s, size_t len, struct vg_note_verifier *v,
                                 struct vg_err *err)
{
	struct vg_note_verifier t;
	memset(&t, 0, sizeof t);
	vg_status st = parse_key_tail(s, len, "verifier key", t.name, &t.key_id, &t.type, t.pk, err);
	if (st != VG_OK)
		return st;
	if (vg_key_check_public(t.pk, err) != VG_OK) {
		vg_err_prefix(err, "verifier key %s", t.name);
		return VG_ERR_KEY;
	}
	if (vg_note_key_id(t.name, t.type, t.pk) != t.key_id)
		return vg_err_set(err, VG_ERR_KEY, "verifier key %s: key id %08" PRIx32
		                  " does not match the key", t.name, t.key_id);
	*v = t;
	return VG_OK;
}

size_t vg_note_verifier_format(const struct vg_note_verifier *v, char *out, size_t cap)
{
	uint8_t raw[33];
	char b64[48];
	raw[0] = v->type;
	memcpy(raw + 1, v->pk, 32);
	vg_b64_encode(raw, 33, b64);
	int n = snprintf(out, cap, "%s+%08" PRIx32 "+%s", v->name, v->key_id, b64);
	return n < 0 ? 0 : (size_t)n;
}

static vg_status signer_from_seed(const char *name, uint8_t type, const uint8_t seed[32],
                                  struct vg_note_signer *sk, struct vg_err *err)
{
	if (!vg_note_name_valid(name, strlen(name))) {
		char q[80];
		vg_quote(name, strlen(name), q, sizeof q);
		return vg_err_set(err, VG_ERR_KEY, "key name %s: must be 1..%d bytes of UTF-8 "
		                  "without spaces or '+'", q, VG_NOTE_NAME_MAX);
	}
	if (!type_known(type))
		return vg_err_set(err, VG_ERR_INVALID_ARG, "signature type 0x%02x", type);
	memset(sk, 0, sizeof *sk);
	vg_key_from_seed(&sk->key, seed);
	snprintf(sk->pub.name, sizeof sk->pub.name, "%s", name);
	sk->pub.type = type;
	memcpy(sk->pub.pk, sk->key.pk, VG_PK_BYTES);
	sk->pub.key_id = vg_note_key_id(name, type, sk->pub.pk);
	return VG_OK;
}

vg_status vg_note_signer_from_seed(const char *name, uint8_t type,
                                   const uint8_t seed[VG_SEED_BYTES], struct vg_note_signer *sk,
                                   struct vg_err *err)
{
	return signer_from_seed(name, type, seed, sk, err);
}

vg_status vg_note_signer_generate(const char *name, uint8_t type, struct vg_note_signer *sk,
                                  struct vg_err *err)
{
	uint8_t seed[VG_SEED_BYTES];
	randombytes_buf(seed, sizeof seed);
	vg_status st = signer_from_seed(name, type, seed, sk, err);
	sodium_memzero(seed, sizeof seed);
	return st;
}

void vg_note_signer_wipe(struct vg_note_signer *sk)
{
	sodium_memzero(sk, sizeof *sk);
}

vg_status vg_note_signer_parse(const char *s, size_t len, struct vg_note_signer *sk,
                               struct vg_err *err)
{
	static const char pre[] = "PRIVATE+KEY+";
	if (len < sizeof pre - 1 || memcmp(s, pre, sizeof pre - 1) != 0)
		return vg_err_set(err, VG_ERR_KEY, "private key: must start with PRIVATE+KEY+");
	char name[VG_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t type, seed[32];
	vg_status st = parse_key_tail(s + sizeof pre - 1, len - (sizeof pre - 1), "private key",
	                              name, &id, &type, seed, err);
	if (st == VG_OK) {
		struct vg_note_signer t;
		st = signer_from_seed(name, type, seed, &t, err);
		if (st == VG_OK && t.pub.key_id != id)
			st = vg_err_set(err, VG_ERR_KEY, "private key %s: key id %08" PRIx32
			                " does not match the key", name, id);
		if (st == VG_OK)
			*sk = t;
		sodium_memzero(&t, sizeof t);
	}
	sodium_memzero(seed, sizeof seed);
	return st;
}

size_t vg_note_signer_format(const struct vg_note_signer *sk, char *out, size_t cap)
{
	uint8_t raw[33];
	char b64[48];
	raw[0] = sk->pub.type;
	memcpy(raw + 1, sk->key.seed, 32);
	vg_b64_encode(raw, 33, b64);
	int n = snprintf(out, cap, "PRIVATE+KEY+%s+%08" PRIx32 "+%s", sk->pub.name,
	                 sk->pub.key_id, b64);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(b64, sizeof b64);
	return n < 0 ? 0 : (size_t)n;
}

/* fsync the directory holding path, so that a new name in it is durable. */
static int fsync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

vg_status vg_note_key_write(const char *path, const struct vg_note_signer *sk, struct vg_err *err)
{
	char line[VG_NOTE_SKEY_MAX + 1];
	size_t n = vg_note_signer_format(sk, line, sizeof line - 1);
	line[n++] = '\n';
	vg_status st = VG_OK;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		st = vg_err_set(err, errno == EEXIST ? VG_ERR_EXISTS : VG_ERR_IO, "%s: %s", path,
		                errno == EEXIST ? "exists; refusing to overwrite a key"
		                                : strerror(errno));
		goto out_wipe;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, line, n) != (ssize_t)n || fsync(fd) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && st == VG_OK)
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	if (st == VG_OK && fsync_parent(path) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: fsync of its directory: %s", path, strerror(errno));
	if (st != VG_OK)
		unlink(path);
out_wipe:
	sodium_memzero(line, sizeof line);
	return st;
}

vg_status vg_note_key_read(const char *path, struct vg_note_signer *sk, struct vg_err *err)
{
	char buf[VG_NOTE_SKEY_MAX + 8];
	vg_status st = VG_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", path,
		                  strerror(errno));
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0) {
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
		goto out_wipe;
	}
	if ((size_t)n == sizeof buf) {
		st = vg_err_set(err, VG_ERR_KEY, "%s: too large for a key file", path);
		goto out_wipe;
	}
	size_t len = (size_t)n;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	st = vg_note_signer_parse(buf, len, sk, err);
	if (st != VG_OK)
		vg_err_prefix(err, "%s", path);
out_wipe:
	sodium_memzero(buf, sizeof buf);
	return st;
}

/* ---- Notes -------------------------------------------------------------- */

/* Valid UTF-8 and no control characters other than '\n'. */
static bool note_chars_ok(const char *s, size_t len, size_t *bad)
{
	if (!vg_utf8_valid(s, len, bad))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n') {
			*bad = i;
			return false;
		}
	return true;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The cosignature/v1 signed message into a fresh buffer (caller frees). */
static uint8_t *cosig_message(uint64_t t, const char *text, size_t text_len, size_t *len)
{
	char head[64];
	int hl = snprintf(head, sizeof head, COSIG_HEADER "%" PRIu64 "\n", t);
	uint8_t *m = malloc((size_t)hl + text_len);
	if (!m)
		return NULL;
	memcpy(m, head, (size_t)hl);
	memcpy(m + hl, text, text_len);
	*len = (size_t)hl + text_len;
	return m;
}

/* Verify payload (after the key ID) for a known key. */
static bool verify_payload(const struct vg_note_verifier *v, const char *text, size_t text_len,
                           const uint8_t *sig, size_t sig_len, int64_t *ts)
{
	*ts = -1;
	if (v->type == VG_NOTE_ED25519)
		return sig_len == VG_SIG_BYTES &&
		       vg_verify(v->pk, (const uint8_t *)text, text_len, sig);
	if (v->type != VG_NOTE_COSIGNATURE_V1 || sig_len != 8 + VG_SIG_BYTES)
		return false;
	uint64_t t = get_be64(sig);
	if (t > (uint64_t)INT64_MAX)
		return false;
	size_t ml;
	uint8_t *m = cosig_message(t, text, text_len, &ml);
	if (!m)
		return false;
	bool ok = vg_verify(v->pk, m, ml, sig + 8);
	free(m);
	if (ok)
		*ts = (int64_t)t;
	return ok;
}

vg_status vg_note_open(const char *msg, size_t len, const struct vg_note_verifier *known,
                       size_t nknown, struct vg_note *note, struct vg_err *err)
{
	if (len > VG_NOTE_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "note: %zu bytes, the limit is %d", len,
		                  VG_NOTE_MAX);
	size_t bad = 0;
	if (!note_chars_ok(msg, len, &bad))
		return vg_err_set(err, VG_ERR_VERSION,
		                  "note: byte %zu: invalid UTF-8 or a control character", bad);
	/* The text ends at the last blank line. */
	size_t split = SIZE_MAX;
	for (size_t i = len; i >= 2; i--)
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n') {
			split = i - 2;
			break;
		}
	if (split == SIZE_MAX)
		return vg_err_set(err, VG_ERR_VERSION, "note: no blank line before the signatures");
	size_t text_len = split + 1;
	const char *sigs = msg + split + 2;
	size_t sigs_len = len - (split + 2);
	if (sigs_len == 0 || sigs[sigs_len - 1] != '\n')
		return vg_err_set(err, VG_ERR_VERSION, "note: signature block missing or not "
		                  "ending in a newline");

	struct vg_note *n = malloc(sizeof *n);
	if (!n)
		return vg_err_set(err, VG_ERR_NOMEM, "note");
	n->text = msg;
	n->text_len = text_len;
	n->nsigs = 0;
	n->nverified = 0;
	vg_status st = VG_OK;
	size_t lines = 0;
	for (size_t pos = 0; pos < sigs_len;) {
		const char *line = sigs + pos;
		const char *nl = memchr(line, '\n', sigs_len - pos);
		size_t ll = (size_t)(nl - line);
		pos += ll + 1;
		if (++lines > VG_NOTE_SIGS_MAX) {
			st = vg_err_set(err, VG_ERR_LIMIT, "note: more than %d signatures",
			                VG_NOTE_SIGS_MAX);
			goto out_free;
		}
		if (ll < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
			st = vg_err_set(err, VG_ERR_VERSION, "note: signature line %zu does not start "
			                "with an em dash and a space", lines);
			goto out_free;
		}
		const char *name = line + SIG_PREFIX_LEN;
		const char *sp = memchr(name, ' ', ll - SIG_PREFIX_LEN);
		if (!sp) {
			st = vg_err_set(err, VG_ERR_VERSION, "note: signature line %zu has no signature",
			                lines);
			goto out_free;
		}
		size_t name_len = (size_t)(sp - name);
		const char *b64 = sp + 1;
		size_t b64_len = (size_t)(line + ll - b64);
		uint8_t raw[4 + 8 + VG_SIG_BYTES + 1];
		size_t rl = 0;
		struct vg_err e2;
		if (!vg_note_name_valid(name, name_len) || b64_len == 0) {
			st = vg_err_set(err, VG_ERR_VERSION, "note: signature line %zu: invalid key name",
			                lines);
			goto out_free;
		}
		vg_status bs = vg_b64_decode(b64, b64_len, raw, sizeof raw, &rl, &e2);
		if (bs == VG_ERR_LIMIT) {
			/* Longer than any type we know: only acceptable from an unknown key;
			 * decode the key ID alone. */
			uint8_t head[6];
			size_t hl = 0;
			if (b64_len < 8 || vg_b64_decode(b64, 8, head, sizeof head, &hl, &e2) != VG_OK) {
				st = vg_err_set(err, VG_ERR_BASE64, "note: signature line %zu: bad base64",
				                lines);
				goto out_free;
			}
			memcpy(raw, head, 4);
			rl = SIZE_MAX; /* marks "too long for a known type" */
		} else if (bs != VG_OK || rl < 5) {
			st = vg_err_set(err, VG_ERR_BASE64, "note: signature line %zu: bad base64 or "
			                "too short", lines);
			goto out_free;
		}
		uint32_t id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
		              (uint32_t)raw[2] << 8 | raw[3];
		/* A key (name, key ID) signing twice is kept once; a known key's
		 * second signature is still verified below. */
		bool dup = false;
		for (size_t k = 0; k < n->nsigs && !dup; k++) {
			const struct vg_note_sig *o = &n->sigs[k];
			dup = o->name_len == name_len && !memcmp(o->name, name, name_len) &&
			      o->key_id == id;
		}
		int vi = -1;
		int64_t ts = -1;
		bool matched = false, ok = false;
		for (size_t k = 0; k < nknown; k++) {
			if (known[k].key_id != id || strlen(known[k].name) != name_len ||
			    memcmp(known[k].name, name, name_len) != 0)
				continue;
			matched = true;
			if (rl != SIZE_MAX &&
			    verify_payload(&known[k], msg, text_len, raw + 4, rl - 4, &ts)) {
				ok = true;
				vi = (int)k;
				break;
			}
		}
		if (matched && !ok) {
			st = vg_err_set(err, VG_ERR_SIGNATURE, "note: signature by %.*s (key id %08"
			                PRIx32 ") does not verify", (int)name_len, name, id);
			goto out_free;
		}
		if (dup)
			continue;
		struct vg_note_sig *s = &n->sigs[n->nsigs++];
		s->name = name;
		s->name_len = name_len;
		s->key_id = id;
		s->verifier = vi;
		s->timestamp = ts;
		if (vi >= 0)
			n->nverified++;
	}
	if (n->nverified == 0) {
		char who[256] = "";
		size_t w = 0;
		for (size_t k = 0; k < n->nsigs && w + 4 < sizeof who; k++) {
			int m = snprintf(who + w, sizeof who - w, "%s%.*s", k ? ", " : "",
			                 (int)n->sigs[k].name_len, n->sigs[k].name);
			if (m < 0)
				break;
			w += (size_t)m;
		}
		st = vg_err_set(err, VG_ERR_SIGNATURE, "note: no signature by a known key (signed by %s)",
		                who);
		goto out_free;
	}
	*note = *n;
out_free:
	free(n);
	return st;
}

static vg_status check_text(const char *text, size_t len, struct vg_err *err)
{
	size_t bad;
	if (len == 0 || text[len - 1] != '\n')
		return vg_err_set(err, VG_ERR_INVALID_ARG, "note text must end in a newline");
	if (!note_chars_ok(text, len, &bad))
		return vg_err_set(err, VG_ERR_INVALID_ARG,
		                  "note text: byte %zu: invalid UTF-8 or a control character", bad);
	return VG_OK;
}

vg_status vg_note_sign_line(const struct vg_note_signer *sk, const char *text, size_t text_len,
                            int64_t time_s, char *line, size_t cap, size_t *line_len,
                            struct vg_err *err)
{
	vg_status st = check_text(text, text_len, err);
	if (st != VG_OK)
		return st;
	uint8_t raw[4 + 8 + VG_SIG_BYTES];
	size_t rl;
	raw[0] = (uint8_t)(sk->pub.key_id >> 24);
	raw[1] = (uint8_t)(sk->pub.key_id >> 16);
	raw[2] = (uint8_t)(sk->pub.key_id >> 8);
	raw[3] = (uint8_t)sk->pub.key_id;
	if (sk->pub.type == VG_NOTE_ED25519) {
		vg_sign(&sk->key, (const uint8_t *)text, text_len, raw + 4);
		rl = 4 + VG_SIG_BYTES;
	} else if (sk->pub.type == VG_NOTE_COSIGNATURE_V1) {
		if (time_s < 0)
			return vg_err_set(err, VG_ERR_INVALID_ARG, "cosignature time %" PRId64, time_s);
		size_t ml;
		uint8_t *m = cosig_message((uint64_t)time_s, text, text_len, &ml);
		if (!m)
			return vg_err_set(err, VG_ERR_NOMEM, "cosignature");
		put_be64(raw + 4, (uint64_t)time_s);
		vg_sign(&sk->key, m, ml, raw + 12);
		free(m);
		rl = sizeof raw;
	} else {
		return vg_err_set(err, VG_ERR_INVALID_ARG, "signature type 0x%02x", sk->pub.type);
	}
	char b64[128];
	vg_b64_encode(raw, rl, b64);
	int n = snprintf(line, cap, "%s%s %s\n", SIG_PREFIX, sk->pub.name, b64);
	if (n < 0 || (size_t)n >= cap)
		return vg_err_set(err, VG_ERR_LIMIT, "signature line does not fit in %zu bytes", cap);
	*line_len = (size_t)n;
	return VG_OK;
}

vg_status vg_note_sign(const struct vg_note_signer *sk, const char *text, size_t text_len,
                       int64_t time_s, char *out, size_t cap, size_t *out_len, struct vg_err *err)
{
	char line[VG_NOTE_SIGLINE_MAX];
	size_t ll;
	vg_status st = vg_note_sign_line(sk, text, text_len, time_s, line, sizeof line, &ll, err);
	if (st != VG_OK)
		return st;
	if (text_len + 1 + ll + 1 > cap)
		return vg_err_set(err, VG_ERR_LIMIT, "signed note does not fit in %zu bytes", cap);
	memmove(out, text, text_len);
	out[text_len] = '\n';
	memcpy(out + text_len + 1, line, ll);
	out[text_len + 1 + ll] = '\0';
	*out_len = text_len + 1 + ll;
	return VG_OK;
}

/* ---- Checkpoints ------------------------------------------------------- */

size_t vg_checkpoint_format(const struct vg_checkpoint *cp, char *out, size_t cap)
{
	char b64[48];
	vg_b64_encode(cp->root, VG_HASH_BYTES, b64);
	int n = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, b64);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

vg_status vg_checkpoint_parse(const char *text, size_t len, struct vg_checkpoint *cp,
                              struct vg_err *err)
{
	struct vg_checkpoint c;
	const char *lines[3];
	size_t lens[3];
	size_t pos = 0;
	if (len == 0 || text[len - 1] != '\n')
		return vg_err_set(err, VG_ERR_VERSION, "checkpoint: text must end in a newline");
	for (int i = 0; i < 3; i++) {
		if (pos >= len)
			return vg_err_set(err, VG_ERR_VERSION, "checkpoint: %d lines, need 3", i);
		const char *nl = memchr(text + pos, '\n', len - pos);
		lines[i] = text + pos;
		lens[i] = (size_t)(nl - lines[i]);
		pos += lens[i] + 1;
	}
	/* Extension lines: non-empty. */
	for (size_t p = pos, ln = 4; p < len; ln++) {
		const char *nl = memchr(text + p, '\n', len - p);
		if (nl == text + p)
			return vg_err_set(err, VG_ERR_VERSION, "checkpoint line %zu: empty extension line",
			                  ln);
		p = (size_t)(nl - text) + 1;
	}
	if (lens[0] == 0 || lens[0] > VG_NOTE_NAME_MAX)
		return vg_err_set(err, VG_ERR_VERSION, "checkpoint line 1: origin empty or longer "
		                  "than %d bytes", VG_NOTE_NAME_MAX);
	memcpy(c.origin, lines[0], lens[0]);
	c.origin[lens[0]] = '\0';
	if (memchr(c.origin, '\0', lens[0]))
		return vg_err_set(err, VG_ERR_VERSION, "checkpoint line 1: NUL in origin");
	/* Size: decimal, no leading zeros, below 2^63. */
	const char *s = lines[1];
	size_t sl = lens[1];
	uint64_t v = 0;
	bool ok = sl > 0 && sl <= 19 && !(sl > 1 && s[0] == '0');
	for (size_t i = 0; ok && i < sl; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!ok || v > VG_LEDGER_SIZE_MAX) {
		char q[40];
		vg_quote(s, sl, q, sizeof q);
		return vg_err_set(err, VG_ERR_VERSION, "checkpoint line 2: size %s: must be a "
		                  "decimal below 2^63 without leading zeros", q);
	}
	c.size = v;
	uint8_t root[VG_HASH_BYTES + 1];
	size_t rl = 0;
	struct vg_err e2;
	if (vg_b64_decode(lines[2], lens[2], root, sizeof root, &rl, &e2) != VG_OK ||
	    rl != VG_HASH_BYTES) {
		char q[64];
		vg_quote(lines[2], lens[2], q, sizeof q);
		return vg_err_set(err, VG_ERR_VERSION, "checkpoint line 3: root %s: must be the "
		                  "base64 of 32 bytes", q);
	}
	memcpy(c.root, root, VG_HASH_BYTES);
	*cp = c;
	return VG_OK;
}

vg_status vg_checkpoint_open(const char *note, size_t len, const struct vg_note_verifier *log_key,
                             struct vg_checkpoint *cp, struct vg_err *err)
{
	if (log_key->type != VG_NOTE_ED25519)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "log key %s is not an Ed25519 note key",
		                  log_key->name);
	struct vg_note n;
	vg_status st = vg_note_open(note, len, log_key, 1, &n, err);
	if (st != VG_OK) {
		vg_err_prefix(err, "checkpoint");
		return st;
	}
	struct vg_checkpoint c;
	if ((st = vg_checkpoint_parse(n.text, n.text_len, &c, err)) != VG_OK)
		return st;
	if (strcmp(c.origin, log_key->name) != 0) {
		char q[80];
		vg_quote(c.origin, strlen(c.origin), q, sizeof q);
		return vg_err_set(err, VG_ERR_INCONSISTENT, "checkpoint: origin %s is not the "
		                  "log %s", q, log_key->name);
	}
	*cp = c;
	return VG_OK;
}

vg_status vg_checkpoint_consistent(const struct vg_checkpoint *a, const struct vg_checkpoint *b,
                                   const struct vg_merkle_proof *proof, struct vg_err *err)
{
	if (strcmp(a->origin, b->origin) != 0)
		return vg_err_set(err, VG_ERR_INCONSISTENT, "checkpoints of two logs (%s, %s)",
		                  a->origin, b->origin);
	if (a->size > b->size) {
		const struct vg_checkpoint *t = a;
		a = b;
		b = t;
	}
	uint8_t empty[VG_HASH_BYTES];
	vg_merkle_empty_root(empty);
	if (a->size == 0 && sodium_memcmp(a->root, empty, VG_HASH_BYTES) != 0)
		return vg_err_set(err, VG_ERR_INCONSISTENT, "a checkpoint of size 0 whose root is not "
		                  "the empty root");
	if (a->size == b->size) {
		if (sodium_memcmp(a->root, b->root, VG_HASH_BYTES) != 0)
			return vg_err_set(err, VG_ERR_INCONSISTENT, "split view: two different roots for "
			                  "size %" PRIu64, a->size);
		if (proof && proof->n)
			return vg_err_set(err, VG_ERR_INCONSISTENT, "equal sizes need an empty proof");
		return VG_OK;
	}
	if (a->size == 0) {
		if (proof && proof->n)
			return vg_err_set(err, VG_ERR_INCONSISTENT, "a proof from size 0 must be empty");
		return VG_OK;
	}
	if (!proof)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "a consistency proof is needed from size %"
		                  PRIu64 " to %" PRIu64, a->size, b->size);
	return vg_merkle_verify_consistency(a->size, b->size, proof, a->root, b->root, err);
}

vg_status vg_checkpoint_final(const char *note, size_t len, const struct vg_note_verifier *log_key,
                              const struct vg_note_verifier *witnesses, size_t nwitnesses,
                              size_t quorum, size_t *cosigned, bool *final, struct vg_err *err)
{
	if (nwitnesses > 4096)
		return vg_err_set(err, VG_ERR_LIMIT, "%zu witnesses", nwitnesses);
	struct vg_note_verifier *known = malloc((nwitnesses + 1) * sizeof *known);
	struct vg_note *n = malloc(sizeof *n);
	bool *counted = calloc(nwitnesses + 1, 1);
	vg_status st = VG_OK;
	if (!known || !n || !counted) {
		st = vg_err_set(err, VG_ERR_NOMEM, "finality check");
		goto out_free;
	}
	known[0] = *log_key;
	for (size_t i = 0; i < nwitnesses; i++) {
		if (witnesses[i].type != VG_NOTE_COSIGNATURE_V1) {
			st = vg_err_set(err, VG_ERR_INVALID_ARG, "witness key %s is not a cosignature/v1 "
			                "key", witnesses[i].name);
			goto out_free;
		}
		known[i + 1] = witnesses[i];
	}
	if ((st = vg_note_open(note, len, known, nwitnesses + 1, n, err)) != VG_OK)
		goto out_free;
	struct vg_checkpoint c;
	if ((st = vg_checkpoint_parse(n->text, n->text_len, &c, err)) != VG_OK)
		goto out_free;
	if (strcmp(c.origin, log_key->name) != 0) {
		st = vg_err_set(err, VG_ERR_INCONSISTENT, "checkpoint of %s, not %s", c.origin,
		                log_key->name);
		goto out_free;
	}
	bool log_signed = false;
	size_t count = 0;
	for (size_t k = 0; k < n->nsigs; k++) {
		int v = n->sigs[k].verifier;
		if (v == 0)
			log_signed = true;
		if (v <= 0 || counted[v])
			continue;
		/* The same key configured twice counts once. */
		bool again = false;
		for (size_t j = 1; j < (size_t)v && !again; j++)
			again = counted[j] && known[j].key_id == known[v].key_id &&
			        !strcmp(known[j].name, known[v].name) &&
			        !memcmp(known[j].pk, known[v].pk, VG_PK_BYTES);
		counted[v] = true;
		if (!again)
			count++;
	}
	if (!log_signed) {
		st = vg_err_set(err, VG_ERR_SIGNATURE, "checkpoint: no valid signature by the log %s",
		                log_key->name);
		goto out_free;
	}
	*cosigned = count;
	*final = count >= quorum;
out_free:
	free(counted);
	free(n);
	free(known);
	return st;
}

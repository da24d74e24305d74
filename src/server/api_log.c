/*
 * api_log.c - the transparency log over HTTP: the checkpoint and tiles at
 * the C2SP tlog-tiles paths under /v1/log/ (served from DB.log/ as is, so
 * any tlog client or mirror can follow it), inclusion and consistency
 * proofs (RFC 9162), and witness cosignature submission.
 *
 * Tile paths are validated to their canonical form before any file is
 * opened (vg_server_tile_path_valid), then opened relative to the log
 * directory with O_NOFOLLOW: nothing outside DB.log/tile/ is reachable.
 * Entry bundles hold every sensor's raw observations, so they go to
 * auditors only (and members with --public-entries); hash tiles and the
 * checkpoint reveal nothing but hashes.
 */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool read_checkpoint(struct vg_server *s, char *buf, size_t cap, size_t *len)
{
	int fd = openat(s->log_dirfd, "checkpoint", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t n = 0;
	ssize_t r;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd);
	*len = n;
	return n > 0 && n < cap;
}

struct cosig_ctx {
	struct vg_buf *b;
	bool have_cp;
};

static int cosig_cb(void *ctx, const struct vg_cosig_row *c)
{
	struct cosig_ctx *cc = ctx;
	if (!cc->have_cp) {
		vg_buf_str(cc->b, c->checkpoint);
		cc->have_cp = true;
	}
	vg_buf_str(cc->b, c->line);
	return 0;
}

enum MHD_Result api_checkpoint(struct vg_server *s, struct MHD_Connection *c, bool cosigned)
{
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	if (cosigned) {
		vg_store *st = srv_read_handle(s);
		if (!st)
			return srv_error(s, c, 503, "unavailable", NULL);
		struct vg_buf b;
		vg_buf_init(&b, VG_NOTE_MAX * 2);
		struct cosig_ctx cc = {.b = &b};
		struct vg_err err;
		vg_status rc = vg_store_cosig_each(st, -1, cosig_cb, &cc, &err);
		srv_read_release(s, st);
		if (rc != VG_OK || !cc.have_cp) {
			vg_buf_release(&b);
			return rc != VG_OK ? srv_error(s, c, 500, "internal", NULL)
			                   : srv_error(s, c, 404, "not_found", "no cosigned checkpoint yet");
		}
		size_t len;
		char *p = vg_buf_detach(&b, &len);
		return srv_reply(s, c, 200, "text/plain; charset=utf-8", p, len);
	}
	char *buf = malloc(VG_NOTE_MAX + 1);
	size_t len;
	if (!buf)
		return MHD_NO;
	if (!read_checkpoint(s, buf, VG_NOTE_MAX + 1, &len)) {
		free(buf);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, buf, free);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	atomic_fetch_add(&s->m.http[2], 1);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result api_tile(struct vg_server *s, struct MHD_Connection *c, const struct principal *p,
                         const char *rel)
{
	static const char *const allowed[] = {NULL};
	const char *bad;
	int level;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	if (!vg_server_tile_path_valid(rel, strlen(rel), &level))
		return srv_error(s, c, 404, "not_found", NULL);
	if (level == VG_TILE_ENTRIES && p->role != VG_ROLE_AUDITOR &&
	    !(s->o.public_entries && p->role == VG_ROLE_MEMBER))
		return srv_error(s, c, 403, "forbidden",
		                 "entry bundles hold every sensor's raw observations: auditors only");
	int fd = openat(s->log_dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return srv_error(s, c, 404, "not_found", NULL);
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return srv_error(s, c, 404, "not_found", NULL);
	}
	struct MHD_Response *r = MHD_create_response_from_fd((size_t)sb.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=31536000, immutable");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	atomic_fetch_add(&s->m.http[2], 1);
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- Proofs --------------------------------------------------------------------------- */

static bool open_ledger(struct vg_server *s, vg_ledger **lg)
{
	struct vg_err err;
	for (int attempt = 0; attempt < 3; attempt++) {
		/* A read-only handle sees the last published checkpoint. Retry once
		 * or twice if the writer replaced a partial tile meanwhile. */
		if (vg_ledger_open(s->log_dir, NULL, 0, lg, &err) == VG_OK)
			return true;
	}
	vg_log(VG_LOG_ERROR, "serve: opening the log: %s", err.msg);
	return false;
}

static void b64_hash(struct vg_buf *b, const uint8_t h[VG_HASH_BYTES])
{
	char t[64];
	size_t n = vg_b64_encode(h, VG_HASH_BYTES, t);
	vg_buf_add(b, "\"", 1);
	vg_buf_add(b, t, n);
	vg_buf_add(b, "\"", 1);
}

static void proof_array(struct vg_buf *b, const struct vg_merkle_proof *pr)
{
	vg_buf_str(b, "[");
	for (size_t i = 0; i < pr->n; i++) {
		if (i)
			vg_buf_str(b, ",");
		b64_hash(b, pr->h[i]);
	}
	vg_buf_str(b, "]");
}

enum MHD_Result api_proof_inclusion(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {"index", "size", NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	int64_t index, size = -1;
	if (!srv_parse_i64(srv_param(c, "index"), 0, INT64_MAX - 1, &index))
		return srv_error(s, c, 400, "bad_parameter", "parameter index: want an entry index");
	const char *v = srv_param(c, "size");
	if (v && !srv_parse_i64(v, 1, INT64_MAX, &size))
		return srv_error(s, c, 400, "bad_parameter", "parameter size: want a tree size >= 1");
	vg_ledger *lg;
	if (!open_ledger(s, &lg))
		return srv_error(s, c, 503, "unavailable", NULL);
	uint64_t durable = vg_ledger_durable_size(lg);
	if (size < 0)
		size = (int64_t)durable;
	if ((uint64_t)size > durable || index >= size) {
		vg_ledger_free(lg);
		return srv_error(s, c, 400, "bad_parameter",
		                 "need index < size <= the size of the published checkpoint");
	}
	struct vg_merkle_proof pr;
	uint8_t root[VG_HASH_BYTES], leaf[VG_HASH_BYTES];
	struct vg_err err;
	vg_status rc = vg_ledger_prove_inclusion(lg, (uint64_t)index, (uint64_t)size, &pr, &err);
	if (!rc)
		rc = vg_ledger_root(lg, (uint64_t)size, root, &err);
	if (!rc)
		rc = vg_ledger_leaf_hash(lg, (uint64_t)index, leaf, &err);
	vg_ledger_free(lg);
	if (rc) {
		vg_log(VG_LOG_ERROR, "serve: inclusion proof: %s", err.msg);
		return srv_error(s, c, 500, "internal", NULL);
	}
	struct vg_buf b;
	vg_buf_init(&b, 8192);
	vg_buf_printf(&b, "{\"leafIdx\":%lld,\"treeSize\":%lld,\"leafHash\":", (long long)index,
	          (long long)size);
	b64_hash(&b, leaf);
	vg_buf_str(&b, ",\"root\":");
	b64_hash(&b, root);
	vg_buf_str(&b, ",\"proof\":");
	proof_array(&b, &pr);
	vg_buf_str(&b, "}\n");
	return srv_json(s, c, 200, &b);
}

enum MHD_Result api_proof_consistency(struct vg_server *s, struct MHD_Connection *c)
{
	static const char *const allowed[] = {"from", "to", NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	int64_t from, to = -1;
	if (!srv_parse_i64(srv_param(c, "from"), 1, INT64_MAX, &from))
		return srv_error(s, c, 400, "bad_parameter",
		                 "parameter from: want a tree size >= 1 (a proof from 0 proves nothing)");
	const char *v = srv_param(c, "to");
	if (v && !srv_parse_i64(v, 1, INT64_MAX, &to))
		return srv_error(s, c, 400, "bad_parameter", "parameter to: want a tree size >= 1");
	vg_ledger *lg;
	if (!open_ledger(s, &lg))
		return srv_error(s, c, 503, "unavailable", NULL);
	uint64_t durable = vg_ledger_durable_size(lg);
	if (to < 0)
		to = (int64_t)durable;
	if ((uint64_t)to > durable || from > to) {
		vg_ledger_free(lg);
		return srv_error(s, c, 400, "bad_parameter",
		                 "need 1 <= from <= to <= the size of the published checkpoint");
	}
	struct vg_merkle_proof pr;
	uint8_t r1[VG_HASH_BYTES], r2[VG_HASH_BYTES];
	struct vg_err err;
	vg_status rc = vg_ledger_prove_consistency(lg, (uint64_t)from, (uint64_t)to, &pr, &err);
	if (!rc)
		rc = vg_ledger_root(lg, (uint64_t)from, r1, &err);
	if (!rc)
		rc = vg_ledger_root(lg, (uint64_t)to, r2, &err);
	vg_ledger_free(lg);
	if (rc) {
		vg_log(VG_LOG_ERROR, "serve: consistency proof: %s", err.msg);
		return srv_error(s, c, 500, "internal", NULL);
	}
	struct vg_buf b;
	vg_buf_init(&b, 8192);
	vg_buf_printf(&b, "{\"size1\":%lld,\"size2\":%lld,\"root1\":", (long long)from, (long long)to);
	b64_hash(&b, r1);
	vg_buf_str(&b, ",\"root2\":");
	b64_hash(&b, r2);
	vg_buf_str(&b, ",\"proof\":");
	proof_array(&b, &pr);
	vg_buf_str(&b, "}\n");
	return srv_json(s, c, 200, &b);
}

/* ---- Witness cosignatures --------------------------------------------------------------- */

/*
 * Body: a checkpoint of this log as the log signed it, plus one or more
 * cosignature lines by configured witnesses (what `vigil witness` prints,
 * appended). It must carry the log's valid signature, name a size the log
 * has published, with that size's root (else 409: not this log's view), and
 * at least one valid cosignature by a configured witness (else 422).
 */
enum MHD_Result api_cosignature(struct vg_server *s, struct MHD_Connection *c, const char *body,
                                size_t len)
{
	static const char *const allowed[] = {NULL};
	const char *bad;
	if (!srv_params_ok(c, allowed, &bad))
		return srv_error(s, c, 400, "bad_parameter", "unknown or repeated parameter");
	struct vg_note note;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_note_open(body, len, s->witnesses, s->n_known, &note, &err) != VG_OK)
		return srv_error(s, c, 422, "invalid_note", err.msg);
	bool log_signed = false;
	size_t nwit = 0;
	for (size_t i = 0; i < note.nsigs; i++) {
		if (note.sigs[i].verifier == 0)
			log_signed = true;
		else if (note.sigs[i].verifier > 0)
			nwit++;
	}
	if (!log_signed)
		return srv_error(s, c, 422, "invalid_note", "not signed by this log's key");
	if (!nwit)
		return srv_error(s, c, 422, "no_cosignature", "no valid cosignature by a configured witness");
	struct vg_checkpoint cp;
	if (vg_checkpoint_parse(note.text, note.text_len, &cp, &err) != VG_OK)
		return srv_error(s, c, 422, "invalid_note", err.msg);
	if (strcmp(cp.origin, s->log_key.name))
		return srv_error(s, c, 409, "inconsistent", "a checkpoint of another log");
	vg_ledger *lg;
	if (!open_ledger(s, &lg))
		return srv_error(s, c, 503, "unavailable", NULL);
	uint8_t root[VG_HASH_BYTES];
	bool known = cp.size <= vg_ledger_durable_size(lg) &&
	             vg_ledger_root(lg, cp.size, root, &err) == VG_OK &&
	             !memcmp(root, cp.root, VG_HASH_BYTES);
	vg_ledger_free(lg);
	if (!known)
		return srv_error(s, c, 409, "inconsistent",
		                 "this log never published that checkpoint (size and root)");
	/* The log-signed checkpoint without the witness lines: text, blank
	 * line, the log's signature line(s). */
	struct vg_buf logcp;
	vg_buf_init(&logcp, VG_NOTE_MAX);
	vg_buf_add(&logcp, note.text, note.text_len);
	vg_buf_str(&logcp, "\n");
	struct vg_buf out;
	vg_buf_init(&out, 16384);
	vg_buf_printf(&out, "{\"size\":%llu,\"cosignatures\":[", (unsigned long long)cp.size);
	const char *end = body + len;
	for (size_t i = 0; i < note.nsigs; i++) {
		const struct vg_note_sig *g = &note.sigs[i];
		/* The line: "— " (4 bytes) before the name, up to its newline. */
		const char *ls = g->name - 4;
		const char *le = memchr(g->name, '\n', (size_t)(end - g->name));
		if (ls < body || !le || g->verifier < 0)
			continue;
		if (g->verifier == 0)
			vg_buf_add(&logcp, ls, (size_t)(le - ls + 1));
	}
	/* Writes go through a dedicated handle: the writer's belongs to its thread. */
	vg_store *st;
	if (vg_store_open(s->db_path, &st, &err) != VG_OK) {
		vg_buf_release(&logcp);
		vg_buf_release(&out);
		vg_log(VG_LOG_ERROR, "serve: cosignature: %s", err.msg);
		return srv_error(s, c, 503, "unavailable", NULL);
	}
	size_t stored = 0;
	vg_status rc = VG_OK;
	for (size_t i = 0; i < note.nsigs && rc == VG_OK; i++) {
		const struct vg_note_sig *g = &note.sigs[i];
		const char *ls = g->name - 4;
		const char *le = memchr(g->name, '\n', (size_t)(end - g->name));
		if (ls < body || !le || g->verifier <= 0)
			continue;
		char *line = strndup(ls, (size_t)(le - ls + 1));
		char *wname = strndup(g->name, g->name_len);
		if (!line || !wname) {
			free(line);
			free(wname);
			rc = VG_ERR_NOMEM;
			break;
		}
		struct vg_cosig_row row = {.size = (int64_t)cp.size, .witness = wname,
		                           .key_id = g->key_id, .time_s = g->timestamp, .line = line,
		                           .checkpoint = logcp.p, .received_ns = vg_time_now_ns()};
		memcpy(row.root, cp.root, VG_HASH_BYTES);
		rc = vg_store_cosig_insert(st, &row, &err);
		if (rc == VG_OK) {
			vg_buf_str(&out, stored++ ? "," : "");
			vg_buf_str(&out, "{\"witness\":");
			sb_json_str(&out, wname, strlen(wname));
			vg_buf_printf(&out, ",\"time\":%lld}", (long long)g->timestamp);
		}
		free(line);
		free(wname);
	}
	vg_store_free(st);
	vg_buf_release(&logcp);
	if (rc != VG_OK) {
		vg_buf_release(&out);
		vg_log(VG_LOG_ERROR, "serve: storing a cosignature: %s", err.msg);
		return srv_error(s, c, 500, "internal", NULL);
	}
	atomic_fetch_add(&s->m.cosignatures, (long long)stored);
	vg_buf_str(&out, "]}\n");
	return srv_json(s, c, 200, &out);
}

/*
 * audit.c - an auditor's full verification of a log directory or mirror:
 * checkpoint signature and origin, every entry bundle against its level-0
 * tile, every higher tile against the full tiles below it, and the root
 * recomputed from the entries against the checkpoint.
 *
 * The entries are the data; everything above is recomputed from them. A
 * disagreement between an entry bundle and its level-0 tile is attributed
 * at the end: if the entries still hash to the checkpoint root, the tile is
 * the damaged file, otherwise the bundle is (or both, or the log).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEVELS 8

struct acc {
	uint8_t h[VG_TILE_WIDTH][VG_HASH_BYTES]; /* hashes computed from below */
	unsigned n;
	uint64_t tile;
};

struct mismatch {
	bool set;
	char tile_path[VG_TILE_PATH_MAX];
	char bundle_path[VG_TILE_PATH_MAX]; /* level 0 only */
	int level;
	unsigned i;
	uint64_t index;
	uint8_t stored[VG_HASH_BYTES], computed[VG_HASH_BYTES];
};

struct audit {
	int dirfd;
	uint64_t size;
	struct acc *acc; /* LEVELS of them, level 0 unused */
	uint8_t (*tile)[VG_HASH_BYTES];
	struct mismatch m0, mhi; /* first level-0 / higher-level disagreement */
	uint64_t tiles;
};

static void b64h(const uint8_t h[VG_HASH_BYTES], char out[48])
{
	vg_b64_encode(h, VG_HASH_BYTES, out);
}

/* Compare the computed hashes of level-L tile t (width w) with the file. */
static vg_status check_tile(struct audit *a, unsigned L, uint64_t t, unsigned w,
                            const uint8_t (*computed)[VG_HASH_BYTES], struct vg_err *err)
{
	char path[VG_TILE_PATH_MAX];
	vg_status st = vg_ledger_read_hash_tile(a->dirfd, (int)L, t, w, a->tile, path, err);
	if (st != VG_OK)
		return st;
	a->tiles++;
	for (unsigned i = 0; i < w && !a->mhi.set; i++) {
		if (sodium_memcmp(a->tile[i], computed[i], VG_HASH_BYTES) == 0)
			continue;
		struct mismatch *m = &a->mhi;
		m->set = true;
		memcpy(m->tile_path, path, sizeof path);
		m->level = (int)L;
		m->i = i;
		m->index = (t << 8) + i;
		memcpy(m->stored, a->tile[i], VG_HASH_BYTES);
		memcpy(m->computed, computed[i], VG_HASH_BYTES);
	}
	return VG_OK;
}

/* A full tile's hash goes up into the accumulator of the level above. */
static vg_status push_up(struct audit *a, unsigned L, const uint8_t h[VG_HASH_BYTES],
                         struct vg_err *err)
{
	vg_assert(L >= 1 && L < LEVELS);
	struct acc *c = &a->acc[L];
	memcpy(c->h[c->n++], h, VG_HASH_BYTES);
	if (c->n < VG_TILE_WIDTH)
		return VG_OK;
	vg_status st = check_tile(a, L, c->tile, VG_TILE_WIDTH,
	                          (const uint8_t(*)[VG_HASH_BYTES])c->h, err);
	if (st != VG_OK)
		return st;
	uint8_t up[VG_HASH_BYTES];
	vg_ledger_subtree_hash((const uint8_t(*)[VG_HASH_BYTES])c->h, VG_TILE_WIDTH, up);
	c->n = 0;
	c->tile++;
	return push_up(a, L + 1, up, err);
}

static vg_status audit_tiles(struct audit *a, struct vg_merkle_frontier *f,
                             vg_ledger_entry_fn on_entry, void *ctx, uint64_t *entries,
                             struct vg_err *err)
{
	uint8_t(*leaves)[VG_HASH_BYTES] = malloc(VG_TILE_WIDTH * VG_HASH_BYTES);
	if (!leaves)
		return vg_err_set(err, VG_ERR_NOMEM, "audit");
	vg_status st = VG_OK;
	uint64_t ntiles = (a->size + VG_TILE_WIDTH - 1) / VG_TILE_WIDTH;
	for (uint64_t t = 0; t < ntiles && st == VG_OK; t++) {
		uint64_t start = t << 8;
		unsigned w = (unsigned)(a->size - start < VG_TILE_WIDTH ? a->size - start
		                                                       : VG_TILE_WIDTH);
		char tpath[VG_TILE_PATH_MAX], bpath[VG_TILE_PATH_MAX];
		uint32_t offs[VG_TILE_WIDTH], lens[VG_TILE_WIDTH];
		uint8_t *data = NULL;
		size_t dl;
		if ((st = vg_ledger_read_hash_tile(a->dirfd, 0, t, w, a->tile, tpath, err)) != VG_OK)
			break;
		if ((st = vg_ledger_read_bundle(a->dirfd, t, w, &data, &dl, offs, lens, bpath, err)) !=
		    VG_OK)
			break;
		a->tiles += 2;
		for (unsigned i = 0; i < w; i++) {
			vg_merkle_leaf_hash(data + offs[i], lens[i], leaves[i]);
			vg_merkle_frontier_push(f, leaves[i]);
			if (sodium_memcmp(leaves[i], a->tile[i], VG_HASH_BYTES) != 0) {
				if (!a->m0.set) {
					struct mismatch *m = &a->m0;
					m->set = true;
					memcpy(m->tile_path, tpath, sizeof tpath);
					memcpy(m->bundle_path, bpath, sizeof bpath);
					m->level = 0;
					m->i = i;
					m->index = start + i;
					memcpy(m->stored, a->tile[i], VG_HASH_BYTES);
					memcpy(m->computed, leaves[i], VG_HASH_BYTES);
				}
				continue;
			}
			(*entries)++;
			if (on_entry) {
				st = on_entry(ctx, start + i, data + offs[i], lens[i], err);
				if (st != VG_OK) {
					vg_err_prefix(err, "entry %" PRIu64, start + i);
					break;
				}
			}
		}
		free(data);
		if (st == VG_OK && w == VG_TILE_WIDTH) {
			uint8_t up[VG_HASH_BYTES];
			vg_ledger_subtree_hash((const uint8_t(*)[VG_HASH_BYTES])leaves, VG_TILE_WIDTH, up);
			st = push_up(a, 1, up, err);
		}
	}
	free(leaves);
	if (st != VG_OK)
		return st;
	/* The partial tiles of the levels above. */
	for (unsigned L = 1; L < LEVELS; L++) {
		uint64_t cnt = vg_ledger_level_count(a->size, L);
		unsigned w = (unsigned)(cnt & 255);
		if (cnt == 0)
			break;
		if (w == 0)
			continue;
		vg_assert(a->acc[L].n == w && a->acc[L].tile == cnt >> 8);
		if ((st = check_tile(a, L, cnt >> 8, w, (const uint8_t(*)[VG_HASH_BYTES])a->acc[L].h,
		                     err)) != VG_OK)
			return st;
	}
	return VG_OK;
}

vg_status vg_ledger_audit(const char *dir, const struct vg_note_verifier *log_key,
                          vg_ledger_entry_fn on_entry, void *ctx, struct vg_ledger_audit *out,
                          struct vg_err *err)
{
	struct audit a;
	memset(&a, 0, sizeof a);
	a.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a.dirfd < 0)
		return vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", dir,
		                  strerror(errno));
	char *note = malloc(VG_NOTE_MAX + 1);
	a.acc = calloc(LEVELS, sizeof *a.acc);
	a.tile = malloc(VG_TILE_WIDTH * VG_HASH_BYTES);
	vg_status st = VG_OK;
	struct vg_checkpoint cp;
	struct vg_merkle_frontier f;
	uint64_t entries = 0;
	if (!note || !a.acc || !a.tile) {
		st = vg_err_set(err, VG_ERR_NOMEM, "audit");
		goto out_free;
	}
	size_t nl = 0;
	st = vg_ledger_read_file(a.dirfd, "checkpoint", (uint8_t *)note, VG_NOTE_MAX, &nl, err);
	if (st == VG_ERR_NOT_FOUND)
		st = vg_err_set(err, VG_ERR_NOT_FOUND, "%s: no checkpoint", dir);
	if (st == VG_OK)
		st = vg_checkpoint_open(note, nl, log_key, &cp, err);
	if (st != VG_OK)
		goto out_prefix;
	a.size = cp.size;
	vg_merkle_frontier_init(&f);
	if ((st = audit_tiles(&a, &f, on_entry, ctx, &entries, err)) != VG_OK)
		goto out_prefix;
	uint8_t root[VG_HASH_BYTES];
	vg_merkle_frontier_root(&f, root);
	bool root_ok = sodium_memcmp(root, cp.root, VG_HASH_BYTES) == 0;
	char s1[48], s2[48];
	if (a.m0.set) {
		b64h(a.m0.stored, s1);
		b64h(a.m0.computed, s2);
		if (root_ok)
			st = vg_err_set(err, VG_ERR_CORRUPT,
			                "%s: hash %u (entry %" PRIu64 ") is %s, but entry %u of %s hashes "
			                "to %s, which the checkpoint root confirms: the tile is damaged",
			                a.m0.tile_path, a.m0.i, a.m0.index, s1, a.m0.i, a.m0.bundle_path,
			                s2);
		else
			st = vg_err_set(err, VG_ERR_CORRUPT,
			                "%s: entry %u (index %" PRIu64 ") hashes to %s, but %s has %s, and "
			                "the entries do not hash to the checkpoint root: the bundle is "
			                "damaged or the entries were altered or reordered",
			                a.m0.bundle_path, a.m0.i, a.m0.index, s2, a.m0.tile_path, s1);
		goto out_prefix;
	}
	if (a.mhi.set) {
		b64h(a.mhi.stored, s1);
		b64h(a.mhi.computed, s2);
		st = vg_err_set(err, VG_ERR_CORRUPT,
		                "%s: hash %u is %s, but the full tile below it hashes to %s%s",
		                a.mhi.tile_path, a.mhi.i, s1, s2,
		                root_ok ? " (the checkpoint root agrees with the tiles below)" : "");
		goto out_prefix;
	}
	if (!root_ok) {
		b64h(root, s1);
		b64h(cp.root, s2);
		st = vg_err_set(err, VG_ERR_CORRUPT,
		                "the tiles and entry bundles agree with each other but hash to %s, "
		                "not to the checkpoint root %s (size %" PRIu64 ")", s1, s2, cp.size);
		goto out_prefix;
	}
	out->checkpoint = cp;
	out->entries = entries;
	out->tiles = a.tiles;
	goto out_free;
out_prefix:
	vg_err_prefix(err, "%s", dir);
out_free:
	free(a.tile);
	free(a.acc);
	free(note);
	close(a.dirfd);
	return st;
}

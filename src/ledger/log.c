/*
 * log.c - the log handle: appends in memory, group-committed durable
 * syncs into C2SP tlog-tiles files with a signed checkpoint, recovery on
 * open, entry reads and proofs.
 *
 * Memory: the right edge only. For each tile level L (tree level 8L) the
 * handle keeps the hashes of the tile that was partial at the last sync
 * plus everything appended since (lv[L]); the entries likewise (ent).
 * Appending hashes one leaf and, amortised, one node; nothing old is
 * re-read. A sync writes exactly the tiles that changed.
 *
 * The private hash index DIR/.vigil/hashes stores every node of the tree
 * in Go tlog's "stored hash" order (each node right after the leaf that
 * completes it), so a proof costs O(log n) 32-byte reads and no hashing.
 * It is derived data: fdatasync'ed in the same round as the tiles, trimmed
 * to the checkpoint on open, checked against the checkpoint's root, and
 * rebuilt from the level-0 tiles when missing or wrong.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEVELS 8                             /* 8 tile levels x 8 bits = 64 */
#define PENDING_MAX ((size_t)256 << 20)      /* bytes of entries held in memory */
#define PENDING_ENTRIES_MAX ((uint64_t)1 << 20) /* entries appended but not synced */
#define STORE_REL ".vigil/hashes"
#define LOCK_REL ".vigil/lock"
#define CP_TMP_REL ".vigil/checkpoint.tmp"
#define CP_REL "checkpoint"

struct hashbuf {
	uint64_t base; /* node index of h[0] at this level */
	size_t n, cap;
	uint8_t (*h)[VG_HASH_BYTES];
};

struct vg_ledger {
	int dirfd, lockfd, storefd;
	bool writable, no_fsync, failed;
	struct vg_note_signer key;
	char origin[VG_NOTE_NAME_MAX + 1];
	uint64_t size, durable;
	struct vg_merkle_frontier fr;
	struct hashbuf lv[LEVELS];
	/* Entries ent_base .. size-1, each as be16 length || bytes. */
	uint64_t ent_base;
	uint8_t *ent;
	size_t ent_len, ent_cap;
	uint32_t *ent_off;
	size_t ent_off_cap;
	/* Hash index: store_count hashes in the file, pend after them. A
	 * writable handle (the lock holder, the only one that ever truncates
	 * the file) reads it through a read-only mapping; read-only handles
	 * use pread, so a writer's truncation cannot fault them. */
	uint64_t store_count;
	const uint8_t *map;
	size_t map_len;
	struct hashbuf pend;
	char cp[VG_NOTE_MAX + 1];
	size_t cp_len;
	/* Last full tile read from disk for tile-backed node lookups. */
	bool tc_valid;
	int tc_level;
	uint64_t tc_index;
	uint8_t tc[VG_TILE_WIDTH][VG_HASH_BYTES];
	/* Sync scratch: files to fsync, directories to fsync. */
	int *fds;
	size_t nfds, fds_cap;
	char (*dirs)[VG_TILE_PATH_MAX];
	size_t ndirs, dirs_cap;
};

/* ---- Small helpers ------------------------------------------------------ */

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap : 16;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			return false;
		nc *= 2;
	}
	void *q = realloc(*p, nc * elem);
	if (!q)
		return false;
	*p = q;
	*cap = nc;
	return true;
}

static bool hb_reserve(struct hashbuf *b, size_t more)
{
	return grow((void **)&b->h, &b->cap, b->n + more, VG_HASH_BYTES);
}

static void hb_push(struct hashbuf *b, const uint8_t h[VG_HASH_BYTES])
{
	vg_assert(b->n < b->cap);
	memcpy(b->h[b->n++], h, VG_HASH_BYTES);
}

static vg_status pread_all(int fd, void *buf, size_t len, uint64_t off, const char *what,
                           struct vg_err *err)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vg_err_set(err, r < 0 ? VG_ERR_IO : VG_ERR_CORRUPT, "%s: read at %" PRIu64
			                  ": %s", what, off, r < 0 ? strerror(errno) : "short file");
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return VG_OK;
}

static vg_status pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what,
                            struct vg_err *err)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vg_err_set(err, VG_ERR_IO, "%s: write: %s", what,
			                  w < 0 ? strerror(errno) : "no progress");
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return VG_OK;
}

/* The text of a signed note (up to and including the line before the last
 * blank line), without verifying anything. */
static bool note_text(const char *msg, size_t len, size_t *text_len)
{
	for (size_t i = len; i >= 2; i--)
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n') {
			*text_len = i - 1;
			return true;
		}
	return false;
}

/* ---- Node lookups ------------------------------------------------------- */

/* Node (level, index) from the tiles and the in-memory right edge. */
static vg_status tile_node(vg_ledger *lg, unsigned level, uint64_t index, uint8_t out[VG_HASH_BYTES],
                           struct vg_err *err)
{
	unsigned L = level / VG_TILE_HEIGHT, r = level % VG_TILE_HEIGHT;
	uint64_t first = index << r;
	size_t count = (size_t)1 << r;
	struct hashbuf *b = &lg->lv[L];
	if (first >= b->base) {
		vg_assert(first - b->base + count <= b->n);
		vg_ledger_subtree_hash((const uint8_t(*)[VG_HASH_BYTES])b->h + (first - b->base), count,
		                       out);
		return VG_OK;
	}
	uint64_t t = first >> 8;
	if (!lg->tc_valid || lg->tc_level != (int)L || lg->tc_index != t) {
		lg->tc_valid = false;
		vg_status st = vg_ledger_read_hash_tile(lg->dirfd, (int)L, t, VG_TILE_WIDTH, lg->tc, NULL, err);
		if (st != VG_OK)
			return st;
		lg->tc_valid = true;
		lg->tc_level = (int)L;
		lg->tc_index = t;
	}
	vg_ledger_subtree_hash((const uint8_t(*)[VG_HASH_BYTES])lg->tc + (first & 255), count, out);
	return VG_OK;
}

static void store_unmap(vg_ledger *lg)
{
	if (lg->map)
		munmap((void *)lg->map, lg->map_len);
	lg->map = NULL;
	lg->map_len = 0;
}

/*
 * Map the index (writable handles only); false if not possible. The
 * mapping reserves room to grow (the file is only ever read below
 * store_count, so the part beyond its end is never touched) and is
 * replaced only when the index outgrows it.
 */
static bool store_map(vg_ledger *lg, uint64_t need)
{
	if (need <= lg->map_len)
		return true;
	if (!lg->writable || need > (uint64_t)SIZE_MAX / 4)
		return false;
	store_unmap(lg);
	size_t len = (size_t)need * 2;
	if (len < ((size_t)64 << 20))
		len = (size_t)64 << 20;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, lg->storefd, 0);
	if (m == MAP_FAILED)
		return false;
	lg->map = m;
	lg->map_len = len;
	return true;
}

static vg_status store_node(vg_ledger *lg, unsigned level, uint64_t index,
                            uint8_t out[VG_HASH_BYTES], struct vg_err *err)
{
	uint64_t si = vg_ledger_stored_index(level, index);
	if (si < lg->store_count && store_map(lg, (si + 1) * VG_HASH_BYTES)) {
		memcpy(out, lg->map + si * VG_HASH_BYTES, VG_HASH_BYTES);
		return VG_OK;
	}
	if (si < lg->store_count)
		return pread_all(lg->storefd, out, VG_HASH_BYTES, si * VG_HASH_BYTES, STORE_REL, err);
	vg_assert(si - lg->store_count < lg->pend.n);
	memcpy(out, lg->pend.h[si - lg->store_count], VG_HASH_BYTES);
	return VG_OK;
}

static vg_status node_fn(void *ctx, unsigned level, uint64_t index, uint8_t out[VG_HASH_BYTES],
                         struct vg_err *err)
{
	vg_ledger *lg = ctx;
	vg_assert(level < 63 && (index + 1) <= (lg->size >> level));
	if (lg->storefd >= 0)
		return store_node(lg, level, index, out, err);
	return tile_node(lg, level, index, out, err);
}

/* ---- Appending ---------------------------------------------------------- */

/*
 * Push a leaf onto the frontier, appending every hash it completes (the
 * leaf first, then its completed parents) to `stored` and the hashes at
 * tile levels to lv (if not NULL). Capacity must have been reserved.
 */
static void push_leaf(struct vg_merkle_frontier *f, const uint8_t leaf[VG_HASH_BYTES],
                      struct hashbuf *stored, struct hashbuf *lv)
{
	uint8_t h[VG_HASH_BYTES];
	memcpy(h, leaf, VG_HASH_BYTES);
	if (stored)
		hb_push(stored, h);
	if (lv)
		hb_push(&lv[0], h);
	unsigned l = 0;
	for (uint64_t s = f->size; s & 1; s >>= 1) {
		vg_merkle_node_hash(f->h[l], h, h);
		l++;
		if (stored)
			hb_push(stored, h);
		if (lv && l % VG_TILE_HEIGHT == 0)
			hb_push(&lv[l / VG_TILE_HEIGHT], h);
	}
	memcpy(f->h[l], h, VG_HASH_BYTES);
	f->size++;
}

vg_status vg_ledger_append(vg_ledger *lg, const uint8_t *entry, size_t len, uint64_t *index,
                           struct vg_err *err)
{
	if (!lg->writable)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "log opened read-only");
	if (lg->failed)
		return vg_err_set(err, VG_ERR_IO, "an earlier sync failed; reopen the log");
	if (len > VG_LEDGER_ENTRY_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "entry of %zu bytes: the limit is %d", len,
		                  VG_LEDGER_ENTRY_MAX);
	if (lg->size >= VG_LEDGER_SIZE_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "log full");
	if (lg->ent_len + 2 + len > PENDING_MAX || lg->size - lg->durable >= PENDING_ENTRIES_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "more than %zu MiB or %" PRIu64 " entries "
		                  "pending: sync first", PENDING_MAX >> 20, PENDING_ENTRIES_MAX);
	/* Reserve everything first so that a failure changes nothing. */
	size_t ei = (size_t)(lg->size - lg->ent_base);
	bool ok = grow((void **)&lg->ent, &lg->ent_cap, lg->ent_len + 2 + len, 1) &&
	          grow((void **)&lg->ent_off, &lg->ent_off_cap, ei + 1, sizeof *lg->ent_off) &&
	          hb_reserve(&lg->pend, 64);
	for (int L = 0; ok && L < LEVELS; L++)
		ok = hb_reserve(&lg->lv[L], 1);
	if (!ok)
		return vg_err_set(err, VG_ERR_NOMEM, "append");

	uint8_t leaf[VG_HASH_BYTES];
	vg_merkle_leaf_hash(entry, len, leaf);
	push_leaf(&lg->fr, leaf, &lg->pend, lg->lv);
	lg->ent_off[ei] = (uint32_t)lg->ent_len;
	lg->ent[lg->ent_len] = (uint8_t)(len >> 8);
	lg->ent[lg->ent_len + 1] = (uint8_t)len;
	if (len)
		memcpy(lg->ent + lg->ent_len + 2, entry, len);
	lg->ent_len += 2 + len;
	*index = lg->size++;
	return VG_OK;
}

/* ---- Syncing ------------------------------------------------------------ */

static bool dir_add(vg_ledger *lg, const char *rel_file)
{
	char d[VG_TILE_PATH_MAX];
	const char *slash = strrchr(rel_file, '/');
	size_t n = slash ? (size_t)(slash - rel_file) : 0;
	if (n == 0) {
		d[0] = '.';
		d[1] = '\0';
	} else {
		vg_assert(n < sizeof d);
		memcpy(d, rel_file, n);
		d[n] = '\0';
	}
	for (size_t i = 0; i < lg->ndirs; i++)
		if (!strcmp(lg->dirs[i], d))
			return true;
	if (!grow((void **)&lg->dirs, &lg->dirs_cap, lg->ndirs + 1, sizeof *lg->dirs))
		return false;
	memcpy(lg->dirs[lg->ndirs++], d, sizeof d);
	return true;
}

/* mkdir -p of the directories of rel; each created one's parent gets
 * fsync'ed with the round. */
static vg_status make_dirs(vg_ledger *lg, const char *rel, struct vg_err *err)
{
	char p[VG_TILE_PATH_MAX];
	snprintf(p, sizeof p, "%s", rel);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(lg->dirfd, p, 0755) == 0) {
			if (!dir_add(lg, p))
				return vg_err_set(err, VG_ERR_NOMEM, "sync");
		} else if (errno != EEXIST) {
			return vg_err_set(err, VG_ERR_IO, "mkdir %s: %s", p, strerror(errno));
		}
		*s = '/';
	}
	return VG_OK;
}

static vg_status write_new_file(vg_ledger *lg, const char *rel, const void *data, size_t len,
                                struct vg_err *err)
{
	/* Only paths beyond the last checkpoint get here: never a published file. */
	int fd = openat(lg->dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT) {
		vg_status st = make_dirs(lg, rel, err);
		if (st != VG_OK)
			return st;
		fd = openat(lg->dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", rel, strerror(errno));
	vg_status st = vg_ledger_write_all(fd, data, len, rel, err);
	if (st == VG_OK && !dir_add(lg, rel))
		st = vg_err_set(err, VG_ERR_NOMEM, "sync");
	if (st == VG_OK && !lg->no_fsync) {
		if (!grow((void **)&lg->fds, &lg->fds_cap, lg->nfds + 1, sizeof *lg->fds))
			st = vg_err_set(err, VG_ERR_NOMEM, "sync");
		else
			lg->fds[lg->nfds++] = fd;
	}
	if (st != VG_OK || lg->no_fsync)
		close(fd);
	return st;
}

static void close_fds(vg_ledger *lg)
{
	for (size_t i = 0; i < lg->nfds; i++)
		close(lg->fds[i]);
	lg->nfds = 0;
	lg->ndirs = 0;
}

/* Write the tiles (and bundles) that changed between sizes old and new. */
static vg_status write_tiles(vg_ledger *lg, uint64_t old, uint64_t new, struct vg_err *err)
{
	char path[VG_TILE_PATH_MAX];
	for (unsigned L = 0; L < LEVELS; L++) {
		uint64_t c_old = vg_ledger_level_count(old, L), c_new = vg_ledger_level_count(new, L);
		if (c_new == 0)
			break;
		if (c_new == c_old)
			continue;
		struct hashbuf *b = &lg->lv[L];
		for (uint64_t t = c_old >> 8; t <= (c_new - 1) >> 8; t++) {
			uint64_t start = t << 8;
			unsigned w = (unsigned)(c_new - start < VG_TILE_WIDTH ? c_new - start
			                                                     : VG_TILE_WIDTH);
			vg_assert(start >= b->base && start - b->base + w <= b->n);
			vg_tile_path((int)L, t, w, path);
			vg_status st = write_new_file(lg, path, b->h[start - b->base],
			                              (size_t)w * VG_HASH_BYTES, err);
			if (st != VG_OK)
				return st;
			if (L != 0)
				continue;
			/* The entry bundle of the same tile. */
			size_t i0 = (size_t)(start - lg->ent_base), i1 = i0 + w;
			vg_assert(start >= lg->ent_base && lg->ent_base + i1 <= lg->size);
			size_t o0 = lg->ent_off[i0];
			size_t o1 = lg->ent_base + i1 == lg->size ? lg->ent_len : lg->ent_off[i1];
			vg_tile_path(VG_TILE_ENTRIES, t, w, path);
			if ((st = write_new_file(lg, path, lg->ent + o0, o1 - o0, err)) != VG_OK)
				return st;
		}
	}
	return VG_OK;
}

/* The next checkpoint, in its temporary file (fsync'ed with the round). */
static vg_status write_checkpoint_tmp(vg_ledger *lg, const char *note, size_t len,
                                      struct vg_err *err)
{
	int fd = openat(lg->dirfd, CP_TMP_REL, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", CP_TMP_REL, strerror(errno));
	vg_status st = vg_ledger_write_all(fd, note, len, CP_TMP_REL, err);
	if (st == VG_OK && !lg->no_fsync) {
		if (!grow((void **)&lg->fds, &lg->fds_cap, lg->nfds + 1, sizeof *lg->fds))
			st = vg_err_set(err, VG_ERR_NOMEM, "sync");
		else
			lg->fds[lg->nfds++] = fd;
	}
	if (st != VG_OK || lg->no_fsync)
		close(fd);
	return st;
}

static vg_status fsync_round(vg_ledger *lg, struct vg_err *err)
{
	for (size_t i = 0; i < lg->nfds; i++)
		if (fsync(lg->fds[i]) != 0)
			return vg_err_set(err, VG_ERR_IO, "fsync of a tile: %s", strerror(errno));
	for (size_t i = 0; i < lg->ndirs; i++) {
		int fd = openat(lg->dirfd, lg->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return vg_err_set(err, VG_ERR_IO, "%s: %s", lg->dirs[i], strerror(errno));
		int rc = fsync(fd);
		close(fd);
		if (rc != 0)
			return vg_err_set(err, VG_ERR_IO, "%s: fsync: %s", lg->dirs[i], strerror(errno));
	}
	return VG_OK;
}

/* Remove the .p/ directory of a tile that is now full (allowed by the spec;
 * best effort, after the checkpoint that makes the full tile available). */
static void remove_partials(vg_ledger *lg, int level, uint64_t index)
{
	char path[VG_TILE_PATH_MAX];
	vg_tile_path(level, index, 1, path);
	*strrchr(path, '/') = '\0'; /* ".../NNN.p" */
	int fd = openat(lg->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(lg->dirfd, path, AT_REMOVEDIR);
}

/* After a successful sync: drop what is now in full tiles from memory. */
static void trim(vg_ledger *lg)
{
	for (unsigned L = 0; L < LEVELS; L++) {
		struct hashbuf *b = &lg->lv[L];
		uint64_t nb = vg_ledger_level_count(lg->size, L) >> 8 << 8;
		if (nb <= b->base)
			continue;
		size_t drop = (size_t)(nb - b->base);
		memmove(b->h, b->h + drop, (b->n - drop) * VG_HASH_BYTES);
		b->n -= drop;
		b->base = nb;
	}
	uint64_t nb = lg->size >> 8 << 8;
	if (nb > lg->ent_base) {
		size_t k = (size_t)(nb - lg->ent_base);
		size_t cnt = (size_t)(lg->size - lg->ent_base);
		size_t off = k < cnt ? lg->ent_off[k] : lg->ent_len;
		memmove(lg->ent, lg->ent + off, lg->ent_len - off);
		lg->ent_len -= off;
		for (size_t i = k; i < cnt; i++)
			lg->ent_off[i - k] = lg->ent_off[i] - (uint32_t)off;
		lg->ent_base = nb;
	}
}

vg_status vg_ledger_sync(vg_ledger *lg, struct vg_err *err)
{
	if (!lg->writable)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "log opened read-only");
	if (lg->failed)
		return vg_err_set(err, VG_ERR_IO, "an earlier sync failed; reopen the log");
	if (lg->size == lg->durable)
		return VG_OK;
	uint64_t old = lg->durable, new = lg->size;

	/* The checkpoint first, in memory: signing cannot fail after the files. */
	struct vg_checkpoint cp;
	snprintf(cp.origin, sizeof cp.origin, "%s", lg->origin);
	cp.size = new;
	vg_merkle_frontier_root(&lg->fr, cp.root);
	char body[VG_NOTE_NAME_MAX + 80];
	size_t bl = vg_checkpoint_format(&cp, body, sizeof body);
	char note[VG_NOTE_MAX + 1];
	size_t nl;
	vg_status st = vg_note_sign(&lg->key, body, bl, 0, note, sizeof note, &nl, err);
	if (st != VG_OK)
		return st;

	/* Two commit points: (1) tiles, bundles, index and the new checkpoint
	 * in its temporary file, all fsync'ed together (one journal commit on
	 * ext4 covers them); (2) the rename that publishes the checkpoint. */
	lg->failed = true; /* until the round completes */
	if ((st = write_tiles(lg, old, new, err)) != VG_OK)
		goto out_close;
	if ((st = pwrite_all(lg->storefd, lg->pend.h, lg->pend.n * VG_HASH_BYTES,
	                     lg->store_count * VG_HASH_BYTES, STORE_REL, err)) != VG_OK)
		goto out_close;
	if ((st = write_checkpoint_tmp(lg, note, nl, err)) != VG_OK)
		goto out_close;
	if (!lg->no_fsync) {
		if ((st = fsync_round(lg, err)) != VG_OK)
			goto out_close;
		if (fdatasync(lg->storefd) != 0) {
			st = vg_err_set(err, VG_ERR_IO, "%s: fdatasync: %s", STORE_REL, strerror(errno));
			goto out_close;
		}
	}
	close_fds(lg);
	if (renameat(lg->dirfd, CP_TMP_REL, lg->dirfd, CP_REL) != 0) {
		st = vg_err_set(err, VG_ERR_IO, "rename %s -> %s: %s", CP_TMP_REL, CP_REL,
		                strerror(errno));
		goto out_close;
	}
	if (!lg->no_fsync && fsync(lg->dirfd) != 0) {
		st = vg_err_set(err, VG_ERR_IO, "fsync of the log directory: %s", strerror(errno));
		goto out_close;
	}
	lg->failed = false;
	lg->durable = new;
	lg->store_count += lg->pend.n;
	lg->pend.n = 0;
	memcpy(lg->cp, note, nl + 1);
	lg->cp_len = nl;
	trim(lg);
	for (unsigned L = 0; L < LEVELS; L++) {
		uint64_t c_old = vg_ledger_level_count(old, L), c_new = vg_ledger_level_count(new, L);
		if ((c_old & 255) && c_new >= ((c_old >> 8) + 1) << 8) {
			remove_partials(lg, (int)L, c_old >> 8);
			if (L == 0)
				remove_partials(lg, VG_TILE_ENTRIES, c_old >> 8);
		}
	}
	return VG_OK;
out_close:
	close_fds(lg);
	vg_err_prefix(err, "sync of %" PRIu64 " entries", new - old);
	return st;
}

/* ---- Creating and opening ----------------------------------------------- */

vg_status vg_ledger_create(const char *dir, const struct vg_note_signer *key, struct vg_err *err)
{
	if (key->pub.type != VG_NOTE_ED25519)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "log key %s: not an Ed25519 note key",
		                  key->pub.name);
	bool made = mkdir(dir, 0755) == 0;
	if (!made && errno != EEXIST)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", dir, strerror(errno));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", dir, strerror(errno));
	vg_status st = VG_OK;
	if (faccessat(dfd, CP_REL, F_OK, 0) == 0) {
		st = vg_err_set(err, VG_ERR_EXISTS, "%s: already holds a log (a checkpoint exists)",
		                dir);
		goto out_close;
	}
	if ((mkdirat(dfd, "tile", 0755) != 0 && errno != EEXIST) ||
	    (mkdirat(dfd, ".vigil", 0755) != 0 && errno != EEXIST)) {
		st = vg_err_set(err, VG_ERR_IO, "%s: mkdir: %s", dir, strerror(errno));
		goto out_close;
	}
	struct vg_checkpoint cp;
	snprintf(cp.origin, sizeof cp.origin, "%s", key->pub.name);
	cp.size = 0;
	vg_merkle_empty_root(cp.root);
	char body[VG_NOTE_NAME_MAX + 80], note[VG_NOTE_MAX + 1];
	size_t bl = vg_checkpoint_format(&cp, body, sizeof body), nl;
	if ((st = vg_note_sign(key, body, bl, 0, note, sizeof note, &nl, err)) != VG_OK)
		goto out_close;
	if ((st = vg_ledger_replace_file(dfd, CP_TMP_REL, CP_REL, note, nl, false, err)) != VG_OK)
		goto out_close;
	if (made) {
		/* The new directory's own name must be durable too. */
		char parent[4096];
		snprintf(parent, sizeof parent, "%s", dir);
		char *s = strrchr(parent, '/');
		if (s == parent)
			s[1] = '\0';
		else if (s)
			*s = '\0';
		else
			snprintf(parent, sizeof parent, ".");
		int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0) {
			if (fsync(pfd) != 0)
				st = vg_err_set(err, VG_ERR_IO, "%s: fsync: %s", parent, strerror(errno));
			close(pfd);
		}
	}
out_close:
	close(dfd);
	return st;
}

void vg_ledger_free(vg_ledger *lg)
{
	if (!lg)
		return;
	close_fds(lg);
	store_unmap(lg);
	if (lg->storefd >= 0)
		close(lg->storefd);
	if (lg->lockfd >= 0)
		close(lg->lockfd);
	if (lg->dirfd >= 0)
		close(lg->dirfd);
	for (int L = 0; L < LEVELS; L++)
		free(lg->lv[L].h);
	free(lg->pend.h);
	free(lg->ent);
	free(lg->ent_off);
	free(lg->fds);
	free(lg->dirs);
	vg_note_signer_wipe(&lg->key);
	free(lg);
}

/* Reload the right edge of the durable tree from its partial tiles. */
static vg_status load_right_edge(vg_ledger *lg, const struct vg_checkpoint *cp,
                                 struct vg_err *err)
{
	uint64_t size = cp->size;
	char paths[LEVELS + 1][VG_TILE_PATH_MAX];
	int npaths = 0;
	for (unsigned L = 0; L < LEVELS; L++) {
		uint64_t cnt = vg_ledger_level_count(size, L);
		unsigned w = (unsigned)(cnt & 255);
		lg->lv[L].base = cnt - w;
		if (cnt == 0 || w == 0)
			continue;
		if (!hb_reserve(&lg->lv[L], w))
			return vg_err_set(err, VG_ERR_NOMEM, "open");
		vg_status st = vg_ledger_read_hash_tile(lg->dirfd, (int)L, cnt >> 8, w, lg->lv[L].h,
		                              paths[npaths++], err);
		if (st != VG_OK)
			return st;
		lg->lv[L].n = w;
	}
	/* The partial entry bundle: in memory, and checked against tile 0. */
	unsigned w0 = (unsigned)(size & 255);
	lg->ent_base = size - w0;
	if (w0) {
		uint32_t offs[VG_TILE_WIDTH], lens[VG_TILE_WIDTH];
		uint8_t *data;
		size_t len;
		char bpath[VG_TILE_PATH_MAX];
		vg_status st = vg_ledger_read_bundle(lg->dirfd, size >> 8, w0, &data, &len, offs, lens, bpath,
		                           err);
		if (st != VG_OK)
			return st;
		size_t total = 0;
		for (unsigned i = 0; i < w0; i++)
			total += 2 + lens[i];
		if (!grow((void **)&lg->ent, &lg->ent_cap, total, 1) ||
		    !grow((void **)&lg->ent_off, &lg->ent_off_cap, w0, sizeof *lg->ent_off)) {
			free(data);
			return vg_err_set(err, VG_ERR_NOMEM, "open");
		}
		for (unsigned i = 0; i < w0; i++) {
			uint8_t leaf[VG_HASH_BYTES];
			vg_merkle_leaf_hash(data + offs[i], lens[i], leaf);
			if (sodium_memcmp(leaf, lg->lv[0].h[i], VG_HASH_BYTES) != 0) {
				free(data);
				return vg_err_set(err, VG_ERR_CORRUPT,
				                  "%s: entry %u (index %" PRIu64 ") does not hash to "
				                  "hash %u of %s", bpath, i, lg->ent_base + i, i, paths[0]);
			}
			lg->ent_off[i] = (uint32_t)lg->ent_len;
			memcpy(lg->ent + lg->ent_len, data + offs[i] - 2, 2 + (size_t)lens[i]);
			lg->ent_len += 2 + lens[i];
		}
		free(data);
	}
	/* The frontier: bit l of size, l = 8L + r, is the perfect subtree of
	 * 2^r level-L hashes just left of the edge, all in lv[L]. */
	vg_merkle_frontier_init(&lg->fr);
	lg->fr.size = size;
	for (unsigned l = 0; l < 63; l++) {
		if (!(size >> l & 1))
			continue;
		unsigned L = l / VG_TILE_HEIGHT, r = l % VG_TILE_HEIGHT;
		uint64_t first = ((size >> l) - 1) << r;
		struct hashbuf *b = &lg->lv[L];
		vg_assert(first >= b->base && first - b->base + ((size_t)1 << r) <= b->n);
		vg_ledger_subtree_hash((const uint8_t(*)[VG_HASH_BYTES])b->h + (first - b->base),
		                       (size_t)1 << r, lg->fr.h[l]);
	}
	uint8_t root[VG_HASH_BYTES];
	vg_merkle_frontier_root(&lg->fr, root);
	if (sodium_memcmp(root, cp->root, VG_HASH_BYTES) != 0) {
		char list[(LEVELS + 1) * (VG_TILE_PATH_MAX + 2)] = "";
		for (int i = 0; i < npaths; i++) {
			strcat(list, i ? ", " : "");
			strcat(list, paths[i]);
		}
		return vg_err_set(err, VG_ERR_CORRUPT, "right-edge tiles %s do not hash to the "
		                  "checkpoint root (size %" PRIu64 ")", list, size);
	}
	return VG_OK;
}

/* Root of the durable tree computed from the hash index alone. */
static bool store_root_ok(vg_ledger *lg, const uint8_t want[VG_HASH_BYTES])
{
	uint8_t r[VG_HASH_BYTES];
	struct vg_err e2;
	vg_status st = vg_merkle_root(node_fn, lg, lg->durable, r, &e2);
	return st == VG_OK && sodium_memcmp(r, want, VG_HASH_BYTES) == 0;
}

/* Append the hashes of leaves [from, size) to the index, from the tiles. */
static vg_status rebuild_store(vg_ledger *lg, uint64_t from, struct vg_err *err)
{
	uint64_t size = lg->durable;
	struct vg_merkle_frontier f;
	vg_merkle_frontier_init(&f);
	f.size = from;
	lg->store_count = vg_ledger_stored_count(from);
	for (unsigned l = 0; l < 63; l++)
		if (from >> l & 1) {
			vg_status st = store_node(lg, l, (from >> l) - 1, f.h[l], err);
			if (st != VG_OK)
				return st;
		}
	store_unmap(lg);
	if (ftruncate(lg->storefd, (off_t)(lg->store_count * VG_HASH_BYTES)) != 0)
		return vg_err_set(err, VG_ERR_IO, "%s: truncate: %s", STORE_REL, strerror(errno));
	struct hashbuf out = {0, 0, 0, NULL};
	uint8_t(*tile)[VG_HASH_BYTES] = malloc(VG_TILE_WIDTH * VG_HASH_BYTES);
	vg_status st = VG_OK;
	if (!tile || !hb_reserve(&out, VG_TILE_WIDTH * 2 + 64)) {
		st = vg_err_set(err, VG_ERR_NOMEM, "rebuilding the hash index");
		goto out_free;
	}
	for (uint64_t i = from; i < size;) {
		uint64_t t = i >> 8;
		const uint8_t(*src)[VG_HASH_BYTES];
		if ((t << 8) >= lg->lv[0].base) {
			src = (const uint8_t(*)[VG_HASH_BYTES])lg->lv[0].h + ((t << 8) - lg->lv[0].base);
		} else {
			if ((st = vg_ledger_read_hash_tile(lg->dirfd, 0, t, VG_TILE_WIDTH, tile, NULL, err)) != VG_OK)
				goto out_free;
			src = (const uint8_t(*)[VG_HASH_BYTES])tile;
		}
		out.n = 0;
		for (; i < size && (i >> 8) == t; i++)
			push_leaf(&f, src[i & 255], &out, NULL);
		if ((st = pwrite_all(lg->storefd, out.h, out.n * VG_HASH_BYTES,
		                     lg->store_count * VG_HASH_BYTES, STORE_REL, err)) != VG_OK)
			goto out_free;
		lg->store_count += out.n;
	}
	if (!lg->no_fsync && fdatasync(lg->storefd) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: fdatasync: %s", STORE_REL, strerror(errno));
out_free:
	free(tile);
	free(out.h);
	return st;
}

static vg_status open_store(vg_ledger *lg, const struct vg_checkpoint *cp, struct vg_err *err)
{
	uint64_t need = vg_ledger_stored_count(cp->size);
	int fd = openat(lg->dirfd, STORE_REL,
	                lg->writable ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (!lg->writable)
			return VG_OK; /* a mirror without the index: tile-backed lookups */
		return vg_err_set(err, VG_ERR_IO, "%s: %s", STORE_REL, strerror(errno));
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return vg_err_set(err, VG_ERR_IO, "%s: %s", STORE_REL, strerror(errno));
	}
	uint64_t have = (uint64_t)sb.st_size / VG_HASH_BYTES;
	if (!lg->writable) {
		lg->storefd = fd;
		lg->store_count = need;
		if (have < need || !store_root_ok(lg, cp->root)) {
			close(fd);
			lg->storefd = -1;
			lg->store_count = 0;
		}
		return VG_OK;
	}
	lg->storefd = fd;
	if (have >= need) {
		lg->store_count = need;
		if ((uint64_t)sb.st_size != need * VG_HASH_BYTES &&
		    ftruncate(fd, (off_t)(need * VG_HASH_BYTES)) != 0)
			return vg_err_set(err, VG_ERR_IO, "%s: truncate: %s", STORE_REL, strerror(errno));
		if (store_root_ok(lg, cp->root))
			return VG_OK;
		vg_log(VG_LOG_WARN, "%s: does not match the checkpoint; rebuilding it from the tiles",
		       STORE_REL);
		have = 0;
	}
	/* Largest leaf count whose hashes are all in the file. */
	uint64_t lo = 0, hi = cp->size;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (vg_ledger_stored_count(mid) <= have)
			lo = mid;
		else
			hi = mid - 1;
	}
	vg_status st = rebuild_store(lg, lo, err);
	if (st != VG_OK)
		return st;
	if (!store_root_ok(lg, cp->root)) {
		st = rebuild_store(lg, 0, err);
		if (st != VG_OK)
			return st;
		if (!store_root_ok(lg, cp->root))
			return vg_err_set(err, VG_ERR_CORRUPT, "the level-0 tiles (tile/0/...) do not "
			                  "hash to the checkpoint root; run 'vigil log verify' to locate "
			                  "the damage");
	}
	return VG_OK;
}

vg_status vg_ledger_open(const char *dir, const struct vg_note_signer *key, unsigned flags,
                         vg_ledger **out, struct vg_err *err)
{
	if (key && key->pub.type != VG_NOTE_ED25519)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "log key %s: not an Ed25519 note key",
		                  key->pub.name);
	vg_ledger *lg = calloc(1, sizeof *lg);
	if (!lg)
		return vg_err_set(err, VG_ERR_NOMEM, "open");
	lg->lockfd = lg->storefd = -1;
	lg->writable = key != NULL;
	lg->no_fsync = flags & VG_LEDGER_NO_FSYNC;
	if (key)
		lg->key = *key;
	vg_status st = VG_OK;
	lg->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lg->dirfd < 0) {
		st = vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", dir,
		                strerror(errno));
		goto out_fail;
	}
	if (lg->writable) {
		if (mkdirat(lg->dirfd, ".vigil", 0755) != 0 && errno != EEXIST) {
			st = vg_err_set(err, VG_ERR_IO, "%s/.vigil: %s", dir, strerror(errno));
			goto out_fail;
		}
		lg->lockfd = openat(lg->dirfd, LOCK_REL, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lg->lockfd < 0 || flock(lg->lockfd, LOCK_EX | LOCK_NB) != 0) {
			st = vg_err_set(err, errno == EWOULDBLOCK ? VG_ERR_BUSY : VG_ERR_IO, "%s/%s: %s",
			                dir, LOCK_REL,
			                errno == EWOULDBLOCK ? "the log is open for writing elsewhere"
			                                     : strerror(errno));
			goto out_fail;
		}
	}
	/* The last durable checkpoint defines the state. */
	size_t len = 0;
	st = vg_ledger_read_file(lg->dirfd, CP_REL, (uint8_t *)lg->cp, VG_NOTE_MAX, &len, err);
	if (st == VG_ERR_NOT_FOUND) {
		st = vg_err_set(err, VG_ERR_NOT_FOUND, "%s: no log here (no checkpoint)", dir);
		goto out_fail;
	}
	if (st != VG_OK)
		goto out_fail;
	lg->cp[len] = '\0';
	lg->cp_len = len;
	struct vg_checkpoint cp;
	if (key) {
		st = vg_checkpoint_open(lg->cp, len, &key->pub, &cp, err);
	} else {
		size_t tl;
		st = note_text(lg->cp, len, &tl)
		             ? vg_checkpoint_parse(lg->cp, tl, &cp, err)
		             : vg_err_set(err, VG_ERR_VERSION, "not a signed note");
	}
	if (st != VG_OK) {
		vg_err_prefix(err, "%s/%s", dir, CP_REL);
		goto out_fail;
	}
	snprintf(lg->origin, sizeof lg->origin, "%s", cp.origin);
	lg->size = lg->durable = cp.size;
	if ((st = load_right_edge(lg, &cp, err)) != VG_OK)
		goto out_prefix;
	if ((st = open_store(lg, &cp, err)) != VG_OK)
		goto out_prefix;
	*out = lg;
	return VG_OK;
out_prefix:
	vg_err_prefix(err, "%s", dir);
out_fail:
	vg_ledger_free(lg);
	return st;
}

/* ---- Accessors, reads, proofs ------------------------------------------- */

uint64_t vg_ledger_size(const vg_ledger *lg)
{
	return lg->size;
}

uint64_t vg_ledger_durable_size(const vg_ledger *lg)
{
	return lg->durable;
}

const char *vg_ledger_origin(const vg_ledger *lg)
{
	return lg->origin;
}

const char *vg_ledger_checkpoint(const vg_ledger *lg, size_t *len)
{
	*len = lg->cp_len;
	return lg->cp;
}

vg_status vg_ledger_root(vg_ledger *lg, uint64_t size, uint8_t root[VG_HASH_BYTES],
                         struct vg_err *err)
{
	if (size > lg->size)
		return vg_err_set(err, VG_ERR_RANGE, "size %" PRIu64 " is beyond the log (%" PRIu64 ")",
		                  size, lg->size);
	if (size == lg->size) {
		vg_merkle_frontier_root(&lg->fr, root);
		return VG_OK;
	}
	return vg_merkle_root(node_fn, lg, size, root, err);
}

vg_status vg_ledger_leaf_hash(vg_ledger *lg, uint64_t index, uint8_t out[VG_HASH_BYTES],
                              struct vg_err *err)
{
	if (index >= lg->size)
		return vg_err_set(err, VG_ERR_RANGE, "entry %" PRIu64 ": the log has %" PRIu64, index,
		                  lg->size);
	return node_fn(lg, 0, index, out, err);
}

vg_status vg_ledger_entry(vg_ledger *lg, uint64_t index, uint8_t *buf, size_t cap, size_t *len,
                          struct vg_err *err)
{
	if (index >= lg->size)
		return vg_err_set(err, VG_ERR_RANGE, "entry %" PRIu64 ": the log has %" PRIu64, index,
		                  lg->size);
	if (index >= lg->ent_base) {
		const uint8_t *p = lg->ent + lg->ent_off[index - lg->ent_base];
		size_t n = (size_t)p[0] << 8 | p[1];
		if (n > cap)
			return vg_err_set(err, VG_ERR_LIMIT, "entry %" PRIu64 ": %zu bytes", index, n);
		memcpy(buf, p + 2, n);
		*len = n;
		return VG_OK;
	}
	uint32_t offs[VG_TILE_WIDTH], lens[VG_TILE_WIDTH];
	uint8_t *data;
	size_t dl;
	vg_status st = vg_ledger_read_bundle(lg->dirfd, index >> 8, VG_TILE_WIDTH, &data, &dl, offs, lens,
	                           NULL, err);
	if (st != VG_OK)
		return st;
	unsigned i = (unsigned)(index & 255);
	uint8_t leaf[VG_HASH_BYTES], want[VG_HASH_BYTES];
	vg_merkle_leaf_hash(data + offs[i], lens[i], leaf);
	if ((st = node_fn(lg, 0, index, want, err)) == VG_OK) {
		char path[VG_TILE_PATH_MAX];
		vg_tile_path(VG_TILE_ENTRIES, index >> 8, VG_TILE_WIDTH, path);
		if (sodium_memcmp(leaf, want, VG_HASH_BYTES) != 0)
			st = vg_err_set(err, VG_ERR_CORRUPT, "%s: entry %u (index %" PRIu64 ") does not "
			                "match its leaf hash", path, i, index);
		else if (lens[i] > cap)
			st = vg_err_set(err, VG_ERR_LIMIT, "entry %" PRIu64 ": %u bytes", index, lens[i]);
	}
	if (st == VG_OK) {
		memcpy(buf, data + offs[i], lens[i]);
		*len = lens[i];
	}
	free(data);
	return st;
}

vg_status vg_ledger_prove_inclusion(vg_ledger *lg, uint64_t index, uint64_t size,
                                    struct vg_merkle_proof *proof, struct vg_err *err)
{
	if (size > lg->size)
		return vg_err_set(err, VG_ERR_RANGE, "size %" PRIu64 " is beyond the log (%" PRIu64 ")",
		                  size, lg->size);
	return vg_merkle_prove_inclusion(node_fn, lg, index, size, proof, err);
}

vg_status vg_ledger_prove_consistency(vg_ledger *lg, uint64_t size1, uint64_t size2,
                                      struct vg_merkle_proof *proof, struct vg_err *err)
{
	if (size2 > lg->size)
		return vg_err_set(err, VG_ERR_RANGE, "size %" PRIu64 " is beyond the log (%" PRIu64 ")",
		                  size2, lg->size);
	return vg_merkle_prove_consistency(node_fn, lg, size1, size2, proof, err);
}

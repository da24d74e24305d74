/*
 * internal.h - helpers shared by the files of src/ledger/ only. Not part
 * of the module's contract (that is ledger.h).
 */
#ifndef VG_LEDGER_INTERNAL_H
#define VG_LEDGER_INTERNAL_H

#include "ledger.h"

#include <sys/types.h>

/* Go tlog's dense "stored hash" order: every node is stored right after
 * the leaf that completes it (tlog.StoredHashIndex / StoredHashCount). */
uint64_t vg_ledger_stored_index(unsigned level, uint64_t n);
uint64_t vg_ledger_stored_count(uint64_t size);

/* Root of 2^k consecutive hashes (a perfect subtree), k <= 8. */
void vg_ledger_subtree_hash(const uint8_t (*h)[VG_HASH_BYTES], size_t count,
                            uint8_t out[VG_HASH_BYTES]);

/* Read a whole file of at most cap bytes (VG_ERR_NOT_FOUND if missing,
 * VG_ERR_LIMIT if larger than cap). rel is relative to dirfd. */
vg_status vg_ledger_read_file(int dirfd, const char *rel, uint8_t *buf, size_t cap, size_t *len,
                              struct vg_err *err) VG_WUR;

/* Read a whole file of at most max bytes into a fresh malloc'ed buffer
 * (*buf; the caller frees). Same statuses as vg_ledger_read_file. */
vg_status vg_ledger_read_file_alloc(int dirfd, const char *rel, size_t max, uint8_t **buf,
                                    size_t *len, struct vg_err *err) VG_WUR;

/* Write the whole buffer with retries on short writes / EINTR. */
vg_status vg_ledger_write_all(int fd, const void *buf, size_t len, const char *what,
                              struct vg_err *err) VG_WUR;

/* Atomically replace the file at path (relative to dirfd): write tmp_rel,
 * fsync (unless no_fsync), rename over rel, fsync the directory. */
vg_status vg_ledger_replace_file(int dirfd, const char *tmp_rel, const char *rel,
                                 const void *data, size_t len, bool no_fsync,
                                 struct vg_err *err) VG_WUR;

/* Number of tiles and the width of the last one at tile level L for a tree
 * of `size` leaves: the level-L hashes are nodes at tree level 8L. */
static inline uint64_t vg_ledger_level_count(uint64_t size, unsigned tile_level)
{
	return tile_level * VG_TILE_HEIGHT >= 64 ? 0 : size >> (tile_level * VG_TILE_HEIGHT);
}

/* Parse an entry bundle of exactly `width` entries; offs[i] / lens[i] give
 * each entry's offset and length in data. VG_ERR_CORRUPT with path. */
vg_status vg_ledger_bundle_parse(const uint8_t *data, size_t len, unsigned width,
                                 const char *path, uint32_t *offs, uint32_t *lens,
                                 struct vg_err *err) VG_WUR;

/*
 * Read hash tile (level, index) of width w (w hashes into out) or entry
 * bundle (index, w) (a malloc'ed buffer in *data, the caller frees; offs /
 * lens describe the w entries). A partial tile that is gone (the log may
 * delete it once the full tile exists) is read from the full tile's
 * prefix. The path actually read goes to path_out (VG_TILE_PATH_MAX, may
 * be NULL). Missing, truncated or malformed: VG_ERR_CORRUPT naming it.
 */
vg_status vg_ledger_read_hash_tile(int dirfd, int level, uint64_t index, unsigned w,
                                   uint8_t (*out)[VG_HASH_BYTES], char *path_out,
                                   struct vg_err *err) VG_WUR;
vg_status vg_ledger_read_bundle(int dirfd, uint64_t index, unsigned w, uint8_t **data,
                                size_t *len, uint32_t *offs, uint32_t *lens, char *path_out,
                                struct vg_err *err) VG_WUR;

#endif

/*
 * tiles.c - C2SP tlog-tiles paths, entry-bundle parsing and the small file
 * helpers the log and the auditor share.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_MAX ((size_t)VG_TILE_WIDTH * (2 + VG_LEDGER_ENTRY_MAX))

size_t vg_tile_path(int level, uint64_t index, unsigned width, char out[VG_TILE_PATH_MAX])
{
	vg_assert(level >= VG_TILE_ENTRIES && level <= 63);
	vg_assert(width >= 1 && width <= VG_TILE_WIDTH);
	size_t o;
	if (level == VG_TILE_ENTRIES)
		o = (size_t)snprintf(out, VG_TILE_PATH_MAX, "tile/entries/");
	else
		o = (size_t)snprintf(out, VG_TILE_PATH_MAX, "tile/%d/", level);
	unsigned groups[8];
	int ng = 0;
	do {
		groups[ng++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	for (int i = ng - 1; i >= 0; i--)
		o += (size_t)snprintf(out + o, VG_TILE_PATH_MAX - o, i ? "x%03u/" : "%03u", groups[i]);
	if (width < VG_TILE_WIDTH)
		o += (size_t)snprintf(out + o, VG_TILE_PATH_MAX - o, ".p/%u", width);
	return o;
}

vg_status vg_ledger_read_file(int dirfd, const char *rel, uint8_t *buf, size_t cap, size_t *len,
                              struct vg_err *err)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", rel,
		                  strerror(errno));
	size_t n = 0;
	vg_status st = VG_OK;
	for (;;) {
		if (n == cap) {
			/* Full: one more byte tells "exactly cap" from "larger". */
			char extra;
			ssize_t r = read(fd, &extra, 1);
			if (r > 0)
				st = vg_err_set(err, VG_ERR_LIMIT, "%s: larger than %zu bytes", rel, cap);
			else if (r < 0 && errno == EINTR)
				continue;
			else if (r < 0)
				st = vg_err_set(err, VG_ERR_IO, "%s: %s", rel, strerror(errno));
			break;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = vg_err_set(err, VG_ERR_IO, "%s: %s", rel, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (st == VG_OK)
		*len = n;
	return st;
}

vg_status vg_ledger_read_file_alloc(int dirfd, const char *rel, size_t max, uint8_t **buf,
                                    size_t *len, struct vg_err *err)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_err_set(err, errno == ENOENT ? VG_ERR_NOT_FOUND : VG_ERR_IO, "%s: %s", rel,
		                  strerror(errno));
	struct stat sb;
	vg_status st = VG_OK;
	uint8_t *b = NULL;
	size_t n = 0;
	if (fstat(fd, &sb) != 0) {
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", rel, strerror(errno));
		goto out_close;
	}
	if ((uint64_t)sb.st_size > max) {
		st = vg_err_set(err, VG_ERR_LIMIT, "%s: larger than %zu bytes", rel, max);
		goto out_close;
	}
	/* One byte more than the size tells a file that grew. */
	size_t cap = (size_t)sb.st_size + 1;
	if (!(b = malloc(cap))) {
		st = vg_err_set(err, VG_ERR_NOMEM, "%s", rel);
		goto out_close;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = vg_err_set(err, VG_ERR_IO, "%s: %s", rel, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			st = vg_err_set(err, VG_ERR_IO, "%s: changed while being read", rel);
			break;
		}
	}
out_close:
	close(fd);
	if (st != VG_OK) {
		free(b);
		return st;
	}
	*buf = b;
	*len = n;
	return VG_OK;
}

vg_status vg_ledger_write_all(int fd, const void *buf, size_t len, const char *what,
                              struct vg_err *err)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vg_err_set(err, VG_ERR_IO, "%s: write: %s", what,
			                  w < 0 ? strerror(errno) : "no progress");
		p += w;
		len -= (size_t)w;
	}
	return VG_OK;
}

/* fsync the directory containing rel (relative to dirfd). */
static vg_status fsync_parent(int dirfd, const char *rel, struct vg_err *err)
{
	char parent[4096];
	const char *slash = strrchr(rel, '/');
	int fd;
	if (!slash) {
		fd = dup(dirfd);
	} else {
		size_t n = (size_t)(slash - rel);
		if (n >= sizeof parent)
			return vg_err_set(err, VG_ERR_LIMIT, "%s: path too long", rel);
		memcpy(parent, rel, n);
		parent[n] = '\0';
		fd = openat(dirfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: directory: %s", rel, strerror(errno));
	vg_status st = VG_OK;
	if (fsync(fd) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: fsync directory: %s", rel, strerror(errno));
	close(fd);
	return st;
}

vg_status vg_ledger_replace_file(int dirfd, const char *tmp_rel, const char *rel,
                                 const void *data, size_t len, bool no_fsync, struct vg_err *err)
{
	int fd = openat(dirfd, tmp_rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", tmp_rel, strerror(errno));
	vg_status st = vg_ledger_write_all(fd, data, len, tmp_rel, err);
	if (st == VG_OK && !no_fsync && fsync(fd) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: fsync: %s", tmp_rel, strerror(errno));
	if (close(fd) != 0 && st == VG_OK)
		st = vg_err_set(err, VG_ERR_IO, "%s: close: %s", tmp_rel, strerror(errno));
	if (st == VG_OK && renameat(dirfd, tmp_rel, dirfd, rel) != 0)
		st = vg_err_set(err, VG_ERR_IO, "rename %s -> %s: %s", tmp_rel, rel, strerror(errno));
	if (st != VG_OK) {
		unlinkat(dirfd, tmp_rel, 0);
		return st;
	}
	return no_fsync ? VG_OK : fsync_parent(dirfd, rel, err);
}

vg_status vg_ledger_bundle_parse(const uint8_t *data, size_t len, unsigned width,
                                 const char *path, uint32_t *offs, uint32_t *lens,
                                 struct vg_err *err)
{
	size_t p = 0;
	for (unsigned i = 0; i < width; i++) {
		if (len - p < 2)
			return vg_err_set(err, VG_ERR_CORRUPT, "%s: truncated: %u entries, %u expected",
			                  path, i, width);
		size_t n = (size_t)data[p] << 8 | data[p + 1];
		if (len - p - 2 < n)
			return vg_err_set(err, VG_ERR_CORRUPT,
			                  "%s: entry %u: length %zu runs past the end of the bundle",
			                  path, i, n);
		offs[i] = (uint32_t)(p + 2);
		lens[i] = (uint32_t)n;
		p += 2 + n;
	}
	if (p != len)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: %zu bytes after the %u entries", path,
		                  len - p, width);
	return VG_OK;
}

/*
 * Read hash tile (level, index) of width w into out (w hashes). A partial
 * tile that is gone (the log may delete it once the full tile exists) is
 * read from the full tile's prefix.
 */
vg_status vg_ledger_read_hash_tile(int dirfd, int level, uint64_t index, unsigned w,
                                uint8_t (*out)[VG_HASH_BYTES], char *path_out,
                                struct vg_err *err)
{
	char path[VG_TILE_PATH_MAX];
	size_t len = 0;
	vg_tile_path(level, index, w, path);
	vg_status st = vg_ledger_read_file(dirfd, path, (uint8_t *)out, (size_t)w * VG_HASH_BYTES,
	                                   &len, err);
	if (st == VG_ERR_NOT_FOUND && w < VG_TILE_WIDTH) {
		char full[VG_TILE_PATH_MAX];
		uint8_t(*tmp)[VG_HASH_BYTES] = malloc(VG_TILE_WIDTH * VG_HASH_BYTES);
		if (!tmp)
			return vg_err_set(err, VG_ERR_NOMEM, "%s", path);
		vg_tile_path(level, index, VG_TILE_WIDTH, full);
		size_t fl = 0;
		struct vg_err e2;
		if (vg_ledger_read_file(dirfd, full, (uint8_t *)tmp, VG_TILE_WIDTH * VG_HASH_BYTES, &fl,
		                        &e2) == VG_OK &&
		    fl == VG_TILE_WIDTH * VG_HASH_BYTES) {
			memcpy(out, tmp, (size_t)w * VG_HASH_BYTES);
			len = (size_t)w * VG_HASH_BYTES;
			st = VG_OK;
			memcpy(path, full, sizeof path);
		}
		free(tmp);
	}
	if (path_out)
		memcpy(path_out, path, VG_TILE_PATH_MAX);
	if (st == VG_ERR_NOT_FOUND)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: missing", path);
	if (st == VG_ERR_LIMIT)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: longer than %u hashes", path, w);
	if (st != VG_OK)
		return st;
	if (len != (size_t)w * VG_HASH_BYTES)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: truncated: %zu bytes, %zu expected", path,
		                  len, (size_t)w * VG_HASH_BYTES);
	return VG_OK;
}

/* Read entry bundle `index` of width w (falling back to the full bundle's
 * first w entries) into a fresh buffer; *data_out is malloc'ed. */
vg_status vg_ledger_read_bundle(int dirfd, uint64_t index, unsigned w, uint8_t **data_out,
                             size_t *len_out, uint32_t *offs, uint32_t *lens, char *path_out,
                             struct vg_err *err)
{
	char path[VG_TILE_PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned width = w;
	vg_tile_path(VG_TILE_ENTRIES, index, w, path);
	vg_status st = vg_ledger_read_file_alloc(dirfd, path, BUNDLE_MAX, &buf, &len, err);
	if (st == VG_ERR_NOT_FOUND && w < VG_TILE_WIDTH) {
		char full[VG_TILE_PATH_MAX];
		struct vg_err e2;
		vg_tile_path(VG_TILE_ENTRIES, index, VG_TILE_WIDTH, full);
		if (vg_ledger_read_file_alloc(dirfd, full, BUNDLE_MAX, &buf, &len, &e2) == VG_OK) {
			st = VG_OK;
			width = VG_TILE_WIDTH;
			memcpy(path, full, sizeof path);
		}
	}
	if (path_out)
		memcpy(path_out, path, VG_TILE_PATH_MAX);
	if (st == VG_ERR_NOT_FOUND)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: missing", path);
	if (st == VG_ERR_LIMIT)
		return vg_err_set(err, VG_ERR_CORRUPT, "%s: larger than any bundle", path);
	if (st != VG_OK)
		return st;
	if (width == w) {
		st = vg_ledger_bundle_parse(buf, len, w, path, offs, lens, err);
	} else {
		uint32_t o2[VG_TILE_WIDTH], l2[VG_TILE_WIDTH];
		st = vg_ledger_bundle_parse(buf, len, VG_TILE_WIDTH, path, o2, l2, err);
		if (st == VG_OK) {
			memcpy(offs, o2, w * sizeof *offs);
			memcpy(lens, l2, w * sizeof *lens);
		}
	}
	if (st != VG_OK) {
		free(buf);
		return st;
	}
	*data_out = buf;
	*len_out = len;
	return VG_OK;
}


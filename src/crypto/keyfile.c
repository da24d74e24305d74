/* keyfile.c - reading and writing key files. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_TAG "vigil-ed25519-secret:"
#define PUBLIC_TAG "vigil-ed25519-public:"

static vg_status write_file_excl(const char *path, const char *data, size_t len, mode_t mode,
                                 struct vg_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return vg_err_set(err, errno == EEXIST ? VG_ERR_EXISTS : VG_ERR_IO, "%s: %s", path,
		                  errno == EEXIST ? "exists; refusing to overwrite a key" : strerror(errno));
	/* umask may have cleared bits, never added them; enforce the exact mode. */
	vg_status st = VG_OK;
	if (fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && st == VG_OK)
		st = vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	if (st != VG_OK)
		unlink(path);
	return st;
}

vg_status vg_key_write_secret(const char *path, const struct vg_secret_key *key, struct vg_err *err)
{
	char line[128];
	char b64[64];
	vg_b64_encode(key->seed, VG_SEED_BYTES, b64);
	int n = snprintf(line, sizeof line, SECRET_TAG "%s\n", b64);
	vg_status st = write_file_excl(path, line, (size_t)n, 0600, err);
	sodium_memzero(line, sizeof line);
	sodium_memzero(b64, sizeof b64);
	return st;
}

vg_status vg_key_write_public(const char *path, const uint8_t pk[VG_PK_BYTES], struct vg_err *err)
{
	char line[128];
	vg_key_format_public(pk, line, sizeof line - 1);
	strcat(line, "\n");
	return write_file_excl(path, line, strlen(line), 0644, err);
}

void vg_key_format_public(const uint8_t pk[VG_PK_BYTES], char *out, size_t cap)
{
	char b64[64];
	vg_b64_encode(pk, VG_PK_BYTES, b64);
	snprintf(out, cap, PUBLIC_TAG "%s", b64);
}

static vg_status read_small_file(const char *path, char *buf, size_t cap, size_t *len,
                                 struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_ERR_IO, "%s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, cap, f);
	int bad = ferror(f) || (n == cap && fgetc(f) != EOF);
	fclose(f);
	if (bad)
		return vg_err_set(err, VG_ERR_KEY, "%s: unreadable or too large for a key file", path);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*len = n;
	return VG_OK;
}

vg_status vg_key_read_secret(const char *path, struct vg_secret_key *key, struct vg_err *err)
{
	char buf[256];
	size_t n = 0;
	vg_status st = read_small_file(path, buf, sizeof buf, &n, err);
	if (st)
		return st;
	size_t tl = strlen(SECRET_TAG);
	uint8_t seed[64];
	size_t sl = 0;
	if (n < tl || memcmp(buf, SECRET_TAG, tl) != 0) {
		st = vg_err_set(err, VG_ERR_KEY, "%s: not a Vigil secret key file (want '%s...')", path,
		                SECRET_TAG);
	} else if (vg_b64_decode(buf + tl, n - tl, seed, sizeof seed, &sl, NULL) != VG_OK ||
	           sl != VG_SEED_BYTES) {
		st = vg_err_set(err, VG_ERR_KEY, "%s: secret key is not base64 of 32 bytes", path);
	} else {
		vg_key_from_seed(key, seed);
	}
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(seed, sizeof seed);
	return st;
}

vg_status vg_key_parse_public(const char *s, size_t len, uint8_t pk[VG_PK_BYTES], struct vg_err *err)
{
	size_t tl = strlen(PUBLIC_TAG);
	if (len >= tl && memcmp(s, PUBLIC_TAG, tl) == 0) {
		s += tl;
		len -= tl;
	}
	uint8_t tmp[VG_PK_BYTES + 8];
	size_t n = 0;
	struct vg_err e;
	if (vg_b64_decode(s, len, tmp, sizeof tmp, &n, &e) != VG_OK)
		return vg_err_set(err, VG_ERR_KEY, "public key: %s", e.msg);
	if (n != VG_PK_BYTES)
		return vg_err_set(err, VG_ERR_KEY, "public key: %zu bytes, want 32", n);
	vg_status st = vg_key_check_public(tmp, err);
	if (st)
		return st;
	memcpy(pk, tmp, VG_PK_BYTES);
	return VG_OK;
}

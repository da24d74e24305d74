/* test_util.h - small helpers shared by unit tests (header-only). */
#ifndef VG_TEST_UTIL_H
#define VG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Path under the shared test data ($VG_SHARED_DATA, default ../shared/data). */
static inline const char *tu_data_path(const char *rel, char *buf, size_t cap)
{
	const char *base = getenv("VG_SHARED_DATA");
	snprintf(buf, cap, "%s/%s", base && *base ? base : "../shared/data", rel);
	return buf;
}

/* A fresh temporary directory; caller removes it with tu_rmdir. */
static inline char *tu_tmpdir(char *buf, size_t cap)
{
	snprintf(buf, cap, "/tmp/vigil-test-XXXXXX");
	return mkdtemp(buf);
}

static inline void tu_rmdir(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif

/*
 * replay_main.c - runs LLVMFuzzerTestOneInput over every file of a corpus
 * directory (argv[1]), in name order, so that the seed corpus and every
 * crash ever found run as a CTest under ASan+UBSan without libFuzzer.
 * A crash or sanitizer report aborts the process (the test fails); a file
 * that cannot be read counts as failed. Exit 0 iff all passed and there
 * was at least one file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0) {
		fclose(f);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) { /* subdirectories are skipped */
		fclose(f);
		return S_ISDIR(sb.st_mode) ? 1 : -1;
	}
	size_t n = (size_t)sb.st_size;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	struct dirent **names = NULL;
	int n = scandir(argv[1], &names, not_hidden, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 2;
	}
	int passed = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", argv[1], names[i]->d_name);
		int r = run_file(path);
		if (r == 0)
			passed++;
		else if (r < 0) {
			fprintf(stderr, "%s: cannot read\n", path);
			failed++;
		}
		free(names[i]);
	}
	free(names);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}

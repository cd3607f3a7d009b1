/*
 * replay.c: runs a fuzz target over files and directories without libFuzzer,
 * so that `make check` replays every committed corpus in a normal build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	/* A copy of exactly n bytes, so ASan sees any read past the end. */
	if ((buf = malloc(n ? (size_t)n : 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat sb;
	char path[4096];
	DIR *d;
	int i, count = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) != 0)
				return 1;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
				if (run_file(path) != 0) {
					closedir(d);
					return 1;
				}
				count++;
			}
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return 0;
}

/*
 * faultshim: an LD_PRELOAD shim for tests that makes the disk fail on
 * demand.  While the file named by $FAULTSHIM_FILE exists and starts with
 * "sync", fsync(2) and fdatasync(2) fail with EIO; with "write", pwrite(2)
 * and pwritev(2) to regular files (LMDB's writes) fail with ENOSPC too.  Read on
 * every call, so a test can break and mend the disk under a running daemon.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
fault(const char *what)
{
	const char *f = getenv("FAULTSHIM_FILE");
	char buf[16];
	ssize_t n;
	int fd, e = errno;

	if (f == NULL)
		return 0;
	/* the real read(2), open(2): not intercepted here */
	if ((fd = open(f, O_RDONLY | O_CLOEXEC)) < 0) {
		errno = e;
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	errno = e;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strncmp(buf, what, strlen(what)) == 0 ||
	    (strcmp(what, "sync") == 0 && strncmp(buf, "write", 5) == 0);
}

static int
regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (fault("sync")) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (fault("sync")) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}

ssize_t
pwrite(int fd, const void *b, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (fault("write") && regular(fd)) {
		errno = ENOSPC;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))
		    dlsym(RTLD_NEXT, "pwrite");
	return real(fd, b, n, off);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	static ssize_t (*real)(int, const struct iovec *, int, off_t);

	if (fault("write") && regular(fd)) {
		errno = ENOSPC;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int, off_t))
		    dlsym(RTLD_NEXT, "pwritev");
	return real(fd, iov, cnt, off);
}

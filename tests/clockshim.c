/*
 * clockshim: an LD_PRELOAD shim for tests that moves the wall clock.
 * CLOCK_REALTIME (and gettimeofday, time) are shifted by the number of
 * seconds in the file named by $CLOCKSHIM_FILE, read on every call, so a
 * test can step the clock of a running daemon; monotonic time is left
 * alone, as a real clock step leaves it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long
offset_s(void)
{
	const char *f = getenv("CLOCKSHIM_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (f == NULL || (fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
		    "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset_s();
	return rc;
}

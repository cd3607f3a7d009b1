/*
 * seccomptest: installs cairnd's seccomp filter (collector/sandbox.c) on
 * itself, or not ("off"), then tries what the filter must deny and what
 * cairnd and its libraries must still be able to do, one line each:
 * "NAME=ok", "NAME=EPERM" or "NAME=error ...".  tests/privs.sh judges.
 * The last probe runs /bin/echo, which prints "execve=ran" if it is let.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* Prints NAME=ok, NAME=EPERM or NAME=error ... for a result. */
static void
say(const char *name, int ok, int e)
{
	if (ok)
		printf("%s=ok\n", name);
	else if (e == EPERM)
		printf("%s=EPERM\n", name);
	else
		printf("%s=error %s\n", name, strerror(e));
	fflush(stdout);
}

/* Opens a socket of a family and closes it. */
static void
try_socket(const char *name, int family, int type, int proto)
{
	int fd;

	fd = socket(family, type | SOCK_CLOEXEC, proto);
	say(name, fd >= 0, errno);
	if (fd >= 0)
		close(fd);
}

/* Writes, syncs, renames, reads back and removes a file, as LMDB and the
 * checkpoint file writer do. */
static void
try_files(void)
{
	char dir[] = "/tmp/seccomptest.XXXXXX", a[64], b[64], buf[16];
	int fd, ok = 0, e = 0;
	void *m;

	if (mkdtemp(dir) == NULL) {
		say("files", 0, errno);
		return;
	}
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	if ((fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0 &&
	    write(fd, "cairn", 5) == 5 && fdatasync(fd) == 0 && close(fd) == 0 &&
	    rename(a, b) == 0 && (fd = open(b, O_RDONLY | O_CLOEXEC)) >= 0) {
		m = mmap(NULL, 5, PROT_READ, MAP_SHARED, fd, 0);
		ok = read(fd, buf, sizeof buf) == 5 && memcmp(buf, "cairn", 5) == 0 &&
		    m != MAP_FAILED && memcmp(m, "cairn", 5) == 0 &&
		    flock(fd, LOCK_EX) == 0;
		if (m != MAP_FAILED)
			munmap(m, 5);
		close(fd);
	}
	e = errno;
	(void)unlink(a);
	(void)unlink(b);
	(void)rmdir(dir);
	say("files", ok, e);
}

static void *
thread_main(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* Starts and joins a thread (clone with CLONE_THREAD, or clone3). */
static void
try_thread(void)
{
	pthread_t t;
	int v = 0, rc;

	if ((rc = pthread_create(&t, NULL, thread_main, &v)) == 0)
		rc = pthread_join(t, NULL);
	say("thread", rc == 0 && v == 42, rc);
}

/* A listening TCP socket on loopback, as cairnd's listeners. */
static void
try_listen(void)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, ok = 0, e, on = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG;
	if (getaddrinfo("127.0.0.1", "0", &hints, &res) == 0 &&
	    (fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0)) >= 0)
		ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof on) == 0 && bind(fd, res->ai_addr,
		    res->ai_addrlen) == 0 && listen(fd, 8) == 0;
	e = errno;
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	say("listen_inet", ok, e);
}

/* fork(): the C library's goes through clone without CLONE_THREAD. */
static void
try_fork(void)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(0);
	if (pid < 0) {
		say("fork", 0, errno);
		return;
	}
	say("fork", waitpid(pid, &st, 0) == pid && WIFEXITED(st), errno);
}

int
main(int argc, char **argv)
{
	static char echo[] = "/bin/echo", ran[] = "execve=ran";
	char err[256], line[128], *argv_echo[] = { echo, ran, NULL },
	    *envp[] = { NULL };
	struct timespec ts;
	unsigned char rnd[16];
	FILE *f;

	if (argc != 2 || (strcmp(argv[1], "on") != 0 &&
	    strcmp(argv[1], "off") != 0)) {
		fprintf(stderr, "usage: seccomptest on|off\n");
		return 2;
	}
	if (strcmp(argv[1], "on") == 0) {
		if (sandbox_install(err, sizeof err) != 0) {
			fprintf(stderr, "seccomptest: %s\n", err);
			return 1;
		}
		printf("denied=%zu\n", sandbox_denied());
	}
	printf("sanitized=%d\n", sandbox_sanitized());
	if ((f = fopen("/proc/self/status", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (strncmp(line, "Seccomp:", 8) == 0 ||
			    strncmp(line, "NoNewPrivs:", 11) == 0)
				fputs(line, stdout);
		fclose(f);
	}
	/* What cairnd and its libraries do all the time. */
	try_files();
	try_thread();
	try_listen();
	try_socket("socket_inet6", AF_INET6, SOCK_DGRAM, 0);
	try_socket("socket_unix", AF_UNIX, SOCK_STREAM, 0);
	say("clock", clock_gettime(CLOCK_REALTIME, &ts) == 0, errno);
	say("getrandom", getrandom(rnd, sizeof rnd, 0) == (ssize_t)sizeof rnd,
	    errno);
	/* What it never does. */
	try_socket("socket_netlink", AF_NETLINK, SOCK_RAW, 0);
	try_socket("socket_packet", AF_PACKET, SOCK_RAW, htons(0x0003));
	say("unshare", unshare(0) == 0, errno);
	say("setuid", setuid(getuid()) == 0, errno);
	try_fork();
	fflush(stdout);
	(void)execve(argv_echo[0], argv_echo, envp);
	say("execve", 0, errno);
	return 0;
}

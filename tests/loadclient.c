/*
 * loadclient: a test client that sends audit events one at a time and
 * prints each event id on stdout only once the server acknowledged it
 * (HTTP 200 with a receipt, or RELP "rsp 200").  The durability tests kill
 * cairnd under it and then check that every printed id is stored, once.
 * It reconnects and re-sends the unacknowledged event until told to stop.
 *
 *   loadclient http PORT TOKEN COUNT PREFIX
 *   loadclient relp PORT COUNT PREFIX
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int
dial(int port)
{
	struct sockaddr_in sa;
	int fd, on = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
writeall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until the buffer holds pat (and, for HTTP, the whole body). */
static ssize_t
readuntil(int fd, char *buf, size_t cap, const char *pat)
{
	size_t n = 0;
	ssize_t r;
	char *h, *cl;
	size_t need;

	for (;;) {
		if (n + 1 >= cap)
			return -1;
		if ((r = read(fd, buf + n, cap - 1 - n)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
		buf[n] = 0;
		if ((h = strstr(buf, pat)) == NULL)
			continue;
		if (strcmp(pat, "\r\n\r\n") != 0)
			return (ssize_t)n;
		cl = strcasestr(buf, "Content-Length:");
		need = (size_t)(h + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		if (n >= need)
			return (ssize_t)n;
	}
}

/* Reads one RELP frame "TXNR CMD LEN DATA\n" into buf (NUL-terminated). */
static int
relp_frame(int fd, char *buf, size_t cap)
{
	size_t n = 0, spaces = 0, datalen = 0, need = 0;
	ssize_t r;
	char c, *p;

	for (;;) {
		if ((r = read(fd, &c, 1)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
		buf[n] = 0;
		if (need == 0 && (c == ' ' || c == '\n')) {
			spaces++;
			if (spaces == 3 || (spaces == 2 && c == '\n')) {
				/* Third token is the data length. */
				p = strrchr(buf, ' ');
				if (spaces == 3) {
					*p = 0;
					p = strrchr(buf, ' ');
					datalen = strtoul(p + 1, NULL, 10);
					*strchr(p + 1, 0) = ' ';
				}
				need = n + datalen + (spaces == 3 ? 1 : 0);
				if (datalen == 0)
					return 0;
			}
		}
		if (need != 0 && n >= need)
			return 0;
	}
}

static void
backoff(void)
{
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
}

static int
run_http(int port, const char *token, long count, const char *prefix)
{
	char body[512], req[1024], resp[8192];
	long i = 0;
	int fd = -1, len, n;

	while (i < count) {
		if (fd < 0 && (fd = dial(port)) < 0) {
			backoff();
			continue;
		}
		len = snprintf(body, sizeof body, "{\"id\":\"%s-%ld\","
		    "\"type\":\"account.created\",\"account_kind\":\"personal\","
		    "\"time\":\"2026-11-29T08:00:00Z\",\"account\":\"u-%ld\"}",
		    prefix, i, i % 100);
		n = snprintf(req, sizeof req, "POST /v1/events HTTP/1.1\r\n"
		    "Host: localhost\r\nAuthorization: Bearer %s\r\n"
		    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		    token, len, body);
		if (writeall(fd, req, (size_t)n) != 0 ||
		    readuntil(fd, resp, sizeof resp, "\r\n\r\n") < 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		if (strncmp(resp, "HTTP/1.1 200", 12) != 0) {
			/* 503 while starting or stopping: send it again. */
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		/* Acknowledged with a receipt: it must be stored. */
		printf("%s-%ld\n", prefix, i);
		fflush(stdout);
		i++;
	}
	return 0;
}

static int
run_relp(int port, long count, const char *prefix)
{
	char msg[512], frame[1024], resp[1024], want[64];
	static const char offer[] = "relp_version=0\nrelp_software=loadclient\n"
	    "commands=syslog";
	long i = 0, txnr = 1;
	int fd = -1, n, mlen;

	while (i < count) {
		if (fd < 0) {
			if ((fd = dial(port)) < 0) {
				backoff();
				continue;
			}
			txnr = 1;
			n = snprintf(frame, sizeof frame, "%ld open %zu %s\n", txnr,
			    strlen(offer), offer);
			snprintf(want, sizeof want, "%ld rsp ", txnr);
			if (writeall(fd, frame, (size_t)n) != 0 ||
			    relp_frame(fd, resp, sizeof resp) != 0 ||
			    strncmp(resp, want, strlen(want)) != 0) {
				close(fd);
				fd = -1;
				backoff();
				continue;
			}
			txnr++;
		}
		mlen = snprintf(msg, sizeof msg, "<13>1 2026-11-29T08:00:00Z host app"
		    " - - [cairn@32473 id=\"%s-%ld\" type=\"account.created\" "
		    "account=\"u-%ld\" account_kind=\"personal\"] relp load",
		    prefix, i, i % 100);
		n = snprintf(frame, sizeof frame, "%ld syslog %d %s\n", txnr, mlen,
		    msg);
		snprintf(want, sizeof want, "%ld rsp 6 200 OK", txnr);
		if (writeall(fd, frame, (size_t)n) != 0 ||
		    relp_frame(fd, resp, sizeof resp) != 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		if (strncmp(resp, want, strlen(want)) != 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		printf("%s-%ld\n", prefix, i);
		fflush(stdout);
		txnr++;
		i++;
	}
	return 0;
}

/* raw PORT: sends standard input over one TCP connection, then waits for
 * the server to close it (at most a second): for hand-made bad frames. */
static int
run_raw(int port)
{
	char buf[65536];
	ssize_t n;
	struct timeval tv = { 1, 0 };
	int fd;

	if ((fd = dial(port)) < 0)
		return 1;
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (writeall(fd, buf, (size_t)n) != 0)
			break;
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "raw") == 0)
		return run_raw(atoi(argv[2]));
	if (argc == 6 && strcmp(argv[1], "http") == 0)
		return run_http(atoi(argv[2]), argv[3], atol(argv[4]), argv[5]);
	if (argc == 5 && strcmp(argv[1], "relp") == 0)
		return run_relp(atoi(argv[2]), atol(argv[3]), argv[4]);
	fprintf(stderr, "usage: loadclient http PORT TOKEN COUNT PREFIX | "
	    "relp PORT COUNT PREFIX\n");
	return 2;
}

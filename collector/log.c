/*
 * log.c: cairnd's messages, to stderr in the foreground (-d, and before
 * log_init), else to syslog(3) as LOG_DAEMON.
 *
 * Each message is formatted whole and written with one write(2) (or one
 * syslog(3) call), so lines from different threads never interleave.
 * Control characters are escaped, since messages quote what peers sent.
 * Callers never pass secrets (tokens, passphrases, key bytes) to these.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cairnd.h"

#define LOG_MAXMSG	2048

static const char	*log_prog = "cairnd";
static int		 log_fg = 1;
static int		 log_dbg;

/* Chooses stderr (foreground) or syslog, and whether debug messages show. */
void
log_init(const char *progname, int foreground, int debug)
{
	if (progname != NULL)
		log_prog = progname;
	log_fg = foreground;
	log_dbg = debug;
	if (!foreground)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Copies s into out, escaping control bytes as \xNN so one message is one line. */
static void
escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0' && o + 5 < outlen; s++) {
		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Formats and emits one message at a syslog priority. */
static void __attribute__((format(printf, 3, 0)))
vlog(int pri, const char *level, const char *fmt, va_list ap)
{
	char raw[LOG_MAXMSG], msg[LOG_MAXMSG], line[LOG_MAXMSG + 128];
	struct timespec ts;
	struct tm tm;
	ssize_t r;
	size_t n, off;
	int saved = errno, len;

	vsnprintf(raw, sizeof raw, fmt, ap);
	escape(raw, msg, sizeof msg);
	if (!log_fg) {
		syslog(pri, "%s", msg);
		errno = saved;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = snprintf(line, sizeof line,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld]: %s: %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_prog,
	    (long)getpid(), level, msg);
	if (len < 0) {
		errno = saved;
		return;
	}
	n = (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
	/* One write for the whole line; retried only if interrupted. */
	for (off = 0; off < n; off += (size_t)r) {
		r = write(STDERR_FILENO, line + off, n - off);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			break;
	}
	errno = saved;
}

/* Logs an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "info", fmt, ap);
	va_end(ap);
}

/* Logs a warning. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "warning", fmt, ap);
	va_end(ap);
}

/* Logs an error. */
void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error", fmt, ap);
	va_end(ap);
}

/* Logs a debugging message when debug is on (-v). */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

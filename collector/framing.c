/*
 * framing.c: RFC 6587 octet-counting and non-transparent framing.
 *
 * Safety, after OpenBSD syslogd's octet_counting(): MSG-LEN is read one
 * digit at a time, at most FRAMER_MAX_DIGITS (9) of them, so its value is
 * below 10^9 and cannot overflow a size_t even on a 32-bit system; a
 * leading zero is refused (RFC 6587 section 3.4.1: MSG-LEN = NONZERO-DIGIT
 * *DIGIT), as is anything but SP after the digits: such a stream has no
 * frame boundary we could trust, so the connection must be closed.  A
 * frame longer than max is never buffered: its octets are counted down and
 * dropped, which keeps the stream in sync.  In LF mode a line is buffered
 * only up to max + 1 bytes (room for a CR), so memory per connection is
 * bounded by max + 1 whatever the peer sends.
 */
#include <stdlib.h>
#include <string.h>

#include "framing.h"

enum {
	S_START,	/* between frames */
	S_LEN,		/* reading MSG-LEN */
	S_MSG,		/* reading an octet-counted frame */
	S_SKIP,		/* dropping an oversized octet-counted frame */
	S_LINE,		/* reading an LF-terminated frame */
	S_DISCARD,	/* dropping an overlong line up to its LF */
	S_DEAD		/* desynchronised: the connection must close */
};

void
framer_init(struct framer *f, size_t max_message)
{
	memset(f, 0, sizeof(*f));
	/* No frame can be longer than 9 digits say: keeps max + 1 finite. */
	f->max = max_message < 999999999 ? max_message : 999999999;
	f->mode = FRAMER_UNKNOWN;
	f->state = S_START;
}

void
framer_free(struct framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

/* Appends n bytes to the frame buffer, growing it up to max + 1 bytes. */
static int
buf_add(struct framer *f, const uint8_t *p, size_t n)
{
	size_t ncap, limit = f->max + 1;
	uint8_t *nb;

	if (n > limit - f->len)
		return -1;	/* callers check first; never past the cap */
	if (f->len + n > f->cap) {
		ncap = f->cap ? f->cap : 1024;
		while (ncap < f->len + n)
			ncap = ncap > limit / 2 ? limit : ncap * 2;
		if (ncap > limit)
			ncap = limit;
		if ((nb = realloc(f->buf, ncap)) == NULL)
			return -1;
		f->buf = nb;
		f->cap = ncap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

/* A terminator between frames: LF, CR, or NUL (some senders). */
static int
is_term(uint8_t c)
{
	return c == '\n' || c == '\r' || c == '\0';
}

/* Index of the first LF or NUL in in[i..len), or len. */
static size_t
find_eol(const uint8_t *in, size_t i, size_t len)
{
	while (i < len && in[i] != '\n' && in[i] != '\0')
		i++;
	return i;
}

int
framer_next(struct framer *f, const uint8_t *in, size_t len, size_t *used,
    const uint8_t **frame, size_t *flen)
{
	size_t i = 0, take, end, n;
	uint8_t c;

	*used = 0;
	if (f->delivered) {
		f->len = 0;
		f->delivered = 0;
	}
	while (i < len) {
		switch (f->state) {
		case S_DEAD:
			return -2;
		case S_START:
			c = in[i];
			/* A CR LF or NUL after a frame, or blank lines: some
			 * senders add them even to octet-counted frames. */
			if (is_term(c)) {
				i++;
				break;
			}
			if (f->mode == FRAMER_UNKNOWN)
				f->mode = c >= '0' && c <= '9' ?
				    FRAMER_OCTET : FRAMER_LF;
			f->state = f->mode == FRAMER_OCTET ? S_LEN : S_LINE;
			f->want = f->ndigits = 0;
			break;
		case S_LEN:
			c = in[i];
			if (c >= '0' && c <= '9') {
				/* NONZERO-DIGIT *DIGIT, at most 9 of them. */
				if ((f->ndigits == 0 && c == '0') ||
				    f->ndigits == FRAMER_MAX_DIGITS)
					goto dead;
				f->want = f->want * 10 + (size_t)(c - '0');
				f->ndigits++;
				i++;
				break;
			}
			if (c != ' ' || f->ndigits == 0)
				goto dead;
			i++;
			if (f->want > f->max) {
				f->state = S_SKIP;
				f->bad++;
				*used = i;
				return -1;
			}
			f->state = S_MSG;
			if (len - i >= f->want) {
				/* The whole frame is here: no copy. */
				*frame = in + i;
				*flen = f->want;
				i += f->want;
				f->state = S_START;
				f->frames++;
				*used = i;
				return 1;
			}
			break;
		case S_MSG:
			take = len - i < f->want ? len - i : f->want;
			if (buf_add(f, in + i, take) != 0)
				goto dead;
			i += take;
			f->want -= take;
			if (f->want == 0) {
				*frame = f->buf;
				*flen = f->len;
				f->delivered = 1;
				f->state = S_START;
				f->frames++;
				*used = i;
				return 1;
			}
			break;
		case S_SKIP:
			take = len - i < f->want ? len - i : f->want;
			i += take;
			f->want -= take;
			if (f->want == 0)
				f->state = S_START;
			break;
		case S_LINE:
			end = find_eol(in, i, len);
			if (end - i > f->max + 1 - f->len) {
				/* Too long: drop it, and the rest of it up to
				 * its LF; report it now, once. */
				f->len = 0;
				f->bad++;
				if (end < len) {
					i = end + 1;
					f->state = S_START;
				} else {
					i = end;
					f->state = S_DISCARD;
				}
				*used = i;
				return -1;
			}
			if (end == len) {
				if (buf_add(f, in + i, end - i) != 0)
					goto dead;
				i = end;
				break;
			}
			if (f->len == 0) {
				*frame = in + i;
				n = end - i;
			} else {
				if (buf_add(f, in + i, end - i) != 0)
					goto dead;
				*frame = f->buf;
				n = f->len;
				f->delivered = 1;
			}
			i = end + 1;
			f->state = S_START;
			if (n > 0 && (*frame)[n - 1] == '\r')
				n--;
			if (n > f->max) {
				f->len = 0;
				f->delivered = 0;
				f->bad++;
				*used = i;
				return -1;
			}
			*flen = n;
			f->frames++;
			*used = i;
			return 1;
		case S_DISCARD:
			end = find_eol(in, i, len);
			if (end < len) {
				i = end + 1;
				f->state = S_START;
			} else
				i = end;
			break;
		}
	}
	*used = i;
	return 0;
dead:
	f->state = S_DEAD;
	f->len = 0;
	*used = i;
	return -2;
}

int
framer_eof(struct framer *f, const uint8_t **frame, size_t *flen)
{
	size_t n;

	if (f->delivered) {
		f->len = 0;
		f->delivered = 0;
	}
	switch (f->state) {
	case S_LINE:
		n = f->len;
		if (n > 0 && f->buf[n - 1] == '\r')
			n--;
		if (n == 0 || n > f->max) {
			f->state = S_START;
			f->len = 0;
			return n == 0 ? 0 : -1;
		}
		*frame = f->buf;
		*flen = n;
		f->delivered = 1;
		f->state = S_START;
		f->frames++;
		return 1;
	case S_LEN:
	case S_MSG:
		f->state = S_START;
		f->len = 0;
		return -1;
	default:
		return 0;
	}
}

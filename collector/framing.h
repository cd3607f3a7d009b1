/*
 * framing.h: RFC 6587 framing of syslog over a TCP (or TLS) stream.
 *
 * The framing is chosen per connection from its first byte (leading CR, LF
 * and NUL skipped): a digit means octet counting, "MSG-LEN SP SYSLOG-MSG"
 * (RFC 6587 section 3.4.1); anything else, normally '<', means
 * non-transparent framing, messages ended by LF (section 3.4.2; NUL is
 * taken as a terminator too, and a CR before the LF is dropped).  The
 * parser is incremental and keeps at most max_message + 1 bytes per
 * connection.
 */
#ifndef CAIRN_FRAMING_H
#define CAIRN_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#define FRAMER_UNKNOWN	0	/* no byte seen yet */
#define FRAMER_OCTET	1	/* octet counting */
#define FRAMER_LF	2	/* non-transparent framing */

/* MSG-LEN has at most this many digits: bounded, and no overflow. */
#define FRAMER_MAX_DIGITS 9

struct framer {
	int		 mode;		/* FRAMER_* */
	size_t		 max;		/* largest frame delivered */
	/* internal state */
	int		 state;
	size_t		 ndigits;
	size_t		 want;		/* octets still to read or to skip */
	uint8_t		*buf;		/* a frame split across reads */
	size_t		 len, cap;
	int		 delivered;	/* buf holds the frame last returned */
	uint64_t	 frames;	/* frames delivered */
	uint64_t	 bad;		/* frames skipped (too long) */
};

void	framer_init(struct framer *, size_t max_message);
void	framer_free(struct framer *);

/*
 * Feeds len bytes; *used says how many were consumed.  Returns
 * 1: a frame in (*frame, *flen), valid until the next call on the framer
 *    (it may point into in); call again with the rest of the input;
 * 0: everything consumed, more bytes needed;
 * -1: a frame longer than max was skipped and counted; the stream stays in
 *    sync (octet counting: its MSG-LEN octets are dropped; LF: the line is
 *    dropped up to its LF); reported once per frame;
 * -2: the stream cannot be resynchronised (MSG-LEN not 1-9 digits with no
 *    leading zero, or not followed by SP; or out of memory): close the
 *    connection.  Every later call returns -2 too.
 */
int	framer_next(struct framer *, const uint8_t *in, size_t len,
	    size_t *used, const uint8_t **frame, size_t *flen);

/*
 * At end of stream: 1 and the last LF-framed message if it lacked its LF
 * (senders often omit the final one), 0 if nothing is pending, -1 if an
 * octet-counted frame was cut short (counted by the caller).
 */
int	framer_eof(struct framer *, const uint8_t **frame, size_t *flen);

#endif

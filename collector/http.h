/*
 * http.h: the pure parts of the HTTP listener, split out so that they can
 * be tested and fuzzed without a socket: media-type and Authorization
 * header parsing, and decoding a POST /v1/events body into events.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Most events one request may carry (413 beyond). */
#define HTTP_MAX_EVENTS		100000
/* Largest single event as sent, the same cap as cairn_event_prepare(). */
#define HTTP_MAX_EVENT		(64 * 1024)

/* Body media types. */
#define HTTP_CT_JSON		1	/* application/json: object or array */
#define HTTP_CT_NDJSON		2	/* application/x-ndjson: one per line */

/* Where a decoding error is. */
#define HTTP_POS_NONE		0	/* the body as a whole */
#define HTTP_POS_INDEX		1	/* pos is a 0-based array index */
#define HTTP_POS_LINE		2	/* pos is a 1-based NDJSON line */

struct http_derr {
	int	 pos_kind;		/* HTTP_POS_* */
	size_t	 pos;
	char	 msg[192];
};

/* Decoded events; lines[i] is event i's NDJSON line (NULL for JSON). */
struct http_events {
	json_t	**evs;
	size_t	 *lines;
	size_t	  n;
};

/*
 * The HTTP_CT_* of a Content-Type header value (RFC 9110 section 8.3:
 * type and subtype are case-insensitive, parameters follow ';'), or 0 if
 * unsupported; a charset parameter other than UTF-8 is unsupported too
 * (RFC 8259 section 8.1).
 */
int	http_content_type(const char *);

/*
 * Points *tok at the token of an "Authorization: Bearer <token>" value
 * (RFC 6750 section 2.1; the scheme is case-insensitive, RFC 9110 section
 * 11.1), *len bytes long, inside the value; 0, or -1 if the value is not
 * a bearer credential.
 */
int	http_bearer(const char *, const char **tok, size_t *len);

/*
 * Decodes a body of type ctype into events, each parsed strictly (see
 * cairn_json_parse) but not validated: an array element or NDJSON line
 * that is not an object is left for validation to refuse.  Returns 0 and
 * fills out (free with http_events_free), or: CAIRN_EJSON, CAIRN_EUTF8,
 * CAIRN_EINVAL (malformed, outside our JSON subset, or no events at all:
 * HTTP 400); CAIRN_ETOOBIG (more than HTTP_MAX_EVENTS events, or one
 * larger than HTTP_MAX_EVENT: HTTP 413); CAIRN_ENOMEM.  On error, err
 * says where and why and out is empty.
 */
int	http_decode_events(const uint8_t *, size_t, int ctype,
	    struct http_events *out, struct http_derr *err);
/* Frees the events not yet taken (entries set to NULL are skipped). */
void	http_events_free(struct http_events *);

/* http_query.c: the query endpoints, for a caller already authorized for
 * the route (role query; ingest for /v1/entries/{seq}/proof and
 * /v1/consistency, where it is checked further). */
struct cairn_buf;
struct http_qctx {
	/* A query-string argument (URL-decoded), or NULL. */
	const char	*(*arg)(void *argctx, const char *name);
	void		*argctx;
	unsigned	 roles;		/* the caller's ROLE_* bits */
	const char	*who;		/* its token name (or local user) */
	int		 post;		/* POST, else GET */
};
/* Answers a request under /v1/accounts/, /v1/entries or /v1/consistency:
 * the JSON body into out, and the HTTP status; 0 when out of memory. */
unsigned http_query(const char *url, const struct http_qctx *,
	    struct cairn_buf *out);

/* POST /v1/accounts/{id}/history?command=C, on the local socket only: the
 * account's history for `cairn history`, recorded first like every query,
 * as a stream of frames (rows.h, CAIRN_HIST_*). */
struct http_hist;
/* Records the query and opens the history: 200 and *out, or an HTTP
 * status with the error body in err (0: out of memory). */
unsigned http_history_open(const char *url, const struct http_qctx *,
	    struct http_hist **out, struct cairn_buf *err);
/* Up to max bytes of frames into buf: their number, 0 after the end
 * frame, -1 if the history cannot be read on (the stream is cut). */
ssize_t	http_history_read(struct http_hist *, uint8_t *buf, size_t max);
void	http_history_free(struct http_hist *);

/* http_report.c: exports (role report).  POST /v1/reports with a JSON
 * body: writes the export, the description (or error) into out, the HTTP
 * status (0: out of memory); local adds the server-side paths. */
unsigned http_report_create(const uint8_t *body, size_t len,
	    const char *who, int local, struct cairn_buf *out);
/* GET /v1/reports/NAME: an open descriptor of the file, its size and
 * media type (200), or 404 with the error body in err. */
unsigned http_report_open(const char *name, int *fd, uint64_t *size,
	    const char **ctype, struct cairn_buf *err);
/* The directory exports are written into. */
const char *http_report_dir(void);

#endif

/*
 * rows.h: reading entries back for people, shared by `cairn history`,
 * `search`, `tail` and cairnd's query endpoints: the fields a query shows,
 * filters, the per-account chain check, the JSON of an entry and of a
 * proof (one shape for the CLI's --json and for HTTP), and the offline
 * check of such output (`cairn verify-proof`).
 *
 * The JSON of an entry, one object (one NDJSON line for the CLI), keys in
 * this order:
 *   "check"        "ok", or what is wrong: "altered" (the bytes do not hash
 *                  to the leaf stored in the tree), "gap" (account_prev does
 *                  not link to the account's previous entry: one is missing
 *                  or was changed), "foreign" (an index named an entry that
 *                  is not about this account), "unreadable"
 *   "entry"        the stored entry, verbatim: canonical JSON (RFC 8785),
 *                  so SHA-256(0x00 || its bytes) is the leaf hash; or
 *   "entry_b64"    instead, base64 of the bytes when they are not JSON
 *   "leaf"         hex leaf hash recomputed from the bytes
 *   "leaf_stored"  only when it differs: the leaf hash kept in the tree
 *   "proof"        with --prove: the inclusion proof (below), or null when
 *                  the checkpoint does not cover the entry yet
 *   "received", "seq", "stream", "type"   copied from the entry
 * Inclusion proof (RFC 9162 section 2.1.3): {"type":"inclusion","index",
 * "tree_size","leaf_hash","root_hash","path":[hex...]}; consistency proof
 * (section 2.1.4): {"type":"consistency","old_size","new_size","old_root",
 * "new_root","path":[hex...]}.  Hashes are lower-case hex.
 */
#ifndef CAIRN_ROWS_H
#define CAIRN_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cairn.h"
#include "note.h"
#include "util.h"

#define CAIRN_ROW_MAX_FIELDS	16	/* --field filters per query */

/* The text of a JSON value inside an entry: a string's contents without
 * its quotes (still escaped), other values as they are; p NULL if absent. */
struct cairn_span {
	const char	*p;
	size_t		 n;
};

/* What a query shows of an entry; spans point into the entry bytes. */
struct cairn_row {
	struct cairn_span account_prev, received, source, stream;
	struct cairn_span event;	/* the event object, raw */
	struct cairn_span account, clause, outcome, time, type;
	int64_t		 received_us;
	uint64_t	 seq;
};

/* Check results, in the order of their names. */
enum {
	CAIRN_ROW_OK, CAIRN_ROW_ALTERED, CAIRN_ROW_GAP, CAIRN_ROW_FOREIGN,
	CAIRN_ROW_UNREADABLE
};
const char *cairn_row_check_name(int);

/* Extracts the row of a stored entry (len bytes); "outcome" is the first
 * of the event's outcome, action, decision or result.  CAIRN_EJSON if the
 * bytes are not a well-formed entry (row then all absent). */
int	cairn_row_parse(const uint8_t *, size_t, struct cairn_row *);

/* 1 if the span, a JSON string's escaped contents, decodes to s. */
int	cairn_span_eq(const struct cairn_span *, const char *s);

/* Filters: received in [since, until) microseconds, stream, type, and
 * event fields equal to values (a string field compares its text, any
 * other its JSON text, e.g. true or 42). */
struct cairn_filter {
	int64_t		 since, until;
	const char	*stream, *type;
	size_t		 nfields;
	const char	*name[CAIRN_ROW_MAX_FIELDS];
	const char	*value[CAIRN_ROW_MAX_FIELDS];
};
/* An empty filter: everything matches. */
void	cairn_filter_init(struct cairn_filter *);
int	cairn_row_match(const struct cairn_row *, const struct cairn_filter *);

/* Parses a query time: RFC 3339, or a date YYYY-MM-DD meaning its start
 * in UTC.  0 or CAIRN_EINVAL. */
int	cairn_query_time(const char *, int64_t *us);

/*
 * The per-account chain check.  Start with cairn_chain_init (from an
 * account's first entry), or set prev to the stored leaf hash of the last
 * entry already checked (resuming at a cursor); then one step per entry
 * of the account, in seq order.  A step returns the CAIRN_ROW_* of the
 * entry; the chain continues from its stored leaf hash whatever it is.
 */
struct cairn_chain {
	uint8_t		 prev[CAIRN_HASH_LEN];
	uint64_t	 n;		/* entries checked */
	uint64_t	 bad;		/* of which not ok */
	uint64_t	 last_seq;
};
void	cairn_chain_init(struct cairn_chain *);
int	cairn_chain_step(struct cairn_chain *, const char *account,
	    const struct cairn_entry *, const struct cairn_row *, int parsed);

/*
 * An account's entries, oldest first, with the chain check, reading each
 * entry's stored leaf hash only where the chain cannot vouch for it.  An
 * entry's account_prev holds the stored leaf hash of the account's entry
 * before it, so an entry whose recomputed leaf equals the next entry's
 * account_prev has the bytes that were stored, as far as that next entry
 * does: the chain carries the proof forward to the last entry, whose
 * stored leaf is compared (cairn_hist_confirm compares one early, for a
 * page that stops before the end).  An entry whose next link fails, that
 * cannot be parsed or names another account has its stored leaf compared
 * at once, so the check names the entry at fault as cairn_chain_step does.
 * (An attacker who rewrites an entry and every later entry of the account
 * so that their links hold is caught at the last one, or at the last one
 * shown when confirmed.)  Each entry is given out once the next has been
 * read: the iterator reads one ahead.
 */
struct cairn_hist {
	cairn_iter		*it;
	const char		*account;
	struct cairn_chain	 ch;
	int			 state;		/* internal */
	int			 have;		/* an entry is held */
	int			 out;		/* slot given out last */
	int			 given;		/* an entry was given out */
	struct cairn_entry	 e[2];		/* held, given out */
	struct cairn_row	 r[2];
	int			 parsed[2], check[2], gap[2];
	uint8_t			 link[2][CAIRN_HASH_LEN];	/* account_prev */
	int			 linked[2];	/* link decoded */
	struct cairn_buf	 buf[2];
	uint64_t		 first_seq, last_seq;	/* of those given out */
};
/*
 * `cairn history` through cairnd (POST /v1/accounts/{id}/history on its
 * local socket): cairn_hist's output as frames, integers big-endian:
 *   CAIRN_HIST_ROW  'R' check(1) intact(1) seq(8) leaf(32) stored(32)
 *                   len(4), then the len bytes of the entry
 *   CAIRN_HIST_SROW 'S' the same 79 bytes, parsed(1) and the row cairnd
 *                   parsed (cairn_row_spans_put, CAIRN_ROW_SPANS_LEN),
 *                   then the entry: the reader need not parse it again
 *   CAIRN_HIST_END  'Z' checked(8) first_seq(8) last_seq(8) problems(8):
 *                   the last frame; a stream without it was cut short
 * cairnd sends 'S'; cairn reads both ('R' from an older cairnd).
 */
#define CAIRN_HIST_ROW		'R'
#define CAIRN_HIST_SROW		'S'
#define CAIRN_HIST_END		'Z'
#define CAIRN_HIST_ROW_HEAD	79
#define CAIRN_HIST_END_LEN	33
/*
 * A parsed row as bytes: each span as offset(4) and length(4) into the
 * entry (offset 0xffffffff: absent), in the order of struct cairn_row,
 * then received_us(8) and seq(8).  _get checks every span against the
 * entry's len bytes at data: CAIRN_EINVAL if one lies outside.
 */
#define CAIRN_ROW_SPANS_LEN	(CAIRN_ROW_NSPANS * 8 + 16)
#define CAIRN_ROW_NSPANS	10
#define CAIRN_HIST_SROW_HEAD	(CAIRN_HIST_ROW_HEAD + 1 + CAIRN_ROW_SPANS_LEN)
void	cairn_row_spans_put(uint8_t *, const struct cairn_row *,
	    const uint8_t *data);
int	cairn_row_spans_get(const uint8_t *, const uint8_t *data, size_t len,
	    struct cairn_row *);
/* From the account's first entry; or, after not NULL, resuming after entry
 * *after (CAIRN_ENOTFOUND if it is not one of the account's).  account must
 * outlive the reader. */
int	cairn_hist_open(struct cairn_hist *, cairn_store *, const char *account,
	    const uint64_t *after);
/* The next entry (valid until the next call) and its check; 0 or
 * CAIRN_ENOTFOUND at the end.  h->ch counts entries and problems. */
int	cairn_hist_next(struct cairn_hist *, const struct cairn_entry **,
	    const struct cairn_row **, int *parsed, int *check);
/* Compares the stored leaf of the entry last given out (when stopping
 * before the end); its check, now final: CAIRN_ROW_ALTERED if the bytes are
 * not the stored ones (the entry given out is updated). */
int	cairn_hist_confirm(struct cairn_hist *, int *check);
void	cairn_hist_close(struct cairn_hist *);

/* Appends the JSON of an entry (above; no newline).  row may be NULL for
 * an unreadable entry; proof is NULL (no "proof" key), or the proof JSON
 * text ("null" for none). */
int	cairn_row_json(struct cairn_buf *, const struct cairn_entry *,
	    const struct cairn_row *, int check, const char *proof);

/* Appends the JSON of an inclusion or a consistency proof. */
int	cairn_proof_inclusion_json(struct cairn_buf *, uint64_t index,
	    uint64_t size, const uint8_t leaf[CAIRN_HASH_LEN],
	    const uint8_t root[CAIRN_HASH_LEN],
	    const uint8_t (*path)[CAIRN_HASH_LEN], size_t n);
int	cairn_proof_consistency_json(struct cairn_buf *, uint64_t old,
	    uint64_t new, const uint8_t oldroot[CAIRN_HASH_LEN],
	    const uint8_t newroot[CAIRN_HASH_LEN],
	    const uint8_t (*path)[CAIRN_HASH_LEN], size_t n);

/*
 * Entries of one stream, or of every stream, with received in [since,
 * until) microseconds, in seq order (which is time order: received never
 * decreases along seq), from the time index: one iterator per stream,
 * merged.  Open, optionally seek (before the first next) to resume after
 * the entry (seq, received_us), then next until CAIRN_ENOTFOUND; the entry
 * next points to is valid until the following call.
 */
struct cairn_merge {
	cairn_iter		*it[CAIRN_NSTREAMS];
	struct cairn_entry	 head[CAIRN_NSTREAMS];
	int			 have[CAIRN_NSTREAMS];
	int			 n, started, last;
	unsigned		 calls;		/* cairn_merge_next, for refreshing */
	int64_t			 since;
};
/* stream NULL: every stream; CAIRN_EINVAL for an unknown one. */
int	cairn_merge_open(struct cairn_merge *, cairn_store *, const char *stream,
	    int64_t since_us, int64_t until_us);
/* Entries read with pread (cairn_iter_direct): for a process whose map
 * of the store is cold, such as the CLI's. */
int	cairn_merge_direct(struct cairn_merge *);
int	cairn_merge_after(struct cairn_merge *, uint64_t seq, int64_t received_us);
int	cairn_merge_next(struct cairn_merge *, const struct cairn_entry **);
void	cairn_merge_close(struct cairn_merge *);

/* The tree size of the newest checkpoint, checked against the store's own
 * key; CAIRN_ENOTFOUND if there is none. */
int	cairn_checkpoint_size(cairn_store *, uint64_t *size);

/* Kinds of line in query output, for cairn_proofline_verify. */
enum {
	CAIRN_LINE_OTHER,	/* anything else (a summary): ignored */
	CAIRN_LINE_CHECKPOINT,	/* {"checkpoint": signed note text} */
	CAIRN_LINE_ENTRY,	/* an entry with a proof */
	CAIRN_LINE_UNPROVEN,	/* an entry without a proof ("proof" null) */
	CAIRN_LINE_INCLUSION,	/* a bare inclusion proof (cairn proof) */
	CAIRN_LINE_CONSISTENCY	/* a bare consistency proof */
};

/*
 * Checks one line of query output (or of `cairn proof` / `cairn
 * consistency`) against a verified checkpoint cp (NULL: only classify and
 * parse).  An entry line: the leaf is recomputed from the entry (its
 * canonical JSON bytes, or entry_b64), must equal "leaf", the proof's
 * leaf_hash and index must be the entry's, its tree size and root the
 * checkpoint's, and the path must lead there (RFC 9162 section 2.1.3.2).
 * A bare inclusion proof: the path leads from leaf_hash to root_hash, which
 * must be the checkpoint's root when tree_size is its size.  A consistency
 * proof: the path proves old_root a prefix of new_root (section 2.1.4.2),
 * new_root being the checkpoint's when new_size is its size.
 * Sets *kind, *seq (entries and inclusion proofs) and, for a checkpoint
 * line, *note and *notelen (pointing into *doc, a jansson value the caller
 * frees with json_decref; NULL otherwise).  Returns 0, CAIRN_EFORMAT
 * (malformed line: why says what), CAIRN_EPROOF (does not verify: why says
 * which part).
 */
int	cairn_proofline_verify(const uint8_t *, size_t,
	    const struct cairn_checkpoint *cp, int *kind, uint64_t *seq,
	    json_t **doc, const char **note, size_t *notelen, char *why,
	    size_t whylen);

#endif

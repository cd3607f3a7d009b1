/*
 * xcommon.h: what the export writer and its verifier share, so that the
 * verifier recomputes with the very code that wrote: the readable reading
 * of an event, the summary counters and the findings rules.
 */
#ifndef CAIRN_XCOMMON_H
#define CAIRN_XCOMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cairn.h"
#include "jview.h"
#include "util.h"

#define XNS		"urn:cairn:export:1"
#define XFORMAT		"1"
#define XMAX_PROOF	64

/*
 * The readable reading of an event (EXPORT.md "Readable fields") as a token
 * stream: start(name, key), end(), leaf(name, key, value, b64).  key is the
 * map member name of an `item`, else NULL.
 *
 * Events are read through a view of their entry's canonical bytes
 * (jview.h): (v, ev) is the event object's token in view v.
 */
struct rsink {
	int	(*start)(void *, const char *name, const char *key);
	int	(*end)(void *);
	int	(*leaf)(void *, const char *name, const char *key,
		    const char *value, size_t len, int b64);
	void	*arg;
};
int	readable_walk(const struct cairn_jview *, int ev, const struct rsink *);
/* A sink appending a line form of the tokens to a buffer (for comparing). */
void	readable_linesink(struct rsink *, struct cairn_buf *);
/* The line form's start and leaf lines (for readings made elsewhere). */
int	line_start(struct cairn_buf *, const char *name, const char *key);
int	line_leaf(struct cairn_buf *, const char *name, const char *key,
	    const char *value, size_t len, int b64);
/* 1 if the string can be XML 1.0 character data as it is. */
int	xml_text_ok(const char *, size_t);

/* Summary: counts by type, outcome, reason, category and day. */
#define SUM_NBY 5
extern const char *const sum_by_names[SUM_NBY];
struct summary {
	json_t	*by[SUM_NBY];	/* key -> integer */
	uint64_t entries, margin;
};
int	summary_init(struct summary *);
void	summary_free(struct summary *);
int	summary_add(struct summary *, const struct cairn_jview *, int ev,
	    const char *received);
/* Sorted (key, count) pairs of one group: callback per pair. */
int	summary_each(const struct summary *, int by,
	    int (*fn)(void *, const char *key, uint64_t n), void *);

/* Findings. */
enum xrule {
	RULE_NO_PRIOR_NOTICE,
	RULE_MINOR_PASSED,
	RULE_SHARED_MOBILE,
	RULE_MATCH_ALLOWED,
	RULE_MATCH_NOT_SUSPENDED,
	RULE_TAKEDOWN_ORDER,
	RULE_TAKEDOWN_NO_CATEGORY,
	RULE_UNLABELED_NO_OPTOUT,
	RULE_LATE_ENTRY,
	RULE_N
};
extern const char *const rule_names[RULE_N];
extern const char *const rule_clauses[RULE_N];	/* "" when none */

enum xrole { ROLE_IN, ROLE_MARGIN, ROLE_CONTEXT };

struct finding {
	uint64_t	 seq;
	int		 rule;
	char		*account;	/* NULL if none */
	char		*text;
	uint64_t	*refs;
	size_t		 nrefs;
};

/* A lookup the findings need from outside the exported entries. */
struct need {
	int		 rule;
	uint64_t	 seq;		/* the raising entry */
	char		*account;
	char		*mobile;	/* RULE_SHARED_MOBILE */
};

struct fx {
	int		 kind;
	int64_t		 late_us;
	uint64_t	 end_size;
	json_t		*acct;		/* account -> its facts (xcommon.c) */
	json_t		*mobile;	/* mobile_hash -> [[seq, account], ...] */
	json_t		*seen;		/* "seq" -> true, context entries */
	struct need	*needs;
	size_t		 nneeds, capneeds;
	struct finding	*f;
	size_t		 nf, capf;
};

int	fx_init(struct fx *, int kind, int64_t late_after_s, uint64_t end_size);
void	fx_free(struct fx *);
/* Records one entry (its event and received time) in seq order of its role. */
int	fx_add(struct fx *, uint64_t seq, const char *received,
	    const struct cairn_jview *, int ev, int role);
/* 1 if seq was added as context. */
int	fx_seen(const struct fx *, uint64_t seq);
/* Evaluates the deferred rules from what was added; sorts the findings. */
int	fx_finish(struct fx *);

/* Account-stream codes the rules care about. */
enum { CODE_NOTICE = 1, CODE_ACTION, CODE_OPTOUT_GRANTED, CODE_OPTOUT_OTHER };
int	fx_code(const char *type, const struct cairn_jview *, int ev);

/* A member of object obj if it is a string, else NULL. */
const char *xstr(const struct cairn_jview *, int obj, const char *key);

/* The signature's trusted comment for an export (writer and verifier). */
void	trusted_comment(char *out, size_t cap, int kind, const char *account,
	    int64_t from_us, int64_t to_us, uint64_t entries, uint64_t tree_size,
	    const uint8_t root[CAIRN_HASH_LEN]);

/* Time text (canonical, as stored) to microseconds; -1 if it is not. */
int64_t	xtime_us(const char *);

/* Kinds. */
int	kind_rules(int kind, int rule);
const char *kind_stream(int kind);

/*
 * A worker thread of the export pipelines (the writer's compressor, the
 * verifier's decompressor and entry checker) and its hand-off: a lock,
 * `more' (work waits, or the end) and `room' (a slot was emptied).
 */
struct xthread {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;
	pthread_cond_t	 room;
	int		 closing;	/* under mu: the owner wants it to end */
};
/* Starts fn(arg) with its lock and conditions: 0, or an errno value and
 * nothing left to destroy. */
int	xthread_start(struct xthread *, void *(*fn)(void *), void *arg);
/* Waits for the thread to end (the caller has told it to) and destroys
 * its lock and conditions. */
void	xthread_join(struct xthread *);
/* Sets closing under the lock, wakes the thread on wake (more or room),
 * then joins it as xthread_join does. */
void	xthread_stop(struct xthread *, pthread_cond_t *wake);

#endif

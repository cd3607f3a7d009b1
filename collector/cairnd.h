/*
 * cairnd.h: the collector daemon's internal interfaces.
 *
 * Threads: one writer thread owns the store's write transactions (group
 * commit); listener threads parse and validate, then hand prepared events to
 * the writer through a bounded queue and wait for the commit before they
 * acknowledge.
 */
#ifndef CAIRND_H
#define CAIRND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cairn.h"
#include "catalog.h"
#include "keys.h"
#include "util.h"

/* log.c: stderr before daemonising / with -d, syslog(3) otherwise. */
void	log_init(const char *progname, int foreground, int debug);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* config.c */
enum lkind {
	L_SYSLOG_UDP, L_SYSLOG_TCP, L_SYSLOG_TLS, L_RELP, L_RELP_TLS, L_HTTP,
	L_HTTPS
};
extern const char *const lkind_names[];	/* "syslog-udp", ... */

struct listener {
	enum lkind	kind;
	char		host[256];	/* numeric address or name; "" = loopback */
	char		port[16];
	int		line;		/* where it was configured */
	int		fd;		/* bound socket (cairnd.c binds before
					 * dropping privileges); -1 if not yet */
};

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	int		bits;
};

enum tls_verify { TLS_VERIFY_NONE, TLS_VERIFY_OPTIONAL, TLS_VERIFY_REQUIRE };

struct config {
	char		*path;
	char		*store;			/* store directory */
	char		*checkpoint_file;	/* NULL: beside the store */
	char		*key;			/* secret key */
	char		*passphrase_file;	/* for an encrypted key */
	char		*tokens;		/* token file (hashed tokens) */
	char		*reports;		/* exports; NULL: beside the store */
	char		*user;			/* drop to this user when root */
	char		*tls_cert, *tls_key, *tls_ca;
	enum tls_verify	 tls_verify;
	char		*sd_id;			/* default "cairn@32473" */
	struct listener	*listeners;
	size_t		 nlisteners;
	struct cidr	*trusted;		/* peers whose syslog may carry audit events */
	size_t		 ntrusted;
	int		 allow_plaintext_remote;	/* non-loopback without TLS */
	size_t		 batch_size;		/* events per commit, max */
	unsigned	 batch_delay_ms;	/* wait this long to fill a batch */
	unsigned	 checkpoint_interval;	/* seconds */
	size_t		 queue_limit;		/* events waiting for the writer */
	int		 ingest_nice;		/* of threads that parse events */
	size_t		 max_message;		/* one syslog message, bytes */
	size_t		 max_body;		/* one HTTP body, bytes */
	unsigned	 max_connections;
	unsigned	 auth_fail_limit;	/* invalid tokens per address a minute; 0: no limit */
	uint64_t	 map_size, max_size;	/* store map: initial, ceiling */
	int		 seccomp;		/* install the filter (sandbox.c) */
};

/* Loads and checks a config file; on error, err says "file:line: what". */
int	config_load(const char *path, struct config *, char *err, size_t errlen);
void	config_free(struct config *);
/* 1 if the address is inside one of the ranges. */
int	cidr_match(const struct cidr *, size_t, const struct sockaddr *);
/* 1 if the listener's address is loopback (or unset, which means loopback). */
int	listener_is_loopback(const struct listener *);

/* tokens.c: bearer tokens, stored as SHA-256, compared in constant time. */
#define ROLE_INGEST	0x1
#define ROLE_QUERY	0x2
#define ROLE_REPORT	0x4
#define ROLE_ADMIN	0x8

struct token {
	char		name[64];
	unsigned	roles;
	uint8_t		hash[CAIRN_HASH_LEN];
};
struct tokens;
int	tokens_load(const char *path, struct tokens **, char *err, size_t errlen);
void	tokens_free(struct tokens *);
/* The token whose hash matches, or NULL; every stored hash is compared. */
const struct token *tokens_check(const struct tokens *, const char *secret,
	    size_t len);
size_t	tokens_count(const struct tokens *);
/* The i-th token, or NULL past the end. */
const struct token *tokens_at(const struct tokens *, size_t i);
/* Parses "ingest,query" into role bits; -1 if unknown. */
int	roles_parse(const char *);

/* metrics.c: Prometheus counters and histograms, lock-free updates. */
enum metric {
	M_RECEIVED, M_COMMITTED, M_DUPLICATES, M_REJECTED_INVALID,
	M_REJECTED_CONFLICT, M_REJECTED_AUTH, M_REJECTED_FULL,
	M_REJECTED_TOOBIG, M_REJECTED_MALFORMED, M_UDP_DROPS, M_SYSLOG_UNTRUSTED,
	M_SYSLOG_INVALID, M_COMMIT_ERRORS, M_CHECKPOINTS, M_HTTP_REQUESTS,
	M_AUTH_THROTTLED, M_STALE_READERS, M_NCOUNTERS
};
void	metric_add(enum metric, uint64_t);
void	metric_gauge_queue(uint64_t depth);
void	metric_observe_batch(uint64_t events);
void	metric_observe_commit(double seconds);
/* Appends the Prometheus text exposition of every metric. */
int	metrics_render(struct cairn_buf *);

/* writer.c: the one thread that writes the store. */
struct wreq {
	cairn_event	**evs;		/* prepared events, owned by the submitter */
	size_t		  n;
	struct cairn_receipt *rcpt;	/* n receipts, filled after commit */
	int		  rc;		/* 0, CAIRN_ECONFLICT, CAIRN_EFULL, ... */
	size_t		  failed;	/* the event at fault when rc != 0 */
	char		  detail[256];
	/* Called once the request's fate is known (after the commit returned,
	 * or on failure), by the writer's reaper thread (writer.c), or by the
	 * writer itself for a request refused alone.  Must not block. */
	void		(*done)(struct wreq *);
	void		 *arg;
	struct wreq	 *next;		/* the writer's queue */
	uint64_t	  enq_ns;
	/* The submitter waits alone for this commit (a system event such as a
	 * query's self-audit): while only such requests are queued the writer
	 * commits at once, without the group-commit delay. */
	int		  alone;
};
struct writer;
int	writer_start(struct writer **, cairn_store *, const struct config *,
	    struct cairn_seckey *);
/* Queues a request.  When the queue is full: with block set, waits for
 * room (backpressure for TCP and RELP); else returns EAGAIN (HTTP 503, UDP
 * drop).  ESHUTDOWN once stopping. */
int	writer_submit(struct writer *, struct wreq *, int block);
/* Submits and waits for the commit: a convenience for blocking callers. */
int	writer_submit_wait(struct writer *, struct wreq *, int block);
size_t	writer_depth(const struct writer *);
uint64_t writer_tree_size(const struct writer *);
/* Has the writer sign a checkpoint now; waits for it; the note into out. */
int	writer_checkpoint_now(struct writer *, struct cairn_buf *out);
/* The newest signed checkpoint (a copy) into out. */
int	writer_checkpoint_note(struct writer *, struct cairn_buf *out);
/* Appends a system-stream event written by Cairn itself: fields is a JSON
 * object text without type/id/time, e.g. "{\"reason\":\"sighup\"}". */
int	writer_system_event(struct writer *, const char *type, const char *fields);
/* Stops accepting, commits everything queued, signs a final checkpoint. */
void	writer_stop(struct writer *);

/* The shared context listeners use. */
struct cairnd {
	struct config		*cfg;
	struct writer		*writer;
	struct cairn_catalog	*cat;
	struct tokens		*tokens;	/* swapped on SIGHUP under tokens_lock */
	cairn_store		*store;		/* read-only use by listeners */
	struct cairn_seckey	*sk;		/* signs exports (http_report.c) */
	volatile int		 stopping;
};
extern struct cairnd cairnd;

/* writer.c: runs the calling thread at the nice value ingest_nice (once per
 * thread).  Called by the threads that read and parse incoming events over
 * TCP, TLS and HTTP: under CPU contention the writer, which bounds the
 * ingest rate, then runs first, and listeners that run ahead of it only
 * fill the queue (cairn.conf(5), README.md). */
void	ingest_priority(void);

/* Token lookup under the reload lock. */
const struct token *cairnd_auth(const char *secret, size_t len,
	    struct token *copy);

/* http.c: POST /v1/events, GET /v1/checkpoint, /healthz, /metrics. */
struct http_server;
int	http_start(struct http_server **, const struct listener *, int tls);
void	http_stop(struct http_server *);
/* Re-reads TLS material (SIGHUP). */
int	http_reload_tls(struct http_server *);

/* syslog listeners (syslogd.c): UDP, TCP, TLS. */
struct syslog_server;
int	syslog_start(struct syslog_server **, const struct listener *);
void	syslog_stop(struct syslog_server *);
/* Re-reads TLS material for new sessions (SIGHUP). */
int	syslog_reload_tls(struct syslog_server *);

/* relp.c: RELP (librelp), acknowledged after commit. */
struct relp_server;
int	relp_start(struct relp_server **, const struct listener *, int tls);
void	relp_stop(struct relp_server *);

#endif

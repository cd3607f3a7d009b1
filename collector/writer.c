/*
 * writer.c: the one thread that writes the store.
 *
 * Listeners queue requests (each a set of events that must commit together);
 * the writer takes as many as fit in one batch, appends them in one durable
 * transaction (group commit: one fsync for many senders), and only then
 * calls each request's done callback, which is what lets a listener
 * acknowledge.  The queue is bounded: a full queue is backpressure.
 *
 * The done callbacks of a committed group run on a second thread, the
 * reaper, while the writer goes on with the next group: waking HTTP
 * senders and freeing the events of syslog messages took about a tenth of
 * the writer's time, and the writer is what bounds the ingest rate.  The
 * writer hands over one group at a time and waits while the reaper has not
 * taken the last one, so at most two committed groups wait to be freed.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cairnd.h"
#include "note.h"
#include "rfc3339.h"

struct writer {
	pthread_t		 thr;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work, room;
	struct wreq		*head, *tail;
	size_t			 depth;		/* events queued */
	size_t			 grouped;	/* requests queued, not alone */
	int			 stopping;
	cairn_store		*s;
	const struct config	*cfg;
	struct cairn_seckey	*sk;
	struct cairn_catalog	*cat;
	uint64_t		 size;		/* tree size, under mu */
	uint64_t		 cp_size;	/* size at the last checkpoint */
	struct timespec		 cp_time;
	struct cairn_buf	 note;		/* newest checkpoint, under mu */
	unsigned long		 sysn;		/* system event counter */
	int			 cp_wanted;	/* checkpoints asked for, under mu */
	unsigned long		 cp_done;	/* checkpoints signed, under mu */
	int			 cp_rc;		/* the last one's result */
	pthread_cond_t		 cpdone;
	int64_t			 clock_off;	/* realtime - monotonic, us */
	int			 clock_known;
	char			 sysid[32];
	pthread_t		 reaper;
	pthread_mutex_t		 rmu;
	pthread_cond_t		 reap, reaped;	/* a group handed, taken */
	struct wreq		*reaped_head;	/* handed over, not yet taken */
	int			 reaper_stop;
};

void
ingest_priority(void)
{
	static __thread int done;
	int base;

	if (done || cairnd.cfg == NULL || cairnd.cfg->ingest_nice == 0)
		return;
	done = 1;
	/* On Linux the nice value is a thread's own (setpriority(2)); raising
	 * it needs no privilege.  Relative to the nice the daemon was started
	 * with (systemd's Nice=, say), at most 19.  Failing leaves the thread
	 * as it was. */
	errno = 0;
	base = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (base == -1 && errno != 0)
		return;
	base += cairnd.cfg->ingest_nice;
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), base > 19 ? 19 : base) != 0)
		log_debug("ingest_nice: setpriority: %s", strerror(errno));
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/*
 * Clears the reader slots of processes that died holding a read
 * transaction (a cairn search SIGKILLed mid-scan): each pins the pages
 * freed since it began, which cannot be reused, so the store would grow.
 * Counts those the store cleared itself when the map was full, too.
 */
static void
clear_readers(struct writer *w)
{
	unsigned n = 0;
	int rc;

	if ((rc = cairn_store_clear_readers(w->s, &n)) != 0)
		log_warn("checking the store's reader slots: %s",
		    cairn_strerror(rc));
	if (n == 0)
		return;
	metric_add(M_STALE_READERS, n);
	log_info("cleared %u stale reader slot%s (processes that died while "
	    "reading the store)", n, n == 1 ? "" : "s");
}

/* Signs a checkpoint of the current tree; the store keeps the file too. */
static void
checkpoint(struct writer *w)
{
	struct cairn_buf note = { 0 };
	int rc;

	/* At every checkpoint (each interval, hourly when idle). */
	clear_readers(w);
	/*
	 * And give freed heap back: every connection thread may use its own
	 * malloc arena, each of which keeps what it freed at its high-water
	 * mark, so the heap of a busy daemon climbed for its first minutes
	 * (bench/soak) although nothing leaked.
	 */
	(void)malloc_trim(0);
	if ((rc = cairn_store_checkpoint(w->s, cairn_seckey_ed25519(w->sk),
	    &note)) != 0) {
		log_err("checkpoint failed: %s: %s", cairn_strerror(rc),
		    cairn_store_errdetail(w->s));
		metric_add(M_COMMIT_ERRORS, 1);
		cairn_buf_free(&note);
		pthread_mutex_lock(&w->mu);
		w->cp_rc = rc;
		w->cp_done++;
		pthread_cond_broadcast(&w->cpdone);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	metric_add(M_CHECKPOINTS, 1);
	pthread_mutex_lock(&w->mu);
	cairn_buf_free(&w->note);
	w->note = note;
	w->cp_size = w->size;
	w->cp_rc = 0;
	w->cp_done++;
	pthread_cond_broadcast(&w->cpdone);
	pthread_mutex_unlock(&w->mu);
	clock_gettime(CLOCK_MONOTONIC, &w->cp_time);
}

/* Sets a request's fate. */
static void
settle(struct wreq *r, int rc, const char *detail)
{
	r->rc = rc;
	if (detail != NULL)
		snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* Fails a request and tells its submitter. */
static void
finish(struct wreq *r, int rc, const char *detail)
{
	settle(r, rc, detail);
	r->done(r);
}

/* Hands a settled group (linked by next) to the reaper, which tells each
 * submitter; waits while the group handed before is not yet taken. */
static void
hand_over(struct writer *w, struct wreq *group)
{
	pthread_mutex_lock(&w->rmu);
	while (w->reaped_head != NULL)
		pthread_cond_wait(&w->reaped, &w->rmu);
	w->reaped_head = group;
	pthread_cond_signal(&w->reap);
	pthread_mutex_unlock(&w->rmu);
}

/* Tells the reaper to end once it has handed out what it holds, and
 * waits for it. */
static void
reaper_join(struct writer *w)
{
	pthread_mutex_lock(&w->rmu);
	w->reaper_stop = 1;
	pthread_cond_signal(&w->reap);
	pthread_mutex_unlock(&w->rmu);
	pthread_join(w->reaper, NULL);
}

static void *
reaper_main(void *arg)
{
	struct writer *w = arg;
	struct wreq *group, *r;

	pthread_mutex_lock(&w->rmu);
	for (;;) {
		while (w->reaped_head == NULL && !w->reaper_stop)
			pthread_cond_wait(&w->reap, &w->rmu);
		if ((group = w->reaped_head) == NULL)
			break;	/* stopping, and nothing left */
		w->reaped_head = NULL;
		pthread_cond_signal(&w->reaped);
		pthread_mutex_unlock(&w->rmu);
		while ((r = group) != NULL) {
			group = r->next;	/* done may free r */
			r->done(r);
		}
		pthread_mutex_lock(&w->rmu);
	}
	pthread_mutex_unlock(&w->rmu);
	return NULL;
}

/* Commits a group of requests; a request refused for a conflict is taken
 * out and the rest retried, so one sender's mistake fails only itself. */
static void
commit_group(struct writer *w, struct wreq *group)
{
	struct wreq *r, **pp;
	cairn_event **evs = NULL;
	struct cairn_receipt *rc_all = NULL;
	struct timespec t0;
	size_t n, i, off, failed;
	int rc;

	for (;;) {
		for (n = 0, r = group; r != NULL; r = r->next)
			n += r->n;
		if (n == 0)
			break;
		free(evs);
		free(rc_all);
		evs = calloc(n, sizeof *evs);
		rc_all = calloc(n, sizeof *rc_all);
		if (evs == NULL || rc_all == NULL) {
			rc = CAIRN_ENOMEM;
			goto failall;
		}
		for (off = 0, r = group; r != NULL; r = r->next)
			for (i = 0; i < r->n; i++)
				evs[off++] = r->evs[i];
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = cairn_store_append(w->s, evs, n, rc_all, &failed);
		if (rc == 0) {
			metric_observe_commit(since(&t0));
			metric_observe_batch(n);
			for (off = 0, r = group; r != NULL; off += r->n, r = r->next) {
				memcpy(r->rcpt, rc_all + off, r->n * sizeof *rc_all);
				for (i = 0; i < r->n; i++)
					metric_add(rc_all[off + i].duplicate ?
					    M_DUPLICATES : M_COMMITTED, 1);
			}
			pthread_mutex_lock(&w->mu);
			w->size = rc_all[n - 1].tree_size;
			pthread_mutex_unlock(&w->mu);
			/* Acknowledge only now: the commit has returned. */
			hand_over(w, group);
			break;
		}
		if (rc != CAIRN_ECONFLICT)
			goto failall;
		/* Take out the request that holds the conflicting event. */
		for (off = 0, pp = &group; *pp != NULL; pp = &(*pp)->next) {
			if (failed < off + (*pp)->n)
				break;
			off += (*pp)->n;
		}
		if (*pp == NULL)
			goto failall;
		r = *pp;
		*pp = r->next;
		r->failed = failed - off;
		metric_add(M_REJECTED_CONFLICT, 1);
		finish(r, CAIRN_ECONFLICT, cairn_store_errdetail(w->s));
	}
	free(evs);
	free(rc_all);
	return;
failall:
	log_err("commit failed: %s%s%s", cairn_strerror(rc),
	    *cairn_store_errdetail(w->s) ? ": " : "", cairn_store_errdetail(w->s));
	metric_add(rc == CAIRN_EFULL ? M_REJECTED_FULL : M_COMMIT_ERRORS, n);
	for (r = group; r != NULL; r = r->next)
		settle(r, rc, cairn_store_errdetail(w->s));
	hand_over(w, group);
	free(evs);
	free(rc_all);
}

/* Takes requests off the queue, up to one batch; called with mu held. */
static struct wreq *
take(struct writer *w)
{
	struct wreq *first = NULL, **tail = &first, *r;
	size_t n = 0;

	while ((r = w->head) != NULL) {
		/* A request is never split: it commits whole or not at all. */
		if (n > 0 && n + r->n > w->cfg->batch_size)
			break;
		w->head = r->next;
		if (w->head == NULL)
			w->tail = NULL;
		r->next = NULL;
		*tail = r;
		tail = &r->next;
		n += r->n;
		w->depth -= r->n;
		if (!r->alone)
			w->grouped--;
	}
	metric_gauge_queue(w->depth);
	pthread_cond_broadcast(&w->room);
	return first;
}

static void	watch_clock(struct writer *);

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct wreq *group;
	struct timespec until;
	double interval = (double)w->cfg->checkpoint_interval;
	int stop;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stopping && !w->cp_wanted) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&w->work, &w->mu, &until);
			if (w->head == NULL)
				break;	/* time for a checkpoint check */
		}
		if (w->head != NULL && w->depth < w->cfg->batch_size &&
		    w->cfg->batch_delay_ms > 0 && w->grouped > 0 &&
		    !w->stopping) {
			/* Group commit: give other senders a moment to join
			 * (not when only requests waited for alone are queued:
			 * they commit at once). */
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += (long)w->cfg->batch_delay_ms * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->work, &w->mu, &until);
		}
		group = take(w);
		stop = group == NULL && w->stopping;
		pthread_mutex_unlock(&w->mu);
		if (group != NULL)
			commit_group(w, group);
		pthread_mutex_lock(&w->mu);
		if (w->cp_wanted) {
			w->cp_wanted = 0;
			pthread_mutex_unlock(&w->mu);
			checkpoint(w);
		} else
			pthread_mutex_unlock(&w->mu);
		if (stop)
			break;
		watch_clock(w);
		/* Every interval while the log grows, hourly while it does not
		 * (so a silent truncation shows), DESIGN.md. */
		if ((w->size != w->cp_size && since(&w->cp_time) >= interval) ||
		    since(&w->cp_time) >= 3600)
			checkpoint(w);
	}
	return NULL;
}

int
writer_start(struct writer **out, cairn_store *s, const struct config *cfg,
    struct cairn_seckey *sk)
{
	struct writer *w;
	struct timespec now;
	int rc;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return ENOMEM;
	w->s = s;
	w->cfg = cfg;
	w->sk = sk;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(w->sysid, sizeof w->sysid, "cairnd-%lld-%d",
	    (long long)now.tv_sec, (int)getpid());
	if ((rc = cairn_catalog_default(&w->cat)) != 0 ||
	    (rc = cairn_store_size(s, &w->size)) != 0) {
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	{
		pthread_condattr_t ca;

		/* Timed waits on the monotonic clock: a wall clock stepped back
		 * an hour must not stall the writer for an hour. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w->work, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_cond_init(&w->room, NULL);
	pthread_cond_init(&w->cpdone, NULL);
	pthread_mutex_init(&w->rmu, NULL);
	pthread_cond_init(&w->reap, NULL);
	pthread_cond_init(&w->reaped, NULL);
	/* Start with a checkpoint of the tree as found, so one is always there. */
	checkpoint(w);
	if ((rc = pthread_create(&w->reaper, NULL, reaper_main, w)) != 0) {
		cairn_catalog_free(w->cat);
		free(w);
		return rc;
	}
	if ((rc = pthread_create(&w->thr, NULL, writer_main, w)) != 0) {
		reaper_join(w);
		cairn_catalog_free(w->cat);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int
writer_submit(struct writer *w, struct wreq *r, int block)
{
	r->next = NULL;
	r->rc = 0;
	r->detail[0] = 0;
	r->enq_ns = mono_ns();
	pthread_mutex_lock(&w->mu);
	/* A request larger than the whole queue still goes in when it is empty. */
	while (!w->stopping && w->depth > 0 &&
	    w->depth + r->n > w->cfg->queue_limit) {
		if (!block) {
			pthread_mutex_unlock(&w->mu);
			return EAGAIN;
		}
		pthread_cond_wait(&w->room, &w->mu);
	}
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return ESHUTDOWN;
	}
	if (w->tail != NULL)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	w->depth += r->n;
	if (!r->alone)
		w->grouped++;
	metric_gauge_queue(w->depth);
	metric_add(M_RECEIVED, r->n);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

struct waiter {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		done;
};

static void
wake(struct wreq *r)
{
	struct waiter *wt = r->arg;

	pthread_mutex_lock(&wt->mu);
	wt->done = 1;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

int
writer_submit_wait(struct writer *w, struct wreq *r, int block)
{
	struct waiter wt = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	int rc;

	r->done = wake;
	r->arg = &wt;
	if ((rc = writer_submit(w, r, block)) != 0)
		return rc;
	pthread_mutex_lock(&wt.mu);
	while (!wt.done)
		pthread_cond_wait(&wt.cv, &wt.mu);
	pthread_mutex_unlock(&wt.mu);
	pthread_mutex_destroy(&wt.mu);
	pthread_cond_destroy(&wt.cv);
	return r->rc;
}

size_t
writer_depth(const struct writer *w)
{
	return __atomic_load_n(&w->depth, __ATOMIC_RELAXED);
}

uint64_t
writer_tree_size(const struct writer *w)
{
	return __atomic_load_n(&w->size, __ATOMIC_RELAXED);
}

int
writer_checkpoint_now(struct writer *w, struct cairn_buf *out)
{
	unsigned long before;
	int rc;

	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return ESHUTDOWN;
	}
	before = w->cp_done;
	w->cp_wanted = 1;
	pthread_cond_signal(&w->work);
	/* Everything queued before the request is in it: the writer commits
	 * its group first. */
	while (w->cp_done == before)
		pthread_cond_wait(&w->cpdone, &w->mu);
	rc = w->cp_rc;
	pthread_mutex_unlock(&w->mu);
	return rc != 0 ? rc : writer_checkpoint_note(w, out);
}

int
writer_checkpoint_note(struct writer *w, struct cairn_buf *out)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	out->len = 0;
	rc = w->note.len ? cairn_buf_add(out, w->note.p, w->note.len) :
	    CAIRN_ENOTFOUND;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Builds a system-stream event written by Cairn itself. */
static int
system_event(struct writer *w, const char *type, const char *fields,
    cairn_event **out)
{
	struct cairn_verr errs[4];
	struct timespec now;
	json_t *ev, *f;
	char id[64], ts[32];
	size_t nerr;
	int rc;

	if ((f = json_loads(fields ? fields : "{}", 0, NULL)) == NULL)
		return CAIRN_EJSON;
	pthread_mutex_lock(&w->mu);
	snprintf(id, sizeof id, "%s-%lu", w->sysid, ++w->sysn);
	pthread_mutex_unlock(&w->mu);
	clock_gettime(CLOCK_REALTIME, &now);
	cairn_rfc3339_format((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000,
	    ts);
	ev = json_pack("{s:s, s:s, s:s}", "id", id, "type", type, "time", ts);
	if (ev == NULL || json_object_update(ev, f) != 0) {
		json_decref(f);
		json_decref(ev);
		return CAIRN_ENOMEM;
	}
	json_decref(f);
	rc = cairn_event_prepare_json(w->cat, "cairnd", ev, CAIRN_EVENT_SYSTEM,
	    out, errs, 4, &nerr);
	if (rc != 0)
		log_err("system event %s: %s %s %s", type, cairn_strerror(rc),
		    nerr ? errs[0].field : "", nerr ? errs[0].msg : "");
	return rc;
}

int
writer_system_event(struct writer *w, const char *type, const char *fields)
{
	struct cairn_receipt rcpt;
	struct wreq r;
	cairn_event *e;
	int rc;

	if ((rc = system_event(w, type, fields, &e)) != 0)
		return rc;
	memset(&r, 0, sizeof r);
	r.evs = &e;
	r.n = 1;
	r.rcpt = &rcpt;
	r.alone = 1;	/* one event, one waiter: no group-commit delay */
	rc = writer_submit_wait(w, &r, 1);
	cairn_event_free(e);
	return rc;
}

/* A system event queued by the writer thread itself (it cannot wait for
 * its own commit): it frees itself once committed. */
struct selfreq {
	struct wreq		r;
	cairn_event		*e;
	struct cairn_receipt	 rcpt;
};

static void
selfreq_done(struct wreq *r)
{
	struct selfreq *q = (struct selfreq *)r;

	cairn_event_free(q->e);
	free(q);
}

static void
system_event_async(struct writer *w, const char *type, const char *fields)
{
	struct selfreq *q;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return;
	if (system_event(w, type, fields, &q->e) != 0) {
		free(q);
		return;
	}
	q->r.evs = &q->e;
	q->r.n = 1;
	q->r.rcpt = &q->rcpt;
	q->r.done = selfreq_done;
	if (writer_submit(w, &q->r, 0) != 0)
		selfreq_done(&q->r);
}

/* Notices the wall clock stepping (NTP, an operator): the difference
 * between it and the monotonic clock jumps.  received never goes back
 * (store.c), and the step itself is recorded. */
static void
watch_clock(struct writer *w)
{
	struct timespec rt, mt;
	int64_t off, step;
	char fields[160], before[32], after[32];

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	off = ((int64_t)rt.tv_sec - (int64_t)mt.tv_sec) * 1000000 +
	    (rt.tv_nsec - mt.tv_nsec) / 1000;
	step = off - w->clock_off;
	if (w->clock_known && (step > 1000000 || step < -1000000)) {
		cairn_rfc3339_format((int64_t)rt.tv_sec * 1000000 +
		    rt.tv_nsec / 1000 - step, before);
		cairn_rfc3339_format((int64_t)rt.tv_sec * 1000000 +
		    rt.tv_nsec / 1000, after);
		log_warn("the clock stepped by %lld us", (long long)step);
		snprintf(fields, sizeof fields, "{\"step_us\":%lld,\"before\":"
		    "\"%s\",\"after\":\"%s\"}", (long long)step, before, after);
		system_event_async(w, "system.clock_step", fields);
	}
	w->clock_off = off;
	w->clock_known = 1;
}

void
writer_stop(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thr, NULL);
	/* The reaper tells the last groups' senders, then ends. */
	reaper_join(w);
	/* Everything accepted is committed: seal it with a checkpoint. */
	if (w->size != w->cp_size)
		checkpoint(w);
	cairn_buf_free(&w->note);
	cairn_catalog_free(w->cat);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->cpdone);
	pthread_mutex_destroy(&w->rmu);
	pthread_cond_destroy(&w->reap);
	pthread_cond_destroy(&w->reaped);
	free(w);
}

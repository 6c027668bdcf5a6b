/*
 * ark/pool.h - a worker pool with one thread budget.
 *
 * `--jobs N` is a budget of N busy threads for the whole run: the pool's
 * workers (one per running job) and the zstd worker threads those jobs
 * compress with.  A job costs one thread while it runs, plus the zstd
 * threads it is granted (ark_pool_job_zstd_threads()); a worker starts
 * the next job only while the run uses fewer than N, so the machine is
 * never oversubscribed.  Grants go to the last jobs: while jobs wait in
 * the queue, each would rather run as a job of its own, so a job is
 * granted only what the waiting jobs cannot use; the last tables of a
 * transfer then compress with the threads the finished ones left.
 *
 * Errors: the first job to fail stops the pool; the jobs still running
 * see ark_pool_job_check() fail with ARK_ERR_INTERRUPTED between chunks
 * and return, queued jobs never start, and ark_pool_wait() returns the
 * first error.  A stop signal (SIGINT/SIGTERM/SIGHUP, ark/fsio.h) does the
 * same with ARK_ERR_INTERRUPTED.  Workers block those signals: the
 * handler runs in the thread that installed it.
 */
#ifndef ARK_POOL_H
#define ARK_POOL_H

#include "ark/error.h"

struct ark_pool;     /* opaque */
struct ark_pool_job; /* opaque: a running job, as its function sees it */

/* A job: 0 or a negative ARK_ERR_* with err filled. */
typedef int (*ark_pool_fn)(struct ark_pool_job *job, void *arg,
			   struct ark_error *err);

/*
 * A pool of jobs workers and a budget of jobs threads (1 .. 256).  It
 * starts held: queued jobs wait for ark_pool_start() or ark_pool_wait(),
 * so that the first job, seeing the others queued, does not take the
 * whole budget for its zstd threads.  Queue what is known, then start.
 */
int ark_pool_new(int jobs, struct ark_pool **out, struct ark_error *err);
/* Let the workers take jobs (ark_pool_wait() does it too). */
void ark_pool_start(struct ark_pool *pool);
/*
 * Queue fn(job, arg, err).  Jobs start in the order queued.  After the
 * pool has stopped, the job is not queued and the pool's error (or
 * ARK_ERR_INTERRUPTED) is returned.
 */
int ark_pool_submit(struct ark_pool *pool, ark_pool_fn fn, void *arg,
		    struct ark_error *err);
/*
 * Wait until every queued job has run (or the pool has stopped and the
 * running ones have returned).  0, or the first job's error copied into
 * err.  The pool can take new jobs afterwards unless it stopped.
 */
int ark_pool_wait(struct ark_pool *pool, struct ark_error *err);
/* Stop: running jobs are asked to return, queued ones dropped. */
void ark_pool_stop(struct ark_pool *pool);
/* Stop, join the workers, free.  NULL is a no-op. */
void ark_pool_free(struct ark_pool *pool);

/* The most threads the pool's accounting ever held busy at once. */
int ark_pool_peak_threads(struct ark_pool *pool);

/*
 * In a job: how many zstd worker threads it may use now (0 = compress in
 * the job's own thread), and reserve them until the job returns.  Called
 * again, returns the same grant.
 */
int ark_pool_job_zstd_threads(struct ark_pool_job *job);
/*
 * In a job, between chunks: ARK_ERR_INTERRUPTED (err filled) when the
 * pool has stopped (another job failed) or a stop signal came; else 0.
 */
int ark_pool_job_check(struct ark_pool_job *job, struct ark_error *err);

#endif

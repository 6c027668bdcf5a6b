/*
 * pool.c - the worker pool with one thread budget (ark/pool.h).
 *
 * One mutex guards the queue and the accounting; `busy` counts the
 * threads the run uses (one per running job plus the zstd threads
 * granted to it) and never exceeds `budget`: a worker takes the next job
 * only while busy < budget.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ark/fsio.h"
#include "ark/pool.h"

#define POOL_JOBS_MAX 256

struct pool_entry {
	ark_pool_fn fn;
	void *arg;
	struct pool_entry *next;
};

struct ark_pool_job {
	struct ark_pool *pool;
	int granted;      /* zstd threads reserved, -1 before asked */
};

struct ark_pool {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* queue, busy or stop changed */
	pthread_t *threads;
	int thread_count;
	int budget;
	int busy;     /* threads in use: running jobs + their zstd grants */
	int peak;
	int running;  /* jobs running */
	size_t queued;
	struct pool_entry *head;
	struct pool_entry *tail;
	int started;  /* jobs may start (ark_pool_start or _wait) */
	int stopped;
	int quit;     /* workers leave (ark_pool_free) */
	struct ark_error first; /* the first job's error */
};

static void drop_queue(struct ark_pool *pool)
{
	while (pool->head) {
		struct pool_entry *entry = pool->head;

		pool->head = entry->next;
		free(entry);
	}
	pool->tail = NULL;
	pool->queued = 0;
}

/* Stop under the lock. */
static void stop_locked(struct ark_pool *pool)
{
	pool->stopped = 1;
	drop_queue(pool);
	pthread_cond_broadcast(&pool->changed);
}

static void *worker_main(void *ctx)
{
	struct ark_pool *pool = ctx;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct pool_entry *entry;
		struct ark_pool_job job = { pool, -1 };
		struct ark_error err = { 0 };
		int rc;

		while (!pool->quit &&
		       (!pool->started || !pool->head ||
			pool->busy >= pool->budget))
			pthread_cond_wait(&pool->changed, &pool->lock);
		if (pool->quit)
			break;
		entry = pool->head;
		pool->head = entry->next;
		if (!pool->head)
			pool->tail = NULL;
		pool->queued--;
		pool->running++;
		pool->busy++;
		if (pool->busy > pool->peak)
			pool->peak = pool->busy;
		pthread_mutex_unlock(&pool->lock);

		rc = entry->fn(&job, entry->arg, &err);
		free(entry);
		if (rc && err.code == ARK_OK)
			ark_error_set(&err, rc, 0, "a job failed");

		pthread_mutex_lock(&pool->lock);
		pool->running--;
		pool->busy -= 1 + (job.granted > 0 ? job.granted : 0);
		if (rc && pool->first.code == ARK_OK)
			pool->first = err; /* first error wins */
		if (rc)
			stop_locked(pool);
		pthread_cond_broadcast(&pool->changed);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int ark_pool_new(int jobs, struct ark_pool **out, struct ark_error *err)
{
	struct ark_pool *pool;
	sigset_t block;
	sigset_t saved;
	int rc = 0;

	*out = NULL;
	if (jobs < 1 || jobs > POOL_JOBS_MAX)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "jobs %d is not in 1..%d", jobs,
				     POOL_JOBS_MAX);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->changed, NULL);
	pool->budget = jobs;
	pool->threads = calloc((size_t)jobs, sizeof(*pool->threads));
	if (!pool->threads) {
		ark_pool_free(pool);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	}
	/* Workers inherit a mask without the stop signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &saved);
	for (int i = 0; i < jobs; i++) {
		int e = pthread_create(&pool->threads[i], NULL, worker_main,
				       pool);

		if (e) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, e,
					   "cannot start worker thread %d",
					   i + 1);
			break;
		}
		pool->thread_count++;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc) {
		ark_pool_free(pool);
		return rc;
	}
	*out = pool;
	return 0;
}

int ark_pool_submit(struct ark_pool *pool, ark_pool_fn fn, void *arg,
		    struct ark_error *err)
{
	struct pool_entry *entry = calloc(1, sizeof(*entry));
	int rc = 0;

	if (!entry)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	entry->fn = fn;
	entry->arg = arg;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopped) {
		rc = pool->first.code != ARK_OK
			     ? ark_error_set(err, pool->first.code, 0, "%s",
					     pool->first.msg)
			     : ark_error_set(err, ARK_ERR_INTERRUPTED, 0,
					     "interrupted");
		free(entry);
	} else {
		if (pool->tail)
			pool->tail->next = entry;
		else
			pool->head = entry;
		pool->tail = entry;
		pool->queued++;
		pthread_cond_broadcast(&pool->changed);
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void ark_pool_start(struct ark_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->started = 1;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

int ark_pool_wait(struct ark_pool *pool, struct ark_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&pool->lock);
	pool->started = 1;
	pthread_cond_broadcast(&pool->changed);
	while (pool->head || pool->running)
		pthread_cond_wait(&pool->changed, &pool->lock);
	if (pool->first.code != ARK_OK) {
		rc = pool->first.code;
		if (err && err->code == ARK_OK)
			*err = pool->first;
	} else if (pool->stopped)
		rc = ark_error_set(err, ARK_ERR_INTERRUPTED, 0,
				   "interrupted");
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

void ark_pool_stop(struct ark_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	stop_locked(pool);
	pthread_mutex_unlock(&pool->lock);
}

void ark_pool_free(struct ark_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	stop_locked(pool);
	pool->quit = 1;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	pthread_cond_destroy(&pool->changed);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

int ark_pool_peak_threads(struct ark_pool *pool)
{
	int peak;

	pthread_mutex_lock(&pool->lock);
	peak = pool->peak;
	pthread_mutex_unlock(&pool->lock);
	return peak;
}

int ark_pool_job_zstd_threads(struct ark_pool_job *job)
{
	struct ark_pool *pool = job->pool;
	long spare;

	if (job->granted >= 0)
		return job->granted;
	pthread_mutex_lock(&pool->lock);
	/* What the waiting jobs cannot use: each would take one thread. */
	spare = (long)pool->budget - pool->busy - (long)pool->queued;
	job->granted = spare > 0 ? (int)spare : 0;
	pool->busy += job->granted;
	if (pool->busy > pool->peak)
		pool->peak = pool->busy;
	pthread_mutex_unlock(&pool->lock);
	return job->granted;
}

int ark_pool_job_check(struct ark_pool_job *job, struct ark_error *err)
{
	int stopped;

	if (ark_fsio_interrupted()) {
		ark_pool_stop(job->pool);
		return ark_fsio_check_interrupt(err);
	}
	pthread_mutex_lock(&job->pool->lock);
	stopped = job->pool->stopped;
	pthread_mutex_unlock(&job->pool->lock);
	if (stopped)
		return ark_error_set(err, ARK_ERR_INTERRUPTED, 0,
				     "stopped: another job failed");
	return 0;
}

/*
 * test_pool.c - the worker pool and its one thread budget (ark/pool.h):
 * every job runs, the busy threads (jobs plus their zstd grants) never
 * exceed the budget, measured by the jobs themselves, grants go to the
 * last jobs, the first error wins and stops the rest, a stop signal
 * interrupts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "ark/fsio.h"
#include "ark/pool.h"

struct counters {
	atomic_int done;
	atomic_int active;      /* threads busy now: jobs + their grants */
	atomic_int max_active;
	atomic_int max_jobs;
	atomic_int jobs_now;
	atomic_int grant_sum;
	int fail_at;            /* job number that fails, 0 = none */
	atomic_int started;
};

struct job_arg {
	struct counters *counters;
	int number;
	int sleep_ms;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void raise_max(atomic_int *max, int value)
{
	int seen = atomic_load(max);

	while (value > seen && !atomic_compare_exchange_weak(max, &seen, value))
		;
}

/* Counts itself and its zstd grant as busy threads while it "works". */
static int counting_job(struct ark_pool_job *job, void *arg,
			struct ark_error *err)
{
	struct job_arg *ja = arg;
	struct counters *c = ja->counters;
	int grant;
	int rc = 0;

	atomic_fetch_add(&c->started, 1);
	raise_max(&c->max_jobs, atomic_fetch_add(&c->jobs_now, 1) + 1);
	grant = ark_pool_job_zstd_threads(job);
	assert_int_equal(ark_pool_job_zstd_threads(job), grant); /* stable */
	atomic_fetch_add(&c->grant_sum, grant);
	raise_max(&c->max_active,
		  atomic_fetch_add(&c->active, 1 + grant) + 1 + grant);
	if (c->fail_at == ja->number) {
		/* fail once the other job runs, whatever the scheduling */
		while (atomic_load(&c->started) < 2)
			sleep_ms(1);
		rc = ark_error_set(err, ARK_ERR_WRITE, 0, "job %d: boom",
				   ja->number);
	}
	/* sleep_ms < 0: until stopped (10 s at most) */
	for (int slept = 0; !rc && slept < (ja->sleep_ms < 0 ? 10000
							   : ja->sleep_ms);
	     slept += 2) {
		sleep_ms(2);
		rc = ark_pool_job_check(job, err);
	}
	atomic_fetch_sub(&c->active, 1 + grant);
	atomic_fetch_sub(&c->jobs_now, 1);
	if (!rc)
		atomic_fetch_add(&c->done, 1);
	return rc;
}

static void run_jobs(int budget, int count, int sleep_ms_each,
		     struct counters *c, struct ark_error *err, int *rc,
		     int *peak)
{
	struct job_arg *args = calloc((size_t)count, sizeof(*args));
	struct ark_pool *pool = NULL;

	assert_non_null(args);
	assert_int_equal(ark_pool_new(budget, &pool, err), 0);
	for (int i = 0; i < count; i++) {
		args[i].counters = c;
		args[i].number = i + 1;
		args[i].sleep_ms = sleep_ms_each;
		if (ark_pool_submit(pool, counting_job, &args[i], err) != 0)
			break;
	}
	*rc = ark_pool_wait(pool, err);
	*peak = ark_pool_peak_threads(pool);
	ark_pool_free(pool);
	free(args);
}

static void test_every_job_runs(void **state)
{
	struct counters c = { 0 };
	struct ark_error err = { 0 };
	int rc, peak;

	(void)state;
	run_jobs(3, 200, 0, &c, &err, &rc, &peak);
	assert_int_equal(rc, 0);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(atomic_load(&c.done), 200);
}

/* Measured by the jobs: never more busy threads than the budget. */
static void test_budget_never_exceeded(void **state)
{
	(void)state;
	for (int budget = 1; budget <= 4; budget++) {
		struct counters c = { 0 };
		struct ark_error err = { 0 };
		int rc, peak;

		run_jobs(budget, 24, 10, &c, &err, &rc, &peak);
		assert_int_equal(rc, 0);
		assert_int_equal(atomic_load(&c.done), 24);
		if (atomic_load(&c.max_active) > budget)
			fail_msg("budget %d: %d threads busy at once", budget,
				 atomic_load(&c.max_active));
		assert_true(peak <= budget);
		/* The budget is used: jobs ran side by side. */
		assert_int_equal(atomic_load(&c.max_jobs), budget);
	}
}

/* A job alone gets the rest of the budget for zstd; queued jobs first. */
static void test_grants_go_to_the_last_jobs(void **state)
{
	struct counters c = { 0 };
	struct ark_error err = { 0 };
	int rc, peak;

	(void)state;
	run_jobs(4, 1, 0, &c, &err, &rc, &peak);
	assert_int_equal(rc, 0);
	assert_int_equal(atomic_load(&c.grant_sum), 3);
	assert_int_equal(peak, 4);

	/* A budget of 1: each job is the one busy thread, none to spare. */
	memset(&c, 0, sizeof(c));
	run_jobs(1, 5, 0, &c, &err, &rc, &peak);
	assert_int_equal(rc, 0);
	assert_int_equal(atomic_load(&c.grant_sum), 0);
	assert_int_equal(peak, 1);
}

static void test_first_error_wins(void **state)
{
	struct counters c = { 0 };
	struct ark_error err = { 0 };
	int rc, peak;

	(void)state;
	c.fail_at = 2;
	run_jobs(2, 50, -1, &c, &err, &rc, &peak);
	assert_int_equal(rc, ARK_ERR_WRITE);
	assert_string_equal(err.msg, "job 2: boom");
	/* Job 1 was stopped mid-way (it runs until stopped), the queued
	 * ones never started: both workers were busy until the stop. */
	assert_int_equal(atomic_load(&c.started), 2);
	assert_int_equal(atomic_load(&c.done), 0);
}

/*
 * Held until started: a job taken while the rest are still being queued
 * would see an empty queue and take every spare thread for zstd.
 */
static void test_held_until_started(void **state)
{
	struct counters c = { 0 };
	struct job_arg args[4];
	struct ark_pool *pool = NULL;
	struct ark_error err = { 0 };

	(void)state;
	assert_int_equal(ark_pool_new(4, &pool, &err), 0);
	for (int i = 0; i < 4; i++) {
		args[i].counters = &c;
		args[i].number = i + 1;
		args[i].sleep_ms = -1; /* until stopped */
		assert_int_equal(ark_pool_submit(pool, counting_job, &args[i],
						 &err),
				 0);
		sleep_ms(20);
		assert_int_equal(atomic_load(&c.started), 0);
	}
	ark_pool_start(pool);
	for (int waited = 0; atomic_load(&c.started) < 4 && waited < 5000;
	     waited++)
		sleep_ms(1);
	/* four jobs on four threads, all queued at the start: no grants */
	assert_int_equal(atomic_load(&c.started), 4);
	assert_int_equal(atomic_load(&c.grant_sum), 0);
	ark_pool_stop(pool);
	assert_int_equal(ark_pool_wait(pool, &err), ARK_ERR_INTERRUPTED);
	assert_int_equal(atomic_load(&c.done), 0);
	ark_pool_free(pool);
}

static void test_submit_after_stop(void **state)
{
	struct ark_pool *pool = NULL;
	struct ark_error err = { 0 };
	struct counters c = { 0 };
	struct job_arg arg = { &c, 1, 0 };

	(void)state;
	assert_int_equal(ark_pool_new(2, &pool, &err), 0);
	ark_pool_stop(pool);
	assert_int_equal(ark_pool_submit(pool, counting_job, &arg, &err),
			 ARK_ERR_INTERRUPTED);
	assert_string_equal(err.msg, "interrupted");
	ark_error_clear(&err);
	assert_int_equal(ark_pool_wait(pool, &err), ARK_ERR_INTERRUPTED);
	ark_pool_free(pool);
	assert_int_equal(atomic_load(&c.started), 0);
	ark_pool_free(NULL);
}

static void test_bad_budget(void **state)
{
	struct ark_pool *pool = NULL;
	struct ark_error err = { 0 };

	(void)state;
	assert_int_equal(ark_pool_new(0, &pool, &err), ARK_ERR_USAGE);
	assert_string_equal(err.msg, "jobs 0 is not in 1..256");
	assert_null(pool);
	ark_error_clear(&err);
	assert_int_equal(ark_pool_new(257, &pool, &err), ARK_ERR_USAGE);
	assert_string_equal(err.msg, "jobs 257 is not in 1..256");
}

/* A stop signal: running jobs return interrupted, wait says so. */
static int child_signal(void *arg)
{
	struct counters c = { 0 };
	struct job_arg args[6];
	struct ark_pool *pool = NULL;
	struct ark_error err = { 0 };
	int rc;

	(void)arg;
	ark_fsio_install_signal_handlers();
	if (ark_pool_new(2, &pool, &err) != 0)
		return 10;
	for (int i = 0; i < 6; i++) {
		args[i].counters = &c;
		args[i].number = i + 1;
		args[i].sleep_ms = 5000;
		ark_pool_submit(pool, counting_job, &args[i], &err);
	}
	ark_pool_start(pool);
	for (int waited = 0; atomic_load(&c.started) < 2 && waited < 5000;
	     waited++)
		sleep_ms(1);
	raise(SIGTERM);
	rc = ark_pool_wait(pool, &err);
	ark_pool_free(pool);
	if (rc != ARK_ERR_INTERRUPTED)
		return 11;
	if (strcmp(err.msg, "interrupted by signal") != 0)
		return 12;
	if (atomic_load(&c.started) != 2 || atomic_load(&c.done) != 0)
		return 13;
	return 0;
}

static void test_stop_signal(void **state)
{
	(void)state;
	assert_int_equal(unit_run_in_child(child_signal, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_job_runs),
		cmocka_unit_test(test_budget_never_exceeded),
		cmocka_unit_test(test_grants_go_to_the_last_jobs),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_held_until_started),
		cmocka_unit_test(test_submit_after_stop),
		cmocka_unit_test(test_bad_budget),
		cmocka_unit_test(test_stop_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * pq.c - libpq opened on first use (pq_internal.h says why).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define ARK_PQ_DEFINE_TABLE
#include "pg/pq_internal.h"

struct ark_pq_api ark_pq_api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_failed;
static char load_error[512];

static void load(void)
{
	void *handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);

	if (handle == NULL) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		load_failed = 1;
		return;
	}
#define ARK_PQ_LOAD(name)                                                     \
	if (!load_failed) {                                                   \
		*(void **)&ark_pq_api.name = dlsym(handle, #name);           \
		if (ark_pq_api.name == NULL) {                                \
			snprintf(load_error, sizeof(load_error),              \
				 "libpq.so.5 has no %s", #name);              \
			load_failed = 1;                                      \
		}                                                             \
	}
	ARK_PQ_FUNCTIONS(ARK_PQ_LOAD)
#undef ARK_PQ_LOAD
}

int ark_pq_load(struct ark_error *err)
{
	pthread_once(&load_once, load);
	if (!load_failed)
		return 0;
	return ark_error_set(err, ARK_ERR_PG_CONNECT, 0,
			     "cannot load the PostgreSQL client library (%s); "
			     "install it: apt-get install libpq5",
			     load_error);
}

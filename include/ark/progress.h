/*
 * ark/progress.h - a progress line on stderr when it is a terminal.
 *
 * Silent when disabled or when stderr is not a terminal (cron, CI, pipes).
 * Redraws at most ten times a second.
 */
#ifndef ARK_PROGRESS_H
#define ARK_PROGRESS_H

#include <stdint.h>

struct ark_progress; /* opaque */

/* total may be 0 when unknown.  enabled=0 gives a silent reporter. */
struct ark_progress *ark_progress_new(const char *label, uint64_t total,
				      int enabled);
void ark_progress_update(struct ark_progress *progress, uint64_t done);
/* Clear the line.  NULL is a no-op. */
void ark_progress_free(struct ark_progress *progress);

#endif

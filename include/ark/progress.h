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
/*
 * done so far: bytes (a percentage when the total is known, and a rate),
 * or a count of the phase's unit.  Redraws at most every 100 ms.
 */
void ark_progress_update(struct ark_progress *progress, uint64_t done);
/*
 * Go on to the next phase of a job on the same line: new label, total
 * (0 when unknown) and unit (NULL for bytes; else a word such as "pages",
 * and the line shows "<count> <unit>, <seconds> s" with a spinner, for
 * phases whose end cannot be known).  The phase is drawn at once, at 0.
 * NULL is a no-op.
 */
void ark_progress_phase(struct ark_progress *progress, const char *label,
			uint64_t total, const char *unit);
/* Clear the line.  NULL is a no-op. */
void ark_progress_free(struct ark_progress *progress);

#endif

/*
 * page_sink_internal.h - a SQLite VFS whose only file is a page sink.
 *
 * SQLite's backup API writes the destination database through the pager:
 * pages 2..N in ascending order as the cache spills and at commit, page 1
 * (which the destination keeps referenced) last.  The sink turns those
 * writes into an in-order byte stream:
 *
 *   ARK_PAGE_SINK_CAPTURE - keep the final page 1, discard the rest
 *                           (a first pass, to learn page 1);
 *   ARK_PAGE_SINK_STREAM  - emit the known page 1 first, then every page
 *                           in order to the sink, and check that the
 *                           page 1 written at commit is the one emitted.
 *
 * Out-of-order writes, which the pager does not produce for a fresh
 * destination in journal_mode=OFF, are reported as errors, never mixed in.
 */
#ifndef ARK_PAGE_SINK_INTERNAL_H
#define ARK_PAGE_SINK_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/zio.h"

enum ark_page_sink_mode {
	ARK_PAGE_SINK_CAPTURE = 0,
	ARK_PAGE_SINK_STREAM = 1,
};

struct ark_page_sink; /* opaque */

int ark_page_sink_new(enum ark_page_sink_mode mode, uint32_t page_size,
		      uint64_t page_count, struct ark_sink out,
		      struct ark_page_sink **out_sink, struct ark_error *err);
/* Page 1 captured in CAPTURE mode; to be given to a STREAM sink. */
const uint8_t *ark_page_sink_page1(const struct ark_page_sink *sink);
int ark_page_sink_set_page1(struct ark_page_sink *sink, const uint8_t *page1,
			    struct ark_error *err);
/* Open a destination connection writing into the sink. */
int ark_page_sink_open_db(struct ark_page_sink *sink, sqlite3 **out_db,
			  struct ark_error *err);
/* After the backup: every page arrived (STREAM: bytes emitted). */
int ark_page_sink_finish(struct ark_page_sink *sink, struct ark_error *err);
/* Bytes emitted to the sink so far (STREAM mode). */
uint64_t ark_page_sink_emitted(const struct ark_page_sink *sink);
/* The first error a sink write reported, for the caller's message. */
const struct ark_error *ark_page_sink_error(const struct ark_page_sink *sink);
void ark_page_sink_free(struct ark_page_sink *sink);

#endif

/*
 * test_page_sink.c - the SQLite VFS that turns sqlite3_backup_* writes
 * into an in-order byte stream (lib/sqlite/page_sink_internal.h): CAPTURE learns
 * page 1, STREAM emits page 1 then pages 2..N, and anything out of order
 * is an error, never mixed into the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "unit_helpers.h"

#include <sqlite3.h>

#include "sqlite/page_sink_internal.h"

struct fixture {
	char dir[PATH_MAX];
	char db[PATH_MAX + 32];
	uint8_t *file;      /* the source database file's bytes */
	size_t file_len;
	uint32_t page_size;
	uint64_t page_count;
};

/* A rollback-journal database of ~60 pages with a freelist, 1 KiB pages. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	sqlite3 *db = NULL;

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->db, sizeof(fx->db), "%s/src.db", fx->dir);
	if (sqlite3_open(fx->db, &db) != SQLITE_OK)
		return -1;
	unit_exec_sql(db, "PRAGMA page_size = 1024;"
			  "PRAGMA journal_mode = DELETE;"
			  "PRAGMA user_version = 42;"
			  "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
			  "CREATE INDEX t_v ON t(v);"
			  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
			  "  SELECT i + 1 FROM n WHERE i < 400) "
			  "INSERT INTO t SELECT i, "
			  "printf('%0*d', 50 + i % 70, i) FROM n;"
			  "CREATE TABLE gone(x); INSERT INTO gone "
			  "SELECT zeroblob(3000) FROM t LIMIT 5; "
			  "DROP TABLE gone;");
	fx->page_size = (uint32_t)unit_query_int(db, "PRAGMA page_size");
	fx->page_count = (uint64_t)unit_query_int(db, "PRAGMA page_count");
	if (unit_query_int(db, "PRAGMA freelist_count") == 0)
		return -1;
	sqlite3_close(db);
	fx->file = unit_read_all(fx->db, &fx->file_len);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unit_remove_tree(fx->dir);
	free(fx->file);
	free(fx);
	return 0;
}

static sqlite3 *open_source(const struct fixture *fx)
{
	return unit_open_db(fx->db, SQLITE_OPEN_READONLY);
}

/* A new sink in mode for the fixture's page size and count, onto out. */
static struct ark_page_sink *new_sink(const struct fixture *fx,
				      enum ark_page_sink_mode mode,
				      struct ark_sink out,
				      struct ark_error *err)
{
	struct ark_page_sink *sink = NULL;

	ark_error_clear(err);
	assert_int_equal(ark_page_sink_new(mode, fx->page_size,
					   fx->page_count, out, &sink, err),
			 0);
	return sink;
}

/* Open the sink's connection (*dest); its main file, as the pager's. */
static sqlite3_file *sink_file(struct ark_page_sink *sink, sqlite3 **dest,
			       struct ark_error *err)
{
	sqlite3_file *file = NULL;

	assert_int_equal(ark_page_sink_open_db(sink, dest, err), 0);
	assert_int_equal(sqlite3_file_control(*dest, "main",
					      SQLITE_FCNTL_FILE_POINTER,
					      &file),
			 SQLITE_OK);
	return file;
}

/* Back up source into the sink's connection; the final step result. */
static int backup_into(struct ark_page_sink *sink, sqlite3 *source)
{
	struct ark_error err;
	sqlite3 *dest = NULL;
	sqlite3_backup *backup;
	int step;

	ark_error_clear(&err);
	assert_int_equal(ark_page_sink_open_db(sink, &dest, &err), 0);
	assert_non_null(dest);
	backup = sqlite3_backup_init(dest, "main", source, "main");
	assert_non_null(backup);
	step = sqlite3_backup_step(backup, -1);
	sqlite3_backup_finish(backup);
	sqlite3_close(dest);
	return step;
}

/* Page 1 of the image, as a first CAPTURE pass learns it (malloc'd). */
static uint8_t *capture_page1(const struct fixture *fx, sqlite3 *source)
{
	struct ark_sink nowhere = { NULL, NULL };
	struct ark_page_sink *sink;
	struct ark_error err;
	uint8_t *page1 = malloc(fx->page_size);

	assert_non_null(page1);
	sink = new_sink(fx, ARK_PAGE_SINK_CAPTURE, nowhere, &err);
	assert_null(ark_page_sink_page1(sink));
	assert_int_equal(backup_into(sink, source), SQLITE_DONE);
	assert_int_equal(ark_page_sink_finish(sink, &err), 0);
	assert_non_null(ark_page_sink_page1(sink));
	memcpy(page1, ark_page_sink_page1(sink), fx->page_size);
	/* CAPTURE never emits */
	assert_int_equal(ark_page_sink_emitted(sink), 0);
	assert_int_equal(ark_page_sink_error(sink)->code, ARK_OK);
	ark_page_sink_free(sink);
	return page1;
}

/* The header bytes a backup may rewrite (docs of the claim in the brief). */
static int header_byte_may_differ(size_t offset)
{
	return (offset >= 24 && offset <= 27) ||  /* file change counter */
	       (offset >= 40 && offset <= 43) ||  /* schema cookie */
	       (offset >= 92 && offset <= 99);    /* version-valid-for,
						     SQLITE_VERSION_NUMBER */
}

static void test_capture_records_page1(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *source = open_source(fx);
	uint8_t *page1 = capture_page1(fx, source);

	/* page 1 is the source's, except for the header fields above */
	assert_memory_equal(page1, "SQLite format 3", 16);
	for (size_t i = 0; i < fx->page_size; i++)
		if (!header_byte_may_differ(i) && page1[i] != fx->file[i])
			fail_msg("page 1 byte %zu: 0x%02x, source 0x%02x", i,
				 page1[i], fx->file[i]);
	/* page size (bytes 16-17, big-endian) and page count (28-31) */
	assert_int_equal((page1[16] << 8) | page1[17], fx->page_size);
	assert_int_equal(((uint32_t)page1[28] << 24) | (page1[29] << 16) |
				 (page1[30] << 8) | page1[31],
			 fx->page_count);
	free(page1);
	sqlite3_close(source);
}

static void test_stream_equals_source_file(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *source = open_source(fx);
	uint8_t *page1 = capture_page1(fx, source);
	struct unit_mem_sink out = { 0 };
	struct ark_sink to_mem = { unit_mem_write, &out };
	struct ark_page_sink *sink;
	struct ark_error err;
	size_t differing[16];
	size_t ndiff = 0;

	sink = new_sink(fx, ARK_PAGE_SINK_STREAM, to_mem, &err);
	/* page 1 leads the stream, emitted as soon as it is given */
	assert_int_equal(ark_page_sink_set_page1(sink, page1, &err), 0);
	assert_int_equal(out.len, fx->page_size);
	assert_int_equal(out.first_call_len, fx->page_size);
	assert_memory_equal(out.buf, page1, fx->page_size);
	assert_int_equal(ark_page_sink_emitted(sink), fx->page_size);

	assert_int_equal(backup_into(sink, source), SQLITE_DONE);
	assert_int_equal(ark_page_sink_finish(sink, &err), 0);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(ark_page_sink_emitted(sink),
			 fx->page_count * fx->page_size);
	assert_int_equal(out.len, fx->page_count * fx->page_size);
	assert_int_equal(out.len, fx->file_len);

	/* the claim: identical to the file but for three header fields */
	for (size_t i = 0; i < out.len; i++) {
		if (out.buf[i] == fx->file[i])
			continue;
		if (!header_byte_may_differ(i))
			fail_msg("stream byte %zu (page %zu) is 0x%02x, the "
				 "source file has 0x%02x", i,
				 i / fx->page_size + 1, out.buf[i],
				 fx->file[i]);
		if (ndiff < sizeof(differing) / sizeof(differing[0]))
			differing[ndiff++] = i;
	}
	/*
	 * Observed with SQLite 3.40 (source counters 7, cookie 4): the
	 * backup's commit on the fresh destination writes change counter 1
	 * and version-valid-for 1, and sets the schema cookie to the
	 * destination's old cookie + 1, i.e. 1.  SQLITE_VERSION_NUMBER
	 * (96..99) is the same library's, so only 24..27, 40..43 and
	 * 92..95 can differ here.
	 */
	assert_true(ndiff > 0);
	for (size_t k = 0; k < ndiff; k++)
		assert_true(differing[k] < 96);
	assert_memory_equal(out.buf + 24, "\0\0\0\1", 4);
	assert_memory_equal(out.buf + 92, "\0\0\0\1", 4);
	assert_memory_equal(out.buf + 40, "\0\0\0\1", 4);
	assert_memory_equal(out.buf + 96, fx->file + 96, 4);
	free(page1);
	free(out.buf);
	ark_page_sink_free(sink);
	sqlite3_close(source);
}

static void test_stream_image_opens_with_same_content(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *source = open_source(fx);
	uint8_t *page1 = capture_page1(fx, source);
	struct unit_mem_sink out = { 0 };
	struct ark_sink to_mem = { unit_mem_write, &out };
	struct ark_page_sink *sink;
	struct ark_error err;
	char image_path[PATH_MAX + 32];
	sqlite3 *image;

	sink = new_sink(fx, ARK_PAGE_SINK_STREAM, to_mem, &err);
	assert_int_equal(ark_page_sink_set_page1(sink, page1, &err), 0);
	assert_int_equal(backup_into(sink, source), SQLITE_DONE);
	assert_int_equal(ark_page_sink_finish(sink, &err), 0);
	snprintf(image_path, sizeof(image_path), "%s/image.db", fx->dir);
	unit_write_all(image_path, out.buf, out.len);
	image = unit_open_db(image_path, SQLITE_OPEN_READONLY);
	assert_int_equal(unit_query_int(image, "SELECT count(*) FROM t"), 400);
	assert_int_equal(unit_query_int(image,
					"SELECT sum(length(v)) FROM t"),
			 unit_query_int(source,
					"SELECT sum(length(v)) FROM t"));
	assert_int_equal(unit_query_int(image, "PRAGMA user_version"), 42);
	assert_int_equal(unit_query_int(image, "PRAGMA freelist_count"),
			 unit_query_int(source, "PRAGMA freelist_count"));
	sqlite3_close(image);
	free(page1);
	free(out.buf);
	ark_page_sink_free(sink);
	sqlite3_close(source);
}

static void test_out_of_order_write(void **state)
{
	struct fixture *fx = *state;
	struct unit_mem_sink out = { 0 };
	struct ark_sink to_mem = { unit_mem_write, &out };
	struct ark_page_sink *sink;
	struct ark_error err;
	sqlite3 *dest = NULL;
	sqlite3_file *file;
	uint8_t *page = calloc(1, fx->page_size);
	char expected[96];

	assert_non_null(page);
	sink = new_sink(fx, ARK_PAGE_SINK_STREAM, to_mem, &err);
	assert_int_equal(ark_page_sink_set_page1(sink, fx->file, &err), 0);
	file = sink_file(sink, &dest, &err);
	assert_non_null(file);
	assert_non_null(file->pMethods);

	/* page 3 where page 2 is due */
	assert_int_equal(file->pMethods->xWrite(file, page,
						(int)fx->page_size,
						(sqlite3_int64)(2 *
								fx->page_size)),
			 SQLITE_IOERR_WRITE);
	assert_int_equal(ark_page_sink_error(sink)->code, ARK_ERR_INTERNAL);
	assert_non_null(strstr(ark_page_sink_error(sink)->msg, "out of order"));
	snprintf(expected, sizeof(expected),
		 "at offset %u (expected %u)", 2 * fx->page_size,
		 fx->page_size);
	assert_non_null(strstr(ark_page_sink_error(sink)->msg, expected));
	/* nothing of it reached the sink: only page 1 */
	assert_int_equal(out.len, fx->page_size);
	assert_int_equal(ark_page_sink_emitted(sink), fx->page_size);

	/* page 2 in order is still accepted, and goes to the sink */
	assert_int_equal(file->pMethods->xWrite(file, page,
						(int)fx->page_size,
						(sqlite3_int64)fx->page_size),
			 SQLITE_OK);
	assert_int_equal(out.len, 2 * fx->page_size);
	/* a page written twice is out of order too */
	assert_int_equal(file->pMethods->xWrite(file, page,
						(int)fx->page_size,
						(sqlite3_int64)fx->page_size),
			 SQLITE_IOERR_WRITE);
	assert_int_equal(out.len, 2 * fx->page_size);
	/* the first error is kept */
	assert_non_null(strstr(ark_page_sink_error(sink)->msg, expected));

	/* the stream is short: finish says so */
	ark_error_clear(&err);
	assert_int_equal(ark_page_sink_finish(sink, &err), ARK_ERR_INTERNAL);
	snprintf(expected, sizeof(expected), "holds %u bytes, expected %llu",
		 2 * fx->page_size,
		 (unsigned long long)(fx->page_count * fx->page_size));
	assert_error(err, ARK_ERR_INTERNAL, expected);
	sqlite3_close(dest);
	ark_page_sink_free(sink);
	free(page);
	free(out.buf);
}

/* ---- the lock-byte page (the page holding byte 2^30) ------------------ */

#define LOCK_BYTE_OFFSET 0x40000000ull
#define BIG_PAGE 65536u

/* Counts bytes; checks the lock-byte page's range arrives as zeros. */
struct count_sink {
	uint64_t total;
	uint64_t nonzero_in_lock_page;
};

static int count_write(void *ctx, const void *buf, size_t len,
		       struct ark_error *err)
{
	struct count_sink *sink = ctx;
	const uint8_t *bytes = buf;

	uint64_t from = sink->total;
	uint64_t to = sink->total + len;

	(void)err;
	/* only the part of this write inside the lock-byte page */
	if (from < LOCK_BYTE_OFFSET)
		from = LOCK_BYTE_OFFSET;
	if (to > LOCK_BYTE_OFFSET + BIG_PAGE)
		to = LOCK_BYTE_OFFSET + BIG_PAGE;
	for (uint64_t at = from; at < to; at++)
		if (bytes[at - sink->total] != 0)
			sink->nonzero_in_lock_page++;
	sink->total += len;
	return 0;
}

/*
 * Write pages 2..last (1-based) in order through the VFS file, never the
 * lock-byte page, as the pager does; then finish with page_count pages.
 * The stream must come out whole: page_count pages, the lock-byte page's
 * range all zeros.
 */
static void write_around_lock_page(uint64_t last_written,
				   uint64_t page_count)
{
	struct count_sink counted = { 0, 0 };
	struct ark_sink counter = { count_write, &counted };
	struct ark_page_sink *sink = NULL;
	struct ark_error err;
	uint64_t lock_page = LOCK_BYTE_OFFSET / BIG_PAGE + 1;
	sqlite3 *dest = NULL;
	sqlite3_file *file;
	uint8_t *page = malloc(BIG_PAGE);
	int rc;

	assert_non_null(page);
	memset(page, 0xab, BIG_PAGE);
	ark_error_clear(&err);
	assert_int_equal(ark_page_sink_new(ARK_PAGE_SINK_STREAM, BIG_PAGE,
					   page_count, counter, &sink, &err),
			 0);
	assert_int_equal(ark_page_sink_set_page1(sink, page, &err), 0);
	file = sink_file(sink, &dest, &err);
	for (uint64_t n = 2; n <= last_written; n++) {
		if (n == lock_page)
			continue;
		rc = file->pMethods->xWrite(file, page, (int)BIG_PAGE,
					    (sqlite3_int64)((n - 1) *
							    BIG_PAGE));
		if (rc != SQLITE_OK)
			fail_msg("page %llu: rc %d: %s",
				 (unsigned long long)n, rc,
				 ark_page_sink_error(sink)->msg);
	}
	ark_page_sink_finish(sink, &err);
	sqlite3_close(dest);
	ark_page_sink_free(sink);
	free(page);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(counted.total, page_count * BIG_PAGE);
	assert_int_equal(counted.nonzero_in_lock_page, 0);
}

static void test_lock_byte_page_in_the_middle(void **state)
{
	(void)state;
	/* 16384 pages below 1 GiB, the lock-byte page 16385, then 16386 */
	write_around_lock_page(16386, 16386);
}

static void test_lock_byte_page_last(void **state)
{
	(void)state;
	/* the database ends with the lock-byte page: finish adds it */
	write_around_lock_page(16384, 16385);
}

static void test_page1_changed_between_passes(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *source = open_source(fx);
	uint8_t *page1 = capture_page1(fx, source);
	struct unit_mem_sink out = { 0 };
	struct ark_sink to_mem = { unit_mem_write, &out };
	struct ark_page_sink *sink;
	struct ark_error err;

	/* as if the database changed after the capture pass */
	page1[200] ^= 0xff;
	sink = new_sink(fx, ARK_PAGE_SINK_STREAM, to_mem, &err);
	assert_int_equal(ark_page_sink_set_page1(sink, page1, &err), 0);
	assert_int_not_equal(backup_into(sink, source), SQLITE_DONE);
	assert_int_equal(ark_page_sink_error(sink)->code, ARK_ERR_INTERNAL);
	assert_non_null(strstr(ark_page_sink_error(sink)->msg,
			       "snapshot changed between passes (page 1 "
			       "differs"));
	free(page1);
	free(out.buf);
	ark_page_sink_free(sink);
	sqlite3_close(source);
}

static void test_capture_without_backup(void **state)
{
	struct fixture *fx = *state;
	struct ark_sink nowhere = { NULL, NULL };
	struct ark_error err;
	struct ark_page_sink *sink = new_sink(fx, ARK_PAGE_SINK_CAPTURE,
					      nowhere, &err);

	assert_int_equal(ark_page_sink_finish(sink, &err), ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL,
		     "snapshot pass did not produce page 1");
	ark_page_sink_free(sink);
	ark_page_sink_free(NULL);
}

static void test_sink_write_failure(void **state)
{
	struct fixture *fx = *state;
	struct unit_mem_sink out = { 0 };
	struct ark_sink to_mem = { unit_mem_write, &out };
	struct ark_page_sink *sink;
	struct ark_error err;

	out.fail_with = ARK_ERR_WRITE;
	sink = new_sink(fx, ARK_PAGE_SINK_STREAM, to_mem, &err);
	assert_int_equal(ark_page_sink_set_page1(sink, fx->file, &err),
			 ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "test sink refuses");
	assert_int_equal(err.sys_errno, 28);
	assert_int_equal(ark_page_sink_emitted(sink), 0);
	assert_int_equal(ark_page_sink_error(sink)->code, ARK_ERR_WRITE);
	ark_page_sink_free(sink);
}

static void test_two_sinks_coexist(void **state)
{
	struct fixture *fx = *state;
	struct ark_sink nowhere = { NULL, NULL };
	struct ark_page_sink *a, *b;
	struct ark_error err;
	sqlite3 *source = open_source(fx);

	/* each sink registers its own VFS; both work at once */
	a = new_sink(fx, ARK_PAGE_SINK_CAPTURE, nowhere, &err);
	b = new_sink(fx, ARK_PAGE_SINK_CAPTURE, nowhere, &err);
	assert_int_equal(backup_into(b, source), SQLITE_DONE);
	assert_int_equal(backup_into(a, source), SQLITE_DONE);
	assert_non_null(ark_page_sink_page1(a));
	assert_non_null(ark_page_sink_page1(b));
	assert_memory_equal(ark_page_sink_page1(a), ark_page_sink_page1(b),
			    fx->page_size);
	ark_page_sink_free(a);
	ark_page_sink_free(b);
	sqlite3_close(source);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_capture_records_page1),
		T(test_stream_equals_source_file),
		T(test_stream_image_opens_with_same_content),
		T(test_out_of_order_write),
		cmocka_unit_test(test_lock_byte_page_in_the_middle),
		cmocka_unit_test(test_lock_byte_page_last),
		T(test_page1_changed_between_passes),
		T(test_capture_without_backup),
		T(test_sink_write_failure),
		T(test_two_sinks_coexist),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

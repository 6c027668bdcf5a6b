/*
 * test_digest.c - table digests (ark/digest.h) and the row buffer
 * (ark/buf.h): a digest is the row count and the sum of the rows'
 * XXH3-128, the same however the rows are ordered or the stream is cut.
 *
 *   printf 'abc' | xxhsum -H2    06b05ab6733a618578af5f94892f3950
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/digest.h"

static void test_one_row_is_its_hash(void **state)
{
	struct ark_digest digest;
	char text[ARK_DIGEST_TEXT_MAX];

	(void)state;
	ark_digest_init(&digest);
	ark_digest_add_row(&digest, "abc", 3);
	ark_digest_format(&digest, text);
	assert_string_equal(text, "1:06b05ab6733a618578af5f94892f3950");
}

static void test_empty_table(void **state)
{
	struct ark_digest digest;
	char text[ARK_DIGEST_TEXT_MAX];

	(void)state;
	ark_digest_init(&digest);
	ark_digest_format(&digest, text);
	assert_string_equal(text, "0:00000000000000000000000000000000");
}

static const char *const rows[] = {
	"1\tAC/DC\t\\N", "2\tAccept\t", "3\tAerosmith\tx\\ty", "", "\\N",
	"2\tAccept\t", /* a duplicate row counts twice */
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void digest_rows(struct ark_digest *digest, const size_t *order)
{
	size_t i;

	ark_digest_init(digest);
	for (i = 0; i < NROWS; i++)
		ark_digest_add_row(digest, rows[order[i]], strlen(rows[order[i]]));
}

static void test_order_independent_and_sensitive(void **state)
{
	static const size_t forward[NROWS] = {0, 1, 2, 3, 4, 5};
	static const size_t backward[NROWS] = {5, 4, 3, 2, 1, 0};
	struct ark_digest a, b, c, part1, part2;
	size_t i;

	(void)state;
	digest_rows(&a, forward);
	digest_rows(&b, backward);
	assert_true(ark_digest_equal(&a, &b));

	/* two segments merged are the whole */
	ark_digest_init(&part1);
	ark_digest_init(&part2);
	for (i = 0; i < NROWS; i++)
		ark_digest_add_row(i % 2 ? &part1 : &part2, rows[i],
				   strlen(rows[i]));
	ark_digest_merge(&part1, &part2);
	assert_true(ark_digest_equal(&a, &part1));

	/* one changed byte, a missing row, an extra row: all differ */
	ark_digest_init(&c);
	for (i = 0; i < NROWS; i++)
		ark_digest_add_row(&c, i == 2 ? "3\tAerosmith\tx\\tz" : rows[i],
				   strlen(rows[i]));
	assert_false(ark_digest_equal(&a, &c));
	ark_digest_init(&c);
	for (i = 1; i < NROWS; i++)
		ark_digest_add_row(&c, rows[i], strlen(rows[i]));
	assert_false(ark_digest_equal(&a, &c));
	digest_rows(&c, forward);
	ark_digest_add_row(&c, "", 0);
	assert_false(ark_digest_equal(&a, &c));
	assert_int_equal(c.rows, NROWS + 1);
}

/* The stream, cut at every possible place, digests as the rows do. */
static void test_stream_any_cut(void **state)
{
	static const size_t forward[NROWS] = {0, 1, 2, 3, 4, 5};
	struct ark_digest expected;
	struct ark_digest_stream stream;
	struct ark_error err;
	struct ark_buf text = ARK_BUF_INIT;
	size_t i, cut1, cut2;

	(void)state;
	digest_rows(&expected, forward);
	for (i = 0; i < NROWS; i++) {
		ark_buf_append_str(&text, rows[i]);
		ark_buf_append_char(&text, '\n');
	}
	assert_false(ark_buf_failed(&text));
	for (cut1 = 0; cut1 <= text.len; cut1++) {
		for (cut2 = cut1; cut2 <= text.len; cut2 += 3) {
			ark_error_clear(&err);
			assert_int_equal(ark_digest_stream_begin(&stream, &err), 0);
			ark_digest_stream_feed(&stream, text.data, cut1);
			ark_digest_stream_feed(&stream, text.data + cut1,
					       cut2 - cut1);
			ark_digest_stream_feed(&stream, text.data + cut2,
					       text.len - cut2);
			assert_int_equal(ark_digest_stream_end(&stream, "t", &err),
					 0);
			assert_true(ark_digest_equal(&expected, &stream.digest));
		}
	}
	ark_buf_free(&text);
}

static void test_stream_ends_inside_row(void **state)
{
	struct ark_digest_stream stream;
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	assert_int_equal(ark_digest_stream_begin(&stream, &err), 0);
	ark_digest_stream_feed(&stream, "1\ta\n2\tb", 7);
	assert_int_equal(ark_digest_stream_end(&stream, "member data/00001.copy",
					       &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg,
			    "member data/00001.copy: the data ends inside a row");
	assert_int_equal(stream.digest.rows, 1);
	ark_digest_stream_abandon(NULL);
}

static void test_buf(void **state)
{
	struct ark_buf buf = ARK_BUF_INIT;
	char big[5000];
	char *taken;

	(void)state;
	ark_buf_append_str(&buf, "CREATE TABLE ");
	ark_buf_appendf(&buf, "\"%s\" (%d)", "t", 42);
	assert_string_equal(buf.data, "CREATE TABLE \"t\" (42)");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ark_buf_appendf(&buf, "%s!", big); /* grows past the first guess */
	assert_int_equal(buf.len, 21 + 4999 + 1);
	assert_int_equal(buf.data[buf.len - 1], '!');
	ark_buf_truncate(&buf, 6);
	assert_string_equal(buf.data, "CREATE");
	ark_buf_append(&buf, "\0z", 2); /* binary bytes are kept */
	assert_int_equal(buf.len, 8);
	assert_int_equal(buf.data[7], 'z');
	ark_buf_reset(&buf);
	assert_int_equal(buf.len, 0);
	assert_string_equal(buf.data, "");
	ark_buf_append_char(&buf, 'q');
	taken = ark_buf_take(&buf);
	assert_string_equal(taken, "q");
	assert_null(buf.data);
	free(taken);
	taken = ark_buf_take(&buf); /* an empty buffer gives "" */
	assert_string_equal(taken, "");
	free(taken);
	ark_buf_free(&buf);
	ark_buf_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_row_is_its_hash),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_order_independent_and_sensitive),
		cmocka_unit_test(test_stream_any_cut),
		cmocka_unit_test(test_stream_ends_inside_row),
		cmocka_unit_test(test_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_manifest.c - libFuzzer harness for the manifest's consumers.
 *
 * fuzz_reader mutates whole archives, so its mutations almost never get
 * past the hashes to the manifest.  Here the input is a manifest: byte 0
 * holds flags, the rest is MANIFEST.json text.  The text goes once
 * through ark_manifest_parse() as it is; then, when it is a JSON object,
 * the harness builds a consistent archive around it, as a writer would:
 * one tar member per element of "members" (its path, and a raw content of
 * its role: the harness's SQLite image for "sqlite-image", a pattern of
 * raw_size bytes otherwise, zstd-compressed), the manifest's derived
 * fields filled in as the flags ask, and XXH128SUMS and the tail made to
 * match.  The archive is then read the way ark-checksum-verify and
 * ark-restore read one: reader open (listing, manifest validation, tail),
 * verify_data, extract_member of every member, the SQLite image lookup,
 * and ark_verify_run() with its report printed as text and as JSON.
 *
 * A value the validation lets through must be usable: after a successful
 * open the harness aborts when a documented invariant of struct
 * ark_manifest does not hold (created_unix in the tar mtime range, the
 * created text, page_size and page_count in SQLite's ranges, members
 * tiling the prefix, raw sizes adding up below 2^63).
 * See tests/fuzz/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "ark/archive.h"
#include "ark/digest.h"
#include "ark/error.h"
#include "ark/hash.h"
#include "ark/manifest.h"
#include "ark/report.h"
#include "ark/verify.h"
#include "ark/zio.h"
#include "core/archive_internal.h"
#include "sqlite/sqlite_image_internal.h"
#include "core/tar_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Flags in the input's first byte: which derived fields to fill in. */
#define FIX_LAYOUT 0x01   /* header_offset, data_offset, stored_size */
#define FIX_HASHES 0x02   /* stored_xxh128, raw_xxh128; a pg table's rows
			     and content_digest */
#define FIX_RAW_SIZE 0x04 /* raw_size */
#define FIX_PREFIX 0x08   /* prefix_size, prefix_xxh128 */
#define FIX_CREATED 0x10  /* created from created_unix */
#define FIX_PAGES 0x20    /* source.page_size/page_count from the image */
#define DEEP 0x40         /* ark_verify_run with deep */
#define PATTERN 0x80      /* a pattern even for role sqlite-image */

#define MAX_MEMBERS 8
#define MAX_PATTERN 65536

static int debug;           /* FUZZ_MANIFEST_DEBUG set: say how far */
static char fuzz_dir[4096];
static char fuzz_path[4096];
static FILE *devnull;
static uint8_t *image;      /* a small SQLite database, 512-byte pages */
static size_t image_size;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_manifest: %s: %s\n", what, strerror(errno));
	abort();
}

static void fuzz_cleanup(void)
{
	char temp[4200];

	if (fuzz_path[0])
		unlink(fuzz_path);
	snprintf(temp, sizeof(temp), "%s/ark-verify.sqlite", fuzz_dir);
	unlink(temp);
	if (fuzz_dir[0])
		rmdir(fuzz_dir);
	if (devnull)
		fclose(devnull);
}

/* The image every "sqlite-image" member holds: two 512-byte pages. */
static void make_image(void)
{
	sqlite3 *db = NULL;
	sqlite3_int64 len = 0;
	unsigned char *bytes;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size=512; VACUUM;"
			 "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
			 "INSERT INTO t VALUES (1, 'one'), (2, 'two');",
			 NULL, NULL, NULL) != SQLITE_OK)
		die("sqlite");
	bytes = sqlite3_serialize(db, "main", &len, 0);
	if (!bytes || len <= 0)
		die("sqlite3_serialize");
	image = malloc((size_t)len);
	if (!image)
		die("malloc");
	memcpy(image, bytes, (size_t)len);
	image_size = (size_t)len;
	sqlite3_free(bytes);
	sqlite3_close(db);
}

static void fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/ark-fuzz-manifest.XXXXXX",
		 tmp);
	if (!mkdtemp(fuzz_dir))
		die("mkdtemp");
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/input.ark", fuzz_dir);
	debug = getenv("FUZZ_MANIFEST_DEBUG") != NULL;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		die("/dev/null");
	make_image();
	atexit(fuzz_cleanup);
}

/* A growing byte buffer; any allocation failure aborts. */
struct buf {
	uint8_t *data;
	size_t len;
	size_t room;
};

static void buf_add(struct buf *b, const void *bytes, size_t len)
{
	if (b->len + len > b->room) {
		size_t room = (b->len + len) * 2 + 4096;
		uint8_t *more = realloc(b->data, room);

		if (!more)
			die("realloc");
		b->data = more;
		b->room = room;
	}
	if (len)
		memcpy(b->data + b->len, bytes, len);
	b->len += len;
}

static void buf_pad(struct buf *b)
{
	static const uint8_t zeros[ARK_TAR_BLOCK];

	buf_add(b, zeros, (size_t)ark_tar_padding(b->len));
}

static void set_hash(json_t *object, const char *key, struct ark_hash128 h)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(h, hex);
	json_object_set_new(object, key, json_string(hex));
}

/* The raw content of one member (malloc'd) and its length. */
static uint8_t *member_raw(json_t *member, int flags, size_t *len)
{
	const char *role = json_string_value(json_object_get(member, "role"));
	json_t *raw_size = json_object_get(member, "raw_size");
	uint8_t *raw;
	size_t n = 100;

	if (!(flags & PATTERN) && role && strcmp(role, "sqlite-image") == 0) {
		raw = malloc(image_size);
		if (!raw)
			die("malloc");
		memcpy(raw, image, image_size);
		*len = image_size;
		return raw;
	}
	if (json_is_integer(raw_size) && json_integer_value(raw_size) >= 0 &&
	    json_integer_value(raw_size) <= MAX_PATTERN)
		n = (size_t)json_integer_value(raw_size);
	raw = malloc(n + 1);
	if (!raw)
		die("malloc");
	for (size_t i = 0; i < n; i++)
		raw[i] = (uint8_t)("ark fuzz\n"[i % 9]);
	*len = n;
	return raw;
}

/* The tar path of member i: its manifest path when a writer could use
 * it, else a stand-in (the listing then disagrees with the manifest). */
static void member_path(json_t *member, size_t i, char *out, size_t room)
{
	const char *path = json_string_value(json_object_get(member, "path"));

	if (path && strlen(path) >= 1 && strlen(path) <= ARK_MEMBER_PATH_MAX &&
	    ark_member_path_valid(path))
		snprintf(out, room, "%s", path);
	else
		snprintf(out, room, "m%zu.zst", i);
}

/* One data member: headers, stored bytes, padding; fields as flagged. */
static void add_member(struct buf *archive, json_t *member, size_t i,
		       int64_t mtime, int flags)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];
	char path[ARK_MEMBER_PATH_MAX + 16];
	size_t raw_len = 0;
	uint8_t *raw = member_raw(member, flags, &raw_len);
	size_t bound = ZSTD_compressBound(raw_len);
	uint8_t *stored = malloc(bound);
	size_t stored_len;
	uint64_t header_offset = archive->len;

	if (!stored)
		die("malloc");
	stored_len = ZSTD_compress(stored, bound, raw, raw_len, 1);
	if (ZSTD_isError(stored_len))
		die("ZSTD_compress");
	member_path(member, i, path, sizeof(path));
	if (ark_tar_member_header(header, path, stored_len, mtime) != 0)
		die("ark_tar_member_header");
	buf_add(archive, header, sizeof(header));
	buf_add(archive, stored, stored_len);
	buf_pad(archive);
	if (flags & FIX_LAYOUT) {
		json_object_set_new(member, "header_offset",
				    json_integer((json_int_t)header_offset));
		json_object_set_new(member, "data_offset",
				    json_integer((json_int_t)(
					    header_offset + sizeof(header))));
		json_object_set_new(member, "stored_size",
				    json_integer((json_int_t)stored_len));
	}
	if (flags & FIX_RAW_SIZE)
		json_object_set_new(member, "raw_size",
				    json_integer((json_int_t)raw_len));
	if (flags & FIX_HASHES) {
		const char *role =
			json_string_value(json_object_get(member, "role"));
		struct ark_digest_stream stream;
		char text[ARK_DIGEST_TEXT_MAX];

		set_hash(member, "stored_xxh128",
			 ark_hash_buffer(stored, stored_len));
		set_hash(member, "raw_xxh128", ark_hash_buffer(raw, raw_len));
		/* A pg table's rows and digest, when the pattern is whole
		 * lines (raw_size a multiple of 9). */
		if (role && strcmp(role, "pg-table-data") == 0 &&
		    ark_digest_stream_begin(&stream, NULL) == 0) {
			ark_digest_stream_feed(&stream, raw, raw_len);
			if (ark_digest_stream_end(&stream, "fuzz", NULL) == 0) {
				ark_digest_format(&stream.digest, text);
				json_object_set_new(
					member, "rows",
					json_integer((json_int_t)
							     stream.digest.rows));
				json_object_set_new(member, "content_digest",
						    json_string(text));
			}
		}
	}
	free(raw);
	free(stored);
}

/* Fill in the flagged fields of root and write the archive to fuzz_path. */
static void build_archive(json_t *root, int flags)
{
	struct buf archive = { 0 };
	json_t *members = json_object_get(root, "members");
	json_t *created_unix = json_object_get(root, "created_unix");
	json_t *source = json_object_get(root, "source");
	struct ark_manifest *parsed = NULL;
	struct ark_error err = { 0 };
	struct ark_hash128 manifest_hash;
	int64_t mtime = 0;
	char *text;
	char *sums;
	uint8_t *tail = NULL;
	size_t text_len = 0;
	size_t sums_len = 0;
	size_t tail_len = 0;
	int fd;

	/* The writer puts created_unix in every header (lib/core/tar.c cuts
	 * what does not fit, as the reader would regenerate it). */
	if (json_is_integer(created_unix))
		mtime = json_integer_value(created_unix);
	if ((flags & FIX_CREATED) && json_is_integer(created_unix)) {
		char when[ARK_TIME_TEXT_SIZE];

		if (ark_manifest_format_time(mtime, when) == 0)
			json_object_set_new(root, "created",
					    json_string(when));
	}
	if ((flags & FIX_PAGES) && json_is_object(source)) {
		json_object_set_new(source, "page_size", json_integer(512));
		json_object_set_new(source, "page_count",
				    json_integer((json_int_t)image_size / 512));
	}
	for (size_t i = 0; json_is_array(members) &&
			   i < json_array_size(members) && i < MAX_MEMBERS;
	     i++) {
		json_t *member = json_array_get(members, i);

		if (json_is_object(member))
			add_member(&archive, member, i, mtime, flags);
	}
	if (flags & FIX_PREFIX) {
		json_object_set_new(root, "prefix_size",
				    json_integer((json_int_t)archive.len));
		set_hash(root, "prefix_xxh128",
			 ark_hash_buffer(archive.data, archive.len));
	}
	text = ark_manifest_dump(root, &text_len);
	if (!text)
		die("ark_manifest_dump");
	manifest_hash = ark_hash_buffer(text, text_len);
	/* The sums a writer derives; only the manifest line when the
	 * reader will refuse the manifest anyway. */
	if (ark_manifest_parse(text, text_len, &parsed, &err) == 0) {
		sums = ark_manifest_sums_text(parsed->members,
					      parsed->member_count,
					      manifest_hash, &sums_len);
		mtime = parsed->created_unix;
	} else {
		sums = ark_manifest_sums_text(NULL, 0, manifest_hash,
					      &sums_len);
	}
	ark_manifest_free(parsed);
	if (!sums || ark_archive_build_tail(text, text_len, sums, sums_len,
					    mtime, &tail, &tail_len) != 0)
		die("tail");
	buf_add(&archive, tail, tail_len);
	fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open");
	for (size_t done = 0; done < archive.len;) {
		ssize_t n = write(fd, archive.data + done, archive.len - done);

		if (n < 0 && errno != EINTR)
			die("write");
		if (n > 0)
			done += (size_t)n;
	}
	if (close(fd) != 0)
		die("close");
	free(text);
	free(sums);
	free(tail);
	free(archive.data);
}

/* What ark_manifest_parse() promises of a manifest it accepts. */
static void check_invariants(const struct ark_manifest *m)
{
	uint64_t end = 0;
	uint64_t raw_total = 0;
	char when[ARK_TIME_TEXT_SIZE];

	if (m->created_unix < 0 || m->created_unix > ARK_CREATED_UNIX_MAX ||
	    ark_manifest_format_time(m->created_unix, when) != 0 ||
	    strcmp(when, m->created) != 0)
		abort();
	if (strcmp(m->kind, "sqlite") != 0 && strcmp(m->kind, "pg") != 0)
		abort();
	if (strcmp(m->kind, "sqlite") == 0 &&
	    (m->page_size < ARK_SQLITE_PAGE_SIZE_MIN ||
	     m->page_size > ARK_SQLITE_PAGE_SIZE_MAX ||
	     (m->page_size & (m->page_size - 1)) != 0 ||
	     m->page_count > (uint64_t)ARK_SQLITE_PAGE_COUNT_MAX))
		abort();
	if (m->member_count > ARK_MANIFEST_MAX_MEMBERS)
		abort();
	for (size_t i = 0; i < m->member_count; i++) {
		const struct ark_member_info *member = &m->members[i];

		if (member->header_offset != end ||
		    member->data_offset != end + ARK_TAR_MEMBER_HEADER_SIZE ||
		    member->stored_size > UINT64_MAX / 4 ||
		    !ark_member_path_valid(member->path) ||
		    !ark_member_path_is_data(member->path) ||
		    member->raw_size > (uint64_t)INT64_MAX - raw_total)
			abort();
		/* kind pg: a table's rows fit its raw bytes (one newline
		 * each); only table members carry a digest */
		if (member->has_digest &&
		    (strcmp(m->kind, "pg") != 0 ||
		     strcmp(member->role, "pg-table-data") != 0 ||
		     member->content_digest.rows > member->raw_size))
			abort();
		raw_total += member->raw_size;
		end = member->data_offset + member->stored_size;
		end += ark_tar_padding(end);
	}
	if (end != m->prefix_size)
		abort();
}

static int discard_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	uint64_t *bytes = ctx;

	(void)err;
	if (len) {
		volatile uint8_t touch = ((const uint8_t *)buf)[0];

		touch ^= ((const uint8_t *)buf)[len - 1];
		(void)touch;
	}
	*bytes += len;
	return 0;
}

/* open, verify_data, extract every member, find the image. */
static void read_archive(void)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_error err = { 0 };
	size_t index = 0;
	int rc;

	rc = ark_archive_reader_open(fuzz_path, &reader, &err);
	if (debug)
		fprintf(stderr, "open: %s\n", rc ? err.msg : "ok");
	if (rc != 0) {
		if (reader != NULL || err.code != rc || err.msg[0] == '\0')
			abort();
		return;
	}
	manifest = ark_archive_reader_manifest(reader);
	check_invariants(manifest);
	/* ark-checksum-verify --list, text and JSON */
	ark_report_manifest(devnull, fuzz_path, manifest);
	json_decref(ark_report_manifest_json(fuzz_path, manifest));
	ark_error_clear(&err);
	(void)ark_archive_verify_data(reader, NULL, &err);
	for (size_t i = 0; i < manifest->member_count; i++) {
		uint64_t bytes = 0;
		struct ark_sink sink = { discard_write, &bytes };

		ark_error_clear(&err);
		rc = ark_archive_extract_member(reader, i, sink, NULL, &err);
		if (rc == 0 && bytes != manifest->members[i].raw_size)
			abort();
	}
	ark_error_clear(&err);
	rc = ark_sqlite_image_find(reader, fuzz_path, &index, &err);
	if (debug)
		fprintf(stderr, "image: %s\n", rc ? err.msg : "ok");
	if (rc == 0 && (index >= manifest->member_count ||
			manifest->page_size * manifest->page_count !=
				manifest->members[index].raw_size))
		abort();
	ark_archive_reader_free(reader);
}

/* ark-checksum-verify's library call and both of its reports. */
static void verify_archive(int deep)
{
	struct ark_verify_options options = { 0 };
	struct ark_verify_result result;
	struct ark_error err = { 0 };
	int rc;

	options.deep = deep;
	options.tmpdir = fuzz_dir;
	rc = ark_verify_run(fuzz_path, &options, &result, &err);
	if (debug)
		fprintf(stderr, "verify%s: %s\n", deep ? " --deep" : "",
			rc ? err.msg : "ok");
	if (rc != 0 && (err.code != rc || err.msg[0] == '\0'))
		abort();
	ark_report_verify(devnull, &result, rc ? &err : NULL);
	json_decref(ark_report_verify_json(&result));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err = { 0 };
	json_error_t jerr;
	json_t *root;
	int flags;

	if (size < 1)
		return 0;
	if (!devnull)
		fuzz_setup();
	flags = data[0];
	data++;
	size--;

	/* The text as it is: the parser and the validation alone. */
	if (ark_manifest_parse((const char *)data, size, &manifest, &err) ==
	    0)
		check_invariants(manifest);
	if (debug)
		fprintf(stderr, "parse as is: %s\n",
			manifest ? "ok" : err.msg);
	else if (manifest != NULL || err.msg[0] == '\0')
		abort();
	ark_manifest_free(manifest);

	root = json_loadb((const char *)data, size, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	build_archive(root, flags);
	json_decref(root);
	read_archive();
	verify_archive(flags & DEEP);
	return 0;
}

/*
 * pgarchive_spec - write a `pg` archive with ark's own writer
 * (ark/pgarchive.h) from the spec arkfmt.py pg-build reads:
 *
 *   pgarchive_spec SPEC.json OUT.ark
 *
 * {"source": {...}, "pre": SQL, "post": SQL, "tables": [{"schema",
 * "name", "columns": [{"name", "type"}], "copy": COPY text}]}; strings
 * that held bytes outside UTF-8 are given as lone surrogates \udcXX
 * (Python's surrogateescape) and written back as those bytes.  Tables
 * are written one after another, each in 3 pieces (cut anywhere).
 * Prints "path=<final path>"; exit 0, or the error's exit code.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/error.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pgarchive.h"

/* text with U+DC80..U+DCFF (3 UTF-8 bytes each) back to single bytes. */
static size_t unescape_bytes(const char *text, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const unsigned char *p = (const unsigned char *)text + i;

		if (i + 2 < len && p[0] == 0xed && (p[1] & 0xfc) == 0xb0 &&
		    (p[2] & 0xc0) == 0x80) {
			unsigned code = ((p[1] & 0x0fu) << 6) | (p[2] & 0x3fu);

			out[n++] = (char)(0x80u | (code & 0x7fu));
			i += 2;
		} else
			out[n++] = (char)p[0];
	}
	return n;
}

static int write_table(struct ark_pgarchive *archive, json_t *spec,
		       struct ark_error *err)
{
	json_t *columns = json_object_get(spec, "columns");
	size_t count = json_array_size(columns), len, done = 0;
	struct ark_pgarchive_column *cols = calloc(count + 1, sizeof(*cols));
	struct ark_pgarchive_table_info info;
	struct ark_pgarchive_table *table = NULL;
	const char *copy = json_string_value(json_object_get(spec, "copy"));
	char *raw = NULL;
	int rc;

	if (!cols || !copy)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "bad spec");
	for (size_t i = 0; i < count; i++) {
		json_t *c = json_array_get(columns, i);

		cols[i].name = json_string_value(json_object_get(c, "name"));
		cols[i].type = json_string_value(json_object_get(c, "type"));
	}
	info.schema = json_string_value(json_object_get(spec, "schema"));
	info.name = json_string_value(json_object_get(spec, "name"));
	info.columns = cols;
	info.column_count = count;
	len = json_string_length(json_object_get(spec, "copy"));
	raw = malloc(len + 1);
	if (!raw) {
		free(cols);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	}
	len = unescape_bytes(copy, len, raw);
	rc = ark_pgarchive_table_begin(archive, &info, 0, &table, err);
	for (int piece = 1; !rc && piece <= 3; piece++) {
		size_t end = piece == 3 ? len : len * (size_t)piece / 3;

		rc = ark_pgarchive_table_write(table, raw + done, end - done,
					       err);
		done = end;
	}
	if (!rc) {
		rc = ark_pgarchive_table_end(table, NULL, NULL, err);
		table = NULL;
	}
	ark_pgarchive_table_free(table);
	free(raw);
	free(cols);
	return rc;
}

static int run(const char *spec_path, const char *out, struct ark_error *err)
{
	struct ark_archive_writer_options options = {
		.tool = "pgarchive_spec", .level = 3,
		.created_unix = 1764460800,
	};
	struct ark_archive_summary summary;
	struct ark_pgarchive *archive = NULL;
	json_error_t why;
	json_t *spec = json_load_file(spec_path, 0, &why);
	json_t *tables, *table;
	const char *pre, *post;
	size_t i;
	int rc;

	if (!spec)
		return ark_error_set(err, ARK_ERR_USAGE, 0, "%s: %s",
				     spec_path, why.text);
	pre = json_string_value(json_object_get(spec, "pre"));
	post = json_string_value(json_object_get(spec, "post"));
	rc = ark_pgarchive_open(out, &options,
				json_incref(json_object_get(spec, "source")),
				&archive, err);
	if (!rc && pre)
		rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_PRE_DATA,
					     pre, strlen(pre), err);
	tables = json_object_get(spec, "tables");
	json_array_foreach(tables, i, table) {
		if (rc)
			break;
		rc = write_table(archive, table, err);
	}
	if (!rc && post)
		rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_POST_DATA,
					     post, strlen(post), err);
	if (!rc)
		rc = ark_pgarchive_finish(archive, &summary, err);
	if (!rc)
		printf("path=%s\n", summary.path);
	ark_pgarchive_free(archive);
	json_decref(spec);
	return rc;
}

int main(int argc, char **argv)
{
	struct ark_error err = { 0 };
	int rc;

	ark_log_set_program("pgarchive_spec");
	ark_fsio_install_signal_handlers();
	if (argc != 3) {
		fprintf(stderr, "usage: pgarchive_spec SPEC.json OUT.ark\n");
		return 2;
	}
	rc = run(argv[1], argv[2], &err);
	if (rc) {
		fprintf(stderr, "pgarchive_spec: %s\n", err.msg);
		return ark_error_exit_code(rc);
	}
	return fclose(stdout) == 0 ? 0 : 1;
}

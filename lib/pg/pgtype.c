/*
 * pgtype.c - PostgreSQL type names: the SQL ark writes for a type, and the
 * types ark reads back from format_type() for --data-only targets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ark/pgtext.h"

void ark_pgtype_append_sql(struct ark_buf *out,
			   const struct ark_pgtype_spec *type)
{
	switch (type->type) {
	case ARK_PGTYPE_BOOL: ark_buf_append_str(out, "boolean"); break;
	case ARK_PGTYPE_INT2: ark_buf_append_str(out, "smallint"); break;
	case ARK_PGTYPE_INT4: ark_buf_append_str(out, "integer"); break;
	case ARK_PGTYPE_INT8: ark_buf_append_str(out, "bigint"); break;
	case ARK_PGTYPE_FLOAT4: ark_buf_append_str(out, "real"); break;
	case ARK_PGTYPE_FLOAT8:
		ark_buf_append_str(out, "double precision");
		break;
	case ARK_PGTYPE_NUMERIC:
		if (type->precision > 0)
			ark_buf_appendf(out, "numeric(%d,%d)",
					(int)type->precision,
					type->scale < 0 ? 0 : (int)type->scale);
		else
			ark_buf_append_str(out, "numeric");
		break;
	case ARK_PGTYPE_TEXT: ark_buf_append_str(out, "text"); break;
	case ARK_PGTYPE_VARCHAR:
		if (type->length > 0)
			ark_buf_appendf(out, "varchar(%d)", (int)type->length);
		else
			ark_buf_append_str(out, "varchar");
		break;
	case ARK_PGTYPE_BPCHAR:
		if (type->length > 0)
			ark_buf_appendf(out, "char(%d)", (int)type->length);
		else
			ark_buf_append_str(out, "bpchar");
		break;
	case ARK_PGTYPE_BYTEA: ark_buf_append_str(out, "bytea"); break;
	case ARK_PGTYPE_DATE: ark_buf_append_str(out, "date"); break;
	case ARK_PGTYPE_TIMESTAMP: ark_buf_append_str(out, "timestamp"); break;
	case ARK_PGTYPE_TIMESTAMPTZ:
		ark_buf_append_str(out, "timestamptz");
		break;
	case ARK_PGTYPE_JSON: ark_buf_append_str(out, "json"); break;
	case ARK_PGTYPE_JSONB: ark_buf_append_str(out, "jsonb"); break;
	case ARK_PGTYPE_UUID: ark_buf_append_str(out, "uuid"); break;
	}
}

/* "(n)" or "(p,s)" at *text: the numbers, the end; -1 when malformed. */
static int parse_modifiers(const char *text, int32_t *first,
			   int32_t *second)
{
	char *end;
	long value;

	*first = -1;
	*second = -1;
	if (*text == '\0')
		return 0;
	if (*text != '(')
		return -1;
	text++;
	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || value <= 0 || value > 10485760)
		return -1;
	*first = (int32_t)value;
	if (*end == ',') {
		text = end + 1;
		if (*text < '0' || *text > '9')
			return -1;
		errno = 0;
		value = strtol(text, &end, 10);
		if (errno != 0 || value > 1000)
			return -1;
		*second = (int32_t)value;
	}
	if (end[0] != ')' || end[1] != '\0')
		return -1;
	return 0;
}

int ark_pgtype_parse(const char *format_type, struct ark_pgtype_spec *type)
{
	static const struct {
		const char *name;
		enum ark_pgtype type;
	} plain[] = {
		{"boolean", ARK_PGTYPE_BOOL},
		{"bool", ARK_PGTYPE_BOOL},
		{"smallint", ARK_PGTYPE_INT2},
		{"int2", ARK_PGTYPE_INT2},
		{"integer", ARK_PGTYPE_INT4},
		{"int4", ARK_PGTYPE_INT4},
		{"int", ARK_PGTYPE_INT4},
		{"bigint", ARK_PGTYPE_INT8},
		{"int8", ARK_PGTYPE_INT8},
		{"real", ARK_PGTYPE_FLOAT4},
		{"float4", ARK_PGTYPE_FLOAT4},
		{"double precision", ARK_PGTYPE_FLOAT8},
		{"float8", ARK_PGTYPE_FLOAT8},
		{"text", ARK_PGTYPE_TEXT},
		{"bytea", ARK_PGTYPE_BYTEA},
		{"date", ARK_PGTYPE_DATE},
		{"timestamp without time zone", ARK_PGTYPE_TIMESTAMP},
		{"timestamp", ARK_PGTYPE_TIMESTAMP},
		{"timestamp with time zone", ARK_PGTYPE_TIMESTAMPTZ},
		{"timestamptz", ARK_PGTYPE_TIMESTAMPTZ},
		{"json", ARK_PGTYPE_JSON},
		{"jsonb", ARK_PGTYPE_JSONB},
		{"uuid", ARK_PGTYPE_UUID},
	};
	static const struct {
		const char *prefix;
		enum ark_pgtype type;
	} modified[] = {
		{"numeric", ARK_PGTYPE_NUMERIC},
		{"decimal", ARK_PGTYPE_NUMERIC},
		{"character varying", ARK_PGTYPE_VARCHAR},
		{"varchar", ARK_PGTYPE_VARCHAR},
		{"character", ARK_PGTYPE_BPCHAR},
		{"char", ARK_PGTYPE_BPCHAR},
		{"bpchar", ARK_PGTYPE_BPCHAR},
	};
	struct ark_pgtype_spec spec = {ARK_PGTYPE_TEXT, -1, -1, -1};
	size_t i;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		if (strcmp(format_type, plain[i].name) == 0) {
			spec.type = plain[i].type;
			*type = spec;
			return 0;
		}
	}
	for (i = 0; i < sizeof modified / sizeof modified[0]; i++) {
		size_t n = strlen(modified[i].prefix);
		int32_t first, second;

		if (strncmp(format_type, modified[i].prefix, n) != 0)
			continue;
		if (parse_modifiers(format_type + n, &first, &second) != 0)
			continue;
		spec.type = modified[i].type;
		if (spec.type == ARK_PGTYPE_NUMERIC) {
			if (first > 1000 || second > first)
				return -1;
			spec.precision = first;
			spec.scale = first < 0 ? -1 : second < 0 ? 0 : second;
		} else {
			if (second >= 0)
				return -1;
			spec.length = first;
			/* "character" alone is char(1) in PostgreSQL; format_type
			   prints "bpchar" for the unlimited one */
			if (spec.type == ARK_PGTYPE_BPCHAR && first < 0 &&
			    strcmp(modified[i].prefix, "bpchar") != 0)
				spec.length = 1;
		}
		*type = spec;
		return 0;
	}
	return -1;
}

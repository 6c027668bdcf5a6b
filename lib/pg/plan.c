/*
 * plan.c - the PostgreSQL schema a SQLite database becomes (ark/plan.h,
 * rules in docs/type-mapping.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ark/plan.h"
#include "ark/text.h"
#include "pg/sqlexpr_internal.h"

/* Columns a PostgreSQL table can have (MaxHeapAttributeNumber). */
#define PG_MAX_COLUMNS 1600

#define NAME_MAX_BYTES 63 /* PostgreSQL's NAMEDATALEN - 1 */

/* ---- memory ---------------------------------------------------------- */

static char *plan_strdup(struct ark_plan *plan, const char *text)
{
	char *copy;

	if (!text)
		return NULL;
	copy = strdup(text);
	if (!copy)
		plan->failed = 1;
	return copy;
}

static void *plan_calloc(struct ark_plan *plan, size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size);

	if (!p)
		plan->failed = 1;
	return p;
}

static char *buf_take_or_fail(struct ark_plan *plan, struct ark_buf *buf)
{
	char *text;

	if (!buf->data)
		ark_buf_append_str(buf, "");
	text = ark_buf_take(buf);
	if (!text)
		plan->failed = 1;
	return text;
}

static void plan_note(struct ark_plan *plan, enum ark_plan_note_kind kind,
		      const char *table, const char *column, const char *fmt,
		      ...) __attribute__((format(printf, 5, 6)));

static void plan_note(struct ark_plan *plan, enum ark_plan_note_kind kind,
		      const char *table, const char *column, const char *fmt,
		      ...)
{
	struct ark_plan_note *grown, *note;
	struct ark_buf message = ARK_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ark_buf_vappendf(&message, fmt, ap);
	va_end(ap);
	grown = realloc(plan->notes, (plan->nnotes + 1) * sizeof *grown);
	if (!grown || ark_buf_failed(&message)) {
		if (grown)
			plan->notes = grown;
		ark_buf_free(&message);
		plan->failed = 1;
		return;
	}
	plan->notes = grown;
	note = &plan->notes[plan->nnotes++];
	note->kind = kind;
	note->table = plan_strdup(plan, table);
	note->column = plan_strdup(plan, column);
	note->message = buf_take_or_fail(plan, &message);
}

const char *ark_plan_note_kind_name(enum ark_plan_note_kind kind)
{
	switch (kind) {
	case ARK_NOTE_INFO: return "info";
	case ARK_NOTE_RENAMED: return "renamed";
	case ARK_NOTE_RELAXED: return "relaxed";
	case ARK_NOTE_NOT_CARRIED: return "not carried";
	}
	return "?";
}

/* ---- identifiers ----------------------------------------------------- */

/* PostgreSQL's reserved key words: the "reserved" entries of the key-word
   table of PostgreSQL's documentation (Appendix C), including those marked
   "reserved (can be function or type)".  Sorted for bsearch. */
static const char *const reserved_words[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc",
	"asymmetric", "authorization", "binary", "both", "case", "cast",
	"check", "collate", "collation", "column", "concurrently",
	"constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "default", "deferrable", "desc", "distinct", "do",
	"else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
	"from", "full", "grant", "group", "having", "ilike", "in",
	"initially", "inner", "intersect", "into", "is", "isnull", "join",
	"lateral", "leading", "left", "like", "limit", "localtime",
	"localtimestamp", "natural", "not", "notnull", "null", "offset", "on",
	"only", "or", "order", "outer", "overlaps", "placing", "primary",
	"references", "returning", "right", "select", "session_user",
	"similar", "some", "symmetric", "table", "tablesample", "then", "to",
	"trailing", "true", "union", "unique", "user", "using", "variadic",
	"verbose", "when", "where", "window", "with",
};

static int compare_word(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

int ark_plan_is_reserved_word(const char *name)
{
	return bsearch(name, reserved_words,
		       sizeof reserved_words / sizeof reserved_words[0],
		       sizeof reserved_words[0], compare_word) != NULL;
}

/* Length of the longest prefix of text (valid UTF-8) within max bytes
   that ends on a character boundary. */
static size_t cut_on_boundary(const char *text, size_t max)
{
	size_t len = strlen(text);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* A source name as PostgreSQL can hold it: invalid UTF-8 bytes become
   U+FFFD, A-Z folded unless keep_case, "" becomes "unnamed". */
static char *clean_name(struct ark_plan *plan, const char *source,
			int keep_case, int *invalid)
{
	struct ark_buf out = ARK_BUF_INIT;
	const unsigned char *p = (const unsigned char *)source;
	size_t len = strlen(source), i = 0;

	*invalid = 0;
	while (i < len) {
		size_t n = 1;

		if (p[i] >= 0x80) {
			size_t try;

			for (try = 2; try <= 4 && i + try <= len; try++)
				if (ark_sqlexpr_utf8_chars((const char *)p + i,
							   try, NULL))
					break;
			if (try > 4 || i + try > len) {
				ark_buf_append_str(&out, "\xef\xbf\xbd");
				*invalid = 1;
				i++;
				continue;
			}
			n = try;
		}
		if (n == 1 && !keep_case && p[i] >= 'A' && p[i] <= 'Z')
			ark_buf_append_char(&out, (char)(p[i] + 32));
		else
			ark_buf_append(&out, p + i, n);
		i += n;
	}
	if (out.len == 0)
		ark_buf_append_str(&out, "unnamed");
	return buf_take_or_fail(plan, &out);
}

struct name_set {
	char **names;
	size_t count;
};

static int name_taken(const struct name_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (strcmp(set->names[i], name) == 0)
			return 1;
	return 0;
}

static void name_set_free(struct name_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		free(set->names[i]);
	free(set->names);
	set->names = NULL;
	set->count = 0;
}

/* Claim a unique name from wanted (clean UTF-8): cut to 63 bytes, then
   _2, _3... on a collision.  *cut and *collided say what happened. */
static char *claim_name(struct ark_plan *plan, struct name_set *set,
			const char *wanted, int *cut, int *collided)
{
	struct ark_buf candidate = ARK_BUF_INIT;
	char **grown;
	char *name;
	unsigned suffix;

	*cut = strlen(wanted) > NAME_MAX_BYTES;
	*collided = 0;
	ark_buf_append(&candidate, wanted,
		       cut_on_boundary(wanted, NAME_MAX_BYTES));
	for (suffix = 2; !ark_buf_failed(&candidate) &&
			 name_taken(set, candidate.data ? candidate.data : "");
	     suffix++) {
		char tail[16];

		*collided = 1;
		snprintf(tail, sizeof tail, "_%u", suffix);
		ark_buf_reset(&candidate);
		ark_buf_append(&candidate, wanted,
			       cut_on_boundary(wanted,
					       NAME_MAX_BYTES - strlen(tail)));
		ark_buf_append_str(&candidate, tail);
	}
	name = buf_take_or_fail(plan, &candidate);
	if (!name)
		return NULL;
	grown = realloc(set->names, (set->count + 1) * sizeof *grown);
	if (!grown) {
		plan->failed = 1;
		free(name);
		return NULL;
	}
	set->names = grown;
	set->names[set->count] = strdup(name);
	if (!set->names[set->count]) {
		plan->failed = 1;
		free(name);
		return NULL;
	}
	set->count++;
	return name;
}

/* PostgreSQL's system columns: no column of a table may take these. */
static const char *const system_columns[] = {
	"tableoid", "cmax", "xmax", "cmin", "xmin", "ctid", NULL,
};

static int is_system_column(const char *name)
{
	const char *const *p;

	for (p = system_columns; *p; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

/* The PostgreSQL name of a source name, with RENAMED and reserved-word
   notes (table/column: the source names the notes carry). */
static char *plan_name(struct ark_plan *plan, struct name_set *set,
		       const char *source, const char *what,
		       const char *note_table, const char *note_column)
{
	int invalid, cut, collided;
	char *clean, *name;

	clean = clean_name(plan, source, plan->keep_case, &invalid);
	if (!clean)
		return NULL;
	name = claim_name(plan, set, clean, &cut, &collided);
	if (name && (invalid || cut || collided))
		plan_note(plan, ARK_NOTE_RENAMED, note_table, note_column,
			  "%s renamed \"%s\": %s", what, name,
			  collided && note_column && is_system_column(clean)
				  ? "a PostgreSQL system column has this name"
			  : collided ? "the name is taken"
			  : cut      ? "cut to 63 bytes"
				     : "not valid UTF-8");
	if (name && ark_plan_is_reserved_word(name))
		plan_note(plan, ARK_NOTE_INFO, note_table, note_column,
			  "%s \"%s\" is a PostgreSQL reserved word: SQL must "
			  "quote it",
			  what, name);
	free(clean);
	return name;
}

/* ---- types ----------------------------------------------------------- */

struct declared {
	char base[96];  /* upper case, single spaces, without (...) */
	int nargs;
	long args[2];
};

static void parse_declared(const char *text, struct declared *d)
{
	size_t n = 0;
	int space = 0;
	const char *p = text;

	memset(d, 0, sizeof *d);
	for (; *p && *p != '('; p++) {
		char c = *p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 1 < sizeof d->base)
			d->base[n++] = ' ';
		space = 0;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (n + 1 < sizeof d->base)
			d->base[n++] = c;
	}
	d->base[n] = '\0';
	if (*p != '(')
		return;
	p++;
	while (d->nargs < 2) {
		char *end;
		long v;

		while (*p == ' ')
			p++;
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		d->args[d->nargs++] = v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p != ',')
			break;
		p++;
	}
}

static int base_is(const struct declared *d, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(d->base, *names) == 0)
			return 1;
	return 0;
}

static int ints_exact_in_double(const struct ark_column_profile *cp)
{
	const int64_t limit = (int64_t)1 << 53;

	return cp->integers == 0 ||
	       (cp->min_integer >= -limit && cp->max_integer <= limit);
}

static int all_bool(const struct ark_column_profile *cp)
{
	return cp->reals == 0 && cp->blobs == 0 &&
	       cp->texts == cp->texts_bool &&
	       (cp->integers == 0 ||
		(cp->min_integer >= 0 && cp->max_integer <= 1));
}

static struct ark_pgtype_spec spec_of(enum ark_pgtype type)
{
	struct ark_pgtype_spec spec = {type, -1, -1, -1};

	return spec;
}

/* Does type hold every value the profile saw?  Conservative where the
   profile can tell, hopeful where only the values can (the transfer's
   value check has the last word). */
static int profile_fits(const struct ark_pgtype_spec *type,
			const struct ark_column_profile *cp,
			const struct ark_pgtext_rules *rules)
{
	int numbers = cp->integers + cp->reals > 0;
	int dates_from_numbers =
		rules->date_numbers != ARK_DATE_NUMBERS_REFUSE;

	switch (type->type) {
	case ARK_PGTYPE_BOOL:
		return all_bool(cp);
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
		return cp->reals == 0 && cp->texts == 0 && cp->blobs == 0;
	case ARK_PGTYPE_FLOAT4:
	case ARK_PGTYPE_FLOAT8:
		return cp->texts == 0 && cp->blobs == 0 &&
		       ints_exact_in_double(cp);
	case ARK_PGTYPE_NUMERIC:
		return cp->texts == 0 && cp->blobs == 0 &&
		       cp->infinities == 0 && cp->negative_zeros == 0;
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
	case ARK_PGTYPE_BPCHAR:
		if (cp->blobs > 0 ||
		    (cp->texts > 0 && !(cp->text_shapes_all & ARK_SHAPE_UTF8)))
			return 0;
		return type->type == ARK_PGTYPE_TEXT || type->length < 0 ||
		       cp->max_text_chars <= (uint64_t)type->length;
	case ARK_PGTYPE_BYTEA:
		return 1;
	case ARK_PGTYPE_DATE:
		return cp->blobs == 0 && (!numbers || dates_from_numbers) &&
		       (cp->texts == 0 || (cp->text_shapes_all & ARK_SHAPE_DATE));
	case ARK_PGTYPE_TIMESTAMP:
		return cp->blobs == 0 && (!numbers || dates_from_numbers) &&
		       !(cp->text_shapes_any & ARK_SHAPE_TIMESTAMPTZ) &&
		       (cp->texts == 0 ||
			(cp->text_shapes_any &
			 (ARK_SHAPE_DATE | ARK_SHAPE_TIMESTAMP)));
	case ARK_PGTYPE_TIMESTAMPTZ:
		return cp->blobs == 0 && (!numbers || dates_from_numbers) &&
		       (cp->texts == 0 ||
			(cp->text_shapes_all & ARK_SHAPE_TIMESTAMPTZ));
	case ARK_PGTYPE_JSONB:
		if (cp->text_shapes_any & ARK_SHAPE_JSON_DUPKEYS)
			return 0;
		/* fall through */
	case ARK_PGTYPE_JSON:
		return cp->blobs == 0 && cp->infinities == 0 &&
		       (cp->texts == 0 || (cp->text_shapes_all & ARK_SHAPE_JSON));
	case ARK_PGTYPE_UUID:
		return !numbers && cp->blobs == 0 &&
		       (cp->texts == 0 || (cp->text_shapes_all & ARK_SHAPE_UUID));
	}
	return 0;
}

/* Can type hold any value of this storage class at all? */
static int class_possible(const struct ark_pgtype_spec *type, int storage,
			  const struct ark_pgtext_rules *rules)
{
	int number = storage == SQLITE_INTEGER || storage == SQLITE_FLOAT;

	if (storage == SQLITE_BLOB)
		return type->type == ARK_PGTYPE_BYTEA;
	switch (type->type) {
	case ARK_PGTYPE_BOOL:
		return storage != SQLITE_FLOAT;
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
		return storage == SQLITE_INTEGER;
	case ARK_PGTYPE_FLOAT4:
	case ARK_PGTYPE_FLOAT8:
	case ARK_PGTYPE_NUMERIC:
		return number;
	case ARK_PGTYPE_DATE:
	case ARK_PGTYPE_TIMESTAMP:
	case ARK_PGTYPE_TIMESTAMPTZ:
		return !number || rules->date_numbers != ARK_DATE_NUMBERS_REFUSE;
	case ARK_PGTYPE_UUID:
		return storage == SQLITE_TEXT;
	default:
		return 1;
	}
}

/* The next wider type, or -1. */
static int next_wider(struct ark_pgtype_spec *type, int storage)
{
	struct ark_pgtype_spec next;

	if (storage == SQLITE_BLOB) {
		if (type->type == ARK_PGTYPE_BYTEA)
			return -1;
		*type = spec_of(ARK_PGTYPE_BYTEA);
		return 0;
	}
	switch (type->type) {
	case ARK_PGTYPE_BOOL:
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
		next = spec_of(ARK_PGTYPE_INT8);
		break;
	case ARK_PGTYPE_INT8:
		next = spec_of(ARK_PGTYPE_NUMERIC);
		break;
	case ARK_PGTYPE_NUMERIC:
		next = spec_of(type->precision >= 0 ? ARK_PGTYPE_NUMERIC
						    : ARK_PGTYPE_TEXT);
		break;
	case ARK_PGTYPE_FLOAT4:
		next = spec_of(ARK_PGTYPE_FLOAT8);
		break;
	case ARK_PGTYPE_FLOAT8:
		next = spec_of(storage == SQLITE_INTEGER ? ARK_PGTYPE_NUMERIC
							 : ARK_PGTYPE_TEXT);
		break;
	case ARK_PGTYPE_VARCHAR:
	case ARK_PGTYPE_BPCHAR:
	case ARK_PGTYPE_TIMESTAMP:
	case ARK_PGTYPE_TIMESTAMPTZ:
	case ARK_PGTYPE_JSON:
	case ARK_PGTYPE_UUID:
		next = spec_of(ARK_PGTYPE_TEXT);
		break;
	case ARK_PGTYPE_DATE:
		next = spec_of(ARK_PGTYPE_TIMESTAMP);
		break;
	case ARK_PGTYPE_JSONB:
		next = spec_of(ARK_PGTYPE_JSON);
		break;
	case ARK_PGTYPE_TEXT:
		next = spec_of(ARK_PGTYPE_BYTEA);
		break;
	default:
		return -1;
	}
	*type = next;
	return 0;
}

/* The strongest storage class present: blob > text > real > integer. */
static int profile_storage(const struct ark_column_profile *cp)
{
	if (cp->blobs)
		return SQLITE_BLOB;
	if (cp->texts)
		return SQLITE_TEXT;
	if (cp->reals)
		return SQLITE_FLOAT;
	return SQLITE_INTEGER;
}

/* A column with no declared type: the narrowest type holding every value
   the profile saw. */
static struct ark_pgtype_spec type_from_values(
	const struct ark_column_profile *cp)
{
	if (!cp || (cp->integers + cp->reals + cp->texts + cp->blobs) == 0)
		return spec_of(ARK_PGTYPE_TEXT);
	if (cp->blobs)
		return spec_of(ARK_PGTYPE_BYTEA);
	if (cp->texts)
		return spec_of(ARK_PGTYPE_TEXT);
	if (cp->reals == 0)
		return spec_of(ARK_PGTYPE_INT8);
	if (cp->integers == 0 || ints_exact_in_double(cp))
		return spec_of(ARK_PGTYPE_FLOAT8);
	return spec_of(ARK_PGTYPE_NUMERIC);
}

/* Decision 3 of the brief: declared type + affinity + profile. */
static struct ark_pgtype_spec choose_type(const struct ark_sqlite_table *t,
					  const struct ark_sqlite_column *c,
					  const struct ark_column_profile *cp)
{
	static const char *const bools[] = {"BOOL", "BOOLEAN", NULL};
	static const char *const stamps[] = {
		"DATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", NULL};
	static const char *const zoned[] = {
		"TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", NULL};
	static const char *const jsons[] = {"JSON", "JSONB", NULL};
	static const char *const decimals[] = {"DECIMAL", "NUMERIC", NULL};
	static const char *const chars[] = {
		"VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "CHARACTER",
		"CHARACTER VARYING", "VARYING CHARACTER", "NATIVE CHARACTER",
		"NATIONAL CHARACTER", "NATIONAL CHARACTER VARYING", NULL};
	struct declared d;
	struct ark_pgtype_spec spec;

	parse_declared(c->declared_type ? c->declared_type : "", &d);
	if (d.base[0] == '\0' || (t->strict && strcmp(d.base, "ANY") == 0))
		return type_from_values(cp);
	if (base_is(&d, bools)) {
		if (!cp || all_bool(cp))
			return spec_of(ARK_PGTYPE_BOOL);
		return spec_of(ARK_PGTYPE_INT8);
	}
	if (strcmp(d.base, "DATE") == 0)
		return spec_of(ARK_PGTYPE_DATE);
	if (base_is(&d, zoned))
		return spec_of(ARK_PGTYPE_TIMESTAMPTZ);
	if (base_is(&d, stamps))
		return spec_of(cp && (cp->text_shapes_any &
				      ARK_SHAPE_TIMESTAMPTZ)
				       ? ARK_PGTYPE_TIMESTAMPTZ
				       : ARK_PGTYPE_TIMESTAMP);
	if (base_is(&d, jsons))
		return spec_of(ARK_PGTYPE_JSONB);
	if (strcmp(d.base, "UUID") == 0) {
		if (!cp || (cp->integers + cp->reals + cp->blobs == 0 &&
			    (cp->texts == 0 ||
			     (cp->text_shapes_all & ARK_SHAPE_UUID))))
			return spec_of(ARK_PGTYPE_UUID);
		return type_from_values(cp);
	}
	if (base_is(&d, decimals)) {
		spec = spec_of(ARK_PGTYPE_NUMERIC);
		if (d.nargs >= 1 && d.args[0] >= 1 && d.args[0] <= 1000 &&
		    (d.nargs < 2 || (d.args[1] >= 0 && d.args[1] <= d.args[0]))) {
			spec.precision = (int32_t)d.args[0];
			spec.scale = d.nargs == 2 ? (int32_t)d.args[1] : 0;
		}
		return spec;
	}
	if (base_is(&d, chars) && d.nargs == 1 && d.args[0] >= 1 &&
	    d.args[0] <= 10485760) {
		spec = spec_of(ARK_PGTYPE_VARCHAR);
		spec.length = (int32_t)d.args[0];
		return spec;
	}
	switch (c->affinity) {
	case ARK_AFFINITY_INTEGER:
		return spec_of(ARK_PGTYPE_INT8);
	case ARK_AFFINITY_REAL:
		return spec_of(ARK_PGTYPE_FLOAT8);
	case ARK_AFFINITY_TEXT:
		return spec_of(ARK_PGTYPE_TEXT);
	case ARK_AFFINITY_BLOB:
		return spec_of(ARK_PGTYPE_BYTEA);
	case ARK_AFFINITY_NUMERIC:
		break;
	}
	return spec_of(ARK_PGTYPE_NUMERIC);
}

int ark_plan_needs_profile(const struct ark_sqlite_table *t,
			   const struct ark_sqlite_column *c)
{
	static const char *const bools[] = {"BOOL", "BOOLEAN", NULL};
	static const char *const stamps[] = {
		"DATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", NULL};
	struct declared d;

	/* the paths of choose_type() that read its profile */
	parse_declared(c->declared_type ? c->declared_type : "", &d);
	return d.base[0] == '\0' || (t->strict && strcmp(d.base, "ANY") == 0) ||
	       base_is(&d, bools) || base_is(&d, stamps) ||
	       strcmp(d.base, "UUID") == 0;
}

/* The text shapes profile_fits() reads to judge type. */
static unsigned shapes_read(enum ark_pgtype type)
{
	switch (type) {
	case ARK_PGTYPE_BOOL:
		return ARK_SHAPE_BOOL;
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
	case ARK_PGTYPE_BPCHAR:
		return ARK_SHAPE_UTF8;
	case ARK_PGTYPE_DATE:
	case ARK_PGTYPE_TIMESTAMP:
	case ARK_PGTYPE_TIMESTAMPTZ:
		return ARK_SHAPE_DATE | ARK_SHAPE_TIMESTAMP |
		       ARK_SHAPE_TIMESTAMPTZ;
	case ARK_PGTYPE_JSON:
	case ARK_PGTYPE_JSONB:
		return ARK_SHAPE_JSON | ARK_SHAPE_JSON_DUPKEYS;
	case ARK_PGTYPE_UUID:
		return ARK_SHAPE_UUID;
	default:
		return 0;
	}
}

unsigned ark_plan_shapes_needed(const struct ark_sqlite_table *t,
				const struct ark_sqlite_column *c)
{
	static const int storages[] = { SQLITE_INTEGER, SQLITE_FLOAT,
					SQLITE_TEXT, SQLITE_BLOB };
	/* choose_type() without a profile gives the type a column starts
	 * from (with one it may give a narrower one: BOOL -> bigint, UUID
	 * -> the values' type, TIMESTAMP -> timestamptz, on the same paths
	 * of next_wider()); --widen walks on from there */
	struct ark_pgtype_spec start = choose_type(t, c, NULL);
	unsigned mask = ARK_SHAPE_UTF8 | ARK_SHAPE_BOOL;

	for (size_t k = 0; k < sizeof(storages) / sizeof(storages[0]); k++) {
		struct ark_pgtype_spec type = start;

		mask |= shapes_read(type.type);
		for (int steps = 0; steps < 16 && next_wider(&type,
							     storages[k]) == 0;
		     steps++)
			mask |= shapes_read(type.type);
	}
	return mask;
}

static char *type_text(struct ark_plan *plan, const struct ark_pgtype_spec *t)
{
	struct ark_buf buf = ARK_BUF_INIT;

	ark_pgtype_append_sql(&buf, t);
	return buf_take_or_fail(plan, &buf);
}

/* ---- expressions ----------------------------------------------------- */

struct resolve_context {
	const struct ark_plan_table *table;
	size_t *refs;
	size_t nrefs;
	int failed;
};

static int expression_class(const struct ark_plan_column *c,
			    enum ark_sqlite_affinity affinity)
{
	if (c->collation_nocase)
		return ARK_SQLEXPR_REFUSED;
	switch (c->type.type) {
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
	case ARK_PGTYPE_FLOAT4:
	case ARK_PGTYPE_FLOAT8:
	case ARK_PGTYPE_NUMERIC:
		return affinity == ARK_AFFINITY_INTEGER ||
				       affinity == ARK_AFFINITY_REAL ||
				       affinity == ARK_AFFINITY_NUMERIC
			       ? ARK_SQLEXPR_NUMBER
			       : ARK_SQLEXPR_REFUSED;
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
		return affinity == ARK_AFFINITY_TEXT ? ARK_SQLEXPR_TEXT
						     : ARK_SQLEXPR_REFUSED;
	case ARK_PGTYPE_BOOL:
		return ARK_SQLEXPR_BOOLEAN_COLUMN;
	default:
		return ARK_SQLEXPR_REFUSED;
	}
}

/* SQLite matches names case-insensitively (ASCII). */
static int resolve_column(void *context, const char *name,
			  const char **pg_name, int *cls)
{
	struct resolve_context *rc = context;
	size_t i;

	for (i = 0; i < rc->table->ncolumns; i++) {
		const struct ark_plan_column *c = &rc->table->columns[i];
		size_t *grown;

		if (strcasecmp(c->source_name, name) != 0)
			continue;
		*pg_name = c->name;
		*cls = expression_class(c, c->source_affinity);
		grown = realloc(rc->refs, (rc->nrefs + 1) * sizeof *grown);
		if (!grown) {
			rc->failed = 1;
		} else {
			rc->refs = grown;
			rc->refs[rc->nrefs++] = i;
		}
		return 0;
	}
	return -1;
}

/* ---- building -------------------------------------------------------- */

struct builder {
	struct ark_plan *plan;
	const struct ark_sqlite_schema *schema;
	const struct ark_profile *profile;
	size_t *plan_of_source;      /* source table index -> plan index */
	enum ark_sqlite_affinity **affinity; /* per plan table, column */
	struct name_set relations;
};

static const struct ark_column_profile *column_profile(
	const struct builder *b, size_t source_table, size_t column)
{
	if (!b->profile || source_table >= b->profile->ntables ||
	    column >= b->profile->tables[source_table].ncolumns)
		return NULL;
	return &b->profile->tables[source_table].columns[column];
}

/* Translate the column's DEFAULT for its current type (or note). */
static void plan_default(struct ark_plan *plan, struct ark_plan_table *t,
			 struct ark_plan_column *c)
{
	struct ark_buf out = ARK_BUF_INIT;
	const char *reason = NULL;

	free(c->default_sql);
	c->default_sql = NULL;
	if (!c->source_default || c->identity)
		return;
	if (ark_sqlexpr_default(c->source_default, &c->type, &out, &reason) ==
	    0) {
		c->default_sql = buf_take_or_fail(plan, &out);
		return;
	}
	ark_buf_free(&out);
	{
		char *type = type_text(plan, &c->type);

		plan_note(plan, ARK_NOTE_NOT_CARRIED, t->source_name,
			  c->source_name, "DEFAULT %s not carried into %s: %s",
			  c->source_default, type ? type : "?", reason);
		free(type);
	}
}

static int compare_source_names(const void *a, const void *b, void *arg)
{
	const struct ark_sqlite_schema *schema = arg;

	return strcmp(schema->tables[*(const size_t *)a].name,
		      schema->tables[*(const size_t *)b].name);
}

/* Widen by the profile alone (options.widen), with RELAXED notes. */
static void widen_by_profile(struct ark_plan *plan, struct ark_plan_table *t,
			     struct ark_plan_column *c,
			     const struct ark_column_profile *cp)
{
	struct ark_pgtype_spec from = c->type;
	int storage;

	if (!cp)
		return;
	storage = profile_storage(cp);
	while (!profile_fits(&c->type, cp, &plan->rules)) {
		if (next_wider(&c->type, storage) != 0)
			break;
		while (!class_possible(&c->type, storage, &plan->rules))
			if (next_wider(&c->type, storage) != 0)
				break;
	}
	if (from.type != c->type.type || from.length != c->type.length ||
	    from.precision != c->type.precision) {
		char *a = type_text(plan, &from), *z = type_text(plan, &c->type);

		plan_note(plan, ARK_NOTE_RELAXED, t->source_name,
			  c->source_name,
			  "widened from %s to %s: the stored values do not "
			  "all fit %s",
			  a ? a : "?", z ? z : "?", a ? a : "?");
		free(a);
		free(z);
	}
}

static void plan_columns(struct builder *b, struct ark_plan_table *t,
			 const struct ark_sqlite_table *st)
{
	struct ark_plan *plan = b->plan;
	struct name_set columns = {NULL, 0};
	size_t i;

	t->columns = plan_calloc(plan, st->ncolumns, sizeof *t->columns);
	if (!t->columns)
		return;
	t->ncolumns = st->ncolumns;
	t->rowid_column = st->rowid_alias >= 0 &&
					  (size_t)st->rowid_alias < st->ncolumns
				  ? st->rowid_alias
				  : -1;
	for (i = 0; system_columns[i]; i++) {
		int cut, collided;

		free(claim_name(plan, &columns, system_columns[i], &cut,
				&collided));
	}
	for (i = 0; i < st->ncolumns; i++) {
		const struct ark_sqlite_column *sc = &st->columns[i];
		const struct ark_column_profile *cp =
			column_profile(b, t->source_index, i);
		struct ark_plan_column *c = &t->columns[i];

		c->source_index = i;
		c->source_name = plan_strdup(plan, sc->name);
		c->source_type = plan_strdup(plan, sc->declared_type
							   ? sc->declared_type
							   : "");
		c->source_default = plan_strdup(plan, sc->default_sql);
		c->source_affinity = sc->affinity;
		c->name = plan_name(plan, &columns, sc->name, "column",
				    st->name, sc->name);
		if (!c->name || !c->source_name || !c->source_type)
			break;
		c->not_null = sc->not_null ||
			      (st->without_rowid && sc->pk_position > 0);
		if (st->rowid_alias == (int)i) {
			c->type = spec_of(ARK_PGTYPE_INT8);
			c->identity = 1;
			c->not_null = 1;
		} else {
			c->type = choose_type(st, sc, cp);
			if (plan->widen)
				widen_by_profile(plan, t, c, cp);
		}
		if (sc->collation && strcasecmp(sc->collation, "BINARY") != 0) {
			c->collation_nocase = 1;
			plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name, sc->name,
				  "COLLATE %s not carried: PostgreSQL compares "
				  "this column's values as they are "
				  "(case-sensitive)",
				  sc->collation);
		}
		if (sc->generated != ARK_GENERATED_NONE) {
			c->generated = 1;
			plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name, sc->name,
				  "generated column: its values are carried "
				  "as a plain column, the expression (%s) is "
				  "not",
				  sc->generated_sql ? sc->generated_sql : "?");
		}
		plan_default(plan, t, c);
	}
	name_set_free(&columns);
}

static void plan_identity(struct builder *b, struct ark_plan_table *t,
			  const struct ark_sqlite_table *st)
{
	const struct ark_column_profile *cp;
	int64_t last = 0;

	if (st->rowid_alias < 0 || (size_t)st->rowid_alias >= t->ncolumns)
		return;
	cp = column_profile(b, t->source_index, (size_t)st->rowid_alias);
	if (b->profile && b->profile->tables[t->source_index].light) {
		/* the rowid alias is the rowid */
		if (b->profile->tables[t->source_index].max_rowid > last)
			last = b->profile->tables[t->source_index].max_rowid;
	} else if (cp && cp->integers > 0 && cp->max_integer > last) {
		last = cp->max_integer;
	}
	if (st->has_sequence && st->sequence > last)
		last = st->sequence;
	if (last == INT64_MAX) {
		t->identity_exhausted = 1;
		t->identity_next = INT64_MAX;
	} else {
		t->identity_next = last + 1;
	}
	if (st->autoincrement)
		plan_note(b->plan, ARK_NOTE_INFO, st->name,
			  st->columns[st->rowid_alias].name,
			  "AUTOINCREMENT: the identity continues after %lld, "
			  "never re-issuing an id SQLite handed out",
			  (long long)last);
}

static int add_unique(struct ark_plan *plan, struct ark_plan_table *t,
		      const size_t *columns, size_t n, int primary)
{
	struct ark_plan_unique *grown, *u;

	grown = realloc(t->uniques, (t->nuniques + 1) * sizeof *grown);
	if (!grown) {
		plan->failed = 1;
		return -1;
	}
	t->uniques = grown;
	u = &t->uniques[t->nuniques];
	memset(u, 0, sizeof *u);
	u->columns = plan_calloc(plan, n, sizeof *u->columns);
	if (!u->columns)
		return -1;
	memcpy(u->columns, columns, n * sizeof *columns);
	u->ncolumns = n;
	u->primary = primary;
	t->nuniques++;
	return 0;
}

static size_t column_by_name(const struct ark_plan_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].source_name, name) == 0)
			return i;
	for (i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].source_name, name) == 0)
			return i;
	return (size_t)-1;
}

static int is_json(const struct ark_plan_column *c)
{
	return c->type.type == ARK_PGTYPE_JSON;
}

static void plan_keys(struct builder *b, struct ark_plan_table *t,
		      const struct ark_sqlite_table *st)
{
	struct ark_plan *plan = b->plan;
	size_t i, j, npk = 0, *cols;

	cols = plan_calloc(plan, st->ncolumns, sizeof *cols);
	if (!cols)
		return;
	for (i = 1; i <= st->ncolumns; i++)
		for (j = 0; j < st->ncolumns; j++)
			if (st->columns[j].pk_position == (int)i)
				cols[npk++] = j;
	if (npk > 0)
		add_unique(plan, t, cols, npk, 1);
	for (i = 0; i < st->nindexes; i++) {
		const struct ark_sqlite_index *ix = &st->indexes[i];
		size_t n = 0;
		int ok = !ix->partial;

		if (ix->origin != 'u')
			continue;
		for (j = 0; j < ix->ncolumns && ok; j++) {
			size_t c = ix->columns[j].name
					   ? column_by_name(t,
							    ix->columns[j].name)
					   : (size_t)-1;
			if (c == (size_t)-1)
				ok = 0;
			else
				cols[n++] = c;
		}
		if (ok)
			add_unique(plan, t, cols, n, 0);
	}
	free(cols);
	for (i = 0; i < t->nuniques; i++) {
		const struct ark_plan_unique *u = &t->uniques[i];

		for (j = 0; j < u->ncolumns; j++) {
			const struct ark_plan_column *c =
				&t->columns[u->columns[j]];

			if (c->collation_nocase)
				plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name,
					  c->source_name,
					  "the %s on this column compares "
					  "case-sensitively in PostgreSQL: "
					  "values SQLite saw as equal under "
					  "NOCASE may both be stored",
					  u->primary ? "primary key"
						     : "unique constraint");
		}
	}
	if (plan->widen) {
		/* SQLite allows NULL in a non-INTEGER primary key */
		for (i = 0; i < t->nuniques; i++) {
			if (!t->uniques[i].primary)
				continue;
			for (j = 0; j < t->uniques[i].ncolumns; j++) {
				size_t c = t->uniques[i].columns[j];
				const struct ark_column_profile *cp =
					column_profile(b, t->source_index, c);

				if (cp && cp->nulls > 0 &&
				    t->uniques[i].primary)
					ark_plan_relax_not_null(
						plan,
						(size_t)(t - plan->tables), c,
						"the column holds NULL");
			}
		}
	}
}

static void plan_index_note(struct ark_plan *plan,
			    const struct ark_sqlite_table *st,
			    const struct ark_sqlite_index *ix,
			    const char *reason)
{
	plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name, NULL,
		  "index \"%s\" not carried: %s: %s", ix->name, reason,
		  ix->sql ? ix->sql : "");
}

static void plan_indexes(struct builder *b, struct ark_plan_table *t,
			 const struct ark_sqlite_table *st)
{
	struct ark_plan *plan = b->plan;
	size_t i, j;

	t->indexes = plan_calloc(plan, st->nindexes, sizeof *t->indexes);
	if (!t->indexes)
		return;
	for (i = 0; i < st->nindexes; i++) {
		const struct ark_sqlite_index *ix = &st->indexes[i];
		struct ark_plan_index *pi = &t->indexes[t->nindexes];
		struct resolve_context rc = {t, NULL, 0, 0};
		struct ark_buf key = ARK_BUF_INIT;
		const char *reason = NULL, *collation = NULL;
		int ok = 1;

		if (ix->origin != 'c')
			continue;
		memset(pi, 0, sizeof *pi);
		pi->keys = plan_calloc(plan, ix->ncolumns, sizeof *pi->keys);
		if (!pi->keys)
			return;
		pi->plain = !ix->partial;
		for (j = 0; j < ix->ncolumns && ok; j++) {
			const struct ark_sqlite_index_column *ic =
				&ix->columns[j];

			ark_buf_reset(&key);
			if (ic->name) {
				size_t c = column_by_name(t, ic->name);
				size_t *grown;

				if (c == (size_t)-1) {
					reason = "unknown column";
					ok = 0;
					break;
				}
				if (is_json(&t->columns[c])) {
					reason = "json has no btree order";
					ok = 0;
					break;
				}
				ark_sqlexpr_append_ident(&key,
							 t->columns[c].name);
				grown = realloc(rc.refs,
						(rc.nrefs + 1) * sizeof *grown);
				if (!grown) {
					plan->failed = 1;
					ok = 0;
					break;
				}
				rc.refs = grown;
				rc.refs[rc.nrefs++] = c;
			} else {
				pi->plain = 0;
				if (ark_sqlexpr_index_key(
					    ic->expression_sql
						    ? ic->expression_sql
						    : "",
					    resolve_column, &rc, &key,
					    &reason) != 0) {
					ok = 0;
					break;
				}
			}
			if (ic->collation &&
			    strcasecmp(ic->collation, "BINARY") != 0)
				collation = ic->collation;
			if (ic->descending)
				ark_buf_append_str(&key, " DESC");
			pi->keys[j] = buf_take_or_fail(plan, &key);
			pi->nkeys = j + 1;
		}
		if (ok && ix->partial) {
			ark_buf_reset(&key);
			if (ark_sqlexpr_condition(ix->where_sql ? ix->where_sql
								: "",
						  resolve_column, &rc, &key,
						  &reason) != 0)
				ok = 0;
			else
				pi->where_sql = buf_take_or_fail(plan, &key);
		}
		ark_buf_free(&key);
		if (rc.failed)
			plan->failed = 1;
		if (!ok) {
			plan_index_note(plan, st, ix, reason ? reason : "?");
			for (j = 0; j < pi->nkeys; j++)
				free(pi->keys[j]);
			free(pi->keys);
			free(pi->where_sql);
			free(rc.refs);
			memset(pi, 0, sizeof *pi);
			continue;
		}
		if (collation)
			plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name, NULL,
				  "index \"%s\": COLLATE %s not carried: the "
				  "keys compare case-sensitively",
				  ix->name, collation);
		pi->refs = rc.refs;
		pi->nrefs = rc.nrefs;
		pi->unique = ix->unique;
		pi->source_name = plan_strdup(plan, ix->name);
		t->nindexes++;
	}
}

static void plan_checks(struct builder *b, struct ark_plan_table *t,
			const struct ark_sqlite_table *st)
{
	struct ark_plan *plan = b->plan;
	size_t i;

	t->checks = plan_calloc(plan, st->nchecks, sizeof *t->checks);
	if (!t->checks)
		return;
	for (i = 0; i < st->nchecks; i++) {
		const struct ark_sqlite_check *sc = &st->checks[i];
		struct ark_plan_check *pc = &t->checks[t->nchecks];
		struct resolve_context rc = {t, NULL, 0, 0};
		struct ark_buf out = ARK_BUF_INIT;
		const char *reason = NULL;

		memset(pc, 0, sizeof *pc);
		if (ark_sqlexpr_condition(sc->expression_sql, resolve_column,
					  &rc, &out, &reason) != 0) {
			ark_buf_free(&out);
			free(rc.refs);
			plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name,
				  sc->column, "CHECK (%s) not carried: %s",
				  sc->expression_sql, reason);
			continue;
		}
		pc->sql = buf_take_or_fail(plan, &out);
		pc->source_sql = plan_strdup(plan, sc->expression_sql);
		pc->refs = rc.refs;
		pc->nrefs = rc.nrefs;
		if (rc.failed)
			plan->failed = 1;
		if (sc->name) {
			int invalid;

			/* claimed with the table's key names, once those
			   are named (plan_relation_names) */
			pc->name = clean_name(plan, sc->name, plan->keep_case,
					      &invalid);
		}
		t->nchecks++;
	}
}

/* The plan table holding the source table named name (exactly, else
   ASCII case-insensitively as SQLite matches), or -1. */
static size_t table_by_source_name(const struct ark_plan *plan,
				   const char *name)
{
	size_t i;

	for (i = 0; i < plan->ntables; i++)
		if (strcmp(plan->tables[i].source_name, name) == 0)
			return i;
	for (i = 0; i < plan->ntables; i++)
		if (strcasecmp(plan->tables[i].source_name, name) == 0)
			return i;
	return (size_t)-1;
}

static char *action_sql(struct ark_plan *plan, const char *action)
{
	static const char *const known[] = {"CASCADE", "SET NULL",
					    "SET DEFAULT", "RESTRICT"};
	size_t i;

	if (!action)
		return NULL;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcasecmp(action, known[i]) == 0)
			return plan_strdup(plan, known[i]);
	return NULL; /* NO ACTION, the default */
}

static void plan_foreign_keys(struct builder *b, struct ark_plan_table *t,
			      const struct ark_sqlite_table *st)
{
	struct ark_plan *plan = b->plan;
	size_t i, j;

	t->foreign_keys =
		plan_calloc(plan, st->nforeign_keys, sizeof *t->foreign_keys);
	if (!t->foreign_keys)
		return;
	for (i = 0; i < st->nforeign_keys; i++) {
		const struct ark_sqlite_foreign_key *fk = &st->foreign_keys[i];
		struct ark_plan_foreign_key *pf =
			&t->foreign_keys[t->nforeign_keys];
		size_t parent = table_by_source_name(plan, fk->ref_table);
		const char *reason = NULL;

		memset(pf, 0, sizeof *pf);
		pf->source_index = i;
		if (parent == (size_t)-1) {
			reason = "no such table";
		} else {
			const struct ark_plan_table *p = &plan->tables[parent];
			const struct ark_plan_unique *pk =
				p->nuniques > 0 && p->uniques[0].primary
					? &p->uniques[0]
					: NULL;

			pf->columns = plan_calloc(plan, fk->ncolumns,
						  sizeof *pf->columns);
			pf->ref_columns = plan_calloc(plan, fk->ncolumns,
						      sizeof *pf->ref_columns);
			if (!pf->columns || !pf->ref_columns) {
				free(pf->columns);
				free(pf->ref_columns);
				return;
			}
			for (j = 0; j < fk->ncolumns && !reason; j++) {
				pf->columns[j] = column_by_name(t, fk->from[j]);
				if (pf->columns[j] == (size_t)-1)
					reason = "unknown column";
				else if (fk->to[j])
					pf->ref_columns[j] =
						column_by_name(p, fk->to[j]);
				else if (pk && pk->ncolumns == fk->ncolumns)
					pf->ref_columns[j] = pk->columns[j];
				else
					reason = "the parent has no primary "
						 "key of as many columns";
				if (!reason && pf->ref_columns[j] == (size_t)-1)
					reason = "the parent has no such "
						 "column";
			}
			if (reason) {
				free(pf->columns);
				free(pf->ref_columns);
				pf->columns = pf->ref_columns = NULL;
			}
		}
		if (reason) {
			struct ark_buf cols = ARK_BUF_INIT;

			for (j = 0; j < fk->ncolumns; j++)
				ark_buf_appendf(&cols, "%s\"%s\"",
						j ? ", " : "", fk->from[j]);
			plan_note(plan, ARK_NOTE_NOT_CARRIED, st->name, NULL,
				  "foreign key (%s) REFERENCES \"%s\" not "
				  "carried: %s",
				  cols.data ? cols.data : "", fk->ref_table,
				  reason);
			ark_buf_free(&cols);
			continue;
		}
		pf->ncolumns = fk->ncolumns;
		pf->ref_table = parent;
		pf->on_update = action_sql(plan, fk->on_update);
		pf->on_delete = action_sql(plan, fk->on_delete);
		pf->deferrable = fk->deferrable;
		t->nforeign_keys++;
	}
}

static int same_type_family(const struct ark_pgtype_spec *a,
			    const struct ark_pgtype_spec *b)
{
	enum ark_pgtype x = a->type, y = b->type;

	if (x == ARK_PGTYPE_VARCHAR || x == ARK_PGTYPE_BPCHAR)
		x = ARK_PGTYPE_TEXT;
	if (y == ARK_PGTYPE_VARCHAR || y == ARK_PGTYPE_BPCHAR)
		y = ARK_PGTYPE_TEXT;
	if (x == ARK_PGTYPE_INT2 || x == ARK_PGTYPE_INT4)
		x = ARK_PGTYPE_INT8;
	if (y == ARK_PGTYPE_INT2 || y == ARK_PGTYPE_INT4)
		y = ARK_PGTYPE_INT8;
	return x == y && x != ARK_PGTYPE_JSON;
}

static int set_equal(const size_t *a, size_t na, const size_t *b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && b[j] != a[i]; j++)
			;
		if (j == nb)
			return 0;
	}
	return 1;
}

/* Why the foreign key cannot be created now, or NULL. */
static const char *foreign_key_problem(const struct ark_plan *plan,
				       const struct ark_plan_table *t,
				       const struct ark_plan_foreign_key *fk)
{
	const struct ark_plan_table *p = &plan->tables[fk->ref_table];
	size_t i;
	int keyed = 0;

	if (t->skipped || p->skipped)
		return "a table is not in the target";
	for (i = 0; i < fk->ncolumns; i++)
		if (!same_type_family(&t->columns[fk->columns[i]].type,
				      &p->columns[fk->ref_columns[i]].type))
			return "the columns' types differ";
	for (i = 0; i < p->nuniques && !keyed; i++)
		keyed = !p->uniques[i].dropped &&
			set_equal(p->uniques[i].columns, p->uniques[i].ncolumns,
				  fk->ref_columns, fk->ncolumns);
	for (i = 0; i < p->nindexes && !keyed; i++)
		keyed = p->indexes[i].unique && p->indexes[i].plain &&
			!p->indexes[i].dropped &&
			set_equal(p->indexes[i].refs, p->indexes[i].nrefs,
				  fk->ref_columns, fk->ncolumns);
	if (!keyed)
		return "the referenced columns are not a key of the parent";
	return NULL;
}

/* Drop the foreign keys that can no longer be created, with a note. */
static void check_foreign_keys(struct ark_plan *plan)
{
	size_t i, j, k;

	for (i = 0; i < plan->ntables; i++) {
		struct ark_plan_table *t = &plan->tables[i];

		for (j = 0; j < t->nforeign_keys; j++) {
			struct ark_plan_foreign_key *fk = &t->foreign_keys[j];
			const char *problem;
			struct ark_buf cols = ARK_BUF_INIT;

			if (fk->dropped)
				continue;
			problem = foreign_key_problem(plan, t, fk);
			if (!problem)
				continue;
			fk->dropped = 1;
			for (k = 0; k < fk->ncolumns; k++)
				ark_buf_appendf(
					&cols, "%s\"%s\"", k ? ", " : "",
					t->columns[fk->columns[k]].source_name);
			plan_note(plan, ARK_NOTE_NOT_CARRIED, t->source_name,
				  NULL,
				  "foreign key (%s) REFERENCES \"%s\" not "
				  "carried: %s",
				  cols.data ? cols.data : "",
				  plan->tables[fk->ref_table].source_name,
				  problem);
			ark_buf_free(&cols);
		}
	}
}

/* Names of keys, indexes and identity sequences: one namespace with the
   tables (PostgreSQL's relations of a schema). */
static void plan_relation_names(struct builder *b)
{
	struct ark_plan *plan = b->plan;
	size_t i, j, k;
	int cut, collided;

	for (i = 0; i < plan->ntables; i++) {
		struct ark_plan_table *t = &plan->tables[i];
		struct ark_buf wanted = ARK_BUF_INIT;

		for (j = 0; j < t->ncolumns; j++) {
			if (!t->columns[j].identity)
				continue;
			ark_buf_appendf(&wanted, "%s_%s_seq", t->name,
					t->columns[j].name);
			if (!ark_buf_failed(&wanted))
				t->identity_sequence =
					claim_name(plan, &b->relations,
						   wanted.data, &cut, &collided);
			ark_buf_reset(&wanted);
		}
		for (j = 0; j < t->nuniques; j++) {
			struct ark_plan_unique *u = &t->uniques[j];

			ark_buf_reset(&wanted);
			ark_buf_append_str(&wanted, t->name);
			if (u->primary) {
				ark_buf_append_str(&wanted, "_pkey");
			} else {
				for (k = 0; k < u->ncolumns; k++)
					ark_buf_appendf(
						&wanted, "_%s",
						t->columns[u->columns[k]].name);
				ark_buf_append_str(&wanted, "_key");
			}
			if (!ark_buf_failed(&wanted))
				u->name = claim_name(plan, &b->relations,
						     wanted.data, &cut,
						     &collided);
		}
		ark_buf_free(&wanted);
		/* constraint names are unique per table: CHECKs after keys */
		{
			struct name_set constraints = {NULL, 0};

			for (j = 0; j < t->nuniques; j++)
				if (t->uniques[j].name)
					free(claim_name(plan, &constraints,
							t->uniques[j].name,
							&cut, &collided));
			for (j = 0; j < t->nchecks; j++) {
				char *wanted_check = t->checks[j].name;

				if (!wanted_check)
					continue;
				t->checks[j].name =
					claim_name(plan, &constraints,
						   wanted_check, &cut,
						   &collided);
				free(wanted_check);
			}
			name_set_free(&constraints);
		}
	}
	for (i = 0; i < plan->ntables; i++) {
		struct ark_plan_table *t = &plan->tables[i];

		for (j = 0; j < t->nindexes; j++)
			t->indexes[j].name =
				plan_name(plan, &b->relations,
					  t->indexes[j].source_name, "index",
					  t->source_name, NULL);
	}
}

static void plan_objects(struct ark_plan *plan,
			 const struct ark_sqlite_schema *schema)
{
	size_t i;

	for (i = 0; i < schema->nviews; i++)
		plan_note(plan, ARK_NOTE_NOT_CARRIED, schema->views[i].name,
			  NULL, "view not carried: %s",
			  schema->views[i].sql ? schema->views[i].sql : "");
	for (i = 0; i < schema->ntriggers; i++)
		plan_note(plan, ARK_NOTE_NOT_CARRIED, schema->triggers[i].table,
			  NULL, "trigger \"%s\" not carried: %s",
			  schema->triggers[i].name,
			  schema->triggers[i].sql ? schema->triggers[i].sql
						  : "");
	for (i = 0; i < schema->nvirtual; i++)
		plan_note(plan, ARK_NOTE_NOT_CARRIED,
			  schema->virtual_tables[i].name, NULL,
			  "virtual table not carried: %s",
			  schema->virtual_tables[i].sql
				  ? schema->virtual_tables[i].sql
				  : "");
}

int ark_plan_make(const struct ark_sqlite_schema *schema,
		  const struct ark_profile *profile,
		  const struct ark_plan_options *options,
		  struct ark_plan **out, struct ark_error *err)
{
	struct builder b;
	struct ark_plan *plan;
	size_t *order = NULL, i;
	int rc = ARK_ERR_INTERNAL;

	*out = NULL;
	memset(&b, 0, sizeof b);
	plan = calloc(1, sizeof *plan);
	if (!plan)
		goto cleanup;
	plan->widen = options ? options->widen : 0;
	plan->keep_case = options ? options->keep_case : 0;
	if (options)
		plan->rules = options->rules;
	b.plan = plan;
	b.schema = schema;
	if (profile && profile->ntables != schema->ntables) {
		ark_plan_free(plan);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "planning the schema: the profile has %zu "
				     "tables, the schema %zu",
				     profile->ntables, schema->ntables);
	}
	b.profile = profile;
	order = calloc(schema->ntables ? schema->ntables : 1, sizeof *order);
	plan->tables = calloc(schema->ntables ? schema->ntables : 1,
			      sizeof *plan->tables);
	if (!order || !plan->tables)
		goto cleanup;
	for (i = 0; i < schema->ntables; i++)
		order[i] = i;
	qsort_r(order, schema->ntables, sizeof *order, compare_source_names,
		(void *)(uintptr_t)schema);
	plan->ntables = schema->ntables;
	for (i = 0; i < schema->ntables && !plan->failed; i++) {
		struct ark_plan_table *t = &plan->tables[i];
		const struct ark_sqlite_table *st = &schema->tables[order[i]];

		t->source_index = order[i];
		t->source_name = plan_strdup(plan, st->name);
		t->name = plan_name(plan, &b.relations, st->name, "table",
				    st->name, NULL);
		if (!t->source_name || !t->name)
			break;
		plan_columns(&b, t, st);
		plan_identity(&b, t, st);
	}
	/* PostgreSQL's MaxHeapAttributeNumber: CREATE TABLE would fail
	 * after the check phase, so the plan refuses such a table first. */
	for (i = 0; i < plan->ntables && !plan->failed; i++) {
		const struct ark_sqlite_table *st =
			&schema->tables[plan->tables[i].source_index];
		char shown[256];

		if ((options && options->any_width) ||
		    plan->tables[i].ncolumns <= PG_MAX_COLUMNS)
			continue;
		ark_error_set(err, ARK_ERR_UNCONVERTIBLE, 0,
			      "table \"%s\" has %zu columns; a PostgreSQL "
			      "table holds at most %d",
			      ark_text_escape(st->name, shown, sizeof shown),
			      plan->tables[i].ncolumns, PG_MAX_COLUMNS);
		name_set_free(&b.relations);
		free(order);
		ark_plan_free(plan);
		return ARK_ERR_UNCONVERTIBLE;
	}
	for (i = 0; i < plan->ntables && !plan->failed; i++) {
		const struct ark_sqlite_table *st =
			&schema->tables[plan->tables[i].source_index];

		plan_keys(&b, &plan->tables[i], st);
		plan_indexes(&b, &plan->tables[i], st);
		plan_checks(&b, &plan->tables[i], st);
	}
	if (!plan->failed)
		plan_relation_names(&b);
	for (i = 0; i < plan->ntables && !plan->failed; i++)
		plan_foreign_keys(&b, &plan->tables[i],
				  &schema->tables[plan->tables[i].source_index]);
	if (!plan->failed)
		check_foreign_keys(plan);
	plan_objects(plan, schema);
	if (plan->failed)
		goto cleanup;
	*out = plan;
	plan = NULL;
	rc = 0;
cleanup:
	name_set_free(&b.relations);
	free(order);
	ark_plan_free(plan);
	if (rc != 0)
		return ark_error_set(err, rc, 0, "planning the schema: out of "
						 "memory");
	return 0;
}

/* ---- relaxing -------------------------------------------------------- */

static void describe_columns(const struct ark_plan_table *t,
			     const size_t *columns, size_t n,
			     struct ark_buf *out, int source)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ark_plan_column *c = &t->columns[columns[i]];

		ark_buf_appendf(out, "%s\"%s\"", i ? ", " : "",
				source ? c->source_name : c->name);
	}
}

/* A column changed type: drop what was translated for the old one. */
static void revisit_expressions(struct ark_plan *plan, struct ark_plan_table *t,
				size_t column, int class_changed)
{
	const struct ark_plan_column *c = &t->columns[column];
	size_t i, j;

	for (i = 0; i < t->nchecks; i++) {
		struct ark_plan_check *k = &t->checks[i];

		for (j = 0; j < k->nrefs && class_changed && !k->dropped; j++) {
			if (k->refs[j] != column)
				continue;
			k->dropped = 1;
			plan_note(plan, ARK_NOTE_NOT_CARRIED, t->source_name,
				  c->source_name,
				  "CHECK (%s) not carried: the column's type "
				  "changed",
				  k->source_sql);
		}
	}
	for (i = 0; i < t->nindexes; i++) {
		struct ark_plan_index *ix = &t->indexes[i];

		for (j = 0; j < ix->nrefs && !ix->dropped; j++) {
			if (ix->refs[j] != column ||
			    !((class_changed && !ix->plain) || is_json(c)))
				continue;
			ix->dropped = 1;
			plan_note(plan, ARK_NOTE_NOT_CARRIED, t->source_name,
				  c->source_name,
				  "index \"%s\" not carried: the column's type "
				  "changed",
				  ix->source_name);
		}
	}
	for (i = 0; i < t->nuniques && is_json(c); i++) {
		struct ark_plan_unique *u = &t->uniques[i];

		for (j = 0; j < u->ncolumns && !u->dropped; j++)
			if (u->columns[j] == column)
				ark_plan_relax_unique(plan,
						      (size_t)(t - plan->tables),
						      i,
						      "json values have no "
						      "equality");
	}
}

int ark_plan_widen_column(struct ark_plan *plan, size_t table, size_t column,
			  int storage_class, const char *reason)
{
	struct ark_plan_table *t;
	struct ark_plan_column *c;
	struct ark_pgtype_spec to;
	char *from_text, *to_text;
	int old_class;

	if (!plan || !plan->widen || table >= plan->ntables)
		return -1;
	t = &plan->tables[table];
	if (column >= t->ncolumns)
		return -1;
	c = &t->columns[column];
	to = c->type;
	do {
		if (next_wider(&to, storage_class) != 0)
			return -1;
	} while (!class_possible(&to, storage_class, &plan->rules));
	old_class = expression_class(c, c->source_affinity);
	from_text = type_text(plan, &c->type);
	to_text = type_text(plan, &to);
	plan_note(plan, ARK_NOTE_RELAXED, t->source_name, c->source_name,
		  "widened from %s to %s: %s", from_text ? from_text : "?",
		  to_text ? to_text : "?", reason ? reason : "a value");
	free(from_text);
	free(to_text);
	c->type = to;
	if (c->identity && to.type != ARK_PGTYPE_INT8) {
		c->identity = 0;
		plan_note(plan, ARK_NOTE_RELAXED, t->source_name,
			  c->source_name,
			  "the column is no longer an identity");
	}
	plan_default(plan, t, c);
	revisit_expressions(plan, t, column,
			    old_class != expression_class(c,
							  c->source_affinity));
	check_foreign_keys(plan);
	return 0;
}

void ark_plan_relax_not_null(struct ark_plan *plan, size_t table,
			     size_t column, const char *why)
{
	struct ark_plan_table *t;
	struct ark_plan_column *c;
	size_t i, j;

	if (!plan || table >= plan->ntables ||
	    column >= plan->tables[table].ncolumns)
		return;
	t = &plan->tables[table];
	c = &t->columns[column];
	if (c->not_null) {
		c->not_null = 0;
		plan_note(plan, ARK_NOTE_RELAXED, t->source_name,
			  c->source_name, "NOT NULL left out: %s", why);
	}
	for (i = 0; i < t->nuniques; i++) {
		struct ark_plan_unique *u = &t->uniques[i];

		if (!u->primary || u->dropped)
			continue;
		for (j = 0; j < u->ncolumns; j++) {
			struct ark_buf cols = ARK_BUF_INIT;

			if (u->columns[j] != column)
				continue;
			u->primary = 0;
			describe_columns(t, u->columns, u->ncolumns, &cols, 1);
			plan_note(plan, ARK_NOTE_RELAXED, t->source_name,
				  c->source_name,
				  "primary key (%s) becomes a unique "
				  "constraint: %s",
				  cols.data ? cols.data : "", why);
			ark_buf_free(&cols);
			break;
		}
	}
}

void ark_plan_relax_unique(struct ark_plan *plan, size_t table, size_t unique,
			   const char *why)
{
	struct ark_plan_table *t;
	struct ark_plan_unique *u;
	struct ark_buf cols = ARK_BUF_INIT;

	if (!plan || table >= plan->ntables ||
	    unique >= plan->tables[table].nuniques)
		return;
	t = &plan->tables[table];
	u = &t->uniques[unique];
	if (u->dropped)
		return;
	u->dropped = 1;
	describe_columns(t, u->columns, u->ncolumns, &cols, 1);
	plan_note(plan, ARK_NOTE_RELAXED, t->source_name, NULL,
		  "%s (%s) left out: %s",
		  u->primary ? "primary key" : "unique constraint",
		  cols.data ? cols.data : "", why);
	ark_buf_free(&cols);
	check_foreign_keys(plan);
}

void ark_plan_relax_foreign_key(struct ark_plan *plan, size_t table,
				size_t foreign_key, const char *why)
{
	struct ark_plan_table *t;
	struct ark_plan_foreign_key *fk;

	if (!plan || table >= plan->ntables ||
	    foreign_key >= plan->tables[table].nforeign_keys)
		return;
	t = &plan->tables[table];
	fk = &t->foreign_keys[foreign_key];
	if (fk->dropped)
		return;
	fk->dropped = 1;
	plan_note(plan, ARK_NOTE_RELAXED, t->source_name, NULL,
		  "foreign key to \"%s\" left out: %s",
		  plan->tables[fk->ref_table].source_name, why);
}

void ark_plan_relax_unique_index(struct ark_plan *plan, size_t table,
				 size_t index, const char *why)
{
	struct ark_plan_table *t;
	struct ark_plan_index *ix;

	if (!plan || table >= plan->ntables ||
	    index >= plan->tables[table].nindexes)
		return;
	t = &plan->tables[table];
	ix = &t->indexes[index];
	if (ix->dropped || !ix->unique)
		return;
	ix->dropped = 1;
	plan_note(plan, ARK_NOTE_RELAXED, t->source_name, NULL,
		  "unique index \"%s\" left out: %s", ix->source_name, why);
	check_foreign_keys(plan);
}

/* ---- SQL ------------------------------------------------------------- */

static void append_qualified(struct ark_buf *out, const char *schema,
			     const char *name)
{
	ark_sqlexpr_append_ident(out, schema);
	ark_buf_append_char(out, '.');
	ark_sqlexpr_append_ident(out, name);
}

static void append_column_list(struct ark_buf *out,
			       const struct ark_plan_table *t,
			       const size_t *columns, size_t n)
{
	size_t i;

	ark_buf_append_char(out, '(');
	for (i = 0; i < n; i++) {
		if (i)
			ark_buf_append_str(out, ", ");
		ark_sqlexpr_append_ident(out, t->columns[columns[i]].name);
	}
	ark_buf_append_char(out, ')');
}

static int finish_sql(struct ark_buf *out, struct ark_error *err)
{
	ark_buf_append(out, "", 0); /* text, even when empty */
	if (ark_buf_failed(out))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "writing the schema's SQL: out of memory");
	return 0;
}

int ark_plan_pre_data_sql(const struct ark_plan *plan, const char *schema,
			  struct ark_buf *out, struct ark_error *err)
{
	size_t i, j;

	for (i = 0; i < plan->ntables; i++) {
		const struct ark_plan_table *t = &plan->tables[i];
		int first = 1;

		if (t->skipped)
			continue;
		ark_buf_append_str(out, "CREATE TABLE ");
		append_qualified(out, schema, t->name);
		ark_buf_append_str(out, " (");
		for (j = 0; j < t->ncolumns; j++) {
			const struct ark_plan_column *c = &t->columns[j];

			if (c->skipped)
				continue;
			ark_buf_append_str(out, first ? "\n\t" : ",\n\t");
			first = 0;
			ark_sqlexpr_append_ident(out, c->name);
			ark_buf_append_char(out, ' ');
			ark_pgtype_append_sql(out, &c->type);
			if (c->identity) {
				ark_buf_append_str(out, " GENERATED BY DEFAULT "
							"AS IDENTITY");
				if (t->identity_sequence) {
					ark_buf_append_str(out,
							   " (SEQUENCE NAME ");
					append_qualified(out, schema,
							 t->identity_sequence);
					ark_buf_append_char(out, ')');
				}
			}
			if (c->default_sql) {
				ark_buf_append_str(out, " DEFAULT ");
				ark_buf_append_str(out, c->default_sql);
			}
			if (c->not_null)
				ark_buf_append_str(out, " NOT NULL");
		}
		ark_buf_append_str(out, "\n);\n");
	}
	return finish_sql(out, err);
}

/* One table's keys, indexes, CHECKs and identity position. */
static void append_table_post_data(const struct ark_plan_table *t,
				   const char *schema, struct ark_buf *out)
{
	size_t j, k;

	if (t->skipped)
		return;
	{
		for (j = 0; j < t->nuniques; j++) {
			const struct ark_plan_unique *u = &t->uniques[j];

			if (u->dropped)
				continue;
			ark_buf_append_str(out, "ALTER TABLE ");
			append_qualified(out, schema, t->name);
			ark_buf_append_str(out, " ADD CONSTRAINT ");
			ark_sqlexpr_append_ident(out, u->name);
			ark_buf_append_str(out, u->primary ? " PRIMARY KEY "
							   : " UNIQUE ");
			append_column_list(out, t, u->columns, u->ncolumns);
			ark_buf_append_str(out, ";\n");
		}
		for (j = 0; j < t->nindexes; j++) {
			const struct ark_plan_index *ix = &t->indexes[j];

			if (ix->dropped)
				continue;
			ark_buf_append_str(out, ix->unique
							? "CREATE UNIQUE INDEX "
							: "CREATE INDEX ");
			ark_sqlexpr_append_ident(out, ix->name);
			ark_buf_append_str(out, " ON ");
			append_qualified(out, schema, t->name);
			ark_buf_append_str(out, " (");
			for (k = 0; k < ix->nkeys; k++) {
				if (k)
					ark_buf_append_str(out, ", ");
				ark_buf_append_str(out, ix->keys[k]);
			}
			ark_buf_append_char(out, ')');
			if (ix->where_sql) {
				ark_buf_append_str(out, " WHERE ");
				ark_buf_append_str(out, ix->where_sql);
			}
			ark_buf_append_str(out, ";\n");
		}
		for (j = 0; j < t->nchecks; j++) {
			const struct ark_plan_check *ck = &t->checks[j];

			if (ck->dropped)
				continue;
			ark_buf_append_str(out, "ALTER TABLE ");
			append_qualified(out, schema, t->name);
			ark_buf_append_str(out, " ADD ");
			if (ck->name) {
				ark_buf_append_str(out, "CONSTRAINT ");
				ark_sqlexpr_append_ident(out, ck->name);
				ark_buf_append_char(out, ' ');
			}
			ark_buf_appendf(out, "CHECK (%s);\n", ck->sql);
		}
		if (t->identity_sequence &&
		    (t->identity_exhausted || t->identity_next > 1)) {
			struct ark_buf name = ARK_BUF_INIT;
			int has_identity = 0;

			for (j = 0; j < t->ncolumns; j++)
				has_identity |= t->columns[j].identity &&
						!t->columns[j].skipped;
			if (has_identity) {
				append_qualified(&name, schema,
						 t->identity_sequence);
				ark_buf_append_str(out, "SELECT setval(");
				ark_sqlexpr_append_literal(
					out, name.data ? name.data : "");
				ark_buf_appendf(out, ", %lld, true);\n",
						t->identity_exhausted
							? (long long)INT64_MAX
							: (long long)(t->identity_next - 1));
				if (ark_buf_failed(&name))
					out->failed = 1;
			}
			ark_buf_free(&name);
		}
	}
}

int ark_plan_table_post_data_sql(const struct ark_plan *plan, size_t table,
				 const char *schema, struct ark_buf *out,
				 struct ark_error *err)
{
	append_table_post_data(&plan->tables[table], schema, out);
	return finish_sql(out, err);
}

int ark_plan_foreign_keys_sql(const struct ark_plan *plan, const char *schema,
			      struct ark_buf *out, struct ark_error *err)
{
	size_t i, j;

	for (i = 0; i < plan->ntables; i++) {
		const struct ark_plan_table *t = &plan->tables[i];

		for (j = 0; j < t->nforeign_keys; j++) {
			const struct ark_plan_foreign_key *fk =
				&t->foreign_keys[j];
			const struct ark_plan_table *p =
				&plan->tables[fk->ref_table];

			if (fk->dropped || t->skipped || p->skipped)
				continue;
			ark_buf_append_str(out, "ALTER TABLE ");
			append_qualified(out, schema, t->name);
			ark_buf_append_str(out, " ADD FOREIGN KEY ");
			append_column_list(out, t, fk->columns, fk->ncolumns);
			ark_buf_append_str(out, " REFERENCES ");
			append_qualified(out, schema, p->name);
			ark_buf_append_char(out, ' ');
			append_column_list(out, p, fk->ref_columns,
					   fk->ncolumns);
			if (fk->on_update)
				ark_buf_appendf(out, " ON UPDATE %s",
						fk->on_update);
			if (fk->on_delete)
				ark_buf_appendf(out, " ON DELETE %s",
						fk->on_delete);
			if (fk->deferrable)
				ark_buf_append_str(out, " DEFERRABLE INITIALLY "
							"DEFERRED");
			ark_buf_append_str(out, ";\n");
		}
	}
	return finish_sql(out, err);
}

int ark_plan_post_data_sql(const struct ark_plan *plan, const char *schema,
			   struct ark_buf *out, struct ark_error *err)
{
	size_t i;

	for (i = 0; i < plan->ntables; i++)
		append_table_post_data(&plan->tables[i], schema, out);
	return ark_plan_foreign_keys_sql(plan, schema, out, err);
}

/* ---- describe -------------------------------------------------------- */

static void append_shown(struct ark_buf *out, const char *text)
{
	size_t room = strlen(text) * 4 + 1;
	char *shown = malloc(room);

	if (!shown) {
		out->failed = 1;
		return;
	}
	ark_buf_append_str(out, ark_text_escape(text, shown, room));
	free(shown);
}

static void append_shown_name(struct ark_buf *out, const char *name)
{
	ark_buf_append_char(out, '"');
	append_shown(out, name);
	ark_buf_append_char(out, '"');
}

void ark_plan_describe(const struct ark_plan *plan, struct ark_buf *out)
{
	size_t i, j, k;

	for (i = 0; i < plan->ntables; i++) {
		const struct ark_plan_table *t = &plan->tables[i];

		ark_buf_append_str(out, "table ");
		append_shown_name(out, t->source_name);
		ark_buf_append_str(out, " -> ");
		append_shown_name(out, t->name);
		if (t->skipped)
			ark_buf_append_str(out, " (not loaded)");
		ark_buf_append_char(out, '\n');
		for (j = 0; j < t->ncolumns; j++) {
			const struct ark_plan_column *c = &t->columns[j];

			ark_buf_append_str(out, "  column ");
			append_shown_name(out, c->source_name);
			if (c->source_type[0]) {
				ark_buf_append_char(out, ' ');
				append_shown(out, c->source_type);
			}
			ark_buf_append_str(out, " -> ");
			append_shown_name(out, c->name);
			ark_buf_append_char(out, ' ');
			ark_pgtype_append_sql(out, &c->type);
			if (c->identity)
				ark_buf_append_str(out, " identity");
			if (c->not_null)
				ark_buf_append_str(out, " not null");
			if (c->default_sql) {
				ark_buf_append_str(out, " default ");
				append_shown(out, c->default_sql);
			}
			if (c->skipped)
				ark_buf_append_str(out, " (not loaded)");
			ark_buf_append_char(out, '\n');
		}
		for (j = 0; j < t->nuniques; j++) {
			const struct ark_plan_unique *u = &t->uniques[j];
			struct ark_buf cols = ARK_BUF_INIT;

			describe_columns(t, u->columns, u->ncolumns, &cols, 0);
			ark_buf_appendf(out, "  %s ",
					u->primary ? "primary key" : "unique");
			append_shown_name(out, u->name ? u->name : "");
			ark_buf_append_str(out, " (");
			append_shown(out, cols.data ? cols.data : "");
			ark_buf_appendf(out, ")%s\n",
					u->dropped ? " (left out)" : "");
			ark_buf_free(&cols);
		}
		for (j = 0; j < t->nindexes; j++) {
			const struct ark_plan_index *ix = &t->indexes[j];

			ark_buf_appendf(out, "  %s ",
					ix->unique ? "unique index" : "index");
			append_shown_name(out, ix->source_name);
			ark_buf_append_str(out, " -> ");
			append_shown_name(out, ix->name ? ix->name : "");
			ark_buf_append_str(out, " (");
			for (k = 0; k < ix->nkeys; k++) {
				if (k)
					ark_buf_append_str(out, ", ");
				append_shown(out, ix->keys[k]);
			}
			ark_buf_append_char(out, ')');
			if (ix->where_sql) {
				ark_buf_append_str(out, " where ");
				append_shown(out, ix->where_sql);
			}
			ark_buf_appendf(out, "%s\n",
					ix->dropped ? " (left out)" : "");
		}
		for (j = 0; j < t->nchecks; j++) {
			const struct ark_plan_check *ck = &t->checks[j];

			ark_buf_append_str(out, "  check ");
			if (ck->name) {
				append_shown_name(out, ck->name);
				ark_buf_append_char(out, ' ');
			}
			ark_buf_append_char(out, '(');
			append_shown(out, ck->sql);
			ark_buf_appendf(out, ")%s\n",
					ck->dropped ? " (left out)" : "");
		}
		for (j = 0; j < t->nforeign_keys; j++) {
			const struct ark_plan_foreign_key *fk =
				&t->foreign_keys[j];
			const struct ark_plan_table *p =
				&plan->tables[fk->ref_table];
			struct ark_buf cols = ARK_BUF_INIT;

			describe_columns(t, fk->columns, fk->ncolumns, &cols,
					 0);
			ark_buf_append_str(out, "  foreign key (");
			append_shown(out, cols.data ? cols.data : "");
			ark_buf_append_str(out, ") -> ");
			append_shown_name(out, p->name);
			ark_buf_reset(&cols);
			describe_columns(p, fk->ref_columns, fk->ncolumns,
					 &cols, 0);
			ark_buf_append_str(out, " (");
			append_shown(out, cols.data ? cols.data : "");
			ark_buf_append_char(out, ')');
			ark_buf_free(&cols);
			if (fk->on_update)
				ark_buf_appendf(out, " on update %s",
						fk->on_update);
			if (fk->on_delete)
				ark_buf_appendf(out, " on delete %s",
						fk->on_delete);
			if (fk->deferrable)
				ark_buf_append_str(out, " deferrable");
			ark_buf_appendf(out, "%s\n",
					fk->dropped ? " (left out)" : "");
		}
		if (t->identity_sequence) {
			if (t->identity_exhausted)
				ark_buf_append_str(out, "  identity exhausted: "
							"SQLite handed out "
							"9223372036854775807\n");
			else
				ark_buf_appendf(out,
						"  identity continues at %lld\n",
						(long long)t->identity_next);
		}
	}
	for (i = 0; i < plan->nnotes; i++) {
		const struct ark_plan_note *n = &plan->notes[i];

		ark_buf_appendf(out, "%s: ", ark_plan_note_kind_name(n->kind));
		if (n->table) {
			ark_buf_append_str(out, "table ");
			append_shown_name(out, n->table);
			ark_buf_append_str(out, n->column ? ", " : ": ");
		}
		if (n->column) {
			ark_buf_append_str(out, "column ");
			append_shown_name(out, n->column);
			ark_buf_append_str(out, ": ");
		}
		append_shown(out, n->message ? n->message : "");
		ark_buf_append_char(out, '\n');
	}
}

/* ---- --data-only ----------------------------------------------------- */

int ark_plan_map_existing(struct ark_plan *plan,
			  const struct ark_pg_existing *existing,
			  int ignore_missing, struct ark_error *err)
{
	struct ark_buf missing = ARK_BUF_INIT, stuck = ARK_BUF_INIT;
	unsigned char *used_tables = NULL;
	size_t i, j, k, nmissing = 0, nstuck = 0;
	int rc = 0;

	used_tables = calloc(existing->ntables ? existing->ntables : 1, 1);
	if (!used_tables)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "matching the target's tables: out of "
				     "memory");
	for (i = 0; i < plan->ntables && rc == 0; i++) {
		struct ark_plan_table *t = &plan->tables[i];
		const struct ark_pg_existing_table *et = NULL;
		unsigned char *used_columns;

		for (k = 0; k < existing->ntables && !et; k++)
			if (strcmp(existing->tables[k].name, t->name) == 0) {
				et = &existing->tables[k];
				used_tables[k] = 1;
			}
		if (!et) {
			if (nmissing++ < 8)
				ark_buf_appendf(&missing, "%stable \"%s\"",
						nmissing > 1 ? ", " : "",
						t->name);
			t->skipped = 1;
			plan_note(plan, ARK_NOTE_NOT_CARRIED, t->source_name,
				  NULL, "the target has no table \"%s\"",
				  t->name);
			continue;
		}
		used_columns = calloc(et->ncolumns ? et->ncolumns : 1, 1);
		if (!used_columns) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "matching the target's columns: "
					   "out of memory");
			break;
		}
		for (j = 0; j < t->ncolumns && rc == 0; j++) {
			struct ark_plan_column *c = &t->columns[j];
			const struct ark_pg_existing_column *ec = NULL;

			for (k = 0; k < et->ncolumns && !ec; k++)
				if (strcmp(et->columns[k].name, c->name) == 0) {
					ec = &et->columns[k];
					used_columns[k] = 1;
				}
			if (!ec) {
				if (nmissing++ < 8)
					ark_buf_appendf(
						&missing, "%scolumn \"%s\".\"%s\"",
						nmissing > 1 ? ", " : "",
						t->name, c->name);
				c->skipped = 1;
				plan_note(plan, ARK_NOTE_NOT_CARRIED,
					  t->source_name, c->source_name,
					  "the target table \"%s\" has no "
					  "column \"%s\"",
					  t->name, c->name);
				continue;
			}
			if (ark_pgtype_parse(ec->format_type, &c->type) != 0) {
				rc = ark_error_set(
					err, ARK_ERR_UNSUPPORTED, 0,
					"target column \"%s\".\"%s\": ark "
					"cannot convert into type %s",
					t->name, c->name, ec->format_type);
				break;
			}
			c->not_null = ec->not_null;
			c->identity = 0;
			free(c->default_sql);
			c->default_sql = NULL;
		}
		for (k = 0; k < et->ncolumns && rc == 0; k++) {
			const struct ark_pg_existing_column *ec =
				&et->columns[k];

			if (used_columns[k])
				continue;
			if (ec->not_null && !ec->has_default) {
				if (nstuck++ < 8)
					ark_buf_appendf(
						&stuck, "%s\"%s\".\"%s\"",
						nstuck > 1 ? ", " : "",
						et->name, ec->name);
				continue;
			}
			plan_note(plan, ARK_NOTE_INFO, t->source_name, NULL,
				  "the target column \"%s\" has no source "
				  "column: it gets its default",
				  ec->name);
		}
		free(used_columns);
		free(t->identity_sequence);
		t->identity_sequence = NULL;
	}
	for (k = 0; k < existing->ntables && rc == 0; k++)
		if (!used_tables[k])
			plan_note(plan, ARK_NOTE_INFO, NULL, NULL,
				  "the target table \"%s\" has no source "
				  "table: left as it is",
				  existing->tables[k].name);
	if (rc == 0 && nstuck > 0)
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "target columns that are NOT NULL without "
				   "a default have no source column: %s%s",
				   stuck.data,
				   nstuck > 8 ? ", ..." : "");
	if (rc == 0 && nmissing > 0 && !ignore_missing)
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "the target has no %s%s (--ignore-missing "
				   "leaves them out)",
				   missing.data, nmissing > 8 ? ", ..." : "");
	if (rc == 0 && plan->failed)
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "matching the target: out of memory");
	ark_buf_free(&missing);
	ark_buf_free(&stuck);
	free(used_tables);
	return rc;
}

int ark_plan_data_only_post_sql(const struct ark_plan *plan,
				const char *schema, struct ark_buf *out,
				struct ark_error *err)
{
	size_t i, j;

	for (i = 0; i < plan->ntables; i++) {
		const struct ark_plan_table *t = &plan->tables[i];
		struct ark_buf table = ARK_BUF_INIT;

		if (t->skipped)
			continue;
		append_qualified(&table, schema, t->name);
		for (j = 0; j < t->ncolumns; j++) {
			const struct ark_plan_column *c = &t->columns[j];
			int64_t floor_value = 0;

			if (c->skipped || (c->type.type != ARK_PGTYPE_INT2 &&
					   c->type.type != ARK_PGTYPE_INT4 &&
					   c->type.type != ARK_PGTYPE_INT8))
				continue;
			if (t->identity_next > 1 && t->rowid_column == (int)j)
				floor_value = t->identity_exhausted
						      ? INT64_MAX
						      : t->identity_next - 1;
			ark_buf_append_str(out, "SELECT setval(q.seq::regclass, "
						"q.v, true) FROM (SELECT "
						"pg_get_serial_sequence(");
			ark_sqlexpr_append_literal(out, table.data ? table.data
								   : "");
			ark_buf_append_str(out, ", ");
			ark_sqlexpr_append_literal(out, c->name);
			ark_buf_append_str(out, ") AS seq, GREATEST((SELECT max(");
			ark_sqlexpr_append_ident(out, c->name);
			ark_buf_appendf(out, ") FROM %s), %lld) AS v) q WHERE "
					     "q.seq IS NOT NULL AND q.v > 0 AND "
					     "q.v > coalesce(pg_sequence_last_"
					     "value(q.seq::regclass), 0);\n",
					table.data ? table.data : "",
					(long long)floor_value);
		}
		if (ark_buf_failed(&table))
			out->failed = 1;
		ark_buf_free(&table);
	}
	return finish_sql(out, err);
}

/* ---- free ------------------------------------------------------------ */

void ark_plan_free(struct ark_plan *plan)
{
	size_t i, j, k;

	if (!plan)
		return;
	for (i = 0; i < plan->ntables; i++) {
		struct ark_plan_table *t = &plan->tables[i];

		for (j = 0; t->columns && j < t->ncolumns; j++) {
			struct ark_plan_column *c = &t->columns[j];

			free(c->name);
			free(c->default_sql);
			free(c->source_name);
			free(c->source_type);
			free(c->source_default);
		}
		free(t->columns);
		for (j = 0; j < t->nuniques; j++) {
			free(t->uniques[j].columns);
			free(t->uniques[j].name);
		}
		free(t->uniques);
		for (j = 0; j < t->nindexes; j++) {
			struct ark_plan_index *ix = &t->indexes[j];

			free(ix->name);
			free(ix->source_name);
			for (k = 0; k < ix->nkeys; k++)
				free(ix->keys[k]);
			free(ix->keys);
			free(ix->where_sql);
			free(ix->refs);
		}
		free(t->indexes);
		for (j = 0; j < t->nchecks; j++) {
			free(t->checks[j].name);
			free(t->checks[j].sql);
			free(t->checks[j].source_sql);
			free(t->checks[j].refs);
		}
		free(t->checks);
		for (j = 0; j < t->nforeign_keys; j++) {
			free(t->foreign_keys[j].columns);
			free(t->foreign_keys[j].ref_columns);
			free(t->foreign_keys[j].on_update);
			free(t->foreign_keys[j].on_delete);
		}
		free(t->foreign_keys);
		free(t->name);
		free(t->source_name);
		free(t->identity_sequence);
	}
	free(plan->tables);
	for (i = 0; i < plan->nnotes; i++) {
		free(plan->notes[i].table);
		free(plan->notes[i].column);
		free(plan->notes[i].message);
	}
	free(plan->notes);
	free(plan);
}

/*
 * sqlscript.c - a SQL script cut into statements and classified
 * (pg/sqlscript_internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "pg/sqlscript_internal.h"

static int ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

static int ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* After a comment that starts at i ("--" or slash-star): its end. */
static size_t skip_comment(const char *s, size_t len, size_t i)
{
	if (s[i] == '-') {
		while (i < len && s[i] != '\n')
			i++;
		return i;
	}
	{
		int depth = 0;

		while (i < len) {
			if (i + 1 < len && s[i] == '/' && s[i + 1] == '*') {
				depth++;
				i += 2;
			} else if (i + 1 < len && s[i] == '*' &&
				   s[i + 1] == '/') {
				i += 2;
				if (--depth == 0)
					return i;
			} else
				i++;
		}
		return len;
	}
}

static int comment_at(const char *s, size_t len, size_t i)
{
	return i + 1 < len && ((s[i] == '-' && s[i + 1] == '-') ||
			       (s[i] == '/' && s[i + 1] == '*'));
}

/* Length of a dollar-quote tag ("$$", "$tag$") at i, 0 when none. */
static size_t dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;

	if (i > 0 && ident_char((unsigned char)s[i - 1]))
		return 0;
	if (j < len && s[j] == '$')
		return 2;
	if (j >= len || !ident_start((unsigned char)s[j]))
		return 0;
	while (j < len && ident_char((unsigned char)s[j]) && s[j] != '$')
		j++;
	return j < len && s[j] == '$' ? j - i + 1 : 0;
}

/* The end of the statement that starts at i: after its ';' at depth 0,
 * or len. */
static size_t statement_end(const char *s, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (comment_at(s, len, i)) {
			i = skip_comment(s, len, i);
		} else if (c == '\'') {
			int escapes = i > 0 && (s[i - 1] == 'E' ||
						s[i - 1] == 'e') &&
				      (i < 2 ||
				       !ident_char((unsigned char)s[i - 2]));

			for (i++; i < len; i++) {
				if (escapes && s[i] == '\\') {
					i++;
				} else if (s[i] == '\'') {
					if (i + 1 < len && s[i + 1] == '\'')
						i++;
					else
						break;
				}
			}
			i++;
		} else if (c == '"') {
			for (i++; i < len; i++) {
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"')
						i++;
					else
						break;
				}
			}
			i++;
		} else if (c == '$' && dollar_tag(s, len, i)) {
			size_t tag = dollar_tag(s, len, i);
			size_t j = i + tag;

			while (j + tag <= len &&
			       memcmp(s + j, s + i, tag) != 0)
				j++;
			i = j + tag <= len ? j + tag : len;
		} else if (ident_char(c)) {
			while (i < len && ident_char((unsigned char)s[i]))
				i++;
		} else {
			if (c == '(')
				depth++;
			else if (c == ')' && depth > 0)
				depth--;
			else if (c == ';' && depth == 0)
				return i + 1;
			i++;
		}
	}
	return len;
}

/* ---- tokens for classification ---- */

enum token_type { TOKEN_END, TOKEN_WORD, TOKEN_QUOTED, TOKEN_OTHER };

struct token {
	enum token_type type;
	const char *start;
	size_t len;
};

static size_t next_token(const char *s, size_t len, size_t i,
			 struct token *token)
{
	while (i < len && (blank((unsigned char)s[i]) || comment_at(s, len, i)))
		i = blank((unsigned char)s[i]) ? i + 1 : skip_comment(s, len, i);
	token->start = s + i;
	if (i >= len) {
		token->type = TOKEN_END;
		token->len = 0;
		return i;
	}
	if (ident_start((unsigned char)s[i])) {
		size_t j = i;

		while (j < len && ident_char((unsigned char)s[j]))
			j++;
		token->type = TOKEN_WORD;
		token->len = j - i;
		return j;
	}
	if (s[i] == '"') {
		size_t j = i + 1;

		for (; j < len; j++) {
			if (s[j] == '"') {
				if (j + 1 < len && s[j + 1] == '"')
					j++;
				else
					break;
			}
		}
		token->type = TOKEN_QUOTED;
		token->start = s + i + 1;
		token->len = (j < len ? j : len) - i - 1;
		return j < len ? j + 1 : len;
	}
	token->type = TOKEN_OTHER;
	token->len = 1;
	return i + 1;
}

static int is_word(const struct token *token, const char *word)
{
	size_t n = strlen(word);

	if (token->type != TOKEN_WORD || token->len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = token->start[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/* Past "IF NOT EXISTS" when it follows position i; else i. */
static size_t skip_if_not_exists(const char *s, size_t len, size_t i)
{
	struct token a, b, c;
	size_t ja = next_token(s, len, i, &a);
	size_t jb = next_token(s, len, ja, &b);
	size_t jc = next_token(s, len, jb, &c);

	if (is_word(&a, "if") && is_word(&b, "not") && is_word(&c, "exists"))
		return jc;
	return i;
}

static int is_char(const struct token *token, char c)
{
	return token->type == TOKEN_OTHER && token->start[0] == c;
}

/* A possibly qualified name: word or "quoted", optionally .name. */
static size_t skip_name(const char *s, size_t len, size_t i, int *ok)
{
	struct token token;
	size_t j = next_token(s, len, i, &token);

	*ok = token.type == TOKEN_WORD || token.type == TOKEN_QUOTED;
	if (!*ok)
		return i;
	i = j;
	j = next_token(s, len, i, &token);
	if (is_char(&token, '.')) {
		i = next_token(s, len, j, &token);
		*ok = token.type == TOKEN_WORD || token.type == TOKEN_QUOTED;
	}
	return i;
}

static enum ark_sqlscript_class classify(const char *s, size_t len)
{
	struct token t[4];
	size_t i = 0;
	int ok;

	i = next_token(s, len, i, &t[0]);
	i = next_token(s, len, i, &t[1]);
	if (is_word(&t[0], "set"))
		return is_word(&t[1], "transaction") ||
				       is_word(&t[1], "constraints") ||
				       is_word(&t[1], "local")
			       ? ARK_SQLSCRIPT_OTHER
			       : ARK_SQLSCRIPT_SESSION;
	if (is_word(&t[0], "select") && is_word(&t[1], "pg_catalog")) {
		i = next_token(s, len, i, &t[2]);
		i = next_token(s, len, i, &t[3]);
		if (is_char(&t[2], '.') && is_word(&t[3], "set_config"))
			return ARK_SQLSCRIPT_SESSION;
		return ARK_SQLSCRIPT_OTHER;
	}
	if (is_word(&t[0], "create")) {
		if (is_word(&t[1], "unique"))
			i = next_token(s, len, i, &t[1]);
		if (!is_word(&t[1], "index"))
			return ARK_SQLSCRIPT_OTHER;
		next_token(s, len, i, &t[2]);
		return is_word(&t[2], "concurrently") ? ARK_SQLSCRIPT_OTHER
						      : ARK_SQLSCRIPT_PARALLEL;
	}
	if (!is_word(&t[0], "alter") || !is_word(&t[1], "table"))
		return ARK_SQLSCRIPT_OTHER;
	{
		size_t j = next_token(s, len, i, &t[2]);

		if (is_word(&t[2], "only"))
			i = j;
	}
	i = skip_name(s, len, i, &ok);
	if (!ok)
		return ARK_SQLSCRIPT_OTHER;
	i = next_token(s, len, i, &t[0]);
	i = next_token(s, len, i, &t[1]);
	if (!is_word(&t[0], "add") || !is_word(&t[1], "constraint"))
		return ARK_SQLSCRIPT_OTHER;
	i = skip_name(s, len, i, &ok); /* the constraint's name */
	if (!ok)
		return ARK_SQLSCRIPT_OTHER;
	i = next_token(s, len, i, &t[0]);
	if (is_word(&t[0], "check") || is_word(&t[0], "exclude"))
		return ARK_SQLSCRIPT_PARALLEL;
	if (is_word(&t[0], "primary")) {
		i = next_token(s, len, i, &t[1]);
		if (!is_word(&t[1], "key"))
			return ARK_SQLSCRIPT_OTHER;
	} else if (!is_word(&t[0], "unique"))
		return ARK_SQLSCRIPT_OTHER;
	next_token(s, len, i, &t[2]);
	/* ... USING INDEX i: needs that index, built as another statement */
	return is_char(&t[2], '(') || is_word(&t[2], "nulls")
		       ? ARK_SQLSCRIPT_PARALLEL
		       : ARK_SQLSCRIPT_OTHER;
}

int ark_sqlscript_split(const char *text, size_t len,
			struct ark_sqlscript *out)
{
	size_t room = 0, session = 0, i = 0;

	memset(out, 0, sizeof(*out));
	out->text = text;
	out->text_len = len;
	for (;;) {
		struct ark_sqlscript_statement *st;
		size_t end;

		while (i < len &&
		       (blank((unsigned char)text[i]) || comment_at(text, len, i)))
			i = blank((unsigned char)text[i])
				    ? i + 1
				    : skip_comment(text, len, i);
		if (i >= len)
			break;
		if (text[i] == '\\') {
			/* a psql meta-command line (pg_dump's \restrict):
			 * not SQL, never run */
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		end = statement_end(text, len, i);
		if (out->count == room) {
			size_t grown = room ? 2 * room : 64;
			struct ark_sqlscript_statement *more =
				realloc(out->statements, grown * sizeof(*more));

			if (!more) {
				ark_sqlscript_free(out);
				return -1;
			}
			out->statements = more;
			room = grown;
		}
		st = &out->statements[out->count++];
		st->offset = i;
		st->len = end - i;
		st->class = classify(text + i, end - i);
		st->session_before = session;
		if (st->class == ARK_SQLSCRIPT_SESSION)
			session++;
		i = end;
	}
	return 0;
}

void ark_sqlscript_free(struct ark_sqlscript *script)
{
	if (!script)
		return;
	free(script->statements);
	script->statements = NULL;
	script->count = 0;
}

size_t ark_sqlscript_created_schemas(const struct ark_sqlscript *script,
				     struct ark_buf *out)
{
	size_t found = 0;

	for (size_t n = 0; n < script->count; n++) {
		const char *s = script->text + script->statements[n].offset;
		size_t len = script->statements[n].len, i = 0;
		struct token t;

		i = next_token(s, len, i, &t);
		if (!is_word(&t, "create"))
			continue;
		i = next_token(s, len, i, &t);
		if (!is_word(&t, "schema"))
			continue;
		i = skip_if_not_exists(s, len, i);
		i = next_token(s, len, i, &t);
		if (t.type == TOKEN_WORD && !is_word(&t, "authorization")) {
			for (size_t k = 0; k < t.len; k++) {
				char c = t.start[k];

				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				ark_buf_append_char(out, c);
			}
		} else if (t.type == TOKEN_QUOTED) {
			for (size_t k = 0; k < t.len; k++) {
				ark_buf_append_char(out, t.start[k]);
				if (t.start[k] == '"')
					k++;
			}
		} else
			continue;
		ark_buf_append_char(out, '\0');
		found++;
	}
	return found;
}

/* The name token's text as PostgreSQL reads it, appended to out. */
static void append_name(struct ark_buf *out, const struct token *t)
{
	for (size_t k = 0; k < t->len; k++) {
		char c = t->start[k];

		if (t->type == TOKEN_WORD && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		ark_buf_append_char(out, c);
		if (t->type == TOKEN_QUOTED && c == '"')
			k++;
	}
}

/* Is name (len bytes) one of the NUL-separated names? */
static int name_in(const struct ark_buf *names, size_t count,
		   const char *name, size_t len)
{
	const char *p = names->data;

	for (size_t i = 0; i < count; i++) {
		if (strlen(p) == len && memcmp(p, name, len) == 0)
			return 1;
		p += strlen(p) + 1;
	}
	return 0;
}

struct created {
	const char *kind; /* for DROP */
	const char *name; /* the script's text */
	size_t name_len;
	int in_created_schema;
};

/* The object statement st creates, if a kind --clean drops. */
static int created_object(const char *s, size_t len,
			  const struct ark_buf *schemas, size_t schema_count,
			  struct created *out)
{
	static const struct {
		const char *first, *second, *drop;
	} kinds[] = {
		{ "schema", NULL, "SCHEMA" },
		{ "table", NULL, "TABLE" },
		{ "foreign", "table", "FOREIGN TABLE" },
		{ "view", NULL, "VIEW" },
		{ "materialized", "view", "MATERIALIZED VIEW" },
		{ "sequence", NULL, "SEQUENCE" },
		{ "type", NULL, "TYPE" },
		{ "domain", NULL, "DOMAIN" },
		{ "function", NULL, "FUNCTION" },
		{ "procedure", NULL, "PROCEDURE" },
	};
	struct token t, first, second;
	size_t i = 0, j, name_start, name_end;
	struct ark_buf schema = ARK_BUF_INIT;

	i = next_token(s, len, i, &t);
	if (!is_word(&t, "create"))
		return 0;
	i = next_token(s, len, i, &t);
	if (is_word(&t, "or")) {
		i = next_token(s, len, i, &t); /* replace */
		i = next_token(s, len, i, &t);
	}
	while (is_word(&t, "unlogged") || is_word(&t, "temporary") ||
	       is_word(&t, "temp") || is_word(&t, "global") ||
	       is_word(&t, "local") || is_word(&t, "recursive"))
		i = next_token(s, len, i, &t);
	out->kind = NULL;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!is_word(&t, kinds[k].first))
			continue;
		if (kinds[k].second) {
			j = next_token(s, len, i, &second);
			if (!is_word(&second, kinds[k].second))
				continue;
			i = j;
		}
		out->kind = kinds[k].drop;
		break;
	}
	if (!out->kind)
		return 0;
	i = skip_if_not_exists(s, len, i);
	i = next_token(s, len, i, &first);
	if ((first.type != TOKEN_WORD && first.type != TOKEN_QUOTED) ||
	    is_word(&first, "authorization"))
		return 0;
	name_start = (size_t)(first.start - s) - (first.type == TOKEN_QUOTED);
	name_end = i;
	j = next_token(s, len, i, &t);
	out->in_created_schema = 0;
	if (is_char(&t, '.') && strcmp(out->kind, "SCHEMA") != 0) {
		j = next_token(s, len, j, &second);
		if (second.type != TOKEN_WORD && second.type != TOKEN_QUOTED)
			return 0;
		name_end = j;
		append_name(&schema, &first);
		out->in_created_schema =
			!ark_buf_failed(&schema) &&
			name_in(schemas, schema_count,
				schema.data ? schema.data : "", schema.len);
		ark_buf_free(&schema);
	}
	out->name = s + name_start;
	out->name_len = name_end - name_start;
	return 1;
}

size_t ark_sqlscript_drops(const struct ark_sqlscript *script,
			   struct ark_buf *out)
{
	struct ark_buf schemas = ARK_BUF_INIT;
	size_t schema_count = ark_sqlscript_created_schemas(script, &schemas);
	size_t drops = 0;

	for (size_t n = script->count; n-- > 0;) {
		const struct ark_sqlscript_statement *st =
			&script->statements[n];
		struct created object;

		if (!created_object(script->text + st->offset, st->len,
				    &schemas, schema_count, &object) ||
		    object.in_created_schema)
			continue;
		ark_buf_appendf(out, "DROP %s IF EXISTS ", object.kind);
		ark_buf_append(out, object.name, object.name_len);
		ark_buf_append_str(out, " CASCADE;\n");
		drops++;
	}
	ark_buf_free(&schemas);
	return drops;
}

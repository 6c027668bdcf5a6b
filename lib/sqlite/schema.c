/*
 * schema.c - what a SQLite database holds, read for a transfer
 * (ark/sqlite_schema.h).
 *
 * SQLite's pragmas say most of it: pragma_table_list (kind, WITHOUT
 * ROWID, STRICT), pragma_table_xinfo (columns, declared types, NOT NULL,
 * DEFAULT text, primary key, generated), pragma_index_list and
 * pragma_index_xinfo, pragma_foreign_key_list.  They are called as
 * table-valued functions with the table's name bound as a parameter, so a
 * hostile name is never pasted into SQL.  What only the CREATE statement
 * says - CHECK constraints and their names, COLLATE, AUTOINCREMENT, the
 * generated expressions, DEFERRABLE, the expressions and WHERE of an
 * index - is read from the statement's text with a small tokenizer of
 * SQLite's SQL (strings, the three quoted identifier forms, comments,
 * nested parentheses), never with patterns on the raw text.
 *
 * pragma_table_list needs SQLite 3.37 (Debian 12 has 3.40); it names the
 * shadow tables of virtual tables, which are not tables to carry.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ark/sqlite_schema.h"
#include "ark/text.h"

/* ---- tokens ---------------------------------------------------------- */

enum tok_kind {
	TOK_WORD,    /* bare word: keyword or identifier */
	TOK_QUOTED,  /* "id", `id` or [id] */
	TOK_STRING,  /* 'text' */
	TOK_NUMBER,
	TOK_BLOB,    /* x'0a' */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_COMMA,
	TOK_SEMI,
	TOK_DOT,
	TOK_OTHER,   /* an operator character */
};

struct token {
	enum tok_kind kind;
	size_t start;   /* byte offsets into the statement */
	size_t end;
};

struct tokens {
	const char *sql;
	size_t count;
	size_t cap;
	struct token *list;
};

/* The parse failed: why, and where (a byte offset into the statement). */
struct parse_error {
	const char *why;
	size_t at;
};

static int word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Split sql into tokens, dropping white space and comments (-- to the end
 * of the line, and C comments, which SQLite lets run to the end of the
 * text).  -1 with *perr set on an unterminated string or identifier, -2
 * when out of memory.
 */
static int tokenize(const char *sql, struct tokens *out,
		    struct parse_error *perr)
{
	size_t len = strlen(sql);
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	out->sql = sql;
	while (pos < len) {
		unsigned char c = (unsigned char)sql[pos];
		struct token tok = { TOK_OTHER, pos, pos + 1 };

		if (isspace(c)) {
			pos++;
			continue;
		}
		if (c == '-' && sql[pos + 1] == '-') {
			while (pos < len && sql[pos] != '\n')
				pos++;
			continue;
		}
		if (c == '/' && sql[pos + 1] == '*') {
			const char *close = strstr(sql + pos + 2, "*/");

			pos = close ? (size_t)(close - sql) + 2 : len;
			continue;
		}
		if ((c == 'x' || c == 'X') && sql[pos + 1] == '\'') {
			const char *close = strchr(sql + pos + 2, '\'');

			if (!close) {
				perr->why = "unterminated blob literal";
				perr->at = pos;
				return -1;
			}
			tok.kind = TOK_BLOB;
			tok.end = (size_t)(close - sql) + 1;
		} else if (c == '\'' || c == '"' || c == '`' || c == '[') {
			char quote = c == '[' ? ']' : (char)c;
			size_t end = pos + 1;

			for (;;) {
				if (end >= len) {
					perr->why = c == '\''
							    ? "unterminated string"
							    : "unterminated "
							      "quoted name";
					perr->at = pos;
					return -1;
				}
				if (sql[end] == quote) {
					/* a doubled quote stands for one */
					if (quote != ']' &&
					    sql[end + 1] == quote) {
						end += 2;
						continue;
					}
					break;
				}
				end++;
			}
			tok.kind = c == '\'' ? TOK_STRING : TOK_QUOTED;
			tok.end = end + 1;
		} else if (isdigit(c) ||
			   (c == '.' && isdigit((unsigned char)sql[pos + 1]))) {
			size_t end = pos;

			while (end < len &&
			       (word_char((unsigned char)sql[end]) ||
				sql[end] == '.' ||
				((sql[end] == '+' || sql[end] == '-') &&
				 (sql[end - 1] == 'e' || sql[end - 1] == 'E'))))
				end++;
			tok.kind = TOK_NUMBER;
			tok.end = end;
		} else if (word_start(c)) {
			size_t end = pos;

			while (end < len && word_char((unsigned char)sql[end]))
				end++;
			tok.kind = TOK_WORD;
			tok.end = end;
		} else if (c == '(') {
			tok.kind = TOK_LPAREN;
		} else if (c == ')') {
			tok.kind = TOK_RPAREN;
		} else if (c == ',') {
			tok.kind = TOK_COMMA;
		} else if (c == ';') {
			tok.kind = TOK_SEMI;
		} else if (c == '.') {
			tok.kind = TOK_DOT;
		}
		if (out->count == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			struct token *grown =
				realloc(out->list, cap * sizeof(*grown));

			if (!grown)
				return -2;
			out->list = grown;
			out->cap = cap;
		}
		out->list[out->count++] = tok;
		pos = tok.end;
	}
	return 0;
}

static void tokens_free(struct tokens *toks)
{
	free(toks->list);
	memset(toks, 0, sizeof(*toks));
}

/* Token i is the bare word kw (any case). */
static int is_kw(const struct tokens *toks, size_t i, const char *kw)
{
	const struct token *tok;
	size_t len = strlen(kw);

	if (i >= toks->count)
		return 0;
	tok = &toks->list[i];
	return tok->kind == TOK_WORD && tok->end - tok->start == len &&
	       strncasecmp(toks->sql + tok->start, kw, len) == 0;
}

static int is_kind(const struct tokens *toks, size_t i, enum tok_kind kind)
{
	return i < toks->count && toks->list[i].kind == kind;
}

/* Index of the ")" that closes the "(" at open, or toks->count. */
static size_t matching_paren(const struct tokens *toks, size_t open)
{
	int depth = 0;

	for (size_t i = open; i < toks->count; i++) {
		if (toks->list[i].kind == TOK_LPAREN)
			depth++;
		else if (toks->list[i].kind == TOK_RPAREN && --depth == 0)
			return i;
	}
	return toks->count;
}

/*
 * A name as SQLite reads it: quotes removed and doubled quotes undone;
 * a bare word as written.  malloc'd; NULL when out of memory.
 */
static char *token_name(const struct tokens *toks, size_t i)
{
	const struct token *tok = &toks->list[i];
	const char *text = toks->sql + tok->start;
	size_t len = tok->end - tok->start;
	char *out;
	size_t n = 0;

	if (tok->kind != TOK_QUOTED && tok->kind != TOK_STRING)
		return strndup(text, len);
	out = malloc(len);
	if (!out)
		return NULL;
	for (size_t k = 1; k + 1 < len; k++) {
		out[n++] = text[k];
		if (text[0] != '[' && text[k] == text[0])
			k++; /* the second of a doubled quote */
	}
	out[n] = '\0';
	return out;
}

/* The text from token first to token last (inclusive); malloc'd. */
static char *span_text(const struct tokens *toks, size_t first, size_t last)
{
	size_t start = toks->list[first].start;

	return strndup(toks->sql + start, toks->list[last].end - start);
}

/* ---- what the CREATE TABLE statement says ----------------------------- */

struct parsed_check {
	char *name;
	char *column;
	char *expression_sql;
};

struct parsed_fk {
	size_t nfrom;
	char **from;
	int deferrable;
};

struct parsed_column {
	char *name;
	char *collation;
	char *generated_sql;
};

struct parsed_table {
	size_t ncolumns;
	struct parsed_column *columns;
	size_t nchecks;
	struct parsed_check *checks;
	size_t nfks;
	struct parsed_fk *fks;
	int autoincrement;
};

static void parsed_table_free(struct parsed_table *pt)
{
	for (size_t i = 0; i < pt->ncolumns; i++) {
		free(pt->columns[i].name);
		free(pt->columns[i].collation);
		free(pt->columns[i].generated_sql);
	}
	free(pt->columns);
	for (size_t i = 0; i < pt->nchecks; i++) {
		free(pt->checks[i].name);
		free(pt->checks[i].column);
		free(pt->checks[i].expression_sql);
	}
	free(pt->checks);
	for (size_t i = 0; i < pt->nfks; i++) {
		for (size_t k = 0; k < pt->fks[i].nfrom; k++)
			free(pt->fks[i].from[k]);
		free(pt->fks[i].from);
	}
	free(pt->fks);
	memset(pt, 0, sizeof(*pt));
}

/* Grow *list (of *count items of size) by one zeroed item; NULL on OOM. */
static void *grow(void **list, size_t *count, size_t size)
{
	char *grown = realloc(*list, (*count + 1) * size);

	if (!grown)
		return NULL;
	*list = grown;
	memset(grown + *count * size, 0, size);
	return grown + (*count)++ * size;
}

/* A parse: the tokens, where we are, and the first failure. */
struct parser {
	const struct tokens *toks;
	size_t pos;
	size_t end;          /* one past the last token of the current item */
	struct parse_error error;
	int oom;
};

static int fail_at(struct parser *p, size_t i, const char *why)
{
	if (!p->error.why) {
		p->error.why = why;
		p->error.at = i < p->toks->count ? p->toks->list[i].start
						 : strlen(p->toks->sql);
	}
	return -1;
}

static int expect_kw(struct parser *p, const char *kw, const char *why)
{
	if (!is_kw(p->toks, p->pos, kw) || p->pos >= p->end)
		return fail_at(p, p->pos, why);
	p->pos++;
	return 0;
}

/* Skip "ON CONFLICT <resolution>" if it is next. */
static void skip_conflict(struct parser *p)
{
	if (is_kw(p->toks, p->pos, "ON") &&
	    is_kw(p->toks, p->pos + 1, "CONFLICT") && p->pos + 2 < p->end)
		p->pos += 3;
}

/*
 * "( ... )" at p->pos: the text inside, trimmed (NULL for "()"), in
 * *inside (may be NULL to skip); p->pos moves past the ")".
 */
static int paren_text(struct parser *p, char **inside, const char *why)
{
	size_t open = p->pos;
	size_t close;

	if (!is_kind(p->toks, open, TOK_LPAREN) || open >= p->end)
		return fail_at(p, open, why);
	close = matching_paren(p->toks, open);
	if (close >= p->end)
		return fail_at(p, open, "unbalanced parentheses");
	if (inside && close > open + 1) {
		*inside = span_text(p->toks, open + 1, close - 1);
		if (!*inside) {
			p->oom = 1;
			return -1;
		}
	}
	p->pos = close + 1;
	return 0;
}

static int add_check(struct parser *p, struct parsed_table *pt,
		     char **pending_name, const char *column)
{
	struct parsed_check *check;

	p->pos++; /* CHECK */
	check = grow((void **)&pt->checks, &pt->nchecks, sizeof(*check));
	if (!check) {
		p->oom = 1;
		return -1;
	}
	check->name = *pending_name;
	*pending_name = NULL;
	if (column && !(check->column = strdup(column))) {
		p->oom = 1;
		return -1;
	}
	if (paren_text(p, &check->expression_sql, "CHECK without '('"))
		return -1;
	skip_conflict(p);
	return 0;
}

/*
 * REFERENCES t [(cols)] [ON DELETE|UPDATE action | MATCH name]...
 * [[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]]; fk gets whether it
 * is DEFERRABLE INITIALLY DEFERRED (SQLite's only deferred form).
 */
static int parse_references(struct parser *p, struct parsed_fk *fk)
{
	p->pos++; /* REFERENCES */
	if (p->pos >= p->end || (!is_kind(p->toks, p->pos, TOK_WORD) &&
				 !is_kind(p->toks, p->pos, TOK_QUOTED) &&
				 !is_kind(p->toks, p->pos, TOK_STRING)))
		return fail_at(p, p->pos, "REFERENCES without a table");
	p->pos++;
	if (is_kind(p->toks, p->pos, TOK_LPAREN) &&
	    paren_text(p, NULL, "REFERENCES"))
		return -1;
	for (;;) {
		if (is_kw(p->toks, p->pos, "ON") &&
		    (is_kw(p->toks, p->pos + 1, "DELETE") ||
		     is_kw(p->toks, p->pos + 1, "UPDATE"))) {
			p->pos += 2;
			if (is_kw(p->toks, p->pos, "SET") ||
			    is_kw(p->toks, p->pos, "NO"))
				p->pos++;
			p->pos++; /* NULL, DEFAULT, ACTION, CASCADE, RESTRICT */
		} else if (is_kw(p->toks, p->pos, "MATCH")) {
			p->pos += 2;
		} else {
			break;
		}
		if (p->pos > p->end)
			return fail_at(p, p->end, "incomplete REFERENCES");
	}
	if (is_kw(p->toks, p->pos, "NOT") &&
	    is_kw(p->toks, p->pos + 1, "DEFERRABLE")) {
		p->pos += 2;
		fk->deferrable = 0;
	} else if (is_kw(p->toks, p->pos, "DEFERRABLE")) {
		p->pos++;
		fk->deferrable = is_kw(p->toks, p->pos, "INITIALLY") &&
				 is_kw(p->toks, p->pos + 1, "DEFERRED");
	} else {
		return 0;
	}
	if (is_kw(p->toks, p->pos, "INITIALLY"))
		p->pos += 2;
	if (p->pos > p->end)
		return fail_at(p, p->end, "incomplete DEFERRABLE");
	return 0;
}

static struct parsed_fk *add_fk(struct parser *p, struct parsed_table *pt)
{
	struct parsed_fk *fk = grow((void **)&pt->fks, &pt->nfks, sizeof(*fk));

	if (!fk)
		p->oom = 1;
	return fk;
}

static int add_fk_from(struct parser *p, struct parsed_fk *fk, char *name)
{
	char **slot;

	if (!name) {
		p->oom = 1;
		return -1;
	}
	slot = grow((void **)&fk->from, &fk->nfrom, sizeof(*slot));
	if (!slot) {
		free(name);
		p->oom = 1;
		return -1;
	}
	*slot = name;
	return 0;
}

/* The words that start a column constraint. */
static int column_constraint_start(const struct tokens *toks, size_t i)
{
	static const char *const words[] = {
		"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK",
		"DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS",
	};

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (is_kw(toks, i, words[k]))
			return 1;
	return 0;
}


/* "CONSTRAINT name" at p->pos: the name into *name (the one before it
 * freed), past both tokens.  0, or -1 with the failure recorded. */
static int constraint_name(struct parser *p, char **name)
{
	if (p->pos + 1 >= p->end) {
		fail_at(p, p->pos, "CONSTRAINT without a name");
		return -1;
	}
	free(*name);
	if (!(*name = token_name(p->toks, p->pos + 1))) {
		p->oom = 1;
		return -1;
	}
	p->pos += 2;
	return 0;
}

/* One column definition: name [type] [constraint]... */
static int parse_column(struct parser *p, struct parsed_table *pt)
{
	const struct tokens *toks = p->toks;
	struct parsed_column *col;
	char *pending_name = NULL;
	int rc = -1;

	col = grow((void **)&pt->columns, &pt->ncolumns, sizeof(*col));
	if (!col || !(col->name = token_name(toks, p->pos))) {
		p->oom = 1;
		return -1;
	}
	p->pos++;
	/* The type: names, then an optional (size) or (precision, scale). */
	while (p->pos < p->end && !column_constraint_start(toks, p->pos) &&
	       (is_kind(toks, p->pos, TOK_WORD) ||
		is_kind(toks, p->pos, TOK_QUOTED) ||
		is_kind(toks, p->pos, TOK_STRING)))
		p->pos++;
	if (p->pos < p->end && is_kind(toks, p->pos, TOK_LPAREN) &&
	    paren_text(p, NULL, "type"))
		goto cleanup;
	while (p->pos < p->end) {
		if (is_kw(toks, p->pos, "CONSTRAINT")) {
			if (constraint_name(p, &pending_name) != 0)
				goto cleanup;
			continue;
		}
		if (is_kw(toks, p->pos, "PRIMARY")) {
			p->pos++;
			if (expect_kw(p, "KEY", "PRIMARY without KEY"))
				goto cleanup;
			if (is_kw(toks, p->pos, "ASC") ||
			    is_kw(toks, p->pos, "DESC"))
				p->pos++;
			skip_conflict(p);
			if (is_kw(toks, p->pos, "AUTOINCREMENT")) {
				pt->autoincrement = 1;
				p->pos++;
			}
		} else if (is_kw(toks, p->pos, "NOT")) {
			p->pos++;
			if (expect_kw(p, "NULL", "NOT without NULL"))
				goto cleanup;
			skip_conflict(p);
		} else if (is_kw(toks, p->pos, "NULL") ||
			   is_kw(toks, p->pos, "UNIQUE")) {
			p->pos++;
			skip_conflict(p);
		} else if (is_kw(toks, p->pos, "CHECK")) {
			if (add_check(p, pt, &pending_name, col->name))
				goto cleanup;
		} else if (is_kw(toks, p->pos, "DEFAULT")) {
			p->pos++;
			if (is_kind(toks, p->pos, TOK_LPAREN)) {
				if (paren_text(p, NULL, "DEFAULT"))
					goto cleanup;
			} else {
				if (is_kind(toks, p->pos, TOK_OTHER))
					p->pos++; /* a sign */
				p->pos++;
			}
		} else if (is_kw(toks, p->pos, "COLLATE")) {
			if (p->pos + 1 >= p->end) {
				fail_at(p, p->pos, "COLLATE without a name");
				goto cleanup;
			}
			free(col->collation);
			if (!(col->collation = token_name(toks, p->pos + 1))) {
				p->oom = 1;
				goto cleanup;
			}
			p->pos += 2;
		} else if (is_kw(toks, p->pos, "REFERENCES")) {
			struct parsed_fk *fk = add_fk(p, pt);

			if (!fk || add_fk_from(p, fk, strdup(col->name)) ||
			    parse_references(p, fk))
				goto cleanup;
		} else if (is_kw(toks, p->pos, "GENERATED") ||
			   is_kw(toks, p->pos, "AS")) {
			if (is_kw(toks, p->pos, "GENERATED")) {
				p->pos++;
				if (expect_kw(p, "ALWAYS", "GENERATED "
							   "without ALWAYS"))
					goto cleanup;
			}
			if (expect_kw(p, "AS", "GENERATED ALWAYS without AS"))
				goto cleanup;
			free(col->generated_sql);
			col->generated_sql = NULL;
			if (paren_text(p, &col->generated_sql,
				       "AS without '('"))
				goto cleanup;
			if (is_kw(toks, p->pos, "STORED") ||
			    is_kw(toks, p->pos, "VIRTUAL"))
				p->pos++;
		} else {
			fail_at(p, p->pos, "unexpected word in a column "
					   "definition");
			goto cleanup;
		}
		/* A name applies to the constraint right after it. */
		free(pending_name);
		pending_name = NULL;
	}
	if (p->pos > p->end) {
		fail_at(p, p->end, "incomplete column definition");
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(pending_name);
	return rc;
}

/* Table constraints, one after another (SQLite needs no comma between). */
static int parse_table_constraints(struct parser *p, struct parsed_table *pt)
{
	const struct tokens *toks = p->toks;
	char *pending_name = NULL;
	int rc = -1;

	while (p->pos < p->end) {
		if (is_kw(toks, p->pos, "CONSTRAINT")) {
			if (constraint_name(p, &pending_name) != 0)
				goto cleanup;
			continue;
		}
		if (is_kw(toks, p->pos, "PRIMARY") ||
		    is_kw(toks, p->pos, "UNIQUE")) {
			size_t open;
			size_t close;

			if (is_kw(toks, p->pos++, "PRIMARY") &&
			    expect_kw(p, "KEY", "PRIMARY without KEY"))
				goto cleanup;
			open = p->pos;
			if (paren_text(p, NULL, "key without '('"))
				goto cleanup;
			close = p->pos - 1;
			/* PRIMARY KEY(id AUTOINCREMENT) */
			if (close > open && is_kw(toks, close - 1,
						  "AUTOINCREMENT"))
				pt->autoincrement = 1;
			skip_conflict(p);
		} else if (is_kw(toks, p->pos, "CHECK")) {
			if (add_check(p, pt, &pending_name, NULL))
				goto cleanup;
		} else if (is_kw(toks, p->pos, "FOREIGN")) {
			struct parsed_fk *fk;
			size_t close;

			p->pos++;
			if (expect_kw(p, "KEY", "FOREIGN without KEY"))
				goto cleanup;
			if (!is_kind(toks, p->pos, TOK_LPAREN) ||
			    p->pos >= p->end) {
				fail_at(p, p->pos, "FOREIGN KEY without '('");
				goto cleanup;
			}
			close = matching_paren(toks, p->pos);
			if (close >= p->end) {
				fail_at(p, p->pos, "unbalanced parentheses");
				goto cleanup;
			}
			if (!(fk = add_fk(p, pt)))
				goto cleanup;
			for (size_t i = p->pos + 1; i < close; i++)
				if (!is_kind(toks, i, TOK_COMMA) &&
				    add_fk_from(p, fk, token_name(toks, i)))
					goto cleanup;
			p->pos = close + 1;
			if (!is_kw(toks, p->pos, "REFERENCES")) {
				fail_at(p, p->pos, "FOREIGN KEY without "
						   "REFERENCES");
				goto cleanup;
			}
			if (parse_references(p, fk))
				goto cleanup;
		} else {
			fail_at(p, p->pos, "unexpected word in a table "
					   "constraint");
			goto cleanup;
		}
		free(pending_name);
		pending_name = NULL;
	}
	rc = 0;
cleanup:
	free(pending_name);
	return rc;
}

static int table_constraint_start(const struct tokens *toks, size_t i)
{
	return is_kw(toks, i, "CONSTRAINT") || is_kw(toks, i, "PRIMARY") ||
	       is_kw(toks, i, "UNIQUE") || is_kw(toks, i, "CHECK") ||
	       is_kw(toks, i, "FOREIGN");
}

/*
 * CREATE [TEMP] TABLE [IF NOT EXISTS] [schema.]name ( definitions )
 * [options].  0, or -1 with p->error (or p->oom) set.
 */
static int parse_create_table(struct parser *p, struct parsed_table *pt)
{
	const struct tokens *toks = p->toks;
	size_t open, close;

	p->pos = 0;
	p->end = toks->count;
	if (expect_kw(p, "CREATE", "no CREATE"))
		return -1;
	if (is_kw(toks, p->pos, "TEMP") || is_kw(toks, p->pos, "TEMPORARY"))
		p->pos++;
	if (expect_kw(p, "TABLE", "not a CREATE TABLE"))
		return -1;
	if (is_kw(toks, p->pos, "IF"))
		p->pos += 3;
	p->pos++; /* the name */
	if (is_kind(toks, p->pos, TOK_DOT))
		p->pos += 2;
	open = p->pos;
	if (!is_kind(toks, open, TOK_LPAREN))
		return fail_at(p, open, "no '(' after the table's name");
	close = matching_paren(toks, open);
	if (close >= toks->count)
		return fail_at(p, open, "unbalanced parentheses");
	p->pos = open + 1;
	while (p->pos < close) {
		size_t item_end = p->pos;
		int depth = 0;

		/* The item ends at the next ',' outside parentheses. */
		while (item_end < close) {
			enum tok_kind kind = toks->list[item_end].kind;

			if (kind == TOK_LPAREN)
				depth++;
			else if (kind == TOK_RPAREN)
				depth--;
			else if (kind == TOK_COMMA && depth == 0)
				break;
			item_end++;
		}
		if (item_end == p->pos)
			return fail_at(p, p->pos, "empty definition");
		p->end = item_end;
		if (table_constraint_start(toks, p->pos)) {
			if (parse_table_constraints(p, pt))
				return -1;
		} else if (parse_column(p, pt)) {
			return -1;
		}
		p->pos = item_end + 1;
	}
	p->end = toks->count;
	return 0;
}

/* ---- what the CREATE INDEX statement says ----------------------------- */

struct parsed_index {
	size_t nitems;
	char **items;      /* each indexed expression's text, ASC/DESC off */
	char *where_sql;
};

static void parsed_index_free(struct parsed_index *pi)
{
	for (size_t i = 0; i < pi->nitems; i++)
		free(pi->items[i]);
	free(pi->items);
	free(pi->where_sql);
	memset(pi, 0, sizeof(*pi));
}

/*
 * CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table
 * ( item [, item]... ) [WHERE expr]: each item's text without a final
 * ASC or DESC (a COLLATE stays: SQLite reads it as part of an
 * expression), and the WHERE text.
 */
static int parse_create_index(struct parser *p, struct parsed_index *pi)
{
	const struct tokens *toks = p->toks;
	size_t open, close;

	p->pos = 0;
	p->end = toks->count;
	if (expect_kw(p, "CREATE", "no CREATE"))
		return -1;
	if (is_kw(toks, p->pos, "UNIQUE"))
		p->pos++;
	if (expect_kw(p, "INDEX", "not a CREATE INDEX"))
		return -1;
	if (is_kw(toks, p->pos, "IF"))
		p->pos += 3;
	p->pos++;
	if (is_kind(toks, p->pos, TOK_DOT))
		p->pos += 2;
	if (expect_kw(p, "ON", "no ON in CREATE INDEX"))
		return -1;
	p->pos++; /* the table */
	open = p->pos;
	if (!is_kind(toks, open, TOK_LPAREN))
		return fail_at(p, open, "no '(' after the table's name");
	close = matching_paren(toks, open);
	if (close >= toks->count)
		return fail_at(p, open, "unbalanced parentheses");
	for (size_t first = open + 1; first < close;) {
		size_t last = first;
		int depth = 0;
		char **slot;

		while (last < close) {
			enum tok_kind kind = toks->list[last].kind;

			if (kind == TOK_LPAREN)
				depth++;
			else if (kind == TOK_RPAREN)
				depth--;
			else if (kind == TOK_COMMA && depth == 0)
				break;
			last++;
		}
		if (last == first)
			return fail_at(p, first, "empty indexed column");
		/* last is one past the item */
		if (last - first > 1 && (is_kw(toks, last - 1, "ASC") ||
					 is_kw(toks, last - 1, "DESC")))
			last--;
		slot = grow((void **)&pi->items, &pi->nitems, sizeof(*slot));
		if (!slot || !(*slot = span_text(toks, first, last - 1))) {
			p->oom = 1;
			return -1;
		}
		first = last;
		while (first < close && !is_kind(toks, first, TOK_COMMA))
			first++;
		first++;
	}
	p->pos = close + 1;
	if (is_kw(toks, p->pos, "WHERE")) {
		size_t last = toks->count - 1;

		while (last > p->pos && is_kind(toks, last, TOK_SEMI))
			last--;
		if (last == p->pos)
			return fail_at(p, p->pos, "WHERE without a condition");
		if (!(pi->where_sql = span_text(toks, p->pos + 1, last))) {
			p->oom = 1;
			return -1;
		}
	}
	return 0;
}

/* ---- reading the database --------------------------------------------- */

/*
 * SQLite's column affinity from a declared type (datatype3.html, 3.1),
 * its rules in its order; in a STRICT table ANY has none.
 */
static enum ark_sqlite_affinity affinity_of(const char *type, int strict)
{
	if (strict && sqlite3_stricmp(type, "ANY") == 0)
		return ARK_AFFINITY_BLOB;
	if (strcasestr(type, "INT"))
		return ARK_AFFINITY_INTEGER;
	if (strcasestr(type, "CHAR") || strcasestr(type, "CLOB") ||
	    strcasestr(type, "TEXT"))
		return ARK_AFFINITY_TEXT;
	if (strcasestr(type, "BLOB") || type[0] == '\0')
		return ARK_AFFINITY_BLOB;
	if (strcasestr(type, "REAL") || strcasestr(type, "FLOA") ||
	    strcasestr(type, "DOUB"))
		return ARK_AFFINITY_REAL;
	return ARK_AFFINITY_NUMERIC;
}

struct reader {
	sqlite3 *db;
	struct ark_error *err;
};

static int oom(struct reader *r)
{
	return ark_error_set(r->err, ARK_ERR_INTERNAL, 0, "out of memory");
}

/* SQLite failed while reading what: the message names table. */
static int sql_failed(struct reader *r, const char *table, const char *what)
{
	char shown[256];

	if (!table)
		return ark_error_set(r->err, ARK_ERR_SOURCE, 0,
				     "reading the schema (%s): %s", what,
				     sqlite3_errmsg(r->db));
	return ark_error_set(r->err, ARK_ERR_SOURCE, 0,
			     "reading the schema of table \"%s\" (%s): %s",
			     ark_text_escape(table, shown, sizeof(shown)),
			     what, sqlite3_errmsg(r->db));
}

/* The statement of table could not be understood. */
static int parse_failed(struct reader *r, const char *kind,
			const char *name, const struct parse_error *perr)
{
	char shown[256];

	return ark_error_set(r->err, ARK_ERR_SOURCE, 0,
			     "cannot understand the CREATE %s statement of "
			     "\"%s\": %s at byte %zu",
			     kind, ark_text_escape(name, shown, sizeof(shown)),
			     perr->why, perr->at);
}

static int prepare(struct reader *r, const char *sql, sqlite3_stmt **stmt)
{
	return sqlite3_prepare_v2(r->db, sql, -1, stmt, NULL);
}

/* strdup of column i of stmt, NULL when SQL NULL; *ok 0 when out of memory. */
static char *column_dup(sqlite3_stmt *stmt, int i, int *ok)
{
	const unsigned char *text = sqlite3_column_text(stmt, i);
	char *copy;

	if (!text) {
		if (sqlite3_errcode(sqlite3_db_handle(stmt)) == SQLITE_NOMEM)
			*ok = 0;
		return NULL;
	}
	copy = strdup((const char *)text);
	if (!copy)
		*ok = 0;
	return copy;
}

static int read_columns(struct reader *r, struct ark_sqlite_table *t)
{
	sqlite3_stmt *stmt = NULL;
	int ok = 1;
	int rc;

	if (prepare(r, "SELECT name, type, \"notnull\", dflt_value, pk, "
		       "hidden FROM pragma_table_xinfo(?1, 'main') "
		       "ORDER BY cid", &stmt) != SQLITE_OK)
		return sql_failed(r, t->name, "columns");
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct ark_sqlite_column *col =
			grow((void **)&t->columns, &t->ncolumns, sizeof(*col));
		int hidden;

		if (!col) {
			ok = 0;
			break;
		}
		col->name = column_dup(stmt, 0, &ok);
		col->declared_type = column_dup(stmt, 1, &ok);
		if (ok && !col->declared_type)
			ok = (col->declared_type = strdup("")) != NULL;
		col->not_null = sqlite3_column_int(stmt, 2) != 0;
		col->default_sql = column_dup(stmt, 3, &ok);
		col->pk_position = sqlite3_column_int(stmt, 4);
		hidden = sqlite3_column_int(stmt, 5);
		col->generated = hidden == 2   ? ARK_GENERATED_VIRTUAL
				 : hidden == 3 ? ARK_GENERATED_STORED
					       : ARK_GENERATED_NONE;
		if (!ok || !col->name)
			break;
		col->affinity = affinity_of(col->declared_type, t->strict);
	}
	sqlite3_finalize(stmt);
	if (!ok)
		return oom(r);
	if (rc != SQLITE_DONE)
		return sql_failed(r, t->name, "columns");
	return 0;
}

/* Reads each index of t; sql of expression items and WHERE parsed. */
static int read_indexes(struct reader *r, struct ark_sqlite_table *t)
{
	sqlite3_stmt *list = NULL;
	sqlite3_stmt *cols = NULL;
	struct parsed_index pi = { 0 };
	struct tokens toks = { 0 };
	int ok = 1;
	int rc;

	/* In the order they were created (sqlite_schema's). */
	if (prepare(r, "SELECT l.name, l.\"unique\", l.origin, l.partial, "
		       "s.sql FROM pragma_index_list(?1, 'main') AS l "
		       "LEFT JOIN main.sqlite_schema AS s ON s.type = 'index' "
		       "AND s.name = l.name ORDER BY s.rowid, l.seq DESC",
		    &list) != SQLITE_OK ||
	    prepare(r, "SELECT cid, name, \"desc\", coll FROM "
		       "pragma_index_xinfo(?1, 'main') WHERE key "
		       "ORDER BY seqno", &cols) != SQLITE_OK) {
		rc = sql_failed(r, t->name, "indexes");
		goto cleanup;
	}
	sqlite3_bind_text(list, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
		struct ark_sqlite_index *index =
			grow((void **)&t->indexes, &t->nindexes,
			     sizeof(*index));
		const unsigned char *origin;

		if (!index) {
			ok = 0;
			break;
		}
		index->name = column_dup(list, 0, &ok);
		index->unique = sqlite3_column_int(list, 1) != 0;
		origin = sqlite3_column_text(list, 2);
		index->origin = origin ? (char)origin[0] : 'c';
		index->partial = sqlite3_column_int(list, 3) != 0;
		index->sql = column_dup(list, 4, &ok);
		if (!ok || !index->name)
			break;
		parsed_index_free(&pi);
		tokens_free(&toks);
		if (index->sql) {
			struct parser p = { .toks = &toks };
			int trc = tokenize(index->sql, &toks, &p.error);

			if (trc == -2) {
				ok = 0;
				break;
			}
			if (trc == 0 && parse_create_index(&p, &pi) != 0 &&
			    p.oom) {
				ok = 0;
				break;
			}
			if (p.error.why) {
				rc = parse_failed(r, "INDEX", index->name,
						  &p.error);
				goto cleanup;
			}
			if (pi.where_sql) {
				index->where_sql = pi.where_sql;
				pi.where_sql = NULL;
			}
		}
		sqlite3_reset(cols);
		sqlite3_bind_text(cols, 1, index->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(cols)) == SQLITE_ROW) {
			struct ark_sqlite_index_column *ic =
				grow((void **)&index->columns,
				     &index->ncolumns, sizeof(*ic));
			int cid;

			if (!ic) {
				ok = 0;
				break;
			}
			cid = sqlite3_column_int(cols, 0);
			ic->descending = sqlite3_column_int(cols, 2) != 0;
			ic->collation = column_dup(cols, 3, &ok);
			if (cid >= 0) {
				ic->name = column_dup(cols, 1, &ok);
			} else if (index->ncolumns - 1 < pi.nitems) {
				/* An expression (-2), or the rowid (-1). */
				ic->expression_sql =
					strdup(pi.items[index->ncolumns - 1]);
				ok = ok && ic->expression_sql;
			} else {
				struct parse_error perr = {
					"an indexed expression the statement "
					"does not show", 0
				};

				sqlite3_reset(cols);
				rc = parse_failed(r, "INDEX", index->name,
						  &perr);
				goto cleanup;
			}
			if (!ok)
				break;
		}
		if (!ok)
			break;
		if (rc != SQLITE_DONE) {
			rc = sql_failed(r, t->name, "index columns");
			goto cleanup;
		}
	}
	if (!ok) {
		rc = oom(r);
		goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		rc = sql_failed(r, t->name, "indexes");
		goto cleanup;
	}
	rc = 0;
cleanup:
	parsed_index_free(&pi);
	tokens_free(&toks);
	sqlite3_finalize(list);
	sqlite3_finalize(cols);
	return rc;
}

static int read_foreign_keys(struct reader *r, struct ark_sqlite_table *t)
{
	sqlite3_stmt *stmt = NULL;
	int last_id = -1;
	int ok = 1;
	int rc;

	if (prepare(r, "SELECT id, \"table\", \"from\", \"to\", on_update, "
		       "on_delete FROM pragma_foreign_key_list(?1, 'main') "
		       "ORDER BY id, seq", &stmt) != SQLITE_OK)
		return sql_failed(r, t->name, "foreign keys");
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int id = sqlite3_column_int(stmt, 0);
		struct ark_sqlite_foreign_key *fk;
		char **from, **to;

		if (id != last_id) {
			fk = grow((void **)&t->foreign_keys,
				  &t->nforeign_keys, sizeof(*fk));
			if (!fk) {
				ok = 0;
				break;
			}
			fk->ref_table = column_dup(stmt, 1, &ok);
			fk->on_update = column_dup(stmt, 4, &ok);
			fk->on_delete = column_dup(stmt, 5, &ok);
			last_id = id;
		}
		fk = &t->foreign_keys[t->nforeign_keys - 1];
		from = realloc(fk->from, (fk->ncolumns + 1) * sizeof(*from));
		if (from)
			fk->from = from;
		to = realloc(fk->to, (fk->ncolumns + 1) * sizeof(*to));
		if (to)
			fk->to = to;
		if (!from || !to) {
			ok = 0;
			break;
		}
		fk->from[fk->ncolumns] = column_dup(stmt, 2, &ok);
		fk->to[fk->ncolumns] = column_dup(stmt, 3, &ok);
		fk->ncolumns++;
		if (!ok)
			break;
	}
	sqlite3_finalize(stmt);
	if (!ok)
		return oom(r);
	if (rc != SQLITE_DONE)
		return sql_failed(r, t->name, "foreign keys");
	/* SQLite numbers them from the last declared: declaration order. */
	for (size_t i = 0; i < t->nforeign_keys / 2; i++) {
		struct ark_sqlite_foreign_key swap = t->foreign_keys[i];

		t->foreign_keys[i] =
			t->foreign_keys[t->nforeign_keys - 1 - i];
		t->foreign_keys[t->nforeign_keys - 1 - i] = swap;
	}
	return 0;
}

/* 1 when the names are the same to SQLite (ASCII case folded). */
static int same_name(const char *a, const char *b)
{
	return a && b && sqlite3_stricmp(a, b) == 0;
}

/*
 * What the CREATE TABLE text adds: checks, collations, generated
 * expressions, AUTOINCREMENT, and DEFERRABLE of each foreign key (both
 * lists in declaration order, checked to name the same columns).
 */
static int apply_create_table(struct reader *r, struct ark_sqlite_table *t)
{
	struct tokens toks = { 0 };
	struct parsed_table pt = { 0 };
	struct parser p = { .toks = &toks };
	int trc;
	int rc;

	trc = tokenize(t->sql, &toks, &p.error);
	if (trc == -2 || (trc == 0 && parse_create_table(&p, &pt) != 0 &&
			  p.oom)) {
		rc = oom(r);
		goto cleanup;
	}
	if (p.error.why) {
		rc = parse_failed(r, "TABLE", t->name, &p.error);
		goto cleanup;
	}
	if (pt.ncolumns != t->ncolumns) {
		p.error.why = "its columns differ from SQLite's";
		rc = parse_failed(r, "TABLE", t->name, &p.error);
		goto cleanup;
	}
	for (size_t i = 0; i < t->ncolumns; i++) {
		struct ark_sqlite_column *col = &t->columns[i];
		struct parsed_column *pc = &pt.columns[i];

		if (!same_name(col->name, pc->name)) {
			p.error.why = "its columns differ from SQLite's";
			rc = parse_failed(r, "TABLE", t->name, &p.error);
			goto cleanup;
		}
		/* BINARY is what no COLLATE means. */
		if (pc->collation && !same_name(pc->collation, "BINARY")) {
			col->collation = pc->collation;
			pc->collation = NULL;
		}
		col->generated_sql = pc->generated_sql;
		pc->generated_sql = NULL;
	}
	if (pt.nfks != t->nforeign_keys) {
		p.error.why = "its foreign keys differ from SQLite's";
		rc = parse_failed(r, "TABLE", t->name, &p.error);
		goto cleanup;
	}
	for (size_t i = 0; i < pt.nfks; i++) {
		struct parsed_fk *pf = &pt.fks[i];
		struct ark_sqlite_foreign_key *fk = &t->foreign_keys[i];
		int same = pf->nfrom == fk->ncolumns;

		for (size_t k = 0; same && k < pf->nfrom; k++)
			same = same_name(pf->from[k], fk->from[k]);
		if (!same) {
			p.error.why = "its foreign keys differ from SQLite's";
			rc = parse_failed(r, "TABLE", t->name, &p.error);
			goto cleanup;
		}
		fk->deferrable = pf->deferrable;
	}
	t->nchecks = pt.nchecks;
	t->checks = (struct ark_sqlite_check *)calloc(
		pt.nchecks ? pt.nchecks : 1, sizeof(*t->checks));
	if (!t->checks) {
		rc = oom(r);
		goto cleanup;
	}
	for (size_t i = 0; i < pt.nchecks; i++) {
		t->checks[i].name = pt.checks[i].name;
		t->checks[i].column = pt.checks[i].column;
		t->checks[i].expression_sql = pt.checks[i].expression_sql;
		pt.checks[i].name = NULL;
		pt.checks[i].column = NULL;
		pt.checks[i].expression_sql = NULL;
	}
	t->autoincrement = pt.autoincrement;
	rc = 0;
cleanup:
	parsed_table_free(&pt);
	tokens_free(&toks);
	return rc;
}

/* sqlite_sequence's seq for t, when the table exists and has a row. */
static int read_sequence(struct reader *r, struct ark_sqlite_table *t,
			 int have_sequence_table)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (!have_sequence_table)
		return 0;
	/*
	 * Normally one row per table; should there be more, the highest,
	 * so that no id SQLite may have handed out is issued again.
	 */
	if (prepare(r, "SELECT max(seq), count(*) FROM main.sqlite_sequence "
		       "WHERE name = ?1", &stmt) != SQLITE_OK)
		return sql_failed(r, t->name, "sqlite_sequence");
	sqlite3_bind_text(stmt, 1, t->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && sqlite3_column_int64(stmt, 1) > 0) {
		t->has_sequence = 1;
		t->sequence = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return sql_failed(r, t->name, "sqlite_sequence");
	return 0;
}

/*
 * The rowid alias: a rowid table whose primary key is one column of
 * declared type INTEGER that SQLite did not give an automatic 'pk'
 * index (it does for "INTEGER PRIMARY KEY DESC", which is no alias).
 */
static void find_rowid_alias(struct ark_sqlite_table *t)
{
	int pk_columns = 0;
	int candidate = -1;

	t->rowid_alias = -1;
	if (t->without_rowid)
		return;
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].pk_position > 0) {
			pk_columns++;
			candidate = (int)i;
		}
	if (pk_columns != 1 ||
	    sqlite3_stricmp(t->columns[candidate].declared_type, "INTEGER"))
		return;
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].origin == 'p')
			return;
	t->rowid_alias = candidate;
}

static int add_object(struct ark_sqlite_object **list, size_t *count,
		      sqlite3_stmt *stmt, int with_table)
{
	struct ark_sqlite_object *obj = grow((void **)list, count,
					     sizeof(*obj));
	int ok = 1;

	if (!obj)
		return -1;
	obj->name = column_dup(stmt, 0, &ok);
	obj->table = with_table ? column_dup(stmt, 1, &ok) : NULL;
	obj->sql = column_dup(stmt, 2, &ok);
	return ok && obj->name ? 0 : -1;
}

int ark_sqlite_schema_read(sqlite3 *db, struct ark_sqlite_schema **out,
			   struct ark_error *err)
{
	struct reader r = { db, err };
	struct ark_sqlite_schema *schema = calloc(1, sizeof(*schema));
	sqlite3_stmt *stmt = NULL;
	int have_sequence_table = 0;
	int rc;

	*out = NULL;
	if (!schema)
		return oom(&r);
	/*
	 * Tables in sqlite_schema order, with their kind from
	 * pragma_table_list: 'table', 'virtual', or 'shadow' (the tables a
	 * virtual table keeps its data in).
	 */
	if (prepare(&r, "SELECT s.name, s.tbl_name, s.sql, l.type, l.wr, "
			"l.strict FROM main.sqlite_schema AS s JOIN "
			"pragma_table_list AS l ON l.schema = 'main' AND "
			"l.name = s.name WHERE s.type = 'table' ORDER BY "
			"s.rowid", &stmt) != SQLITE_OK) {
		rc = sql_failed(&r, NULL, "tables");
		goto cleanup;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		const char *kind = (const char *)sqlite3_column_text(stmt, 3);
		struct ark_sqlite_table *t;
		int ok = 1;

		if (!name || !kind) {
			rc = oom(&r);
			goto cleanup;
		}
		if (sqlite3_strnicmp(name, "sqlite_", 7) == 0) {
			if (sqlite3_stricmp(name, "sqlite_sequence") == 0)
				have_sequence_table = 1;
			continue;
		}
		if (strcmp(kind, "virtual") == 0 ||
		    strcmp(kind, "shadow") == 0) {
			int fail = strcmp(kind, "virtual") == 0
					   ? add_object(&schema->virtual_tables,
							&schema->nvirtual,
							stmt, 0)
					   : add_object(&schema->shadow_tables,
							&schema->nshadow, stmt,
							0);

			if (fail) {
				rc = oom(&r);
				goto cleanup;
			}
			continue;
		}
		t = grow((void **)&schema->tables, &schema->ntables,
			 sizeof(*t));
		if (!t) {
			rc = oom(&r);
			goto cleanup;
		}
		t->rowid_alias = -1;
		t->name = column_dup(stmt, 0, &ok);
		t->sql = column_dup(stmt, 2, &ok);
		t->without_rowid = sqlite3_column_int(stmt, 4) != 0;
		t->strict = sqlite3_column_int(stmt, 5) != 0;
		if (!ok || !t->name || !t->sql) {
			rc = oom(&r);
			goto cleanup;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = sql_failed(&r, NULL, "tables");
		goto cleanup;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	for (size_t i = 0; i < schema->ntables; i++) {
		struct ark_sqlite_table *t = &schema->tables[i];

		if ((rc = read_columns(&r, t)) ||
		    (rc = read_indexes(&r, t)) ||
		    (rc = read_foreign_keys(&r, t)) ||
		    (rc = apply_create_table(&r, t)) ||
		    (rc = read_sequence(&r, t, have_sequence_table)))
			goto cleanup;
		find_rowid_alias(t);
	}

	if (prepare(&r, "SELECT name, tbl_name, sql, type FROM "
			"main.sqlite_schema WHERE type IN ('view', 'trigger') "
			"ORDER BY rowid", &stmt) != SQLITE_OK) {
		rc = sql_failed(&r, NULL, "views and triggers");
		goto cleanup;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(stmt, 3);
		int view = type && strcmp(type, "view") == 0;

		if (view ? add_object(&schema->views, &schema->nviews, stmt, 0)
			 : add_object(&schema->triggers, &schema->ntriggers,
				      stmt, 1)) {
			rc = oom(&r);
			goto cleanup;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = sql_failed(&r, NULL, "views and triggers");
		goto cleanup;
	}
	*out = schema;
	schema = NULL;
	rc = 0;
cleanup:
	sqlite3_finalize(stmt);
	ark_sqlite_schema_free(schema);
	return rc;
}

static void free_objects(struct ark_sqlite_object *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(list[i].name);
		free(list[i].table);
		free(list[i].sql);
	}
	free(list);
}

static void free_table(struct ark_sqlite_table *t)
{
	free(t->name);
	free(t->sql);
	for (size_t i = 0; i < t->ncolumns; i++) {
		struct ark_sqlite_column *col = &t->columns[i];

		free(col->name);
		free(col->declared_type);
		free(col->default_sql);
		free(col->generated_sql);
		free(col->collation);
	}
	free(t->columns);
	for (size_t i = 0; i < t->nindexes; i++) {
		struct ark_sqlite_index *index = &t->indexes[i];

		for (size_t k = 0; k < index->ncolumns; k++) {
			free(index->columns[k].name);
			free(index->columns[k].expression_sql);
			free(index->columns[k].collation);
		}
		free(index->columns);
		free(index->name);
		free(index->where_sql);
		free(index->sql);
	}
	free(t->indexes);
	for (size_t i = 0; i < t->nforeign_keys; i++) {
		struct ark_sqlite_foreign_key *fk = &t->foreign_keys[i];

		for (size_t k = 0; k < fk->ncolumns; k++) {
			free(fk->from[k]);
			free(fk->to[k]);
		}
		free(fk->from);
		free(fk->to);
		free(fk->ref_table);
		free(fk->on_update);
		free(fk->on_delete);
	}
	free(t->foreign_keys);
	for (size_t i = 0; i < t->nchecks; i++) {
		free(t->checks[i].name);
		free(t->checks[i].column);
		free(t->checks[i].expression_sql);
	}
	free(t->checks);
}

void ark_sqlite_schema_free(struct ark_sqlite_schema *schema)
{
	if (!schema)
		return;
	for (size_t i = 0; i < schema->ntables; i++)
		free_table(&schema->tables[i]);
	free(schema->tables);
	free_objects(schema->views, schema->nviews);
	free_objects(schema->triggers, schema->ntriggers);
	free_objects(schema->virtual_tables, schema->nvirtual);
	free_objects(schema->shadow_tables, schema->nshadow);
	free(schema);
}

const struct ark_sqlite_table *
ark_sqlite_schema_table(const struct ark_sqlite_schema *schema,
			const char *name)
{
	for (size_t i = 0; i < schema->ntables; i++)
		if (strcmp(schema->tables[i].name, name) == 0)
			return &schema->tables[i];
	return NULL;
}

/*
 * sqlexpr.c - SQLite expressions (DEFAULT, CHECK, index WHERE and keys)
 * into PostgreSQL, only where exact.  See pg/sqlexpr_internal.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pg/sqlexpr_internal.h"

/* ---- quoting -------------------------------------------------------- */

void ark_sqlexpr_append_ident(struct ark_buf *out, const char *name)
{
	ark_buf_append_char(out, '"');
	for (; *name; name++) {
		if (*name == '"')
			ark_buf_append_char(out, '"');
		ark_buf_append_char(out, *name);
	}
	ark_buf_append_char(out, '"');
}

void ark_sqlexpr_append_literal(struct ark_buf *out, const char *text)
{
	int backslash = strchr(text, '\\') != NULL;

	if (backslash)
		ark_buf_append_char(out, 'E');
	ark_buf_append_char(out, '\'');
	for (; *text; text++) {
		if (*text == '\'' || (backslash && *text == '\\'))
			ark_buf_append_char(out, *text);
		ark_buf_append_char(out, *text);
	}
	ark_buf_append_char(out, '\'');
}

int ark_sqlexpr_utf8_chars(const char *text, size_t len, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, count = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n, k;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			count++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
		count++;
	}
	if (chars)
		*chars = count;
	return 1;
}

/* ---- tokens ---------------------------------------------------------- */

enum token_kind {
	TOK_END,
	TOK_WORD,    /* a bare word: keyword or name */
	TOK_NAME,    /* a quoted name: "x", [x], `x` */
	TOK_STRING,  /* 'x' */
	TOK_NUMBER,
	TOK_BLOB,    /* X'..' */
	TOK_OP,      /* punctuation and operators */
};

struct token {
	enum token_kind kind;
	char *text;  /* decoded: quotes removed, '' undoubled; NUL-free */
};

struct lexer {
	struct token *tokens;
	size_t ntokens;
	size_t pos;
	const char *reason;
};

static void lexer_free(struct lexer *lx)
{
	size_t i;

	for (i = 0; i < lx->ntokens; i++)
		free(lx->tokens[i].text);
	free(lx->tokens);
	lx->tokens = NULL;
	lx->ntokens = 0;
}

static int push_token(struct lexer *lx, enum token_kind kind,
		      struct ark_buf *text)
{
	struct token *grown;
	char *copy;

	copy = strdup(text->data ? text->data : "");
	if (!copy || ark_buf_failed(text)) {
		free(copy);
		lx->reason = "out of memory";
		return -1;
	}
	grown = realloc(lx->tokens, (lx->ntokens + 1) * sizeof *grown);
	if (!grown) {
		free(copy);
		lx->reason = "out of memory";
		return -1;
	}
	lx->tokens = grown;
	lx->tokens[lx->ntokens].kind = kind;
	lx->tokens[lx->ntokens].text = copy;
	lx->ntokens++;
	return 0;
}

static int is_word_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static int is_word_char(unsigned char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Split sql into tokens; 0, or -1 with lx->reason. */
static int lex(struct lexer *lx, const char *sql)
{
	const char *p = sql;
	struct ark_buf text = ARK_BUF_INIT;
	int rc = -1;

	memset(lx, 0, sizeof *lx);
	for (;;) {
		unsigned char c = (unsigned char)*p;

		ark_buf_reset(&text);
		if (c == '\0')
			break;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			p++;
			continue;
		}
		if (c == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (c == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
			continue;
		}
		if ((c == 'x' || c == 'X') && p[1] == '\'') {
			p += 2;
			while (*p && *p != '\'')
				ark_buf_append_char(&text, *p++);
			if (*p != '\'') {
				lx->reason = "unterminated blob literal";
				goto cleanup;
			}
			p++;
			if (push_token(lx, TOK_BLOB, &text) != 0)
				goto cleanup;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`' || c == '[') {
			char close = c == '[' ? ']' : (char)c;

			p++;
			for (;;) {
				if (*p == '\0') {
					lx->reason = "unterminated quote";
					goto cleanup;
				}
				if (*p == close) {
					if (close != ']' && p[1] == close) {
						ark_buf_append_char(&text, close);
						p += 2;
						continue;
					}
					p++;
					break;
				}
				ark_buf_append_char(&text, *p++);
			}
			if (push_token(lx, c == '\'' ? TOK_STRING : TOK_NAME,
				       &text) != 0)
				goto cleanup;
			continue;
		}
		if ((c >= '0' && c <= '9') ||
		    (c == '.' && p[1] >= '0' && p[1] <= '9')) {
			while (is_word_char((unsigned char)*p) || *p == '.' ||
			       ((*p == '+' || *p == '-') &&
				(p[-1] == 'e' || p[-1] == 'E') &&
				!(p[-2] == 'x' || p[-2] == 'X')))
				ark_buf_append_char(&text, *p++);
			if (push_token(lx, TOK_NUMBER, &text) != 0)
				goto cleanup;
			continue;
		}
		if (is_word_start(c)) {
			while (is_word_char((unsigned char)*p))
				ark_buf_append_char(&text, *p++);
			if (push_token(lx, TOK_WORD, &text) != 0)
				goto cleanup;
			continue;
		}
		{
			static const char *const two[] = {
				"==", "!=", "<>", "<=", ">=", "||", "<<", ">>",
				"->",
			};
			size_t i, n = 1;

			for (i = 0; i < sizeof two / sizeof two[0]; i++)
				if (p[0] == two[i][0] && p[1] == two[i][1])
					n = 2;
			ark_buf_append(&text, p, n);
			p += n;
			if (push_token(lx, TOK_OP, &text) != 0)
				goto cleanup;
		}
	}
	ark_buf_reset(&text);
	if (push_token(lx, TOK_END, &text) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	ark_buf_free(&text);
	if (rc != 0)
		lexer_free(lx);
	return rc;
}

static const struct token *peek(const struct lexer *lx, size_t ahead)
{
	size_t at = lx->pos + ahead;

	if (at >= lx->ntokens)
		at = lx->ntokens - 1;
	return &lx->tokens[at];
}

static int is_word(const struct token *t, const char *word)
{
	return t->kind == TOK_WORD && strcasecmp(t->text, word) == 0;
}

static int is_op(const struct token *t, const char *op)
{
	return t->kind == TOK_OP && strcmp(t->text, op) == 0;
}

/* ---- conditions and index keys -------------------------------------- */

struct parser {
	struct lexer lx;
	ark_sqlexpr_resolver resolve;
	void *context;
	const char *reason;
};

static int refuse(struct parser *ps, const char *reason)
{
	if (!ps->reason)
		ps->reason = reason;
	return -1;
}

static int parse_or(struct parser *ps, struct ark_buf *out);

/* A decimal number literal SQLite and PostgreSQL read alike. */
static int number_literal_ok(const char *text)
{
	const char *p = text;
	size_t digits = 0;
	int real = 0;

	if ((p[0] == '0') && (p[1] == 'x' || p[1] == 'X'))
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.') {
		real = 1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'e' || *p == 'E') {
		real = 1;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return 0;
	/* an integer literal beyond int64 is a REAL in SQLite and an exact
	   numeric in PostgreSQL; one beyond 2^53 compares exactly with a
	   REAL in SQLite but is rounded to a double in PostgreSQL: at most
	   15 digits, always exact in a double */
	if (!real && digits > 15)
		return 0;
	return 1;
}

/* An operand: literal, column, length()/abs(), or ( expression ).
   Returns its class, or -1. */
static int parse_operand(struct parser *ps, struct ark_buf *out)
{
	const struct token *t = peek(&ps->lx, 0);

	if (is_op(t, "(")) {
		int cls;

		ps->lx.pos++;
		ark_buf_append_char(out, '(');
		cls = parse_or(ps, out);
		if (cls < 0)
			return -1;
		if (!is_op(peek(&ps->lx, 0), ")"))
			return refuse(ps, "unbalanced parentheses");
		ps->lx.pos++;
		ark_buf_append_char(out, ')');
		return cls;
	}
	if (is_op(t, "-") || is_op(t, "+")) {
		const struct token *n = peek(&ps->lx, 1);

		if (n->kind != TOK_NUMBER || !number_literal_ok(n->text))
			return refuse(ps, "arithmetic is not translated");
		if (is_op(t, "-"))
			ark_buf_append_char(out, '-');
		ark_buf_append_str(out, n->text);
		ps->lx.pos += 2;
		return ARK_SQLEXPR_NUMBER;
	}
	if (t->kind == TOK_NUMBER) {
		if (!number_literal_ok(t->text))
			return refuse(ps, "this number literal is not "
					  "translated");
		ark_buf_append_str(out, t->text);
		ps->lx.pos++;
		return ARK_SQLEXPR_NUMBER;
	}
	if (t->kind == TOK_STRING) {
		if (!ark_sqlexpr_utf8_chars(t->text, strlen(t->text), NULL))
			return refuse(ps, "a string literal is not valid "
					  "UTF-8");
		ark_sqlexpr_append_literal(out, t->text);
		ps->lx.pos++;
		return ARK_SQLEXPR_TEXT;
	}
	if (is_word(t, "TRUE") || is_word(t, "FALSE")) {
		/* SQLite's TRUE and FALSE are the integers 1 and 0 */
		ark_buf_append_str(out, is_word(t, "TRUE") ? "1" : "0");
		ps->lx.pos++;
		return ARK_SQLEXPR_NUMBER;
	}
	if ((t->kind == TOK_WORD || t->kind == TOK_NAME) &&
	    is_op(peek(&ps->lx, 1), "(") && t->kind == TOK_WORD) {
		int length = strcasecmp(t->text, "length") == 0;
		int absolute = strcasecmp(t->text, "abs") == 0;
		int cls;

		if (!length && !absolute)
			return refuse(ps, "this function is not translated");
		ps->lx.pos += 2;
		ark_buf_append_str(out, length ? "char_length(" : "abs(");
		cls = parse_operand(ps, out);
		if (cls < 0)
			return -1;
		if (!is_op(peek(&ps->lx, 0), ")"))
			return refuse(ps, "this function is not translated");
		ps->lx.pos++;
		ark_buf_append_char(out, ')');
		if (length && cls != ARK_SQLEXPR_TEXT)
			return refuse(ps, "length() of a value that is not "
					  "text is not translated");
		if (absolute && cls != ARK_SQLEXPR_NUMBER)
			return refuse(ps, "abs() of a value that is not a "
					  "number is not translated");
		return ARK_SQLEXPR_NUMBER;
	}
	if (t->kind == TOK_NAME ||
	    (t->kind == TOK_WORD && !is_word(t, "NULL") &&
	     !is_word(t, "NOT") && !is_word(t, "AND") && !is_word(t, "OR") &&
	     !is_word(t, "CASE") && !is_word(t, "CAST") &&
	     !is_word(t, "EXISTS") && !is_word(t, "SELECT"))) {
		const char *pg_name;
		int cls;

		if (t->kind == TOK_WORD && is_op(peek(&ps->lx, 1), ".")) 
			return refuse(ps, "qualified names are not "
					  "translated");
		if (ps->resolve(ps->context, t->text, &pg_name, &cls) != 0)
			return refuse(ps, "unknown name");
		if (cls == ARK_SQLEXPR_REFUSED)
			return refuse(ps, "it reads a column whose "
					  "comparisons differ in PostgreSQL "
					  "(its type or its COLLATE)");
		ark_sqlexpr_append_ident(out, pg_name);
		ps->lx.pos++;
		return cls;
	}
	if (is_word(t, "NULL"))
		return refuse(ps, "NULL as a value is not translated");
	return refuse(ps, "this expression is not translated");
}

static int comparison_op(const struct token *t, const char **pg_op,
			 int *ordering)
{
	static const struct {
		const char *sqlite, *pg;
		int ordering;
	} ops[] = {
		{"=", "=", 0}, {"==", "=", 0}, {"!=", "<>", 0},
		{"<>", "<>", 0}, {"<", "<", 1}, {"<=", "<=", 1},
		{">", ">", 1}, {">=", ">=", 1},
	};
	size_t i;

	if (t->kind != TOK_OP)
		return 0;
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(t->text, ops[i].sqlite) == 0) {
			*pg_op = ops[i].pg;
			*ordering = ops[i].ordering;
			return 1;
		}
	}
	return 0;
}

static int same_class(struct parser *ps, int a, int b)
{
	if (a != b || a == ARK_SQLEXPR_BOOL)
		return refuse(ps, "a comparison of a number with text (or "
				  "of conditions) is not translated");
	return 0;
}

/* The right side of a comparison with left: an operand of the same
   class, or for a boolean column one of 0, 1, TRUE, FALSE. */
static int parse_right(struct parser *ps, struct ark_buf *out, int left)
{
	const struct token *t = peek(&ps->lx, 0);
	int right;

	if (left == ARK_SQLEXPR_BOOLEAN_COLUMN) {
		int value = -1;

		if (t->kind == TOK_NUMBER && strcmp(t->text, "0") == 0)
			value = 0;
		else if (t->kind == TOK_NUMBER && strcmp(t->text, "1") == 0)
			value = 1;
		else if (is_word(t, "FALSE"))
			value = 0;
		else if (is_word(t, "TRUE"))
			value = 1;
		if (value < 0)
			return refuse(ps, "a boolean column compared with "
					  "something other than 0, 1, TRUE or "
					  "FALSE is not translated");
		ps->lx.pos++;
		ark_buf_append_str(out, value ? "true" : "false");
		return 0;
	}
	right = parse_operand(ps, out);
	if (right < 0 || same_class(ps, left, right) != 0)
		return -1;
	return 0;
}

/* operand [comparison | IS [NOT] NULL | [NOT] IN (...) | [NOT] BETWEEN] */
static int parse_predicate(struct parser *ps, struct ark_buf *out)
{
	const struct token *t;
	const char *pg_op;
	int ordering, left, right, negated = 0;

	left = parse_operand(ps, out);
	if (left < 0)
		return -1;
	t = peek(&ps->lx, 0);
	if (comparison_op(t, &pg_op, &ordering)) {
		ps->lx.pos++;
		if (ordering && left == ARK_SQLEXPR_TEXT)
			ark_buf_append_str(out, " COLLATE \"C\"");
		if (ordering && left == ARK_SQLEXPR_BOOLEAN_COLUMN)
			return refuse(ps, "ordering a boolean column is not "
					  "translated");
		ark_buf_appendf(out, " %s ", pg_op);
		if (parse_right(ps, out, left) != 0)
			return -1;
		t = peek(&ps->lx, 0);
		if (comparison_op(t, &pg_op, &ordering))
			return refuse(ps, "chained comparisons are not "
					  "translated");
		return ARK_SQLEXPR_BOOL;
	}
	if (is_word(t, "ISNULL") || is_word(t, "NOTNULL")) {
		ark_buf_append_str(out, is_word(t, "ISNULL") ? " IS NULL"
							   : " IS NOT NULL");
		ps->lx.pos++;
		return ARK_SQLEXPR_BOOL;
	}
	if (is_word(t, "IS")) {
		ps->lx.pos++;
		if (is_word(peek(&ps->lx, 0), "NOT")) {
			negated = 1;
			ps->lx.pos++;
		}
		if (!is_word(peek(&ps->lx, 0), "NULL"))
			return refuse(ps, "IS other than IS [NOT] NULL is not "
					  "translated");
		ps->lx.pos++;
		ark_buf_append_str(out, negated ? " IS NOT NULL" : " IS NULL");
		return ARK_SQLEXPR_BOOL;
	}
	if (is_word(t, "NOT")) {
		const struct token *n = peek(&ps->lx, 1);

		if (is_word(n, "NULL")) {
			ps->lx.pos += 2;
			ark_buf_append_str(out, " IS NOT NULL");
			return ARK_SQLEXPR_BOOL;
		}
		if (!is_word(n, "IN") && !is_word(n, "BETWEEN"))
			return refuse(ps, "this expression is not translated");
		negated = 1;
		ps->lx.pos++;
		t = n;
	}
	if (is_word(t, "IN")) {
		size_t count = 0;

		ps->lx.pos++;
		if (!is_op(peek(&ps->lx, 0), "("))
			return refuse(ps, "IN without a list is not "
					  "translated");
		ps->lx.pos++;
		ark_buf_append_str(out, negated ? " NOT IN (" : " IN (");
		for (;;) {
			if (count > 0)
				ark_buf_append_str(out, ", ");
			if (parse_right(ps, out, left) != 0)
				return -1;
			count++;
			if (is_op(peek(&ps->lx, 0), ",")) {
				ps->lx.pos++;
				continue;
			}
			break;
		}
		if (!is_op(peek(&ps->lx, 0), ")"))
			return refuse(ps, "unbalanced parentheses");
		ps->lx.pos++;
		ark_buf_append_char(out, ')');
		return ARK_SQLEXPR_BOOL;
	}
	if (is_word(t, "BETWEEN")) {
		ps->lx.pos++;
		if (left == ARK_SQLEXPR_BOOLEAN_COLUMN)
			return refuse(ps, "ordering a boolean column is not "
					  "translated");
		if (left == ARK_SQLEXPR_TEXT)
			ark_buf_append_str(out, " COLLATE \"C\"");
		ark_buf_append_str(out, negated ? " NOT BETWEEN " : " BETWEEN ");
		right = parse_operand(ps, out);
		if (right < 0 || same_class(ps, left, right) != 0)
			return -1;
		if (!is_word(peek(&ps->lx, 0), "AND"))
			return refuse(ps, "BETWEEN without AND");
		ps->lx.pos++;
		ark_buf_append_str(out, " AND ");
		right = parse_operand(ps, out);
		if (right < 0 || same_class(ps, left, right) != 0)
			return -1;
		return ARK_SQLEXPR_BOOL;
	}
	if (t->kind == TOK_WORD && !is_word(t, "AND") && !is_word(t, "OR"))
		return refuse(ps, t->kind == TOK_WORD &&
					  (is_word(t, "LIKE") ||
					   is_word(t, "GLOB") ||
					   is_word(t, "REGEXP") ||
					   is_word(t, "MATCH"))
				      ? "LIKE, GLOB, REGEXP and MATCH are not "
					"translated"
				      : "this expression is not translated");
	if (t->kind == TOK_OP && !is_op(t, ")") && !is_op(t, ",") &&
	    t->kind != TOK_END)
		return refuse(ps, "this operator is not translated");
	return left;
}

static int parse_not(struct parser *ps, struct ark_buf *out)
{
	int cls;

	if (is_word(peek(&ps->lx, 0), "NOT")) {
		ps->lx.pos++;
		ark_buf_append_str(out, "NOT ");
		cls = parse_not(ps, out);
		if (cls < 0)
			return -1;
		if (cls != ARK_SQLEXPR_BOOL)
			return refuse(ps, "NOT of a value that is not a "
					  "condition is not translated");
		return cls;
	}
	return parse_predicate(ps, out);
}

static int parse_and(struct parser *ps, struct ark_buf *out)
{
	int cls = parse_not(ps, out);

	while (cls >= 0 && is_word(peek(&ps->lx, 0), "AND")) {
		if (cls != ARK_SQLEXPR_BOOL)
			return refuse(ps, "AND of a value that is not a "
					  "condition is not translated");
		ps->lx.pos++;
		ark_buf_append_str(out, " AND ");
		cls = parse_not(ps, out);
		if (cls >= 0 && cls != ARK_SQLEXPR_BOOL)
			return refuse(ps, "AND of a value that is not a "
					  "condition is not translated");
	}
	return cls;
}

static int parse_or(struct parser *ps, struct ark_buf *out)
{
	int cls = parse_and(ps, out);

	while (cls >= 0 && is_word(peek(&ps->lx, 0), "OR")) {
		if (cls != ARK_SQLEXPR_BOOL)
			return refuse(ps, "OR of a value that is not a "
					  "condition is not translated");
		ps->lx.pos++;
		ark_buf_append_str(out, " OR ");
		cls = parse_and(ps, out);
		if (cls >= 0 && cls != ARK_SQLEXPR_BOOL)
			return refuse(ps, "OR of a value that is not a "
					  "condition is not translated");
	}
	return cls;
}

static int translate(const char *sql, ark_sqlexpr_resolver resolve,
		     void *context, struct ark_buf *out, int want_condition,
		     const char **reason)
{
	struct parser ps;
	size_t mark = out->len;
	int cls;

	memset(&ps, 0, sizeof ps);
	ps.resolve = resolve;
	ps.context = context;
	if (lex(&ps.lx, sql) != 0) {
		*reason = ps.lx.reason;
		return -1;
	}
	if (!want_condition)
		ark_buf_append_char(out, '(');
	cls = parse_or(&ps, out);
	if (cls >= 0 && peek(&ps.lx, 0)->kind != TOK_END)
		cls = refuse(&ps, "this expression is not translated");
	if (cls >= 0 && want_condition && cls != ARK_SQLEXPR_BOOL)
		cls = refuse(&ps, "not a condition");
	if (cls >= 0 && !want_condition && cls == ARK_SQLEXPR_BOOL)
		cls = refuse(&ps, "a condition as an index key is not "
				  "translated");
	if (!want_condition)
		ark_buf_append_char(out, ')');
	lexer_free(&ps.lx);
	if (cls < 0) {
		ark_buf_truncate(out, mark);
		*reason = ps.reason ? ps.reason : "not translated";
		return -1;
	}
	return 0;
}

int ark_sqlexpr_condition(const char *sql, ark_sqlexpr_resolver resolve,
			  void *context, struct ark_buf *out,
			  const char **reason)
{
	return translate(sql, resolve, context, out, 1, reason);
}

int ark_sqlexpr_index_key(const char *sql, ark_sqlexpr_resolver resolve,
			  void *context, struct ark_buf *out,
			  const char **reason)
{
	return translate(sql, resolve, context, out, 0, reason);
}

/* ---- defaults -------------------------------------------------------- */

/* "now" as SQLite's date functions print it, in UTC. */
#define NOW_UTC "now() AT TIME ZONE 'UTC'"

static int is_text_type(const struct ark_pgtype_spec *type)
{
	return type->type == ARK_PGTYPE_TEXT ||
	       type->type == ARK_PGTYPE_VARCHAR;
}

static int is_integer_type(const struct ark_pgtype_spec *type)
{
	return type->type == ARK_PGTYPE_INT2 || type->type == ARK_PGTYPE_INT4 ||
	       type->type == ARK_PGTYPE_INT8;
}

/* varchar(n) holds chars characters: 1 or 0. */
static int fits_length(const struct ark_pgtype_spec *type, size_t chars)
{
	return type->type != ARK_PGTYPE_VARCHAR || type->length < 0 ||
	       chars <= (size_t)type->length;
}

/* A decimal integer literal (optional sign) within int64: 0, or -1. */
static int parse_int64(const char *text, int64_t *value)
{
	const char *p = text;
	char *end;
	long long v;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != '\0')
		return -1;
	errno = 0;
	v = strtoll(text[0] == '+' ? text + 1 : text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = v;
	return 0;
}

static int in_range(const struct ark_pgtype_spec *type, int64_t v)
{
	if (type->type == ARK_PGTYPE_INT2)
		return v >= -32768 && v <= 32767;
	if (type->type == ARK_PGTYPE_INT4)
		return v >= INT32_MIN && v <= INT32_MAX;
	return 1;
}

/* The shortest decimal that reads back as d, plain (no exponent), into
   out: 0, or -1 for non-finite values or magnitudes beyond 1e40. */
static int shortest_plain(double d, struct ark_buf *out)
{
	char sci[64], digits[32];
	int precision, exponent, ndigits = 0, i;
	char *p;

	if (!isfinite(d))
		return -1;
	for (precision = 0; precision < 17; precision++) {
		snprintf(sci, sizeof sci, "%.*e", precision, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	p = sci;
	if (*p == '-') {
		ark_buf_append_char(out, '-');
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[ndigits++] = *p;
	exponent = atoi(p + 1);
	while (ndigits > 1 && digits[ndigits - 1] == '0')
		ndigits--;
	if (exponent > 40 || exponent < -40)
		return -1;
	if (exponent < 0) {
		ark_buf_append_str(out, "0.");
		for (i = -1; i > exponent; i--)
			ark_buf_append_char(out, '0');
		ark_buf_append(out, digits, (size_t)ndigits);
	} else if (ndigits <= exponent + 1) {
		ark_buf_append(out, digits, (size_t)ndigits);
		for (i = ndigits; i <= exponent; i++)
			ark_buf_append_char(out, '0');
	} else {
		ark_buf_append(out, digits, (size_t)exponent + 1);
		ark_buf_append_char(out, '.');
		ark_buf_append(out, digits + exponent + 1,
			       (size_t)(ndigits - exponent - 1));
	}
	return 0;
}

/* Plain decimal text: does it fit numeric(p,s)?  (Unconstrained: yes.) */
static int fits_numeric(const struct ark_pgtype_spec *type, const char *text)
{
	const char *p = text;
	int whole = 0, fraction = 0, leading = 1;

	if (type->precision < 0)
		return 1;
	if (*p == '-')
		p++;
	for (; *p && *p != '.'; p++) {
		if (leading && *p == '0')
			continue;
		leading = 0;
		whole++;
	}
	if (*p == '.') {
		const char *end = p + strlen(p);

		while (end > p + 1 && end[-1] == '0')
			end--;
		fraction = (int)(end - p - 1);
	}
	return fraction <= type->scale && whole <= type->precision - type->scale;
}

/* A number literal as the default of type. */
static int default_number(const char *text, const struct ark_pgtype_spec *type,
			  struct ark_buf *out, const char **reason)
{
	int64_t integer;
	int is_integer = parse_int64(text, &integer) == 0;
	const char *body = text[0] == '+' || text[0] == '-' ? text + 1 : text;
	double real;
	char *end;

	if (!number_literal_ok(body) && !is_integer) {
		*reason = "this number literal is not translated";
		return -1;
	}
	errno = 0;
	real = strtod(text, &end);
	if (*end != '\0') {
		*reason = "this number literal is not translated";
		return -1;
	}
	if (!is_integer && isfinite(real) && real == floor(real) &&
	    fabs(real) < 9007199254740992.0 &&
	    (is_integer_type(type) || type->type == ARK_PGTYPE_NUMERIC ||
	     type->type == ARK_PGTYPE_BOOL)) {
		/* SQLite stores an integral REAL default in an INTEGER or
		   NUMERIC column as the integer */
		integer = (int64_t)real;
		is_integer = 1;
	}
	switch (type->type) {
	case ARK_PGTYPE_BOOL:
		if (is_integer && (integer == 0 || integer == 1)) {
			ark_buf_append_str(out, integer ? "true" : "false");
			return 0;
		}
		*reason = "a number other than 0 or 1 is not a boolean";
		return -1;
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
		if (is_integer && in_range(type, integer)) {
			ark_buf_appendf(out, "%lld", (long long)integer);
			return 0;
		}
		*reason = "not an integer of this type's range";
		return -1;
	case ARK_PGTYPE_FLOAT8:
		if (is_integer) {
			if (integer > 9007199254740992LL ||
			    integer < -9007199254740992LL) {
				*reason = "an integer not exact in a double";
				return -1;
			}
			ark_buf_appendf(out, "%lld", (long long)integer);
			return 0;
		}
		if (real == 0 && signbit(real)) {
			*reason = "-0 is not translated";
			return -1;
		}
		if (shortest_plain(real, out) != 0) {
			*reason = "this number literal is not translated";
			return -1;
		}
		return 0;
	case ARK_PGTYPE_NUMERIC: {
		size_t mark = out->len;

		if (is_integer)
			ark_buf_appendf(out, "%lld", (long long)integer);
		else if (shortest_plain(real, out) != 0 ||
			 (real == 0 && signbit(real))) {
			ark_buf_truncate(out, mark);
			*reason = "this number literal is not translated";
			return -1;
		}
		if (!fits_numeric(type, out->data + mark)) {
			ark_buf_truncate(out, mark);
			*reason = "does not fit the numeric's precision and "
				  "scale";
			return -1;
		}
		return 0;
	}
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR: {
		char number[32];

		if (!is_integer) {
			*reason = "a REAL default in a text column is not "
				  "translated";
			return -1;
		}
		snprintf(number, sizeof number, "%lld", (long long)integer);
		if (!fits_length(type, strlen(number))) {
			*reason = "longer than the varchar's length";
			return -1;
		}
		ark_sqlexpr_append_literal(out, number);
		return 0;
	}
	default:
		*reason = "a number is not a value of this type";
		return -1;
	}
}

static int digits_at(const char *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int valid_date(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* "YYYY-MM-DD" (date) or "YYYY-MM-DD HH:MM:SS" (timestamp), canonical
   exactly as PostgreSQL prints them: 1 or 0. */
static int canonical_datetime(const char *t, int with_time)
{
	size_t n = strlen(t);

	if (n != (with_time ? 19u : 10u) || !digits_at(t, 4) || t[4] != '-' ||
	    !digits_at(t + 5, 2) || t[7] != '-' || !digits_at(t + 8, 2))
		return 0;
	if (!valid_date(atoi(t), atoi(t + 5), atoi(t + 8)))
		return 0;
	if (!with_time)
		return 1;
	return t[10] == ' ' && digits_at(t + 11, 2) && t[13] == ':' &&
	       digits_at(t + 14, 2) && t[16] == ':' && digits_at(t + 17, 2) &&
	       atoi(t + 11) < 24 && atoi(t + 14) < 60 && atoi(t + 17) < 60;
}

static int canonical_uuid(const char *t)
{
	size_t i;

	if (strlen(t) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (t[i] != '-')
				return 0;
		} else if (!((t[i] >= '0' && t[i] <= '9') ||
			     (t[i] >= 'a' && t[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static int default_string(const char *text, const struct ark_pgtype_spec *type,
			  struct ark_buf *out, const char **reason)
{
	size_t chars;
	int64_t integer;

	if (!ark_sqlexpr_utf8_chars(text, strlen(text), &chars)) {
		*reason = "the string is not valid UTF-8";
		return -1;
	}
	switch (type->type) {
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
		if (!fits_length(type, chars)) {
			*reason = "longer than the varchar's length";
			return -1;
		}
		ark_sqlexpr_append_literal(out, text);
		return 0;
	case ARK_PGTYPE_BOOL:
		if (strcasecmp(text, "true") == 0 || strcasecmp(text, "t") == 0 ||
		    strcmp(text, "1") == 0) {
			ark_buf_append_str(out, "true");
			return 0;
		}
		if (strcasecmp(text, "false") == 0 ||
		    strcasecmp(text, "f") == 0 || strcmp(text, "0") == 0) {
			ark_buf_append_str(out, "false");
			return 0;
		}
		*reason = "not a boolean";
		return -1;
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
	case ARK_PGTYPE_NUMERIC:
		/* the column's affinity makes an integer of the text */
		if (parse_int64(text, &integer) == 0 && text[0] != '+' &&
		    in_range(type, integer)) {
			char number[32];

			snprintf(number, sizeof number, "%lld",
				 (long long)integer);
			if (strcmp(number, text) == 0 &&
			    (type->type != ARK_PGTYPE_NUMERIC ||
			     fits_numeric(type, number))) {
				ark_buf_append_str(out, number);
				return 0;
			}
		}
		*reason = "text that is not an integer as SQLite writes one";
		return -1;
	case ARK_PGTYPE_DATE:
	case ARK_PGTYPE_TIMESTAMP:
		if (!canonical_datetime(text, type->type ==
						      ARK_PGTYPE_TIMESTAMP)) {
			*reason = type->type == ARK_PGTYPE_DATE
					  ? "not a date written YYYY-MM-DD"
					  : "not a timestamp written "
					    "YYYY-MM-DD HH:MM:SS";
			return -1;
		}
		ark_sqlexpr_append_literal(out, text);
		return 0;
	case ARK_PGTYPE_UUID:
		if (!canonical_uuid(text)) {
			*reason = "not a lower-case canonical UUID";
			return -1;
		}
		ark_sqlexpr_append_literal(out, text);
		return 0;
	default:
		*reason = "a string default for this type is not translated";
		return -1;
	}
}

/* One strftime specifier as a to_char pattern, or NULL. */
static const char *to_char_pattern(char spec)
{
	switch (spec) {
	case 'Y': return "YYYY";
	case 'm': return "MM";
	case 'd': return "DD";
	case 'H': return "HH24";
	case 'M': return "MI";
	case 'S': return "SS";
	case 'f': return "SS.MS";
	case 'j': return "DDD";
	/* %F %T %R %u %G %V %e %k %l %I %p %U %W...: newer SQLite only, or
	   no exact to_char twin; %J is a float */
	default: return NULL;
	}
}

/* Its width in characters, for varchar(n). */
static size_t pattern_width(char spec)
{
	switch (spec) {
	case 'Y': return 4;
	case 'f': return 6;
	case 'j': return 3;
	case 'w': return 1;
	case 's': return 20;
	default: return 2;
	}
}

/* strftime(format, 'now') as text: to_char pieces joined with ||. */
static int strftime_text(const char *format, const struct ark_pgtype_spec *type,
			 struct ark_buf *out, const char **reason)
{
	struct ark_buf pattern = ARK_BUF_INIT;
	size_t width = 0, pieces = 0, mark = out->len;
	const char *p;
	int rc = -1, in_quote = 0, previous_pattern = 0;

	if (!ark_sqlexpr_utf8_chars(format, strlen(format), NULL)) {
		*reason = "the format is not valid UTF-8";
		goto cleanup;
	}
	ark_buf_append_char(out, '(');
	for (p = format;; p++) {
		const char *pat = NULL;
		int flush = *p == '\0' ||
			    (*p == '%' && (p[1] == 'w' || p[1] == 's'));

		if (flush && pattern.len > 0) {
			if (in_quote)
				ark_buf_append_char(&pattern, '"');
			in_quote = 0;
			if (pieces++ > 0)
				ark_buf_append_str(out, " || ");
			ark_buf_append_str(out, "to_char(" NOW_UTC ", ");
			ark_sqlexpr_append_literal(out, pattern.data);
			ark_buf_append_char(out, ')');
			ark_buf_reset(&pattern);
			previous_pattern = 0;
		}
		if (*p == '\0')
			break;
		if (*p != '%' || p[1] == '%') {
			if (strchr(" -:/,.", *p) && *p != '%') {
				if (in_quote)
					ark_buf_append_char(&pattern, '"');
				in_quote = 0;
				ark_buf_append_char(&pattern, *p);
				width++;
				previous_pattern = 0;
				continue;
			}
			if (*p == '"' || *p == '\\') {
				*reason = "a quote or backslash in the format "
					  "is not translated";
				goto cleanup;
			}
			if (!in_quote)
				ark_buf_append_char(&pattern, '"');
			in_quote = 1;
			ark_buf_append_char(&pattern, *p);
			if ((*p & 0xc0) != 0x80)
				width++;
			if (*p == '%')
				p++;
			previous_pattern = 0;
			continue;
		}
		p++;
		width += pattern_width(*p);
		if (*p == 'w' || *p == 's') {
			if (pieces++ > 0)
				ark_buf_append_str(out, " || ");
			ark_buf_append_str(out,
					   *p == 'w'
						   ? "extract(dow FROM " NOW_UTC
						     ")::integer::text"
						   : "floor(extract(epoch FROM "
						     "now()))::bigint::text");
			continue;
		}
		pat = to_char_pattern(*p);
		if (!pat) {
			*reason = "a strftime specifier that is not translated";
			goto cleanup;
		}
		if (in_quote)
			ark_buf_append_char(&pattern, '"');
		else if (previous_pattern)
			ark_buf_append_str(&pattern, "\"\"");
		in_quote = 0;
		ark_buf_append_str(&pattern, pat);
		previous_pattern = 1;
	}
	if (pieces == 0)
		ark_sqlexpr_append_literal(out, "");
	ark_buf_append_char(out, ')');
	if (!fits_length(type, width)) {
		*reason = "longer than the varchar's length";
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc != 0)
		ark_buf_truncate(out, mark);
	ark_buf_free(&pattern);
	return rc;
}

/* A date function of 'now' as the default of type. */
static int default_now(const char *format, int integer_result,
		       const struct ark_pgtype_spec *type, struct ark_buf *out,
		       const char **reason)
{
	static const struct {
		const char *format;
		const char *unit;
	} stamps[] = {
		{"%Y-%m-%d %H:%M:%S", "second"},
		{"%Y-%m-%dT%H:%M:%S", "second"},
		{"%Y-%m-%d %H:%M:%f", "milliseconds"},
		{"%Y-%m-%dT%H:%M:%f", "milliseconds"},
		{"%Y-%m-%d %H:%M", "minute"},
		{"%Y-%m-%dT%H:%M", "minute"},
		{"%Y-%m-%d", "day"},
	};
	size_t i, n = strlen(format);
	int zoned = n > 0 && format[n - 1] == 'Z';

	if (integer_result || strcmp(format, "%s") == 0) {
		if (is_integer_type(type) && type->type == ARK_PGTYPE_INT8) {
			ark_buf_append_str(out, "floor(extract(epoch FROM "
						"now()))::bigint");
			return 0;
		}
		if (type->type == ARK_PGTYPE_NUMERIC && type->precision < 0) {
			ark_buf_append_str(out, "floor(extract(epoch FROM "
						"now()))");
			return 0;
		}
		if (type->type == ARK_PGTYPE_FLOAT8) {
			ark_buf_append_str(out, "floor(extract(epoch FROM "
						"now()))::double precision");
			return 0;
		}
		if (integer_result && !is_text_type(type)) {
			*reason = "unixepoch() into this type is not "
				  "translated";
			return -1;
		}
		if (integer_result) {
			if (!fits_length(type, 20)) {
				*reason = "longer than the varchar's length";
				return -1;
			}
			ark_buf_append_str(out, "(floor(extract(epoch FROM "
						"now()))::bigint::text)");
			return 0;
		}
	}
	if (is_text_type(type))
		return strftime_text(format, type, out, reason);
	if (type->type == ARK_PGTYPE_DATE) {
		if (strcmp(format, "%Y-%m-%d") == 0) {
			ark_buf_append_str(out, "(" NOW_UTC ")::date");
			return 0;
		}
		*reason = "only the date of 'now' is translated for a date";
		return -1;
	}
	if (type->type == ARK_PGTYPE_TIMESTAMP ||
	    type->type == ARK_PGTYPE_TIMESTAMPTZ) {
		char plain[64];

		if (zoned && type->type == ARK_PGTYPE_TIMESTAMP) {
			*reason = "a zoned format for a timestamp without "
				  "time zone";
			return -1;
		}
		if (n >= sizeof plain) {
			*reason = "this format is not translated";
			return -1;
		}
		memcpy(plain, format, n + 1);
		if (zoned)
			plain[n - 1] = '\0';
		for (i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
			if (strcmp(plain, stamps[i].format) != 0)
				continue;
			if (type->type == ARK_PGTYPE_TIMESTAMP)
				ark_buf_appendf(out,
						"date_trunc('%s', " NOW_UTC ")",
						stamps[i].unit);
			else
				ark_buf_appendf(out,
						"(date_trunc('%s', " NOW_UTC
						") AT TIME ZONE 'UTC')",
						stamps[i].unit);
			return 0;
		}
		*reason = "this format is not translated for a timestamp";
		return -1;
	}
	*reason = "a date function of 'now' into this type is not translated";
	return -1;
}

int ark_sqlexpr_default(const char *sql, const struct ark_pgtype_spec *type,
			struct ark_buf *out, const char **reason)
{
	struct lexer lx;
	size_t first, last, count;
	const struct token *t;
	int rc = -1;

	if (lex(&lx, sql) != 0) {
		*reason = lx.reason;
		return -1;
	}
	first = 0;
	last = lx.ntokens - 1; /* the END token */
	while (last - first >= 2 && is_op(&lx.tokens[first], "(") &&
	       is_op(&lx.tokens[last - 1], ")")) {
		first++;
		last--;
	}
	count = last - first;
	t = &lx.tokens[first];
	*reason = "this expression is not translated";
	if (count == 1 && is_word(t, "NULL")) {
		ark_buf_append_str(out, "NULL");
		rc = 0;
	} else if (count == 1 && t->kind == TOK_NUMBER) {
		rc = default_number(t->text, type, out, reason);
	} else if (count == 2 && (is_op(t, "-") || is_op(t, "+")) &&
		   t[1].kind == TOK_NUMBER) {
		struct ark_buf signed_text = ARK_BUF_INIT;

		ark_buf_append_str(&signed_text, t->text);
		ark_buf_append_str(&signed_text, t[1].text);
		if (ark_buf_failed(&signed_text))
			*reason = "out of memory";
		else
			rc = default_number(signed_text.data, type, out,
					    reason);
		ark_buf_free(&signed_text);
	} else if (count == 1 && t->kind == TOK_STRING) {
		rc = default_string(t->text, type, out, reason);
	} else if (count == 1 && (is_word(t, "TRUE") || is_word(t, "FALSE"))) {
		rc = default_number(is_word(t, "TRUE") ? "1" : "0", type, out,
				    reason);
	} else if (count == 1 && t->kind == TOK_BLOB) {
		size_t i, n = strlen(t->text);
		int hex_ok = n % 2 == 0;

		for (i = 0; i < n; i++)
			if (!((t->text[i] >= '0' && t->text[i] <= '9') ||
			      (t->text[i] >= 'a' && t->text[i] <= 'f') ||
			      (t->text[i] >= 'A' && t->text[i] <= 'F')))
				hex_ok = 0;
		if (type->type != ARK_PGTYPE_BYTEA || !hex_ok) {
			*reason = "a blob literal is carried only into bytea";
		} else {
			ark_buf_append_str(out, "'\\x");
			for (i = 0; i < n; i++)
				ark_buf_append_char(
					out, (char)(t->text[i] >= 'A' &&
							    t->text[i] <= 'F'
						    ? t->text[i] + 32
						    : t->text[i]));
			ark_buf_append_str(out, "'::bytea");
			rc = 0;
		}
	} else if (count == 1 && (is_word(t, "CURRENT_TIMESTAMP") ||
				  is_word(t, "CURRENT_DATE") ||
				  is_word(t, "CURRENT_TIME"))) {
		rc = default_now(is_word(t, "CURRENT_TIMESTAMP")
					 ? "%Y-%m-%d %H:%M:%S"
				 : is_word(t, "CURRENT_DATE") ? "%Y-%m-%d"
							      : "%H:%M:%S",
				 0, type, out, reason);
	} else if (count >= 3 && t->kind == TOK_WORD && is_op(&t[1], "(") &&
		   is_op(&lx.tokens[last - 1], ")")) {
		/* name ( 'string' [, 'string'] ) with no modifiers */
		const char *args[4] = {NULL, NULL, NULL, NULL};
		size_t nargs = 0, i = first + 2;
		int shape_ok = 1;

		while (i < last - 1) {
			if (lx.tokens[i].kind != TOK_STRING || nargs == 4) {
				shape_ok = 0;
				break;
			}
			args[nargs++] = lx.tokens[i].text;
			i++;
			if (i < last - 1) {
				if (!is_op(&lx.tokens[i], ",")) {
					shape_ok = 0;
					break;
				}
				i++;
				if (i == last - 1)
					shape_ok = 0;
			}
		}
		if (!shape_ok) {
			*reason = "a function with arguments other than "
				  "'now' is not translated";
		} else if (strcasecmp(t->text, "strftime") == 0) {
			if (nargs == 2 && strcasecmp(args[1], "now") == 0)
				rc = default_now(args[0], 0, type, out,
						 reason);
			else
				*reason = "strftime of a time other than "
					  "'now', or with modifiers, is not "
					  "translated";
		} else if (strcasecmp(t->text, "datetime") == 0 ||
			   strcasecmp(t->text, "date") == 0 ||
			   strcasecmp(t->text, "time") == 0 ||
			   strcasecmp(t->text, "unixepoch") == 0) {
			if ((nargs == 1 && strcasecmp(args[0], "now") == 0) ||
			    (nargs == 0 &&
			     strcasecmp(t->text, "unixepoch") == 0)) {
				const char *f =
					strcasecmp(t->text, "datetime") == 0
						? "%Y-%m-%d %H:%M:%S"
					: strcasecmp(t->text, "date") == 0
						? "%Y-%m-%d"
					: strcasecmp(t->text, "time") == 0
						? "%H:%M:%S"
						: "%s";
				rc = default_now(
					f,
					strcasecmp(t->text, "unixepoch") == 0,
					type, out, reason);
			} else {
				*reason = "a date function of a time other "
					  "than 'now', or with modifiers, is "
					  "not translated";
			}
		} else {
			*reason = "this function is not translated";
		}
	}
	lexer_free(&lx);
	return rc;
}

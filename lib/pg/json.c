/*
 * json.c - a strict JSON reader that prints jsonb's canonical text
 * (pgtext_internal.h, docs/digest.md "jsonb").
 *
 * PostgreSQL's jsonb output: objects with their keys ordered by length,
 * then bytes (a duplicated key keeps only its last value: ark refuses
 * it), ": " and ", " separators, strings re-escaped (\" \\ \b \f \n \r
 * \t, other controls \u00xx, everything else as UTF-8), numbers as
 * numeric prints them (no exponent, scale from the digits written: 1e2
 * -> 100, 1.50 -> 1.50, 1.5e-1 -> 0.15, -0 -> 0).  The reader is the RFC
 * 8259 grammar PostgreSQL's own lexer accepts, recursive, with nesting
 * bounded by ARK_JSON_MAX_DEPTH.
 *
 * The canonical text is built in one buffer: an object writes each
 * member's decoded key and canonical value there, then sorts the member
 * records and rewrites its own region in order, so memory is a small
 * multiple of the value's size, whatever its shape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pgtext_internal.h"

#define R_INVALID "invalid JSON"
#define R_DEPTH "JSON nested deeper than 1000 levels"
#define R_NUL_ESCAPE "\\u0000 in JSON (jsonb cannot hold it)"
#define R_DUPLICATE "a duplicate key in a JSON object (jsonb would keep only the last)"
#define R_NUMBER_RANGE "a JSON number out of numeric's range"
#define R_SURROGATE "an unpaired UTF-16 surrogate escape in JSON"

struct parser {
	const unsigned char *text;
	size_t len;
	size_t pos;
	int jsonb;
	int emit;                /* build the canonical text, not just check */
	int duplicates;
	struct ark_buf *out;     /* canonical text */
	struct ark_buf scratch;  /* a decoded string or a number's digits */
	struct ark_json_failure *failure;
};

struct member {
	size_t key_offset, key_len;     /* decoded key, in out */
	size_t value_offset, value_len; /* canonical value, in out */
};

static int fail(struct parser *p, const char *reason, size_t at)
{
	p->failure->reason = reason;
	p->failure->offset = (int64_t)at;
	return -1;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len &&
	       (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
		p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
		p->pos++;
}

static int hex4(struct parser *p, unsigned *value)
{
	unsigned v = 0;
	size_t i;

	if (p->len - p->pos < 4)
		return fail(p, R_INVALID, p->pos);
	for (i = 0; i < 4; i++) {
		unsigned char c = p->text[p->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, R_INVALID, p->pos + i);
	}
	p->pos += 4;
	*value = v;
	return 0;
}

static void put_utf8(struct ark_buf *buf, unsigned cp)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		ark_buf_append(buf, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		ark_buf_append(buf, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		ark_buf_append(buf, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		ark_buf_append(buf, b, 4);
	}
}

/* The string at pos (its opening quote), decoded, appended to into. */
static int parse_string(struct parser *p, struct ark_buf *into)
{
	size_t run;

	p->pos++; /* the quote */
	run = p->pos;
	for (;;) {
		unsigned char c;
		unsigned cp, low;
		size_t escape_at;

		if (p->pos >= p->len)
			return fail(p, R_INVALID, p->pos);
		c = p->text[p->pos];
		if (c == '"') {
			ark_buf_append(into, p->text + run, p->pos - run);
			p->pos++;
			return 0;
		}
		if (c < 0x20)
			return fail(p, R_INVALID, p->pos);
		if (c != '\\') {
			p->pos++;
			continue;
		}
		ark_buf_append(into, p->text + run, p->pos - run);
		escape_at = p->pos;
		p->pos++;
		if (p->pos >= p->len)
			return fail(p, R_INVALID, p->pos);
		c = p->text[p->pos++];
		switch (c) {
		case '"': ark_buf_append_char(into, '"'); break;
		case '\\': ark_buf_append_char(into, '\\'); break;
		case '/': ark_buf_append_char(into, '/'); break;
		case 'b': ark_buf_append_char(into, '\b'); break;
		case 'f': ark_buf_append_char(into, '\f'); break;
		case 'n': ark_buf_append_char(into, '\n'); break;
		case 'r': ark_buf_append_char(into, '\r'); break;
		case 't': ark_buf_append_char(into, '\t'); break;
		case 'u':
			if (hex4(p, &cp))
				return -1;
			/* json checks escapes for syntax only; jsonb
			 * decodes them and wants surrogates in pairs */
			if (cp >= 0xdc00 && cp <= 0xdfff && p->jsonb)
				return fail(p, R_SURROGATE, escape_at);
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    p->len - p->pos >= 6 &&
			    p->text[p->pos] == '\\' &&
			    p->text[p->pos + 1] == 'u') {
				size_t back = p->pos;

				p->pos += 2;
				if (hex4(p, &low))
					return -1;
				if (low >= 0xdc00 && low <= 0xdfff)
					cp = 0x10000 + ((cp & 0x3ff) << 10) +
					     (low & 0x3ff);
				else if (p->jsonb)
					return fail(p, R_SURROGATE,
						    escape_at);
				else
					p->pos = back;
			} else if (cp >= 0xd800 && cp <= 0xdbff && p->jsonb) {
				return fail(p, R_SURROGATE, escape_at);
			}
			if (cp == 0) {
				if (p->jsonb)
					return fail(p, R_NUL_ESCAPE,
						    escape_at);
				/* json keeps its text; the decoded key
				 * only serves the duplicate check */
			}
			put_utf8(into, cp);
			break;
		default:
			return fail(p, R_INVALID, escape_at);
		}
		run = p->pos;
	}
}

/* A decoded string as jsonb prints it (escape_json). */
static void put_json_string(struct ark_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	ark_buf_append_char(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *escape = NULL;
		char u[6];

		switch (c) {
		case '"': escape = "\\\""; break;
		case '\\': escape = "\\\\"; break;
		case '\b': escape = "\\b"; break;
		case '\f': escape = "\\f"; break;
		case '\n': escape = "\\n"; break;
		case '\r': escape = "\\r"; break;
		case '\t': escape = "\\t"; break;
		default:
			if (c >= 0x20)
				continue;
		}
		ark_buf_append(out, s + run, i - run);
		if (escape != NULL) {
			ark_buf_append_str(out, escape);
		} else {
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			ark_buf_append(out, u, 6);
		}
		run = i + 1;
	}
	ark_buf_append(out, s + run, len - run);
	ark_buf_append_char(out, '"');
}

static int digit_at(const struct parser *p, size_t i)
{
	return i < p->len && p->text[i] >= '0' && p->text[i] <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as numeric prints it. */
static int parse_number(struct parser *p)
{
	size_t start = p->pos, i = p->pos;
	size_t int_start, int_len, frac_start = 0, frac_len = 0;
	int negative = 0, exp_negative = 0;
	int64_t exponent = 0, point, dscale;
	const char *digits;
	size_t ndigits, k;

	if (p->text[i] == '-') {
		negative = 1;
		i++;
	}
	int_start = i;
	if (!digit_at(p, i))
		return fail(p, R_INVALID, i);
	if (p->text[i] == '0')
		i++;
	else
		while (digit_at(p, i))
			i++;
	int_len = i - int_start;
	if (i < p->len && p->text[i] == '.') {
		i++;
		frac_start = i;
		if (!digit_at(p, i))
			return fail(p, R_INVALID, i);
		while (digit_at(p, i))
			i++;
		frac_len = i - frac_start;
	}
	if (i < p->len && (p->text[i] == 'e' || p->text[i] == 'E')) {
		i++;
		if (i < p->len && (p->text[i] == '+' || p->text[i] == '-')) {
			exp_negative = p->text[i] == '-';
			i++;
		}
		if (!digit_at(p, i))
			return fail(p, R_INVALID, i);
		while (digit_at(p, i)) {
			if (exponent < 1000000000)
				exponent = exponent * 10 + (p->text[i] - '0');
			i++;
		}
		if (exp_negative)
			exponent = -exponent;
	}
	p->pos = i;
	/* numeric_in refuses exponents beyond INT_MAX/2 outright */
	if (exponent >= 1073741823 || exponent <= -1073741823)
		return fail(p, R_NUMBER_RANGE, start);
	ark_buf_reset(&p->scratch);
	ark_buf_append(&p->scratch, p->text + int_start, int_len);
	ark_buf_append(&p->scratch, p->text + frac_start, frac_len);
	if (ark_buf_failed(&p->scratch)) {
		p->out->failed = 1;
		return 0;
	}
	digits = p->scratch.data;
	ndigits = p->scratch.len;
	point = (int64_t)int_len + exponent;
	dscale = (int64_t)frac_len - exponent;
	if (dscale < 0)
		dscale = 0;
	for (k = 0; k < ndigits && digits[k] == '0'; k++)
		point--;
	if (p->jsonb && (dscale > 16383 || (k < ndigits && point > 131072)))
		return fail(p, R_NUMBER_RANGE, start);
	if (!p->jsonb || !p->emit) {
		/* json keeps the text: nothing to print, nothing to bound */
		return 0;
	}
	ark_pgtext_append_plain_decimal(p->out, negative, digits + k,
					ndigits - k, point, dscale);
	return 0;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
		return fail(p, R_INVALID, p->pos);
	p->pos += n;
	if (p->emit)
		ark_buf_append(p->out, word, n);
	return 0;
}

static int parse_value(struct parser *p, int depth);

static int compare_members(const void *a, const void *b, void *base)
{
	const struct member *x = a, *y = b;
	int c;

	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	c = memcmp((const char *)base + x->key_offset,
		   (const char *)base + y->key_offset, x->key_len);
	if (c != 0)
		return c;
	/* equal keys: keep their order of appearance */
	return x->value_offset < y->value_offset ? -1 : 1;
}

/* -1 (the failure set) when jsonb meets a repeated key among the sorted
 * members; json only notes it. */
static int duplicate_key(struct parser *p, const struct member *members,
			 size_t count, const char *base, size_t object_at)
{
	size_t i;

	for (i = 1; i < count; i++) {
		if (members[i].key_len == members[i - 1].key_len &&
		    memcmp(base + members[i].key_offset,
			   base + members[i - 1].key_offset,
			   members[i].key_len) == 0) {
			if (p->jsonb)
				return fail(p, R_DUPLICATE, object_at);
			p->duplicates = 1;
		}
	}
	return 0;
}

static int parse_object(struct parser *p, int depth)
{
	struct member *members = NULL, *grown;
	size_t count = 0, cap = 0, start = p->out->len, i;
	size_t object_at = p->pos;
	char *region = NULL;
	int rc = -1;

	p->pos++; /* { */
	skip_space(p);
	if (p->pos < p->len && p->text[p->pos] == '}') {
		p->pos++;
		if (p->emit)
			ark_buf_append_str(p->out, "{}");
		return 0;
	}
	for (;;) {
		struct member m;

		skip_space(p);
		if (p->pos >= p->len || p->text[p->pos] != '"') {
			fail(p, R_INVALID, p->pos);
			goto cleanup;
		}
		m.key_offset = p->out->len - start;
		if (parse_string(p, p->out))
			goto cleanup;
		m.key_len = p->out->len - start - m.key_offset;
		skip_space(p);
		if (p->pos >= p->len || p->text[p->pos] != ':') {
			fail(p, R_INVALID, p->pos);
			goto cleanup;
		}
		p->pos++;
		m.value_offset = p->out->len - start;
		if (parse_value(p, depth + 1))
			goto cleanup;
		m.value_len = p->out->len - start - m.value_offset;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(members, cap * sizeof(*members));
			if (grown == NULL) {
				p->out->failed = 1;
				rc = 0;
				goto cleanup;
			}
			members = grown;
		}
		members[count++] = m;
		skip_space(p);
		if (p->pos < p->len && p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->text[p->pos] == '}') {
			p->pos++;
			break;
		}
		fail(p, R_INVALID, p->pos);
		goto cleanup;
	}
	if (ark_buf_failed(p->out)) {
		rc = 0;
		goto cleanup;
	}
	if (!p->emit) {
		/* checking only: the keys alone are in out; sort them in
		 * place, then drop them */
		qsort_r(members, count, sizeof(*members), compare_members,
			p->out->data + start);
		if (duplicate_key(p, members, count, p->out->data + start,
				  object_at))
			goto cleanup;
		ark_buf_truncate(p->out, start);
		rc = 0;
		goto cleanup;
	}
	region = malloc(p->out->len - start + 1);
	if (region == NULL) {
		p->out->failed = 1;
		rc = 0;
		goto cleanup;
	}
	memcpy(region, p->out->data + start, p->out->len - start);
	qsort_r(members, count, sizeof(*members), compare_members, region);
	if (duplicate_key(p, members, count, region, object_at))
		goto cleanup;
	ark_buf_truncate(p->out, start);
	ark_buf_append_char(p->out, '{');
	for (i = 0; i < count; i++) {
		if (i > 0)
			ark_buf_append_str(p->out, ", ");
		put_json_string(p->out, region + members[i].key_offset,
				members[i].key_len);
		ark_buf_append_str(p->out, ": ");
		ark_buf_append(p->out, region + members[i].value_offset,
			       members[i].value_len);
	}
	ark_buf_append_char(p->out, '}');
	rc = 0;
cleanup:
	free(region);
	free(members);
	return rc;
}

static int parse_array(struct parser *p, int depth)
{
	int first = 1;

	p->pos++; /* [ */
	if (p->emit)
		ark_buf_append_char(p->out, '[');
	skip_space(p);
	if (p->pos < p->len && p->text[p->pos] == ']') {
		p->pos++;
		if (p->emit)
			ark_buf_append_char(p->out, ']');
		return 0;
	}
	for (;;) {
		if (!first && p->emit)
			ark_buf_append_str(p->out, ", ");
		first = 0;
		if (parse_value(p, depth + 1))
			return -1;
		skip_space(p);
		if (p->pos < p->len && p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->text[p->pos] == ']') {
			p->pos++;
			if (p->emit)
				ark_buf_append_char(p->out, ']');
			return 0;
		}
		return fail(p, R_INVALID, p->pos);
	}
}

static int parse_value(struct parser *p, int depth)
{
	skip_space(p);
	if (p->pos >= p->len)
		return fail(p, R_INVALID, p->pos);
	switch (p->text[p->pos]) {
	case '{':
	case '[':
		if (depth >= ARK_JSON_MAX_DEPTH)
			return fail(p, R_DEPTH, p->pos);
		return p->text[p->pos] == '{' ? parse_object(p, depth)
					      : parse_array(p, depth);
	case '"':
		ark_buf_reset(&p->scratch);
		if (parse_string(p, &p->scratch))
			return -1;
		if (ark_buf_failed(&p->scratch))
			p->out->failed = 1;
		else if (p->emit)
			put_json_string(p->out, p->scratch.data,
					p->scratch.len);
		return 0;
	case 't':
		return literal(p, "true");
	case 'f':
		return literal(p, "false");
	case 'n':
		return literal(p, "null");
	default:
		return parse_number(p);
	}
}

int ark_json_check(const unsigned char *text, size_t len, int jsonb,
		   struct ark_buf *canonical, int *duplicate_keys,
		   struct ark_json_failure *failure)
{
	struct ark_buf own = ARK_BUF_INIT;
	struct parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.text = text;
	p.len = len;
	p.jsonb = jsonb;
	p.emit = canonical != NULL;
	p.out = canonical != NULL ? canonical : &own;
	p.failure = failure;
	ark_buf_init(&p.scratch);
	failure->reason = NULL;
	failure->offset = -1;
	rc = parse_value(&p, 0);
	if (rc == 0) {
		skip_space(&p);
		if (p.pos != p.len)
			rc = fail(&p, R_INVALID, p.pos);
	}
	if (duplicate_keys != NULL)
		*duplicate_keys = p.duplicates;
	ark_buf_free(&p.scratch);
	ark_buf_free(&own);
	return rc;
}

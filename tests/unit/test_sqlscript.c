/*
 * test_sqlscript.c - SQL scripts cut into statements where PostgreSQL's
 * lexer ends them, classified for the parallel post-data of ark-restore,
 * and read for the schemas they create and --clean's drops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "pg/sqlscript_internal.h"

/* The statements of script as "<class>|<text>" lines, into out. */
static void describe(const char *text, char *out, size_t room)
{
	struct ark_sqlscript script;
	size_t used = 0;

	assert_int_equal(ark_sqlscript_split(text, strlen(text), &script), 0);
	out[0] = '\0';
	for (size_t i = 0; i < script.count; i++) {
		const struct ark_sqlscript_statement *st = &script.statements[i];
		const char *class = st->class == ARK_SQLSCRIPT_SESSION ? "S"
				    : st->class == ARK_SQLSCRIPT_PARALLEL ? "P"
									  : "O";
		int n = snprintf(out + used, room - used, "%s%zu|%.*s\n",
				 class, st->session_before, (int)st->len,
				 text + st->offset);

		assert_true(n > 0 && (size_t)n < room - used);
		used += (size_t)n;
	}
	ark_sqlscript_free(&script);
}

static void test_split_quotes_comments_parentheses(void **state)
{
	char out[4096];

	(void)state;
	describe("-- header; not a statement\n"
		 "SET a = 'x;y';\n"
		 "/* a; /* nested; */ comment */ SELECT 'it''s;', \"q;\"\"\", "
		 "E'\\';', $$;$$, $t$ $$; $t$, a$b;\n"
		 "CREATE RULE r AS ON INSERT TO t DO INSTEAD (SELECT 1; "
		 "SELECT 2);\n"
		 "\\restrict abc;def\n"
		 "SELECT $1;  \n"
		 "SELECT 'unterminated;",
		 out, sizeof(out));
	assert_string_equal(
		out,
		"S0|SET a = 'x;y';\n"
		"O1|SELECT 'it''s;', \"q;\"\"\", E'\\';', $$;$$, $t$ $$; $t$, "
		"a$b;\n"
		"O1|CREATE RULE r AS ON INSERT TO t DO INSTEAD (SELECT 1; "
		"SELECT 2);\n"
		"O1|SELECT $1;\n"
		"O1|SELECT 'unterminated;\n");
	describe("  \n-- only a comment\n/* and another */\n", out,
		 sizeof(out));
	assert_string_equal(out, "");
}

static void test_classes(void **state)
{
	char out[4096];

	(void)state;
	describe("SET statement_timeout = 0;\n"
		 "SELECT pg_catalog.set_config('search_path', '', false);\n"
		 "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
		 "CREATE INDEX i ON public.t USING btree (a);\n"
		 "create unique index \"I\" on t (lower(b)) where c;\n"
		 "CREATE INDEX CONCURRENTLY j ON t (a);\n"
		 "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY "
		 "(id);\n"
		 "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"u\"\"x\" UNIQUE "
		 "(a, b);\n"
		 "ALTER TABLE t ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT "
		 "(a);\n"
		 "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n"
		 "ALTER TABLE t ADD CONSTRAINT k PRIMARY KEY USING INDEX i;\n"
		 "ALTER TABLE ONLY t ADD CONSTRAINT f FOREIGN KEY (a) "
		 "REFERENCES p(id);\n"
		 "ALTER INDEX p_idx ATTACH PARTITION c_idx;\n"
		 "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE "
		 "FUNCTION f();\n",
		 out, sizeof(out));
	assert_string_equal(
		out,
		"S0|SET statement_timeout = 0;\n"
		"S1|SELECT pg_catalog.set_config('search_path', '', false);\n"
		"O2|SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n"
		"P2|CREATE INDEX i ON public.t USING btree (a);\n"
		"P2|create unique index \"I\" on t (lower(b)) where c;\n"
		"O2|CREATE INDEX CONCURRENTLY j ON t (a);\n"
		"P2|ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY "
		"KEY (id);\n"
		"P2|ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"u\"\"x\" UNIQUE "
		"(a, b);\n"
		"P2|ALTER TABLE t ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT "
		"(a);\n"
		"P2|ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n"
		"O2|ALTER TABLE t ADD CONSTRAINT k PRIMARY KEY USING INDEX i;\n"
		"O2|ALTER TABLE ONLY t ADD CONSTRAINT f FOREIGN KEY (a) "
		"REFERENCES p(id);\n"
		"O2|ALTER INDEX p_idx ATTACH PARTITION c_idx;\n"
		"O2|CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE "
		"FUNCTION f();\n");
}

static const char pre_data[] =
	"CREATE SCHEMA app;\n"
	"CREATE SCHEMA \"We\"\"ird\nOne\";\n"
	"create schema if not exists Other authorization bob;\n"
	"CREATE SCHEMA AUTHORIZATION carol;\n"
	"CREATE TYPE public.mood AS ENUM ('a');\n"
	"CREATE FUNCTION public.f(a integer DEFAULT 1) RETURNS integer "
	"LANGUAGE sql AS $$SELECT 1; CREATE TABLE x ()$$;\n"
	"CREATE TABLE public.t (a integer);\n"
	"CREATE TABLE app.inside (a integer);\n"
	"CREATE UNLOGGED TABLE \"x\"\"y\".\"T\" (a integer);\n"
	"CREATE OR REPLACE VIEW public.v AS SELECT 1;\n"
	"CREATE MATERIALIZED VIEW public.mv AS SELECT 1;\n"
	"CREATE SEQUENCE public.s;\n"
	"CREATE DOMAIN public.d AS integer;\n"
	"CREATE EXTENSION IF NOT EXISTS pgcrypto;\n"
	"ALTER TABLE public.t OWNER TO bob;\n";

static void test_created_schemas_and_drops(void **state)
{
	struct ark_sqlscript script;
	struct ark_buf names = ARK_BUF_INIT, drops = ARK_BUF_INIT;

	(void)state;
	assert_int_equal(ark_sqlscript_split(pre_data, strlen(pre_data),
					     &script), 0);
	assert_int_equal(ark_sqlscript_created_schemas(&script, &names), 3);
	assert_int_equal(names.len, sizeof("app\0We\"ird\nOne\0other"));
	assert_memory_equal(names.data, "app\0We\"ird\nOne\0other\0",
			    names.len);
	assert_int_equal(ark_sqlscript_drops(&script, &drops), 11);
	assert_string_equal(drops.data,
			    "DROP DOMAIN IF EXISTS public.d CASCADE;\n"
			    "DROP SEQUENCE IF EXISTS public.s CASCADE;\n"
			    "DROP MATERIALIZED VIEW IF EXISTS public.mv "
			    "CASCADE;\n"
			    "DROP VIEW IF EXISTS public.v CASCADE;\n"
			    "DROP TABLE IF EXISTS \"x\"\"y\".\"T\" CASCADE;\n"
			    "DROP TABLE IF EXISTS public.t CASCADE;\n"
			    "DROP FUNCTION IF EXISTS public.f CASCADE;\n"
			    "DROP TYPE IF EXISTS public.mood CASCADE;\n"
			    "DROP SCHEMA IF EXISTS Other CASCADE;\n"
			    "DROP SCHEMA IF EXISTS \"We\"\"ird\nOne\" "
			    "CASCADE;\n"
			    "DROP SCHEMA IF EXISTS app CASCADE;\n");
	ark_buf_free(&names);
	ark_buf_free(&drops);
	ark_sqlscript_free(&script);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_quotes_comments_parentheses),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_created_schemas_and_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

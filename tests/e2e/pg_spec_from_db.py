#!/usr/bin/env python3
"""pg_spec_from_db.py SPEC.json - the spec of a pg archive (arkfmt.py
pg-build, tests/helpers/pgarchive_spec) of the database PGDATABASE names,
made with PostgreSQL's own tools, the way ark-pg-backup does it: pre-data
and post-data from pg_dump --section, each table's rows as
COPY (SELECT columns) TO STDOUT under ark's session settings
(docs/digest.md), its columns' types as format_type() prints them."""

import json
import os
import subprocess
import sys

ARK_SETTINGS = ("-c client_encoding=UTF8 -c DateStyle=ISO "
                "-c IntervalStyle=postgres -c TimeZone=UTC "
                "-c extra_float_digits=3 -c bytea_output=hex")


def psql(sql, env):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                           "-c", sql], stdout=subprocess.PIPE, check=True,
                          env=env).stdout


def q(name):
    return '"' + name.replace('"', '""') + '"'


def main():
    env = dict(os.environ, PGOPTIONS=ARK_SETTINGS)
    dump = lambda section: subprocess.run(
        ["pg_dump", "--section=" + section], stdout=subprocess.PIPE,
        check=True, env=env).stdout.decode()
    listing = psql(
        "COPY (SELECT json_build_object('schema', n.nspname, 'name', "
        "c.relname, 'columns', (SELECT coalesce(json_agg(json_build_object("
        "'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) "
        "ORDER BY a.attnum), '[]') FROM pg_attribute a WHERE a.attrelid = "
        "c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated "
        "= '')) FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN "
        "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE "
        "'pg_toast%' ORDER BY n.nspname, c.relname) TO STDOUT", env)
    tables = []
    for line in listing.decode().splitlines():
        # COPY text escapes backslashes: json's own escapes doubled
        table = json.loads(line.replace("\\\\", "\\"))
        cols = ", ".join(q(c["name"]) for c in table["columns"])
        copy = psql("COPY (SELECT %s FROM %s.%s) TO STDOUT" % (
            cols, q(table["schema"]), q(table["name"])), env)
        table["copy"] = copy.decode("utf-8", "surrogateescape")
        tables.append(table)
    spec = {"created_unix": 1764460800,
            "source": {"type": "postgresql", "server_version": 150000,
                       "database": os.environ["PGDATABASE"]},
            "pre": dump("pre-data"), "post": dump("post-data"),
            "tables": tables}
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=True)


main()

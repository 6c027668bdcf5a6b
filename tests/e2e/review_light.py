#!/usr/bin/env python3
"""review_light.py - helpers of review_light.bats (ark-transfer's light
profile, lib/pg/profile.c ark_profile_scan_table_light).

  make DB        a SQLite database whose column types the values decide
                 (no declared type, STRICT ANY, BOOL/BOOLEAN, DATETIME/
                 TIMESTAMP, UUID) beside ones they do not, every value
                 transferable under --date-numbers=unixepoch; identities
                 after max(id), AUTOINCREMENT above and below it, negative
                 ids, empty and WITHOUT ROWID tables, columns named rowid,
                 oid and _rowid_.
  types PLAN     the column types of --plan --json's plan (file PLAN)
                 against the server's (format_type of the tables the
                 transfer made in $PGDATABASE): prints each difference.
  identity DB    for each rowid table of DB with an INTEGER PRIMARY KEY,
                 the identity's next value in $PGDATABASE against
                 max(max(id), sqlite_sequence, 0) + 1: prints each
                 difference.
"""
import json, re, sqlite3, subprocess, sys

# (declared type, values): each column of its own table t_<n>, rows 1..
COLUMNS = [
    ("", ["1", "2", "NULL"]),                          # bigint
    ("", ["1", "2.5"]),                                # double precision
    ("", ["9007199254740993", "0.5"]),                 # numeric
    ("", ["1", "'x'"]),                                # text
    ("", ["x'00'", "'x'", "3"]),                       # bytea
    ("", ["NULL", "NULL"]),                            # text
    ("BOOL", ["0", "1", "'true'", "'F'", "NULL"]),     # boolean
    ("boolean", ["0", "2"]),                           # bigint
    ("BOOLEAN", ["'t'", "'false'"]),                   # boolean
    ("DATETIME", ["'2024-01-02 03:04:05'", "'2024-01-02T03:04'", "1700000000"]),
    ("DATETIME", ["'2024-01-02 03:04:05Z'", "'2024-01-02T03:04:05+02:00'", "1700000000"]),
    ("TIMESTAMP WITHOUT TIME ZONE", ["'2024-01-02'", "'2024-01-02 03:04:05.5'"]),
    ("timestamp", ["'2024-01-02 03:04:05-05:30'"]),
    ("timestamp with time zone", ["'2024-01-02 03:04:05Z'"]),
    ("DATE", ["'2024-01-02'", "1704153600"]),       # 2024-01-02 by unixepoch
    ("UUID", ["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "'a0eebc999c0b4ef8bb6d6bb9bd380a12'"]),
    ("uuid", ["1", "2"]),                              # bigint
    ("UUID", ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'nope'"]),  # text
    ("UUID", ["x'01'"]),                               # bytea
    ("JSON", ["'{\"b\":1,\"a\":[1,2]}'", "'7'"]),
    ("VARCHAR(3)", ["'abc'", "12"]),
    ("NUMERIC(5,2)", ["1.25", "3"]),
    ("INT", ["-4", "5"]),
    ("REAL", ["1.5", "2"]),
    ("BLOB", ["x'ff'", "'t'"]),
    ("TEXT", ["'t'", "5", "2.5"]),
]


def make(path):
    con = sqlite3.connect(path)
    sql = []
    # COLUMNS spread over three tables (few tables: a quick transfer),
    # column v<n> holding its values in rows 10, 20... (NULL below them)
    for table in range(3):
        mine = [n for n in range(len(COLUMNS)) if n % 3 == table]
        defs = ["v%d %s" % (n, COLUMNS[n][0]) for n in mine]
        defs += ["g%d %s GENERATED ALWAYS AS (v%d) VIRTUAL" % (n, COLUMNS[n][0], n)
                 for n in mine if n % 4 == 1]
        sql.append("CREATE TABLE c_%d (id INTEGER PRIMARY KEY, %s)" % (table, ", ".join(defs)))
        for i in range(max(len(COLUMNS[n][1]) for n in mine)):
            values = [COLUMNS[n][1][i] if i < len(COLUMNS[n][1]) else "NULL" for n in mine]
            sql.append("INSERT INTO c_%d (id, %s) VALUES (%d, %s)"
                       % (table, ", ".join("v%d" % n for n in mine), 10 * (i + 1), ", ".join(values)))
    sql += [
        "CREATE TABLE s (id INTEGER PRIMARY KEY, a ANY, b ANY, c INT) STRICT",
        "INSERT INTO s VALUES (1, 1, 'x', 3), (2, 2.5, x'00', NULL)",
        # identities
        "CREATE TABLE neg (id INTEGER PRIMARY KEY, v)",
        "INSERT INTO neg VALUES (-7, 1), (-3, 2)",
        "CREATE TABLE empty (id INTEGER PRIMARY KEY, v BOOLEAN)",
        "CREATE TABLE ai_high (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
        "INSERT INTO ai_high VALUES (5, 'a')",
        "UPDATE sqlite_sequence SET seq = 900 WHERE name = 'ai_high'",
        "CREATE TABLE ai_low (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
        "INSERT INTO ai_low VALUES (40, 'a')",
        "UPDATE sqlite_sequence SET seq = 3 WHERE name = 'ai_low'",
        "CREATE TABLE ai_deleted (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
        "INSERT INTO ai_deleted VALUES (60, 'a'), (61, 'b')",
        "DELETE FROM ai_deleted WHERE id = 61",
        'CREATE TABLE named ("oid" INTEGER, "_rowid_" TEXT, "rowid" INTEGER, '
        'key INTEGER PRIMARY KEY, flag BOOLEAN)',
        "INSERT INTO named VALUES (1000, 'x', 2000, 12, 1), (3000, 'y', 4000, 77, 0)",
        'CREATE TABLE "Hostile ""q""\nname" (id INTEGER PRIMARY KEY, "we""ird\tcol" DATETIME)',
        'INSERT INTO "Hostile ""q""\nname" VALUES (123, \'2024-01-02 03:04:05\')',
        "CREATE TABLE wr (k TEXT PRIMARY KEY, v, w BOOLEAN) WITHOUT ROWID",
        "INSERT INTO wr VALUES ('a', 1, 1), ('b', 2.5, 'true')",
        "CREATE TABLE big (id INTEGER PRIMARY KEY, v INT)",
        "INSERT INTO big VALUES (9223372036854775806, 1)",
    ]
    con.executescript(";\n".join(sql) + ";")
    con.commit()
    con.close()


def psql(sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-F", "\x1f", "-R", "\x1e", "-c", sql],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return [r.split("\x1f") for r in out.rstrip("\n").split("\x1e") if r]


SYNONYMS = {
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
}


def unescape(name):
    """A name as the plan prints it (ark_text_escape: \\n, \\t, \\\\)."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), name)


def types(plan_path):
    plan = json.load(open(plan_path))["plan"]
    planned = {}
    table = None
    for line in plan.split("\n"):
        m = re.match(r'table ".*" -> "(.*)"$', line)
        if m:
            table = unescape(m.group(1))
            continue
        m = re.match(r'  column .* -> "(.*)" (.*?)( identity)?( not null)?$', line)
        if m:
            planned[(table, unescape(m.group(1)))] = m.group(2)
    actual = {}
    for t, c, ty in psql("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                         "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 "
                         "AND NOT a.attisdropped"):
        ty = SYNONYMS.get(ty, ty).replace("character varying", "varchar")
        actual[(t, c)] = ty
    bad = 0
    for key in sorted(set(planned) | set(actual)):
        if planned.get(key) != actual.get(key):
            print("%r: --plan %r, transferred %r" % (key, planned.get(key), actual.get(key)))
            bad += 1
    print("%d columns compared" % len(actual))
    return 1 if bad or not actual else 0


def identity(path):
    con = sqlite3.connect(path)
    seqs = dict(con.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    bad = checked = 0
    queries = []
    for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite%'").fetchall():
        cols = con.execute("SELECT name, type, pk FROM pragma_table_info(?)", (name,)).fetchall()
        pks = [c for c in cols if c[2] > 0]
        wr = con.execute("SELECT wr FROM pragma_table_list WHERE name = ?", (name,)).fetchone()[0]
        if wr or len(pks) != 1 or pks[0][1].upper() != "INTEGER":
            continue
        top = con.execute('SELECT max("%s") FROM "%s"' % (pks[0][0].replace('"', '""'),
                                                          name.replace('"', '""'))).fetchone()[0]
        expected = max(top or 0, seqs.get(name, 0), 0) + 1
        target = name.lower() if re.match(r"^[\x00-\x7f]*$", name) else name
        lit = lambda s: "'" + s.replace("'", "''") + "'"
        queries.append((name, expected, "SELECT nextval(pg_get_serial_sequence(%s, %s))"
                        % (lit('public.' + '"' + target.replace('"', '""') + '"'),
                           lit(pks[0][0].lower()))))
    got = psql(" UNION ALL ".join("(%s)" % q for _, _, q in queries))
    for (name, expected, _), (value,) in zip(queries, got):
        checked += 1
        if value != str(expected):
            print("%r: identity next %s, expected %d" % (name, value, expected))
            bad += 1
    print("%d identities checked" % checked)
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "types":
        sys.exit(types(sys.argv[2]))
    elif sys.argv[1] == "identity":
        sys.exit(identity(sys.argv[2]))

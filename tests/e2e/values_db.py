#!/usr/bin/env python3
"""values_db.py KIND OUT.sqlite - the test databases of transfer_values.bats.

KIND "good": every case ark-transfer must carry exactly (reserved-word,
unicode and >63-byte names, int64 extremes, -0.0 and +-Inf, empty string
vs NULL, BLOBs of 0 bytes and 5 MB, WITHOUT ROWID with a composite key, a
table without a key holding duplicate rows, AUTOINCREMENT with a deleted
tail, generated columns, several date-time formats, JSON, a partial and
an expression index, COLLATE NOCASE, a view, a trigger).
KIND "bad": the values and rows it must refuse (an impossible date, a
number in a DATE column, JSON with a duplicate key and invalid JSON, NULL
under a TEXT primary key, an orphan foreign key, NUL in text, invalid
UTF-8, text in an INTEGER column).
Built with Python's sqlite3 module, so BLOBs, NULs and invalid UTF-8 go in
as bytes, not through SQL text.
"""
import sqlite3, sys

kind, path = sys.argv[1], sys.argv[2]
db = sqlite3.connect(path)
if kind == "bad":
    db.executescript("""
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id));
CREATE TABLE d (id INTEGER PRIMARY KEY, day DATE, j JSON, t TEXT, n INTEGER);
CREATE TABLE k (code TEXT PRIMARY KEY, v TEXT);
""")
    db.execute("INSERT INTO parent VALUES (1)")
    db.execute("INSERT INTO child VALUES (1, 1), (2, 99)")
    db.execute("INSERT INTO d VALUES (1, '2023-02-30', '{\"a\":1,\"a\":2}', 'fine', 1)")
    db.execute("INSERT INTO d VALUES (2, 1700000000, 'not json', CAST(? AS TEXT), 'seven')", (b"a\x00b",))
    db.execute("INSERT INTO d VALUES (3, '2024-01-01', '[]', CAST(? AS TEXT), 3)", (b"caf\xe9",))
    db.execute("INSERT INTO k VALUES ('a', 'x'), (NULL, 'y'), (NULL, 'z')")
    db.commit()
    sys.exit(0)
db.executescript('''
CREATE TABLE "order" ("select" INTEGER PRIMARY KEY, "Grüße" TEXT, "from" REAL);
CREATE TABLE "Spaced Name" (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL DEFAULT '');
CREATE TABLE nums (id INTEGER PRIMARY KEY, i INTEGER, r REAL, n NUMERIC(20,4), b BOOLEAN);
CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE kv (a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE nokey (x INTEGER, y TEXT);
CREATE TABLE dates (id INTEGER PRIMARY KEY, d DATE, ts DATETIME, tz TIMESTAMP);
CREATE TABLE docs (id INTEGER PRIMARY KEY, j JSON);
CREATE TABLE loose (id INTEGER PRIMARY KEY, v);
CREATE TABLE gen (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) STORED, c INTEGER GENERATED ALWAYS AS (a + 1) VIRTUAL);
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE, active INTEGER);
CREATE INDEX people_active ON people (email) WHERE active = 1;
CREATE INDEX people_lower ON people (lower(email));
CREATE VIEW v_people AS SELECT id, email FROM people;
CREATE TRIGGER tr_people AFTER INSERT ON people BEGIN SELECT 1; END;
''')
long1 = 'c' * 70 + '_one'
long2 = 'c' * 70 + '_two'
db.execute(f'CREATE TABLE collide (id INTEGER PRIMARY KEY, "{long1}" INTEGER, "{long2}" INTEGER)')
db.execute('INSERT INTO "order" VALUES (1, ?, -0.0)', ('ß ü 中文 🎉',))
db.execute('INSERT INTO "order" VALUES (2, ?, ?)', ('', float('inf')))
db.execute('INSERT INTO "order" VALUES (3, NULL, ?)', (float('-inf'),))
db.execute('INSERT INTO "Spaced Name" (v) VALUES (?)', ('a',))
for k in range(5): db.execute('INSERT INTO "Spaced Name" (v) VALUES (?)', (str(k),))
db.execute('DELETE FROM "Spaced Name" WHERE id > 3')
db.execute('INSERT INTO nums VALUES (1, 9223372036854775807, 1.5, 12.3456, 1)')
db.execute('INSERT INTO nums VALUES (2, -9223372036854775808, 0.1, -0.0001, 0)')
db.execute('INSERT INTO nums VALUES (3, 0, 1e300, 99999999, NULL)')
db.execute('INSERT INTO blobs VALUES (1, ?)', (b'',))
db.execute('INSERT INTO blobs VALUES (2, ?)', (bytes(range(256)) * 20000,))
db.execute('INSERT INTO blobs VALUES (3, NULL)')
db.execute("INSERT INTO kv VALUES ('x', 1, 'a'), ('x', 2, 'b'), ('y', 1, NULL)")
db.execute("INSERT INTO nokey VALUES (1, 'dup'), (1, 'dup'), (2, NULL)")
db.execute("INSERT INTO dates VALUES (1, '2024-02-29', '2024-01-02 03:04:05', '2024-01-02T03:04:05.123')")
db.execute("INSERT INTO dates VALUES (2, '0001-01-01', '2024-01-02 03:04', '2024-01-02 03:04:05')")
db.execute("INSERT INTO dates VALUES (3, NULL, '2024-01-02', NULL)")
db.execute('INSERT INTO docs VALUES (1, ?)', ('{"b": 1, "a": [1, 2.50, {"c": null}]}',))
db.execute('INSERT INTO docs VALUES (2, ?)', ('"just a string"',))
db.execute('INSERT INTO gen (id, a) VALUES (1, 10), (2, NULL)')
db.execute("INSERT INTO people VALUES (1, 'A@x.org', 1), (2, 'b@x.org', 0)")
db.execute("INSERT INTO collide VALUES (1, 1, 2)")
db.execute("INSERT INTO loose VALUES (1, -0.0), (2, 1e-310), (3, 0.1)")
db.commit()

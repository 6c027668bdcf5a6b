#!/usr/bin/env python3
"""manifest_seeds.py - write the seed corpus of fuzz_manifest.

    python3 tests/fuzz/manifest_seeds.py tests/fuzz/corpus/manifest

Each seed is one flags byte (see fuzz_manifest.c) followed by MANIFEST.json
text shaped as ark-snapshot writes it.  Offsets and hashes in the text are
placeholders: the flags ask the harness to fill them in, except in the
"stale" seed, which the reader must refuse.  The harness's SQLite image
has two 512-byte pages.
"""

import json
import os
import sys

FIX_LAYOUT, FIX_HASHES, FIX_RAW_SIZE, FIX_PREFIX = 0x01, 0x02, 0x04, 0x08
FIX_CREATED, FIX_PAGES, DEEP, PATTERN = 0x10, 0x20, 0x40, 0x80
FIX_ALL = 0x3F
ZERO = "0" * 32


def member(path, role, raw_size):
    return {
        "path": path, "role": role, "header_offset": 0,
        "data_offset": 1536, "stored_size": 0, "stored_xxh128": ZERO,
        "raw_size": raw_size, "raw_xxh128": ZERO,
    }


def sqlite_manifest(**source_extra):
    source = {
        "path": "/srv/app/app.db", "size": 1024, "page_size": 512,
        "page_count": 2, "freelist_count": 0, "journal_mode": "wal",
        "user_version": 7, "application_id": 0,
        "schema_xxh128": "bb9c10c3f939d6996672175ca053c284",
        "sqlite_version": "3.40.1", "host": "db1",
    }
    source.update(source_extra)
    return {
        "format": "ark", "format_version": 1, "kind": "sqlite",
        "created": "2025-11-23T01:38:00Z", "created_unix": 1763861880,
        "tool": "ark-snapshot", "tool_version": "0.1.0",
        "hash": "xxh3-128", "compression": "zstd", "source": source,
        "members": [member("database.sqlite.zst", "sqlite-image", 1024)],
        "prefix_size": 0, "prefix_xxh128": ZERO,
    }


def seeds():
    checked = sqlite_manifest(
        integrity_check="ok",
        tables=[{"name": "t", "rows": 2}, {"name": "a\nb", "rows": 0}])
    yield "sqlite", FIX_ALL, sqlite_manifest()
    yield "sqlite-deep", FIX_ALL | DEEP, checked
    yield "sqlite-pattern-deep", FIX_ALL | DEEP | PATTERN, sqlite_manifest()
    yield "sqlite-stale", 0, sqlite_manifest()
    late = sqlite_manifest()
    late["created_unix"] = 0o77777777777
    yield "sqlite-latest-time", FIX_ALL, late
    yield "pg-transfer", FIX_ALL, pg_manifest(
        {"type": "sqlite", "path": "/srv/app.db", "size": 8192,
         "sqlite_version": "3.40.1", "schema_xxh128": ZERO,
         "archive_xxh128": ZERO, "host": "db1"})
    yield "pg-backup-deep", FIX_ALL | DEEP, pg_manifest(
        {"type": "postgresql", "server_version": 150004,
         "database": "app\n\"x\"", "snapshot": "00000003-0000001B-1",
         "host": "db.example"})
    # raw sizes that are not whole lines: --deep must refuse the digest
    partial = pg_manifest({"type": "sqlite"})
    partial["members"][1]["raw_size"] = 100
    yield "pg-partial-deep", FIX_ALL | DEEP, partial


def pg_table(number, schema, name, columns, raw_size):
    m = member("data/%07d.copy.zst" % number, "pg-table-data", raw_size)
    m["table"] = {"schema": schema, "name": name,
                  "columns": [{"name": c, "type": t} for c, t in columns]}
    m["rows"] = 0
    m["content_digest"] = "0:" + ZERO
    return m


def pg_manifest(source):
    """A pg archive as ark-transfer writes it; raw sizes are multiples of
    9 so the harness's pattern ("ark fuzz\n") is whole rows."""
    manifest = sqlite_manifest()
    manifest["kind"] = "pg"
    manifest["tool"] = "ark-transfer"
    manifest["source"] = source
    manifest["members"] = [
        member("schema/pre-data.sql.zst", "pg-pre-data", 40),
        pg_table(1, "public", "t", [("id", "bigint"), ("name", "text")],
                 99),
        pg_table(2, "public", "quote\"d\nname \u8868",
                 [("a", "numeric(10,2)"), ("b", "\"My Type\"[]")], 0),
        pg_table(3, "s", "no columns", [], 18),
        member("schema/post-data.sql.zst", "pg-post-data", 0),
    ]
    return manifest


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, flags, manifest in seeds():
        text = (json.dumps(manifest, indent=2) + "\n").encode()
        with open(os.path.join(out, name + ".json"), "wb") as f:
            f.write(bytes([flags]) + text)


if __name__ == "__main__":
    main()

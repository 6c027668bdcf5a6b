#!/usr/bin/env python3
"""arkfmt.py - the e2e tests' own model of docs/archive-format.md.

Written from the format document, independently of lib/, so the tests can
take archives apart, put them back together (consistently or not) and craft
hostile ones.  Only the standard library and the reference libraries of
the formats are used: libxxhash and libzstd through ctypes (the xxhsum and
zstd CLIs where a library cannot be loaded).  The tests start this script
hundreds of times, so it does without child processes where it can and
imports what a command needs only when that command runs.

    arkfmt.py layout ARCHIVE              JSON: members with offsets, manifest
    arkfmt.py manifest ARCHIVE [KEY...]   the manifest, or one value in it
    arkfmt.py flip FILE OFFSET [MASK]     XOR one byte in place (MASK 0x01)
    arkfmt.py rebuild IN OUT [CHANGE]...  re-serialize IN with the model,
                                          optionally changing manifest keys
                                          (format_version=2, -kind,
                                          members.0.raw_size=1); the sums,
                                          headers and tail stay consistent
    arkfmt.py forge IN OUT [CHANGE]...    like rebuild, but the changed
                                          manifest is the whole truth: its
                                          created_unix becomes every tar
                                          mtime (as a writer would, cut to
                                          11 octal digits as lib/core/tar.c
                                          does), then every derived byte -
                                          headers, prefix hash, sums, tail -
                                          is recomputed: only the manifest
                                          check can refuse the result
    arkfmt.py two-members IN OUT          a consistent archive with a second
                                          data member "extra.sqlite.zst"
    arkfmt.py pg-build SPEC.json OUT      a pg archive written by the model
                                          (see cmd_pg_build)
    arkfmt.py digest FILE                 content digest of COPY text
    arkfmt.py variant KIND IN OUT         structural damage (see VARIANTS)
    arkfmt.py hostile KIND BASE OUT       hostile archives (see HOSTILE)
    arkfmt.py flipcheck MODE ARCHIVE TOOL OFFSETS MASKS [ARG...]
                                          flip bytes, TOOL must reject each
    arkfmt.py truncheck MODE ARCHIVE TOOL all|sample [ARG...]
                                          truncate, TOOL must reject each
    arkfmt.py variantcheck MODE ARCHIVE TOOL KIND... [-- ARG...]
                                          structural damage, rejected each
    (MODE: single, batch or restore; see "mass damage checks" below)
"""

import json
import os
import sys

BLOCK = 512
MANIFEST = "MANIFEST.json"
SUMS = "XXH128SUMS"


_LIBS = {}


def library(name):
    """The shared library (ctypes.CDLL) or None when it cannot be loaded."""
    if name not in _LIBS:
        import ctypes
        try:
            _LIBS[name] = ctypes.CDLL(name)
        except OSError:
            _LIBS[name] = None
    return _LIBS[name]


def xxh128(data):
    """XXH3-128 of data as xxhsum -H2 prints it (the canonical big-endian
    form: high 64 bits, then low 64 bits)."""
    fn = xxh3_128_function()
    if fn is None:
        import subprocess
        out = subprocess.run(["xxhsum", "-H2", "-"], input=data,
                             stdout=subprocess.PIPE, check=True).stdout
        return out.split()[0].decode()
    data = bytes(data)
    h = fn(data, len(data))
    return "%016x%016x" % (h.high64, h.low64)


def xxh3_128_function():
    """libxxhash's XXH3_128bits through ctypes, or None."""
    if "xxh3_128" not in _LIBS:
        lib = library("libxxhash.so.0")
        fn = None
        if lib is not None:
            import ctypes

            class Hash128(ctypes.Structure):  # XXH128_hash_t
                _fields_ = [("low64", ctypes.c_uint64),
                            ("high64", ctypes.c_uint64)]

            fn = lib.XXH3_128bits
            fn.restype = Hash128
            fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        _LIBS["xxh3_128"] = fn
    return _LIBS["xxh3_128"]


def pad(n):
    return b"\0" * ((BLOCK - n % BLOCK) % BLOCK)


def octal(value, width):
    """width-1 zero-padded octal digits and a NUL; a value with more
    digits keeps its first width-1, as lib/core/tar.c's put_octal does."""
    return (b"%0*o" % (width - 1, value))[:width - 1] + b"\0"


def ustar_block(name, typeflag, size, mtime, linkname=b"", mode=0o600,
                size_field=None):
    if isinstance(name, str):
        name = name.encode()
    block = bytearray(BLOCK)
    block[0:min(len(name), 100)] = name[:100]
    block[100:108] = octal(mode, 8)
    block[108:116] = octal(0, 8)
    block[116:124] = octal(0, 8)
    if size_field is None:
        size_field = octal(size if size < 0o77777777777 else 0, 12)
    block[124:136] = size_field
    block[136:148] = octal(max(mtime, 0), 12)
    block[148:156] = b" " * 8
    block[156:157] = typeflag
    block[157:157 + len(linkname)] = linkname
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[329:337] = octal(0, 8)
    block[337:345] = octal(0, 8)
    set_checksum(block)
    return bytes(block)


def set_checksum(block):
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)


def pax_record(key, value):
    body = b" %s=%s\n" % (key.encode(), value)
    digits = 1
    while True:
        total = len(body) + digits
        if len(str(total)) == digits:
            return b"%d" % total + body
        digits = len(str(total))


def member_header(path, size, mtime, pax_size=None, ustar_size=None):
    """The three header blocks ark writes before a member's bytes."""
    pbytes = path.encode() if isinstance(path, str) else path
    records = pax_record("path", pbytes)
    records += pax_record("size", b"%020d" % (size if pax_size is None
                                               else pax_size))
    base = pbytes.rsplit(b"/", 1)[-1]
    out = ustar_block((b"PaxHeader/" + base)[:100], b"x", len(records), mtime)
    out += records + pad(len(records))
    out += ustar_block(pbytes[:100], b"0",
                       size if ustar_size is None else ustar_size, mtime)
    return out


def member(path, data, mtime):
    return member_header(path, len(data), mtime) + data + pad(len(data))


def sums_text(members, manifest_hash):
    text = ""
    for m in members:
        text += "%s  %s\n" % (m["stored_xxh128"], m["path"])
        text += "%s  %s\n" % (m["raw_xxh128"], m["path"][:-len(".zst")])
    text += "%s  %s\n" % (manifest_hash, MANIFEST)
    return text.encode()


def build_tail(manifest_text, created_unix, members):
    sums = sums_text(members, xxh128(manifest_text))
    return (member(MANIFEST, manifest_text, created_unix) +
            member(SUMS, sums, created_unix) + b"\0" * (2 * BLOCK))


def walk(data):
    """List the members of an ark-layout file: [(path, header, data, size)]."""
    out = []
    off = 0
    while off + BLOCK <= len(data):
        hdr = data[off:off + BLOCK]
        if hdr == b"\0" * BLOCK:
            break
        if hdr[156:157] != b"x":
            raise ValueError("offset %d: expected a pax header" % off)
        rec_len = int(hdr[124:135], 8)
        records = data[off + BLOCK:off + BLOCK + rec_len].decode()
        fields = {}
        while records:
            n = int(records.split(" ", 1)[0])
            key, value = records[:n].split(" ", 1)[1][:-1].split("=", 1)
            fields[key] = value
            records = records[n:]
        body = off + BLOCK + rec_len + len(pad(rec_len))
        size = int(fields["size"])
        out.append((fields["path"], off, body + BLOCK, size))
        off = body + BLOCK + size + len(pad(size))
    return out


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    members = walk(data)
    if [m[0] for m in members[-2:]] != [MANIFEST, SUMS]:
        raise ValueError("%s: does not end with %s, %s" % (path, MANIFEST,
                                                            SUMS))
    _, _, moff, msize = members[-2]
    manifest = json.loads(data[moff:moff + msize])
    return data, members, manifest


DELETE = object()


def apply_change(obj, dotted, value):
    keys = dotted.split(".")
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    last = int(keys[-1]) if isinstance(obj, list) else keys[-1]
    if value is DELETE:
        del obj[last]
    else:
        obj[last] = value


def parse_change(text):
    """KEY=JSON sets, -KEY deletes; KEY may be dotted (members.0.raw_size)."""
    if text.startswith("-"):
        return text[1:], DELETE
    key, value = text.split("=", 1)
    return key, json.loads(value)


def assemble(manifest, parts, post=(), mtime=None):
    """parts: [(path, stored_bytes, raw_bytes)].  Returns the archive bytes
    with the manifest's members, prefix and hashes made consistent; then
    the changes in post [(dotted key, value)] are applied to the manifest
    before it is serialized (and hashed into XXH128SUMS).  Every tar mtime
    is mtime (default: the manifest's created_unix)."""
    if mtime is None:
        mtime = manifest["created_unix"]
    prefix = b""
    infos = []
    # A member keeps its role and its own keys (a pg table's "table",
    # "rows", "content_digest") from the manifest it came from.
    old = manifest.get("members") if isinstance(manifest, dict) else None
    old = old if isinstance(old, list) else []
    for index, (path, stored, raw) in enumerate(parts):
        base = old[index] if index < len(old) and \
            isinstance(old[index], dict) else {}
        header_offset = len(prefix)
        prefix += member_header(path, len(stored), mtime)
        info = {
            "path": path,
            "role": base.get("role", "sqlite-image"),
            "header_offset": header_offset,
            "data_offset": len(prefix),
            "stored_size": len(stored),
            "stored_xxh128": xxh128(stored),
            "raw_size": len(raw),
            "raw_xxh128": xxh128(raw),
        }
        for key, value in base.items():
            info.setdefault(key, value)
        infos.append(info)
        prefix += stored + pad(len(stored))
    manifest = dict(manifest)
    manifest["members"] = infos
    manifest["prefix_size"] = len(prefix)
    manifest["prefix_xxh128"] = xxh128(prefix)
    for key, value in post:
        apply_change(manifest, key, value)
    text = (json.dumps(manifest, indent=2) + "\n").encode()
    return prefix + build_tail(text, mtime, infos)


def zstd_decompress(stored):
    """All the frames in stored, decompressed; ValueError when they are
    not whole zstd frames (as zstd -d would fail)."""
    lib = library("libzstd.so.1")
    if lib is None:
        import subprocess
        return subprocess.run(["zstd", "-d", "-c", "-q"], input=stored,
                              stdout=subprocess.PIPE, check=True).stdout
    import ctypes

    class Buffer(ctypes.Structure):  # ZSTD_inBuffer and ZSTD_outBuffer
        _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t),
                    ("pos", ctypes.c_size_t)]

    lib.ZSTD_createDStream.restype = ctypes.c_void_p
    lib.ZSTD_freeDStream.argtypes = [ctypes.c_void_p]
    lib.ZSTD_DStreamOutSize.restype = ctypes.c_size_t
    lib.ZSTD_decompressStream.restype = ctypes.c_size_t
    lib.ZSTD_decompressStream.argtypes = [ctypes.c_void_p,
                                          ctypes.POINTER(Buffer),
                                          ctypes.POINTER(Buffer)]
    lib.ZSTD_isError.restype = ctypes.c_uint
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    src = ctypes.create_string_buffer(bytes(stored), len(stored))
    cap = lib.ZSTD_DStreamOutSize()
    dst = ctypes.create_string_buffer(cap)
    inb = Buffer(ctypes.cast(src, ctypes.c_void_p), len(stored), 0)
    outb = Buffer(ctypes.cast(dst, ctypes.c_void_p), cap, 0)
    stream = lib.ZSTD_createDStream()
    out = []
    try:
        while True:
            outb.pos = 0
            ret = lib.ZSTD_decompressStream(stream, ctypes.byref(outb),
                                            ctypes.byref(inb))
            if lib.ZSTD_isError(ret):
                raise ValueError("zstd: not valid compressed data")
            out.append(dst.raw[:outb.pos])
            if inb.pos == inb.size and outb.pos < outb.size:
                if ret != 0 or not stored:
                    raise ValueError("zstd: truncated compressed data")
                return b"".join(out)
    finally:
        lib.ZSTD_freeDStream(stream)


def zstd_compress(raw):
    import subprocess
    return subprocess.run(["zstd", "-c", "-q", "-3"], input=raw,
                          stdout=subprocess.PIPE, check=True).stdout


def data_parts(data, members):
    parts = []
    for path, _, off, size in members[:-2]:
        stored = data[off:off + size]
        parts.append((path, stored, zstd_decompress(stored)))
    return parts


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- commands

def cmd_layout(args):
    data, members, manifest = load(args[0])
    print(json.dumps({
        "size": len(data),
        "members": [{"path": p, "header_offset": h, "data_offset": d,
                     "size": s} for p, h, d, s in members],
        "manifest": manifest,
    }))


def cmd_manifest(args):
    _, _, manifest = load(args[0])
    value = manifest
    for key in args[1:]:
        value = value[int(key)] if isinstance(value, list) else value[key]
    print(value if isinstance(value, (str, int)) else json.dumps(value))


def cmd_flip(args):
    path, offset = args[0], int(args[1], 0)
    mask = int(args[2], 0) if len(args) > 2 else 0x01
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        if len(byte) != 1:
            sys.exit("flip: offset %d is past the end of %s" % (offset, path))
        f.seek(offset)
        f.write(bytes([byte[0] ^ mask]))


def cmd_rebuild(args):
    """rebuild IN OUT [CHANGE...]: CHANGE is KEY=JSON or -KEY (dotted keys
    allowed), applied to the manifest after the members, prefix and hashes
    are filled in; the sums, headers and tail are then made to match."""
    src, dst = args[0], args[1]
    data, members, manifest = load(src)
    post = [parse_change(c) for c in args[2:]]
    write(dst, assemble(manifest, data_parts(data, members), post))


def cmd_forge(args):
    """forge IN OUT [CHANGE...]: CHANGE as for rebuild.  The changes are
    applied first, to find the created_unix a writer of the changed
    manifest would put in every tar header (the original one when the
    change makes it something a writer could not write: not an integer);
    then the archive is assembled with that mtime and the changes applied
    again over the derived keys, so the result is consistent throughout:
    headers, prefix_xxh128, XXH128SUMS and the tail all match."""
    src, dst = args[0], args[1]
    data, members, manifest = load(src)
    post = [parse_change(c) for c in args[2:]]
    trial = json.loads(json.dumps(manifest))
    for key, value in post:
        apply_change(trial, key, value)
    mtime = trial.get("created_unix") if isinstance(trial, dict) else None
    if not isinstance(mtime, int) or isinstance(mtime, bool):
        mtime = manifest["created_unix"]
    write(dst, assemble(manifest, data_parts(data, members), post, mtime))


def cmd_two_members(args):
    data, members, manifest = load(args[0])
    parts = data_parts(data, members)
    raw = b"second member of a two-member archive\n" * 50
    parts.append(("extra.sqlite.zst", zstd_compress(raw), raw))
    write(args[1], assemble(manifest, parts))


def xxh128_many(chunks):
    """XXH3-128 of each of chunks (bytes): in this process, or with one
    run of xxhsum."""
    if not chunks:
        return []
    if xxh3_128_function() is not None:
        return [xxh128(chunk) for chunk in chunks]
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for i, chunk in enumerate(chunks):
            names.append(os.path.join(tmp, "%d" % i))
            with open(names[-1], "wb") as f:
                f.write(chunk)
        out = subprocess.run(["xxhsum", "-H2", "--"] + names,
                             stdout=subprocess.PIPE, check=True).stdout
    hashes = {}
    for line in out.decode().splitlines():
        digest, name = line.split("  ", 1)
        hashes[name] = digest
    return [hashes[name] for name in names]


def content_digest(raw):
    """docs/digest.md: "<rows>:<hex>", rows the lines of raw (each ends in
    a newline), hex the sum mod 2^128 of each line's XXH3-128 (without the
    newline), as 32 hex digits of the big-endian value."""
    lines = raw.split(b"\n")
    if lines[-1] != b"":
        raise ValueError("COPY text does not end in a newline")
    lines = lines[:-1]
    total = sum(int(h, 16) for h in xxh128_many(lines)) % (1 << 128)
    return "%d:%032x" % (len(lines), total)


def cmd_pg_build(args):
    """pg-build SPEC.json OUT: a pg archive written by the model from SPEC
    {"created_unix": N, "source": {...}, "pre": SQL, "post": SQL,
     "tables": [{"schema", "name", "columns": [{"name", "type"}],
                 "copy": COPY text, ("rows", "content_digest": override)}]}
    members: schema/pre-data.sql.zst, data/0000001.copy.zst..., then
    schema/post-data.sql.zst; rows and content_digest computed from the
    COPY text unless the table gives them (a forged one)."""
    with open(args[0], encoding="utf-8") as f:
        spec = json.load(f)
    created = spec.get("created_unix", 1763861880)
    import datetime
    manifest = {
        "format": "ark", "format_version": 1, "kind": "pg",
        "created": datetime.datetime.fromtimestamp(
            created, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_unix": created, "tool": "arkfmt.py",
        "tool_version": "model", "hash": "xxh3-128",
        "compression": "zstd",
        "source": spec.get("source", {"type": "sqlite",
                                      "path": "/model/app.db"}),
    }
    parts = []
    members = []

    def add(path, role, raw, extra=None):
        parts.append((path, zstd_compress(raw), raw))
        member = {"path": path, "role": role}
        member.update(extra or {})
        members.append(member)

    add("schema/pre-data.sql.zst", "pg-pre-data",
        spec.get("pre", "").encode())
    for number, table in enumerate(spec.get("tables", []), 1):
        raw = table["copy"].encode("utf-8", "surrogateescape")
        digest = table.get("content_digest") or content_digest(raw)
        rows = table.get("rows", int(digest.split(":")[0]))
        add("data/%07d.copy.zst" % number, "pg-table-data", raw, {
            "table": {"schema": table["schema"], "name": table["name"],
                      "columns": table["columns"]},
            "rows": rows, "content_digest": digest})
    add("schema/post-data.sql.zst", "pg-post-data",
        spec.get("post", "").encode())
    manifest["members"] = members
    write(args[1], assemble(manifest, parts))


def cmd_digest(args):
    """digest FILE: the content digest of the COPY text in FILE."""
    with open(args[0], "rb") as f:
        print(content_digest(f.read()))


def cut(data, members):
    """Split an ark file into its members' byte ranges and the end blocks."""
    pieces = []
    for i, (_, header, _, _) in enumerate(members):
        end = members[i + 1][1] if i + 1 < len(members) else len(data) - 1024
        pieces.append(data[header:end])
    return pieces, data[len(data) - 1024:]


VARIANTS = {
    # data member moved after the manifest
    "data-after-manifest": lambda p, e: [p[1], p[0], p[2]],
    # the last two members exchanged
    "sums-before-manifest": lambda p, e: [p[0], p[2], p[1]],
    "dropped-data": lambda p, e: [p[1], p[2]],
    "dropped-manifest": lambda p, e: [p[0], p[2]],
    "dropped-sums": lambda p, e: [p[0], p[1]],
    "duplicated-data": lambda p, e: [p[0], p[0], p[1], p[2]],
    "duplicated-manifest": lambda p, e: [p[0], p[1], p[1], p[2]],
    "extra-first": lambda p, e: [EXTRA(), p[0], p[1], p[2]],
    "extra-before-manifest": lambda p, e: [p[0], EXTRA(), p[1], p[2]],
    "extra-after-sums": lambda p, e: [p[0], p[1], p[2], EXTRA()],
    "extra-tar-member-after-end": None,  # handled below
    "no-end-blocks": None,
    "one-end-block": None,
}


def EXTRA():
    return member("extra.sqlite.zst", zstd_compress(b"extra\n" * 100),
                  1795398653)


def cmd_variant(args):
    kind, src, dst = args
    data, members, _ = load(src)
    pieces, end = cut(data, members)
    if kind == "extra-tar-member-after-end":
        out = data + EXTRA() + b"\0" * 1024
    elif kind == "no-end-blocks":
        out = data[:-1024]
    elif kind == "one-end-block":
        out = data[:-512]
    elif kind == "swap-two-members":
        # two data members exchanged, manifest left as it was
        if len(pieces) != 4:
            sys.exit("variant: swap-two-members needs a two-member archive")
        out = pieces[1] + pieces[0] + pieces[2] + pieces[3] + end
    elif kind in VARIANTS:
        out = b"".join(VARIANTS[kind](pieces, end)) + end
    else:
        sys.exit("variant: unknown kind " + kind)
    write(dst, out)


# Hostile archives.  Each is built with tarfile (PAX_FORMAT) so that the
# hostile member comes first, followed by the genuine members of BASE: the
# reader meets the hostile member before anything else.
def tar_with(first, base_data, base_members):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        first(t)
        for path, _, off, size in base_members:
            info = tarfile.TarInfo(path)
            info.size = size
            info.mode = 0o600
            info.mtime = 1795398653
            t.addfile(info, io.BytesIO(base_data[off:off + size]))
    return buf.getvalue()


def add_file(name, payload=b"owned\n"):
    import io
    import tarfile

    def f(t):
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    return f


def add_special(name, kind, linkname=""):
    import tarfile

    def f(t):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            info.devmajor, info.devminor = 1, 3
        t.addfile(info)
    return f


def hostile_huge(base_data, base_members, where):
    """A member whose declared size is 8 GiB-1 (ustar octal field) or
    8 GiB (pax size record) while only a few bytes follow; the header
    checksum is correct."""
    payload = b"tiny\n"
    if where == "ustar":
        hdr = ustar_block(b"database.sqlite.zst", b"0", 0, 1795398653,
                          size_field=b"77777777777\0")
    else:
        records = pax_record("path", b"database.sqlite.zst")
        records += pax_record("size", b"%020d" % (8 << 30))
        hdr = ustar_block(b"PaxHeader/database.sqlite.zst", b"x",
                          len(records), 1795398653)
        hdr += records + pad(len(records))
        hdr += ustar_block(b"database.sqlite.zst", b"0", len(payload),
                           1795398653)
    return hdr + payload + pad(len(payload)) + b"\0" * 1024


def cmd_hostile(args):
    import io
    import tarfile
    kind, base, dst, *rest = args
    data, members, _ = load(base)
    if kind == "huge-ustar":
        out = hostile_huge(data, members, "ustar")
    elif kind == "huge-pax":
        out = hostile_huge(data, members, "pax")
    elif kind == "file":
        out = tar_with(add_file(rest[0]), data, members)
    elif kind == "symlink":
        out = tar_with(add_special(rest[0], tarfile.SYMTYPE, rest[1]), data,
                       members)
    elif kind == "hardlink":
        out = tar_with(add_special(rest[0], tarfile.LNKTYPE, rest[1]), data,
                       members)
    elif kind == "chardev":
        out = tar_with(add_special(rest[0], tarfile.CHRTYPE), data, members)
    elif kind == "fifo":
        out = tar_with(add_special(rest[0], tarfile.FIFOTYPE), data, members)
    elif kind == "dir":
        out = tar_with(add_special(rest[0], tarfile.DIRTYPE), data, members)
    elif kind == "pax-path":
        # benign ustar name, hostile pax path record (the one that counts)
        payload = data[members[0][2]:members[0][2] + members[0][3]]
        records = pax_record("path", rest[0].encode())
        records += pax_record("size", b"%020d" % len(payload))
        out = ustar_block(b"PaxHeader/database.sqlite.zst", b"x",
                          len(records), 1795398653)
        out += records + pad(len(records))
        out += ustar_block(b"database.sqlite.zst", b"0", len(payload),
                           1795398653)
        out += payload + pad(len(payload))
        out += data[members[1][1]:]
    elif kind == "gnu-longname":
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w",
                          format=tarfile.GNU_FORMAT) as t:
            add_file(rest[0])(t)
        out = buf.getvalue()
    elif kind == "huge-manifest":
        # a MANIFEST.json member of 64 MiB + 1 bytes that is really there
        # (written sparse), followed by a genuine XXH128SUMS member
        size = (64 << 20) + 1
        with open(dst, "wb") as f:
            f.write(data[:members[-2][1]])
            f.write(member_header(MANIFEST, size, 1795398653))
            f.seek(size + len(pad(size)), os.SEEK_CUR)
            f.write(data[members[-1][1]:])
        return
    elif kind == "consistent-path":
        # A fully consistent archive (hashes, manifest, sums, tail) whose
        # only data member is called rest[0]: only the path check stops it.
        _, _, manifest = load(base)
        parts = data_parts(data, members)
        path = rest[0]
        out = assemble(manifest, [(path, parts[0][1], parts[0][2])])
    else:
        sys.exit("hostile: unknown kind " + kind)
    write(dst, out)


# ------------------------------------------------------ mass damage checks
#
# Every damaged copy must be rejected as corrupt.  Three ways to run the
# tool, chosen per command line:
#   single   one process per damaged copy; exit status exactly 4 and
#            stderr exactly one line "TOOL: error: ..."
#   batch    one ark-checksum-verify process for up to BATCH copies (the
#            tool takes several archives): its exit status 4, for every
#            copy the stdout line "PATH: FAILED" (optionally followed by
#            " (corrupt)") and exactly one stderr line
#            "TOOL: error: PATH: ...", and nothing else.  About 100 times
#            faster than single, so every offset can be covered.
#   restore  one ark-restore ARCHIVE DIR/target.db per copy: exit 4, one
#            error line, and DIR still empty afterwards.

BATCH = 500


class Checker:
    def __init__(self, archive, tool, mode, extra_args=()):
        import atexit
        import shutil
        import tempfile
        import threading
        with open(archive, "rb") as f:
            self.original = f.read()
        self.tool = tool
        self.name = os.path.basename(tool)
        self.mode = mode
        self.extra = list(extra_args)
        # Tens of thousands of small files: on tmpfs that is ~7x faster
        # than on a disk file system.
        where = os.path.dirname(os.path.abspath(archive))
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            where = "/dev/shm"
        self.scratch = tempfile.mkdtemp(prefix="ark-e2e-", dir=where)
        atexit.register(shutil.rmtree, self.scratch, True)
        self.bad = []
        self.count = 0
        self.lock = threading.Lock()

    def report(self, desc, why):
        with self.lock:
            self.bad.append((desc, why))

    def single(self, index, desc, data):
        import subprocess
        path = os.path.join(self.scratch, "s%d.ark" % index)
        with open(path, "wb") as f:
            f.write(data)
        argv = [self.tool] + self.extra + [path]
        tdir = None
        if self.mode == "restore":
            tdir = os.path.join(self.scratch, "t%d" % index)
            os.mkdir(tdir)
            argv.append(os.path.join(tdir, "target.db"))
        proc = subprocess.run(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode != 4:
            self.report(desc, "exit %d: %s" % (proc.returncode,
                                               err.strip()[:300]))
        elif not (err.startswith(self.name + ": error: ") and
                  err.count("\n") == 1):
            self.report(desc, "stderr is not one error line: %r" % err[:300])
        if tdir is not None:
            left = os.listdir(tdir)
            if left:
                self.report(desc, "left in the target directory: %s" % left)
                for name in left:
                    os.unlink(os.path.join(tdir, name))
            os.rmdir(tdir)
        os.unlink(path)

    def batch(self, cases):
        import subprocess
        paths = []
        for i, (_, data) in enumerate(cases):
            path = os.path.join(self.scratch, "b%d.ark" % i)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        proc = subprocess.run([self.tool] + self.extra + paths,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = proc.stdout.decode(errors="replace").splitlines()
        err = proc.stderr.decode(errors="replace").splitlines()
        if proc.returncode != 4:
            self.report("batch of %d from %s" % (len(cases), cases[0][0]),
                        "exit %d" % proc.returncode)
        if len(out) != len(cases) or len(err) != len(cases):
            self.report("batch of %d from %s" % (len(cases), cases[0][0]),
                        "%d stdout and %d stderr lines" % (len(out),
                                                           len(err)))
        out_by = {}
        for line in out:
            out_by.setdefault(line.split(": ", 1)[0], []).append(line)
        err_by = {}
        prefix = self.name + ": error: "
        for line in err:
            if line.startswith(prefix):
                p = line[len(prefix):].split(": ", 1)[0]
                err_by[p] = err_by.get(p, 0) + 1
        for (desc, _), path in zip(cases, paths):
            lines = out_by.get(path, [])
            if len(lines) != 1 or lines[0] not in (
                    path + ": FAILED", path + ": FAILED (corrupt)"):
                self.report(desc, "stdout %r" % lines)
            elif err_by.get(path) != 1:
                self.report(desc, "%d stderr lines name it" %
                            err_by.get(path, 0))
            os.unlink(path)

    def run(self, cases, label):
        """cases: iterable of (description, damaged bytes)."""
        cases = list(cases)
        self.count += len(cases)
        if self.mode == "batch":
            for i in range(0, len(cases), BATCH):
                self.batch(cases[i:i + BATCH])
        else:
            from concurrent.futures import ThreadPoolExecutor
            workers = max(2, os.cpu_count() or 2)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda a: self.single(*a),
                              [(i, d, b) for i, (d, b) in enumerate(cases)]))
        return self

    def finish(self, label):
        import shutil
        shutil.rmtree(self.scratch, True)
        self.bad.sort(key=lambda b: str(b[0]))
        print("%s (%s): %d damaged copies, %d not rejected as corrupt"
              % (label, self.mode, self.count, len(self.bad)))
        for desc, why in self.bad[:50]:
            print("  %s: %s" % (desc, why))
        if len(self.bad) > 50:
            print("  ... and %d more" % (len(self.bad) - 50))
        sys.exit(1 if self.bad else 0)


def flipped(data, offset, mask):
    b = bytearray(data)
    b[offset] ^= mask
    return bytes(b)


# The fields of a ustar header block: (start, end) of each.
USTAR_FIELDS = [(0, 100), (100, 108), (108, 116), (116, 124), (124, 136),
                (136, 148), (148, 156), (156, 157), (157, 257), (257, 263),
                (263, 265), (265, 297), (297, 329), (329, 337), (337, 345),
                (345, 500), (500, 512)]


def structural_offsets(data):
    """The offsets where the structure of an ark file changes: the first
    two and last two bytes of every region (each member's pax header
    block, pax records, their padding, ustar header block, data, data
    padding; the end blocks), the first and last byte of every field of
    every header block, and the first byte, the "=" and the newline of
    every pax record."""
    out = set()

    def region(a, b):
        if b > a:
            out.update(o for o in (a, a + 1, b - 2, b - 1) if a <= o < b)

    def header_block(at):
        region(at, at + BLOCK)
        for start, end in USTAR_FIELDS:
            out.update((at + start, at + end - 1))

    for _, header, body, size in walk(data):
        header_block(header)
        rec_end = body - BLOCK
        records_at = header + BLOCK
        rec_len = int(data[header + 124:header + 135], 8)
        region(records_at, records_at + rec_len)
        region(records_at + rec_len, rec_end)
        at = records_at
        while at < records_at + rec_len:
            n = int(data[at:data.index(b" ", at)])
            out.update((at, data.index(b"=", at), at + n - 1))
            at += n
        header_block(rec_end)
        region(body, body + size)
        region(body + size, body + size + len(pad(size)))
    region(len(data) - 2 * BLOCK, len(data))
    return out


def parse_offsets(spec, data):
    """all | every:N | list:A,B,... | structure+every:N (the offsets of
    structural_offsets and every Nth) - offsets inside [0, len(data))."""
    size = len(data)
    kind, _, arg = spec.partition(":")
    if kind == "all":
        return list(range(size))
    if kind == "every":
        return list(range(0, size, int(arg)))
    if kind == "list":
        return [int(x, 0) for x in arg.split(",") if x]
    if kind == "structure+every":
        return sorted(structural_offsets(data) |
                      set(range(0, size, int(arg))))
    raise SystemExit("bad offset spec " + spec)


def cmd_flipcheck(args):
    """flipcheck MODE ARCHIVE TOOL OFFSETS MASK[,MASK] [TOOL-ARG...]"""
    mode, archive, tool, spec, masks = args[:5]
    c = Checker(archive, tool, mode, args[5:])
    data = c.original
    for mask in [int(m, 0) for m in masks.split(",")]:
        c.run((("offset %d ^0x%02x" % (o, mask), flipped(data, o, mask))
               for o in parse_offsets(spec, data)), "flip")
    c.finish("flip %s %s" % (spec, masks))


def cmd_truncheck(args):
    """truncheck MODE ARCHIVE TOOL LENGTHS [TOOL-ARG...]: LENGTHS is all
    (1 .. size-1) or sample[:N] (every 512-byte boundary, N pseudo-random
    lengths (300), 1 and size-1).  Never 0: the empty file is a case of
    its own."""
    mode, archive, tool, spec = args[:4]
    c = Checker(archive, tool, mode, args[4:])
    size = len(c.original)
    if spec == "all":
        lengths = range(1, size)
    elif spec == "sample" or spec.startswith("sample:"):
        import random
        rng = random.Random(20261123)
        lengths = set(range(BLOCK, size, BLOCK))
        count = int(spec[len("sample:"):]) if ":" in spec else 300
        lengths |= {rng.randrange(1, size) for _ in range(count)}
        lengths |= {1, size - 1}
        lengths = sorted(lengths)
    else:
        raise SystemExit("bad length spec " + spec)
    c.run((("length %d" % n, c.original[:n]) for n in lengths), "truncate")
    c.finish("truncate %s" % spec)


def cmd_variantcheck(args):
    """variantcheck MODE ARCHIVE TOOL KIND... [-- TOOL-ARG...]"""
    mode, archive, tool = args[:3]
    rest = args[3:]
    extra = rest[rest.index("--") + 1:] if "--" in rest else []
    kinds = rest[:rest.index("--")] if "--" in rest else rest
    c = Checker(archive, tool, mode, extra)
    cases = []
    for kind in kinds:
        out = os.path.join(c.scratch, "variant.ark")
        cmd_variant([kind, archive, out])
        with open(out, "rb") as f:
            cases.append((kind, f.read()))
        os.unlink(out)
    c.run(cases, "variants")
    c.finish("variants")


def cmd_killwhen(args):
    """killwhen SIGNAL DIR REGEX DELAY -- CMD...: run CMD; as soon as a
    file whose name matches REGEX appears in DIR, wait DELAY seconds and
    send SIGNAL (INT, TERM, HUP, KILL).  Prints "seen NAME" (or "seen -" if the
    command ended first), "alive yes|no" (still running when signalled)
    and "exit N" (128+signal when killed by one); exits 0."""
    import re
    import signal
    import subprocess
    import time
    sig = getattr(signal, "SIG" + args[0])
    where, pattern, delay = args[1], re.compile(args[2]), float(args[3])
    argv = args[args.index("--") + 1:]

    def child_setup():
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT,
                  signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)

    proc = subprocess.Popen(argv, preexec_fn=child_setup)
    seen = "-"
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        names = [n for n in os.listdir(where) if pattern.search(n)]
        if names:
            seen = names[0]
            break
        time.sleep(0.001)
    if seen != "-" and delay:
        time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(sig)
    rc = proc.wait()
    print("seen %s" % seen)
    print("alive %s" % ("yes" if alive else "no"))
    print("exit %d" % (128 - rc if rc < 0 else rc))


COMMANDS = {
    "killwhen": cmd_killwhen,
    "layout": cmd_layout,
    "manifest": cmd_manifest,
    "flip": cmd_flip,
    "rebuild": cmd_rebuild,
    "forge": cmd_forge,
    "two-members": cmd_two_members,
    "pg-build": cmd_pg_build,
    "digest": cmd_digest,
    "variant": cmd_variant,
    "hostile": cmd_hostile,
    "flipcheck": cmd_flipcheck,
    "truncheck": cmd_truncheck,
    "variantcheck": cmd_variantcheck,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])

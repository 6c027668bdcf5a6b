/*
 * page_sink.c - see page_sink_internal.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/fsio.h"
#include "sqlite/page_sink_internal.h"

/* SQLite never uses the page that holds byte 2^30 (the lock-byte page). */
#define PENDING_BYTE_OFFSET 0x40000000ull

struct ark_page_sink {
	sqlite3_vfs vfs;         /* registered while the sink lives */
	char vfs_name[64];
	int registered;
	enum ark_page_sink_mode mode;
	uint32_t page_size;
	uint64_t page_count;
	struct ark_sink out;
	uint8_t *page1;
	int have_page1;
	uint64_t next_offset;    /* STREAM: next byte offset expected */
	uint64_t high_water;     /* largest offset+amount written */
	uint64_t emitted;
	uint8_t *zero_page;
	struct ark_error error;  /* first failure inside a VFS callback */
};

struct sink_file {
	sqlite3_file base;
	struct ark_page_sink *sink;
};

static int sink_emit(struct ark_page_sink *sink, const void *buf, size_t len)
{
	int rc = sink->out.write(sink->out.ctx, buf, len, &sink->error);

	if (rc)
		return SQLITE_IOERR_WRITE;
	sink->emitted += len;
	return SQLITE_OK;
}

static int sink_fail(struct ark_page_sink *sink, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sink_fail(struct ark_page_sink *sink, const char *fmt, ...)
{
	char msg[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	ark_error_set(&sink->error, ARK_ERR_INTERNAL, 0, "%s", msg);
	return SQLITE_IOERR_WRITE;
}

static int file_close(sqlite3_file *file)
{
	(void)file;
	return SQLITE_OK;
}

static int file_read(sqlite3_file *file, void *buf, int amount,
		     sqlite3_int64 offset)
{
	struct ark_page_sink *sink = ((struct sink_file *)file)->sink;

	/* The destination starts empty; it never needs to read back data. */
	(void)sink;
	(void)offset;
	memset(buf, 0, (size_t)amount);
	return SQLITE_IOERR_SHORT_READ;
}

static int stream_write(struct ark_page_sink *sink, const uint8_t *buf,
			uint64_t amount, uint64_t offset)
{
	int rc;

	if (offset == 0) {
		/* Page 1 at commit: must be what was emitted first. */
		if (amount != sink->page_size ||
		    memcmp(buf, sink->page1, amount) != 0)
			return sink_fail(sink,
					 "snapshot changed between passes "
					 "(page 1 differs, %" PRIu64 "/%" PRIu64
					 ")", amount, (uint64_t)sink->page_size);
		return SQLITE_OK;
	}
	/* Skip the lock-byte page with zeros, as a file copy holds it. */
	if (offset > sink->next_offset &&
	    sink->next_offset == PENDING_BYTE_OFFSET &&
	    offset == sink->next_offset + sink->page_size) {
		rc = sink_emit(sink, sink->zero_page, sink->page_size);
		if (rc)
			return rc;
		sink->next_offset += sink->page_size;
	}
	if (offset != sink->next_offset)
		return sink_fail(sink,
				 "page write out of order at offset %" PRIu64
				 " (expected %" PRIu64 ")", offset,
				 sink->next_offset);
	rc = sink_emit(sink, buf, (size_t)amount);
	if (rc)
		return rc;
	sink->next_offset += amount;
	return SQLITE_OK;
}

static int file_write(sqlite3_file *file, const void *buf, int amount,
		      sqlite3_int64 offset)
{
	struct ark_page_sink *sink = ((struct sink_file *)file)->sink;
	uint64_t off = (uint64_t)offset;
	uint64_t amt = (uint64_t)amount;

	if (ark_fsio_interrupted()) {
		ark_fsio_check_interrupt(&sink->error);
		return SQLITE_INTERRUPT;
	}
	if (off + amt > sink->high_water)
		sink->high_water = off + amt;
	if (sink->mode == ARK_PAGE_SINK_CAPTURE) {
		if (off == 0 && amt == sink->page_size) {
			memcpy(sink->page1, buf, amt);
			sink->have_page1 = 1;
		}
		return SQLITE_OK;
	}
	return stream_write(sink, buf, amt, off);
}

static int file_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	(void)file;
	(void)size;
	return SQLITE_OK;
}

static int file_sync(sqlite3_file *file, int flags)
{
	(void)file;
	(void)flags;
	return SQLITE_OK;
}

static int file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	*size = (sqlite3_int64)((struct sink_file *)file)->sink->high_water;
	return SQLITE_OK;
}

static int file_lock(sqlite3_file *file, int level)
{
	(void)file;
	(void)level;
	return SQLITE_OK;
}

static int file_check_reserved(sqlite3_file *file, int *out)
{
	(void)file;
	*out = 0;
	return SQLITE_OK;
}

static int file_control(sqlite3_file *file, int op, void *arg)
{
	(void)file;
	(void)op;
	(void)arg;
	return SQLITE_NOTFOUND;
}

static int file_sector_size(sqlite3_file *file)
{
	(void)file;
	return 4096;
}

static int file_device_characteristics(sqlite3_file *file)
{
	(void)file;
	return 0;
}

static const sqlite3_io_methods sink_methods = {
	.iVersion = 1,
	.xClose = file_close,
	.xRead = file_read,
	.xWrite = file_write,
	.xTruncate = file_truncate,
	.xSync = file_sync,
	.xFileSize = file_size,
	.xLock = file_lock,
	.xUnlock = file_lock,
	.xCheckReservedLock = file_check_reserved,
	.xFileControl = file_control,
	.xSectorSize = file_sector_size,
	.xDeviceCharacteristics = file_device_characteristics,
};

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
		    int flags, int *out_flags)
{
	struct sink_file *sf = (struct sink_file *)file;

	(void)name;
	/* Only the main database exists; journals are off. */
	if (!(flags & SQLITE_OPEN_MAIN_DB))
		return SQLITE_CANTOPEN;
	memset(sf, 0, sizeof(*sf));
	sf->base.pMethods = &sink_methods;
	sf->sink = vfs->pAppData;
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	(void)name;
	(void)sync_dir;
	return SQLITE_OK;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags,
		      int *out)
{
	(void)vfs;
	(void)name;
	(void)flags;
	*out = 0;
	return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int room,
			     char *out)
{
	(void)vfs;
	snprintf(out, (size_t)room, "%s", name);
	return SQLITE_OK;
}

static int vfs_randomness(sqlite3_vfs *vfs, int room, char *out)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	(void)vfs;
	return base->xRandomness(base, room, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int micros)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	(void)vfs;
	return base->xSleep(base, micros);
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	(void)vfs;
	return base->xCurrentTime(base, out);
}

static int vfs_last_error(sqlite3_vfs *vfs, int room, char *out)
{
	(void)vfs;
	if (room > 0)
		out[0] = '\0';
	return 0;
}

int ark_page_sink_new(enum ark_page_sink_mode mode, uint32_t page_size,
		      uint64_t page_count, struct ark_sink out,
		      struct ark_page_sink **out_sink, struct ark_error *err)
{
	struct ark_page_sink *sink;
	int rc;

	*out_sink = NULL;
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	sink->mode = mode;
	sink->page_size = page_size;
	sink->page_count = page_count;
	sink->out = out;
	sink->page1 = calloc(1, page_size);
	sink->zero_page = calloc(1, page_size);
	if (!sink->page1 || !sink->zero_page) {
		ark_page_sink_free(sink);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	}
	snprintf(sink->vfs_name, sizeof(sink->vfs_name), "ark-page-sink-%p",
		 (void *)sink);
	sink->vfs.iVersion = 1;
	sink->vfs.szOsFile = (int)sizeof(struct sink_file);
	sink->vfs.mxPathname = 512;
	sink->vfs.zName = sink->vfs_name;
	sink->vfs.pAppData = sink;
	sink->vfs.xOpen = vfs_open;
	sink->vfs.xDelete = vfs_delete;
	sink->vfs.xAccess = vfs_access;
	sink->vfs.xFullPathname = vfs_full_pathname;
	sink->vfs.xRandomness = vfs_randomness;
	sink->vfs.xSleep = vfs_sleep;
	sink->vfs.xCurrentTime = vfs_current_time;
	sink->vfs.xGetLastError = vfs_last_error;
	rc = sqlite3_vfs_register(&sink->vfs, 0);
	if (rc != SQLITE_OK) {
		ark_page_sink_free(sink);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "cannot register the snapshot VFS: %s",
				     sqlite3_errstr(rc));
	}
	sink->registered = 1;
	*out_sink = sink;
	return 0;
}

const uint8_t *ark_page_sink_page1(const struct ark_page_sink *sink)
{
	return sink->have_page1 ? sink->page1 : NULL;
}

int ark_page_sink_set_page1(struct ark_page_sink *sink, const uint8_t *page1,
			    struct ark_error *err)
{
	memcpy(sink->page1, page1, sink->page_size);
	sink->have_page1 = 1;
	if (sink->mode != ARK_PAGE_SINK_STREAM)
		return 0;
	/* Page 1 leads the stream. */
	if (sink_emit(sink, page1, sink->page_size) != SQLITE_OK) {
		ark_error_set(err, sink->error.code, sink->error.sys_errno,
			      "%s", sink->error.msg);
		return sink->error.code ? sink->error.code : ARK_ERR_WRITE;
	}
	sink->next_offset = sink->page_size;
	return 0;
}

int ark_page_sink_open_db(struct ark_page_sink *sink, sqlite3 **out_db,
			  struct ark_error *err)
{
	sqlite3 *db = NULL;
	char *errmsg = NULL;
	int rc;

	*out_db = NULL;
	rc = sqlite3_open_v2("ark-snapshot-image", &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			     sink->vfs_name);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "PRAGMA journal_mode=OFF;"
				  "PRAGMA synchronous=OFF;"
				  "PRAGMA cache_size=-2048;",
				  NULL, NULL, &errmsg);
	if (rc != SQLITE_OK) {
		ark_error_set(err, ARK_ERR_INTERNAL, 0,
			      "cannot open the snapshot stream: %s",
			      errmsg ? errmsg
				     : (db ? sqlite3_errmsg(db)
					   : sqlite3_errstr(rc)));
		sqlite3_free(errmsg);
		sqlite3_close(db);
		return ARK_ERR_INTERNAL;
	}
	*out_db = db;
	return 0;
}

int ark_page_sink_finish(struct ark_page_sink *sink, struct ark_error *err)
{
	uint64_t expected = sink->page_count * sink->page_size;

	if (sink->mode == ARK_PAGE_SINK_CAPTURE) {
		if (!sink->have_page1)
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "snapshot pass did not produce "
					     "page 1");
		return 0;
	}
	/* A last page that is the lock-byte page is never written. */
	if (sink->next_offset == PENDING_BYTE_OFFSET &&
	    expected == sink->next_offset + sink->page_size) {
		if (sink_emit(sink, sink->zero_page, sink->page_size))
			return ark_error_set(err, sink->error.code,
					     sink->error.sys_errno, "%s",
					     sink->error.msg);
		sink->next_offset += sink->page_size;
	}
	if (sink->next_offset != expected)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "snapshot stream holds %" PRIu64
				     " bytes, expected %" PRIu64,
				     sink->next_offset, expected);
	return 0;
}

uint64_t ark_page_sink_emitted(const struct ark_page_sink *sink)
{
	return sink->emitted;
}

const struct ark_error *ark_page_sink_error(const struct ark_page_sink *sink)
{
	return &sink->error;
}

void ark_page_sink_free(struct ark_page_sink *sink)
{
	if (!sink)
		return;
	if (sink->registered)
		sqlite3_vfs_unregister(&sink->vfs);
	free(sink->page1);
	free(sink->zero_page);
	free(sink);
}

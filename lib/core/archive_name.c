/*
 * archive_name.c - where a tool writes a new archive (ark/archive_name.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ark/archive_name.h"
#include "ark/fsio.h"

/* "-YYYYMMDDTHHMMSS.mmmZ": the stamp format_name() writes. */
#define STAMP_LEN 21

static int is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * <dir>/<stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark.  The stamp has a fixed width,
 * so names sort as their times do; "/" is not doubled.  -1 when it does
 * not fit.
 */
static int format_name(const struct ark_archive_name *name, char *out,
		       size_t room)
{
	char stamp[17];
	const char *sep = strcmp(name->dir, "/") == 0 ? "" : "/";
	int len;

	ark_fsio_utc_stamp(stamp, name->ms / 1000);
	len = snprintf(out, room, "%s%s%s-%.15s.%03dZ.ark", name->dir, sep,
		       name->stem, stamp, (int)(name->ms % 1000));
	return len < 0 || (size_t)len >= room ? -1 : 0;
}

/*
 * The default name is taken (another archive of a database of the same
 * name in the same millisecond): the next later one, so names stay
 * unique and still sort in creation order.  Also the archive writer's
 * next_name hook, for a name taken between our check and the rename.
 */
int ark_archive_name_next(void *ctx, char *path, size_t room)
{
	struct ark_archive_name *name = ctx;
	int64_t now = now_ms();

	name->ms = now > name->ms ? now : name->ms + 1;
	return format_name(name, path, room);
}

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* stem ends in an ark stamp, "-20261130T121111.123Z"? */
static int ends_in_stamp(const char *stem)
{
	static const char shape[] = "-ddddddddTdddddd.dddZ";
	size_t len = strlen(stem);
	const char *s;

	if (len <= STAMP_LEN)
		return 0;
	s = stem + len - STAMP_LEN;
	for (size_t i = 0; i < STAMP_LEN; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
				    : s[i] != shape[i])
			return 0;
	return 1;
}

int ark_archive_name_init(struct ark_archive_name *name, const char *output,
			  const char *stem_source, struct ark_error *err)
{
	const char *base = strrchr(stem_source, '/');
	char *dot;
	size_t len;
	int rc;

	memset(name, 0, sizeof(*name));
	name->dir = ".";
	if (output) {
		len = strlen(output);
		while (len > 1 && output[len - 1] == '/')
			len--;
		if (len >= sizeof(name->dir_buf))
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "output path too long");
		memcpy(name->dir_buf, output, len);
		name->dir_buf[len] = '\0';
		if (is_directory(name->dir_buf)) {
			name->dir = name->dir_buf;
		} else if (output[strlen(output) - 1] == '/') {
			return ark_fsio_require_dir(name->dir_buf, output, err);
		} else {
			name->file = output;
			if (snprintf(name->path, sizeof(name->path), "%s",
				     output) >= (int)sizeof(name->path) ||
			    ark_fsio_dir_of(output, name->dir_buf,
					    sizeof(name->dir_buf)) != 0)
				return ark_error_set(err, ARK_ERR_USAGE, 0,
						     "output path too long");
			if ((rc = ark_fsio_require_dir(name->dir_buf, output,
						       err)))
				return rc;
			if (path_exists(name->path))
				return ark_error_set(err, ARK_ERR_REFUSED, 0,
						     "'%s' already exists; "
						     "refusing to overwrite "
						     "it", name->path);
			return 0;
		}
	}
	snprintf(name->stem, sizeof(name->stem), "%s",
		 base ? base + 1 : stem_source);
	dot = strrchr(name->stem, '.');
	if (dot && dot != name->stem) {
		/* an archive's own name: its stem without the stamp */
		int archive = strcmp(dot, ".ark") == 0;

		*dot = '\0';
		if (archive && ends_in_stamp(name->stem))
			name->stem[strlen(name->stem) - STAMP_LEN] = '\0';
	}
	name->ms = now_ms();
	if (format_name(name, name->path, sizeof(name->path)) != 0)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "output path too long");
	while (path_exists(name->path))
		if (ark_archive_name_next(name, name->path,
					  sizeof(name->path)) != 0)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "output path too long");
	return 0;
}

int64_t ark_archive_name_created(const struct ark_archive_name *name)
{
	return name->file ? (int64_t)time(NULL) : name->ms / 1000;
}

int ark_archive_name_parse(const char *name, const char *stem, int64_t *ms)
{
	size_t len = strlen(name), stem_len = strlen(stem);
	const char *s;
	struct tm tm = { 0 };
	int digits[17], k = 0;
	time_t seconds;

	if (len != stem_len + ARK_ARCHIVE_NAME_SUFFIX_LEN ||
	    strncmp(name, stem, stem_len) != 0)
		return -1;
	s = name + stem_len;
	if (s[0] != '-' || s[9] != 'T' || s[16] != '.' || s[20] != 'Z' ||
	    strcmp(s + 21, ".ark") != 0)
		return -1;
	for (int i = 1; i < 20; i++) {
		if (i == 9 || i == 16)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		digits[k++] = s[i] - '0';
	}
	tm.tm_year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 +
		     digits[3] - 1900;
	tm.tm_mon = digits[4] * 10 + digits[5] - 1;
	tm.tm_mday = digits[6] * 10 + digits[7];
	tm.tm_hour = digits[8] * 10 + digits[9];
	tm.tm_min = digits[10] * 10 + digits[11];
	tm.tm_sec = digits[12] * 10 + digits[13];
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	seconds = timegm(&tm);
	*ms = (int64_t)seconds * 1000 + digits[14] * 100 + digits[15] * 10 +
	      digits[16];
	return 0;
}

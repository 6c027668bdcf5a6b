/*
 * ark/text.h - making strings safe to show and to put in JSON.
 *
 * The one place that turns a path, a member name, a database name or a
 * manifest value into text that cannot forge a line or drive a terminal:
 * used by the reports, the error and log lines, the archive reader's
 * messages and the manifest the snapshot writes.
 */
#ifndef ARK_TEXT_H
#define ARK_TEXT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Copy text to out (room bytes, always NUL-terminated) so that it is safe
 * to show on a terminal or in a log line: control characters (below 0x20,
 * 0x7f and the C1 controls U+0080..U+009F) become \n, \t, \r or \xHH, and
 * bytes that are not valid UTF-8 become \xHH.  Everything else, backslash
 * included, is kept, so escaping an escaped string changes nothing.  An
 * escape is never cut in half; text that does not fit is cut.  Returns out.
 */
const char *ark_text_escape(const char *text, char *out, size_t room);

/* Terminal columns text takes: its UTF-8 code points (near enough: wide
 * CJK characters take two), for aligning tables of names. */
int ark_text_columns(const char *text);

/* fputs(text) escaped as by ark_text_escape(), never cut. */
void ark_text_put_escaped(FILE *out, const char *text);

/*
 * A JSON string for text: exact when text is valid UTF-8 (JSON escapes
 * control characters itself), else escaped as above.  NULL text gives
 * JSON null.
 */
json_t *ark_text_json_string(const char *text);

#endif

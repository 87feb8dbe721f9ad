/* Text from outside the tool (a report or baseline, possibly fetched from
 * the network; a server's answer; a case's message; a file name) reaches a
 * terminal or a CI log only through these functions.  Such text could
 * otherwise move the cursor, retitle the window, ring the bell, erase what
 * was printed, or forge whole lines in a CI log (an ESC sequence, a CR, an
 * LF), and a server could echo a credential back.
 *
 * What is shown escaped (a visible \xNN or \uNNNN; the escapes are for the
 * eye, a backslash in the text itself is left as it is):
 *   - C0 controls U+0000..U+001F (TAB, LF, CR, ESC, BEL, BS included),
 *     DEL U+007F and the C1 controls U+0080..U+009F (ECMA-48 §5: C1 has
 *     CSI, OSC and NEL, which some terminals act on even in UTF-8);
 *   - LINE SEPARATOR U+2028 and PARAGRAPH SEPARATOR U+2029 (line breaks to
 *     some log viewers) and the bidirectional controls U+200E, U+200F,
 *     U+202A..U+202E and U+2066..U+2069, which reorder what is displayed
 *     (Unicode UAX #9; the "Trojan Source" attack, CVE-2021-42574);
 *   - every byte that does not start a valid UTF-8 sequence (RFC 3629 §3:
 *     no overlong forms, no surrogates, nothing past U+10FFFF).
 * Every other valid UTF-8 character is kept as it is.
 *
 * Secrets (the publish token, credentials found in a URL on the command
 * line) are registered once; the cleaner then replaces each occurrence
 * with "***" before escaping, so a server that echoes one back, or a
 * message that quotes one, never prints it. */
#ifndef LC_TEXT_H
#define LC_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The UTF-8 character at s (n bytes available): its length in bytes and
 * its code point in *cp, or 0 when s[0] does not start a valid sequence. */
size_t lc_utf8_decode(const unsigned char *s, size_t n, unsigned long *cp);

/* Whether code point cp is shown escaped (the list above). */
int lc_text_unsafe_cp(unsigned long cp);

/* The n bytes at s made safe to show, written to dst (always terminated
 * when dstlen > 0; cut between two characters or escapes, never inside
 * one).  cut says s was cut from a longer text: a secret's beginning at
 * its very end is then redacted too.  Returns the length the whole would
 * need, as snprintf does. */
size_t lc_text_clean(char *dst, size_t dstlen, const char *s, size_t n, int cut);

/* s (NULL reads as "") made safe to show, for printing at once: the text
 * lives in one of LC_TEXT_SLOTS buffers of this thread, reused in turn, so
 * it is valid until that many further calls of lc_text_show,
 * lc_text_excerpt or lc_text_url.  Never store it. */
#define LC_TEXT_SLOTS 8
const char *lc_text_show(const char *s);

/* At most max bytes of s's n bytes (ending on a character boundary), made
 * safe, with "..." when anything was left out: for a server's answer or a
 * long message.  Same lifetime as lc_text_show. */
const char *lc_text_excerpt(const char *s, size_t n, size_t max);

/* In place, for fixed buffers that hold a message to print later (loader
 * errors): each unsafe character, and each byte of invalid UTF-8, becomes
 * '?'.  The text never grows, so nothing is lost to the buffer's size. */
void lc_text_one_line(char *s);

/* Registers a secret to redact from everything the cleaner shows (up to
 * LC_TEXT_MAX_SECRETS; the text is copied).  Empty strings are ignored. */
#define LC_TEXT_MAX_SECRETS 32
void lc_text_secret(const char *s);
/* Forgets every secret (tests). */
void lc_text_secrets_clear(void);

/* ---- URLs (text_url.c) ---- */

/* A URL as it may be shown: the user information before '@' becomes
 * "***", and so does the value of every query or fragment parameter whose
 * name contains token, key, secret, pass, pwd, sig, auth or cred (any
 * case).  Text that is not a URL (no "scheme://") is copied as it is.
 * Returns the length the whole would need, as snprintf does. */
size_t lc_url_redact(const char *url, char *dst, size_t dstlen);

/* lc_url_redact then lc_text_show: how every URL or file name given by
 * the user is printed.  Same lifetime as lc_text_show. */
const char *lc_text_url(const char *s);

/* Registers, as secrets, the credentials of every URL among the arguments
 * (also "--opt=URL"): the user information, its password, and the values
 * of the parameters lc_url_redact hides.  Values shorter than
 * LC_URL_SECRET_MIN bytes are hidden where the URL is shown but not
 * searched for in other text, where they would hide every digit or
 * short word. */
#define LC_URL_SECRET_MIN 4
void lc_text_secrets_from_args(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif

/* Messages that quote outside input (file contents, case output, JSON
 * parser errors that show the text "near" a fault) must stay one line and
 * must not carry terminal escapes: every error this tool prints is one
 * line (see docs/bad-input.md). */
#ifndef LC_TEXT_H
#define LC_TEXT_H

/* Replace every control character (below 0x20, and DEL) in s with '?'. */
void lc_text_one_line(char *s);

#endif

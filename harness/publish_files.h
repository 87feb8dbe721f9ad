/* What `loopcompat publish` sends where, apart from the sending: the
 * Content-Type of a file by its name, the files of a site directory, the
 * URL each goes to, the `latest` copy's URL and the collections above a
 * URL (for MKCOL).  No network here, so that it can be tested alone. */
#ifndef LC_HARNESS_PUBLISH_FILES_H
#define LC_HARNESS_PUBLISH_FILES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The media type of a file by its extension (case-insensitive), as a
 * static server's table (nginx's mime.types) would say, with
 * charset=utf-8 on text types: everything the tools write is UTF-8. */
const char *lc_publish_content_type(const char *name);

/* The regular files under dir, as relative names with '/' separators,
 * sorted, with "index.html" (the site's entry page) moved last so that
 * it never links to a page not uploaded yet.  A symbolic link, FIFO,
 * socket or device is refused (nothing but the site's own files leaves
 * the machine), and so is a directory with no regular file in it.  0, or
 * -1 with a one-line message in err. */
typedef struct lc_publish_tree {
    char **names;
    size_t n, cap;
} lc_publish_tree;
int lc_publish_list_dir(const char *dir, lc_publish_tree *t, char *err, size_t errlen);
void lc_publish_tree_free(lc_publish_tree *t);
/* Appends a copy of name.  0, or -1 out of memory. */
int lc_publish_tree_add(lc_publish_tree *t, const char *name);

/* base (ending in '/', no query) + rel, each byte of rel outside RFC 3986's
 * unreserved set and '/' percent-encoded.  malloc'd, or NULL. */
char *lc_publish_join_url(const char *base, const char *rel);

/* The URL of the latest copy: url's last path segment replaced by name,
 * or when name is "" by "latest" plus the segment's extension (".json",
 * or two of them when the last is ".gz": ".json.gz").  malloc'd, or NULL
 * with a one-line message in err (a URL with a query or fragment, no path,
 * or whose last segment is already that name). */
char *lc_publish_latest_url(const char *url, const char *name, char *err, size_t errlen);

/* The collections above url, outermost first, each ending in '/' (RFC 4918
 * §5.2), without the root: "http://h/a/b/c.json" gives "http://h/a/" and
 * "http://h/a/b/".  *n gets how many; free with lc_publish_urls_free. */
char **lc_publish_parent_urls(const char *url, size_t *n);
void lc_publish_urls_free(char **urls, size_t n);

#ifdef __cplusplus
}
#endif
#endif

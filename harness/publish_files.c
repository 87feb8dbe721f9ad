/* Names and URLs for `loopcompat publish` (publish_files.h). */
#include "publish_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The types a rendered site, a report and the CI formats need.  Sources:
 * application/json RFC 8259 §11 (no charset parameter); text/html and
 * text/plain with charset (RFC 6838 §4.2.1); text/markdown RFC 7763;
 * image/svg+xml (SVG 1.1 Appendix P); image/png RFC 2083; application/xml
 * RFC 7303 §4.1 (JUnit XML has no type of its own); TAP has none either, so
 * text/plain; text/css RFC 2318; text/javascript RFC 9239; application/gzip
 * RFC 6713. */
static const struct {
    const char *ext, *type;
} types[] = {
    {".json", "application/json"},
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".xml", "application/xml"},
    {".tap", "text/plain; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".gz", "application/gzip"},
};

const char *lc_publish_content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    /* RFC 2046 §4.5.1: arbitrary binary data. */
    return "application/octet-stream";
}

/* A directory past this many files is not a rendered site. */
#define MAX_FILES 100000

int lc_publish_tree_add(lc_publish_tree *t, const char *name)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->names, cap * sizeof *p);
        if (!p)
            return -1;
        t->names = p;
        t->cap = cap;
    }
    if (!(t->names[t->n] = strdup(name)))
        return -1;
    t->n++;
    return 0;
}

static int walk(const char *root, const char *rel, lc_publish_tree *t, int depth, char *err,
                size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    if (depth > 32) {
        snprintf(err, errlen, "%s: more than 32 directories deep", path);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[4096], full[4096];
        int n = snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        int m = snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (n < 0 || (size_t)n >= sizeof sub || m < 0 || (size_t)m >= sizeof full) {
            snprintf(err, errlen, "%s/%s: name too long", path, e->d_name);
            rc = -1;
        } else if (lstat(full, &st) != 0) {
            snprintf(err, errlen, "%s: %s", full, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(root, sub, t, depth + 1, err, errlen);
        } else if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: not a regular file or directory (publish sends only those)",
                     full);
            rc = -1;
        } else if (t->n >= MAX_FILES) {
            snprintf(err, errlen, "%s: more than %d files", root, MAX_FILES);
            rc = -1;
        } else if (lc_publish_tree_add(t, sub) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    /* The entry page last. */
    int xi = strcmp(x, "index.html") == 0, yi = strcmp(y, "index.html") == 0;
    return xi != yi ? xi - yi : strcmp(x, y);
}

int lc_publish_list_dir(const char *dir, lc_publish_tree *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (walk(dir, "", t, 0, err, errlen) != 0) {
        lc_publish_tree_free(t);
        return -1;
    }
    if (t->n == 0) {
        snprintf(err, errlen, "%s: is a directory with no regular file in it: nothing to publish",
                 dir);
        return -1;
    }
    qsort(t->names, t->n, sizeof *t->names, by_name);
    return 0;
}

void lc_publish_tree_free(lc_publish_tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    memset(t, 0, sizeof *t);
}

char *lc_publish_join_url(const char *base, const char *rel)
{
    size_t bl = strlen(base);
    char *out = malloc(bl + 3 * strlen(rel) + 1);
    if (!out)
        return NULL;
    memcpy(out, base, bl);
    char *p = out + bl;
    for (const unsigned char *s = (const unsigned char *)rel; *s; s++) {
        /* RFC 3986 §2.3 unreserved, and the path separator. */
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~/", *s))
            *p++ = (char)*s;
        else
            p += sprintf(p, "%%%02X", *s);
    }
    *p = '\0';
    return out;
}

/* Where url's path starts ("/..."), or NULL. */
static const char *url_path(const char *url)
{
    const char *s = strstr(url, "://");
    return s ? strchr(s + 3, '/') : NULL;
}

char *lc_publish_latest_url(const char *url, const char *name, char *err, size_t errlen)
{
    const char *path = url_path(url);
    if (strpbrk(url, "?#")) {
        snprintf(err, errlen, "--latest: the URL has a query or fragment; publish the latest "
                              "copy with a second command");
        return NULL;
    }
    const char *seg = path ? strrchr(path, '/') + 1 : NULL;
    if (!seg || !seg[0]) {
        snprintf(err, errlen, "--latest: the URL names no file (it must end in a file name)");
        return NULL;
    }
    char made[512];
    if (!name[0]) {
        const char *ext = strrchr(seg, '.');
        if (ext && strcasecmp(ext, ".gz") == 0) {
            const char *e2 = ext;
            while (e2 > seg && e2[-1] != '.')
                e2--;
            ext = e2 > seg ? e2 - 1 : ext;
        }
        snprintf(made, sizeof made, "latest%s", ext ? ext : "");
        name = made;
    }
    if (strcmp(seg, name) == 0) {
        snprintf(err, errlen, "--latest: the URL already names %s", name);
        return NULL;
    }
    size_t head = (size_t)(seg - url);
    char *out = malloc(head + strlen(name) + 1);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(out, url, head);
    strcpy(out + head, name);
    return out;
}

char **lc_publish_parent_urls(const char *url, size_t *n)
{
    *n = 0;
    const char *path = url_path(url);
    if (!path)
        return NULL;
    size_t end = strcspn(path, "?#"), count = 0;
    for (size_t i = 1; i < end; i++)
        count += path[i] == '/';
    char **out = count ? calloc(count, sizeof *out) : NULL;
    if (!out)
        return NULL;
    for (size_t i = 1; i < end; i++) {
        if (path[i] != '/')
            continue;
        size_t len = (size_t)(path - url) + i + 1;
        if (!(out[*n] = malloc(len + 1))) {
            lc_publish_urls_free(out, *n);
            *n = 0;
            return NULL;
        }
        memcpy(out[*n], url, len);
        out[(*n)++][len] = '\0';
    }
    return out;
}

void lc_publish_urls_free(char **urls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
}

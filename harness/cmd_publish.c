/* loopcompat publish FILE|DIR --url URL [options] (publish_args.c has the
 * options and the help).
 *
 * A file goes as its own bytes, so that a plain static server (nginx's
 * WebDAV module stores the body as it came) serves back exactly the file,
 * with the type its name gives; --gzip sends gzip with Content-Encoding:
 * gzip, for servers that decode it or serve it again as such.  A
 * directory is a rendered site: every regular file under it, to the URL
 * plus its relative name.  --latest sends the same bytes a second time,
 * to a fixed name next to a dated one: a copy, not a redirect, because a
 * static server cannot be told over PUT to redirect, while a copy is
 * served as it is to browsers, curl and `run --baseline URL` alike. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_opt.h"
#include "cmd_args.h"
#include "commands.h"
#include "publish_files.h"
#include "publish_http.h"
#include "report_io.h"
#include "report_load.h"
#include "text.h"

typedef struct publisher {
    const lc_publish_args *o;
    const char *token;
    CURL *h;
    long attempts; /* of the last request */
    lc_publish_outcome out;
    char why[1024];
} publisher;

static void sleep_s(long s)
{
    struct timespec ts = {s, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One request, retried as lc_publish_decide says.  LC_PUBLISH_STORED, or
 * LC_PUBLISH_GIVE_UP with the reason in p->why. */
static int request(publisher *p, const char *method, const char *url, const lc_publish_body *b)
{
    long backoff = 1;
    for (long n = 0;; n++) {
        long wait;
        lc_publish_attempt(p->h, p->o, method, url, b, p->token, &p->out);
        int d = lc_publish_decide(&p->out, n, p->o->retries, &backoff, p->why, sizeof p->why,
                                  &wait);
        p->attempts = n + 1;
        if (d != LC_PUBLISH_RETRY)
            return d;
        fprintf(stderr, "loopcompat publish: attempt %ld of %ld: %s; retrying in %ld s\n", n + 1,
                p->o->retries + 1, p->why, wait);
        sleep_s(wait);
    }
}

/* After a give-up: the error line, and the exit status.  No answer or the
 * server's failure is LC_EXIT_NETWORK (a retry later may do); a 4xx refuses
 * what was sent: bad input. */
static int gave_up(const publisher *p, const char *method, const char *url)
{
    lc_cmd_error("publish", "%s%s%s: %s; gave up after %ld attempt%s",
                 strcmp(method, p->o->method) ? method : "", strcmp(method, p->o->method) ? " " : "",
                 lc_text_url(url), p->why, p->attempts, p->attempts > 1 ? "s" : "");
    return p->out.curl != CURLE_OK || lc_http_status_remote(p->out.status) ? LC_EXIT_NETWORK : 2;
}

/* MKCOL of one collection.  201 made it; 405 Method Not Allowed is what a
 * WebDAV server answers for one that exists (RFC 4918 §9.3.1), and a
 * server without MKCOL too (nginx with create_full_put_path makes
 * directories on PUT), so the PUT that follows decides.  0, or the exit
 * status after a give-up on the network or a refusal (401, 403). */
static int mkcol(publisher *p, const char *url)
{
    if (request(p, "MKCOL", url, NULL) == LC_PUBLISH_STORED)
        return 0;
    if (p->out.curl != CURLE_OK || lc_http_status_remote(p->out.status) ||
        p->out.status == 401 || p->out.status == 403)
        return gave_up(p, "MKCOL", url);
    return 0;
}

/* MKCOL every collection above url, outermost first. */
static int make_parents(publisher *p, const char *url)
{
    size_t n;
    char **parents = lc_publish_parent_urls(url, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mkcol(p, parents[i]);
    lc_publish_urls_free(parents, n);
    return rc;
}

/* Sends b to url; prints one line naming what was stored, or the error.
 * 0, or the exit status. */
static int send_file(publisher *p, const char *shown, const char *url, const lc_publish_body *b,
                     size_t plain_len)
{
    int d = request(p, p->o->method, url, b);
    /* RFC 4918 §9.7.1: a PUT whose parent collection is missing fails with
     * 409 Conflict (nginx without create_full_put_path). */
    if (d == LC_PUBLISH_GIVE_UP && p->out.curl == CURLE_OK && p->out.status == 409 &&
        strcmp(p->o->method, "PUT") == 0) {
        int rc = make_parents(p, url);
        if (rc != 0)
            return rc;
        d = request(p, p->o->method, url, b);
    }
    if (d != LC_PUBLISH_STORED)
        return gave_up(p, p->o->method, url);
    char gz[64] = "";
    if (b->gzip)
        snprintf(gz, sizeof gz, ", %zu gzipped", b->len);
    printf("published %s to %s: HTTP %ld (%zu bytes%s, %s)\n", lc_text_url(shown),
           lc_text_url(url), p->out.status, plain_len, gz, b->content_type);
    return 0;
}

/* Sends data (the file's bytes) to url, gzipped first with --gzip. */
static int send_bytes(publisher *p, const char *shown, const char *url, const char *data,
                      size_t len, const char *type)
{
    lc_publish_body b = {(const unsigned char *)data, len, type, 0};
    unsigned char *gz = NULL;
    if (p->o->gzip) {
        char err[256];
        if (lc_report_gzip(data, len, &gz, &b.len, err, sizeof err) != 0) {
            lc_cmd_error("publish", "%s: %s", shown, err);
            return 2;
        }
        b.data = gz;
        b.gzip = 1;
    }
    int rc = send_file(p, shown, url, &b, len);
    free(gz);
    return rc;
}

/* The token as a server may echo it: as sent; JSON-escaped, where "/" may
 * be "\\/" (RFC 8259 §7); percent-encoded, in either case of hex digit
 * (RFC 3986 §2.1).  A b64token's only characters that change are + / =. */
static void register_token(const char *t)
{
    size_t n = strlen(t);
    char *buf = malloc(3 * n + 1);
    lc_text_secret(t);
    if (!buf)
        return;
    for (int form = 0; form < 3; form++) {
        char *p = buf;
        for (const char *s = t; *s; s++) {
            if (form == 0 && *s == '/')
                p += sprintf(p, "\\/");
            else if (form > 0 && strchr("+/=", *s))
                p += sprintf(p, form == 1 ? "%%%02X" : "%%%02x", (unsigned char)*s);
            else
                *p++ = *s;
        }
        *p = '\0';
        lc_text_secret(buf);
    }
    free(buf);
}

/* Before any connection: the token must be a bearer token, and goes in
 * plain text only to loopback unless the user said otherwise. */
static int check_token(const lc_publish_args *o, const char *token)
{
    size_t at;
    const char *problem = lc_publish_token_problem(token, &at);
    if (problem) {
        lc_cmd_error("publish",
                     "--token-env: %s does not hold a bearer token (RFC 6750 section 2.1, "
                     "b64token): character %zu %s",
                     o->token_env, at, problem);
        return 2;
    }
    register_token(token);
    char host[256];
    if (strncmp(o->url, "http://", 7) != 0 || lc_publish_url_loopback(o->url, host, sizeof host))
        return 0;
    if (!o->allow_http_token) {
        lc_cmd_error("publish",
                     "--url: refusing to send the token in plain text (http://) to %s, which is "
                     "not loopback; use https://, or --allow-http-token",
                     host[0] ? host : "a host that does not parse");
        return 2;
    }
    fprintf(stderr, "loopcompat publish: warning: the token goes in plain text (http://) to %s\n",
            lc_text_show(host));
    return 0;
}

/* FILE (or a report's URL): read, checked if JSON, sent, and with --latest
 * sent again under the fixed name. */
static int publish_file(publisher *p)
{
    const lc_publish_args *o = p->o;
    char err[768], shown[1024]; /* a URL is named without its credentials */
    lc_url_redact(o->src, shown, sizeof shown);
    int is_url = lc_report_is_url(o->src);
    /* A URL's document is the one its server sends (decoded): JSON. */
    const char *named = is_url ? "application/json" : lc_publish_content_type(o->src);
    const char *type = o->content_type ? o->content_type : named;
    char *latest = NULL;
    if (o->latest && !(latest = lc_publish_latest_url(o->url, o->latest, err, sizeof err))) {
        lc_cmd_error("publish", "%s", err);
        return 2;
    }
    char *data;
    size_t len;
    if ((is_url ? lc_report_fetch(o->src, &data, &len, err, sizeof err)
                : lc_report_read_path(o->src, &data, &len, err, sizeof err)) != 0) {
        lc_cmd_error("publish", "%s", err);
        free(latest);
        return is_url && lc_report_fetch_network_failed() ? LC_EXIT_NETWORK : 2;
    }
    /* Only a valid report or matrix is published as one. */
    if (strcmp(named, "application/json") == 0) {
        json_t *doc = lc_doc_parse(shown, data, len, LC_DOC_ANY, NULL, err, sizeof err);
        if (!doc) {
            free(data);
            free(latest);
            lc_cmd_error("publish", "%s", err);
            return 2;
        }
        json_decref(doc);
    }
    int rc = send_bytes(p, shown, o->url, data, len, type);
    if (rc == 0 && latest)
        rc = send_bytes(p, shown, latest, data, len, type);
    free(data);
    free(latest);
    return rc;
}

/* MKCOL of the directories of rel ("a/b/c.html": a/, a/b/) not made yet
 * (listed in made). */
static int make_subdirs(publisher *p, const char *rel, lc_publish_tree *made)
{
    char dir[4096];
    for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
        size_t n = (size_t)(s - rel) + 1;
        snprintf(dir, sizeof dir, "%.*s", (int)n, rel);
        int known = 0;
        for (size_t i = 0; i < made->n && !known; i++)
            known = strcmp(made->names[i], dir) == 0;
        if (known)
            continue;
        char *url = lc_publish_join_url(p->o->url, dir);
        int rc = url ? mkcol(p, url) : 2;
        free(url);
        if (rc != 0 || lc_publish_tree_add(made, dir) != 0)
            return rc ? rc : 2;
    }
    return 0;
}

/* DIR: every regular file under it, the entry page last. */
static int publish_dir(publisher *p)
{
    const lc_publish_args *o = p->o;
    char err[768];
    lc_publish_tree t;
    if (lc_publish_list_dir(o->src, &t, err, sizeof err) != 0) {
        lc_cmd_error("publish", "%s", err);
        return 2;
    }
    int rc = 2;
    size_t ulen = strlen(o->url);
    if (o->latest || o->content_type)
        lc_cmd_error("publish", "%s: --latest and --content-type are for a FILE, not a directory",
                     o->src);
    else if (!ulen || o->url[ulen - 1] != '/' || strpbrk(o->url, "?#"))
        lc_cmd_error("publish", "--url: a directory goes to a URL ending in '/', with no query");
    else
        rc = 0;
    /* The base and each subdirectory are made before their files: nginx
     * without create_full_put_path answers a PUT into a missing directory
     * with 500, not the 409 of RFC 4918 §9.7.1 that send_file handles. */
    lc_publish_tree made = {0};
    if (rc == 0 && strcmp(o->method, "PUT") == 0)
        rc = mkcol(p, o->url);
    size_t bytes = 0, i = 0;
    for (; rc == 0 && i < t.n; i++) {
        char path[4096], *data;
        size_t len;
        rc = strcmp(o->method, "PUT") == 0 ? make_subdirs(p, t.names[i], &made) : 0;
        if (rc != 0)
            break;
        snprintf(path, sizeof path, "%s/%s", o->src, t.names[i]);
        if (lc_report_read_path(path, &data, &len, err, sizeof err) != 0) {
            lc_cmd_error("publish", "%s", err);
            rc = 2;
            break;
        }
        char *url = lc_publish_join_url(o->url, t.names[i]);
        rc = url ? send_bytes(p, path, url, data, len, lc_publish_content_type(t.names[i])) : 2;
        bytes += len;
        free(url);
        free(data);
    }
    if (rc == 0)
        printf("published %s: %zu files, %zu bytes, to %s\n", lc_text_url(o->src), t.n, bytes,
               lc_text_url(o->url));
    lc_publish_tree_free(&t);
    lc_publish_tree_free(&made);
    return rc;
}

int lc_cmd_publish(int argc, char **argv)
{
    lc_publish_args o;
    int prc = lc_publish_parse_args(argc, argv, &o);
    if (prc != LC_ARGS_CONTINUE)
        return prc;
    publisher p = {.o = &o};
    if (o.token_env) {
        p.token = getenv(o.token_env);
        if (!p.token || !p.token[0]) {
            lc_cmd_error("publish", "--token-env: environment variable %s is not set or empty",
                         o.token_env);
            return 2;
        }
        if (check_token(&o, p.token) != 0)
            return 2;
    }
    if (lc_report_curl_init() != 0 || !(p.h = curl_easy_init())) {
        lc_cmd_error("publish", "libcurl failed to start");
        return 2;
    }
    struct stat st;
    int dir = !lc_report_is_url(o.src) && stat(o.src, &st) == 0 && S_ISDIR(st.st_mode);
    int rc = dir ? publish_dir(&p) : publish_file(&p);
    curl_easy_cleanup(p.h);
    return rc;
}

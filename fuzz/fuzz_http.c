/* The HTTP answers diff/merge/render/validate (fetching a report by URL)
 * and publish (uploading one) have to interpret: status line, headers
 * (Content-Length, Content-Encoding, Location, Retry-After), body size cap.
 * The input is the whole response, served by a loopback server to the real
 * libcurl code paths; every proxy variable points at that server too, so a
 * Location to anywhere comes back here instead of reaching the network. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "publish_http.h"
#include "report_io.h"
#include "report_load.h"

static int listen_fd = -1;
static char base_url[64];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* The server's own copy: a late connection never reads the fuzzer's
 * buffer after the input is done. */
static uint8_t *resp;
static size_t resp_len;

/* Read the request until the blank line (and a short body), so that the
 * client is not reset while it still sends. */
static void read_request(int fd)
{
    char buf[8192];
    size_t got = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            return;
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            return;
        got += (size_t)n;
        buf[got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            size_t want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            size_t have = got - (size_t)(end + 4 - buf);
            while (have < want && got < sizeof buf - 1) {
                if (poll(&p, 1, 200) <= 0)
                    return;
                n = read(fd, buf + got, sizeof buf - 1 - got);
                if (n <= 0)
                    return;
                got += (size_t)n;
                have += (size_t)n;
            }
            return;
        }
        if (got == sizeof buf - 1)
            return;
    }
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        read_request(fd);
        pthread_mutex_lock(&mu);
        const uint8_t *p = resp;
        size_t left = resp_len;
        while (left > 0) {
            ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            p += n;
            left -= (size_t)n;
        }
        pthread_mutex_unlock(&mu);
        shutdown(fd, SHUT_WR);
        char sink[4096];
        struct pollfd pf = {fd, POLLIN, 0};
        while (poll(&pf, 1, 100) > 0 && read(fd, sink, sizeof sink) > 0)
            ;
        close(fd);
    }
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0) {
        perror("fuzz_http: loopback server");
        abort();
    }
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", ntohs(a.sin_port));
    static const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                       "ALL_PROXY", "all_proxy"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        setenv(vars[i], base_url, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    pthread_t t;
    if (pthread_create(&t, NULL, serve, NULL) != 0)
        abort();
    pthread_detach(t);
    lc_report_curl_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    pthread_mutex_lock(&mu);
    free(resp);
    resp = copy;
    resp_len = size;
    pthread_mutex_unlock(&mu);

    /* Fetching a report (what diff and the other readers do with a URL). */
    char url[128], err[768];
    snprintf(url, sizeof url, "%s/report.json", base_url);
    json_t *doc = lc_doc_load(url, LC_DOC_ANY, NULL, err, sizeof err);
    if (doc)
        json_decref(doc);
    else
        lc_fuzz_one_line("lc_doc_load", err);

    /* One publish attempt and the decision taken on its answer. */
    CURL *h = curl_easy_init();
    if (!h)
        return 0;
    lc_publish_args o = {.src = "report.json", .url = url, .method = "PUT", .retries = 3,
                         .connect_timeout = 2, .timeout = 2};
    static const unsigned char body[] = "{}";
    lc_publish_outcome out;
    lc_publish_body b = {body, sizeof body - 1, "application/json", 0};
    lc_publish_attempt(h, &o, "PUT", url, &b, NULL, &out);
    curl_easy_cleanup(h);
    if (out.retry_after < 0 || out.retry_after > LC_PUBLISH_RETRY_AFTER_CAP_S)
        abort();
    char why[400];
    for (long n = 0; n <= o.retries; n++) {
        long backoff = 1L << (n < 6 ? n : 6), wait;
        int d = lc_publish_decide(&out, n, o.retries, &backoff, why, sizeof why, &wait);
        if (d == LC_PUBLISH_STORED)
            break;
        lc_fuzz_one_line("lc_publish_decide", why);
        if (d == LC_PUBLISH_RETRY &&
            (wait < 1 || wait > LC_PUBLISH_RETRY_AFTER_CAP_S || n >= o.retries))
            abort();
        if (d == LC_PUBLISH_GIVE_UP)
            break;
    }
    return 0;
}

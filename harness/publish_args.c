/* The options of `loopcompat publish`, apart from the upload: shared by the
 * build with libcurl (cmd_publish.c) and the one without (cmd_publish_none.c),
 * so that both take and refuse the same command lines. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"
#include "cmd_args.h"

const char lc_publish_usage[] =
    "usage: loopcompat publish FILE|DIR --url URL [--gzip] [--latest[=NAME]]\n"
    "         [--content-type TYPE] [--method PUT|POST] [--token-env NAME]\n"
    "         [--allow-http-token] [--retries N] [--connect-timeout S] [--timeout S]\n"
    "  FILE                 upload the file's bytes as they are, with the\n"
    "                       Content-Type of its name (a .json file must be a\n"
    "                       valid report or matrix)\n"
    "  DIR                  upload every regular file under DIR to URL (ending\n"
    "                       in /) plus its relative name; DIR/index.html last\n"
    "  --url URL            http or https URL to upload to\n"
    "  --gzip               send the body gzipped, with Content-Encoding: gzip\n"
    "  --latest[=NAME]      (FILE) then the same bytes to NAME in URL's directory\n"
    "                       (default: latest and URL's extension: latest.json)\n"
    "  --content-type TYPE  (FILE) send TYPE instead of the type of the name\n"
    "  --method M           PUT (default) or POST\n"
    "  --token-env NAME     send the bearer token held in environment variable NAME\n"
    "  --allow-http-token   send it even in plain text (http://) to a host that is\n"
    "                       not loopback (refused otherwise)\n"
    "  --retries N          retries on network errors, HTTP 408, 429, 5xx (default 3)\n"
    "  --connect-timeout S  seconds to connect (default 10)\n"
    "  --timeout S          seconds for each whole attempt (default 60)\n"
    "Content-Type by name: .json application/json; .html text/html; .md\n"
    "text/markdown; .svg image/svg+xml; .png image/png; .xml (JUnit) application/xml;\n"
    ".tap and .txt text/plain; .css text/css; .js text/javascript; .gz\n"
    "application/gzip; other application/octet-stream (texts with charset=utf-8).\n"
    "With PUT, a directory's subdirectories are made with MKCOL first, and a PUT\n"
    "answered 409 Conflict (a missing parent collection, RFC 4918 section 9.7.1)\n"
    "makes the collections above it with MKCOL and is sent once more.\n"
    "Exit status: 0 stored, 2 bad input or refused by the server (4xx), 3 the\n"
    "server not reached or failing after the retries.\n";

/* A header value: printable ASCII, so that it cannot end the header line
 * (RFC 9110 §5.5: field values are visible characters, space and tab). */
static int header_value_ok(const char *v)
{
    if (!v[0])
        return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return 0;
    return 1;
}

static int value_error(const char *opt, const char *why, const char *v)
{
    lc_cmd_error("publish", "%s: %s, got \"%s\"", opt, why, v);
    return 2;
}

int lc_publish_parse_args(int argc, char **argv, lc_publish_args *o)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},
        {"method", required_argument, NULL, 'm'},
        {"token-env", required_argument, NULL, 'k'},
        {"allow-http-token", no_argument, NULL, 'A'},
        {"retries", required_argument, NULL, 'r'},
        {"connect-timeout", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"gzip", no_argument, NULL, 'z'},
        {"latest", optional_argument, NULL, 'L'},
        {"content-type", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    *o = (lc_publish_args){NULL, NULL, "PUT", NULL, 3, 10, 60, 0, 0, NULL, NULL};
    int c;
    /* 0, not 1: glibc resets all its state (getopt(3)). */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 'm':
            if (strcmp(optarg, "PUT") != 0 && strcmp(optarg, "POST") != 0)
                return value_error("--method", "expected PUT or POST", optarg);
            o->method = optarg;
            break;
        case 'k': o->token_env = optarg; break;
        case 'A': o->allow_http_token = 1; break;
        case 'r':
            if (lc_opt_long("publish", "--retries", optarg, 0, 20, &o->retries) != 0)
                return 2;
            break;
        case 'c':
            if (lc_opt_double("publish", "--connect-timeout", optarg, 0.001, 3600,
                              &o->connect_timeout) != 0)
                return 2;
            break;
        case 't':
            if (lc_opt_double("publish", "--timeout", optarg, 0.001, 86400, &o->timeout) != 0)
                return 2;
            break;
        case 'z': o->gzip = 1; break;
        case 'L':
            /* A file name in the URL's directory, nothing more. */
            if (optarg && (!optarg[0] || strpbrk(optarg, "/?#%\\") || !header_value_ok(optarg) ||
                           strcmp(optarg, ".") == 0 || strcmp(optarg, "..") == 0))
                return value_error("--latest", "expected a file name (no / ? # % \\)", optarg);
            o->latest = optarg ? optarg : "";
            break;
        case 'T':
            if (!header_value_ok(optarg))
                return value_error("--content-type", "expected printable ASCII", optarg);
            o->content_type = optarg;
            break;
        case 'h': fputs(lc_publish_usage, stdout); return 0;
        default: return lc_cli_getopt_fail("publish", c, argv);
        }
    }
    if (optind < argc)
        o->src = argv[optind++];
    if (optind < argc) {
        lc_cmd_error("publish", "one FILE or DIR at a time; unexpected %s", argv[optind]);
        return 2;
    }
    if (!o->src || !o->url) {
        lc_cmd_error("publish", "expected FILE or DIR and --url URL (see loopcompat publish --help)");
        return 2;
    }
    if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0) {
        lc_cmd_error("publish", "--url: expected an http:// or https:// URL");
        return 2;
    }
    return LC_ARGS_CONTINUE;
}

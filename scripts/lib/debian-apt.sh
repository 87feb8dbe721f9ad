# Shared by the scripts that fetch Debian packages (binary or source) through
# a private apt state: nothing in the machine's own apt configuration is
# read for writing or changed, and no mirror's host is written here.  The
# mirror is the one the machine's own apt sources already use for Debian.
#
#   . scripts/lib/debian-apt.sh
#   lc_apt_mirror                     print the Debian mirror URI, or fail
#   lc_apt_private DIR TYPE SUITE...  set LC_APT_OPTS (an array of apt-get
#                                     options) for a private state in DIR with
#                                     one TYPE (deb or deb-src) line per suite
#   lc_apt_update                     apt-get update in that state, once
#
# LC_DEBIAN_MIRROR in the environment overrides the mirror found.
# shellcheck shell=bash

# The Debian archive among the machine's sources: a URI that serves one of
# this release's suites (not the security archive, whose suites are named
# CODENAME-security and which holds no other suite).  Both source formats:
# one-line (sources.list(5) "deb URI SUITE COMPONENTS") and deb822
# (sources.list(5) "URIs:"/"Suites:" stanzas).
lc_apt_mirror() {
    if [ -n "${LC_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "${LC_DEBIAN_MIRROR%/}"
        return 0
    fi
    local files=() f
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    local uri
    uri=$(awk '
        function take(u, s) { if (s !~ /-security$/ && u ~ /^(https?|file):/ && !found) { print u; found = 1 } }
        /^[[:space:]]*deb[[:space:]]/ {
            # deb [options] URI SUITE ...
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            take($i, $(i + 1)); next
        }
        /^[[:space:]]*$/ { if (uris != "" && types ~ /deb/) { n = split(uris, u, " "); m = split(suites, s, " ");
                               for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) take(u[a], s[b]) }
                           uris = ""; suites = ""; types = ""; next }
        /^Types:/  { types = $0 }
        /^URIs:/   { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
        /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
        END { if (uris != "" && types ~ /deb/) { n = split(uris, u, " "); m = split(suites, s, " ");
                  for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) take(u[a], s[b]) } }
    ' "${files[@]}" /dev/null | awk 'tolower($0) ~ /debian/ && !d { d = $0 } !f { f = $0 }
                                       END { print (d != "" ? d : f) }')
    if [ -z "$uri" ]; then
        echo "no Debian archive among the apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d); set LC_DEBIAN_MIRROR" >&2
        return 1
    fi
    printf '%s\n' "${uri%/}"
}

# lc_apt_private DIR TYPE SUITE...: a private apt state under DIR.  The
# archive keyring the machine trusts signs every suite Debian serves
# (debian-archive-keyring holds the keys of the current and previous
# releases).
lc_apt_private() {
    local dir=$1 type=$2
    shift 2
    local mirror
    mirror=$(lc_apt_mirror) || return 1
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc/preferences.d"
    local tmp=$dir/sources.list.tmp s
    : >"$tmp"
    for s in "$@"; do
        printf '%s %s %s main\n' "$type" "$mirror" "$s" >>"$tmp"
    done
    # A changed suite list invalidates the lists fetched for the old one.
    if ! cmp -s "$tmp" "$dir/sources.list" 2>/dev/null; then
        mv "$tmp" "$dir/sources.list"
        rm -f "$dir/lists/.updated"
    else
        rm -f "$tmp"
    fi
    : >"$dir/etc/status"
    LC_APT_DIR=$dir
    LC_APT_OPTS=(-o Dir::Etc::SourceList="$dir/sources.list"
        -o Dir::Etc::SourceParts=/dev/null
        -o Dir::Etc::PreferencesParts="$dir/etc/preferences.d"
        -o Dir::State::Lists="$dir/lists"
        -o Dir::State::Status="$dir/etc/status"
        -o Dir::Cache="$dir/cache"
        -o APT::Sandbox::User=root
        -o Acquire::Languages=none)
}

# Lists older than a day are fetched again; otherwise the cache is reused.
lc_apt_update() {
    local stamp=$LC_APT_DIR/lists/.updated
    if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
        return 0
    fi
    apt-get "${LC_APT_OPTS[@]}" -q update >"$LC_APT_DIR/update.log" 2>&1 || {
        echo "apt-get update in $LC_APT_DIR failed: $(grep -m1 -E '^(E|Err):' "$LC_APT_DIR/update.log" || tail -1 "$LC_APT_DIR/update.log")" >&2
        return 1
    }
    touch "$stamp"
}

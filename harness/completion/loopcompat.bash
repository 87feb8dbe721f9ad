# bash completion for loopcompat(1): subcommands, each one's options, and
# backend names (asked of the tool itself: `loopcompat list`).

_loopcompat_backends()
{
    "${COMP_WORDS[0]}" list 2>/dev/null | sed -n '/^backends:/,$s/^  \([a-z_0-9]*\) .*/\1/p'
}

_loopcompat()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="run list info diff merge render publish validate help"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    local opts
    case ${COMP_WORDS[1]} in
    run)
        case $prev in
        --backend)
            # A comma-separated list: complete the name after the last comma.
            local done_part=
            case $cur in *,*) done_part=${cur%,*},; cur=${cur##*,} ;; esac
            COMPREPLY=($(compgen -P "$done_part" -W "$(_loopcompat_backends)" -- "$cur"))
            return ;;
        --output | --expectations | --junit | --tap | --baseline)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
        --tap-version) COMPREPLY=($(compgen -W "13 14" -- "$cur")); return ;;
        --baseline-missing) COMPREPLY=($(compgen -W "fail warn" -- "$cur")); return ;;
        --variants) COMPREPLY=($(compgen -W "coarse-timeout completion" -- "$cur")); return ;;
        esac
        opts="--backend --case --jobs --output --timeout-multiplier --expectations --variants
              --stress --quiet --junit --tap --tap-version --baseline --baseline-missing=fail
              --baseline-missing=warn --resume --color --color=auto
              --color=always --color=never --help" ;;
    list) opts="--help" ;;
    info) opts="--json --help" ;;
    diff) opts="--tolerance --json --help" ;;
    merge) opts="-o --output --help" ;;
    render) opts="--html --expectations --markdown --differences --help" ;;
    publish) opts="--url --gzip --latest --content-type --method --token-env --allow-http-token
                   --retries --connect-timeout --timeout --help" ;;
    validate) opts="--help" ;;
    help) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    case $cur in
    -*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _loopcompat loopcompat

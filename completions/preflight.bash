# bash completion for preflight (sms-preflight). Installed as
# share/bash-completion/completions/preflight. tests/tools/check_docs.sh
# checks that it lists every command and every flag of `--help`.

_preflight_common="--format --output --rules --data --fail-on --quiet --color --help --version"
_preflight_check="--to --message --message-file --agent-number --config --env --at --first-message --not-first --purpose --region --disable"

_preflight()
{
    local cur prev cmd opts formats
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="number check send batch scan lint audit campaign segments countries rules mcp serve"

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    formats="text json"
    case $cmd in
    number) opts="--region --input" ;;
    check) opts="$_preflight_check" ;;
    send) opts="$_preflight_check --cluster --base-url --credentials --dry-run --connect-timeout --timeout --max-attempts --max-wait --retry-server-errors --verbose --cacert --capath" ;;
    batch) opts="--input --template --jobs --column --summary --config --env --region --at --purpose"; formats="jsonl csv" ;;
    scan) opts="--message --message-file --country --first-message --not-first --brand --sender --disable" ;;
    lint) opts="--country --config --disable --max-length --verbose"; formats="text json sarif junit" ;;
    audit) opts="--country --config --templates --campaign"; formats="text md json html" ;;
    campaign) opts="--kind --fetch --disable"; formats="text json sarif junit" ;;
    segments) opts="--message --message-file" ;;
    countries) opts="--check" ;;
    rules) opts="" ;;
    serve)
        case $prev in
        --rules | --data | --capath) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --config | --cacert | --access-log) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --cluster) COMPREPLY=($(compgen -W "us-1 uk-1 euw-1" -- "$cur")); return ;;
        --fail-on) COMPREPLY=($(compgen -W "block warn" -- "$cur")); return ;;
        --listen | --upstream | --threads | --max-connections | --timeout | --drain-grace | --retry-budget) return ;;
        esac
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--listen --config --rules --data --cluster --upstream --cacert --capath --threads --fail-on --max-connections --timeout --drain-grace --access-log --log-messages --retry-429 --retry-budget --help --version" -- "$cur"))
        return ;;
    mcp)
        # No output flags: stdout carries the protocol.
        case $prev in
        --rules | --data | --capath) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --config | --cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --cluster) COMPREPLY=($(compgen -W "us-1 uk-1 euw-1" -- "$cur")); return ;;
        --fail-on) COMPREPLY=($(compgen -W "block warn" -- "$cur")); return ;;
        --base-url) return ;;
        esac
        [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--config --rules --data --allow-send --cluster --base-url --fail-on --cacert --capath --help --version" -- "$cur"))
        return ;;
    *) return ;;
    esac

    case $prev in
    --format) COMPREPLY=($(compgen -W "$formats" -- "$cur")); return ;;
    --fail-on) COMPREPLY=($(compgen -W "block warn" -- "$cur")); return ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --env) COMPREPLY=($(compgen -W "dev sandbox live" -- "$cur")); return ;;
    --purpose) COMPREPLY=($(compgen -W "transactional promotional" -- "$cur")); return ;;
    --cluster) COMPREPLY=($(compgen -W "us-1 uk-1 euw-1" -- "$cur")); return ;;
    --kind) COMPREPLY=($(compgen -W "10dlc toll-free" -- "$cur")); return ;;
    --sender) COMPREPLY=($(compgen -W "long_code toll_free short_code alphanumeric" -- "$cur")); return ;;
    --rules | --data) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --output | --message-file | --config | --input | --template | --summary | --credentials | --templates | \
        --campaign | --cacert)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --capath)
        COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --to | --message | --agent-number | --at | --region | --country | --disable | --brand | --jobs | \
        --column | --max-length | --base-url | --connect-timeout | --timeout | --max-attempts | --max-wait)
        return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $_preflight_common" -- "$cur"))
    elif [ "$cmd" = lint ] || [ "$cmd" = campaign ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _preflight preflight

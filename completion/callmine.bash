# bash completion for callmine-ingest and callmine-query.
# Installed by `make install` into share/bash-completion/completions as callmine-query, with
# callmine-ingest a link to it, so bash-completion loads it for either program; or source it
# from ~/.bashrc. Needs only bash (not the bash-completion package).

# cur, prev, words, cword for the word being completed (what _init_completion gives).
_callmine_words()
{
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
}

# File names (with a suffix: only those, and directories).
_callmine_files()
{
    local IFS=$'\n'
    if [[ -n $1 ]]; then
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!*.$1" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_callmine_filters="--from --to --rep --participant --stage --min-amount --max-amount --owner
    --company-size --outcome --deal-timing --where"
_callmine_formats="table csv tsv json jsonl markdown"

# The words that complete the value of option $1 for callmine-query, or nothing.
_callmine_query_values()
{
    case $1 in
        --format) echo "$_callmine_formats" ;;
        --speaker) echo "rep customer all" ;;
        --by) echo "rep stage month week outcome company-size call all" ;;
        --outcome) echo "won lost open" ;;
        --deal-timing) echo "now call" ;;
        --color) echo "auto always never" ;;
        --from | --to) echo "today yesterday 7d 30d 90d 12w 6m" ;;
    esac
}

_callmine_query()
{
    local cur prev words cword cmd i w
    _callmine_words

    # the command: the first word that is not an option or an option's value
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
            --db | --format | --stages) ((i++)) ;;
            -*) ;;
            *) cmd=$w; break ;;
        esac
    done
    case $prev in
        --db | --stages) _callmine_files; return ;;
        -o) _callmine_files html; return ;;
        --where | --rep | --participant | --owner | --stage | --min-amount | --max-amount | \
        --company-size | --max-hits | -C | --context | -j | --threads | --limit | -e | --regexp)
            return ;;
    esac
    local values
    values=$(_callmine_query_values "$prev")
    if [[ -n $values ]]; then
        COMPREPLY=($(compgen -W "$values" -- "$cur"))
        return
    fi
    local common="--db --format --stages --help"
    case $cmd in
        "")
            COMPREPLY=($(compgen -W "sql calls show grep search analyze report export mcp help
                --db --format --stages --version --help" -- "$cur"))
            ;;
        help)
            COMPREPLY=($(compgen -W "sql calls show grep search analyze report export mcp" \
                -- "$cur"))
            ;;
        sql) COMPREPLY=($(compgen -W "$common" -- "$cur")) ;;
        calls) COMPREPLY=($(compgen -W "$common $_callmine_filters" -- "$cur")) ;;
        show)
            COMPREPLY=($(compgen -W "$common --no-pager --color --deal-timing" -- "$cur")) ;;
        grep)
            COMPREPLY=($(compgen -W "$common $_callmine_filters -e --regexp -i --ignore-case
                --speaker -C --context -c --count -l --files-with-matches --max-hits --color
                -j --threads" -- "$cur"))
            ;;
        search)
            COMPREPLY=($(compgen -W "$common $_callmine_filters --speaker --limit" -- "$cur")) ;;
        analyze)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$common $_callmine_filters --list --by --speaker -i" \
                    -- "$cur"))
            else # the analysis names, as this callmine-query lists them
                COMPREPLY=($(compgen -W "$(${words[0]} analyze --list 2>/dev/null |
                    cut -f1)" -- "$cur"))
            fi
            ;;
        report)
            COMPREPLY=($(compgen -W "$common $_callmine_filters -o --output --mention" \
                -- "$cur"))
            ;;
        export)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$common $_callmine_filters --redact --no-transcripts
                    --force" -- "$cur"))
            else
                _callmine_files db
            fi
            ;;
        mcp) COMPREPLY=($(compgen -W "$common --redact --no-sql" -- "$cur")) ;;
    esac
}

_callmine_ingest()
{
    local cur prev words cword
    _callmine_words

    case $prev in
        --db | --credentials | --token-file) _callmine_files; return ;;
        --from | --to | --overlap | --workspace | --rate | --daily-budget | --base-url | \
        --port | --authorize-url | --token-url)
            return ;;
    esac
    if [[ ${words[1]} == login ]]; then
        COMPREPLY=($(compgen -W "--credentials --token-file --base-url --port --no-browser
            --authorize-url --token-url --quiet --verbose --help" -- "$cur"))
        return
    fi
    local opts="--db --from --to --overlap --workspace --no-transcripts --include-private
        --refresh-deals --rate --daily-budget --plan --status --upgrade --credentials
        --token-file --base-url --quiet --verbose --version --help"
    if ((cword == 1)); then
        COMPREPLY=($(compgen -W "login $opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    fi
}

complete -F _callmine_query callmine-query
complete -F _callmine_ingest callmine-ingest

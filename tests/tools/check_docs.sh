#!/bin/bash
# check_docs.sh PREFLIGHT SOURCE_DIR MAN_BUILD_DIR — the man pages and the
# shell completions against the program's own --help:
#   - every command of `preflight --help` has man/preflight-CMD.1.scd, a
#     built page in MAN_BUILD_DIR that man(1) renders, and is named in
#     preflight(1);
#   - every flag of `preflight CMD --help` is documented (*--flag*) in its
#     page, the common ones in preflight(1);
#   - the bash completion, run as bash runs it, offers exactly the flags of
#     each command's --help (none missing, none stale) and every command;
#   - the zsh completion parses (zsh -n, when zsh is installed) and names
#     every command and, in each command's branch, every flag.
# (bash, for the completion's arrays.)
set -u
bin=$1
src=$2
mandir=$3
fail=0
ok=0
bad() { echo "FAIL: $*"; fail=1; }

commands=$("$bin" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || { echo "FAIL: no commands in --help"; exit 1; }
common="--format --output --rules --data --fail-on --quiet --color --help --version"
flags_of() { "$bin" "$1" --help | grep -oE '^  --[a-z0-9-]+' | sed 's/^  //' | sort -u; }

# Man pages (built only where scdoc is; scripts/deps installs it).
if ! command -v scdoc >/dev/null 2>&1; then
  echo "skipped: scdoc is not installed, so the man pages were not built (scripts/deps)"; exit 77
fi
if [ ! -d "$mandir" ] || ! ls "$mandir"/*.1 >/dev/null 2>&1; then
  bad "no built man pages in $mandir (is scdoc installed? scripts/deps)"
fi
for c in $commands; do
  scd=$src/man/preflight-$c.1.scd
  [ -f "$scd" ] || { bad "no man page source for $c ($scd)"; continue; }
  grep -q "\*preflight-$c\*(1)" "$src/man/preflight.1.scd" || bad "preflight(1) does not name preflight-$c(1)"
  page=$mandir/preflight-$c.1
  if [ -f "$page" ]; then
    out=$(MANWIDTH=80 man -l "$page" 2>&1) || bad "man -l $page failed"
    printf '%s' "$out" | grep -q "preflight-$c - " || bad "man -l $page: no NAME line"
  else
    bad "$page was not built"
  fi
  for f in $(flags_of "$c"); do
    case " $common " in
    *" $f "*) grep -qF -- "*$f*" "$src/man/preflight.1.scd" || bad "preflight(1) does not document $f" ;;
    *) grep -qF -- "*$f*" "$scd" || bad "preflight-$c(1) does not document $f" ;;
    esac
    ok=$((ok + 1))
  done
done
[ -f "$mandir/preflight.1" ] || bad "preflight.1 was not built"

# bash: complete "preflight CMD --" and "preflight " as bash would.
source "$src/completions/preflight.bash"
complete_words() {
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _preflight
  printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
got=$(complete_words preflight "")
for c in $commands; do
  printf '%s\n' "$got" | grep -qx "$c" || bad "bash completion does not offer the command $c"
done
for c in $commands; do
  want=$(flags_of "$c")
  have=$(complete_words preflight "$c" "--")
  missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$have"))
  stale=$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$have"))
  [ -z "$missing" ] || bad "bash completion of $c lacks: $(echo $missing)"
  [ -z "$stale" ] || bad "bash completion of $c offers flags --help does not have: $(echo $stale)"
  ok=$((ok + 1))
done
# Values: a --format of lint offers sarif.
complete_words preflight lint --format "" | grep -qx sarif || bad "bash: lint --format does not offer sarif"

# zsh.
z=$src/completions/_preflight
if command -v zsh >/dev/null 2>&1; then
  zsh -n "$z" || bad "zsh -n $z"
else
  echo "note: zsh is not installed; its completion was not parsed"
fi
for c in $commands; do
  grep -q "^    '$c:" "$z" || bad "zsh completion does not list the command $c"
  # The branch of the case for $c (plus the shared arrays it uses).
  branch=$(awk -v c="$c" '$0 ~ "^  " c "\\)" {on = 1} on {print} on && /;;/ {exit}' "$z")
  [ -n "$branch" ] || { bad "zsh completion has no branch for $c"; continue; }
  case $branch in *'$common'*) branch="$branch $(sed -n '/^  common=(/,/^  )/p' "$z")" ;; esac
  case $branch in *'$check'*) branch="$branch $(sed -n '/^  check=(/,/^  )/p' "$z")" ;; esac
  case $branch in *'$fmt'*) branch="$branch --format[" ;; esac
  for f in $(flags_of "$c"); do
    printf '%s' "$branch" | grep -qF -- "$f[" || bad "zsh completion of $c lacks $f"
  done
done
echo "man pages and completions: $ok checks, $( [ $fail = 0 ] && echo all passed || echo FAILED)"
exit $fail

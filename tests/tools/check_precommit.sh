#!/bin/sh
# check_precommit.sh PREFLIGHT SOURCE_DIR OUT_DIR — the preflight-lint hook
# of .pre-commit-hooks.yaml under Debian's pre-commit, offline: a scratch
# "hooks" repository holds a copy of the hook file (pre-commit clones it by
# path), a scratch project repository installs the hook with
# `pre-commit install`; committing a template that blocks fails, committing
# a good one passes, and a file outside templates/ is not linted.
# Exit 77 (skipped) when pre-commit or git is missing.
set -u
bin=$1
src=$2
out=$3
for t in pre-commit git; do
  command -v $t >/dev/null 2>&1 || { echo "skipped: $t is not installed (scripts/tools)"; exit 77; }
done
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)
# The hook runs `preflight` from PATH (language: system): this build's.
PATH=$(dirname "$bin"):$PATH
export PATH
export PRE_COMMIT_HOME="$out/cache" GIT_CONFIG_NOSYSTEM=1 HOME="$out/home"
mkdir -p "$HOME"
git config --global user.email test@example.invalid
git config --global user.name "preflight test"
git config --global init.defaultBranch main
fail=0

hooks=$out/hooks
mkdir -p "$hooks"
cp "$src/.pre-commit-hooks.yaml" "$hooks/"
(cd "$hooks" && git init -q && git add . && git commit -qm hooks) || exit 1
rev=$(git -C "$hooks" rev-parse HEAD)

proj=$out/project
mkdir -p "$proj/sms/templates"
cat > "$proj/.pre-commit-config.yaml" <<CFG
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: preflight-lint
        args: [--country, US]
CFG
(cd "$proj" && git init -q && git add .pre-commit-config.yaml && git commit -qm config \
  && pre-commit install > "$out/install.log" 2>&1) || { echo "FAIL: setup"; cat "$out/install.log"; exit 1; }

commit() { # EXPECT(pass|fail) FILE CONTENT — stage FILE and try to commit it
  mkdir -p "$(dirname "$proj/$2")"
  printf '%s\n' "$3" > "$proj/$2"
  (cd "$proj" && git add "$2" && git commit -qm "add $2") > "$out/commit.log" 2>&1
  rc=$?
  if [ "$1" = pass ] && [ $rc -eq 0 ]; then echo "ok: $2 committed"
  elif [ "$1" = fail ] && [ $rc -ne 0 ] && grep -q "preflight lint" "$out/commit.log"; then
    echo "ok: $2 refused by the hook"; grep -m1 "\[content\.\|\[template\.\|\[message\." "$out/commit.log"
    (cd "$proj" && git reset -q HEAD -- "$2" && rm -f "$2")
  else
    echo "FAIL: $2: expected the commit to $1, git exit $rc:"; cat "$out/commit.log"; fail=1
  fi
}
commit fail sms/templates/promo.txt "WIN big at our casino tonight! Free spins: bit.ly/spins"
commit fail sms/templates/broken.json '{"templates": [{"name": "b", "text": "Hi {{name}"}]}'
commit pass sms/templates/reminder.txt "Acme Dental: your cleaning is tomorrow at 10:30. Reply STOP to opt out."
# Not a template (outside templates/): the hook does not run on it.
commit pass notes/casino.txt "WIN big at our casino tonight! Free spins: bit.ly/spins"
n=$(git -C "$proj" rev-list --count HEAD)
[ "$n" = 3 ] && echo "ok: 3 commits" || { echo "FAIL: $n commits, want 3"; fail=1; }
exit $fail

#!/bin/sh
# check_schemas.sh PREFLIGHT SOURCE_DIR OUT_DIR — the JSON Schemas in
# schemas/ (draft 2020-12) checked with a real validator, ajv-cli (pinned in
# tests/tools/package.json, installed by scripts/tools; runs offline from
# node_modules):
#   - every schema compiles in strict mode (before each run);
#   - every shipped data file, rule pack, example and test input of each
#     format validates, and the shipped ones name their schema in "$schema";
#   - every verdict and batch row the CLI cases expect (golden stdout), and
#     verdicts and batch rows written now by this build (pass, warn, block,
#     unparseable numbers, error rows), validate;
#   - files the loaders reject for their shape (tests/unit/*_bad, mutated
#     packs and campaign files, and
#     mutated verdicts) are rejected by the schemas too, so they are not
#     vacuous.
# Exit 77 (skipped) when ajv-cli is not installed.
set -u
bin=$1
src=$2
out=$3
ajv=$src/tests/tools/node_modules/.bin/ajv
s=$src/schemas
if ! command -v node >/dev/null 2>&1 || [ ! -x "$ajv" ]; then
  echo "skipped: ajv-cli is not installed (scripts/tools)"; exit 77
fi
rm -rf "$out"; mkdir -p "$out"
opts="--spec=draft2020 --strict=true --strict-required=false --all-errors"
fail=0
ok=0

# check valid|invalid SCHEMA FILE... — one ajv run over the files (node
# starts slowly); each file must be reported valid, or invalid.
check() {
  want=$1 schema=$2; shift 2
  ref=""
  [ "$schema" = batch-row ] && ref="-r $s/verdict.schema.json"
  set -- $(for f in "$@"; do printf -- '-d %s ' "$f"; done)
  "$ajv" validate $opts --errors=line -s "$s/$schema.schema.json" $ref "$@" > "$out/ajv.log" 2>&1
  while [ $# -gt 0 ]; do
    f=$2; shift 2
    if grep -qxF "$f $want" "$out/ajv.log"; then
      ok=$((ok + 1))
    elif [ "$want" = valid ]; then
      echo "FAIL: $f does not validate against $schema:"; grep -A1 -F "$f" "$out/ajv.log" | head -5; fail=1
    else
      echo "FAIL: $f is not rejected by $schema, but the loader rejects it:"; grep -F "$f" "$out/ajv.log"; fail=1
    fi
  done
}
valid() { check valid "$@"; }
invalid() { check invalid "$@"; }
# names_schema SCHEMA FILE... — shipped files point editors at their schema.
names_schema() {
  if node -e '
    const [want, ...files] = process.argv.slice(1);
    let bad = 0;
    for (const f of files) {
      const v = JSON.parse(require("fs").readFileSync(f, "utf8"))["$schema"] || "";
      if (!v.endsWith("schemas/" + want + ".schema.json")) { console.log(`FAIL: ${f} has no "$schema" naming schemas/${want}.schema.json`); bad++; }
    }
    process.exit(bad ? 1 : 0);' "$@"; then
    ok=$((ok + $# - 1))
  else
    fail=1
  fi
}
# lines FILE PREFIX — split JSON lines into $out/PREFIX-N.json, print their names.
lines() {
  n=0
  while IFS= read -r line; do
    n=$((n + 1)); printf '%s\n' "$line" > "$out/$2-$n.json"; echo "$out/$2-$n.json"
  done < "$1"
}

# (Each ajv run below compiles its schema in strict mode first.)

# Shipped data, packs and examples, with their "$schema".
valid countries "$src/data/countries.json"
names_schema countries "$src/data/countries.json"
valid timezones "$src/data/timezones.json"
names_schema timezones "$src/data/timezones.json"
valid rule-pack "$src"/rules/*.json
names_schema rule-pack "$src"/rules/*.json
valid config "$src/data/examples/preflight.json"
names_schema config "$src/data/examples/preflight.json"
valid templates "$src"/data/examples/templates/*.json
names_schema templates "$src"/data/examples/templates/*.json
valid campaign "$src"/data/examples/campaigns/*.json
names_schema campaign "$src"/data/examples/campaigns/*.json

# Test inputs the loaders accept.
valid countries "$src"/tests/golden/inputs/data/countries.json "$src"/tests/cli/fixtures/data/countries.json \
  "$src"/tests/cli/cases/countries-fixture/data/countries.json "$src"/tests/cli/cases/countries-list/data/countries.json \
  "$src"/tests/cli/cases/countries-overlay/data/countries.json "$src"/tests/unit/engine/countries-overlay.json
valid timezones "$src"/tests/unit/engine/timezones.json
valid rule-pack "$src"/tests/golden/inputs/rules/*.json
valid config "$src"/tests/golden/inputs/config.json "$src"/tests/cli/fixtures/config.json \
  "$src"/tests/unit/engine/config.json "$src"/tests/unit/engine/config-us-pending-only.json \
  "$src"/tests/cli/cases/audit-config-campaign/preflight.json
valid templates "$src"/tests/golden/inputs/templates/*.json "$src"/tests/cli/cases/lint-fail-on-warn/t.json
valid campaign "$src"/tests/campaign/good/*.json "$src"/tests/campaign/cases/*.json \
  "$src"/tests/campaign/peer/*.json "$src"/tests/golden/inputs/campaigns/*.json \
  "$src"/tests/cli/cases/audit-config-campaign/campaigns/*.json

# Verdicts and batch rows: the CLI cases' expected output ...
c=$src/tests/cli/cases
cp "$c/check-pass-json/stdout" "$out/golden-check-pass.json"
cp "$c/check-warn-fail-on-warn/stdout" "$out/golden-check-warn.json"
valid verdict "$out/golden-check-pass.json" "$out/golden-check-warn.json"
valid batch-row $(lines "$c/batch-bad-rows/stdout" golden-bad-rows) $(lines "$c/batch-template/stdout" golden-template)

# ... and written now by this build.
ex=$src/data/examples/preflight.json
run() { (cd "$out" && "$bin" "$@"); [ $? -le 1 ] || { echo "FAIL: preflight $*"; fail=1; }; }
run check --config "$ex" --to +14155552671 --message "Acme Dental: your cleaning is tomorrow at 10:30." \
  --not-first --at 2026-11-26T20:00:00Z --format json --output v-pass.json
run check --config "$ex" --to +14155552671 --message "Acme: 50% off! bit.ly/x" --first-message \
  --at 2026-11-27T04:00:00Z --format json --output v-block.json
run check --to "not a number" --message "hello" --format json --output v-unparseable.json
run check --to +447911123456 --message "Acme: café ☕ at 9" --agent-number +447700900123 \
  --config "$ex" --format json --output v-gb.json
# The newer rule kinds: a signals finding (no span) and a premium-number one.
run check --config "$ex" --to +14155552671 --message "Acme: URGENT! Call +1 415 555 0100 now" --not-first \
  --format json --output v-signals.json
grep -q '"content.urgency.signals"' "$out/v-signals.json" || { echo "FAIL: no signals finding in v-signals.json"; fail=1; }
run check --config "$ex" --to +447911123456 --agent-number +447700900123 --message "Acme: call 09061 701461 today" \
  --format json --output v-premium.json
grep -q '"content.premium-number"' "$out/v-premium.json" || { echo "FAIL: no premium-number finding in v-premium.json"; fail=1; }
printf 'user_number,message,first_message,send_at\n+14155552671,Acme: hi,false,\n+1 415 555 2671,Acme: again,true,\n,Acme: no number,,\n+14155552671,Acme: x,maybe,\n+447911123456,Acme: bit.ly/x,,2026-11-26T20:00:00Z\nnope,Acme: y,,\n+14155552671,Acme: z,,not-a-time\n' > "$out/list.csv"
run batch --config "$ex" --input list.csv --quiet --output rows.jsonl
valid verdict "$out"/v-*.json
valid batch-row $(lines "$out/rows.jsonl" row)
grep -q '"verdict":"error"' "$out/rows.jsonl" || { echo "FAIL: the batch run wrote no error row"; fail=1; }

# The schemas reject what the loaders reject for its shape.
b=$src/tests/unit/config_bad
invalid config "$b/unknown-top-key.json" "$b/unknown-number-key.json" "$b/wrong-type.json" \
  "$b/bad-environment.json" "$b/bad-cluster.json" "$b/missing-environment.json" "$b/missing-numbers.json" \
  "$b/number-missing-environment.json" "$b/not-e164.json" "$b/bad-10dlc-status.json" \
  "$b/missing-campaign-id.json" "$b/max-segments-zero.json" "$b/disabled-rule-number.json" \
  "$b/short-code-bad.json" "$b/bare-short-code.json" \
  "$src/tests/cli/cases/audit-config-campaign-bad/preflight.json"
# A number's mps (bulk send: above 0, at most 10000), as the bulk branch's
# loader reads it; written here so the rows hold before and after it lands.
node -e '
  const fs = require("fs"), [src, dir] = process.argv.slice(1);
  const p = JSON.parse(fs.readFileSync(src + "/tests/unit/engine/config.json", "utf8"));
  for (const [name, v] of [["zero", 0], ["negative", -1], ["over", 10001], ["string", "3"]]) {
    const o = JSON.parse(JSON.stringify(p)); o.numbers[0].mps = v;
    fs.writeFileSync(dir + "/bad-mps-" + name + ".json", JSON.stringify(o));
  }' "$src" "$out"
invalid config "$out"/bad-mps-*.json
b=$src/tests/unit/countries_bad
invalid countries "$b/bad-category.json" "$b/bad-date.json" "$b/bad-day.json" "$b/bad-enum.json" \
  "$b/bad-fact-path.json" "$b/bad-schema-version.json" "$b/bad-confidence.json" "$b/bad-optional.json"
invalid templates "$src/tests/cli/cases/lint-bad-schema/t/a.json"
# (rules-bad-pack/packs/x.json has the right shape: its pattern does not
# compile, which only PCRE2 can tell.)
valid rule-pack "$src/tests/cli/cases/rules-bad-pack/packs/x.json"
node -e '
  const fs = require("fs"), [src, dir] = process.argv.slice(1);
  const p = JSON.parse(fs.readFileSync(src + "/rules/url.json", "utf8"));
  const put = (name, o) => fs.writeFileSync(dir + "/bad-pack-" + name + ".json", JSON.stringify(o));
  const c = () => JSON.parse(JSON.stringify(p));
  let o;
  o = c(); o.rules[0].words = ["x"]; o.rules[0].pattern = "x"; delete o.rules[0].builtin; delete o.rules[0].domains; put("two-matchers", o);
  o = c(); for (const k of ["pattern", "words", "domains", "require", "builtin"]) delete o.rules[0][k]; put("no-matcher", o);
  o = c(); o.rules[0].id = "url.plain"; put("id", o);
  o = c(); o.rules[0].severity = "error"; put("severity", o);
  o = c(); o.rules[0].countries = ["usa"]; put("country", o);
  o = c(); o.rules[0].senders = "pigeon"; put("sender", o);
  o = c(); o.version = 2; put("top-key", o);
  // The newer keys: number_types only on the phone_number builtin, except
  // only on pattern and words, signals as a matcher of its own.
  const s = JSON.parse(fs.readFileSync(src + "/rules/spam-signals.json", "utf8"));
  const sig = s.rules.find((r) => r.signals);
  const pat = s.rules.find((r) => r.pattern || r.words);
  const cs = () => JSON.parse(JSON.stringify(s));
  const at = (o, r) => o.rules[s.rules.indexOf(r)];
  o = c(); o.rules[0].number_types = ["premium_rate"]; put("number-types-not-phone", o);
  o = c(); o.rules[0].except = "x"; put("except-on-builtin", o);
  o = cs(); at(o, sig).pattern = "x"; put("signals-and-pattern", o);
  o = cs(); delete at(o, sig).signals.threshold; put("signals-no-threshold", o);
  o = cs(); at(o, sig).signals.weights = {}; put("signals-no-weights", o);
  o = cs(); at(o, sig).signals.weights[Object.keys(at(o, sig).signals.weights)[0]] = 0; put("signals-weight-zero", o);
  o = cs(); at(o, sig).signals.threshold = 1001; put("signals-threshold", o);
  o = cs(); at(o, sig).signals.extra = 1; put("signals-key", o);
  o = cs(); at(o, sig).signals.weights["Content.X"] = 1; put("signals-id", o);
  o = cs(); at(o, pat).except = []; put("except-empty", o);
  o = cs(); o.rules.push({id: "content.x.phone", category: "x", severity: "info", message: "m", fix: "f",
    source: "heuristic", builtin: "phone_number", number_types: ["premium"]}); put("number-type-name", o);' "$src" "$out"
invalid rule-pack "$out"/bad-pack-*.json
node -e '
  const fs = require("fs"), [dir] = process.argv.slice(1);
  const v = JSON.parse(fs.readFileSync(dir + "/v-block.json", "utf8"));
  const put = (name, o) => fs.writeFileSync(dir + "/bad-v-" + name + ".json", JSON.stringify(o));
  const c = () => JSON.parse(JSON.stringify(v));
  let o;
  o = c(); delete o.findings; put("no-findings", o);
  o = c(); o.verdict = "fail"; put("verdict-name", o);
  o = c(); o.findings[0].severity = "fatal"; put("severity", o);
  o = c(); o.findings[0].source = "somewhere"; put("source", o);
  o = c(); o.extra = 1; put("extra-key", o);
  o = c(); o.user_number.type = "cell"; put("number-type", o);
  o = c(); o.message.segments = -1; put("segments", o);' "$out"
invalid verdict "$out"/bad-v-*.json
# Campaign files the loader rejects for their shape (as tests/unit/test_campaign.c's
# broken rows).
node -e '
  const fs = require("fs"), [src, dir] = process.argv.slice(1);
  const p = JSON.parse(fs.readFileSync(src + "/data/examples/campaigns/acme-dental.json", "utf8"));
  const put = (name, o) => fs.writeFileSync(dir + "/bad-campaign-" + name + ".json", JSON.stringify(o));
  const c = () => JSON.parse(JSON.stringify(p));
  let o;
  o = c(); delete o.brand; put("no-brand", o);
  o = c(); delete o.use_case; put("no-use-case", o);
  o = c(); o.extra = 1; put("unknown-key", o);
  o = c(); o.brand.logo = "x"; put("unknown-brand-key", o);
  o = c(); o.brand.name = "  "; put("blank-brand-name", o);
  o = c(); o.use_case = "PROMO"; put("use-case", o);
  o = c(); o.sample_messages = "hi"; put("samples-not-array", o);
  o = c(); o.sample_messages = ["hi", 7]; put("sample-not-string", o);
  o = c(); o.sample_messages = Array(33).fill("x"); put("too-many-samples", o);
  o = c(); o.opt_out = {keywords: ["STOP ALL"]}; put("keyword-space", o);
  o = c(); o.opt_out = {words: []}; put("opt-out-key", o);
  o = c(); o.policy_hosts = ["a.example,b.example"]; put("policy-host", o);
  o = c(); o.monthly_volume = -5; put("negative-volume", o);
  o = c(); o.monthly_volume = 1.5; put("fractional-volume", o);
  o = c(); o.embedded_links = "yes"; put("flag-not-bool", o);
  o = c(); o["$schema"] = 5; put("schema-not-string", o);' "$src" "$out"
invalid campaign "$out"/bad-campaign-*.json

printf '{"verdict":"error","row":3}\n' > "$out/bad-row-no-error.json"
head -1 "$out/rows.jsonl" | sed 's/"row":[0-9]*/"row":0/' > "$out/bad-row-zero.json"
invalid batch-row "$out/bad-row-no-error.json" "$out/bad-row-zero.json"

echo "ajv-cli: $ok checks passed"
exit $fail

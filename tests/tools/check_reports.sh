#!/bin/sh
# check_reports.sh MODE PREFLIGHT SOURCE_DIR OUT_DIR — validate preflight's
# reports with outside tools (installed by scripts/tools and scripts/deps):
#   sarif  lint and campaign SARIF of the examples and of the golden inputs pass
#          Microsoft's SARIF validator (Sarif.Multitool validate) with no
#          error or warning
#   junit  lint JUnit XML of the examples and the golden ones are well formed
#          (xmllint)
#   html   the audit page of the example project (GB) and the golden one
#          pass the Nu HTML checker (vnu.jar on the machine's Java), no error
#   png    headless Chromium renders the example audit page to
#          OUT_DIR/audit-GB.png (1200x2000), which must not be blank
# Exit 77 (skipped) when a tool is missing.
set -u
mode=$1
bin=$2
src=$3
out=$4
tools=$src/tests/tools
mkdir -p "$out"

# A missing tool skips the case, with scripts/tools' reason when it left one.
need() {
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -e "$1" ]; then
    echo "skipped: $1 is not installed: $(cat "$tools/node_modules/.unavailable" 2>/dev/null ||
      echo "run scripts/tools")"
    exit 77
  fi
}

# Run preflight on the example project from the source tree; exit 0 or 1
# (findings) is expected, 2 is a failure.
pf() {
  (cd "$src" && "$bin" "$@")
  rc=$?
  if [ $rc -gt 1 ]; then echo "preflight $*: exit $rc"; exit 1; fi
}

fail=0
case "$mode" in
sarif)
  mt=$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
  need node; need "$mt"
  pf lint --config data/examples/preflight.json --format sarif --output "$out/lint-examples.sarif" \
    data/examples/templates
  # The golden case's inputs too (its expected file has the version
  # normalised away, which the validator rightly warns about).
  g=$src/tests/golden/inputs
  (cd "$g" && PREFLIGHT_RULES_DIR="$g/rules" PREFLIGHT_DATA_DIR="$g/data" "$bin" lint \
    --config config.json --country US --country GB --format sarif \
    --output "$out/lint-golden.sarif" templates)
  # The campaign pre-scan: the example, the golden inputs, the peer examples.
  pf campaign --format sarif --output "$out/campaign-examples.sarif" \
    data/examples/campaigns/acme-dental.json tests/campaign/peer/bad.json \
    tests/campaign/peer/shaft.json tests/campaign/cases/sample-url-shortener.json
  (cd "$g" && PREFLIGHT_RULES_DIR="$g/rules" "$bin" campaign --format sarif \
    --output "$out/campaign-golden.sarif" campaigns/acme-dental.json campaigns/corner-cafe.json)
  for f in "$out/lint-examples.sarif" "$out/lint-golden.sarif" "$out/campaign-examples.sarif" \
    "$out/campaign-golden.sarif"; do
    v=$out/$(basename "$f" .sarif).validation.sarif
    rm -f "$v"
    "$mt" validate --config "$tools/sarif-policy.xml" --level "Error;Warning;Note" \
      --output "$v" "$f" > "$out/validate.log" 2>&1
    printf '%s: ' "$f"
    node "$tools/sarif_results.js" "$v" || { cat "$out/validate.log"; fail=1; }
  done
  ;;
junit)
  need xmllint
  pf lint --config data/examples/preflight.json --format junit --output "$out/lint-examples.xml" \
    data/examples/templates
  pf lint --config data/examples/preflight.json --fail-on warn --country GB --format junit \
    --output "$out/lint-examples-gb.xml" data/examples/templates
  pf campaign --format junit --output "$out/campaign-examples.xml" \
    data/examples/campaigns/acme-dental.json tests/campaign/peer/bad.json
  for f in "$out"/lint-examples*.xml "$src"/tests/golden/lint-junit*/expected.xml \
    "$out/campaign-examples.xml" "$src/tests/golden/campaign-junit/expected.xml"; do
    xmllint --noout "$f" && echo "$f: well formed" || fail=1
  done
  ;;
html)
  jar=$tools/node_modules/vnu-jar/build/dist/vnu.jar
  need java; need "$jar"
  pf audit --country GB --config data/examples/preflight.json --templates data/examples/templates \
    --format html --output "$out/audit-GB.html"
  for f in "$out/audit-GB.html" "$src/tests/golden/audit-html/expected.html"; do
    java -jar "$jar" --errors-only "$f" && echo "$f: no errors (Nu HTML checker)" || fail=1
  done
  ;;
png)
  need chromium; need node
  pf audit --country GB --config data/examples/preflight.json --templates data/examples/templates \
    --format html --output "$out/audit-GB-render.html"
  profile=$(mktemp -d)
  rm -f "$out/audit-GB.png"
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --screenshot="$out/audit-GB.png" --window-size=1200,2000 \
    "file://$out/audit-GB-render.html" > "$out/chromium.log" 2>&1
  rc=$?
  rm -rf "$profile"
  if [ $rc -ne 0 ]; then echo "chromium: exit $rc"; tail -5 "$out/chromium.log"; exit 1; fi
  node "$tools/png_check.js" "$out/audit-GB.png" 1200 2000 || fail=1
  ;;
*)
  echo "unknown mode '$mode'"; exit 2 ;;
esac
exit $fail

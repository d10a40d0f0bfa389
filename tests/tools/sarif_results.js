// sarif_results.js VALIDATION.sarif — read the log `Sarif.Multitool validate`
// wrote and fail on any error or warning it reports. The validator exits 0
// whatever it finds, and when a log cannot be read into its object model it
// silently runs no rule at all, so a log without SARIF2003 (a note it gives
// every run) means the input was never analysed: that fails too.
'use strict';
const fs = require('fs');
const file = process.argv[2];
const log = JSON.parse(fs.readFileSync(file, 'utf8'));
const results = (log.runs || []).flatMap(r => r.results || []);
let bad = 0, analysed = false;
for (const r of results) {
  const level = r.level || 'warning';
  if (r.ruleId === 'SARIF2003') analysed = true;
  if (level === 'error' || level === 'warning') {
    bad++;
    const m = r.message || {};
    console.error(`${level} ${r.ruleId}: ${m.text || (m.arguments || []).join(' | ')}`);
  }
}
const notes = results.length - bad;
if (!analysed) {
  console.error(`${file}: the validator ran no rule on the input (not readable as SARIF 2.1.0?)`);
  process.exit(1);
}
console.log(`${bad} errors or warnings, ${notes} notes`);
process.exit(bad ? 1 : 0);

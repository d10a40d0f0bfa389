// sarif_results.js VALIDATION.sarif [INPUTS] — read the log `Sarif.Multitool
// validate` wrote and fail on any error or warning it reports. The validator
// exits 0 whatever it finds, and when a log cannot be read into its object
// model it silently runs no rule at all, so an input without SARIF2003 (a
// note it gives every run) was never analysed: that fails too. INPUTS (default
// 1) is the number of logs validated in one go; each must have been analysed.
'use strict';
const fs = require('fs');
const file = process.argv[2];
const inputs = Number(process.argv[3] || 1);
const log = JSON.parse(fs.readFileSync(file, 'utf8'));
const results = (log.runs || []).flatMap(r => r.results || []);
const where = r => ((((r.locations || [])[0] || {}).physicalLocation || {}).artifactLocation || {}).uri || '?';
let bad = 0;
const analysed = new Set();
for (const r of results) {
  const level = r.level || 'warning';
  if (r.ruleId === 'SARIF2003') analysed.add(where(r));
  if (level === 'error' || level === 'warning') {
    bad++;
    const m = r.message || {};
    console.error(`${level} ${r.ruleId}: ${where(r)}: ${m.text || (m.arguments || []).join(' | ')}`);
  }
}
const notes = results.length - bad;
if (analysed.size !== inputs) {
  console.error(`${file}: the validator analysed ${analysed.size} of ${inputs} logs (not readable as SARIF 2.1.0?)`);
  process.exit(1);
}
console.log(`${inputs} logs: ${bad} errors or warnings, ${notes} notes`);
process.exit(bad ? 1 : 0);

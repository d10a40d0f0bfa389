// sarif_paths.js EXPECT FILE.sarif [REFERENCE.sarif] — check where a lint
// SARIF log says its files are, for the path cases of check_reports.sh:
//   EXPECT base:PREFIX  every artifact is a relative reference starting with
//                       PREFIX under uriBaseId %SRCROOT%, no '..' segment
//   EXPECT file         every artifact is an absolute file:/// URI without
//                       a uriBaseId
// Always: originalUriBaseIds gives %SRCROOT% as a file:/// URI ending in
// '/', and every result has a partialFingerprints entry. With REFERENCE,
// the results' fingerprints must equal the reference's, in order (the same
// templates linted through another path or from another directory).
'use strict';
const fs = require('fs');
const [expect, file, ref] = process.argv.slice(2);
const load = f => JSON.parse(fs.readFileSync(f, 'utf8'));
const run = load(file).runs[0];
let bad = 0;
const fail = m => { bad++; if (bad <= 10) console.error(`${file}: ${m}`); };
const root = ((run.originalUriBaseIds || {})['%SRCROOT%'] || {}).uri;
if (!root || !root.startsWith('file:///') || !root.endsWith('/')) fail(`originalUriBaseIds: ${root}`);
const results = run.results || [];
if (results.length === 0) fail('no results');
for (const [i, r] of results.entries()) {
  const a = r.locations[0].physicalLocation.artifactLocation;
  if (expect === 'file') {
    if (!a.uri.startsWith('file:///') || a.uriBaseId !== undefined) fail(`result ${i}: ${JSON.stringify(a)}`);
  } else {
    const prefix = expect.replace(/^base:/, '');
    if (a.uriBaseId !== '%SRCROOT%' || !a.uri.startsWith(prefix) || a.uri.startsWith('/') ||
        a.uri.split('/').includes('..')) fail(`result ${i}: ${JSON.stringify(a)}`);
  }
  if (!r.partialFingerprints || !r.partialFingerprints['preflightFinding/v1']) fail(`result ${i}: no fingerprint`);
}
if (ref) {
  const fp = rs => rs.map(r => (r.partialFingerprints || {})['preflightFinding/v1']).join('\n');
  if (fp(results) !== fp(load(ref).runs[0].results)) fail(`fingerprints differ from ${ref}`);
  const ids = new Set(results.map(r => r.partialFingerprints['preflightFinding/v1']));
  if (ids.size !== results.length) fail('two results share a fingerprint');
}
if (bad) process.exit(1);
console.log(`${file}: ${results.length} results, locations ${expect}${ref ? ', fingerprints as ' + ref : ''}`);

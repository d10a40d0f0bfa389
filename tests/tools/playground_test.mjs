// playground_test.mjs MODE PREFLIGHT SOURCE_DIR OUT_DIR — the `preflight
// serve` playground (issue 23).
//
// MODE html: the page and style sheet as the gateway serves them pass the
// Nu HTML checker (vnu.jar, errors only; the CSS with --css).
//
// MODE browser: the page in a real browser: the system's Chromium, driven by
// puppeteer-core (never a downloaded browser), against a gateway on a
// loopback port started here with the example config.
//
//   1. GET / answers the page with a strict Content-Security-Policy.
//   2. Typing a message with a curly quote before a URL shortener: the
//      shortener's finding is listed and its span is marked in the text —
//      the marked text is compared with the span's bytes cut out of the
//      message's UTF-8 here (Buffer), independently of the page's own byte
//      to UTF-16 conversion; the encoding is UCS-2 over 2 segments and the
//      quote is offered with its replacement.
//   3. Clicking the replacement (from the keyboard) rewrites the text: GSM-7,
//      1 segment.
//   4. A sender whose 10DLC campaign is pending: the banner says Block.
//   5. The Campaign tab (reached with the arrow key): a pasted campaign's
//      findings, each with its field and rejection code, as the gateway's
//      JSON has them; a broken one names line and key.
//   6. Every form control has a label; at phone width (375 px) nothing
//      scrolls sideways.
//   7. Throughout, every request the page made went to the gateway's own
//      origin (request interception: anything else is aborted and fails
//      the test), and none to /v1/outbound-sms.
// Screenshots: OUT_DIR/playground-*.png. Exit 77 when a tool is missing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [mode, bin, src, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

function skip(why) {
  console.log('skipped: ' + why);
  process.exit(77);
}
let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

// The gateway on a port the kernel picks; its "listening" line names it.
let gw = null;
async function startGateway() {
  gw = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--config', 'data/examples/preflight.json',
    '--threads', '2'], { cwd: src, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no listening line in 20 s: ' + stderr)), 20000);
    gw.stderr.on('data', (d) => {
      stderr += d;
      const m = /"event":"listening","address":"([^"]+)"/.exec(stderr);
      if (m) { clearTimeout(t); resolve('http://' + m[1]); }
    });
    gw.on('exit', (code) => reject(new Error('preflight serve exited ' + code + ': ' + stderr)));
  });
}

// SIGTERM, then its exit status: 0 after a drain (under ASan, a leak or an
// error makes it something else).
async function stopGateway() {
  if (!gw || gw.exitCode !== null) return gw ? gw.exitCode : null;
  const code = new Promise((resolve) => gw.on('exit', (c, sig) => resolve(sig || c)));
  gw.kill('SIGTERM');
  return code;
}

if (mode === 'html') {
  const jar = join(here, 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar');
  if (!existsSync(jar)) skip('vnu-jar is not installed (run scripts/tools)');
  if (spawnSync('java', ['-version']).error) skip('java is not installed (run scripts/tools)');
  mkdirSync(out, { recursive: true });
  const base = await startGateway();
  try {
    for (const [path, file] of [['/', 'playground.html'], ['/playground.css', 'playground.css']]) {
      const r = await fetch(base + path);
      writeFileSync(join(out, file), Buffer.from(await r.arrayBuffer()));
      check(r.status === 200, 'GET ' + path + ' answers 200');
    }
    // One run for both (the JVM's start is most of the time).
    const v = spawnSync('java', ['-jar', jar, '--errors-only', '--also-check-css',
      join(out, 'playground.html'), join(out, 'playground.css')], { encoding: 'utf8' });
    check(v.status === 0, 'the page passes the Nu HTML checker and its style sheet its CSS checker' +
      (v.stderr ? ':\n' + v.stderr : ''));
  } finally {
    check(await stopGateway() === 0, 'the gateway drained and exited 0');
  }
  console.log(failures ? failures + ' failure(s)' : 'all passed');
  process.exit(failures ? 1 : 0);
}

let puppeteer;
try {
  puppeteer = createRequire(join(here, 'node_modules', 'x.js'))('puppeteer-core');
} catch (e) {
  skip('puppeteer-core is not installed (run scripts/tools)');
}
if (!existsSync(CHROMIUM)) skip(CHROMIUM + ' is not installed (run scripts/tools)');
mkdirSync(out, { recursive: true });


const base = await startGateway();

const profile = mkdtempSync(join(tmpdir(), 'pf-chromium-'));
let browser;
try {
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 900 });
  const origin = new URL(base).origin;
  const requests = [], foreign = [], sendAt = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const u = req.url();
    requests.push(req.method() + ' ' + u);
    if (u.endsWith('/v1/check')) sendAt.push(req.headers()['x-preflight-send-at']);
    // data: URLs (the empty favicon) never leave the browser.
    if (u.startsWith('data:') || new URL(u).origin === origin) req.continue();
    else { foreign.push(u); req.abort(); }
  });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // 1. The page and its policy.
  const resp = await page.goto(base + '/', { waitUntil: 'networkidle0' });
  const csp = resp.headers()['content-security-policy'] || '';
  check(resp.status() === 200, 'GET / answers 200');
  check(/default-src 'self'/.test(csp) && /script-src 'self'/.test(csp) && /connect-src 'self'/.test(csp) &&
    /frame-ancestors 'none'/.test(csp), 'GET / carries a strict Content-Security-Policy: ' + csp);
  check(await page.$('#sender option[value="+16505550147"]') !== null,
    'the sender list holds the config\'s numbers (GET /v1/senders)');
  check(await page.evaluate(() => !document.querySelector('[action], form')) &&
    !(await page.content()).includes('outbound-sms'), 'the page has no form and no send control');

  // 2. A curly quote (3 bytes in UTF-8, 1 UTF-16 unit) before a shortener:
  // byte and character offsets differ from there on. 71-160 characters:
  // 2 segments in UCS-2, 1 in GSM-7.
  // A fixed send time (11:00 in the recipient's zone, the browser's zone
  // set to match): quiet hours do not depend on when the test runs.
  await page.emulateTimezone('America/Los_Angeles');
  await page.$eval('#at', (e) => { e.value = '2026-12-01T11:00'; e.dispatchEvent(new Event('change')); });
  const msg = 'Acme Dental: we\u2019ve moved your cleaning to Friday 10:30. Details: https://bit.ly/3xAmple Reply STOP to opt out.';
  await page.click('#message');
  await page.keyboard.type(msg, { delay: 2 });
  await page.waitForFunction(() => {
    const e = document.getElementById('encoding');
    return e.dataset.segments && document.querySelector('#findings li[data-id="content.url-shortener"]');
  }, { timeout: 15000 });
  // The shortener finding's span, as the gateway reports it, cut from the
  // message's bytes here.
  const verdict = await page.evaluate(async (m) => {
    const r = await fetch('/v1/check', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_number: document.getElementById('to').value, message: m }) });
    return r.json();
  }, msg);
  const idx = verdict.findings.findIndex((f) => f.id === 'content.url-shortener');
  const f = verdict.findings[idx];
  check(f && Array.isArray(f.span), 'the check reports content.url-shortener with a span');
  const expected = f ? Buffer.from(msg, 'utf8').subarray(f.span[0], f.span[1]).toString('utf8') : '?';
  const marked = await page.evaluate((n) => {
    // The mark(s) for finding n, their text without the [n] label.
    const ms = [...document.querySelectorAll('#segments mark')].filter((m) =>
      m.dataset.finding.split(',').includes(String(n)));
    return ms.map((m) => [...m.childNodes].filter((c) => !(c.classList && c.classList.contains('ref')))
      .map((c) => c.textContent).join('')).join('');
  }, idx + 1);
  check(marked === expected && expected.includes('bit.ly'),
    `the shortener span is marked in the text: "${marked}" (the span's bytes: "${expected}")`);
  const listed = await page.$eval('#findings li[data-id="content.url-shortener"]', (li) => li.textContent);
  check(/warn|block/.test(listed) && /shortener/i.test(listed) && /Fix:/.test(listed),
    'the finding is listed with severity, message and fix');
  const enc = await page.$eval('#encoding', (e) => [e.dataset.encoding, e.dataset.segments, e.textContent]);
  check(enc[0] === 'UCS-2' && enc[1] === '2', 'encoding and split shown: ' + enc[2]);
  check(await page.$$eval('#segments .segment', (s) => s.length) === 2, 'the split is drawn as 2 segments');
  const culprit = await page.$eval('#culprits button.replace', (b) => [b.textContent, b.dataset.replacement]);
  check(culprit[0].includes('\u2019') && culprit[1] === "'", 'the UCS-2 culprit is offered: ' + culprit[0]);
  check(await page.$('#segments .ucs2') !== null, 'the culprit is marked in the text');
  await page.screenshot({ path: join(out, 'playground-findings.png'), fullPage: true });

  // 3. Apply the replacement from the keyboard.
  await page.focus('#culprits button.replace');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('encoding').dataset.encoding === 'GSM-7',
    { timeout: 15000 });
  const after = await page.$eval('#encoding', (e) => [e.dataset.encoding, e.dataset.segments, e.textContent]);
  check(after[0] === 'GSM-7' && after[1] === '1', 'after the replacement: ' + after[2]);
  check(await page.$eval('#message', (t) => t.value) === msg.replace('\u2019', "'"),
    'the replacement rewrote exactly that character');
  check(await page.$eval('#culprits-box', (b) => b.hidden), 'no UCS-2 culprit is left');
  await page.screenshot({ path: join(out, 'playground-gsm7.png'), fullPage: true });

  // 4. A clean message (the shortener alone blocks) passes with the
  // engine's choice of sender; then a sender whose 10DLC campaign is
  // pending: blocked.
  await page.$eval('#message', (t) => {
    t.value = 'Acme Dental: your cleaning is tomorrow at 10:30. Reply STOP to opt out.';
    t.dispatchEvent(new Event('input'));
  });
  await page.select('#first', 'false');
  // (A timeout here throws: the test fails.)
  await page.waitForFunction(() => /banner-(pass|warn)/.test(document.getElementById('banner').className),
    { timeout: 15000 });
  console.log('ok   a clean message with the automatic sender: ' +
    (await page.$eval('#banner', (b) => b.textContent)).trim());
  await page.select('#sender', '+16505550147');
  await page.waitForFunction(() => document.getElementById('banner').classList.contains('banner-block'),
    { timeout: 15000 });
  const banner = await page.$eval('#banner', (b) => b.textContent);
  check(/block/i.test(banner), 'a blocked sender shows the block banner: ' + banner.trim());
  check(await page.$('#findings li[data-id="a2p.10dlc-unregistered"]') !== null,
    'with its finding a2p.10dlc-unregistered');
  await page.screenshot({ path: join(out, 'playground-block.png'), fullPage: true });

  // 5. The Campaign tab, reached from the keyboard: a campaign with
  // problems, every finding in the table with its field and rejection code
  // as the gateway's JSON has them.
  await page.focus('#tab-message');
  await page.keyboard.press('ArrowRight');
  check(await page.$eval('#panel-campaign', (p) => !p.hidden) &&
    await page.$eval('#panel-message', (p) => p.hidden) &&
    await page.evaluate(() => document.activeElement.id) === 'tab-campaign',
  'the arrow key moves to the Campaign tab and shows its panel');
  const campaignText = readFileSync(join(src, 'tests', 'campaign', 'peer', 'bad.json'), 'utf8');
  await page.$eval('#campaign', (t, v) => { t.value = v; }, campaignText);
  await page.click('#camp-run');
  await page.waitForFunction(() => !document.getElementById('camp-table').hidden, { timeout: 15000 });
  const want = await page.evaluate(async (body) => {
    const r = await fetch('/v1/campaign', { method: 'POST', body });
    return (await r.json()).campaigns[0].findings.map((f) => [f.id, f.path || '(the document)', f.rejection_code || '\u2014']);
  }, campaignText);
  const rows = await page.$$eval('#camp-findings tr', (trs) => trs.map((tr) =>
    [tr.dataset.id, tr.cells[0].textContent.replace(/ \(line \d+\)$/, ''), tr.cells[2].textContent]));
  check(want.length > 0 && JSON.stringify(rows) === JSON.stringify(want),
    'the campaign table lists all ' + want.length + ' findings with field and rejection code');
  check(rows.some((r) => r[0] === 'campaign.help-missing' && /^\d+$/.test(r[2])),
    'e.g. campaign.help-missing with its code: ' + JSON.stringify(rows.find((r) => r[0] === 'campaign.help-missing')));
  check(/block/i.test(await page.$eval('#camp-banner', (b) => b.textContent)), 'the campaign banner says Block');
  await page.screenshot({ path: join(out, 'playground-campaign.png'), fullPage: true });
  // The broken campaign's 400 is the one console error allowed (Chromium
  // logs every failed fetch): the ones before it are checked here.
  check(consoleErrors.length === 0, 'no console error or CSP violation so far' +
    (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  await page.$eval('#campaign', (t) => { t.value = '{"brand": "Acme",\n "colour": 1}'; });
  await page.click('#camp-run');
  await page.waitForFunction(() => !document.getElementById('camp-error').hidden, { timeout: 15000 });
  const cerr = await page.$eval('#camp-error', (e) => e.textContent);
  check(/campaign\.json:2:/.test(cerr) && /colour/.test(cerr), 'a broken campaign names line and key: ' + cerr);
  check(consoleErrors.length === 1 && /400/.test(consoleErrors[0]), 'its 400 is the one console error');
  consoleErrors.length = 0;
  await page.focus('#tab-campaign');
  await page.keyboard.press('ArrowLeft');

  // 6. Labels and phone width.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map((e) => e.id || e.outerHTML));
  check(unlabelled.length === 0, 'every control has a label' + (unlabelled.length ? ': ' + unlabelled : ''));
  await page.setViewport({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 375, 'at 375 px nothing scrolls sideways (scrollWidth ' + overflow + ')');
  await page.screenshot({ path: join(out, 'playground-phone.png'), fullPage: true });
  await page.click('#tab-campaign');
  await page.$eval('#campaign', (t, v) => { t.value = v; }, campaignText);
  await page.click('#camp-run');
  await page.waitForFunction(() => !document.getElementById('camp-table').hidden, { timeout: 15000 });
  const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth);
  check(overflow2 <= 375, 'the campaign table at 375 px does not scroll sideways (scrollWidth ' + overflow2 + ')');
  await page.screenshot({ path: join(out, 'playground-campaign-phone.png'), fullPage: true });

  // 7. Requests.
  check(foreign.length === 0, 'no request to any other host' + (foreign.length ? ': ' + foreign : ''));
  check(!requests.some((r) => r.includes('/v1/outbound-sms')), 'no request to /v1/outbound-sms');
  check(sendAt.includes('2026-12-01T19:00:00.000Z'),
    'the send time went out as X-Preflight-Send-At 2026-12-01T19:00:00.000Z (11:00 in Los Angeles)');
  check(requests.some((r) => r.startsWith('POST ' + origin + '/v1/check')) &&
    requests.some((r) => r.startsWith('POST ' + origin + '/v1/segments')) &&
    requests.some((r) => r.startsWith('POST ' + origin + '/v1/campaign')),
    'the page called /v1/check, /v1/segments and /v1/campaign (' + requests.length + ' requests)');
  check(consoleErrors.length === 0, 'no other console error or CSP violation' +
    (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
} catch (e) {
  console.log('FAIL ' + (e && e.stack || e));
  failures++;
} finally {
  if (browser) await browser.close();
  check(await stopGateway() === 0, 'the gateway drained and exited 0');
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? failures + ' failure(s)' : 'all passed; screenshots in ' + out);
process.exit(failures ? 1 : 0);

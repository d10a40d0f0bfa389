// playground.js — the playground page's logic. It talks only to the gateway
// that served it (POST /v1/check, POST /v1/segments, GET /v1/senders) and
// never to /v1/outbound-sms: the page has no way to send a message.
//
// Offsets: the gateway reports spans and culprits as BYTE offsets into the
// message's UTF-8; a JS string is indexed in UTF-16 code units. chars()
// walks the text once per code point and records both, so every byte
// offset maps back to a position in the text box.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const els = {
    message: $('message'), to: $('to'), sender: $('sender'), first: $('first'),
    purpose: $('purpose'), at: $('at'), banner: $('banner'), bannerText: $('banner-text'),
    error: $('error'), encoding: $('encoding'), segments: $('segments'),
    culpritsBox: $('culprits-box'), culprits: $('culprits'), findings: $('findings'),
    noFindings: $('no-findings'),
  };
  const DEBOUNCE_MS = 250;
  let timer = 0;
  let seq = 0; // answers to an older request than the latest are dropped

  // One entry per code point: its bytes [b0, b1) and UTF-16 units [u0, u1).
  function chars(text) {
    const out = [];
    let b = 0, u = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0);
      const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      out.push({ ch, b0: b, b1: b + nb, u0: u, u1: u + ch.length });
      b += nb;
      u += ch.length;
    }
    return out;
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }

  async function post(path, body, headers) {
    const res = await fetch(path, {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}),
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    let json = null;
    try { json = await res.json(); } catch (e) { /* not JSON: reported below */ }
    if (!res.ok) throw new Error((json && json.detail) || ('HTTP ' + res.status));
    return json;
  }

  function contextHeaders() {
    const h = {};
    if (els.first.value) h['X-Preflight-First-Message'] = els.first.value;
    if (els.purpose.value) h['X-Preflight-Purpose'] = els.purpose.value;
    if (els.at.value) {
      const d = new Date(els.at.value); // local time, as the label says
      if (!isNaN(d.getTime())) h['X-Preflight-Send-At'] = d.toISOString();
    }
    return h;
  }

  function setBanner(kind, word, text) {
    els.banner.className = 'banner banner-' + kind;
    els.banner.querySelector('.banner-word').textContent = word;
    els.bannerText.textContent = text;
  }

  function showError(msg) {
    els.error.hidden = !msg;
    els.error.textContent = msg ? 'The gateway refused the check: ' + msg : '';
  }

  const VERDICT_TEXT = {
    pass: ['Pass', 'Nothing stops this message.'],
    warn: ['Warn', 'It may be sent, but read the warnings below.'],
    block: ['Block', 'This message would not be sent: fix the blocking findings below.'],
  };

  // The message drawn segment by segment, finding spans as numbered marks and
  // UCS-2 characters outlined.
  function drawSegments(text, seg, findings) {
    const cs = chars(text);
    els.segments.replaceChildren();
    if (!seg || !seg.parts || !seg.parts.length) return;
    const culprit = new Set((seg.ucs2_characters || []).map((c) => c.offset));
    const spanned = findings.map((f, i) => ({ f, n: i + 1 })).filter((x) => Array.isArray(x.f.span));
    const unitName = seg.unit === 'septets' ? 'septets' : 'UTF-16 units';
    const perSeg = seg.encoding === 'GSM-7' ? (seg.parts.length > 1 ? 153 : 160) : (seg.parts.length > 1 ? 67 : 70);
    seg.parts.forEach((part, i) => {
      const [s0, s1] = part.span;
      const pre = el('p', { class: 'segment-text' });
      let run = null, runKey = null;
      for (const c of cs) {
        if (c.b0 < s0 || c.b0 >= s1) continue;
        const hits = spanned.filter((x) => c.b0 < x.f.span[1] && c.b1 > x.f.span[0]);
        const key = hits.map((x) => x.n).join(',');
        if (culprit.has(c.b0)) {
          // A culprit is its own element so it can be outlined and named.
          const u = el('span', { class: 'ucs2', title: 'forces UCS-2' }, c.ch);
          if (hits.length) {
            const m = el('mark', { class: 'sev-' + hits[0].f.severity, 'data-finding': key }, u);
            pre.append(m);
          } else pre.append(u);
          run = null; runKey = null;
          continue;
        }
        if (run && key === runKey) { run.append(c.ch); continue; }
        runKey = key;
        if (hits.length) {
          const worst = hits.some((x) => x.f.severity === 'block') ? 'block'
            : hits.some((x) => x.f.severity === 'warn') ? 'warn' : 'info';
          run = el('mark', { class: 'sev-' + worst, 'data-finding': key,
            title: hits.map((x) => x.n + '. ' + x.f.id).join('; ') });
          pre.append(run);
          // The number closes the mark (see below): the finding is named
          // in text, not only by colour.
        } else {
          run = el('span', {});
          pre.append(run);
        }
        run.append(c.ch);
      }
      for (const m of pre.querySelectorAll('mark[data-finding]')) {
        const last = m.nextSibling;
        if (!last || last.nodeName !== 'MARK' || last.getAttribute('data-finding') !== m.getAttribute('data-finding'))
          m.append(el('span', { class: 'ref', text: '[' + m.getAttribute('data-finding') + ']' }));
      }
      const box = el('div', { class: 'segment', role: 'group',
        'aria-label': 'Segment ' + (i + 1) + ' of ' + seg.parts.length },
        el('p', { class: 'segment-head', text: 'Segment ' + (i + 1) + ' of ' + seg.parts.length + ': ' +
          part.units + ' of ' + perSeg + ' ' + unitName }),
        pre);
      els.segments.append(box);
    });
  }

  function drawCulprits(text, seg) {
    const list = (seg && seg.ucs2_characters) || [];
    els.culprits.replaceChildren();
    els.culpritsBox.hidden = list.length === 0;
    for (const c of list) {
      const li = el('li', {});
      if (c.replacement != null) {
        const b = el('button', { type: 'button', 'data-offset': String(c.offset),
          'data-replacement': c.replacement, class: 'replace',
          'aria-label': 'Replace ' + c.codepoint + ' ' + c.character + ' with ' + JSON.stringify(c.replacement) },
          c.character + ' (' + c.codepoint + ') \u2192 ' + (c.replacement === '' ? '(remove)' : c.replacement));
        li.append(b);
      } else {
        li.append(c.character + ' (' + c.codepoint + '): no GSM-7 equivalent');
      }
      els.culprits.append(li);
    }
  }

  function drawFindings(findings) {
    els.findings.replaceChildren();
    els.noFindings.hidden = findings.length > 0;
    els.noFindings.textContent = 'No findings.';
    findings.forEach((f) => {
      const src = f.source || '';
      const srcNode = /^https?:\/\//.test(src)
        ? el('a', { href: src, rel: 'noreferrer noopener', target: '_blank', text: src })
        : document.createTextNode(src);
      const li = el('li', { class: 'finding', 'data-id': f.id },
        el('span', { class: 'sev sev-' + f.severity, text: f.severity }),
        el('span', { class: 'finding-id', text: f.id }), ' ',
        el('span', { class: 'finding-message', text: f.message }),
        f.fix ? el('p', { class: 'finding-fix' }, el('strong', { text: 'Fix: ' }), f.fix) : null,
        el('p', { class: 'finding-source' }, el('strong', { text: 'Source: ' }), srcNode),
        Array.isArray(f.span) ? el('p', { class: 'finding-span help', text: 'Marked in the message (bytes ' + f.span[0] + '\u2013' + f.span[1] + ').' }) : null);
      els.findings.append(li);
    });
  }

  async function run() {
    const my = ++seq;
    const text = els.message.value;
    if (!text) {
      setBanner('none', 'Waiting', 'Type a message to check it.');
      showError('');
      els.encoding.textContent = 'No message yet.';
      drawSegments('', null, []);
      drawCulprits('', null);
      drawFindings([]);
      els.noFindings.textContent = 'None yet.';
      return;
    }
    const to = els.to.value.trim();
    const segP = post('/v1/segments', { message: text });
    const body = { user_number: to, message: text };
    if (els.sender.value) body.agent_number = els.sender.value;
    const checkP = to ? post('/v1/check', body, contextHeaders()) : Promise.resolve(null);
    let seg = null, verdict = null, err = '';
    try { seg = await segP; } catch (e) { err = e.message; }
    try { verdict = await checkP; } catch (e) { err = err || e.message; }
    if (my !== seq) return; // the text changed meanwhile
    showError(err);
    const findings = (verdict && verdict.findings) || [];
    if (verdict) {
      const [w, t] = VERDICT_TEXT[verdict.verdict] || ['?', verdict.verdict];
      const n = findings.length;
      setBanner(verdict.verdict, w, t + ' (' + n + (n === 1 ? ' finding' : ' findings') + ')');
    } else if (!to) {
      setBanner('none', 'No verdict', 'Enter a recipient number for the full check; the split below is live.');
    } else {
      setBanner('none', 'No verdict', 'The check did not run (see the error).');
    }
    if (seg) {
      const n = seg.segments;
      els.encoding.textContent = seg.encoding + ', ' + seg.characters + ' characters, ' + n +
        (n === 1 ? ' segment' : ' segments') + ' (' + seg.units + ' ' +
        (seg.unit === 'septets' ? 'septets' : 'UTF-16 units') + ')';
      els.encoding.setAttribute('data-encoding', seg.encoding);
      els.encoding.setAttribute('data-segments', String(n));
    }
    drawSegments(text, seg, findings);
    drawCulprits(text, seg);
    drawFindings(findings);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  // Replace the character at a byte offset; the caret stays after it.
  function replaceAt(offset, replacement) {
    const text = els.message.value;
    const c = chars(text).find((x) => x.b0 === offset);
    if (!c) return;
    els.message.value = text.slice(0, c.u0) + replacement + text.slice(c.u1);
    const caret = c.u0 + replacement.length;
    els.message.setSelectionRange(caret, caret);
    run();
  }

  els.culprits.addEventListener('click', (ev) => {
    const b = ev.target.closest('button.replace');
    if (!b) return;
    replaceAt(Number(b.getAttribute('data-offset')), b.getAttribute('data-replacement'));
    // Keyboard users keep their place: focus the next replacement, or the text.
    const next = els.culprits.querySelector('button.replace');
    (next || els.message).focus();
  });
  for (const e of [els.message, els.to, els.at]) e.addEventListener('input', schedule);
  for (const e of [els.sender, els.first, els.purpose, els.at]) e.addEventListener('change', schedule);

  fetch('/v1/senders', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : null))
    .then((j) => {
      for (const s of (j && j.senders) || []) {
        const label = s.number + (s.label ? ' \u2014 ' + s.label : '') + ' (' + s.kind.replace(/_/g, ' ') +
          (j.environment && s.environment !== j.environment ? ', ' + s.environment + ' only' : '') + ')';
        els.sender.append(el('option', { value: s.number, text: label }));
      }
    })
    .catch(() => { /* the automatic choice still works */ });
  if (els.message.value) schedule();

  // ---- tabs (WAI-ARIA tabs pattern: arrows, Home and End move between them)
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  function selectTab(t, focus) {
    for (const x of tabs) {
      const on = x === t;
      x.setAttribute('aria-selected', on ? 'true' : 'false');
      x.tabIndex = on ? 0 : -1;
      document.getElementById(x.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) t.focus();
  }
  for (const t of tabs) {
    t.addEventListener('click', () => selectTab(t, false));
    t.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(t);
      const j = ev.key === 'ArrowRight' ? (i + 1) % tabs.length
        : ev.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length
          : ev.key === 'Home' ? 0 : ev.key === 'End' ? tabs.length - 1 : -1;
      if (j >= 0) { ev.preventDefault(); selectTab(tabs[j], true); }
    });
  }

  // ---- the campaign pre-scan
  const camp = {
    text: $('campaign'), kind: $('camp-kind'), file: $('camp-file'), run: $('camp-run'),
    banner: $('camp-banner'), bannerText: $('camp-banner-text'), error: $('camp-error'),
    table: $('camp-table'), body: $('camp-findings'),
  };
  const CAMP_TEXT = {
    pass: ['Pass', 'No finding expected to get this rejected.'],
    warn: ['Warn', 'It may pass review; read the warnings.'],
    block: ['Block', 'Expect a rejection: fix the blocking findings.'],
  };
  async function runCampaign() {
    camp.error.hidden = true;
    const q = camp.kind.value ? '?kind=' + encodeURIComponent(camp.kind.value) : '';
    let res, json = null;
    try {
      res = await fetch('/v1/campaign' + q, { method: 'POST', cache: 'no-store',
        headers: { 'Content-Type': 'application/json' }, body: camp.text.value });
      json = await res.json();
    } catch (e) {
      json = { detail: String(e.message || e) };
    }
    camp.body.replaceChildren();
    if (!res || !res.ok || !json.campaigns) {
      camp.banner.className = 'banner banner-none';
      camp.banner.querySelector('.banner-word').textContent = 'Not checked';
      camp.bannerText.textContent = 'The campaign could not be read.';
      camp.error.hidden = false;
      camp.error.textContent = (json && json.detail) || 'no answer';
      camp.table.hidden = true;
      return;
    }
    const c = json.campaigns[0];
    const [w, t] = CAMP_TEXT[c.verdict] || ['?', c.verdict];
    camp.banner.className = 'banner banner-' + c.verdict;
    camp.banner.querySelector('.banner-word').textContent = w;
    camp.bannerText.textContent = t + ' ' + c.counts.block + ' blocking, ' + c.counts.warn +
      ' warnings (' + c.kind + (c.brand ? ', ' + c.brand : '') + ').';
    for (const f of c.findings) {
      const src = f.source || '';
      const link = /^https?:\/\//.test(src)
        ? el('a', { href: src, rel: 'noreferrer noopener', target: '_blank', text: 'source' }) : null;
      const tr = el('tr', { 'data-id': f.id },
        el('td', { 'data-label': 'Field', text: (f.path || '(the document)') + ' (line ' + f.line + ')' }),
        el('td', { 'data-label': 'Severity' }, el('span', { class: 'sev sev-' + f.severity, text: f.severity })),
        el('td', { 'data-label': 'Rejection code', class: 'rejection', text: f.rejection_code || '\u2014' }),
        el('td', { 'data-label': 'Finding' },
          el('span', { class: 'finding-id', text: f.id }), ' ', f.message,
          f.fix ? el('p', { class: 'finding-fix' }, el('strong', { text: 'Fix: ' }), f.fix) : null,
          link));
      camp.body.append(tr);
    }
    camp.table.hidden = c.findings.length === 0;
  }
  camp.run.addEventListener('click', runCampaign);
  camp.file.addEventListener('change', () => {
    // Read in the browser: the file goes nowhere but into the text box.
    const f = camp.file.files && camp.file.files[0];
    if (!f) return;
    f.text().then((t) => { camp.text.value = t; runCampaign(); });
  });
})();

// The official MCP TypeScript SDK drives `preflight mcp` over stdio, as an
// agent's client would: initialize (the SDK asks for its newest protocol
// version), list the tools, call each one, and compare every
// structuredContent with what the matching CLI command prints. The SDK
// itself validates structuredContent against each tool's outputSchema and
// throws when it does not conform.
//
// usage: node sdk_test.mjs PREFLIGHT CONFIG
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const [preflight, config] = process.argv.slice(2);
if (!preflight || !config) {
  console.error('usage: node sdk_test.mjs PREFLIGHT CONFIG');
  process.exit(2);
}

// The CLI's JSON for the same question (exit 0 or 1 are both answers).
function cli(args) {
  try {
    return JSON.parse(execFileSync(preflight, [...args, '--format', 'json'], { encoding: 'utf8' }));
  } catch (e) {
    if (e.status === 1) return JSON.parse(e.stdout);
    throw e;
  }
}

const transport = new StdioClientTransport({
  command: preflight,
  args: ['mcp', '--config', config],
  stderr: 'inherit',
});
const client = new Client({ name: 'preflight-sdk-test', version: '1.0.0' });
await client.connect(transport);

let failures = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

await step('initialize: server identifies itself and offers tools', async () => {
  assert.equal(client.getServerVersion().name, 'sms-preflight');
  assert.ok(client.getServerCapabilities().tools);
});

let tools = [];
await step('tools/list: every tool with an input and an output schema', async () => {
  ({ tools } = await client.listTools());
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, ['check', 'countries', 'lint_template', 'number', 'scan', 'segments']);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.equal(t.outputSchema.type, 'object', t.name);
    assert.ok(t.description.length > 80, `${t.name} has a description a model can use`);
  }
});

async function call(name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, false, `${name} isError: ${JSON.stringify(r.content)}`);
  assert.equal(r.content[0].type, 'text');
  assert.ok(r.content[0].text.length > 0);
  return r.structuredContent;
}

const at = '2026-11-26T14:30:00-05:00';
const blocked = 'Acme: WIN big at our casino tonight, see bit.ly/acme-win';

await step('check: the verdict of `preflight check`', async () => {
  const got = await call('check', { to: '+14155552671', message: blocked, at, first_message: false });
  assert.deepEqual(got, cli(['check', '--config', config, '--to', '+14155552671', '--message', blocked,
    '--at', at, '--not-first']));
  assert.equal(got.verdict, 'block');
});

await step('check: explicit sender, purpose, env', async () => {
  const args = { to: '+14155552671', message: 'Acme Dental: your cleaning is tomorrow at 10:30.',
    at, first_message: false, purpose: 'transactional', env: 'live', agent_number: '+14155550100' };
  const got = await call('check', args);
  assert.deepEqual(got, cli(['check', '--config', config, '--to', args.to, '--message', args.message,
    '--at', at, '--not-first', '--purpose', 'transactional', '--env', 'live',
    '--agent-number', '+14155550100']));
});

await step('scan: the JSON of `preflight scan`', async () => {
  const got = await call('scan', { message: blocked, country: 'US', first_message: true });
  // The server's config turns content.help off (disabled_rules), which
  // `preflight scan` (no --config) says with --disable.
  assert.deepEqual(got, cli(['scan', '--message', blocked, '--country', 'US', '--first-message',
    '--disable', 'content.help']));
});

await step('segments: the JSON of `preflight segments`', async () => {
  const text = 'Café “special” — 2 for 1';
  assert.deepEqual(await call('segments', { message: text }), cli(['segments', '--message', text]));
});

await step('number: the list `preflight number` prints, under "numbers"', async () => {
  const got = await call('number', { numbers: ['+14155552671', '07400 123456', '12'], region: 'GB' });
  assert.deepEqual(got, { numbers: cli(['number', '--region', 'GB', '+14155552671', '07400 123456', '12']) });
});

await step('countries: the entries `preflight countries` prints, under "countries"', async () => {
  assert.deepEqual(await call('countries', { codes: ['US', 'JP'] }),
    { countries: cli(['countries', 'US', 'JP']) });
});

await step('lint_template: placeholders and content in one template', async () => {
  const got = await call('lint_template', {
    text: 'Acme: Hi {{first_name}}, your code is {{code}}. Reply STOP to opt out. {{oops',
    variables: { first_name: { max_length: 20, charset: 'unicode' } },
    countries: ['US'], first_message: true,
  });
  const ids = got.files[0].templates[0].findings.map((f) => f.id);
  assert.ok(ids.includes('template.placeholder-malformed'), ids.join(','));
  assert.ok(ids.includes('template.placeholder-undeclared'), ids.join(','));
  assert.equal(got.verdict, 'block');
});

async function rpcError(name, args, code, field) {
  await assert.rejects(client.callTool({ name, arguments: args }), (e) => {
    assert.ok(e instanceof McpError, String(e));
    assert.equal(e.code, code);
    if (field) assert.match(e.message, new RegExp(field.replace(/[.[\]]/g, '\\$&')));
    return true;
  });
}

await step('bad params: missing, wrong type, unknown, too long → -32602 naming the field', async () => {
  await rpcError('check', { to: '+14155552671' }, -32602, 'arguments.message');
  await rpcError('check', { to: 14155552671, message: 'x' }, -32602, 'arguments.to');
  await rpcError('scan', { message: 'x', colour: 'red' }, -32602, 'arguments.colour');
  await rpcError('scan', { message: 'x'.repeat(65537) }, -32602, 'arguments.message');
  await rpcError('number', { numbers: [] }, -32602, 'arguments.numbers');
  await rpcError('number', { numbers: ['+1', 5] }, -32602, 'arguments.numbers[1]');
  await rpcError('check', { to: '+1', message: 'x', purpose: 'spam' }, -32602, 'arguments.purpose');
  await rpcError('no_such_tool', {}, -32602, 'params.name');
});

await step('a tool that cannot use its input answers isError', async () => {
  for (const [name, args] of [['scan', { message: 'x', country: 'XX' }],
    ['check', { to: '+14155552671', message: 'x', at: 'tomorrow' }],
    ['countries', { codes: ['ZZ'] }],
    ['scan', { message: 'x', disable: ['content.no-such-rule'] }]]) {
    const r = await client.callTool({ name, arguments: args });
    assert.equal(r.isError, true, name);
    assert.ok(r.content[0].text.length > 0);
    assert.equal(r.structuredContent, undefined);
  }
});

await step('ping', async () => {
  assert.deepEqual(await client.ping(), {});
});

await client.close();
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);

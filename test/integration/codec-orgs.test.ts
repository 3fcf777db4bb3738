// The remote codec (issue 9, finding 7): always a key, never an Origin shortcut, and a key decodes only its
// own org's payloads (the operator org's keys decode every org's); the org travels in each payload's metadata.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { createServerAndAgent, startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg, testDb } from '../helpers/stack.js';

type JsonPayload = { metadata: Record<string, string>; data: string };

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
let operator: Awaited<ReturnType<typeof createOrg>>;
let secret: string;
let orgB: Awaited<ReturnType<typeof createOrg>>;
const payloads: JsonPayload[] = [];

const text = (b64: string) => Buffer.from(b64, 'base64').toString('latin1');
const decode = (key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call(`${platform.url}/codec/decode`, { method: 'POST', ...(key ? { key } : {}), headers, json: body });

beforeAll(async () => {
  const db = testDb();
  operator = await createOrg(db, 'operator');
  await db.destroy();
  fixture = await startHttpMcpServer();
  platform = await startPlatform({ operatorOrgId: operator.org.id });

  // Org B runs an approval-gated invocation whose input, comment and result hold a secret.
  secret = `s-${randomBytes(8).toString('hex')}`;
  orgB = await createOrg(platform.db, 'org b');
  const { agentId } = await createServerAndAgent(
    platform.url,
    orgB.adminKey,
    { name: 'h', transport: 'http', url: fixture.url },
    { name: 'b', capabilities: [{ name: 'note', tool: 'record', risk: 'high' }] },
  );
  const developer = await userWithRole(platform.db, orgB.org.id, 'developer');
  const approver = await userWithRole(platform.db, orgB.org.id, 'approver');
  const inv = await call(`${platform.url}/v1/agents/${agentId}/invoke`, {
    method: 'POST',
    key: developer.key,
    json: { capability: 'note', input: { note: secret } },
  });
  const pending = await waitForStatus(platform.url, developer.key, inv.json.invocationId, 'pending_approval');
  await call(`${platform.url}/v1/approvals/${pending.approval.id}/approve`, {
    method: 'POST',
    key: approver.key,
    json: { comment: `ok ${secret}` },
  });
  await waitForStatus(platform.url, developer.key, inv.json.invocationId, 'succeeded');

  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const raw = new Client({ connection });
  for (const id of [pending.workflowId as string, `approval-${pending.approval.id}`]) {
    collectEncrypted(await raw.workflow.getHandle(id).fetchHistory());
  }
  await connection.close();
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

/** Every encrypted payload in a raw history (search attributes and SDK bookkeeping are plain by design). */
function collectEncrypted(value: unknown) {
  if (Array.isArray(value)) return value.forEach(collectEncrypted);
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  const o = value as { data?: unknown; metadata?: Record<string, Uint8Array> };
  if (
    o.data instanceof Uint8Array &&
    o.metadata?.encoding &&
    Buffer.from(o.metadata.encoding).toString() === 'binary/encrypted'
  ) {
    payloads.push({
      metadata: Object.fromEntries(Object.entries(o.metadata).map(([k, m]) => [k, Buffer.from(m).toString('base64')])),
      data: Buffer.from(o.data).toString('base64'),
    });
    return;
  }
  Object.values(o).forEach(collectEncrypted);
}

const plainOf = (r: { json: { payloads: JsonPayload[] } }) => r.json.payloads.map((p) => text(p.data)).join('\n');

describe('the remote codec', () => {
  it('needs a key: a forged Temporal UI Origin alone gets 401', async () => {
    for (const op of ['decode', 'encode']) {
      const r = await call(`${platform.url}/codec/${op}`, {
        method: 'POST',
        headers: { origin: 'http://localhost:8233' },
        json: { payloads },
      });
      expect(r.status, op).toBe(401);
      expect(r.text).not.toContain(secret);
    }
  });

  it('binds every payload of an org’s workflows (API, workflow, activity, child) to that org', async () => {
    expect(payloads.length).toBeGreaterThan(10);
    const orgs = new Set(
      payloads.map((p) => (p.metadata['collexa-org-id'] ? text(p.metadata['collexa-org-id']) : '(none)')),
    );
    expect([...orgs]).toEqual([orgB.org.id]);
  });

  it('decodes for the org’s own key and the operator org, never for another org’s developer', async () => {
    const own = await decode(orgB.adminKey, { payloads });
    expect(own.status).toBe(200);
    expect(plainOf(own)).toContain(secret);
    expect(plainOf(own)).toContain(`ok ${secret}`);

    const orgA = await createOrg(platform.db, 'org a');
    const developerA = await userWithRole(platform.db, orgA.org.id, 'developer');
    const foreign = await decode(developerA.key, { payloads });
    expect(foreign.status).toBe(200);
    // Handed back exactly as sent: still encrypted.
    expect(foreign.json.payloads).toEqual(payloads);
    expect(plainOf(foreign)).not.toContain(secret);

    expect(plainOf(await decode(operator.adminKey, { payloads }))).toContain(secret);
  });

  it('refuses a payload relabelled with another org (the org is bound to the ciphertext)', async () => {
    const orgA = await createOrg(platform.db, 'relabel');
    const relabelled = payloads.map((p) => ({
      ...p,
      metadata: { ...p.metadata, 'collexa-org-id': Buffer.from(orgA.org.id).toString('base64') },
    }));
    const r = await decode(orgA.adminKey, { payloads: relabelled.slice(0, 1) });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('undecodable_payload');
  });

  it('encodes for the key’s org, whatever org the payload claims', async () => {
    const orgA = await createOrg(platform.db, 'encoder');
    const claim = {
      metadata: {
        encoding: Buffer.from('json/plain').toString('base64'),
        'collexa-org-id': Buffer.from(orgB.org.id).toString('base64'),
      },
      data: Buffer.from('"hello"').toString('base64'),
    };
    const encoded = await call(`${platform.url}/codec/encode`, {
      method: 'POST',
      key: orgA.adminKey,
      json: { payloads: [claim] },
    });
    expect(text(encoded.json.payloads[0].metadata['collexa-org-id'])).toBe(orgA.org.id);
    expect((await decode(orgB.adminKey, encoded.json)).json.payloads).toEqual(encoded.json.payloads);
    expect(plainOf(await decode(orgA.adminKey, encoded.json))).toContain('hello');
  });

  it('lets a browser log in once with a key, then decode with the cookie (the Temporal UI with credentials)', async () => {
    expect(
      (
        await call(`${platform.url}/codec/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'key=clx_nope',
        })
      ).status,
    ).toBe(401);
    const login = await fetch(`${platform.url}/codec/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${encodeURIComponent(orgB.adminKey)}`,
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    const r = await decode(undefined, { payloads }, { cookie: cookie.split(';')[0]!, origin: 'http://localhost:8233' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(plainOf(r)).toContain(secret);
  });

  it('refuses a compressed or broken login form with a 4xx envelope, never a 500', async () => {
    // Inflating is a decompression-bomb surface, and a broken gzip body once got a 500 (the fuzz suite found it).
    for (const body of ['key=clx_nope', '\x1f\x8b not gzip at all']) {
      const r = await call(`${platform.url}/codec/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
        body,
      });
      expect(r.status, r.text).toBe(415);
      expect(r.json.error.code).toBe('unsupported_encoding');
    }
  });
});

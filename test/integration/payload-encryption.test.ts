// Encrypted workflow payloads: a secret that flows through workflows (a tool's error message, an approver's
// comment) is in the history only encrypted, and the remote codec (/codec) is what decodes it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../core/paths.js';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole, waitForStatus } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let fixture: HttpMcpServer;
beforeAll(async () => {
  fixture = await startHttpMcpServer();
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await fixture?.stop();
});

/** Every payload in a raw history (as the server stores it), and whether any byte string or text holds `needle`. */
function scan(
  value: unknown,
  needle: string,
  payloads: { metadata?: Record<string, string>; data?: string }[] = [],
): { found: boolean; payloads: typeof payloads } {
  let found = false;
  // Search attributes are plaintext by design (the server indexes them); every other payload must be encrypted.
  const visit = (v: unknown, inSearchAttributes = false) => {
    if (v instanceof Uint8Array) {
      if (Buffer.from(v).toString('latin1').includes(needle)) found = true;
      return;
    }
    if (typeof v === 'string') {
      if (v.includes(needle)) found = true;
      return;
    }
    if (Array.isArray(v)) return v.forEach((x) => visit(x, inSearchAttributes));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (!inSearchAttributes && o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
        payloads.push({
          metadata: Object.fromEntries(
            Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, m]) => [
              k,
              Buffer.from(m).toString('base64'),
            ]),
          ),
          data: Buffer.from(o.data).toString('base64'),
        });
      }
      for (const [k, x] of Object.entries(o)) visit(x, inSearchAttributes || k === 'searchAttributes');
    }
  };
  visit(value);
  return { found, payloads };
}

describe('encrypted workflow payloads', () => {
  it('keeps secrets out of the raw history, and the codec endpoint decodes them for operators', async () => {
    const secret = `sk-${randomBytes(12).toString('hex')}`;
    const { org, adminKey } = await createOrg(platform.db, 'encrypted');
    const developer = await userWithRole(platform.db, org.id, 'developer');
    const approver = await userWithRole(platform.db, org.id, 'approver');
    await call(`${platform.url}/v1/mcp-servers`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'h', transport: 'http', url: fixture.url },
    });
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: {
        name: 'enc',
        capabilities: [
          { name: 'broken', server: 'h', tool: 'fail' },
          { name: 'note', server: 'h', tool: 'record', risk: 'high' },
        ],
      },
    });
    const invoke = (capability: string, input: unknown, wait = '') =>
      call(`${platform.url}/v1/agents/${agent.json.id}/invoke${wait}`, {
        method: 'POST',
        key: developer.key,
        json: { capability, input },
      }).then((r) => r.json);

    // The secret travels as a tool error message (activity failure) and as an approver's comment (update input).
    const failed = await invoke('broken', { message: `leaked ${secret}` }, '?wait=20');
    expect(failed.status).toBe('failed');
    const pending = await invoke('note', { note: 'x' });
    const waiting = await waitForStatus(platform.url, developer.key, pending.invocationId, 'pending_approval');
    await call(`${platform.url}/v1/approvals/${waiting.approval.id}/approve`, {
      method: 'POST',
      key: approver.key,
      json: { comment: `ok ${secret}` },
    });
    await waitForStatus(platform.url, developer.key, pending.invocationId, 'succeeded');

    // A client without the codec sees the history as the server stores it.
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const raw = new Client({ connection });
    const histories = await Promise.all(
      [failed.workflowId, pending.workflowId, `approval-${waiting.approval.id}`].map((id) =>
        raw.workflow.getHandle(id).fetchHistory(),
      ),
    );
    await connection.close();
    const payloads: { metadata?: Record<string, string>; data?: string }[] = [];
    for (const h of histories) expect(scan(h, secret, payloads).found).toBe(false);
    expect(payloads.length).toBeGreaterThan(5);
    // Local-activity and patch markers also carry the SDK's own bookkeeping (seq, activity type, times; patch id) unencoded;
    // their results, like every other payload, are encrypted.
    const isMarkerBookkeeping = (p: { data?: string }) => {
      const v = JSON.parse(Buffer.from(p.data!, 'base64').toString() || 'null') as Record<string, unknown> | null;
      // patched() markers: the patch id, as the SDK writes it.
      if (v !== null && typeof v === 'object' && Object.keys(v).sort().join() === 'deprecated,id') return true;
      return (
        v !== null &&
        typeof v === 'object' &&
        'seq' in v &&
        'activity_type' in v &&
        Object.keys(v).every((k) =>
          [
            'seq',
            'attempt',
            'activity_id',
            'activity_type',
            'complete_time',
            'backoff',
            'original_schedule_time',
          ].includes(k),
        )
      );
    };
    const plainOnes = payloads.filter(
      (p) => Buffer.from(p.metadata!.encoding!, 'base64').toString() !== 'binary/encrypted' && !isMarkerBookkeeping(p),
    );
    expect(
      plainOnes.map((p) => Buffer.from(p.data!, 'base64').toString()),
      JSON.stringify(plainOnes.map((p) => p.metadata)),
    ).toEqual([]);

    // The Temporal CLI shows the same: nothing readable.
    const cli = path.join(PROJECT_ROOT, '.tools/bin/temporal');
    for (const id of [failed.workflowId, `approval-${waiting.approval.id}`]) {
      const { stdout } = await promisify(execFile)(
        cli,
        ['workflow', 'show', '--address', inject('temporalAddress'), '--workflow-id', id, '--output', 'json'],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      expect(stdout.length).toBeGreaterThan(100);
      expect(stdout).not.toContain(secret);
    }

    // The remote codec decodes them for an authenticated operator (what the Temporal UI calls).
    expect((await call(`${platform.url}/codec/decode`, { method: 'POST', json: { payloads } })).status).toBe(401);
    expect(
      (await call(`${platform.url}/codec/decode`, { method: 'POST', key: developer.key, json: { payloads: [] } }))
        .status,
    ).toBe(200);
    const viewer = await userWithRole(platform.db, org.id, 'viewer');
    expect(
      (await call(`${platform.url}/codec/decode`, { method: 'POST', key: viewer.key, json: { payloads } })).status,
    ).toBe(403);
    const decoded = await call(`${platform.url}/codec/decode`, { method: 'POST', key: adminKey, json: { payloads } });
    expect(decoded.status).toBe(200);
    const plain = decoded.json.payloads
      .map((p: { data: string }) => Buffer.from(p.data, 'base64').toString())
      .join('\n');
    expect(plain).toContain(`leaked ${secret}`);
    expect(plain).toContain(`ok ${secret}`);

    // CORS for the UI's origin.
    const preflight = await fetch(`${platform.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });
});

// The gcp integration on the real path (agent → invocation workflow → the gcp MCP server, sandboxed →
// the sandbox): every tool against the mock sandbox (Prism on the Compute/Functions subset, fake-gcs-server)
// and the emulated one (Collexa's emulator, fake-gcs-server), with state in the emulated one; and a wrong
// service account key, refused by a local server that answers as Google's token endpoint and APIs do.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectedIntegration,
  integrationRig,
  toolErrorOf,
  type IntegrationRig,
  type InvocationView,
  type Platform,
} from '../helpers/integration-rig.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

const PROJECT = 'collexa-sandbox';
const BUCKET = 'collexa-test-bucket';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
}, 180_000);
afterAll(async () => {
  await platform?.stop();
});

/** fake-gcs-server starts with no bucket and the tools make none: the test makes one through its API. */
async function makeBucket(rig: IntegrationRig) {
  const res = await fetch(`${rig.sandbox.endpoints.storage}/storage/v1/b?project=${PROJECT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: BUCKET }),
  });
  expect(res.status, await res.text()).toBe(200);
}

describe('GET /v1/integrations/gcp', () => {
  it('lists its eight tools with their annotations and both sandbox modes', async () => {
    const { adminKey } = await createOrg(platform.db, 'gcp catalog');
    const res = await call(`${platform.url}/v1/integrations/gcp`, { key: adminKey });
    expect(res.status, res.text).toBe(200);
    const hints = Object.fromEntries(
      (res.json.tools as Array<{ name: string; annotations: Record<string, boolean> }>).map((t) => [
        t.name,
        t.annotations.readOnlyHint ? 'read' : t.annotations.destructiveHint ? 'destructive' : 'write',
      ]),
    );
    expect(hints).toEqual({
      list_instances: 'read',
      start_instance: 'write',
      stop_instance: 'destructive',
      list_objects: 'read',
      get_object: 'read',
      put_object: 'destructive',
      list_functions: 'read',
      call_function: 'write',
    });
    expect(res.json.sandbox).toMatchObject({ target: 'gcp', modes: ['mock', 'emulated'] });
    expect(res.json.config.project).toMatchObject({ required: true });
  });
});

describe.each(['mock', 'emulated'] as const)('the gcp %s sandbox', (mode) => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'gcp', mode, config: { project: PROJECT }, platform });
    await makeBucket(rig);
  }, 240_000);

  it('serves compute and functions from one description at its root, storage from fake-gcs-server', () => {
    expect(rig.sandbox.endpoints.compute).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rig.sandbox.endpoints.functions).toBe(rig.sandbox.endpoints.compute);
    expect(rig.sandbox.endpoints.storage).not.toBe(rig.sandbox.endpoints.compute);
  });

  it('lists instances, starts and stops one', async () => {
    const listed = await rig.run('list_instances', {});
    expect(listed.instances).toEqual(expect.arrayContaining([expect.objectContaining({ name: expect.any(String) })]));
    const name = mode === 'emulated' ? 'batch-1' : 'any-vm';
    const started = await rig.run('start_instance', { instance: name });
    expect(started).toMatchObject({
      operation: { status: expect.any(String) },
      instance: { status: expect.any(String) },
    });
    const stopped = await rig.run('stop_instance', { instance: name, zone: 'us-central1-a' });
    expect(stopped).toMatchObject({ operation: { status: expect.any(String) } });
  });

  it('writes an object, then lists and reads it back', async () => {
    const written = await rig.run('put_object', {
      bucket: BUCKET,
      object: `${mode}/notes/hello.txt`,
      content: 'hello from the sandbox',
    });
    expect(written).toMatchObject({ name: `${mode}/notes/hello.txt`, size: 22, bucket: BUCKET });
    const listed = await rig.run('list_objects', { bucket: BUCKET, prefix: `${mode}/` });
    expect(listed.objects).toEqual([expect.objectContaining({ name: `${mode}/notes/hello.txt`, size: 22 })]);
    const folders = await rig.run('list_objects', { bucket: BUCKET, prefix: `${mode}/`, delimiter: '/' });
    expect(folders).toMatchObject({ objects: [], prefixes: [`${mode}/notes/`] });
    const read = await rig.run('get_object', { bucket: BUCKET, object: `${mode}/notes/hello.txt` });
    expect(read).toMatchObject({ encoding: 'text', content: 'hello from the sandbox', truncated: false });
  });

  it('reads binary as base64, bounded, and refuses to overwrite unless asked', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x80, 0x81, 0x82]);
    const object = `${mode}/blob.bin`;
    await rig.run('put_object', { bucket: BUCKET, object, content: bytes.toString('base64'), encoding: 'base64' });
    const read = await rig.run('get_object', { bucket: BUCKET, object });
    expect(read).toMatchObject({
      encoding: 'base64',
      content: bytes.toString('base64'),
      contentType: 'application/octet-stream',
    });
    const cut = await rig.run('get_object', { bucket: BUCKET, object, maxBytes: 4 });
    expect(cut).toMatchObject({
      content: bytes.subarray(0, 4).toString('base64'),
      bytesRead: 4,
      size: 10,
      truncated: true,
    });

    const again = await rig.invoke('put_object', { bucket: BUCKET, object, content: 'x' });
    expect(again.status).toBe('failed');
    expect(toolErrorOf(again)).toMatchObject({ status: 412, code: 'conditionNotMet' });
    await rig.run('put_object', { bucket: BUCKET, object, content: 'replaced', overwrite: true });
    expect(await rig.run('get_object', { bucket: BUCKET, object })).toMatchObject({ content: 'replaced' });
  });

  it('answers a missing bucket as Google does: 404 notFound', async () => {
    const missing = await rig.invoke('list_objects', { bucket: 'no-such-bucket' });
    expect(missing.status).toBe('failed');
    expect(toolErrorOf(missing)).toMatchObject({ vendor: 'Google Cloud', status: 404, code: 'notFound' });
  });

  it('lists functions and calls one', async () => {
    const listed = await rig.run('list_functions', {});
    expect(Array.isArray(listed.functions)).toBe(true);
    const called = await rig.run('call_function', { function: 'hello', data: '{"name":"ada"}' });
    expect(called).toMatchObject({
      function: `projects/${PROJECT}/locations/us-central1/functions/hello`,
      executionId: expect.any(String),
    });
  });
});

describe('the gcp emulated sandbox’s instances', () => {
  let rig: IntegrationRig;
  beforeAll(async () => {
    rig = await integrationRig({ integration: 'gcp', mode: 'emulated', config: { project: PROJECT }, platform });
  }, 240_000);

  const statuses = async () =>
    Object.fromEntries(
      ((await rig.run('list_instances', {})).instances as Array<{ name: string; status: string }>).map((i) => [
        i.name,
        i.status,
      ]),
    );

  it('start and stop change an instance’s status, as list_instances then shows', async () => {
    expect(await statuses()).toEqual({ 'web-1': 'RUNNING', 'batch-1': 'TERMINATED' });
    const started = await rig.run('start_instance', { instance: 'batch-1' });
    expect(started).toMatchObject({
      operation: { type: 'start', status: 'DONE', target: expect.stringMatching(/\/instances\/batch-1$/) },
      instance: { name: 'batch-1', status: 'RUNNING' },
    });
    const stopped = await rig.run('stop_instance', { instance: 'web-1' });
    expect(stopped).toMatchObject({ operation: { type: 'stop', status: 'DONE' }, instance: { status: 'TERMINATED' } });
    expect(await statuses()).toEqual({ 'web-1': 'TERMINATED', 'batch-1': 'RUNNING' });
  });

  it('answers an instance it does not hold with a 404', async () => {
    const missing = await rig.invoke('start_instance', { instance: 'no-such-vm' });
    expect(missing.status).toBe('failed');
    expect(toolErrorOf(missing)).toMatchObject({ status: 404 });
    // Another project holds nothing.
    expect(await rig.run('list_instances', { project: 'other-project' })).toEqual({ instances: [] });
  });

  it('resets: the instances back to their seed, fake-gcs-server emptied', async () => {
    await makeBucket(rig);
    await rig.run('put_object', { bucket: BUCKET, object: 'before-reset.txt', content: 'x' });
    await rig.run('stop_instance', { instance: 'web-1' });
    const reset = await fetch(`${rig.platform.url}/v1/sandboxes/${rig.sandbox.id}/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.developerKey}` },
    });
    expect(reset.status, await reset.text()).toBeLessThan(300);
    expect(await statuses()).toEqual({ 'web-1': 'RUNNING', 'batch-1': 'TERMINATED' });
    const gone = await rig.invoke('list_objects', { bucket: BUCKET });
    expect(toolErrorOf(gone)).toMatchObject({ status: 404 });
  });
});

describe('a wrong service account key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      type: 'service_account',
      project_id: 'acme-prod',
      private_key_id: '0123456789abcdef0123456789abcdef01234567',
      private_key: pem,
      client_email: 'agent@acme-prod.iam.gserviceaccount.com',
      client_id: '112233445566778899',
      token_uri: 'https://oauth2.googleapis.com/token',
      ...extra,
    });

  let google: Server;
  let googleUrl: string;
  const seen: Array<{ method: string; url: string; body: string; authorization?: string }> = [];
  // What the local "Google" answers: the token exchange refused, or granted and the API refusing the token.
  let tokenAnswer: { status: number; body: unknown } = { status: 400, body: {} };

  beforeAll(async () => {
    google = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method!, url: req.url!, body, authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json; charset=UTF-8');
      if (req.url === '/token') {
        res.statusCode = tokenAnswer.status;
        return res.end(JSON.stringify(tokenAnswer.body));
      }
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Bearer realm="https://accounts.google.com/"');
      res.end(
        JSON.stringify({
          error: {
            code: 401,
            message:
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            errors: [
              { message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization' },
            ],
            status: 'UNAUTHENTICATED',
          },
        }),
      );
    }).listen(0, '127.0.0.1');
    await new Promise((r) => google.once('listening', r));
    googleUrl = `http://127.0.0.1:${(google.address() as AddressInfo).port}`;
  });
  afterAll(() => google?.close());

  /** A gcp server with `secret` as its key, pointed at the local Google, and one call of list_instances. */
  async function callWith(secret: string) {
    const gcp = await connectedIntegration({
      platform,
      integration: 'gcp',
      baseUrl: googleUrl,
      config: { project: 'acme-prod' },
      credential: secret,
    });
    const inv = await gcp.invoke('list_instances', {});
    expect(inv.status, JSON.stringify(inv)).toBe('failed');
    return inv;
  }

  const expectNoKeyIn = (inv: InvocationView) => {
    const text = JSON.stringify(inv);
    for (const part of pem.split('\n').filter((l) => l.length > 20)) expect(text).not.toContain(part);
    expect(text).not.toContain('0123456789abcdef0123456789abcdef01234567');
  };

  it('refused at the token exchange (invalid_grant) is a 401 naming Google’s code, without the key', async () => {
    tokenAnswer = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    seen.length = 0;
    const inv = await callWith(key());
    expect(toolErrorOf(inv)).toMatchObject({ vendor: 'Google Cloud', status: 401, code: 'invalid_grant' });
    expect(inv.error?.message).toMatch(/401.*invalid_grant: Invalid JWT Signature\./);
    expectNoKeyIn(inv);
    // What reached "Google": one JWT bearer grant, signed RS256 with the key, for Google's token URI.
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /token']);
    const form = new URLSearchParams(seen[0]!.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const jwt = form.get('assertion')!;
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'RS256', kid: '0123456789abcdef0123456789abcdef01234567' });
    const spki = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
    const { payload } = await jwtVerify(jwt, spki, { audience: 'https://oauth2.googleapis.com/token' });
    expect(payload).toMatchObject({
      iss: 'agent@acme-prod.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    });
    expect(decodeJwt(jwt).exp! - decodeJwt(jwt).iat!).toBe(3600);
  });

  it('a token the API refuses (401 UNAUTHENTICATED) is a 401 naming Google’s status, without the token', async () => {
    tokenAnswer = {
      status: 200,
      body: { access_token: 'ya29.a0-test-access-token', expires_in: 3599, token_type: 'Bearer' },
    };
    seen.length = 0;
    const inv = await callWith(key());
    expect(toolErrorOf(inv)).toMatchObject({ vendor: 'Google Cloud', status: 401, code: 'UNAUTHENTICATED' });
    expect(inv.error?.message).toMatch(/rejected the credentials \(401\).*invalid authentication credentials/);
    expectNoKeyIn(inv);
    const api = seen.filter((s) => s.url.startsWith('/compute/v1/projects/acme-prod/zones/us-central1-a/instances'));
    // Refused, the token is dropped and one fresh token tried before giving up.
    expect(api.map((s) => s.authorization)).toEqual([
      'Bearer ya29.a0-test-access-token',
      'Bearer ya29.a0-test-access-token',
    ]);
  });

  it('a key naming another token endpoint is refused before anything is sent', async () => {
    seen.length = 0;
    const inv = await callWith(key({ token_uri: `${googleUrl}/steal` }));
    expect(toolErrorOf(inv)).toMatchObject({ status: 401, code: 'invalid_credential' });
    expect(inv.error?.message).toContain("token_uri is not Google's token endpoint");
    expect(seen).toEqual([]);
  });
});

// Signed capability manifests: issued as ES256 JWS, verified here and by any JOSE library against the
// public JWKS, and refused with a reason once tampered, foreign, expired, revoked, outdated or orphaned.
import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../helpers/mcp-servers.js';
import { startPlatform, userWithRole } from '../helpers/platform.js';
import { call, createOrg, startApi, testVault } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;
let server: HttpMcpServer;
beforeAll(async () => {
  server = await startHttpMcpServer({ version: 'v1' });
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
  await server?.stop();
});

async function setup(label: string) {
  const { org, adminKey } = await createOrg(platform.db, label);
  await call(`${platform.url}/v1/mcp-servers`, {
    method: 'POST',
    key: adminKey,
    json: { name: 'h', transport: 'http', url: server.url },
  });
  const agent = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: adminKey,
    json: {
      name: 'signed',
      capabilities: [
        { name: 'say', server: 'h', tool: 'echo', risk: 'low' },
        { name: 'sum', server: 'h', tool: 'add', risk: 'high' },
      ],
    },
  });
  expect(agent.status, agent.text).toBe(201);
  return { org, adminKey, agent: agent.json };
}
const issue = (key: string, agentId: string, json: Record<string, unknown> = {}) =>
  call(`${platform.url}/v1/agents/${agentId}/manifests`, { method: 'POST', key, json });
const verify = async (key: string, token: string) =>
  (await call(`${platform.url}/v1/manifests/verify`, { method: 'POST', key, json: { token } })).json;
const jwksUrl = () => new URL(`${platform.url}/.well-known/jwks.json`);

describe('capability manifests', () => {
  it('issues a manifest that verifies here and with an independent verifier reading the public JWKS', async () => {
    const { org, adminKey, agent } = await setup('manifests');
    const first = await issue(adminKey, agent.id);
    expect(first.status, first.text).toBe(201);
    const hash = (name: string) => agent.capabilities.find((c: { name: string }) => c.name === name).pinnedHash;
    expect(first.json).toMatchObject({ agentId: agent.id, version: 1, expiresAt: null, revokedAt: null });
    expect(first.json.payload).toMatchObject({
      agent_id: agent.id,
      version: 1,
      issuer: 'collexa-dev',
      capabilities: [
        { name: 'say', server: 'h', tool: 'echo', risk: 'low', tool_definition_hash: hash('say') },
        { name: 'sum', server: 'h', tool: 'add', risk: 'high', tool_definition_hash: hash('sum') },
      ],
    });
    expect(Date.parse(first.json.payload.issued_at)).not.toBeNaN();
    expect((await issue(adminKey, agent.id)).json.version).toBe(2);
    expect(
      (await call(`${platform.url}/v1/agents/${agent.id}/manifests`, { key: adminKey })).json.data.map(
        (m: { version: number }) => m.version,
      ),
    ).toEqual([2, 1]);
    const developer = await userWithRole(platform.db, org.id, 'developer');
    expect((await issue(developer.key, agent.id)).status).toBe(403);
    const viewer = await userWithRole(platform.db, org.id, 'viewer');
    expect(await verify(viewer.key, first.json.token)).toMatchObject({
      valid: true,
      manifest: { id: first.json.id, version: 1 },
    });

    // Anyone may read the public keys; no private parameter is in them.
    const jwks = await fetch(jwksUrl());
    expect(jwks.status).toBe(200);
    const { keys } = (await jwks.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => k.kid)).toContain(first.json.kid);
    for (const k of keys) expect(k).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(first.json.token, createRemoteJWKSet(jwksUrl()), {
      issuer: 'collexa-dev',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: first.json.kid });
    expect(payload).toMatchObject({ agent_id: agent.id, version: 1, jti: first.json.id });

    // The private key is in the vault (platform scope), encrypted; never in a plain column.
    const row = await platform.db('signing_keys').where({ kid: first.json.kid }).first();
    expect(row.public_jwk).not.toHaveProperty('d');
    const privateJwk = JSON.parse(await testVault(platform.db).reveal(null, `signing-key.${first.json.kid}`)) as {
      d: string;
    };
    const [stored] = await platform
      .db('secret_versions as v')
      .join('secrets as s', 's.id', 'v.secret_id')
      .whereNull('s.org_id')
      .where('s.name', `signing-key.${first.json.kid}`)
      .select('v.ciphertext');
    expect(Buffer.from(stored.ciphertext).includes(Buffer.from(privateJwk.d))).toBe(false);
  });

  it('says why a token does not verify: altered, signed by a foreign key, not a token, or another org’s', async () => {
    const { adminKey, agent } = await setup('forgeries');
    const { token, kid } = (await issue(adminKey, agent.id)).json;
    const [header, body, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    claims.capabilities[1].risk = 'low';
    const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    expect(await verify(adminKey, tampered)).toMatchObject({ valid: false, reason: 'bad_signature' });

    const foreign = await generateKeyPair('ES256');
    const forge = (headerKid: string) =>
      new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', kid: headerKid }).sign(foreign.privateKey);
    expect(await verify(adminKey, await forge('someone-elses-key'))).toMatchObject({
      valid: false,
      reason: 'unknown_kid',
      details: { kid: 'someone-elses-key' },
    });
    expect(await verify(adminKey, await forge(kid))).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(await verify(adminKey, 'not-a-token')).toMatchObject({ valid: false, reason: 'malformed' });
    const other = await createOrg(platform.db, 'stranger');
    expect(await verify(other.adminKey, token)).toMatchObject({ valid: false, reason: 'unknown_manifest' });
    expect(
      (await call(`${platform.url}/v1/manifests/verify`, { method: 'POST', key: adminKey, json: {} })).status,
    ).toBe(400);
  });

  it('reports expiry, revocation and a deleted agent', async () => {
    const { org, adminKey, agent } = await setup('lifecycle');
    const shortLived = (await issue(adminKey, agent.id, { expiresIn: 1 })).json;
    expect(shortLived.expiresAt).not.toBeNull();
    const revocable = (await issue(adminKey, agent.id)).json;
    const orphaned = (await issue(adminKey, agent.id)).json;

    const developer = await userWithRole(platform.db, org.id, 'developer');
    expect(
      (await call(`${platform.url}/v1/manifests/${revocable.id}/revoke`, { method: 'POST', key: developer.key }))
        .status,
    ).toBe(403);
    const revoked = await call(`${platform.url}/v1/manifests/${revocable.id}/revoke`, {
      method: 'POST',
      key: adminKey,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    expect(
      (await call(`${platform.url}/v1/manifests/${revocable.id}/revoke`, { method: 'POST', key: adminKey })).json
        .revokedAt,
    ).toBe(revoked.json.revokedAt);
    expect(await verify(adminKey, revocable.token)).toMatchObject({
      valid: false,
      reason: 'revoked',
      manifest: { id: revocable.id },
    });

    const lapsed = await waitFor(
      () => verify(adminKey, shortLived.token),
      (v) => v.valid === false,
      { what: 'the 1 s manifest to stop verifying', timeoutMs: 2000 },
    );
    expect(lapsed).toMatchObject({ valid: false, reason: 'expired' });

    expect((await call(`${platform.url}/v1/agents/${agent.id}`, { method: 'DELETE', key: adminKey })).status).toBe(204);
    expect(await verify(adminKey, orphaned.token)).toMatchObject({
      valid: false,
      reason: 'agent_deleted',
      details: { agentId: agent.id },
    });
    const audit = await call(`${platform.url}/v1/audit`, { key: adminKey });
    expect(audit.json.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['manifest.issued', 'manifest.revoked']),
    );
  });

  it('reports a tool definition that changed since signing once the capability is re-pinned', async () => {
    const { adminKey, agent } = await setup('repin');
    const before = (await issue(adminKey, agent.id)).json;
    const port = server.port;
    await server.stop();
    server = await startHttpMcpServer({ port, version: 'v2' });
    const repinned = await call(`${platform.url}/v1/agents/${agent.id}/capabilities/say/repin`, {
      method: 'POST',
      key: adminKey,
    });
    expect(repinned.status, repinned.text).toBe(200);
    expect(await verify(adminKey, before.token)).toMatchObject({
      valid: false,
      reason: 'tool_definition_changed',
      details: {
        capabilities: [{ name: 'say', signed: repinned.json.previousHash, current: repinned.json.pinnedHash }],
      },
    });
    const after = (await issue(adminKey, agent.id)).json;
    expect(await verify(adminKey, after.token)).toMatchObject({ valid: true });
  });

  it('rotates signing keys: new manifests use the new kid, old ones verify until their key is retired', async () => {
    const { org, adminKey, agent } = await setup('rotation');
    const old = (await issue(adminKey, agent.id)).json;
    const developer = await userWithRole(platform.db, org.id, 'developer');
    expect((await call(`${platform.url}/v1/signing-keys/rotate`, { method: 'POST', key: developer.key })).status).toBe(
      403,
    );
    // Only the operator org's admins rotate the platform's keys.
    const notOperator = await call(`${platform.url}/v1/signing-keys/rotate`, { method: 'POST', key: adminKey });
    expect(notOperator.status).toBe(403);
    expect(notOperator.json.error.code).toBe('operator_only');
    const operatorApi = await startApi({ db: platform.db, taskQueue: platform.taskQueue, operatorOrgId: org.id });
    onTestFinished(() => operatorApi.close());
    const rotated = await call(`${operatorApi.url}/v1/signing-keys/rotate`, { method: 'POST', key: adminKey });
    expect(rotated.status, rotated.text).toBe(201);
    expect(rotated.json).toMatchObject({ status: 'active', alg: 'ES256' });
    expect(rotated.json.kid).not.toBe(old.kid);
    const fresh = (await issue(adminKey, agent.id)).json;
    expect(fresh.kid).toBe(rotated.json.kid);
    expect(await verify(adminKey, old.token)).toMatchObject({ valid: true });
    expect(await verify(adminKey, fresh.token)).toMatchObject({ valid: true });
    const keys = await call(`${platform.url}/v1/signing-keys`, { key: adminKey });
    expect(keys.json.data.find((k: { kid: string }) => k.kid === old.kid).status).toBe('rotated');

    expect(
      (await call(`${operatorApi.url}/v1/signing-keys/${rotated.json.kid}/retire`, { method: 'POST', key: adminKey }))
        .status,
    ).toBe(409);
    expect(
      (await call(`${platform.url}/v1/signing-keys/${old.kid}/retire`, { method: 'POST', key: adminKey })).status,
    ).toBe(403);
    const retired = await call(`${operatorApi.url}/v1/signing-keys/${old.kid}/retire`, {
      method: 'POST',
      key: adminKey,
    });
    expect(retired.json).toMatchObject({ kid: old.kid, status: 'retired' });
    expect(await verify(adminKey, old.token)).toMatchObject({ valid: false, reason: 'unknown_kid' });
    expect(await verify(adminKey, fresh.token)).toMatchObject({ valid: true });
    const published = (await (await fetch(jwksUrl())).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((k) => k.kid)).toContain(rotated.json.kid);
    expect(published.keys.map((k) => k.kid)).not.toContain(old.kid);
    await expect(jwtVerify(old.token, createRemoteJWKSet(jwksUrl()))).rejects.toThrow(/no applicable key/i);
    await expect(jwtVerify(fresh.token, createRemoteJWKSet(jwksUrl()))).resolves.toBeTruthy();
  });
});

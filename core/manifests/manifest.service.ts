import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AuditRepository } from '../db/audit.repository.js';
import type { AgentRow, CapabilityRow } from '../db/rows.js';
import type { Severity } from '../severity.js';
import { notFound } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import { MANIFEST_ALG, type SigningKeys } from './signing-keys.js';

export const MANIFEST_TYP = 'collexa-manifest+jwt';

/** One capability as signed: its tool and the hash of the tool definition it is pinned to. */
export interface ManifestCapability {
  name: string;
  server: string;
  tool: string;
  risk: Severity;
  tool_definition_hash: string;
}

/** The signed claims: the spec's fields, plus `iss`/`iat`/`exp`/`jti` so any JWT library can check them. */
export interface ManifestPayload extends JWTPayload {
  jti: string;
  org_id: string;
  agent_id: string;
  version: number;
  capabilities: ManifestCapability[];
  issued_at: string;
  issuer: string;
}

export interface ManifestRow {
  id: string;
  org_id: string;
  agent_id: string;
  version: number;
  kid: string;
  token: string;
  payload: ManifestPayload;
  issued_by: string;
  issued_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

export type VerifyFailure =
  | 'malformed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'unknown_manifest'
  | 'revoked'
  | 'agent_deleted'
  | 'tool_definition_changed';
export type Verification =
  | { valid: true; manifest: ManifestRow }
  | { valid: false; reason: VerifyFailure; message: string; details: Record<string, unknown>; manifest?: ManifestRow };

const PayloadSchema = z.looseObject({
  jti: z.uuid(),
  org_id: z.uuid(),
  agent_id: z.uuid(),
  version: z.number().int(),
  capabilities: z.array(z.looseObject({ name: z.string(), tool_definition_hash: z.string() })),
});

/**
 * Signed capability manifests: a JWS (ES256, `kid` header) stating which tools, at which pinned
 * definitions, an agent's capabilities are bound to. Verification says why a token no longer holds.
 */
export class ManifestService {
  constructor(
    private readonly db: Knex,
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  /** Signs the agent's current capabilities as the next version of its manifest, audited in the same transaction. */
  async issue(actor: Actor, agentId: string, opts: { expiresInSeconds?: number } = {}): Promise<ManifestRow> {
    const { orgId } = actor;
    const signer = await this.keys.active();
    return this.db.transaction(async (trx) => {
      // Locks the agent: versions are consecutive, and capabilities cannot change while they are signed.
      const agent = await trx<AgentRow>('agents').where({ org_id: orgId, id: agentId }).forUpdate().first();
      if (!agent) throw notFound('agent', agentId);
      const caps = await trx<CapabilityRow>('agent_capabilities').where({ agent_id: agentId }).orderBy('name');
      const servers = new Map<string, string>(
        (await trx('mcp_servers').where({ org_id: orgId }).select('id', 'name')).map(
          (s: { id: string; name: string }) => [s.id, s.name],
        ),
      );
      const last = (await trx('manifests').where({ agent_id: agentId }).max('version as v').first()) as
        { v: number | null } | undefined;
      const id = randomUUID();
      const issuedAt = new Date();
      const iat = Math.floor(issuedAt.getTime() / 1000);
      const payload: ManifestPayload = {
        jti: id,
        org_id: orgId,
        agent_id: agentId,
        version: (last?.v ?? 0) + 1,
        capabilities: caps.map((c) => ({
          name: c.name,
          server: servers.get(c.server_id) ?? c.server_id,
          tool: c.tool,
          risk: c.risk,
          tool_definition_hash: c.pinned_hash,
        })),
        issued_at: issuedAt.toISOString(),
        issuer: this.issuer,
        iss: this.issuer,
        iat,
        ...(opts.expiresInSeconds ? { exp: iat + opts.expiresInSeconds } : {}),
      };
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg: MANIFEST_ALG, kid: signer.kid, typ: MANIFEST_TYP })
        .sign(signer.privateKey);
      const [row] = await trx<ManifestRow>('manifests')
        .insert({
          id,
          org_id: orgId,
          agent_id: agentId,
          version: payload.version,
          kid: signer.kid,
          token,
          payload: JSON.stringify(payload) as never,
          issued_by: `user:${actor.userId}`,
          issued_at: issuedAt,
          expires_at: payload.exp ? new Date(payload.exp * 1000) : null,
        })
        .returning('*');
      await new AuditRepository(trx).record(
        auditEvent(actor, 'manifest.issued', 'manifest', id, { agentId, version: payload.version, kid: signer.kid }),
        trx,
      );
      return row!;
    });
  }

  list(orgId: string, agentId: string): Promise<ManifestRow[]> {
    return this.db<ManifestRow>('manifests').where({ org_id: orgId, agent_id: agentId }).orderBy('version', 'desc');
  }

  async get(orgId: string, id: string): Promise<ManifestRow> {
    const row = await this.db<ManifestRow>('manifests').where({ org_id: orgId, id }).first();
    if (!row) throw notFound('manifest', id);
    return row;
  }

  /** Revokes the manifest (idempotent, each call audited): it verifies as `revoked` from now on. */
  async revoke(actor: Actor, id: string): Promise<ManifestRow> {
    return this.db.transaction(async (trx) => {
      await trx('manifests')
        .where({ org_id: actor.orgId, id })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now(), revoked_by: `user:${actor.userId}` });
      const row = await trx<ManifestRow>('manifests').where({ org_id: actor.orgId, id }).first();
      if (!row) throw notFound('manifest', id);
      await new AuditRepository(trx).record(
        auditEvent(actor, 'manifest.revoked', 'manifest', row.id, { agentId: row.agent_id, version: row.version }),
        trx,
      );
      return row;
    });
  }

  /**
   * Checks, in order: a well-formed ES256 JWS, a known and unretired kid, the signature, expiry, a manifest
   * issued to this org, not revoked, the agent still there, and every capability still pinned to the
   * signed tool definition hash. The first failure is the answer.
   */
  async verify(orgId: string, token: string): Promise<Verification> {
    const fail = (
      reason: VerifyFailure,
      message: string,
      details: Record<string, unknown> = {},
      manifest?: ManifestRow,
    ): Verification => ({
      valid: false,
      reason,
      message,
      details,
      ...(manifest ? { manifest } : {}),
    });
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== MANIFEST_ALG)
        return fail('malformed', `the token is signed with ${String(header.alg)}, not ${MANIFEST_ALG}`);
      kid = header.kid;
    } catch {
      return fail('malformed', 'the token is not a compact JWS');
    }
    if (!kid) return fail('unknown_kid', 'the token names no signing key (kid)');
    const key = await this.keys.verificationKey(kid);
    if (!key) return fail('unknown_kid', `signing key ${kid} is not one of ours, or has been retired`, { kid });
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, key, { algorithms: [MANIFEST_ALG] })).payload;
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed)
        return fail(
          'bad_signature',
          `the signature does not verify with key ${kid}: the token was altered or signed by another key`,
          { kid },
        );
      if (err instanceof errors.JWTExpired)
        return fail('expired', `the manifest expired at ${new Date(Number(err.payload.exp) * 1000).toISOString()}`, {
          kid,
        });
      return fail('malformed', `the token is not a valid manifest: ${(err as Error).message}`, { kid });
    }
    const parsed = PayloadSchema.safeParse(claims);
    if (!parsed.success) return fail('malformed', 'the token’s claims are not a capability manifest', { kid });
    const p = parsed.data;
    const row = await this.db<ManifestRow>('manifests').where({ id: p.jti, org_id: orgId }).first();
    if (!row)
      return fail('unknown_manifest', 'no manifest with this id was issued to this organization', { id: p.jti });
    if (row.revoked_at)
      return fail(
        'revoked',
        `the manifest was revoked at ${new Date(row.revoked_at).toISOString()}`,
        { revokedAt: new Date(row.revoked_at).toISOString(), revokedBy: row.revoked_by },
        row,
      );
    const agent = await this.db<AgentRow>('agents').where({ org_id: orgId, id: p.agent_id }).first();
    if (!agent) return fail('agent_deleted', `agent ${p.agent_id} has been deleted`, { agentId: p.agent_id }, row);
    const current = new Map(
      (await this.db<CapabilityRow>('agent_capabilities').where({ agent_id: p.agent_id })).map((c) => [
        c.name,
        c.pinned_hash,
      ]),
    );
    const changed = p.capabilities
      .filter((c) => current.get(c.name) !== c.tool_definition_hash)
      .map((c) => ({ name: c.name, signed: c.tool_definition_hash, current: current.get(c.name) ?? null }));
    if (changed.length > 0) {
      return fail(
        'tool_definition_changed',
        `the tool definition of ${changed.map((c) => `"${c.name}"`).join(', ')} changed since the manifest was signed`,
        { capabilities: changed },
        row,
      );
    }
    return { valid: true, manifest: row };
  }
}

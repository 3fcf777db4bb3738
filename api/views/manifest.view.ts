import type { ManifestRow, Verification } from '../../core/manifests/manifest.service.js';
import type { SigningKeyRow } from '../../core/manifests/signing-keys.js';
import { iso } from './iso.js';

/** A signed capability manifest with its links (verify, and the JWKS that verifies it). */
export function manifestView(m: ManifestRow) {
  return {
    id: m.id,
    agentId: m.agent_id,
    version: m.version,
    kid: m.kid,
    token: m.token,
    payload: m.payload,
    issuedBy: m.issued_by,
    issuedAt: iso(m.issued_at),
    expiresAt: iso(m.expires_at),
    revokedAt: iso(m.revoked_at),
    links: {
      self: `/v1/manifests/${m.id}`,
      revoke: `/v1/manifests/${m.id}/revoke`,
      verify: '/v1/manifests/verify',
      jwks: '/.well-known/jwks.json',
    },
  };
}

/** A signing key: its public half and where it is in its life. */
export function keyView(k: SigningKeyRow) {
  return {
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    publicJwk: k.public_jwk,
    createdAt: iso(k.created_at),
    rotatedAt: iso(k.rotated_at),
    retiredAt: iso(k.retired_at),
  };
}

/** Whether a manifest verifies, and why not. */
export function verificationView(v: Verification) {
  if (v.valid) return { valid: true, manifest: manifestView(v.manifest) };
  return {
    valid: false,
    reason: v.reason,
    message: v.message,
    details: v.details,
    ...(v.manifest ? { manifest: manifestView(v.manifest) } : {}),
  };
}

import type { SecretRow } from '../../core/secrets/vault.js';
import { iso } from './iso.js';

/** Metadata only: a value never leaves the vault through the API. */
export function secretView(s: SecretRow) {
  return {
    name: s.name,
    version: s.current_version,
    createdAt: iso(s.created_at),
    rotatedAt: iso(s.rotated_at),
    reference: `secret:${s.name}`,
    links: { self: `/v1/secrets/${s.name}`, rotate: `/v1/secrets/${s.name}/rotate` },
  };
}

import { createHash, randomBytes } from 'node:crypto';

/** Collexa API keys: `clx_` + 43 base64url chars (256 random bits). Only their hash is ever stored. */
export const API_KEY_PATTERN = /^clx_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `clx_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

// A fast hash is right here: keys carry 256 bits of entropy, so there is nothing to brute-force.
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

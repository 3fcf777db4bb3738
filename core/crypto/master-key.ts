import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** 32 random bytes in base64: what COLLEXA_MASTER_KEY holds. */
const MASTER_KEY_TEXT = /^(?:[A-Za-z0-9+/]{43}=?|[A-Za-z0-9_-]{43})$/;

/** A master key (key-encryption key) with its id and key check value, both derived from it. */
export interface MasterKey {
  /** `mk-` + 16 hex digits of HMAC(key, constant): names the key in every envelope it wraps. */
  kid: string;
  key: Buffer;
  /** HMAC(key, another constant), kept in vault_meta to confirm a configured key is the one recorded. */
  check: string;
}

/** True when `text` is base64 (or base64url) of exactly 32 bytes. */
export function isMasterKeyText(text: string): boolean {
  return MASTER_KEY_TEXT.test(text.trim());
}

function decodeMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (!isMasterKeyText(trimmed))
    throw new Error('a master key must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)');
  return Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
}

function toMasterKey(key: Buffer): MasterKey {
  const mac = (label: string) => createHmac('sha256', key).update(label).digest();
  return {
    kid: `mk-${mac('collexa/master-key/id').subarray(0, 8).toString('hex')}`,
    key,
    check: mac('collexa/master-key/check').toString('base64url'),
  };
}

/** The active master key (wraps new data keys) and older ones that still unwrap what they wrapped. */
export class MasterKeyring {
  private readonly byKid: Map<string, MasterKey>;

  private constructor(
    readonly active: MasterKey,
    previous: MasterKey[],
  ) {
    this.byKid = new Map([...previous, active].map((k) => [k.kid, k]));
  }

  /** From COLLEXA_MASTER_KEY and COLLEXA_MASTER_KEYS (base64 texts); throws on a malformed key without echoing it. */
  static fromBase64(active: string, previous: readonly string[] = []): MasterKeyring {
    return new MasterKeyring(
      toMasterKey(decodeMasterKey(active)),
      previous.map((p) => toMasterKey(decodeMasterKey(p))),
    );
  }

  get(kid: string): MasterKey | undefined {
    return this.byKid.get(kid);
  }

  all(): MasterKey[] {
    return [...this.byKid.values()];
  }

  /** Whether `check` is the key check value of the configured key `kid` (constant time). */
  matches(kid: string, check: string): boolean {
    const key = this.byKid.get(kid);
    if (!key) return false;
    const a = Buffer.from(key.check);
    const b = Buffer.from(check);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** A new random master key, base64. */
export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The key in `file`, or a new one written there (mode 0600) when the file does not exist: how `npm start`
 * gives a development stack its master key. Production sets COLLEXA_MASTER_KEY instead.
 */
export function readOrCreateKeyFile(file: string): string {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!isMasterKeyText(text)) throw new Error(`${file} does not hold a base64 32-byte master key`);
    return text;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const key = generateMasterKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600); // the umask may have narrowed it further, never widened; make it exact
  return key;
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { MasterKeyring } from './master-key.js';

const ALG = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A value encrypted at rest: AES-256-GCM under its own random data key (DEK), and the DEK itself
 * AES-256-GCM-wrapped by the master key `kekId`. Both are bound (AAD) to `aad`, which names the row, so a
 * ciphertext copied into another row does not decrypt. Sealed parts are iv ‖ ciphertext ‖ tag.
 */
export interface Envelope {
  kekId: string;
  wrappedDek: Buffer;
  ciphertext: Buffer;
}

/** Data is wrapped by a master key that is not configured: the operator must supply the right key. */
export class MasterKeyMismatchError extends AppError {
  constructor(unknownKids: string[], activeKid: string) {
    super(
      'master_key_mismatch',
      500,
      `The master key does not match the one secrets were encrypted with: stored data is wrapped by master key ${unknownKids.join(', ')}, ` +
        `but COLLEXA_MASTER_KEY is ${activeKid} and COLLEXA_MASTER_KEYS holds no such key. Start with the original key (or add it to COLLEXA_MASTER_KEYS).`,
      { storedKeyIds: unknownKids, activeKeyId: activeKid },
    );
    this.name = 'MasterKeyMismatchError';
  }
}

/** The authentication tag did not verify: the ciphertext, its data key or its binding was altered. */
export class DecryptionError extends Error {
  constructor(what: string) {
    super(`${what} could not be decrypted: the stored ciphertext or data key was altered`);
    this.name = 'DecryptionError';
  }
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALG, key, iv).setAAD(Buffer.from(aad));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Opens what `seal` made with the same key and AAD; throws DecryptionError (never garbage) otherwise. */
export function unseal(key: Buffer, sealed: Buffer, aad: string, what = 'the value'): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError(what);
  const decipher = createDecipheriv(ALG, key, sealed.subarray(0, IV_BYTES))
    .setAAD(Buffer.from(aad))
    .setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError(what);
  }
}

/** Encrypts `plaintext` under a fresh data key wrapped by the keyring's active master key. */
export function encryptEnvelope(keyring: MasterKeyring, plaintext: string, aad: string): Envelope {
  const dek = randomBytes(32);
  try {
    return {
      kekId: keyring.active.kid,
      wrappedDek: seal(keyring.active.key, dek, `${aad}|dek`),
      ciphertext: seal(dek, Buffer.from(plaintext, 'utf8'), `${aad}|data`),
    };
  } finally {
    dek.fill(0);
  }
}

function unwrapDek(keyring: MasterKeyring, env: Envelope, aad: string, what: string): Buffer {
  const kek = keyring.get(env.kekId);
  if (!kek) throw new MasterKeyMismatchError([env.kekId], keyring.active.kid);
  return unseal(kek.key, env.wrappedDek, `${aad}|dek`, what);
}

export function decryptEnvelope(keyring: MasterKeyring, env: Envelope, aad: string, what = 'the value'): string {
  const dek = unwrapDek(keyring, env, aad, what);
  try {
    return unseal(dek, env.ciphertext, `${aad}|data`, what).toString('utf8');
  } finally {
    dek.fill(0);
  }
}

/** The same envelope with its data key re-wrapped by the active master key (the ciphertext is unchanged). */
export function rewrapEnvelope(keyring: MasterKeyring, env: Envelope, aad: string, what = 'the value'): Envelope {
  const dek = unwrapDek(keyring, env, aad, what);
  try {
    return {
      kekId: keyring.active.kid,
      wrappedDek: seal(keyring.active.key, dek, `${aad}|dek`),
      ciphertext: env.ciphertext,
    };
  } finally {
    dek.fill(0);
  }
}

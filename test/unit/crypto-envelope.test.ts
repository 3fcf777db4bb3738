// Envelope encryption: AES-256-GCM under a per-value data key, wrapped by a master key, bound to its row.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  decryptEnvelope,
  encryptEnvelope,
  MasterKeyMismatchError,
  rewrapEnvelope,
  seal,
  unseal,
} from '../../core/crypto/envelope.js';
import { generateMasterKey, MasterKeyring } from '../../core/crypto/master-key.js';

const PLAINTEXT = 'sk-live-0123456789-ünïcode';

describe('envelope encryption', () => {
  it('round-trips a value and never stores the plaintext or the data key in the clear', () => {
    const keyring = MasterKeyring.fromBase64(generateMasterKey());
    const env = encryptEnvelope(keyring, PLAINTEXT, 'collexa/secret/a/1');
    expect(env.kekId).toBe(keyring.active.kid);
    expect(env.ciphertext.includes(Buffer.from(PLAINTEXT))).toBe(false);
    expect(env.wrappedDek).toHaveLength(12 + 32 + 16);
    expect(decryptEnvelope(keyring, env, 'collexa/secret/a/1')).toBe(PLAINTEXT);
    // A fresh data key and IV every time: equal values give unequal ciphertexts.
    expect(encryptEnvelope(keyring, PLAINTEXT, 'collexa/secret/a/1').ciphertext.equals(env.ciphertext)).toBe(false);
  });

  it('refuses, instead of returning garbage, a ciphertext moved to another row or altered', () => {
    const keyring = MasterKeyring.fromBase64(generateMasterKey());
    const env = encryptEnvelope(keyring, PLAINTEXT, 'collexa/secret/a/1');
    expect(() => decryptEnvelope(keyring, env, 'collexa/secret/b/1')).toThrow(DecryptionError);
    const flipped = Buffer.from(env.ciphertext);
    flipped[14]! ^= 1;
    expect(() => decryptEnvelope(keyring, { ...env, ciphertext: flipped }, 'collexa/secret/a/1')).toThrow(
      /could not be decrypted/,
    );
    expect(() => unseal(randomBytes(32), seal(randomBytes(32), Buffer.from('x'), 'aad'), 'aad')).toThrow(
      DecryptionError,
    );
  });

  it('names the master key a value was wrapped with when that key is not configured', () => {
    const original = MasterKeyring.fromBase64(generateMasterKey());
    const other = MasterKeyring.fromBase64(generateMasterKey());
    const env = encryptEnvelope(original, PLAINTEXT, 'aad');
    const attempt = () => decryptEnvelope(other, env, 'aad');
    expect(attempt).toThrow(MasterKeyMismatchError);
    expect(attempt).toThrow(/master key does not match the one secrets were encrypted with/);
    expect(attempt).toThrow(original.active.kid);
  });

  it('re-wraps the data key under a new master key while an old one is kept for unwrapping', () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const before = MasterKeyring.fromBase64(oldKey);
    const env = encryptEnvelope(before, PLAINTEXT, 'aad');
    const during = MasterKeyring.fromBase64(newKey, [oldKey]);
    expect(decryptEnvelope(during, env, 'aad')).toBe(PLAINTEXT);
    const rewrapped = rewrapEnvelope(during, env, 'aad');
    expect(rewrapped.kekId).toBe(during.active.kid);
    expect(rewrapped.ciphertext.equals(env.ciphertext)).toBe(true);
    expect(decryptEnvelope(MasterKeyring.fromBase64(newKey), rewrapped, 'aad')).toBe(PLAINTEXT);
  });
});

// Master keys: parsing without echoing, derived ids and check values, the dev key file, config validation.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';
import {
  generateMasterKey,
  isMasterKeyText,
  MasterKeyring,
  readOrCreateKeyFile,
} from '../../core/crypto/master-key.js';

describe('master keys', () => {
  it('accepts base64 or base64url of exactly 32 bytes', () => {
    const key = generateMasterKey();
    expect(isMasterKeyText(key)).toBe(true);
    expect(isMasterKeyText(Buffer.from(key, 'base64').toString('base64url'))).toBe(true);
    expect(isMasterKeyText(Buffer.alloc(16).toString('base64'))).toBe(false);
    expect(isMasterKeyText('not a key')).toBe(false);
    expect(() => MasterKeyring.fromBase64('short-key-material')).toThrow(/base64 of exactly 32 bytes/);
    expect(() => MasterKeyring.fromBase64('short-key-material')).not.toThrow(/short-key-material/);
  });

  it('derives a stable key id and check value that reveal nothing of the key', () => {
    const key = generateMasterKey();
    const a = MasterKeyring.fromBase64(key);
    const b = MasterKeyring.fromBase64(Buffer.from(key, 'base64').toString('base64url'));
    expect(a.active.kid).toMatch(/^mk-[0-9a-f]{16}$/);
    expect(b.active.kid).toBe(a.active.kid);
    expect(a.matches(a.active.kid, a.active.check)).toBe(true);
    expect(a.matches(a.active.kid, MasterKeyring.fromBase64(generateMasterKey()).active.check)).toBe(false);
    expect(a.active.check).not.toContain(key);
    const ring = MasterKeyring.fromBase64(generateMasterKey(), [key]);
    expect(ring.get(a.active.kid)?.key.equals(a.active.key)).toBe(true);
    expect(ring.all()).toHaveLength(2);
  });

  it('creates the development key file once, readable by its owner only', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'collexa-key-')), 'nested', 'master.key');
    const key = readOrCreateKeyFile(file);
    expect(isMasterKeyText(key)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateKeyFile(file)).toBe(key);
    writeFileSync(file, 'garbage');
    expect(() => readOrCreateKeyFile(file)).toThrow(/does not hold a base64 32-byte master key/);
    expect(readFileSync(file, 'utf8')).toBe('garbage');
  });

  it('validates COLLEXA_MASTER_KEY(S) in the config without printing the values', () => {
    const key = generateMasterKey();
    const old = generateMasterKey();
    const config = loadConfig({ COLLEXA_MASTER_KEY: key, COLLEXA_MASTER_KEYS: ` ${old} ,` });
    expect(config.vault).toEqual({ masterKey: key, previousMasterKeys: [old] });
    expect(config.issuer).toBe('collexa-dev');
    expect(loadConfig({ COLLEXA_ISSUER: 'https://collexa.example' }).issuer).toBe('https://collexa.example');
    let err: unknown;
    try {
      loadConfig({ COLLEXA_MASTER_KEY: 'hunter2-not-a-key', COLLEXA_MASTER_KEYS: `${old},also-not-a-key` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toMatch(/COLLEXA_MASTER_KEY=\[redacted\]: expected base64 of 32 bytes/);
    expect(message).toMatch(/COLLEXA_MASTER_KEYS=\[redacted\]/);
    expect(message).not.toMatch(/hunter2|also-not-a-key/);
    expect(message).not.toContain(old);
  });
});

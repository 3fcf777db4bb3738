import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { generateMasterKey, MasterKeyring } from '../../core/crypto/master-key.js';
import { EncryptionCodec } from '../../core/crypto/payload-codec.js';

const secret = { apiKey: 'sk-live-do-not-leak', n: 42 };
const payload = () => defaultPayloadConverter.toPayload(secret);

describe('EncryptionCodec', () => {
  it('round-trips a payload and leaves no plaintext in the encoded bytes', async () => {
    const codec = new EncryptionCodec(MasterKeyring.fromBase64(generateMasterKey()));
    const [encoded] = await codec.encode([payload()]);
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('sk-live');
    expect(new TextDecoder().decode(encoded!.metadata!['encryption-key-id'])).toBe(codec.keyId);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(secret);
  });

  it('decodes payloads of a rotated-out key while that master key is kept as a previous key', async () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const [old] = await new EncryptionCodec(MasterKeyring.fromBase64(oldKey)).encode([payload()]);
    const rotated = new EncryptionCodec(MasterKeyring.fromBase64(newKey, [oldKey]));
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(secret);
    const [fresh] = await rotated.encode([payload()]);
    expect(new TextDecoder().decode(fresh!.metadata!['encryption-key-id'])).toBe(rotated.keyId);
    await expect(new EncryptionCodec(MasterKeyring.fromBase64(newKey)).decode([old!])).rejects.toThrow(
      /not configured/,
    );
  });

  it('rejects a tampered payload and passes unencrypted ones through', async () => {
    const codec = new EncryptionCodec(MasterKeyring.fromBase64(generateMasterKey()));
    const [encoded] = await codec.encode([payload()]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 0xff;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/authentication/);
    const plain = payload();
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});

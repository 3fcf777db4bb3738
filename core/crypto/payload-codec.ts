import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
// CommonJS package: Node's ESM loader cannot see its named exports, so take the default.
import proto from '@temporalio/proto';
import type { MasterKeyring } from './master-key.js';

const { temporal } = proto;
const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload key: derived from a master key (HKDF), named after it, so rotating the master key rotates it too. */
interface PayloadKey {
  id: string;
  key: Buffer;
}

function derive(master: { kid: string; key: Buffer }): PayloadKey {
  return { id: `pk-${master.kid.replace(/^mk-/, '')}`, key: Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'collexa/temporal-payload/v1', 32)) };
}

/**
 * Encrypts every Temporal payload (workflow and activity inputs and results, signals, updates, queries,
 * and — with the encoding failure converter — failure messages) with AES-256-GCM. The key id travels in
 * the payload's metadata; payloads written under an older master key still decode while that key is in
 * COLLEXA_MASTER_KEYS. Unencrypted payloads pass through decode untouched (history from before encryption).
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly active: PayloadKey;
  private readonly byId: Map<string, PayloadKey>;

  constructor(ring: MasterKeyring) {
    const keys = ring.all().map(derive);
    this.active = derive(ring.active);
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  /** The id encode writes into new payloads' metadata. */
  get keyId(): string {
    return this.active.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, this.active.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCODING), [KEY_ID]: encoder.encode(this.active.id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID];
      if (!idBytes) throw new ValueError('encrypted payload has no key id');
      const id = decoder.decode(idBytes);
      const key = this.byId.get(id);
      if (!key) throw new ValueError(`payload was encrypted with key ${id}, which is not configured (add its master key to COLLEXA_MASTER_KEYS)`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
      const decipher = createDecipheriv(CIPHER, key.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(`payload failed authentication under key ${id}`);
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  METADATA_ENCODING_KEY,
  ValueError,
  type Payload,
  type PayloadCodec,
  type SerializationContext,
} from '@temporalio/common';
// CommonJS package: Node's ESM loader cannot see its named exports, so take the default.
import proto from '@temporalio/proto';
import { ORG_METADATA_KEY, PayloadOrgs } from '../temporal/payload-org.js';
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
  /** A KeyObject, not bytes: a Buffer key is imported into a new key object on every cipher (bench/invoke's profile). */
  key: KeyObject;
}

function derive(master: { kid: string; key: Buffer }): PayloadKey {
  return {
    id: `pk-${master.kid.replace(/^mk-/, '')}`,
    key: createSecretKey(
      Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'collexa/temporal-payload/v1', 32)),
    ),
  };
}

/**
 * Encrypts every Temporal payload (workflow and activity inputs and results, signals, updates, queries,
 * and — with the encoding failure converter — failure messages) with AES-256-GCM. The key id travels in
 * the payload's metadata; payloads written under an older master key still decode while that key is in
 * COLLEXA_MASTER_KEYS. So does the payload's org where it is known (core/temporal/payload-org.ts), bound
 * to the ciphertext as AAD: relabelling a payload with another org makes it fail authentication.
 * Unencrypted payloads pass through decode untouched (history from before encryption).
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly active: PayloadKey;
  private readonly byId: Map<string, PayloadKey>;
  private readonly orgs = new PayloadOrgs();

  constructor(ring: MasterKeyring) {
    const keys = ring.all().map(derive);
    this.active = derive(ring.active);
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  /** The id encode writes into new payloads' metadata. */
  get keyId(): string {
    return this.active.id;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((p) => this.seal(p, this.orgs.orgFor(text(p.metadata?.[ORG_METADATA_KEY]), context)));
  }

  /** Encodes as `orgId`'s payloads whatever they claim (the remote codec: the caller's key decides the org). */
  async encodeForOrg(payloads: Payload[], orgId: string): Promise<Payload[]> {
    return payloads.map((p) => this.seal(p, orgId));
  }

  async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return payloads.map((p) => {
      const org = orgOf(p);
      if (org) this.orgs.learn(org, context);
      return this.open(p);
    });
  }

  /** Decodes the payloads whose org `mayRead` allows; the others come back as they are, still encrypted. */
  async decodeIf(payloads: Payload[], mayRead: (org: string | undefined) => boolean): Promise<Payload[]> {
    return payloads.map((p) => (isEncrypted(p) && !mayRead(orgOf(p)) ? p : this.open(p)));
  }

  private seal(payload: Payload, org: string | undefined): Payload {
    const inner = { ...payload, metadata: { ...payload.metadata } };
    if (org) inner.metadata[ORG_METADATA_KEY] = encoder.encode(org);
    else delete inner.metadata[ORG_METADATA_KEY];
    const plain = temporal.api.common.v1.Payload.encode(inner).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.active.key, iv);
    if (org) cipher.setAAD(encoder.encode(org));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const metadata: Record<string, Uint8Array> = {
      [METADATA_ENCODING_KEY]: encoder.encode(ENCODING),
      [KEY_ID]: encoder.encode(this.active.id),
    };
    if (org) metadata[ORG_METADATA_KEY] = encoder.encode(org);
    return { metadata, data: sealed };
  }

  private open(payload: Payload): Payload {
    if (!isEncrypted(payload)) return payload;
    const idBytes = payload.metadata?.[KEY_ID];
    if (!idBytes) throw new ValueError('encrypted payload has no key id');
    const id = decoder.decode(idBytes);
    const key = this.byId.get(id);
    if (!key)
      throw new ValueError(
        `payload was encrypted with key ${id}, which is not configured (add its master key to COLLEXA_MASTER_KEYS)`,
      );
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
    const decipher = createDecipheriv(CIPHER, key.key, data.subarray(0, IV_BYTES));
    const org = orgOf(payload);
    if (org) decipher.setAAD(encoder.encode(org));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new ValueError(`payload failed authentication under key ${id}`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes && bytes.length ? decoder.decode(bytes) : undefined);
const isEncrypted = (p: Payload) => text(p.metadata?.[METADATA_ENCODING_KEY]) === ENCODING;
/** The org an encrypted payload was bound to (undefined: none, e.g. written before orgs were recorded). */
export const orgOf = (p: Payload) => text(p.metadata?.[ORG_METADATA_KEY]);

import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Knex } from 'knex';
import { AuditRepository } from '../db/audit.repository.js';
import { conflict, notFound } from '../errors.js';
import { auditEvent, type Actor } from '../identity/actor.js';
import type { SecretVault } from '../secrets/vault.js';

export const MANIFEST_ALG = 'ES256';

export type SigningKeyStatus = 'active' | 'rotated' | 'retired';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  /** active: signs new manifests; rotated: only verifies; retired: gone from the JWKS, verifies nothing. */
  status: SigningKeyStatus;
  created_at: Date;
  rotated_at: Date | null;
  retired_at: Date | null;
}

/** The vault (platform scope) holds each private key under this name; no plain column or env ever does. */
const privateKeyName = (kid: string) => `signing-key.${kid}`;
const LOCK = 'collexa.signing-keys';

/**
 * The platform's manifest signing keys (global, not per org, so one JWKS serves every verifier): ES256
 * pairs whose kid is the RFC 7638 thumbprint of the public key. Exactly one key is active; rotation makes
 * a new one active and keeps the old verifying until it is retired.
 */
export class SigningKeys {
  private readonly privateKeys = new Map<string, Promise<CryptoKey>>();
  private readonly publicKeys = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly db: Knex,
    private readonly vault: SecretVault,
  ) {}

  /** The active key and its private half, created on first use. */
  async active(): Promise<{ kid: string; privateKey: CryptoKey }> {
    let row = await this.db<SigningKeyRow>('signing_keys').where({ status: 'active' }).first();
    if (!row) await this.vault.verify(); // the first key's private half goes into the vault
    row ??= await this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [LOCK]);
      return (await trx<SigningKeyRow>('signing_keys').where({ status: 'active' }).first()) ?? this.create(trx);
    });
    return { kid: row.kid, privateKey: await this.privateKey(row.kid) };
  }

  /** A new active key; the previous one keeps verifying ('rotated') until retired. Audited as `actor`'s, when given. */
  async rotate(actor?: Actor): Promise<SigningKeyRow> {
    await this.vault.verify(); // fail before touching the keys when there is no usable master key
    return this.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [LOCK]);
      await trx('signing_keys').where({ status: 'active' }).update({ status: 'rotated', rotated_at: trx.fn.now() });
      const key = await this.create(trx);
      if (actor) await record(trx, actor, 'signing_key.rotated', key.kid);
      return key;
    });
  }

  /** Stops verifying with `kid` (it leaves the JWKS), audited as `actor`'s. The active key cannot be retired: rotate first. */
  async retire(actor: Actor, kid: string): Promise<SigningKeyRow> {
    const row = await this.db<SigningKeyRow>('signing_keys').where({ kid }).first();
    if (!row) throw notFound('signing key', kid);
    if (row.status === 'active')
      throw conflict('The active signing key cannot be retired; rotate first (POST /v1/signing-keys/rotate)', { kid });
    // Retiring again changes nothing but is audited all the same, as it always was.
    const retired = await this.db.transaction(async (trx) => {
      const [updated] =
        row.status === 'retired'
          ? [row]
          : await trx<SigningKeyRow>('signing_keys')
              .where({ kid })
              .update({ status: 'retired', retired_at: trx.fn.now() as unknown as Date })
              .returning('*');
      await record(trx, actor, 'signing_key.retired', kid);
      return updated!;
    });
    this.publicKeys.delete(kid);
    return retired;
  }

  list(): Promise<SigningKeyRow[]> {
    return this.db<SigningKeyRow>('signing_keys').orderBy('created_at', 'desc');
  }

  /** The public keys that verify (active and rotated), as a JWK Set. */
  jwks(): Promise<{ keys: JWK[] }> {
    return publicJwks(this.db);
  }

  /** The verification key of `kid`, unless unknown or retired. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const row = await this.db<SigningKeyRow>('signing_keys').where({ kid }).whereNot({ status: 'retired' }).first();
    if (!row) return undefined;
    let key = this.publicKeys.get(kid);
    if (!key) {
      key = importJWK(row.public_jwk, row.alg) as Promise<CryptoKey>;
      this.publicKeys.set(kid, key);
    }
    return key;
  }

  private async create(trx: Knex): Promise<SigningKeyRow> {
    const pair = await generateKeyPair(MANIFEST_ALG, { extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await this.vault.create(null, privateKeyName(kid), JSON.stringify(await exportJWK(pair.privateKey)), {
      actor: 'system',
      trx,
    });
    const [row] = await trx<SigningKeyRow>('signing_keys')
      .insert({ kid, alg: MANIFEST_ALG, public_jwk: JSON.stringify(publicJwk) as never, status: 'active' })
      .returning('*');
    this.privateKeys.set(kid, Promise.resolve(pair.privateKey));
    return row!;
  }

  private privateKey(kid: string): Promise<CryptoKey> {
    let key = this.privateKeys.get(kid);
    if (!key) {
      key = this.vault
        .reveal(null, privateKeyName(kid))
        .then((jwk) => importJWK(JSON.parse(jwk) as JWK, MANIFEST_ALG) as Promise<CryptoKey>);
      key.catch(() => this.privateKeys.delete(kid));
      this.privateKeys.set(kid, key);
    }
    return key;
  }
}

const record = (trx: Knex, actor: Actor, action: string, kid: string) =>
  new AuditRepository(trx).record(auditEvent(actor, action, 'signing_key', kid, { kid }), trx);

/** The public signing keys that verify (active and rotated), as a JWK Set: needs no vault. */
export async function publicJwks(db: Knex): Promise<{ keys: JWK[] }> {
  const rows = await db<SigningKeyRow>('signing_keys').whereNot({ status: 'retired' }).orderBy('created_at', 'desc');
  return { keys: rows.map((r) => ({ ...r.public_jwk, kid: r.kid, alg: r.alg, use: 'sig' })) };
}

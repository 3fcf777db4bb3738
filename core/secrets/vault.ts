import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { decryptEnvelope, encryptEnvelope, MasterKeyMismatchError, type Envelope } from '../crypto/envelope.js';
import type { MasterKeyring } from '../crypto/master-key.js';
import { AppError, conflict, notFound } from '../errors.js';
import { checkMasterKeys, secretAad } from './master-key-check.js';

/** Secret names: what `secret:NAME` may reference. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface SecretRow {
  id: string;
  /** null: a platform secret (a manifest signing key), outside every org. */
  org_id: string | null;
  name: string;
  current_version: number;
  created_by: string | null;
  created_at: Date;
  rotated_at: Date | null;
}

/** What resolving `secret:NAME` references needs: the latest value of each named secret of an org. */
export interface SecretReader {
  revealMany(orgId: string, names: string[]): Promise<Map<string, string>>;
}

export class VaultUnavailableError extends AppError {
  constructor() {
    super(
      'vault_unavailable',
      503,
      'No master key is configured (COLLEXA_MASTER_KEY), so secrets cannot be stored or read',
    );
  }
}

/**
 * The secrets vault: values encrypted at rest with AES-256-GCM under a data key per version, each data key
 * wrapped by the master key. Values leave only through reveal*, which the MCP connection path uses;
 * nothing here logs. The first use checks the configured master keys against the database (verify()).
 */
export class SecretVault implements SecretReader {
  private verified?: Promise<void>;

  constructor(
    private readonly db: Knex,
    private readonly keyring?: MasterKeyring,
  ) {}

  get configured(): boolean {
    return this.keyring !== undefined;
  }

  /**
   * Checks the master keys against the key check values and the data keys in the database (a mismatch
   * throws MasterKeyMismatchError, and keeps throwing), then re-wraps data keys held by older keys.
   */
  verify(): Promise<void> {
    const keyring = this.keyring;
    if (!keyring) return Promise.reject(new VaultUnavailableError());
    this.verified ??= checkMasterKeys(this.db, keyring).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof MasterKeyMismatchError)) this.verified = undefined; // e.g. the database was down: try again next time
        throw err;
      },
    );
    return this.verified;
  }

  async create(
    orgId: string | null,
    name: string,
    value: string,
    opts: { actor?: string; trx?: Knex } = {},
  ): Promise<SecretRow> {
    const keyring = await this.open();
    const id = randomUUID();
    try {
      return await (opts.trx ?? this.db).transaction(async (trx) => {
        const [row] = await trx<SecretRow>('secrets')
          .insert({ id, org_id: orgId, name, current_version: 1, created_by: opts.actor ?? null })
          .returning('*');
        await trx('secret_versions').insert(versionRow(keyring, id, 1, value));
        return row!;
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw conflict(`A secret named "${name}" already exists`, { name });
      throw err;
    }
  }

  /** Adds a version; reads use it from now on. Older versions are kept. Inside `outer` when given. */
  async rotate(orgId: string, name: string, value: string, outer: Knex = this.db): Promise<SecretRow> {
    const keyring = await this.open();
    return outer.transaction(async (trx) => {
      const row = await trx<SecretRow>('secrets').where({ org_id: orgId, name }).forUpdate().first();
      if (!row) throw notFound('secret', name);
      const version = row.current_version + 1;
      await trx('secret_versions').insert(versionRow(keyring, row.id, version, value));
      const [updated] = await trx<SecretRow>('secrets')
        .where({ id: row.id })
        .update({ current_version: version, rotated_at: trx.fn.now() as unknown as Date })
        .returning('*');
      return updated!;
    });
  }

  list(orgId: string): Promise<SecretRow[]> {
    return this.db<SecretRow>('secrets').where({ org_id: orgId }).orderBy('name');
  }

  async get(orgId: string, name: string): Promise<SecretRow> {
    const row = await this.db<SecretRow>('secrets').where({ org_id: orgId, name }).first();
    if (!row) throw notFound('secret', name);
    return row;
  }

  /** Deletes the secret with every version. */
  async delete(orgId: string | null, name: string, trx: Knex = this.db): Promise<void> {
    const n = await trx('secrets').where({ org_id: orgId, name }).delete();
    if (n === 0) throw notFound('secret', name);
  }

  /** The latest value of each named secret that exists (missing names are absent from the map). */
  async revealMany(orgId: string | null, names: string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    const keyring = await this.open();
    const rows: (Pick<SecretRow, 'id' | 'name'> & {
      version: number;
      kek_id: string;
      wrapped_dek: Buffer;
      ciphertext: Buffer;
    })[] = await this.db('secrets as s')
      .join('secret_versions as v', (j) => j.on('v.secret_id', 's.id').andOn('v.version', 's.current_version'))
      .where('s.org_id', orgId)
      .whereIn('s.name', [...new Set(names)])
      .select('s.id', 's.name', 'v.version', 'v.kek_id', 'v.wrapped_dek', 'v.ciphertext');
    return new Map(
      rows.map((r) => [
        r.name,
        decryptEnvelope(
          keyring,
          { kekId: r.kek_id, wrappedDek: r.wrapped_dek, ciphertext: r.ciphertext },
          secretAad(r.id, r.version),
          `secret "${r.name}" version ${r.version}`,
        ),
      ]),
    );
  }

  async reveal(orgId: string | null, name: string): Promise<string> {
    const value = (await this.revealMany(orgId, [name])).get(name);
    if (value === undefined) throw notFound('secret', name);
    return value;
  }

  private async open(): Promise<MasterKeyring> {
    await this.verify();
    return this.keyring!;
  }
}

function versionRow(keyring: MasterKeyring, secretId: string, version: number, value: string) {
  const env: Envelope = encryptEnvelope(keyring, value, secretAad(secretId, version));
  return { secret_id: secretId, version, kek_id: env.kekId, wrapped_dek: env.wrappedDek, ciphertext: env.ciphertext };
}

import type { Knex } from 'knex';
import { MasterKeyMismatchError, rewrapEnvelope } from '../crypto/envelope.js';
import type { MasterKeyring } from '../crypto/master-key.js';

/** Binds a secret version's ciphertext and data key to their row. */
export const secretAad = (secretId: string, version: number) => `collexa/secret/${secretId}/${version}`;

/**
 * The start-up check of the vault: every recorded key check value of a configured key id must match, and
 * every master key that still wraps a data key must be configured; otherwise MasterKeyMismatchError
 * (never garbage later). Then the configured keys are recorded and data keys wrapped by an older key
 * (COLLEXA_MASTER_KEYS) are re-wrapped by the active one, so the old key can be dropped after a restart.
 */
export async function checkMasterKeys(db: Knex, keyring: MasterKeyring): Promise<{ rewrapped: number }> {
  const recorded: { kid: string; check_value: string }[] = await db('vault_meta').select('kid', 'check_value');
  const mismatched = recorded
    .filter((r) => keyring.get(r.kid) && !keyring.matches(r.kid, r.check_value))
    .map((r) => r.kid);
  if (mismatched.length > 0) throw new MasterKeyMismatchError(mismatched, keyring.active.kid);
  const inUse: string[] = await db('secret_versions').distinct('kek_id').pluck('kek_id');
  const unknown = inUse.filter((kid) => !keyring.get(kid));
  if (unknown.length > 0) throw new MasterKeyMismatchError(unknown, keyring.active.kid);
  await db('vault_meta')
    .insert(keyring.all().map((k) => ({ kid: k.kid, check_value: k.check })))
    .onConflict('kid')
    .ignore();
  return { rewrapped: inUse.some((kid) => kid !== keyring.active.kid) ? await rewrapDataKeys(db, keyring) : 0 };
}

async function rewrapDataKeys(db: Knex, keyring: MasterKeyring): Promise<number> {
  return db.transaction(async (trx) => {
    // API and worker may start together; one of them re-wraps.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['collexa.vault.rewrap']);
    const rows: { secret_id: string; version: number; kek_id: string; wrapped_dek: Buffer; ciphertext: Buffer }[] =
      await trx('secret_versions')
        .whereNot('kek_id', keyring.active.kid)
        .select('secret_id', 'version', 'kek_id', 'wrapped_dek', 'ciphertext');
    for (const r of rows) {
      const env = rewrapEnvelope(
        keyring,
        { kekId: r.kek_id, wrappedDek: r.wrapped_dek, ciphertext: r.ciphertext },
        secretAad(r.secret_id, r.version),
        `secret version ${r.version}`,
      );
      await trx('secret_versions')
        .where({ secret_id: r.secret_id, version: r.version })
        .update({ kek_id: env.kekId, wrapped_dek: env.wrappedDek });
    }
    return rows.length;
  });
}

import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { MasterKeyMismatchError } from '../crypto/envelope.js';
import { MasterKeyring } from '../crypto/master-key.js';
import { StartupError } from '../errors.js';
import type { Logger } from '../log.js';
import { SecretVault } from './vault.js';

/**
 * The vault over the configured master keys, checked against the database before a process serves
 * anything. A key that does not match what the data was encrypted with is a StartupError; so is a missing
 * key in production. Elsewhere a missing key only disables secrets and manifests; a database that is not
 * up yet postpones the check to first use.
 */
export async function openVault(config: Pick<Config, 'env' | 'vault'>, db: Db, logger: Logger): Promise<SecretVault> {
  if (!config.vault.masterKey) {
    if (config.env === 'production')
      throw new StartupError(
        'COLLEXA_MASTER_KEY is required in production (base64 of 32 random bytes: openssl rand -base64 32)',
      );
    logger.warn(
      'COLLEXA_MASTER_KEY is not set: secrets, secret references and manifests are unavailable (npm start sets it)',
    );
    return new SecretVault(db);
  }
  const vault = new SecretVault(db, MasterKeyring.fromBase64(config.vault.masterKey, config.vault.previousMasterKeys));
  try {
    await vault.verify();
  } catch (err) {
    if (err instanceof MasterKeyMismatchError)
      throw new StartupError(err.message, { code: err.code, details: err.details });
    logger.warn(
      { err: (err as Error).message },
      'could not check the master key against the database yet; checking at first use',
    );
  }
  return vault;
}

import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { MasterKeyMismatchError } from '../crypto/envelope.js';
import { MasterKeyring } from '../crypto/master-key.js';
import type { Logger } from '../log.js';
import { SecretVault } from './vault.js';

/**
 * For the API and worker entry points: the vault over the configured master keys, checked against the
 * database before the process serves anything. A key that does not match what the data was encrypted
 * with stops the process (exit 78); so does a missing key in production. Elsewhere a missing key only
 * disables secrets and manifests; a database that is not up yet postpones the check to first use.
 */
export async function openVaultOrExit(config: Pick<Config, 'env' | 'vault'>, db: Db, logger: Logger): Promise<SecretVault> {
  if (!config.vault.masterKey) {
    if (config.env === 'production') {
      logger.fatal('COLLEXA_MASTER_KEY is required in production (base64 of 32 random bytes: openssl rand -base64 32)');
      process.exit(78);
    }
    logger.warn('COLLEXA_MASTER_KEY is not set: secrets, secret references and manifests are unavailable (npm start sets it)');
    return new SecretVault(db);
  }
  const vault = new SecretVault(db, MasterKeyring.fromBase64(config.vault.masterKey, config.vault.previousMasterKeys));
  try {
    await vault.verify();
  } catch (err) {
    if (err instanceof MasterKeyMismatchError) {
      logger.fatal({ code: err.code, details: err.details }, err.message);
      process.exit(78);
    }
    logger.warn({ err: (err as Error).message }, 'could not check the master key against the database yet; checking at first use');
  }
  return vault;
}

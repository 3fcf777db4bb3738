// `npm run migrate [-- --rollback [--all]]`: applies (or undoes) the knex migrations on DATABASE_URL.
import { configOrExit } from './entry.js';
import { createDb, ensureDatabase, migrateLatest, migrateRollback } from '../core/db/knex.js';

const config = configOrExit();
const rollback = process.argv.includes('--rollback');
await ensureDatabase(config.db.url);
const db = createDb(config.db.url, 1);
try {
  const names = rollback ? await migrateRollback(db, process.argv.includes('--all')) : await migrateLatest(db);
  console.log(names.length ? `${rollback ? 'rolled back' : 'applied'}: ${names.join(', ')}` : 'nothing to do');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}

import type { Knex } from 'knex';

// The secrets vault (envelope-encrypted values, every version kept), the master-key check values, the
// platform's manifest signing keys (private halves live in the vault) and the signed capability manifests.
export async function up(knex: Knex): Promise<void> {
  // org_id null: a platform secret (a signing key's private key), never visible through /v1/secrets.
  await knex.schema.createTable('secrets', (t) => {
    t.uuid('id').primary();
    t.uuid('org_id').references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.integer('current_version').notNullable();
    t.text('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('rotated_at', { useTz: true });
  });
  await knex.raw('create unique index secrets_org_name_unique on secrets (org_id, name) where org_id is not null');
  await knex.raw('create unique index secrets_platform_name_unique on secrets (name) where org_id is null');

  await knex.schema.createTable('secret_versions', (t) => {
    t.uuid('secret_id').notNullable().references('secrets.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    // AES-256-GCM (iv ‖ ciphertext ‖ tag) under a per-version data key, itself wrapped by master key kek_id.
    t.text('kek_id').notNullable();
    t.binary('wrapped_dek').notNullable();
    t.binary('ciphertext').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['secret_id', 'version']);
    t.index(['kek_id']);
  });

  // One row per master key ever used: its key check value (an HMAC of a constant), verified at start.
  await knex.schema.createTable('vault_meta', (t) => {
    t.text('kid').primary();
    t.text('check_value').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('status').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('rotated_at', { useTz: true });
    t.timestamp('retired_at', { useTz: true });
  });
  await knex.raw(
    "alter table signing_keys add constraint signing_keys_status_check check (status in ('active','rotated','retired'))",
  );
  await knex.raw("create unique index signing_keys_one_active on signing_keys ((true)) where status = 'active'");

  // agent_id has no foreign key: a manifest outlives its agent, and verification reports the deletion.
  await knex.schema.createTable('manifests', (t) => {
    t.uuid('id').primary();
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.uuid('agent_id').notNullable();
    t.integer('version').notNullable();
    t.text('kid').notNullable().references('signing_keys.kid');
    t.text('token').notNullable();
    t.jsonb('payload').notNullable();
    t.text('issued_by').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_by');
    t.unique(['agent_id', 'version']);
    t.index(['org_id', 'agent_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('manifests');
  await knex.schema.dropTable('signing_keys');
  await knex.schema.dropTable('vault_meta');
  await knex.schema.dropTable('secret_versions');
  await knex.schema.dropTable('secrets');
}

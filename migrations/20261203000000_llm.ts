import type { Knex } from 'knex';

// LLM providers (issue 14): each org's providers (the API key is a secret's name, resolved at call time),
// one record per call (tokens, cost, latency, cache hit), and the org's response cache with its counters.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('llm_providers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('type').notNullable();
    t.text('model').notNullable();
    // The NAME of `secret:NAME`: the value is read from the org's vault for each call, never stored here.
    t.text('api_key_secret').notNullable();
    t.text('base_url');
    t.integer('priority').notNullable().defaultTo(100);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.jsonb('settings').notNullable().defaultTo('{}');
    // The last health check: ok, latency, mapped error code, when.
    t.jsonb('health');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['org_id', 'name']);
    t.index(['org_id', 'enabled', 'priority']);
  });
  await knex.raw(
    "alter table llm_providers add constraint llm_providers_type_check check (type in ('openai','anthropic','google','openai-compatible','azure-openai'))",
  );

  await knex.schema.createTable('llm_calls', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    // Kept when the provider is deleted: the record names it by name and type.
    t.uuid('provider_id').references('llm_providers.id').onDelete('SET NULL');
    t.text('provider_name').notNullable();
    t.text('provider_type').notNullable();
    t.text('model').notNullable();
    t.text('purpose').notNullable();
    t.text('source_id');
    t.integer('input_tokens').notNullable().defaultTo(0);
    t.integer('output_tokens').notNullable().defaultTo(0);
    t.decimal('cost_usd', 14, 6).notNullable().defaultTo(0);
    // False when the model is in no price table (its cost is recorded as 0).
    t.boolean('priced').notNullable().defaultTo(false);
    t.integer('latency_ms').notNullable().defaultTo(0);
    t.boolean('cache_hit').notNullable().defaultTo(false);
    t.text('status').notNullable();
    t.text('error_code');
    // Providers tried before the one that answered (or all of them, on an error), each with its mapped code.
    t.jsonb('fell_back_from').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.bigIncrements('seq', { primaryKey: false });
    t.index(['org_id', 'seq']);
  });
  await knex.raw("alter table llm_calls add constraint llm_calls_status_check check (status in ('ok','error'))");
  // A retried activity (same source id) rewrites its record instead of adding one.
  await knex.raw(
    'create unique index llm_calls_source_unique on llm_calls (org_id, purpose, source_id) where source_id is not null',
  );

  await knex.schema.createTable('llm_cache', (t) => {
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.uuid('provider_id').notNullable().references('llm_providers.id').onDelete('CASCADE');
    t.text('model').notNullable();
    t.jsonb('response').notNullable();
    t.integer('bytes').notNullable();
    t.integer('hits').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['org_id', 'key']);
    t.index(['expires_at']);
  });

  // Hits and misses since the org's cache was last cleared.
  await knex.schema.createTable('llm_cache_counters', (t) => {
    t.uuid('org_id').primary().references('organizations.id').onDelete('CASCADE');
    t.bigInteger('hits').notNullable().defaultTo(0);
    t.bigInteger('misses').notNullable().defaultTo(0);
    t.timestamp('since', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('llm_cache_counters');
  await knex.schema.dropTable('llm_cache');
  await knex.schema.dropTable('llm_calls');
  await knex.schema.dropTable('llm_providers');
}

import type { Knex } from 'knex';

// Billing (issue 15): each org's Stripe customer and subscription state, every Stripe event received (deduplicated
// by its id), and the cost ledger that usage and prepaid credits write to.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('billing_accounts', (t) => {
    t.uuid('org_id').primary().references('organizations.id').onDelete('CASCADE');
    // The customer Collexa created for the org: how an event finds its org.
    t.text('stripe_customer_id').unique();
    t.text('plan');
    t.text('subscription_id');
    t.text('subscription_status');
    t.timestamp('current_period_start', { useTz: true });
    t.timestamp('current_period_end', { useTz: true });
    // `created` of the newest subscription event applied: an older one never moves the state back.
    t.bigInteger('subscription_version').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('billing_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Arrival order: the API's pages and the workflow's queue follow it.
    t.bigIncrements('seq', { primaryKey: false });
    // Stripe delivers an event at least once: the unique id makes 20 deliveries one row and one effect.
    t.text('stripe_event_id').notNullable().unique();
    // Null when no org matched (unmatched): never guessed.
    t.uuid('org_id').references('organizations.id').onDelete('CASCADE');
    t.text('type').notNullable();
    // received → applied | stale | parked; unmatched and unknown_type are final at once.
    t.text('status').notNullable();
    t.bigInteger('amount');
    t.text('currency');
    t.text('stripe_object_id');
    t.text('stripe_customer_id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    // The event's data.object as Stripe sent it (bounded by the webhook's body limit).
    t.jsonb('object').notNullable();
    t.text('error');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('stripe_created_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.index(['org_id', 'received_at']);
  });

  await knex.schema.createTable('cost_ledger', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    // tool_call | llm_call | sandbox_minutes | credit (a purchase: a negative amount the usage draws down).
    t.text('kind').notNullable();
    t.text('source_id').notNullable();
    t.uuid('agent_id');
    t.text('capability');
    t.decimal('quantity', 20, 6).notNullable();
    // Micro-units of the currency (BILLING_PRICES): integers, never floats.
    t.bigInteger('amount_micros').notNullable();
    t.text('currency').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Set when Stripe acknowledged the meter event whose identifier is this entry's id.
    t.timestamp('reported_at', { useTz: true });
    // One entry per source, whoever writes it and however often.
    t.unique(['kind', 'source_id']);
    t.index(['org_id', 'occurred_at']);
  });
  await knex.raw('create index cost_ledger_unreported on cost_ledger (created_at) where reported_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('cost_ledger');
  await knex.schema.dropTable('billing_events');
  await knex.schema.dropTable('billing_accounts');
}

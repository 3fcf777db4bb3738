import type { Knex } from 'knex';

// Prepaid credit purchases (issue 15): which org each payment intent belongs to (stripe-mock, like any caller of
// Stripe, cannot be asked whose an intent is: Collexa keeps it), its state, and how much of it was refunded.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credit_payments', (t) => {
    t.text('intent_id').primary();
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.bigInteger('amount').notNullable();
    t.text('currency').notNullable();
    t.text('status').notNullable();
    t.bigInteger('refunded').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['org_id', 'created_at']);
  });
  await knex.raw(
    'alter table credit_payments add constraint credit_payments_refunded_check check (refunded >= 0 and refunded <= amount)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('credit_payments');
}

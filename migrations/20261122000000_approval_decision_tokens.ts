import type { Knex } from 'knex';

// Single-use approval decision tokens: a token's jti is inserted in the transaction that records the
// decision, so the primary key makes a second use fail however the token reaches the workflow.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('approval_decision_tokens', (t) => {
    t.uuid('jti').primary();
    t.uuid('approval_id').notNullable().references('approvals.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id');
    t.text('decision').notNullable();
    t.text('channel').notNullable();
    t.text('kid').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "alter table approval_decision_tokens add constraint approval_decision_tokens_decision_check check (decision in ('approve','deny'))",
  );
  await knex.raw(
    "alter table approval_decision_tokens add constraint approval_decision_tokens_channel_check check (channel in ('api','mcp','temporal'))",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('approval_decision_tokens');
}

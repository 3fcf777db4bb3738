import type { Knex } from 'knex';

// Pipelines (issue 14): plan → architect → code → approval → deploy → notify as one workflow. The row is the
// read model its activities keep (each stage's status, timings, attempts, error and cost); artifacts are
// what the LLM stages wrote; the invocations a pipeline made carry its id.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pipelines', (t) => {
    t.uuid('id').primary();
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.uuid('requested_by').notNullable().references('users.id');
    t.text('requirements').notNullable();
    t.jsonb('project').notNullable().defaultTo('{}');
    t.jsonb('deploy_target');
    // Sandboxes of the agent its invocations are routed to (by the target each capability's server fronts).
    t.specificType('sandbox_ids', 'uuid[]').notNullable().defaultTo('{}');
    // Capability names the request chose per tool step ({jira_epic: "file_epic"}), instead of finding them by tool.
    t.jsonb('capabilities').notNullable().defaultTo('{}');
    t.text('status').notNullable();
    t.jsonb('error');
    t.jsonb('stages').notNullable();
    t.decimal('cost_usd', 14, 6).notNullable().defaultTo(0);
    t.uuid('approval_id');
    t.text('workflow_id').notNullable();
    t.uuid('cancel_requested_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.bigIncrements('seq', { primaryKey: false });
    t.index(['org_id', 'seq']);
  });
  await knex.raw(
    'alter table pipelines add constraint pipelines_requirements_length check (length(requirements) <= 20000)',
  );
  await knex.raw(
    "alter table pipelines add constraint pipelines_status_check check (status in ('running','pending_approval','succeeded','failed','cancelled'))",
  );

  await knex.schema.createTable('pipeline_artifacts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('pipeline_id').notNullable().references('pipelines.id').onDelete('CASCADE');
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('stage').notNullable();
    // plan, design (JSON documents) or file (generated code).
    t.text('kind').notNullable();
    t.text('path').notNullable();
    t.text('content').notNullable();
    t.text('sha256').notNullable();
    t.integer('bytes').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A repeated activity (a retry, a worker lost before its result was recorded) writes once.
    t.unique(['pipeline_id', 'stage', 'path']);
  });

  await knex.schema.alterTable('invocations', (t) => {
    t.uuid('pipeline_id').references('pipelines.id').onDelete('SET NULL');
    t.index(['pipeline_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invocations', (t) => t.dropColumn('pipeline_id'));
  await knex.schema.dropTable('pipeline_artifacts');
  await knex.schema.dropTable('pipelines');
}

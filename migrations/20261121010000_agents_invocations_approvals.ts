import type { Knex } from 'knex';

// MCP servers, agents and their capabilities, invocations and approvals: the governed-invocation model.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mcp_servers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('transport').notNullable();
    t.text('command');
    t.jsonb('args').notNullable().defaultTo('[]');
    // env and headers hold credentials: stored, never echoed by the API.
    t.jsonb('env').notNullable().defaultTo('{}');
    t.text('url');
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['org_id', 'name']);
  });
  await knex.raw(
    "alter table mcp_servers add constraint mcp_servers_transport_check check (transport in ('stdio','http'))",
  );

  await knex.schema.createTable('agents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['org_id', 'name']);
  });

  await knex.schema.createTable('agent_capabilities', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.uuid('server_id').notNullable().references('mcp_servers.id').onDelete('RESTRICT');
    t.text('tool').notNullable();
    t.text('description');
    t.text('risk').notNullable().defaultTo('low');
    t.jsonb('tool_definition').notNullable();
    t.unique(['agent_id', 'name']);
  });
  await knex.raw(
    "alter table agent_capabilities add constraint agent_capabilities_risk_check check (risk in ('low','medium','high','critical'))",
  );

  await knex.schema.createTable('invocations', (t) => {
    t.uuid('id').primary();
    // Insertion order, for stable keyset paging (timestamps can tie).
    t.bigIncrements('seq', { primaryKey: false });
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    // No foreign key: an invocation's record outlives the agent it called.
    t.uuid('agent_id').notNullable();
    t.text('capability').notNullable();
    t.uuid('requested_by').notNullable().references('users.id');
    t.jsonb('input').notNullable();
    t.text('idempotency_key');
    t.text('request_hash').notNullable();
    t.text('workflow_id').notNullable();
    t.text('status').notNullable();
    t.jsonb('decision');
    t.uuid('approval_id');
    t.jsonb('result');
    t.jsonb('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('decided_at', { useTz: true });
    t.timestamp('tool_started_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.unique(['org_id', 'idempotency_key']);
    t.index(['org_id', 'seq']);
    t.index(['org_id', 'agent_id', 'status']);
  });
  await knex.raw(
    "alter table invocations add constraint invocations_status_check check (status in ('pending_approval','running','succeeded','failed','denied','expired','cancelled'))",
  );

  await knex.schema.createTable('approvals', (t) => {
    t.uuid('id').primary();
    t.uuid('org_id').notNullable().references('organizations.id').onDelete('CASCADE');
    t.text('subject_type').notNullable();
    t.text('subject_id').notNullable();
    t.uuid('invocation_id');
    t.uuid('requested_by').notNullable().references('users.id');
    t.jsonb('approver_roles').notNullable();
    t.jsonb('context').notNullable().defaultTo('{}');
    t.text('status').notNullable().defaultTo('pending');
    t.uuid('decided_by').references('users.id');
    t.text('comment');
    t.text('workflow_id').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['org_id', 'status', 'created_at']);
  });
  await knex.raw(
    "alter table approvals add constraint approvals_status_check check (status in ('pending','approved','denied','expired','cancelled'))",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('approvals');
  await knex.schema.dropTable('invocations');
  await knex.schema.dropTable('agent_capabilities');
  await knex.schema.dropTable('agents');
  await knex.schema.dropTable('mcp_servers');
}

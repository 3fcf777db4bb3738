// What bench/llm runs against: the wire server (OpenAI's responses API), an org with one provider whose key
// is a vault secret, the gateway as the composition roots build it (production config), the direct SDK
// call, and a worker for the one-activity workflow, all on the bench's PostgreSQL and Temporal.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOpenAI } from '@ai-sdk/openai';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { generateText } from 'ai';
import { loadConfig } from '../../core/config.js';
import { generateMasterKey, MasterKeyring } from '../../core/crypto/master-key.js';
import { createDb } from '../../core/db/knex.js';
import { LlmProviderRepository } from '../../core/db/llm-provider.repository.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import type { LlmGateway } from '../../core/llm/llm-gateway.js';
import { createLlmGateway } from '../../core/llm/provider-gateway.js';
import { EgressPolicy } from '../../core/net/egress.js';
import { SecretVault } from '../../core/secrets/vault.js';
import { dataConverterFromConfig } from '../../core/temporal/data-converter.js';
import { startLlmWireServer, type LlmWireServer } from '../../test/helpers/llm-wire-server.js';
import type { BenchStack } from '../lib/stack.js';
import { createLlmStepActivities } from '../workflows/llm-step.activities.js';
import type { llmStepWorkflow } from '../workflows/llm-step.workflow.js';

const WORKFLOW_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'workflows',
  'llm-step.workflow.ts',
);
const MODEL = 'gpt-4o-mini';
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

export interface LlmBench {
  wire: LlmWireServer;
  orgId: string;
  gateway: LlmGateway;
  direct(prompt: string): Promise<string>;
  /** Runs llmStepWorkflow (start → result) with its one activity going `via` the gateway or direct. */
  step(via: 'gateway' | 'direct', prompt: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLlmBench(stack: BenchStack): Promise<LlmBench> {
  const wire = await startLlmWireServer();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    POLICY_DIR: stack.policyDir,
    COLLEXA_MASTER_KEY: generateMasterKey(),
    EGRESS_ALLOW: '127.0.0.1',
  });
  const db = createDb(config.db.url, config.db.poolMax);
  const vault = new SecretVault(db, MasterKeyring.fromBase64(config.vault.masterKey!));
  const { org } = await new IdentityService(db).createOrganization(`bench llm ${new Date().toISOString()}`, 'bench');
  const apiKey = `sk-bench-${randomUUID()}`;
  await vault.create(org.id, 'OPENAI_KEY', apiKey);
  await new LlmProviderRepository(db).create({
    org_id: org.id,
    name: 'bench-openai',
    type: 'openai',
    model: MODEL,
    api_key_secret: 'OPENAI_KEY',
    base_url: wire.baseUrl('openai', 'bench'),
    priority: 1,
    enabled: true,
    settings: {},
  });
  const gateway = createLlmGateway(config.llm, {
    db,
    vault,
    egress: new EgressPolicy(config.egress.allow, config.egress.platform),
  });
  // The baseline holds one client, as an app calling the SDK would; maxRetries 0 as the gateway's calls.
  const model = createOpenAI({ apiKey, baseURL: wire.baseUrl('openai', 'bench') })(MODEL);
  const direct = async (prompt: string) => (await generateText({ model, prompt, maxRetries: 0 })).text;

  const { dataConverter } = dataConverterFromConfig(config.vault);
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOW_FILE, logger: silent });
  const taskQueue = `bench-llm-${randomUUID()}`;
  const native = await NativeConnection.connect({ address: stack.temporalAddress });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { code: bundle.code },
    activities: createLlmStepActivities({ gateway, orgId: org.id, direct }),
    ...(dataConverter ? { dataConverter } : {}),
    shutdownGraceTime: '5 seconds',
  });
  const running = worker.run();
  const client = new Client({ connection, ...(dataConverter ? { dataConverter } : {}) });
  return {
    wire,
    orgId: org.id,
    gateway,
    direct,
    step: (via, prompt) =>
      client.workflow.execute<typeof llmStepWorkflow>('llmStepWorkflow', {
        taskQueue,
        workflowId: `bench-llm-${randomUUID()}`,
        args: [{ via, prompt }],
      }),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await Promise.allSettled([native.close(), connection.close(), wire.close()]);
      await db.destroy();
    },
  };
}

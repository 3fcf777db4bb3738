import { awsSpec } from './aws/aws.spec.js';
import { confluenceSpec } from './confluence/confluence.spec.js';
import { gcpSpec } from './gcp/gcp.spec.js';
import { githubSpec } from './github/github.spec.js';
import type { IntegrationName, IntegrationSpec } from './integration.js';
import { jiraSpec } from './jira/jira.spec.js';
import { postgresSpec } from './postgres/postgres.spec.js';
import { slackSpec } from './slack/slack.spec.js';

/** Every integration's spec, by name; one line per integration. */
const SPECS: Partial<Record<IntegrationName, IntegrationSpec>> = {
  jira: jiraSpec,
  confluence: confluenceSpec,
  slack: slackSpec,
  github: githubSpec,
  aws: awsSpec,
  gcp: gcpSpec,
  postgres: postgresSpec,
};

/** The integrations in catalog order. */
export function integrationSpecs(): IntegrationSpec[] {
  return Object.values(SPECS);
}

export function integrationSpec(name: string): IntegrationSpec | undefined {
  return Object.hasOwn(SPECS, name) ? SPECS[name as IntegrationName] : undefined;
}

/** The integration whose sandbox target is `target`, if any. */
export function integrationForTarget(target: string): IntegrationSpec | undefined {
  return integrationSpecs().find((s) => s.sandbox.target === target);
}

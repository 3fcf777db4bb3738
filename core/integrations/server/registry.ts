import type { IntegrationName } from '../integration.js';
import type { IntegrationHandlers } from './handler.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each integration has its own client type
type AnyHandlers = IntegrationHandlers<any>;

/**
 * Each integration's handlers, loaded only by the server that runs it (the AWS SDK is not loaded by a
 * Jira server). One line per integration.
 */
export const HANDLERS: Partial<Record<IntegrationName, () => Promise<AnyHandlers>>> = {
  jira: () => import('../jira/jira.handlers.js').then((m) => m.handlers),
  confluence: () => import('../confluence/confluence.handlers.js').then((m) => m.handlers),
  slack: () => import('../slack/slack.handlers.js').then((m) => m.slackHandlers),
  github: () => import('../github/github.handlers.js').then((m) => m.githubHandlers),
  aws: () => import('../aws/aws.handlers.js').then((m) => m.default),
  gcp: () => import('../gcp/gcp.handlers.js').then((m) => m.gcpHandlers),
  postgres: () => import('../postgres/postgres.handlers.js').then((m) => m.postgresHandlers),
};

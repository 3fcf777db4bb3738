import { AsyncLocalStorage } from 'node:async_hooks';
import type { SerializationContext } from '@temporalio/common';

/** Metadata key of the org a payload belongs to (outside: bound to the ciphertext as AAD). */
export const ORG_METADATA_KEY = 'collexa-org-id';

/*
 * Whose payload is this? A PayloadCodec sees payloads and (SDK 1.24, experimental) the id of the workflow or
 * activity they belong to, never the org. Collexa finds the org in three places, first hit wins:
 *  1. metadata stamped inside the workflow sandbox by core/temporal/payload-converter.cjs from the
 *     workflow's CollexaOrgId search attribute: everything a workflow writes (activity and child inputs,
 *     results, update and query answers);
 *  2. the org of the API request that is calling Temporal (withOrg, set after authentication): workflow
 *     starts, signals, updates and queries from the API;
 *  3. for an activity's result or failure, the org stamped on that activity's input, which the same worker
 *     decoded before running it (learned only from activity inputs: only workflow code writes those, so a
 *     payload an outsider sends to a workflow cannot teach it another org).
 * A payload none of them places (a Temporal client outside Collexa, history from before this) carries no
 * org: only the operator org's keys decode it through /codec.
 */
const requestOrg = new AsyncLocalStorage<string>();

/** Runs `fn` with `orgId` as the org of every payload Collexa's client encodes meanwhile. */
export function withOrg<T>(orgId: string, fn: () => T): T {
  return requestOrg.run(orgId, fn);
}

const MAX_LEARNED = 100_000;

/** The org of each payload a codec encodes, by the rules above. */
export class PayloadOrgs {
  private readonly byWorkflow = new Map<string, string>();

  orgFor(stamped: string | undefined, context: SerializationContext | undefined): string | undefined {
    return (
      stamped ??
      requestOrg.getStore() ??
      (context?.type === 'activity' && context.workflowId ? this.byWorkflow.get(context.workflowId) : undefined)
    );
  }

  /** Remembers the org of a decoded activity input, for that workflow's activity results. */
  learn(org: string, context: SerializationContext | undefined): void {
    if (context?.type !== 'activity' || !context.workflowId || this.byWorkflow.get(context.workflowId) === org) return;
    this.byWorkflow.delete(context.workflowId);
    this.byWorkflow.set(context.workflowId, org);
    // Oldest first out: a worker's working set of workflows is far smaller than this.
    if (this.byWorkflow.size > MAX_LEARNED) this.byWorkflow.delete(this.byWorkflow.keys().next().value!);
  }
}

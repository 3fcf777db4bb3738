/**
 * Compute Engine's instances.start and instances.stop (`POST …/instances/{instance}/start|stop`): the
 * instance's status becomes RUNNING or TERMINATED at once (Google passes through STAGING or STOPPING) and
 * the answer is the zone operation, already DONE. An instance the sandbox does not hold is Google's 404.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Answer } from '../crud.js';
import type { Inference } from '../inference.js';
import { setOwn, type JsonObject } from '../openapi.js';
import { collectionOf, itemOf, save, type BehaviourContext, type BehaviourHandler } from './behaviour.js';

export const GcpOptions = z.strictObject({
  /** The instances' collection (`/compute/v1/projects/{project}/zones/{zone}/instances`). */
  instances: z.string().min(1).max(500),
});
export type GcpOptions = z.infer<typeof GcpOptions>;

const ROOT = 'https://www.googleapis.com';

/** The GCP behaviours, by name, over the spec's instances collection. */
export function gcpBehaviours(options: GcpOptions, inference: Inference): Record<string, BehaviourHandler> {
  const instances = collectionOf(inference, options.instances);
  if (!instances?.itemPath) throw new Error(`gcp.instances names no collection with items: ${options.instances}`);

  const action =
    (operationType: 'start' | 'stop', status: string, stamp: string) =>
    async (ctx: BehaviourContext): Promise<Answer> => {
      // parts: compute, v1, projects, p, zones, z, instances, name, start|stop
      const resource = ctx.parts.slice(2, -1).join('/');
      const item = await itemOf(ctx, instances, `The resource '${resource}' was not found`);
      const now = new Date().toISOString();
      const next: JsonObject = { ...item.body };
      setOwn(next, 'status', status);
      setOwn(next, stamp, now);
      await save(ctx, item.key, next);
      const zone = `${ROOT}/${ctx.parts.slice(0, 6).join('/')}`;
      const name = `operation-${Date.now()}-${randomBytes(6).toString('hex')}`;
      return {
        status: 200,
        body: {
          kind: 'compute#operation',
          id: String(randomInt(1, 2 ** 47)),
          name,
          zone,
          operationType,
          targetLink: `${ROOT}/${ctx.parts.slice(0, -1).join('/')}`,
          targetId: String(item.body.id ?? ''),
          status: 'DONE',
          user: 'sandbox@collexa-sandbox.iam.gserviceaccount.com',
          progress: 100,
          insertTime: now,
          startTime: now,
          endTime: now,
          selfLink: `${zone}/operations/${name}`,
        },
      };
    };

  return {
    'gcp.startInstance': action('start', 'RUNNING', 'lastStartTimestamp'),
    'gcp.stopInstance': action('stop', 'TERMINATED', 'lastStopTimestamp'),
  };
}

/**
 * Compute Engine's instances.start and instances.stop (`POST …/instances/{instance}/start|stop`): the
 * instance's status becomes RUNNING or TERMINATED at once (Google passes through STAGING or STOPPING) and
 * the answer is the zone operation, already DONE. An instance the sandbox does not hold is Google's 404.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EmulatorError } from '../http-io.js';
import { setOwn, type JsonObject } from '../openapi.js';
import { placeOf } from '../routing.js';
import type { Behaviour } from './index.js';

const EFFECT: Record<string, { status: string; stamp: string }> = {
  start: { status: 'RUNNING', stamp: 'lastStartTimestamp' },
  stop: { status: 'TERMINATED', stamp: 'lastStopTimestamp' },
};
const ROOT = 'https://www.googleapis.com';

export const gcpComputeInstanceAction: Behaviour = async ({ inference, rows, operation, parts }) => {
  const action = parts.at(-1)!;
  const effect = Object.hasOwn(EFFECT, action) ? EFFECT[action] : undefined;
  const itemPath = operation.path.replace(/\/[^/]+$/, '');
  const c = inference.collections.find((x) => x.itemPath === itemPath);
  if (!effect || !c)
    throw new EmulatorError(500, 'spec_unusable', `${operation.path} is not an instance's start or stop`);
  const place = placeOf(inference, c, itemPath, parts.slice(0, -1));
  const instance = await rows.get(place.key);
  const resource = parts.slice(2, -1).join('/');
  if (!instance) throw new EmulatorError(404, 'notFound', `The resource '${resource}' was not found`, { resource });
  const now = new Date().toISOString();
  const next: JsonObject = { ...instance };
  setOwn(next, 'status', effect.status);
  setOwn(next, effect.stamp, now);
  await rows.update(place.key, next);
  const zone = `${ROOT}/${parts.slice(0, 6).join('/')}`;
  const name = `operation-${Date.now()}-${randomBytes(6).toString('hex')}`;
  return {
    status: 200,
    body: {
      kind: 'compute#operation',
      id: String(randomInt(1, 2 ** 47)),
      name,
      zone,
      operationType: action,
      targetLink: `${ROOT}/${parts.slice(0, -1).join('/')}`,
      targetId: String(instance.id ?? ''),
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

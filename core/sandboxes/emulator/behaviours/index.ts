/**
 * Behaviours: what an operation does beyond the emulator's generic CRUD or its example, for the few whose
 * effect the spec cannot say (a VM's start sets its status). An operation names one with the extension
 * `x-collexa-emulator: <name>`; a name not registered here is ignored, so a tenant's spec runs nothing new.
 * One line per behaviour.
 */
import type { Inference } from '../inference.js';
import type { Answer } from '../crud.js';
import type { OpenApiDoc, Operation } from '../openapi.js';
import type { CheckedRequest } from '../request.js';
import type { ResourceRows } from '../rows.js';
import { gcpComputeInstanceAction } from './gcp-compute-instance.js';

/** What a behaviour is given: the spec, its resources, the rows, and the request matched and checked. */
export interface BehaviourContext {
  doc: OpenApiDoc;
  inference: Inference;
  rows: ResourceRows;
  operation: Operation;
  /** The request path's segments, decoded, without the server's base path. */
  parts: string[];
  request: CheckedRequest;
}

export type Behaviour = (ctx: BehaviourContext) => Promise<Answer>;

export const BEHAVIOURS: Record<string, Behaviour> = {
  'gcp-compute-instance-action': gcpComputeInstanceAction,
};

/** The behaviour `op` names, if it names a registered one. */
export function behaviourOf(doc: OpenApiDoc, op: Operation): Behaviour | undefined {
  const name = (doc.paths[op.path]?.[op.method] as Record<string, unknown> | undefined)?.['x-collexa-emulator'];
  return typeof name === 'string' && Object.hasOwn(BEHAVIOURS, name) ? BEHAVIOURS[name] : undefined;
}

/**
 * A vendor's behaviour beyond CRUD, for a spec whose `x-collexa-emulator` names it: what an RPC method does
 * to state (Slack's `chat.postMessage`, then `conversations.history` shows the message), or how a resource is
 * shaped that the generic emulator cannot infer. It sees each request after it was checked against its
 * operation, and answers it, or answers nothing and leaves it to the generic emulator (having adjusted the
 * checked body, if it must). Runs inside the emulator's sandbox: it imports only this folder's parent.
 */
import type { Answer } from '../crud.js';
import type { Route } from '../inference.js';
import type { OpenApiDoc } from '../openapi.js';
import type { CheckedRequest } from '../request.js';
import type { ResourceRows } from '../rows.js';

export interface BehaviourRequest {
  /** How the generic emulator would serve it: the operation, and the collection for a CRUD one. */
  route: Route;
  checked: CheckedRequest;
}

export interface BehaviourContext {
  doc: OpenApiDoc;
  /** The sandbox's rows; a behaviour's own collections are named `<vendor>:<what>` so no path collides. */
  rows: ResourceRows;
}

export interface EmulatorBehaviour {
  serve(req: BehaviourRequest, ctx: BehaviourContext): Promise<Answer | undefined>;
}

import type { SandboxTargetRow } from '../../core/db/rows.js';
import type { ResolvedTarget } from '../../core/sandboxes/targets/target.service.js';
import { iso } from './iso.js';

/** A target in a list: never its description (GET /v1/sandbox-targets/:name?spec=true gives that). */
export function targetView(t: Omit<ResolvedTarget, 'doc'>) {
  return {
    name: t.name,
    title: t.title,
    shipped: t.shipped,
    specHash: t.specHash,
    baseUrl: t.baseUrl,
    ...(t.operations ? { operations: t.operations } : {}),
  };
}

export function registeredTargetView(r: SandboxTargetRow) {
  return {
    name: r.name,
    title: r.title,
    shipped: false,
    specHash: r.spec_hash,
    baseUrl: r.base_url,
    createdAt: iso(r.created_at),
  };
}

import { z } from 'zod';
import { SandboxTargetRepository } from '../../db/sandbox.repository.js';
import type { Db } from '../../db/knex.js';
import type { SandboxTargetRow } from '../../db/rows.js';
import { AppError, badRequest, conflict, notFound } from '../../errors.js';
import type { Actor } from '../../identity/actor.js';
import { checkEgressField } from '../../net/egress-field.js';
import type { EgressPolicy } from '../../net/egress.js';
import { guardedFetch } from '../../net/guarded-fetch.js';
import { describeSpec, MAX_SPEC_BYTES, parseSpecDocument } from './spec-document.js';
import { SHIPPED_TARGETS, shippedSpec } from './shipped-targets.js';

/** Target names look like host names too (`stripe.com`): letters, digits, `.`, `_`, `-`. */
export const TargetName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'letters, digits, ., _ and -, at most 63, starting with a letter or digit',
  );

export const RegisterTargetSchema = z.strictObject({
  name: TargetName,
  /** The description: an object, JSON or YAML text, or an http(s) URL the egress policy allows. */
  spec: z.union([z.record(z.string(), z.unknown()), z.string().min(1).max(MAX_SPEC_BYTES)]),
  /** The real system (connected mode); default: the description's first server URL. */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type RegisterTarget = z.infer<typeof RegisterTargetSchema>;

/** A target as sandboxes use it: its description and where the real system is. */
export interface ResolvedTarget {
  name: string;
  title: string;
  shipped: boolean;
  doc: Record<string, unknown>;
  specHash: string;
  baseUrl: string | null;
  operations: number;
}

const FETCH_TIMEOUT_MS = 30_000;

/** Sandbox targets: the ones Collexa ships, and OpenAPI descriptions an org registers. */
export class SandboxTargetService {
  private readonly targets: SandboxTargetRepository;
  private readonly fetch;

  constructor(private readonly deps: { db: Db; egress: EgressPolicy }) {
    this.targets = new SandboxTargetRepository(deps.db);
    this.fetch = guardedFetch(deps.egress, { dropErrorBodies: true });
  }

  async register(actor: Actor, body: RegisterTarget): Promise<SandboxTargetRow> {
    if (Object.hasOwn(SHIPPED_TARGETS, body.name))
      throw conflict(`"${body.name}" is a target Collexa ships; choose another name`, { name: body.name });
    const source =
      typeof body.spec === 'string' && /^https?:\/\//i.test(body.spec) ? await this.download(body.spec) : body.spec;
    const spec = parseSpecDocument(source);
    const baseUrl = body.baseUrl ?? spec.serverUrl;
    if (baseUrl) await checkEgressField(this.deps.egress, baseUrl, body.baseUrl ? 'baseUrl' : 'spec.servers[0].url');
    return this.targets.create({
      org_id: actor.orgId,
      name: body.name,
      title: spec.title,
      spec: spec.doc,
      spec_hash: spec.hash,
      base_url: baseUrl,
      created_by: actor.userId,
    });
  }

  /** Shipped first, then the org's. */
  async list(orgId: string): Promise<Array<Omit<ResolvedTarget, 'doc'>>> {
    const shipped = Object.keys(SHIPPED_TARGETS).map((name) => {
      const { doc: _doc, ...t } = this.shipped(name);
      return t;
    });
    const own = (await this.targets.list(orgId)).map((r) => ({
      name: r.name,
      title: r.title,
      shipped: false,
      specHash: r.spec_hash,
      baseUrl: r.base_url,
      operations: 0,
    }));
    return [...shipped, ...own];
  }

  async resolve(orgId: string, name: string): Promise<ResolvedTarget> {
    if (Object.hasOwn(SHIPPED_TARGETS, name)) return this.shipped(name);
    const row = await this.targets.find(orgId, name);
    if (!row) throw notFound('sandbox target', name);
    const spec = describeSpec(row.spec, row.spec_hash);
    return {
      name,
      title: row.title,
      shipped: false,
      doc: row.spec,
      specHash: row.spec_hash,
      baseUrl: row.base_url,
      operations: spec.operations,
    };
  }

  remove(orgId: string, name: string): Promise<void> {
    if (Object.hasOwn(SHIPPED_TARGETS, name))
      throw badRequest('shipped_target', `"${name}" ships with Collexa and cannot be removed`);
    return this.targets.remove(orgId, name);
  }

  private shipped(name: string): ResolvedTarget {
    const target = SHIPPED_TARGETS[name]!();
    const spec = shippedSpec(target);
    return {
      name,
      title: spec.title,
      shipped: true,
      doc: spec.doc,
      specHash: spec.hash,
      baseUrl: target.baseUrl,
      operations: spec.operations,
    };
  }

  /** A description by URL: fetched under the egress policy (no redirects), at most MAX_SPEC_BYTES. */
  private async download(url: string): Promise<string> {
    await checkEgressField(this.deps.egress, url, 'spec');
    let res: Response;
    try {
      res = await this.fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (err) {
      throw badRequest('spec_unreachable', `spec: could not fetch ${url}: ${(err as Error).message}`.slice(0, 500));
    }
    if (!res.ok) throw badRequest('spec_unreachable', `spec: ${url} answered HTTP ${res.status}`);
    const reader = res.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_SPEC_BYTES) {
        await reader.cancel();
        throw new AppError('spec_too_large', 413, `spec: ${url} is over ${MAX_SPEC_BYTES} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

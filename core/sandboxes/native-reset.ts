import type { IntegrationSpec, SandboxModeName } from '../integrations/integration.js';
import { MOTO_CONFIG } from './moto.js';

const TIMEOUT_MS = 30_000;
// A sandbox is small; more than this many buckets or objects means a runaway, and reset stops there.
const MAX_ITEMS = 10_000;

/**
 * Back to empty for an integration sandbox's native emulators (the emulator and scratch databases reset
 * their own seed): moto through its reset API, with Lambda's no-Docker config sent again (a reset drops
 * it); fake-gcs-server, which has none, by deleting every object and bucket through the JSON API.
 */
export async function resetNativeServices(
  spec: IntegrationSpec,
  mode: SandboxModeName,
  endpoints: Record<string, string>,
): Promise<void> {
  const backends = spec.sandbox.modes[mode] ?? {};
  const urls = (kind: string) => [
    ...new Set(Object.entries(backends).flatMap(([s, b]) => (b.kind === kind && endpoints[s] ? [endpoints[s]] : []))),
  ];
  for (const url of urls('moto')) {
    await send(url, 'POST', '/moto-api/reset');
    await send(url, 'POST', MOTO_CONFIG.path, MOTO_CONFIG.body);
  }
  for (const url of urls('fake-gcs-server')) await emptyGcs(url);
}

async function emptyGcs(url: string): Promise<void> {
  const buckets = ((await send(url, 'GET', '/storage/v1/b')) as { items?: Array<{ name: string }> }).items ?? [];
  for (const { name } of buckets.slice(0, MAX_ITEMS)) {
    const b = encodeURIComponent(name);
    for (let n = 0; n < MAX_ITEMS;) {
      const page = (await send(url, 'GET', `/storage/v1/b/${b}/o?maxResults=1000`)) as {
        items?: Array<{ name: string }>;
      };
      const items = page.items ?? [];
      if (items.length === 0) break;
      for (const o of items) await send(url, 'DELETE', `/storage/v1/b/${b}/o/${encodeURIComponent(o.name)}`);
      n += items.length;
    }
    await send(url, 'DELETE', `/storage/v1/b/${b}`);
  }
}

async function send(base: string, method: string, path: string, json?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'error',
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : {};
}

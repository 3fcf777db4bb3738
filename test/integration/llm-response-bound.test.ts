// A provider's base URL is the tenant's to name: an endpoint answering without end (or with 17 MiB) is cut
// at the gateway's bound, as that provider's failure, and the next provider answers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmProviderRepository } from '../../core/db/llm-provider.repository.js';
import { LLM_MAX_RESPONSE_BYTES } from '../../core/llm/provider-gateway.js';
import { addWireProvider, storeKey, testGateway, useLlmRig } from '../helpers/llm.js';
import { createOrg } from '../helpers/stack.js';

const rig = useLlmRig();
let flood: Server;
let floodUrl: string;
let sent = 0;

beforeAll(async () => {
  // Chat completions whose body never ends: 1 MiB chunks of a JSON string, for as long as anyone reads.
  flood = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"');
    const chunk = 'a'.repeat(1024 * 1024);
    const more = () => {
      while (!res.destroyed && sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end('"}}]}');
    };
    req.socket.on('close', () => res.destroy());
    more();
  });
  await new Promise<void>((r) => flood.listen(0, '127.0.0.1', r));
  floodUrl = `http://127.0.0.1:${(flood.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise((r) => flood?.close(r)));

describe('an LLM answer past the bound', () => {
  it('fails that provider as llm_bad_output, reading no more than the bound, and the next one answers', async () => {
    const { org } = await createOrg(rig.db, 'llm flood');
    const secret = await storeKey(rig.db, org.id, 'sk-flood');
    await new LlmProviderRepository(rig.db).create({
      org_id: org.id,
      name: 'flood',
      type: 'openai-compatible',
      model: 'm',
      api_key_secret: secret,
      base_url: floodUrl,
      priority: 1,
      enabled: true,
      settings: {},
    });
    const second = await addWireProvider(rig.db, rig.wire, org.id, 'openai', { priority: 2 });
    rig.wire.script(second.label, [{ text: 'a sane answer' }]);

    const r = await testGateway(rig.db, { callTimeoutMs: 30_000 }).generate({
      orgId: org.id,
      purpose: 'test.flood',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.text).toBe('a sane answer');
    expect(r.fellBackFrom).toEqual([{ providerId: expect.any(String), name: 'flood', code: 'llm_bad_output' }]);
    // The server may have written ahead into socket buffers, never the whole flood.
    expect(sent).toBeLessThan(LLM_MAX_RESPONSE_BYTES + 16 * 1024 * 1024);
  });
});

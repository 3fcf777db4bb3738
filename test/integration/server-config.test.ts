import { describe, expect, it } from 'vitest';
import { runTs, stackEnv } from '../helpers/stack.js';

describe('process start-up', () => {
  it('the API refuses to start with an invalid PORT and names it', async () => {
    const r = await runTs('api/server.ts', [], stackEnv({ PORT: 'eighty' }));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('PORT="eighty"');
  });

  it('the worker refuses to start with an invalid TEMPORAL_ADDRESS and names it', async () => {
    const r = await runTs('workers/main.ts', [], stackEnv({ TEMPORAL_ADDRESS: 'nowhere' }));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('TEMPORAL_ADDRESS');
  });
});

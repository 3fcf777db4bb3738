import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { sandboxDriverFor } from '../../workers/worker-deps.js';

describe('SANDBOX_DRIVER', () => {
  it('runs sandboxes as sandboxed processes by default', () => {
    const config = loadConfig({});
    expect(config.sandboxes.driver).toBe('process');
    expect(sandboxDriverFor(config).name).toBe('process');
  });

  it('selects the container driver with SANDBOX_DRIVER=docker', () => {
    const config = loadConfig({ SANDBOX_DRIVER: 'docker' });
    expect(config.sandboxes.driver).toBe('docker');
    expect(sandboxDriverFor(config).name).toBe('docker');
  });

  it('refuses a driver it does not know, naming the variable', () => {
    expect(() => loadConfig({ SANDBOX_DRIVER: 'podman' })).toThrow(/SANDBOX_DRIVER/);
  });
});

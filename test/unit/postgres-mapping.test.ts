// The postgres integration's pure parts: SQLSTATEs as statuses, the credential's forms, the config
// check on execute, and the CONNECT tunnel against a local proxy that answers as the egress proxy does.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationConfigSchema } from '../../core/integrations/integration-config.js';
import { parsePgCredential, pgSecrets } from '../../core/integrations/postgres/pg-credential.js';
import { pgError, sqlState } from '../../core/integrations/postgres/pg-errors.js';
import { openTunnel, proxyFor } from '../../core/integrations/postgres/pg-tunnel.js';
import { postgresSpec } from '../../core/integrations/postgres/postgres.spec.js';

describe('SQLSTATE mapping', () => {
  it.each([
    ['28P01', 401, 'invalid_password'],
    ['28000', 401, 'invalid_authorization_specification'],
    ['42501', 403, 'insufficient_privilege'],
    ['25006', 403, 'read_only_sql_transaction'],
    ['42P01', 404, 'undefined_table'],
    ['3D000', 404, 'invalid_catalog_name'],
    ['23505', 409, 'unique_violation'],
    ['40P01', 409, 'deadlock_detected'],
    ['53300', 429, 'too_many_connections'],
    ['57014', 408, 'query_canceled'],
    ['08006', 503, 'connection_exception'],
    ['XX000', 500, 'internal_error'],
    ['42601', 400, 'syntax_error_or_access_rule_violation'],
    ['P0001', 400, 'sqlstate_P0001'],
  ])('%s is %i %s', (state, status, code) => {
    expect(sqlState(state)).toEqual({ status, code });
  });

  it('words a failure with the server’s message and hint, a socket error as unreachable', () => {
    const denied = pgError(Object.assign(new Error('permission denied for table t'), { code: '42501', hint: 'ask' }));
    expect(denied).toMatchObject({ status: 403, code: 'insufficient_privilege' });
    expect(denied.message).toBe(
      'PostgreSQL denied the request (403): the credentials lack the permission: permission denied for table t (hint: ask)',
    );
    expect(
      pgError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })).message,
    ).toMatch(/^PostgreSQL cancelled the statement \(408: its time ran out\)/);
    expect(
      pgError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).toMatchObject({
      status: 503,
      code: 'unreachable',
    });
    expect(pgError(new Error('something else'))).toMatchObject({ status: 500, code: 'client_error' });
  });
});

describe('the credential', () => {
  it('reads a URL, with its escapes, port, database and sslmode', () => {
    expect(parsePgCredential('postgres://ana:p%40ss%2Fw@db.example.com:6543/sales?sslmode=require')).toEqual({
      host: 'db.example.com',
      port: 6543,
      user: 'ana',
      password: 'p@ss/w',
      database: 'sales',
      ssl: { rejectUnauthorized: false },
    });
    expect(parsePgCredential('postgresql://ana@[::1]/')).toMatchObject({
      host: '::1',
      port: 5432,
      database: 'ana',
      ssl: false,
    });
    expect(pgSecrets('postgres://ana:p%40ss@h/d')).toEqual(['p@ss', 'p%40ss']);
  });

  it('reads JSON', () => {
    expect(
      parsePgCredential('{"host":"h","port":5433,"user":"u","password":"pw","database":"d","sslmode":"verify-full"}'),
    ).toEqual({
      host: 'h',
      port: 5433,
      user: 'u',
      password: 'pw',
      database: 'd',
      ssl: { rejectUnauthorized: true },
    });
  });

  it('refuses what is not one, naming why and never the value', () => {
    for (const [credential, why] of [
      ['', /has no credential/],
      ['mysql://u:secretpw@h/d', /must be a connection URL/],
      ['postgres://u:secretpw@h:99999/d', /must be a connection URL|port/],
      ['postgres://:secretpw@h/d', /names no user/],
      ['postgres://u:secretpw@h/d?sslmode=sometimes', /sslmode that is not one of/],
      ['{"user":"u","password":"secretpw"}', /lacks host/],
    ] as const) {
      const err = (() => {
        try {
          parsePgCredential(credential);
        } catch (e) {
          return e as Error & { status: number };
        }
      })();
      expect(err, credential).toMatchObject({ status: 401, code: credential ? 'invalid_credential' : 'no_credential' });
      expect(err!.message).toMatch(why);
      expect(err!.message).not.toContain('secretpw');
    }
  });
});

describe('the config', () => {
  const schema = integrationConfigSchema(postgresSpec);
  it('serves execute only with readOnly false', () => {
    expect(schema.safeParse({ tools: ['query', 'execute'] }).error?.issues).toEqual([
      expect.objectContaining({ path: ['tools'], message: expect.stringMatching(/only with readOnly: false/) }),
    ]);
    expect(schema.safeParse({ tools: ['execute'], readOnly: true }).success).toBe(false);
    expect(schema.safeParse({ tools: ['execute'], readOnly: false }).success).toBe(true);
    expect(schema.safeParse({ readOnly: false }).success).toBe(true);
    expect(postgresSpec.defaultTools).toEqual(['query', 'list_tables', 'describe_table']);
  });
});

describe('the CONNECT tunnel', () => {
  let proxy: Server;
  let proxyUrl: URL;
  const asked: string[] = [];
  beforeAll(async () => {
    // Answers as core/net/egress-proxy.ts: 200 then the upstream's bytes, or 403 with the reason and close.
    proxy = createServer((client: Socket) => {
      client.once('data', (head) => {
        const target = head.toString('latin1').split(' ')[1]!;
        asked.push(target);
        if (target.startsWith('10.')) {
          const body = '10.0.0.1 is not allowed by the egress policy\n';
          client.end(`HTTP/1.1 403 Forbidden\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
          return;
        }
        // The tunnel's first upstream bytes arrive with the 200, as they may.
        client.write('HTTP/1.1 200 Connection Established\r\n\r\nHELLO');
        client.on('data', (d) => client.write(d));
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => proxy.once('listening', r));
    proxyUrl = new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  });
  afterAll(() => proxy.close());

  it('answers the tunnelled socket, bytes after the 200 kept', async () => {
    const socket = await openTunnel(proxyUrl, 'db.internal', 5432, 2000);
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    expect(got).toEqual([]);
    socket.resume();
    socket.write('PING');
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    expect(Buffer.concat(got).toString()).toBe('HELLOPING');
    expect(asked.at(-1)).toBe('db.internal:5432');
    await openTunnel(proxyUrl, '::1', 5432, 2000).then((s) => s.destroy());
    expect(asked.at(-1)).toBe('[::1]:5432');
  });

  it('reads a refusal as egress_denied with the proxy’s reason', async () => {
    await expect(openTunnel(proxyUrl, '10.0.0.1', 5432, 2000)).rejects.toMatchObject({
      status: 403,
      code: 'egress_denied',
      message:
        'PostgreSQL at 10.0.0.1:5432 is not allowed by the egress policy: 10.0.0.1 is not allowed by the egress policy',
    });
  });

  it('uses HTTPS_PROXY but for the hosts NO_PROXY names', () => {
    const env = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1:9, local.db' };
    expect(proxyFor('db', 5432, env)?.href).toBe('http://127.0.0.1:9/');
    expect(proxyFor('local.db', 5432, env)).toBeUndefined();
    expect(proxyFor('db', 5432, {})).toBeUndefined();
  });
});

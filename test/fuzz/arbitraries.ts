import fc from 'fast-check';
import type { ApiRoute } from '../helpers/api-routes.js';

/** Ids of real rows the fuzzer may aim at, so requests get past "not found" into the code behind. */
export interface Targets {
  agentId: string;
  victimAgentId: string;
  serverId: string;
  victimKeyId: string;
  secretName: string;
  manifestId: string;
  invocationId: string;
  approvalId: string;
}

/** One generated request: everything but the key, which the role picks. */
export interface FuzzRequest {
  role: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
}

const ascii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
// Full UTF-16: NULs, lone surrogates, astral characters and all.
const text = fc.oneof(
  ascii,
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', 'a\u0000b', '\ud800', '\udc00x', '🚀', ' '.repeat(3), 'x'.repeat(300)),
);
const junkEscapes = fc.constantFrom(
  '%E0%A4%A',
  '%',
  '%zz',
  '%00',
  '%ED%A0%80',
  '%FF',
  '..',
  '%2F',
  '%C3%A9',
  '%F0%9F%9A%80',
);
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80'; // a lone surrogate, as a client that did not check would send it
  }
};
const nested = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

function realIds(route: ApiRoute, param: string, t: Targets): string[] {
  const destructive = route.method === 'DELETE' || route.method === 'PATCH';
  if (param === 'agentId') return destructive ? [t.victimAgentId] : [t.agentId, t.victimAgentId];
  if (param === 'kid') return [];
  if (param === 'name') return route.path.startsWith('/v1/secrets') ? [t.secretName] : ['say', 'sum', 'echo', 'add'];
  if (route.path.startsWith('/v1/api-keys')) return [t.victimKeyId];
  if (route.path.startsWith('/v1/mcp-servers')) return [t.serverId];
  if (route.path.startsWith('/v1/manifests')) return [t.manifestId];
  if (route.path.startsWith('/v1/invocations')) return [t.invocationId];
  if (route.path.startsWith('/v1/approvals')) return [t.approvalId];
  return [];
}

function pathArb(route: ApiRoute, t: Targets): fc.Arbitrary<string> {
  const parts = route.path.split('/').map((segment) => {
    if (!segment.startsWith(':')) return fc.constant(segment);
    const real = realIds(route, segment.slice(1), t);
    return fc.oneof(
      { weight: 6, arbitrary: real.length ? fc.constantFrom(...real) : fc.uuid() },
      fc.uuid(),
      text.map(encode),
      junkEscapes,
    );
  });
  return fc.tuple(...parts).map((p) => p.join('/'));
}

const QUERY_KEYS = ['limit', 'cursor', 'status', 'query', 'server', 'category', 'tag', 'agentId', 'invocationId', 'x'];
// `wait` holds a request for that many seconds: kept short, so the run stays bounded.
const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .tuple(
      fc.option(fc.constantFrom('0', '0', '1', '1', '-1', 'abc', '61')),
      fc.dictionary(fc.constantFrom(...QUERY_KEYS), fc.oneof(text.map(encode), junkEscapes), { maxKeys: 3 }),
    )
    .map(([wait, rest]) =>
      [...(wait === null ? [] : [`wait=${wait}`]), ...Object.entries(rest).map(([k, v]) => `${k}=${v}`)].join('&'),
    ),
  junkEscapes.map((j) => `query=${j}&limit=${j}`),
);

const risk = fc.constantFrom('low', 'medium', 'high', 'critical', 'x');
const smallJson = fc.jsonValue({ maxDepth: 3 });
const jsonObject = fc.dictionary(text, smallJson, { maxKeys: 3 });

/** Bodies shaped like what each route reads, with hostile values, so generated input reaches the code behind the schema. */
function shapedBody(route: ApiRoute): fc.Arbitrary<unknown> {
  const p = route.path;
  if (p === '/v1/api-keys')
    return fc.record(
      {
        role: fc.constantFrom('admin', 'developer', 'approver', 'viewer', 'x'),
        name: text,
        userId: fc.oneof(fc.uuid(), text),
      },
      { requiredKeys: [] },
    );
  if (p === '/v1/org')
    return fc.record(
      {
        name: text,
        settings: fc.record(
          { approval_required_from: fc.constantFrom('low', 'medium', 'high', null, 'x') },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
  if (p === '/v1/mcp-servers') {
    // Servers that point at nothing: a closed port, a command that exits. Never a command that does anything.
    return fc.record(
      {
        name: text,
        transport: fc.constantFrom('http', 'stdio', 'x'),
        url: fc.constantFrom('http://127.0.0.1:9/mcp', 'ftp://x', 'not a url'),
        command: fc.constant('/bin/false'),
        args: fc.array(text, { maxLength: 2 }),
        env: fc.dictionary(text, text, { maxKeys: 2 }),
        headers: fc.dictionary(text, text, { maxKeys: 2 }),
        securityLevel: risk,
        limits: fc.record({ timeoutMs: fc.integer() }, { requiredKeys: [] }),
        template: fc.constantFrom('nope', 'filesystem'),
      },
      { requiredKeys: [] },
    );
  }
  if (p === '/v1/mcp-servers/import')
    return fc.record({
      mcpServers: fc.dictionary(
        text,
        fc.oneof(
          fc.record({ url: fc.constant('http://127.0.0.1:9/mcp'), headers: fc.dictionary(text, text, { maxKeys: 1 }) }),
          fc.record({ command: fc.constant('/bin/false'), args: fc.array(text, { maxLength: 1 }) }),
          smallJson,
        ),
        { maxKeys: 2 },
      ),
    });
  if (p.startsWith('/v1/agents') && (p.endsWith('agents') || p.endsWith(':agentId'))) {
    const cap = fc.record(
      {
        name: fc.oneof(fc.constantFrom('say', 'sum'), text),
        server: fc.constantFrom('fuzz-http', 'nope'),
        tool: fc.constantFrom('echo', 'add', 'nope'),
        risk,
      },
      { requiredKeys: ['name', 'server', 'tool'] },
    );
    return fc.record(
      { name: text, description: text, capabilities: fc.array(cap, { maxLength: 2 }) },
      { requiredKeys: [] },
    );
  }
  if (p.endsWith('/invoke')) {
    // Mostly calls that run (and wait for approvals that expire in seconds), some that do not.
    const expiry = fc.constantFrom(1, 2, 3);
    const valid = fc.oneof(
      fc.record({ capability: fc.constant('say'), input: fc.record({ text }) }),
      fc.record({
        capability: fc.constantFrom('sum'),
        input: fc.record({ a: fc.integer(), b: fc.integer() }),
        approvalExpiresIn: expiry,
      }),
      fc.record({ capability: fc.constantFrom('note'), input: fc.record({ note: text }), approvalExpiresIn: expiry }),
    );
    const input = fc.oneof(fc.record({ text }), fc.record({ a: fc.integer(), b: fc.integer() }), jsonObject);
    const other = fc.record(
      {
        capability: fc.oneof(fc.constantFrom('say', 'sum', 'nope'), text),
        input,
        approvalExpiresIn: fc.constantFrom(1, 0, -1, 'x'),
      },
      { requiredKeys: ['capability'] },
    );
    return fc.oneof({ weight: 3, arbitrary: valid }, other);
  }
  if (p === '/v1/approvals') {
    const valid = fc.record(
      {
        subjectType: fc.constant('budget_override'),
        subjectId: text,
        context: jsonObject,
        expiresIn: fc.constantFrom(1, 2, 3),
        approverRoles: fc.constantFrom(['approver'], ['admin'], ['approver', 'admin']),
      },
      { requiredKeys: ['subjectType', 'subjectId', 'expiresIn'] },
    );
    const other = fc.record(
      {
        subjectType: fc.constantFrom('budget_override', 'Bad Type'),
        subjectId: text,
        context: smallJson,
        expiresIn: fc.constantFrom(1, 0, -1, 'x'),
        approverRoles: fc.constantFrom(['viewer'], []),
      },
      { requiredKeys: ['subjectType', 'subjectId'] },
    );
    return fc.oneof({ weight: 2, arbitrary: valid }, other);
  }
  if (p.startsWith('/v1/secrets'))
    return fc.record({ name: fc.oneof(fc.constant('FUZZ_SECRET'), text), value: text }, { requiredKeys: [] });
  if (p.endsWith('/tools/:name'))
    return fc.record(
      { category: fc.oneof(fc.constant(null), text), tags: fc.array(text, { maxLength: 2 }) },
      { requiredKeys: [] },
    );
  if (p === '/v1/manifests/verify') return fc.record({ token: text });
  if (p.startsWith('/codec'))
    return fc.record({
      payloads: fc.array(
        fc.record(
          {
            metadata: fc.dictionary(
              fc.constantFrom('encoding', 'encryption-key-id', 'x'),
              fc.base64String({ maxLength: 16 }),
              { maxKeys: 2 },
            ),
            data: fc.base64String({ maxLength: 40 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    });
  if (p.startsWith('/mcp')) {
    // A 2026-07-28 request carries this envelope in every request's _meta (2025-era ones do not).
    const modernMeta = fc.record(
      {
        'io.modelcontextprotocol/protocolVersion': fc.constantFrom('2026-07-28', '2026-07-28', '2099-01-01', 5),
        'io.modelcontextprotocol/clientCapabilities': fc.oneof(fc.constant({}), smallJson),
        'io.modelcontextprotocol/clientInfo': fc.constant({ name: 'fuzz', version: '1' }),
        idempotencyKey: ascii,
      },
      { requiredKeys: ['io.modelcontextprotocol/protocolVersion'] },
    );
    const params = fc.oneof(
      fc.record(
        {
          name: fc.constantFrom('say', 'fuzz__say', 'collexa_invocation_status', 'nope'),
          arguments: fc.oneof(fc.record({ text }), fc.record({ invocationId: fc.oneof(fc.uuid(), text) }), jsonObject),
          _meta: fc.oneof(fc.record({ idempotencyKey: fc.oneof(ascii, smallJson) }, { requiredKeys: [] }), modernMeta),
        },
        { requiredKeys: ['name'] },
      ),
      fc.record({ cursor: fc.oneof(text, fc.integer()), _meta: modernMeta }, { requiredKeys: ['_meta'] }),
      fc.record({
        protocolVersion: fc.constantFrom('2025-06-18', 'x'),
        capabilities: fc.constant({}),
        clientInfo: fc.constant({ name: 'fuzz', version: '1' }),
      }),
      fc.record({ cursor: fc.oneof(text, fc.integer()) }),
      smallJson,
    );
    const message = fc.record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0'),
        id: fc.oneof(fc.integer(), ascii, fc.constant(null)),
        method: fc.constantFrom(
          'initialize',
          'ping',
          'tools/list',
          'tools/call',
          'nope',
          'notifications/initialized',
          'server/discover',
          'subscriptions/listen',
        ),
        params,
      },
      { requiredKeys: ['jsonrpc', 'method'] },
    );
    return fc.oneof({ weight: 4, arbitrary: message }, fc.array(message, { minLength: 1, maxLength: 3 }));
  }
  return fc.record({ comment: text, expiresIn: fc.constantFrom(1, 60, -1, 'x') }, { requiredKeys: [] });
}

const bodyArb = (route: ApiRoute) =>
  fc.oneof(
    { weight: 5, arbitrary: shapedBody(route).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: smallJson.map((b) => JSON.stringify(b)) },
    fc.constantFrom(
      '{"a":',
      '',
      'null',
      '[]',
      '"str"',
      nested(64),
      nested(5000),
      '{"s":"\\u0000"}',
      '{"s":"\\ud800"}',
      '{"__proto__":{"x":1}}',
    ),
  );

// The headers a 2026-07-28 request repeats from its body (the SDK answers a disagreement with -32020).
const mcpHeaders = {
  'mcp-protocol-version': fc.constantFrom('2026-07-28', '2026-07-28', '2025-06-18', 'x'),
  'mcp-method': fc.constantFrom('tools/call', 'tools/list', 'server/discover', 'x'),
  'mcp-name': fc.constantFrom('say', 'fuzz__say', 'collexa_invocation_status', '=?base64?c2F5?=', '=?base64?!?='),
};

const headersArb = (route: ApiRoute) =>
  fc.record(
    {
      ...(route.path.startsWith('/mcp') ? mcpHeaders : {}),
      'content-type': fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        fc.constantFrom(
          'text/plain',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'application/merge-patch+json',
          'application/x-www-form-urlencoded',
        ),
      ),
      'content-encoding': fc.constantFrom('identity', 'identity', 'identity', 'identity', 'gzip', 'br'),
      'idempotency-key': fc.oneof(
        { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/) },
        fc.constantFrom('fuzz-key-1', 'fuzz-key-2'),
        ascii,
      ),
      'x-request-id': ascii,
      origin: fc.constantFrom(
        'http://localhost:8233',
        'http://localhost:8233',
        'http://localhost:8233',
        'https://evil.example',
        'null',
      ),
      accept: route.path.startsWith('/mcp')
        ? fc.constantFrom('application/json, text/event-stream', 'application/json, text/event-stream', 'text/html')
        : ascii,
    },
    { requiredKeys: [] },
  );

/**
 * Half the time, the MCP headers a 2026-07-28 message repeats from its body, so generated requests also get
 * past the SDK's header checks (-32020) into the handlers.
 */
function agreeingHeaders(request: FuzzRequest, agree: boolean): FuzzRequest {
  if (!agree || request.body === undefined) return request;
  let message: { method?: unknown; params?: { name?: unknown; _meta?: Record<string, unknown> } };
  try {
    message = JSON.parse(request.body);
  } catch {
    return request;
  }
  const version = message?.params?._meta?.['io.modelcontextprotocol/protocolVersion'];
  if (typeof message?.method !== 'string' || typeof version !== 'string') return request;
  const name = message.params?.name;
  const headers: Record<string, string> = {
    ...request.headers,
    'mcp-protocol-version': version,
    'mcp-method': message.method,
  };
  delete headers['mcp-name'];
  if (typeof name === 'string') headers['mcp-name'] = name;
  return { ...request, headers };
}

/** A request to `route` with every part generated. */
export function requestArb(route: ApiRoute, t: Targets): fc.Arbitrary<FuzzRequest> {
  const request = anyRequestArb(route, t);
  if (!route.path.startsWith('/mcp')) return request;
  return fc.tuple(request, fc.boolean()).map(([r, agree]) => agreeingHeaders(r, agree));
}

function anyRequestArb(route: ApiRoute, t: Targets): fc.Arbitrary<FuzzRequest> {
  const hasBody = route.method === 'POST' || route.method === 'PATCH';
  return fc.record({
    role: fc.constantFrom(
      'admin',
      'developer',
      'approver',
      'viewer',
      'admin',
      'developer',
      'approver',
      'viewer',
      'none',
      'bogus',
    ),
    path: pathArb(route, t),
    query: queryArb,
    headers: headersArb(route),
    body: hasBody ? bodyArb(route) : fc.constant(undefined),
  });
}

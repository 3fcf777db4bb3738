// Runs inside a mock sandbox (plain JavaScript: the sandbox has the Node runtime, not tsx): Stoplight Prism's
// own HTTP mock server (@stoplight/prism-http-server), configured as `prism mock --errors` configures it, over
// operations loaded here in linear time. Prism's CLI loader dereferences the whole document and then unfolds
// the resulting graph into a tree (json-schema-ref-parser, then decycle), which is exponential in how much the
// schemas share: stripe.com's spec never finished loading in 5 minutes. Here each operation keeps its $refs,
// pointed at one shared `__bundled__` map of the referenced schemas (converted to JSON Schema once each),
// which is the shape Prism's validator and example generator already resolve references in.
//   node prism-server.mjs <spec.json> <port>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [specPath, port] = process.argv.slice(2);
if (!specPath || !/^\d{1,5}$/.test(port ?? '')) {
  process.stderr.write('usage: prism-server.mjs <spec.json> <port>\n');
  process.exit(2);
}

// Prism's packages, resolved the way the CLI resolves them (they are its dependencies, not ours).
const cli = createRequire(createRequire(import.meta.url).resolve('@stoplight/prism-cli/package.json'));
const http = createRequire(cli.resolve('@stoplight/prism-http/package.json'));
const { createServer } = cli('@stoplight/prism-http-server');
const { createLogger } = cli('@stoplight/prism-core');
const { transformOas2Operations } = http('@stoplight/http-spec/oas2/operation');
const { transformOas3Operations } = http('@stoplight/http-spec/oas3/operation');
const { convertToJsonSchema } = http('@stoplight/http-spec/oas');

const doc = JSON.parse(readFileSync(specPath, 'utf8'));
if (!doc || typeof doc !== 'object' || (!doc.openapi && !doc.swagger)) fatal('the spec is not an OpenAPI document');
// A JSON round trip: http-spec's operations share schema objects and make `$ref` an accessor, which the
// rewriting below must not reach through into other operations.
const operations = JSON.parse(JSON.stringify((doc.swagger ? transformOas2Operations : transformOas3Operations)(doc)));
if (operations.length === 0) fatal('no operations found in the spec');

const bundled = {};
const keys = new Map();
const seen = new WeakSet();
const pending = [...operations];
for (const operation of operations) operation.__bundled__ = bundled;
rewriteRefs();

const logger = createLogger('CLI', { level: 'warn' });
const server = createServer(operations, {
  cors: true,
  config: {
    validateRequest: true,
    // Unlike the CLI: the mock answers are Prism's own (the spec's examples, else built from its schemas), and
    // with `errors` a built value that misses a `pattern` (stripe.com's list `url`s) would become a 500.
    validateResponse: false,
    checkSecurity: true,
    errors: true,
    upstreamProxy: undefined,
    mock: { dynamic: false, ignoreExamples: false, seed: null },
    isProxy: false,
  },
  components: { logger: logger.child({ name: 'HTTP SERVER' }) },
});
server.listen(Number(port), '127.0.0.1').then(
  (address) => process.stderr.write(`prism: ${operations.length} operations on ${address}\n`),
  (err) => fatal(err.message),
);

/** Points every local $ref in what is pending at its schema in `bundled`; each target is bundled (and walked) once. */
function rewriteRefs() {
  while (pending.length > 0) {
    const value = pending.pop();
    if (!value || typeof value !== 'object' || seen.has(value) || value === bundled) continue;
    seen.add(value);
    if (typeof value.$ref === 'string' && value.$ref.startsWith('#/') && !value.$ref.startsWith('#/__bundled__/'))
      value.$ref = `#/__bundled__/${bundle(value.$ref)}`;
    for (const child of Object.values(value)) if (child && typeof child === 'object') pending.push(child);
  }
}

/** The key in `bundled` of the schema `ref` points at (the component's own name where that is plain). */
function bundle(ref) {
  let key = keys.get(ref);
  if (key) return key;
  const name = /^#\/(?:components\/schemas|definitions)\/([A-Za-z0-9_.-]+)$/.exec(ref)?.[1];
  key = name && !name.startsWith('__ref_') && !(name in bundled) ? name : `__ref_${keys.size}`;
  keys.set(ref, key);
  const target = resolvePointer(ref);
  const schema =
    target && typeof target === 'object' ? JSON.parse(JSON.stringify(convertToJsonSchema(doc, target))) : {};
  delete schema.$schema; // only the root of what Prism validates may name the dialect
  bundled[key] = schema;
  pending.push(schema);
  return key;
}

function resolvePointer(ref) {
  let value = doc;
  for (const token of ref.slice(2).split('/')) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
    value = value && typeof value === 'object' ? value[key] : undefined;
  }
  return value;
}

function fatal(message) {
  process.stderr.write(`prism: ${message}\n`);
  process.exit(1);
}

import { fileURLToPath } from 'node:url';
import { objectSchema, SANDBOX_ONLY_BASE_URL, type IntegrationSpec } from '../integration.js';
import { GCP_TOOLS } from './gcp-tools.js';

/** Where the emulated sandbox's fixtures live: the project and zone a sandbox server works in. */
export const SANDBOX_PROJECT = 'collexa-sandbox';
export const SANDBOX_ZONE = 'us-central1-a';
export const DEFAULT_REGION = 'us-central1';
export const DEFAULT_ZONE = 'us-central1-a';

/** Google Cloud: Compute Engine instances, Cloud Storage objects and Cloud Functions, with a service account key. */
export const gcpSpec: IntegrationSpec = {
  name: 'gcp',
  securityLevel: 'high',
  title: 'Google Cloud',
  description:
    'Compute Engine instances (list, start, stop), Cloud Storage objects (list, read, write) and Cloud Functions (list, call) of one project, as a service account.',
  api: 'Google Cloud REST APIs: Compute Engine v1, Cloud Storage JSON v1, Cloud Functions v2 (list) and v1 (functions.call); OAuth 2.0 JWT bearer grant for the service account',
  credentials: {
    kind: 'service account key',
    format:
      'the key file’s JSON: {"type": "service_account", "client_email": "…", "private_key": "-----BEGIN PRIVATE KEY-----…", "token_uri": "https://oauth2.googleapis.com/token", …}',
    schema: objectSchema(
      {
        type: { const: 'service_account' },
        client_email: { type: 'string' },
        private_key: { type: 'string' },
        private_key_id: { type: 'string' },
        token_uri: { type: 'string' },
        project_id: { type: 'string' },
      },
      ['type', 'client_email', 'private_key'],
    ),
    docs: 'https://cloud.google.com/iam/docs/keys-create-delete',
  },
  config: {
    project: { description: 'The project the tools work in (a tool may name another).', required: true, type: 'text' },
    region: {
      description: 'The Cloud Functions region.',
      required: false,
      default: DEFAULT_REGION,
      type: 'region',
    },
    zone: { description: 'The Compute Engine zone.', required: false, default: DEFAULT_ZONE, type: 'text' },
    baseUrl: {
      description:
        'One root standing in for Google’s hosts (a private endpoint): every API and the token exchange go there. Default Google’s own.',
      required: false,
      type: 'url',
    },
  },
  services: ['compute', 'storage', 'functions', 'oauth'],
  tools: GCP_TOOLS,
  sandbox: {
    target: 'gcp',
    spec: fileURLToPath(new URL('./gcp.openapi.json', import.meta.url)),
    credential: JSON.stringify({
      type: 'service_account',
      project_id: SANDBOX_PROJECT,
      client_email: `sandbox@${SANDBOX_PROJECT}.iam.gserviceaccount.com`,
      private_key: 'collexa-sandbox-stand-in',
    }),
    modes: {
      mock: { compute: { kind: 'openapi' }, functions: { kind: 'openapi' }, storage: { kind: 'fake-gcs-server' } },
      emulated: { compute: { kind: 'openapi' }, functions: { kind: 'openapi' }, storage: { kind: 'fake-gcs-server' } },
    },
    emulators: {
      mock: 'Prism on the Compute Engine and Cloud Functions subset; Cloud Storage on fake-gcs-server',
      emulated:
        'Collexa’s emulator on the Compute Engine and Cloud Functions subset (two seeded instances, start and stop change their status); Cloud Storage on fake-gcs-server',
    },
  },
  connectedEndpoints: ({ baseUrl }) =>
    baseUrl !== undefined && baseUrl !== SANDBOX_ONLY_BASE_URL
      ? { compute: baseUrl, storage: baseUrl, functions: baseUrl, oauth: baseUrl }
      : {
          compute: 'https://compute.googleapis.com',
          storage: 'https://storage.googleapis.com',
          functions: 'https://cloudfunctions.googleapis.com',
          oauth: 'https://oauth2.googleapis.com',
        },
};

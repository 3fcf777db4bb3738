import type { IntegrationHandlers } from '../server/handler.js';
import { connectGcp, type GcpClient } from './gcp-client.js';
import { listInstances, startInstance, stopInstance } from './gcp-compute.js';
import { callFunction, listFunctions } from './gcp-functions.js';
import { getObject, listObjects, putObject } from './gcp-storage.js';
import { gcpSpec } from './gcp.spec.js';

/** The gcp integration's runtime: a client per server (the key's token, cached), one handler per tool. */
export const gcpHandlers: IntegrationHandlers<GcpClient> = {
  spec: gcpSpec,
  connect: connectGcp,
  // The whole key is redacted (main.ts), its private_key always; these are ids and Google's URLs, which
  // answers hold (an instance's selfLink names the project).
  secretsOf: (credential) => {
    try {
      const key = JSON.parse(credential) as { private_key?: unknown };
      return typeof key.private_key === 'string' ? [key.private_key] : [];
    } catch {
      return [];
    }
  },
  publicCredentialFields: [
    'type',
    'project_id',
    'client_email',
    'client_id',
    'auth_uri',
    'token_uri',
    'auth_provider_x509_cert_url',
    'client_x509_cert_url',
    'universe_domain',
  ],
  tools: {
    list_instances: listInstances,
    start_instance: startInstance,
    stop_instance: stopInstance,
    list_objects: listObjects,
    get_object: getObject,
    put_object: putObject,
    list_functions: listFunctions,
    call_function: callFunction,
  },
};

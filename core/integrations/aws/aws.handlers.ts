import type { IntegrationHandlers, ToolHandler } from '../server/handler.js';
import { awsClients, closeAwsClients, type AwsClients } from './aws-clients.js';
import { describeInstances, startInstances, stopInstances } from './aws-ec2.js';
import { awsCall } from './aws-errors.js';
import { invokeFunction, listFunctions } from './aws-lambda.js';
import { getObject, listBuckets, putObject } from './aws-s3.js';
import { awsSpec } from './aws.spec.js';

// Every SDK failure leaves a tool as a VendorError (status, AWS's code, its message).
const mapped =
  (handler: ToolHandler<AwsClients>): ToolHandler<AwsClients> =>
  (args, ctx) =>
    awsCall(() => handler(args, ctx));

/** AWS's handlers: the SDK clients made from the credential, one handler per tool. */
const handlers: IntegrationHandlers<AwsClients> = {
  spec: awsSpec,
  connect: (settings, credential) => awsClients(settings, credential),
  // What credentialStrings already covers, named: a stand-in as short as moto's `testing` is no secret.
  secretsOf: (credential) => {
    try {
      const c = JSON.parse(credential) as Record<string, unknown>;
      return [c.secretAccessKey, c.sessionToken].filter((v): v is string => typeof v === 'string' && v.length >= 8);
    } catch {
      return [];
    }
  },
  tools: {
    describe_instances: mapped(describeInstances),
    start_instances: mapped(startInstances),
    stop_instances: mapped(stopInstances),
    list_buckets: mapped(listBuckets),
    get_object: mapped(getObject),
    put_object: mapped(putObject),
    list_functions: mapped(listFunctions),
    invoke_function: mapped(invokeFunction),
  },
  close: closeAwsClients,
};

export default handlers;

import http from 'node:http';
import https from 'node:https';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { IntegrationSettings } from '../server/handler.js';
import { jsonCredential, requireCredential } from '../server/credential.js';
import { awsEndpoint, DEFAULT_REGION, type AwsService } from './aws.spec.js';

/** The three SDK clients a server holds, all on one region, credential and endpoint choice. */
export interface AwsClients {
  ec2: EC2Client;
  s3: S3Client;
  lambda: LambdaClient;
}

/**
 * The clients from the server's settings and the credential secret (`{"accessKeyId", "secretAccessKey",
 * "sessionToken"?}`). Each uses the endpoint its settings name unless that is AWS's own for the region,
 * which the SDK resolves itself.
 */
export function awsClients(settings: IntegrationSettings, credential: string): AwsClients {
  const c = jsonCredential(
    'AWS',
    requireCredential('AWS', credential),
    ['accessKeyId', 'secretAccessKey'],
    ['sessionToken'],
  );
  const region = settings.region ?? DEFAULT_REGION;
  const endpoint = (service: AwsService) => {
    const url = settings.endpoints[service];
    return url && url !== awsEndpoint(service, region) ? { endpoint: url } : {};
  };
  const common = {
    region,
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    },
    // Temporal retries the call; the SDK tries once more at most (a dropped connection, a throttle).
    maxAttempts: 2,
    // The SDK's handler makes its own agents, which the process's NODE_USE_ENV_PROXY does not reach: these
    // go through the sandbox's egress proxy (HTTP(S)_PROXY, NO_PROXY) like fetch does.
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, proxyEnv: process.env }),
      httpsAgent: new https.Agent({ keepAlive: true, proxyEnv: process.env }),
      connectionTimeout: 10_000,
      requestTimeout: 30_000,
    },
  };
  const s3Endpoint = endpoint('s3');
  return {
    ec2: new EC2Client({ ...common, ...endpoint('ec2') }),
    // One attempt: an invocation that failed midway may have run, and running it twice is not the SDK's call.
    lambda: new LambdaClient({ ...common, ...endpoint('lambda'), maxAttempts: 1 }),
    s3: new S3Client({
      ...common,
      ...s3Endpoint,
      // An AWS-compatible endpoint has no per-bucket host names.
      forcePathStyle: 'endpoint' in s3Endpoint,
      // Checksums only where S3 requires them: compatible stores (and moto) vary in the flexible ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
}

export function closeAwsClients(clients: AwsClients): Promise<void> {
  clients.ec2.destroy();
  clients.s3.destroy();
  clients.lambda.destroy();
  return Promise.resolve();
}

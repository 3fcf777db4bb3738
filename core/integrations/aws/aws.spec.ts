import type { IntegrationSpec } from '../integration.js';
import { AWS_TOOLS } from './aws-tools.js';

/** The AWS services the server calls, one SDK client each. */
export const AWS_SERVICES = ['ec2', 's3', 'lambda'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

export const DEFAULT_REGION = 'us-east-1';

/**
 * A service's public endpoint in a region, as the SDK resolves it for the standard partition. A server whose
 * endpoint is this lets the SDK resolve its own (S3 virtual-hosted buckets, FIPS, other partitions).
 */
export const awsEndpoint = (service: AwsService, region: string) => `https://${service}.${region}.amazonaws.com`;

/** AWS: EC2 instances, S3 objects and Lambda functions, on the official AWS SDK v3 clients (SigV4). */
export const awsSpec: IntegrationSpec = {
  name: 'aws',
  securityLevel: 'high',
  title: 'AWS',
  description:
    'Amazon Web Services: describe, start and stop EC2 instances; list S3 buckets, read and write objects; ' +
    'list and invoke Lambda functions. One region a server.',
  api:
    'The AWS APIs through the official AWS SDK for JavaScript v3 (@aws-sdk/client-ec2, client-s3, client-lambda): ' +
    'EC2 Query API 2016-11-15, S3 REST API 2006-03-01, Lambda API 2015-03-31.',
  credentials: {
    kind: 'IAM access key',
    format: '{"accessKeyId": "AKIA...", "secretAccessKey": "...", "sessionToken": "... (temporary credentials only)"}',
    schema: {
      type: 'object',
      properties: {
        accessKeyId: { type: 'string', minLength: 16, maxLength: 128 },
        secretAccessKey: { type: 'string', minLength: 1, maxLength: 256 },
        sessionToken: { type: 'string', maxLength: 4096 },
      },
      required: ['accessKeyId', 'secretAccessKey'],
      additionalProperties: false,
    },
    docs: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
  },
  config: {
    region: { description: 'The AWS region of every call.', required: false, default: DEFAULT_REGION, type: 'region' },
    baseUrl: {
      description:
        'An AWS-compatible endpoint (LocalStack, MinIO, moto) all three clients use instead of AWS; S3 then ' +
        'addresses buckets by path.',
      required: false,
      type: 'url',
    },
  },
  services: [...AWS_SERVICES],
  tools: AWS_TOOLS,
  sandbox: {
    target: 'aws',
    // moto does not check signatures: any key will do, so the stand-in is moto's documented one.
    credential: JSON.stringify({ accessKeyId: 'testing', secretAccessKey: 'testing' }),
    modes: { emulated: { ec2: { kind: 'moto' }, s3: { kind: 'moto' }, lambda: { kind: 'moto' } } },
    emulators: {
      emulated:
        'moto in server mode, one process for EC2, S3 and Lambda, state kept for the sandbox; Lambda runs no ' +
        'code (no Docker): an invocation answers its own payload',
      mock: 'none: EC2 speaks the Query protocol and S3 REST-XML, which Prism cannot mock for the SDK; use emulated',
    },
  },
  connectedEndpoints: ({ baseUrl, region }) =>
    Object.fromEntries(AWS_SERVICES.map((s) => [s, baseUrl ?? awsEndpoint(s, region ?? DEFAULT_REGION)])),
};

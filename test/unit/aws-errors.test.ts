// AWS's error answers as the SDK parses them (a local server speaking EC2's and S3's XML and Lambda's JSON),
// mapped by aws-errors.ts into the VendorError a tool answers: status, AWS's code, its words, the wait.
import { afterEach, describe, expect, it } from 'vitest';
import handlers from '../../core/integrations/aws/aws.handlers.js';
import { awsClients, type AwsClients } from '../../core/integrations/aws/aws-clients.js';
import { awsError } from '../../core/integrations/aws/aws-errors.js';
import type { IntegrationSettings } from '../../core/integrations/server/handler.js';
import { VendorError } from '../../core/integrations/server/vendor-error.js';
import { ec2Error, lambdaError, s3Error, startFakeAws, type CannedAnswer, type FakeAws } from '../helpers/fake-aws.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const CREDENTIAL = JSON.stringify({ accessKeyId: KEY_ID, secretAccessKey: SECRET });

let fake: FakeAws | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const settingsAt = (url: string): IntegrationSettings => ({
  integration: 'aws',
  endpoints: { ec2: url, s3: url, lambda: url },
  tools: [],
  region: 'us-east-1',
  options: {},
});

/** Runs `tool` against the fake answering `answers`, and answers the VendorError it failed with. */
async function failure(answers: Record<string, CannedAnswer[]>, tool: string, args: Record<string, unknown>) {
  fake = await startFakeAws(answers);
  const settings = settingsAt(fake.url);
  const client = handlers.connect(settings, CREDENTIAL) as AwsClients;
  const err = await handlers.tools[tool]!(args, { settings, client, signal: new AbortController().signal }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VendorError);
  const v = err as VendorError;
  expect(v.message).not.toContain(SECRET);
  expect(v.message).not.toContain(KEY_ID);
  return v;
}

describe('AWS errors as tool errors', () => {
  it("maps EC2's 401 AuthFailure to a credential rejection naming the status and code", async () => {
    const message = 'AWS was not able to validate the provided access credentials';
    const v = await failure({ ec2: [ec2Error(401, 'AuthFailure', message)] }, 'describe_instances', {});
    expect(v).toMatchObject({ vendor: 'AWS', status: 401, code: 'AuthFailure' });
    expect(v.message).toBe(
      `AWS rejected the credentials (401): check the secret this server is given: AuthFailure: ${message}`,
    );
  });

  it("maps S3's 403 InvalidAccessKeyId as a credential rejection, without the key id S3 echoes", async () => {
    const message = 'The AWS Access Key Id you provided does not exist in our records.';
    const v = await failure(
      { s3: [s3Error(403, 'InvalidAccessKeyId', message, `<AWSAccessKeyId>${KEY_ID}</AWSAccessKeyId>`)] },
      'list_buckets',
      {},
    );
    expect(v).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    expect(v.message).toMatch(/^AWS rejected the credentials \(403\).*InvalidAccessKeyId: The AWS Access Key Id/);
  });

  it('maps a 403 AccessDenied as a missing permission', async () => {
    const v = await failure({ s3: [s3Error(403, 'AccessDenied', 'Access Denied')] }, 'get_object', {
      bucket: 'b-1',
      key: 'k',
    });
    expect(v).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(v.message).toBe(
      'AWS denied the request (403): the credentials lack the permission: AccessDenied: Access Denied',
    );
  });

  it("maps S3's 404 NoSuchKey and EC2's InvalidInstanceID.NotFound with their codes", async () => {
    const key = await failure({ s3: [s3Error(404, 'NoSuchKey', 'The specified key does not exist.')] }, 'get_object', {
      bucket: 'b-1',
      key: 'missing.txt',
    });
    expect(key).toMatchObject({ status: 404, code: 'NoSuchKey' });
    expect(key.message).toBe('AWS found no such resource (404): NoSuchKey: The specified key does not exist.');
    await fake!.close();
    const ec2 = await failure(
      { ec2: [ec2Error(400, 'InvalidInstanceID.NotFound', "The instance ID 'i-0123456789abcdef0' does not exist")] },
      'stop_instances',
      { instanceIds: ['i-0123456789abcdef0'] },
    );
    expect(ec2).toMatchObject({ status: 400, code: 'InvalidInstanceID.NotFound' });
  });

  it("maps Lambda's 409 ResourceConflictException and 404 ResourceNotFoundException", async () => {
    const conflict = await failure(
      { lambda: [lambdaError(409, 'ResourceConflictException', 'The operation cannot be performed at this time.')] },
      'invoke_function',
      { functionName: 'f' },
    );
    expect(conflict).toMatchObject({ status: 409, code: 'ResourceConflictException' });
    expect(conflict.message).toMatch(/^AWS refused a conflicting change \(409\): ResourceConflictException: /);
    await fake!.close();
    const missing = await failure(
      {
        lambda: [
          lambdaError(404, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:1:function:f'),
        ],
      },
      'invoke_function',
      { functionName: 'f' },
    );
    expect(missing).toMatchObject({ status: 404, code: 'ResourceNotFoundException' });
  });

  it("maps Lambda's 429 TooManyRequestsException with its Retry-After, and invokes once only", async () => {
    const v = await failure(
      { lambda: [lambdaError(429, 'TooManyRequestsException', 'Rate exceeded', { 'retry-after': '7' })] },
      'invoke_function',
      { functionName: 'f', payload: { a: 1 } },
    );
    expect(v).toMatchObject({ status: 429, code: 'TooManyRequestsException', retryAfterSeconds: 7 });
    expect(v.message).toBe(
      'AWS rate-limited the request (429): retry after 7 s: TooManyRequestsException: Rate exceeded',
    );
    // An invocation is not the SDK's to repeat.
    expect(fake!.requests.filter((r) => r.service === 'lambda')).toHaveLength(1);
  });

  it("maps EC2's 503 RequestLimitExceeded to 429 after one SDK retry at most", async () => {
    const v = await failure(
      { ec2: [ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.')] },
      'start_instances',
      {
        instanceIds: ['i-0123456789abcdef0'],
      },
    );
    expect(v).toMatchObject({ status: 429, code: 'RequestLimitExceeded' });
    expect(v.retryAfterSeconds).toBeUndefined();
    expect(fake!.requests).toHaveLength(2);
  });

  it('maps S3 5xx answers, with a code or an unreadable body, to a failure to answer', async () => {
    const internal = await failure(
      { s3: [s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.')] },
      'list_buckets',
      {},
    );
    expect(internal).toMatchObject({ status: 500, code: 'InternalError' });
    expect(internal.message).toMatch(/^AWS failed to answer \(500\): try again later: InternalError: /);
    await fake!.close();
    const html = await failure({ s3: [{ status: 502, body: '<html>Bad Gateway</html>' }] }, 'list_buckets', {});
    expect(html).toMatchObject({ status: 502 });
    expect(html.message).toMatch(/^AWS failed to answer \(502\)/);
  });

  it('answers 503 unreachable when nothing listens at the endpoint', async () => {
    fake = await startFakeAws({});
    const settings = settingsAt(fake.url);
    await fake.close();
    const client = awsClients(settings, CREDENTIAL);
    const err = await handlers.tools.list_functions!(
      {},
      { settings, client, signal: new AbortController().signal },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'unreachable' });
    fake = undefined;
  });

  it('leaves local errors and aborts as they are', () => {
    const local = new Error('put_object takes the content as `text` or as `base64`, exactly one of them');
    expect(awsError(local)).toBe(local);
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(awsError(abort)).toBe(abort);
  });
});

describe('AWS clients', () => {
  it("lets the SDK resolve AWS's own endpoints and uses any other one, S3 then by path", async () => {
    const own = awsClients(
      { ...settingsAt(''), region: 'eu-west-1', endpoints: { ec2: 'https://ec2.eu-west-1.amazonaws.com' } },
      CREDENTIAL,
    );
    expect(own.ec2.config.endpoint).toBeUndefined();
    expect(own.s3.config.forcePathStyle).toBe(false);
    const custom = awsClients(settingsAt('http://127.0.0.1:9'), CREDENTIAL);
    expect(custom.s3.config.forcePathStyle).toBe(true);
    expect(await custom.lambda.config.endpoint!()).toMatchObject({ hostname: '127.0.0.1', port: 9 });
  });

  it('refuses a credential that is not the JSON it needs, naming the fields only', () => {
    expect(() => awsClients(settingsAt('http://127.0.0.1:9'), '')).toThrow(/no credential/);
    expect(() => awsClients(settingsAt('http://127.0.0.1:9'), JSON.stringify({ accessKeyId: KEY_ID }))).toThrow(
      /lacks secretAccessKey/,
    );
  });
});

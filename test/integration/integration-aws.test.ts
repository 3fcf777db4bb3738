// The AWS integration on the real path: agent → invocation workflow → the AWS integration server (sandboxed,
// its SDK clients going out through the egress proxy) → moto in an emulated sandbox, every tool with state;
// and a connected server whose credential AWS rejects (a local server answering as EC2 and S3 do).
import { randomUUID } from 'node:crypto';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationRig, type IntegrationRig } from '../helpers/integration-rig.js';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';
import { ec2Error, s3Error, startFakeAws, type FakeAws } from '../helpers/fake-aws.js';

let platform: Awaited<ReturnType<typeof startPlatform>>;

beforeAll(async () => {
  platform = await startPlatform({ sandboxes: { idleMs: 600_000 } });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

describe('an AWS server whose credential AWS rejects', () => {
  let fake: FakeAws;
  const keyId = 'AKIAIOSFODNN7EXAMPLE';
  const secret = `wJalrXUtnFEMI/K7MDENG/${randomUUID()}`;

  beforeAll(async () => {
    fake = await startFakeAws({
      // What EC2 and S3 answer a key they do not know (EC2: 401 AuthFailure; S3: 403 InvalidAccessKeyId).
      ec2: [ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')],
      s3: [
        s3Error(
          403,
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          `<AWSAccessKeyId>${keyId}</AWSAccessKeyId>`,
        ),
      ],
    });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('answers the mapped 401 and 403 as tool errors naming status and code, never the secret', async () => {
    const { adminKey } = await createOrg(platform.db, 'aws-bad-key');
    const stored = await call(`${platform.url}/v1/secrets`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'AWS_KEY', value: JSON.stringify({ accessKeyId: keyId, secretAccessKey: secret }) },
    });
    expect(stored.status, stored.text).toBe(201);
    const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'aws', template: 'aws', config: { baseUrl: fake.url, credentials: 'secret:AWS_KEY' } },
    });
    expect(server.json, server.text).toMatchObject({ status: 'healthy', template: 'aws' });
    const agent = await call(`${platform.url}/v1/agents`, {
      method: 'POST',
      key: adminKey,
      json: {
        name: 'aws-agent',
        capabilities: ['describe_instances', 'list_buckets'].map((t) => ({
          name: t,
          server: 'aws',
          tool: t,
          risk: 'low',
        })),
      },
    });
    expect(agent.status, agent.text).toBe(201);
    const invoke = async (capability: string) => {
      const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=60`, {
        method: 'POST',
        key: adminKey,
        json: { capability, input: {} },
      });
      expect(res.json.status, res.text).toBe('failed');
      expect(res.text).not.toContain(secret);
      return res.json.error as { code: string; message: string };
    };

    const ec2 = await invoke('describe_instances');
    expect(ec2.code).toBe('tool_error');
    expect(ec2.message).toContain('AWS rejected the credentials (401)');
    expect(ec2.message).toContain('AuthFailure: AWS was not able to validate the provided access credentials');
    const s3 = await invoke('list_buckets');
    expect(s3.message).toContain('AWS rejected the credentials (403)');
    expect(s3.message).toContain('InvalidAccessKeyId');
    // Both reached the "vendor" (through the sandbox's egress proxy), each signed for its own service.
    expect(fake.requests.map((r) => r.service)).toEqual(expect.arrayContaining(['ec2', 's3']));
    const rows = JSON.stringify(await platform.db('invocations').where({ agent_id: agent.json.id }));
    expect(rows).not.toContain(secret);
  });
});

// moto takes any key: the sandbox's stand-in, as its server is given.
const MOTO = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
// The smallest zip there is (an end-of-central-directory record): moto stores code, it runs none.
const EMPTY_ZIP = Buffer.from('UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==', 'base64');

describe('AWS tools in an emulated sandbox (moto)', () => {
  let rig: IntegrationRig;
  let web: string;
  let worker: string;
  const bucket = `collexa-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    rig = await integrationRig({ integration: 'aws', mode: 'emulated', platform });
    const { ec2, s3, lambda } = rig.sandbox.endpoints;
    expect(ec2).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // All three services are the one moto; what no tool creates is made here, through the SDK, directly.
    const run = (name: string) =>
      new EC2Client({ ...MOTO, endpoint: ec2 }).send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
        }),
      );
    web = (await run('web-1')).Instances![0]!.InstanceId!;
    worker = (await run('worker-1')).Instances![0]!.InstanceId!;
    await new S3Client({ ...MOTO, endpoint: s3, forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    // moto serves IAM too: Lambda wants a role it knows.
    const role = await new IAMClient({ ...MOTO, endpoint: ec2 }).send(
      new CreateRoleCommand({
        RoleName: 'collexa-lambda',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await new LambdaClient({ ...MOTO, endpoint: lambda }).send(
      new CreateFunctionCommand({
        FunctionName: 'echo',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: role.Role!.Arn!,
        Code: { ZipFile: EMPTY_ZIP },
        Description: 'answers its event',
      }),
    );
  }, 240_000);

  it('describes instances, trimmed, by id and by state', async () => {
    const all = await rig.run('describe_instances', {});
    expect(all.instances).toEqual(
      expect.arrayContaining([
        {
          instanceId: web,
          instanceType: 't3.micro',
          state: 'running',
          launchTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          name: 'web-1',
          privateIpAddress: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
          publicIpAddress: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
        },
        expect.objectContaining({ instanceId: worker, name: 'worker-1' }),
      ]),
    );
    const one = await rig.run('describe_instances', { instanceIds: [worker] });
    expect((one.instances as Array<{ instanceId: string }>).map((i) => i.instanceId)).toEqual([worker]);
    const stopped = await rig.run('describe_instances', { states: ['stopped'] });
    expect(stopped.instances).toEqual([]);
  });

  it('stops an instance and starts it again, each answering the state change', async () => {
    const stop = await rig.run('stop_instances', { instanceIds: [web] });
    expect(stop.instances).toEqual([{ instanceId: web, previousState: 'running', currentState: 'stopping' }]);
    const stopped = await rig.run('describe_instances', { states: ['stopped'] });
    expect(stopped.instances).toEqual([expect.objectContaining({ instanceId: web, state: 'stopped' })]);
    const start = await rig.run('start_instances', { instanceIds: [web] });
    expect(start.instances).toEqual([{ instanceId: web, previousState: 'stopped', currentState: 'pending' }]);
    const running = await rig.run('describe_instances', { instanceIds: [web] });
    expect(running.instances).toEqual([expect.objectContaining({ instanceId: web, state: 'running' })]);
  });

  it("answers EC2's InvalidInstanceID.NotFound for an instance that does not exist", async () => {
    const inv = await rig.invoke('stop_instances', { instanceIds: ['i-0123456789abcdef0'] });
    expect(inv.status).toBe('failed');
    expect(inv.error?.message).toMatch(/^AWS refused the request \(400\): InvalidInstanceID\.NotFound: /);
  });

  it('lists the buckets', async () => {
    const listed = await rig.run('list_buckets', {});
    expect(listed.buckets).toEqual(
      expect.arrayContaining([{ name: bucket, creationDate: expect.stringMatching(/^\d{4}-/) }]),
    );
  });

  it('puts a text object and gets it back as text, whole and cut', async () => {
    const text = 'héllo from collexa\n'.repeat(20);
    const put = await rig.run('put_object', { bucket, key: 'notes/hello.txt', text });
    expect(put).toMatchObject({
      bucket,
      key: 'notes/hello.txt',
      size: Buffer.byteLength(text),
      contentType: 'text/plain; charset=utf-8',
      eTag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
    });
    const got = await rig.run('get_object', { bucket, key: 'notes/hello.txt' });
    expect(got).toMatchObject({ text, size: Buffer.byteLength(text), truncated: false, eTag: put.eTag });
    expect(got.contentType).toMatch(/^text\/plain/);
    // 2 bytes end inside "é": the half character is dropped.
    const cut = await rig.run('get_object', { bucket, key: 'notes/hello.txt', maxBytes: 2 });
    expect(cut).toMatchObject({ text: 'h', returnedBytes: 2, truncated: true, size: Buffer.byteLength(text) });
  });

  it('puts a binary object from base64 and gets it back as base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await rig.run('put_object', {
      bucket,
      key: 'blob.bin',
      base64: bytes.toString('base64'),
      contentType: 'image/png',
    });
    const got = await rig.run('get_object', { bucket, key: 'blob.bin' });
    expect(got).toMatchObject({
      contentType: 'image/png',
      size: 6,
      base64: bytes.toString('base64'),
      truncated: false,
    });
    expect(got.text).toBeUndefined();
  });

  it("answers S3's NoSuchKey and NoSuchBucket as 404s, and refuses a put with both contents", async () => {
    const key = await rig.invoke('get_object', { bucket, key: 'missing.txt' });
    expect(key.error?.message).toMatch(/^AWS found no such resource \(404\): NoSuchKey: /);
    const nobucket = await rig.invoke('get_object', { bucket: 'no-such-bucket-here', key: 'k' });
    expect(nobucket.error?.message).toMatch(/^AWS found no such resource \(404\): NoSuchBucket: /);
    const both = await rig.invoke('put_object', { bucket, key: 'k', text: 'a', base64: 'YQ==' });
    expect(both.error?.message).toMatch(/exactly one of them/);
  });

  it('lists the functions', async () => {
    const listed = await rig.run('list_functions', {});
    expect(listed.functions).toEqual([
      expect.objectContaining({
        name: 'echo',
        arn: expect.stringMatching(/^arn:aws:lambda:us-east-1:\d{12}:function:echo$/),
        runtime: 'nodejs20.x',
        handler: 'index.handler',
        description: 'answers its event',
      }),
    ]);
  });

  it('invokes a function: moto without Docker answers the event it was sent', async () => {
    const payload = { order: 42, items: ['a', 'b'] };
    const out = await rig.run('invoke_function', { functionName: 'echo', payload, logTail: true });
    expect(out).toMatchObject({ functionName: 'echo', statusCode: 200, payloadTruncated: false });
    expect(JSON.parse(out.payload as string)).toEqual(payload);
    expect(out.functionError).toBeUndefined();
  });
  // Last: it empties moto for the rest of this file's sandbox.
  it('resets moto to empty: its buckets and functions are gone', async () => {
    const reset = await fetch(`${rig.platform.url}/v1/sandboxes/${rig.sandbox.id}/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.developerKey}` },
    });
    expect(reset.status, await reset.text()).toBeLessThan(300);
    const listed = await rig.run('list_buckets', {});
    expect(listed.buckets).toEqual([]);
    expect((await rig.run('list_functions', {})).functions).toEqual([]);
  });
});

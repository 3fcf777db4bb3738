// AWS (moto) and Google Cloud Storage (fake-gcs-server) as sandbox services: the provisioned tools in the real
// sandbox, driven by the official AWS SDK v3 clients and by GCS's JSON API over plain fetch. What the sandbox
// itself holds a service to (no network, its uid, its sockets) is sandbox-service.test.ts's.
import { readFileSync } from 'node:fs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGcs } from '../../core/sandboxes/fake-gcs.js';
import { startMoto } from '../../core/sandboxes/moto.js';
import { descendants } from '../../core/sandboxes/process-record.js';
import type { RunningService } from '../../core/sandboxes/service-process.js';
import { componentsPresent, missingSandboxTools, missingTools } from '../helpers/components.js';
import { allEnded, treeOf } from '../helpers/service-processes.js';
import { testLogger, testSandbox } from '../helpers/stack.js';
import { zipOf } from '../helpers/zip.js';

// An org of this file's own: the process budget (RLIMIT_NPROC) is per org uid.
const ORG = '88888888-8888-4888-8888-888888888888';
// SANDBOX_MEMORY_MB's default: both must work within what a sandbox gets unless the operator says otherwise.
const limits = { memoryMb: 512, cpuSeconds: 600, maxProcesses: 1024, maxOpenFiles: 1024 };
const present = componentsPresent('the cloud emulator sandbox tests', [
  ...missingSandboxTools(),
  ...missingTools('moto_server', 'fake-gcs-server'),
]);

/** A process's line of /proc/<pid>/status, in KiB (VmData: what RLIMIT_DATA counts). */
const statusKb = (pid: number, field: string) =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** The one process of the service whose command name matches `comm` (the service itself, not its sandbox). */
function processNamed(service: RunningService, comm: RegExp): number {
  const found = descendants(service.pid).filter((pid) => comm.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()));
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function expectStopsLeavingNothing(service: RunningService) {
  const tree = treeOf(service);
  expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, its init, the forwarder, the service
  await service.stop();
  await allEnded(tree);
  await expect(fetch(`${service.url}/`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
}

describe.skipIf(!present)('moto sandbox (AWS through the SDK v3 clients)', () => {
  let moto: RunningService;
  const client = () => ({
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });

  beforeAll(async () => {
    moto = await startMoto({ sandboxId: 'moto-aws', orgId: ORG, limits }, testSandbox(), testLogger);
  }, 90_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('keeps an S3 object: a bucket, a put, the same bytes back', async () => {
    const s3 = new S3Client({ ...client(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'rehearsal' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'rehearsal', Key: 'notes/a.txt', Body: 'hello moto', ContentType: 'text/plain' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'rehearsal', Key: 'notes/a.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello moto');
    expect(got.ContentType).toBe('text/plain');
  });

  it('runs, describes, stops and starts an EC2 instance of one of its own AMIs', async () => {
    const ec2 = new EC2Client(client());
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const imageId = images.Images?.[0]?.ImageId;
    expect(imageId).toMatch(/^ami-[0-9a-f]+$/);
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }),
    );
    const id = run.Instances![0]!.InstanceId!;
    const state = async () => {
      const found = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      const instance = found.Reservations![0]!.Instances![0]!;
      expect(instance).toMatchObject({ ImageId: imageId, InstanceType: 't3.micro' });
      return instance.State?.Name;
    };
    expect(await state()).toBe('running');
    const stopped = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stopped.StoppingInstances?.[0]).toMatchObject({ InstanceId: id, PreviousState: { Name: 'running' } });
    expect(await state()).toBe('stopped');
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(started.StartingInstances?.[0]).toMatchObject({ InstanceId: id, PreviousState: { Name: 'stopped' } });
    expect(await state()).toBe('running');
  });

  it('creates, lists and invokes a Lambda function without Docker: the invoke answers its payload', async () => {
    // moto checks the role exists in its IAM.
    const iam = new IAMClient(client());
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'rehearsal-lambda',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const lambda = new LambdaClient(client());
    const handler = 'def handler(event, context):\n    return {"doubled": event["n"] * 2}\n';
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'doubler',
        Runtime: 'python3.12',
        Role: role.Role!.Arn,
        Handler: 'index.handler',
        Code: { ZipFile: zipOf({ 'index.py': handler }) },
      }),
    );
    expect(created).toMatchObject({ FunctionName: 'doubler', Runtime: 'python3.12', Handler: 'index.handler' });
    const listed = await lambda.send(new ListFunctionsCommand({}));
    expect(listed.Functions?.map((f) => f.FunctionName)).toEqual(['doubler']);

    // moto's no-Docker backend never runs the code: it answers the payload it was given, or a fixed text.
    const invoked = await lambda.send(
      new InvokeCommand({ FunctionName: 'doubler', Payload: Buffer.from(JSON.stringify({ n: 21 })) }),
    );
    expect(invoked.StatusCode).toBe(200);
    expect(invoked.FunctionError).toBeUndefined();
    expect(Buffer.from(invoked.Payload!).toString()).toBe('{"n":21}');
    const bare = await lambda.send(new InvokeCommand({ FunctionName: 'doubler' }));
    expect(Buffer.from(bare.Payload!).toString()).toBe('Simple Lambda happy path OK');
  });

  it('runs within the default sandbox memory, holding itself to it', () => {
    const python = processNamed(moto, /^python/);
    // Its own RLIMIT_DATA (moto-server.py's): the sandbox's is higher by the Node forwarder's reserve.
    const data = readFileSync(`/proc/${python}/limits`, 'utf8');
    expect(data).toMatch(new RegExp(`Max data size\\s+${limits.memoryMb * 1024 * 1024}\\s`));
    expect(statusKb(python, 'VmData')).toBeLessThan(limits.memoryMb * 1024);
  });

  it('stops, leaving no process', async () => {
    await expectStopsLeavingNothing(moto);
  });
});

describe.skipIf(!present)('fake-gcs-server sandbox (GCS JSON API)', () => {
  let gcs: RunningService;
  const api = async (route: string, init: RequestInit = {}) => {
    const res = await fetch(`${gcs.url}${route}`, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  beforeAll(async () => {
    gcs = await startFakeGcs({ sandboxId: 'fake-gcs', orgId: ORG, limits }, testSandbox(), testLogger);
  }, 90_000);
  afterAll(async () => {
    await gcs?.stop();
  });

  it('creates a bucket, takes an upload, lists it and serves it back, with links to where the host reaches it', async () => {
    const bucket = await api('/storage/v1/b?project=rehearsal', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rehearsal-bucket' }),
    });
    expect(bucket.status).toBe(200);
    expect(JSON.parse(bucket.text)).toMatchObject({ name: 'rehearsal-bucket', kind: 'storage#bucket' });

    const name = 'notes/a b.txt';
    const upload = await api(
      `/upload/storage/v1/b/rehearsal-bucket/o?uploadType=media&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello gcs',
      },
    );
    expect(upload.status).toBe(200);
    const object = JSON.parse(upload.text) as { name: string; size: string; mediaLink: string; selfLink: string };
    expect(object).toMatchObject({ name, size: '9', bucket: 'rehearsal-bucket', contentType: 'text/plain' });
    expect(object.mediaLink.startsWith(`${gcs.url}/`)).toBe(true);

    const list = JSON.parse((await api('/storage/v1/b/rehearsal-bucket/o')).text) as { items: Array<{ name: string }> };
    expect(list.items.map((i) => i.name)).toEqual([name]);

    const path = `/storage/v1/b/rehearsal-bucket/o/${encodeURIComponent(name)}`;
    expect(await api(`${path}?alt=media`)).toMatchObject({ status: 200, text: 'hello gcs' });
    // The links it answered work as they are, and so does the XML-style path on the host's address.
    expect((await fetch(object.mediaLink)).status).toBe(200);
    expect(await (await fetch(object.mediaLink)).text()).toBe('hello gcs');
    expect(JSON.parse(await (await fetch(object.selfLink)).text())).toMatchObject({ name });
    expect(await api(`/rehearsal-bucket/${encodeURIComponent(name)}`)).toMatchObject({
      status: 200,
      text: 'hello gcs',
    });
  });

  it('runs within the default sandbox memory', () => {
    const server = processNamed(gcs, /^fake-gcs-server$/);
    expect(readFileSync(`/proc/${server}/environ`, 'utf8').split('\0')).toContain(`GOMEMLIMIT=${limits.memoryMb}MiB`);
    expect(statusKb(server, 'VmRSS')).toBeLessThan(limits.memoryMb * 1024);
  });

  it('stops, leaving no process', async () => {
    await expectStopsLeavingNothing(gcs);
  });
});

import {
  DescribeInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
  type InstanceStateChange,
} from '@aws-sdk/client-ec2';
import type { ToolHandler } from '../server/handler.js';
import type { AwsClients } from './aws-clients.js';

type Handler = ToolHandler<AwsClients>;

const DEFAULT_MAX_RESULTS = 100;

/** An instance as an agent needs it: what it is, whether it runs, and how it is reached. */
function instanceView(i: Instance) {
  return {
    instanceId: i.InstanceId,
    instanceType: i.InstanceType,
    state: i.State?.Name,
    launchTime: i.LaunchTime?.toISOString(),
    name: i.Tags?.find((t) => t.Key === 'Name')?.Value,
    privateIpAddress: i.PrivateIpAddress,
    publicIpAddress: i.PublicIpAddress,
  };
}

const changeView = (c: InstanceStateChange) => ({
  instanceId: c.InstanceId,
  previousState: c.PreviousState?.Name,
  currentState: c.CurrentState?.Name,
});

export const describeInstances: Handler = async (args, { client, signal }) => {
  const ids = args.instanceIds as string[] | undefined;
  const states = args.states as string[] | undefined;
  const out = await client.ec2.send(
    new DescribeInstancesCommand({
      InstanceIds: ids,
      Filters: states ? [{ Name: 'instance-state-name', Values: states }] : undefined,
      // EC2 refuses MaxResults beside InstanceIds: a list of ids is its own bound.
      MaxResults: ids ? undefined : ((args.maxResults as number | undefined) ?? DEFAULT_MAX_RESULTS),
      NextToken: args.nextToken as string | undefined,
    }),
    { abortSignal: signal },
  );
  const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(instanceView);
  return { instances, ...(out.NextToken ? { nextToken: out.NextToken } : {}) };
};

export const startInstances: Handler = async (args, { client, signal }) => {
  const out = await client.ec2.send(new StartInstancesCommand({ InstanceIds: args.instanceIds as string[] }), {
    abortSignal: signal,
  });
  return { instances: (out.StartingInstances ?? []).map(changeView) };
};

export const stopInstances: Handler = async (args, { client, signal }) => {
  const out = await client.ec2.send(
    new StopInstancesCommand({ InstanceIds: args.instanceIds as string[], Force: args.force as boolean | undefined }),
    { abortSignal: signal },
  );
  return { instances: (out.StoppingInstances ?? []).map(changeView) };
};

import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

/**
 * History ⇄ proto3 JSON, the format of the Temporal UI's and CLI's history downloads.
 *
 * Why not historyToJSON / historyFromJSON from @temporalio/common/lib/proto-utils: they run protojson from
 * @temporalio/common's own copy of protobufjs, which rejects ("type must be a Type") the types built by
 * @temporalio/proto's copy whenever npm nests a copy per package, as it does here (protobufjs 7 is hoisted
 * for @grpc/proto-loader). Taking protojson from the copy @temporalio/proto itself loads works in any layout.
 */
type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoEntry = createRequire(import.meta.url).resolve('@temporalio/proto');
const protojson = createRequire(protoEntry)('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

export function historyToJson(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a history');
  return history as History;
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { MasterKeyring } from '../crypto/master-key.js';
import { EncryptionCodec } from '../crypto/payload-codec.js';

/** Clients, workers and (bundled) workflow code: failure messages and stacks go into an encrypted payload. */
export const FAILURE_CONVERTER_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'failure-converter.cjs');
/** Bundled into the workflow code only: stamps each payload a workflow writes with its org (see payload-org.ts). */
export const PAYLOAD_CONVERTER_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'payload-converter.cjs');

/** The data converter every Collexa client and worker uses: encrypted payloads and encoded failures. */
export function createDataConverter(ring: MasterKeyring): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(ring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** From config: the encrypting converter when a master key is configured, else none (Temporal's default). */
export function dataConverterFromConfig(vault: { masterKey?: string; previousMasterKeys: string[] }): {
  dataConverter?: DataConverter;
  codec?: EncryptionCodec;
} {
  if (!vault.masterKey) return {};
  const ring = MasterKeyring.fromBase64(vault.masterKey, vault.previousMasterKeys);
  const codec = new EncryptionCodec(ring);
  return { dataConverter: { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH }, codec };
}

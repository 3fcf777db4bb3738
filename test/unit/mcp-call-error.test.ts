import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { classifyFailure, rejectionInResult } from '../../core/mcp/call-error.js';

const refused = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  });

const http = (status: number) =>
  new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, `Error POSTing to endpoint: HTTP ${status} from host`, {
    status,
  });

describe('classifyFailure', () => {
  it.each([
    [new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out'), 'timeout', true],
    [new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'), 'disconnected', true],
    [new SdkError(SdkErrorCode.NotConnected, 'Not connected'), 'connect', false],
    [new SdkError(SdkErrorCode.MethodNotSupportedByProtocolVersion, 'no ping in 2026-07-28'), 'protocol', false],
    [new SdkError(SdkErrorCode.InvalidResult, 'Invalid result for tools/call'), 'protocol', true],
    [new ProtocolError(ProtocolErrorCode.InvalidParams, 'bad'), 'invalid_params', true],
    [new ProtocolError(ProtocolErrorCode.MethodNotFound, 'no tools'), 'protocol', true],
    [new ProtocolError(ProtocolErrorCode.InternalError, 'boom'), 'protocol', true],
    [refused(), 'connect', false],
    [
      new TypeError('fetch failed', {
        cause: new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]),
      }),
      'connect',
      false,
    ],
    [new Error('Not connected'), 'connect', false],
    [
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
      'disconnected',
      true,
    ],
    [http(404), 'connect', false],
    [http(500), 'protocol', true],
    [new UnauthorizedError(), 'protocol', true],
    [new Error('something else'), 'protocol', true],
  ])('classifies %s as %s (reachedServer %s)', (err, kind, reachedServer) => {
    expect(classifyFailure(err, 'srv')).toMatchObject({ kind, reachedServer, serverName: 'srv' });
  });

  it('keeps the JSON-RPC code and data, and an HTTP failure’s status', () => {
    expect(
      classifyFailure(new ProtocolError(ProtocolErrorCode.InvalidParams, 'bad', { field: 'a' }), 'srv'),
    ).toMatchObject({
      code: -32602,
      data: { field: 'a' },
    });
    expect(classifyFailure(http(502), 'srv')).toMatchObject({ data: { httpStatus: 502 } });
    expect(classifyFailure(new UnauthorizedError(), 'srv')).toMatchObject({ data: { httpStatus: 401 } });
  });
});

describe('rejectionInResult', () => {
  const result = (text: string, isError = true) => ({ content: [{ type: 'text' as const, text }], isError });

  it('recognises the SDK server turning an unknown tool or bad arguments into isError', () => {
    expect(rejectionInResult(result('MCP error -32602: Tool nope not found'), 'nope', 'srv')).toMatchObject({
      kind: 'invalid_params',
      reachedServer: true,
      code: -32602,
    });
    expect(rejectionInResult(result('MCP error -32602: Tool off disabled'), 'off', 'srv')?.kind).toBe('invalid_params');
    expect(
      rejectionInResult(
        result('MCP error -32602: Input validation error: Invalid arguments for tool add: expected number'),
        'add',
        'srv',
      )?.message,
    ).toBe('MCP server srv: Input validation error: Invalid arguments for tool add: expected number');
  });

  it('recognises the same rejections from an SDK 2.x server, which leaves out the "MCP error -32602: " prefix', () => {
    const invalid = 'Input validation error: Invalid arguments for tool add: data/a must be number';
    expect(rejectionInResult(result(invalid), 'add', 'srv')).toMatchObject({
      kind: 'invalid_params',
      message: `MCP server srv: ${invalid}`,
    });
    const tooMany = 'Invalid arguments for tool add: arguments contain more than the maximum of 10 elements';
    expect(rejectionInResult(result(tooMany), 'add', 'srv')?.kind).toBe('invalid_params');
    expect(rejectionInResult(result('Tool nope not found'), 'nope', 'srv')).toBeUndefined(); // 2.x: a JSON-RPC error
    expect(rejectionInResult(result(invalid), 'other', 'srv')).toBeUndefined();
    expect(
      rejectionInResult(result('Output validation error: Invalid structured content for tool add'), 'add', 'srv'),
    ).toBeUndefined();
  });

  it('leaves tool failures, output validation errors and other tools’ names as results', () => {
    expect(rejectionInResult(result('disk full'), 'write', 'srv')).toBeUndefined();
    expect(
      rejectionInResult(
        result('MCP error -32602: Output validation error: Tool add has an output schema'),
        'add',
        'srv',
      ),
    ).toBeUndefined();
    expect(rejectionInResult(result('MCP error -32602: Tool other not found'), 'proxy', 'srv')).toBeUndefined();
    expect(rejectionInResult(result('MCP error -32602: Tool nope not found', false), 'nope', 'srv')).toBeUndefined();
  });
});

// Loaded by path (DataConverter.failureConverterPath) in clients and, bundled, inside workflows: plain
// CommonJS so `require` works in every runtime the SDK loads it from. Failure messages and stack traces
// move into an encoded payload, so the payload codec encrypts them like any other data.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

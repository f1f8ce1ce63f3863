import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type CodecKeys } from './codec';

export const FAILURE_CONVERTER_PATH = require.resolve('../workflows/failure-converter');

/** The one data converter every Leakstop client and worker uses. */
export function leakstopDataConverter(keys: CodecKeys): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

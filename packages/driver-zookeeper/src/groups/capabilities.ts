import type { EncodedCapabilities } from '@tooz/core';

const NIL = Uint8Array.of(0xc0);

/**
 * Stored bytes as the SPI hands them on: a copy (the client's buffers may be
 * slices of a larger socket read), and msgpack nil for an empty node, which
 * only something other than tooz would write.
 */
export function storedCapabilities(data: Buffer): EncodedCapabilities {
  return data.length === 0 ? NIL : new Uint8Array(data);
}

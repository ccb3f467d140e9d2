/**
 * Ids as they are written: generation, key and batch ids are UUIDs and failed-message and group
 * ids are sha-256 hex, all stored lower-case. A client may spell them in upper case (RFC 9562 says
 * UUIDs compare case-insensitively), so every edge canonicalises an id once before any lookup:
 * otherwise one route finds a row by a case-insensitive cast while another compares text and
 * misses it.
 */
const HEX_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64})$/i;

/** The stored spelling of an id; anything that is not an id is handed back as it came. */
export function canonicalId(id: string): string {
  return HEX_ID.test(id) ? id.toLowerCase() : id;
}

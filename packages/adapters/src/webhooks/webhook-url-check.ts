// Which webhook targets may be reached, apart from the sender: the API checks an endpoint's URL
// when it is registered without loading the sender (Standard Webhooks signing, node:http and
// node:https), which only the webhook delivery function uses.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { refusedAddress } from '@genledger/core/webhooks/address-policy';

export class RefusedAddressError extends Error {
  constructor(reason: string) {
    super(`refused webhook target: ${reason}`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A DNS lookup that refuses private addresses. The request connects to the very address checked
 * here (Node hands this lookup's answer to the socket), so a name that resolves to a public address
 * for the check and a private one for the connection (DNS rebinding) cannot get through.
 */
export function checkedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivateNetworks
        ? undefined
        : addresses.map((a) => refusedAddress(a.address)).find((r) => r !== undefined);
      if (refused) return callback(new RefusedAddressError(refused), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Why `url` may not be a target, checked as a send would (literal address, or every resolved one). */
export async function checkWebhookUrl(
  url: string,
  allowPrivateNetworks: boolean,
): Promise<string | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && !(allowPrivateNetworks && u.protocol === 'http:'))
    return 'must be an https URL (plain http only where private networks are allowed)';
  if (u.username || u.password) return 'must not carry credentials';
  if (allowPrivateNetworks) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return refusedAddress(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  return new Promise((resolve) => {
    checkedLookup(false)(host, { all: true }, (error) => {
      if (error instanceof RefusedAddressError)
        resolve(error.message.replace('refused webhook target: ', ''));
      else if (error) resolve(`${host} does not resolve`);
      else resolve(undefined);
    });
  });
}

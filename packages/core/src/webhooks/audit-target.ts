/**
 * An endpoint's URL as its audit events keep it: origin and path. The query and fragment are left
 * out because receivers put credentials there (`?token=…`), and events are kept longer than the
 * endpoint, in the archive too.
 */
export function auditTarget(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

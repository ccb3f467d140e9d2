/** A URL with the given query parameters, empty ones dropped. */
export function href(path: string, params: Record<string, string | string[] | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) u.append(k, x);
    else u.set(k, v);
  }
  const s = u.toString();
  return s ? `${path}?${s}` : path;
}

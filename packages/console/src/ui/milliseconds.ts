/** A duration in milliseconds as the tables show it; a dash when it is not known. */
export const milliseconds = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${v} ms`;

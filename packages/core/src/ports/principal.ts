/** Who is calling: an authenticated API key, with its rate-limit window as of this request. */
export interface Principal {
  apiKeyId: string;
  prefix: string;
  isAdmin: boolean;
  rate: { limit: number; remaining: number; resetSeconds: number; limited: boolean };
}

/** Whose generations a read or change may touch: an admin sees everything, a key only its own. */
export type Owner = { admin: true } | { admin: false; apiKeyId: string };

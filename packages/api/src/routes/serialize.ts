import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { WebhookEndpoint } from '@genledger/core/contracts/webhooks';
import type { ApiKeySummary } from '@genledger/core/ports/api-keys';
import type { StoredEvent } from '@genledger/core/ports/event-reader';
import type { GenerationRun } from '@genledger/core/ports/generations';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { SettingEntry } from '@genledger/core/ports/settings';
import type { EndpointRecord } from '@genledger/core/ports/webhooks';
import type { z } from 'zod';
import type {
  ApiKeyBody,
  GenerationBody,
  GenerationRun as GenerationRunBody,
  SettingBody,
  StoredEventBody,
} from '../contracts.ts';

/** Store values → response bodies (dates as ISO strings), shaped as the contracts say. */
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export const apiKeyBody = (k: ApiKeySummary): z.infer<typeof ApiKeyBody> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  isAdmin: k.isAdmin,
  rateLimit: k.rateLimit,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: iso(k.lastUsedAt),
  expiresAt: iso(k.expiresAt),
  revokedAt: iso(k.revokedAt),
});

/** An endpoint as GET returns it (and a webhook_endpoint.disabled event carries it): never its secret. */
export const webhookEndpointBody = (e: EndpointRecord): z.infer<typeof WebhookEndpoint> => ({
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.disabledAt === null,
  disabledReason: e.disabledReason,
  disabledAt: iso(e.disabledAt),
  failingSince: iso(e.failingSince),
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

export const eventBody = (e: StoredEvent): z.infer<typeof StoredEventBody> => ({
  sequence: e.sequence,
  streamId: e.streamId,
  streamVersion: e.streamVersion,
  type: e.type,
  version: e.version,
  event: e.event,
  metadata: e.metadata,
  storedAt: e.storedAt.toISOString(),
});

export const runBody = (r: GenerationRun): z.infer<typeof GenerationRunBody> => ({
  ...r,
  startedAt: r.startedAt.toISOString(),
  completedAt: iso(r.completedAt),
  deadlineAt: iso(r.deadlineAt),
  submittedAt: iso(r.submittedAt),
  reportedAt: iso(r.reportedAt),
  backendMetrics: (r.backendMetrics as { predictTimeS?: number } | null) ?? null,
});

export const settingBody = (s: SettingEntry): z.infer<typeof SettingBody> => ({
  key: s.key,
  value: s.value,
  isDefault: s.isDefault,
  description: s.description,
  updatedAt: iso(s.updatedAt),
});

/**
 * A generation as answered: each kept output with a freshly signed link, and the deprecated
 * `outputPath` as the first output's link (a generation from before outputs were kept keeps the
 * path its backend reported).
 */
export async function generationBody(
  g: GenerationRecord,
  outputs: Pick<OutputStore, 'signedUrl'>,
): Promise<z.infer<typeof GenerationBody>> {
  const views = await Promise.all(
    g.outputs.map(async (o) => ({
      url: await outputs.signedUrl(o.key),
      contentType: o.contentType,
      bytes: o.bytes,
      sha256: o.sha256,
    })),
  );
  return {
    ...g,
    outputs: views,
    outputPath: views[0]?.url ?? g.outputPath,
    thumbnailPath: views.length ? null : g.thumbnailPath,
  };
}

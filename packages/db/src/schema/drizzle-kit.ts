// The entry drizzle-kit reads to generate migrations: the tables bound to the default schema.
import { defineTables } from './tables.ts';

export const {
  schema: genledger,
  apiKeys,
  generations,
  generationRuns,
  events,
  eventsArchive,
  checkpoints,
  dailyGenerationStats,
  settings,
  failedMessages,
  failedMessageAttempts,
  failureGroups,
  failureGroupMembers,
  failureGroupDays,
  retryBatches,
  webhookEndpoints,
  webhookDeliveries,
  webhookDeliveryAttempts,
} = defineTables('genledger');

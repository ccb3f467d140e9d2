import { MAX_SETTING_KEY_LENGTH } from '@genledger/core/contracts/limits';
import { text } from '@genledger/core/contracts/storable';
import { notFound, validationError } from '@genledger/core/errors';
import * as z from 'zod';
import {
  ApiKeyBody,
  ApiKeyList,
  CreateApiKeyBody,
  CreatedApiKey,
  EventFeed,
  EventFeedQuery,
  IdParam,
  PutSettingBody,
  SettingBody,
  SettingList,
} from '../contracts.ts';
import { route } from './define.ts';
import { isUuid } from './is-uuid.ts';
import { apiKeyBody, eventBody, settingBody } from './serialize.ts';

const eventFeed = route({
  method: 'get',
  path: '/events',
  operationId: 'listEvents',
  summary: 'The global event feed in commit order; never skips an event committed late',
  tag: 'events',
  access: 'admin',
  query: EventFeedQuery,
  responses: {
    200: { description: 'Events after `after`', schema: EventFeed },
    404: { description: 'No event has the sequence `after`' },
  },
  async handler(ctx) {
    const { after, limit } = ctx.query;
    const position = await ctx.deps.events.positionOf(after);
    const items = await ctx.deps.events.readAfter(position, limit);
    return { status: 200, body: { items: items.map(eventBody), next: items.at(-1)?.sequence ?? after } };
  },
});

const createApiKey = route({
  method: 'post',
  path: '/api-keys',
  operationId: 'createApiKey',
  summary: 'Create an API key; the plaintext key is in this response only',
  tag: 'api-keys',
  access: 'admin',
  body: CreateApiKeyBody,
  responses: {
    201: {
      description: 'Created',
      schema: CreatedApiKey,
      headers: { Location: { description: "The key's URL", schema: z.string() } },
    },
  },
  async handler(ctx) {
    const b = ctx.body;
    const expiresAt = b.expiresAt ? new Date(b.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw validationError('expiresAt must be in the future', [
        { field: 'expiresAt', message: 'must be in the future' },
      ]);
    }
    const { summary, key } = await ctx.deps.apiKeys.create(
      { name: b.name, isAdmin: b.isAdmin, rateLimit: b.rateLimit, expiresAt },
      ctx.metadata,
    );
    // A fresh random key colliding with a stored hash does not happen; if it ever did, nothing was written.
    if (!summary) throw new Error('generated API key collided with an existing one');
    return {
      status: 201,
      body: { ...apiKeyBody(summary), key },
      headers: { Location: `/api-keys/${summary.id}`, 'Cache-Control': 'no-store' },
    };
  },
});

const listApiKeys = route({
  method: 'get',
  path: '/api-keys',
  operationId: 'listApiKeys',
  summary: 'Every API key (never a hash or a secret)',
  tag: 'api-keys',
  access: 'admin',
  responses: { 200: { description: 'Keys in creation order', schema: ApiKeyList } },
  async handler(ctx) {
    return { status: 200, body: { items: (await ctx.deps.apiKeys.list()).map(apiKeyBody) } };
  },
});

const revokeApiKey = route({
  method: 'delete',
  path: '/api-keys/{id}',
  operationId: 'revokeApiKey',
  summary: 'Revoke an API key (idempotent); it answers 401 from now on',
  tag: 'api-keys',
  access: 'admin',
  params: IdParam,
  responses: {
    200: { description: 'The revoked key', schema: ApiKeyBody },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const { id } = ctx.params;
    if (!isUuid(id)) throw notFound(`API key ${id} not found`);
    return { status: 200, body: apiKeyBody(await ctx.deps.apiKeys.revoke(id, ctx.metadata)) };
  },
});

const listSettings = route({
  method: 'get',
  path: '/settings',
  operationId: 'listSettings',
  summary: 'Runtime settings with their current values and defaults',
  tag: 'settings',
  access: 'admin',
  responses: { 200: { description: 'Every setting', schema: SettingList } },
  async handler(ctx) {
    return { status: 200, body: { items: (await ctx.deps.settings.list()).map(settingBody) } };
  },
});

const putSetting = route({
  method: 'put',
  path: '/settings/{key}',
  operationId: 'putSetting',
  summary: "Change a runtime setting (validated against the key's own schema)",
  tag: 'settings',
  access: 'admin',
  params: z.object({ key: text().max(MAX_SETTING_KEY_LENGTH) }),
  body: PutSettingBody,
  responses: {
    200: { description: 'The setting as stored', schema: SettingBody },
    404: { description: 'Unknown key' },
  },
  async handler(ctx) {
    return {
      status: 200,
      body: settingBody(await ctx.deps.settings.set(ctx.params.key, ctx.body.value, ctx.metadata)),
    };
  },
});

export const adminRoutes = [eventFeed, createApiKey, listApiKeys, revokeApiKey, listSettings, putSetting];

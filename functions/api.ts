// API Gateway v2 (HTTP API) → the Hono app. Thin: build the dependencies once per container,
// adapt the event, let the app answer. Every route, rule and error lives in @genledger/api.
import { type App, createApp } from '@genledger/api/app';
import { resolveApiConfig } from '@genledger/api/config';
import { depsFromDatabase } from '@genledger/api/deps';
import { requestFromEvent, resultFromResponse } from '@genledger/api/lambda-adapter';
import { jsonLogger } from '@genledger/api/logger';
import { noQueue } from '@genledger/api/no-queue';
import { edgeProblem, PROBLEM_CONTENT_TYPE } from '@genledger/api/problem';
import { sqsQueue } from '@genledger/core/adapters/sqs-queue';
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import { errorFields } from '@genledger/core/error-summary';
import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import type { Database } from '@genledger/db/connect';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Queue from configuration; without QUEUE_URL every send fails and generations stay pending. */
export type QueueFactory = (env: NodeJS.ProcessEnv, logger: Logger) => Queue;

export const defaultQueueFactory: QueueFactory = (env, logger) => {
  if (env.QUEUE_URL) return sqsQueue(env.QUEUE_URL);
  logger.warn('QUEUE_URL is not set: accepted generations stay pending until maintenance can send them');
  return noQueue;
};

/** One database per container, reused while warm, with stale connections retried once. */
const getDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());

export interface ApiHandlerOptions {
  env?: NodeJS.ProcessEnv;
  database?: () => Promise<Database>;
  queueFactory?: QueueFactory;
  logger?: Logger;
}

export function createApiHandler(options: ApiHandlerOptions = {}) {
  const env = options.env ?? linkedEnvironment();
  let app: Promise<App> | undefined;
  let logger: Logger = options.logger ?? jsonLogger('info', { fn: 'api' });

  const build = async (): Promise<App> => {
    const config = resolveApiConfig(env);
    logger = options.logger ?? jsonLogger(config.logLevel, { fn: 'api' });
    const db = await (options.database ?? getDatabase)();
    const queue = (options.queueFactory ?? defaultQueueFactory)(env, logger);
    return createApp(depsFromDatabase(db, { queue, logger, cursorSecret: config.cursorSecret }));
  };

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    app ??= build().catch((e: unknown) => {
      app = undefined; // the next invocation tries again
      throw e;
    });
    let ready: App;
    try {
      ready = await app;
    } catch (e) {
      const requestId = event.requestContext?.requestId;
      logger.error('api start-up failed', { requestId, ...errorFields(e) });
      const problem = {
        ...edgeProblem('internal', 'the service could not start; quote the request id'),
        status: 503,
        title: 'Service unavailable',
        requestId,
      };
      return {
        statusCode: 503,
        headers: {
          'content-type': PROBLEM_CONTENT_TYPE,
          'retry-after': '5',
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify(problem),
      };
    }
    const response = await ready.fetch(requestFromEvent(event), {
      lambdaRequestId: event.requestContext?.requestId,
    });
    return resultFromResponse(response);
  };
}

export const handler = createApiHandler();

import { jsonLogger } from '@genledger/adapters/json-logger';
import { type App, createApp } from '@genledger/api/app';
import { resolveApiConfig } from '@genledger/api/config';
import { requestFromEvent, resultFromResponse, UnusableEventError } from '@genledger/api/lambda-adapter';
import { noQueue } from '@genledger/api/no-queue';
import { edgeProblem, PROBLEM_CONTENT_TYPE, type Problem, problemFromAppError } from '@genledger/api/problem';
import { errorFields } from '@genledger/core/error-summary';
import { RETRY_AFTER_SECONDS, validationError } from '@genledger/core/errors';
import { memo } from '@genledger/core/memo';
import type { Logger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import type { Database } from '@genledger/db/connect';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { backendAttemptDeps } from './backend-attempts.ts';
import { emfSink, type MetricsSink } from './emf-metrics.ts';
import { httpDeps } from './http-deps.ts';
import { containerDatabase } from './lambda-database.ts';
import { linkedEnvironment } from './linked-environment.ts';
import { outputStoreOf } from './outputs.ts';
import { configuredQueue } from './queue-selection.ts';
import { configuredWebhookQueue } from './webhook-api.ts';

/** The API's queue: the configured one, or none (accepted generations stay pending until maintenance sends them). */
export function apiQueue(env: NodeJS.ProcessEnv, logger: Logger): Queue {
  const configured = configuredQueue(env);
  if (configured) return configured.queue;
  logger.warn('QUEUE_URL is not set: accepted generations stay pending until maintenance can send them');
  return noQueue;
}

export interface ApiHandlerOptions {
  env?: NodeJS.ProcessEnv;
  database?: () => Promise<Database>;
  queue?: (env: NodeJS.ProcessEnv, logger: Logger) => Queue;
  logger?: Logger;
  /** Where retry-batch metric lines go (default: EMF on stdout). */
  metrics?: MetricsSink;
}

function problemResult(
  problem: Problem,
  requestId: string | undefined,
  extra: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      ...extra,
      ...(requestId ? { 'x-request-id': requestId } : {}),
    },
    body: JSON.stringify({ ...problem, ...(requestId ? { requestId } : {}) }),
  };
}

/**
 * API Gateway v2 → the Hono app. Every event gets a problem+json answer and a log line, even one
 * that is not an HTTP API event or that the app throws on: API Gateway's own bare 500 never shows.
 */
export function createApiHandler(options: ApiHandlerOptions = {}) {
  let logger: Logger = options.logger ?? jsonLogger('info', { fn: 'api' });

  const build = async (): Promise<App> => {
    const env = options.env ?? linkedEnvironment();
    const config = resolveApiConfig(env);
    logger = options.logger ?? jsonLogger(config.logLevel, { fn: 'api' });
    const db = await (options.database ?? containerDatabase)();
    const queue = (options.queue ?? apiQueue)(env, logger);
    return createApp(
      httpDeps(db, {
        queue,
        logger,
        cursorSecret: config.cursorSecret,
        metrics: options.metrics ?? emfSink(),
        outputs: outputStoreOf(env),
        backend: await backendAttemptDeps(db, env, logger),
        env,
        ...(configuredWebhookQueue(env) ? { webhookQueue: configuredWebhookQueue(env)!.queue } : {}),
      }),
    );
  };

  const app = memo(build);

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId: string | undefined =
      typeof event?.requestContext?.requestId === 'string' ? event.requestContext.requestId : undefined;
    let ready: App;
    try {
      ready = await app();
    } catch (e) {
      logger.error('api start-up failed', { requestId, ...errorFields(e) });
      const problem = {
        ...edgeProblem('internal', 'the service could not start; quote the request id'),
        status: 503,
        title: 'Service unavailable',
      };
      return problemResult(problem, requestId, { 'retry-after': String(RETRY_AFTER_SECONDS) });
    }
    let request: Request;
    try {
      request = requestFromEvent(event);
    } catch (e) {
      const detail = e instanceof UnusableEventError ? e.message : 'the event could not be read';
      logger.warn('unusable API Gateway event', {
        requestId,
        error: e instanceof Error ? e.message : String(e),
      });
      return problemResult(problemFromAppError(validationError(detail)), requestId);
    }
    try {
      return await resultFromResponse(await ready.fetch(request, { lambdaRequestId: requestId }));
    } catch (e) {
      logger.error('request failed outside the app', { requestId, ...errorFields(e) });
      return problemResult(
        edgeProblem('internal', 'an unexpected error occurred; quote the request id when reporting it'),
        requestId,
      );
    }
  };
}

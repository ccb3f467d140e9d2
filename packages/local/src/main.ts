// `npm start`: the local stack on one command. Bad configuration → one line naming the variable, exit 1.
import { resolveWebhookConfig } from '@genledger/core/config/webhook-config';
import { isAppError } from '@genledger/core/errors';
import { webhookVisibilityWarning } from './queue-config.ts';
import { resolveLocalEnv, startLocalServer } from './server.ts';

try {
  // A stop lets the batch in hand finish this long; the rest goes back to the queue for the next start.
  const shutdownGraceMs = resolveLocalEnv(process.env).SHUTDOWN_GRACE_S * 1000;
  const server = await startLocalServer();
  const lines = [
    `genledger listening on ${server.url}`,
    `database: ${server.database.target} (schema "${server.database.schema}")`,
    `queue: ${server.queueDescription}`,
    `outputs: ${server.outputsDescription}`,
  ];
  if (server.adminKey?.created && !process.env.ADMIN_API_KEY) {
    lines.push(`admin API key (shown once, store it now): ${server.adminKey.key}`);
  } else if (server.adminKey) {
    lines.push(
      server.adminKey.usable
        ? `ADMIN_API_KEY ensured as admin key ${server.adminKey.prefix}${server.adminKey.created ? ' (created)' : ''}`
        : `warning: ADMIN_API_KEY (${server.adminKey.prefix}) exists but is revoked, expired or not admin; it was left as is`,
    );
  }
  lines.push(
    resolveWebhookConfig(process.env, { allowPrivateByDefault: true }).allowPrivateNetworks
      ? 'webhooks: private and loopback targets allowed (local development; WEBHOOK_ALLOW_PRIVATE_NETWORKS=false refuses them)'
      : 'webhooks: private and loopback targets refused (WEBHOOK_ALLOW_PRIVATE_NETWORKS=false)',
  );
  const slowDeliveryWarning = server.pipeline ? webhookVisibilityWarning(process.env) : undefined;
  if (slowDeliveryWarning) lines.push(slowDeliveryWarning);
  lines.push(`console: ${server.url}/console/ (sign in with an API key)`);
  lines.push(`try: curl ${server.url}/health`);
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close({ graceMs: shutdownGraceMs }).then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  console.error(
    isAppError(e) || e instanceof Error
      ? `genledger: ${e.message.split('\n')[0]}`
      : `genledger: ${String(e)}`,
  );
  process.exit(1);
}

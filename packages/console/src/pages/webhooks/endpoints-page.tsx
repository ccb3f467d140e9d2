/** @jsxImportSource hono/jsx */
import { WEBHOOK_MESSAGE_TYPE, type WebhookDelivery } from '@genledger/core/contracts/webhooks';
import { failureGroupId } from '@genledger/core/failure-classification';
import { type EndpointOverview, RECENT_DELIVERIES } from '@genledger/core/ports/webhook-console-reads';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { milliseconds } from '../../ui/milliseconds.ts';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';

/**
 * Delivered among the deliveries that were tried (delivered, failed, or retrying); null when none
 * was. Pending and skipped ones (a disabled endpoint) say nothing about the receiver.
 */
function successRate(recent: EndpointOverview['recent']): number | null {
  const tried = recent.delivered + recent.failed + recent.retrying;
  return tried === 0 ? null : recent.delivered / tried;
}

/** The failed messages' group of every dead-lettered delivery (the message-type classifier). */
const DEAD_LETTERED = `/console/failed/messages?groupId=${failureGroupId({ classifier: 'message-type', title: WEBHOOK_MESSAGE_TYPE })}`;

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10} %`);

function EndpointState(props: { e: EndpointOverview }) {
  const { e } = props;
  if (e.enabled) return <Status s="enabled" />;
  return (
    <>
      <Status s="disabled" />{' '}
      <span class="small muted">{e.disabledReason === 'gone' ? '(410 Gone)' : '(by an operator)'}</span>
    </>
  );
}

/** Every webhook endpoint with how its newest deliveries went. */
export function EndpointsPage(props: { endpoints: EndpointOverview[]; names: Map<string, string> }) {
  return (
    <>
      <h1>Webhook endpoints</h1>
      <p class="small muted">
        Figures over each endpoint's newest {RECENT_DELIVERIES} deliveries. Dead-lettered deliveries are also
        among the <a href={DEAD_LETTERED}>failed messages</a>.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>endpoint</th>
              <th class="hide-narrow">owner</th>
              <th>state</th>
              <th class="num">delivered</th>
              <th class="num">failed</th>
              <th class="num hide-narrow">retrying / pending</th>
              <th class="num">success</th>
              <th class="hide-narrow">last delivery</th>
            </tr>
          </thead>
          <tbody>
            {props.endpoints.map((e) => (
              <tr data-endpoint={e.id}>
                <td>
                  <a href={`/console/webhooks/endpoints/${e.id}`}>{e.url}</a>
                  {e.description && <div class="small muted">{e.description}</div>}
                </td>
                <td class="hide-narrow">{props.names.get(e.apiKeyId) ?? e.apiKeyId}</td>
                <td>
                  <EndpointState e={e} />
                </td>
                <td class="num">{e.recent.delivered}</td>
                <td class="num">{e.recent.failed}</td>
                <td class="num hide-narrow">
                  {e.recent.retrying} / {e.recent.pending}
                </td>
                <td class="num" data-testid="success-rate">
                  {percent(successRate(e.recent))}
                </td>
                <td class="hide-narrow">{e.lastDeliveryAt ? <Time at={e.lastDeliveryAt} /> : '—'}</td>
              </tr>
            ))}
            {props.endpoints.length === 0 && <EmptyRow cols={8}>No webhook endpoints.</EmptyRow>}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** One endpoint: what it subscribes to, and its newest deliveries. */
export function EndpointPage(props: {
  endpoint: EndpointOverview;
  deliveries: WebhookDelivery[];
  names: Map<string, string>;
}) {
  const { endpoint: e } = props;
  return (
    <>
      <p class="small">
        <a href="/console/webhooks">← Webhook endpoints</a>
      </p>
      <h1>{e.url}</h1>
      <dl class="kv card">
        <dt>state</dt>
        <dd>
          <EndpointState e={e} />
        </dd>
        <dt>owner</dt>
        <dd>{props.names.get(e.apiKeyId) ?? e.apiKeyId}</dd>
        <dt>events</dt>
        <dd>{e.events.join(', ')}</dd>
        <dt>success</dt>
        <dd>
          {percent(successRate(e.recent))} of the newest {RECENT_DELIVERIES} deliveries tried
        </dd>
        <dt>created</dt>
        <dd>
          <Time at={e.createdAt} />
        </dd>
      </dl>
      <h2>Newest deliveries ({props.deliveries.length})</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>created</th>
              <th>event</th>
              <th>status</th>
              <th class="num">attempts</th>
              <th class="num">last status</th>
              <th class="num hide-narrow">latency</th>
              <th class="hide-narrow">next attempt</th>
            </tr>
          </thead>
          <tbody>
            {props.deliveries.map((d) => (
              <tr data-delivery={d.id}>
                <td>
                  <a href={`/console/webhooks/deliveries/${d.id}`}>
                    <Time at={d.createdAt} />
                  </a>
                </td>
                <td>{d.eventType}</td>
                <td>
                  <Status s={d.status} />
                </td>
                <td class="num">{d.attempts}</td>
                <td class="num">{d.lastStatusCode ?? '—'}</td>
                <td class="num hide-narrow">{milliseconds(d.lastLatencyMs)}</td>
                <td class="hide-narrow">{d.nextAttemptAt ? <Time at={d.nextAttemptAt} /> : '—'}</td>
              </tr>
            ))}
            {props.deliveries.length === 0 && <EmptyRow cols={7}>No deliveries yet.</EmptyRow>}
          </tbody>
        </table>
      </div>
    </>
  );
}

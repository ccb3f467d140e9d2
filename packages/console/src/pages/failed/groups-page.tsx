/** @jsxImportSource hono/jsx */

import type { FailureGroup } from '@genledger/core/contracts/failed-messages';
import { MAX_PER_OPERATION } from '@genledger/core/contracts/failed-messages';
import { FAILURE_GROUP_ID } from '@genledger/core/contracts/limits';
import { Sparkline } from '../../ui/charts.tsx';
import { Csrf } from '../../ui/csrf-field.tsx';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { href } from '../../ui/href.ts';
import type { PageContext } from '../../ui/layout.tsx';
import { Live } from '../../ui/live.tsx';
import { Time } from '../../ui/time.tsx';
import { OPERATIONS, operationLabel } from './operations.ts';
import { groupCursorOf } from './selection.ts';
import { CLASSIFIERS, SORTS, type Triage } from './triage.ts';

/**
 * The next run of a group operation that left messages, going on from the previous run's end
 * (`after`): a run without it walks the group from its first member again.
 */
function GoOn(props: { ctx: PageContext; query: Record<string, string> }) {
  const { go, group, after } = props.query;
  const op = OPERATIONS.find((o) => o !== 'retry' && o === go);
  if (!op || !group || !FAILURE_GROUP_ID.test(group) || (after !== undefined && !groupCursorOf(after)))
    return null;
  return (
    <form method="post" action="/console/failed/action" class="flash ok">
      <Csrf ctx={props.ctx} />
      <input type="hidden" name="scope" value="group" />
      <input type="hidden" name="groupId" value={group} />
      {after && <input type="hidden" name="after" value={after} />}
      <input type="hidden" name="back" value="/console/failed" />
      More of the group is left.{' '}
      <button type="submit" name="op" value={op}>
        {`${operationLabel(op)} the next ${MAX_PER_OPERATION.toLocaleString('en-US')}`}
      </button>
    </form>
  );
}

/**
 * A group's operations, each off (with the reason) when the group has nothing it applies to: a
 * fully resolved group offers nothing to retry, archive or resolve.
 */
function GroupActions(props: { ctx: PageContext; g: FailureGroup }) {
  const { g } = props;
  const open = g.unresolved;
  const resolvable = g.unresolved + g.retryIssued;
  return (
    <div class="actions">
      {open > 0 ? (
        <a
          class="button"
          href={`/console/retry/preview?groupId=${g.id}`}
          aria-label={`Retry group ${g.title}`}
        >
          Retry…
        </a>
      ) : (
        <button
          type="button"
          disabled
          title="nothing unresolved to retry"
          aria-label={`Retry group ${g.title}`}
        >
          Retry…
        </button>
      )}
      <form method="post" action="/console/failed/action">
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="scope" value="group" />
        <input type="hidden" name="groupId" value={g.id} />
        <input type="hidden" name="back" value="/console/failed" />
        <button
          type="submit"
          name="op"
          value="archive"
          class="secondary"
          disabled={open === 0}
          data-confirm={`Archive ${open} message${open === 1 ? '' : 's'} in ${g.title}?`}
          title={open === 0 ? 'nothing unresolved to archive' : undefined}
          aria-label={`Archive group ${g.title}`}
        >
          Archive
        </button>{' '}
        <button
          type="submit"
          name="op"
          value="resolve"
          class="secondary"
          disabled={resolvable === 0}
          data-confirm={`Resolve ${resolvable} message${resolvable === 1 ? '' : 's'} in ${g.title}?`}
          title={resolvable === 0 ? 'nothing left to resolve' : undefined}
          aria-label={`Resolve group ${g.title}`}
        >
          Resolve
        </button>
      </form>
    </div>
  );
}

function GroupRow(props: { ctx: PageContext; g: FailureGroup; trend: number[]; sample: string | undefined }) {
  const { g, trend } = props;
  return (
    <tr data-row data-group={g.id}>
      <td>
        <span class="muted small">{g.classifier}</span>
        <br />
        <a href={`/console/failed/messages?groupId=${g.id}&status=unresolved&status=retry_issued`}>
          {g.title}
        </a>
        {props.sample && (
          <>
            <br />
            <span class="small muted" data-testid="sample-error">
              {props.sample}
            </span>
          </>
        )}
      </td>
      <td class="num hide-narrow">{g.count}</td>
      <td class="num">{g.unresolved}</td>
      <td class="hide-narrow">
        <Time at={g.firstFailedAt} />
      </td>
      <td class="hide-narrow">
        <Time at={g.lastFailedAt} />
      </td>
      <td class="hide-narrow">
        <Sparkline values={trend} label={`dead-letterings per day: ${trend.join(', ')}`} />
      </td>
      <td>
        <GroupActions ctx={props.ctx} g={g} />
      </td>
    </tr>
  );
}

function TriageForm(props: { triage: Triage }) {
  const { triage } = props;
  return (
    <form class="filters" method="get" action="/console/failed" aria-label="Triage">
      <label>
        Group by
        <select name="by">
          {CLASSIFIERS.map(([value, label]) => (
            <option value={value} selected={triage.by === value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort
        <select name="sort">
          {SORTS.map(([value, label]) => (
            <option value={value} selected={triage.sort === value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {triage.all && <input type="hidden" name="all" value="1" />}
      <button type="submit">Show</button>
    </form>
  );
}

/** The failure groups of one classifier with their trends, a sample error and group operations. */
export function GroupsPage(props: {
  ctx: PageContext;
  groups: FailureGroup[];
  /** Settled groups of the classifier left out. */
  hidden: number;
  triage: Triage;
  samples: Map<string, string>;
  /** Per group, dead-letterings on each of the trend's days. */
  trendOf: (groupId: string) => number[];
  trendDays: number;
  query: Record<string, string>;
  /** This page's URL, which its live list polls. */
  here: string;
}) {
  const { triage, groups, hidden } = props;
  const here = (all: boolean) =>
    href('/console/failed', { by: triage.by, sort: triage.sort, all: all ? '1' : undefined });
  return (
    <>
      <h1>Failure groups</h1>
      <p>
        <a href="/console/failed/messages">All failed messages</a> ·{' '}
        <a href="/console/failed/messages?status=archived">archived</a> ·{' '}
        {triage.all ? (
          <a href={here(false)}>hide settled groups</a>
        ) : (
          <a href={here(true)} data-testid="show-settled">
            show {hidden} settled group{hidden === 1 ? '' : 's'}
          </a>
        )}
      </p>
      <TriageForm triage={triage} />
      <GoOn ctx={props.ctx} query={props.query} />
      <Live id="live-groups" url={props.here}>
        <table>
          <thead>
            <tr>
              <th>group</th>
              <th class="num hide-narrow">messages</th>
              <th class="num">unresolved</th>
              <th class="hide-narrow">first seen</th>
              <th class="hide-narrow">last seen</th>
              <th class="hide-narrow">trend, {props.trendDays} days</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <GroupRow ctx={props.ctx} g={g} trend={props.trendOf(g.id)} sample={props.samples.get(g.id)} />
            ))}
            {groups.length === 0 && (
              <EmptyRow cols={7}>
                Nothing unresolved. Archived messages are left out of groups:{' '}
                <a href="/console/failed/messages?status=archived">see them</a>.
              </EmptyRow>
            )}
          </tbody>
        </table>
      </Live>
    </>
  );
}

/** @jsxImportSource hono/jsx */
import type { DailyModelOutcome } from '@genledger/core/ports/console-read-model';
import type { ConsoleServices } from '../../env.ts';
import { type DayBar, lastDays, ThroughputChart } from '../../ui/charts.tsx';

export const CHART_DAYS = 14;

function seriesOf(rows: DailyModelOutcome[], days: string[]): { model: string; days: DayBar[] }[] {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  return models.map((model) => ({
    model,
    days: days.map((day) => {
      const r = rows.find((x) => x.day === day && x.model === model);
      return {
        day,
        completed: r?.completed ?? 0,
        failed: r?.failed ?? 0,
        attempts: r?.attempts ?? 0,
        failedAttempts: r?.failedAttempts ?? 0,
      };
    }),
  }));
}

/**
 * Generations by final status and attempts per model and day. Drawn with the page, not on every
 * poll: history does not change in 5 s, and the read walks 14 days of generations and attempts.
 */
export async function OutcomeCharts(props: { s: ConsoleServices }) {
  const days = lastDays(CHART_DAYS, props.s.now());
  const series = seriesOf(await props.s.deps.readModel.dailyOutcomes(days[0]!), days);
  if (series.length === 0) return <p class="muted">No generations in the last {CHART_DAYS} days.</p>;
  return (
    <div class="grid2">
      {series.map((s) => (
        <ThroughputChart model={s.model} days={s.days} />
      ))}
    </div>
  );
}

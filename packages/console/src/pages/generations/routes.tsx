/** @jsxImportSource hono/jsx */
import { streams } from '@genledger/core/contracts/events';
import type { GenerationSortField, GenerationStatus } from '@genledger/core/contracts/generation';
import { canonicalId } from '@genledger/core/contracts/ids';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { ownerOf } from '../../session/who.ts';
import { Flash } from '../../ui/flash.tsx';
import { hereOf } from '../../ui/live.tsx';
import { nextPageCursor, readPageCursor } from '../../ui/page-cursor.ts';
import { render } from '../../ui/render.tsx';
import { registerCancel } from './cancel.tsx';
import { GenerationPage } from './detail-page.tsx';
import { Filters } from './filters.tsx';
import { GenerationsPage } from './list-page.tsx';
import { endOfDay, fingerprint, listQueryOf } from './list-query.ts';
import { readOutput } from './output.ts';
import { registerRerun } from './rerun.tsx';

const PAGE_SIZE = 25;
const SECTION = '/console/generations';

/** Generations: the searchable list, one generation's page, and its image output. */
export function registerGenerationPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;

  app.get('/generations', async (c) => {
    const parsed = listQueryOf(c);
    if (!parsed.success) return invalidFilter(c, parsed.error.issues);
    const q = parsed.data;
    const f = fingerprint(q);
    const cursorSchema = { key: z.string().nullable(), id: z.uuid() };
    const { after, error } = readPageCursor(deps.cursors, q.cursor, f, cursorSchema, 'search');
    const descending = q.sort.startsWith('-');
    const field = (descending ? q.sort.slice(1) : q.sort) as GenerationSortField;
    const filter = {
      statuses: q.status.length ? (q.status as GenerationStatus[]) : undefined,
      model: q.model,
      from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined,
      to: q.to ? endOfDay(q.to) : undefined,
      q: q.q,
    };
    const [page, total] = await Promise.all([
      deps.generationReads.list(ownerOf(c), filter, { field, descending }, PAGE_SIZE, after),
      deps.readModel.countGenerations(ownerOf(c), filter),
    ]);
    const next = nextPageCursor(deps.cursors, f, page.next);
    return render(
      c,
      'Generations',
      <GenerationsPage
        q={q}
        items={page.items}
        total={total}
        later={Boolean(after)}
        next={next}
        error={error}
        here={hereOf(c)}
      />,
      { section: SECTION },
    );
  });

  app.get('/generations/:id', async (c) => {
    const id = canonicalId(c.req.param('id'));
    const owner = ownerOf(c);
    const g = z.uuid().safeParse(id).success ? await deps.generations.get(id, owner) : undefined;
    if (!g) return render(c, 'Not found', <Flash kind="error">No generation {id}</Flash>, { status: 404 });
    const admin = c.get('who').isAdmin;
    const [runs, events, failedId] = await Promise.all([
      deps.generationReads.runs(id, owner),
      deps.events.readStream(streams.generation(id)),
      admin ? deps.readModel.failedMessageOfGeneration(id) : Promise.resolve(undefined),
    ]);
    return render(
      c,
      `Generation ${g.name || g.id}`,
      <GenerationPage
        ctx={c.get('page')}
        g={g}
        runs={runs ?? []}
        events={events}
        failedId={failedId}
        admin={admin}
      />,
      { section: SECTION },
    );
  });

  registerCancel(app, s);
  registerRerun(app, s);

  app.get('/generations/:id/outputs/:index', async (c) => {
    const id = canonicalId(c.req.param('id'));
    const index = z.coerce.number().int().min(0).max(1000).safeParse(c.req.param('index'));
    const g = z.uuid().safeParse(id).success ? await deps.generations.get(id, ownerOf(c)) : undefined;
    const output = await readOutput(deps.outputs, g, index.success ? index.data : -1);
    if ('missing' in output) return c.text(output.missing, 404);
    return c.body(output.body, 200, {
      'Content-Type': output.contentType,
      'Cache-Control': 'private, max-age=3600',
    });
  });
}

function invalidFilter(c: ConsoleContext, issues: readonly { path: PropertyKey[]; message: string }[]) {
  const msg = issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return render(
    c,
    'Generations',
    <>
      <h1>Generations</h1>
      <Filters q={{}} />
      <Flash kind="error">Invalid filter: {msg}</Flash>
    </>,
    { status: 400, section: SECTION },
  );
}

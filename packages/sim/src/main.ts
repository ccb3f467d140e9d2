// `npm run sim`: the deployed shape, simulated. Bad configuration → one line naming the variable.
import { startSimulation } from './simulation.ts';

try {
  const sim = await startSimulation();
  const lines = [
    `genledger (simulated deploy) listening on ${sim.url}`,
    `functions: ${[...sim.runtimes.keys()].join(', ')} (each built as SST builds it, run as Lambda runs it)`,
    `queues: ${[...sim.queues.keys()].join(', ')} (SQS wire protocol, in-process)`,
    ...sim.listeners.map((l) => `listening: ${l.name} on ${l.address}`),
    ...sim.announcements,
    `admin API key (the AdminApiKey secret): ${sim.adminApiKey}`,
    `try: curl ${sim.url}/health`,
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  console.error(`genledger sim: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  process.exit(1);
}

// `npm run bench -- scale-archive`: the scale bench, then the event archive over its large size
// (bench/support/archive-phase.ts). A bench of its own so `scale` stays at five minutes: draining
// the archivable two thirds of 10M events adds minutes more.
import { runScale } from './scale.bench.ts';

export default function scaleArchiveBench() {
  return runScale({ archive: true });
}

import { createHash } from 'node:crypto';
import type { GenerationRequest } from '@genledger/core/contracts/generation';
import type { GenerationJob, GenerationOutput, Generator } from '@genledger/core/ports/generator';
import { encodePng } from './png.ts';

/** Longest side of the rendered preview; the requested aspect ratio is kept. */
const MAX_SIDE = 256;

function seedOf(request: GenerationRequest): Buffer {
  return createHash('sha256')
    .update(
      `${request.seed ?? 'noseed'}|${request.prompt}|${request.negativePrompt ?? ''}|${request.model}|${request.steps}|${request.guidance}`,
    )
    .digest();
}

export function scaledSize(width: number, height: number, maxSide: number) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * A deterministic picture from the request: interference of waves whose colours, frequencies and
 * phases come from a hash of seed and prompt. Same request, same bytes.
 */
export function render(
  request: GenerationRequest,
  maxSide = MAX_SIDE,
): { width: number; height: number; png: Buffer } {
  const { width, height } = scaledSize(request.width, request.height, maxSide);
  const h = seedOf(request);
  const colour = (i: number) => [h[i]!, h[i + 1]!, h[i + 2]!] as const;
  const a = colour(0);
  const b = colour(3);
  const c = colour(6);
  const fx = 2 + (h[9]! % 9);
  const fy = 2 + (h[10]! % 9);
  const fr = 1 + (h[11]! % 7);
  const phase = (h[12]! / 255) * Math.PI * 2;
  const rgb = new Uint8Array(width * height * 3);
  // The two linear waves depend on one axis each: computed once per column and per row.
  const cols = Float64Array.from(
    { length: width },
    (_, x) => 0.5 + 0.5 * Math.sin((x / width) * fx * Math.PI + phase),
  );
  const rows = Float64Array.from(
    { length: height },
    (_, y) => 0.5 + 0.5 * Math.sin((y / height) * fy * Math.PI - phase),
  );
  for (let y = 0; y < height; y++) {
    const v = y / height;
    const t2 = rows[y]!;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const r = Math.hypot(u - 0.5, v - 0.5);
      const t1 = cols[x]!;
      const t3 = 0.5 + 0.5 * Math.cos(r * fr * 2 * Math.PI * 4);
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) rgb[o + k] = Math.round((a[k]! * t1 + b[k]! * t2 + c[k]! * t3) / 3);
    }
  }
  return { width, height, png: encodePng(width, height, rgb) };
}

/**
 * Runs without any backend: for `npm start`, demos and tests. Hands over a real PNG's bytes, which
 * the worker keeps in the output store like any backend's; a redelivery renders the same bytes.
 */
export function builtinGenerator(): Generator {
  return {
    name: 'builtin',
    async generate(job: GenerationJob): Promise<GenerationOutput> {
      const image = render(job.request);
      return {
        outputs: [{ kind: 'bytes', body: image.png, contentType: 'image/png' }],
        promptId: `builtin-${createHash('sha1').update(image.png).digest('hex').slice(0, 12)}`,
      };
    },
  };
}

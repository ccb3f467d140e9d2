// Valid events for tests that need some: the same payloads, written once.
import type { DomainEvent } from '@genledger/core/contracts/events';

export const requested = (generationId: string, prompt = 'a lighthouse at dusk'): DomainEvent => ({
  type: 'GenerationRequested',
  generationId,
  apiKeyId: null,
  source: 'http',
  request: { prompt, name: '', model: 'sdxl', width: 512, height: 512, steps: 20, guidance: 7.5 },
});

export const completed = (generationId: string, durationMs = 10): DomainEvent => ({
  type: 'GenerationCompleted',
  generationId,
  model: 'sdxl',
  attempt: 1,
  outputPath: 'o.png',
  thumbnailPath: null,
  durationMs,
});

export const cancelled = (generationId: string): DomainEvent => ({
  type: 'GenerationCancelled',
  generationId,
  model: 'sdxl',
});

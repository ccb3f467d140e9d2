import { outputRetentionDays } from './settings';

/**
 * The private bucket generation outputs are kept in (`generations/{id}/{attempt}/{index}-{hash}.{ext}`,
 * docs/outputs.md), read only through presigned GETs the API signs. With OUTPUT_RETENTION_DAYS set,
 * S3 itself expires outputs that old: a backstop behind the maintenance sweep
 * (`retention.generationDays`), which deletes a generation's outputs with its row.
 */
export function outputs() {
  const days = outputRetentionDays();
  return new sst.aws.Bucket('Outputs', {
    ...(days > 0
      ? {
          lifecycle: [
            { id: 'expire-generation-outputs', prefix: 'generations/', expiresIn: `${days} days` as const },
          ],
        }
      : {}),
  });
}

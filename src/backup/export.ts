import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Manifest } from './manifest.js';
import { openVerifiedArtifact } from './reader.js';

/**
 * `opsbot backup decrypt`: verifies the artifact (tag, manifest, checksums) before writing anything, then
 * writes `<table>.csv` per table (exactly what COPY wrote, no header line; the columns are in the manifest)
 * and `manifest.json` into `outDir`. Existing files are never overwritten.
 */
export async function exportArtifact(path: string, key: Buffer, outDir: string): Promise<Manifest> {
  const artifact = await openVerifiedArtifact(path, key);
  try {
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    for (const section of artifact.sections) {
      await pipeline(
        Readable.from(artifact.rows(section), { objectMode: false }),
        createWriteStream(join(outDir, `${section.table.name}.csv`), { flags: 'wx', mode: 0o600 }),
      );
    }
    await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(artifact.manifest, null, 2)}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
    return artifact.manifest;
  } finally {
    await artifact.close();
  }
}

/** A file the generator owns: where it goes, what it depends on, and how to produce it. */
export interface PlannedFile {
  /** Repository-relative path, `/`-separated. */
  path: string;
  /** Platform whose files these are; null for shared files (registry, manifest, schema, package exports). */
  platformId: string | null;
  /**
   * Hash of every input of this file. When it equals the manifest's and the file on disk still has the recorded
   * hash, the file is up to date without producing it again. Absent for files cheap enough to always produce.
   */
  key?: string;
  /** Renders and returns the content (before formatting, when `format` is set). */
  produce: () => Promise<string>;
  /** Formatted with biome after producing (hand-shaped TypeScript from templates). */
  format: boolean;
  /** Part of the generated TypeScript program to type-check. */
  typeScript: boolean;
}

/** The manifest: input hashes and, per generated file, its key and content hash. */
export interface Manifest {
  generatedBy: string;
  generator: string;
  inputs: Record<string, string>;
  files: Record<string, { key: string; sha256: string }>;
}

export const MANIFEST_FILE = 'generated/adapters/manifest.json';

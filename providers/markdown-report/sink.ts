import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PostMortemSink } from '../types';

/** Post-mortems as Markdown files, one per incident; a rewrite replaces the file atomically. */
export class MarkdownFileSink implements PostMortemSink {
  constructor(private readonly dir: string) {}

  async open(incidentId: string, markdown: string): Promise<{ url: string }> {
    await mkdir(this.dir, { recursive: true });
    const file = path.resolve(this.dir, `${incidentId}.md`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, markdown, 'utf8');
    await rename(tmp, file);
    return { url: file };
  }
}

import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PermanentError, type PostMortemSink } from '../types';

/**
 * The incident ids Leakstop makes (`leak-aws-<16 hex>`, `leak-github-token-<16 hex>`,
 * `leak-unidentified-<reference>`): lower-case words joined by single dashes. Nothing else becomes a
 * file name, so no id can climb out of the folder, hide as a dotfile, or differ only in case.
 */
const SAFE_ID = /^leak(-[a-z0-9]+)+$/;
const MAX_ID = 200;

/**
 * Post-mortems as Markdown files, one per incident; a rewrite replaces the file atomically. A report
 * describes a security incident: the folder is the owner's only (0700), and so is each file (0600).
 */
export class MarkdownFileSink implements PostMortemSink {
  constructor(private readonly dir: string) {}

  async open(incidentId: string, markdown: string): Promise<{ url: string }> {
    const file = this.fileFor(incidentId);
    // Folders it creates are 0700; an existing folder keeps the mode its operator gave it.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, markdown, { encoding: 'utf8', mode: 0o600 });
    // writeFile keeps the mode of a file that already exists (a temp file left by a crash).
    await chmod(tmp, 0o600);
    await rename(tmp, file);
    return { url: file };
  }

  private fileFor(incidentId: string): string {
    if (incidentId.length > MAX_ID || !SAFE_ID.test(incidentId)) {
      throw new PermanentError(`incident id ${JSON.stringify(incidentId.slice(0, 80))} is not one Leakstop makes (leak-<lower-case words and digits, joined by dashes>); no report is written for it`, 'invalid');
    }
    const dir = path.resolve(this.dir);
    const file = path.resolve(dir, `${incidentId}.md`);
    // Belt and braces: the pattern already rules out separators and dots.
    if (path.dirname(file) !== dir) throw new PermanentError(`the report for ${incidentId} would land outside ${dir}`, 'invalid');
    return file;
  }
}

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MarkdownFileSink } from '../../providers/markdown-report/sink';
import { PermanentError } from '../../providers/types';

// The Markdown sink names the file after the incident id. An id that is not one Leakstop makes
// (`leak-aws-../../x`, an absolute path, a dotfile) must not write anywhere but the reports folder,
// and reports, which describe a security incident, are readable by their owner only.

const root = mkdtempSync(path.join(tmpdir(), 'leakstop-report-path-'));
const reports = path.join(root, 'data', 'reports');
const sink = new MarkdownFileSink(reports);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

test.each([
  'leak-aws-../../x',
  '../../x',
  'leak-aws-0123456789abcdef/../../../x',
  `leak-aws-${'..'}`,
  '/tmp/leak-aws-x',
  'leak-aws-x\0.md',
  'LEAK-AWS-X',
  '.leak-aws-x',
])('an incident id like %j is refused and nothing is written', async (id) => {
  const err = await sink.open(id, '# injected').then(() => undefined, (e: unknown) => e);
  expect(filesUnder(root)).toEqual([]);
  expect(err).toBeInstanceOf(PermanentError);
  expect((err as PermanentError).message).toMatch(/incident id .* is not one Leakstop makes/);
});

test('a report is written inside the folder, readable by its owner only; the folder too', async () => {
  const ids = ['leak-aws-0123456789abcdef', 'leak-github-token-0123456789abcdef', 'leak-unidentified-gitguardian-4711'];
  for (const id of ids) {
    const { url } = await sink.open(id, `# Post-mortem ${id}`);
    expect(path.dirname(url)).toBe(path.resolve(reports));
    expect(statSync(url).mode & 0o777).toBe(0o600);
  }
  expect(filesUnder(root).sort()).toEqual(ids.map((id) => path.join('data', 'reports', `${id}.md`)).sort());
  expect(statSync(reports).mode & 0o777).toBe(0o700);
});

// Text that came from outside (a file name in a scanned repository, a reporter's notes, a hook's
// error body, who reported it) is shown as text in every medium Leakstop writes: it never starts a
// line, block or heading of its own, and never becomes a link, HTML, a directive or a mention that
// notifies someone. Text Leakstop composes itself (headings, labels, its own formatting) is not
// passed through here. Pure, and names no provider: each renderer picks the escaper of its medium.

/** Line breaks of any convention, including Unicode's (some renderers honour them). */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;
/** Other control characters (tab is kept). */
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides and isolates: they reorder what people see ("Trojan Source"). Made visible. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;
/** Zero-width joiner: placed after `@` or `#`, it stops GitHub and Slack from reading a mention or reference, and shows nothing. */
const ZWJ = '\u200d';

/** The text as one line: line breaks become spaces, control characters go, bidi overrides show as �. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(CONTROLS, '').replace(BIDI, '\ufffd');
}

// ---- Markdown (CommonMark + GitHub's extensions) ----

/** Characters with an inline meaning anywhere in a line: emphasis, code, links, HTML, entities, strikethrough, table cells, math. */
const MARKDOWN_INLINE = /[\\`*_[\]<>~|&$]/g;
/** What makes a line a heading, list item, setext underline or ordered item when it starts one. */
const BLOCK_START = /^(\s*)([#+=-]|\d+(?=[.)]))/;

/**
 * Inline Markdown text, safe in a paragraph, a list item and a GFM table cell: every inline marker is
 * backslash-escaped (so `[x](y)`, `<img>`, `*`, `|` show as typed), it stays on one line, a leading
 * `#`, `-`, `+` or `1.` is escaped in case it lands at a line's start, bare URLs and `www.` are kept
 * from becoming links, and `@name`, `@org/team` and `#123` are kept from notifying or cross-referencing.
 */
export function markdownText(text: string): string {
  return oneLine(text)
    .replace(MARKDOWN_INLINE, '\\$&')
    .replace(BLOCK_START, (_m, space: string, marker: string) => (/^\d/.test(marker) ? `${space}${marker}\\` : `${space}\\${marker}`))
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWJ}`)
    .replace(/#(?=\d)/g, `#${ZWJ}`);
}

/**
 * An inline code span showing the value exactly. The fence is longer than any run of backticks in the
 * value, so the value cannot close it; it stays on one line, so it cannot start a block either. Code
 * is never linked, mentioned or parsed as HTML. In a table cell, pass the result through `markdownTableCell`.
 */
export function markdownCode(text: string): string {
  const value = oneLine(text);
  // Two backticks with nothing between are not a span but a literal run that could pair up later.
  if (value === '') return '` `';
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each side when both are there; the padding keeps a value that
  // starts or ends with a backtick apart from the fence.
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

/**
 * Inline Markdown (Leakstop's own plus escaped values) made safe as one GFM table cell: on one line,
 * and every pipe not already escaped is escaped (GFM splits cells on pipes even inside code spans).
 */
export function markdownTableCell(markdown: string): string {
  return oneLine(markdown).replace(/(?<!\\)\|/g, '\\|');
}

// ---- Mermaid ----

/** What a Mermaid timeline label may hold; everything else (`:` separators, `;`, `#` entities, `%%` directives, braces, quotes, HTML) becomes a space. */
const MERMAID_UNSAFE = /[^\p{L}\p{M}\p{N} _.,/()+'?!=@…-]/gu;

/** Text for one Mermaid timeline entry or title: one line of plain words, never syntax. */
export function mermaidText(text: string): string {
  return oneLine(text).replace(MERMAID_UNSAFE, ' ').replace(/\s+/g, ' ').trim() || '-';
}

// ---- Slack mrkdwn ----

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` as entities, as Slack documents, so `<!channel>`,
 * `<@U123>` and `<http://evil|click>` show as typed instead of notifying or linking; `@channel`,
 * `@here` and other bare `@names` are kept from being parsed as mentions; and it stays on one line,
 * so it cannot pass for a line Leakstop wrote.
 */
export function slackText(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWJ}`);
}

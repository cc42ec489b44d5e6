/**
 * Plain-text tables for the console: columns padded to their widest cell, numbers aligned right so their digits
 * line up. Widths count code points, which is right for the ASCII, ✔ and ✘ the summary prints.
 */
export type Align = 'left' | 'right';

const width = (s: string): number => [...s].length;

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const line = (r: readonly string[]) =>
    widths
      .map((w, c) => pad(r[c] ?? '', w, align[c] ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

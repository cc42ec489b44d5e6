/**
 * Escaping for text that ends up in the HTML report or its SVG. Scenario descriptions, targets and status keys
 * are data, and the page is opened from disk with the user's privileges, so nothing of theirs may become markup.
 * The same escape serves text and double- or single-quoted attribute values.
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A start tag's attributes; undefined and false leave an attribute out, so callers can pass optional ones. */
export type Attributes = Record<string, string | number | boolean | undefined>;

export function attrs(a: Attributes): string {
  let out = '';
  for (const [name, value] of Object.entries(a)) {
    if (value === undefined || value === false) continue;
    out += value === true ? ` ${name}="${name}"` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return out;
}

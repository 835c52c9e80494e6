// Escaping for the HTML view: everything that may come from the network (paths, headers, bodies) or a lab
// file goes through escapeHtml before it is placed in text or a quoted attribute (HTML Living Standard §13.1).

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside element content and single- or double-quoted attributes; control characters become U+FFFD. */
export function escapeHtml(value: unknown): string {
  return (
    String(value)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd')
      .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
  );
}

/** An id/class token made only of [a-z0-9-] (for ids derived from data). */
export function safeToken(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Markdown beyond this many characters is shown as plain text: parsing megabytes would stall the page. */
export const MARKDOWN_LIMIT = 100_000;
/** Plain text beyond this is cut, with a note saying how much was left out. */
export const TEXT_LIMIT = 400_000;

export interface RenderedText {
  html: string | null;
  plain: string | null;
  truncated: number;
}

/**
 * Markdown from an event file rendered to HTML that cannot run anything: marked parses it (GFM, so
 * tables work) and DOMPurify removes scripts, event handlers, javascript: URLs and the like.
 * Very long strings skip markdown and are shown as truncated plain text.
 */
export function renderMarkdown(src: string): RenderedText {
  if (src.length > MARKDOWN_LIMIT) {
    const cut = Math.min(src.length, TEXT_LIMIT);
    return { html: null, plain: src.slice(0, cut), truncated: src.length - cut };
  }
  const raw = marked.parse(src, { async: false, gfm: true, breaks: false }) as string;
  const html = DOMPurify.sanitize(raw, {
    FORBID_TAGS: ['style', 'form', 'input', 'button'],
    FORBID_ATTR: ['style'],
  });
  return { html, plain: null, truncated: 0 };
}

// The comment box of a gradable answer: sent on change and blur, and 600 ms after the last keystroke. A state push
// never overwrites text the grader is still typing (focused and not yet acknowledged by the host).

const DEBOUNCE_MS = 600;

interface CommentBox {
  /** Last text the host sent (or that we showed from it). */
  fromHost: string;
  /** Last text posted to the host. */
  sent: string;
  timer: number | undefined;
  send: (text: string) => void;
}

const boxes = new WeakMap<HTMLTextAreaElement, CommentBox>();

/** Wires a freshly built comment textarea; `send` posts the comment for its answer. */
export function initComment(textarea: HTMLTextAreaElement, text: string, send: (text: string) => void): void {
  textarea.value = text;
  boxes.set(textarea, { fromHost: text, sent: text, timer: undefined, send });
  textarea.addEventListener('input', () => {
    const box = boxes.get(textarea);
    if (!box) return;
    if (box.timer !== undefined) window.clearTimeout(box.timer);
    box.timer = window.setTimeout(() => flushComment(textarea), DEBOUNCE_MS);
  });
  textarea.addEventListener('change', () => flushComment(textarea));
  textarea.addEventListener('blur', () => flushComment(textarea));
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      textarea.blur();
    }
  });
}

/** Posts the textarea's text now if it differs from what was last posted. */
export function flushComment(textarea: HTMLTextAreaElement): void {
  const box = boxes.get(textarea);
  if (!box) return;
  if (box.timer !== undefined) window.clearTimeout(box.timer);
  box.timer = undefined;
  if (textarea.value === box.sent) return;
  box.sent = textarea.value;
  box.send(textarea.value);
}

/** Applies the host's comment unless the grader is typing something the host has not confirmed yet. */
export function syncComment(textarea: HTMLTextAreaElement, incoming: string): void {
  const box = boxes.get(textarea);
  if (!box) return;
  if (textarea.value === incoming) {
    box.fromHost = incoming;
    box.sent = incoming;
    return;
  }
  const typing = document.activeElement === textarea;
  if (typing && (textarea.value !== box.fromHost || box.timer !== undefined)) return;
  textarea.value = incoming;
  box.fromHost = incoming;
  box.sent = incoming;
}

export function flushComments(root: ParentNode): void {
  root.querySelectorAll<HTMLTextAreaElement>('textarea.comment').forEach(flushComment);
}

/**
 * Stops pending sends without posting them: used when the host itself moved to another example, where a late
 * `comment` (which names only a slot) would land on the wrong example.
 */
export function dropComments(root: ParentNode): void {
  root.querySelectorAll<HTMLTextAreaElement>('textarea.comment').forEach((textarea) => {
    const box = boxes.get(textarea);
    if (box?.timer !== undefined) window.clearTimeout(box.timer);
    boxes.delete(textarea);
  });
}

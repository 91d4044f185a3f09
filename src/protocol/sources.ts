/** A retrieved source as a panel shows it (Playground, Grading): numbered as in the prompt, with its NIH site and
 * link. Rows record them as `retrieved` (docs/protocol.md #3 and #6). */
export interface ShownSource {
  n: number;
  id: string;
  question: string;
  /** The NIH site (MedQuAD's collection source), when known. */
  source: string | null;
  url: string | null;
  text: string;
  /** Cut to fit the prompt's token budget. */
  cut: boolean;
}

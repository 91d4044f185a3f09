/** A chat turn as the chat templates take it: shared by the tokenizer, the inference worker and its protocol. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

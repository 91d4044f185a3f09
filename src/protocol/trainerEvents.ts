/** Moved: the trainer's event contract is src/protocol/trainer/events.ts (valibot schemas, types inferred). */
export * from './trainer/events';

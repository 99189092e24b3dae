/** A bad input, model or option: the message is one sentence naming the file and the problem. */
export class InputError extends Error {
  override name = 'InputError';
}

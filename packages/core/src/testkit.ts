/** Test helper (not exported by the package): the SsbenchError a call throws, so tests can check its fields. */
import { SsbenchError } from './errors';

/** The SsbenchError `fn` throws; another error is rethrown, and not throwing fails the test. */
export function caught(fn: () => unknown): SsbenchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SsbenchError) return e;
    throw e;
  }
  throw new Error('expected an SsbenchError, nothing was thrown');
}

/** Like `caught`, for a promise that must reject with an SsbenchError. */
export async function caughtAsync(p: Promise<unknown>): Promise<SsbenchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SsbenchError) return e;
    throw e;
  }
  throw new Error('expected an SsbenchError, nothing was thrown');
}

/**
 * Node 20 lacks Promise.withResolvers (Node 22 has it), which aws-local-stepfunctions calls
 * for every Task state. Loaded only by the local runner and the tests, never by Lambdas.
 */
type WithResolvers = <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: WithResolvers };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};

/** The AWS SDK warns on every start under Node 20 (its future releases need 22): say it once in the README, not on every command. */
const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
(process as unknown as { emitWarning: (...args: unknown[]) => void }).emitWarning = (warning: unknown, ...rest: unknown[]) => {
  const name = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (name === 'NodeVersionSupportWarning' || /NodeVersionSupportWarning/.test(String((warning as Error)?.message ?? warning))) return;
  emit(warning, ...rest);
};

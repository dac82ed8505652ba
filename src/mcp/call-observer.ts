/** Wraps every resource read and prompt get: metrics, logs, and shutdown waiting for it. */
export interface CallObserver {
  observe<T>(kind: 'resource' | 'prompt', name: string, work: () => Promise<T>): Promise<T>;
}

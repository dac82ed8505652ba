import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who a piece of upstream work is done for: the label of the API key behind an MCP call (or
 * "stdio"/"anonymous"). The MCP layer sets it around each call; the cache reads it to charge a
 * miss to its caller. It travels in async context because every tool, report and service method
 * between the two would otherwise grow a parameter that only the cache reads. Work done outside
 * any call (health checks, admin) has no caller and is not charged.
 */
const callerContext = new AsyncLocalStorage<string>();

export function runAsCaller<T>(caller: string, work: () => T): T {
  return callerContext.run(caller, work);
}

export function currentCaller(): string | undefined {
  return callerContext.getStore();
}

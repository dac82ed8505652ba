import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { runInThisContext } from 'node:vm';

// Specs assert on behaviour, not on log lines; keep their output readable.
Logger.overrideLogger(false);

// Node.js 20 defines Symbol.dispose and Symbol.asyncDispose in its own realm only (V8 has them
// from Node.js 24 on); Jest runs specs in a realm of their own, where a library disposing
// Node's objects (playwright-core's `using` on timers) would not find their dispose methods.
for (const name of ['dispose', 'asyncDispose'] as const) {
  if (Symbol[name] === undefined) {
    Object.defineProperty(Symbol, name, { value: runInThisContext(`Symbol.${name}`) as symbol });
  }
}

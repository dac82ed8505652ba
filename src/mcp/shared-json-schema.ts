import type { z } from 'zod';

type Converter = (options: Record<string, unknown>) => Record<string, unknown>;

interface StandardWithJsonSchema {
  jsonSchema?: { input: Converter; output: Converter };
}

/**
 * Remembers a schema's JSON Schema conversion. The SDK converts tool and prompt schemas once per
 * server instance, and there is one instance per session; the schemas never change, so one
 * conversion per process is enough. Returns the same schema object.
 */
export function shareJsonSchema<T extends z.ZodType>(schema: T): T {
  const standard = (schema as unknown as { '~standard': StandardWithJsonSchema })['~standard'];
  const convert = standard.jsonSchema;
  if (!convert || (convert as { shared?: boolean }).shared) return schema;
  const cache = new Map<string, Record<string, unknown>>();
  const memo =
    (io: 'input' | 'output'): Converter =>
    (options) => {
      const key = `${io}:${JSON.stringify(options)}`;
      let result = cache.get(key);
      if (!result) {
        result = deepFreeze(convert[io](options));
        cache.set(key, result);
      }
      return result;
    };
  Object.defineProperty(schema, '~standard', {
    value: {
      ...standard,
      jsonSchema: { input: memo('input'), output: memo('output'), shared: true },
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return schema;
}

/** Shared between all servers, so nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

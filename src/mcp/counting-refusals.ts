import type { StandardSchemaV1 } from '@modelcontextprotocol/server';

/**
 * The same schema for the SDK (its JSON Schema, its validation) with `refused` called each time
 * a value fails validation: the SDK refuses bad tool arguments before the tool runs, so this is
 * where a refusal can be counted. A new object: the schema itself, shared, is left as it is.
 */
export function countingRefusals<T extends StandardSchemaV1>(schema: T, refused: () => void): T {
  const standard = schema['~standard'];
  const noteRefusal = (result: StandardSchemaV1.Result<unknown>) => {
    if (result.issues !== undefined) refused();
    return result;
  };
  const validate: StandardSchemaV1['~standard']['validate'] = (value) => {
    const result = standard.validate(value);
    return result instanceof Promise ? result.then(noteRefusal) : noteRefusal(result);
  };
  return { '~standard': { ...standard, validate } } as unknown as T;
}

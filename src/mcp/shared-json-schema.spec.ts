import { z } from 'zod';
import { shareJsonSchema } from './shared-json-schema';

describe('shareJsonSchema', () => {
  it('converts once and keeps validating', async () => {
    const schema = shareJsonSchema(z.object({ city: z.string().default('bern') }));
    const standard = schema['~standard'] as unknown as {
      jsonSchema: { input: (o: object) => object };
      validate: (v: unknown) => Promise<{ value?: unknown }> | { value?: unknown };
    };
    const first = standard.jsonSchema.input({ target: 'draft-2020-12' });
    expect(first).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string', default: 'bern' } },
    });
    expect(standard.jsonSchema.input({ target: 'draft-2020-12' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect((await standard.validate({})).value).toEqual({ city: 'bern' });
    expect(schema.parse({ city: 'thun' })).toEqual({ city: 'thun' });
  });

  it('is idempotent', () => {
    const schema = z.object({ a: z.number() });
    expect(shareJsonSchema(shareJsonSchema(schema))).toBe(schema);
  });
});

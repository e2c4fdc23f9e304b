/**
 * Route schema compilers. Bodies are validated strictly: no type coercion, no silently removed
 * fields (unknown fields are an error, SPEC §2). Query strings and params are strings on the wire,
 * so there coercion of declared numeric/boolean types is allowed.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: true };
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const wireAjv = addFormats(new Ajv({ ...common, coerceTypes: true }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : wireAjv;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};

export { duration } from './duration.js';
export { parseOptions } from './parse.js';
export {
  CORE_OPTION_KEYS,
  type CoreOptions,
  type CoreOptionsInput,
  type Duration,
  coreOptionsSchema,
  defaultMemberId,
  TOOZ_ALIASES,
} from './core-options.js';

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConnectionError, InvalidArgumentError } from '../errors/errors.js';
import type { DriverModule } from '../spi/driver.js';
import { knownDriverForScheme, missingDriverHint } from './known-drivers.js';

type Loader = () => Promise<DriverModule>;

const registered = new Map<string, Loader>();

/** Makes `connect('<scheme>://...')` use this module, ahead of any lazy lookup. */
export function registerDriver(schemes: string | readonly string[], module: DriverModule | Loader): void {
  const loader: Loader = typeof module === 'function' ? module : async () => module;
  for (const scheme of typeof schemes === 'string' ? [schemes] : schemes) registered.set(scheme.toLowerCase(), loader);
}

function isDriverModule(value: unknown): value is DriverModule {
  return typeof value === 'object' && value !== null && typeof (value as DriverModule).fromUrl === 'function';
}

/**
 * Loads a driver package by name, or answers undefined when it is not
 * installed. A plain `import()` resolves from core's own location, which a
 * strict pnpm layout hides the application's packages from, so the
 * application's directories are tried too: the entry script's and the
 * working directory. Only the package itself being absent counts as not
 * installed: an installed driver whose own dependency is missing, or that
 * cannot be loaded, is an error that says so.
 */
async function importPackage(packageName: string): Promise<unknown | undefined> {
  try {
    return await import(packageName);
  } catch (error) {
    if (!isMissing(error, packageName)) throw error;
  }
  const bases = [process.argv[1] ? dirname(process.argv[1]) : undefined, process.cwd()];
  for (const base of bases) {
    if (!base) continue;
    let resolved: string;
    try {
      resolved = createRequire(pathToFileURL(`${base}/`).href).resolve(packageName);
    } catch (error) {
      if (isMissing(error, packageName)) continue;
      throw error;
    }
    return import(pathToFileURL(resolved).href);
  }
  return undefined;
}

/** Whether `error` says that `packageName` itself cannot be found (not one of its imports). */
function isMissing(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Node names the missing specifier in quotes: "Cannot find package '<name>' imported from ..."
  // or "Cannot find module '<name>'"; a missing file inside the package names its path instead.
  return typeof message === 'string' && message.includes(`'${packageName}'`);
}

export async function loadDriverModule(scheme: string): Promise<DriverModule> {
  const loader = registered.get(scheme);
  if (loader) return loader();
  const known = knownDriverForScheme(scheme);
  const packageName = known?.packageName ?? `@tooz/driver-${scheme.split('+')[0]}`;
  let loaded: unknown;
  try {
    loaded = await importPackage(packageName);
  } catch (error) {
    throw new ConnectionError(`Loading ${packageName} for "${scheme}://" failed`, { cause: error, retryable: false });
  }
  if (loaded === undefined) {
    throw new InvalidArgumentError(
      'url',
      `unknown scheme "${scheme}": ${missingDriverHint(known, packageName, scheme)}`,
    );
  }
  const module = (loaded as { default?: unknown }).default ?? loaded;
  if (isDriverModule(module)) return module;
  if (isDriverModule(loaded)) return loaded;
  throw new InvalidArgumentError('url', `${packageName} does not export fromUrl(); is it a @tooz driver?`);
}

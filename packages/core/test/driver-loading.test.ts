import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, connect, InvalidArgumentError } from '../src/index.js';

// connect('<scheme>://') finds @tooz/driver-<scheme> in the application's own
// node_modules (here: the working directory's), as a strict pnpm layout
// requires, and tells "not installed" apart from "installed but broken".
let app: string;
const cwd = process.cwd();

/** Writes an ESM package into the application's node_modules. */
function installPackage(name: string, exports: Record<string, string>, source: string): void {
  const dir = join(app, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', exports: { '.': exports } }));
  writeFileSync(join(dir, 'index.js'), source);
}

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'tooz-loading-'));
  const marker = 'export function fromUrl() { throw new Error("zzloaded fromUrl was called"); }\n';
  installPackage('@tooz/driver-zzloaded', { import: './index.js', default: './index.js' }, marker);
  installPackage(
    '@tooz/driver-zzbroken',
    { import: './index.js', default: './index.js' },
    `import 'tooz-no-such-dependency';\n${marker}`,
  );
  // ESM-only exports: present, but a resolver outside the package's importers cannot reach them.
  installPackage('@tooz/driver-zzimportonly', { import: './index.js' }, marker);
  installPackage('@tooz/driver-zzunbuilt', { import: './dist/index.js', default: './dist/index.js' }, marker);
  process.chdir(app);
});
afterEach(() => process.chdir(app));
afterAll(() => {
  process.chdir(cwd);
  rmSync(app, { recursive: true, force: true });
});

async function failure(url: string): Promise<unknown> {
  return connect(url).then(
    () => {
      throw new Error(`connect(${url}) succeeded`);
    },
    (error: unknown) => error,
  );
}

const causes = (error: unknown): string => {
  const messages: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    messages.push(String(e.message));
  }
  return messages.join(' <- ');
};

describe('connect(url) loading a driver package from the application', () => {
  it('loads an installed driver from the working directory and calls its fromUrl', async () => {
    const error = await failure('zzloaded://h');
    expect(causes(error)).toContain('zzloaded fromUrl was called');
  });

  it('an installed driver missing a dependency of its own: an error naming that dependency, not "install it"', async () => {
    const error = await failure('zzbroken://h');
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(InvalidArgumentError);
    expect(causes(error)).toContain('tooz-no-such-dependency');
  });

  it('an installed driver whose entry file is missing (not built): a loading error, not "install it"', async () => {
    const error = await failure('zzunbuilt://h');
    expect(error).toBeInstanceOf(ConnectionError);
    expect(causes(error)).toContain('dist');
  });

  it('an installed driver exporting for import only: a loading error naming why, not "install it"', async () => {
    const error = await failure('zzimportonly://h');
    expect(error).toBeInstanceOf(ConnectionError);
    expect(causes(error)).toContain('exports');
  });

  it('a scheme no package serves: names registerDriver, never a package that does not exist', async () => {
    const error = await failure('zzabsent://h');
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).not.toContain('@tooz/driver-zzabsent');
    expect((error as Error).message).toContain("registerDriver('zzabsent', module)");
  });
});

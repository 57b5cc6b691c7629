// The API reference (`pnpm docs` → docs/api/): one module per public entry of
// every published package, read from the `exports` of each package.json so a
// new subpath is documented (and held to the rules below) without editing
// this file. Each entry file names its module with a `@module` tag.
import { readdirSync, readFileSync } from 'node:fs';

function publicPackages() {
  const packages = [];
  for (const dir of readdirSync('packages').sort()) {
    let pkg;
    try {
      pkg = JSON.parse(readFileSync(`packages/${dir}/package.json`, 'utf8'));
    } catch {
      continue;
    }
    if (!pkg.private && pkg.exports) packages.push({ dir, pkg });
  }
  return packages;
}

const packages = publicPackages();
const entryPoints = packages.flatMap(({ dir, pkg }) =>
  Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    // `./internal` entries are declared outside semver (the repository's own tests use them).
    if (/(^|\/)internal$/.test(subpath)) return [];
    // The `development` condition is the source file; `./package.json` has none.
    const source = typeof target === 'object' && target !== null ? target.development : undefined;
    return typeof source === 'string' ? [`packages/${dir}/${source.replace(/^\.\//, '')}`] : [];
  }),
);

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'tooz',
  entryPoints,
  entryPointStrategy: 'resolve',
  tsconfig: 'tsconfig.json',
  out: 'docs/api',
  readme: 'none',
  // `pnpm typecheck` runs before this in scripts/test.sh; checking again only costs time.
  skipErrorChecking: true,
  excludePrivate: true,
  excludeProtected: true,
  excludeInternal: true,
  // Members inherited from rxjs (Leadership extends Observable) carry rxjs's own comments and links.
  excludeExternals: true,
  externalSymbolLinkMappings: {
    rxjs: {
      Observable: 'https://rxjs.dev/api/index/class/Observable',
      Subscription: 'https://rxjs.dev/api/index/class/Subscription',
      SchedulerLike: 'https://rxjs.dev/api/index/interface/SchedulerLike',
      OperatorFunction: 'https://rxjs.dev/api/index/interface/OperatorFunction',
      MonoTypeOperatorFunction: 'https://rxjs.dev/api/index/interface/MonoTypeOperatorFunction',
    },
  },
  highlightLanguages: ['typescript', 'javascript', 'json', 'bash', 'shell', 'sql', 'lua', 'ini'],
  sourceLinkTemplate: 'https://github.com/tooz-ts/tooz/blob/main/{path}#L{line}',
  disableGit: true,
  plugin: ['./scripts/typedoc-inferred-fields.mjs'],
  validation: {
    notDocumented: true,
    invalidLink: true,
    invalidPath: true,
    // A public signature naming an unexported helper type is a surface question for the
    // package, not a documentation failure; the reference shows the type by name.
    notExported: false,
  },
  // Without this TypeDoc holds only the root (private) package to the rule.
  packagesRequiringDocumentation: packages.map(({ pkg }) => pkg.name),
  requiredToBeDocumented: [
    'Class',
    'Interface',
    'Function',
    'TypeAlias',
    'Enum',
    'Variable',
    'Method',
    'Property',
    'Accessor',
  ],
  treatValidationWarningsAsErrors: true,
};

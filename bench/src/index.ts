/**
 * `pnpm bench [name...]`: every benchmark, or the ones named (core, file,
 * redis, postgres, etcd, zookeeper). Each prints its results as ratios
 * against baselines measured in the same run. Driver benchmarks start their
 * own server on loopback. Fixture start-up times: `node bench/dist/fixtures-startup.js`.
 */
const BENCHES: Record<string, () => Promise<{ main(): Promise<void> }>> = {
  core: () => import('./core-overhead.js'),
  file: () => import('./file.js'),
  redis: () => import('./redis.js'),
  postgres: () => import('./postgres.js'),
  etcd: () => import('./etcd.js'),
  zookeeper: () => import('./zookeeper.js'),
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : Object.keys(BENCHES)) {
  console.log(`\n=== ${name} ===`);
  const bench = await BENCHES[name]?.();
  await bench?.main();
}
process.exit(0);

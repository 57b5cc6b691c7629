/**
 * MySQL/MariaDB driver: locks, groups and leadership on MySQL/MariaDB sessions (GET_LOCK), with fencing.
 *
 * @packageDocumentation
 * @module @tooz/driver-mysql
 */
export { fromUrl, mysql, mysqlCapabilities } from './driver.js';
export { MysqlKeys } from './keys.js';
export type { LockMode, MysqlOptions } from './options.js';

import { ConnectionError, type Coordinator, connect, isToozError, KNOWN_DRIVERS, parseConnectionUrl } from '@tooz/core';
import { connectArguments, type GlobalOptions } from './connect-options.js';
import type { Ui } from './ui/ui.js';

/** The URL's driver package is not installed: the message says how to install it. */
export class DriverNotInstalledError extends ConnectionError {
  constructor(
    readonly packageName: string,
    scheme: string,
    planned = false,
  ) {
    super(
      planned
        ? `${scheme}:// needs the driver package ${packageName}, which is planned and not published yet.`
        : `${scheme}:// needs the driver package ${packageName}, which is not installed. ` +
            `Install it beside @tooz/cli (npm install -g ${packageName}), ` +
            `or run: npx -p @tooz/cli -p ${packageName} tooz ...`,
      { retryable: false },
    );
  }
}

/**
 * Connects as `connect()` does (the URL's scheme loads `@tooz/driver-<name>`,
 * an optional peer of this package), showing on a terminal what it connects
 * to while it waits. Core refuses a scheme whose package is missing with an
 * InvalidArgumentError on `url` that names the package; that becomes
 * DriverNotInstalledError, a connection failure rather than bad usage.
 */
export async function openCoordinator(globals: GlobalOptions, ui: Ui): Promise<Coordinator> {
  const { url, options } = connectArguments(globals);
  const parsed = parseConnectionUrl(url);
  ui.progress.waiting(() => `connecting to ${parsed.redacted}`);
  try {
    return await connect(url, options);
  } catch (error) {
    const known = KNOWN_DRIVERS.find((driver) => driver.schemes.includes(parsed.scheme));
    if (known && isToozError(error, 'INVALID_ARGUMENT') && error.message.includes(known.packageName)) {
      throw new DriverNotInstalledError(known.packageName, parsed.scheme, known.status === 'planned');
    }
    throw error;
  } finally {
    ui.progress.done();
  }
}

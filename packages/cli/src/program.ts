import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import type { CommandBody } from './command-context.js';
import { doctor } from './commands/doctor.js';
import { elect, electOptions } from './commands/elect.js';
import { groups } from './commands/groups.js';
import { join, joinOptions } from './commands/join.js';
import { leader } from './commands/leader.js';
import { lock, lockOptions } from './commands/lock.js';
import { lockHolder } from './commands/lock-holder.js';
import { members } from './commands/members.js';
import { watch } from './commands/watch.js';
import type { GlobalOptions } from './connect-options.js';
import { describeError } from './describe-error.js';
import { exitCodeFor } from './exit-codes.js';
import { HELP_FOOTER } from './help.js';

/** Runs a command body with the global options; resolves with the exit code. */
export type Runner = (globals: GlobalOptions, body: CommandBody) => Promise<number>;

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The `tooz` command line. Every action hands its body to `run`, which
 * connects, runs it and closes; the exit code lands in `exitCode.value`.
 */
export function buildProgram(run: Runner, exitCode: { value: number }): Command {
  const program = new Command('tooz')
    .description('Inspect and use tooz coordination (groups, leaders, locks) on any backend URL.')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(run tooz --help for usage)')
    .addOption(new Option('--url <url>', 'backend URL, e.g. redis://127.0.0.1:6379').env('TOOZ_URL'))
    .addOption(
      new Option('--namespace <name>', 'prefix of every key, path or table (default: tooz)').env('TOOZ_NAMESPACE'),
    )
    .option('--member-id <id>', "this member's id (default: <hostname>-<pid>-<random>)")
    .option('--ttl <duration>', 'default TTL of locks, memberships and leader seats (default: 10s)')
    .option('--lock-ttl <duration>', 'TTL of locks (default: --ttl)')
    .option('--membership-ttl <duration>', 'TTL of memberships (default: --ttl)')
    .option('--leader-ttl <duration>', 'TTL of leader seats (default: --ttl)')
    .option('--retry-delay <duration>', 'first delay between retries of a failed backend call (default: 50ms)')
    .option('--max-retry-delay <duration>', 'largest delay between retries (default: 2s)')
    .option('--stand-down-grace <duration>', 'how long a leader that stood down waits for a successor')
    .option('-o, --option <key=value>', 'a driver option, as in the URL query (repeatable)', collect)
    .option('-q, --quiet', 'no progress on the terminal')
    .addHelpText('after', HELP_FOOTER);

  // The body is built before connecting, so a bad argument is refused with nothing done.
  const action =
    (build: (command: Command) => CommandBody) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      let body: CommandBody;
      try {
        body = build(command);
      } catch (error) {
        process.stderr.write(`tooz: ${describeError(error)}\n`);
        exitCode.value = exitCodeFor(error);
        return;
      }
      exitCode.value = await run(command.optsWithGlobals<GlobalOptions>(), body);
    };
  const json = ['--json', 'JSON for scripts instead of a table'] as const;

  program
    .command('groups')
    .description('list the groups and how many members each has')
    .option(...json)
    .action(action((c) => (context) => groups(context, c.opts())));

  program
    .command('members')
    .description('list the members of a group with their capabilities (decoded), and its leader')
    .argument('<group>')
    .option(...json)
    .action(action((c) => (context) => members(context, String(c.args[0]), c.opts())));

  program
    .command('leader')
    .description('show who leads a group')
    .argument('<group>')
    .option(...json)
    .action(action((c) => (context) => leader(context, String(c.args[0]), c.opts())));

  program
    .command('lock-holder')
    .description('show who holds a lock, with its fencing token')
    .argument('<name>')
    .option(...json)
    .action(action((c) => (context) => lockHolder(context, String(c.args[0]), c.opts())));

  program
    .command('watch')
    .description('print membership events and leader changes as they happen, until interrupted')
    .argument('<group>')
    .option('--json', 'one JSON object per line')
    .action(action((c) => (context) => watch(context, String(c.args[0]), c.opts())));

  program
    .command('lock')
    .description('run a command while holding a lock (flock across hosts); its fencing token is in TOOZ_FENCING_TOKEN')
    .argument('<name>')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--wait <duration>', 'give up after waiting this long, exit 3 (default: wait for ever; 0: try once)')
    .option('--grace <duration>', 'after SIGTERM on a lost lock, how long before SIGKILL', '5s')
    .action(
      action((c) => {
        const options = lockOptions(c.opts());
        return (context) => lock(context, String(c.args[0]), c.args.slice(1), options);
      }),
    );

  program
    .command('elect')
    .description('run a command only while leading a group (stopped on loss or stand-down, SIGUSR2)')
    .argument('<group>')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--restart', 'when the command ends on its own, stand down and stand again instead of exiting')
    .option('--grace <duration>', 'after SIGTERM, how long before SIGKILL', '5s')
    .action(
      action((c) => {
        const options = electOptions(c.opts());
        return (context) => elect(context, String(c.args[0]), c.args.slice(1), options);
      }),
    );

  program
    .command('join')
    .description('be a member of a group until interrupted')
    .argument('<group>')
    .option('--capabilities <json>', 'what this member advertises, as JSON')
    .option('--create', 'create the group if it does not exist')
    .option('--json', 'a JSON line when joined (and when the membership was lost and is joined again)')
    .action(
      action((c) => {
        const options = joinOptions(c.opts());
        return (context) => join(context, String(c.args[0]), options);
      }),
    );

  program
    .command('doctor')
    .description('check the connection, the driver and the server; exit 1 if something needs fixing')
    .option(...json)
    .action(action((c) => (context) => doctor(context, c.opts())));

  return program;
}

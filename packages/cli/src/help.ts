/** The part of `tooz --help` after the commands: durations, environment, exit codes. */
export const HELP_FOOTER = `
Durations: 500ms, 30s, 2m, 1h; a bare number is seconds.
Commands run under lock and elect go after "--": tooz lock nightly -- ./backup.sh --full

Environment:
  TOOZ_URL                the backend URL when --url is not given
  TOOZ_NAMESPACE          the namespace when --namespace is not given
  TOOZ_FENCING_TOKEN      (set for the command of lock and elect) the lock's or the term's fencing token

Exit codes:
  0     done (watch and join: interrupted, everything left)
  1     failed, or doctor found something to fix
  2     bad usage
  3     lock not acquired within --wait
  4     lock lost: the command was stopped
  5     could not connect (backend unreachable, credentials refused, driver package not installed)
  126   the command could not be run; 127 it was not found
  128+n interrupted by signal n before the command started (130: Ctrl-C)
  lock and elect otherwise exit with the command's own status.
`;

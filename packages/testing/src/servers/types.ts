/** Paths of the PEM files generated for a TLS flavour; all live in the server's temporary directory. */
export interface CertPaths {
  /** The test CA that signed both certificates: trust it in clients. */
  readonly ca: string;
  /** The server's certificate, for 127.0.0.1 and localhost. */
  readonly serverCert: string;
  /** The server's private key. */
  readonly serverKey: string;
  /** A client certificate signed by the same CA, for servers that verify clients. */
  readonly clientCert: string;
  /** The client certificate's private key. */
  readonly clientKey: string;
}

/**
 * One server process under test control. Stopping, killing or pausing it is
 * what the tests are for, so every transition is explicit and awaited.
 */
export interface ServerHandle extends AsyncDisposable {
  /** Which server this is: `redis`, `etcd`, `zookeeper`… plus a member index in clusters. */
  readonly name: string;
  /** The address it listens on (loopback, or the namespace's address). */
  readonly host: string;
  /** The client port it listens on; kept across restarts. */
  readonly port: number;
  /** Connection URL for this server alone, with credentials when the flavour has them. */
  readonly url: string;
  /** The server's own temporary directory (data, config, log, certificates). */
  readonly dir: string;
  /** The server's combined stdout and stderr, appended across restarts. */
  readonly logFile: string;
  /** PID of the current (or, once stopped, the last) server process. */
  readonly pid: number;
  /** True from a successful start until stop(), kill() or an exit of its own. */
  readonly running: boolean;
  /** True between pause() and resume(). */
  readonly paused: boolean;
  /** Starts it again after stop() or kill(): same port, same directory. */
  start(): Promise<void>;
  /** Graceful shutdown: the server's own stop signal, SIGKILL if it hangs; resolves once it exited. */
  stop(): Promise<void>;
  /** stop() then start(): what survives is what the real server keeps on a clean shutdown. */
  restart(): Promise<void>;
  /** SIGKILL to the server's whole process group; resolves once it exited. */
  kill(): Promise<void>;
  /**
   * SIGSTOP to every process of the server; resolves once every thread has
   * stopped. Connections stay open, nothing answers.
   */
  pause(): Promise<void>;
  /** SIGCONT after pause(); resolves once every thread runs again. */
  resume(): Promise<void>;
  /** The log so far, for assertions and for failure messages. */
  readLog(): Promise<string>;
}

/** Several servers forming one service (a quorum, a primary with replicas and sentinels). */
export interface ClusterHandle<Member extends ServerHandle = ServerHandle> extends AsyncDisposable {
  /** The member servers, in start order. */
  readonly members: readonly Member[];
  /** Connection URL listing every member. */
  readonly url: string;
  /** The member that currently leads, as the members themselves report it. */
  leader(): Promise<Member>;
  /** Stops every member (in parallel). */
  stop(): Promise<void>;
}

/** The TLS flavour, where a server supports it. */
export interface TlsOptions {
  /** Require clients to present a certificate signed by the test CA (default false). */
  readonly clientAuth?: boolean;
}

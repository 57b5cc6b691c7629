import { type ACL, type Client, createClient, type Stat } from 'node-zookeeper-client';

/** A plain ZooKeeper client for tests to look at what the driver wrote, promise-style. */
export class Inspector {
  private constructor(private readonly client: Client) {}

  static async connect(hostPort: string, auth?: string): Promise<Inspector> {
    const client = createClient(hostPort, { sessionTimeout: 10_000, retries: 0, spinDelay: 100 });
    if (auth !== undefined) client.addAuthInfo('digest', Buffer.from(auth));
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        client.close();
        reject(new Error(`could not connect to ${hostPort}`));
      }, 30_000);
      client.once('connected', () => {
        clearTimeout(guard);
        resolve();
      });
      client.connect();
    });
    return new Inspector(client);
  }

  children(path: string): Promise<string[]> {
    return new Promise((resolve, reject) =>
      this.client.getChildren(path, (error, children) => (error ? reject(error) : resolve(children))),
    );
  }

  /** Children, or [] when the node does not exist. */
  async childrenOrNone(path: string): Promise<string[]> {
    return this.children(path).catch(() => []);
  }

  data(path: string): Promise<{ data: Buffer; stat: Stat }> {
    return new Promise((resolve, reject) =>
      this.client.getData(path, (error, data, stat) => (error ? reject(error) : resolve({ data, stat }))),
    );
  }

  exists(path: string): Promise<Stat | null> {
    return new Promise((resolve, reject) =>
      this.client.exists(path, (error, stat) => (error ? reject(error) : resolve(stat ?? null))),
    );
  }

  acl(path: string): Promise<ACL[]> {
    return new Promise((resolve, reject) =>
      this.client.getACL(path, (error, acls) => (error ? reject(error) : resolve(acls))),
    );
  }

  remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.remove(path, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    this.client.close();
  }
}

import { type Client, createClient, type Option } from 'node-zookeeper-client';

/** Promise wrappers over node-zookeeper-client, which is callback-only. */
export interface Zk {
  readonly client: Client;
  create(path: string, data?: string): Promise<string>;
  getData(path: string): Promise<string>;
  getChildren(path: string): Promise<string[]>;
  close(): void;
}

export function wrap(client: Client): Zk {
  return {
    client,
    create: (path, data = '') =>
      new Promise((resolve, reject) =>
        client.create(path, Buffer.from(data), (error, created) => (error ? reject(error) : resolve(created))),
      ),
    getData: (path) =>
      new Promise((resolve, reject) =>
        client.getData(path, (error, data) => (error ? reject(error) : resolve(data?.toString() ?? ''))),
      ),
    getChildren: (path) =>
      new Promise((resolve, reject) =>
        client.getChildren(path, (error, children) => (error ? reject(error) : resolve(children))),
      ),
    close: () => client.close(),
  };
}

/** Connects and resolves once the session is established. */
export function connectZk(connectString: string, options: Partial<Option> = {}, auth?: string): Promise<Zk> {
  const client = createClient(connectString, { sessionTimeout: 20_000, spinDelay: 100, retries: 0, ...options });
  if (auth !== undefined) client.addAuthInfo('digest', Buffer.from(auth));
  return new Promise((resolve) => {
    client.once('connected', () => resolve(wrap(client)));
    client.connect();
  });
}

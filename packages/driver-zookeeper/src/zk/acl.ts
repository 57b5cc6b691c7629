import { createHash } from 'node:crypto';
import { ACL, Id, Permission } from 'node-zookeeper-client';
import type { ZookeeperConfig } from '../options.js';

/** The id ZooKeeper's digest scheme stores in ACLs: `user:base64(sha1("user:password"))`. */
export function digestId(username: string, password: string): string {
  return `${username}:${createHash('sha1').update(`${username}:${password}`).digest('base64')}`;
}

/** The ACL of every node the driver creates, as Python tooz sets it (`make_digest_acl(user, password, all=True)`). */
export function aclFor(config: ZookeeperConfig): ACL[] {
  if (config.acl === 'creator' && config.auth) {
    return [new ACL(Permission.ALL, new Id('digest', digestId(config.auth.username, config.auth.password)))];
  }
  return [new ACL(Permission.ALL, new Id('world', 'anyone'))];
}

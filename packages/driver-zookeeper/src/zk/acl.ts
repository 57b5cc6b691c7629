import { createHash } from 'node:crypto';
import { ACL, Id, Permission } from 'node-zookeeper-client';
import type { ZookeeperSettings } from '../options.js';

/** The id ZooKeeper's digest scheme stores in ACLs: `user:base64(sha1("user:password"))`. */
export function digestId(username: string, password: string): string {
  return `${username}:${createHash('sha1').update(`${username}:${password}`).digest('base64')}`;
}

/** The ACL of every node the driver creates, as Python tooz sets it (`make_digest_acl(user, password, all=True)`). */
export function aclFor(settings: ZookeeperSettings): ACL[] {
  if (settings.acl === 'creator' && settings.auth) {
    return [new ACL(Permission.ALL, new Id('digest', digestId(settings.auth.username, settings.auth.password)))];
  }
  return [new ACL(Permission.ALL, new Id('world', 'anyone'))];
}

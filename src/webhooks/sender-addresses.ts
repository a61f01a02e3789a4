/**
 * The addresses a vendor publishes for its webhook senders (`webhooks.sourceIps`), for connections that accept
 * deliveries from those only. IPv4-mapped IPv6 peers (`::ffff:1.2.3.4`, as a dual-stack socket reports them) are
 * checked as the IPv4 address they are.
 */
import { BlockList, isIP } from 'node:net';
import type { PlatformMeta } from '../runtime/adapter-types.js';

const senderLists = new WeakMap<PlatformMeta, BlockList>();

/** Whether an address is in the ranges the platform publishes for its webhook senders. */
export function senderAllowed(meta: PlatformMeta, address: string): boolean {
  const ranges = meta.webhooks.scheme === 'none' ? undefined : meta.webhooks.sourceIps?.ranges;
  if (!ranges) return false;
  let list = senderLists.get(meta);
  if (!list) {
    list = new BlockList();
    for (const range of ranges) {
      const [net = '', prefix] = range.split('/');
      const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(net, family);
      else list.addSubnet(net, Number(prefix), family);
    }
    senderLists.set(meta, list);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

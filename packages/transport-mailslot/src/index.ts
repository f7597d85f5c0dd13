export { MailslotTransport } from './transport/mailslot-transport.js';
export type { MailslotStats } from './transport/mailslot-transport.js';
export type { MailslotOptions } from './options/mailslot-options.js';
export { resolveMailslotAddress } from './address/resolve-address.js';
export type { ResolvedMailslotAddress, ResolvedGroupAddress, ResolvedSlotAddress, ResolvedDomainAddress } from './address/resolve-address.js';
export { inspectMailslotGroup } from './registry/group-survey.js';
export type { InspectMailslotGroupOptions, MailslotGroupReport, MailslotGroupMember, MailslotGroupIgnored } from './registry/group-survey.js';

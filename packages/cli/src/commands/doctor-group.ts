import { BusError } from '@pipebus/core';
import { inspectMailslotGroup, resolveMailslotAddress, type MailslotGroupMember } from '@pipebus/transport-mailslot';
import type { CliIo } from '../io.js';
import type { Report } from './doctor-report.js';

/**
 * `pipebus doctor mailslot://GROUP`: the group's live members, and its dead
 * ones swept (with the transport's own directory checks: see
 * inspectMailslotGroup). A directory the transports refuse is a failure;
 * an empty group or an entry left alone is a warning.
 */
export function checkGroup(address: string, report: Report, io: CliIo): void {
  if (resolveMailslotAddress(address).kind !== 'group') {
    report('fail', `${address} is a single OS mailslot: doctor checks mailslot groups`, 'give a group address such as mailslot://orders');
    return;
  }
  let survey: ReturnType<typeof inspectMailslotGroup>;
  try {
    survey = inspectMailslotGroup(address);
  } catch (error) {
    const code = BusError.is(error) ? error.code : 'ERROR';
    report('fail', `cannot check ${address}: ${code}: ${(error as Error).message}`);
    return;
  }
  const dir = survey.registryDir;
  if (!survey.found) {
    report('warn', `${address} has no members: no registry directory ${dir}`, `events published to it reach nobody; start a subscriber with: pipebus sub ${address}`);
    return;
  }
  for (const { entry, pid } of survey.dead) {
    report('ok', `swept a dead member: pid ${pid} is gone (removed ${entry}'s entry)`);
  }
  if (survey.dirRemoved) report('ok', `removed the empty group directory ${dir}`);
  const n = survey.members.length;
  if (n === 0) {
    report('warn', `${address} has no live members${survey.dirRemoved ? '' : ` (registry ${dir})`}`, `events published to it reach nobody; start a subscriber with: pipebus sub ${address}`);
  } else {
    report('ok', `${address} has ${n} live member${n === 1 ? '' : 's'} (registry ${dir})`);
    for (const m of survey.members) io.out(`         ${describeMember(m)}`);
  }
  for (const { name, reason } of survey.ignored) {
    report('warn', `left alone in ${dir}: ${name} (${reason})`, 'no message is sent to it; remove it if it is not yours');
  }
  if (survey.truncated) report('warn', `${dir} holds more entries than doctor reads in one go: the list above is cut`);
}

function describeMember(m: MailslotGroupMember): string {
  const uid = m.uid === undefined ? '' : ` uid ${m.uid}`;
  return `pid ${m.pid}${uid}  since ${m.since.toISOString()}  slot ${m.slot}`;
}

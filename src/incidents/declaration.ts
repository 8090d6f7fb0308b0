import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { UserError } from '../errors.js';

/** What `/ops incident declare` (or a declaring button or runbook step) asks for. */
export interface Declaration {
  actor: string;
  severity: string;
  title: string;
  services?: string[];
}

/** The declaration's title (spaces folded) and services, or a UserError saying what is wrong with them. */
export function checkedDeclaration(
  declaration: Declaration,
  services: OpsConfig['services'],
): { title: string; services: string[] } {
  const title = declaration.title.trim().replace(/\s+/g, ' ');
  if (title === '') throw new UserError('Give the incident a title: `/ops incident declare SEV2 <title>`.');
  if (title.length > 150) throw new UserError('The title is longer than 150 characters; shorten it.');
  const named = declaration.services ?? [];
  const unknown = named.find((name) => !own(services, name));
  if (unknown) throw new UserError(`There is no service called ${unknown}.`);
  return { title, services: named };
}

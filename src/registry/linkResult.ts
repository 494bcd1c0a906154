/** Human-readable wording of a `LinkResult`, for logs and for the messages of conflicts shown to admins. */
import { UnreachableCaseError } from '../errors';
import type { LinkResult } from './types';

export function describeLinkResult(result: LinkResult): string {
  switch (result.status) {
    case 'LINKED':
      return `Linked ${result.link.upstream} account ${result.link.accountId} to person ${result.link.personId}`;
    case 'ALREADY_LINKED':
      return `${result.link.upstream} account ${result.link.accountId} was already linked to person ${result.link.personId}`;
    case 'CONFLICT':
      switch (result.kind) {
        case 'PERSON_HAS_OTHER_ACCOUNT':
          return `Person ${result.existing.personId} is already linked to another ${result.existing.upstream} account (${result.existing.accountId})`;
        case 'ACCOUNT_LINKED_TO_OTHER_PERSON':
          return `${result.existing.upstream} account ${result.existing.accountId} is already linked to another person (${result.existing.personId})`;
        default:
          throw new UnreachableCaseError(result.kind);
      }
    default:
      throw new UnreachableCaseError(result);
  }
}

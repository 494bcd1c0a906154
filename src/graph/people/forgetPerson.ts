/**
 * After a mutation changed a person, this request's loaders must not answer from what they read before:
 * the payload's `user` is resolved through the same loaders and has to show the new state. Upstream
 * records that a write answered are primed where the write happens (provision.ts, updatePerson.ts);
 * this drops the registry-side memory of the person.
 */
import type { Person } from '../../registry/types';
import type { GraphContext } from '../context';

export function forgetPerson(ctx: GraphContext, ...people: Person[]): void {
  for (const person of people) {
    ctx.loaders.person.clear(person.id);
    ctx.loaders.links.clear(person.id);
    ctx.loaders.personByEmail.clear(person.email);
  }
}

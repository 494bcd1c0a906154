/**
 * Opaque global ids (Relay `Node`): base64url of `Type:part:part`. Clients must not parse them; the
 * gateway can, to refetch any object through `Query.node`.
 */
import { ErrorCode, GatewayError } from '../errors';
import { isUuid } from '../lib/ids';

export const NODE_TYPES = [
  'User',
  'IdentitySubscription',
  'Account',
  'AccessToken',
  'Site',
  'HeatPump',
  'ElectricVehicle',
  'Inverter',
  'Entry',
  'Expense',
  'Project',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function isNodeType(value: unknown): value is NodeType {
  return typeof value === 'string' && (NODE_TYPES as readonly string[]).includes(value);
}

export interface DecodedId {
  type: NodeType;
  parts: string[];
}

export function toGlobalId(type: NodeType, ...parts: (string | number)[]): string {
  return Buffer.from([type, ...parts.map(String)].join(':'), 'utf8').toString('base64url');
}

/** Decodes a global id; throws BAD_USER_INPUT naming the argument when it is not one of ours. */
export function fromGlobalId(id: string, argument = 'id'): DecodedId {
  const decoded = decodeGlobalId(id);
  if (!decoded) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} is not a valid global id; expected an id returned by this API, but got: ${JSON.stringify(id).slice(0, 80)}`, {
      fieldErrors: [{ path: [argument], message: 'not a valid global id' }],
    });
  }
  return decoded;
}

/** `fromGlobalId` without the error: null for anything that is not a global id of this API. */
export function decodeGlobalId(id: string): DecodedId | null {
  const text = /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, 'base64url').toString('utf8') : '';
  const [type, ...parts] = text.split(':');
  if (!type || !(NODE_TYPES as readonly string[]).includes(type) || parts.length === 0 || parts.some((p) => p === '')) return null;
  return { type: type as NodeType, parts };
}


/** Accepts a User global id or a bare person UUID and returns the person UUID. */
export function personIdFromArgument(id: string, argument = 'id'): string {
  if (isUuid(id)) return id.toLowerCase();
  const decoded = fromGlobalId(id, argument);
  if (decoded.type !== 'User' || !isUuid(decoded.parts[0]!)) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} must be a User id or a person UUID, but got a ${decoded.type} id`, {
      fieldErrors: [{ path: [argument], message: `expected a User id, got a ${decoded.type} id` }],
    });
  }
  return decoded.parts[0]!.toLowerCase();
}

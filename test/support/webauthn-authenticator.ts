/**
 * Test support: a software WebAuthn authenticator (W3C WebAuthn L3 §6) that produces real
 * attestations ("none" format) and assertions with node:crypto keys (ES256 on P-256, or
 * Ed25519), CBOR-encoded with @simplewebauthn's own encoder. Every field a test attacks
 * (origin, RP ID, UP/UV flags, counter, challenge, user handle) can be overridden per ceremony.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  userPresent?: boolean;
  userVerified?: boolean;
}

interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  algorithm: 'ES256' | 'Ed25519';
  userHandle: string;
  counter: number;
}

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

function coseKey(publicKey: KeyObject, algorithm: 'ES256' | 'Ed25519'): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  // RFC 9053: EC2 key (kty 2, alg -7, crv P-256) or OKP key (kty 1, alg -8, crv Ed25519).
  const map = algorithm === 'ES256'
    ? new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))]])
    : new Map<number, number | Uint8Array>([[1, 1], [3, -8], [-1, 6], [-2, x]]);
  return isoCBOR.encode(map);
}

function flags(o: CeremonyOverrides, extra = 0): number {
  return (o.userPresent === false ? 0 : FLAG_UP) | (o.userVerified === false ? 0 : FLAG_UV) | extra;
}

function clientData(type: string, challenge: string, origin: string): string {
  return JSON.stringify({ type, challenge, origin, crossOrigin: false });
}

export function createSoftAuthenticator(defaults: { rpId: string; origin: string; algorithm?: 'ES256' | 'Ed25519' }) {
  const credentials = new Map<string, SoftCredential>();
  const aaguid = Buffer.alloc(16);

  return {
    credentials,
    /** navigator.credentials.create(): a new key pair, attested with fmt "none". */
    register(options: PublicKeyCredentialCreationOptionsJSON, o: CeremonyOverrides & { reuseCredentialId?: string } = {}): RegistrationResponseJSON {
      const reused = o.reuseCredentialId === undefined ? undefined : credentials.get(o.reuseCredentialId);
      const algorithm = reused?.algorithm ?? defaults.algorithm ?? 'ES256';
      const privateKey = reused?.privateKey ?? (algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')).privateKey;
      const publicKey = createPublicKey(privateKey);
      const id = reused?.id ?? randomBytes(32);
      credentials.set(b64url(id), { id, privateKey, algorithm, userHandle: options.user.id, counter: 0 });
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(id.length);
      const counter = Buffer.alloc(4);
      const authData = Buffer.concat([
        sha256(o.rpId ?? defaults.rpId), Buffer.from([flags(o, FLAG_AT)]), counter, aaguid, idLength, id, coseKey(publicKey, algorithm),
      ]);
      const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
      return {
        id: b64url(id),
        rawId: b64url(id),
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientData(o.type ?? 'webauthn.create', o.challenge ?? options.challenge, o.origin ?? defaults.origin)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
      };
    },

    /**
     * navigator.credentials.get(): signs authenticatorData ‖ SHA-256(clientDataJSON). The
     * counter increments per assertion unless `counter` is given.
     */
    authenticate(options: PublicKeyCredentialRequestOptionsJSON, o: CeremonyOverrides & { credentialId?: string; counter?: number; omitUserHandle?: boolean; userHandle?: string } = {}): AuthenticationResponseJSON {
      const credentialId = o.credentialId ?? options.allowCredentials?.[0]?.id ?? [...credentials.keys()][0];
      const credential = credentialId === undefined ? undefined : credentials.get(credentialId);
      if (!credential) throw new Error('soft authenticator: no such credential');
      credential.counter = o.counter ?? credential.counter + 1;
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(credential.counter);
      const authData = Buffer.concat([sha256(o.rpId ?? defaults.rpId), Buffer.from([flags(o)]), counter]);
      const clientDataJSON = clientData(o.type ?? 'webauthn.get', o.challenge ?? options.challenge, o.origin ?? defaults.origin);
      const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
      const signature = credential.algorithm === 'ES256' ? sign('sha256', signed, credential.privateKey) : sign(null, signed, credential.privateKey);
      return {
        id: credentialId!,
        rawId: credentialId!,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(clientDataJSON),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          ...(o.omitUserHandle ? {} : { userHandle: o.userHandle ?? credential.userHandle }),
        },
      };
    },
  };
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>;

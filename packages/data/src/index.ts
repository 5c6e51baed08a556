export type { DebianFile } from './debian';
export { locateDebianFile, prepareDebianPackage, requireDebianFile } from './debian';
export type { VerifiedSource } from './download';
export { fetchVerified, sha256Hex, verifySha256 } from './download';

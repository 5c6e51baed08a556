export type { DebianFile } from './debian';
export { locateDebianFile, prepareDebianPackage, requireDebianFile } from './debian';
export type { VerifiedSource } from './download';
export { fetchVerified, sha256Hex, verifySha256 } from './download';
export type { FastaAlphabet, FastaLabelSource, FastaOptions, FastaRecord } from './fasta';
export { IUPAC_AMINO_ACIDS, IUPAC_NUCLEOTIDES, parseFasta, readFasta, readLabelledFasta, readLabelsTsv } from './fasta';
export type { RAttributes, RColumn, RCompression, RDataFrame, RValue } from './rdata';
export { R_NA_INTEGER, parseRData, parseRSerialized, rClass, rDataCompression, rDataFrame } from './rdata';

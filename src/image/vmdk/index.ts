// VMDK: reader (sparse, stream-optimized, flat, split, ZERO extents, parent chains; COWD;
// seSparse recognised) and writer (monolithicSparse, also as a child; streamOptimized).

export { vmdkFormat } from './format.js';
export { vmdkWriter } from './writer.js';
export { parseDescriptor, formatDescriptor, looksLikeDescriptor, type VmdkDescriptor, type DescriptorExtent } from './descriptor.js';
export { SparseExtentHeader, decodeSparseHeader, GD_AT_END, SPARSE_FLAGS } from './sparse-header.js';
export { CowdHeader } from './cowd-header.js';
export { SeSparseConstHeader } from './sesparse-header.js';
export { GrainMarker, MetadataMarker, MARKER_TYPE } from './markers.js';

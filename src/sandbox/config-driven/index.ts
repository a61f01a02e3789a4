export * from './auth-checker.js';
export * from './config-driven-emulator.js';
export * from './config-driven-sandbox.js';
export * from './pagination-responder.js';
export * from './path-template.js';
export * from './record-synthesizer.js';
export * from './xml-serializer.js';

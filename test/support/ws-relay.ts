// The relay lives with the simulation, which runs it for every function; tests use the same one.
export { startWsRelay } from '@genledger/sim/ws-relay';

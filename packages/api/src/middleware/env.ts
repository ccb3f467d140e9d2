import type { Principal } from '@genledger/core/ports/principal';
import type { KeyContext } from '../routes/define.ts';

/** What a request's request-path middlewares hand each other, in the order they set it. */
export interface RouteInputs {
  params: unknown;
  query: unknown;
  /** The route's declared request headers, as text, by lower-case name. */
  headers: Record<string, string>;
  body: unknown;
}

export type ApiEnv = {
  /** Set by the Lambda handler: API Gateway's request id, used when the client sent none. */
  Bindings: { lambdaRequestId?: string };
  Variables: {
    requestId: string;
    /** A chunked body, read by `limitBody` while it counted the bytes. */
    bodyText?: string;
    /** The authenticated key, once `authenticate` (or the route's own statement) checked it. */
    principal?: Principal;
    /** Routes whose statement checks the key: what the handler needs to do that. */
    key?: KeyContext;
    inputs: RouteInputs;
  };
};

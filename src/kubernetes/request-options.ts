import {
  type ConfigurationOptions,
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/**
 * Per-call options of the generated client with one middleware: `pre` may change the request before it is
 * sent, `post` the response before the typed API reads it; either, left out, passes it on unchanged.
 */
export function withMiddleware(hooks: {
  pre?: (request: RequestContext) => RequestContext;
  post?: (response: ResponseContext) => Promise<ResponseContext>;
}): ConfigurationOptions<ObservableMiddleware> {
  const { pre, post } = hooks;
  const middleware: ObservableMiddleware = {
    pre: (request) => new Observable(Promise.resolve(pre ? pre(request) : request)),
    post: (response) => new Observable(post ? post(response) : Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/**
 * Sends `body` as the request's JSON instead of the typed model's: the client's models drop fields they do
 * not know, and a pod template must reach a Job as the API server served it.
 */
export function sendingJson(body: unknown): ConfigurationOptions<ObservableMiddleware> {
  return withMiddleware({
    pre: (request) => {
      request.setBody(JSON.stringify(body));
      return request;
    },
  });
}

/** Adds a query parameter the generated client does not offer (`sinceTime`). */
export function withQuery(name: string, value: string): ConfigurationOptions<ObservableMiddleware> {
  return withMiddleware({
    pre: (request) => {
      request.setQueryParam(name, value);
      return request;
    },
  });
}

/**
 * The like-API's OpenAPI 3.1 document, served at GET /openapi.json. It is what scripts/fuzz.sh generates
 * requests from, so a status or field the API can answer with but this document leaves out is a fuzzing
 * finding; test/integration/fuzz.test.ts also holds every operation here to a real route.
 */
const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const CODES = [
  'invalid_request',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'already_exists',
  'idempotency_in_progress',
  'payload_too_large',
  'unsupported_media_type',
  'idempotency_key_reused',
  'rate_limited',
  'unavailable',
  'internal',
] as const;

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const ok = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const idParam = { name: 'id', in: 'path', required: true, schema: ID } as const;
const limitParam = {
  name: 'limit',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
} as const;
const idempotencyKey = (name: string) =>
  ({ name, in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } }) as const;

// Every /api answer can also be these: no or a bad token, bad input, or the process shedding load.
const apiErrors = {
  '400': err('invalid_request: a bad id, body, query parameter or header'),
  '401': err('unauthorized: missing, malformed, forged or expired bearer token'),
  '503': err('unavailable: a dependency is down; Retry-After'),
};
// The /api/posts routes read a JSON body (when one is sent) before routing.
const postsErrors = {
  ...apiErrors,
  '413': err('payload_too_large: body over 16 KiB'),
  '415': err('unsupported_media_type: a body that is not application/json, or in an unknown Content-Encoding'),
};
const likeResponses = {
  '200': ok('the like state after the action', ref('LikeResult')),
  '202': ok('accepted while Redis is unavailable (durable in Kafka)', ref('LikeResult')),
  ...postsErrors,
  '404': err('not_found: unknown post'),
  '409': err('idempotency_in_progress: the same key is still being processed'),
  '422': err('idempotency_key_reused: the key was used for another post or action'),
  '429': err('rate_limited: over the per-user like limit; Retry-After'),
};
const likeParams = [idParam, idempotencyKey('Idempotency-Key'), idempotencyKey('X-Idempotency-Key')];
const followResponses = {
  '200': ok('the follow state after the action', ref('FollowResult')),
  ...apiErrors,
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'LikePipeline like-API', version: '1' },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: { code: { type: 'string', enum: CODES }, message: { type: 'string' } },
          },
        },
      },
      Post: {
        type: 'object',
        required: ['id', 'authorId', 'createdAt', 'likeCount'],
        properties: {
          id: ID,
          authorId: ID,
          createdAt: { type: 'string' },
          likeCount: { type: 'integer', minimum: 0 },
          likedByMe: { type: 'boolean' },
        },
      },
      LikeResult: {
        type: 'object',
        required: ['postId', 'liked', 'changed', 'likeCount'],
        properties: {
          postId: ID,
          liked: { type: 'boolean' },
          changed: { type: ['boolean', 'null'] },
          likeCount: { type: ['integer', 'null'] },
          degraded: { type: 'boolean' },
        },
      },
      FollowResult: {
        type: 'object',
        required: ['userId', 'following', 'changed'],
        properties: { userId: ID, following: { type: 'boolean' }, changed: { type: 'boolean' } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/healthz': {
      get: { security: [], responses: { '200': ok('the process is alive', { type: 'object' }) } },
    },
    '/readyz': {
      get: {
        security: [],
        responses: {
          '200': ok('ready for traffic', { type: 'object' }),
          '503': ok('not ready (producer down, breaker open or draining)', { type: 'object' }),
        },
      },
    },
    '/metrics': {
      get: {
        security: [],
        responses: {
          '200': { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    '/openapi.json': {
      get: { security: [], responses: { '200': ok('this document', { type: 'object' }) } },
    },
    '/api/posts': {
      post: {
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: { type: 'object', additionalProperties: false, properties: { id: ID } },
            },
          },
        },
        responses: {
          '201': ok('the new post; author = caller', ref('Post')),
          ...postsErrors,
          '409': err('already_exists: the id is taken'),
        },
      },
    },
    '/api/posts/{id}': {
      get: {
        parameters: [idParam],
        responses: { '200': ok('the post', ref('Post')), ...postsErrors, '404': err('not_found: unknown post') },
      },
    },
    '/api/posts/{id}/count': {
      get: {
        parameters: [idParam],
        responses: {
          '200': ok('the like count', {
            type: 'object',
            required: ['postId', 'likeCount'],
            properties: { postId: ID, likeCount: { type: 'integer', minimum: 0 } },
          }),
          ...postsErrors,
          '404': err('not_found: unknown post'),
        },
      },
    },
    '/api/posts/{id}/stats': {
      get: {
        parameters: [
          idParam,
          { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
        ],
        responses: {
          '200': ok('per-minute like and unlike counts', {
            type: 'object',
            required: ['postId', 'from', 'to', 'totals', 'series'],
            properties: {
              postId: ID,
              from: { type: 'string' },
              to: { type: 'string' },
              totals: { type: 'object' },
              series: { type: 'array', items: { type: 'object' } },
            },
          }),
          ...postsErrors,
          '404': err('not_found: unknown post'),
        },
      },
    },
    '/api/posts/{id}/like': {
      post: { parameters: likeParams, responses: likeResponses },
      delete: { parameters: likeParams, responses: likeResponses },
    },
    '/api/notifications': {
      get: {
        parameters: [limitParam],
        responses: {
          '200': ok("the caller's notifications, newest first", {
            type: 'object',
            required: ['notifications'],
            properties: { notifications: { type: 'array', items: { type: 'object' } } },
          }),
          ...apiErrors,
        },
      },
    },
    '/api/feed': {
      get: {
        parameters: [limitParam],
        responses: {
          '200': ok("the caller's top posts, best first", {
            type: 'object',
            required: ['computedAt', 'items'],
            properties: {
              computedAt: { type: ['string', 'null'] },
              items: { type: 'array', items: { type: 'object' } },
            },
          }),
          ...apiErrors,
        },
      },
    },
    '/api/users/{id}/follow': {
      put: { parameters: [idParam], responses: followResponses },
      delete: { parameters: [idParam], responses: followResponses },
    },
  },
} as const;

type Method = 'get' | 'put' | 'post' | 'delete';
const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete'];

/**
 * The methods each documented path takes, with the path as a pattern (`{id}` is one segment): the like-API
 * answers another method on a known path with 405 and Allow rather than 404, before authentication, so the
 * answer does not depend on the token. HEAD goes with GET (Express answers it from the GET route).
 */
export const documentedMethods: readonly { pattern: RegExp; allow: readonly string[] }[] = Object.entries(
  openApiDocument.paths,
).map(([path, ops]) => {
  const methods = METHODS.filter((m) => m in ops).map((m) => m.toUpperCase());
  if (methods.includes('GET')) methods.push('HEAD');
  const source = path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+');
  return { pattern: new RegExp(`^${source}/?$`), allow: methods };
});

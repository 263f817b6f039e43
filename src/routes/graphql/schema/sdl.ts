// The GraphQL schema (API.md "GraphQL"): EPR's Query and Mutation fields, types and inputs exactly
// as EPR defines them (names, arguments, nullability), so that EPR's CLI and Go client work
// unchanged, then what this service adds: Relay connections with the REST filters and cursors,
// an event's receiver and a group's receivers as objects, usage and the caller.
// `schema.graphql` at the top of the repository is this schema as served (test/graphql.test.ts).

export const typeDefs = /* GraphQL */ `
"""An instant, as RFC 3339 in UTC with milliseconds: \`2026-11-30T12:00:00.000Z\`."""
scalar Time

"""
Any JSON value. Given as an input, a string is read as JSON text (EPR's clients send
\`"{\\"n\\":3}"\`; text that is not JSON is refused with VALIDATION_FAILED); an object, array,
number or boolean is taken as it is. Returned, it is always the JSON value itself.
"""
scalar JSON

type Query {
  """The event with this id: a list of none or one (EPR)."""
  events_by_id(id: ID!): [Event!]!
  """The event receiver with this id: a list of none or one (EPR)."""
  event_receivers_by_id(id: ID!): [EventReceiver!]!
  """The receiver group with this id: a list of none or one (EPR)."""
  event_receiver_groups_by_id(id: ID!): [EventReceiverGroup!]!

  """Events matching every field given: at most 200, newest first. \`eventsConnection\` pages through all."""
  events(event: FindEventInput!): [Event!]!
  """Event receivers matching every field given: at most 200, newest first. \`receiversConnection\` pages through all."""
  event_receivers(event_receiver: FindEventReceiverInput!): [EventReceiver!]!
  """Receiver groups matching every field given: at most 200, newest first. \`groupsConnection\` pages through all."""
  event_receiver_groups(event_receiver_group: FindEventReceiverGroupInput!): [EventReceiverGroup!]!

  """Events, newest first, \`first\` (1–200) at a time after the cursor \`after\` (REST: GET /api/v1/events)."""
  eventsConnection(filter: EventFilter, first: Int = 50, after: String): EventConnection!
  """Event receivers, newest first (REST: GET /api/v1/receivers)."""
  receiversConnection(filter: ReceiverFilter, first: Int = 50, after: String): EventReceiverConnection!
  """Receiver groups, newest first (REST: GET /api/v1/groups)."""
  groupsConnection(filter: GroupFilter, first: Int = 50, after: String): EventReceiverGroupConnection!
  """A group's completions, newest first (REST: GET /api/v1/groups/{id}/completions); NOT_FOUND for no such group."""
  completionsConnection(group_id: ID!, filter: CompletionFilter, first: Int = 50, after: String): CompletionConnection!

  """The tenant's event quota, requests in flight, and the caller's rate limit (REST: GET /api/v1/usage)."""
  usage: Usage!
  """The caller (REST: GET /api/v1/auth/me)."""
  me: Me!
}

type Mutation {
  """Records an event (REST: POST /api/v1/events); its payload must satisfy the receiver's schema. Returns its id."""
  create_event(event: CreateEventInput!): ID!
  """Creates an event receiver (REST: POST /api/v1/receivers). Returns its id."""
  create_event_receiver(event_receiver: CreateEventReceiverInput!): ID!
  """Creates a receiver group (REST: POST /api/v1/groups). Returns its id."""
  create_event_receiver_group(event_receiver_group: CreateEventReceiverGroupInput!): ID!

  """Enables a receiver group. Returns its id."""
  set_event_receiver_group_enabled(id: ID!): ID!
  """Disables a receiver group. Returns its id."""
  set_event_receiver_group_disabled(id: ID!): ID!
}

type Event {
  id: ID!
  name: String!
  version: String!
  release: String!
  platform_id: String!
  package: String!
  description: String!
  payload: JSON!
  event_receiver_id: ID!
  success: Boolean!
  created_at: Time!
  """The event's receiver (batch-loaded)."""
  receiver: EventReceiver!
}

input CreateEventInput {
  name: String!
  version: String!
  release: String!
  platform_id: String!
  package: String!
  description: String!
  payload: JSON!
  event_receiver_id: ID!
  success: Boolean!
}

input FindEventInput {
  id: ID
  name: String
  version: String
  release: String
  platform_id: String
  package: String
  success: Boolean
  event_receiver_id: ID
}

type EventReceiver {
  id: ID!
  name: String!
  type: String!
  version: String!
  description: String!
  schema: JSON!
  fingerprint: String!
  created_at: Time!
}

input CreateEventReceiverInput {
  name: String!
  type: String!
  version: String!
  description: String!
  schema: JSON!
}

input FindEventReceiverInput {
  id: ID
  name: String
  type: String
  version: String
}

type EventReceiverGroup {
  id: ID!
  name: String!
  type: String!
  version: String!
  description: String!
  enabled: Boolean!
  event_receiver_ids: [ID!]!
  created_at: Time!
  updated_at: Time!
  """The group's members (batch-loaded; weighed as 20 in a query's cost)."""
  receivers: [EventReceiver!]!
}

input CreateEventReceiverGroupInput {
  name: String!
  type: String!
  version: String!
  description: String!
  enabled: Boolean!
  event_receiver_ids: [ID!]!
}

input FindEventReceiverGroupInput {
  id: ID
  name: String
  type: String
  version: String
}

"""The filters of GET /api/v1/events."""
input EventFilter {
  event_receiver_id: ID
  name: String
  version: String
  release: String
  platform_id: String
  package: String
  success: Boolean
  """Inclusive."""
  since: Time
  """Exclusive."""
  until: Time
}

"""The filters of GET /api/v1/receivers."""
input ReceiverFilter {
  name: String
  type: String
  version: String
}

"""The filters of GET /api/v1/groups."""
input GroupFilter {
  name: String
  type: String
  version: String
  enabled: Boolean
}

"""The filters of GET /api/v1/groups/{id}/completions."""
input CompletionFilter {
  name: String
  version: String
  release: String
  platform_id: String
  package: String
}

"""A group's transition to all-green for one artifact (name, version, release, platform, package)."""
type Completion {
  id: ID!
  group_id: ID!
  name: String!
  version: String!
  release: String!
  platform_id: String!
  package: String!
  """The latest event of every member that made the group complete."""
  event_ids: [ID!]!
  created_at: Time!
}

type PageInfo {
  hasNextPage: Boolean!
  """Pass as \`after\` for the next page; null on an empty page."""
  endCursor: String
}

type EventEdge {
  cursor: String!
  node: Event!
}

type EventConnection {
  edges: [EventEdge!]!
  pageInfo: PageInfo!
}

type EventReceiverEdge {
  cursor: String!
  node: EventReceiver!
}

type EventReceiverConnection {
  edges: [EventReceiverEdge!]!
  pageInfo: PageInfo!
}

type EventReceiverGroupEdge {
  cursor: String!
  node: EventReceiverGroup!
}

type EventReceiverGroupConnection {
  edges: [EventReceiverGroupEdge!]!
  pageInfo: PageInfo!
}

type CompletionEdge {
  cursor: String!
  node: Completion!
}

type CompletionConnection {
  edges: [CompletionEdge!]!
  pageInfo: PageInfo!
}

type Quota {
  """Events per calendar month (UTC); null: unlimited."""
  limit: Int
  used: Int!
  period_end: Time!
}

type RateLimit {
  """anonymous, authenticated or admin."""
  tier: String!
  limit: Int!
  remaining: Int!
  """When the window resets, in seconds since the epoch."""
  reset: Int!
}

type Usage {
  quota: Quota!
  in_flight: Int!
  """The limit this request was counted in; null when rate limits are off."""
  rate_limit: RateLimit
}

type Principal {
  id: ID!
  name: String!
  roles: [String!]!
}

type Tenant {
  id: ID!
  slug: String!
}

type Me {
  principal: Principal!
  tenant: Tenant!
  permissions: [String!]!
  """jwt or api_key."""
  auth: String!
}
`;

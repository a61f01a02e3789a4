/**
 * The standard entities: one shape per kind of record, whatever platform it comes from. A platform's config maps
 * its raw fields onto these (`entities.<name>.standard` and `.mapping`); the raw record always travels along.
 *
 * Kinds say how a raw value is converted: `datetime` → ISO 8601 string (UTC), `date` → `YYYY-MM-DD`, `money` →
 * decimal string in major units (`"10.00"`), `currency` → upper-case ISO 4217 code, `number`, `boolean`, `string`.
 * `type`, `platform` and `raw` are the record's own (its standard type, where it came from, the raw record), so a
 * platform's own "type" of ad or audience is the standard field `kind`.
 */
export const FIELD_KINDS = ['string', 'number', 'boolean', 'datetime', 'date', 'money', 'currency'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

const common = { id: 'string', createdAt: 'datetime', updatedAt: 'datetime' } as const;

export const STANDARD_FIELDS = {
  Customer: {
    ...common,
    email: 'string',
    name: 'string',
    firstName: 'string',
    lastName: 'string',
    phone: 'string',
    status: 'string',
    currency: 'currency',
  },
  Order: {
    ...common,
    number: 'string',
    email: 'string',
    customerId: 'string',
    total: 'money',
    currency: 'currency',
    status: 'string',
    fulfillmentStatus: 'string',
  },
  Product: {
    ...common,
    name: 'string',
    status: 'string',
    vendor: 'string',
    productType: 'string',
    sku: 'string',
    price: 'money',
    currency: 'currency',
  },
  Inventory: { ...common, itemId: 'string', locationId: 'string', quantity: 'number' },
  Collection: { ...common, name: 'string', handle: 'string', publishedAt: 'datetime' },
  Payment: {
    ...common,
    amount: 'money',
    currency: 'currency',
    status: 'string',
    customerId: 'string',
    description: 'string',
    paymentIntentId: 'string',
  },
  Refund: {
    ...common,
    amount: 'money',
    currency: 'currency',
    status: 'string',
    reason: 'string',
    paymentId: 'string',
    paymentIntentId: 'string',
  },
  Subscription: { ...common, customerId: 'string', status: 'string', currency: 'currency', canceledAt: 'datetime' },
  Invoice: {
    ...common,
    number: 'string',
    customerId: 'string',
    status: 'string',
    total: 'money',
    amountDue: 'money',
    amountPaid: 'money',
    currency: 'currency',
    dueDate: 'datetime',
  },
  Contact: {
    ...common,
    email: 'string',
    name: 'string',
    firstName: 'string',
    lastName: 'string',
    phone: 'string',
    companyName: 'string',
    companyId: 'string',
  },
  Company: { ...common, name: 'string', domain: 'string', website: 'string', industry: 'string', phone: 'string' },
  Account: { ...common, name: 'string', domain: 'string', website: 'string', industry: 'string', phone: 'string' },
  Deal: {
    ...common,
    name: 'string',
    amount: 'money',
    currency: 'currency',
    stage: 'string',
    pipeline: 'string',
    closeDate: 'date',
    companyId: 'string',
    isWon: 'boolean',
  },
  Lead: {
    ...common,
    email: 'string',
    name: 'string',
    firstName: 'string',
    lastName: 'string',
    company: 'string',
    phone: 'string',
    status: 'string',
  },
  Ticket: { ...common, subject: 'string', description: 'string', status: 'string', priority: 'string' },
  Campaign: {
    ...common,
    name: 'string',
    status: 'string',
    objective: 'string',
    channel: 'string',
    currency: 'currency',
    dailyBudget: 'money',
    lifetimeBudget: 'money',
    startAt: 'datetime',
    endAt: 'datetime',
  },
  AdGroup: {
    ...common,
    name: 'string',
    status: 'string',
    kind: 'string',
    campaignId: 'string',
    currency: 'currency',
    dailyBudget: 'money',
    lifetimeBudget: 'money',
    startAt: 'datetime',
    endAt: 'datetime',
  },
  Ad: {
    ...common,
    name: 'string',
    status: 'string',
    kind: 'string',
    adGroupId: 'string',
    campaignId: 'string',
    creativeId: 'string',
  },
  Keyword: {
    ...common,
    text: 'string',
    matchType: 'string',
    status: 'string',
    negative: 'boolean',
    adGroupId: 'string',
    campaignId: 'string',
  },
  Audience: {
    ...common,
    name: 'string',
    description: 'string',
    kind: 'string',
    status: 'string',
    sizeForSearch: 'number',
    sizeForDisplay: 'number',
  },
  Insight: {
    ...common,
    date: 'date',
    campaignId: 'string',
    adGroupId: 'string',
    adId: 'string',
    impressions: 'number',
    clicks: 'number',
    spend: 'money',
    currency: 'currency',
  },
  Message: { ...common, channelId: 'string', authorId: 'string', text: 'string', sentAt: 'datetime' },
  Employee: {
    ...common,
    email: 'string',
    name: 'string',
    firstName: 'string',
    lastName: 'string',
    title: 'string',
    department: 'string',
    status: 'string',
  },
  Shipment: {
    ...common,
    trackingNumber: 'string',
    carrier: 'string',
    status: 'string',
    shippedAt: 'datetime',
    deliveredAt: 'datetime',
  },
  File: { ...common, name: 'string', size: 'number', mimeType: 'string', url: 'string' },
  Task: { ...common, title: 'string', status: 'string', assigneeId: 'string', projectId: 'string', dueDate: 'date' },
  Event: { ...common, name: 'string', kind: 'string', startAt: 'datetime', endAt: 'datetime' },
  User: { ...common, email: 'string', name: 'string', status: 'string' },
} as const satisfies Record<string, Record<string, FieldKind>>;

export type StandardEntityType = keyof typeof STANDARD_FIELDS;

interface KindTypes {
  string: string;
  number: number;
  boolean: boolean;
  datetime: string;
  date: string;
  money: string;
  currency: string;
}

/**
 * A normalized record of standard type `T`: its mapped fields (each absent when the platform did not have it,
 * `null` when it said null), plus `type`, the `platform` it came from and the untouched `raw` record.
 */
export type StandardRecord<T extends StandardEntityType = StandardEntityType> = {
  type: T;
  platform: string;
  id: string;
  raw: unknown;
} & StandardFields<(typeof STANDARD_FIELDS)[T]>;

type StandardFields<Fields extends Record<string, FieldKind>> = {
  -readonly [F in Exclude<keyof Fields, 'id'>]?: KindTypes[Fields[F]] | null;
};

export type Customer = StandardRecord<'Customer'>;
export type Order = StandardRecord<'Order'>;
export type Product = StandardRecord<'Product'>;
export type Payment = StandardRecord<'Payment'>;
export type Invoice = StandardRecord<'Invoice'>;
export type Contact = StandardRecord<'Contact'>;
export type Company = StandardRecord<'Company'>;
export type Deal = StandardRecord<'Deal'>;
export type Campaign = StandardRecord<'Campaign'>;
export type Ad = StandardRecord<'Ad'>;
export type Message = StandardRecord<'Message'>;
export type Employee = StandardRecord<'Employee'>;
export type Shipment = StandardRecord<'Shipment'>;
export type Task = StandardRecord<'Task'>;

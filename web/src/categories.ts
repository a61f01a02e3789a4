/** The catalogue's categories as people name them, in the order the marketplace lists them. */
export const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  payments: 'Payments',
  pos: 'Point of sale',
  advertising: 'Advertising',
  analytics: 'Analytics',
  crm: 'CRM',
  communication: 'Communication',
  ecommerce: 'E-commerce',
  marketing: 'Marketing',
  workflow: 'Workflow',
  social_media: 'Social media',
  accounting: 'Accounting',
  project_management: 'Project management',
  data_storage: 'Data storage',
  developer_tools: 'Developer tools',
  hr_recruiting: 'HR & recruiting',
  shipping_logistics: 'Shipping & logistics',
};

export function categoryName(id: string): string {
  return CATEGORY_NAMES[id] ?? id;
}

/** Auth kinds as people name them. */
export const AUTH_KIND_NAMES: Readonly<Record<string, string>> = {
  oauth2: 'OAuth 2.0',
  api_key: 'API key',
  bearer: 'Access token',
  basic: 'User name and password',
  aws_sigv4: 'AWS access keys',
  google_service_account: 'Google service account',
  azure_shared_key: 'Azure shared key',
};

export function authKindName(kind: string): string {
  return AUTH_KIND_NAMES[kind] ?? kind;
}

// Endpoints the lead is adding on main (issue 22) and that are not yet in docs/openapi.json,
// written in openapi-typescript's shape so that the client is typed the same way. Delete each
// entry once `npm run gen:api` puts it in schema.d.ts (the merge then fails to compile where the
// two disagree, which is the point).
import type { components } from './schema';

type Problem = components['schemas']['Problem'];
type Json<T> = { headers: { [name: string]: unknown }; content: { 'application/json': T } };
type Op<Body, Res> = {
  parameters: { query?: never; header?: never; path?: never; cookie?: never };
  requestBody: { content: { 'application/json': Body } };
  responses: { 200: Json<Res>; 400: Json<Problem>; 401: Json<Problem>; 403: Json<Problem>; 404: Json<Problem>; 422: Json<Problem> };
};
type Get<Res> = {
  parameters: { query?: never; header?: never; path?: never; cookie?: never };
  requestBody?: never;
  responses: Op<never, Res>['responses'];
};
type NoParams = { query?: never; header?: never; path?: never; cookie?: never };
type Rest = { put?: never; delete?: never; options?: never; head?: never; patch?: never; trace?: never };
type GetItem<Res> = { parameters: NoParams; get: Get<Res>; post?: never } & Rest;
type PostItem<Body, Res> = { parameters: NoParams; get?: never; post: Op<Body, Res> } & Rest;

export interface CodeName { code: string; name: string }
export interface DemoUser { id: string; display_name: string; role: string; role_label: string; scope_label: string }
export interface SessionToken { token: string; expires_at: string }
export interface Profile { id: string; label: string }
export interface Me {
  id: string;
  display_name?: string | null;
  role: string;
  role_label: string;
  codice_fiscale?: string | null;
  patronato?: CodeName | null;
  office?: CodeName | null;
  region?: CodeName | null;
  sede?: CodeName | null;
  profiles: Profile[];
  active_profile: string;
  expires_at: string;
}
export interface DownloadLink { url: string; expires_at: string }

export interface pendingPaths {
  '/api/v1/dev/users': GetItem<DemoUser[]>;
  '/api/v1/dev/session': PostItem<{ user_id: string }, SessionToken>;
  '/api/v1/me': GetItem<Me>;
  '/api/v1/me/profile': PostItem<{ profile: string }, SessionToken>;
  '/api/v1/links': PostItem<{ path: string }, DownloadLink>;
}

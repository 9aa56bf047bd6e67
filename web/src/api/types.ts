import type { components } from './schema';

type S = components['schemas'];
export type Me = S['Me'];
export type DemoUser = S['DemoUserView'];
export type SessionToken = S['SessionToken'];
export type Profile = S['Profile'];

import type { ParamMatcher } from '@sveltejs/kit';

export const VIEWS = ['month', 'week', 'day', 'agenda'] as const;
export type ViewName = (typeof VIEWS)[number];

export const match: ParamMatcher = (param) => (VIEWS as readonly string[]).includes(param);

// The user registry (profile, on-chain settings, the user's shard) and the load balancer.
import type {
  User_registry,
  UserAccount,
  Settings,
  Profile,
  DeletionStatus,
  ShardAssignment,
} from '$lib/bindings/user_registry/user_registry';
import { CalendarView, Theme, Weekday } from '$lib/bindings/user_registry/user_registry';
import type { Load_balancer } from '$lib/bindings/load_balancer/load_balancer';
import { Principal } from '@icp-sdk/core/principal';
import { ApiError, asApiError, unwrap } from './errors';

export type { UserAccount, Settings, Profile, DeletionStatus, ShardAssignment };
export { CalendarView, Theme, Weekday };

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw asApiError(e);
  }
}

export const WEEKDAYS: Weekday[] = [
  Weekday.Sunday,
  Weekday.Monday,
  Weekday.Tuesday,
  Weekday.Wednesday,
  Weekday.Thursday,
  Weekday.Friday,
  Weekday.Saturday,
];

/** 0 = Sunday, as the grid's `firstDay` wants it. */
export function weekdayIndex(d: Weekday): 0 | 1 | 2 | 3 | 4 | 5 | 6 {
  return WEEKDAYS.indexOf(d) as 0 | 1 | 2 | 3 | 4 | 5 | 6;
}

export class UsersApi {
  constructor(
    private readonly users: User_registry,
    private readonly balancer: Load_balancer,
  ) {}

  /** The caller's account, or undefined if it has none yet. */
  async myAccount(): Promise<UserAccount | undefined> {
    try {
      return unwrap(await call(() => this.users.get_my_account()));
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'NotFound') return undefined;
      throw e;
    }
  }

  /** Creates the account (idempotent: registering again answers the existing account). */
  async register(displayName: string, timeZone: string): Promise<UserAccount> {
    const settings: Settings = {
      time_zone: timeZone,
      week_start: Weekday.Monday,
      working_hours: [Weekday.Monday, Weekday.Tuesday, Weekday.Wednesday, Weekday.Thursday, Weekday.Friday].map(
        (weekday) => ({ weekday, start_minute: 9 * 60, end_minute: 17 * 60 }),
      ),
      default_reminders_minutes: Uint32Array.from([10]),
      default_view: CalendarView.Week,
      theme: Theme.System,
    };
    return unwrap(await call(() => this.users.register({ profile: { display_name: displayName }, settings })));
  }

  async updateSettings(settings: Settings): Promise<UserAccount> {
    return unwrap(await call(() => this.users.update_settings(settings)));
  }

  async updateProfile(profile: Profile): Promise<UserAccount> {
    return unwrap(await call(() => this.users.update_profile(profile)));
  }

  async deleteAccount(): Promise<DeletionStatus> {
    return unwrap(await call(() => this.users.delete_account()));
  }

  /** The caller's shard per the load balancer (assigned when the registry created the account). */
  async assignMe(): Promise<string> {
    return unwrap(await call(() => this.balancer.assign_me())).toText();
  }

  /** The caller's current shard per the balancer (after a failover it names the new one). */
  async shardFor(user: string): Promise<string | undefined> {
    try {
      return unwrap(await call(() => this.balancer.get_shard_for(Principal.fromText(user)))).toText();
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'NotFound') return undefined;
      throw e;
    }
  }
}

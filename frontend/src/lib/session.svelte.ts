// The signed-in user's session: environment, identity, actors, account and shard.
// One instance for the whole app; components read its $state fields.
import type { Identity } from '@icp-sdk/core/agent';
import { readEnv, type AppEnv } from './env';
import { connect, type Actors } from './api/client';
import { CalendarApi } from './api/calendar';
import { UsersApi, type UserAccount, type Settings } from './api/users';
import { InboxApi } from './api/notifications';
import { asApiError, ApiError } from './api/errors';
import { anonymous, currentDevUser, devIdentity, restoreIiIdentity, setCurrentDevUser, signInWithIi, type DevUser } from './identity';
import { browserZone } from './time';

export type Phase = 'starting' | 'signed-out' | 'registering' | 'ready' | 'error';

class Session {
  phase = $state<Phase>('starting');
  /** A blocking problem (no cookie, network down during start-up). */
  fatal = $state<string | null>(null);
  /** Non-blocking messages shown in the banner area. */
  notices = $state<{ id: number; kind: 'error' | 'info'; text: string }[]>([]);
  env = $state<AppEnv | null>(null);
  devUser = $state<DevUser>('Alice');
  principal = $state('');
  account = $state<UserAccount | null>(null);
  shard = $state<string | null>(null);
  unread = $state(0);

  actors = $state.raw<Actors | null>(null);
  users: UsersApi | null = null;
  inbox: InboxApi | null = null;
  private noticeId = 0;

  get settings(): Settings | null {
    return this.account?.settings ?? null;
  }

  get zone(): string {
    return this.account?.settings.time_zone ?? browserZone();
  }

  get isLocal(): boolean {
    return this.env?.local ?? false;
  }

  notify(kind: 'error' | 'info', text: string): void {
    const id = ++this.noticeId;
    this.notices = [...this.notices.filter((n) => n.text !== text), { id, kind, text }];
    if (kind === 'info') setTimeout(() => this.dismiss(id), 6000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Reads the cookie and picks the identity; then signs in (registering on first visit). */
  async start(): Promise<void> {
    const env = readEnv();
    if (!env.ok) {
      this.phase = 'error';
      this.fatal = env.reason;
      return;
    }
    this.env = env.env;
    if (env.env.local) {
      this.devUser = currentDevUser();
      await this.useIdentity(devIdentity(this.devUser));
    } else {
      const ii = await restoreIiIdentity().catch(() => undefined);
      if (ii) await this.useIdentity(ii);
      else {
        this.connectAs(anonymous);
        this.phase = 'signed-out';
      }
    }
  }

  async switchDevUser(name: DevUser): Promise<void> {
    setCurrentDevUser(name);
    this.devUser = name;
    await this.useIdentity(devIdentity(name));
  }

  async signIn(): Promise<void> {
    try {
      await this.useIdentity(await signInWithIi());
    } catch (e) {
      this.notify('error', `Sign-in failed: ${asApiError(e).message}`);
    }
  }

  private connectAs(identity: Identity): void {
    this.actors = connect(this.env!, identity);
    this.users = new UsersApi(this.actors.users, this.actors.balancer);
    this.inbox = this.actors.notification ? new InboxApi(this.actors.notification) : null;
    this.principal = identity.getPrincipal().toText();
  }

  private async useIdentity(identity: Identity): Promise<void> {
    this.connectAs(identity);
    this.account = null;
    this.shard = null;
    this.fatal = null;
    this.phase = 'registering';
    try {
      await this.ensureAccount();
      this.phase = 'ready';
      void this.refreshUnread();
    } catch (e) {
      this.phase = 'error';
      this.fatal = asApiError(e).message;
    }
  }

  /**
   * First visit: register with the user registry (which asks the load balancer for a shard),
   * then make sure a shard is known. The registry may answer `Pending` until the balancer
   * answered it (a moment after sign-up), so it is asked again a few times; the balancer's
   * `assign_me` then only reads the assignment (it never assigns to a principal without account).
   */
  private async ensureAccount(): Promise<void> {
    const users = this.users!;
    let account = await users.myAccount();
    if (!account) {
      const name = this.env?.local ? this.devUser : 'New user';
      account = await users.register(name, browserZone());
    }
    for (let attempt = 0; attempt < 10 && account.shard.__kind__ !== 'Assigned'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      account = (await users.myAccount()) ?? account;
    }
    this.account = account;
    this.shard =
      account.shard.__kind__ === 'Assigned' ? account.shard.Assigned.toText() : await users.assignMe();
  }

  /** Retries start-up after an error (the network was down, ...). */
  async retry(): Promise<void> {
    if (!this.env) return this.start();
    const identity = this.env.local ? devIdentity(this.devUser) : ((await restoreIiIdentity()) ?? anonymous);
    await this.useIdentity(identity);
  }

  /** The caller's calendar shard. */
  calendar(): CalendarApi {
    if (!this.actors || !this.shard) throw new ApiError('No calendar shard yet.', 'Unavailable');
    return new CalendarApi(this.actors.calendar(this.shard), this.shard);
  }

  /** Any shard by id (a host's, for booking). */
  calendarAt(shard: string): CalendarApi {
    if (!this.actors) throw new ApiError('Not connected.', 'Unavailable');
    return new CalendarApi(this.actors.calendar(shard), shard);
  }

  /**
   * Runs `f` against the caller's shard; if the shard does not answer, asks the load balancer
   * whether the user was moved (a failover replaces a lost shard) and retries once there.
   */
  async withShard<T>(f: (cal: CalendarApi) => Promise<T>): Promise<T> {
    try {
      return await f(this.calendar());
    } catch (e) {
      if (!(e instanceof ApiError) || e.kind !== 'Transport' || !this.users) throw e;
      const now = await this.users.shardFor(this.principal).catch(() => undefined);
      if (!now || now === this.shard) throw e;
      this.shard = now;
      this.notify('info', `Your calendar moved to shard ${now}.`);
      return f(this.calendar());
    }
  }

  async saveSettings(settings: Settings): Promise<void> {
    this.account = await this.users!.updateSettings(settings);
  }

  async refreshUnread(): Promise<void> {
    if (!this.inbox || this.phase !== 'ready') return;
    try {
      this.unread = await this.inbox.unreadCount();
    } catch {
      // The badge is secondary: the inbox page shows the error if the canister is down.
    }
  }
}

export const session = new Session();

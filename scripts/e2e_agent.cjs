// agent-js (@icp-sdk/core, from .tools/) as a second user of the calendar on the embedded
// network: creates and reads its own private event, then tries to read another user's private
// event. Prints one JSON line for scripts/e2e.sh to check.
//
// usage: ICP_TOOLS_DIR=.tools node scripts/e2e_agent.cjs URL CALENDAR_ID OTHER_EVENT_ID
const { createRequire } = require('module');
const tools = createRequire(require('path').resolve(process.env.ICP_TOOLS_DIR, 'package.json'));
const { HttpAgent, Actor } = tools('@icp-sdk/core/agent');
const { Ed25519KeyIdentity } = tools('@icp-sdk/core/identity');

const [url, calendarId, otherId] = process.argv.slice(2);

// The part of calendar.did this script uses. Records may leave out `opt` fields (Candid
// subtyping), and errors are only inspected by tag, so Reserved stands for their payloads.
const idlFactory = ({ IDL }) => {
  const EventTime = IDL.Variant({
    Timed: IDL.Record({ start_ns: IDL.Nat64, end_ns: IDL.Nat64 }),
    AllDay: IDL.Reserved,
  });
  const EventInput = IDL.Record({ title: IDL.Text, time: EventTime, time_zone: IDL.Text });
  const Event = IDL.Record({ id: IDL.Nat64, owner: IDL.Principal, title: IDL.Text });
  const Result = IDL.Variant({ Ok: Event, Err: IDL.Variant({ NotFound: IDL.Reserved, AnonymousCaller: IDL.Null }) });
  return IDL.Service({
    create_event: IDL.Func([EventInput], [Result], []),
    get_event: IDL.Func([IDL.Nat64], [Result], ['query']),
  });
};

(async () => {
  const identity = Ed25519KeyIdentity.generate();
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true });
  const calendar = Actor.createActor(idlFactory, { agent, canisterId: calendarId });
  const created = await calendar.create_event({
    title: 'agent-js lesson',
    time: { Timed: { start_ns: 1893456000000000000n, end_ns: 1893459600000000000n } },
    time_zone: 'Europe/Berlin',
  });
  if (!('Ok' in created)) throw new Error('create_event: ' + JSON.stringify(Object.keys(created.Err)));
  const own = await calendar.get_event(created.Ok.id);
  const other = await calendar.get_event(BigInt(otherId));
  console.log(JSON.stringify({
    principal: identity.getPrincipal().toText(),
    created: created.Ok.id.toString(),
    own_title: 'Ok' in own ? own.Ok.title : null,
    other: 'Ok' in other ? 'readable' : Object.keys(other.Err)[0],
  }));
})().catch((e) => { console.error(e); process.exit(1); });

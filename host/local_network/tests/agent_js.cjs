// agent-js (@icp-sdk/core, installed into .tools/ by scripts/setup.sh) against the embedded
// local network: fetch the root key, a query (health_check) and an update
// (register_canister_group) on the registry with an Ed25519 identity from the given 32-byte
// seed (the Rust test passes its operator's, a controller of the registry), and one more query
// that reads the update back. Prints one JSON line for the Rust test to check.
//
// usage: ICP_TOOLS_DIR=.tools node agent_js.cjs URL REGISTRY_ID GROUP_ID SEED_HEX
const { createRequire } = require('module');
const tools = createRequire(require('path').resolve(process.env.ICP_TOOLS_DIR, 'package.json'));
const { HttpAgent, Actor } = tools('@icp-sdk/core/agent');
const { IDL } = tools('@icp-sdk/core/candid');
const { Ed25519KeyIdentity } = tools('@icp-sdk/core/identity');

const [url, registryId, groupId, seedHex] = process.argv.slice(2);

// The part of canister_registry.did this script uses.
const idlFactory = ({ IDL }) => {
  const CanisterKind = IDL.Variant({
    canister_registry: IDL.Null, load_balancer: IDL.Null, backup_canister: IDL.Null,
    calendar: IDL.Null, notification: IDL.Null, user_registry: IDL.Null,
  });
  const HealthReport = IDL.Record({
    canister: CanisterKind, version: IDL.Text, module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
    module_hash_error: IDL.Opt(IDL.Text), canister_version: IDL.Nat64,
    heap_memory_bytes: IDL.Nat64, stable_memory_bytes: IDL.Nat64, cycles_balance: IDL.Nat,
    now_ns: IDL.Nat64, started_at_ns: IDL.Nat64, uptime_ns: IDL.Nat64,
    requests: IDL.Nat64, errors: IDL.Nat64,
  });
  const GroupMemberInfo = IDL.Record({
    principal: IDL.Principal, canister_type: CanisterKind, shard_key: IDL.Opt(IDL.Text),
    has_key: IDL.Bool, key_rotated_at_ns: IDL.Opt(IDL.Nat64),
  });
  const GroupInfo = IDL.Record({
    group_id: IDL.Text, version: IDL.Nat64, created_at_ns: IDL.Nat64,
    members: IDL.Vec(GroupMemberInfo),
  });
  // The error variant is only inspected by tag here; Reserved accepts any payload type.
  const Result = IDL.Variant({ Ok: GroupInfo, Err: IDL.Reserved });
  return IDL.Service({
    health_check: IDL.Func([], [HealthReport], ['query']),
    register_canister_group: IDL.Func([IDL.Text], [Result], []),
    list_groups: IDL.Func([], [IDL.Vec(GroupInfo)], ['query']),
  });
};

(async () => {
  const identity = Ed25519KeyIdentity.generate(Uint8Array.from(Buffer.from(seedHex, 'hex')));
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true });
  const registry = Actor.createActor(idlFactory, { agent, canisterId: registryId });
  const health = await registry.health_check();
  const created = await registry.register_canister_group(groupId);
  const groups = await registry.list_groups();
  console.log(JSON.stringify({
    caller: identity.getPrincipal().toText(),
    health_canister: Object.keys(health.canister)[0],
    module_hash_len: health.module_hash.length ? health.module_hash[0].length : 0,
    created: 'Ok' in created ? created.Ok.group_id : null,
    error: 'Err' in created ? 'err' : null,
    groups: groups.map((g) => g.group_id),
  }));
})().catch((e) => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});

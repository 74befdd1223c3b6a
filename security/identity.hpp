// Who is at the other end of a link, as CurveZMQ authentication established it: a node of the
// cluster (with its role) or a client (reader, writer or admin), and what each may do. The policy
// is one table, so every daemon decides the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace jupiter {

enum class PeerRole { Broker, Command, Query, Monitor, Gateway, Reader, Writer, Admin };
std::string_view peerRoleName(PeerRole r);
PeerRole peerRoleOf(Role nodeRole);
// reader, writer or admin (client roles only).
std::optional<PeerRole> parseClientRole(std::string_view name);

struct Identity {
    std::string name;
    PeerRole role = PeerRole::Reader;
    std::string publicKey;  // Z85 (public: may be shown)
    std::string signingKey;  // Z85 Ed25519 public key from its certificate ("" if it has none)
};

// What a peer asks for, on the socket that receives it.
enum class Action {
    Ping,               // any node's control endpoint
    MonitorStatus,      // the monitor's status
    Query,              // a gateway, or a query node directly
    Command,            // a gateway
    Inspect,            // digest and keys of a node's store
    Replay,             // events from the command node's log
    Replicate,          // a standby command node fetching the leader's replication log
    RelayCommand,       // a broker's command frontend (gateways)
    ServeCommands,      // a broker's command backend (the command node)
    PublishEvents,      // topic ev on a broker's events_in
    PublishHeartbeat,   // topic hb.<node>: only that node (checked by the caller)
    PublishTransition,  // topic tr: the monitor
    ReadEvents,         // a subscription to ev on a broker's events_out: query nodes (and admins)
    ReadHeartbeats,     // a subscription to hb. or hb.<node>: nodes (and admins)
    ReadTransitions,    // a subscription to tr: the monitor (and admins: `jupiter watch`)
};
std::string_view actionName(Action a);

bool allows(Action a, PeerRole r);
// The roles allowed, for a refusal message ("reader, writer or admin").
std::string allowedRoles(Action a);

// Handshake-level admission by ZAP domain (the bound socket's purpose): a peer that could never
// send anything accepted there is refused before its first message.
bool admits(std::string_view zapDomain, PeerRole r);

}  // namespace jupiter

// Identities and the authorisation policy; see identity.hpp.
#include "security/identity.hpp"

#include <array>
#include <initializer_list>

#include <fmt/format.h>

namespace jupiter {
namespace {

constexpr std::array<std::pair<PeerRole, std::string_view>, 8> kPeerRoles{{
    {PeerRole::Broker, "broker"}, {PeerRole::Command, "command"}, {PeerRole::Query, "query"},
    {PeerRole::Monitor, "monitor"}, {PeerRole::Gateway, "gateway"}, {PeerRole::Reader, "reader"},
    {PeerRole::Writer, "writer"}, {PeerRole::Admin, "admin"}}};

using Roles = std::initializer_list<PeerRole>;

Roles rolesFor(Action a) {
    using R = PeerRole;
    static constexpr Roles kAll{R::Broker, R::Command, R::Query, R::Monitor, R::Gateway, R::Reader, R::Writer, R::Admin};
    static constexpr Roles kQuery{R::Gateway, R::Reader, R::Writer, R::Admin};
    static constexpr Roles kCommand{R::Writer, R::Admin};
    static constexpr Roles kInspect{R::Query, R::Admin};
    static constexpr Roles kGateway{R::Gateway};
    static constexpr Roles kCommandNode{R::Command};
    static constexpr Roles kHeartbeat{R::Broker, R::Command, R::Query, R::Monitor, R::Gateway};
    static constexpr Roles kMonitor{R::Monitor};
    static constexpr Roles kEventReaders{R::Query, R::Admin};
    static constexpr Roles kHeartbeatReaders{R::Broker, R::Command, R::Query, R::Monitor, R::Gateway, R::Admin};
    static constexpr Roles kTransitionReaders{R::Monitor, R::Admin};
    switch (a) {
        case Action::Ping:
        case Action::MonitorStatus: return kAll;
        case Action::Query: return kQuery;
        case Action::Command: return kCommand;
        case Action::Inspect:
        case Action::Replay: return kInspect;
        case Action::RelayCommand: return kGateway;
        case Action::ServeCommands:
        case Action::Replicate:
        case Action::PublishEvents: return kCommandNode;
        case Action::PublishHeartbeat: return kHeartbeat;
        case Action::PublishTransition: return kMonitor;
        case Action::ReadEvents: return kEventReaders;
        case Action::ReadHeartbeats: return kHeartbeatReaders;
        case Action::ReadTransitions: return kTransitionReaders;
    }
    return {};
}

}  // namespace

std::string_view peerRoleName(PeerRole r) {
    for (const auto& [role, name] : kPeerRoles)
        if (role == r) return name;
    return "?";
}

PeerRole peerRoleOf(Role nodeRole) {
    switch (nodeRole) {
        case Role::Broker: return PeerRole::Broker;
        case Role::Command: return PeerRole::Command;
        case Role::Query: return PeerRole::Query;
        case Role::Monitor: return PeerRole::Monitor;
        case Role::Gateway: return PeerRole::Gateway;
    }
    return PeerRole::Reader;
}

std::optional<PeerRole> parseClientRole(std::string_view name) {
    if (name == "reader") return PeerRole::Reader;
    if (name == "writer") return PeerRole::Writer;
    if (name == "admin") return PeerRole::Admin;
    return std::nullopt;
}

std::string_view actionName(Action a) {
    switch (a) {
        case Action::Ping: return "ping";
        case Action::MonitorStatus: return "status";
        case Action::Query: return "query";
        case Action::Command: return "command";
        case Action::Inspect: return "digest/keys";
        case Action::Replay: return "replay/snapshot";
        case Action::Replicate: return "replication (command nodes)";
        case Action::RelayCommand: return "commands to the broker";
        case Action::ServeCommands: return "serving the command backend";
        case Action::PublishEvents: return "publishing events";
        case Action::PublishHeartbeat: return "publishing heartbeats";
        case Action::PublishTransition: return "publishing transitions";
        case Action::ReadEvents: return "reading events";
        case Action::ReadHeartbeats: return "reading heartbeats";
        case Action::ReadTransitions: return "reading transitions";
    }
    return "?";
}

bool allows(Action a, PeerRole r) {
    for (PeerRole allowed : rolesFor(a))
        if (allowed == r) return true;
    return false;
}

std::string allowedRoles(Action a) {
    const Roles roles = rolesFor(a);
    std::string out;
    std::size_t i = 0;
    for (PeerRole r : roles) {
        if (i > 0) out += i + 1 == roles.size() ? " or " : ", ";
        out += peerRoleName(r);
        ++i;
    }
    return out;
}

bool admits(std::string_view zapDomain, PeerRole r) {
    if (zapDomain == "commands") return r == PeerRole::Gateway;
    if (zapDomain == "command_backend") return r == PeerRole::Command;
    if (zapDomain == "events_in") return allows(Action::PublishHeartbeat, r);  // nodes only
    if (zapDomain == "events_out") return allows(Action::PublishHeartbeat, r) || r == PeerRole::Admin;
    return true;  // control endpoints: any known peer; each message is judged on its own
}

}  // namespace jupiter

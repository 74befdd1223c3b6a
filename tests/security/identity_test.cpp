// The authorisation policy: one table of who may do what, by role.
#include <doctest/doctest.h>

#include "security/identity.hpp"

using namespace jupiter;

TEST_CASE("identity: readers query, writers also command, admins inspect - nodes only do their own job") {
    CHECK(allows(Action::Query, PeerRole::Reader));
    CHECK(allows(Action::Query, PeerRole::Gateway));
    CHECK_FALSE(allows(Action::Command, PeerRole::Reader));
    CHECK(allows(Action::Command, PeerRole::Writer));
    CHECK(allows(Action::Command, PeerRole::Admin));
    CHECK_FALSE(allows(Action::Inspect, PeerRole::Writer));
    CHECK(allows(Action::Inspect, PeerRole::Admin));
    CHECK(allows(Action::Replay, PeerRole::Query));
    CHECK_FALSE(allows(Action::Replay, PeerRole::Gateway));
    CHECK(allows(Action::Ping, PeerRole::Reader));
    CHECK(allows(Action::PublishEvents, PeerRole::Command));
    CHECK_FALSE(allows(Action::PublishEvents, PeerRole::Query));
    CHECK_FALSE(allows(Action::PublishEvents, PeerRole::Admin));
    CHECK(allows(Action::PublishTransition, PeerRole::Monitor));
    CHECK_FALSE(allows(Action::PublishTransition, PeerRole::Gateway));
    CHECK_FALSE(allows(Action::PublishHeartbeat, PeerRole::Admin));
    CHECK(allows(Action::RelayCommand, PeerRole::Gateway));
    CHECK_FALSE(allows(Action::RelayCommand, PeerRole::Writer));
    CHECK(allowedRoles(Action::Command) == "writer or admin");
    CHECK(allowedRoles(Action::Query) == "gateway, reader, writer or admin");
}

TEST_CASE("identity: handshakes are admitted by the bound socket's purpose") {
    CHECK(admits("command_backend", PeerRole::Command));
    CHECK_FALSE(admits("command_backend", PeerRole::Query));
    CHECK_FALSE(admits("command_backend", PeerRole::Admin));
    CHECK(admits("commands", PeerRole::Gateway));
    CHECK_FALSE(admits("commands", PeerRole::Writer));
    CHECK(admits("events_in", PeerRole::Query));
    CHECK_FALSE(admits("events_in", PeerRole::Admin));
    CHECK(admits("events_out", PeerRole::Admin));
    CHECK_FALSE(admits("events_out", PeerRole::Reader));
    CHECK(admits("control", PeerRole::Reader));
    CHECK(parseClientRole("writer") == PeerRole::Writer);
    CHECK_FALSE(parseClientRole("query").has_value());
}

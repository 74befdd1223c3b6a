// The lab network: its members as the configuration names them, and (as root only) a real lab of
// two namespaces on a bridge: built, cut both ways, healed and removed, as `ip` reports it.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "common/config.hpp"
#include "netlab/ip_tool.hpp"
#include "netlab/lab.hpp"

using namespace jupiter;

namespace {

Config labConfig(int subnet, int basePort) {
    ConfigTemplate t;
    t.dir = "/tmp/jx";
    t.basePort = basePort;
    t.labSubnet = subnet;
    auto c = parseConfig(defaultConfigToml(t), "");
    REQUIRE(c.ok());
    return std::move(c.value());
}

}  // namespace

TEST_CASE("netlab: every node and local etcd member is a member, at its endpoint's address") {
    const Config c = labConfig(9, 23000);
    const auto members = netlab::labMembers(c);
    REQUIRE(members.size() == 14);  // 11 nodes and 3 etcd members
    CHECK(members.front().name == "broker-1");
    CHECK(members.front().netns == "jup23000-broker-1");
    CHECK(members.front().address == "10.201.9.10");
    CHECK(members[10].name == "gateway-2");
    CHECK(members[10].address == "10.201.9.20");
    CHECK(members.back().name == "etcd-3");
    CHECK(members.back().address == "10.201.9.202");
    // What `--from` names: roles, "etcd", member names; never the member itself, never twice.
    CHECK(netlab::expandMembers(c, {"command", "etcd"}, "command-1") ==
          std::vector<std::string>{"command-2", "command-3", "etcd-1", "etcd-2", "etcd-3"});
    CHECK(netlab::expandMembers(c, {"broker", "broker-1", "query-2"}, "") ==
          std::vector<std::string>{"broker-1", "broker-2", "query-2"});
    // Without a lab, nothing.
    auto plain = parseConfig(defaultConfigToml("/tmp/jx", 23000), "");
    REQUIRE(plain.ok());
    CHECK(netlab::labMembers(*plain).empty());
    CHECK(netlab::createLab(*plain).ok());  // nothing to build
}

TEST_CASE("netlab: a real lab is built, cut, healed and removed (root only)") {
    if (!netlab::labSupported()) {
        MESSAGE("skipped: " << netlab::labSupported().error().message);
        return;
    }
    auto subnet = netlab::freeLabSubnet();
    REQUIRE(subnet.ok());
    Config c = labConfig(*subnet, 61000 + getpid() % 1000);
    // Two members are enough to see every kind of fault.
    std::vector<NodeConfig> two{*c.node("query-1"), *c.node("gateway-1")};
    c.nodes = two;
    c.etcd.netns.clear();
    REQUIRE(netlab::createLab(c).ok());
    CHECK(netlab::labExists(c));
    CHECK(netlab::createLab(c).ok());  // again: what exists is kept
    auto faults = netlab::labFaults(c);
    REQUIRE(faults.ok());
    CHECK(faults->empty());

    REQUIRE(netlab::block(c, "query-1", {"gateway-1"}).ok());
    faults = netlab::labFaults(c);
    REQUIRE(faults.ok());
    CHECK(*faults == std::vector<std::string>{"query-1: cannot reach gateway-1", "gateway-1: cannot reach query-1"});
    REQUIRE(netlab::isolate(c, "gateway-1").ok());
    faults = netlab::labFaults(c);
    REQUIRE(faults.ok());
    CHECK(faults->size() == 3);
    // Healing one member removes the routes to it on the other side too.
    REQUIRE(netlab::heal(c, "gateway-1").ok());
    faults = netlab::labFaults(c);
    REQUIRE(faults.ok());
    CHECK(faults->empty());

    CHECK_FALSE(netlab::block(c, "query-1", {"nobody"}).ok());
    CHECK(netlab::block(c, "query-1", {"query-1"}).error().message.find("itself") != std::string::npos);
    REQUIRE(netlab::destroyLab(c).ok());
    CHECK_FALSE(netlab::labExists(c));
    CHECK_FALSE(std::filesystem::exists("/run/netns/" + c.node("query-1")->netns));
}

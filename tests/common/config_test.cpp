// Configuration: the embedded default parses, and bad configuration is refused naming the key.
#include <doctest/doctest.h>

#include "common/config.hpp"

using namespace jupiter;

TEST_CASE("config: the embedded default describes all seven nodes on consecutive loopback ports") {
    auto c = parseConfig(defaultConfigToml("/tmp/jx", 23000), "");
    REQUIRE(c.ok());
    CHECK(c->nodes.size() == 7);
    CHECK(c->node("broker")->endpoint == "tcp://127.0.0.1:23000");
    CHECK(c->node("gateway")->endpoint == "tcp://127.0.0.1:23010");
    CHECK(c->queryNodes().size() == 3);
    CHECK(c->heartbeatIntervalMs == 100);
    CHECK(c->queryTimeoutMinMs == 50);
    CHECK(c->syncDurable);
    CHECK(c->pidFile("query-2") == "/tmp/jx/run/query-2.pid");
}

TEST_CASE("config: errors name the key and the accepted values") {
    const std::string base = defaultConfigToml("/tmp/jx", 23000);
    auto replace = [&](const std::string& from, const std::string& to) {
        std::string s = base;
        s.replace(s.find(from), from.size(), to);
        return parseConfig(s, "/etc/jupiter.toml");
    };
    auto r1 = replace("heartbeat_interval_ms = 100", "heartbeat_interval_ms = -4");
    CHECK(r1.error().message.find("[cluster] heartbeat_interval_ms must be an integer from 5") != std::string::npos);
    auto r2 = replace("sync = \"durable\"", "sync = \"sometimes\"");
    CHECK(r2.error().message.find("accepted: durable, async") != std::string::npos);
    auto r3 = replace("endpoint = \"tcp://127.0.0.1:23006\"", "endpoint = \"http://x\"");
    CHECK(r3.error().message.find("[query-1] endpoint") != std::string::npos);
    auto r4 = replace("[monitor]", "[monitr]");
    CHECK(r4.error().message.find("unknown table [monitr]") != std::string::npos);
    auto r5 = replace("endpoint = \"tcp://127.0.0.1:23007\"", "endpoint = \"tcp://127.0.0.1:23006\"");
    CHECK(r5.error().message.find("both use tcp://127.0.0.1:23006") != std::string::npos);
    auto r7 = replace("query_timeout_min_ms = 50", "query_timeout_min_ms = 500");
    CHECK(r7.error().message.find("query_timeout_min_ms must not exceed query_timeout_ms") != std::string::npos);
    auto r6 = parseConfig("[cluster\n", "/etc/jupiter.toml");
    CHECK(r6.error().message.find("/etc/jupiter.toml: not valid TOML at line 1") == 0);
}

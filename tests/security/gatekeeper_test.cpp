// The gatekeeper over real CURVE connections on loopback TCP: registered keys are admitted and
// known by name and role on every message, strangers are refused at the handshake (and told so),
// a key removed from the folder is refused on a connection opened before, and a flood of
// refusals is logged at most once a second (manual clock).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "security/certificate.hpp"
#include "security/gatekeeper.hpp"
#include "node/links.hpp"
#include "common/ports.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

struct Fixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("jupiter-gate-test-" + std::to_string(std::random_device{}()));
    Config config;
    std::ostringstream logText;
    std::shared_ptr<spdlog::logger> log;
    ManualClock clock;
    zmq::context_t ctx{1};

    Fixture() {
        std::filesystem::create_directories(dir);
        auto c = parseConfig(defaultConfigToml(dir, findFreePortRange(portsUsed(Layout{}))), dir / "jupiter.toml");
        REQUIRE(c.ok());
        config = std::move(c.value());
        for (const auto& n : config.nodes) REQUIRE(createCertificate(config.keysDir, n.name, {}).ok());
        REQUIRE(createCertificate(config.keysDir, "rita", {{"role", "reader"}}).ok());
        REQUIRE(createCertificate(dir / "elsewhere", "eve", {{"role", "admin"}}).ok());
        log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(logText));
    }
    ~Fixture() { std::filesystem::remove_all(dir); }

    Credentials client(const std::filesystem::path& secret) {
        auto cr = Credentials::forClient(config, secret.string());
        REQUIRE(cr.ok());
        return *cr;
    }
    std::size_t logLines() const {
        const std::string t = logText.str();
        return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
    }
};

// Serves ZAP until `s` has a message or `wait` passes.
std::optional<Frames> serveUntilMessage(Gatekeeper& gate, zmq::socket_t& s, Millis wait) {
    const auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
        gate.onZap();
        if (auto f = recvFrames(s)) return f;
        std::this_thread::sleep_for(Millis(2));
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("gatekeeper: a registered client is known on each message - a stranger is refused at the handshake") {
    Fixture f;
    const NodeConfig& gw = *f.config.node("gateway-1");
    auto nodeCreds = Credentials::forNode(f.config, gw);
    REQUIRE(nodeCreds.ok());
    REQUIRE(nodeCreds->curve());
    Gatekeeper gate(f.ctx, f.config, *nodeCreds, f.log, f.clock);
    Wiring wiring(f.ctx, f.config, gw, gate);
    auto frontend = wiring.open(Link::Control);

    auto rita = openWatchedClientSocket(f.ctx, f.client(secretCertificatePath(f.config.keysDir, "rita")), gw.endpoint,
                                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    sendFrames(rita.socket, {"", "hello"});
    auto got = serveUntilMessage(gate, frontend, Millis(5000));
    REQUIRE(got);
    const Identity* who = gate.authorise(got->back(), Action::Query);
    REQUIRE(who != nullptr);
    CHECK(who->name == "rita");
    CHECK(who->role == PeerRole::Reader);
    CHECK(gate.authorise(got->back(), Action::Command) == nullptr);
    CHECK(gate.refusedMessages() == 1);
    CHECK(f.logText.str().find("refused command (needs writer or admin) from rita (reader)") != std::string::npos);

    auto eve = openWatchedClientSocket(f.ctx, f.client(f.dir / "elsewhere" / "eve.key_secret"), gw.endpoint,
                                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    sendFrames(eve.socket, {"", "let me in"});
    CHECK_FALSE(serveUntilMessage(gate, frontend, Millis(500)));
    CHECK(gate.refusedHandshakes() == 1);
    auto ev = std::optional<SocketEvent>();
    for (int i = 0; i < 250 && !ev; ++i) {
        ev = recvSocketEvent(eve.events);
        if (!ev) std::this_thread::sleep_for(Millis(2));
    }
    REQUIRE(ev);
    CHECK(ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);

    // Revocation reaches a connection opened before it: the next message is refused.
    std::filesystem::remove(publicCertificatePath(f.config.keysDir, "rita"));
    gate.reloadIfChanged();
    sendFrames(rita.socket, {"", "again"});
    auto later = serveUntilMessage(gate, frontend, Millis(5000));
    REQUIRE(later);
    CHECK(gate.authorise(later->back(), Action::Query) == nullptr);
    CHECK(gate.refusedMessages() == 2);
}

TEST_CASE("gatekeeper: a flood of refusals is logged at most once a second - with the count it left out") {
    Fixture f;
    auto nodeCreds = Credentials::forNode(f.config, *f.config.node("broker-1"));
    REQUIRE(nodeCreds.ok());
    Gatekeeper gate(f.ctx, f.config, *nodeCreds, f.log, f.clock);
    const std::size_t before = f.logLines();  // the "accepting N keys" line
    f.clock.advance(Millis(5000));
    for (int i = 0; i < 500; ++i) gate.refuse(nullptr, "a test message");
    CHECK(f.logLines() == before + 1);
    CHECK(gate.refusedMessages() == 500);
    f.clock.advance(Millis(999));
    gate.refuse(nullptr, "a test message");
    CHECK(f.logLines() == before + 1);
    f.clock.advance(Millis(1));
    gate.refuse(nullptr, "a test message");
    CHECK(f.logLines() == before + 2);
    CHECK(f.logText.str().find("and 500 more refusals not logged") != std::string::npos);
}

TEST_CASE("gatekeeper: mode none trusts every local peer and binds no ZAP handler") {
    Fixture f;
    Gatekeeper gate(f.ctx, f.config, Credentials::none(), f.log, f.clock);
    // Every action, a command node's own (a standby's fetch) included, whatever the role it is
    // asked by: with no keys there is no role to tell.
    for (Action a : {Action::Ping, Action::MonitorStatus, Action::Query, Action::Command, Action::Inspect,
                     Action::Replay, Action::Replicate, Action::RelayCommand, Action::ServeCommands,
                     Action::PublishEvents, Action::PublishHeartbeat, Action::PublishTransition}) {
        const Identity* who = gate.authorise(std::string_view(), a);
        REQUIRE(who != nullptr);
        const Identity* sender = gate.sender(std::string_view(), "a request");
        REQUIRE(sender != nullptr);
        CHECK(gate.permits(*sender, a));
    }
    // A second gatekeeper in the same context would fail to bind ZAP if the first had.
    Gatekeeper again(f.ctx, f.config, Credentials::none(), f.log, f.clock);
    CHECK(gate.refusedMessages() == 0);
}

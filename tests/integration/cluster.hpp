// Test harness for integration tests: a real Jupiter cluster started with the `jupiter` CLI as
// separate daemon processes, on free loopback ports, in a temporary folder that is removed (and
// every process stopped) when the fixture goes out of scope.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "common/config.hpp"

namespace jupiter::testing {

struct CliResult {
    int exitCode = -1;
    std::string output;  // stdout and stderr together
};

// Runs build/bin/jupiter with `args` (shell-quoted by the caller) and returns its exit code and output.
CliResult runCli(const std::string& args, const std::vector<std::string>& env = {});
// Runs a shell command line; its stdout and stderr together, and its exit code.
CliResult runShell(const std::string& command);

// The layout most integration tests run: the default with one command node (no etcd), which is
// lighter on a 2-core machine; the tests of standby command nodes, chaos and the demo use the
// default layout (three command nodes and a local etcd).
Layout lean();

// Why a lab network (network namespaces, a bridge: `jupiter up --netns`) cannot be built here, or
// "" when it can: it needs root and iproute2.
std::string labUnavailable();

// A base port such that the ports a cluster of `layout` uses from it are all free on 127.0.0.1 now.
int findFreeBasePort(const Layout& layout = {});

class Cluster {
public:
    // `jupiter up --replicas N` in a fresh temp dir; fails the test if it does not come up. For
    // other layouts, or with `edit` (which rewrites the configuration), the test writes the
    // configuration and `jupiter up` uses it. `netns`: `jupiter up --netns`, every node in a lab
    // network (root only: see labUnavailable).
    explicit Cluster(const Layout& layout = lean(), const std::function<std::string(std::string)>& edit = {},
                     bool netns = false);
    ~Cluster();  // `jupiter down` (which also removes a lab network), kill -9 of anything left, rm -rf the folder
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    CliResult cli(const std::string& args) const;
    const Config& config() const { return config_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string endpoint(const std::string& node) const { return config_.node(node)->endpoint; }
    zmq::context_t& ctx() { return ctx_; }
    // The admin client's keys (what the CLI uses by default).
    const Credentials& credentials() const { return credentials_; }
    // The keys of client `name` (DIR/keys/NAME.key_secret, as `jupiter client add` writes them).
    Credentials keysOf(const std::string& name) const;
    // The gateways' endpoints, in configured order (what a failover client is given).
    std::vector<std::string> gateways() const;
    // The first node of a role, by name (e.g. "gateway-1" in the default layout).
    std::string first(Role role) const { return config_.nodesWith(role).front()->name; }
    // A client of `node` (by name) with the admin key.
    Client client(const std::string& node) { return Client(ctx_, credentials_, endpoint(node)); }

    // A command through the gateways; returns the reply (reply or error envelope).
    Result<Envelope> send(const std::string& name, Doc body, const std::string& id = newRequestId("t"));
    // A query through the gateways, or straight to the Nth query node when replica > 0.
    Result<Envelope> query(const std::string& name, Doc body = Doc::object(), int replica = 0, uint64_t minSeq = 0);
    // The query nodes' names, in configured order.
    std::vector<std::string> replicas() const;
    // The pid a node's pidfile names (0 if none).
    int pid(const std::string& node) const;
    // Lines of a node's log file.
    std::vector<std::string> logLines(const std::string& node) const;
    // Lines of the monitor's transition log.
    std::vector<std::string> transitions() const;
    // Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
    static bool waitFor(const std::function<bool()>& cond, Millis timeout);

private:
    // Writes the end of every node's log and of the transition log to stderr (a check failed).
    void printLogTails() const;

    std::filesystem::path dir_;
    Config config_;
    Credentials credentials_;
    zmq::context_t ctx_{1};
    std::size_t failedBefore_;  // failedChecks() when the cluster started
};

}  // namespace jupiter::testing

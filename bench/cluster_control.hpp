// How the benchmarks drive a cluster: through the `jupiter` CLI beside them (up, down, kill,
// start), its configuration file, its pidfiles and /proc for memory.
#pragma once

#include <filesystem>
#include <string>

#include "common/config.hpp"
#include "security/credentials.hpp"

namespace jupiter::bench {

// What a cluster that a benchmark starts for itself is made of.
struct ClusterSpec {
    int replicas = 3;
    int commands = Layout{}.commands;
    SecurityMode security = SecurityMode::Curve;
    bool durable = true;  // [cluster] sync = "durable"; false: "async" (acknowledged before any fsync)
    bool netns = false;   // every node in a lab network (root only)
    bool signEvents = true;  // [security] sign_events: false trusts the brokers (a baseline for signing's cost)
};

class ClusterControl {
public:
    // Uses the cluster in `dir`; with `start`, brings one up there first as `spec` says (and down
    // at the end).
    ClusterControl(std::filesystem::path dir, bool start, const ClusterSpec& spec = {});
    ~ClusterControl();
    const Config& config() const { return config_; }
    // The client keys the benchmarks use ($JUPITER_KEY, else the cluster's admin key).
    const Credentials& credentials() const { return credentials_; }
    std::string endpoint(const std::string& node) const { return config_.node(node)->endpoint; }
    // Peers by role: the gateway clients use, the command node that writes, the query nodes in order.
    std::string gatewayEndpoint() const { return config_.nodesWith(Role::Gateway).front()->endpoint; }
    // Every gateway's endpoint, in configured order (what clients fail over between).
    std::vector<std::string> gatewayEndpoints() const { return config_.endpointsOf(Role::Gateway); }
    // The first node of a role (e.g. gateway-1).
    std::string first(Role role) const { return config_.nodesWith(role).front()->name; }
    const NodeConfig& firstCommandNode() const { return *config_.firstCommandNode(); }
    std::vector<const NodeConfig*> replicas() const { return config_.nodesWith(Role::Query); }
    // Runs `jupiter ARGS --dir DIR`; returns its exit code (output goes to /dev/null unless verbose).
    int cli(const std::string& args, bool verbose = false) const;
    int pid(const std::string& node) const;
    // Sends `sig` (SIGSTOP, SIGCONT) to every daemon: a cluster that is not being measured is frozen
    // so that it takes no CPU from the one that is (an idle cluster is not free on 2 cores).
    void signalAll(int sig) const;
    // Resident memory of a node in KiB (0 if not running).
    long rssKiB(const std::string& node) const;
    // CPU time (user + system) a node's process has used so far, in seconds (0 if not running).
    double cpuSeconds(const std::string& node) const;

private:
    std::filesystem::path dir_;
    bool owned_;
    Config config_;
    Credentials credentials_;
};

// The folder the running executable lives in (the other Jupiter binaries are beside it).
std::filesystem::path binDir();

}  // namespace jupiter::bench

// `jupiter`: the command-line client of a Jupiter cluster. Parses the command line with CLI11 and
// hands each subcommand to its run function (commands.hpp); exit codes are in exit_codes.hpp.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/cluster_dir.hpp"
#include "cli/cluster_keys.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "common/config.hpp"
#include "security/private_files.hpp"

using namespace jupiter;
using namespace jupiter::cli;

namespace {

constexpr const char* kDirHelp = "cluster folder holding jupiter.toml, data, logs and pidfiles "
                                 "(default: $JUPITER_DIR, else ./jupiter-data)";
constexpr const char* kKeyHelp = "this client's secret key (NAME.key_secret); default: $JUPITER_KEY, else "
                                 "DIR/keys/admin.key_secret";
constexpr const char* kFieldsHelp = "message fields as field=value (types come from the schema catalogue)";

}  // namespace

int main(int argc, char** argv) {
    createPrivateFiles();  // DIR, its keys, logs and etcd's data: the owner's alone
    CLI::App app{"jupiter: start, use and watch a Jupiter sales cluster (CQRS over ZeroMQ).\n"
                 "Exit codes: 0 ok, 1 rejected or failed, 2 usage or configuration error, 3 cluster unreachable, 4 this "
                 "client's key refused (unknown or revoked)."};
    app.require_subcommand(1);
    std::string dir;
    // --dir is accepted before or after the subcommand.
    app.add_option("--dir", dir, kDirHelp);
    std::string keyFile;
    app.add_option("--key", keyFile, kKeyHelp);
    // --dir and --key are accepted before or after the subcommand.
    auto withDir = [&](CLI::App* sub) {
        sub->add_option("--dir", dir, kDirHelp);
        sub->add_option("--key", keyFile, kKeyHelp);
    };

    UpOptions up;
    auto* upCmd = app.add_subcommand("up", "write DIR/jupiter.toml if absent, start every daemon and wait until "
                                           "each answers ping");
    withDir(upCmd);
    auto* basePort = upCmd->add_option("--base-port", up.basePort,
                                       fmt::format("first of the consecutive loopback ports a new configuration uses "
                                                   "({} in the default layout; default {})", portsUsed(Layout{}),
                                                   kDefaultBasePort))
                         ->check(CLI::Range(1, 65535));
    auto* replicas = upCmd->add_option("--replicas", up.replicas,
                                       fmt::format("query nodes in a new configuration, 1 to {} (default 3)",
                                                   kMaxReplicas))
                         ->check(CLI::Range(1, kMaxReplicas));
    auto* gateways = upCmd->add_option("--gateways", up.gateways,
                                       fmt::format("gateways in a new configuration, 1 to {} (default {}); clients "
                                                   "fail over between them", kMaxSpares, Layout{}.gateways))
                         ->check(CLI::Range(1, kMaxSpares));
    auto* brokers = upCmd->add_option("--brokers", up.brokers,
                                      fmt::format("brokers in a new configuration, 1 to {} (default {}); every node "
                                                  "uses all of them", kMaxSpares, Layout{}.brokers))
                        ->check(CLI::Range(1, kMaxSpares));

    auto* commandNodes =
        upCmd->add_option("--commands", up.commands,
                          fmt::format("command nodes in a new configuration, 1 to {} (default {}): one leads, the others "
                                      "are standbys holding a synchronous copy; with more than one, `jupiter up` also "
                                      "runs a three-member etcd that elects the leader", kMaxSpares, Layout{}.commands))
            ->check(CLI::Range(1, kMaxSpares));

    upCmd->add_flag("--netns", up.netns,
                    "a new configuration puts every node and etcd member in a network namespace of its own, with its "
                    "own address on a Linux bridge (a lab network for `jupiter partition`; root only)");

    auto* downCmd = app.add_subcommand("down", "stop every running daemon of the cluster (SIGTERM, then SIGKILL "
                                               "after 5 s)");
    withDir(downCmd);

    std::string node, signalName = "KILL";
    auto* startCmd = app.add_subcommand("start", "start one daemon of the cluster and wait until it answers ping");
    withDir(startCmd);
    startCmd->add_option("node", node, "a node's name in jupiter.toml (broker, command, query-1, ..., monitor, "
                                       "gateway by default)")
        ->required();
    auto* killCmd = app.add_subcommand("kill", "send a signal to one daemon (fault injection; HUP reopens its log file)");
    withDir(killCmd);
    killCmd->add_option("node", node, "a node's name in jupiter.toml")->required();
    killCmd->add_option("--signal", signalName, "KILL, TERM, STOP, CONT, or HUP (reopen the log file)")->capture_default_str();

    std::vector<std::string> partitionFrom;
    auto* partitionCmd = app.add_subcommand("partition", "cut a node off in a lab network (`jupiter up --netns`): from "
                                                         "everyone (its link down), or --from some nodes only");
    withDir(partitionCmd);
    partitionCmd->add_option("node", node, "a node's or a local etcd member's name")->required();
    partitionCmd->add_option("--from", partitionFrom, "cut it off from these only: node names, etcd member names, "
                                                      "roles (gateway, broker, command, query, monitor) or etcd; "
                                                      "both ways, everyone else still reaches it")
        ->delimiter(',');
    auto* healCmd = app.add_subcommand("heal", "restore the links and routes of a lab network's node (default: all)");
    withDir(healCmd);
    healCmd->add_option("node", node, "a node's or a local etcd member's name (default: every one)");

    RequestOptions req;
    uint64_t after = 0;
    auto* sendCmd = app.add_subcommand("send", "send a command through a gateway, e.g. "
                                               "`jupiter send product.create code=P1 description=Pen price=1.50`");
    withDir(sendCmd);
    sendCmd->add_option("name", req.name, "command name (seller.create, sale.update, ...)")->required();
    sendCmd->add_option("fields", req.fields, kFieldsHelp);
    sendCmd->add_flag("--json", req.json, "print the reply envelope as JSON");
    sendCmd->add_option("--timeout", req.timeoutMs,
                        "ms to wait for the answer, failing over between gateways meanwhile with the same request id "
                        "(default: the gateways' client_timeout_ms + 1000)")
        ->check(CLI::Range(1, 600000));

    auto* queryCmd = app.add_subcommand("query", "ask a query through a gateway or one replica, e.g. "
                                                 "`jupiter query sales.list seller=2 limit=20`");
    withDir(queryCmd);
    queryCmd->add_option("name", req.name, "query name (sales.list, seller.get, inventory.value, ...)")->required();
    queryCmd->add_option("fields", req.fields, kFieldsHelp);
    queryCmd->add_flag("--json", req.json, "print the reply envelope as JSON");
    queryCmd->add_option("--replica", req.replica, "ask the Nth query node of jupiter.toml directly instead of the "
                                                   "gateway")
        ->check(CLI::Range(1, kMaxReplicas));
    auto* afterOpt = queryCmd->add_option("--after", after,
                                          "answer only from a replica that applied this sequence (default: the "
                                          "last `jupiter send` from this folder)");
    queryCmd->add_option("--timeout", req.timeoutMs,
                         "ms to wait for the answer, failing over between gateways meanwhile (default: the "
                         "gateways' client_timeout_ms + 1000)")
        ->check(CLI::Range(1, 600000));

    bool statusJson = false;
    auto* statusCmd = app.add_subcommand("status", "the cluster as the monitor sees it (falls back to direct pings)");
    withDir(statusCmd);
    statusCmd->add_flag("--json", statusJson, "print the monitor's reply as JSON");

    auto* consoleCmd = app.add_subcommand("console", "print the address of the monitor's live web console (open it in "
                                                     "a browser)");
    withDir(consoleCmd);

    int forMs = 0;
    auto* watchCmd = app.add_subcommand("watch", "print UP/DOWN/REROUTE transitions as they happen");
    withDir(watchCmd);
    watchCmd->add_option("--for", forMs, "stop after this many ms (default: until Ctrl-C)")->check(CLI::Range(0, 86400000));

    bool verifyJson = false;
    int verifyWaitMs = 30000;
    auto* verifyCmd = app.add_subcommand("verify", "check that every replica holds exactly the write model's state "
                                                   "(non-zero exit on divergence)");
    withDir(verifyCmd);
    verifyCmd->add_flag("--json", verifyJson, "print the report as JSON");
    verifyCmd->add_option("--wait", verifyWaitMs, "ms to wait for the replicas to reach the head")
        ->check(CLI::Range(0, 3600000))
        ->capture_default_str();

    auto* configCmd = app.add_subcommand("config", "print the path and content of the configuration in use (--new: a new "
                                                   "one for --dir, e.g. for an installed cluster)");
    withDir(configCmd);
    bool configNew = false;
    ConfigTemplate configTemplate;
    std::string logsDir, keysDir;
    configCmd->add_flag("--new", configNew, "print a new configuration (default layout) whose data is in --dir, "
                                            "instead of the one in use; nothing is written");
    configCmd->add_option("--base-port", configTemplate.basePort, "with --new: the first port")
        ->check(CLI::Range(1, 65535));
    configCmd->add_option("--logs-dir", logsDir, "with --new: where daemons write their log files (default DIR/log)");
    configCmd->add_option("--keys-dir", keysDir, "with --new: where keys live (default DIR/keys)");
    configCmd->add_option("--etcd", configTemplate.etcdEndpoints,
                          "with --new: client URL of an etcd that elects the command nodes' leader (repeatable); "
                          "default: three members `jupiter up` runs itself");

    auto* keysCmd = app.add_subcommand("keys", "create any missing node key and the admin client key for the "
                                               "configuration in DIR (`jupiter up` does this itself)");
    withDir(keysCmd);
    auto* etcdLockCmd = app.add_subcommand("etcd-lock", "turn on the authentication of the configured etcd: a user "
                                                        "that may touch only the leader key's prefix, and root "
                                                        "(`jupiter up` does this for local members; for an external "
                                                        "etcd, run it once its members use the certificates in "
                                                        "DIR/keys/etcd/)");
    withDir(etcdLockCmd);

    auto* clientCmd = app.add_subcommand("client", "manage client keys: add NAME --role reader|writer|admin, list, "
                                                   "revoke NAME (running nodes follow within a second)");
    clientCmd->require_subcommand(1);
    std::string clientName, clientRole = "reader";
    bool clientJson = false;
    auto* clientAdd = clientCmd->add_subcommand("add", "create a client key pair and register its public key");
    withDir(clientAdd);
    clientAdd->add_option("name", clientName, "the client's name (its key files are NAME.key and NAME.key_secret)")
        ->required();
    clientAdd->add_option("--role", clientRole, "reader: queries; writer: queries and commands; admin: everything")
        ->check(CLI::IsMember({"reader", "writer", "admin"}))
        ->capture_default_str();
    auto* clientList = clientCmd->add_subcommand("list", "the registered client keys and their roles");
    withDir(clientList);
    clientList->add_flag("--json", clientJson, "print JSON");
    auto* clientRevoke = clientCmd->add_subcommand("revoke", "refuse a client's key from now on (kept in keys/revoked/)");
    withDir(clientRevoke);
    clientRevoke->add_option("name", clientName, "the client's name")->required();

    // The tools parse their own options: everything after the subcommand is passed on untouched.
    auto* chaosCmd = app.add_subcommand("chaos", "availability experiment: query and command load while replicas, "
                                                 "gateways and brokers are killed and stopped (runs jupiter-chaos; `jupiter chaos --help`)")
                         ->prefix_command();
    auto* benchCmd = app.add_subcommand("bench", "benchmarks: queries, commands, echo, failover, all (runs "
                                                 "jupiter-bench; `jupiter bench --help`)")
                         ->prefix_command();
    chaosCmd->set_help_flag();
    benchCmd->set_help_flag();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help is a success; every other parse error is a usage error, whatever CLI11's own code.
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }

    setClientKeyFile(keyFile);
    // The tools take the key the same way: $JUPITER_KEY.
    if (!keyFile.empty()) setenv("JUPITER_KEY", keyFile.c_str(), 1);
    try {
        if (clientAdd->parsed()) return runClientAdd(dir, clientName, clientRole);
        if (clientList->parsed()) return runClientList(dir, clientJson);
        if (clientRevoke->parsed()) return runClientRevoke(dir, clientName);
        if (upCmd->parsed()) {
            up.dir = dir;
            up.basePortGiven = basePort->count() > 0;
            up.replicasGiven = replicas->count() > 0;
            up.gatewaysGiven = gateways->count() > 0;
            up.brokersGiven = brokers->count() > 0;
            up.commandsGiven = commandNodes->count() > 0;
            return runUp(up);
        }
        if (downCmd->parsed()) return runDown(dir);
        if (startCmd->parsed()) return runStart(dir, node);
        if (killCmd->parsed()) return runKill(dir, node, signalName);
        if (partitionCmd->parsed()) return runPartition(dir, node, partitionFrom);
        if (healCmd->parsed()) return runHeal(dir, node);
        if (configCmd->parsed() && configNew) {
            configTemplate.logsDir = logsDir;
            configTemplate.keysDir = keysDir;
            return runConfigNew(dir, configTemplate);
        }
        if (configCmd->parsed()) return runConfig(dir);
        if (keysCmd->parsed()) return runKeys(dir);
        if (etcdLockCmd->parsed()) return runEtcdLock(dir);
        if (statusCmd->parsed()) return runStatus(dir, statusJson);
        if (watchCmd->parsed()) return runWatch(dir, forMs);
        if (consoleCmd->parsed()) return runConsole(dir);
        if (verifyCmd->parsed()) return runVerify(dir, verifyJson, verifyWaitMs);
        if (chaosCmd->parsed()) return runTool("chaos", dir, chaosCmd->remaining());
        if (benchCmd->parsed()) return runTool("bench", dir, benchCmd->remaining());
        req.dir = dir;
        if (afterOpt->count() > 0) req.after = after;
        if (sendCmd->parsed()) return runSend(req);
        if (queryCmd->parsed()) return runQuery(req);
    } catch (const std::exception& e) {
        // Bad input is reported by the run functions; reaching here is a bug or a broken system.
        fmt::print(stderr, "jupiter: unexpected error: {}\n", e.what());
        return kExitFailed;
    }
    return kExitUsage;
}

// Jupiter's C++ client library (libjupiter-client): sends commands and queries to a Jupiter
// cluster's gateways, failing over between them without the caller noticing (the same request id
// is resent to the next gateway, so a command is applied at most once), with CurveZMQ keys as
// `jupiter client add` writes them, and read-your-writes through the sequence a command's reply
// carries. The protocol it speaks is specified in schemas/README.md ("Writing a client").
//
//     auto client = jupiter::client::Client(jupiter::client::clusterOptions("/var/lib/jupiter"));
//     auto made = client.command("product.create", {{"code", "P1"}, {"description", "Pen"}, {"price", 1.5}});
//     if (!made.ok) std::cerr << made.error().code << ": " << made.error().message << "\n";
//     auto row = client.query("product.get", {{"id", made.body["id"]}}, client.lastSeq());
//
// Build against the installed files with pkg-config (`pkg-config --cflags --libs jupiter-client`)
// or CMake (`find_package(JupiterClient)`, target `Jupiter::client`). One Client is used by one
// thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace jupiter::client {

using Json = nlohmann::json;

struct Options {
    std::vector<std::string> gateways;             // their endpoints, e.g. tcp://127.0.0.1:7720
    // CURVE: this client's zcert secret file (NAME.key_secret) and each gateway's public key (Z85),
    // by endpoint. An empty keyFile: the cluster runs with [security] mode = "none".
    std::string keyFile;
    std::map<std::string, std::string> serverKeys;
    std::chrono::milliseconds timeout{10000};      // per request, failovers included
};

// The options for a cluster folder as `jupiter up` writes it (DIR/jupiter.toml, DIR/keys/): every
// gateway with its key; `keyFile` empty: $JUPITER_KEY, else DIR/keys/admin.key_secret. Throws
// std::runtime_error naming the file when the configuration or a key cannot be read.
Options clusterOptions(const std::string& dir, const std::string& keyFile = {});

struct Error {
    std::string code;     // schemas/README.md, "Error codes"; also key_refused, timeout, unavailable
    std::string message;  // what was wrong and what to do
    std::string field;    // the request's field it is about, if any
};

struct Reply {
    bool ok = false;       // a reply (or pong); false: an error, see error()
    std::string name;
    std::string id;        // the request's id
    std::string node;      // who answered
    std::optional<std::uint64_t> seq;
    Json body = Json::object();
    Error error() const;
};

class Client {
public:
    // Throws std::invalid_argument without gateways, std::runtime_error for an unreadable key file.
    explicit Client(Options options);
    ~Client();
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;

    // A command; `id` empty: a new random one. A resend of the same command with the same id gets
    // its first outcome (body "duplicate": true).
    Reply command(const std::string& name, const Json& body, const std::string& id = {});
    // A query; with minSeq, answered only by a replica that has applied that sequence.
    Reply query(const std::string& name, const Json& body = Json::object(),
                std::optional<std::uint64_t> minSeq = std::nullopt);
    // The highest sequence a command of this client was answered with (0: none): a query's
    // minSeq for reading this client's own writes.
    std::uint64_t lastSeq() const;
    // How often the client moved to another gateway.
    std::uint64_t failovers() const;

    // A new request id: the prefix, '-', 128 random bits in hex.
    static std::string newId(const std::string& prefix = "c");

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace jupiter::client

// The installed client library's implementation (see client/include/jupiter/client.hpp): the
// public types over the FailoverClient the CLI, tests and benchmarks use.
#include "jupiter/client.hpp"

#include <stdexcept>

#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "security/certificate.hpp"
#include "common/config.hpp"
#include "security/credentials.hpp"
#include "common/paths.hpp"

namespace jupiter::client {
namespace {

Credentials credentialsOf(const Options& o) {
    if (o.keyFile.empty()) return Credentials::none();
    auto c = Credentials::forServers(o.keyFile, o.serverKeys);
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
}

Reply replyOf(Result<Envelope>&& r) {
    Reply out;
    if (!r) {
        out.body = {{"code", r.error().code}, {"message", r.error().message}};
        return out;
    }
    Envelope& e = *r;
    out.ok = e.kind != Kind::Error;
    out.name = std::move(e.name);
    out.id = std::move(e.id);
    out.node = e.node.value_or("");
    out.seq = e.seq;
    out.body = std::move(e.body);
    return out;
}

}  // namespace

Options clusterOptions(const std::string& dir, const std::string& keyFile) {
    auto config = loadConfig(clusterConfigPath(resolveClusterDir(dir)));
    if (!config) throw std::runtime_error(config.error().message);
    Options o;
    for (const auto* g : config->nodesWith(Role::Gateway)) o.gateways.push_back(g->endpoint);
    if (config->security == SecurityMode::None) return o;
    o.keyFile = clientKeyFile(*config, keyFile);
    for (const auto* g : config->nodesWith(Role::Gateway)) {
        auto cert = loadPublicCertificate(publicCertificatePath(config->keysDir, g->name));
        if (!cert) throw std::runtime_error(cert.error().message);
        o.serverKeys[g->endpoint] = cert->publicKey;
    }
    return o;
}

Error Reply::error() const {
    if (ok) return {};
    return {body.value("code", ""), body.value("message", ""), body.value("field", "")};
}

struct Client::Impl {
    explicit Impl(const Options& o)
        : timeout(o.timeout), failover(ctx, credentialsOf(o), o.gateways) {}
    zmq::context_t ctx{1};
    Millis timeout;
    FailoverClient failover;
    uint64_t lastSeq = 0;
};

Client::Client(Options options) {
    if (options.gateways.empty()) throw std::invalid_argument("jupiter::client::Client: no gateway given");
    impl_ = std::make_unique<Impl>(options);
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Reply Client::command(const std::string& name, const Json& body, const std::string& id) {
    Reply r = replyOf(impl_->failover.call(makeRequest(Kind::Command, name, body, id.empty() ? newId("c") : id),
                                           impl_->timeout));
    if (r.ok && r.seq) impl_->lastSeq = std::max(impl_->lastSeq, *r.seq);
    return r;
}

Reply Client::query(const std::string& name, const Json& body, std::optional<std::uint64_t> minSeq) {
    Envelope req = makeRequest(Kind::Query, name, body, newId("q"));
    if (minSeq && *minSeq > 0) req.minSeq = minSeq;
    return replyOf(impl_->failover.call(req, impl_->timeout));
}

std::uint64_t Client::lastSeq() const { return impl_->lastSeq; }
std::uint64_t Client::failovers() const { return impl_->failover.failovers(); }

std::string Client::newId(const std::string& prefix) { return newRequestId(prefix); }

}  // namespace jupiter::client

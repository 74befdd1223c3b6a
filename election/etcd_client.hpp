// A client of etcd's v3 HTTP/JSON API (the gRPC gateway documented at
// https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/), through libcurl: the few calls that
// leadership needs - grant a lease, keep it alive, create a key only if it is absent (a
// transaction on its create_revision, and on a term key's mod_revision), read it, revoke the lease. Keys and values travel base64
// encoded, as the gateway requires. Each call tries the configured members in turn, starting with
// the last one that answered, so one dead etcd member costs one timeout at most, once.
// A locked etcd (etcd_pki.hpp) is reached over https with a client certificate, and as an etcd user:
// the client authenticates with the user's password at each member it talks to (etcd's simple
// tokens are per member) and again when a token is refused (expired, or the member restarted).
// Blocking: used only from the command node's elector thread, never from an event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/doc.hpp"
#include "common/result.hpp"
#include "election/etcd_api.hpp"

namespace jupiter {

// How the client proves itself: the CA that signed the members' certificate and the client's own
// (https:// endpoints; empty: plain http), and an etcd user (empty: etcd's authentication is off).
struct EtcdCredentials {
    std::string caFile, certFile, keyFile;
    std::string user, password;
};

class EtcdClient final : public EtcdApi {
public:
    // `endpoints`: client URLs such as "https://127.0.0.1:2379"; `timeout`: per HTTP request.
    EtcdClient(std::vector<std::string> endpoints, Millis timeout, EtcdCredentials credentials = {});
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    Result<EtcdLease> grantLease(int64_t ttlSeconds) override;
    Result<EtcdRenewal> keepAlive(int64_t leaseId) override;
    Status revoke(int64_t leaseId) override;
    // Puts key=value attached to `leaseId` only if the key does not exist (create_revision == 0).
    // With `term`: also only if the term key is still at term->modRevision, and it is written too.
    Result<EtcdClaim> createIfAbsent(const std::string& key, const std::string& value, int64_t leaseId,
                                     const std::optional<EtcdTermGuard>& term = std::nullopt) override;
    Result<std::optional<EtcdValue>> get(const std::string& key) override;
    Result<std::optional<EtcdValue>> getLocal(const std::string& key) override;
    // The leader key and the term key, read together (one transaction: one revision).
    Result<EtcdElection> readElection(const std::string& key, const std::string& termKey) override;

    // Any call of the JSON API (e.g. /v3/auth/... to set up users), on the first member that answers.
    Result<Doc> call(const std::string& path, const Doc& body);

    // The member that answered last (for logs, and the member a watch follows).
    const std::string& lastEndpoint() const { return endpoints_[current_]; }

    // What a standing request to that member needs (EtcdWatch): its URL, and the token for the
    // Authorization header ("" where etcd's authentication is off); `renewToken`: the last was refused.
    struct StreamAccess {
        std::string endpoint;
        std::string token;
    };
    Result<StreamAccess> streamAccess(bool renewToken);
    const EtcdCredentials& credentials() const { return credentials_; }

private:
    Result<std::optional<EtcdValue>> range(const std::string& key, bool serializable);
    Result<Doc> callAt(std::size_t at, const std::string& path, const std::string& body);
    Result<Doc> postTo(std::size_t at, const std::string& path, const std::string& body);
    Status authenticate(std::size_t at);

    std::vector<std::string> endpoints_;
    Millis timeout_;
    EtcdCredentials credentials_;
    std::vector<std::string> tokens_;  // per member: its auth token ("": none yet)
    std::vector<bool> authOff_;        // per member: it said its authentication is not enabled
    std::size_t current_ = 0;
    void* curl_ = nullptr;  // CURL*, reused so that connections are kept alive
};

// Whether the etcd member at `peerUrl` (its peer URL, e.g. "https://127.0.0.1:2380") serves its
// peers yet: answers GET /members within `timeout`, presenting `tls` (a member's certificate where
// peers must prove theirs). A member starting a new cluster asks the others the same before it
// serves, and waits up to a second on one that listens but does not serve yet.
// What every request to etcd sets on a libcurl handle (a CURL*): the URL, the TLS files (if any),
// one timeout for connecting and for the whole exchange, no signals, and the answer's body appended
// to `response`.
void setEtcdRequest(void* curl, const std::string& url, const EtcdCredentials& tls, Millis timeout,
                    std::string& response);
// Whether etcd's error message says the request's token is missing or no longer valid.
bool etcdTokenRefused(const std::string& message);

bool etcdPeerServing(const std::string& peerUrl, const EtcdCredentials& tls, Millis timeout);

// Base64 (standard alphabet, padded), as etcd's JSON gateway encodes keys and values.
std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace jupiter

// A client of several equivalent servers (the gateways) that fails over between them without the
// caller noticing: the ZeroMQ guide's Freelance pattern, its third model ("complex and nasty").
// Of the guide's three models this is the one that fits: model one (try each server in turn,
// reconnecting every time) costs a CURVE handshake per failover and learns of a dead server only
// from a timeout; model two (the "shotgun", every request to every server) would double the
// load on every gateway and every command node in the common case that nothing fails. Like model
// three, the client keeps one ROUTER (each server addressed by its endpoint, connected when first
// needed and kept), sticks to one server, and judges it by what it hears:
//   - a lost connection (socket monitor: the server was killed or restarted) moves on at once, and
//     so does a refused one (a server that is not running: a one-shot client does not wait out the
//     silence and a ping for a gateway that is down);
//   - while a request waits and the server has said nothing for `silence`, it is pinged; a server
//     that answers the ping is alive and still working (the gateway retries replicas and resends
//     commands itself), so the client keeps waiting; one that does not answer within
//     `pingTimeout` (stopped, hung, cut off) is left;
//   - a server that answers "cut_off" (a gateway that hears no broker) is left too, and the request
//     goes to the next server; only when every server has said so does the caller get that answer;
//   - moving on resends every request waiting for an answer, with the same request id, to the next
//     connected server (commands are deduplicated by id, queries are idempotent). A late answer
//     from the old server is still accepted; a second answer to the same id is dropped.
// It never fails back on its own: the server in use stays in use until it fails.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

struct FailoverOptions {
    Millis silence{200};      // a server silent this long while a request waits is pinged
    Millis pingTimeout{200};  // a ping unanswered this long moves the client on
    std::size_t start = 0;    // the server used first (an index into the endpoints; spreads clients)
    Millis unreachable{3000}; // a call gives up as "unavailable" once no server has been connected this long
    // The time the rules above are judged by (a ManualClock in tests); the system clock when null.
    // `call` and `receive` wait in real time for what they are given: on a ManualClock, drive the
    // client with send, service and tick instead.
    const Clock* clock = nullptr;
    // The longest a closing client waits for a CURVE handshake in progress to end (see closeSocket:
    // libzmq 4.3 stalls later handshakes on the same context otherwise). A client whose context
    // ends with it (a one-shot CLI call) has nothing later to stall and need not wait for a stopped
    // server's handshake.
    Millis handshakeDrain{1000};
    // Connect to every server at once and use the first whose handshake succeeds while the one in
    // use has none (a one-shot client: a stopped or slow server costs it nothing). Off, servers
    // are connected to when first used: one CURVE handshake per client, not one per server.
    bool raceFirst = false;
};

// An answer to one of the client's requests.
struct ClientReply {
    std::string bytes;
    EnvelopePeek peek;     // its header
    std::string endpoint;  // the server that answered
};

class FailoverClient {
public:
    // `endpoints` (at least one) must be configured nodes' endpoints (curve mode); `credentials` are copied.
    FailoverClient(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints,
                   FailoverOptions options = {});
    // Waits (briefly) for handshakes in progress before closing; see closeSocket.
    ~FailoverClient();
    FailoverClient(const FailoverClient&) = delete;
    FailoverClient& operator=(const FailoverClient&) = delete;

    // Sends `req` and waits up to `budget` for its answer (a reply or an error envelope). Errors:
    // kKeyRefused when the servers refuse this client's key; "timeout" when a server stayed alive
    // (answering pings) but did not answer in time; "unavailable" when none could be reached.
    Result<Envelope> call(const Envelope& req, Millis budget);

    // Asynchronous use, many requests in flight: `send` remembers the request until it is answered
    // (or forgotten) and resends it on failover; `receive` returns the next answer.
    void send(const Envelope& req);
    void sendBytes(const std::string& id, std::string bytes);
    std::optional<ClientReply> receive(Millis timeout);
    // Gives up on a request: a later answer to it is dropped.
    void forget(const std::string& id);

    // For a caller's own poll loop: poll `socket()` and `events()` for input, then call `service()`
    // until it returns nothing; while requests wait and nothing arrives, call `tick()` every few
    // milliseconds (it only judges the server's silence: no socket is read).
    zmq::socket_t& socket() { return sock_; }
    zmq::socket_t& events() { return events_; }
    std::optional<ClientReply> service();
    void tick() { checkSilence(); }

    std::size_t waiting() const { return pending_.size(); }
    const std::string& current() const { return endpoints_[cur_]; }
    bool connected() const { return connected_[cur_]; }
    std::size_t connectedCount() const;
    uint64_t failovers() const { return failovers_; }
    // Whether the server in use was pinged and has not answered anything since.
    bool pinging() const { return pingSentAt_.has_value(); }
    const std::string& lastFailoverReason() const { return lastReason_; }
    // Whether a server refused this client's key during a handshake.
    bool keyRefused() const { return keyRefused_; }
    Error keyRefusedError() const;

private:
    struct Pending {
        std::string bytes;
        bool sent = false;  // to the current server
        std::size_t cutOffAnswers = 0;  // servers that answered it with kErrorCutOff
    };
    void open();
    void closeSocket();
    void dial(std::size_t server);
    void onEvents();
    bool sendTo(std::size_t server, const std::string& bytes);
    void flush();
    void failover(const std::string& reason);
    void checkSilence();
    std::optional<std::size_t> indexOf(std::string_view endpoint) const;

    zmq::context_t& ctx_;
    Credentials credentials_;
    std::vector<std::string> endpoints_;
    FailoverOptions o_;
    SystemClock systemClock_;
    const Clock& clock_;
    zmq::socket_t sock_;
    zmq::socket_t events_;
    std::vector<bool> connected_;
    std::vector<bool> dialled_;      // connect() called
    std::vector<bool> handshaking_;  // TCP connected, handshake not finished
    std::size_t cur_ = 0;
    std::map<std::string, Pending> pending_;  // by request id
    TimePoint lastProgress_{};               // last answer from the server in use, or last switch
    std::optional<TimePoint> pingSentAt_;
    TimePoint lastConnected_{};  // when some server was last seen connected
    std::string pingId_;
    uint64_t failovers_ = 0;
    std::string lastReason_;
    bool keyRefused_ = false;
};

}  // namespace jupiter

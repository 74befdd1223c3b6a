// Forwards commands to the command node through a broker and makes the path survive a restart
// of either: a command not answered within the attempt timeout, refused by the broker because no
// command node is connected, or sent through a broker that has since gone (lost connection, or
// heartbeat missed: onBrokersChanged), is resent with the same request id through a live broker (the
// command node remembers outcomes by id, so a resend is applied at most once) until the overall
// timeout. A gateway cut off from every broker says so at once (setCutOff) rather than holding
// commands it cannot deliver.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "gateway/pending.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

class CommandRouter {
public:
    struct Settings {
        Millis attemptTimeout{1500};
        Millis totalTimeout{10000};
        Millis retryBackoff{50};   // after the broker said no command node is connected
    };
    // Sends through a live broker; returns its name, or nothing when no broker can take it now.
    using SendFn = std::function<std::optional<std::string>(uint64_t token, const std::string& bytes)>;
    using ReplyFn = std::function<void(const Frames& route, const std::string& bytes)>;

    CommandRouter(const Clock& clock, Settings s, SendFn send, ReplyFn reply);
    void setObserver(RouterObserver o) { observer_ = std::move(o); }

    void submit(Frames route, const EnvelopePeek& cmd, std::string bytes);
    void onReply(uint64_t token, const std::string& bytes, const EnvelopePeek& reply);
    // The brokers that can take commands now: commands in flight through any other are resent at once.
    void onBrokersChanged(const std::set<std::string>& usable);
    // Another command node leads now: what is in flight may have gone to the old leader (a dead one
    // answers nothing), so it is resent at once to the new one rather than after its attempt timeout.
    void onLeaderChanged();
    void tick();
    // This gateway hears no broker (`why` says for how long): every command waiting here and every
    // new one is answered at once with kErrorCutOff, so that its client resends it through another
    // gateway (same id: applied at most once) instead of waiting out the timeout here. An empty
    // `why` ends it.
    void setCutOff(std::string why);
    bool cutOff() const { return !cutOff_.empty(); }
    std::size_t inFlight() const { return table_.size(); }
    uint64_t resends() const { return resends_; }

private:
    void answer(const PendingRequest& p, const std::string& bytes);
    void attempt(PendingRequest& p);
    void refuseCutOff(const PendingRequest& p);
    void finish();

    const Clock& clock_;
    Settings s_;
    SendFn send_;
    ReplyFn reply_;
    PendingTable table_;
    std::vector<uint64_t> done_;
    uint64_t resends_ = 0;
    RouterObserver observer_;
    uint64_t ticks_ = 0;
    std::string cutOff_;
};

}  // namespace jupiter
